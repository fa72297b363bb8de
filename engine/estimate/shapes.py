"""A model's shapes (hidden size, layers, heads, vocabulary …) from its config.json, for the memory estimate.

Where config.json comes from, in order: a local folder, the Hugging Face cache (read offline, no network), the
bundled table of popular base models (``architectures.json``), and only when asked and online, the Hub (config
only). json + pathlib: the editor calls this in its own process, where torch must never load.

Architectures are described by what their decoder layer holds, read from the transformers modeling code
(``LlamaDecoderLayer`` and kin): the linear layers and their (in, out) sizes, biases, norms and tied embeddings.
An architecture not described here is refused with a clear message rather than estimated wrongly.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import TunedeckError
from engine.paths import resolve_path

TABLE = Path(__file__).with_name("architectures.json")


class ShapeError(TunedeckError):
    """The model's shapes cannot be known: no estimate is made."""


@dataclass(frozen=True)
class Family:
    """What a decoder layer of this model_type holds beyond the common Llama layout."""

    tied_default: bool  # transformers' default of tie_word_embeddings for this config class
    qkv_bias: bool = False  # q/k/v projections carry a bias (Qwen2)
    qk_norm: bool = False  # RMSNorm over each head of q and k (Qwen3, Gemma 3)
    sandwich_norms: bool = False  # four norms per layer instead of two (Gemma 2 / 3)
    fused: bool = False  # qkv_proj and gate_up_proj as single linears (Phi-3)


FAMILIES: dict[str, Family] = {
    "llama": Family(tied_default=False),
    "mistral": Family(tied_default=False),
    "qwen2": Family(tied_default=False, qkv_bias=True),
    "qwen3": Family(tied_default=False, qk_norm=True),
    "gemma": Family(tied_default=True),
    "gemma2": Family(tied_default=True, sandwich_norms=True),
    "gemma3_text": Family(tied_default=True, sandwich_norms=True, qk_norm=True),
    "phi3": Family(tied_default=False, fused=True),
}


@dataclass(frozen=True)
class Linear:
    """One linear layer of a decoder layer: its name as peft sees it (``self_attn.q_proj``) and its sizes."""

    path: str
    fan_in: int
    fan_out: int
    bias: bool = False

    @property
    def name(self) -> str:
        return self.path.rsplit(".", 1)[-1]

    @property
    def params(self) -> int:
        return self.fan_in * self.fan_out + (self.fan_out if self.bias else 0)


@dataclass(frozen=True)
class ModelShape:
    source: str  # where the config came from, for messages
    model_type: str
    hidden: int
    intermediate: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    vocab: int
    tied_embeddings: bool
    family: Family
    attention_bias: bool = False  # Llama's attention_bias: q/k/v/o all carry one
    mlp_bias: bool = False
    # A reward model (reward_model: true): the base loaded for sequence classification, a one-output score head
    # (hidden → 1, read at the last token) in place of the LM head over the vocabulary.
    score_head: bool = False

    def linears(self) -> list[Linear]:
        """The linear layers of one decoder layer, as transformers builds them."""
        h, q, kv, i = self.hidden, self.heads * self.head_dim, self.kv_heads * self.head_dim, self.intermediate
        qkv_bias = self.family.qkv_bias or self.attention_bias
        if self.family.fused:
            return [Linear("self_attn.qkv_proj", h, q + 2 * kv), Linear("self_attn.o_proj", q, h),
                    Linear("mlp.gate_up_proj", h, 2 * i), Linear("mlp.down_proj", i, h)]
        mb = self.mlp_bias
        return [
            Linear("self_attn.q_proj", h, q, qkv_bias), Linear("self_attn.k_proj", h, kv, qkv_bias),
            Linear("self_attn.v_proj", h, kv, qkv_bias), Linear("self_attn.o_proj", q, h, self.attention_bias),
            Linear("mlp.gate_proj", h, i, mb), Linear("mlp.up_proj", h, i, mb), Linear("mlp.down_proj", i, h, mb),
        ]

    def layer_norm_params(self) -> int:
        norms = (4 if self.family.sandwich_norms else 2) * self.hidden
        return norms + (2 * self.head_dim if self.family.qk_norm else 0)

    @property
    def linear_params(self) -> int:
        """Parameters in the decoder layers' linear layers (what 4-/8-bit quantization stores in few bits)."""
        return self.layers * sum(lin.params for lin in self.linears())

    @property
    def embedding_params(self) -> int:
        return self.vocab * self.hidden

    @property
    def lm_head_params(self) -> int:
        """The LM head's own parameters: none when it shares the embeddings, or when a score head replaces it."""
        return 0 if self.tied_embeddings or self.score_head else self.vocab * self.hidden

    @property
    def outputs_per_token(self) -> int:
        """What the output head computes for each token: a score (reward model) or one logit per vocabulary entry."""
        return 1 if self.score_head else self.vocab

    @property
    def head_params(self) -> int:
        """Weights the output head multiplies every token by (LM head tied or not, or the score head)."""
        return self.outputs_per_token * self.hidden

    @property
    def other_params(self) -> int:
        """Parameters that quantization leaves in 16/32 bits: embeddings, LM head or score head, norms."""
        score = self.head_params if self.score_head else 0
        return (self.embedding_params + self.lm_head_params + score + self.layers * self.layer_norm_params()
                + self.hidden)

    @property
    def total_params(self) -> int:
        return self.linear_params + self.other_params


def shape_from_config(config: dict[str, Any], source: str) -> ModelShape:
    """Shapes from a parsed config.json; ShapeError for an architecture tunedeck does not describe."""
    if "vision_config" in config or "audio_config" in config:
        raise ShapeError(
            f"{source}: this is a multimodal model (its config.json has a vision or audio part); tunedeck "
            "estimates memory for text models only, so no estimate is shown. Check memory with a short run "
            "(max_steps: 5)."
        )
    if isinstance(config.get("text_config"), dict):
        config = config["text_config"]
    model_type = str(config.get("model_type", ""))
    family = FAMILIES.get(model_type)
    if family is None or config.get("num_local_experts") or config.get("num_experts"):
        kind = "a mixture-of-experts model" if family else f"model_type {model_type or '(none)'}"
        raise ShapeError(
            f"{source}: {kind} is not among the architectures tunedeck can estimate "
            f"({', '.join(sorted(FAMILIES))}), so no estimate is shown rather than a wrong one. Check memory with "
            "a short run (max_steps: 5) instead."
        )
    try:
        heads = int(config["num_attention_heads"])
        hidden = int(config["hidden_size"])
        return ModelShape(
            source=source, model_type=model_type, hidden=hidden, intermediate=int(config["intermediate_size"]),
            layers=int(config["num_hidden_layers"]), heads=heads,
            kv_heads=int(config.get("num_key_value_heads") or heads),
            head_dim=int(config.get("head_dim") or hidden // heads), vocab=int(config["vocab_size"]),
            tied_embeddings=bool(config.get("tie_word_embeddings", family.tied_default)), family=family,
            attention_bias=bool(config.get("attention_bias", False)), mlp_bias=bool(config.get("mlp_bias", False)),
        )
    except KeyError as err:
        raise ShapeError(f"{source}: config.json lacks {err.args[0]!r}, so the model's size is unknown; fix or "
                         "replace the file (it should be the model's own config.json).") from None
    except (TypeError, ValueError) as err:
        raise ShapeError(f"{source}: config.json holds a value that is not a number ({err}); fix or replace "
                         "the file.") from None


def read_config(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise ShapeError(f"{path}: cannot read the model's config.json ({err}); check the file's permissions or "
                         "download the model again.") from None
    except json.JSONDecodeError as err:
        raise ShapeError(f"{path}:{err.lineno}: config.json is not valid JSON ({err.msg}); download the model's "
                         "config.json again.") from None
    if not isinstance(data, dict):
        raise ShapeError(f"{path}: config.json is not a JSON object; download the model's config.json again.")
    return data


def hub_cache_dir() -> Path:
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    home = os.environ.get("HF_HOME") or os.path.join(os.path.expanduser("~"), ".cache", "huggingface")
    return Path(home) / "hub"


def cached_config(repo_id: str, revision: str | None = None) -> Path | None:
    """config.json of ``repo_id`` in the Hugging Face cache (the revision's snapshot, else main), or None."""
    repo = hub_cache_dir() / f"models--{repo_id.replace('/', '--')}"
    ref = repo / "refs" / (revision or "main")
    snapshot = ref.read_text().strip() if ref.is_file() else revision
    if snapshot and (repo / "snapshots" / snapshot / "config.json").is_file():
        return repo / "snapshots" / snapshot / "config.json"
    found = sorted((repo / "snapshots").glob("*/config.json")) if revision is None else []
    return found[0] if found else None


def bundled_config(repo_id: str) -> dict[str, Any] | None:
    models = json.loads(TABLE.read_text(encoding="utf-8"))["models"]
    wanted = repo_id.lower()
    for key, entry in models.items():
        if wanted == key.lower() or wanted in (a.lower() for a in entry["aliases"]):
            return dict(entry["config"])
    return None


def resolve_shape(base_model: str, *, preset_path: str | os.PathLike[str] | None = None, revision: str | None = None,
                  download: bool = False) -> ModelShape:
    """The shapes of ``base_model`` (a folder or a Hub id). ``download``: fetch config.json from the Hub when
    it is nowhere local and the Hub may be reached (HF_HUB_OFFLINE unset)."""
    local = resolve_path(base_model, preset_path)
    if local.is_dir():
        if not (local / "config.json").is_file():
            raise ShapeError(f"{local}: the model folder has no config.json, so its size is unknown; copy the "
                             "model's config.json into it.")
        return shape_from_config(read_config(local / "config.json"), str(local / "config.json"))
    cached = cached_config(base_model, revision)
    if cached is not None:
        return shape_from_config(read_config(cached), f"{base_model} (Hugging Face cache)")
    bundled = bundled_config(base_model)
    if bundled is not None:
        return shape_from_config(bundled, f"{base_model} (tunedeck's table)")
    if download and not os.environ.get("HF_HUB_OFFLINE"):
        return shape_from_config(read_config(_download_config(base_model, revision)), base_model)
    raise ShapeError(
        f"base_model {base_model}: its config.json is not in a local folder, the Hugging Face cache, or tunedeck's "
        "table of popular models, so its size is unknown and no estimate is shown. Download just the config "
        f"(huggingface-cli download {base_model} config.json) or run `tunedeck estimate` online."
    )


def _download_config(repo_id: str, revision: str | None) -> Path:
    from huggingface_hub import hf_hub_download

    try:
        return Path(hf_hub_download(repo_id, "config.json", revision=revision))
    except (OSError, ValueError) as err:  # network, 404, gated repository (huggingface_hub's are OSErrors)
        raise ShapeError(f"base_model {repo_id}: could not fetch its config.json from the Hub "
                         f"({type(err).__name__}: {err}); check the id, your token for gated models, or the "
                         "network.") from None
