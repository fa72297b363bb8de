"""The whole preset as one validated model: every section's knobs side by side, Axolotl's flat layout."""

from __future__ import annotations

from pydantic import ConfigDict

from .adapter import AdapterKnobs
from .batch_target import BatchTargetKnobs
from .batching import BatchingKnobs
from .datasets import DatasetKnobs
from .environment import EnvironmentKnobs
from .evaluation import EvaluationKnobs
from .generation import GenerationKnobs
from .mixing import MixingKnobs
from .model import ModelKnobs
from .pad_token import PadTokenKnobs
from .preference import PreferenceKnobs
from .pretraining import PretrainingKnobs
from .prompt_learning import PromptLearningKnobs
from .reward import RewardKnobs
from .schedule import ScheduleKnobs
from .token_init import TokenInitKnobs
from .tracking import TrackingKnobs


class Config(
    ModelKnobs,
    PadTokenKnobs,
    TokenInitKnobs,
    DatasetKnobs,
    PretrainingKnobs,
    MixingKnobs,
    BatchingKnobs,
    BatchTargetKnobs,
    ScheduleKnobs,
    PreferenceKnobs,
    RewardKnobs,
    AdapterKnobs,
    PromptLearningKnobs,
    EvaluationKnobs,
    GenerationKnobs,
    TrackingKnobs,
    EnvironmentKnobs,
):
    """A tunedeck preset. Field names are Axolotl's keys; cross-knob rules live in ``rules.py``."""

    # inf and nan are no value of any knob (num_epochs: .inf would reach the step planner): refused by type.
    # defer_build (here and on every section's model): the validator is built when a preset is first checked, not
    # on import; reading the registry (the editor's first frame, --help, explain) needs only the fields.
    model_config = ConfigDict(extra="forbid", validate_assignment=False, allow_inf_nan=False, defer_build=True)
