"""What ``tunedeck preprocess`` says and writes for preference data (rl): its summary line and its export lines."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

_PARTS = ("prompt", "chosen", "rejected", "completion")


def preference_summary(s: dict[str, Any]) -> str:
    """Pairs (or KTO rows) kept, dropped and cut, and their tokens, in one line."""
    what = "rows" if s["preference"] == "kto" else "pairs"
    parts = [f"{s['rows']} {what} ({s['train_rows']} train, {s['eval_rows']} eval)",
             f"dropped: {s['dropped']} longer than sequence_len ({s['sequence_len']} tokens)",
             f"{s['truncated']} with answers cut to fit", f"{s['prompt_truncated']} prompts cut to max_prompt_len"]
    if what == "rows":
        parts.append(f"{s['desirable']} desirable, {s['undesirable']} undesirable")
        parts.append(f"{s['tokens']} tokens ({s['prompt_tokens']} prompt, {s['completion_tokens']} completion)")
    else:
        parts.append(f"{s['tokens']} tokens read ({s['prompt_tokens']} prompt, counted twice; {s['chosen_tokens']} "
                     f"chosen, {s['rejected_tokens']} rejected)")
    return "; ".join(parts)


def preference_lines(rows: Any) -> Iterator[dict[str, Any]]:
    """One line per row in source order: the rendered strings as the trainer gets them and their token ids
    (prompt_input_ids, chosen_input_ids, rejected_input_ids; KTO: completion_input_ids and label)."""
    parts = [p for p in _PARTS if p in rows.column_names]
    for i in range(len(rows)):
        row = rows[i]
        line: dict[str, Any] = {p: row[p] for p in parts}
        line.update({f"{p}_input_ids": row[f"{p}_ids"] for p in parts})
        if "label" in row:
            line["label"] = row["label"]
        yield line
