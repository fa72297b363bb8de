"""``tunedeck generate``: the tuned model answers what it was trained on, the base does not; bad input is one clear
error (where, what to do), never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import main
from tests._infer_helpers import demo_rows, train_demo
from tests._train_helpers import REPO, make_run_dir


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_demo(tmp_path_factory.mktemp("generate"))


def _generate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine", "generate", *args], cwd=REPO, capture_output=True,
                          check=False, text=True, timeout=300)


@pytest.mark.slow
def test_the_tuned_model_reproduces_its_training_answers_the_base_does_not(demo_run: Path, tmp_path: Path) -> None:
    prompts = tmp_path / "prompts.jsonl"
    rows = demo_rows(6)
    prompts.write_text("".join(json.dumps(r) + "\n" for r in rows))  # the assistant turn is the reference
    tuned, base = tmp_path / "tuned.jsonl", tmp_path / "base.jsonl"
    for out, extra in ((tuned, []), (base, ["--base"])):
        done = _generate(str(demo_run), "--prompts", str(prompts), "--out", str(out), "--batch-size", "4", *extra)
        assert done.returncode == 0, done.stderr
    expected = [r["messages"][-1]["content"] for r in rows]
    tuned_lines = [json.loads(line) for line in tuned.read_text().splitlines()]
    base_answers = [json.loads(line)["answer"] for line in base.read_text().splitlines()]
    assert [line["reference"] for line in tuned_lines] == expected  # one line per prompt, in order
    assert [line["messages"] for line in tuned_lines] == [r["messages"][:-1] for r in rows]
    assert tuned_lines[0]["settings"]["inference_max_new_tokens"] == 256
    remembered = sum(line["answer"] == want for line, want in zip(tuned_lines, expected, strict=False))
    assert remembered >= 5, [line["answer"] for line in tuned_lines]
    assert not any(answer == want for answer, want in zip(base_answers, expected, strict=False)), base_answers


def _error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["generate", *args]) != 0
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return " ".join(err.split())


def test_an_unknown_run_says_how_to_find_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    prompts = tmp_path / "p.jsonl"
    prompts.write_text('{"prompt": "hi"}\n')
    message = _error(capsys, "no-such-run-xyz", "--prompts", str(prompts), "--out", str(tmp_path / "o.jsonl"))
    assert "'no-such-run-xyz'" in message and "tunedeck runs" in message


def test_a_run_without_a_checkpoint_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = make_run_dir(tmp_path, {"base_model": "x", "datasets": [{"path": "d.jsonl"}]}, name="young")
    prompts = tmp_path / "p.jsonl"
    prompts.write_text('{"prompt": "hi"}\n')
    message = _error(capsys, str(run_dir), "--prompts", str(prompts), "--out", str(tmp_path / "o.jsonl"))
    assert "run young (starting) has no checkpoint yet" in message and "save_steps" in message


def test_a_model_folder_that_cannot_load_names_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "config.json").write_text('{"model_type": "llama"}')
    prompts = tmp_path / "p.jsonl"
    prompts.write_text('{"prompt": "hi"}\n')
    message = _error(capsys, str(broken), "--prompts", str(prompts), "--out", str(tmp_path / "o.jsonl"))
    assert f"could not load the tokenizer in {broken}" in message
    assert not (tmp_path / "o.jsonl").exists()


@pytest.mark.parametrize(("content", "words"), [
    ("", ["holds no prompts"]),
    ('{"prompt": "fine"}\n{"prompt": "cut short\n', ["p.jsonl:2:", "not valid JSON"]),
    ('{"prompt": "fine"}\n\n{"question": "x"}\n', ["p.jsonl:3:", "needs \"prompt\"", "'question'"]),
    ('{"messages": [{"role": "robot", "content": "x"}]}\n', ["p.jsonl:1:", "message 1", "role"]),
])
def test_a_bad_prompts_file_names_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str,
                                                words: list[str]) -> None:
    prompts = tmp_path / "p.jsonl"
    prompts.write_text(content)
    message = _error(capsys, "no-such-run-xyz", "--prompts", str(prompts), "--out", str(tmp_path / "o.jsonl"))
    for word in words:
        assert word in message


def test_an_existing_output_is_never_overwritten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "o.jsonl"
    out.write_text("mine\n")
    prompts = tmp_path / "p.jsonl"
    prompts.write_text('{"prompt": "hi"}\n')
    assert "already exists" in _error(capsys, "last", "--prompts", str(prompts), "--out", str(out))
    assert out.read_text() == "mine\n"
