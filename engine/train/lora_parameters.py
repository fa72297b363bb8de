"""lora_target_parameters checked against the loaded model before peft wraps it, so a name that matches nothing,
a quantized tensor or a tensor peft cannot adapt stops the launch with the knob named, not with peft's traceback.

Matching follows peft's ``BaseTuner._inject_parameters``: a parameter's full name (module path and parameter
name) equals an entry or ends with ``.`` + the entry. peft's ``lora.ParamWrapper`` takes 2-D and 3-D tensors.
"""

from __future__ import annotations

from typing import Any

from .failures import knob_error

KEY = "lora_target_parameters"


def matched_parameters(model: Any, names: list[str]) -> dict[str, Any]:
    """{full parameter name: tensor} for every parameter that one of ``names`` targets."""
    found: dict[str, Any] = {}
    for module_name, module in model.named_modules():
        for param_name, param in module.named_parameters(recurse=False):
            full = f"{module_name}.{param_name}"
            if any(full == name or full.endswith(f".{name}") for name in names):
                found[full] = param
    return found


def check_target_parameters(model: Any, names: list[str]) -> None:
    """Raise a knob error unless every entry of ``names`` targets something and each target can carry LoRA."""
    found = matched_parameters(model, names)
    unmatched = [n for n in names if not any(f == n or f.endswith(f".{n}") for f in found)]
    if unmatched:
        raise knob_error(KEY, f"{KEY} {', '.join(unmatched)} matches no parameter of this model. Its 3-D "
                         f"tensors (the fused experts of an MoE model) are: {_candidates(model) or 'none'}; name "
                         "them by the end of their name, as in experts.gate_up_proj.")
    for full, param in found.items():
        if not (param.dtype.is_floating_point or param.dtype.is_complex):
            raise knob_error(KEY, f"{KEY} targets {full}, which is stored quantized ({param.dtype}, under "
                             "load_in_4bit/load_in_8bit): peft cannot add an update to a quantized tensor. Adapt "
                             "that layer with lora_target_modules instead, or load the base unquantized.")
        if param.ndim not in (2, 3):
            raise knob_error(KEY, f"{KEY} targets {full}, a {param.ndim}-D tensor: peft adapts 2-D weights and 3-D "
                             "expert stacks only. Remove it from lora_target_parameters.")


def _candidates(model: Any, limit: int = 8) -> str:
    """A few 3-D parameter names, without the layer prefix (what a user would write)."""
    names = dict.fromkeys(".".join(n.split(".")[-3:]) for n, p in model.named_parameters() if p.ndim == 3)
    return ", ".join(list(names)[:limit])
