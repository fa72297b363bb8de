"""chat_template knobs that converted turbo-alignment presets need: train_last_turn_only (its only_answer_loss),
exact input_ids and labels on hand-checked ChatML rows."""

from __future__ import annotations

from _data_helpers import IM_END
from test_data_chat import CONV, chatml_pieces, expected, run


def test_last_turn_only_learns_only_the_last_assistant_message(tiny_model_dir, tmp_path):
    tok, ids, labels = run(tiny_model_dir, tmp_path, [{"messages": CONV}], {"train_last_turn_only": True},
                           special_tokens={"eos_token": IM_END})
    # by hand: the earlier answer "I am fine" and its <|im_end|> are context now; "Stozor" and its end are learned
    pieces = chatml_pieces(CONV, eot_after=(4,))
    pieces[2 * 4 + 1] = ("I am fine", False)  # message 2's content piece (4 pieces a message)
    assert (ids[0], labels[0]) == expected(tok, pieces)
    assert tok.decode([t for t in labels[0] if t != -100]) == "Stozor" + IM_END


def test_last_turn_only_means_the_last_assistant_message_not_the_last_message(tiny_model_dir, tmp_path):
    # the last message is a user's: the last assistant message (the only answer) is still the one learned
    conv = [*CONV[:3], {"role": "user", "content": "Thanks"}]
    tok, ids, labels = run(tiny_model_dir, tmp_path, [{"messages": conv}], {"train_last_turn_only": True})
    assert (ids[0], labels[0]) == expected(tok, chatml_pieces(conv))


def test_last_turn_only_with_train_on_inputs_learns_the_last_message(tiny_model_dir, tmp_path):
    tok, ids, labels = run(tiny_model_dir, tmp_path, [{"messages": CONV}], {"train_last_turn_only": True},
                           train_on_inputs=True)
    pieces = chatml_pieces(CONV, trained_roles=())
    pieces[4 * 4 + 1] = ("Stozor", True)
    assert (ids[0], labels[0]) == expected(tok, pieces)


# --- keep_dialogue_end: turbo-alignment's keep_end ------------------------------------------------------------

def _prepared(tiny_model_dir, tmp_path, rows, ds_extra, **top):
    from _data_helpers import make_cfg, prepare, tokenizer_for, write_jsonl

    data = write_jsonl(tmp_path / "chat.jsonl", rows)
    cfg = make_cfg(tiny_model_dir, tmp_path, [{"path": str(data), "type": "chat_template", **ds_extra}], **top)
    prepared = prepare(cfg, use_cache=False)
    return tokenizer_for(cfg), list(prepared.rows["input_ids"]), list(prepared.rows["labels"]), prepared.stats


def test_keep_dialogue_end_cuts_whole_messages_from_the_start_keeping_the_system(tiny_model_dir, tmp_path):
    tok, *_ = _prepared(tiny_model_dir, tmp_path, [{"messages": CONV}], {})
    kept = [CONV[0], *CONV[3:]]  # by hand: the system, then the last question and its answer
    want = expected(tok, chatml_pieces(kept))
    full = expected(tok, chatml_pieces(CONV))
    assert len(want[0]) < len(full[0])
    _, ids, labels, stats = _prepared(tiny_model_dir, tmp_path, [{"messages": CONV}], {"keep_dialogue_end": True},
                                      sequence_len=len(want[0]))
    assert (ids[0], labels[0]) == want
    assert (stats["truncated"], stats["dropped"]) == (1, 0)


def test_keep_dialogue_end_without_a_system_and_rows_that_fit(tiny_model_dir, tmp_path):
    conv = CONV[1:]
    short = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yes"}]
    tok, *_ = _prepared(tiny_model_dir, tmp_path, [{"messages": conv}], {})
    want = expected(tok, chatml_pieces(conv[2:]))  # the cut starts at the second question
    _, ids, labels, stats = _prepared(tiny_model_dir, tmp_path, [{"messages": conv}, {"messages": short}],
                                      {"keep_dialogue_end": True}, sequence_len=len(want[0]) + 1)
    assert (ids[0], labels[0]) == want
    assert (ids[1], labels[1]) == expected(tok, chatml_pieces(short))  # it fits: untouched
    assert stats["truncated"] == 1


def test_keep_dialogue_end_leaves_a_row_too_long_even_cut_to_excess_length_strategy(tiny_model_dir, tmp_path):
    tiny = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]
    tok, *_ = _prepared(tiny_model_dir, tmp_path, [{"messages": tiny}], {})
    limit = len(expected(tok, chatml_pieces(tiny))[0])  # shorter than CONV's system with its last answer
    _, ids, labels, stats = _prepared(tiny_model_dir, tmp_path, [{"messages": CONV}, {"messages": tiny}],
                                      {"keep_dialogue_end": True}, sequence_len=limit)
    assert (ids, labels) == ([expected(tok, chatml_pieces(tiny))[0]], [expected(tok, chatml_pieces(tiny))[1]])
    assert (stats["truncated"], stats["dropped"]) == (0, 1)
