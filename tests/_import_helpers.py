"""Configs in the shapes of H2O LLM Studio, SiloGen finetuning and turbo-alignment, written by the tests
themselves (the shapes follow the real configs in ../shared/reference/configs/)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TURBO_TEMPLATE = {
    "role_tag_mapping": {"bot": "<bot>", "user": "<user>", "system": "<system>"},
    "prefix_template": "<RS>{role}",
    "suffix_template": "</RS>",
}


def turbo_sft(records: str, model: str = "models/tiny", **dataset: Any) -> dict[str, Any]:
    return {
        "train_dataset_settings": {
            "sources": [{"name": "talk", "records_path": records, "sample_rate": 1}],
            "prompt_template": TURBO_TEMPLATE,
            "dataset_type": "chat",
            "max_tokens_count": 96,
            "only_answer_loss": True,
            **dataset,
        },
        "model_settings": {
            "model_path": model,
            "model_type": "causal",
            "transformers_settings": {},
            "peft_settings": {"r": 4, "lora_alpha": 8, "lora_dropout": 0.0, "target_modules": ["q_proj", "v_proj"],
                              "task_type": "CAUSAL_LM", "name": "LORA"},
            "embeddings_initialization_strategy": {"<RS>": "<s>", "</RS>": "</s>", "<bot>": "<unk>",
                                                   "<user>": "<unk>"},
        },
        "tokenizer_settings": {},
        "special_tokens_settings": {},
        "trainer_settings": {
            "per_device_train_batch_size": 2, "gradient_accumulation_steps": 3, "learning_rate": 0.0005,
            "num_train_epochs": 1, "lr_scheduler_type": "linear", "warmup_steps": 1, "optim": "adamw_torch",
            "logging_steps": 1, "save_total_limit": 1, "no_cuda": True,
        },
        "logging_settings": {"project_name": "p", "run_name": "r", "entity": "e"},
        "log_path": "out",
    }


SILOGEN_SFT = """\
data_conf:
  chat_template_name: "chat-ml"
  training_data:
    type: CONCATENATION
    datasets:
      - path: "{data}"
  validation_data:
    type: AUTO_SPLIT
    ratio: 0.1
batchsize_conf:
  total_train_batch_size: 12
  max_per_device_train_batch_size: 4
training_args:
  output_dir: "{out}"
  learning_rate: 3.0e-04
  lr_scheduler_type: "cosine"
  num_train_epochs: 2
  report_to: ["none"]
  optim: rmsprop
sft_args:
  max_seq_length: 128
peft_conf:
  peft_type: "LORA"
  task_type: "CAUSAL_LM"
  peft_kwargs:
    r: 8
    lora_alpha: 16
    lora_dropout: 0.0
    target_modules: [q_proj, v_proj]
run_conf:
  model: "{model}"
  resume_from_checkpoint: False
overrides:
  lr_multiplier: 0.5
  lr_batch_size_scaling: sqrt
tracking:
  mlflow_server_uri: "file:///tmp/mlruns"
"""

H2O = """\
architecture:
    backbone_dtype: bfloat16
    gradient_checkpointing: true
dataset:
    add_eos_token_to_answer: true
    answer_column: output
    data_sample: 1.0
    prompt_column:
    - instruction
    text_answer_separator: <|answer|>
    text_prompt_start: <|prompt|>
    train_dataframe: data/train.csv
    validation_size: 0.02
    validation_strategy: automatic
environment:
    gpus:
    - '0'
    - '1'
    seed: 7
llm_backbone: {model}
output_directory: out/h2o
problem_type: text_causal_language_modeling
tokenizer:
    max_length: 256
training:
    batch_size: 3
    epochs: 2
    evaluation_epochs: 0.5
    grad_accumulation: 2
    gradient_clip: 0.0
    learning_rate: 0.0002
    lora: true
    lora_alpha: 16
    lora_r: 8
    lora_target_modules: ''
    optimizer: AdamW
    save_checkpoint: best
    schedule: Cosine
    warmup_epochs: 0.5
    drop_last_batch: true
"""


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, indent=4))
    return path
