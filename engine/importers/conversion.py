"""The bookkeeping shared by every importer: which source keys were handled, the preset being built, and the
report. Any leaf of the source that no rule handled ends up "not carried over", so nothing is dropped unseen.

A value mapped onto a knob is checked against that knob's type in the registry, and a wrong one is reported at
its place in the source file (file:line: key), not later in the written preset."""

from __future__ import annotations

from typing import Any

from engine.errors import TunedeckError

from .report import Report
from .source import SourceConfig

_MISSING = object()


def leaves(data: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted key → value for every scalar or list under ``data`` (lists are one leaf)."""
    if isinstance(data, dict) and data:
        out: dict[str, Any] = {}
        for key, value in data.items():
            out.update(leaves(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: data}


class Conversion:
    def __init__(self, source: SourceConfig, tool: str) -> None:
        self.source = source
        self.preset: dict[str, Any] = {}
        self.report = Report(tool, str(source.path))
        self.problems: list[str] = []
        self._leaves = leaves(source.data)
        self._handled: set[str] = set()

    # --- reading the source -------------------------------------------------------------------------------
    def get(self, key: str, default: Any = None) -> Any:
        node: Any = self.source.data
        for part in key.split("."):
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return default
        return node

    def has(self, key: str) -> bool:
        return self.get(key, _MISSING) is not _MISSING

    def section(self, key: str, *, required: bool = False) -> dict[str, Any]:
        """A mapping section; a missing required one, or one of the wrong type, is a problem at its place."""
        value = self.get(key, _MISSING)
        if value is _MISSING or value is None:
            if required:
                self.problems.append(f"{self.source.where(key.rsplit('.', 1)[0] if '.' in key else key)}: "
                                     f"{key}: this section is required and missing. Add it as in the tool's own "
                                     "examples.")
            return {}
        if not isinstance(value, dict):
            self.problems.append(f"{self.source.where(key)}: {key}: expected a mapping of settings, found "
                                 f"{_kind(value)} ({value!r}).")
            self.handled(key)
            return {}
        return value

    def handled(self, key: str) -> None:
        """Mark a key and everything under it as dealt with."""
        self._handled.update(k for k in self._leaves if k == key or k.startswith(key + "."))
        self._handled.add(key)

    def pending(self, key: str) -> bool:
        return self.has(key) and key not in self._handled

    # --- writing the preset and the report ----------------------------------------------------------------
    @staticmethod
    def fits(target: str, value: Any) -> bool:
        """Whether ``value`` is a valid value of knob ``target`` (its type in the registry)."""
        from pydantic import TypeAdapter, ValidationError

        from engine.knobs.registry import get_knob

        info = get_knob(target)
        if info is None:
            return True
        try:
            TypeAdapter(info.annotation).validate_python(value)
        except ValidationError:
            return False
        return True

    def set(self, target: str, value: Any, source_key: str) -> bool:
        """Put ``value`` at preset key ``target`` after checking it against the knob's type; False if wrong."""
        from pydantic import TypeAdapter, ValidationError

        from engine.knobs.registry import get_knob

        info = get_knob(target)
        if info is not None:
            try:
                TypeAdapter(info.annotation).validate_python(value)
            except ValidationError as err:
                reason = err.errors()[0].get("msg", "invalid")
                self.problems.append(f"{self.source.where(source_key)}: {source_key}: {value!r} cannot become "
                                     f"{target} ({reason}).")
                return False
        self.preset[target] = value
        return True

    def exact(self, key: str, target: str, value: Any = _MISSING, note: str = "") -> None:
        if not self.has(key):
            return
        self.handled(key)
        if self.set(target, self.get(key) if value is _MISSING else value, key):
            self.report.add(key, "exact", target, note)

    def approx(self, key: str, target: str, value: Any, how: str) -> None:
        self.handled(key)
        if self.set(target, value, key):
            self.report.add(key, "approximated", target, how)

    def same(self, key: str, note: str) -> None:
        """The source value is what tunedeck does anyway: nothing to write."""
        if self.has(key):
            self.handled(key)
            self.report.add(key, "exact", "(tunedeck's default)", note)

    def separate_validation(self, key: str) -> None:
        """A validation set read from its own file: tunedeck holds out a share of the training rows instead, so
        the evaluation the source asked for still runs."""
        if self.has(key):
            self.approx(key, "val_set_size", 0.05, "tunedeck evaluates on a held-out share of the training rows "
                        "(5% here), not on a separate file: the validation file is not read")

    def drop(self, key: str, why: str) -> None:
        if self.has(key):
            self.handled(key)
            self.report.add(key, "not carried over", "", why)

    def finish(self) -> None:
        """Every source leaf no rule took is listed as not carried over; problems end the import."""
        for key in self._leaves:
            if key and key not in self._handled and not any(key.startswith(h + ".") for h in self._handled):
                self.report.add(key, "not carried over", "", "tunedeck has no equivalent setting")
        if self.problems:
            raise TunedeckError(f"{self.source.path} cannot be imported ({len(self.problems)} problem"
                                f"{'s' if len(self.problems) != 1 else ''}); nothing was written:\n"
                                + "\n".join(self.problems))


def _kind(value: Any) -> str:
    return {list: "a list", str: "text", bool: "true/false", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__)
