"""The launch dialog's words for what an output_dir holds (tui.screens.launch_choice.question_text)."""

from __future__ import annotations

from pathlib import Path

from engine.runs.checkpoints import Checkpoint
from engine.runs.output_dir import Existing, LaunchQuestion, RunRecord
from tui.screens.launch_choice import choices, question_text


def _question(tmp_path: Path, status: str, final_model: bool) -> LaunchQuestion:
    preset = tmp_path / "demo.yaml"
    out = tmp_path / "out"
    run = RunRecord(run_id="r1", preset=str(preset), status=status, started_at=0.0, machine_rank=0)
    ckpt = Checkpoint(path=out / "checkpoint-456", step=456, missing=())
    existing = Existing(out, preset, runs=[run], resumable=ckpt, final_model=final_model)
    return LaunchQuestion(existing, tmp_path / "out-2")


def test_a_stopped_run_resumes_from_its_checkpoint(tmp_path: Path) -> None:
    text = question_text(_question(tmp_path, "stopped", final_model=False))
    assert "Resume continues from step 456." in text
    assert choices(_question(tmp_path, "stopped", final_model=False))[0] == "resume"


def test_a_finished_run_says_resume_trains_only_past_its_last_step(tmp_path: Path) -> None:
    """A finished run's last checkpoint is its last step: resuming as is trains nothing (it used to promise that
    Resume 'continues from step 456' on a 456-step run)."""
    text = question_text(_question(tmp_path, "finished", final_model=True))
    assert "continues from step" not in text
    assert "That run finished: Resume trains only past step 456" in text
    assert "a larger num_epochs or max_steps" in text
    assert "which the resumed run replaces when it finishes" in text
