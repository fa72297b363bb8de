"""``type: jeopardy`` (Axolotl's): question, category and answer, tokenized exactly as Axolotl does.

Axolotl's JeopardyPromptTokenizingStrategy (src/axolotl/prompt_tokenizers.py) reads a row as
(instruction=question, input=category, response="what is " + answer) and its JeopardyPrompter builds the plain
Alpaca prompt (AlpacaPrompter._build_result; the Jeopardy-worded ``prompt_input`` on the class is never read). The
prompts below are written out by hand from that code; ``_axolotl`` transcribes InstructionPromptTokenizingStrategy
.tokenize_prompt and PromptTokenizingStrategy._tokenize, so a tokenizer that adds a BOS is held to Axolotl too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _data_helpers import enc, make_cfg, prepare, tokenizer_for, write_jsonl

from engine.data.errors import DataError

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "axolotl" / "jeopardy-bot.yml"

ROWS = [{"question": "This city is the capital of Onmelvel", "category": "CAPITALS", "answer": "Stozor"},
        {"question": "It flows through Stozor", "category": "", "answer": "the Barim"},
        {"question": "It flows through Stozor", "answer": "the Barim"}]
# AlpacaPrompter (instruct style) with the category as input; an empty or missing category: the no-input prompt.
WITH_CATEGORY = ("Below is an instruction that describes a task, paired with an input that provides further context. "
                 "Write a response that appropriately completes the request.\n\n### Instruction:\nThis city is the "
                 "capital of Onmelvel\n\n### Input:\nCAPITALS\n\n### Response:\n")
NO_CATEGORY = ("Below is an instruction that describes a task. Write a response that appropriately completes the "
               "request.\n\n### Instruction:\nIt flows through Stozor\n\n### Response:\n")
PROMPTS = [WITH_CATEGORY, NO_CATEGORY, NO_CATEGORY]
RESPONSES = ["what is Stozor", "what is the Barim", "what is the Barim"]


def _axolotl(tok, prompt: str, response: str, train_on_inputs: bool) -> tuple[list[int], list[int]]:
    """Axolotl's tokenize_prompt: the prompt with the tokenizer's special tokens and no EOS (labels -100 unless
    train_on_inputs), then the response with an EOS appended and a leading BOS stripped, learned."""
    ids = list(tok(prompt)["input_ids"])
    labels = list(ids) if train_on_inputs else [-100] * len(ids)
    answer = list(tok(response)["input_ids"])
    if answer[-1] != tok.eos_token_id:
        answer.append(tok.eos_token_id)
    if answer[0] == tok.bos_token_id:
        answer = answer[1:]
    return ids + answer, labels + answer


def _rows(tiny_model_dir: Path, tmp_path: Path, **top):
    data = write_jsonl(tmp_path / "jeopardy.jsonl", ROWS)
    cfg = make_cfg(tiny_model_dir, tmp_path, [{"path": str(data), "type": "jeopardy"}], **top)
    return tokenizer_for(cfg), prepare(cfg, use_cache=False).rows


def test_jeopardy_prompt_is_context_and_what_is_answer_is_learned(tiny_model_dir, tmp_path):
    tok, got = _rows(tiny_model_dir, tmp_path)
    answers = [[*enc(tok, r), tok.eos_token_id] for r in RESPONSES]
    prompts = [tok(p)["input_ids"] for p in PROMPTS]
    assert got["input_ids"] == [p + a for p, a in zip(prompts, answers, strict=True)]
    assert got["labels"] == [[-100] * len(p) + a for p, a in zip(prompts, answers, strict=True)]
    assert tok.decode(got["input_ids"][0]) == WITH_CATEGORY + "what is Stozor</s>"
    assert got["input_ids"] == [_axolotl(tok, p, r, False)[0] for p, r in zip(PROMPTS, RESPONSES, strict=True)]


def test_jeopardy_train_on_inputs_learns_the_prompt_too(tiny_model_dir, tmp_path):
    tok, got = _rows(tiny_model_dir, tmp_path, train_on_inputs=True)
    assert got["labels"] == got["input_ids"]
    assert got["input_ids"][1] == tok(NO_CATEGORY)["input_ids"] + enc(tok, "what is the Barim") + [tok.eos_token_id]


@pytest.fixture(scope="module")
def bos_tokenizer(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny tokenizer, adding <s> in front of every text it encodes (as Llama's does)."""
    from tokenizers import processors
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    tok.backend_tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A", special_tokens=[("<s>", tok.bos_token_id)])
    out = tmp_path_factory.mktemp("bos-tokenizer")
    tok.save_pretrained(out)
    return out


@pytest.mark.parametrize("train_on_inputs", [False, True])
def test_jeopardy_with_a_bos_tokenizer_equals_axolotls_tokenize_prompt(tiny_model_dir, tmp_path, bos_tokenizer,
                                                                       train_on_inputs):
    tok, got = _rows(tiny_model_dir, tmp_path, tokenizer_config=str(bos_tokenizer), train_on_inputs=train_on_inputs)
    assert tok("x")["input_ids"][0] == tok.bos_token_id  # the tokenizer really adds a BOS
    expected = [_axolotl(tok, p, r, train_on_inputs) for p, r in zip(PROMPTS, RESPONSES, strict=True)]
    assert got["input_ids"] == [ids for ids, _ in expected]
    assert got["labels"] == [labels for _, labels in expected]
    assert all(ids.count(tok.bos_token_id) == 1 and ids[0] == tok.bos_token_id for ids in got["input_ids"])


def test_a_bad_jeopardy_row_names_its_line_and_field(tiny_model_dir, tmp_path):
    def fails(rows: list[dict]) -> DataError:
        data = write_jsonl(tmp_path / "bad.jsonl", rows)
        with pytest.raises(DataError) as info:
            prepare(make_cfg(tiny_model_dir, tmp_path, [{"path": str(data), "type": "jeopardy"}]), use_cache=False)
        return info.value

    err = fails([ROWS[0], {"question": "It flows through Stozor", "category": "RIVERS", "response": "the Barim"}])
    assert (err.file, err.line) == (str(tmp_path / "bad.jsonl"), 2)
    assert "missing field 'answer' for a jeopardy dataset" in str(err)
    assert "'question', 'category', 'response'" in str(err) and '"answer": "..."' in str(err)
    err = fails([{"question": "How many rivers cross Stozor?", "category": "RIVERS", "answer": 2}])
    assert err.line == 1 and "field 'answer' must be text, got int" in str(err)


def test_the_jeopardy_bot_example_loads_and_the_editor_and_explain_offer_the_type(capsys):
    from engine.cli import main
    from engine.knobs.registry import get_knob
    from engine.preset import load_preset
    from tui.kinds import kind_of

    preset = load_preset(FIXTURE)
    assert [p.format() for p in preset.errors] == []
    [entry] = preset.config.datasets
    assert (entry.path, entry.type) == ("openaccess-ai-collective/jeopardy", "jeopardy")
    assert "jeopardy" in kind_of(get_knob("datasets.type").annotation).choices  # the editor's type select
    assert main(["explain", "datasets.type"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "prompt_answer, jeopardy" in out and "'what is ' + answer" in out
