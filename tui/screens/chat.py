"""The chat screen: talk to a run's model, its answers streamed; with compare, the base answers beside it.

The model lives in a child process (tui.model_process → engine.infer.server): this screen never imports torch,
stays responsive while tokens stream, ends the process when it closes, and shows a crash of it as a message.
Each side keeps its own conversation (the tuned model continues its answers, the base its own). A reward model
(it scores, it writes no text) is refused on the screen, saying how to score with it, and no process starts.
At 80×24 the title wraps rather than lose the model's name, and the prompt (ctrl+o) opens at its end in a box
that Tab reaches and the arrows scroll.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, ClassVar

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from tui.model_process import ModelProcess

if TYPE_CHECKING:
    from engine.infer.source import ModelSource

SIDES = ("tuned", "base")


class ChatScreen(Screen[None]):
    """Chat with ``source`` (a run folder or id, a checkpoint or a model folder); ``compare`` adds the base."""

    CSS_PATH = "chat.tcss"
    AUTO_FOCUS = "#chat-input"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+l", "clear", "Clear"),
        Binding("ctrl+o", "show_prompt", "Prompt"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, source: str, *, compare: bool = False) -> None:
        super().__init__()
        self.source = source
        self.compare = compare
        self.sides = SIDES if compare else SIDES[:1]
        self.histories: dict[str, list[dict[str, str]]] = {side: [] for side in self.sides}
        self.pending: list[str] = []  # sides still to answer the last message, in order
        self.answering: dict[str, Any] = {}  # the request being answered: id, side, pieces, widget
        self.ready = False
        self.last_error = ""
        self.model = ModelProcess(source, self._from_thread, compare=compare)

    def compose(self) -> ComposeResult:
        yield Static(f"[b]Chat[/b]  [dim]{escape(self.source)} · loading the model…[/]", id="chat-title")
        with Horizontal(id="chat-sides"):
            for side in self.sides:
                pane = VerticalScroll(id=f"chat-{side}", classes="chat-side")
                pane.border_title = "tuned model" if side == "tuned" else "base model (adapter off)"
                yield pane
        with VerticalScroll(id="chat-prompt-box"):  # a long prompt scrolls (Tab to it); it opens at its end
            yield Static(id="chat-prompt")
        yield Static(id="chat-status")
        yield Input(placeholder="Type a message, Enter sends", id="chat-input", disabled=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#chat-prompt-box").border_title = "The prompt the model reads next (ctrl+o hides it)"
        resolved = _resolve(self.source)
        if self.compare and resolved is not None and not resolved.adapter:  # a full fine-tune: its base, loaded
            self.query_one("#chat-base").border_title = "base model (before fine-tuning)"
        refusal = _reward_model_refusal(resolved)
        if refusal:
            self.last_error = refusal
            self.query_one("#chat-title", Static).update(f"[b]Chat[/b]  [dim]{escape(self.source)}[/]")
            self._status(f"[bold red]Nothing to chat with.[/] {escape(refusal)} Press Escape to go back.")
            return
        self.model.start()

    def on_unmount(self) -> None:
        self.model.close()

    # --- from the model process (reader thread) -------------------------------------------------------------------

    def _from_thread(self, message: dict[str, Any]) -> None:
        with contextlib.suppress(RuntimeError):  # the app is closing
            self.app.call_from_thread(self.on_model_message, message)

    def on_model_message(self, message: dict[str, Any]) -> None:
        if not self.is_attached:  # closed while the model loaded: its last words have no screen to go to
            return
        kind = message.get("type")
        if kind == "ready":
            self.ready = True
            self.query_one("#chat-title", Static).update(f"[b]Chat[/b]  [dim]{escape(str(message.get('note')))}[/]")
            self.query_one("#chat-input", Input).disabled = False
            self.query_one("#chat-input", Input).focus()
        elif kind == "token" and message.get("id") == self.answering.get("id"):
            self.answering["pieces"].append(str(message.get("text", "")))
            self._show_answer()
        elif kind == "done" and message.get("id") == self.answering.get("id"):
            self.answering["pieces"] = [str(message.get("answer", ""))]
            self._show_answer()
            self.histories[self.answering["side"]].append({"role": "assistant", "content": message["answer"]})
            self.answering = {}
            self._answer_next()
        elif kind == "prompt":
            self.query_one("#chat-prompt", Static).update(escape(message["text"]))
            box = self.query_one("#chat-prompt-box", VerticalScroll)
            box.display = True
            box.call_after_refresh(box.scroll_end, animate=False)  # where the model goes on writing
        elif kind == "error":
            self.last_error = str(message.get("message"))
            self._status(f"[red]{escape(self.last_error)}[/]")
            if message.get("id") is None or message.get("id") == self.answering.get("id"):
                self.answering, self.pending = {}, []
        elif kind == "exited":
            self.ready = False
            self.query_one("#chat-input", Input).disabled = True
            why = escape(self.last_error) if self.last_error else f"[dim]{escape(str(message.get('stderr') or ''))}[/]"
            self._status(f"[bold red]The model process ended (exit code {message.get('returncode')}).[/] Press "
                         f"Escape, fix what it says and open the chat again.\n{why}")

    # --- sending ------------------------------------------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value
        if not text.strip() or not self.ready:
            return
        if self.answering or self.pending:
            self._status("[yellow]Still answering the last message.[/]")
            return
        event.input.value = ""
        self._status("")
        for side in self.sides:
            self.histories[side].append({"role": "user", "content": text})
            pane = self.query_one(f"#chat-{side}", VerticalScroll)
            pane.mount(Static(f"[b]you[/b]  {escape(text)}", classes="chat-user"))
        self.pending = list(self.sides)
        self._answer_next()

    def _answer_next(self) -> None:
        if not self.pending:
            return
        side = self.pending.pop(0)
        widget = Static("[dim]…[/]", classes=f"chat-answer chat-answer-{side}")
        self.query_one(f"#chat-{side}", VerticalScroll).mount(widget)
        ident = self.model.request("answer", self.histories[side], side=side)
        self.answering = {"id": ident, "side": side, "pieces": [], "widget": widget}

    def _show_answer(self) -> None:
        widget: Static = self.answering["widget"]
        widget.update(escape("".join(self.answering["pieces"])))
        if isinstance(widget.parent, VerticalScroll):
            widget.parent.scroll_end(animate=False)

    def _status(self, markup: str) -> None:
        self.query_one("#chat-status", Static).update(markup)

    # --- actions ------------------------------------------------------------------------------------------------

    def action_clear(self) -> None:
        if self.answering or self.pending:
            self._status("[yellow]Wait for the answer to end before clearing.[/]")
            return
        self.histories = {side: [] for side in self.sides}
        for side in self.sides:
            self.query_one(f"#chat-{side}", VerticalScroll).remove_children()
        self.query_one("#chat-prompt-box").display = False
        self._status("[dim]Conversation cleared.[/]")

    def action_show_prompt(self) -> None:
        box = self.query_one("#chat-prompt-box")
        if box.display:
            box.display = False
            return
        if self.ready:
            next_turn = {"role": "user", "content": self.query_one("#chat-input", Input).value or "…"}
            self.model.request("prompt", self.histories["tuned"] + [next_turn])

    def action_back(self) -> None:
        self.dismiss(None)


def _resolve(source: str) -> ModelSource | None:
    """What ``source`` names, or None when it cannot be read here (the model process says why, as it loads)."""
    from engine.errors import TunedeckError
    from engine.infer.source import resolve_source

    try:
        return resolve_source(source)
    except TunedeckError:
        return None


def _reward_model_refusal(resolved: ModelSource | None) -> str:
    """Why the model cannot chat when it is a reward model, else "" (any other problem is the model process's to
    report, as it loads)."""
    from engine.errors import TunedeckError
    from engine.infer.source import check_can_answer

    if resolved is None:
        return ""
    try:
        check_can_answer(resolved)
    except TunedeckError as err:
        return str(err)
    return ""
