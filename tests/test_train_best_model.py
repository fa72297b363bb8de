"""save_strategy best with load_best_model_at_end (H2O LLM Studio's save_checkpoint: best): a real tiny run whose
evaluation loss rises after its best step ends with the best checkpoint's weights as the final model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _train_helpers import base_preset, log_text, make_run_dir, of_kind, run_train


@pytest.mark.parametrize(("top", "refused"), [
    ({"save_strategy": "best", "metric_for_best_model": "eval_loss", "load_best_model_at_end": True}, False),
    ({"save_strategy": "steps", "load_best_model_at_end": True}, True),
    ({"load_best_model_at_end": True}, True),
])
def test_load_best_model_at_end_needs_save_strategy_best(tmp_path: Path, top: dict, refused: bool) -> None:
    from _data_helpers import make_cfg

    from engine.knobs.rules import check_rules

    cfg = make_cfg(Path("m"), tmp_path, [{"path": "x.jsonl", "type": "completion"}], val_set_size=0.1, **top)
    found = [p for p in check_rules(cfg) if p.key == "load_best_model_at_end"]
    assert bool(found) == refused and all("save_strategy: best" in p.message for p in found)


@pytest.mark.slow
def test_the_final_model_is_the_best_evaluated_checkpoint(tiny_model_dir: Path, tmp_path: Path) -> None:
    import torch
    from safetensors.torch import load_file

    # A learning rate far too high: the loss falls for a step or two, then climbs, so the best is not the last.
    preset = base_preset(tiny_model_dir, tmp_path, max_steps=6, learning_rate=0.05, val_set_size=0.25,
                         eval_steps=1, save_strategy="best", metric_for_best_model="eval_loss",
                         load_best_model_at_end=True)
    run_dir = make_run_dir(tmp_path, preset)
    assert run_train(run_dir).returncode == 0, log_text(run_dir)
    evals = {e["step"]: e["eval_loss"] for e in of_kind(run_dir, "eval")}
    best = min(evals, key=evals.__getitem__)
    assert best < max(evals), f"the best evaluation must not be the last one for this test to mean anything: {evals}"
    out = Path(preset["output_dir"])
    state = json.loads(max(out.glob("checkpoint-*/trainer_state.json"), key=lambda p: p.stat().st_mtime)
                       .read_text())
    assert state["best_model_checkpoint"].endswith(f"checkpoint-{best}")
    final = load_file(out / "model.safetensors")
    kept = load_file(out / f"checkpoint-{best}" / "model.safetensors")
    assert final.keys() == kept.keys()
    assert all(torch.equal(final[k], kept[k]) for k in final)
