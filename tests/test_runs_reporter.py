"""The headless reporter: log tailing with tqdm redraws collapsed, plain output off a terminal, Ctrl-C detaching."""

from __future__ import annotations

import io
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _runs_helpers import REPO, events, use_fake_trainer, wait_for, write_preset
from rich.console import Console

from engine.runs import folder
from engine.runs.control import run_status, stop_run
from engine.runs.log_tail import LogTail, last_lines_offset
from engine.runs.reporter import Reporter


def test_logtail_collapses_carriage_return_redraws(tmp_path):
    log = tmp_path / "train.log"
    log.write_bytes(b"loading\n  0%|  | 0/3\r 33%|# | 1/3\r 67%|##| 2/3")
    tail = LogTail(log, start_at=0)
    assert tail.read_lines() == ["loading"]
    with open(log, "ab") as fh:
        fh.write(b"\r100%|###| 3/3\n\x1b[31mdone\x1b[0m\n")
    assert tail.read_lines() == ["100%|###| 3/3", "done"]
    assert tail.read_lines() == []
    log.write_bytes(b"loading\n  0%|  | 0/3\r 33%|# | 1/3\r 67%|##| 2/3")
    # an unfinished redraw, flushed at the end of a run, shows only its newest state
    assert LogTail(log, start_at=0).read_lines(flush=True) == ["loading", " 67%|##| 2/3"]


def test_logtail_handles_split_utf8_and_flush(tmp_path):
    log = tmp_path / "train.log"
    log.write_bytes(b"caf\xc3\xa9 ok\nno newline yet")
    tail = LogTail(log, start_at=0)
    assert tail.read_lines() == ["café ok"]
    assert tail.read_lines(flush=True) == ["no newline yet"]


def test_last_lines_offset(tmp_path):
    log = tmp_path / "train.log"
    log.write_text("".join(f"line {i}\n" for i in range(10)))
    tail = LogTail(log, start_at=last_lines_offset(log, 3))
    assert tail.read_lines() == ["line 7", "line 8", "line 9"]


def _finished_run(tmp_path: Path) -> Path:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    folder.update_state(run_dir, run_id="run", status="running", pid=None)
    (run_dir / "train.log").write_text("warming up\r 50%|#|\r100%|##|\n"
                                       "{'loss': '1.5', 'grad_norm': '2', 'epoch': '0.5'}\n"
                                       "{'train_runtime': '1.2', 'train_loss': '1.1', 'epoch': '1'}\nsaved\n"
                                       "train step 1/2  loss 1.5  lr 2e-04  grad_norm 2  epoch 0.5\n"
                                       "eval step 2/2  eval_loss 0.9  eval_runtime 0.1  epoch 1\n"
                                       "done step 2/2  train_loss 1.1  train_runtime 1.2  epoch 1\n")
    folder.append_event(run_dir, "start", total_steps=2, num_epochs=1, steps_per_epoch=2, effective_batch_size=8,
                        num_processes=1, command="x")
    for step in (1, 2):
        folder.append_event(run_dir, "step", step=step, total_steps=2, epoch=step / 2, loss=1.5 / step,
                            learning_rate=2e-4, grad_norm=1.0, tokens_per_second=321.0, eta_seconds=5)
    folder.append_event(run_dir, "eval", step=2, epoch=1.0, eval_loss=0.9)
    folder.append_event(run_dir, "checkpoint", step=2, path="/x/checkpoint-2")
    folder.append_event(run_dir, "finished", step=2, output_dir="/x", adapter_dir="/x/adapter")
    return run_dir


def test_reporter_plain_output_when_not_a_terminal(tmp_path):
    run_dir = _finished_run(tmp_path)
    buf = io.StringIO()
    code = Reporter(run_dir, Console(file=buf, force_terminal=False, width=200), poll=0.01).follow()
    out = buf.getvalue()
    assert code == 0
    assert "\r" not in out and "\x1b[" not in out  # no bar redraws in a pipe
    assert "100%|##|" in out and "warming up" not in out
    assert "'grad_norm'" not in out and "'train_runtime': '1.2'" in out  # per-step dicts are the events' job
    assert "train step 1/2" not in out and "eval step 2/2" not in out  # nor the trainer's own step lines
    assert "done step 2/2  train_loss 1.1" in out
    assert "step 2/2  ep 1.00  loss 0.75  lr 2.0e-04  321 tok/s  ETA 0:05" in out
    assert "eval_loss 0.9" in out and "checkpoint  step 2  /x/checkpoint-2" in out
    assert "finished at step 2: /x/adapter" in out
    assert "effective batch 8" in out


def test_an_evaluation_of_pairs_prints_their_accuracy_and_margin(tmp_path):
    run_dir = _finished_run(tmp_path)
    folder.append_event(run_dir, "eval", step=2, epoch=1.0, eval_loss=0.61, eval_rewards_accuracy=0.875,
                        eval_rewards_margin=0.4213)
    buf = io.StringIO()
    Reporter(run_dir, Console(file=buf, force_terminal=False, width=200), poll=0.01).follow()
    assert "eval  step 2  eval_loss 0.61  accuracy 0.875  margin 0.421" in buf.getvalue()


def test_reporter_draws_a_bar_on_a_terminal(tmp_path):
    run_dir = _finished_run(tmp_path)
    buf = io.StringIO()
    code = Reporter(run_dir, Console(file=buf, force_terminal=True, width=120), poll=0.01).follow()
    assert code == 0
    out = buf.getvalue()
    assert "2/2" in out and "━" in out and "loss 0.75" in out


def test_reporter_exit_code_for_an_error_event(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    folder.update_state(run_dir, run_id="run", status="running")
    folder.append_event(run_dir, "error", message="The dataset file is empty: add rows.", key="datasets.0.path")
    buf = io.StringIO()
    assert Reporter(run_dir, Console(file=buf, width=200), poll=0.01).follow() == 1
    assert "failed: The dataset file is empty: add rows." in buf.getvalue()


@pytest.mark.slow
def test_ctrl_c_in_train_detaches_and_the_run_goes_on(tmp_path, monkeypatch):
    use_fake_trainer(monkeypatch, step_seconds=0.2)
    preset = write_preset(tmp_path, max_steps=1000)
    fg = subprocess.Popen([sys.executable, "-m", "engine.cli", "train", str(preset), "--run-id", "cc"], cwd=REPO,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    run_dir = tmp_path / "out" / "runs" / "cc"
    assert wait_for(lambda: any(e["event"] == "step" for e in events(run_dir)), 180)
    fg.send_signal(signal.SIGINT)
    out, _ = fg.communicate(timeout=30)
    assert fg.returncode == 130
    assert "still running" in out and "tunedeck attach cc" in out and "tunedeck stop cc" in out
    assert run_status(run_dir) == "running"
    assert stop_run(run_dir, timeout=30) == "stopped"


@pytest.mark.slow
def test_ctrl_c_with_stop_on_interrupt_stops_the_run(tmp_path, monkeypatch):
    use_fake_trainer(monkeypatch, step_seconds=0.2)
    preset = write_preset(tmp_path, max_steps=1000)
    fg = subprocess.Popen([sys.executable, "-m", "engine.cli", "train", str(preset), "--run-id", "cs",
                           "--stop-on-interrupt"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    run_dir = tmp_path / "out" / "runs" / "cs"
    assert wait_for(lambda: any(e["event"] == "step" for e in events(run_dir)), 180)
    fg.send_signal(signal.SIGINT)
    out, _ = fg.communicate(timeout=60)
    assert "stopped" in out
    assert run_status(run_dir) == "stopped"
    assert any(e["event"] == "stopped" for e in events(run_dir))


@pytest.mark.slow
def test_stop_command(tmp_path, monkeypatch):
    use_fake_trainer(monkeypatch, step_seconds=0.2)
    preset = write_preset(tmp_path, max_steps=1000)
    subprocess.run([sys.executable, "-m", "engine.cli", "train", str(preset), "--detach", "--run-id", "st"],
                   cwd=REPO, check=True, capture_output=True, timeout=60)
    run_dir = tmp_path / "out" / "runs" / "st"
    assert wait_for(lambda: any(e["event"] == "step" for e in events(run_dir)), 180)
    out = subprocess.run([sys.executable, "-m", "engine.cli", "stop", "st"], cwd=REPO, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0 and "st: stopped" in out.stdout
    again = subprocess.run([sys.executable, "-m", "engine.cli", "stop", "st"], cwd=REPO, capture_output=True,
                           text=True, timeout=60)
    assert "already ended: stopped" in again.stdout
    missing = subprocess.run([sys.executable, "-m", "engine.cli", "stop", "zzz-none"], cwd=REPO,
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "No run matches" in missing.stderr


def test_attach_replays_history_without_a_line_per_past_step(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    folder.update_state(run_dir, run_id="run", status="running")
    (run_dir / "train.log").write_text("".join(f"old line {i}\n" for i in range(50)))
    for step in range(1, 101):
        folder.append_event(run_dir, "step", step=step, total_steps=100, loss=1.0)
        if step % 50 == 0:
            folder.append_event(run_dir, "eval", step=step, eval_loss=0.5)
    folder.append_event(run_dir, "finished", step=100, output_dir="/x", model_dir="/x")
    buf = io.StringIO()
    assert Reporter(run_dir, Console(file=buf, width=200), backlog_lines=5, poll=0.01).follow() == 0
    out = buf.getvalue()
    assert out.count("step ") - out.count("eval  step") - out.count("at step") == 1  # only the latest
    assert "step 100/100" in out and out.count("eval_loss 0.5") == 2
    assert "old line 44" not in out and "old line 45" in out and "old line 49" in out


@pytest.mark.slow
def test_ctrl_c_in_attach_detaches(tmp_path, monkeypatch):
    use_fake_trainer(monkeypatch, step_seconds=0.2)
    preset = write_preset(tmp_path, max_steps=1000)
    subprocess.run([sys.executable, "-m", "engine.cli", "train", str(preset), "--detach", "--run-id", "ca"],
                   cwd=REPO, check=True, capture_output=True, timeout=60)
    run_dir = tmp_path / "out" / "runs" / "ca"
    viewer = subprocess.Popen([sys.executable, "-m", "engine.cli", "attach", "ca"], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert wait_for(lambda: any(e["event"] == "step" for e in events(run_dir)), 180)
    time.sleep(1.0)
    viewer.send_signal(signal.SIGINT)
    out, _ = viewer.communicate(timeout=30)
    assert viewer.returncode == 130 and "still running" in out and "attached to ca" in out
    assert run_status(run_dir) == "running"
    assert stop_run(run_dir, timeout=30) == "stopped"
