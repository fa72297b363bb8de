"""Build a tiny Llama model and BPE tokenizer from local text: the bundled demo model and the test model.

Nothing is downloaded. The result is saved with ``save_pretrained`` and is loaded back through the ordinary
``from_pretrained`` path, exactly like a hub model.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
SPECIAL_TOKENS = ["<unk>", "<s>", "</s>", "<pad>", "<|im_start|>", "<|im_end|>"]


def build_tiny_model(
    out_dir: str | os.PathLike[str],
    texts: Iterable[str],
    *,
    vocab_size: int = 512,
    hidden_size: int = 64,
    num_layers: int = 2,
    num_heads: int = 4,
    num_kv_heads: int = 2,
    max_positions: int = 2048,
    seed: int = 0,
) -> Path:
    """Train a byte-level BPE tokenizer on ``texts``, make a random ``LlamaForCausalLM`` to match, save both."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False,
    )
    bpe.train_from_iterator(list(texts), trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>",
        additional_special_tokens=["<|im_start|>", "<|im_end|>"],
    )
    tokenizer.chat_template = CHATML_TEMPLATE
    tokenizer.model_max_length = max_positions
    tokenizer.save_pretrained(out)

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=hidden_size, intermediate_size=hidden_size * 2,
        num_hidden_layers=num_layers, num_attention_heads=num_heads, num_key_value_heads=num_kv_heads,
        max_position_embeddings=max_positions, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=False,
    )
    LlamaForCausalLM(config).save_pretrained(out)
    return out


def _text_part(out: Path, texts: Iterable[str], seed: int, tokens: list[str]) -> tuple[Any, int]:
    """A vision model's tokenizer: the tiny model's, saved in ``out``, with the vision tokens added (the first is
    the image token, whose id is returned too)."""
    from transformers import AutoTokenizer

    build_tiny_model(out, texts, seed=seed)
    tokenizer = AutoTokenizer.from_pretrained(out)
    tokenizer.add_special_tokens({"additional_special_tokens": tokens}, replace_extra_special_tokens=False)
    image_token = tokenizer.convert_tokens_to_ids(tokens[0])
    assert isinstance(image_token, int)
    return tokenizer, image_token


def build_tiny_vision_model(out_dir: str | os.PathLike[str], texts: Iterable[str], *, image_size: int = 16,
                            patch_size: int = 8, seed: int = 0) -> Path:
    """A tiny LLaVA (CLIP vision tower, projector, Llama language model) with its processor, saved like a Hub
    vision-language model: the test model of vision runs. Each image becomes (image_size / patch_size)² image
    tokens (<image> in the text)."""
    import torch
    from transformers import (
        CLIPVisionConfig,
        LlamaConfig,
        LlavaConfig,
        LlavaForConditionalGeneration,
        LlavaProcessor,
    )
    from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

    out = Path(out_dir)
    tokenizer, image_token = _text_part(out, texts, seed, ["<image>"])
    processor = LlavaProcessor(
        image_processor=CLIPImageProcessorPil(size={"shortest_edge": image_size},
                                              crop_size={"height": image_size, "width": image_size}),
        tokenizer=tokenizer, patch_size=patch_size, vision_feature_select_strategy="default", image_token="<image>",
        num_additional_image_tokens=1,
    )
    torch.manual_seed(seed)
    vision = CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                              image_size=image_size, patch_size=patch_size, projection_dim=32)
    text = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=2048, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=False,
    )
    config = LlavaConfig(vision_config=vision, text_config=text, image_token_index=image_token,
                         vision_feature_select_strategy="default", vision_feature_layer=-1)
    LlavaForConditionalGeneration(config).save_pretrained(out)
    processor.save_pretrained(out)
    return out


def build_tiny_mllama_model(out_dir: str | os.PathLike[str], texts: Iterable[str], *, seed: int = 0) -> Path:
    """A tiny Llama 3.2 Vision (Mllama: a tiled vision encoder whose features the language model reads through
    cross-attention layers) with its processor. Its <|image|> token is not expanded in the text: the processor adds
    a cross-attention mask instead, so this model tests the path where the ids keep one token per image."""
    import torch
    from transformers.models.mllama import (
        MllamaConfig,
        MllamaForConditionalGeneration,
        MllamaImageProcessorPil,
        MllamaProcessor,
        MllamaTextConfig,
        MllamaVisionConfig,
    )

    out = Path(out_dir)
    tokenizer, image_token = _text_part(out, texts, seed,
                                        ["<|image|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"])
    processor = MllamaProcessor(image_processor=MllamaImageProcessorPil(size={"height": 16, "width": 16}),
                                tokenizer=tokenizer)
    torch.manual_seed(seed)
    vision = MllamaVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_global_layers=1,
                                attention_heads=2, image_size=16, patch_size=8, intermediate_layers_indices=[0],
                                vision_output_dim=64)
    text = MllamaTextConfig(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, cross_attention_layers=[1], bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=False,
    )
    MllamaForConditionalGeneration(MllamaConfig(vision_config=vision, text_config=text,
                                                image_token_index=image_token)).save_pretrained(out)
    processor.save_pretrained(out)
    return out
