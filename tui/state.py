"""The editor's model: a round-trip preset being edited, its per-field errors, and the live numbers.

Writes go into the preset's YAML document (``Preset.doc``) so what is saved is exactly what the user sees; a
value the field's type refuses is kept as typed (a draft may hold it) and reported where it is. Everything here
is cheap: it runs on every keystroke.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from engine.knobs.facts import KnobInfo
from engine.knobs.problems import Problem
from engine.knobs.registry import get_knob, top_level_knobs

from .kinds import UNSET

if TYPE_CHECKING:
    from engine import derive  # imported by live(): the numbers come after the editor's first frame

# Knobs the live panel reads; when one of them is invalid the panel says which, instead of guessing.
LIVE_KNOBS = ("micro_batch_size", "gradient_accumulation_steps", "gpus_per_node", "num_nodes", "sequence_len",
              "sample_packing", "num_epochs", "max_steps", "warmup_steps", "warmup_ratio", "val_set_size",
              "target_effective_batch_size", "max_micro_batch_size", "learning_rate", "lr_multiplier",
              "lr_batch_size_scaling", "rl", "pretraining_dataset", "eval_batch_size", "eval_steps", "evals_per_epoch",
              "eval_strategy")


def new_preset() -> Any:
    """The editor's New preset: what ``tunedeck new`` writes, made for the working directory (not saved yet)."""
    from engine.commands.new import default_source
    from engine.commands.new import new_preset as starting_point
    from engine.preset import Preset

    preset, _ = starting_point(Path.cwd() / "new-preset.yaml", default_source())
    return Preset(preset.to_yaml(), None)  # no file yet: problems must not name the preset it was copied from


def split_path(path: str) -> tuple[int | None, str]:
    """"datasets.2.type" → (2, "type"); "micro_batch_size" → (None, "micro_batch_size")."""
    parts = path.split(".")
    if len(parts) == 3 and parts[0] == "datasets" and parts[1].isdigit():
        return int(parts[1]), parts[2]
    return None, path


@dataclass
class DataCounts:
    """What the data helper's ``preview -n 0 --json`` measured for the current datasets."""

    rows: int | None = None
    train_rows: int | None = None  # after the validation split
    eval_rows: int | None = None  # the validation rows: test_datasets' rows, or held out by val_set_size
    eval_packed_sequences: int | None = None  # what they pack into, with sample_packing
    tokens: int | None = None
    packed_sequences: int | None = None
    longest_row: int | None = None  # tokens of the longest row: unpacked batches are padded to it
    error: str | None = None
    counting: bool = False


@dataclass
class Live:
    """The live panel's content, computed from the document on each change."""

    values: dict[str, Any]
    bad: list[str]  # live knobs whose current value is invalid
    derived: derive.Derived | None
    warnings: list[Problem] = field(default_factory=list)  # engine.advice's mentor notes
    seconds: float = 0.0
    why: str = ""  # what makes the bad knobs invalid, when the panel can say it (an impossible target batch)
    evaluation: str | None = None  # what each evaluation reads and when (None: no validation rows, or not counted)


class EditorState:
    def __init__(self, preset: Any, *, path: Path | None) -> None:
        self.preset = preset
        self.path = path  # None until a new preset is saved as
        self.dirty = False
        self.field_errors: dict[str, str] = {}  # instant per-field errors, by path
        self.counts = DataCounts()
        self._problems: list[Problem] | None = None

    # ---- reading -------------------------------------------------------------------------------------------
    @property
    def doc(self) -> Any:
        return self.preset.doc

    def datasets(self) -> list[Any]:
        """The dataset entries as plain values (read from the remembered values until the document is parsed)."""
        value = self.preset.get("datasets")
        return value if isinstance(value, list) else []

    def raw(self, path: str) -> Any:
        """The value written in the document (plain Python), or UNSET when the key is absent."""
        return self.preset.get(path, UNSET)

    def value(self, path: str) -> Any:
        """The value in effect: what is written, else the knob's default."""
        raw = self.raw(path)
        if raw is not UNSET:
            return raw
        knob = get_knob(path)
        return knob.default if knob else None

    # ---- writing -------------------------------------------------------------------------------------------
    def set(self, path: str, value: Any, error: str | None = None) -> None:
        """Write a value (UNSET removes the key). ``error`` marks it invalid for this field; the text is kept."""
        if value is UNSET:
            self.preset.unset(path)
        else:
            self.preset.set(path, value)
        if error:
            self.field_errors[path] = error
        else:
            self.field_errors.pop(path, None)
        self.changed()

    def add_dataset(self, entry: dict[str, Any]) -> int:
        index = len(self.datasets())
        for key, value in entry.items():
            self.preset.set(f"datasets.{index}.{key}", value)
        self.changed()
        return index

    def remove_dataset(self, index: int) -> None:
        self.preset.unset(f"datasets.{index}")
        # per-field errors of later datasets move up by one
        moved: dict[str, str] = {}
        for path, msg in self.field_errors.items():
            i, key = split_path(path)
            if i is None or i < index:
                moved[path] = msg
            elif i > index:
                moved[f"datasets.{i - 1}.{key}"] = msg
        self.field_errors = moved
        self.changed()

    def changed_on_disk(self) -> None:
        """After a save: problems may differ (line numbers), per-field errors were saved as a draft."""
        self._problems = None

    def changed(self) -> None:
        self.dirty = True
        self._problems = None

    # ---- checking ------------------------------------------------------------------------------------------
    @property
    def problems(self) -> list[Problem]:
        """What ``tunedeck validate`` would report (cached until the next edit)."""
        if self._problems is None:
            try:
                self._problems = list(self.preset.problems)
            except Exception as exc:  # a validator bug must not take the editor (and the user's edits) down
                self._problems = [Problem("", f"tunedeck could not check this preset ({type(exc).__name__}: "
                                          f"{exc}); save a draft (f4) and report it.", "error")]
        return self._problems

    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def problems_by_key(self) -> dict[str, list[Problem]]:
        out: dict[str, list[Problem]] = {}
        for p in self.problems:
            out.setdefault(p.key, []).append(p)
        return out

    def kept_keys(self) -> list[str]:
        try:
            return list(self.preset.kept_keys)
        except Exception:  # same guard as problems
            return []

    def can_save_valid(self) -> bool:
        return not self.field_errors and not self.errors()

    # ---- live numbers --------------------------------------------------------------------------------------
    def live(self) -> Live:
        from engine import derive

        start = time.perf_counter()
        values: dict[str, Any] = {}
        bad: list[str] = []
        for key in LIVE_KNOBS:
            values[key] = self.value(key)
            if key in self.field_errors or not _valid(key, values[key]):
                bad.append(key)
        derived = None
        warnings: list[Problem] = []
        evaluation = None
        if not bad:
            cfg = SimpleNamespace(**values)
            c = self.counts
            rows = c.train_rows
            if rows is None and c.rows is not None:
                rows = derive.split_rows(c.rows, float(values["val_set_size"] or 0))[0]
            tokens: Any = (c.packed_sequences and c.packed_sequences * int(values["sequence_len"])) or c.tokens
            try:
                derived = derive.derive_all(cfg, num_rows=rows, num_tokens=tokens)
            except derive.ImpossibleBatch as err:
                return Live(values, ["target_effective_batch_size"], None, [], time.perf_counter() - start,
                            why=str(err))
            warnings = self.advice(rows, c.tokens)
            evaluation = self.evaluation(cfg, derived)
        return Live(values, bad, derived, warnings, time.perf_counter() - start, evaluation=evaluation)

    def evaluation(self, cfg: Any, derived: derive.Derived) -> str | None:
        """The validation rows (test_datasets', or held out by val_set_size), the batches each evaluation runs and
        how often, once the rows are counted."""
        from engine import derive

        c = self.counts
        rows = c.eval_rows
        if rows is None and c.rows is not None and c.train_rows is None:
            rows = derive.split_rows(c.rows, float(cfg.val_set_size or 0))[1]
        if not rows:
            return None
        source = "test_datasets" if self.value("test_datasets") else "held out by val_set_size"
        samples = c.eval_packed_sequences if cfg.sample_packing and c.eval_packed_sequences else rows
        return derive.evaluation_words(cfg, rows, samples, source, derived.steps_per_epoch, derived.total_steps)

    def advice(self, train_rows: int | None, tokens: int | None) -> list[Problem]:
        """Mentor notes from engine.advice when the preset validates; [] otherwise."""
        from engine.advice import advise

        if self.errors() or self.field_errors:
            return []
        try:
            return advise(self.preset.config, train_rows, tokens, known=self.problems)
        except Exception:  # advice must never break editing
            return []


_TOP = {k.key: k for k in top_level_knobs()}


def _valid(key: str, value: Any) -> bool:
    from .kinds import FieldError, check

    knob: KnobInfo | None = _TOP.get(key)
    if knob is None:
        return True
    try:
        check(value, knob)
    except FieldError:
        return False
    return True
