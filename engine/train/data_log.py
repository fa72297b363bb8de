"""The data summary at the start of training, in train.log (the trainer's stdout): rows kept, the rows dropped for
each reason, the rows cut and the warnings, so a headless run (`tunedeck train`, attach) shows what the TUI's
preview shows. Printed by the first process of each machine: every machine's run folder has its own train.log."""

from __future__ import annotations

from typing import Any

from engine.data.summary import summary_lines

from .ranks import this_process


def log_data_summary(stats: dict[str, Any]) -> None:
    if not this_process().machine_main:
        return
    for line in summary_lines(stats):
        print(f"tunedeck: {line}", flush=True)
