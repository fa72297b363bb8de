"""The configuration keys Axolotl itself accepts, so a preset can carry them through tunedeck untouched.

Gathered from Axolotl's pydantic config schemas (``src/axolotl/utils/schemas/``: config, model, training, peft,
datasets, integrations, multimodal, deprecated, plus newer keys for parallelism, QAT, generation samples and the
integration plugins, e.g. the diffusion plugin's block and SwanLab's, src/axolotl/integrations/swanlab/args.py).
``debug`` and ``attention`` are older spellings, and ``gptq_groupsize`` and ``gptq_model_v1`` keys of Axolotl's old
GPTQ loader (replaced in its #468), that Axolotl's own example configs still carry (Axolotl ignores them), so
those files open without errors. A key in a
preset that tunedeck does not implement but Axolotl knows is kept verbatim and reported as "kept but not used by
tunedeck"; anything else unknown is either a typo (did you mean …?) or foreign. Only names live here, never
behaviour. tests/test_axolotl_compat.py checks real Axolotl example configs against this list.
"""

from __future__ import annotations


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


AXOLOTL_TOP_LEVEL_KEYS: frozenset[str] = _names("""
    base_model base_model_config cls_model_config tokenizer_config tokenizer_use_fast tokenizer_legacy
    tokenizer_use_mistral_common tokenizer_type processor_type tokenizer_save_jinja_files trust_remote_code
    experimental_skip_move_to_device use_kernels model_quantization_config model_quantization_config_kwargs
    output_dir hub_model_id hub_strategy hub_revision hub_private_repo save_safetensors
    model_config model_kwargs model_type model_revision overrides_of_model_config overrides_of_model_kwargs
    type_of_model revision_of_model
    strict resume_from_checkpoint auto_resume_from_checkpoints resize_token_embeddings_to_32x
    mean_resizing_embeddings shrink_embeddings rl trl vllm reward_model process_reward_model num_labels
    rl_adapter_ref_model
    dpo_use_weighting dpo_use_logits_to_keep dpo_generate_during_eval dpo_norm_loss dpo_beta
    dpo_label_smoothing dpo_padding_free
    datasets test_datasets shuffle_merged_datasets shuffle_before_merging_datasets dataset_prepared_path
    dataset_shard_num dataset_shard_idx skip_prepare_dataset pretraining_dataset dataset_processes
    dataset_num_proc dataset_exact_deduplication dataset_keep_in_memory dataloader_pin_memory
    dataloader_num_workers dataloader_prefetch_factor dataloader_drop_last accelerator_config
    remove_unused_columns push_dataset_to_hub hf_use_auth_token device device_map world_size local_rank ddp
    seed ddp_timeout ddp_bucket_cap_mb ddp_broadcast_buffers ddp_find_unused_parameters
    eval_table_size eval_max_new_tokens do_causal_lm_eval eval_causal_lm_metrics do_bench_eval bench_dataset
    bench_split metric_for_best_model greater_is_better loss_watchdog_threshold loss_watchdog_patience gc_steps
    bf16 fp16 fp8 bfloat16 float16 tf32 float32 fp8_enable_fsdp_float8_all_gather
    gradient_checkpointing gradient_checkpointing_kwargs activation_offloading unfrozen_parameters
    sequence_len min_sample_len max_prompt_len sample_packing sample_packing_group_size sample_packing_bin_size
    sample_packing_sequentially sample_packing_mp_start_method sample_packing_drop_attention_mask
    eval_sample_packing pad_to_sequence_len curriculum_sampling multipack_real_batches
    pretraining_sample_concatenation batch_flattening use_pose pose_split_on_token_ids pose_max_context_len
    pose_num_chunks pretrain_multipack_buffer_size pretrain_multipack_attn excess_length_strategy
    xformers_attention sdp_attention s2_attention flex_attention flex_attn_compile_kwargs flash_attention
    flash_attn_cross_entropy flash_attn_rms_norm flash_attn_fuse_qkv flash_attn_fuse_mlp flash_optimum
    eager_attention attn_implementation
    unsloth_cross_entropy_loss unsloth_lora_mlp unsloth_lora_qkv unsloth_lora_o unsloth_rms_norm unsloth_rope
    lora_mlp_kernel lora_qkv_kernel lora_o_kernel llama4_linearized_experts
    deepspeed fsdp fsdp_config fsdp_version fsdp_final_state_dict_type val_set_size
    sequence_parallel_degree context_parallel_size tensor_parallel_size dp_shard_size dp_replicate_size
    heads_k_stride ring_attn_func special_tokens tokens added_tokens_overrides
    torch_compile torch_compile_backend torch_compile_mode
    max_steps warmup_steps warmup_ratio eval_steps evals_per_epoch eval_strategy evaluation_strategy
    save_steps saves_per_epoch save_strategy save_total_limit save_first_step logging_steps
    early_stopping_patience load_best_model_at_end save_only_model use_tensorboard profiler_steps
    profiler_steps_start include_tokens_per_second include_tkps
    neftune_noise_alpha noisy_embedding_alpha orpo_alpha rpo_alpha simpo_gamma cpo_alpha
    kto_desirable_weight kto_undesirable_weight rl_beta
    max_memory gpu_memory_limit low_cpu_mem_usage chat_template chat_template_jinja chat_template_kwargs
    default_system_message eot_tokens fix_untrained_tokens
    is_preprocess preprocess_iterable total_num_tokens total_supervised_tokens sample_packing_eff_est
    axolotl_config_path is_falcon_derived_model is_llama_derived_model is_mistral_derived_model
    is_qwen_derived_model plugins inference
    max_packed_sequence_len rope_scaling
    gradient_accumulation_steps micro_batch_size batch_size eval_batch_size auto_find_batch_size
    train_on_inputs group_by_length learning_rate embedding_lr embedding_lr_scale weight_decay optimizer
    optim_args optim_target_modules torchdistx_path lr_scheduler lr_scheduler_kwargs lr_quadratic_warmup
    cosine_min_lr_ratio cosine_constant_lr_ratio lr_div_factor lr_groups adam_epsilon adam_epsilon2
    adam_beta1 adam_beta2 adam_beta3 max_grad_norm num_epochs
    load_in_8bit load_in_4bit adapter lora_model_dir lora_r lora_alpha lora_fan_in_fan_out
    lora_target_modules lora_target_parameters lora_target_linear lora_modules_to_save lora_dropout
    peft_layers_to_transform peft_layers_pattern peft peft_use_dora peft_use_rslora peft_layer_replication
    peft_init_lora_weights peft_trainable_token_indices peft_ensure_weight_tying peft_autocast_adapter_dtype
    qlora_sharded_model_loading lora_on_cpu gptq bnb_config_kwargs loraplus_lr_ratio loraplus_lr_embedding
    merge_lora merge_method relora relora_steps relora_warmup_steps relora_anneal_steps relora_prune_ratio
    relora_prune_method relora_cpu_offload jagged_restart_steps jagged_restart_warmup_steps
    jagged_restart_anneal_steps
    use_wandb wandb_name wandb_run_id wandb_mode wandb_project wandb_entity wandb_watch wandb_log_model
    use_mlflow mlflow_tracking_uri mlflow_experiment_name mlflow_run_name hf_mlflow_log_artifacts
    use_comet comet_api_key comet_workspace comet_project_name comet_experiment_key comet_mode comet_online
    comet_experiment_config use_otel_metrics otel_metrics_host otel_metrics_port
    lisa_n_layers lisa_step_interval lisa_layers_attribute
    gradio_title gradio_share gradio_server_name gradio_server_port gradio_max_new_tokens gradio_temperature
    use_ray ray_run_name ray_num_workers resources_per_worker image_size image_resize_algorithm
    qat quantization generate_samples num_generation_samples generation_max_new_tokens generation_temperature
    generation_top_p generation_top_k generation_do_sample generation_prompt_ratio dynamic_checkpoint
    cut_cross_entropy chunked_cross_entropy chunked_cross_entropy_num_chunks tiled_mlp tiled_mlp_num_shards
    liger_rope liger_rms_norm liger_layer_norm liger_glu_activation liger_cross_entropy
    liger_fused_linear_cross_entropy spectrum_top_fraction spectrum_model_name kd_trainer kd_ce_alpha
    kd_alpha kd_temperature kd_zscore_base_temp kd_top_k_before_softmax llmcompressor
    dion_lr dion_momentum dion_rank_fraction dion_rank_multiple_of muon_lr
    eval_on_start use_hub_model_id_as_output_dir
    embeddings_skip_upcast reinit_weights trainer_cls ebft center_rewards_coefficient precompute_ref_log_probs
    dpo_use_liger_kernel dpo_loss_type dpo_loss_weights num_dataset_shards_to_save layer_offloading
    freeze_mm_modules eval_sequence_len pad_to_multiple_of streaming streaming_multipack_buffer_size
    sage_attention gemma4_hybrid_attn_impl experts_implementation quantize_moe_experts scaling_softmax
    scaling_softmax_factor scaling_softmax_bias lora_embedding_kernel use_eaft eaft_alpha eaft_k
    tiled_mlp_use_original_mlp deepcompile qgalore_rank qgalore_update_proj_gap qgalore_scale
    qgalore_proj_type qgalore_proj_quant qgalore_proj_bits qgalore_proj_group_size qgalore_cos_threshold
    qgalore_gamma_proj qgalore_queue_size use_trackio trackio_project_name trackio_run_name trackio_space_id
    diffusion diffusion_noise_schedule diffusion_min_mask_ratio diffusion_max_mask_ratio diffusion_eps
    diffusion_importance_weighting diffusion_mask_token_id diffusion_generate_samples
    diffusion_generation_interval diffusion_num_diffusion_steps
    use_swanlab swanlab_project swanlab_experiment_name swanlab_description swanlab_mode swanlab_workspace
    swanlab_api_key swanlab_log_model swanlab_web_host swanlab_api_host swanlab_lark_webhook_url
    swanlab_lark_secret swanlab_log_completions swanlab_completion_log_interval swanlab_completion_max_buffer
    debug attention gptq_groupsize gptq_model_v1
""")

# Integrations whose keys share a prefix (wandb_project, swanlab_project, mlflow_run_name, ...): a key of one is
# never a misspelling of another's, however alike the rest of the name.
INTEGRATION_PREFIXES: frozenset[str] = _names("""
    wandb swanlab mlflow comet trackio otel ray gradio liger unsloth lisa relora qgalore dion diffusion kd
""")

AXOLOTL_DATASET_KEYS: frozenset[str] = _names("""
    path split type input_transform shards shards_idx preprocess_shards conversation chat_template
    chat_template_jinja data_files input_format name ds_type field field_human field_model field_messages
    field_system field_instruction field_input field_output field_tools field_thinking format no_input_format
    system_prompt system_format message_field_role message_field_content message_property_mappings
    message_field_training message_field_training_detail logprobs_field temperature roles_to_train
    train_on_eos train_on_eot roles drop_system_message trust_remote_code revision split_thinking
    text_column skip field_prompt field_chosen field_rejected prompt_format chosen_format rejected_format
    field_completion field_label completion_format step_separator max_completion_length
    train_on_last_step_only train_on_split
""")
