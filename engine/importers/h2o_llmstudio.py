"""H2O LLM Studio experiment cfg.yaml → a tunedeck preset (facts from its experiment settings guide)."""

from __future__ import annotations

from typing import Any

from . import signatures
from .conversion import Conversion
from .h2o_dataset import train_frame
from .source import SourceConfig

REQUIRED = ("llm_backbone", "dataset", "training")
OPTIMIZERS = {"AdamW": "adamw_torch", "SGD": "sgd", "AdamW8bit": "adamw_bnb_8bit"}
SCHEDULES = {"Cosine": "cosine", "Linear": "linear", "Constant": "constant"}
PROBLEM_TYPES = {"text_causal_language_modeling": None, "text_dpo_modeling": "dpo"}
# Settings whose usual value is what tunedeck does anyway: (key, value, why it is the same).
SAME_WHEN: tuple[tuple[str, Any, str], ...] = (
    ("architecture.pretrained", True, "the backbone's pretrained weights are loaded"),
    ("architecture.pretrained_weights", "", "no other weights are loaded"),
    ("architecture.intermediate_dropout", 0.0, "no extra dropout"),
    ("augmentation.random_parent_probability", 0.0, "no augmentation"),
    ("augmentation.skip_parent_probability", 0.0, "no augmentation"),
    ("augmentation.token_mask_probability", 0.0, "no augmentation"),
    ("dataset.data_sample", 1.0, "every row is used"),
    ("dataset.personalize", False, "no chatbot name/author substitution"),
    ("dataset.limit_chained_samples", False, "every step of a chained conversation is a sample"),
    ("training.use_dora", False, "plain LoRA"),
    ("training.loss_function", "TokenAveragedCrossEntropy", "the loss is averaged over trained tokens"),
    ("training.differential_learning_rate_layers", [], "one learning rate for all layers"),
    ("training.train_validation_data", False, "the validation rows are not trained on"),
    ("tokenizer.padding_quantile", 1.0, "batches are padded to their longest row"),
    ("tokenizer.add_prompt_answer_tokens", False, "the separators are not added as new tokens"),
    ("environment.compile_model", False, "no torch.compile"),
    ("environment.use_deepspeed", False, "no DeepSpeed"),
    ("logging.logger", "None", "no external logger"),
    ("prediction.metric", "Perplexity", "tunedeck reports eval loss; perplexity is exp(eval loss)"),
)


looks_like = signatures.h2o_llmstudio


def convert(source: SourceConfig) -> Conversion:
    conv = Conversion(source, f"H2O LLM Studio ({source.data.get('problem_type', 'text_causal_language_modeling')})")
    if not conv.has("llm_backbone"):
        conv.problems.append(f"{source.path}:1: llm_backbone: required and missing (the model to fine-tune).")
    for name in REQUIRED[1:]:
        conv.section(name, required=True)
    conv.exact("llm_backbone", "base_model")
    conv.exact("output_directory", "output_dir")
    problem = conv.get("problem_type", "text_causal_language_modeling")
    if problem in PROBLEM_TYPES:
        if PROBLEM_TYPES[problem]:
            conv.approx("problem_type", "rl", PROBLEM_TYPES[problem], "H2O's DPO modelling is tunedeck's rl: dpo")
        else:
            conv.same("problem_type", "supervised fine-tuning of a causal LM")
    else:
        conv.drop("problem_type", f"{problem}: tunedeck trains causal LMs (SFT and preference methods) only")
    for key, value, why in SAME_WHEN:
        if conv.get(key, value) == value:
            conv.same(key, why)
    _precision(conv)
    _dataset(conv)
    _training(conv)
    _prediction(conv)
    conv.exact("environment.trust_remote_code", "trust_remote_code")
    gpus = conv.get("environment.gpus")
    if isinstance(gpus, list) and gpus:
        conv.approx("environment.gpus", "gpus_per_node", len(gpus), "the number of GPUs listed (CUDA_VISIBLE_DEVICES "
                    "picks which ones)")
    seed = conv.get("environment.seed")
    if seed == -1:
        conv.drop("environment.seed", "-1 draws a random seed; tunedeck always uses a fixed seed (its default)")
    else:
        conv.exact("environment.seed", "seed")
    conv.drop("experiment_name", "tunedeck names a run by its preset and output_dir")
    conv.finish()
    return conv


def _precision(conv: Conversion) -> None:
    dtype = conv.get("architecture.backbone_dtype", "bfloat16")
    lora = conv.get("training.lora", False)
    if dtype == "int4":
        conv.approx("architecture.backbone_dtype", "load_in_4bit", True, "bitsandbytes 4-bit weights"
                    + (" with the LoRA adapter: adapter qlora" if lora else ""))
        if lora:
            conv.preset["adapter"] = "qlora"
    elif dtype == "int8":
        conv.approx("architecture.backbone_dtype", "load_in_8bit", True, "bitsandbytes 8-bit weights")
    elif dtype in ("bfloat16", "float16"):
        conv.approx("architecture.backbone_dtype", "bf16" if dtype == "bfloat16" else "fp16", True,
                    "weights and compute in that precision (mixed precision)")
    elif dtype == "float32":
        conv.same("architecture.backbone_dtype", "full precision")
    if conv.get("environment.mixed_precision"):
        kind = conv.get("environment.mixed_precision_dtype", "bfloat16")
        conv.exact("environment.mixed_precision", "bf16" if kind == "bfloat16" else "fp16", True)
        conv.handled("environment.mixed_precision_dtype")
    elif conv.has("environment.mixed_precision"):
        conv.same("environment.mixed_precision", "full-precision compute")
    conv.exact("architecture.gradient_checkpointing", "gradient_checkpointing")


def _dataset(conv: Conversion) -> None:
    d = "dataset"
    train_frame(conv)  # first: a validation frame is read like it
    if conv.get(f"{d}.validation_strategy", "automatic") == "automatic":
        conv.exact(f"{d}.validation_size", "val_set_size")
        conv.same(f"{d}.validation_strategy", "a share of the training rows is held out (val_set_size)")
        conv.same(f"{d}.validation_dataframe", "not used with the automatic split")
    elif isinstance(conv.get(f"{d}.validation_dataframe"), str) and conv.preset.get("datasets"):
        frame = conv.get(f"{d}.validation_dataframe")
        conv.handled(f"{d}.validation_dataframe")
        conv.report.add(f"{d}.validation_dataframe", "exact", "test_datasets[0].path",
                        "the evaluation set, read and rendered like the training frame; no training row is held out")
        conv.preset["test_datasets"] = [{**conv.preset["datasets"][0], "path": frame}]
        conv.preset["val_set_size"] = 0
        conv.same(f"{d}.validation_strategy", "see validation_dataframe")
        conv.same(f"{d}.validation_size", "not used with a validation frame")
    else:
        conv.separate_validation(f"{d}.validation_dataframe")
        conv.same(f"{d}.validation_strategy", "see validation_dataframe")
    _data_sample(conv)
    conv.exact("tokenizer.max_length", "sequence_len")
    kwargs = conv.get("tokenizer.tokenizer_kwargs")
    if isinstance(kwargs, str) and '"use_fast": true' in kwargs:
        conv.same("tokenizer.tokenizer_kwargs", "the fast tokenizer, as tunedeck loads it")


def _data_sample(conv: Conversion) -> None:
    """H2O samples the training and/or validation frame (data_sample_choice) after its validation split; tunedeck
    samples a source (datasets[].sample_rate) before val_set_size holds rows out."""
    d = "dataset"
    sample = conv.get(f"{d}.data_sample", 1.0)
    if sample == 1.0:
        conv.same(f"{d}.data_sample_choice", "data_sample is 1.0")
        return
    choice = conv.get(f"{d}.data_sample_choice", ["Train", "Validation"])
    conv.handled(f"{d}.data_sample_choice")
    conv.handled(f"{d}.data_sample")
    if not conv.fits("datasets.sample_rate", sample):
        conv.problems.append(f"{conv.source.where(f'{d}.data_sample')}: {d}.data_sample: {sample!r} cannot become "
                             "datasets[].sample_rate (a share of the rows, such as 0.1).")
        return
    choice = choice if isinstance(choice, list) else [choice]
    frames = [("Train", "datasets"), ("Validation", "test_datasets")]
    targets = [f"{key}[0].sample_rate" for name, key in frames if name in choice and conv.preset.get(key)]
    for name, key in frames:
        if name in choice and conv.preset.get(key):
            conv.preset[key][0]["sample_rate"] = sample
    split = "test_datasets" not in conv.preset and conv.preset.get("val_set_size")
    if not targets or (split and "Train" not in choice):
        why = ("tunedeck samples a source before holding out val_set_size, so it cannot shrink only the validation "
               "rows" if split else "no frame of data_sample_choice to sample")
        conv.report.add(f"{d}.data_sample", "not carried over", "", why)
        conv.report.add(f"{d}.data_sample_choice", "not carried over", "", why)
        return
    conv.report.add(f"{d}.data_sample_choice", "exact", ", ".join(targets), "the frames that are sampled")
    how = (f"a {sample} share of the rows, picked at random with tunedeck's seed (H2O draws with its fixed seed "
           "7331 and keeps at least 10 rows; with parent_id_column it samples whole conversations, tunedeck samples "
           "rows before chaining them)")
    if split:
        how += (", and the val_set_size rows are held out of the sampled rows" + (
            " (H2O samples after its split; with Validation in data_sample_choice the result has the same shares)"
            if "Validation" in choice else " (H2O keeps its validation rows whole: here they shrink too)"))
    conv.report.add(f"{d}.data_sample", "approximated", ", ".join(targets), how)


def _training(conv: Conversion) -> None:
    t = "training"
    conv.exact(f"{t}.batch_size", "micro_batch_size")
    conv.exact(f"{t}.grad_accumulation", "gradient_accumulation_steps")
    conv.exact(f"{t}.epochs", "num_epochs")
    conv.exact(f"{t}.learning_rate", "learning_rate")
    conv.exact(f"{t}.weight_decay", "weight_decay")
    if conv.get(f"{t}.lora"):
        if "adapter" not in conv.preset:
            conv.exact(f"{t}.lora", "adapter", "lora")
        else:
            conv.same(f"{t}.lora", "LoRA on the 4-bit weights: adapter qlora")
        conv.exact(f"{t}.lora_r", "lora_r")
        conv.exact(f"{t}.lora_alpha", "lora_alpha")
        conv.exact(f"{t}.lora_dropout", "lora_dropout")
        targets = conv.get(f"{t}.lora_target_modules")
        if targets in ("", None):
            conv.exact(f"{t}.lora_target_modules", "lora_target_linear", True,
                       "empty means every linear layer, as lora_target_linear")
        else:
            conv.exact(f"{t}.lora_target_modules", "lora_target_modules",
                       [s.strip() for s in str(targets).split(",")])
    elif conv.has(f"{t}.lora"):
        conv.same(f"{t}.lora", "every weight is trained")
    for name, table, target in (("optimizer", OPTIMIZERS, "optimizer"), ("schedule", SCHEDULES, "lr_scheduler")):
        value = conv.get(f"{t}.{name}")
        if value in table:
            conv.exact(f"{t}.{name}", target, table[value])
        else:
            conv.drop(f"{t}.{name}", f"{value!r} has no tunedeck {target} of the same meaning")
    clip = conv.get(f"{t}.gradient_clip")
    if clip == 0:
        conv.exact(f"{t}.gradient_clip", "max_grad_norm", 0.0, "0 means no clipping, in both")
    else:
        conv.exact(f"{t}.gradient_clip", "max_grad_norm")
    epochs, warmup = conv.get(f"{t}.epochs", 1), conv.get(f"{t}.warmup_epochs", 0.0)
    if warmup and epochs:
        conv.approx(f"{t}.warmup_epochs", "warmup_ratio", min(float(warmup) / float(epochs), 1.0),
                    "warmup_epochs ÷ epochs, the same share of the run")
    else:
        conv.same(f"{t}.warmup_epochs", "no warmup")
    evals = conv.get(f"{t}.evaluation_epochs")
    if isinstance(evals, (int, float)) and evals > 0:
        if evals <= 1 and float(1 / evals).is_integer():
            conv.exact(f"{t}.evaluation_epochs", "evals_per_epoch", int(1 / evals))
        else:
            conv.drop(f"{t}.evaluation_epochs", "an evaluation every N epochs (N > 1 or not 1/k) is not expressible "
                      "as tunedeck's evals_per_epoch")
    save = conv.get(f"{t}.save_checkpoint")
    if save == "best":
        _save_best(conv)
    elif save == "last":
        conv.same(f"{t}.save_checkpoint", "the final model is saved")
    elif save is not None:
        conv.drop(f"{t}.save_checkpoint", f"{save!r}: tunedeck always saves the final model")
    conv.exact(f"{t}.evaluate_before_training", "eval_on_start")
    conv.exact(f"{t}.neftune_noise_alpha", "neftune_noise_alpha")
    conv.drop(f"{t}.drop_last_batch", "tunedeck keeps the last, smaller batch")
    conv.drop(f"{t}.differential_learning_rate", "only used with differential_learning_rate_layers")


def _save_best(conv: Conversion) -> None:
    """H2O saves the model at each evaluation that improves prediction.metric, so the best one is what it leaves:
    save_strategy best ranks checkpoints the same way and load_best_model_at_end makes the best the final model."""
    metric = conv.get("prediction.metric", "Perplexity")
    conv.preset.update(save_strategy="best", metric_for_best_model="eval_loss", load_best_model_at_end=True)
    targets = "save_strategy, metric_for_best_model, load_best_model_at_end"
    if metric == "Perplexity":  # exp(eval loss): the same ranking
        conv.report.add("training.save_checkpoint", "exact", targets, "a checkpoint whenever eval_loss improves "
                        "(perplexity is exp(eval loss): the same best), and the best one is the final model")
    else:
        conv.report.add("training.save_checkpoint", "approximated", targets, f"the best by eval_loss, not by "
                        f"{metric} (tunedeck's evaluation reports loss), and the best one is the final model")
    conv.handled("training.save_checkpoint")


def _prediction(conv: Conversion) -> None:
    p = "prediction"
    note = "tunedeck's sample answers use the same generation settings"
    conv.exact(f"{p}.max_length_inference", "inference_max_new_tokens", note=note)
    conv.exact(f"{p}.do_sample", "inference_do_sample", note=note)
    conv.exact(f"{p}.num_beams", "inference_num_beams", note=note)
    conv.exact(f"{p}.repetition_penalty", "inference_repetition_penalty", note=note)
    if conv.get(f"{p}.do_sample"):
        conv.exact(f"{p}.temperature", "inference_temperature", note=note)
        conv.exact(f"{p}.top_p", "inference_top_p", note=note)
        conv.exact(f"{p}.top_k", "inference_top_k", note=note)
    else:
        for key in ("temperature", "top_p", "top_k"):
            conv.same(f"{p}.{key}", "unused: do_sample is false (greedy)")
    stops = conv.get(f"{p}.stop_tokens")
    if stops:
        conv.exact(f"{p}.stop_tokens", "inference_stop_strings", [s for s in str(stops).split(",") if s])
    else:
        conv.same(f"{p}.stop_tokens", "none")
