"""Is a Hub model in the local Hugging Face cache? Answered from disk alone, never over the network.

Offline (HF_HUB_OFFLINE), a Hub id that is not cached can only fail; checking the cache first says so at once,
with what to do, instead of after the loaders' retries. Import-light: huggingface_hub is imported when asked.
"""

from __future__ import annotations

import os
from typing import Any

from engine.data.errors import DataError
from engine.paths import looks_local

# Files a model repository's tokenizer or config is read from: any one cached means the repository was fetched.
_MARKER_FILES = ("tokenizer_config.json", "config.json", "tokenizer.json")


def hub_offline() -> bool:
    """HF_HUB_OFFLINE as huggingface_hub reads it."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in {"1", "ON", "YES", "TRUE"}


def in_local_cache(repo_id: str, revision: str | None = None) -> bool:
    from huggingface_hub import try_to_load_from_cache

    try:
        return any(isinstance(try_to_load_from_cache(repo_id, name, revision=revision), str)
                   for name in _MARKER_FILES)
    except ValueError:  # not a valid repository id: the loader will say what is wrong with it
        return True


def require_cached_tokenizer(cfg: Any, preset_path: str | os.PathLike[str] | None = None) -> None:
    """Offline, raise a DataError at once when the tokenizer's Hub repository is not in the local cache."""
    source = cfg.tokenizer_config or cfg.base_model
    key = "tokenizer_config" if cfg.tokenizer_config else "base_model"
    if not source or not hub_offline() or looks_local(source, preset_path):
        return
    if not in_local_cache(source, cfg.revision_of_model):
        raise DataError(
            f"'{source}' is not in the local cache (offline): HF_HUB_OFFLINE is set, so nothing is downloaded, "
            "and the app's background counts and previews never download a model. Download it once (`hf download "
            f"{source}`, or `tunedeck preview PRESET` with the network on), or set {key} to a local folder.",
            key=key,
        )
