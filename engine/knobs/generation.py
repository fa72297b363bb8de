"""Generation & evaluation knobs (tunedeck's own): how the tuned model answers in chat, generate and the samples
written at each evaluation.

Axolotl ignores these keys. Its own ``generation_*`` keys (for its sample generation) are kept but not read here:
one set of names serves every place tunedeck makes the model answer, so chat, ``generate`` and the training
samples answer alike.
"""

from __future__ import annotations

from pydantic import BaseModel, field_validator

from .base import Section, knob

S = Section.GENERATION

_EVERYWHERE = "Used by tunedeck chat, tunedeck generate and the sample answers written at each evaluation."


class GenerationKnobs(BaseModel, defer_build=True):
    inference_system_prompt: str | None = knob(
        None, section=S, axolotl=False,
        summary="A system message put before every conversation in chat, generate and the samples.",
        what="When set, each conversation the tuned model answers starts with this system turn, rendered by the "
        "chat template the run trained with. A prompts line or a validation row that brings its own system "
        "turn keeps that one. " + _EVERYWHERE,
        cost="None; a system prompt unlike the training data's can make a small fine-tune answer worse.",
        typical="Empty, or the system prompt your training conversations use.",
        interacts=("inference_max_new_tokens", "chat_template"),
    )
    inference_max_new_tokens: int = knob(
        256, section=S, basic=True, ge=1, le=32768, axolotl=False,
        summary="The longest answer, in tokens; generation stops earlier at the template's end-of-turn token.",
        what="An upper bound on the tokens generated for one answer. A model that learned where its answers "
        "stop ends earlier, at the chat template's end-of-turn token. " + _EVERYWHERE,
        cost="Longer answers take proportionally longer; the samples at each evaluation pause training for them.",
        typical="256 for chat; 64–128 for samples of short answers.",
        interacts=("sample_answers", "inference_stop_strings"),
    )
    inference_do_sample: bool = knob(
        False, section=S, basic=True, axolotl=False,
        summary="Sample the answer (temperature, top_p, top_k) instead of taking the likeliest token each time.",
        what="false: greedy decoding (or beam search with inference_num_beams), the same answer every time, "
        "which is what you want to see whether the model learned its data. true: each token is drawn at "
        "random from the distribution shaped by inference_temperature, inference_top_p and inference_top_k, "
        "so answers vary. " + _EVERYWHERE,
        cost="None in speed; sampled answers differ between runs, so samples at two evaluations are harder to "
        "compare.",
        typical="false to check learning; true for a livelier chat.",
        interacts=("inference_temperature", "inference_top_p", "inference_top_k", "inference_num_beams"),
    )
    inference_temperature: float = knob(
        0.7, section=S, gt=0, le=5, axolotl=False,
        summary="How random sampled answers are: below 1 sharper, above 1 wilder (only with inference_do_sample).",
        what="Divides the model's scores before sampling: 0.1 is nearly greedy, 1 is the model's own "
        "distribution, higher flattens it. Read only when inference_do_sample is true.",
        cost="Higher gives more varied but less reliable answers.",
        typical="0.7; 0.2–0.5 for factual answers.",
        interacts=("inference_do_sample", "inference_top_p", "inference_top_k"),
    )
    inference_top_p: float = knob(
        1.0, section=S, gt=0, le=1, axolotl=False,
        summary="Sample only from the likeliest tokens whose probabilities add up to this (only with sampling).",
        what="Nucleus sampling: each step keeps the smallest set of tokens whose probability reaches top_p and "
        "samples among them; 1 keeps every token. Read only when inference_do_sample is true.",
        cost="Lower cuts off unlikely tokens (fewer odd words) at the price of variety.",
        typical="0.9–1.0.",
        interacts=("inference_do_sample", "inference_temperature", "inference_top_k"),
    )
    inference_top_k: int = knob(
        50, section=S, ge=0, axolotl=False,
        summary="Sample only from the k likeliest tokens; 0 turns the limit off (only with sampling).",
        what="Each step keeps the k likeliest tokens and samples among them. Read only when inference_do_sample "
        "is true.",
        cost="Lower is safer and duller; 0 lets any token through.",
        typical="50; 0 with top_p doing the cutting.",
        interacts=("inference_do_sample", "inference_top_p"),
    )
    inference_repetition_penalty: float = knob(
        1.0, section=S, gt=0, le=5, axolotl=False,
        summary="Make tokens already in the conversation less likely to come again; 1 is no penalty.",
        what="Scores of tokens that already appeared are divided by this (above 1) before choosing the next "
        "token. It curbs loops in small or undertrained models. " + _EVERYWHERE,
        cost="Too high and the model avoids words it must repeat (names, numbers), and answers degrade.",
        typical="1.0; 1.1–1.2 for a model that loops.",
        interacts=("inference_do_sample",),
    )
    inference_num_beams: int = knob(
        1, section=S, ge=1, le=16, axolotl=False,
        summary="Beam search width: keep this many candidate answers and return the best (1: no beam search).",
        what="Above 1, generation follows several continuations at once and returns the likeliest whole "
        "answer. Answers then arrive all at once rather than token by token in chat. " + _EVERYWHERE,
        cost="Memory and time grow with the number of beams.",
        typical="1; 2–4 for short factual answers.",
        interacts=("inference_do_sample", "inference_max_new_tokens"),
    )
    inference_stop_strings: list[str] | None = knob(
        None, section=S, axolotl=False,
        summary="Extra text that ends an answer, besides the chat template's end-of-turn token.",
        what="Generation stops when the answer contains any of these strings (e.g. a role header the model "
        "starts writing after its answer). The chat template's end-of-turn tokens always stop it; these "
        "are for what the template does not cover. " + _EVERYWHERE,
        cost="None; a string that also occurs inside real answers cuts them short.",
        typical="Empty; e.g. ['\\nUser:'] for a model trained without a chat template.",
        interacts=("inference_max_new_tokens", "eot_tokens"),
    )
    sample_answers: int = knob(
        0, section=S, basic=True, ge=0, le=64, axolotl=False,
        summary="At each evaluation, answer this many prompts and show the answers next to the reference ones.",
        what="At every evaluation the trainer makes the model answer N prompts (the first N validation rows, "
        "or the first N lines of sample_prompts_file) with the inference_* settings, and writes each answer "
        "to the run folder: the run screen and tunedeck attach show them beside the reference answer, so you "
        "watch the answers improve. With them come a text-overlap score (chrF, 0–100) of the answers against "
        "the references and the perplexity from the evaluation loss. 0 turns samples off.",
        cost="Each evaluation pauses training while N answers are generated (inference_max_new_tokens each).",
        typical="0; 3–5 to watch a run learn.",
        interacts=("sample_prompts_file", "val_set_size", "evals_per_epoch", "inference_max_new_tokens"),
    )
    sample_prompts_file: str | None = knob(
        None, section=S, axolotl=False,
        summary="A JSONL file of prompts for the samples (default: the validation rows).",
        what="Each line is {\"prompt\": \"...\"} or {\"messages\": [{\"role\": ..., \"content\": ...}, ...]}, "
        "optionally with \"reference\": the expected answer. When a conversation ends with an assistant turn, "
        "that turn is the reference and the model answers the turns before it. Relative paths resolve from "
        "the working directory, then beside the preset.",
        cost="None.",
        typical="Empty (the first validation rows); a file of your own probing questions.",
        interacts=("sample_answers",),
    )

    @field_validator("inference_stop_strings")
    @classmethod
    def _no_empty_stop(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and any(not s for s in value):
            raise ValueError("inference_stop_strings holds an empty string, which would end every answer at once: "
                             "remove it")
        return value
