"""The knob catalogue: every knob's facts (:class:`KnobInfo` without its pydantic field), written to
``catalogue.json`` from the models that :func:`~engine.knobs.base.knob` declares.

Building the pydantic models costs a tenth of a second; the editor's first frame needs only the facts. The file
records a digest of the sources it was made from, and :func:`load` uses it only while that digest still matches:
after an edit to a knob it falls back to the models, so a stale file is never read (the test suite checks that the
committed file is current).

    python -m engine.knobs.catalogue          # rewrite catalogue.json after changing a knob
    python -m engine.knobs.catalogue --check  # exit 1 when it is out of date
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from .facts import Kind, KnobInfo, Section

CATALOGUE = Path(__file__).with_name("catalogue.json")
_ENGINE = Path(__file__).resolve().parent.parent
_VERSION = 1

# Prints the engine modules the knob models are made of, in a fresh interpreter (what this one has imported says
# nothing about that).
_LIST_SOURCES = (
    "import sys, engine.knobs.config, engine.knobs.datasets\n"
    "from pathlib import Path\n"
    "root = Path(sys.argv[1])\n"
    "for m in list(sys.modules.values()):\n"
    "    f = getattr(m, '__file__', None)\n"
    "    if f and Path(f).resolve().is_relative_to(root): print(Path(f).resolve().relative_to(root).as_posix())\n"
)


def digest(sources: list[str]) -> str:
    """One hash over the named engine source files (paths relative to ``engine/``); "" when one is missing."""
    h = hashlib.sha256()
    for name in sources:
        try:
            h.update(name.encode() + b"\0" + (_ENGINE / name).read_bytes() + b"\0")
        except OSError:
            return ""
    return h.hexdigest()


def _record(k: KnobInfo) -> dict[str, Any]:
    return {
        "key": k.key, "parent": k.parent, "section": k.section.value, "summary": k.summary, "what": k.what,
        "cost": k.cost, "typical": k.typical, "interacts": list(k.interacts), "basic": k.basic, "axolotl": k.axolotl,
        "aliases": list(k.aliases), "shapes_data": k.shapes_data, "path_kind": k.path_kind,
        "dataset_types": list(k.dataset_types), "default": k.default,
        "kind": {"name": k.kind.name, "optional": k.kind.optional, "choices": list(k.kind.choices)},
    }


def _info(r: dict[str, Any]) -> KnobInfo:
    kind = r["kind"]
    return KnobInfo(
        key=r["key"], section=Section(r["section"]), summary=r["summary"], what=r["what"], cost=r["cost"],
        typical=r["typical"], interacts=tuple(r["interacts"]), basic=r["basic"], axolotl=r["axolotl"],
        aliases=tuple(r["aliases"]), shapes_data=r["shapes_data"], path_kind=r["path_kind"],
        dataset_types=tuple(r["dataset_types"]), kind=Kind(kind["name"], kind["optional"], tuple(kind["choices"])),
        default=r["default"], parent=r["parent"])


def from_models() -> tuple[tuple[KnobInfo, ...], tuple[KnobInfo, ...]]:
    """The top-level and per-dataset knobs, read from the pydantic models (the source of truth)."""
    from .base import knob_info
    from .config import Config
    from .datasets import DatasetConfig

    return (tuple(knob_info(name, info) for name, info in Config.model_fields.items()),
            tuple(knob_info(name, info, parent="datasets") for name, info in DatasetConfig.model_fields.items()))


def load() -> tuple[tuple[KnobInfo, ...], tuple[KnobInfo, ...]]:
    """The top-level and per-dataset knobs: from ``catalogue.json`` while it matches its sources, else from the
    models."""
    try:
        data = json.loads(CATALOGUE.read_text(encoding="utf-8"))
        current = data.get("version") == _VERSION and data["digest"] == digest(data["sources"])
    except (OSError, ValueError, KeyError, TypeError):
        current = False
    if not current:
        return from_models()
    return tuple(_info(r) for r in data["top_level"]), tuple(_info(r) for r in data["datasets"])


def render() -> str:
    """The catalogue file's text for the knobs as the models declare them now."""
    import subprocess

    listed = subprocess.run([sys.executable, "-c", _LIST_SOURCES, str(_ENGINE)], capture_output=True, text=True,
                            check=True, cwd=_ENGINE.parent).stdout.split()
    sources = sorted({*listed, "knobs/catalogue.py"})
    top, datasets = from_models()
    data = {"version": _VERSION, "digest": digest(sources), "sources": sources,
            "top_level": [_record(k) for k in top], "datasets": [_record(k) for k in datasets]}
    text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    for k in top + datasets:  # a default JSON cannot hold as it is (a tuple, an object) would come back different
        if _info(_record(k)) != k:
            raise ValueError(f"knob {k.path}: its facts do not survive JSON (default {k.default!r}); give it a "
                             "default JSON can hold")
    return text


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = render()
    if "--check" in args:
        if CATALOGUE.is_file() and CATALOGUE.read_text(encoding="utf-8") == text:
            return 0
        print(f"{CATALOGUE} is out of date: run `python -m engine.knobs.catalogue` and commit it.", file=sys.stderr)
        return 1
    CATALOGUE.write_text(text, encoding="utf-8")
    print(f"wrote {CATALOGUE} ({len(text) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
