"""Preference rows in SiloGen's and turbo-alignment's own shapes, read by chat_template.default with field-name
knobs: hand-checked ChatML strings and trl's token ids, and a bad KTO label naming its row and knob."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _data_helpers import make_cfg, tokenizer_for, write_jsonl

from engine.data.errors import DataError
from engine.data.preference import prepare_preference
from engine.knobs.rules import check_rules

TURBO_ROLES = {"user": ["user"], "assistant": ["bot"], "system": ["system"]}
TURBO_KTO = {"type": "chat_template.default", "field_messages": "context", "field_completion": "answer",
             "field_label": "is_desirable", "roles": TURBO_ROLES}
CONTEXT = [{"role": "user", "content": "hi"}, {"role": "bot", "content": "hello"}, {"role": "user", "content": "how?"}]
PROMPT = ("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nhello<|im_end|>\n<|im_start|>user\nhow?<|im_end|>\n"
          "<|im_start|>assistant\n")


def _prepare(tiny_model_dir: Path, tmp_path: Path, rows: list[Any], rl: str, **ds: Any) -> Any:
    data = write_jsonl(tmp_path / "rows.jsonl", rows)
    cfg = make_cfg(tiny_model_dir, tmp_path, [{"path": str(data), **ds}], rl=rl, chat_template="tokenizer_default")
    tok = tokenizer_for(cfg)
    return cfg, prepare_preference(cfg, tok, use_cache=False), tok


def _ids_are_trls(row: dict[str, Any], tok: Any, answers: tuple[str, ...]) -> None:
    for part in answers:
        assert row["prompt_ids"] + row[f"{part}_ids"] == tok(row["prompt"] + row[part])["input_ids"]
        assert tok.decode(row[f"{part}_ids"]) == row[part]


def test_turbo_alignment_kto_rows(tiny_model_dir: Path, tmp_path: Path) -> None:
    rows = [{"id": "0", "context": CONTEXT, "answer": {"role": "bot", "content": "fine"}, "is_desirable": True},
            {"id": "1", "context": CONTEXT, "answer": {"role": "bot", "content": "go away"}, "is_desirable": False}]
    cfg, prepared, tok = _prepare(tiny_model_dir, tmp_path, rows, "kto", **TURBO_KTO)
    assert not [p for p in check_rules(cfg) if p.severity == "error"]
    first, second = prepared.rows[0], prepared.rows[1]
    assert first["prompt"] == PROMPT
    assert first["completion"] == "fine<|im_end|></s>" and first["label"] is True
    assert second["completion"] == "go away<|im_end|></s>" and second["label"] is False
    _ids_are_trls(first, tok, ("completion",))
    assert (prepared.stats["desirable"], prepared.stats["undesirable"]) == (1, 1)


def test_turbo_alignment_pair_rows(tiny_model_dir: Path, tmp_path: Path) -> None:
    rows = [{"id": "0", "context": CONTEXT, "answer_w": {"role": "bot", "content": "fine"},
             "answer_l": {"role": "bot", "content": "bad"}}]
    _, prepared, tok = _prepare(tiny_model_dir, tmp_path, rows, "dpo", type="chat_template.default",
                                field_messages="context", field_chosen="answer_w", field_rejected="answer_l",
                                roles=TURBO_ROLES)
    row = prepared.rows[0]
    assert row["prompt"] == PROMPT
    assert (row["chosen"], row["rejected"]) == ("fine<|im_end|></s>", "bad<|im_end|></s>")
    _ids_are_trls(row, tok, ("chosen", "rejected"))


def test_silogen_pair_rows(tiny_model_dir: Path, tmp_path: Path) -> None:
    rows = [{"prompt_messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "2 + 2?"}],
             "chosen_messages": [{"role": "assistant", "content": "4."}],
             "rejected_messages": [{"role": "assistant", "content": "Maybe 5."}]}]
    _, prepared, tok = _prepare(tiny_model_dir, tmp_path, rows, "dpo", type="chat_template.default",
                                field_messages="prompt_messages", field_chosen="chosen_messages",
                                field_rejected="rejected_messages")
    row = prepared.rows[0]
    assert row["prompt"] == ("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n2 + 2?<|im_end|>\n"
                             "<|im_start|>assistant\n")
    assert (row["chosen"], row["rejected"]) == ("4.<|im_end|></s>", "Maybe 5.<|im_end|></s>")
    _ids_are_trls(row, tok, ("chosen", "rejected"))


def test_a_kto_label_that_is_not_true_or_false_names_its_row(tiny_model_dir: Path, tmp_path: Path) -> None:
    rows = [{"context": CONTEXT, "answer": "fine", "is_desirable": True},
            {"context": CONTEXT, "answer": "bad", "is_desirable": "no"}]
    with pytest.raises(DataError) as err:
        _prepare(tiny_model_dir, tmp_path, rows, "kto", **TURBO_KTO)
    assert "rows.jsonl:2" in str(err.value) and "'is_desirable'" in str(err.value)
    assert err.value.key == "datasets.0.field_label"


def test_field_label_must_name_a_column(tiny_model_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="column name is empty"):
        make_cfg(tiny_model_dir, tmp_path, [{"path": "x.jsonl", **TURBO_KTO, "field_label": " "}], rl="kto")
