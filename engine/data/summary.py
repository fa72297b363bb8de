"""What happened to the data, in words: rows kept, the rows dropped for each reason, the rows cut, and the
warnings. One wording, read from ``PreparedData.stats`` (see engine.data), for the TUI's preview panel and the
trainer's train.log. Light: no datasets or transformers."""

from __future__ import annotations

from typing import Any


def _count(stats: dict[str, Any], key: str) -> int:
    value = stats.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def dropped_by_reason(stats: dict[str, Any]) -> list[tuple[str, int]]:
    """(reason, rows) for every reason that dropped rows, in the order the pipeline drops them."""
    min_len, seq_len = stats.get("min_sample_len"), stats.get("sequence_len")
    reasons = [
        ("sampled_out", "left out by sample_rate / num_samples"),
        ("empty_text", "empty text"),
        ("too_short", f"shorter than min_sample_len ({min_len} tokens)" if min_len else "too short"),
        ("dropped", f"too long (over sequence_len {seq_len})" if seq_len else "too long"),
        ("no_trained_tokens", "nothing to learn (every label masked)"),
    ]
    return [(words, _count(stats, key)) for key, words in reasons if _count(stats, key)]


def cut_rows(stats: dict[str, Any]) -> list[str]:
    """Rows kept but shortened: truncated to sequence_len, completion documents cut at 64 × sequence_len."""
    notes = []
    if _count(stats, "truncated"):
        notes.append(f"{_count(stats, 'truncated'):,} truncated to sequence_len")
    if _count(stats, "cut_documents"):
        notes.append(f"{_count(stats, 'cut_documents'):,} completion documents cut at 64 × sequence_len "
                     f"({_count(stats, 'cut_tokens'):,} tokens past the cut not used)")
    return notes


def mix_note(stats: dict[str, Any]) -> str | None:
    """dataset_mixing: weighted — the epoch's rows and how many each training dataset gave (rows repeat)."""
    drawn = stats.get("mixed_rows")
    if not isinstance(drawn, list):
        return None
    per_source = ", ".join(f"dataset {i}: {n:,}" for i, n in enumerate(drawn))
    return f"weighted mix: {_count(stats, 'train_rows'):,} training rows per epoch ({per_source})"


def data_warnings(stats: dict[str, Any]) -> list[str]:
    """The pipeline's warnings (e.g. a chat template that never writes the EOS or end-of-turn token)."""
    return [str(w) for w in stats.get("warnings") or []]


def summary_lines(stats: dict[str, Any]) -> list[str]:
    """The data summary as plain lines (train.log): kept, dropped by reason, cut, warnings."""
    kept = f"data: {_count(stats, 'rows'):,} rows kept"
    if "train_rows" in stats:
        kept += f" ({_count(stats, 'train_rows'):,} train, {_count(stats, 'eval_rows'):,} eval)"
    if "tokens" in stats:
        kept += f", {_count(stats, 'tokens'):,} tokens ({_count(stats, 'trained_tokens'):,} trained)"
    dropped = dropped_by_reason(stats)
    lines = [kept, "data: dropped " + (", ".join(f"{n:,} {words}" for words, n in dropped) if dropped else "none")]
    lines += [f"data: {note}" for note in cut_rows(stats)]
    lines += [f"data: {note}" for note in [mix_note(stats)] if note]
    lines += [f"data warning: {warning}" for warning in data_warnings(stats)]
    return lines
