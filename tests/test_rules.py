"""Cross-knob rules: each rule fires on its combination, names the key to change and says what to do."""

from __future__ import annotations

import pytest

from engine.knobs import Config
from engine.knobs.rules import check_rules

CHAT = {"path": "chat.jsonl", "type": "chat_template"}
LORA = {"adapter": "lora", "lora_target_linear": True}


def make(**values) -> Config:
    base = {"base_model": "org/model", "datasets": [{"path": "data.jsonl"}]}
    base.update(values)
    return Config(**base)


def test_a_plain_preset_has_no_problems():
    assert check_rules(make()) == []


def test_a_full_qlora_chat_preset_has_no_problems():
    cfg = make(
        adapter="qlora", load_in_4bit=True, lora_r=16, lora_alpha=32, lora_target_linear=True,
        datasets=[{**CHAT, "field_messages": "conversations",
                   "message_property_mappings": {"role": "from", "content": "value"},
                   "roles": {"user": ["human"], "assistant": ["gpt"], "system": ["system"]}}],
        val_set_size=0.05, warmup_ratio=0.05, evals_per_epoch=2, saves_per_epoch=1,
        wandb_project="p", wandb_mode="offline",
    )
    # Whether 4-bit with evaluation can run depends on the machine: engine.preset.on_this_machine checks that.
    assert check_rules(cfg) == []


# (values, key, severity, words the message must contain: the knobs and the fix)
CASES = {
    "base_model required": ({"base_model": None}, "base_model", "error", ["base_model", "Hugging Face id"]),
    "base_model blank": ({"base_model": "  "}, "base_model", "error", ["local folder"]),
    "datasets required": ({"datasets": []}, "datasets", "error", ["add at least one", "path", "type"]),
    "warmup both": ({"warmup_steps": 10, "warmup_ratio": 0.1}, "warmup_ratio", "error",
                    ["warmup_steps", "keep one"]),
    "save both": ({"save_steps": 10, "saves_per_epoch": 2}, "saves_per_epoch", "error", ["save_steps", "keep one"]),
    "eval both": ({"val_set_size": 0.1, "eval_steps": 10, "evals_per_epoch": 2}, "evals_per_epoch", "error",
                  ["eval_steps", "keep one"]),
    "deepspeed and fsdp": ({"deepspeed": "z3.json", "fsdp_config": {"fsdp_version": 2}}, "fsdp_config", "error",
                           ["deepspeed", "keep one"]),
    "fp16 and bf16": ({"fp16": True, "bf16": True}, "fp16", "error", ["bf16", "fp16: false"]),
    "qlora needs 4bit": ({"adapter": "qlora", "lora_target_linear": True}, "load_in_4bit", "error",
                         ["load_in_4bit: true", "adapter: lora"]),
    "4bit needs qlora": ({"load_in_4bit": True, **LORA}, "adapter", "error", ["adapter: qlora"]),
    "4bit needs an adapter": ({"load_in_4bit": True}, "adapter", "error", ["adapter: qlora", "load_in_4bit: false"]),
    "8bit needs an adapter": ({"load_in_8bit": True}, "load_in_8bit", "error", ["adapter: lora"]),
    "8bit with qlora": ({"load_in_8bit": True, "adapter": "qlora", "lora_target_linear": True}, "load_in_8bit",
                        "error", ["load_in_4bit: true"]),
    "8bit and 4bit": ({"load_in_8bit": True, "load_in_4bit": True, "adapter": "qlora", "lora_target_linear": True},
                      "load_in_8bit", "error", ["load_in_4bit", "adapter: qlora"]),
    "eval_steps without val set": ({"eval_steps": 50}, "eval_steps", "warning", ["is ignored", "val_set_size", "0.05"]),
    "evals_per_epoch without val set": ({"evals_per_epoch": 2}, "evals_per_epoch", "warning",
                                        ["no evaluation runs", "set val_set_size"]),
    "eval_strategy without val set": ({"eval_strategy": "epoch"}, "eval_strategy", "error", ["set val_set_size"]),
    "eval_batch_size without val set": ({"eval_batch_size": 4}, "eval_batch_size", "warning", ["val_set_size"]),
    "eval_strategy no ignores steps": ({"val_set_size": 0.1, "eval_strategy": "no", "eval_steps": 5}, "eval_steps",
                                       "warning", ["eval_strategy", "remove"]),
    "save_strategy no ignores steps": ({"save_strategy": "no", "saves_per_epoch": 2}, "saves_per_epoch", "warning",
                                       ["save_strategy", "remove"]),
    "eval_strategy epoch ignores per-epoch": ({"val_set_size": 0.1, "eval_strategy": "epoch", "evals_per_epoch": 4},
                                              "evals_per_epoch", "warning", ["eval_strategy is epoch"]),
    "save best ignores save_steps": ({"val_set_size": 0.1, "save_strategy": "best", "save_steps": 100},
                                     "save_steps", "warning", ["save_strategy is best", "remove save_steps"]),
    "save best needs eval": ({"save_strategy": "best"}, "save_strategy", "error", ["val_set_size", "steps or epoch"]),
    "save best with eval off": ({"save_strategy": "best", "val_set_size": 0.1, "eval_strategy": "no"},
                                "save_strategy", "error", ["eval_strategy"]),
    "save best needs a metric": ({"val_set_size": 0.1, "save_strategy": "best"}, "save_strategy", "error",
                                 ["metric_for_best_model: eval_loss", "Axolotl"]),
    "greater_is_better without metric": ({"greater_is_better": True}, "greater_is_better", "warning",
                                         ["metric_for_best_model", "remove greater_is_better"]),
    "greater_is_better with a loss": ({"val_set_size": 0.1, "metric_for_best_model": "eval_loss",
                                       "greater_is_better": True}, "greater_is_better", "warning", ["highest loss"]),
    "metric without evaluation": ({"metric_for_best_model": "eval_loss"}, "metric_for_best_model", "warning",
                                  ["val_set_size is 0"]),
    "jinja in chat_template": ({"datasets": [CHAT], "chat_template": "{% for m in messages %}{{ m.content }}"
                                "{% endfor %}"}, "chat_template", "error",
                               ["chat_template: jinja", "into chat_template_jinja", "Axolotl"]),
    "jinja without its template": ({"datasets": [CHAT], "chat_template": "jinja"}, "chat_template", "error",
                                   ["chat_template_jinja is not set", "chatml"]),
    "own template ignored": ({"datasets": [CHAT], "chat_template": "chatml", "chat_template_jinja": "{{ x }}"},
                             "chat_template_jinja", "warning", ["chat_template: jinja", "remove"]),
    "dataset jinja without its template": ({"datasets": [{**CHAT, "chat_template": "jinja"}]},
                                           "datasets.0.chat_template", "error",
                                           ["chat_template_jinja is not set in this dataset entry"]),
    "jinja in dataset chat_template": ({"datasets": [{**CHAT, "chat_template": "{{ messages }}"}]},
                                       "datasets.0.chat_template", "error",
                                       ["chat_template_jinja in this dataset entry"]),
    "dataset template on completion": ({"datasets": [{"path": "d.jsonl", "chat_template_jinja": "{{ x }}"}]},
                                       "datasets.0.chat_template_jinja", "warning", ["ignored for type completion"]),
    "top template without chat data": ({"chat_template_jinja": "{{ x }}"}, "chat_template_jinja", "warning",
                                       ["type: chat_template"]),
    "bare layer name as regex": ({**LORA, "lora_target_modules": "q_proj"}, "lora_target_modules", "warning",
                                 ["[q_proj]", "whole name"]),
    "lora knobs without adapter": ({"lora_r": 32, "lora_target_linear": True}, "lora_r", "warning",
                                   ["lora_target_linear", "adapter: lora"]),
    "adapter without targets": ({"adapter": "lora"}, "adapter", "error",
                                ["lora_target_linear: true", "lora_target_modules"]),
    "max_steps and num_epochs": ({"max_steps": 100, "num_epochs": 3}, "max_steps", "warning",
                                 ["max_steps wins", "remove one"]),
    "neftune with many epochs": ({"neftune_noise_alpha": 5, "num_epochs": 8}, "neftune_noise_alpha", "warning",
                                 ["num_epochs", "3 or fewer"]),
    "flash and sdp": ({"flash_attention": True, "sdp_attention": True}, "sdp_attention", "error",
                      ["attn_implementation"]),
    "legacy flash conflicts": ({"flash_attention": True, "attn_implementation": "sdpa"}, "flash_attention", "error",
                               ["remove flash_attention"]),
    "legacy sdp conflicts": ({"sdp_attention": True, "attn_implementation": "eager"}, "sdp_attention", "error",
                             ["remove sdp_attention"]),
    "packing with eager": ({"sample_packing": True, "attn_implementation": "eager"}, "attn_implementation",
                           "warning", ["sdpa", "flash_attention_2", "apart"]),
    "hub_strategy without id": ({"hub_strategy": "end"}, "hub_strategy", "warning", ["hub_model_id"]),
    "wandb key without project": ({"wandb_entity": "team"}, "wandb_entity", "warning", ["wandb_project"]),
    "wandb mode without project": ({"wandb_mode": "offline"}, "wandb_mode", "warning", ["set wandb_project"]),
    "multi-node needs ip": ({"num_nodes": 2}, "num_nodes", "error", ["main_process_ip", "machine 0"]),
    "rank within nodes": ({"machine_rank": 2, "num_nodes": 2, "main_process_ip": "10.0.0.1"}, "machine_rank",
                          "error", ["0 to 1"]),
    "chat keys on completion": ({"datasets": [{"path": "d.jsonl", "roles_to_train": ["assistant"]}]},
                                "datasets.0.roles_to_train", "warning", ["ignored for type completion", "remove"]),
    "chat keys on input_output": ({"datasets": [{"path": "d.jsonl", "type": "input_output",
                                                 "chat_template": "chatml"}]},
                                  "datasets.0.chat_template", "warning", ["ignored for type input_output"]),
    "field on input_output": ({"datasets": [{"path": "d.jsonl", "type": "input_output", "field": "text"}]},
                              "datasets.0.field", "warning", ["segments", "remove"]),
    "field on chat": ({"datasets": [{**CHAT, "field": "text"}]}, "datasets.0.field", "warning",
                      ["field_messages"]),
    "chat_template without chat data": ({"chat_template": "chatml"}, "chat_template", "warning",
                                        ["type: chat_template", "Remove chat_template"]),
    "eot_tokens without chat data": ({"eot_tokens": ["<|im_end|>"]}, "eot_tokens", "warning", ["ignored"]),
    "mapping lacks content": ({"datasets": [{**CHAT, "message_property_mappings": {"role": "from"}}]},
                              "datasets.0.message_property_mappings", "error", ["content", "{role: from, content"]),
    "mapping written backwards": ({"datasets": [{**CHAT, "message_property_mappings": {"from": "role",
                                                                                       "value": "content"}}]},
                                  "datasets.0.message_property_mappings", "error", ["role, content"]),
    "legacy role only": ({"datasets": [{**CHAT, "message_field_role": "from"}]},
                         "datasets.0.message_property_mappings", "error", ["content"]),
    "legacy conflicts with mapping": ({"datasets": [{**CHAT, "message_field_role": "speaker",
                                                     "message_property_mappings": {"role": "from",
                                                                                   "content": "value"}}]},
                                      "datasets.0.message_field_role", "error",
                                      ["'speaker'", "'from'", "remove message_field_role"]),
    "roles onto unknown template role": ({"datasets": [{**CHAT, "roles": {"human": ["user"]}}]},
                                         "datasets.0.roles", "warning", ["user: [human]"]),
    "roles name under two roles": ({"datasets": [{**CHAT, "roles": {"user": ["human"], "assistant": ["human"]}}]},
                                   "datasets.0.roles", "error", ["one template role"]),
    "roles empty list": ({"datasets": [{**CHAT, "roles": {"user": [], "assistant": ["gpt"]}}]},
                         "datasets.0.roles", "warning", ["roles.user"]),
    "roles_to_train data name": ({"datasets": [{**CHAT, "roles": {"user": ["human"], "assistant": ["gpt"]},
                                                "roles_to_train": ["gpt"]}]},
                                 "datasets.0.roles_to_train", "warning", ["gpt is mapped to assistant"]),
}


@pytest.mark.parametrize("values, key, severity, words", CASES.values(), ids=CASES.keys())
def test_rule(values, key, severity, words):
    problems = check_rules(make(**values))
    hits = [p for p in problems if p.key == key and p.severity == severity]
    assert hits, f"expected a {severity} on {key}, got {[p.format() for p in problems]}"
    message = hits[0].message
    for word in words:
        assert word in message, f"{word!r} not in: {message}"
    assert key.rsplit(".", 1)[-1] in message  # names the knob it is about
    assert "\n" not in message and message.endswith(".")


def test_mapping_consistent_with_legacy_is_fine():
    ds = {**CHAT, "message_field_role": "from", "message_property_mappings": {"role": "from", "content": "value"}}
    assert check_rules(make(datasets=[ds])) == []


def test_legacy_pair_alone_is_fine():
    ds = {**CHAT, "message_field_role": "from", "message_field_content": "value",
          "roles": {"user": ["human"], "assistant": ["gpt"]}}
    assert check_rules(make(datasets=[ds])) == []


def test_default_values_written_out_are_not_complaints():
    # lora knobs written at their defaults, eval on a real val set, W&B disabled without a project.
    cfg = make(lora_r=8, lora_alpha=16, val_set_size=0.1, evals_per_epoch=1, wandb_mode="disabled")
    assert check_rules(cfg) == []


def test_dataset_problems_point_at_their_own_entry():
    cfg = make(datasets=[{"path": "a.jsonl"}, {**CHAT, "message_property_mappings": {"role": "from"}}])
    keys = [p.key for p in check_rules(cfg)]
    assert keys == ["datasets.1.message_property_mappings"]


def test_rules_carry_no_location():
    for p in check_rules(make(base_model=None, datasets=[])):
        assert p.file is None and p.line is None


@pytest.mark.parametrize("values", [
    {"datasets": [CHAT], "chat_template": "jinja", "chat_template_jinja": "{{ messages }}"},
    {"datasets": [CHAT], "chat_template_jinja": "{{ messages }}"},  # implies jinja, as in Axolotl
    {"datasets": [{**CHAT, "chat_template": "jinja", "chat_template_jinja": "{{ messages }}"}]},
    {"adapter": "lora", "lora_target_modules": r".*\.(q|v)_proj"},
    {"adapter": "lora", "lora_target_modules": "all-linear"},
    {"val_set_size": 0.1, "save_strategy": "best", "metric_for_best_model": "eval_loss"},
    {"val_set_size": 0.1, "saves_per_epoch": 2, "metric_for_best_model": "mean_token_accuracy",
     "greater_is_better": True},
], ids=["jinja", "jinja implied", "dataset jinja", "regex", "all-linear", "best with metric", "accuracy"])
def test_axolotl_spellings_that_are_fine(values):
    assert [p.format() for p in check_rules(make(**values))] == []
