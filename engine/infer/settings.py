"""The inference_* knobs as one value: read from a run's preset (or the registry's defaults) and turned into
``generate()`` arguments."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from typing import Any

PREFIX = "inference_"


@dataclass(frozen=True)
class InferenceSettings:
    system_prompt: str | None
    max_new_tokens: int
    do_sample: bool
    temperature: float
    top_p: float
    top_k: int
    repetition_penalty: float
    num_beams: int
    stop_strings: tuple[str, ...]

    @classmethod
    def from_config(cls, cfg: Any) -> InferenceSettings:
        values = {f.name: getattr(cfg, PREFIX + f.name) for f in fields(cls)}
        values["stop_strings"] = tuple(values["stop_strings"] or ())
        return cls(**values)

    @classmethod
    def defaults(cls) -> InferenceSettings:
        from engine.knobs import Config

        return cls.from_config(Config.model_construct())

    def with_overrides(self, **changes: Any) -> InferenceSettings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def generate_kwargs(self) -> dict[str, Any]:
        """Arguments for ``model.generate`` (sampling knobs only when sampling, as transformers expects)."""
        kwargs: dict[str, Any] = {"max_new_tokens": self.max_new_tokens, "do_sample": self.do_sample,
                                  "num_beams": self.num_beams, "repetition_penalty": self.repetition_penalty}
        if self.do_sample:
            kwargs.update(temperature=self.temperature, top_p=self.top_p, top_k=self.top_k)
        if self.stop_strings:
            kwargs["stop_strings"] = list(self.stop_strings)
        return kwargs

    def as_record(self) -> dict[str, Any]:
        """The settings as written beside each generated answer (knob names, so they read like the preset)."""
        return {PREFIX + f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v)
                for f in fields(self)}


def settings_for(preset: str | os.PathLike[str] | None) -> InferenceSettings:
    """The run's inference_* knobs, or the defaults when the weights come from no run."""
    if preset is None:
        return InferenceSettings.defaults()
    from engine.preset import load_config

    return InferenceSettings.from_config(load_config(preset))
