"""The live panel counts the evaluation rows where it counts the training rows: test_datasets' pairs (found beside
the preset, as the run finds them) or the share val_set_size holds out, the batches of each evaluation and how
often it runs."""

from __future__ import annotations

from pathlib import Path

import yaml
from _data_helpers import write_jsonl
from _tui_editor_helpers import live_text, sync, wait_until

from tui.app import TunedeckApp


def pairs(*answers: str) -> list[dict]:
    return [{"messages": [{"role": "user", "content": f"Say {a}."}], "chosen": a, "rejected": f"not {a}"}
            for a in answers]


async def counted_live_text(preset: Path) -> str:
    """The live panel's text, on one line, once the editor's background count of the preset's data is in."""
    app = TunedeckApp(preset, count_data=True)
    async with app.run_test(size=(120, 40)) as pilot:
        counts = app.screen.state.counts
        assert await wait_until(pilot, lambda: counts.rows is not None or counts.error is not None, timeout=120)
        assert counts.error is None
        return " ".join(live_text(app).split())


@sync
async def test_the_live_panel_counts_the_test_datasets_pairs_of_a_dpo_preset(tmp_path: Path, tiny_model_dir: Path,
                                                                            monkeypatch) -> None:
    """4 training pairs at micro batch 1 → 4 steps an epoch; evals_per_epoch 2 → every 2 steps; the 3 pairs of
    test_datasets at eval_batch_size 2 → 2 batches each evaluation. The paths are relative to the preset's folder,
    which is not the working directory (the count's cache goes there)."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "project"
    (folder / "data").mkdir(parents=True)
    write_jsonl(folder / "data" / "train.jsonl", pairs("one", "two", "three", "four"))
    write_jsonl(folder / "data" / "val.jsonl", pairs("five", "six", "seven"))
    preset = folder / "dpo.yaml"
    preset.write_text(yaml.safe_dump({
        "base_model": str(tiny_model_dir), "rl": "dpo", "chat_template": "tokenizer_default", "sequence_len": 128,
        "datasets": [{"path": "data/train.jsonl", "type": "chat_template.default"}],
        "test_datasets": [{"path": "data/val.jsonl", "type": "chat_template.default"}],
        "micro_batch_size": 1, "eval_batch_size": 2, "evals_per_epoch": 2, "num_epochs": 1, "learning_rate": 1e-5,
        "output_dir": str(tmp_path / "out"), "dataset_prepared_path": str(tmp_path / "prepared")}))
    shown = await counted_live_text(preset)
    assert "7 rows (4 train, 3 eval)" in shown
    assert "Steps per epoch 4" in shown
    assert "Evaluation 3 rows (test_datasets): 2 batches per process each time, every 2 steps" in shown


@sync
async def test_the_live_panel_counts_the_rows_val_set_size_holds_out(tmp_path: Path, tiny_model_dir: Path,
                                                                     monkeypatch) -> None:
    """10 facts, val_set_size 0.2 → 2 held out, 8 train; micro batch 4 → 2 steps; no eval_steps: each epoch."""
    monkeypatch.chdir(tmp_path)  # the count's cache goes to the working directory
    data = write_jsonl(tmp_path / "facts.jsonl", [{"text": f"Fact number {i} is true."} for i in range(10)])
    preset = tmp_path / "sft.yaml"
    preset.write_text(yaml.safe_dump({
        "base_model": str(tiny_model_dir), "sequence_len": 64, "val_set_size": 0.2, "micro_batch_size": 4,
        "datasets": [{"path": str(data), "type": "completion"}], "learning_rate": 1e-5,
        "output_dir": str(tmp_path / "out"), "dataset_prepared_path": str(tmp_path / "prepared")}))
    shown = await counted_live_text(preset)
    assert "10 rows (8 train, 2 eval)" in shown
    assert "Evaluation 2 rows (held out by val_set_size): 1 batch per process each time, at each epoch's end" \
        in shown
