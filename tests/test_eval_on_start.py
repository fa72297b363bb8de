"""eval_on_start (Axolotl's key, H2O's evaluate_before_training): one evaluation before the first step."""

from __future__ import annotations

from pathlib import Path

from _import_helpers import H2O

from engine.importers import import_config
from engine.knobs import Config
from engine.knobs.rules import check_rules
from engine.train.args import build_sft_config, plan
from engine.train.hardware import resolve_precision

DATA = [{"path": "data.jsonl", "type": "completion"}]


def sft_config(has_eval: bool, **knobs):
    c = Config(base_model="m", datasets=DATA, val_set_size=0.1, **knobs)
    precision = resolve_precision(c, cuda=False, bf16_supported=False)
    return build_sft_config(c, precision, plan(c, 40, 1), has_eval=has_eval, preset_path=None)


def test_eval_on_start_reaches_the_trainer(tmp_path: Path) -> None:
    assert sft_config(True, output_dir=str(tmp_path), eval_on_start=True).eval_on_start is True
    assert sft_config(True, output_dir=str(tmp_path)).eval_on_start is False
    assert sft_config(False, output_dir=str(tmp_path), eval_on_start=True).eval_on_start is False  # nothing to evaluate


def test_eval_on_start_without_validation_is_a_warning() -> None:
    problems = [p for p in check_rules(Config(base_model="m", datasets=DATA, eval_on_start=True))
                if p.key == "eval_on_start"]
    assert problems and "nothing to evaluate on" in problems[0].message


def test_h2o_evaluate_before_training_imports_exactly(tmp_path: Path) -> None:
    src = tmp_path / "cfg.yaml"
    text = H2O.format(model="org/model")
    src.write_text(text.replace("training:\n", "training:\n    evaluate_before_training: true\n", 1))
    imported = import_config(src)
    entry = next(e for e in imported.report.entries if e.source == "training.evaluate_before_training")
    assert (entry.status, entry.target) == ("exact", "eval_on_start")
    assert imported.preset["eval_on_start"] is True
