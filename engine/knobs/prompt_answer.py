"""Per-dataset knobs of ``type: prompt_answer``: H2O LLM Studio's prompt / answer / system columns.

A mixin of :class:`engine.knobs.datasets.DatasetConfig`, so each is a ``datasets[]`` key. The rendering rules are
H2O LLM Studio's (llm_studio/src/datasets/text_causal_language_modeling_ds.py); engine/data/prompt_answer.py
applies them.
"""

from __future__ import annotations

from pydantic import BaseModel, field_validator

from .base import Section, knob

S = Section.DATASETS
_PA = ("prompt_answer",)


class PromptAnswerKnobs(BaseModel, defer_build=True):
    prompt_column: str | list[str] = knob(
        "prompt", section=S, basic=True, axolotl=False, dataset_types=_PA,
        summary="prompt_answer: the column(s) holding the prompt; several are joined by prompt_column_separator.",
        what="For prompt_answer datasets (CSV, Parquet or JSON rows, as H2O LLM Studio reads them), the column "
        "whose text is the user's prompt. A list of columns joins their texts with prompt_column_separator.",
        cost="None; a wrong name fails at preprocessing, naming the row's columns.",
        typical="prompt, or instruction for H2O's OASST examples.",
        interacts=("datasets.answer_column", "datasets.text_prompt_start", "datasets.prompt_column_separator"),
    )
    prompt_column_separator: str = knob(
        "\n\n", section=S, axolotl=False, dataset_types=_PA,
        summary="prompt_answer: the text between the prompt columns when prompt_column lists several.",
        what="Joins the texts of several prompt columns into one prompt (H2O's default is a blank line).",
        cost="None.",
        typical="A blank line (\\n\\n).",
        interacts=("datasets.prompt_column",),
    )
    answer_column: str = knob(
        "answer", section=S, basic=True, axolotl=False, dataset_types=_PA,
        summary="prompt_answer: the column holding the answer the model learns.",
        what="The reply to each prompt. Its tokens are learned (and the prompt's are masked while "
        "mask_prompt_labels is on). A row without an answer is an error naming the row.",
        cost="None; a wrong name fails at preprocessing.",
        typical="answer, or output for H2O's OASST examples.",
        interacts=("datasets.prompt_column", "datasets.add_eos_token_to_answer", "datasets.mask_prompt_labels"),
    )
    system_column: str | None = knob(
        None, section=S, axolotl=False, dataset_types=_PA,
        summary="prompt_answer: the column holding a system prompt, or empty for none.",
        what="A system text put before the first prompt of a conversation, after text_system_start. An empty "
        "cell means no system text for that row. In a chained conversation only the first row's system is used.",
        cost="Longer rows; the system text is context (never learned while mask_prompt_labels is on).",
        typical="Empty, or system.",
        interacts=("datasets.text_system_start", "datasets.add_eos_token_to_system"),
    )
    parent_id_column: str | None = knob(
        None, section=S, axolotl=False, dataset_types=_PA,
        summary="prompt_answer: the column naming each row's previous turn, to chain rows into conversations.",
        what="Each row is one prompt/answer turn; a row whose parent id names another row's id (id_column) "
        "continues that conversation. Every row then becomes a sample holding its whole history: the turns "
        "before it, then its own (limit_chained_samples keeps only complete conversations). An empty or "
        "unknown parent starts a conversation; a loop is an error.",
        cost="Chains repeat their earlier turns in every later sample: more tokens per epoch, longer rows.",
        typical="Empty for single-turn data; parent_id for OASST-style trees.",
        interacts=("datasets.id_column", "datasets.limit_chained_samples", "datasets.only_last_answer"),
    )
    id_column: str = knob(
        "id", section=S, axolotl=False, dataset_types=_PA,
        summary="prompt_answer: the column holding each row's id (read with parent_id_column).",
        what="The id that other rows' parent_id_column refers to. Ids must be unique.",
        cost="None.",
        typical="id.",
        interacts=("datasets.parent_id_column",),
    )
    limit_chained_samples: bool = knob(
        False, section=S, axolotl=False, dataset_types=_PA,
        summary="prompt_answer: with parent_id_column, one sample per complete conversation, not per turn.",
        what="Off: every row is a sample holding the conversation up to it. On: only rows no other row "
        "continues (the ends of conversations) are samples, each holding its whole conversation.",
        cost="On trains each conversation once instead of once per turn: fewer, longer rows, fewer steps.",
        typical="false (H2O's default).",
        interacts=("datasets.parent_id_column",),
    )
    text_prompt_start: str = knob(
        "<|prompt|>", section=S, axolotl=False, dataset_types=_PA,
        summary="prompt_answer: the text written before every prompt.",
        what="Marks where a user's turn begins. The prompt is rendered as text_prompt_start + prompt "
        "(+ EOS with add_eos_token_to_prompt) + text_answer_separator, then the answer follows.",
        cost="A marker the tokenizer does not know is split into several ordinary tokens; use the same "
        "markers when you chat with the model.",
        typical="<|prompt|> (H2O's default), or e.g. '### Question:\\n'.",
        interacts=("datasets.text_answer_separator", "datasets.add_eos_token_to_prompt"),
    )
    text_answer_separator: str = knob(
        "<|answer|>", section=S, axolotl=False, dataset_types=_PA,
        summary="prompt_answer: the text between a prompt and its answer.",
        what="Ends the prompt part and starts the answer; it belongs to the prompt, so it is masked while "
        "mask_prompt_labels is on. At inference the prompt ends with it and the model writes the answer.",
        cost="Same as text_prompt_start: keep the markers you will chat with.",
        typical="<|answer|> (H2O's default), or e.g. '\\n### Answer:\\n'.",
        interacts=("datasets.text_prompt_start",),
    )
    text_system_start: str = knob(
        "<|system|>", section=S, axolotl=False, dataset_types=_PA,
        summary="prompt_answer: the text written before the system prompt (when system_column has one).",
        what="Marks the system text that opens a conversation. Nothing is written for a row without one.",
        cost="None.",
        typical="<|system|> (H2O's default).",
        interacts=("datasets.system_column", "datasets.add_eos_token_to_system"),
    )
    add_eos_token_to_prompt: bool = knob(
        True, section=S, axolotl=False, dataset_types=_PA,
        summary="prompt_answer: put the tokenizer's EOS after each prompt text (before text_answer_separator).",
        what="H2O's default separates the prompt from the answer marker with an EOS token. It is part of the "
        "prompt (masked while mask_prompt_labels is on).",
        cost="One token per turn; keep it as the model was (or will be) prompted.",
        typical="true (H2O's default).",
        interacts=("datasets.text_prompt_start", "datasets.text_answer_separator"),
    )
    add_eos_token_to_answer: bool = knob(
        True, section=S, axolotl=False, dataset_types=_PA,
        summary="prompt_answer: end each answer with the tokenizer's EOS (learned with the answer).",
        what="The EOS after an answer is learned with it, which is how the model learns to stop talking. An "
        "answer cut by max_length_answer keeps its EOS.",
        cost="Off: the model does not learn to stop after its answer and keeps generating.",
        typical="true.",
        interacts=("datasets.answer_column", "datasets.max_length_answer"),
    )
    add_eos_token_to_system: bool = knob(
        True, section=S, axolotl=False, dataset_types=_PA,
        summary="prompt_answer: put the tokenizer's EOS after the system text.",
        what="Separates the system text from the first prompt with an EOS token (context, not learned while "
        "mask_prompt_labels is on).",
        cost="One token per conversation.",
        typical="true (H2O's default).",
        interacts=("datasets.system_column", "datasets.text_system_start"),
    )
    mask_prompt_labels: bool = knob(
        True, section=S, axolotl=False, dataset_types=_PA,
        summary="prompt_answer: learn only the answers; the system text, prompts and markers are context.",
        what="On: labels of the system text, the prompts, their markers and EOS are masked, so the loss "
        "covers only the answers. Off: every token is learned, as with train_on_inputs (which also unmasks).",
        cost="Off teaches the model to write prompts too and spends the learning on them.",
        typical="true.",
        interacts=("datasets.only_last_answer", "train_on_inputs"),
    )
    only_last_answer: bool = knob(
        False, section=S, axolotl=False, dataset_types=_PA,
        summary="prompt_answer: in a chained conversation, learn only its last answer (with mask_prompt_labels).",
        what="With parent_id_column, a sample holds earlier turns; on, their answers are context too and only "
        "the final answer is learned. Read only while mask_prompt_labels is on (as in H2O).",
        cost="Fewer trained tokens per sample; earlier answers are still learned in their own samples unless "
        "limit_chained_samples is on.",
        typical="false.",
        interacts=("datasets.parent_id_column", "datasets.mask_prompt_labels"),
    )
    max_length_prompt: int | None = knob(
        None, section=S, axolotl=False, dataset_types=_PA, ge=1,
        summary="prompt_answer: the most tokens of each prompt (its end is kept) and of the system text (its start).",
        what="A prompt longer than this loses its beginning (the question usually sits at the end); a system "
        "text loses its end. Empty: sequence_len. The whole sample is then cut to sequence_len from the "
        "start, keeping the latest turns (H2O's rule, whatever excess_length_strategy says).",
        cost="A low limit keeps room for the answers in long-prompt data but drops context the answer may need.",
        typical="Empty, or about half of sequence_len for long documents with short answers.",
        interacts=("datasets.max_length_answer", "sequence_len"),
    )
    max_length_answer: int | None = knob(
        None, section=S, axolotl=False, dataset_types=_PA, ge=1,
        summary="prompt_answer: the most tokens of each answer (its start is kept, its EOS too).",
        what="An answer longer than this keeps its beginning, and still ends with EOS when "
        "add_eos_token_to_answer is on. Empty: sequence_len.",
        cost="A low limit teaches the model to stop early on long answers.",
        typical="Empty.",
        interacts=("datasets.max_length_prompt", "datasets.add_eos_token_to_answer", "sequence_len"),
    )

    @field_validator("prompt_column")
    @classmethod
    def _prompt_columns(cls, value: str | list[str]) -> str | list[str]:
        names = [value] if isinstance(value, str) else value
        if not names or any(not name.strip() for name in names):
            raise ValueError("prompt_column needs a column name (or a list of names), none of them empty")
        return value

    @field_validator("answer_column", "id_column")
    @classmethod
    def _column_named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the column name is empty: name the column of your data")
        return value
