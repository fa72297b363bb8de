"""Activation offloading: the tensors autograd saves for the backward pass wait in CPU memory or on disk.

With gradient checkpointing, what a checkpointed layer saves during the forward pass is only its input (the
checkpoint keeps everything inside the layer to itself and recomputes it), so these hooks see the layer boundaries
plus the few tensors saved outside the layers (embeddings, final norm). The output head and the loss are left on
the device: their logits-sized tensors are needed again at once, so moving them would cost PCIe time for nothing.
In the backward pass the checkpoint's recomputation saves through its own hooks, so nothing is moved twice.

``disk`` writes each tensor to a file in RUN/offload/ and deletes it when autograd lets go of it (after the backward
pass has read it); the folder is removed at the end of every training step.
"""

from __future__ import annotations

import itertools
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch
from transformers import Trainer

OFFLOAD_FOLDER = "offload"
MIN_BYTES = 1024  # smaller tensors (masks, position ids) are not worth a copy


@dataclass
class _Kept:
    tensor: torch.Tensor


@dataclass
class _InHost:
    tensor: torch.Tensor
    device: torch.device


class _OnDisk:
    """A saved tensor in a file, deleted when autograd releases it (after the backward pass used it)."""

    def __init__(self, path: Path, device: torch.device) -> None:
        self.path = path
        self.device = device

    def load(self) -> torch.Tensor:
        return torch.load(self.path, weights_only=True).to(self.device)

    def __del__(self) -> None:
        self.path.unlink(missing_ok=True)


@dataclass
class OffloadCount:
    tensors: int = 0
    bytes: int = 0


class ActivationOffload(torch.autograd.graph.saved_tensors_hooks):
    """Entered around each training step (forward and backward). ``step`` counts what the last step moved."""

    def __init__(self, target: Literal["cpu", "disk"], model: Any, run_dir: Path) -> None:
        self.target = target
        self.folder = run_dir / OFFLOAD_FOLDER
        self.step = OffloadCount()
        self.moving = False  # on from the model's forward until its output head: the head and loss stay put
        self._names = itertools.count()
        self._params = {p.untyped_storage().data_ptr() for p in model.parameters()}
        self._watch(model)
        super().__init__(self._pack, self._unpack)

    def _watch(self, model: Any) -> None:
        def start(*_: Any) -> None:
            self.moving = True

        def stop(*_: Any) -> None:
            self.moving = False

        model.register_forward_pre_hook(start)
        model.register_forward_hook(stop, always_call=True)
        head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
        if head is not None:
            head.register_forward_pre_hook(stop)

    def _pack(self, tensor: torch.Tensor) -> Any:
        if (not self.moving or tensor.nbytes < MIN_BYTES or isinstance(tensor, torch.nn.Parameter)
                or tensor.untyped_storage().data_ptr() in self._params):
            return _Kept(tensor)
        self.step.tensors += 1
        self.step.bytes += tensor.nbytes
        if self.target == "disk":
            self.folder.mkdir(exist_ok=True)
            path = self.folder / f"{next(self._names)}.pt"
            torch.save(tensor.detach().cpu(), path)
            return _OnDisk(path, tensor.device)
        pin = tensor.is_cuda
        host = torch.empty(tensor.size(), dtype=tensor.dtype, layout=tensor.layout, pin_memory=pin)
        host.copy_(tensor, non_blocking=pin)
        return _InHost(host, tensor.device)

    @staticmethod
    def _unpack(packed: Any) -> torch.Tensor:
        if isinstance(packed, _Kept):
            return packed.tensor
        if isinstance(packed, _OnDisk):
            return packed.load()
        return packed.tensor.to(packed.device, non_blocking=packed.tensor.is_pinned())

    def __enter__(self) -> None:
        self.step = OffloadCount()
        super().__enter__()

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        self.moving = False
        if self.target == "disk":  # every file is gone once the step's graph is; a failed step may leave some
            shutil.rmtree(self.folder, ignore_errors=True)

    def describe(self) -> str:
        where = f"files in {self.folder}" if self.target == "disk" else "CPU memory"
        return (f"activation offloading: step moved {self.step.tensors} saved activations "
                f"({self.step.bytes / 2**20:.1f} MiB) to {where} until the backward pass")


class OffloadingStep(Trainer):
    """Mixin for tunedeck's trainers: each training step (forward and backward) runs inside the run's
    ``ActivationOffload``, when it has one; train.log says once what the first step moved."""

    activation_offload: ActivationOffload | None = None
    _offload_reported = False

    def training_step(self, *args: Any, **kwargs: Any) -> Any:
        if self.activation_offload is None:
            return super().training_step(*args, **kwargs)
        with self.activation_offload:
            loss = super().training_step(*args, **kwargs)
        if not self._offload_reported and self.is_local_process_zero():
            self._offload_reported = True
            print(self.activation_offload.describe(), flush=True)
        return loss


def offload_for(target: Literal["cpu", "disk"] | None, model: Any, run_dir: Path) -> ActivationOffload | None:
    return None if target is None else ActivationOffload(target, model, run_dir)
