"""A preference row as the trainer sees it, in colour: the prompt dim (context, never learned), the chosen answer
green, the rejected one red (KTO's completion green or red by its label), with each part's token count.

One wording for ``tunedeck preview`` and the editor's dataset preview: both render the rows that ``preview --json``
gives (engine.data.preview_pairs). Light: rich only.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

PART_STYLES = {"prompt": "dim", "chosen": "bold green", "rejected": "bold red"}


def _style(part: str, label: bool | None) -> str:
    return PART_STYLES.get(part) or ("bold green" if label else "bold red")


def pair_heading(n: int, example: dict[str, Any]) -> str:
    """``pair 1 · prompt 41 · chosen 9 · rejected 9 tokens`` (KTO: ``row 1 · desirable · …``)."""
    label = example.get("label")
    what = f"pair {n}" if label is None else f"row {n} · {'desirable' if label else 'undesirable'}"
    counts = " · ".join(f"{p['part']} {p['num_tokens']}" for p in example.get("parts") or [])
    return f"{what} · {counts} tokens"


def pair_body(example: dict[str, Any]) -> Text:
    """Each part on its own line, named, in its colour."""
    out = Text()
    label = example.get("label")
    for p in example.get("parts") or []:
        out.append(f"[{p['part']}] ", "bold")
        out.append(str(p.get("text", "")), _style(str(p["part"]), label))
        out.append("\n")
    return out


def pair_legend() -> Text:
    return Text.assemble(("prompt: context, not learned", "dim"), " / ", ("chosen", "bold green"), " / ",
                         ("rejected", "bold red"))
