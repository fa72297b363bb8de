"""Preference-tuning knobs: train on pairs of a better and a worse answer (DPO, IPO, ORPO, SimPO) or on answers
labelled good or bad (KTO), after supervised fine-tuning. Axolotl's names and meanings (``rl:`` and friends)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, field_validator

from .base import Section, knob

S = Section.SCHEDULE

PreferenceMethod = Literal["dpo", "ipo", "orpo", "kto", "simpo"]
PREFERENCE_METHODS: tuple[str, ...] = ("dpo", "ipo", "orpo", "kto", "simpo")
# Methods that compare a chosen with a rejected answer; KTO reads single answers labelled desirable or not.
PAIRED_METHODS = ("dpo", "ipo", "orpo", "simpo")
# Methods whose loss compares the policy with a frozen reference model (ORPO and SimPO need none).
REFERENCE_METHODS = ("dpo", "ipo", "kto")

# Dataset types of preference data, as Axolotl names them (src/axolotl/prompt_strategies/dpo and kto). Under
# dpo/ipo/orpo/simpo a type reads chosen/rejected pairs; under kto the chatml./llama3. types read one completion
# with a desirable label. How each renders lives in engine.data.preference_formats.
PreferenceDatasetType = Literal[
    "chat_template.default", "chat_template.argilla_chat", "chat_template.argilla",
    "chatml.intel", "chatml.icr", "chatml.prompt_pairs", "chatml.argilla_chat", "chatml.ultra", "chatml.argilla",
    "llama3.intel", "llama3.icr", "llama3.prompt_pairs", "llama3.argilla_chat", "llama3.ultra", "llama3.argilla",
]
PAIR_TYPES: tuple[str, ...] = (
    "chat_template.default", "chat_template.argilla_chat", "chat_template.argilla",
    "chatml.intel", "chatml.icr", "chatml.prompt_pairs", "chatml.argilla_chat", "chatml.ultra",
    "llama3.intel", "llama3.icr", "llama3.prompt_pairs", "llama3.argilla_chat", "llama3.ultra",
)
# chat_template.default under kto reads field_messages / field_completion / field_label (tunedeck's own reading).
KTO_TYPES: tuple[str, ...] = (
    "chat_template.default",
    "chatml.argilla", "chatml.argilla_chat", "chatml.intel", "chatml.prompt_pairs", "chatml.ultra",
    "llama3.argilla", "llama3.argilla_chat", "llama3.intel", "llama3.prompt_pairs", "llama3.ultra",
)


def is_preference_type(value: str) -> bool:
    return value in PAIR_TYPES or value in KTO_TYPES


# rl: values Axolotl knows (its RLType) that tunedeck does not train, with what they are.
REFUSED_RL = {
    "grpo": "reinforcement learning from a reward function (GRPO)",
    "gdpo": "reinforcement learning from a reward function (GDPO)",
    "ebft": "energy-based fine-tuning (EBFT)",
}


def refused_rl_message(value: Any) -> str:
    """Why an ``rl:`` value tunedeck does not train is refused, naming it (never a silent SFT run)."""
    name = str(value).strip().lower()
    what = REFUSED_RL.get(name, f"an rl method tunedeck does not know ('{value}')")
    return (f"rl: {value} asks for {what}, which tunedeck does not support: it trains supervised fine-tuning and "
            f"the preference methods {', '.join(PREFERENCE_METHODS)}. Set rl to one of those, remove rl for "
            "supervised fine-tuning, or train this config with Axolotl itself")


class PreferenceKnobs(BaseModel, defer_build=True):
    rl: PreferenceMethod | None = knob(
        None, section=S, shapes_data=True, basic=True,
        summary="Preference tuning: dpo, ipo, orpo, kto or simpo; empty trains supervised (SFT).",
        what="Empty: supervised fine-tuning, the model imitates the answers in the data. Set, the model learns "
        "from preferences instead: dpo raises the likelihood of a chosen answer over a rejected one relative to "
        "a frozen reference model; ipo is DPO with a squared loss that does not push the margin without end; "
        "orpo folds an SFT loss and an odds-ratio preference term into one run with no reference model; simpo "
        "compares length-normalised likelihoods against a target margin, also without a reference; kto learns "
        "from single answers labelled desirable or undesirable (prompt, completion and label rows).",
        cost="DPO, IPO and KTO run the reference model too: with an adapter it is the base with the adapter "
        "switched off (no extra memory, one more forward pass per step); in a full fine-tune it is a frozen "
        "copy of the whole model (its weights again in memory). Each pair is two sequences, so a step costs "
        "about twice an SFT step of the same batch.",
        typical="Empty for a first fine-tune; dpo on top of an SFT model (lora_model_dir or an instruct "
        "base_model) with a learning rate 10–100× below SFT's (5e-7 to 5e-6 full, 5e-6 to 5e-5 LoRA).",
        interacts=("rl_beta", "learning_rate", "datasets.type", "sample_packing", "lora_model_dir",
                   "rl_adapter_ref_model", "max_prompt_len"),
    )
    rl_beta: float | None = knob(
        None, section=S, gt=0, aliases=("dpo_beta",),
        summary="Beta: how far the model may drift from the reference (default 0.1).",
        what="The temperature of the preference loss. In DPO and KTO, higher beta keeps the model close to the "
        "reference model (small, safe changes); lower beta lets the preference pull it further. In IPO it is the "
        "regulariser τ; in SimPO the scale of the length-normalised reward; ORPO takes its weight from orpo_alpha "
        "instead. dpo_beta is the old name of this knob and is read as rl_beta.",
        cost="Too low (below ~0.01) and the model can drift into odd, repetitive text while the margin grows; too "
        "high (above ~0.5) and it barely changes. No memory or speed cost.",
        typical="0.1 for DPO and KTO (trl's default); 0.01–0.1 for IPO; 2–2.5 for SimPO.",
        interacts=("rl", "learning_rate", "simpo_gamma"),
    )
    dpo_label_smoothing: float | None = knob(
        None, section=S, ge=0, lt=0.5,
        summary="DPO: the share of pairs assumed mislabelled (robust DPO), 0 to below 0.5.",
        what="Robust DPO (cDPO): treats each preference as flipped with this probability, so noisy pairs pull "
        "less hard. Used with rl: dpo only (IPO has no label smoothing).",
        cost="Higher values learn less from each pair; 0 trusts every label fully.",
        typical="Empty (0); 0.1 for crowd-sourced or AI-judged preferences.",
        interacts=("rl", "rl_beta"),
    )
    orpo_alpha: float | None = knob(
        None, section=S, gt=0,
        summary="ORPO: weight of the odds-ratio preference term beside the SFT loss (default 0.1).",
        what="ORPO trains the chosen answer with an ordinary SFT loss and adds this weight times an odds-ratio "
        "term that pushes the rejected answer down (trl calls it beta).",
        cost="Higher values favour the preference over imitating the chosen answer; too high and the SFT part "
        "stops teaching.",
        typical="0.1 (paper and trl default); 0.05–0.5.",
        interacts=("rl",),
    )
    simpo_gamma: float | None = knob(
        None, section=S, ge=0,
        summary="SimPO: the target reward margin between chosen and rejected (default 0.5).",
        what="SimPO wants the chosen answer's length-normalised reward to beat the rejected one's by at least "
        "this margin.",
        cost="A larger margin pushes harder and can over-optimise; 0 is plain length-normalised preference.",
        typical="0.5–1.5 (with rl_beta 2–2.5).",
        interacts=("rl", "rl_beta", "cpo_alpha"),
    )
    cpo_alpha: float | None = knob(
        None, section=S, ge=0,
        summary="SimPO/CPO: weight of the SFT (behaviour cloning) loss on the chosen answer (trl default 1.0).",
        what="Adds this weight times the chosen answer's SFT loss to the SimPO loss (CPO's regulariser). 0 is "
        "pure SimPO.",
        cost="Higher values keep the model imitating the chosen answers; 0 relies on the preference alone.",
        typical="0 for pure SimPO; 1.0 for CPO-style training.",
        interacts=("rl", "simpo_gamma"),
    )
    kto_desirable_weight: float | None = knob(
        None, section=S, gt=0,
        summary="KTO: weight of the desirable answers' loss (default 1.0).",
        what="Scales the loss on rows labelled desirable. KTO's paper balances the two kinds so that "
        "desirable_weight × desirable rows ≈ undesirable_weight × undesirable rows (within 1 to 4/3).",
        cost="Off-balance weights make the model learn mostly from one kind of example.",
        typical="1.0; raise it when desirable rows are fewer than undesirable ones.",
        interacts=("rl", "kto_undesirable_weight"),
    )
    kto_undesirable_weight: float | None = knob(
        None, section=S, gt=0,
        summary="KTO: weight of the undesirable answers' loss (default 1.0).",
        what="Scales the loss on rows labelled undesirable; see kto_desirable_weight for the balance KTO wants.",
        cost="As kto_desirable_weight.",
        typical="1.0; raise it when undesirable rows are fewer.",
        interacts=("rl", "kto_desirable_weight"),
    )
    max_prompt_len: int | None = knob(
        None, section=S, shapes_data=True, ge=1,
        summary="Preference tuning and reward models: keep at most this many prompt tokens (the end of the prompt).",
        what="A prompt longer than this keeps its last max_prompt_len tokens (the most recent turns and the "
        "assistant header), so long contexts leave room for the answers within sequence_len. preview and "
        "preprocess count the prompts cut.",
        cost="A cut prompt loses its beginning (an early system prompt or turn); a larger limit leaves less room "
        "for answers, which excess_length_strategy then drops or cuts.",
        typical="Empty (no cut); about half of sequence_len for long multi-turn prompts.",
        interacts=("rl", "reward_model", "sequence_len", "excess_length_strategy"),
    )
    rl_adapter_ref_model: bool = knob(
        False, section=Section.ADAPTER,
        summary="With an adapter: load a separate reference model instead of switching the adapter off.",
        what="With lora/qlora the reference model is normally the base with the adapter disabled, which costs no "
        "memory. In Axolotl, true loads a second, frozen copy of the base model (with lora_model_dir's adapter "
        "merged in when one is set) as the reference. tunedeck does not support true yet (it is an error): its "
        "reference is the starting model inside the same one, which with lora_model_dir is already the SFT model.",
        cost="A whole second copy of the base weights in memory.",
        typical="false; in Axolotl, true when starting from an SFT adapter (lora_model_dir), so the reference is "
        "the SFT model rather than the base (tunedeck's reference already is).",
        interacts=("rl", "adapter", "lora_model_dir"),
    )
    lora_model_dir: str | None = knob(
        None, section=Section.ADAPTER, path="file",
        summary="Start from a trained LoRA adapter (a folder with adapter_config.json) instead of a new one.",
        what="Loads this adapter onto base_model and keeps training it, e.g. the output of an SFT run before "
        "preference tuning. Its own adapter_config.json decides the layers and rank, so lora_target_modules "
        "and lora_r are not needed (nor read: validate warns when they are set). A relative path is looked up "
        "from the working directory, then beside the preset.",
        cost="None; the adapter must have been trained on the same base_model.",
        typical="Empty; the output_dir of your SFT run (outputs/my-sft) before a DPO run.",
        interacts=("adapter", "rl", "rl_adapter_ref_model", "base_model"),
    )

    @field_validator("rl", mode="before")
    @classmethod
    def _known_method(cls, value: Any) -> Any:
        if value is None or value is False or value == "":
            return None
        name = str(value).strip().lower()
        if name not in PREFERENCE_METHODS:
            raise ValueError(refused_rl_message(value))
        return name

    @field_validator("lora_model_dir")
    @classmethod
    def _dir_nonempty(cls, value: str | None) -> str | None:
        return value if value is None or value.strip() else None
