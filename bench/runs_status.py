"""How long truthful run status takes: one long run's status, and `tunedeck runs` over many runs.

The TUI polls status every second or so and the runs list every couple of seconds, so both must stay in the
milliseconds however long a run has been going (events.jsonl grows by ~1 MB an hour at a step per second).

    python bench/runs_status.py [--steps 40000] [--runs 200]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def make_run(run_dir: Path, steps: int, alive: bool) -> None:
    from engine.runs import folder

    run_dir.mkdir(parents=True)
    folder.update_state(run_dir, run_id=run_dir.name, status="running", pid=os.getpid() if alive else None,
                        pgid=os.getpgid(0) if alive else None, started_at=time.time(), marker=str(run_dir))
    folder.append_event(run_dir, "start", total_steps=steps, num_epochs=1, steps_per_epoch=steps,
                        effective_batch_size=8, num_processes=1, command="bench")
    with open(run_dir / folder.EVENTS_FILE, "a") as fh:
        for step in range(1, steps + 1):
            fh.write(json.dumps({"event": "step", "time": time.time(), "step": step, "total_steps": steps,
                                 "epoch": step / steps, "loss": 2.0 / step ** 0.1, "learning_rate": 1e-4,
                                 "grad_norm": 1.0, "tokens_per_second": 5000.0, "eta_seconds": steps - step}) + "\n")
    if not alive:
        folder.append_event(run_dir, "finished", step=steps, output_dir="/out", model_dir="/out")


def timed(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=40000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["TUNEDECK_HOME"] = str(Path(tmp) / "home")
        from engine.runs.control import list_runs, run_status
        from engine.runs.index import register_run

        long_run = Path(tmp) / "long"
        make_run(long_run, args.steps, alive=True)  # alive: its status needs the process check too
        size_mb = (long_run / "events.jsonl").stat().st_size / 1e6
        print(f"run_status, live run with {args.steps} step events ({size_mb:.1f} MB): "
              f"{timed(lambda: run_status(long_run), 20):.1f} ms")
        for n in range(args.runs):
            run_dir = Path(tmp) / f"r{n:04d}"
            make_run(run_dir, 200, alive=False)
            register_run(run_dir)
        register_run(long_run)
        print(f"list_runs over {args.runs + 1} runs (one live): {timed(list_runs, 5):.1f} ms")


if __name__ == "__main__":
    main()
