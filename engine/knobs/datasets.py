"""Dataset knobs: where the training text comes from and how it becomes tokens and labels."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

from .base import Section, knob
from .mixing import SamplingWeightKnob
from .preference import PreferenceDatasetType
from .preference_fields import PreferenceFieldKnobs
from .prompt_answer import PromptAnswerKnobs
from .reward import RewardDatasetType

S = Section.DATASETS

# alpaca:STYLE picks the prompt style of Axolotl's AlpacaPrompter (plain alpaca is alpaca:instruct).
DatasetType = Literal["completion", "input_output", "alpaca", "alpaca:instruct", "alpaca:chat", "alpaca:chatml",
                      "alpaca:phi", "chat_template", "prompt_answer", "jeopardy", PreferenceDatasetType,
                      RewardDatasetType]
TrainOnEos = Literal["all", "turn", "last", "none"]

_EOS_OPTIONS = (
    "all: every EOS in the conversation is learned; turn: only the EOS closing a trained turn (so the model "
    "learns to stop after its own answers); last: only the final EOS; none: no EOS is learned."
)


class _CommonDatasetKnobs(BaseModel):
    """The keys of a ``datasets:`` entry that are not one type's own."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, defer_build=True)

    path: str = knob(
        ..., section=S, path="data", basic=True,
        summary="A local file or folder (.jsonl/.json/.parquet/.csv/.txt) or a Hugging Face dataset id.",
        what="Where this source's rows come from. A relative path is looked up from the working directory "
        "first, then beside the preset file. Anything that is not on disk is treated as a Hub dataset id.",
        cost="Data quality and quantity matter more than any other knob. More rows means more optimizer steps "
        "per epoch and a longer run.",
        typical="data/train.jsonl, or a Hub id such as mlabonne/FineTome-100k.",
        interacts=("datasets.type", "datasets.split", "datasets.data_files", "datasets.ds_type"),
    )
    type: DatasetType = knob(
        "completion", section=S, basic=True,
        summary="How rows become tokens: completion, input_output, alpaca, chat_template, prompt_answer, jeopardy, "
        "or a preference type.",
        what="completion: each row's text column is learned whole. "
        "input_output: rows are segments {text, label}; only label true is learned and NO BOS/EOS is added "
        "(write them into the text). alpaca: instruction, optional input and output in the Alpaca prompt; the "
        "output and an EOS are learned (alpaca:chat, :chatml, :phi use Axolotl's USER:/ASSISTANT:, ChatML or "
        "Phi-3 markers). chat_template: messages rendered by a chat template; by default the assistant's "
        "turns are learned. prompt_answer (tunedeck's, for H2O LLM Studio data): prompt and answer columns "
        "joined by markers; the answers are learned. jeopardy: question, optional category, answer as "
        "alpaca's instruction, input, output 'what is ' + answer.",
        cost="completion learns every token (good for facts, worse for teaching a reply style); alpaca and "
        "chat_template spend the learning only on answers. The wrong type for the data fails at preprocessing.",
        typical="chat_template for conversations, completion for raw text and factual learning, alpaca for "
        "instruction datasets in that shape (jeopardy for Jeopardy clues), input_output for custom prompt "
        "formats. With rl: "
        "chat_template.default (field_messages, field_chosen, field_rejected), chat_template.argilla_chat "
        "(chosen/rejected conversations), chatml.intel (question, chosen, rejected, system); under rl: kto "
        "chatml.argilla (instruction, completion, label) or chatml.prompt_pairs (prompt, completion, label). "
        "With reward_model: bradley_terry.chat_template (input, chosen, rejected, optional system).",
        interacts=("datasets.field", "datasets.field_messages", "datasets.roles", "train_on_inputs", "chat_template"),
    )
    split: str = knob(
        "train", section=S,
        summary="Which split of the dataset to read.",
        what="The named split to load, e.g. train or test. Local .jsonl/.json/.csv files have a single "
        "split called train.",
        cost="None; pointing at a small test split trains on less data.",
        typical="train.",
        interacts=("datasets.path",),
    )
    name: str | None = knob(
        None, section=S,
        summary="The dataset's configuration name, for hub datasets that have several.",
        what="Some Hub datasets bundle several configurations (languages, subsets); this picks one, like the "
        "second argument of datasets.load_dataset.",
        cost="None.",
        typical="Empty; e.g. 'en' or 'default' when the dataset card lists configurations.",
        interacts=("datasets.path",),
    )
    data_files: str | list[str] | None = knob(
        None, section=S,
        summary="Specific files inside path to read.",
        what="Restricts loading to these files (a name, a glob or a list) inside path or the Hub repository, "
        "instead of everything there.",
        cost="None; useful to train on one shard of a large dataset.",
        typical="Empty, or e.g. data/shard-0001.parquet.",
        interacts=("datasets.path", "datasets.ds_type"),
    )
    ds_type: Literal["json", "parquet", "csv", "text", "arrow"] | None = knob(
        None, section=S,
        summary="File format; inferred from the extension when left empty.",
        what="How to parse local files: json (also .jsonl), parquet, csv, text (one row per line) or arrow. "
        "Only needed when the file extension does not say it.",
        cost="None.",
        typical="Empty.",
        interacts=("datasets.path", "datasets.data_files"),
    )
    field: str | None = knob(
        None, section=S, basic=True, dataset_types=("completion",),
        summary="completion: the column holding the text (default: text).",
        what="For completion datasets, which column of each row holds the text to train on. Other types "
        "ignore it.",
        cost="None; the wrong column name fails at preprocessing.",
        typical="Empty (text), or content / body for data that names it so.",
        interacts=("datasets.type",),
    )
    chat_template: str | None = knob(
        None, section=S, dataset_types=("chat_template",),
        summary="chat_template: this source's template (chatml, llama3, tokenizer_default, jinja, ...).",
        what="The chat template for this source only, when it must differ from the top-level chat_template. "
        "tokenizer_default uses the template saved with the tokenizer; jinja uses this entry's "
        "chat_template_jinja.",
        cost="Training on one template and chatting with another degrades answers; keep it the template you "
        "will use at inference.",
        typical="Empty (use the top-level one).",
        interacts=("chat_template", "datasets.type", "datasets.chat_template_jinja"),
    )
    chat_template_jinja: str | None = knob(
        None, section=S, dataset_types=("chat_template",),
        summary="chat_template: this source's own Jinja template (or .jinja file), for chat_template: jinja.",
        what="A complete Jinja chat template, or the path of a file holding one, for this source only. It "
        "applies when this entry's chat_template is jinja, or empty (then jinja is implied); this entry's "
        "template then replaces the top-level one.",
        cost="Same as chat_template: train in the format you will chat in.",
        typical="Empty; set the top-level chat_template_jinja instead unless sources differ.",
        interacts=("datasets.chat_template", "chat_template_jinja", "datasets.type"),
    )
    field_messages: str = knob(
        "messages", section=S, basic=True, dataset_types=("chat_template",),
        summary="chat_template: the column holding the list of messages.",
        what="For chat_template datasets, which column of each row holds the conversation (a list of "
        "message objects). ShareGPT-style data calls it conversations.",
        cost="None; the wrong name fails at preprocessing.",
        typical="messages (OpenAI style) or conversations (ShareGPT style).",
        interacts=("datasets.type", "datasets.message_property_mappings"),
    )
    field_chosen: str = knob(
        "chosen", section=S, dataset_types=("chat_template.default",),
        summary="chat_template.default (preference): the column holding the chosen (better) answer.",
        what="For preference pairs of type chat_template.default: the chosen answer, as a string, one message, "
        "or a list of messages whose last one is the answer (Axolotl's rules). The prompt comes from "
        "field_messages.",
        cost="None; the wrong name fails at preprocessing with the row's file and line.",
        typical="chosen.",
        interacts=("datasets.field_rejected", "datasets.field_messages", "rl"),
    )
    field_rejected: str = knob(
        "rejected", section=S, dataset_types=("chat_template.default",),
        summary="chat_template.default (preference): the column holding the rejected (worse) answer.",
        what="For preference pairs of type chat_template.default: the rejected answer, in the same shapes as "
        "field_chosen.",
        cost="None; the wrong name fails at preprocessing with the row's file and line.",
        typical="rejected.",
        interacts=("datasets.field_chosen", "datasets.field_messages", "rl"),
    )
    message_property_mappings: dict[str, str] | None = knob(
        None, section=S, basic=True, dataset_types=("chat_template",),
        summary="chat_template: which keys of a message hold the role and the content, "
        "e.g. {role: from, content: value}.",
        what="Maps the template's message properties (keys role and content) onto the keys your data uses. "
        "OpenAI-style data already uses role/content; ShareGPT data uses from/value, so it needs "
        "{role: from, content: value}.",
        cost="None; a wrong mapping fails at preprocessing or silently drops text.",
        typical="Empty for role/content data; {role: from, content: value} for ShareGPT.",
        interacts=("datasets.roles", "datasets.message_field_role", "datasets.message_field_content"),
    )
    message_field_role: str | None = knob(
        None, section=S, dataset_types=("chat_template",),
        summary="Legacy: the message key holding the role (use message_property_mappings).",
        what="Older spelling of message_property_mappings' role entry: the key in each message that names "
        "the speaker (e.g. from). Kept so old Axolotl configs load.",
        cost="None.",
        typical="Empty; write message_property_mappings: {role: ...} instead.",
        interacts=("datasets.message_property_mappings",),
    )
    message_field_content: str | None = knob(
        None, section=S, dataset_types=("chat_template",),
        summary="Legacy: the message key holding the content (use message_property_mappings).",
        what="Older spelling of message_property_mappings' content entry: the key in each message that holds "
        "the text (e.g. value). Kept so old Axolotl configs load.",
        cost="None.",
        typical="Empty; write message_property_mappings: {content: ...} instead.",
        interacts=("datasets.message_property_mappings",),
    )
    roles: dict[str, list[str]] | None = knob(
        None, section=S, basic=True, dataset_types=("chat_template",),
        summary="chat_template: map the data's role names onto the template's, e.g. user: [human], assistant: [gpt].",
        what="Each key is a role the chat template knows (user, assistant, system, tool); its value lists "
        "the names your data uses for it. ShareGPT data says human and gpt, so it needs "
        "user: [human] and assistant: [gpt].",
        cost="None; an unmapped role name reaches the template unchanged and usually breaks it or is "
        "never trained.",
        typical="Empty for data that already says user/assistant/system; "
        "{user: [human], assistant: [gpt], system: [system]} for ShareGPT.",
        interacts=("datasets.roles_to_train", "datasets.message_property_mappings"),
    )
    roles_to_train: list[str] = knob(
        default_factory=lambda: ["assistant"], section=S, basic=True, dataset_types=("chat_template",),
        summary="chat_template: whose turns carry labels (are learned).",
        what="Template roles whose messages are learned; every other message is context only (its labels "
        "are masked). Names the template's roles, after the roles mapping.",
        cost="Adding user also teaches the model to write user turns, which rarely helps a chat assistant; "
        "fewer trained tokens means a smaller learning signal per step.",
        typical="[assistant].",
        interacts=("datasets.roles", "datasets.train_on_eos", "train_on_inputs"),
    )
    train_last_turn_only: bool = knob(
        False, section=S, axolotl=False, dataset_types=("chat_template",),
        summary="chat_template: learn only the last trained message of each conversation (tunedeck's own).",
        what="Of the messages roles_to_train (or train_on_inputs) would learn, only the last one keeps its "
        "labels (and its end-of-turn token, per train_on_eos); the earlier answers become context. This is "
        "turbo-alignment's only_answer_loss: a multi-turn row teaches its final answer given the whole dialogue. "
        "Axolotl has no such option (it trains every turn of the trained roles), so Axolotl ignores this key.",
        cost="Fewer trained tokens per row, so a weaker learning signal per step; earlier answers in the data "
        "are no longer taught (useful when they are synthetic or poorer than the final one).",
        typical="false; true for data whose earlier turns are only context, or to match turbo-alignment.",
        interacts=("datasets.roles_to_train", "train_on_inputs", "datasets.train_on_eos"),
    )
    keep_dialogue_end: bool = knob(
        False, section=S, axolotl=False, shapes_data=True, dataset_types=("chat_template",),
        summary="chat_template: fit a long conversation by cutting whole messages from its start (tunedeck's own).",
        what="A conversation longer than sequence_len loses its earliest messages, whole, until the rest fits; "
        "a leading system message is kept. The end of the dialogue, with its last answer, is what remains. A "
        "row that does not fit even as the system message and the last message is left to "
        "excess_length_strategy. Cut rows are counted as truncated in preview and preprocess. This is "
        "turbo-alignment's keep_end; Axolotl has no such option (its excess_length_strategy drops the row or "
        "keeps its first tokens), so Axolotl ignores this key.",
        cost="The model sees less of the history before the answers that remain, and those early answers are "
        "not learned; but the row is kept instead of dropped, and its last answer is whole.",
        typical="false; true for long multi-turn data where the latest turns matter most (with "
        "train_last_turn_only, as turbo-alignment trains).",
        interacts=("sequence_len", "excess_length_strategy", "datasets.train_last_turn_only"),
    )
    train_on_eos: TrainOnEos = knob(
        "turn", section=S, dataset_types=("chat_template",),
        summary="chat_template: which end-of-turn EOS tokens are learned: all, turn (trained turns), last or none.",
        what="Decides which EOS tokens in a conversation get labels. " + _EOS_OPTIONS,
        cost="A model that never learns the EOS after its answers does not know when to stop talking. "
        "all also trains the EOS after user turns, which is mostly harmless.",
        typical="turn.",
        interacts=("datasets.roles_to_train", "datasets.train_on_eot", "special_tokens"),
    )
    train_on_eot: TrainOnEos | None = knob(
        None, section=S, dataset_types=("chat_template",),
        summary="chat_template: like train_on_eos for the eot_tokens; defaults to train_on_eos.",
        what="The same choice as train_on_eos, for the end-of-turn tokens listed in eot_tokens (e.g. "
        "<|eot_id|>), which some templates use instead of or besides EOS. " + _EOS_OPTIONS,
        cost="Same as train_on_eos: the model must learn the end-of-turn marker to stop after its answers.",
        typical="Empty (follow train_on_eos).",
        interacts=("eot_tokens", "datasets.train_on_eos"),
    )

    sample_rate: float | None = knob(
        None, section=S, axolotl=False, shapes_data=True, gt=0, le=1,
        summary="Use a random share of this source's rows, e.g. 0.25 for a quarter (tunedeck's own).",
        what="Before tokenizing, round(sample_rate × rows) rows of this source are picked at random (seeded by "
        "seed, kept in file order); the rest are left out of training and validation. Preview and preprocess "
        "count them as sampled_out. This is turbo-alignment's per-source sample_rate (which keeps each record with "
        "that probability); Axolotl has no such key (its shards take a contiguous slice), so Axolotl ignores it.",
        cost="Fewer rows: fewer optimizer steps per epoch and a shorter run; a small source's share of the mix "
        "shrinks with it. Rows are never repeated: a value above 1 is refused.",
        typical="Empty (every row); 0.1 to 0.5 to down-weight a large source or try a run on less data.",
        interacts=("datasets.num_samples", "seed", "val_set_size"),
    )
    num_samples: int | None = knob(
        None, section=S, axolotl=False, shapes_data=True, ge=1,
        summary="Use this many random rows of this source (all of them if it has fewer) (tunedeck's own).",
        what="Before tokenizing, num_samples rows of this source are picked at random (seeded by seed, kept in "
        "file order), or every row when the source has no more. Counted as sampled_out in preview and "
        "preprocess. This is turbo-alignment's per-source num_samples; Axolotl has no such key, so it ignores it. "
        "Give sample_rate or num_samples, not both.",
        cost="Fewer rows: fewer optimizer steps per epoch and a shorter run.",
        typical="Empty (every row); a count such as 5000 to cap a large source.",
        interacts=("datasets.sample_rate", "seed", "val_set_size"),
    )

    @field_validator("num_samples")
    @classmethod
    def _one_sampling(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and info.data.get("sample_rate") is not None:
            raise ValueError("give sample_rate (a share of the rows) or num_samples (a row count), not both")
        return value

    @field_validator("path")
    @classmethod
    def _path_nonempty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("path is empty: give a data file, a folder or a Hugging Face dataset id")
        return value

    @field_validator("field_messages")
    @classmethod
    def _field_messages_nonempty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("field_messages is empty: name the column that holds the messages (e.g. messages)")
        return value

    @field_validator("roles_to_train")
    @classmethod
    def _roles_to_train_nonempty(cls, value: list[str]) -> list[str]:
        if any(not r for r in value):
            raise ValueError("roles_to_train holds an empty name: list template roles such as assistant")
        return value

    @field_validator("chat_template_jinja")
    @classmethod
    def _jinja_nonempty(cls, value: str | None) -> str | None:
        return _jinja_text(value)


class DatasetConfig(SamplingWeightKnob, PreferenceFieldKnobs, PromptAnswerKnobs, _CommonDatasetKnobs):
    """One entry of ``datasets:``: the common keys, then each type's own (the mixins come after them in the editor)."""


class DatasetKnobs(BaseModel, defer_build=True):
    datasets: list[DatasetConfig] = knob(
        default_factory=list, section=S, shapes_data=True, basic=True,
        summary="The training data: one or more sources, each with a type that says how to read it.",
        what="A list of data sources. Each entry names a path and a type (completion, input_output, alpaca "
        "or chat_template) plus that type's settings; all sources are tokenized and mixed into one training set.",
        cost="Data decides the result more than any other setting. More rows mean more optimizer steps per "
        "epoch and a longer run.",
        typical="One or two sources to start with; preview them (tunedeck preview) to see exactly which "
        "tokens are learned.",
        interacts=("val_set_size", "sequence_len", "chat_template", "train_on_inputs"),
    )
    chat_template: str | None = knob(
        None, section=S, shapes_data=True, basic=True, dataset_types=("chat_template",),
        summary="Chat template for chat datasets: a name (chatml, llama3, ...), tokenizer_default or jinja.",
        what="How a list of messages becomes one text with role markers. tokenizer_default uses the template "
        "saved with the tokenizer (right for instruct models); jinja uses your own, written in "
        "chat_template_jinja (as in Axolotl); a name picks a known template: tunedeck's chatml, llama3, mistral, "
        "gemma, phi3 and qwen, every text template Axolotl names (rendered from Axolotl's own file), and SiloGen "
        "finetuning's mistral-with-system, poro and simplified-llama31 (the last two add their markers as special "
        "tokens). Vision-language templates (llava, pixtral, qwen2_vl, llama3_2_vision) render image parts as "
        "the model's image token and need processor_type.",
        cost="The model answers best in the format it was trained in: use the same template at inference. "
        "A template unlike the model's pretraining format needs more data to learn.",
        typical="tokenizer_default for instruct models; llama3 or chatml when training a base model to chat. "
        "Axolotl's names include qwen_25, qwen3, gemma3, llama4, phi_4, deepseek_v3 and mistral_v7_tekken; "
        "tokenizer_default_fallback_NAME uses the tokenizer's own, else NAME. validate lists every known name.",
        interacts=("datasets.chat_template", "datasets.type", "eot_tokens", "special_tokens", "tokenizer_config",
                   "chat_template_jinja"),
    )
    chat_template_jinja: str | None = knob(
        None, section=S, shapes_data=True, dataset_types=("chat_template",),
        summary="Your own Jinja chat template (or the path of a .jinja file), used with chat_template: jinja.",
        what="A complete Jinja chat template as text (a YAML block with |), or the path of a file holding "
        "one. It applies when chat_template is jinja, or empty (then jinja is implied), and is saved with "
        "the trained tokenizer.",
        cost="None by itself; a template that renders differently from the one used at inference hurts answers.",
        typical="Empty; a template copied from a model's tokenizer_config.json when you need your own format.",
        interacts=("chat_template", "datasets.chat_template_jinja", "eot_tokens"),
    )
    eot_tokens: list[str] | None = knob(
        None, section=S, shapes_data=True, dataset_types=("chat_template",),
        summary="Tokens that end a turn in the chat template (besides EOS); trained per train_on_eot.",
        what="The tokens the chat template writes at the end of each turn, such as <|eot_id|> (Llama 3) or "
        "<|im_end|> (ChatML), when they differ from the tokenizer's EOS. Their labels follow train_on_eot.",
        cost="If the model never learns its end-of-turn marker it keeps generating past its answer.",
        typical="Empty when the template ends turns with EOS; [<|eot_id|>] for Llama 3, [<|im_end|>] for ChatML.",
        interacts=("datasets.train_on_eot", "chat_template", "special_tokens"),
    )
    dataset_prepared_path: str | None = knob(
        None, section=S, path="file",
        summary="Folder for the tokenized-data cache (default: last_run_prepared beside output_dir).",
        what="Where tokenized datasets are cached so a rerun with the same data and settings skips "
        "preprocessing. The cache is keyed on the data and the settings that shape tokens.",
        cost="Disk space roughly the size of the tokenized data; saves minutes on large datasets.",
        typical="Empty, or a shared folder such as ./prepared to reuse between presets.",
        interacts=("datasets", "sequence_len"),
    )
    train_on_inputs: bool = knob(
        False, section=S, shapes_data=True,
        summary="Learn the prompt/input tokens too, not only the responses.",
        what="When false, prompt tokens (user turns in chat data) are masked so only responses are learned. "
        "When true every token is learned. With false, completion data still learns every token, "
        "input_output follows each segment's label, and alpaca and jeopardy learn only the output.",
        cost="True gives many more trained tokens per row, which helps memorizing facts but also teaches the "
        "model to imitate prompts.",
        typical="false for chat assistants; true when the goal is absorbing knowledge from the text.",
        interacts=("datasets.type", "datasets.roles_to_train"),
    )

    @field_validator("chat_template_jinja")
    @classmethod
    def _jinja_nonempty(cls, value: str | None) -> str | None:
        return _jinja_text(value)


def _jinja_text(value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise ValueError("chat_template_jinja is empty: write the Jinja template (or the path of a .jinja file), "
                         "or remove it")
    return value
