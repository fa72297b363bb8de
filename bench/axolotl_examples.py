"""How many of Axolotl's example configs tunedeck accepts (issue 16: at least 95 %, the rest refused by name).

    git clone https://github.com/axolotl-ai-cloud/axolotl
    python bench/axolotl_examples.py axolotl/examples

Loads every .yml/.yaml file under the folder with ``engine.preset.load_preset`` (what ``tunedeck validate`` reads),
counts a file as accepted when it has no errors (warnings and Axolotl keys kept but unused are fine), prints each
refused file with its first errors (key and message, shortened), then the figure: ``accepted N of M (P %)``.
A file tunedeck cannot read at all (not YAML, too large) is refused with its message; a crash is printed as one.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from engine.errors import TunedeckError  # noqa: E402
from engine.preset import load_preset  # noqa: E402

SUFFIXES = (".yml", ".yaml")


@dataclass(frozen=True)
class Verdict:
    path: Path
    errors: list[tuple[str, str]]  # (key, message); empty: accepted

    @property
    def accepted(self) -> bool:
        return not self.errors


def judge(path: Path) -> Verdict:
    try:
        preset = load_preset(path)
        return Verdict(path, [(p.key or "(file)", p.message) for p in preset.errors])
    except TunedeckError as err:
        return Verdict(path, [("(file)", str(err))])
    except Exception as err:  # a crash is a tunedeck bug: shown, and the count goes on
        return Verdict(path, [("(crash)", f"{type(err).__name__}: {err}")])


def shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("examples", type=Path, help="Axolotl's examples folder (axolotl/examples of a clone)")
    parser.add_argument("--errors", type=int, default=2, help="errors shown per refused file (default 2)")
    parser.add_argument("--width", type=int, default=140, help="characters of each message shown (default 140)")
    args = parser.parse_args(argv)
    root: Path = args.examples
    if not root.is_dir():
        print(f"{root}: not a folder. Give Axolotl's examples folder, e.g. axolotl/examples after "
              "`git clone https://github.com/axolotl-ai-cloud/axolotl`.", file=sys.stderr)
        return 2
    files = sorted(p for p in root.rglob("*") if p.suffix in SUFFIXES and p.is_file())
    if not files:
        print(f"{root}: no .yml or .yaml files under this folder. Give Axolotl's examples folder.", file=sys.stderr)
        return 2
    verdicts = [judge(p) for p in files]
    refused = [v for v in verdicts if not v.accepted]
    for v in refused:
        shown = "; ".join(f"{key}: {shorten(message, args.width)}" for key, message in v.errors[:args.errors])
        more = f" (+{len(v.errors) - args.errors} more)" if len(v.errors) > args.errors else ""
        print(f"{v.path.relative_to(root)} :: {shown}{more}")
    accepted = len(verdicts) - len(refused)
    print(f"accepted {accepted} of {len(verdicts)} ({100 * accepted / len(verdicts):.1f} %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
