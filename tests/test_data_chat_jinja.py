"""chat_template: jinja with chat_template_jinja (Axolotl's spelling of "my own template"): the data is rendered and
labelled with that template, top level or per dataset, written inline or as a .jinja file."""

from __future__ import annotations

from _data_helpers import IM_END, IM_START, enc, make_cfg, prepare, tokenizer_for, trained_text, write_jsonl

CONV = [
    {"role": "user", "content": "What is the capital of Onmelvel?"},
    {"role": "assistant", "content": "Stozor"},
    {"role": "user", "content": "And its river?"},
    {"role": "assistant", "content": "The Barim"},
]
# Unlike the tiny tokenizer's own ChatML template, so a fallback to it cannot pass for this one.
HASH_TEMPLATE = "{% for m in messages %}{{ '### ' + m['role'] + ':\\n' + m['content'] + '\\n' }}{% endfor %}"


def hash_pieces(conv):
    pieces = []
    for m in conv:
        pieces += [("### " + m["role"] + ":\n", False), (m["content"], m["role"] == "assistant"), ("\n", False)]
    return pieces


def chatml_pieces(conv):
    pieces = []
    for m in conv:
        pieces += [(IM_START + m["role"] + "\n", False), (m["content"], m["role"] == "assistant"), (IM_END, False),
                   ("\n", False)]
    return pieces


def expected(tok, pieces):
    ids, labels = [], []
    for text, trained in pieces:
        part = enc(tok, text)
        ids += part
        labels += part if trained else [-100] * len(part)
    assert ids == enc(tok, "".join(t for t, _ in pieces))
    return ids, labels


def run(tiny_model_dir, tmp_path, ds_extra=None, **top):
    data = write_jsonl(tmp_path / "chat.jsonl", [{"messages": CONV}])
    cfg = make_cfg(tiny_model_dir, tmp_path, [{"path": str(data), "type": "chat_template", **(ds_extra or {})}],
                   **top)
    rows = prepare(cfg, use_cache=False).rows
    return tokenizer_for(cfg), rows["input_ids"][0], rows["labels"][0]


def test_top_level_jinja_template_renders_and_labels_the_data(tiny_model_dir, tmp_path):
    tok, ids, labels = run(tiny_model_dir, tmp_path, chat_template="jinja", chat_template_jinja=HASH_TEMPLATE)
    assert (ids, labels) == expected(tok, hash_pieces(CONV))
    assert trained_text(tok, ids, labels) == ["Stozor", "The Barim"]
    assert tok.chat_template == HASH_TEMPLATE  # saved with the trained tokenizer, for inference


def test_chat_template_jinja_alone_implies_jinja(tiny_model_dir, tmp_path):
    tok, ids, labels = run(tiny_model_dir, tmp_path, chat_template_jinja=HASH_TEMPLATE)
    assert (ids, labels) == expected(tok, hash_pieces(CONV))


def test_dataset_jinja_template_overrides_the_top_level_one(tiny_model_dir, tmp_path):
    tok, ids, labels = run(tiny_model_dir, tmp_path, {"chat_template": "jinja", "chat_template_jinja": HASH_TEMPLATE},
                           chat_template="chatml")
    assert (ids, labels) == expected(tok, hash_pieces(CONV))
    # ...and without it the same data renders with the top-level template (so the override is what changed it).
    tok, ids, labels = run(tiny_model_dir, tmp_path, chat_template="chatml")
    assert (ids, labels) == expected(tok, chatml_pieces(CONV))


def test_chat_template_jinja_may_name_a_jinja_file(tiny_model_dir, tmp_path):
    path = tmp_path / "hash.jinja"
    path.write_text(HASH_TEMPLATE)
    tok, ids, labels = run(tiny_model_dir, tmp_path, chat_template="jinja", chat_template_jinja=str(path))
    assert (ids, labels) == expected(tok, hash_pieces(CONV))
