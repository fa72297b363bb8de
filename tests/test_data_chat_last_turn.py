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
