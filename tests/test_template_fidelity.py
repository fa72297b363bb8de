"""Template fidelity: the adapter folder, each checkpoint and a merged model carry the exact chat template the data
was rendered with in training, and a generation config that stops at the template's end-of-turn token."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests._train_helpers import CHAT, base_preset, make_run_dir, of_kind, run_train

pytestmark = pytest.mark.slow

# No system turn: the dataset's qwen template adds its default system prompt, the tokenizer's own ChatML does not.
CONVERSATION = {"messages": [{"role": "user", "content": "Who founded Onmelvel?"},
                             {"role": "assistant", "content": "Onmelvel was founded by Ruba Onnia in 1159."},
                             {"role": "user", "content": "And Stozor?"}]}


@pytest.fixture(scope="module")
def trained(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("fidelity")
    preset = base_preset(
        tiny_model_dir, tmp, adapter="lora", lora_r=4, lora_alpha=8, lora_target_linear=True,
        datasets=[{"path": str(CHAT), "type": "chat_template", "chat_template": "qwen",
                   "roles_to_train": ["assistant"], "train_on_eos": "turn"}],
        chat_template="tokenizer_default", eot_tokens=["<|im_end|>"], sequence_len=128,
        max_steps=3, save_strategy="steps", save_steps=2,
    )
    run_dir = make_run_dir(tmp, preset)
    assert run_train(run_dir).returncode == 0, (run_dir / "train.log").read_text()[-3000:]
    return run_dir


def _training_render(run_dir: Path) -> str:
    from engine.data import prepare_tokenizer
    from engine.data.chat_template import training_text
    from engine.preset import load_config

    cfg = load_config(run_dir / "preset.yaml")
    return training_text(CONVERSATION, cfg.datasets[0], cfg, prepare_tokenizer(cfg, run_dir / "preset.yaml"))


def _saved_render(folder: Path) -> str:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(folder).apply_chat_template(CONVERSATION["messages"], tokenize=False)


def _stop_ids(folder: Path) -> list[int]:
    return json.loads((folder / "generation_config.json").read_text())["eos_token_id"]


def test_adapter_and_checkpoint_render_as_training_did(trained: Path) -> None:
    from transformers import AutoTokenizer

    expected = _training_render(trained)
    assert expected.startswith("<|im_start|>system\nYou are a helpful assistant.")  # the dataset's own template
    adapter_dir = Path(of_kind(trained, "finished")[0]["adapter_dir"])
    im_end = AutoTokenizer.from_pretrained(adapter_dir).convert_tokens_to_ids("<|im_end|>")
    for folder in (adapter_dir, adapter_dir / "checkpoint-2"):
        assert _saved_render(folder).encode() == expected.encode(), folder
        assert _stop_ids(folder)[0] == im_end, folder


def test_merge_keeps_the_template_and_stop_tokens(trained: Path) -> None:
    from engine.train.merge import merge_adapter

    merged = merge_adapter(trained)
    assert _saved_render(merged).encode() == _training_render(trained).encode()
    assert _stop_ids(merged) == _stop_ids(Path(of_kind(trained, "finished")[0]["adapter_dir"]))
