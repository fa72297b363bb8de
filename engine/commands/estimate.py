"""``tunedeck estimate PRESET [--gpu-memory GIB] [--json]``: will it fit, and how long will it take.

Peak memory per GPU as a band with its parts, the verdict against the target GPU (``--gpu-memory``, the preset's
target_gpu, or this machine's GPU), what to change when it does not fit, and a time range from the data's real
token counts (``--no-data`` skips counting them).
"""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "estimate", help="memory per GPU and training time before launch: will it fit, how long",
        description="Estimate peak GPU memory per process (weights, gradients, optimizer states, activations, "
        "logits, CUDA context) as a low/expected/high band, say whether it fits the target GPU and what to "
        "change when it does not, and estimate training time from the data's token counts. Exit status 0 when "
        "it fits or no GPU is known, 1 when it does not fit, 2 on bad input.",
    )
    parser.add_argument("preset", metavar="PRESET", help="preset YAML file")
    parser.add_argument("--gpu-memory", type=float, metavar="GIB", help="memory of each GPU in GiB (overrides "
                        "target_gpu and the detected GPU)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a knob first (repeatable), e.g. --set micro_batch_size=4")
    parser.add_argument("--no-data", action="store_true", help="do not count the data's tokens (no time estimate)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from engine.estimate.report import report_for
    from engine.preset import load_config

    if args.gpu_memory is not None and args.gpu_memory <= 0:
        from engine.errors import TunedeckError

        raise TunedeckError(f"--gpu-memory {args.gpu_memory:g}: give the memory of one GPU in GiB, e.g. 24.")
    cfg = load_config(args.preset, args.overrides)
    streamed = bool(cfg.pretraining_dataset)  # nothing to count: max_steps full blocks are the run
    stats, data_note = (None, "") if args.no_data or streamed else _data_stats(cfg, args.preset)
    report = report_for(cfg, args.preset, gpu_memory_gib=args.gpu_memory, data_stats=stats, download=True)
    if args.json:
        import json
        import sys

        out = report.to_json()
        if streamed:
            out["steps_from"] = "max_steps"
        if data_note and not out["time_note"]:
            out["time_note"] = data_note
        sys.stdout.write(json.dumps(out) + "\n")
    else:
        _print_table(report, data_note)
        if streamed:
            print(f"Steps: {cfg.max_steps} (max_steps; pretraining_dataset is streamed, so there is no epoch count)")
    return 1 if report.fits is False else 0


def _data_stats(cfg: Any, preset: str) -> tuple[dict[str, Any] | None, str]:
    """The data's real counts (from tunedeck's cache, or tokenized now); a note instead when they cannot be had."""
    from engine.errors import TunedeckError

    if cfg.trust_remote_code:
        return None, ("trust_remote_code is on and loading the tokenizer would run the repository's code; "
                      "count the data with tunedeck preview --trust-remote-code")
    try:
        from engine.data.preview_data import preview
        from engine.hub_cache import require_cached_tokenizer

        require_cached_tokenizer(cfg, preset)

        return preview(cfg, preset, n=0).stats, ""
    except TunedeckError as err:
        return None, f"the data could not be counted ({err})"


def _print_table(report: Any, data_note: str) -> None:
    from rich.console import Console
    from rich.table import Table

    from engine.estimate.explain import PART_TEXT
    from engine.estimate.sizes import count_text, size_text

    m = report.memory
    console = Console(highlight=False)
    console.print(f"[bold]{report.setup.shape.source}[/]: {count_text(m.total_params)} parameters, "
                  f"{count_text(m.trainable_params)} trained, {report.setup.processes} process(es)")
    table = Table(title="Peak memory per GPU", title_justify="left")
    table.add_column("part")
    table.add_column("size", justify="right")
    for key, gib in m.parts.items():
        table.add_row(PART_TEXT[key][0], size_text(gib))
    table.add_row("[bold]expected[/]", f"[bold]{size_text(m.expected, 1)}[/]")
    table.add_row("band (low–high)", f"{size_text(m.low, 1)}–{size_text(m.high, 1)}")
    console.print(table)
    for line in offloaded_lines(m.offloaded):
        console.print(line)
    console.print(_length_line(report.setup))
    if report.gpu is None:
        console.print("GPU: none named (target_gpu, --gpu-memory) or found here: no verdict.")
    elif report.fits:
        console.print(f"[green]Fits[/] {report.gpu.name} ({report.gpu.memory_gib:g} GiB).")
    else:
        console.print(f"[red]Does not fit[/] {report.gpu.name} ({report.gpu.memory_gib:g} GiB). Try:")
        for s in report.suggestions:
            console.print(f"  • {s.text} → {s.expected_gib:.1f} GiB (−{s.saved_gib:.1f})")
    t = report.time
    if t is not None:
        console.print(f"Time: {_duration(t.low_s)}–{_duration(t.high_s)} on {report.setup.processes} × "
                      f"{report.gpu.name} ({t.tokens:,} tokens)")
    else:
        console.print(f"Time: no estimate ({report.time_note or data_note}).")


def offloaded_lines(offloaded: dict[str, float]) -> list[str]:
    """What activation offloading keeps off the GPU, and where (not in the GPU figure above)."""
    from engine.estimate.sizes import size_text

    where = {"cpu": "CPU memory (host RAM, pinned)", "disk": "files in the run folder's offload/ (disk)"}
    return [f"Offloaded: {size_text(gib)} of checkpointed layer inputs wait in {where[to]} per process, not on the "
            "GPU (activation_offloading)." for to, gib in offloaded.items()]


def _length_line(setup: Any) -> str:
    from engine.estimate.report import batch_len_source

    if batch_len_source(setup) == "longest row":
        return (f"Activations at {setup.batch_len} tokens per row: batches are padded to the longest row of the "
                f"data; the high end allows rows of sequence_len ({setup.sequence_len}).")
    return f"Activations at sequence_len ({setup.sequence_len} tokens per row)."


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f}s"
    if seconds < 5400:
        return f"{seconds / 60:.0f}min"
    return f"{seconds / 3600:.1f}h"
