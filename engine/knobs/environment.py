"""Environment knobs: precision, hardware, and how many processes/machines the run spans."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from .base import Section, knob

S = Section.ENVIRONMENT


class EnvironmentKnobs(BaseModel):
    bf16: Literal["auto"] | bool = knob(
        "auto", section=S,
        summary="Train in bfloat16: auto uses it where the hardware supports it (not on CPU).",
    )
    fp16: bool = knob(False, section=S, summary="Train in float16 with loss scaling (older GPUs without bf16).")
    tf32: bool = knob(False, section=S, summary="Allow TF32 matmuls on Ampere+ GPUs.")
    gpus_per_node: int = knob(
        1, section=S, basic=True, ge=1, axolotl=False,
        summary="Training processes per machine: one per GPU (on a CPU-only machine, CPU processes).",
    )
    num_nodes: int = knob(
        1, section=S, ge=1, axolotl=False,
        summary="How many machines the run spans.",
    )
    machine_rank: int = knob(
        0, section=S, ge=0, axolotl=False,
        summary="This machine's index among num_nodes (0 is the main one).",
    )
    main_process_ip: str | None = knob(
        None, section=S, axolotl=False,
        summary="Address of machine 0, for multi-node runs.",
    )
    main_process_port: int = knob(
        29500, section=S, ge=1, le=65535, axolotl=False,
        summary="Port on machine 0 for the multi-node rendezvous.",
    )
    deepspeed: str | None = knob(
        None, section=S,
        summary="A DeepSpeed JSON config file (ZeRO stage etc.); exclusive with fsdp_config.",
    )
    fsdp_config: dict[str, Any] | None = knob(
        None, section=S,
        summary="FSDP settings passed to accelerate; exclusive with deepspeed.",
    )
