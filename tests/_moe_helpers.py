"""A tiny mixture-of-experts model for tests: Qwen3-MoE, whose experts transformers 5 stores as fused 3-D
parameters (mlp.experts.gate_up_proj, mlp.experts.down_proj), with the tiny Llama's tokenizer."""

from __future__ import annotations

from pathlib import Path


def build_tiny_moe(out: Path, tokenizer_dir: Path) -> Path:
    """Save a random 2-layer, 4-expert Qwen3-MoE and the tokenizer of ``tokenizer_dir`` into ``out``."""
    import torch
    from transformers import AutoTokenizer, Qwen3MoeConfig, Qwen3MoeForCausalLM

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    tokenizer.save_pretrained(out)
    torch.manual_seed(0)
    config = Qwen3MoeConfig(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, moe_intermediate_size=32,
        num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, head_dim=16, num_experts=4,
        num_experts_per_tok=2, decoder_sparse_step=1, max_position_embeddings=2048, tie_word_embeddings=False,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
    )
    Qwen3MoeForCausalLM(config).save_pretrained(out)
    return out
