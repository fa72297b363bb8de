"""SiloGen finetuning's chat templates as tunedeck chat templates (mistral-with-system, poro, simplified-llama31):
the exact text and token ids of a conversation with a system message and two turns, masked by role as every
chat template is; the special tokens poro and simplified-llama31 add to the tokenizer, as SiloGen adds them."""

from __future__ import annotations

import pytest
from _data_helpers import enc, make_cfg, prepare, tokenizer_for, write_jsonl
from test_data_chat import CONV  # system, two user turns, two answers

# (piece, trained): the render written out by hand from SiloGen's templates (src/finetuning/data/chat_templates.py).
PIECES = {
    # no BOS; the system block on its own; [INST] ... [/INST] then the answer, EOS and a space right after it
    "mistral-with-system": [
        ("<<SYS>>\nYou answer questions.\n<</SYS>>\n[INST] Hello, how are you? [/INST]", False), ("I am fine", True),
        ("</s>", True), (" [INST] What is the capital of Onmelvel? [/INST]", False), ("Stozor", True),
        ("</s>", True), (" ", False)],
    # a role tag and a newline before each message, EOS after every one (the user's and system's not learned)
    "poro": [
        ("<|system|>\nYou answer questions.", False), ("</s>", False), ("<|user|>\nHello, how are you?", False),
        ("</s>", False), ("<|assistant|>\n", False), ("I am fine", True), ("</s>", True),
        ("<|user|>\nWhat is the capital of Onmelvel?", False), ("</s>", False), ("<|assistant|>\n", False),
        ("Stozor", True), ("</s>", True)],
    # BOS, then a header per message and its trimmed content closed by <|eot_id|> (the eot_tokens entry)
    "simplified-llama31": [
        ("<s><|start_header_id|>system<|end_header_id|>\n\nYou answer questions.<|eot_id|>"
         "<|start_header_id|>user<|end_header_id|>\n\nHello, how are you?<|eot_id|>"
         "<|start_header_id|>assistant<|end_header_id|>\n\n", False), ("I am fine", True), ("<|eot_id|>", True),
        ("<|start_header_id|>user<|end_header_id|>\n\nWhat is the capital of Onmelvel?<|eot_id|>"
         "<|start_header_id|>assistant<|end_header_id|>\n\n", False), ("Stozor", True), ("<|eot_id|>", True)],
}
EXTRA = {"simplified-llama31": {"eot_tokens": ["<|eot_id|>"]}}


def _prepared(tiny_model_dir, tmp_path, name):
    data = write_jsonl(tmp_path / "chat.jsonl", [{"messages": CONV}])
    cfg = make_cfg(tiny_model_dir, tmp_path, [{"path": str(data), "type": "chat_template"}], chat_template=name,
                   **EXTRA.get(name, {}))
    return tokenizer_for(cfg), prepare(cfg, use_cache=False)


@pytest.mark.parametrize("name", list(PIECES))
def test_render_ids_and_labels_by_hand(tiny_model_dir, tmp_path, name):
    tok, p = _prepared(tiny_model_dir, tmp_path, name)
    pieces = PIECES[name]
    assert tok.apply_chat_template(CONV, tokenize=False) == "".join(text for text, _ in pieces)
    ids, labels = [], []
    for text, trained in pieces:
        part = enc(tok, text)
        ids += part
        labels += part if trained else [-100] * len(part)
    assert p.rows["input_ids"][0] == ids == enc(tok, "".join(text for text, _ in pieces))
    assert p.rows["labels"][0] == labels


def test_poro_adds_its_role_tags_as_special_tokens(tiny_model_dir, tmp_path):
    tok, p = _prepared(tiny_model_dir, tmp_path, "poro")
    plain = tokenizer_for(make_cfg(tiny_model_dir, tmp_path, [{"path": "x.jsonl"}]))
    # SiloGen adds <|user|> and <|assistant|> (not <|system|>) as additional special tokens, after the vocabulary
    assert len(tok) == len(plain) + 2
    assert tok.convert_tokens_to_ids(["<|user|>", "<|assistant|>"]) == [len(plain), len(plain) + 1]
    assert {"<|user|>", "<|assistant|>"} <= set(tok.all_special_tokens) and "<|system|>" not in tok.get_vocab()
    assert "<|im_start|>" in tok.all_special_tokens  # the tokenizer's own special tokens stay
    ids = p.rows["input_ids"][0]
    assert ids.count(len(plain)) == 2 and ids.count(len(plain) + 1) == 2  # two user and two assistant tags
    assert len(enc(tok, "<|system|>")) > 1  # the system tag stays ordinary text, as in SiloGen


def test_simplified_llama31_adds_its_markers_and_mistral_adds_none(tiny_model_dir, tmp_path):
    tok, _ = _prepared(tiny_model_dir, tmp_path, "simplified-llama31")
    plain = tokenizer_for(make_cfg(tiny_model_dir, tmp_path, [{"path": "x.jsonl"}]))
    markers = ["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
    assert tok.convert_tokens_to_ids(markers) == [len(plain), len(plain) + 1, len(plain) + 2]
    mistral, _ = _prepared(tiny_model_dir, tmp_path, "mistral-with-system")
    assert len(mistral) == len(plain)


def test_a_dataset_level_template_brings_its_tokens_too(tiny_model_dir, tmp_path):
    cfg = make_cfg(tiny_model_dir, tmp_path, [{"path": "x.jsonl", "type": "chat_template", "chat_template": "poro"}])
    assert tokenizer_for(cfg).convert_tokens_to_ids("<|assistant|>") != tokenizer_for(cfg).unk_token_id
