"""Preset texts shared by the preset tests."""

from __future__ import annotations

from pathlib import Path

# An Axolotl-style preset: comments everywhere, quoted and unquoted values, flow and block lists, an alias,
# an Axolotl key tunedeck does not use, and a key neither knows.
COMMENTED = """\
# My fine-tune
# (header comment kept)
base_model: "./presets/tiny/model"   # where the weights are
model_revision: 'main'

datasets:
  - path: presets/tiny/chat.jsonl   # the chat data
    type: chat_template
    roles_to_train: [assistant]
  - path: presets/tiny/facts.jsonl
    type: completion

# --- sequence & batching ---
sequence_len: 256
micro_batch_size: 2     # per device
gradient_accumulation_steps: 4

# --- schedule ---
num_epochs: 3
learning_rate: 2e-5
lr_scheduler: cosine
warmup_steps: 2

# --- adapter ---
adapter: lora
lora_r: 8
lora_target_modules:
  - q_proj
  - v_proj

# kept for Axolotl
lora_fan_in_fan_out: false
my_own_note: hello   # nobody knows this one
output_dir:    ./out
"""


def write(tmp_path: Path, text: str = COMMENTED, name: str = "preset.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing ``needle``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")
