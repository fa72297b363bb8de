"""The launch command (checked against accelerate's own parser), dry runs, and the import-light promise."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from _runs_helpers import REPO, write_preset

from engine.errors import TunedeckError
from engine.knobs.config import Config
from engine.runs.launch import build_command, format_command

RUN = Path("/tmp/out/runs/r1")


def _cfg(**knobs) -> Config:
    return Config(base_model="m", datasets=[{"path": "d.jsonl", "type": "completion"}], **knobs)


def _accelerate_args(cmd: list[str]):
    """Parse our argv with accelerate's real launch parser: every flag must exist and take its value."""
    from accelerate.commands.launch import launch_command_parser

    start = cmd.index("accelerate.commands.launch") + 1
    return launch_command_parser().parse_args(cmd[start:])


def _flag(cmd: list[str], name: str) -> str:
    return cmd[cmd.index(name) + 1]


def test_one_process_on_cpu():
    cmd = build_command(_cfg(), RUN, gpu=False)
    assert cmd[:3] == [sys.executable, "-m", "accelerate.commands.launch"]
    assert cmd[-3:] == ["-m", "engine.train", str(RUN)]
    assert "--cpu" in cmd and "--multi_gpu" not in cmd
    args = _accelerate_args(cmd)
    assert args.num_processes == 1 and args.cpu and args.mixed_precision == "no"
    assert args.module and args.training_script == "engine.train" and args.training_script_args == [str(RUN)]


def test_two_processes_on_cpu_use_the_multi_process_launcher():
    cmd = build_command(_cfg(gpus_per_node=2), RUN, gpu=False)
    # --cpu would quietly run one process; the multi-GPU launcher with ACCELERATE_USE_CPU really starts two.
    assert cmd[:2] == ["env", "ACCELERATE_USE_CPU=true"]
    assert "--cpu" not in cmd and "--multi_gpu" in cmd
    args = _accelerate_args(cmd)
    assert args.num_processes == 2 and args.multi_gpu and args.num_machines == 1
    assert args.main_process_port == 0  # a free port, so concurrent runs do not collide


def test_two_gpus_with_bf16():
    cmd = build_command(_cfg(gpus_per_node=2, bf16=True), RUN, gpu=True)
    assert cmd[0] == sys.executable and "--cpu" not in cmd
    args = _accelerate_args(cmd)
    assert args.multi_gpu and args.num_processes == 2 and args.mixed_precision == "bf16"


@pytest.mark.parametrize(("knobs", "expected"), [
    ({"bf16": True}, "bf16"), ({"bf16": False, "fp16": True}, "fp16"), ({"bf16": "auto"}, "no"),
    ({"bf16": False}, "no"),
])
def test_mixed_precision_on_gpu(knobs, expected):
    assert _flag(build_command(_cfg(**knobs), RUN, gpu=True), "--mixed_precision") == expected


def test_mixed_precision_is_off_on_cpu():
    assert _flag(build_command(_cfg(bf16=True), RUN, gpu=False), "--mixed_precision") == "no"


def test_multi_node():
    cfg = _cfg(gpus_per_node=4, num_nodes=2, machine_rank=1, main_process_ip="10.0.0.1", main_process_port=29600)
    cmd = build_command(cfg, RUN, gpu=True)
    args = _accelerate_args(cmd)
    assert args.num_processes == 8 and args.num_machines == 2 and args.machine_rank == 1
    assert args.main_process_ip == "10.0.0.1" and args.main_process_port == 29600 and args.multi_gpu


def test_multi_node_needs_the_main_address():
    with pytest.raises(TunedeckError, match="main_process_ip"):
        build_command(_cfg(num_nodes=2), RUN, gpu=True)


def test_deepspeed(tmp_path):
    ds = tmp_path / "zero2.json"
    ds.write_text('{"zero_optimization": {"stage": 2}}')
    preset = tmp_path / "p.yaml"
    cmd = build_command(_cfg(gpus_per_node=2, deepspeed="zero2.json"), RUN, gpu=True, preset_path=preset)
    args = _accelerate_args(cmd)
    assert args.use_deepspeed and args.deepspeed_config_file == str(ds)  # found beside the preset, absolute
    assert "--multi_gpu" not in cmd


def test_fsdp_keys_map_to_accelerate_flags():
    fsdp = {"fsdp_version": 2, "offload_params": True, "auto_wrap_policy": "TRANSFORMER_BASED_WRAP",
            "transformer_layer_cls_to_wrap": ["LlamaDecoderLayer"], "fsdp_state_dict_type": "FULL_STATE_DICT",
            "reshard_after_forward": True}
    cmd = build_command(_cfg(gpus_per_node=2, fsdp_config=fsdp), RUN, gpu=True)
    args = _accelerate_args(cmd)
    assert args.use_fsdp and args.fsdp_version == "2" and args.fsdp_offload_params == "true"
    assert args.fsdp_auto_wrap_policy == "TRANSFORMER_BASED_WRAP"
    assert args.fsdp_transformer_layer_cls_to_wrap == "LlamaDecoderLayer"
    assert args.fsdp_state_dict_type == "FULL_STATE_DICT"


def test_every_known_fsdp_key_is_an_accelerate_flag():
    from accelerate.commands.launch import launch_command_parser

    from engine.runs.command import FSDP_KEYS

    known = {a for action in launch_command_parser()._actions for a in action.option_strings}
    assert {f"--fsdp_{k}" for k in FSDP_KEYS} <= known


def test_unknown_fsdp_key_is_a_clear_error():
    with pytest.raises(TunedeckError, match=r"fsdp_config\.fsdp_wrap_everything"):
        build_command(_cfg(fsdp_config={"fsdp_wrap_everything": True}), RUN, gpu=True)


def test_format_command_quotes_for_a_shell():
    cmd = build_command(_cfg(), Path("/tmp/a b/run"), gpu=False)
    assert format_command(cmd).endswith("'/tmp/a b/run'")


def test_dry_run_prints_command_and_preset_and_leaves_nothing(tmp_path):
    preset = write_preset(tmp_path, gpus_per_node=2)
    before = sorted(p for p in tmp_path.rglob("*"))
    out = subprocess.run(
        [sys.executable, "-m", "engine.cli", "train", str(preset), "--dry-run", "--set", "learning_rate=0.001"],
        capture_output=True, text=True, cwd=REPO, timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "accelerate.commands.launch" in out.stdout and "--num_processes 2" in out.stdout
    assert "-m engine.train" in out.stdout
    assert "learning_rate: 0.001" in out.stdout
    assert sorted(p for p in tmp_path.rglob("*")) == before  # no run folder, no output_dir


def test_invalid_preset_exits_2_with_the_problem(tmp_path):
    preset = write_preset(tmp_path, micro_batch_size=0)
    out = subprocess.run([sys.executable, "-m", "engine.cli", "train", str(preset)],
                         capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.returncode == 2
    assert "micro_batch_size" in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "out").exists()


def test_launch_modules_stay_import_light():
    code = (
        "import sys, engine.runs.launch, engine.runs.command, engine.runs.control, engine.runs.index\n"
        "import engine.runs.processes\n"
        "import engine.runs.reporter\n"
        "import engine.commands.train, engine.commands.runs, engine.commands.attach, engine.commands.stop\n"
        "heavy = [m for m in ('torch', 'transformers', 'trl', 'peft', 'datasets', 'accelerate') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_train_prints_preset_warnings_first(tmp_path):
    preset = write_preset(tmp_path, lora_r=16)  # an adapter knob without an adapter: a warning, not an error
    out = subprocess.run([sys.executable, "-m", "engine.cli", "train", str(preset), "--dry-run"],
                         capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stderr
    first = out.stdout.splitlines()[0]
    assert first.startswith("warning:") and "lora_r" in first and f"{preset}:" in first


def test_a_launch_that_cannot_start_leaves_no_run_folder(tmp_path, monkeypatch):
    from engine.runs.launch import launch

    home = tmp_path / "home-file"
    home.write_text("not a folder")  # the run index cannot be written under it
    monkeypatch.setenv("TUNEDECK_HOME", str(home))
    preset = write_preset(tmp_path)
    with pytest.raises(TunedeckError, match="TUNEDECK_HOME"):
        launch(preset)
    runs = tmp_path / "out" / "runs"
    # the launch lock (also under TUNEDECK_HOME) may stop it first
    assert not runs.exists() or list(runs.iterdir()) == []


def test_multi_node_without_address_fails_before_anything_is_made(tmp_path):
    preset = write_preset(tmp_path, num_nodes=2)
    out = subprocess.run([sys.executable, "-m", "engine.cli", "train", str(preset)],
                         capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.returncode == 2 and "main_process_ip" in out.stderr and "Traceback" not in out.stderr
    runs = tmp_path / "out" / "runs"
    assert not runs.exists() or not any(runs.iterdir())


def test_resolved_preset_keeps_comments_and_makes_local_paths_absolute(tmp_path, monkeypatch):
    from engine.runs.launch import resolve

    (tmp_path / "data.jsonl").write_text('{"text": "hello"}\n')
    (tmp_path / "held.jsonl").write_text('{"text": "held out"}\n')
    preset = tmp_path / "p.yaml"
    preset.write_text(
        f"# my experiment\nbase_model: {REPO / 'presets' / 'tiny' / 'model'}\n"
        "datasets:\n  - path: data.jsonl  # beside the preset\n    type: completion\n"
        "test_datasets:\n  - path: held.jsonl\n    type: completion\n"
        "output_dir: ./out\nlearning_rate: 0.001\nchat_template: jinja\nchat_template_jinja: tpl.jinja\n"
    )
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    (elsewhere / "tpl.jinja").write_text("{% for m in messages %}{{ m['content'] }}{% endfor %}")
    monkeypatch.chdir(elsewhere)
    resolved = resolve(preset, ["learning_rate=0.0003", "max_steps=5"])
    assert "# my experiment" in resolved.text and "# beside the preset" in resolved.text
    assert f"path: {tmp_path / 'data.jsonl'}" in resolved.text
    assert f"path: {tmp_path / 'held.jsonl'}" in resolved.text  # test_datasets too: the trainer reads the copy
    # a template file, read from the working directory as Axolotl reads it, is found again from any folder
    assert f"chat_template_jinja: {elsewhere / 'tpl.jinja'}" in resolved.text
    assert f"output_dir: {elsewhere / 'out'}" in resolved.text  # relative to where tunedeck runs, like Axolotl
    assert resolved.config.learning_rate == 0.0003 and resolved.config.max_steps == 5
    from engine.preset import Preset

    again = Preset(resolved.text, tmp_path / "elsewhere.yaml").config  # valid on its own, from any folder
    assert again.datasets[0].path == str(tmp_path / "data.jsonl") and again.max_steps == 5
    assert again.test_datasets[0].path == str(tmp_path / "held.jsonl")


def test_run_id_must_be_a_plain_folder_name(tmp_path):
    from engine.runs.launch import launch

    with pytest.raises(TunedeckError, match=r"run id '\.\./escape'"):
        launch(write_preset(tmp_path), run_id="../escape")
    assert not (tmp_path / "out").exists()
