"""The editor's data count (tui.preview_runner) caches the tokenized data where a run of the preset would, beside
its output_dir, not in the folder the TUI was started from (it once left last_run_prepared/ there)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import PRESETS


def test_the_count_caches_beside_the_presets_output_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tui.preview_runner import data_subset, run_preview

    started_in = tmp_path / "started-here"
    started_in.mkdir()
    monkeypatch.chdir(started_in)
    plain = {"base_model": str(PRESETS / "tiny" / "model"), "sequence_len": 64, "output_dir": str(tmp_path / "out"),
             "datasets": [{"path": str(PRESETS / "tiny" / "facts.jsonl"), "type": "completion"}]}
    result = run_preview(data_subset(plain, tmp_path / "preset.yaml"))
    assert result.error is None, result.error_text()
    assert result.stats["rows"] > 0
    assert [p.name for p in (tmp_path / "last_run_prepared").iterdir()]  # where `tunedeck train` will look
    assert list(started_in.iterdir()) == []


def test_dataset_prepared_path_is_kept_and_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tui.preview_runner import data_subset

    monkeypatch.chdir(tmp_path)
    subset = data_subset({"dataset_prepared_path": "prep", "output_dir": "/elsewhere/out"}, None)
    assert subset["dataset_prepared_path"] == str(tmp_path / "prep")
