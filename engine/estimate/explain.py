"""What each part of the estimate is: the text behind F1 on the editor's estimate and ``estimate --explain``."""

from __future__ import annotations

PART_TEXT: dict[str, tuple[str, str]] = {
    "weights": ("weights", ("The model's parameters as loaded: 2 bytes each in bf16/fp16, 4 in fp32; a 4-bit base "
                "stores its linear layers in ~0.52 bytes per weight (NF4 with double-quantized block scales) while "
                "embeddings, LM head and norms stay 16/32-bit. A LoRA adapter's own weights are included.")),
    "reference_model": ("reference model", ("Preference tuning compares against a frozen copy of the starting "
                        "model; with an adapter that copy is the base with the adapter switched off (free).")),
    "gradients": ("gradients", ("One gradient per trained parameter, in its dtype: tiny for LoRA, as big as the "
                  "weights for a full fine-tune. ZeRO-2/3 and FSDP split them over the GPUs.")),
    "optimizer": ("optimizer states", ("AdamW keeps two running statistics per trained parameter (8 bytes in "
                  "fp32); 8-bit optimizers ~2 bytes; Muon one on hidden matrices; SGD none. ZeRO-1+ and FSDP "
                  "split them over the GPUs.")),
    "checkpointed_inputs": ("checkpointed layer inputs", ("With gradient checkpointing each layer keeps only its "
                            "input (hidden size × tokens) for the backward pass: small per layer, but every "
                            "layer keeps one.")),
    "activations": ("activations", ("Without checkpointing every layer keeps what its backward pass needs: norms' "
                    "fp32 inputs, q/k/v, the MLP's intermediate outputs (the largest), the inputs of trained "
                    "layers. Grows with micro_batch_size × sequence_len.")),
    "recomputed_layer": ("recomputed layer", ("Checkpointing recomputes one layer at a time in the backward; that "
                         "layer's full activations and its gradients are alive while it runs.")),
    "logits": ("logits (fp32)", ("The LM head's scores for every vocabulary entry and token, upcast to fp32 for "
               "the loss, with their gradient: 12 bytes × vocabulary × tokens, large for 128k-256k vocabularies "
               "and long sequences.")),
    "cuda_context": ("CUDA context", ("The CUDA context, kernels and cuBLAS workspace: memory nvidia-smi shows "
                     "that PyTorch does not count, about 0.3 to 1 GiB.")),
}
