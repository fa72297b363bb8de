"""Cross-knob rules of ``optimizer: muon`` (engine.train.muon): the sharding it cannot go with, the learning rates
it is not meant for, and the adapters that leave it nothing to do. Registered into ``rules.check_rules`` on import
(rules.py imports this module at its end)."""

from __future__ import annotations

from collections.abc import Iterator

from .config import Config
from .problems import Problem
from .rule_registry import rule

MUON_LOWEST_RATE = 1e-3  # below this the rate is an AdamW-sized one (Muon's usual rates are 0.01–0.05)
# Prompt-learning adapters that train only virtual-token embedding tables, which Muon leaves to AdamW.
_EMBEDDING_ONLY_ADAPTERS = ("prompt_tuning", "prefix_tuning")


def fsdp_version(cfg: Config) -> int:
    """The FSDP version transformers runs fsdp_config with: its version key (Axolotl writes fsdp_version),
    else 2, transformers 5's default."""
    config = cfg.fsdp_config or {}
    value = config.get("fsdp_version", config.get("version", 2))
    return int(value) if str(value).isdigit() else 2


@rule
def _muon_sharding(cfg: Config) -> Iterator[Problem]:
    """As in Axolotl, which refuses both: Muon needs each hidden weight whole, as a matrix."""
    if cfg.optimizer != "muon":
        return
    if cfg.deepspeed:
        yield Problem("optimizer", "optimizer muon cannot run under deepspeed: DeepSpeed builds its own optimizer "
                      "over flattened 1-D shards, and Muon needs each hidden weight as a matrix. Remove deepspeed "
                      "(fsdp_config with fsdp_version: 2 shards the model instead), or choose another optimizer.")
    if cfg.fsdp_config and fsdp_version(cfg) != 2:
        yield Problem("fsdp_config", f"optimizer muon with FSDP version {fsdp_version(cfg)}: FSDP1 flattens the "
                      "weights into 1-D buffers, and Muon needs each hidden weight as a matrix. Set fsdp_version: 2 "
                      "in fsdp_config, or choose another optimizer.")


@rule
def _muon_rates_and_adapters(cfg: Config) -> Iterator[Problem]:
    if cfg.optimizer != "muon":
        return
    if cfg.learning_rate < MUON_LOWEST_RATE:
        yield Problem("learning_rate", f"learning_rate {cfg.learning_rate:g} with optimizer muon is an AdamW-sized "
                      "rate: Muon's step is learning_rate in spectral norm, so each weight of a hidden matrix moves "
                      "about learning_rate ÷ √width, far less than AdamW would move it. Muon usually runs at "
                      "0.01–0.05 (Axolotl's example: 0.02); keep this rate only if you mean it.", "warning")
    if cfg.adapter in _EMBEDDING_ONLY_ADAPTERS:
        yield Problem("optimizer", f"optimizer muon with adapter {cfg.adapter}: the adapter trains only virtual-token "
                      "embeddings, which Muon leaves to AdamW, so this run is plain AdamW (betas 0.9, 0.95) at "
                      "learning_rate: choose adamw_torch to say so, or adapter lora for Muon to train.", "warning")
