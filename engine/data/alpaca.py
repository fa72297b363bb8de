"""``type: alpaca`` (and ``alpaca:chat`` / ``alpaca:chatml`` / ``alpaca:phi``): rows ``{"instruction", "input"
(optional), "output"}`` in Axolotl's Alpaca prompt, in the style the type names after the colon.

The prompt (a fixed system line, then the instruction and the input when the row has one, in the style's
markers) is tokenized with the tokenizer's own special tokens (a BOS where it adds one) and is context unless
train_on_inputs; the output follows without BOS and ends with EOS, and is learned. Rows longer than
sequence_len are dropped or truncated afterwards, like every type (excess_length_strategy).
"""

from __future__ import annotations

from typing import Any

from .errors import fields_of, row_error
from .sources import Rows
from .tokenized import IGNORE, Tokenized, batched

SYSTEM_WITH_INPUT = ("Below is an instruction that describes a task, paired with an input that provides further "
                     "context. Write a response that appropriately completes the request.")
SYSTEM_WITHOUT_INPUT = ("Below is an instruction that describes a task. Write a response that appropriately "
                        "completes the request.")

# Axolotl's AlpacaPrompter.match_prompt_style (src/axolotl/prompters.py), character for character:
# style -> (system line, turn with an input, turn without one). "alpaca" alone is the instruct style.
PROMPT_STYLES: dict[str, tuple[str, str, str]] = {
    "instruct": ("{system}\n\n", "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n",
                 "### Instruction:\n{instruction}\n\n### Response:\n"),
    "chat": ("SYSTEM: {system}\n", "USER: {instruction}\n{input}\nASSISTANT:", "USER: {instruction}\nASSISTANT:"),
    "chatml": ("<|im_start|>system\n{system}<|im_end|>\n",
               "<|im_start|>user\n{instruction}\n{input}<|im_end|>\n<|im_start|>assistant\n",
               "<|im_start|>user\n{instruction}<|im_end|>\n<|im_start|>assistant\n"),
    "phi": ("<|system|>\n{system}<|end|>\n", "<|user|>\n{instruction}<|end|>{input}<|assistant|>",
            "<|user|>\n{instruction}<|end|>\n<|assistant|>\n"),
}


def prompt_style(dataset_type: str) -> str:
    """``alpaca:chat`` -> ``chat``; plain ``alpaca`` -> ``instruct``."""
    return dataset_type.partition(":")[2] or "instruct"


def alpaca_prompt(instruction: str, input_text: str | None, style: str = "instruct") -> str:
    """The text the model reads before the response (an empty input uses the shorter prompt)."""
    system, with_input, without_input = PROMPT_STYLES[style]
    if input_text:
        return system.format(system=SYSTEM_WITH_INPUT) + with_input.format(instruction=instruction, input=input_text)
    return system.format(system=SYSTEM_WITHOUT_INPUT) + without_input.format(instruction=instruction)


ALPACA_ROW = "{\"instruction\": \"...\", \"input\": \"...\" (optional), \"output\": \"...\"}"


def row_text(row: dict, loc: Any, name: str, required: bool, dataset: str, shape: str) -> str:
    """Field ``name`` of ``row`` as text ("" for an optional one that is missing or null); a missing or non-text
    field is an error at the row's file:line naming the field, what the row has, and the ``shape`` rows of
    ``dataset`` (e.g. "an alpaca dataset") must have."""
    value = row.get(name)
    if value is None and not required:
        return ""
    if name not in row:
        raise row_error(loc, f"missing field '{name}' for {dataset}; the row has {fields_of(row)}. "
                        f"Each row must be {shape}.")
    if not isinstance(value, str):
        raise row_error(loc, f"field '{name}' must be text, got {type(value).__name__}.")
    return value


def tokenize_alpaca(rows: Rows, ds: Any, cfg: Any, tokenizer: Any) -> Tokenized:
    style = prompt_style(ds.type)
    prompts: list[str] = []
    outputs: list[str] = []
    for row, loc in zip(rows.rows, rows.locs, strict=False):
        instruction = row_text(row, loc, "instruction", True, "an alpaca dataset", ALPACA_ROW)
        input_text = row_text(row, loc, "input", False, "an alpaca dataset", ALPACA_ROW)
        outputs.append(row_text(row, loc, "output", True, "an alpaca dataset", ALPACA_ROW))
        prompts.append(alpaca_prompt(instruction, input_text, style))
    return tokenize_prompted(prompts, outputs, cfg, tokenizer)


def tokenize_prompted(prompts: list[str], outputs: list[str], cfg: Any, tokenizer: Any) -> Tokenized:
    """Each prompt (with the tokenizer's special tokens; context unless train_on_inputs) followed by its output
    (no BOS) and EOS, learned: Axolotl's InstructionPromptTokenizingStrategy (src/axolotl/prompt_tokenizers.py)."""
    eos = tokenizer.eos_token_id
    out = Tokenized()
    for start, stop in batched(len(prompts)):
        prompt_ids = tokenizer(prompts[start:stop], add_special_tokens=True)["input_ids"]
        output_ids = tokenizer(outputs[start:stop], add_special_tokens=False)["input_ids"]
        for offset, (prompt, answer) in enumerate(zip(prompt_ids, output_ids, strict=False)):
            if eos is not None and (not answer or answer[-1] != eos):
                answer = [*answer, eos]
            context = list(prompt) if cfg.train_on_inputs else [IGNORE] * len(prompt)
            out.add(prompt + answer, context + answer, start + offset)
    return out
