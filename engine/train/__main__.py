"""``python -m engine.train RUN_DIR``: train from RUN_DIR/preset.yaml and report through the run folder.

Exit codes: 0 finished or stopped on request, 1 failed (after an "error" event), 2 bad usage.
"""

from __future__ import annotations

import sys
import time
import traceback
from pathlib import Path

from engine.runs import folder, space


def _finish(run_dir: Path, main: bool, status: str, event: str, **fields: object) -> None:
    if main:
        folder.append_event(run_dir, event, **fields)
        folder.update_state(run_dir, status=status, ended_at=time.time())


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m engine.train RUN_DIR", file=sys.stderr)
        return 2
    run_dir = Path(argv[0]).resolve()
    if not (run_dir / folder.PRESET_FILE).is_file():
        print(f"error: {run_dir / folder.PRESET_FILE} does not exist: RUN_DIR must be a run folder", file=sys.stderr)
        return 2

    from .callbacks import StoppedEarly, StopRequest
    from .failures import describe, log_tail
    from .ranks import this_process
    from .run import train

    me = this_process()
    if me.world > 1:
        print(f"tunedeck: {me.describe()}", flush=True)
    main_process = me.machine_main  # each machine's first process keeps that machine's run folder (see ranks)
    if main_process:
        folder.update_state(run_dir, status="running")
        space.reserve_space(run_dir)  # room to record how the run ended if the disk fills up
    stop = StopRequest(run_dir, me.world)
    stop.install()
    try:
        outcome = train(run_dir, stop)
    except (StoppedEarly, KeyboardInterrupt):
        _finish(run_dir, main_process, "stopped", "stopped", step=0, checkpoint=None)
        return 0
    except BaseException as err:
        if isinstance(err, SystemExit) and not err.code:
            raise
        from engine.errors import TunedeckError

        if not isinstance(err, TunedeckError):  # a known error's message says it all; others need the trace
            traceback.print_exc()
        sys.stderr.flush()
        sys.stdout.flush()
        message, key = describe(err, run_dir)
        print(f"tunedeck: training failed: {message}", file=sys.stderr, flush=True)
        fields: dict[str, object] = {"message": message, "log_tail": log_tail(run_dir / folder.LOG_FILE)}
        if key:
            fields["key"] = key
        _finish(run_dir, main_process, "failed", "error", **fields)
        return 1

    if outcome.status == "stopped":
        _finish(run_dir, main_process, "stopped", "stopped", step=outcome.step, checkpoint=outcome.checkpoint)
        return 0
    if not me.main:  # machine 0 saved the model, in its own output_dir
        _finish(run_dir, main_process, "finished", "finished", step=outcome.step, machine_rank=me.machine)
        return 0
    from .model import saved_kind

    out = str(outcome.output_dir)
    kind = saved_kind(out)
    _finish(run_dir, main_process, "finished", "finished", step=outcome.step, output_dir=out, **{f"{kind}_dir": out})
    return 0


if __name__ == "__main__":
    sys.exit(main())
