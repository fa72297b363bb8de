"""Axolotl's MoE example configs that adapt fused expert tensors with lora_target_parameters open with no error,
one config per shape in Axolotl's examples (written here, shaped like the files named in each case)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.preset import load_preset

COMMON = """datasets:
  - path: mlabonne/FineTome-100k
    type: chat_template
    field_messages: conversations
    message_property_mappings:
      role: from
      content: value
sequence_len: 2048
micro_batch_size: 1
gradient_accumulation_steps: 4
num_epochs: 1
learning_rate: 0.0002
"""

SHAPES = {
    # gemma4/26b-a4b-moe-qlora.yaml: qlora, one regex over the text decoder's layers, and the expert tensors.
    "gemma4-26b-a4b-moe-qlora": """base_model: google/gemma-4-26B-A4B
load_in_4bit: true
adapter: qlora
lora_r: 16
lora_alpha: 32
lora_dropout: 0
lora_target_modules: 'model.language_model.layers.[\\d]+.(_checkpoint_wrapped_module.)?\
(mlp|self_attn).(up|down|gate|q|k|v|o)_proj'
lora_target_parameters:
  - experts.gate_up_proj
  - experts.down_proj
""",
    # minimax/m2-qlora.yaml and deepseek-v4/v4-flash-nvfp4-lora.yaml: the experts alone, no target modules.
    "minimax-m2-experts-only": """base_model: MiniMaxAI/MiniMax-M2
adapter: lora
lora_r: 16
lora_alpha: 32
lora_dropout: 0
lora_target_parameters:
  - mlp.experts.gate_up_proj
  - mlp.experts.down_proj
""",
    # qwen3/30b-a3b-nvfp4-lora.yaml and qwen3-next: attention layers as a list, plus the experts.
    "qwen3-30b-a3b-lora": """base_model: Qwen/Qwen3-30B-A3B
adapter: lora
lora_r: 16
lora_alpha: 32
lora_dropout: 0
lora_target_modules:
  - q_proj
  - k_proj
  - v_proj
  - o_proj
lora_target_parameters:
  - experts.gate_up_proj
  - experts.down_proj
""",
}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_moe_example_with_lora_target_parameters_is_accepted(name: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.yaml"
    path.write_text(SHAPES[name] + COMMON)
    preset = load_preset(path)
    assert [p.format() for p in preset.errors] == []
    assert "lora_target_parameters" not in preset.kept_keys  # used, not merely kept
    from engine.knobs.adapter import target_parameter_names

    names = target_parameter_names(preset.config.lora_target_parameters)
    assert names and all(n.endswith(("experts.gate_up_proj", "experts.down_proj")) for n in names)
