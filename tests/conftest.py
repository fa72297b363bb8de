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
def tiny_moe_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer Qwen3-MoE (4 experts stored as fused 3-D parameters) with the tiny model's tokenizer."""
    from _moe_helpers import build_tiny_moe

    return build_tiny_moe(tmp_path_factory.mktemp("tiny-moe"), tiny_model_dir)
