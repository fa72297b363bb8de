"""A real short run on the tiny model streaming a local jsonl (pretraining_dataset): max_steps steps of full
sequence_len blocks built from the documents in order; a stream too short for one block fails with a message."""

from __future__ import annotations

import json
from pathlib import Path

from _train_helpers import FACTS, base_preset, log_text, make_run_dir, of_kind, run_train, state

SEQ, MICRO, STEPS = 32, 2, 4


def _preset(tiny_model_dir: Path, tmp_path: Path, docs: list[str]) -> dict:
    data = tmp_path / "corpus.jsonl"
    data.write_text("".join(json.dumps({"text": d}) + "\n" for d in docs))
    preset = base_preset(tiny_model_dir, tmp_path, sequence_len=SEQ, micro_batch_size=MICRO, max_steps=STEPS,
                         sample_packing=True, pretraining_dataset=[{"path": str(data), "type": "pretrain"}])
    del preset["datasets"], preset["num_epochs"]
    return preset


def test_streamed_run_trains_max_steps_of_full_blocks_in_document_order(tiny_model_dir: Path,
                                                                         tmp_path: Path) -> None:
    import torch

    from engine.preset import load_config
    from engine.train.run import prepare_data

    docs = [json.loads(line)["text"] for line in FACTS.read_text().splitlines()]
    run_dir = make_run_dir(tmp_path, _preset(tiny_model_dir, tmp_path, docs))

    # The batches the trainer is handed: the run's own data path and collator.
    cfg = load_config(run_dir / "preset.yaml")
    from engine.train.model import load_tokenizer

    tok = load_tokenizer(cfg, run_dir / "preset.yaml")
    train, evaluation, collator, _ = prepare_data(cfg, tok, run_dir / "preset.yaml", 1)
    assert evaluation is None and not hasattr(train, "__len__")  # streamed, never counted
    loader = torch.utils.data.DataLoader(train, batch_size=MICRO, collate_fn=collator)
    batch = next(iter(loader))
    joined: list[int] = []
    for doc in docs[:8]:
        joined += tok(doc, add_special_tokens=True)["input_ids"] + [tok.eos_token_id]
    assert batch["input_ids"].shape == (MICRO, SEQ)
    assert batch["input_ids"].flatten().tolist() == joined[:MICRO * SEQ]
    assert torch.equal(batch["labels"], batch["input_ids"])  # every token learned, no padding
    assert "attention_mask" not in batch and batch["position_ids"][0, 0] == 0  # documents kept apart

    result = run_train(run_dir)
    assert result.returncode == 0, log_text(run_dir)
    assert state(run_dir)["status"] == "finished"
    steps = of_kind(run_dir, "step")
    assert [e["step"] for e in steps] == list(range(1, STEPS + 1))
    assert steps[-1]["total_steps"] == STEPS
    assert steps[-1]["num_tokens"] == STEPS * MICRO * SEQ  # full blocks: no padding anywhere
    assert "streaming pretraining_dataset" in log_text(run_dir) and "max_steps (4)" in log_text(run_dir)
    assert (Path(cfg.output_dir) / "config.json").is_file()


def test_a_stream_shorter_than_one_block_fails_saying_so(tiny_model_dir: Path, tmp_path: Path) -> None:
    run_dir = make_run_dir(tmp_path, _preset(tiny_model_dir, tmp_path, ["A short one."]))
    assert run_train(run_dir).returncode == 1
    [error] = of_kind(run_dir, "error")
    assert error["key"] == "pretraining_dataset" and "less than one block of sequence_len (32)" in error["message"]
    assert not (tmp_path / "out" / "config.json").exists()
