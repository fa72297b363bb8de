"""The ``datasets:`` entry keys that name where a KTO row of type chat_template.default keeps its answer and its
label, so message-list KTO data (turbo-alignment's context / answer / is_desirable rows) is read as it is."""

from __future__ import annotations

from pydantic import BaseModel, field_validator

from .base import Section, knob

S = Section.DATASETS


class PreferenceFieldKnobs(BaseModel, defer_build=True):
    field_completion: str = knob(
        "completion", section=S, shapes_data=True, dataset_types=("chat_template.default",),
        summary="chat_template.default under rl: kto: the column holding the answer to judge.",
        what="For KTO rows of type chat_template.default: the answer, as a string, one message, or a list of "
        "messages whose last one is the answer. The prompt comes from field_messages and is rendered with the "
        "chat template and its generation prompt; the answer is rendered as the assistant's turn, as for "
        "chosen/rejected pairs. Axolotl names this key the same (its KTO user_defined type reads it), but its "
        "chat_template.default reads pairs only, so Axolotl cannot train such a dataset under kto.",
        cost="None; the wrong name fails at preprocessing with the row's file and line.",
        typical="completion; answer for turbo-alignment's KTO rows.",
        interacts=("datasets.field_label", "datasets.field_messages", "rl"),
    )
    field_label: str = knob(
        "label", section=S, shapes_data=True, dataset_types=("chat_template.default",),
        summary="chat_template.default under rl: kto: the column holding true (desirable) or false (undesirable).",
        what="For KTO rows of type chat_template.default: whether the answer in field_completion is one to "
        "learn from (true) or to move away from (false). The value must be true or false; anything else is an "
        "error naming the row. The same key as Axolotl's KTO user_defined type.",
        cost="None; KTO needs both kinds of rows in the data.",
        typical="label; is_desirable for turbo-alignment's KTO rows.",
        interacts=("datasets.field_completion", "kto_desirable_weight", "kto_undesirable_weight", "rl"),
    )

    @field_validator("field_completion", "field_label")
    @classmethod
    def _column_named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the column name is empty: name the column of each row that holds it")
        return value
