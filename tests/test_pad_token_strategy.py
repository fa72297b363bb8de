"""missing_pad_token_strategy: which token pads when the tokenizer has none, and what the collator emits."""

from __future__ import annotations

from pathlib import Path

import pytest
from _data_helpers import make_cfg, tokenizer_for

from engine.data.errors import DataError


@pytest.fixture(scope="module")
def padless_dir(tiny_model_dir, tmp_path_factory) -> Path:
    """The tiny model's tokenizer saved without a pad token, like many base models ship."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    tok.pad_token = None
    out = tmp_path_factory.mktemp("padless")
    tok.save_pretrained(out)
    assert AutoTokenizer.from_pretrained(out).pad_token is None
    return out


def collate(cfg, tok, lengths=(3, 1)):
    """Two rows of different length through the collator training uses; the first token of each is learned."""
    from engine.data.collate import make_collator

    rows = [{"input_ids": [7 + i for i in range(n)], "labels": [7] + [-100] * (n - 1)} for n in lengths]
    return make_collator(cfg, tok)(rows)


@pytest.mark.parametrize(("strategy", "pad_attr", "input_pad_attr"), [
    ("eos-repurpose", "eos_token_id", "eos_token_id"),
    ("bos-repurpose", "bos_token_id", "bos_token_id"),
    ("unk-repurpose", "unk_token_id", "unk_token_id"),
    ("unk-convert-to-eos", "unk_token_id", "eos_token_id"),
])
def test_each_strategy_pads_with_its_token(padless_dir, tmp_path, strategy, pad_attr, input_pad_attr):
    cfg = make_cfg(padless_dir, tmp_path, [{"path": "x"}], missing_pad_token_strategy=strategy)
    tok = tokenizer_for(cfg)
    assert tok.pad_token_id == getattr(tok, pad_attr)
    batch = collate(cfg, tok)
    fill = getattr(tok, input_pad_attr)
    assert batch["input_ids"].tolist() == [[7, 8, 9], [7, fill, fill]]
    assert batch["labels"].tolist() == [[7, -100, -100], [7, -100, -100]]  # padding is never learned
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]


def test_strategy_leaves_an_existing_pad_token_alone(tiny_model_dir, tmp_path):
    cfg = make_cfg(tiny_model_dir, tmp_path, [{"path": "x"}], missing_pad_token_strategy="unk-convert-to-eos")
    tok = tokenizer_for(cfg)
    assert tok.pad_token == "<pad>"
    assert collate(cfg, tok)["input_ids"].tolist()[1] == [7, tok.pad_token_id, tok.pad_token_id]


def test_a_strategy_naming_a_token_the_tokenizer_lacks_says_so(padless_dir, tmp_path):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(padless_dir)
    tok.bos_token = None
    no_bos = tmp_path / "no-bos"
    tok.save_pretrained(no_bos)
    cfg = make_cfg(no_bos, tmp_path, [{"path": "x"}], missing_pad_token_strategy="bos-repurpose")
    with pytest.raises(DataError, match=r"missing_pad_token_strategy.*no BOS token"):
        tokenizer_for(cfg)


def test_unknown_strategy_is_refused_with_the_choices(tmp_path):
    from pydantic import ValidationError

    from engine.knobs.config import Config

    with pytest.raises(ValidationError, match="bos-repurpose"):
        Config(base_model="x", datasets=[{"path": "x"}], missing_pad_token_strategy="pad-with-zeros")


@pytest.mark.parametrize(("line", "expected"), [
    ('  missing_pad_token_strategy: "unk-convert-to-eos"\n', "unk-convert-to-eos"),
    ("", "bos-repurpose"),  # SiloGen's default, written out: tunedeck's own default is eos-repurpose
])
def test_silogen_strategy_imports_exactly(tmp_path, line, expected):
    from _import_helpers import SILOGEN_SFT

    from engine.importers import import_config
    from engine.preset import Preset

    src = tmp_path / "sft.yaml"
    src.write_text(SILOGEN_SFT.replace("data_conf:\n", "data_conf:\n" + line, 1).format(
        data="chat.jsonl", out=tmp_path / "out", model="some/model"))
    imported = import_config(src)
    entry = next(e for e in imported.report.entries if e.source == "data_conf.missing_pad_token_strategy")
    assert (entry.status, entry.target) == ("exact", "missing_pad_token_strategy")
    assert imported.preset["missing_pad_token_strategy"] == expected
    assert Preset(imported.text, tmp_path / "out.yaml").config.missing_pad_token_strategy == expected


@pytest.fixture(scope="module")
def padless_model_dir(tiny_model_dir, padless_dir, tmp_path_factory) -> Path:
    """The tiny model beside the pad-less tokenizer."""
    import shutil

    out = tmp_path_factory.mktemp("padless-model")
    shutil.copytree(tiny_model_dir, out, dirs_exist_ok=True)
    shutil.copytree(padless_dir, out, dirs_exist_ok=True)
    return out


PAIRS = [{"prompt": "Say yes.", "chosen": "Yes.", "rejected": "No, I will not say that at all."},
         {"prompt": "Tell me the capital of Onmelvel, please.", "chosen": "Stozor.", "rejected": "I forgot."}]
KTO_ROWS = [{"prompt": "Say yes.", "completion": "Yes.", "label": True},
            {"prompt": "Tell me the capital of Onmelvel, please.", "completion": "I forgot it.", "label": False}]


@pytest.mark.parametrize("rl", ["dpo", "kto", "orpo", "simpo"])
def test_preference_batches_pad_inputs_with_eos_under_unk_convert_to_eos(padless_model_dir, tmp_path, rl):
    """The sequences the model reads in a preference step (chosen and rejected, KTO's completions and KL twins),
    padded to the batch's longest: every padded position holds EOS, as the SFT collator pads, not the tokenizer's
    pad token (UNK)."""
    import torch
    from _data_helpers import write_jsonl

    from engine.train.args import plan
    from engine.train.callbacks import TokenCounter
    from engine.train.hardware import resolve_precision
    from engine.train.model import load_model, load_tokenizer
    from engine.train.preference import build_trainer, config_for
    from engine.train.run import prepare_data

    data = write_jsonl(tmp_path / "rows.jsonl", KTO_ROWS if rl == "kto" else PAIRS)
    cfg = make_cfg(padless_model_dir, tmp_path, [{"path": str(data), "type": "chatml.prompt_pairs"}], rl=rl,
                   missing_pad_token_strategy="unk-convert-to-eos", micro_batch_size=2, adapter="lora",
                   lora_target_linear=True, dataset_prepared_path=str(tmp_path / "prepared"))
    tok = load_tokenizer(cfg, None)
    assert tok.pad_token_id == tok.unk_token_id != tok.eos_token_id
    train, _, _, _ = prepare_data(cfg, tok, tmp_path / "p.yaml", 1)
    precision = resolve_precision(cfg, cuda=False, bf16_supported=False)
    model = load_model(cfg, tok, precision, None)
    args = config_for(cfg, precision, plan(cfg, len(train), 1), has_eval=False, preset_path=None)
    trainer = build_trainer(cfg, model, args, train, None, tok, [], TokenCounter(tok.eos_token_id))
    seen: list[tuple[torch.Tensor, torch.Tensor]] = []

    def record(_module, _args, kwargs):
        seen.append((kwargs["input_ids"], kwargs["attention_mask"]))

    model.get_base_model().register_forward_pre_hook(record, with_kwargs=True)
    batch = next(iter(trainer.get_train_dataloader()))
    trainer.compute_loss(trainer.model, batch)
    assert seen
    padded = torch.cat([ids[mask == 0] for ids, mask in seen])
    assert len(padded) > 0  # the rows differ in length, so the shorter ones are padded
    assert set(padded.tolist()) == {tok.eos_token_id}
