"""Loading the tokenizer the way training will use it, and fingerprinting it for the cache."""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from engine.paths import looks_local, resolve_path

from .errors import DataError
from .templates import TEMPLATES, resolve_template, template_special_tokens


def prepare_tokenizer(cfg: Any, preset_path: str | os.PathLike[str] | None = None) -> Any:
    """AutoTokenizer for tokenizer_config or base_model, with special_tokens/tokens added, a pad token and the
    preset's chat template set (the trainer resizes the embeddings to ``len(tokenizer)``)."""
    from transformers import AutoTokenizer

    source = cfg.tokenizer_config or cfg.base_model
    key = "tokenizer_config" if cfg.tokenizer_config else "base_model"
    if not source:
        raise DataError("no base_model (or tokenizer_config) is set, so there is no tokenizer to prepare the data "
                        "with. Set base_model to a Hugging Face id or a local model folder.", key="base_model")
    if looks_local(source, preset_path):
        source = str(resolve_path(source, preset_path))
    try:
        tokenizer = AutoTokenizer.from_pretrained(
            source, revision=cfg.revision_of_model, trust_remote_code=cfg.trust_remote_code)
    except Exception as err:
        offline = os.environ.get("HF_HUB_OFFLINE") == "1"
        hint = " Offline, only models already in the local Hugging Face cache load." if offline else ""
        raise DataError(f"could not load the tokenizer from '{source}': {type(err).__name__}: "
                        f"{(str(err).splitlines() or [''])[0].rstrip('.')}.{hint} Check {key}.", key=key) from None
    apply_tokens(tokenizer, cfg)
    if (cfg.chat_template or cfg.chat_template_jinja) and cfg.chat_template != "tokenizer_default":
        tokenizer.chat_template = resolve_template(cfg.chat_template, tokenizer, jinja=cfg.chat_template_jinja)
    return tokenizer


def apply_tokens(tokenizer: Any, cfg: Any) -> None:
    """special_tokens (named: bos/eos/pad/...), tokens (plain new tokens), the special tokens the chat templates
    bring (TEMPLATE_SPECIAL_TOKENS), and a pad token when there is none."""
    if cfg.special_tokens:
        tokenizer.add_special_tokens(dict(cfg.special_tokens))
    if cfg.tokens:
        tokenizer.add_tokens(list(cfg.tokens))
    brought = template_special_tokens(cfg)
    if brought:  # e.g. poro's <|user|>: one special token each, as SiloGen adds them (kept beside the others)
        tokenizer.add_special_tokens({"additional_special_tokens": brought}, replace_extra_special_tokens=False)
    if tokenizer.pad_token is None:
        # Padding is masked out (labels -100, attention off), so reusing a token adds no new embedding row.
        strategy = cfg.missing_pad_token_strategy
        name = "eos" if strategy == "eos-repurpose" else "bos" if strategy == "bos-repurpose" else "unk"
        token = getattr(tokenizer, f"{name}_token")
        if token is None and strategy == "eos-repurpose":
            token = tokenizer.unk_token  # the long-standing fallback for EOS-less tokenizers
        if token is None:
            raise DataError(f"missing_pad_token_strategy is {strategy}, but the tokenizer has no pad token and no "
                            f"{name.upper()} token to use instead. Choose another strategy, or set "
                            "special_tokens.pad_token.", key="missing_pad_token_strategy")
        tokenizer.pad_token = token


def input_pad_id(tokenizer: Any, cfg: Any) -> int:
    """The id the collator fills input-side padding with: the pad id, except unk-convert-to-eos pads the inputs
    with EOS while the tokenizer's pad token stays UNK (SiloGen's trick: the model sees EOS after the text)."""
    converts = cfg.missing_pad_token_strategy == "unk-convert-to-eos" and tokenizer.eos_token_id is not None
    if converts and tokenizer.pad_token_id == tokenizer.unk_token_id:
        return int(tokenizer.eos_token_id)
    return int(tokenizer.pad_token_id)


def tokenizer_fingerprint(tokenizer: Any) -> str:
    """Hash of everything in the tokenizer that changes token ids: vocab/merges/normalizer, added and special
    tokens, and its chat template."""
    h = hashlib.blake2b(digest_size=16)
    h.update(type(tokenizer).__name__.encode())
    backend = getattr(tokenizer, "backend_tokenizer", None) or getattr(tokenizer, "_tokenizer", None)
    if backend is not None and hasattr(backend, "to_str"):
        h.update(backend.to_str().encode())
    else:
        h.update(json.dumps(sorted(tokenizer.get_vocab().items())).encode())
    h.update(json.dumps({k: str(v) for k, v in tokenizer.special_tokens_map.items()}, sort_keys=True).encode())
    h.update(json.dumps(sorted((str(k), str(v)) for k, v in tokenizer.added_tokens_decoder.items())).encode())
    h.update(str(getattr(tokenizer, "chat_template", None)).encode())
    h.update(str(getattr(tokenizer, "add_bos_token", None)).encode()
             + str(getattr(tokenizer, "add_eos_token", None)).encode())
    return h.hexdigest()


__all__ = ["TEMPLATES", "apply_tokens", "input_pad_id", "prepare_tokenizer", "tokenizer_fingerprint"]
