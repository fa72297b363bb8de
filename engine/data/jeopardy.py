"""``type: jeopardy`` (Axolotl's): rows ``{"question", "category", "answer"}``, Jeopardy clues in the Alpaca prompt.

As Axolotl's JeopardyPromptTokenizingStrategy reads them (src/axolotl/prompt_tokenizers.py): the question is the
instruction, the category the input (a row with no category, or an empty one, gets the shorter prompt without
an input), and the response is ``"what is " + answer``. The prompt is Axolotl's plain Alpaca prompt: the
Jeopardy-worded ``prompt_input`` on its JeopardyPrompter has not been read since Axolotl moved prompts to
``system_format``/``turn_format`` (June 2023), so the same system line as ``type: alpaca`` opens it. Tokens and
labels are then exactly alpaca's (engine.data.alpaca.tokenize_prompted): the prompt is context unless
train_on_inputs, the response and an EOS are learned.
"""

from __future__ import annotations

from typing import Any

from .alpaca import alpaca_prompt, row_text, tokenize_prompted
from .sources import Rows
from .tokenized import Tokenized

ANSWER_PREFIX = "what is "
JEOPARDY_ROW = "{\"question\": \"...\", \"category\": \"...\" (optional), \"answer\": \"...\"}"
_DATASET = "a jeopardy dataset"


def tokenize_jeopardy(rows: Rows, ds: Any, cfg: Any, tokenizer: Any) -> Tokenized:
    prompts: list[str] = []
    responses: list[str] = []
    for row, loc in zip(rows.rows, rows.locs, strict=False):
        question = row_text(row, loc, "question", True, _DATASET, JEOPARDY_ROW)
        category = row_text(row, loc, "category", False, _DATASET, JEOPARDY_ROW)
        responses.append(ANSWER_PREFIX + row_text(row, loc, "answer", True, _DATASET, JEOPARDY_ROW))
        prompts.append(alpaca_prompt(question, category))
    return tokenize_prompted(prompts, responses, cfg, tokenizer)
