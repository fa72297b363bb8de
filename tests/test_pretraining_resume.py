"""A streamed pretraining run (pretraining_dataset) resumed from a checkpoint goes on at the block it stopped at,
also past the end of the stream (read again from its start within the run), and two processes share each step's
blocks without reading any twice: real tiny-model runs whose losses equal an uninterrupted one-process run's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _resume_helpers import run_folders, tunedeck
from _train_helpers import FACTS, base_preset, log_text, make_run_dir, of_kind, run_train
from conftest import BUNDLED_MODEL

pytestmark = pytest.mark.slow

SEQ, MICRO = 128, 2  # the bundled tokenizer cuts the 40 facts into 8 blocks of 128: 4 steps per pass


def _preset(tmp_path: Path, **extra: object) -> dict:
    data = tmp_path / "corpus.jsonl"
    if not data.exists():
        data.write_text(FACTS.read_text())
    knobs = {"sequence_len": SEQ, "micro_batch_size": MICRO, "sample_packing": True, "learning_rate": 1e-3,
             "pretraining_dataset": [{"path": str(data), "type": "pretrain"}], "gradient_checkpointing": False}
    preset = base_preset(BUNDLED_MODEL, tmp_path, **{**knobs, **extra})
    del preset["datasets"], preset["num_epochs"]
    return preset


def _losses(run_dir: Path) -> dict[int, float]:
    return {e["step"]: e["loss"] for e in of_kind(run_dir, "step")}


def test_a_resumed_stream_goes_on_at_its_block_past_the_end_of_the_stream(tmp_path: Path) -> None:
    whole = make_run_dir(tmp_path, _preset(tmp_path, max_steps=7, save_strategy="steps",
                                           save_steps=6, output_dir=str(tmp_path / "whole")), "whole")
    assert run_train(whole).returncode == 0, log_text(whole)
    assert "pass 1 over pretraining_dataset" in log_text(whole) and "ended after 8 blocks" in log_text(whole)

    # Step 6 ended in the middle of the second pass (blocks 4 and 5 of it); step 7 reads blocks 6 and 7.
    checkpoint = tmp_path / "whole" / "checkpoint-6"
    resumed = make_run_dir(tmp_path, _preset(tmp_path, max_steps=7, resume_from_checkpoint=str(
        checkpoint), output_dir=str(tmp_path / "resumed")), "resumed")
    assert run_train(resumed).returncode == 0, log_text(resumed)
    assert f"resuming from {checkpoint}" in log_text(resumed)
    assert "reading again the 12 blocks (6 batches) trained before the checkpoint" in log_text(resumed)
    assert list(_losses(resumed)) == [7]
    assert _losses(resumed)[7] == pytest.approx(_losses(whole)[7], rel=1e-6)  # the same blocks, the same weights


def test_two_processes_train_each_block_once(tmp_path: Path) -> None:
    """Each of two processes takes one block of every step: the mean loss over both is the one-process run's on
    two blocks per step; had both read the same block, it would be the loss of one block."""
    one = make_run_dir(tmp_path, _preset(tmp_path, max_steps=3, output_dir=str(tmp_path / "one")),
                       "one")
    assert run_train(one).returncode == 0, log_text(one)

    two = tmp_path / "two.yaml"
    two.write_text(json.dumps(_preset(tmp_path, max_steps=3, micro_batch_size=1, gpus_per_node=2,
                                      output_dir=str(tmp_path / "two"))))
    out = tunedeck("train", str(two))
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "--multi_gpu" in out.stdout and "finished at step 3" in out.stdout
    (run_dir,) = run_folders(tmp_path / "two")
    start = of_kind(run_dir, "start")[0]
    assert start["num_processes"] == 2 and start["effective_batch_size"] == MICRO
    assert of_kind(run_dir, "step")[-1]["num_tokens"] == 3 * MICRO * SEQ
    losses, expected = _losses(run_dir), _losses(one)
    assert list(losses) == [1, 2, 3]
    assert [losses[s] for s in losses] == pytest.approx([expected[s] for s in losses], rel=1e-5)
