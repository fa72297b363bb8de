"""A headless run's train.log opens with the data summary: rows kept, the rows dropped for each reason, the
warnings (what the TUI's preview panel shows, engine.data.summary's words)."""

from __future__ import annotations

from pathlib import Path

import pytest
from _data_helpers import write_jsonl
from _train_helpers import base_preset, log_text, make_run_dir, run_train

pytestmark = pytest.mark.slow


def test_train_log_has_the_data_summary_once(tiny_model_dir: Path, tmp_path: Path) -> None:
    facts = write_jsonl(tmp_path / "facts.jsonl", [{"text": "Loruka is a country."}, {"text": ""}] * 4)
    chat = write_jsonl(tmp_path / "chat.jsonl", [
        {"messages": [{"role": "user", "content": "Question?"}, {"role": "assistant", "content": "Answer."}]},
        {"messages": [{"role": "user", "content": "Only a question?"}]},  # nothing to learn
    ])
    preset = base_preset(tiny_model_dir, tmp_path, datasets=[
        {"path": str(facts), "type": "completion"}, {"path": str(chat), "type": "chat_template"}])
    run_dir = make_run_dir(tmp_path, preset)
    assert run_train(run_dir).returncode == 0, log_text(run_dir)
    log = log_text(run_dir)
    assert "tunedeck: data: 5 rows kept" in log
    assert log.count("tunedeck: data: dropped 4 empty text, 1 nothing to learn (every label masked)\n") == 1
    # the tiny ChatML template ends turns with <|im_end|>, its EOS is </s>: Axolotl's warning
    assert "tunedeck: data warning: dataset 1" in log and "eot_tokens" in log
