"""The footer of keys, rebuilt only when the keys it shows change."""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer


def shown_keys(screen: Screen[Any]) -> tuple[tuple[Any, ...], ...]:
    """What a footer on ``screen`` shows: the shown bindings and the command palette's, each with its key, text,
    action, whether it is enabled, and its tooltip (a focused Input's hidden bindings change nothing)."""
    palette = screen.app.COMMAND_PALETTE_BINDING
    return tuple((name, binding.key, binding.description, binding.action, enabled, tooltip)
                 for name, (_node, binding, enabled, tooltip) in screen.active_bindings.items()
                 if binding.show or name == palette)


class KeyFooter(Footer):
    """Textual's footer rebuilds every key on each binding refresh (focus moves, screens resume): three times while
    the editor opened, each key restyled as it was made. This one rebuilds when what it would show differs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._keys_built: tuple[tuple[Any, ...], ...] | None = None

    def bindings_changed(self, screen: Screen[Any]) -> None:
        keys = shown_keys(screen)
        if keys == self._keys_built:
            return
        super().bindings_changed(screen)
        # Only what the footer then rebuilds counts as built (it waits while the app is not focused).
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self._keys_built = keys
