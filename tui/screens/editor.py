"""The editor: sections on the left, the knobs of one section in the middle, help and live numbers on the right."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import Resize
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import AwaitMount, Widget
from textual.widgets import ContentSwitcher, Header, Input, OptionList, Static

from engine.knobs.facts import KnobInfo, Section
from engine.knobs.registry import get_knob, knobs_by_section

from ..consent import consented, remember, remote_code_models
from ..kinds import UNSET
from ..preview_runner import DATA_KNOBS, PreviewResult, data_subset, run_preview, stat, stop_all
from ..state import EditorState, split_path
from ..widgets.dataset_editor import DatasetCard, DatasetEditor
from ..widgets.estimate_block import EstimateBlock
from ..widgets.help_panel import HelpPanel
from ..widgets.key_footer import KeyFooter
from ..widgets.knob_field import KnobField, field_id
from ..widgets.live_panel import LivePanel, render_strip
from ..widgets.preview_view import PreviewView
from ..widgets.section_nav import SectionNav, section_id

FIRST = Section.MODEL
NARROW = 110  # below this width the side panel is a toggle and a one-line strip shows the live numbers
COUNT_DEBOUNCE_S = 0.8
PROBLEMS_DEBOUNCE_S = 0.15


if TYPE_CHECKING:
    from ..app import TunedeckApp

class SectionForm(VerticalScroll, can_focus=False):
    """One section's fields. Not a Tab stop of its own: Tab goes from field to field, and the focused field
    scrolls into view."""


class EditorScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        # The tooltips are also the F1 help's key list (tui/screens/help.py): say what each key does.
        Binding("ctrl+s", "save", "Save", tooltip="Save (refused while the preset has errors: f4 saves a draft)"),
        Binding("f5", "launch", "Launch", tooltip="Save and launch the run"),
        Binding("ctrl+r", "launch", "Launch", show=False),
        Binding("f1", "knob_help", "Help", tooltip="This help (on a knob: its full explanation)"),
        # One ctrl+b, named for what it does now (check_action shows one of the two): the footer keeps room for ^q.
        Binding("ctrl+b", "show_all", "All", tooltip="Show every knob (now: the newcomer's basic ones)"),
        Binding("ctrl+b", "show_basic", "Basic", tooltip="Show only the newcomer's knobs (now: every knob)"),
        Binding("ctrl+t", "toggle_side", "Panel", tooltip="Show or hide the live panel (narrow terminals)"),
        Binding("f3", "show_yaml", "YAML", tooltip="The preset as YAML, and its diff against the file on disk"),
        Binding("f6", "runs", "Runs", tooltip="The runs list"),
        Binding("ctrl+g", "apply_target", "Apply batch", show=False,
                tooltip="Apply the proposed gradient_accumulation_steps (type a target batch first)"),
        Binding("f2", "save_as", "Save as", show=False, tooltip="Save under another name"),
        Binding("f4", "save_draft", "Save draft", show=False, tooltip="Save a draft that keeps its errors"),
        Binding("ctrl+o", "open", "Open", show=False, tooltip="Open another preset"),
        Binding("escape", "focus_nav", "Sections", show=False, tooltip="Back to the section list"),
    ]

    def __init__(self, state: EditorState) -> None:
        super().__init__(classes="-basic")
        self.state = state
        self._problem_timer: Timer | None = None
        self._count_timer: Timer | None = None
        self._count_key: str | None = None
        self._focused_path: str | None = None
        self._built: set[str] = set()
        self._previewed: set[int] = set()  # datasets whose preview is shown (re-rendered after edits)
        self._preview_timer: Timer | None = None
        self._preview_gen: dict[int, int] = {}
        self._asking_consent = False
        self._declined: set[tuple[str, ...]] = set()  # models whose code the user did not allow (not asked again)
        self.last_live_seconds = 0.0
        self.last_problems_seconds = 0.0
        self.last_edit_seconds = 0.0  # a keystroke's whole synchronous cost: write, live numbers, title

    @property
    def tunedeck(self) -> TunedeckApp:
        """The app with its own methods typed (saving, launching, opening): the editor only runs in it."""
        return cast("TunedeckApp", self.app)

    # ---- layout ----------------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="editor-main"):
            yield SectionNav()
            with Vertical(id="form-column"):
                yield Static(id="problem-summary")
                with ContentSwitcher(id="sections", initial=section_id(FIRST)):  # the others: build_section
                    yield self._section_form(FIRST)
            with Vertical(id="side"):
                yield HelpPanel(id="help-panel")
                yield LivePanel(id="live-panel")
        yield Static(id="live-strip")
        yield KeyFooter(compact=True)  # 80 columns hold every shown key

    def _section_widgets(self, section: Section) -> list[Widget]:
        """A section's fields. Sections are built when first shown, and in the basic view with only the fields it
        shows (most of a section is advanced), so the editor opens fast; see :meth:`build_left_out`."""
        self._built.add(section_id(section))
        widgets: list[Widget] = [DatasetEditor(self.state)] if section is Section.DATASETS else []
        widgets += [self._field(k.key) for k in _top_level(section) if self._in_view(k)]
        return widgets

    def _in_view(self, knob: KnobInfo) -> bool:
        return not self.has_class("-basic") or knob.basic or self.state.raw(knob.key) is not UNSET

    async def build_left_out(self) -> None:
        """Mount the fields the basic view left out of the sections built so far, each in its registry place."""
        mounts: list[AwaitMount] = []
        for section in Section:
            sid = section_id(section)
            if sid not in self._built:
                continue
            form = self.query_one(f"#{sid}", VerticalScroll)
            previous = form.children[1 if section is Section.DATASETS else 0]  # the title, or the dataset cards
            for knob in _top_level(section):
                built = form.query(f"#{field_id(knob.key)}")
                if built:
                    previous = built.first()
                    continue
                field = self._field(knob.key)
                mounts.append(form.mount(field, after=previous))
                previous = field
        for mounted in mounts:
            await mounted

    async def build_section(self, sid: str) -> None:
        if sid in self._built:
            return
        form = self._section_form(next(s for s in Section if section_id(s) == sid))
        form.display = False  # until shown: the switcher shows one section at a time
        await self.query_one("#sections", ContentSwitcher).mount(form)
        self.refresh_problems()

    def _section_form(self, section: Section) -> SectionForm:
        return SectionForm(Static(section.value, classes="section-title"), *self._section_widgets(section),
                           id=section_id(section), classes="section-form")

    async def show_section(self, sid: str) -> None:
        await self.build_section(sid)
        self._swap_section(sid)

    def _swap_section(self, sid: str) -> None:
        """Show one section; the focus leaves the section that hides, in the same step (a key typed next must
        not reach a hidden field)."""
        self.query_one("#sections", ContentSwitcher).current = sid
        self.keep_focus_shown()

    def keep_focus_shown(self) -> None:
        """Move the focus off a widget that is no longer displayed: to the first field on screen of the shown
        section, else to the section list. Textual blurs it only later, on its Hide event."""
        focused = self.focused
        if focused is None or all(node.display for node in focused.ancestors_with_self if node is not self):
            return
        self.set_focus(self._first_shown_field() or self.query_one(SectionNav))

    def _first_shown_field(self) -> Widget | None:
        form = self.query_one(f"#{self.query_one('#sections', ContentSwitcher).current}", VerticalScroll)
        return next((w for w in self.focus_chain if form in w.ancestors), None)

    def _field(self, path: str) -> KnobField:
        knob = get_knob(path)
        assert knob is not None
        raw = self.state.raw(path)
        field = KnobField(knob, path, raw)
        if raw is not UNSET:
            field.remove_class("-advanced")  # whatever the preset sets is shown in the basic view too
        return field

    def on_mount(self) -> None:
        self.update_title()
        self.set_class(self.app.size.width < NARROW, "-narrow")
        # The document's parse, the first check (it builds the knob models' validators), the estimate (it imports
        # its module) and the data count (a subprocess) all wait for the first frame: the fields come first.
        self.call_after_refresh(self._first_check)

    def _first_check(self) -> None:
        preset = self.state.preset
        preset.parse()  # the fields came from the values remembered from an earlier parse (or from this one)
        if preset.values_were_stale:  # not what the file reads as today: show what it does
            preset.values_were_stale = False
            self.tunedeck.show_editor(EditorScreen(self.state))
            return
        self.schedule_count(immediate=True)
        self.refresh_live()
        self.refresh_problems()

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width < NARROW, "-narrow")

    # ---- state → screen --------------------------------------------------------------------------------------
    def update_title(self) -> None:
        name = str(self.state.path) if self.state.path else "new preset (unsaved)"
        self.app.sub_title = name + (" ●" if self.state.dirty else "")

    def refresh_live(self) -> None:
        start = time.perf_counter()
        live = self.state.live()
        self.query_one("#live-panel", LivePanel).refresh_live(live, self.state.counts)
        self.query_one("#estimate", EstimateBlock).refresh_estimate(self.state)
        self.query_one("#live-strip", Static).update(render_strip(live))
        self.last_live_seconds = time.perf_counter() - start

    def refresh_problems(self) -> None:
        """Mark every field with its own error or a problem ``validate`` reports for its key."""
        start = time.perf_counter()
        self._problem_timer = None
        by_key = self.state.problems_by_key()
        placed: set[str] = set()
        for field in self.query(KnobField):
            own = self.state.field_errors.get(field.path)
            if own:
                field.set_message(own)
                placed.add(field.path)
                continue
            found = by_key.get(field.path, [])
            if found:
                worst = "error" if any(p.severity == "error" for p in found) else found[0].severity
                field.set_message(" ".join(p.message for p in found), worst)
                placed.add(field.path)
            else:
                field.set_message("")
        errors = [p for p in self.state.problems if p.severity == "error"]
        loose = [p for p in errors if p.key not in placed]
        count = len(errors) + len([p for p in self.state.field_errors if p not in {e.key for e in errors}])
        # keys no field shows (typos, keys neither tunedeck nor Axolotl knows): their warnings go on top too
        kept = set(self.state.kept_keys())  # Axolotl keys kept on purpose: the YAML view lists them instead
        stray = [p for p in self.state.problems
                 if p.severity == "warning" and p.key and get_knob(p.key) is None and p.key not in kept]
        summary = self.query_one("#problem-summary", Static)
        text = Text()
        if count:
            text.append(f"{count} error{'s' if count > 1 else ''}: ", "bold red")
            keys = list(self.state.field_errors) + [p.key for p in errors if p.key not in self.state.field_errors]
            text.append(", ".join(k or "(file)" for k in keys[:6]))
            text.append(" — fix before saving, or f4 to save a draft.")
            for p in loose[:3]:
                text.append(f"\n{p.format()}", "red")
        for p in stray[:3]:
            text.append(("\n" if text else "") + p.format(), "yellow")
        summary.update(text)
        summary.display = bool(text)
        self.last_problems_seconds = time.perf_counter() - start

    def on_knob_field_edited(self, event: KnobField.Edited) -> None:
        start = time.perf_counter()
        self._edited(event)
        self.last_edit_seconds = time.perf_counter() - start

    def _edited(self, event: KnobField.Edited) -> None:
        path = event.field.path
        if event.error is None and path not in self.state.field_errors and event.value == self.state.raw(path):
            return  # no change (controls report their initial value on mount)
        self.state.set(event.field.path, event.value, event.error)
        event.field.set_message(event.error or "")
        self.update_title()
        self.refresh_live()
        if self._problem_timer is not None:
            self._problem_timer.stop()
        self._problem_timer = self.set_timer(PROBLEMS_DEBOUNCE_S, self.refresh_problems)
        _, key = split_path(event.field.path)
        if key in DATA_KNOBS or event.field.path.startswith("datasets."):
            self.schedule_count()
            self.schedule_previews()
        if event.field.path == self._focused_path:
            self._show_help(event.field)
        card = event.field.parent
        if key == "type" and isinstance(card, DatasetCard):
            card.apply_type()
            self.keep_focus_shown()
        if key == "path" and event.field.path.startswith("datasets.") and isinstance(card, DatasetCard):
            card.border_title = f"datasets[{card.index}] · {event.value if isinstance(event.value, str) else ''}"

    # ---- help follows focus ----------------------------------------------------------------------------------
    def on_descendant_focus(self) -> None:
        widget: Widget | None = self.focused
        while widget is not None and not isinstance(widget, KnobField):
            widget = widget.parent if isinstance(widget.parent, Widget) else None
        if isinstance(widget, KnobField):
            self._focused_path = widget.path
            self._show_help(widget)

    def _show_help(self, field: KnobField) -> None:
        self.query_one("#help-panel", HelpPanel).show_knob(field.knob, field.path, self.state.raw(field.path))

    @on(Input.Changed, "#target-batch")
    def _target_changed(self) -> None:
        self.query_one("#live-panel", LivePanel).update_plan(self.state.live())

    @on(OptionList.OptionHighlighted, "#section-nav")
    async def _section_chosen(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_id:
            await self.show_section(event.option_id)

    @on(OptionList.OptionSelected, "#section-nav")
    async def _section_entered(self, event: OptionList.OptionSelected) -> None:
        assert event.option_id
        await self.show_section(event.option_id)
        self.set_focus(self._first_shown_field())

    # ---- background counting ---------------------------------------------------------------------------------
    def _subset(self) -> dict[str, Any]:
        plain = json.loads(json.dumps(self.state.preset.plain(), default=str))
        return data_subset(plain, self.state.path)

    def schedule_count(self, immediate: bool = False) -> None:
        """Recount rows/tokens after the data-shaping knobs settle (debounced; cached by the runner)."""
        data_errors = [p for p in self.state.field_errors
                       if split_path(p)[1] in DATA_KNOBS or p.startswith("datasets.")]
        if data_errors or not self.state.datasets() or not self.tunedeck.count_data:
            return
        if self._count_timer is not None:
            self._count_timer.stop()
        if not self.state.counts.counting:
            self.state.counts.counting = True
            if self.is_mounted:
                self.refresh_live()
        self._count_timer = self.set_timer(0.01 if immediate else COUNT_DEBOUNCE_S, self._start_count)

    def _start_count(self) -> None:
        self._count_timer = None
        subset = self._subset()
        if not self.remote_code_allowed(subset):
            self._counted(_not_allowed(subset, "not counted"))
            return
        self.count_data(subset)

    @work(thread=True, exclusive=True, group="count")
    def count_data(self, subset: dict[str, Any]) -> None:
        result = run_preview(subset, n=0, trust_remote_code=bool(remote_code_models(subset)))
        self.app.call_from_thread(self._counted, result)

    def _counted(self, result: PreviewResult) -> None:
        if result.cancelled:
            return  # a newer count replaced it
        counts = self.state.counts
        counts.counting = False
        counts.error = result.error_text() or None
        s = result.stats
        counts.rows = stat(s, "rows", "num_rows")
        counts.train_rows = stat(s, "train_rows")
        counts.eval_rows = stat(s, "eval_rows")
        counts.eval_packed_sequences = stat(s, "eval_packed_sequences")
        counts.tokens = stat(s, "tokens", "num_tokens", "total_tokens")
        counts.packed_sequences = stat(s, "packed_sequences", "num_packed")
        counts.longest_row = stat(s, "longest_row")
        self.refresh_live()

    # ---- datasets --------------------------------------------------------------------------------------------
    async def on_dataset_editor_add(self, event: DatasetEditor.Add) -> None:
        index = self.state.add_dataset({"path": "", "type": "chat_template"})
        await self.query_one(DatasetEditor).rebuild()
        self.state.field_errors[f"datasets.{index}.path"] = "required: a data file, folder or Hub dataset id"
        self._after_structure_change()
        self.set_focus(self.query_one(f"#{field_id(f'datasets.{index}.path')}", KnobField).control)

    def on_dataset_editor_remove(self, event: DatasetEditor.Remove) -> None:
        """Remove a dataset entry, asking first unless it is still empty (no path typed yet)."""
        index = event.index
        entries = self.state.datasets()
        entry = entries[index] if index < len(entries) else None
        path = entry.get("path") if isinstance(entry, dict) else None
        if not path:
            self.call_later(self._remove_dataset, index)
            return

        def answered(remove: bool | None) -> None:
            if remove:
                self.call_later(self._remove_dataset, index)

        from .confirm_remove import ConfirmRemove

        self.app.push_screen(ConfirmRemove(f"dataset {index} ({path})"), answered)

    async def _remove_dataset(self, index: int) -> None:
        self.state.remove_dataset(index)
        self._previewed = {i - (i > index) for i in self._previewed if i != index}
        await self.query_one(DatasetEditor).rebuild()
        self._after_structure_change()

    def _after_structure_change(self) -> None:
        self.update_title()
        self.refresh_problems()
        self.refresh_live()
        self.schedule_count()

    def on_dataset_editor_preview(self, event: DatasetEditor.Preview) -> None:
        self._previewed.add(event.index)
        self._run_preview(event.index, ask=True)

    def _run_preview(self, index: int, ask: bool = False) -> None:
        views = self.query(f"#preview-view-{index}")
        if not views:
            self._previewed.discard(index)
            return
        subset = self._subset()
        if not self.remote_code_allowed(subset, ask=ask):
            views.first(PreviewView).show_result(_not_allowed(subset, "no preview"))
            return
        views.first(PreviewView).show_running()
        generation = self._preview_gen[index] = self._preview_gen.get(index, 0) + 1
        self.preview_dataset(index, generation, subset)

    def schedule_previews(self) -> None:
        """Previews already on screen follow the data knobs (debounced like the counts)."""
        if not self._previewed or self.state.field_errors:
            return
        if self._preview_timer is not None:
            self._preview_timer.stop()
        self._preview_timer = self.set_timer(
            COUNT_DEBOUNCE_S, lambda: [self._run_preview(i) for i in sorted(self._previewed)])

    @work(thread=True, group="preview")
    def preview_dataset(self, index: int, generation: int, subset: dict[str, Any]) -> None:
        result = run_preview(subset, n=3, dataset=index, trust_remote_code=bool(remote_code_models(subset)))
        self.app.call_from_thread(self._preview_done, index, generation, result)

    def _preview_done(self, index: int, generation: int, result: PreviewResult) -> None:
        if result.cancelled or generation != self._preview_gen.get(index):
            return  # a newer preview of this dataset is on its way
        views = self.query(f"#preview-view-{index}")
        if views:
            views.first(PreviewView).show_result(result)

    def on_unmount(self) -> None:
        stop_all()  # no count or preview outlives the editor

    # ---- consent before a model repository's code runs (trust_remote_code) -----------------------------------
    def remote_code_allowed(self, subset: dict[str, Any], *, ask: bool = False,
                            then: Callable[[], object] | None = None) -> bool:
        """True when loading ``subset``'s model runs no code the user has not allowed for this preset. Otherwise
        False, and the consent dialog opens (unless it is open, or the user said no and ``ask`` is False);
        once allowed, counts and shown previews start, then ``then`` runs."""
        models = remote_code_models(subset)
        if consented(self.state.path, models):
            return True
        if self._asking_consent or (models in self._declined and not ask):
            return False
        from .remote_code import RemoteCodeConsent

        def answered(allow: bool | None) -> None:
            self._asking_consent = False
            if not allow:
                self._declined.add(models)
                return
            remember(self.state.path, models)
            self._declined.discard(models)
            self.state.counts.error = None  # "not allowed" no longer holds
            self.schedule_count(immediate=True)
            for index in sorted(self._previewed):
                self._run_preview(index)
            if then is not None:
                then()

        self._asking_consent = True
        self.app.push_screen(RemoteCodeConsent(models, str(self.state.path or "This new preset")), answered)
        return False

    # ---- actions ---------------------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """ctrl+b is "All knobs" in the basic view and "Basic" with every knob shown: the other one is hidden."""
        if action == "show_all":
            return self.has_class("-basic")
        if action == "show_basic":
            return not self.has_class("-basic")
        return True

    async def action_show_all(self) -> None:
        await self.action_toggle_basic()

    async def action_show_basic(self) -> None:
        await self.action_toggle_basic()

    async def action_toggle_basic(self) -> None:
        self.toggle_class("-basic")
        if not self.has_class("-basic"):
            await self.build_left_out()
        self.refresh_bindings()
        self.keep_focus_shown()
        self.notify("Basic view: the knobs a newcomer sets" if self.has_class("-basic") else "All knobs shown",
                    timeout=2)

    def action_toggle_side(self) -> None:
        self.toggle_class("-show-side")
        if self.has_class("-narrow", "-show-side"):  # the panel covers the section list: its keys go to it
            self.set_focus(self.query_one("#live-panel", LivePanel))
        else:
            self.keep_focus_shown()

    def action_focus_nav(self) -> None:
        self.set_focus(self.query_one(SectionNav))

    def action_apply_target(self) -> None:
        live = self.state.live()
        plan = self.query_one("#live-panel", LivePanel).plan(live)
        if plan is None:
            self.notify("Type a target effective batch in the live panel first.", severity="warning")
            return
        self.state.set("gradient_accumulation_steps", plan.gradient_accumulation_steps)
        for field in self.query(f"#{field_id('gradient_accumulation_steps')}").results(KnobField):
            field.show(plan.gradient_accumulation_steps)  # only when its section has been built
        self.update_title()
        self.refresh_live()
        self.refresh_problems()
        self.notify(f"gradient_accumulation_steps = {plan.gradient_accumulation_steps} "
                    f"(effective batch {plan.effective_batch})", timeout=3)

    def action_knob_help(self) -> None:
        from .help import HelpScreen, editor_bindings

        path = self._focused_path
        knob = get_knob(path) if path else None
        keys = [b for b in editor_bindings() if self.check_action(b.action, ())]  # the one ctrl+b that applies
        self.app.push_screen(HelpScreen(knob, path, self.state.raw(path) if path else None, keys))

    async def action_preview(self) -> None:
        """Preview the dataset whose card holds the focus (else the first one), in view in its section."""
        if not self.state.datasets():
            self.notify("No dataset to preview yet: add one in the Datasets section.", severity="warning")
            return
        focused = self.focused
        card = next((a for a in focused.ancestors if isinstance(a, DatasetCard)), None) if focused else None
        index = card.index if card is not None else 0
        await self.focus_knob(f"datasets.{index}.path")
        self._previewed.add(index)
        self._run_preview(index)
        self.query_one(f"#preview-view-{index}", PreviewView).scroll_visible()

    def action_show_yaml(self) -> None:
        from .yaml_view import YamlScreen

        self.app.push_screen(YamlScreen(self.state))

    def action_save(self) -> None:
        self.tunedeck.save(self.state)

    def action_save_draft(self) -> None:
        self.tunedeck.save(self.state, draft=True)

    def action_save_as(self) -> None:
        self.tunedeck.save_as(self.state)

    def action_launch(self) -> None:
        if self.remote_code_allowed(self._subset(), ask=True, then=self._launch_now):
            self._launch_now()

    def _launch_now(self) -> None:
        self.tunedeck.launch(self.state)

    def action_runs(self) -> None:
        self.tunedeck.action_runs()

    def action_open(self) -> None:
        self.tunedeck.action_open()

    async def focus_knob(self, key: str) -> bool:
        """Show the section holding ``key`` ("lora_r", "datasets.0.type") and focus its field."""
        knob = get_knob(key)
        if knob is None:
            return False
        await self.build_section(section_id(knob.section))
        fields = self.query(f"#{field_id(key)}")
        if not fields and knob.parent is None and self.has_class("-basic"):  # left out of the basic view
            self.remove_class("-basic")
            await self.build_left_out()
            fields = self.query(f"#{field_id(key)}")
        if not fields:
            return False
        field = fields.first(KnobField)
        if field.has_class("-advanced"):
            self.remove_class("-basic")
        form = next((a for a in field.ancestors if isinstance(a, VerticalScroll) and a.has_class("section-form")),
                    None)
        if form is not None and form.id:
            nav = self.query_one(SectionNav)
            nav.highlighted = [s for s in Section].index(Section[form.id.removeprefix("section-").upper()])
            self._swap_section(form.id)
        self.set_focus(field.control)
        return True

    def saved(self) -> None:
        """Called by the app after a save: clean title, fresh problems."""
        self.update_title()
        self.refresh_problems()


def _top_level(section: Section) -> list[KnobInfo]:
    """A section's knobs that get a field of their own (per-dataset knobs live on the dataset cards)."""
    return [k for k in knobs_by_section()[section] if k.parent is None and k.key != "datasets"]


def _not_allowed(subset: dict[str, Any], what: str) -> PreviewResult:
    names = " and ".join(remote_code_models(subset))
    return PreviewResult(error={"key": "trust_remote_code", "message": (
        f"{what}: trust_remote_code is on and running the code of {names} is not allowed (yet): nothing loads "
        "the model until you allow it (Preview or F5 asks again).")})
