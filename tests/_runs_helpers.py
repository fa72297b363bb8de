"""Helpers for the run-machinery tests, and a fake trainer (``python -m _runs_helpers RUN_DIR``).

The fake trainer speaks the run-folder contract like engine.train does (start/step/checkpoint/stopped/finished
events, RUN/stop and SIGTERM honoured) but trains nothing, so launching, stopping and status can be tested in
seconds through the real ``accelerate launch``. Each rank also writes ``rank-<RANK>.json`` (its pid and world
size) so tests can see how many processes really ran. Knobs via environment: FAKE_STEP_SECONDS (per step),
FAKE_IGNORE_STOP=1 (ignore RUN/stop and SIGTERM, to test SIGKILL), FAKE_CRASH_AT=<step> (exit 3 silently).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

TESTS_DIR = Path(__file__).resolve().parent
REPO = TESTS_DIR.parent


def write_preset(folder: Path, name: str = "preset.yaml", **knobs: Any) -> Path:
    """A valid preset for the bundled tiny model and data, with ``knobs`` on top."""
    from ruamel.yaml import YAML

    data: dict[str, Any] = {
        "base_model": str(REPO / "presets" / "tiny" / "model"),
        "datasets": [{"path": str(REPO / "presets" / "tiny" / "facts.jsonl"), "type": "completion"}],
        "output_dir": str(folder / "out"),
        "max_steps": 3,
        "micro_batch_size": 2,
        "gradient_accumulation_steps": 1,
        "sequence_len": 64,
    }
    data.update(knobs)
    path = folder / name
    with open(path, "w") as fh:
        YAML().dump(data, fh)
    return path


def use_fake_trainer(monkeypatch: Any, step_seconds: float = 0.2, **env: str) -> None:
    """Make launches run this module instead of engine.train (inherited by the launched tree)."""
    monkeypatch.setenv("TUNEDECK_TRAIN_MODULE", "_runs_helpers")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(TESTS_DIR), str(REPO), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("FAKE_STEP_SECONDS", str(step_seconds))
    for key, value in env.items():
        monkeypatch.setenv(key, value)


def pid_alive(pid: int) -> bool:
    """Alive and not a zombie (psutil-free, from /proc)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return raw[raw.rfind(")") + 2] not in "ZX"


def wait_for(predicate: Any, timeout: float = 60.0, poll: float = 0.1) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(poll)
    return bool(predicate())


def events(run_dir: Path) -> list[dict[str, Any]]:
    from engine.runs.folder import read_events

    return read_events(run_dir)


# --- the fake trainer -----------------------------------------------------------------------------------------

def _fake_train(run_dir: Path) -> int:
    from ruamel.yaml import YAML

    from engine.runs.folder import STOP_FILE, append_event

    rank, world = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
    (run_dir / f"rank-{rank}.json").write_text(json.dumps({
        "pid": os.getpid(), "rank": rank, "world_size": world,
        "accelerate_use_cpu": os.environ.get("ACCELERATE_USE_CPU"),
        "unbuffered": os.environ.get("PYTHONUNBUFFERED"), "marker": os.environ.get("TUNEDECK_RUN_DIR"),
    }))
    cfg = YAML(typ="safe").load((run_dir / "preset.yaml").read_text())
    total = int(cfg.get("max_steps") or 5)
    out = Path(cfg["output_dir"])
    step_seconds = float(os.environ.get("FAKE_STEP_SECONDS", "0.2"))
    ignore_stop = os.environ.get("FAKE_IGNORE_STOP") == "1"
    crash_at = int(os.environ.get("FAKE_CRASH_AT", "-1"))
    stop = {"asked": False}

    def on_term(signum: int, frame: Any) -> None:
        stop["asked"] = True

    signal.signal(signal.SIGTERM, signal.SIG_IGN if ignore_stop else on_term)
    main = rank == 0
    if main:
        batch = int(cfg.get("micro_batch_size", 1)) * int(cfg.get("gradient_accumulation_steps", 1)) * world
        append_event(run_dir, "start", total_steps=total, num_epochs=1, steps_per_epoch=total,
                     effective_batch_size=batch, num_processes=world, command="fake")
    for step in range(1, total + 1):
        time.sleep(step_seconds)
        if step == crash_at:
            os._exit(3)
        if main:
            sys.stdout.write(f"\r{step * 100 // total:3d}%|##| {step}/{total}")
            sys.stdout.flush()
            append_event(run_dir, "step", step=step, total_steps=total, epoch=step / total, loss=2.0 / step,
                         learning_rate=1e-4, grad_norm=1.0, tokens_per_second=100.0,
                         eta_seconds=(total - step) * step_seconds)
        if not ignore_stop and (stop["asked"] or (run_dir / STOP_FILE).exists()):
            if main:
                ckpt = out / f"checkpoint-{step}"
                ckpt.mkdir(parents=True, exist_ok=True)
                (ckpt / "state.txt").write_text(str(step))
                append_event(run_dir, "checkpoint", step=step, path=str(ckpt))
                append_event(run_dir, "stopped", step=step, checkpoint=str(ckpt))
                print("\nstopped on request")
            return 0
    if main:
        print("\nfake training done")
        append_event(run_dir, "finished", step=total, output_dir=str(out), model_dir=str(out))
    return 0


if __name__ == "__main__":
    sys.exit(_fake_train(Path(sys.argv[1])))
