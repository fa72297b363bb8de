"""``type: alpaca``: rows ``{"instruction", "input" (optional), "output"}`` in the Stanford Alpaca prompt, as Axolotl's.

The prompt (a fixed preamble, ``### Instruction:``, ``### Input:`` when the row has one, ``### Response:``) is
tokenized with the tokenizer's own special tokens (a BOS where it adds one) and is context unless
train_on_inputs; the output follows without BOS and ends with EOS, and is learned. Rows longer than
sequence_len are dropped or truncated afterwards, like every type (excess_length_strategy).
"""

from __future__ import annotations

from typing import Any

from .errors import fields_of, row_error
from .sources import Rows
from .tokenized import IGNORE, Tokenized, batched

WITH_INPUT = ("Below is an instruction that describes a task, paired with an input that provides further context. "
              "Write a response that appropriately completes the request.\n\n"
              "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n")
WITHOUT_INPUT = ("Below is an instruction that describes a task. Write a response that appropriately completes the "
                 "request.\n\n### Instruction:\n{instruction}\n\n### Response:\n")


def alpaca_prompt(instruction: str, input_text: str | None) -> str:
    """The text the model reads before the response (an empty input uses the shorter prompt)."""
    if input_text:
        return WITH_INPUT.format(instruction=instruction, input=input_text)
    return WITHOUT_INPUT.format(instruction=instruction)


def _text(row: dict, loc: Any, name: str, required: bool) -> str:
    value = row.get(name)
    if value is None and not required:
        return ""
    if name not in row:
        raise row_error(loc, f"missing field '{name}' for an alpaca dataset; the row has {fields_of(row)}. Each row "
                        "must be {\"instruction\": \"...\", \"input\": \"...\" (optional), \"output\": \"...\"}.")
    if not isinstance(value, str):
        raise row_error(loc, f"field '{name}' must be text, got {type(value).__name__}.")
    return value


def tokenize_alpaca(rows: Rows, ds: Any, cfg: Any, tokenizer: Any) -> Tokenized:
    prompts: list[str] = []
    outputs: list[str] = []
    for row, loc in zip(rows.rows, rows.locs):
        instruction = _text(row, loc, "instruction", required=True)
        input_text = _text(row, loc, "input", required=False)
        outputs.append(_text(row, loc, "output", required=True))
        prompts.append(alpaca_prompt(instruction, input_text))
    eos = tokenizer.eos_token_id
    out = Tokenized()
    for start, stop in batched(len(prompts)):
        prompt_ids = tokenizer(prompts[start:stop], add_special_tokens=True)["input_ids"]
        output_ids = tokenizer(outputs[start:stop], add_special_tokens=False)["input_ids"]
        for offset, (prompt, answer) in enumerate(zip(prompt_ids, output_ids)):
            if eos is not None and (not answer or answer[-1] != eos):
                answer = answer + [eos]
            context = list(prompt) if cfg.train_on_inputs else [IGNORE] * len(prompt)
            out.add(prompt + answer, context + answer, start + offset)
    return out
