"""The datasets list: one card per source (path, type, field and role mappings) with a preview of each."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button

from engine.knobs.registry import dataset_knobs

from ..kinds import UNSET
from ..state import EditorState
from .knob_field import KnobField
from .preview_view import PreviewBox


class DatasetCard(Vertical):
    def __init__(self, state: EditorState, index: int) -> None:
        super().__init__(id=f"dataset-{index}", classes="dataset-card")
        self.state = state
        self.index = index

    def compose(self) -> ComposeResult:
        for knob in dataset_knobs():
            path = f"datasets.{self.index}.{knob.key}"
            yield KnobField(knob, path, self.state.raw(path))  # basic or advanced as the registry says
        with Horizontal(classes="dataset-buttons"):
            yield Button("Preview", id=f"preview-{self.index}", classes="preview-button", variant="primary")
            yield Button("Remove", id=f"remove-{self.index}", classes="remove-button", variant="error")
        yield PreviewBox(self.index)

    def on_mount(self) -> None:
        path = self.state.raw(f"datasets.{self.index}.path")
        self.border_title = f"datasets[{self.index}]" + (f" · {path}" if isinstance(path, str) and path else "")
        self.apply_type()

    def apply_type(self) -> None:
        """Hide the knobs the dataset's type does not read (unless the preset sets them), so the card asks only
        what matters."""
        kind = self.state.value(f"datasets.{self.index}.type")
        for field in self.query(KnobField).results(KnobField):
            field.set_class(not field.knob.reads_type(kind) and self.state.raw(field.path) is UNSET, "-other-type")


class DatasetEditor(Vertical):
    """Posts Add/Remove/Preview; the editor screen changes the state and rebuilds the cards."""

    # Here, not in app.tcss: parsed when the datasets section is first shown, not for the editor's first frame.
    DEFAULT_CSS = """
    DatasetEditor .dataset-card .-other-type { display: none; }
    DatasetEditor .dataset-card {
        height: auto;
        border: round $primary 50%;
        padding: 0 1;
        margin-bottom: 1;
    }
    DatasetEditor .dataset-buttons { height: auto; }
    DatasetEditor .dataset-buttons Button { margin-right: 2; }
    /* the preview's frame scrolls its text; at most 70% of the screen's height, so its last line can be on screen */
    DatasetEditor .preview-box {
        height: auto;
        max-height: 70vh;
        border: round $secondary 50%;
        padding: 0 1;
    }
    DatasetEditor .preview-box:focus { border: round $secondary; background-tint: $foreground 5%; }
    DatasetEditor .preview-box.-error { border: round $error; }
    DatasetEditor .preview-view { height: auto; }
    DatasetEditor #add-dataset { margin-bottom: 1; }
    """

    class Add(Message):
        pass

    class Remove(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    class Preview(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, state: EditorState) -> None:
        super().__init__(id="dataset-editor")
        self.state = state

    def compose(self) -> ComposeResult:
        yield from self._cards()
        yield Button("Add dataset", id="add-dataset")

    def _cards(self) -> list[DatasetCard]:
        return [DatasetCard(self.state, i) for i in range(len(self.state.datasets()))]

    async def rebuild(self) -> None:
        await self.query(DatasetCard).remove()
        await self.mount_all(self._cards(), before="#add-dataset")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        button_id = event.button.id or ""
        event.stop()
        if button_id == "add-dataset":
            self.post_message(self.Add())
        elif button_id.startswith("remove-"):
            self.post_message(self.Remove(int(button_id.split("-")[1])))
        elif button_id.startswith("preview-"):
            self.post_message(self.Preview(int(button_id.split("-")[1])))
