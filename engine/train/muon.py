"""optimizer: muon: torch's Muon on the hidden weight matrices, torch's AdamW on the rest, stepped as one optimizer.

Which parameter goes where follows Axolotl's ``MuonOptimizerFactory`` (axolotl-contribs-mit, muon/axolotl_.py) and
Keller Jordan's rule that Muon is for the hidden layers while embeddings, heads, gains and biases take AdamW:

* AdamW without weight decay: the input and output embeddings (``nn.Embedding`` modules, the model's output
  embeddings, names holding embed_tokens or lm_head), peft's whole trained copies (modules_to_save) and a
  classification head named score;
* AdamW, weight decay as transformers decides it (none for norms and biases): every other tensor that is not a
  matrix, and fused MoE experts (3-D), which torch's Muon does not take;
* Muon, weight decay as transformers decides it: every other trained matrix, LoRA's A and B included.

Everything runs at learning_rate (Axolotl has one rate for both too); AdamW with betas (0.9, 0.95) and eps 1e-8,
Muon with momentum 0.95 and Nesterov, Axolotl's defaults. Axolotl's Muon (Microsoft dion's) scales a matrix's
orthogonalised update by √(fan_out/fan_in) ("spectral_norm"), torch's by √max(1, fan_out/fan_in) ("original"): a
matrix wider than tall sits in a group whose rate is learning_rate × √(fan_out/fan_in), and whose weight decay is
divided by the same factor (torch decays by the group's rate), so both match Axolotl's. torch's Newton–Schulz
iteration (Keller's fixed quintic, 5 steps) orthogonalises a little less exactly than dion's tuned one.

transformers' Trainer builds it through ``optimizer_cls_and_kwargs`` with a factory (a callable that is not an
Optimizer class is instantiated, then called with the model): see ``use_muon``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from .failures import knob_error

ADAMW_BETAS = (0.9, 0.95)
ADAMW_EPS = 1e-8
MUON_MOMENTUM = 0.95
# Axolotl's names for parameters that stay with AdamW whatever their shape.
ADAMW_NAMES = ("embed_tokens", "lm_head")
SAVED_COPY = "modules_to_save.default.weight"


class MuonWithAdamW(torch.optim.Optimizer):
    """One optimizer over groups whose ``algorithm`` is "muon" or "adamw". The groups and the state live here, so
    schedulers, checkpoints (optimizer.pt, with each group's algorithm and parameter names) and resuming see one
    ordinary optimizer; each step hands an algorithm's groups, with this state, to torch's optimizer for it."""

    def __init__(self, groups: list[dict[str, Any]], lr: float) -> None:
        adamw = [g for g in groups if g["algorithm"] == "adamw"]
        muon = [g for g in groups if g["algorithm"] == "muon"]
        # Built first: each fills its groups with its own defaults and checks them (Muon: matrices only).
        self._parts: dict[str, torch.optim.Optimizer] = {}
        if adamw:
            self._parts["adamw"] = torch.optim.AdamW(adamw, lr=lr, betas=ADAMW_BETAS, eps=ADAMW_EPS)
        if muon:
            self._parts["muon"] = torch.optim.Muon(muon, lr=lr, momentum=MUON_MOMENTUM, nesterov=True,
                                                   adjust_lr_fn="original")
        super().__init__(adamw + muon, {"lr": lr})

    @torch.no_grad()
    def step(self, closure: Any = None) -> Any:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for algorithm, part in self._parts.items():
            # Re-pointed every step: load_state_dict replaces this optimizer's groups and state.
            part.param_groups = [g for g in self.param_groups if g["algorithm"] == algorithm]
            part.state = self.state
            part.step()
        return loss


def is_embedding_or_head(name: str, param: torch.Tensor, heads: set[int]) -> bool:
    """An embedding table, output head or peft's saved copy: AdamW without weight decay (see the docstring)."""
    return id(param) in heads or SAVED_COPY in name or any(part in name for part in ADAMW_NAMES)


def _embeddings_and_heads(model: nn.Module) -> set[int]:
    """ids of the embedding tables and output heads, found by module rather than by name."""
    heads: list[nn.Module] = [m for m in model.modules() if isinstance(m, nn.Embedding)]
    get_output = getattr(model, "get_output_embeddings", None)  # transformers' models (and peft's, forwarded)
    output = get_output() if callable(get_output) else None
    if isinstance(output, nn.Module):
        heads.append(output)
    heads += [m for n, m in model.named_modules() if n.split(".")[-1] == "score"]  # *ForSequenceClassification
    return {id(p) for m in heads for p in m.parameters()}


def spectral_factor(param: torch.Tensor) -> float:
    """Axolotl's √(fan_out/fan_in) over torch's √max(1, fan_out/fan_in): below 1 for a wide matrix."""
    fan_out, fan_in = param.shape
    return min(1.0, math.sqrt(fan_out / fan_in))


def param_groups(model: nn.Module, lr: float, weight_decay: float, decay: Iterable[str]) -> list[dict[str, Any]]:
    """The optimizer's groups over the trained parameters: AdamW's first (the logged learning rate is the first
    group's), then Muon's by factor, largest first. ``decay``: the names transformers applies weight decay to."""
    decayed = set(decay)
    heads = _embeddings_and_heads(model)
    groups: dict[tuple[str, float, bool], list[tuple[str, torch.Tensor]]] = {}
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        head = is_embedding_or_head(name, param, heads)
        if param.ndim == 2 and not head:
            key = ("muon", spectral_factor(param), name in decayed)
        else:
            key = ("adamw", 1.0, name in decayed and not head)
        groups.setdefault(key, []).append((name, param))
    order = sorted(groups, key=lambda k: (k[0] != "adamw", -k[1], not k[2]))
    return [{"algorithm": algorithm, "params": groups[(algorithm, factor, decays)], "lr": lr * factor,
             "weight_decay": weight_decay / factor if decays else 0.0}
            for algorithm, factor, decays in order]


def describe(groups: list[dict[str, Any]]) -> str:
    """One train.log line: how many tensors and weights each algorithm trains."""
    def count(algorithm: str) -> tuple[int, int]:
        params = [p for g in groups if g["algorithm"] == algorithm for p in g["params"]]
        return len(params), sum(p.numel() for p in params)

    (muon, muon_n), (adamw, adamw_n) = count("muon"), count("adamw")
    return (f"optimizer muon: Muon trains {muon} hidden matrices ({muon_n:,} weights), AdamW {adamw} other tensors "
            f"({adamw_n:,} weights: embeddings, output head, norms, biases)")


class MuonFactory:
    """What the Trainer calls, with the model it trains, to build the optimizer."""

    def __call__(self, model: nn.Module, *, lr: float, weight_decay: float, decay: Iterable[str],
                 report: bool) -> MuonWithAdamW:
        optimizer = MuonWithAdamW(param_groups(model, lr, weight_decay, decay), lr)
        if report:
            print(describe(optimizer.param_groups), flush=True)
        return optimizer


def use_muon(trainer: Any) -> None:
    """Have the trainer build Muon with AdamW (its ``args.optim`` is then never read)."""
    if not hasattr(torch.optim, "Muon"):  # torch.optim.Muon arrived in torch 2.9
        raise knob_error("optimizer", f"optimizer muon needs torch 2.9 or newer (torch.optim.Muon), and this "
                         f"environment has torch {torch.__version__}: upgrade torch, or choose adamw_torch.")
    trainer.optimizer_cls_and_kwargs = (MuonFactory, {
        "lr": trainer.args.learning_rate, "weight_decay": trainer.args.weight_decay,
        "decay": trainer.get_decay_parameter_names(trainer.model), "report": trainer.is_local_process_zero(),
    })
