"""Shared test set-up: an offline, sandboxed environment and a tiny model built locally."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PRESETS = REPO / "presets"
BUNDLED_MODEL = PRESETS / "tiny" / "model"

# Set before anything imports huggingface_hub/wandb: nothing in the tests may reach a hub.
_SANDBOX = Path(tempfile.mkdtemp(prefix="tunedeck-tests-"))
os.environ.update({
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HOME": str(_SANDBOX / "hf"),
    "WANDB_MODE": "offline",
    "WANDB_DIR": str(_SANDBOX / "wandb"),
    "WANDB_CACHE_DIR": str(_SANDBOX / "wandb-cache"),
    "WANDB_CONFIG_DIR": str(_SANDBOX / "wandb-config"),
    "WANDB_DATA_DIR": str(_SANDBOX / "wandb-data"),
    "WANDB_SILENT": "true",
    "TUNEDECK_HOME": str(_SANDBOX / "tunedeck-home"),
    "TOKENIZERS_PARALLELISM": "false",
    "DISABLE_TQDM": "0",
})


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer Llama and a BPE tokenizer (with a ChatML template), trained on the bundled demo text."""
    import json

    from engine.tiny_model import build_tiny_model

    texts: list[str] = []
    for line in (PRESETS / "tiny" / "chat.jsonl").read_text().splitlines():
        texts += [m["content"] for m in json.loads(line)["messages"]]
    texts += [json.loads(line)["text"] for line in (PRESETS / "tiny" / "facts.jsonl").read_text().splitlines()]
    texts += ["human gpt system user assistant Hello, how are you? I am fine. The quick brown fox."]
    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"), texts, vocab_size=400, hidden_size=64)


@pytest.fixture(scope="session")
def tiny_vision_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny LLaVA (CLIP vision tower, Llama language model) with its processor: 4 image tokens per picture."""
    from engine.tiny_model import build_tiny_vision_model

    texts = ["USER: ASSISTANT: What is in the picture? What colour is it? A red square. A blue circle."] * 20
    return build_tiny_vision_model(tmp_path_factory.mktemp("tiny-vision"), texts)


@pytest.fixture(scope="session")
def tiny_mllama_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Llama 3.2 Vision (cross-attention to the image; one <|image|> token per picture) with its processor."""
    from engine.tiny_model import build_tiny_mllama_model

    texts = ["user assistant What is in the picture? What colour is it? A red square. A blue circle."] * 20
    return build_tiny_mllama_model(tmp_path_factory.mktemp("tiny-mllama"), texts)


@pytest.fixture(scope="session")
def tiny_moe_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer Qwen3-MoE (4 experts stored as fused 3-D parameters) with the tiny model's tokenizer."""
    from _moe_helpers import build_tiny_moe

    return build_tiny_moe(tmp_path_factory.mktemp("tiny-moe"), tiny_model_dir)


@pytest.fixture(autouse=True)
def _app_runs_from_a_project_folder(request: pytest.FixtureRequest) -> None:
    """The TUI runs from a project folder of the test's own, as a user runs it from theirs: its background data
    count caches where a run of the preset would (a relative output_dir is read from the working directory), so
    from the repository it would write there."""
    if "TunedeckApp" in vars(request.module) or "app_for" in vars(request.module):
        request.getfixturevalue("monkeypatch").chdir(request.getfixturevalue("tmp_path"))


# --- the tests leave the checkout as they found it -------------------------------------------------------------
# A preset with a relative output_dir (or dataset_prepared_path) run from the repository writes its tokenized-data
# cache there (last_run_prepared/, outputs/...), and .gitignore hides it. The session fails when the checkout
# gained such ignored paths, so a test that writes there is found the day it is written.
TOOL_CACHES = {".venv", "__pycache__", ".pytest_cache", ".hypothesis", ".mypy_cache", ".ruff_cache"}
_BEFORE = pytest.StashKey[set[str]]()
_GAINED = pytest.StashKey[list[str]]()


def ignored_paths(root: Path = REPO) -> set[str] | None:
    """The paths git ignores in the checkout at ``root``, less the caches tools keep; None when git cannot say."""
    import subprocess

    try:
        out = subprocess.run(["git", "status", "--porcelain", "--ignored"], cwd=root, capture_output=True,
                             text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode:
        return None
    paths = {line[3:] for line in out.stdout.splitlines() if line.startswith("!! ")}
    return {p for p in paths if not TOOL_CACHES & set(p.rstrip("/").split("/"))
            and not p.rstrip("/").endswith((".egg-info", ".pyc"))}


def _controller(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput")  # xdist workers share the controller's checkout


def pytest_sessionstart(session: pytest.Session) -> None:
    if _controller(session.config):
        before = ignored_paths()
        if before is not None:
            session.config.stash[_BEFORE] = before


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    before = config.stash.get(_BEFORE, None) if _controller(config) else None
    if before is None:
        return
    after = ignored_paths()
    gained = sorted(after - before) if after is not None else []
    config.stash[_GAINED] = gained
    if gained and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    gained = config.stash.get(_GAINED, [])
    if gained:
        terminalreporter.write_line(
            f"FAILED: the tests wrote into the repository {REPO}: {', '.join(gained)} (ignored by git, so easy to "
            "miss). Give the test's preset an output_dir and dataset_prepared_path under tmp_path, then delete "
            "these paths.", red=True, bold=True)
