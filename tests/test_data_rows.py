"""Which rows exist, as in Axolotl, and how each dropped or cut row is counted: empty completion text, documents
past 64 × sequence_len, rows shorter than min_sample_len, rows with nothing to learn; one trained-token count;
a warning when the chat template never writes the end-of-turn token."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from _data_helpers import make_cfg, prepare, tokenizer_for, write_jsonl
from pydantic import ValidationError

from engine.data.errors import DataError
from engine.knobs import Config

FLOW = "The Barim flows through Stozor. "


def completion(tiny_model_dir, tmp_path, rows, **top):
    data = write_jsonl(tmp_path / "c.jsonl", rows)
    cfg = make_cfg(tiny_model_dir, tmp_path, [{"path": str(data), "type": "completion"}], **top)
    return tokenizer_for(cfg), prepare(cfg, use_cache=False)


def axolotl_completion(tok, text: str, seq: int) -> list[list[int]]:
    """Axolotl's completion strategy, transcribed: empty text gives nothing; the text is tokenized with truncation
    at 64 × sequence_len, EOS appended only below that length, and cut into sequence_len chunks."""
    if not text:
        return []
    limit = 64 * seq
    ids = tok(text, truncation=True, max_length=limit)["input_ids"]
    if ids and ids[-1] != tok.eos_token_id and len(ids) < limit:
        ids = [*ids, tok.eos_token_id]
    return [ids[i:i + seq] for i in range(0, len(ids), seq)]


def test_empty_completion_text_is_dropped_and_counted(tiny_model_dir, tmp_path):
    texts = ["Stozor is the capital.", "", "Zorba."]
    tok, p = completion(tiny_model_dir, tmp_path, [{"text": t} for t in texts])
    assert p.rows["input_ids"] == [c for t in texts for c in axolotl_completion(tok, t, 256)]
    assert [tok.eos_token_id] not in p.rows["input_ids"]  # no row that only teaches "stop at once"
    assert p.stats["rows"] == 2 and p.stats["empty_text"] == 1 and p.stats["datasets"][0]["empty_text"] == 1


def test_a_dataset_of_only_empty_texts_says_the_texts_are_empty(tiny_model_dir, tmp_path):
    with pytest.raises(DataError) as info:
        completion(tiny_model_dir, tmp_path, [{"text": ""}, {"text": ""}])
    message = str(info.value)
    assert "empty" in message and "2 rows" in message and "roles_to_train" not in message
    assert info.value.key == "datasets.0.field"


def test_a_document_past_64_sequences_is_cut_there_as_in_axolotl(tiny_model_dir, tmp_path):
    seq = 8
    long_text = FLOW * 120
    tok, p = completion(tiny_model_dir, tmp_path, [{"text": long_text}, {"text": "Zorba."}], sequence_len=seq)
    full = tok(long_text)["input_ids"] + [tok.eos_token_id]
    assert len(full) > 64 * seq + seq  # more than one chunk past the limit
    expected = axolotl_completion(tok, long_text, seq) + axolotl_completion(tok, "Zorba.", seq)
    assert p.rows["input_ids"] == expected and p.rows["labels"] == expected
    assert sum(len(c) for c in expected[:64]) == 64 * seq and expected[63][-1] != tok.eos_token_id
    assert p.stats["cut_documents"] == 1 and p.stats["cut_tokens"] == len(full) - 64 * seq


def _text_whose_eos_lands_alone(tok, seq: int) -> str:
    text = ""
    for word in (FLOW * 8).split():
        text = f"{text} {word}".strip()
        if len(tok(text)["input_ids"]) % seq == 0:
            return text
    raise AssertionError("no prefix fills whole chunks")


def test_one_token_chunks_follow_min_sample_len_default_2_as_in_axolotl(tiny_model_dir, tmp_path):
    seq = 8
    tok = tokenizer_for(make_cfg(tiny_model_dir, tmp_path, [{"path": "x"}]))
    text = _text_whose_eos_lands_alone(tok, seq)
    chunks = axolotl_completion(tok, text, seq)
    assert chunks[-1] == [tok.eos_token_id]
    _, p = completion(tiny_model_dir, tmp_path, [{"text": text}], sequence_len=seq)
    assert p.rows["input_ids"] == chunks[:-1]  # Axolotl's keep_min_len drops the lone EOS
    assert p.stats["too_short"] == 1
    _, kept = completion(tiny_model_dir, tmp_path, [{"text": text}], sequence_len=seq, min_sample_len=1)
    assert kept.rows["input_ids"] == chunks and kept.stats["too_short"] == 0
    _, strict = completion(tiny_model_dir, tmp_path, [{"text": text}], sequence_len=seq, min_sample_len=seq)
    assert strict.rows["input_ids"] == chunks[:-1] and strict.stats["too_short"] == 1


def test_a_dataset_of_only_short_rows_names_min_sample_len(tiny_model_dir, tmp_path):
    data = write_jsonl(tmp_path / "io.jsonl", [{"segments": [{"label": True, "text": "a"}]}] * 3)
    cfg = make_cfg(tiny_model_dir, tmp_path, [{"path": str(data), "type": "input_output"}])
    with pytest.raises(DataError) as info:
        prepare(cfg, use_cache=False)
    assert info.value.key == "min_sample_len" and "all 3 rows" in str(info.value) and "1 keeps" in str(info.value)


def test_min_sample_len_counts_rows_before_truncation(tiny_model_dir, tmp_path):
    """Axolotl filters short rows on their full length, then truncates: a long row survives a minimum above
    sequence_len when it is truncated."""
    long = {"segments": [{"label": True, "text": FLOW * 4}]}
    short = {"segments": [{"label": True, "text": "Zorba"}]}
    data = write_jsonl(tmp_path / "io.jsonl", [short, long])
    cfg = make_cfg(tiny_model_dir, tmp_path, [{"path": str(data), "type": "input_output"}], sequence_len=8,
                   excess_length_strategy="truncate", min_sample_len=12)
    p = prepare(cfg, use_cache=False)
    assert p.stats["too_short"] == 1 and p.stats["truncated"] == 1 and [len(r) for r in p.rows["input_ids"]] == [8]


def test_min_sample_len_is_part_of_the_cache_key(tiny_model_dir, tmp_path):
    seq = 8
    tok = tokenizer_for(make_cfg(tiny_model_dir, tmp_path, [{"path": "x"}]))
    data = write_jsonl(tmp_path / "c.jsonl", [{"text": _text_whose_eos_lands_alone(tok, seq)}])
    ds = [{"path": str(data), "type": "completion"}]
    default = prepare(make_cfg(tiny_model_dir, tmp_path, ds, sequence_len=seq))
    ones = prepare(make_cfg(tiny_model_dir, tmp_path, ds, sequence_len=seq, min_sample_len=1))
    assert not ones.cache_hit and len(ones.rows) == len(default.rows) + 1


def test_min_sample_len_is_a_knob_validated_with_its_reason():
    from engine.knobs.registry import get_knob

    info = get_knob("min_sample_len")
    assert info is not None and info.default == 2 and info.section.value == "Sequence & batching"
    assert "one-token" in info.what and info.cost and info.typical
    assert Config(min_sample_len=1).min_sample_len == 1
    with pytest.raises(ValidationError) as zero:
        Config(min_sample_len=0)
    assert "1 keeps every row" in str(zero.value) and "Axolotl" in str(zero.value)


def test_min_sample_len_above_sequence_len_drops_everything_at_validate():
    from engine.knobs.rules import check_rules

    base = {"base_model": "org/model", "datasets": [{"path": "data.jsonl"}], "sequence_len": 64}
    problems = [p for p in check_rules(Config(**base, min_sample_len=65)) if p.key == "min_sample_len"]
    assert len(problems) == 1 and problems[0].severity == "error"
    assert "sequence_len" in problems[0].message and "excess_length_strategy" in problems[0].message
    assert not [p for p in check_rules(Config(**base, min_sample_len=64)) if p.key == "min_sample_len"]
    truncating = Config(**base, min_sample_len=65, excess_length_strategy="truncate")
    assert not [p for p in check_rules(truncating) if p.key == "min_sample_len"]


# --- what preprocess and preview report ------------------------------------------------------------------------

def _preset(tmp_path, tiny_model_dir, **extra) -> str:
    chat = write_jsonl(tmp_path / "chat.jsonl", [
        {"messages": [{"role": "user", "content": "Question?"}, {"role": "assistant", "content": "Answer."}]},
        {"messages": [{"role": "user", "content": "Only a question?"}]},  # nothing to learn
    ])
    write_jsonl(tmp_path / "facts.jsonl", [{"text": "Loruka is a country."}, {"text": ""}])
    lines = [f"base_model: {tiny_model_dir}", "datasets:", f"  - path: {chat}", "    type: chat_template",
             f"  - path: {tmp_path / 'facts.jsonl'}", "    type: completion", f"output_dir: {tmp_path}/out",
             "sequence_len: 64"] + [f"{k}: {v}" for k, v in extra.items()]
    preset = tmp_path / "p.yaml"
    preset.write_text("\n".join(lines) + "\n")
    return str(preset)


def _cli(*args: str) -> subprocess.CompletedProcess:
    from conftest import REPO

    return subprocess.run([sys.executable, "-m", "engine.cli", *args], capture_output=True, text=True, cwd=REPO,
                          check=False)


def test_preprocess_reports_every_drop_and_a_trained_count_equal_to_the_export(tiny_model_dir, tmp_path):
    preset = _preset(tmp_path, tiny_model_dir, eot_tokens='["<|im_end|>"]')
    out = tmp_path / "rows.jsonl"
    run = _cli("preprocess", preset, "--export", str(out), "--no-cache")
    assert run.returncode == 0, run.stderr
    exported = [json.loads(line) for line in out.read_text().splitlines()]
    labelled = sum(label != -100 for row in exported for label in row["labels"])
    text = " ".join(run.stdout.split())
    assert f"{labelled} trained" in text
    assert "dropped: 1 with empty text, 0 shorter than min_sample_len (2 tokens), 0 longer than sequence_len, " \
           "1 with nothing to learn" in text
    assert "warning" not in text.lower()


def test_preview_json_carries_the_counts_and_the_template_warning(tiny_model_dir, tmp_path):
    run = _cli("preview", _preset(tmp_path, tiny_model_dir), "--json", "-n", "1")
    assert run.returncode == 0, run.stderr
    stats = json.loads(run.stdout)["stats"]
    assert (stats["empty_text"], stats["no_trained_tokens"], stats["too_short"]) == (1, 1, 0)
    assert stats["trained_tokens"] == sum(d["trained_tokens"] for d in stats["datasets"])
    [warning] = stats["warnings"]  # the tiny ChatML template ends turns with <|im_end|>, its EOS is </s>
    assert "dataset 0" in warning and "'</s>'" in warning and "eot_tokens" in warning


def test_template_warnings_follow_axolotl(tiny_model_dir, tmp_path):
    from engine.data.chat_template import template_warnings

    def warnings(eot_tokens=None, **ds):
        cfg = make_cfg(tiny_model_dir, tmp_path, [{"path": "x", "type": "chat_template", **ds}],
                       eot_tokens=eot_tokens)
        return template_warnings(cfg.datasets[0], cfg, tokenizer_for(cfg), 0)

    assert warnings(["<|im_end|>"]) == []
    [ignored] = warnings(["<|im_end|>", "<|eot_id|>"])
    assert "'<|eot_id|>'" in ignored and "ignored" in ignored
    eos_in_template = "{% for m in messages %}{{ m['content'] + eos_token }}{% endfor %}"
    assert warnings(chat_template="jinja", chat_template_jinja=eos_in_template) == []
    [missing] = warnings()
    assert "'</s>'" in missing and "stop" in missing


def test_preprocess_prints_the_template_warning(tiny_model_dir, tmp_path):
    run = _cli("preprocess", _preset(tmp_path, tiny_model_dir), "--no-cache")
    assert run.returncode == 0, run.stderr
    assert "warning: dataset 0" in " ".join(run.stdout.split())
