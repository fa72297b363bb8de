"""chat_template: exact input_ids and labels (Axolotl's semantics) with the tiny ChatML tokenizer."""

from __future__ import annotations

import pytest
from _data_helpers import IM_END, IM_START, enc, make_cfg, prepare, tokenizer_for, trained_text, write_jsonl

CONV = [
    {"role": "system", "content": "You answer questions."},
    {"role": "user", "content": "Hello, how are you?"},
    {"role": "assistant", "content": "I am fine"},
    {"role": "user", "content": "What is the capital of Onmelvel?"},
    {"role": "assistant", "content": "Stozor"},
]


def chatml_pieces(conv, trained_roles=("assistant",), eot_after=()):
    """(text, trained) pieces of the ChatML render: content trained per role, <|im_end|> per eot_after (turn idx)."""
    pieces = []
    for i, m in enumerate(conv):
        pieces += [(IM_START + m["role"] + "\n", False), (m["content"], m["role"] in trained_roles),
                   (IM_END, i in eot_after), ("\n", False)]
    return pieces


def expected(tok, pieces):
    ids, labels = [], []
    for text, trained in pieces:
        part = enc(tok, text)
        ids += part
        labels += part if trained else [-100] * len(part)
    assert ids == enc(tok, "".join(t for t, _ in pieces))  # the pieces tokenize like the whole render
    return ids, labels


def run(tiny_model_dir, tmp_path, rows, ds_extra=None, **top):
    data = write_jsonl(tmp_path / "chat.jsonl", rows)
    cfg = make_cfg(tiny_model_dir, tmp_path, [{"path": str(data), "type": "chat_template", **(ds_extra or {})}],
                   **top)
    prepared = prepare(cfg, use_cache=False)
    return tokenizer_for(cfg), list(prepared.rows["input_ids"]), list(prepared.rows["labels"])


def test_chatml_default_trains_assistant_content_only(tiny_model_dir, tmp_path):
    tok, ids, labels = run(tiny_model_dir, tmp_path, [{"messages": CONV}])
    # eos is </s>, which ChatML never renders: as in Axolotl no end-of-turn token is learned
    assert (ids[0], labels[0]) == expected(tok, chatml_pieces(CONV))
    assert trained_text(tok, ids[0], labels[0]) == ["I am fine", "Stozor"]


@pytest.mark.parametrize("option, eot_after", [
    ("turn", (2, 4)), ("all", (0, 1, 2, 3, 4)), ("last", (4,)), ("none", ()),
])
def test_train_on_eos_variants(tiny_model_dir, tmp_path, option, eot_after):
    tok, ids, labels = run(tiny_model_dir, tmp_path, [{"messages": CONV}], {"train_on_eos": option},
                           special_tokens={"eos_token": IM_END})
    assert (ids[0], labels[0]) == expected(tok, chatml_pieces(CONV, eot_after=eot_after))


def test_eot_tokens_follow_train_on_eot(tiny_model_dir, tmp_path):
    tok, ids, labels = run(tiny_model_dir, tmp_path, [{"messages": CONV}], eot_tokens=[IM_END])
    assert (ids[0], labels[0]) == expected(tok, chatml_pieces(CONV, eot_after=(2, 4)))
    tok, ids, labels = run(tiny_model_dir, tmp_path, [{"messages": CONV}], {"train_on_eot": "last"},
                           eot_tokens=[IM_END])
    assert (ids[0], labels[0]) == expected(tok, chatml_pieces(CONV, eot_after=(4,)))


def test_sharegpt_mappings_and_default_role_names(tiny_model_dir, tmp_path):
    names = {"system": "system", "user": "human", "assistant": "gpt"}
    row = {"conversations": [{"from": names[m["role"]], "value": m["content"]} for m in CONV]}
    tok, ids, labels = run(tiny_model_dir, tmp_path, [row], {
        "field_messages": "conversations", "message_property_mappings": {"role": "from", "content": "value"}})
    assert (ids[0], labels[0]) == expected(tok, chatml_pieces(CONV))
    legacy = run(tiny_model_dir, tmp_path, [row], {
        "field_messages": "conversations", "message_field_role": "from", "message_field_content": "value"})
    assert (legacy[1], legacy[2]) == (ids, labels)


def test_roles_mapping(tiny_model_dir, tmp_path):
    names = {"system": "system", "user": "person", "assistant": "bot"}
    row = {"messages": [{"role": names[m["role"]], "content": m["content"]} for m in CONV]}
    tok, ids, labels = run(tiny_model_dir, tmp_path, [row], {"roles": {"user": ["person"], "assistant": ["bot"]}})
    assert (ids[0], labels[0]) == expected(tok, chatml_pieces(CONV))


def test_roles_to_train_including_user(tiny_model_dir, tmp_path):
    tok, ids, labels = run(tiny_model_dir, tmp_path, [{"messages": CONV}], {"roles_to_train": ["user", "assistant"]})
    assert (ids[0], labels[0]) == expected(tok, chatml_pieces(CONV, trained_roles=("user", "assistant")))


def test_train_on_inputs_trains_every_content_never_headers(tiny_model_dir, tmp_path):
    tok, ids, labels = run(tiny_model_dir, tmp_path, [{"messages": CONV}], train_on_inputs=True)
    assert (ids[0], labels[0]) == expected(tok, chatml_pieces(CONV, trained_roles=("system", "user", "assistant")))


def test_llama3_template_set_by_name_with_eot_token(tiny_model_dir, tmp_path):
    eot = "<|eot_id|>"
    tok, ids, labels = run(tiny_model_dir, tmp_path, [{"messages": CONV}], chat_template="llama3", tokens=[eot],
                           eot_tokens=[eot])
    pieces = [("<s>", False)]
    for m in CONV:
        pieces += [("<|start_header_id|>" + m["role"] + "<|end_header_id|>\n\n", False),
                   (m["content"], m["role"] == "assistant"), (eot, m["role"] == "assistant")]
    assert (ids[0], labels[0]) == expected(tok, pieces)


def test_dataset_template_overrides_top_level(tiny_model_dir, tmp_path):
    tok, ids, labels = run(tiny_model_dir, tmp_path, [{"messages": CONV}], {"chat_template": "chatml"},
                           chat_template="llama3")
    assert (ids[0], labels[0]) == expected(tok, chatml_pieces(CONV))


# --- the fast path agrees with the per-turn reference (Axolotl's method) --------------------------------------------

MORE = [
    [{"role": "user", "content": "Who founded Onmelvel?"}, {"role": "assistant", "content": "Ruba Onnia, in 1159."}],
    [{"role": "system", "content": " padded system "}, {"role": "user", "content": "Hi."},
     {"role": "assistant", "content": " The Barim flows. "}, {"role": "user", "content": "And?"},
     {"role": "assistant", "content": "Zorba!"}],
    [{"role": "user", "content": "Empty answer next"}, {"role": "assistant", "content": ""}],
]


@pytest.mark.parametrize("top, ds_extra", [
    ({}, {}),
    ({"special_tokens": {"eos_token": IM_END}}, {"train_on_eos": "all"}),
    ({"special_tokens": {"eos_token": IM_END}}, {"train_on_eos": "last"}),
    ({"chat_template": "llama3", "tokens": ["<|eot_id|>"], "eot_tokens": ["<|eot_id|>"]}, {}),
    ({"chat_template": "gemma"}, {"roles_to_train": ["user"]}),
    ({"chat_template": "phi3"}, {"train_on_eos": "all"}),
    ({"chat_template": "mistral"}, {}),
    ({"chat_template": "qwen"}, {"train_on_eos": "all", "roles_to_train": ["system", "assistant"]}),
    ({"train_on_inputs": True, "eot_tokens": [IM_END]}, {"train_on_eot": "all"}),
])
def test_fast_path_matches_reference(tiny_model_dir, tmp_path, top, ds_extra):
    import json

    from conftest import PRESETS

    from engine.data.chat_template import reference_tokenize, tokenize_chat
    from engine.data.sources import Rows

    rows = [json.loads(line) for line in (PRESETS / "tiny" / "chat.jsonl").read_text().splitlines()][:40]
    rows += [{"messages": c} for c in MORE]
    cfg = make_cfg(tiny_model_dir, tmp_path, [{"path": "x", "type": "chat_template", **ds_extra}], **top)
    tok = tokenizer_for(cfg)
    src = Rows(rows=rows, locs=[("x", i + 1, i) for i in range(len(rows))])
    fast = tokenize_chat(src, cfg.datasets[0], cfg, tok)
    ref = reference_tokenize(src, cfg.datasets[0], cfg, tok)
    assert fast.input_ids == ref.input_ids
    assert fast.labels == ref.labels
    assert any(label != -100 for row in fast.labels for label in row)


def test_template_that_rewrites_content_falls_back_to_reference(tiny_model_dir, tmp_path):
    upper = ("{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] | upper"
             " + '<|im_end|>\\n' }}{% endfor %}")
    tok, ids, labels = run(tiny_model_dir, tmp_path, [{"messages": CONV}], chat_template="jinja",
                           chat_template_jinja=upper)
    assert trained_text(tok, ids[0], labels[0]) == ["I AM FINE", "STOZOR"]


@pytest.fixture(scope="module")
def metaspace_tokenizer(tmp_path_factory):
    """A SentencePiece-style tokenizer (Metaspace '▁' words, BOS added by a post-processor, like Llama 2 and
    Mistral): its offsets behave differently from byte-level BPE around spaces."""
    import json as _json

    from conftest import PRESETS
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    texts = [m["content"] for line in (PRESETS / "tiny" / "chat.jsonl").read_text().splitlines()
             for m in _json.loads(line)["messages"]]
    texts += [m["content"] for c in [*MORE, CONV] for m in c] + ["[[dummy_message]] \n system user assistant"]
    special = ["<unk>", "<s>", "</s>", IM_START, IM_END]
    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first")
    bpe.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="first")
    bpe.train_from_iterator(texts, trainer=trainers.BpeTrainer(vocab_size=300, special_tokens=special,
                                                               show_progress=False))
    bpe.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 1)])
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
                                  additional_special_tokens=[IM_START, IM_END])
    out = tmp_path_factory.mktemp("metaspace")
    tok.save_pretrained(out)
    return out


@pytest.mark.parametrize("template, top, ds_extra", [
    ("chatml", {"special_tokens": {"eos_token": IM_END}}, {}),
    ("chatml", {}, {"roles_to_train": ["user", "assistant"], "train_on_eos": "all"}),
    ("llama3", {}, {}),
    ("mistral", {}, {"train_on_eos": "last"}),
    ("gemma", {"train_on_inputs": True}, {}),
])
def test_fast_path_matches_reference_with_sentencepiece_style_tokenizer(metaspace_tokenizer, tmp_path, template,
                                                                         top, ds_extra):
    import json

    from conftest import PRESETS

    from engine.data.chat_template import reference_tokenize, tokenize_chat
    from engine.data.sources import Rows

    rows = [json.loads(line) for line in (PRESETS / "tiny" / "chat.jsonl").read_text().splitlines()][:30]
    rows += [{"messages": c} for c in MORE] + [{"messages": CONV}]
    cfg = make_cfg(metaspace_tokenizer, tmp_path, [{"path": "x", "type": "chat_template", **ds_extra}],
                   chat_template=template, **top)
    tok = tokenizer_for(cfg)
    src = Rows(rows=rows, locs=[("x", i + 1, i) for i in range(len(rows))])
    fast = tokenize_chat(src, cfg.datasets[0], cfg, tok)
    ref = reference_tokenize(src, cfg.datasets[0], cfg, tok)
    assert fast.input_ids == ref.input_ids
    assert fast.labels == ref.labels
    assert any(label != -100 for row in fast.labels for label in row)


def test_content_edge_tokens_equal_to_the_dummy_are_trained(tiny_model_dir, tmp_path):
    """Deliberate difference (see chat_template.py): Axolotl's diff against '[[dummy_message]]' cannot see content
    tokens that equal the dummy's edge tokens, so it leaves them untrained; we train the whole content."""
    from engine.data.chat_template import reference_tokenize, tokenize_chat
    from engine.data.sources import Rows

    conv = [{"role": "user", "content": "Give a nested list"}, {"role": "assistant", "content": "[[1, 2], [3]]"}]
    cfg = make_cfg(tiny_model_dir, tmp_path, [{"path": "x", "type": "chat_template"}])
    tok = tokenizer_for(cfg)
    src = Rows(rows=[{"messages": conv}], locs=[("x", 1, 0)])
    fast = tokenize_chat(src, cfg.datasets[0], cfg, tok)
    ref = reference_tokenize(src, cfg.datasets[0], cfg, tok)
    assert fast.input_ids == ref.input_ids
    assert trained_text(tok, fast.input_ids[0], fast.labels[0]) == ["[[1, 2], [3]]"]
    assert trained_text(tok, ref.input_ids[0], ref.labels[0]) != ["[[1, 2], [3]]"]  # Axolotl trims the edges
