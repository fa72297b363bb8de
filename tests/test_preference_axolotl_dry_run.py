"""Axolotl's own DPO, ORPO and KTO example configs (tests/fixtures/axolotl, see SOURCES.md) dry-run through
`tunedeck train --dry-run`, with the model and dataset paths pointed at local files: the bundled tiny model and a
dozen of the bundled pairs rewritten into each config's dataset shape. The counts follow the config's own batch,
epochs and val_set_size."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _resume_helpers import tunedeck
from _runs_helpers import REPO

FIXTURES = REPO / "tests" / "fixtures" / "axolotl"
PAIRS = [json.loads(line) for line in (REPO / "presets" / "tiny" / "pairs.jsonl").read_text().splitlines()[:12]]


def _question(pair: dict[str, Any]) -> str:
    return pair["messages"][-1]["content"]


def _dpo_rows() -> list[dict[str, Any]]:  # chat_template.default, field_messages: conversation
    return [{"conversation": [{"role": "user", "content": _question(p)}],
             "chosen": {"role": "assistant", "content": p["chosen"]},
             "rejected": {"role": "assistant", "content": p["rejected"]}} for p in PAIRS]


def _orpo_rows() -> list[dict[str, Any]]:  # chat_template.argilla: two conversations ending in the answers
    return [{part: [{"role": "user", "content": _question(p)}, {"role": "assistant", "content": p[part]}]
             for part in ("chosen", "rejected")} for p in PAIRS]


def _kto_rows() -> list[dict[str, Any]]:  # llama3.ultra for KTO: prompt, completion, label
    return [{"prompt": _question(p), "completion": p[part], "label": part == "chosen"}
            for p in PAIRS for part in ("chosen", "rejected")]


# fixture, rows, its rl, what its batch and val_set_size make of them (worked out in the comment)
CASES = [
    # 12 pairs, val_set_size 0.05 → 1 held out, 11 train; micro 2 → 6 batches, accumulation 4 → 2 steps; 4 epochs
    ("llama3-instruct-dpo-lora-8b.yml", _dpo_rows, "dpo", "steps 8 (11 training rows, 2 steps per epoch)"),
    # 12 pairs, val_set_size 0.1 → 2 held out, 10 train; micro 2 → 5 batches, accumulation 4 → 2 steps; 1 epoch
    ("mistral-qlora-orpo.yml", _orpo_rows, "orpo", "steps 2 (10 training rows, 2 steps per epoch)"),
    # 24 rows (12 desirable, 12 undesirable), no validation; micro 2, accumulation 1 → 12 steps; 1 epoch
    ("llama3-qlora-1b-kto.yaml", _kto_rows, "kto", "steps 12 (24 training rows, 12 steps per epoch)"),
]


@pytest.mark.parametrize(("fixture", "rows", "rl", "steps"), CASES, ids=[c[2] for c in CASES])
def test_axolotls_preference_example_dry_runs(tmp_path: Path, fixture: str, rows: Any, rl: str, steps: str) -> None:
    data = tmp_path / f"{rl}.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows()))
    out = tunedeck("train", str(FIXTURES / fixture), "--dry-run", "--set", f"base_model={REPO}/presets/tiny/model",
                   "--set", f"datasets.0.path={data}", "--set", f"output_dir={tmp_path / 'out'}",
                   # the ORPO and KTO examples name a relative last_run_prepared: the count's cache goes to tmp too
                   "--set", f"dataset_prepared_path={tmp_path / 'prepared'}")
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "Traceback" not in out.stderr and "error" not in out.stderr.lower()
    assert f"\nrl: {rl}\n" in out.stdout  # the resolved preset the run would get
    assert steps in out.stdout
    assert "resume no: starts at step 0" in out.stdout and "overwrites nothing" in out.stdout
    assert not (tmp_path / "out").exists()  # a dry run writes nothing
