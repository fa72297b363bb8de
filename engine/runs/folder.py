"""The run folder: the contract between the trainer and every viewer (TUI run screen, `attach`, `runs`).

Layout of ``RUN/`` (``<output_dir>/runs/<run_id>/``)::

    preset.yaml    the resolved preset the run trains from (overrides applied)
    command.txt    the exact launch command, one line
    train.log      everything the training processes print (stdout+stderr), raw, tqdm "\\r" and ANSI kept
    events.jsonl   one JSON object per line, appended by the main training process (see EVENT_KINDS)
    state.json     {"run_id", "status", "pid", "pgid", "started_at", "ended_at", "preset", "output_dir", ...}
    stop           present when a graceful stop was requested (the trainer saves a checkpoint and exits)
    .space-reserve room set aside while the trainer runs, to record how it ended on a full disk (engine.runs.space)

Every event has ``"event"`` (one of EVENT_KINDS) and ``"time"`` (unix seconds). Fields by kind:

    start       total_steps, num_epochs, steps_per_epoch, effective_batch_size, num_processes, command,
                train_rows, resumed_from_step, and the prepared data's longest_row and tokens_per_epoch (when known)
    step        step, total_steps, epoch, loss, learning_rate, grad_norm, tokens_per_second, eta_seconds,
                num_tokens; peak_memory_allocated_gib / peak_memory_reserved_gib on a GPU; a preference run's
                rewards_chosen, rewards_rejected, rewards_margin, rewards_accuracy (KTO: kl)
    eval        step, epoch, eval_loss; a preference or reward-model run's eval_rewards_margin, eval_rewards_accuracy
                (DPO-style methods also eval_rewards_chosen, eval_rewards_rejected; KTO: eval_kl), on the eval pairs
    samples     step, epoch, eval_loss, perplexity, chrf, samples: [{prompt, reference, answer}] (sample_answers)
    checkpoint  step, path
    finished    step, output_dir, adapter_dir (or model_dir)
    stopped     step, checkpoint
    error       message (one paragraph for people), key (the culprit knob, optional), log_tail (optional)

Viewers only read these files; they never hold a pipe to the trainer, so nothing blocks when nobody watches.

state.json also carries what the launcher knows (engine.runs.launch): ``overrides``, ``num_processes``, ``cwd``,
``marker``, ``host``; and what stopping records (engine.runs.control): ``stop_requested_at``, ``stopped_by``,
``message``.
Every process of a run inherits ``TUNEDECK_RUN_DIR=<marker>`` in its environment: that is how a run's processes
are found even when torch's launcher puts each rank in a session of its own.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any

from engine.atomic import atomic_write_text
from engine.errors import TunedeckError
from engine.runs import space

PRESET_FILE = "preset.yaml"
COMMAND_FILE = "command.txt"
LOG_FILE = "train.log"
EVENTS_FILE = "events.jsonl"
STATE_FILE = "state.json"
STOP_FILE = "stop"

EVENT_KINDS = ("start", "step", "eval", "samples", "checkpoint", "finished", "stopped", "error")
# The one map from a final event to the status it means; every viewer reads it from here.
FINAL_EVENTS = {"finished": "finished", "stopped": "stopped", "error": "failed"}
FINAL_EVENT_KINDS = tuple(FINAL_EVENTS)
ACTIVE_STATUSES = ("starting", "running")
FINAL_STATUSES = ("finished", "failed", "stopped")
STATUSES = (*ACTIVE_STATUSES, *FINAL_STATUSES)
UNREADABLE = "unreadable"  # state.json is damaged: listed with its folder and what is wrong, never guessed at
# train.log lines the trainer prints for a step, an eval or a checkpoint ("train step 12/456  loss 3.7 …",
# "saved checkpoint-57 in …"): the same facts arrive as events, so followers that show the events (attach,
# train) leave these lines out.
METRIC_LINE = re.compile(r"^((train|eval) step \d+/\d+  |saved checkpoint-\d+ in )")


def append_event(run_dir: str | os.PathLike[str], event: str, **fields: Any) -> dict[str, Any]:
    """Append one event line, whole or not at all (one ``write``, cut back off if the disk fills up mid-line), so
    readers never see half of one. On a full disk the run's reserved room is used (see engine.runs.space); a final
    event gives that room back."""
    if event not in EVENT_KINDS:
        raise ValueError(f"unknown event kind {event!r}")
    record = {"event": event, "time": time.time(), **fields}
    line = (json.dumps(record, default=str) + "\n").encode("utf-8")
    space.with_room(run_dir, lambda: space.append_whole(Path(run_dir) / EVENTS_FILE, line))
    if event in FINAL_EVENT_KINDS:
        space.release_reserve(run_dir)
    return record


class EventTail:
    """Reads new complete event lines since the last call (a partial last line waits for its newline)."""

    def __init__(self, run_dir: str | os.PathLike[str]) -> None:
        self.path = Path(run_dir) / EVENTS_FILE
        self.offset = 0

    def read_new(self) -> list[dict[str, Any]]:
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self.offset)
                chunk = fh.read()
        except FileNotFoundError:
            return []
        end = chunk.rfind(b"\n")
        if end < 0:
            return []
        self.offset += end + 1
        return [event for raw in chunk[: end + 1].splitlines() if (event := parse_event(raw)) is not None]


def parse_event(raw: bytes) -> dict[str, Any] | None:
    """One events.jsonl line, or None for a line that is not an event (cut short, garbled, not an object):
    a damaged line must not take a viewer down, and the lines around it still count."""
    try:
        event = json.loads(raw)
    except ValueError:  # JSONDecodeError, and UnicodeDecodeError for bytes that are not UTF-8
        return None
    return event if isinstance(event, dict) else None


def read_events(run_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    return EventTail(run_dir).read_new()


def log_path(run_dir: str | os.PathLike[str]) -> Path:
    """Where a run's train.log is (for engine.runs.log_tail, the one reader of it)."""
    return Path(run_dir) / LOG_FILE


def read_command(run_dir: str | os.PathLike[str]) -> str:
    """command.txt's one line, "" when there is none."""
    try:
        return (Path(run_dir) / COMMAND_FILE).read_text(encoding="utf-8", errors="replace").strip()
    except FileNotFoundError:
        return ""


def write_json_atomic(path: str | os.PathLike[str], data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, default=str))


class UnreadableState(TunedeckError):
    """state.json is there but cannot be read as a run's state (cut short, garbled, not an object)."""

    def __init__(self, run_dir: Path, what: str) -> None:
        self.run_dir = run_dir
        self.what = what
        super().__init__(f"{run_dir / STATE_FILE}: {what}. This run's status cannot be known; look at its "
                         f"train.log and events.jsonl, and delete the folder {run_dir} once it is of no use.")


_NUMERIC_FIELDS = ("started_at", "ended_at", "pid", "pgid")


def load_state(run_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """state.json as a dict ({} when there is none); raises UnreadableState when it is there but damaged."""
    run_dir = Path(run_dir)
    try:
        raw = (run_dir / STATE_FILE).read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as err:
        raise UnreadableState(run_dir, f"cannot be read ({err.strerror})") from None
    try:
        state = json.loads(raw)
    except UnicodeDecodeError:
        raise UnreadableState(run_dir, "is not UTF-8 text") from None
    except json.JSONDecodeError as err:
        what = "is empty" if not raw.strip() else \
            f"is cut short or garbled, not valid JSON ({err.msg}: line {err.lineno} column {err.colno})"
        raise UnreadableState(run_dir, what) from None
    if not isinstance(state, dict):
        raise UnreadableState(run_dir, f"holds a JSON {type(state).__name__}, not an object")
    for key in _NUMERIC_FIELDS:
        value = state.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise UnreadableState(run_dir, f"its {key} is {value!r}, not a number")
    return state


def read_state(run_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """state.json as a dict, {} when it is missing or damaged (for viewers that only want what is there)."""
    try:
        return load_state(run_dir)
    except UnreadableState:
        return {}


def update_state(run_dir: str | os.PathLike[str], **fields: Any) -> dict[str, Any]:
    """Merge ``fields`` into state.json. A damaged state.json is refused (UnreadableState), never overwritten."""
    state = load_state(run_dir)
    state.update(fields)
    space.with_room(run_dir, lambda: write_json_atomic(Path(run_dir) / STATE_FILE, state))
    return state
