"""Axolotl's chat_template names tunedeck did not have: each renders Axolotl's own template (a byte-for-byte copy),
so a row prepared by tunedeck has exactly the ids transformers' apply_chat_template gives with that Jinja, and only
the answers are learned; the most used ones render their model family's known format; the vision-language ones are
refused by name, saying why; tokenizer_default_fallback_NAME falls back to NAME as in Axolotl."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from _data_helpers import make_cfg, prepare, tokenizer_for, trained_text, write_jsonl
from test_axolotl_compat import _CHAT_TEMPLATES

from engine.data.templates import AXOLOTL_TEMPLATES, TEMPLATES, VISION_TEMPLATES, resolve_template

CONV = [
    {"role": "system", "content": "Answer in one line."},
    {"role": "user", "content": "What is the capital of Onmelvel?"},
    {"role": "assistant", "content": "Stozor"},
    {"role": "user", "content": "And its river?"},
    {"role": "assistant", "content": "The Barim"},
]
# Templates that allow no system turn (Axolotl's own refusal inside the template).
NO_SYSTEM = {"mistral_v2v3", "mistral_v3_tekken"}
AXOLOTL_REPO = Path("/work/.mirror/axolotl-ai-cloud+axolotl/repo")
AXOLOTL_COMMIT = "067b021c8b87a9e5e380b9173c704cf7340e30f5"


def _prepared(tiny_model_dir: Path, tmp_path: Path, conv: list[dict[str, str]], **top: object):
    data = write_jsonl(tmp_path / "chat.jsonl", [{"messages": conv}])
    cfg = make_cfg(tiny_model_dir, tmp_path, [{"path": str(data), "type": "chat_template"}], **top)
    rows = prepare(cfg, use_cache=False).rows
    return tokenizer_for(cfg), rows["input_ids"][0], rows["labels"][0]


def test_every_axolotl_name_is_a_template() -> None:
    known = set(TEMPLATES) | {"jinja", "tokenizer_default"}
    assert _CHAT_TEMPLATES - known == set()
    assert {"qwen_25", "qwen3", "qwen3_5", "gemma3", "llama4", "falcon_h1", "phi_3"} <= set(AXOLOTL_TEMPLATES)


@pytest.mark.parametrize("name", sorted(set(AXOLOTL_TEMPLATES) - set(VISION_TEMPLATES)))  # text conversations
def test_rows_have_the_ids_of_axolotls_template(name: str, tiny_model_dir: Path, tmp_path: Path) -> None:
    conv = CONV[1:] if name in NO_SYSTEM else CONV
    tok, ids, labels = _prepared(tiny_model_dir, tmp_path, conv, chat_template=name, sequence_len=4096)
    assert ids == tok.apply_chat_template(conv, chat_template=AXOLOTL_TEMPLATES[name], tokenize=True,
                                          return_dict=True)["input_ids"]
    learned = [text.removesuffix(tok.eos_token).strip() for text in trained_text(tok, ids, labels)]
    assert learned == ["Stozor", "The Barim"]  # the answers (and the EOS after one), never a header


QA = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]


@pytest.mark.parametrize(("name", "rendered"), [
    ("qwen_25", "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello<|im_end|>\n"),
    ("qwen3", "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nHello<|im_end|>\n"),
    ("gemma3", "<s><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello<end_of_turn>\n"),
    ("llama4", "<s><|header_start|>user<|header_end|>\n\nHi<|eot|><|header_start|>assistant<|header_end|>\n\n"
               "Hello<|eot|>"),
    ("phi_3", "<s><|user|>\nHi<|end|>\n<|assistant|>\nHello<|end|>\n"),
])
def test_the_most_used_render_their_familys_format(name: str, rendered: str, tiny_model_dir: Path) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    assert tok.apply_chat_template(QA, chat_template=resolve_template(name, tok), tokenize=False) == rendered


def test_tokenizer_default_fallback_uses_the_named_template_only_without_one(tiny_model_dir: Path) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    assert resolve_template("tokenizer_default_fallback_qwen3", tok) == tok.chat_template  # it has its own
    tok.chat_template = None
    assert resolve_template("tokenizer_default_fallback_qwen3", tok) == AXOLOTL_TEMPLATES["qwen3"]


@pytest.mark.skipif(not AXOLOTL_REPO.is_dir(), reason="no Axolotl checkout to compare with")
@pytest.mark.parametrize("name", sorted(AXOLOTL_TEMPLATES))
def test_the_copies_are_axolotls_files(name: str) -> None:
    source = subprocess.run(["git", "-C", str(AXOLOTL_REPO), "show",
                             f"{AXOLOTL_COMMIT}:src/axolotl/utils/chat_templates/templates/{name}.jinja"],
                            capture_output=True, text=True, check=True).stdout
    assert AXOLOTL_TEMPLATES[name] == source
