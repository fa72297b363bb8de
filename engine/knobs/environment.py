"""Environment knobs: precision, hardware, and how many processes/machines the run spans."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, field_validator

from .base import Section, knob

S = Section.ENVIRONMENT

_SAME_PRESET = (
    "effective batch = micro_batch_size × gradient_accumulation_steps × gpus_per_node × num_nodes, so the "
    "same preset on more GPUs trains with a larger effective batch and fewer optimizer steps"
)


class EnvironmentKnobs(BaseModel, defer_build=True):
    bf16: Literal["auto"] | bool = knob(
        "auto", section=S, basic=True,
        summary="Train in bfloat16: auto uses it where the hardware supports it (not on CPU).",
        what="Runs the forward and backward passes in bfloat16 mixed precision. auto turns it on when the GPU "
        "supports bf16 (Ampere and newer) and off on CPU and older GPUs.",
        cost="Roughly halves activation memory and speeds up training on supporting GPUs, with no loss "
        "scaling needed. Older GPUs either lack it or emulate it slowly.",
        typical="auto.",
        interacts=("fp16", "tf32", "load_in_4bit"),
    )
    fp16: bool = knob(
        False, section=S,
        summary="Train in float16 with loss scaling (older GPUs without bf16).",
        what="Mixed precision in float16, for GPUs without bf16 (V100, T4). A loss scaler guards against "
        "gradients too small for float16.",
        cost="Same memory savings as bf16, but a narrower number range: occasional skipped steps or overflow. "
        "Use bf16 where available; never both.",
        typical="false; true only on pre-Ampere GPUs.",
        interacts=("bf16",),
    )
    tf32: bool = knob(
        False, section=S,
        summary="Allow TF32 matmuls on Ampere+ GPUs.",
        what="Lets float32 matrix multiplications use the TF32 tensor-core format on Ampere and newer GPUs.",
        cost="Faster float32 math with slightly lower precision; no effect on CPU or when everything runs in "
        "bf16 already.",
        typical="true on A100/H100 when any part runs in float32; false otherwise.",
        interacts=("bf16",),
    )
    gpus_per_node: int = knob(
        1, section=S, basic=True, ge=1, axolotl=False,
        summary="Training processes per machine: one per GPU (on a CPU-only machine, CPU processes).",
        what="How many training processes tunedeck launches on each machine, one per GPU; each holds a full "
        "copy of the model (unless deepspeed/fsdp shards it) and trains on its own share of every batch. "
        + _SAME_PRESET + ".",
        cost="More GPUs train faster, but change the effective batch: lower gradient_accumulation_steps to "
        "keep it when you add GPUs.",
        typical="The number of GPUs on the machine (1, 2, 4 or 8).",
        interacts=("micro_batch_size", "gradient_accumulation_steps", "num_nodes", "deepspeed", "fsdp_config"),
    )
    num_nodes: int = knob(
        1, section=S, ge=1, axolotl=False,
        summary="How many machines the run spans.",
        what="The number of machines taking part; the run has gpus_per_node × num_nodes processes. Start the "
        "same preset on each machine with its own machine_rank. " + _SAME_PRESET + ".",
        cost="More machines add speed but also network traffic for every gradient sync; a slow interconnect "
        "can make multi-node slower than one node.",
        typical="1; 2+ only on a cluster with a fast interconnect.",
        interacts=("gpus_per_node", "machine_rank", "main_process_ip", "main_process_port",
                   "gradient_accumulation_steps"),
    )
    machine_rank: int = knob(
        0, section=S, ge=0, axolotl=False,
        summary="This machine's index among num_nodes (0 is the main one).",
        what="Which machine this is in a multi-node run: 0 on the machine at main_process_ip, then 1, 2, … "
        "up to num_nodes - 1 on the others.",
        cost="None; two machines with the same rank hang at start-up.",
        typical="0; set per machine (often via --set machine_rank=N) in multi-node runs.",
        interacts=("num_nodes", "main_process_ip"),
    )
    main_process_ip: str | None = knob(
        None, section=S, axolotl=False,
        summary="Address of machine 0, for multi-node runs.",
        what="The IP address or host name of the machine with machine_rank 0; the other machines connect to "
        "it to start the run together. Required when num_nodes > 1.",
        cost="None.",
        typical="Empty for one machine; e.g. 10.0.0.1 on a cluster.",
        interacts=("num_nodes", "main_process_port", "machine_rank"),
    )
    main_process_port: int = knob(
        29500, section=S, ge=1, le=65535, axolotl=False,
        summary="Port on machine 0 for the multi-node rendezvous.",
        what="The TCP port on main_process_ip where the processes meet. Must be free and reachable from "
        "every machine.",
        cost="None; pick another port if two runs share a machine.",
        typical="29500.",
        interacts=("main_process_ip", "num_nodes"),
    )
    rendezvous_timeout: int = knob(
        300, section=S, ge=1, axolotl=False,
        summary="Seconds the machines of a multi-node run wait for each other at start-up before giving up.",
        what="When a multi-node run starts, machine 0 waits at main_process_port until every machine has joined, "
        "and the others keep trying to reach it. After this many seconds the machine still waiting fails with "
        "a message (which machine it could not reach, or how many joined) instead of waiting forever.",
        cost="Too short and a machine that starts late (a slow queue, a big container image) makes the run fail; "
        "too long and a typo in main_process_ip is found only after the wait.",
        typical="300; raise it (e.g. 900) when the machines may start minutes apart.",
        interacts=("num_nodes", "main_process_ip", "main_process_port"),
    )
    deepspeed: str | None = knob(
        None, section=S, path="file",
        summary="A DeepSpeed JSON config file (ZeRO stage etc.); exclusive with fsdp_config.",
        what="Hands distributed training to DeepSpeed with this JSON config. ZeRO stage 1/2 shards optimizer "
        "state and gradients across GPUs; stage 3 also shards the weights, so models too big for one GPU "
        "can train.",
        cost="Saves memory per GPU the more GPUs share the work, at the price of communication; ZeRO-3 and "
        "CPU offload are slower. Use deepspeed or fsdp_config, never both.",
        typical="Empty on one GPU; a zero2.json for multi-GPU full fine-tunes; zero3.json when the model "
        "does not fit one GPU.",
        interacts=("fsdp_config", "gpus_per_node"),
    )
    fsdp_config: dict[str, Any] | None = knob(
        None, section=S,
        summary="FSDP settings passed to accelerate; exclusive with deepspeed.",
        what="Enables PyTorch Fully Sharded Data Parallel with these settings (e.g. fsdp_version, "
        "auto_wrap_policy, offload_params): weights, gradients and optimizer state are split across GPUs.",
        cost="Like ZeRO-3: much less memory per GPU, more communication. Use fsdp_config or deepspeed, "
        "never both.",
        typical="Empty on one GPU.",
        interacts=("deepspeed", "gpus_per_node"),
    )
    target_gpu: str | None = knob(
        None, section=S, axolotl=False,
        summary="The GPU the run is planned for: a name such as A100-80GB, or just its memory (24GB).",
        what="tunedeck estimates memory per GPU and training time before launch; this names the GPU to hold "
        "the estimate against: a known GPU (such as H100-80GB, A100-40GB, L4-24GB or RTX4090-24GB; a wrong "
        "name lists them all) gives both the fit verdict and a time range; a memory size alone (e.g. 24GB) gives the "
        "verdict only. Empty: the GPU of "
        "the machine the editor runs on, when it has one.",
        cost="None: it changes no training setting, only what the estimate is compared with.",
        typical="Empty on the training machine itself; the GPU you will rent when planning elsewhere.",
        interacts=("micro_batch_size", "sequence_len", "gradient_checkpointing", "adapter", "gpus_per_node"),
    )

    @field_validator("target_gpu")
    @classmethod
    def _known_gpu(cls, value: str | None) -> str | None:
        from engine.estimate.gpus import known_gpus, parse_gpu

        if value is not None and parse_gpu(str(value)) is None:
            raise ValueError(f"target_gpu {value!r} is neither a known GPU nor a memory size: write one of "
                             f"{', '.join(known_gpus())}, or the memory such as 24GB")
        return value

    @field_validator("main_process_ip")
    @classmethod
    def _ip_nonempty(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or " " in value.strip()):
            raise ValueError(f"main_process_ip {value!r} is not an address: write machine 0's IP or host name")
        return value
