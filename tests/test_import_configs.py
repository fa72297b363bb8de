"""`tunedeck import`: configs of H2O LLM Studio, SiloGen finetuning and turbo-alignment become presets, with a report
of each key (exact / approximated / not carried over) printed and kept on top of the preset; malformed sources
fail saying where, and nothing is written then."""

from __future__ import annotations

import json

import pytest
from _data_helpers import enc, prepare, tokenizer_for, trained_text, write_jsonl
from _import_helpers import H2O, SILOGEN_SFT, turbo_sft, write_json

from engine.cli import main
from engine.errors import TunedeckError
from engine.importers import import_config
from engine.preset import Preset


def statuses(report) -> dict[str, tuple[str, str]]:
    return {e.source: (e.status, e.target) for e in report.entries}


def test_turbo_alignment_sft_maps_its_keys_and_lists_the_rest(tmp_path):
    cfg = write_json(tmp_path / "sft.json", turbo_sft("data/chat.jsonl", keep_end=True))
    imported = import_config(cfg)
    got = statuses(imported.report)
    assert got["model_settings.model_path"] == ("exact", "base_model")
    assert got["trainer_settings.per_device_train_batch_size"] == ("exact", "micro_batch_size")
    assert got["train_dataset_settings.prompt_template"] == ("approximated", "chat_template")
    assert got["train_dataset_settings.only_answer_loss"] == ("exact", "datasets[].train_last_turn_only")
    assert got["train_dataset_settings.keep_end"] == ("exact", "datasets[].keep_dialogue_end")
    assert got["trainer_settings.no_cuda"][0] == "not carried over"
    p = imported.preset
    assert (p["micro_batch_size"], p["gradient_accumulation_steps"], p["adapter"], p["lora_r"]) == (2, 3, "lora", 4)
    assert p["datasets"][0]["roles"]["assistant"] == ["bot"]
    assert p["tokens"] == ["<RS>", "</RS>", "<bot>", "<user>"]
    assert p["new_token_init_from"] == {"<RS>": "<s>", "</RS>": "</s>", "<bot>": "<unk>", "<user>": "<unk>"}
    assert got["model_settings.embeddings_initialization_strategy"] == ("approximated", "new_token_init_from")


def test_every_source_key_is_in_the_report(tmp_path):
    """Nothing dropped in silence: each leaf key of the source is reported (sources are one entry per field)."""
    data = turbo_sft("data/chat.jsonl")
    data["trainer_settings"]["some_future_flag"] = 3
    data["brand_new_section"] = {"x": 1}
    got = statuses(import_config(write_json(tmp_path / "sft.json", data)).report)
    assert got["trainer_settings.some_future_flag"] == ("not carried over", "")
    assert got["brand_new_section.x"] == ("not carried over", "")


def test_silogen_sft_imports_and_validates(tmp_path, tiny_model_dir):
    data = write_jsonl(tmp_path / "chat.jsonl", [{"messages": [{"role": "user", "content": "hi"},
                                                               {"role": "assistant", "content": "hello"}]}] * 4)
    src = tmp_path / "sft.yaml"
    src.write_text(SILOGEN_SFT.format(data=data, out=tmp_path / "out", model=tiny_model_dir))
    imported = import_config(src)
    got = statuses(imported.report)
    assert got["data_conf.chat_template_name"] == ("exact", "chat_template")
    assert got["batchsize_conf.total_train_batch_size"] == ("exact", "target_effective_batch_size")
    assert got["batchsize_conf.max_per_device_train_batch_size"] == ("exact", "max_micro_batch_size")
    assert got["overrides.lr_multiplier"] == ("exact", "lr_multiplier")
    assert got["overrides.lr_batch_size_scaling"] == ("exact", "lr_batch_size_scaling")
    assert got["training_args.optim"][0] == "not carried over"  # rmsprop: no tunedeck optimizer of that name
    assert got["tracking"][0] == "not carried over"
    p = imported.preset
    assert (p["target_effective_batch_size"], p["max_micro_batch_size"], p["val_set_size"]) == (12, 4, 0.1)
    assert "micro_batch_size" not in p and "gradient_accumulation_steps" not in p  # derived at launch
    assert (p["lr_multiplier"], p["lr_batch_size_scaling"]) == (0.5, "sqrt")
    assert (p["chat_template"], p["sequence_len"], p["lora_target_modules"]) == ("chatml", 128, ["q_proj", "v_proj"])
    preset = Preset(imported.text, tmp_path / "out.yaml")
    assert preset.errors == []
    # SiloGen's split on 1 and on 4 processes: 12 per step either way, at most 4 per forward pass
    from engine import derive

    one, four = (derive.batch_split(preset.config.model_copy(update={"gpus_per_node": n})) for n in (1, 4))
    assert (one.micro_batch_size, one.gradient_accumulation_steps) == (4, 3)
    assert (four.micro_batch_size, four.gradient_accumulation_steps, four.effective_batch) == (3, 1, 12)
    assert derive.learning_rate(preset.config) == pytest.approx(3e-4 * 0.5 * 12 ** 0.5)


def test_silogen_dpo_is_detected_by_its_arguments(tmp_path):
    src = tmp_path / "dpo.yaml"
    src.write_text(SILOGEN_SFT.format(data="p.jsonl", out="o", model="m").replace(
        "  optim: rmsprop\n", "  beta: 0.2\n  max_prompt_length: 64\n"))
    imported = import_config(src)
    assert imported.report.tool == "SiloGen finetuning (dpo)"
    assert (imported.preset["rl"], imported.preset["rl_beta"], imported.preset["max_prompt_len"]) == ("dpo", 0.2, 64)
    assert statuses(imported.report)["data_conf.training_data.datasets.0.path"] == ("exact", "datasets[0].path")
    assert imported.preset["datasets"][0]["field_chosen"] == "chosen_messages"


def test_h2o_experiment_maps_precision_schedule_and_evaluation(tmp_path):
    src = tmp_path / "cfg.yaml"
    src.write_text(H2O.format(model="org/model"))
    imported = import_config(src)
    p = imported.preset
    assert (p["base_model"], p["micro_batch_size"], p["gradient_accumulation_steps"]) == ("org/model", 3, 2)
    assert (p["optimizer"], p["lr_scheduler"], p["warmup_ratio"], p["evals_per_epoch"]) == (
        "adamw_torch", "cosine", 0.25, 2)
    assert (p["bf16"], p["adapter"], p["lora_target_linear"], p["save_strategy"]) == (True, "lora", True, "best")
    assert (p["max_grad_norm"], p["val_set_size"], p["seed"], p["gpus_per_node"]) == (0.0, 0.02, 7, 2)
    got = statuses(imported.report)
    assert got["dataset.train_dataframe"] == ("exact", "datasets[0].path")
    assert got["dataset.text_prompt_start"] == ("exact", "datasets[0].text_prompt_start")
    assert got["dataset.prompt_column"] == ("exact", "datasets[0].prompt_column")
    assert p["datasets"] == [{"type": "prompt_answer", "path": "data/train.csv", "prompt_column": "instruction",
                              "answer_column": "output", "text_prompt_start": "<|prompt|>",
                              "text_answer_separator": "<|answer|>", "add_eos_token_to_answer": True}]
    assert got["training.drop_last_batch"][0] == "not carried over"
    # save_checkpoint best: H2O leaves the model of the best evaluation (by perplexity, exp(eval loss))
    assert (p["metric_for_best_model"], p["load_best_model_at_end"]) == ("eval_loss", True)
    assert got["training.save_checkpoint"] == ("exact", "save_strategy, metric_for_best_model, load_best_model_at_end")
    assert Preset(imported.text, tmp_path / "out.yaml").errors == []


def test_cli_writes_the_preset_with_the_report_on_top(tmp_path, capsys):
    src = write_json(tmp_path / "sft.json", turbo_sft("data/chat.jsonl"))
    out = tmp_path / "preset.yaml"
    assert main(["import", str(src), "-o", str(out)]) == 0
    text = out.read_text()
    assert text.startswith(f"# Imported from {src} (turbo-alignment (sft)):")
    assert "#   model_settings.model_path → base_model\n" in text
    assert "exact" in capsys.readouterr().out
    assert Preset(text, out).get("base_model") == "models/tiny"


def test_cli_says_when_the_preset_is_valid_but_this_machine_cannot_run_it(tmp_path, capsys, monkeypatch):
    """A config written on another machine names its files there: the preset itself is valid, and the last line
    says this machine cannot run it yet (as `validate` would), instead of a bare "valid"."""
    monkeypatch.chdir(tmp_path)
    src = write_json(tmp_path / "sft.json", turbo_sft("data/chat.jsonl"))
    assert main(["import", str(src), "-o", "away.yaml"]) == 0
    out = capsys.readouterr().out.replace("\n", " ")
    assert "'data/chat.jsonl' is written as a local path" in out
    assert "(valid as a preset, but this machine cannot run it yet: 1 error(s) above" in out
    assert "validate --anywhere away.yaml" in out
    (tmp_path / "data").mkdir()
    write_jsonl(tmp_path / "data" / "chat.jsonl", [{"messages": [{"role": "user", "content": "hi"},
                                                                {"role": "assistant", "content": "hello"}]}])
    assert main(["import", str(src), "-o", "here.yaml"]) == 0
    assert "wrote here.yaml (valid);" in capsys.readouterr().out.replace("\n", " ")


def test_cli_never_overwrites_an_existing_preset_unless_forced(tmp_path, capsys):
    src = write_json(tmp_path / "sft.json", turbo_sft("data/chat.jsonl"))
    out = tmp_path / "preset.yaml"
    out.write_text("mine: true\n")
    assert main(["import", str(src), "-o", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert out.read_text() == "mine: true\n"
    assert main(["import", str(src), "-o", str(out), "--force"]) == 0
    assert out.read_text().startswith("# Imported from")


@pytest.mark.parametrize(("name", "text", "where", "what"), [
    ("broken.json", '{\n  "train_dataset_settings": {\n    "sources": [}\n}', ":3:", "not valid JSON"),
    ("broken.yaml", "data_conf:\n  training_data: [a\nrun_conf: {}\n", ":3:", "not valid YAML"),
    ("other.yaml", "foo: 1\nbar: 2\n", ":1:", "not a config tunedeck can import"),
])
def test_malformed_sources_say_where_and_write_nothing(tmp_path, capsys, name, text, where, what):
    src = tmp_path / name
    src.write_text(text)
    out = tmp_path / "out.yaml"
    assert main(["import", str(src), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    flat, flat_src = err.replace("\n", ""), str(src)
    assert f"{flat_src}{where}" in flat and what.replace(" ", "") in flat.replace(" ", "")
    assert "Traceback" not in err
    assert not out.exists()


def test_wrong_types_and_missing_sections_are_reported_at_their_lines(tmp_path):
    data = turbo_sft("data/chat.jsonl")
    data["trainer_settings"]["learning_rate"] = "fast"
    del data["model_settings"]
    src = write_json(tmp_path / "bad.json", data)
    with pytest.raises(TunedeckError) as caught:
        import_config(src)
    message = str(caught.value)
    line = next(i for i, ln in enumerate(src.read_text().splitlines(), 1) if '"learning_rate"' in ln)
    assert f"{src}:{line}: trainer_settings.learning_rate: 'fast' cannot become learning_rate" in message
    assert "model_settings: this section is required and missing" in message
    assert "nothing was written" in message


def test_h2o_missing_training_section_is_an_error(tmp_path):
    src = tmp_path / "cfg.yaml"
    src.write_text("llm_backbone: org/model\ndataset:\n    train_dataframe: x.csv\n")
    with pytest.raises(TunedeckError, match="training: this section is required and missing"):
        import_config(src)


def test_turbo_alignment_rows_render_with_its_prefix_and_suffix(tmp_path, tiny_model_dir):
    """turbo-alignment's own data (role "bot") through the imported preset: each message is
    <RS> + tag + content + </RS> (its documented rendering), and with only_answer_loss only the last bot
    message's content is learned."""
    conv = [{"role": "user", "content": "hi"}, {"role": "bot", "content": "Hello there"},
            {"role": "user", "content": "how are you"}, {"role": "bot", "content": "I am fine"}]
    data = write_jsonl(tmp_path / "chat.jsonl", [{"id": "0", "messages": conv}])
    src = write_json(tmp_path / "sft.json", turbo_sft(str(data), model=str(tiny_model_dir)))
    out = tmp_path / "preset.yaml"
    assert main(["import", str(src), "-o", str(out)]) == 0
    preset = Preset(out.read_text(), out)
    assert preset.errors == []
    cfg = preset.config
    rows = prepare(cfg, use_cache=False).rows
    ids, labels = rows["input_ids"][0], rows["labels"][0]
    tok = tokenizer_for(cfg)
    assert (ids, labels) == turbo_tokens(tok, conv)
    assert trained_text(tok, ids, labels) == ["I am fine"]
    assert all(len(enc(tok, t)) == 1 for t in ("<RS>", "</RS>", "<bot>", "<user>"))  # added as whole tokens


def turbo_tokens(tok, conv: list[dict]) -> tuple[list[int], list[int]]:
    """turbo-alignment's rendering by hand: <RS> + tag + content + </RS> per message; with only_answer_loss only
    the last message's content is learned."""
    tags = {"system": "<system>", "user": "<user>", "bot": "<bot>"}
    ids: list[int] = []
    labels: list[int] = []
    for n, m in enumerate(conv):
        answer = n == len(conv) - 1
        for text, learned in (("<RS>" + tags[m["role"]], False), (m["content"], answer), ("</RS>", False)):
            part = enc(tok, text)
            ids += part
            labels += part if learned else [-100] * len(part)
    return ids, labels


def test_turbo_alignment_keep_end_keeps_the_end_of_a_long_dialogue(tmp_path, tiny_model_dir):
    """keep_end with max_tokens_count: whole messages go from the start (the system message stays) until the
    dialogue fits; only the last bot message is learned."""
    conv = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"},
            {"role": "bot", "content": "Hello there"}, {"role": "user", "content": "how are you"},
            {"role": "bot", "content": "I am fine"}]
    data = write_jsonl(tmp_path / "chat.jsonl", [{"id": "0", "messages": conv}])
    probe = Preset(import_config(write_json(tmp_path / "p.json", turbo_sft(str(data), model=str(tiny_model_dir)))
                                 ).text, tmp_path / "p.yaml")
    tok = tokenizer_for(probe.config)
    kept = [conv[0], *conv[3:]]
    limit = len(turbo_tokens(tok, kept)[0])
    assert limit < len(turbo_tokens(tok, conv)[0])
    src = write_json(tmp_path / "sft.json", turbo_sft(str(data), model=str(tiny_model_dir), keep_end=True,
                                                      max_tokens_count=limit))
    preset = Preset(import_config(src).text, tmp_path / "preset.yaml")
    assert preset.errors == []
    prepared = prepare(preset.config, use_cache=False)
    assert (prepared.rows["input_ids"][0], prepared.rows["labels"][0]) == turbo_tokens(tok, kept)
    assert prepared.stats["truncated"] == 1


def test_report_lines_group_by_status(tmp_path):
    imported = import_config(write_json(tmp_path / "sft.json", turbo_sft("d.jsonl", keep_end=True)))
    lines = imported.report.lines()
    heads = [ln for ln in lines if not ln.startswith(" ")]
    assert heads[1:] == ["Exact:", "Approximated (how, and why):", "Not carried over (why):"]
    assert json.loads(json.dumps(imported.preset))  # plain values only


def test_h2o_preset_trains_the_tiny_model_on_its_frame(tmp_path, tiny_model_dir):
    """An H2O cfg.yaml and an OASST-shaped CSV (id, parent_id, instruction, output): imported, the rows are H2O's
    tokens (chained turns, escapes decoded, prompts masked) and the preset trains for real."""
    import yaml
    from _train_helpers import make_run_dir, of_kind, run_train

    frame = tmp_path / "train.csv"
    frame.write_text("id,parent_id,instruction,output\n" + "".join(
        f"a{i},,Say hello {i}.,Hello {i}!\nb{i},a{i},And bye?,Bye {i}.\n" for i in range(4)))
    cfg = yaml.safe_load(H2O.format(model=tiny_model_dir))
    cfg["architecture"]["backbone_dtype"] = "float32"
    cfg["environment"]["gpus"] = ["0"]
    cfg["dataset"].update(train_dataframe=str(frame), parent_id_column="parent_id", text_prompt_start="Q:\\n",
                          validation_size=0.0, add_eos_token_to_prompt=False)
    cfg["training"].update(save_checkpoint="last", lora=False, epochs=1, batch_size=4, grad_accumulation=1)
    src = tmp_path / "cfg.yaml"
    src.write_text(yaml.safe_dump(cfg))
    out = tmp_path / "preset.yaml"
    assert main(["import", str(src), "-o", str(out)]) == 0
    preset = Preset(out.read_text(), out)
    assert preset.errors == []
    assert preset.config.datasets[0].text_prompt_start == "Q:\n"  # H2O's escape, decoded
    rows = prepare(preset.config, use_cache=False).rows
    tok = tokenizer_for(preset.config)
    first = enc(tok, "Q:\nSay hello 0.<|answer|>")
    expected = first + enc(tok, "Hello 0!</s>") + enc(tok, "Q:\nAnd bye?<|answer|>") + enc(tok, "Bye 0.</s>")
    assert len(rows) == 8 and rows["input_ids"][1] == expected
    assert trained_text(tok, rows["input_ids"][1], rows["labels"][1]) == ["Hello 0!</s>", "Bye 0.</s>"]
    plain = yaml.safe_load(out.read_text())
    plain.update(output_dir=str(tmp_path / "run-out"), dataset_prepared_path=str(tmp_path / "prepared"),
                 logging_steps=1)
    run_dir = make_run_dir(tmp_path, plain)
    assert run_train(run_dir).returncode == 0, (run_dir / "train.log").read_text()[-3000:]
    steps = of_kind(run_dir, "step")
    assert len(steps) == 2 and all(e["loss"] > 0 for e in steps)


def test_h2o_validation_frame_becomes_test_datasets_read_like_the_training_frame(tmp_path):
    src = tmp_path / "cfg.yaml"
    text = H2O.format(model="org/model").replace("validation_strategy: automatic", "validation_strategy: custom\n"
                                                 "    validation_dataframe: data/valid.csv")
    src.write_text(text)
    imported = import_config(src)
    p = imported.preset
    assert p["test_datasets"] == [{**p["datasets"][0], "path": "data/valid.csv"}]
    assert p["val_set_size"] == 0
    assert statuses(imported.report)["dataset.validation_dataframe"] == ("exact", "test_datasets[0].path")


@pytest.mark.parametrize(("name", "adapter"), [("PROMPT_TUNING", "prompt_tuning"), ("P_TUNING", "p_tuning"),
                                               ("PREFIX_TUNING", "prefix_tuning")])
def test_turbo_alignment_prompt_learning_peft_settings_import_exactly(tmp_path, name, adapter):
    data = turbo_sft("data/chat.jsonl")  # as in turbo-alignment's prompt_tuning.json, with each peft name
    data["model_settings"]["peft_settings"] = {"task_type": "CAUSAL_LM", "name": name, "num_virtual_tokens": 32}
    imported = import_config(write_json(tmp_path / "sft.json", data))
    got = statuses(imported.report)
    assert got["model_settings.peft_settings.name"] == ("exact", "adapter")
    assert got["model_settings.peft_settings.num_virtual_tokens"] == ("exact", "num_virtual_tokens")
    assert got["model_settings.peft_settings.task_type"][0] == "exact"
    assert (imported.preset["adapter"], imported.preset["num_virtual_tokens"]) == (adapter, 32)
    assert Preset(imported.text, tmp_path / "out.yaml").errors == []


@pytest.mark.parametrize(("sampling", "status", "carried"), [
    ({"sample_rate": 0.5}, ("approximated", "datasets[0].sample_rate"), {"sample_rate": 0.5}),
    ({"num_samples": 7}, ("exact", "datasets[0].num_samples"), {"num_samples": 7}),
    ({"sample_rate": 1}, ("exact", "(tunedeck's default)"), {}),
])
def test_turbo_alignment_source_sampling_is_carried_over(tmp_path, sampling, status, carried):
    data = turbo_sft("data/chat.jsonl")
    data["train_dataset_settings"]["sources"][0] = {"name": "talk", "records_path": "data/chat.jsonl", **sampling}
    imported = import_config(write_json(tmp_path / "sft.json", data))
    key = next(iter(sampling))
    assert statuses(imported.report)[f"train_dataset_settings.sources.0.{key}"] == status
    entry = imported.preset["datasets"][0]
    assert {k: entry[k] for k in ("sample_rate", "num_samples") if k in entry} == carried


def test_turbo_alignment_embedding_init_phrases_say_how_they_start(tmp_path):
    data = turbo_sft("data/chat.jsonl")
    data["model_settings"]["embeddings_initialization_strategy"] = {"<RS>": "<s>", "<super_bot>": "the best bot"}
    imported = import_config(write_json(tmp_path / "sft.json", data))
    entry = next(e for e in imported.report.entries if e.source.endswith("embeddings_initialization_strategy"))
    assert "mean of its tokens" in entry.note and "first token" in entry.note
    p = imported.preset
    assert (p["tokens"], p["new_token_init_from"]["<super_bot>"]) == (["<RS>", "<super_bot>"], "the best bot")
    assert Preset(imported.text, tmp_path / "out.yaml").errors == []


def test_turbo_alignment_special_tokens_settings_cover_every_name_and_skip_nulls(tmp_path):
    """Its SpecialTokensSettings: bos/eos/pad/unk/sep, where null (Qwen's bos_token) sets nothing."""
    data = turbo_sft("data/chat.jsonl")
    data["special_tokens_settings"] = {"bos_token": None, "eos_token": "</s>", "pad_token": "<pad>",
                                       "unk_token": "<unk>", "sep_token": "<sep>"}
    imported = import_config(write_json(tmp_path / "sft.json", data))
    got = statuses(imported.report)
    assert imported.preset["special_tokens"] == {"eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>",
                                                 "sep_token": "<sep>"}
    assert got["special_tokens_settings"] == ("approximated", "special_tokens")
    assert got["special_tokens_settings.bos_token"] == ("exact", "(tunedeck's default)")
    assert Preset(imported.text, tmp_path / "out.yaml").errors == []


@pytest.mark.parametrize(("choice", "strategy", "carried", "status"), [
    (["Train", "Validation"], "automatic", {"datasets": 0.25}, "approximated"),
    (["Train"], "automatic", {"datasets": 0.25}, "approximated"),
    (["Validation"], "automatic", {}, "not carried over"),
    (["Train", "Validation"], "custom", {"datasets": 0.25, "test_datasets": 0.25}, "approximated"),
    (["Validation"], "custom", {"test_datasets": 0.25}, "approximated"),
])
def test_h2o_data_sample_becomes_sample_rate_of_the_frames_it_names(tmp_path, choice, strategy, carried, status):
    import yaml

    cfg = yaml.safe_load(H2O.format(model="org/model"))
    cfg["dataset"].update(data_sample=0.25, data_sample_choice=choice, validation_strategy=strategy,
                          validation_dataframe="data/valid.csv")
    src = tmp_path / "cfg.yaml"
    src.write_text(yaml.safe_dump(cfg))
    imported = import_config(src)
    p = imported.preset
    got = {key: p[key][0]["sample_rate"] for key in ("datasets", "test_datasets") if "sample_rate" in
           (p.get(key) or [{}])[0]}
    assert got == carried
    assert statuses(imported.report)["dataset.data_sample"] == (
        status, ", ".join(f"{key}[0].sample_rate" for key in carried))
    assert statuses(imported.report)["dataset.data_sample_choice"][0] == ("exact" if carried else status)
    assert Preset(imported.text, tmp_path / "out.yaml").errors == []


def test_h2o_data_sample_trains_on_that_share_of_the_frame(tmp_path, tiny_model_dir):
    """40 frame rows with data_sample 0.5: 20 rows are prepared (H2O keeps max(10, int(40 × 0.5)) = 20 too)."""
    import yaml

    frame = tmp_path / "train.csv"
    frame.write_text("instruction,output\n" + "".join(f"Say {i}.,Said {i}.\n" for i in range(40)))
    cfg = yaml.safe_load(H2O.format(model=tiny_model_dir))
    cfg["dataset"].update(train_dataframe=str(frame), validation_size=0.0, data_sample=0.5,
                          data_sample_choice=["Train"])
    cfg["training"].update(save_checkpoint="last")
    src = tmp_path / "cfg.yaml"
    src.write_text(yaml.safe_dump(cfg))
    preset = Preset(import_config(src).text, tmp_path / "preset.yaml")
    prepared = prepare(preset.config, use_cache=False)
    assert len(prepared.rows) == 20 and prepared.stats["sampled_out"] == 20


def test_turbo_alignment_validation_sources_become_test_datasets(tmp_path):
    """val_dataset_settings (supervised): its sources are the evaluation set, read like the training data."""
    data = turbo_sft("data/chat.jsonl", keep_end=True)
    data["val_dataset_settings"] = {**data["train_dataset_settings"], "max_tokens_count": 64,
                                    "sources": [{"name": "v", "records_path": "data/val.jsonl", "num_samples": 5}]}
    imported = import_config(write_json(tmp_path / "sft.json", data))
    p, got = imported.preset, statuses(imported.report)
    train = {k: v for k, v in p["datasets"][0].items() if k != "path"}
    assert p["test_datasets"] == [{**train, "path": "data/val.jsonl", "num_samples": 5}]
    assert p["val_set_size"] == 0
    assert got["val_dataset_settings.sources.0.records_path"] == ("exact", "test_datasets[0].path")
    assert got["val_dataset_settings.sources.0.num_samples"] == ("exact", "test_datasets[0].num_samples")
    assert got["val_dataset_settings.keep_end"] == ("exact", "(tunedeck's default)")
    assert got["val_dataset_settings.max_tokens_count"][0] == "not carried over"  # 64, not training's 96
    assert Preset(imported.text, tmp_path / "out.yaml").errors == []
