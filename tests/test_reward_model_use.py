"""Using a trained reward model as what it is, a scorer: ``tunedeck merge`` folds a LoRA reward adapter and its
saved score head into a standalone sequence-classification model that scores every conversation as base + adapter
does (alone and in a padded batch); ``tunedeck chat``, ``tunedeck generate`` and the TUI's chat screen refuse the
run and the merged model alike with one paragraph saying how to score with it, instead of generating garbage."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from _reward_helpers import conversation, reward_pairs, reward_settings
from _train_helpers import REPO, base_preset, log_text, make_run_dir, of_kind, run_train
from _tui_run_helpers import HostApp, screen_text, wait_until

from engine.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lora_reward_run(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Any]]:
    """A LoRA reward model (adapter + score head) trained for one epoch on the twelve pairs."""
    tmp = tmp_path_factory.mktemp("reward-lora")
    data, rows = reward_pairs(tmp)
    preset = base_preset(tiny_model_dir, tmp, **{**reward_settings(data), "num_epochs": 1, "adapter": "lora",
                                                  "lora_r": 8, "lora_alpha": 16, "lora_target_linear": True,
                                                  "learning_rate": 3e-3})
    run_dir = make_run_dir(tmp, preset)
    assert run_train(run_dir).returncode == 0, log_text(run_dir)
    return run_dir, rows


@pytest.fixture(scope="module")
def merged(lora_reward_run: tuple[Path, list[Any]]) -> Path:
    run_dir, _ = lora_reward_run
    out = run_dir.parent.parent / "merged"
    done = subprocess.run([sys.executable, "-m", "engine", "merge", str(run_dir), "--out", str(out)], cwd=REPO,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return out


def test_merge_writes_a_reward_model_that_scores_as_base_plus_adapter(lora_reward_run: tuple[Path, list[Any]],
                                                                      merged: Path) -> None:
    import json

    import torch
    from peft import AutoPeftModelForSequenceClassification
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    run_dir, rows = lora_reward_run
    config = json.loads((merged / "config.json").read_text())
    assert config["architectures"] == ["LlamaForSequenceClassification"] and len(config["id2label"]) == 1
    assert not (merged / "adapter_config.json").exists()
    tokenizer = AutoTokenizer.from_pretrained(merged)
    assert config["pad_token_id"] == tokenizer.pad_token_id is not None
    texts = [tokenizer.apply_chat_template(conversation(r, answer), tokenize=False)
             for r in rows[:4] for answer in (r["chosen"], r["rejected"])]
    reference = AutoPeftModelForSequenceClassification.from_pretrained(
        of_kind(run_dir, "finished")[0]["adapter_dir"], num_labels=1).eval()
    model = AutoModelForSequenceClassification.from_pretrained(merged).eval()
    with torch.no_grad():
        want = torch.stack([reference(**tokenizer(t, return_tensors="pt")).logits[0] for t in texts])
        alone = torch.stack([model(**tokenizer(t, return_tensors="pt")).logits[0] for t in texts])
        batch = model(**tokenizer(texts, return_tensors="pt", padding=True)).logits  # read at each last real token
    torch.testing.assert_close(alone, want, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(batch, want, rtol=1e-4, atol=1e-4)
    assert want.shape == (8, 1) and len({round(float(s), 4) for s in want}) > 1  # real, differing scores


def _refusal(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(list(args)) != 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and "model>" not in captured.out
    return " ".join(captured.err.split())


def test_chat_and_generate_refuse_a_reward_model_saying_how_to_score(
        lora_reward_run: tuple[Path, list[Any]], merged: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    run_dir, _ = lora_reward_run
    prompts = tmp_path / "p.jsonl"
    prompts.write_text('{"prompt": "hi"}\n')
    out = tmp_path / "o.jsonl"
    for message in (_refusal(capsys, "chat", str(run_dir)),
                    _refusal(capsys, "generate", str(run_dir), "--prompts", str(prompts), "--out", str(out))):
        assert "is a reward model (reward_model: true)" in message and "cannot chat or answer prompts" in message
        assert "AutoPeftModelForSequenceClassification.from_pretrained(" in message and "tunedeck merge" in message
    assert not out.exists()
    message = _refusal(capsys, "chat", str(merged))  # the merged folder: known by its architecture
    assert "is a reward model" in message and f"AutoModelForSequenceClassification.from_pretrained('{merged}')" \
        in message


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_the_chat_screen_refuses_a_reward_model_without_starting_a_model(
        lora_reward_run: tuple[Path, list[Any]]) -> None:
    from tui.screens.chat import ChatScreen

    run_dir, _ = lora_reward_run
    screen = ChatScreen(str(run_dir))
    app = HostApp(lambda: screen)
    async with app.run_test(size=(120, 30)) as pilot:
        assert await wait_until(pilot, lambda: "is a reward model" in " ".join(screen_text(app).split()))
        text = " ".join(screen_text(app).split())
        assert "Nothing to chat with." in text and "AutoPeftModelForSequenceClassification" in text
        assert screen.model.pid is None  # no model process was started


def _cached_hub_model(repo_id: str, architecture: str) -> None:
    """A hub model in the local cache (the layout huggingface_hub writes: refs/main → snapshots/<commit>/)."""
    from huggingface_hub import constants

    root = Path(constants.HF_HUB_CACHE) / f"models--{repo_id.replace('/', '--')}"
    commit = "0123456789abcdef0123456789abcdef01234567"
    (root / "refs").mkdir(parents=True, exist_ok=True)
    (root / "refs" / "main").write_text(commit)
    snapshot = root / "snapshots" / commit
    snapshot.mkdir(parents=True, exist_ok=True)
    (snapshot / "config.json").write_text(json.dumps({"architectures": [architecture], "model_type": "llama"}))


def test_a_cached_hub_reward_model_is_refused_by_chat(capsys: pytest.CaptureFixture[str]) -> None:
    """A hub id is checked against the local cache (nothing is downloaded): a cached sequence-classification model
    is refused like a local one; a cached causal LM and a model not cached are not refused here."""
    from engine.infer.source import check_can_answer, resolve_source

    _cached_hub_model("someorg/tiny-rm", "LlamaForSequenceClassification")
    _cached_hub_model("someorg/tiny-lm", "LlamaForCausalLM")
    message = _refusal(capsys, "chat", "someorg/tiny-rm")
    assert "model someorg/tiny-rm is a reward model" in message
    assert "AutoModelForSequenceClassification.from_pretrained('someorg/tiny-rm')" in message
    for answering in ("someorg/tiny-lm", "someorg/not-cached"):
        check_can_answer(resolve_source(answering))  # no refusal
