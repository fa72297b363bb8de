"""``tunedeck new OUT [--from PRESET] [--force]``: start a preset from a working example."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from engine.knobs.registry import path_knobs

if TYPE_CHECKING:
    from engine.preset import Preset

MINIMAL = """\
# A tunedeck preset (Axolotl-style keys). `tunedeck explain KEY` says what any key does;
# `tunedeck validate THIS_FILE` checks it; `tunedeck THIS_FILE` opens it in the editor.

# The model to fine-tune: a Hugging Face id or a local folder.
base_model: HuggingFaceTB/SmolLM2-135M-Instruct

# The training data: each entry is a file (or Hub dataset) and how to read it.
datasets:
  - path: data/train.jsonl
    type: chat_template   # rows of {"messages": [{"role": ..., "content": ...}, ...]}

# Longest sample in tokens, and samples per forward pass × passes per optimizer step.
sequence_len: 1024
micro_batch_size: 2
gradient_accumulation_steps: 4

# How long and how fast to learn.
num_epochs: 3
learning_rate: 2.0e-4
warmup_ratio: 0.05

# Train a small LoRA adapter instead of every weight.
adapter: lora
lora_r: 16
lora_alpha: 32
lora_target_linear: true

output_dir: ./outputs/my-run
"""

# Keys whose values are local paths that a copy elsewhere must still find.
_PATH_KEYS = tuple(k.key for k in path_knobs())


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "new", help="create a preset from a working example (or from another preset)",
        description="Write a new preset to OUT: a copy of --from PRESET (default: the bundled CPU demo), with "
        "relative data and model paths adjusted so they still work from OUT's folder, and an output_dir of its own "
        "(./outputs/<OUT's name>). Refuses to overwrite an existing OUT unless --force is given.",
    )
    parser.add_argument("out", metavar="OUT", help="the preset file to create")
    parser.add_argument("--from", dest="source", metavar="PRESET", help="the preset to copy")
    parser.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    parser.set_defaults(func=run)


def default_source() -> Path | None:
    demo = Path(__file__).resolve().parents[2] / "presets" / "tiny-cpu-demo.yaml"
    return demo if demo.is_file() else None


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from engine.atomic import atomic_write_text
    from engine.errors import TunedeckError

    out = Path(args.out)
    if out.is_dir():
        raise TunedeckError(f"{out} is a folder: give the path of the preset file to create, e.g. {out}/preset.yaml.")
    if out.exists() and not args.force:
        raise TunedeckError(f"{out} already exists: choose another name, or add --force to overwrite it.")
    out.parent.mkdir(parents=True, exist_ok=True)
    source = Path(args.source) if args.source else default_source()
    console = Console(highlight=False)
    preset, moved = new_preset(out, source)
    if source is None:
        try:
            atomic_write_text(out, preset.to_yaml())
        except OSError as err:
            raise TunedeckError(f"{out}: could not write the preset ({err.strerror or err}).") from None
        console.print(f"wrote {out} (a minimal commented preset): edit base_model and datasets, then "
                      f"`tunedeck validate {out}`.")
        return 0
    preset.save(out, draft=True)
    note = f"; adjusted {', '.join(moved)} to work from {out.parent}" if moved else ""
    console.print(f"wrote {out} (copied from {source}{note}); its runs go to output_dir {preset.get('output_dir')}.")
    if not preset.ok:
        console.print(f"[yellow]{out} has problems: run `tunedeck validate {out}` to see them.[/]")
    return 0


def new_preset(out: Path, source: Path | None) -> tuple[Preset, list[str]]:
    """What ``tunedeck new OUT`` writes, and what the editor's New preset starts from (OUT: where it will be
    saved, the working directory's new-preset.yaml there): a copy of ``source`` with its relative paths made to
    work from OUT's folder, and the keys so adjusted; with no source, the minimal commented preset."""
    from engine.preset import Preset, load_preset

    if source is None:
        preset, moved = Preset(MINIMAL, None), []
    else:
        preset = load_preset(source)
        moved = _rebase_paths(preset, source, out)
    # Its own folder: a copy keeping its source's output_dir would resume, refuse or overwrite that preset's runs.
    preset.set("output_dir", f"./outputs/{own_output_name(out)}")
    return preset, moved


def own_output_name(out: Path) -> str:
    """OUT's file name without the extension, in characters safe for a folder name."""
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in out.stem).strip(".") or "run"


def _rebase_paths(preset, source, out) -> list[str]:
    """Relative paths that resolve beside the source preset, rewritten relative to OUT's folder."""
    import os

    src_dir, out_dir = source.resolve().parent, out.resolve().parent
    if src_dir == out_dir:
        return []
    keys = [k for k in _PATH_KEYS if isinstance(preset.get(k), str)]
    datasets = preset.get("datasets") or []
    keys += [f"datasets.{i}.path" for i, d in enumerate(datasets)
             if isinstance(d, dict) and isinstance(d.get("path"), str)]
    moved = []
    for key in keys:
        value = preset.get(key)
        path = Path(os.path.expanduser(value))
        if path.is_absolute() or path.exists() or (out_dir / path).exists() or not (src_dir / path).exists():
            continue  # absolute, found from the working directory, already fine, or a Hub id
        relative = os.path.relpath(src_dir / path, out_dir)
        preset.set(key, relative if not relative.startswith("..") else str(src_dir / path))
        moved.append(key)
    return moved
