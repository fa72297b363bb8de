"""new_token_init_from: a new token's input and output embedding rows start at a named token's rows or at the mean
of a phrase's; training with it runs, and `tunedeck merge` rebuilds the same LM-head rows on a fresh base."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from _data_helpers import enc, make_cfg, tokenizer_for
from _train_helpers import REPO, base_preset, log_text, make_run_dir, of_kind, run_train
from pydantic import ValidationError

from engine.knobs.rules import check_rules
from engine.train.token_init import INIT_FILE

DATA = [{"path": "x.jsonl", "type": "completion"}]
INIT = {"<RS>": "<s>", "</RS>": "</s>", "<bot>": "quick brown fox"}


def _loaded(tiny_model_dir: Path, tmp_path: Path, **top):
    import torch
    from transformers import AutoModelForCausalLM

    from engine.train.hardware import Precision
    from engine.train.model import load_model

    cfg = make_cfg(tiny_model_dir, tmp_path, DATA, **top)
    tok = tokenizer_for(cfg)
    model = load_model(cfg, tok, Precision("cpu", False, False, None, "float32"), None)
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    return tok, model, base


def test_new_rows_start_at_the_named_token_or_the_phrase_mean(tiny_model_dir, tmp_path):
    import torch

    tok, model, base = _loaded(tiny_model_dir, tmp_path, tokens=["<RS>", "</RS>", "<bot>", "<free>"],
                               new_token_init_from=INIT)
    old = base.get_input_embeddings().num_embeddings
    phrase = enc(tok, "quick brown fox")
    assert len(phrase) > 1 and max(phrase) < old  # a real phrase of the base's own tokens
    for layer, base_layer in ((model.get_input_embeddings(), base.get_input_embeddings()),
                              (model.get_output_embeddings(), base.get_output_embeddings())):
        new, was = layer.weight.detach(), base_layer.weight.detach()
        assert torch.equal(new[tok.convert_tokens_to_ids("<RS>")], was[tok.bos_token_id])
        assert torch.equal(new[tok.convert_tokens_to_ids("</RS>")], was[tok.eos_token_id])
        assert torch.equal(new[tok.convert_tokens_to_ids("<bot>")], was[phrase].mean(dim=0))
        assert torch.equal(new[tok.convert_tokens_to_ids("<free>")], was.mean(dim=0))  # not named: the mean
        assert torch.equal(new[:old], was)  # the base's rows are untouched


def test_a_phrase_made_of_added_tokens_is_refused_naming_the_knob(tiny_model_dir, tmp_path):
    from engine.errors import TunedeckError

    with pytest.raises(TunedeckError, match="new_token_init_from: '<bot>' starts from '<RS>'") as caught:
        _loaded(tiny_model_dir, tmp_path, tokens=["<RS>", "<bot>"], new_token_init_from={"<bot>": "<RS>"})
    assert caught.value.key == "new_token_init_from"


@pytest.mark.parametrize(("top", "fix"), [
    ({"tokens": ["<RS>"], "new_token_init_from": {"<RS>": "<s>", "<bot>": "<s>"}}, "Add '<bot>' to tokens"),
    ({"new_token_init_from": {"<RS>": "<s>"}}, "Add '<RS>' to tokens"),
])
def test_init_only_names_tokens_the_preset_adds(tmp_path, top, fix):
    problems = [p for p in check_rules(make_cfg(Path("m"), tmp_path, DATA, **top))
                if p.key.startswith("new_token_init_from")]
    assert len(problems) == 1 and fix in problems[0].message and problems[0].severity == "error"


def test_special_tokens_may_be_started_too(tmp_path):
    cfg = make_cfg(Path("m"), tmp_path, DATA, special_tokens={"pad_token": "<PAD>"},
                   new_token_init_from={"<PAD>": "</s>"})
    assert [p for p in check_rules(cfg) if p.key.startswith("new_token_init_from")] == []


@pytest.mark.parametrize("init", [{"<RS>": ""}, {"<RS>": "   "}, {"": "<s>"}])
def test_empty_text_is_refused(tmp_path, init):
    with pytest.raises(ValidationError, match="no token or no text to start from"):
        make_cfg(Path("m"), tmp_path, DATA, tokens=["<RS>"], new_token_init_from=init)


@pytest.mark.slow
def test_lora_training_and_merge_keep_the_started_head_rows(tiny_model_dir, tmp_path):
    """A real LoRA run: the mapping is saved beside the adapter, and the merged model's LM-head rows of the new
    tokens (LoRA does not train them) are the named token's base row and the phrase's mean."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    preset = base_preset(tiny_model_dir, tmp_path, max_steps=3, adapter="lora", lora_target_linear=True,
                         learning_rate=2e-2, tokens=["<RS>", "<bot>"],
                         new_token_init_from={"<RS>": "</s>", "<bot>": "quick brown fox"})
    run_dir = make_run_dir(tmp_path, preset)
    assert run_train(run_dir).returncode == 0, log_text(run_dir)
    adapter_dir = Path(of_kind(run_dir, "finished")[0]["adapter_dir"])
    assert json.loads((adapter_dir / INIT_FILE).read_text()) == preset["new_token_init_from"]

    out = tmp_path / "merged"
    done = subprocess.run([sys.executable, "-m", "engine", "merge", str(run_dir), "--out", str(out)], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    tok = AutoTokenizer.from_pretrained(out)
    merged = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32)
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    head, base_head = merged.get_output_embeddings().weight, base.get_output_embeddings().weight
    phrase = enc(tok, "quick brown fox")
    assert torch.equal(head[tok.convert_tokens_to_ids("<RS>")], base_head[tok.eos_token_id])
    assert torch.equal(head[tok.convert_tokens_to_ids("<bot>")], base_head[phrase].mean(dim=0))


def test_merge_rebuilds_the_started_rows_when_the_adapter_lacks_the_embeddings(tiny_model_dir, tmp_path):
    """peft leaves the resized embedding layers out of an adapter when it cannot read the base's config (a Hub id
    trained offline): merge's own resize must then start the new rows as training did, from the saved mapping."""
    import torch

    from engine.train.merge import merge_adapter
    from engine.train.token_init import write_init

    tok, model, base = _loaded(tiny_model_dir, tmp_path, adapter="lora", lora_target_linear=True,
                               tokens=["<RS>", "<bot>"], new_token_init_from=INIT)
    adapter_dir = tmp_path / "adapter"
    model.save_pretrained(adapter_dir, save_embedding_layers=False)
    tok.save_pretrained(adapter_dir)
    write_init(adapter_dir, INIT)  # as training writes it beside the adapter
    merged = merge_adapter(adapter_dir, tmp_path / "merged")
    from transformers import AutoModelForCausalLM

    head = AutoModelForCausalLM.from_pretrained(merged, dtype=torch.float32).get_output_embeddings().weight
    base_head = base.get_output_embeddings().weight
    assert torch.equal(head[tok.convert_tokens_to_ids("<RS>")], base_head[tok.bos_token_id])
    assert torch.equal(head[tok.convert_tokens_to_ids("<bot>")], base_head[enc(tok, "quick brown fox")].mean(dim=0))
