"""Launching detached, truthful status, stopping, listing and finding runs — real processes, a fake trainer.

The fake trainer (tests/_runs_helpers.py) goes through the real ``accelerate launch``; only the training itself
is faked, so these tests take seconds. Real training through engine.train is in test_cli_train.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from _runs_helpers import REPO, events, pid_alive, use_fake_trainer, wait_for, write_preset

from engine.errors import TunedeckError
from engine.runs import folder
from engine.runs.control import list_runs, resolve_run, run_info, run_pids, run_status, stop_run
from engine.runs.launch import launch
from engine.runs.status import record_outcome

pytestmark = pytest.mark.slow


def _rank_pids(run_dir: Path) -> list[int]:
    return [json.loads(p.read_text())["pid"] for p in sorted(run_dir.glob("rank-*.json"))]


def _has_event(run_dir: Path, kind: str) -> bool:
    return any(e["event"] == kind for e in events(run_dir))


def test_launch_writes_the_run_folder_and_finishes(tmp_path, monkeypatch):
    use_fake_trainer(monkeypatch, step_seconds=0.05)
    preset = write_preset(tmp_path, max_steps=4)
    handle = launch(preset, ["learning_rate=0.0005"])
    assert handle.run_dir.parent == tmp_path / "out" / "runs"
    state = folder.read_state(handle.run_dir)
    assert state["pid"] == handle.pid == state["pgid"] and state["preset"] == str(preset)
    assert "learning_rate: 0.0005" in (handle.run_dir / "preset.yaml").read_text()
    assert "-m _runs_helpers" in handle.command
    assert wait_for(lambda: run_status(handle.run_dir) == "finished", 180)
    assert folder.read_state(handle.run_dir)["status"] in ("starting", "running")  # asking never writes
    assert record_outcome(handle.run_dir).status == "finished"
    assert folder.read_state(handle.run_dir)["status"] == "finished"  # recorded by the explicit call
    info = run_info(handle.run_dir)
    assert (info.step, info.total_steps) == (4, 4) and info.loss == pytest.approx(0.5)
    assert [r.run_dir for r in list_runs()][-1] == handle.run_dir
    assert resolve_run("last") == handle.run_dir
    assert resolve_run(handle.run_id) == handle.run_dir
    assert resolve_run(str(handle.run_dir)) == handle.run_dir
    assert "100%|##| 4/4" in (handle.run_dir / "train.log").read_text()


def test_two_cpu_processes_really_run(tmp_path, monkeypatch):
    use_fake_trainer(monkeypatch, step_seconds=0.05)
    preset = write_preset(tmp_path, gpus_per_node=2, max_steps=3)
    handle = launch(preset)
    assert wait_for(lambda: run_status(handle.run_dir) == "finished", 120), (handle.run_dir / "train.log").read_text()
    ranks = [json.loads(p.read_text()) for p in sorted(handle.run_dir.glob("rank-*.json"))]
    assert [r["rank"] for r in ranks] == [0, 1]
    assert {r["world_size"] for r in ranks} == {2}
    assert ranks[0]["pid"] != ranks[1]["pid"]
    assert {r["accelerate_use_cpu"] for r in ranks} == {"true"}
    assert {r["unbuffered"] for r in ranks} == {"1"} and {r["marker"] for r in ranks} == {str(handle.run_dir)}
    start = next(e for e in events(handle.run_dir) if e["event"] == "start")
    assert start["num_processes"] == 2 and start["effective_batch_size"] == 2 * 2


def test_run_survives_its_launcher_being_killed_and_attach_sees_it_finish(tmp_path, monkeypatch):
    use_fake_trainer(monkeypatch, step_seconds=0.3)
    preset = write_preset(tmp_path, max_steps=20)
    # `tunedeck train` in the foreground, in a session of its own like a terminal's shell.
    fg = subprocess.Popen([sys.executable, "-m", "engine.cli", "train", str(preset)], cwd=REPO,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    runs_root = tmp_path / "out" / "runs"
    assert wait_for(lambda: any(_has_event(d, "step") for d in runs_root.glob("*")), 180)
    run_dir = next(runs_root.glob("*"))
    os.killpg(fg.pid, signal.SIGHUP)  # the terminal goes away...
    os.killpg(fg.pid, signal.SIGKILL)  # ...and the launcher is killed outright
    fg.wait(10)
    assert run_status(run_dir) == "running"
    out = subprocess.run([sys.executable, "-m", "engine.cli", "attach", run_dir.name[:15]], cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "finished" in out.stdout and "step 20/20" in out.stdout
    assert run_status(run_dir) == "finished"


def test_detach_returns_at_once_and_prints_how_to_follow(tmp_path, monkeypatch):
    use_fake_trainer(monkeypatch, step_seconds=0.2)
    preset = write_preset(tmp_path, max_steps=10)
    t0 = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "engine.cli", "train", str(preset), "--detach", "--run-id", "bg"],
                         cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert time.monotonic() - t0 < 20
    assert "tunedeck attach bg" in out.stdout and "tunedeck stop bg" in out.stdout
    run_dir = tmp_path / "out" / "runs" / "bg"
    assert run_status(run_dir) in ("starting", "running")
    assert stop_run(run_dir, timeout=30) == "stopped"


def test_stop_saves_a_checkpoint_and_leaves_no_process(tmp_path, monkeypatch):
    use_fake_trainer(monkeypatch, step_seconds=0.2)
    preset = write_preset(tmp_path, max_steps=1000, gpus_per_node=2)
    handle = launch(preset)
    assert wait_for(lambda: _has_event(handle.run_dir, "step"), 180)
    pids = [*_rank_pids(handle.run_dir), handle.pid]
    assert len(pids) == 3 and all(pid_alive(p) for p in pids)
    assert stop_run(handle.run_dir, timeout=60) == "stopped"
    assert run_pids(folder.read_state(handle.run_dir)) == [] and not any(pid_alive(p) for p in pids)
    stopped = [e for e in events(handle.run_dir) if e["event"] == "stopped"]
    assert len(stopped) == 1 and Path(stopped[0]["checkpoint"]).is_dir()
    assert folder.read_state(handle.run_dir)["status"] == "stopped"
    assert run_status(handle.run_dir) == "stopped"


def test_stop_escalates_to_sigkill_when_the_trainer_ignores_it(tmp_path, monkeypatch):
    use_fake_trainer(monkeypatch, step_seconds=0.2, FAKE_IGNORE_STOP="1")
    handle = launch(write_preset(tmp_path, max_steps=1000))
    assert wait_for(lambda: _has_event(handle.run_dir, "step"), 180)
    pids = _rank_pids(handle.run_dir)
    t0 = time.monotonic()
    # grace == timeout: the trainer ignores the stop file for the whole timeout, then SIGTERM and at once SIGKILL.
    # A gap between them would race accelerate's own launcher, which SIGKILLs its child 5 s after a SIGTERM.
    assert stop_run(handle.run_dir, timeout=4, grace=4) == "stopped"
    assert time.monotonic() - t0 < 30
    assert not any(pid_alive(p) for p in pids) and run_pids(folder.read_state(handle.run_dir)) == []
    state = folder.read_state(handle.run_dir)
    assert state["stopped_by"] == "SIGKILL" and "no checkpoint" in state["message"]


def test_killed_run_is_failed_not_running(tmp_path, monkeypatch):
    use_fake_trainer(monkeypatch, step_seconds=0.2)
    handle = launch(write_preset(tmp_path, max_steps=1000))
    assert wait_for(lambda: _has_event(handle.run_dir, "step"), 180)
    assert run_status(handle.run_dir) == "running"
    os.killpg(handle.pid, signal.SIGKILL)
    assert wait_for(lambda: run_status(handle.run_dir) != "running", 20)
    assert run_status(handle.run_dir) == "failed"
    assert folder.read_state(handle.run_dir)["status"] in ("starting", "running")  # asking never writes
    out = subprocess.run([sys.executable, "-m", "engine.cli", "attach", str(handle.run_dir)], cwd=REPO,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and "failed" in out.stdout
    state = folder.read_state(handle.run_dir)  # attach saw it end: it recorded the verdict
    assert state["status"] == "failed" and "without a final event" in state["message"]


def test_crash_mid_run_is_failed(tmp_path, monkeypatch):
    use_fake_trainer(monkeypatch, step_seconds=0.05, FAKE_CRASH_AT="3")
    handle = launch(write_preset(tmp_path, max_steps=10))
    assert wait_for(lambda: run_status(handle.run_dir) not in ("starting", "running"), 180)
    assert run_status(handle.run_dir) == "failed"


def test_launch_from_a_killed_parent_process(tmp_path, monkeypatch):
    """launch() returns at once; the parent dying (SIGKILL, no cleanup) does not end the run."""
    use_fake_trainer(monkeypatch, step_seconds=0.2)
    preset = write_preset(tmp_path, max_steps=8)
    script = textwrap.dedent(f"""
        import sys, time
        from engine.runs.launch import launch
        h = launch({str(preset)!r})
        print(h.run_dir, flush=True)
        time.sleep(600)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True)
    run_dir = Path(parent.stdout.readline().strip())
    parent.kill()
    parent.wait(10)
    assert wait_for(lambda: run_status(run_dir) == "finished", 180), (run_dir / "train.log").read_text()


def test_runs_table_is_truthful(tmp_path, monkeypatch):
    use_fake_trainer(monkeypatch, step_seconds=0.05)
    handle = launch(write_preset(tmp_path, max_steps=3), run_id="tabled")
    assert wait_for(lambda: run_status(handle.run_dir) == "finished", 180)
    out = subprocess.run([sys.executable, "-m", "engine.cli", "runs"], cwd=REPO, capture_output=True, text=True,
                         timeout=60)
    line = next(x for x in out.stdout.splitlines() if "tabled" in x)
    assert "finished" in line and "3/3" in line and "0.6667" in line
    rows = json.loads(subprocess.run([sys.executable, "-m", "engine.cli", "runs", "--json"], cwd=REPO,
                                     capture_output=True, text=True, timeout=60).stdout)
    assert any(r["run_id"] == "tabled" and r["status"] == "finished" for r in rows)


def test_resolve_run_errors_are_clear(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNEDECK_HOME", str(tmp_path / "home"))
    with pytest.raises(TunedeckError, match="No runs yet"):
        resolve_run("last")
    with pytest.raises(TunedeckError, match="No run matches 'nope'"):
        resolve_run("nope")
    for name in ("20260101-a", "20260101-b"):
        run_dir = tmp_path / name
        run_dir.mkdir()
        folder.update_state(run_dir, run_id=name, status="finished", started_at=time.time())
        from engine.runs.index import register_run

        register_run(run_dir)
    with pytest.raises(TunedeckError, match="matches several runs"):
        resolve_run("2026")
    assert resolve_run("20260101-b") == tmp_path / "20260101-b"


def test_status_of_a_run_whose_final_event_says_error(tmp_path):
    run_dir = tmp_path / "r"
    run_dir.mkdir()
    folder.update_state(run_dir, run_id="r", status="running", pid=os.getpid(), pgid=os.getpgid(0))
    folder.append_event(run_dir, "error", message="out of memory at step 3", key="micro_batch_size")
    assert run_status(run_dir) == "failed"
    assert run_info(run_dir).message == "out of memory at step 3"
    assert folder.read_state(run_dir)["status"] == "running"  # asking never writes
    record_outcome(run_dir)
    state = folder.read_state(run_dir)
    assert (state["status"], state["message"]) == ("failed", "out of memory at step 3")


def test_orphaned_ranks_are_still_the_run(tmp_path, monkeypatch):
    """torch's launcher starts each rank in its own session; killing the launcher alone leaves them running.

    Status must still say running (they are), and stop must reach them too.
    """
    use_fake_trainer(monkeypatch, step_seconds=0.2)
    handle = launch(write_preset(tmp_path, max_steps=1000, gpus_per_node=2))
    assert wait_for(lambda: _has_event(handle.run_dir, "step") and len(_rank_pids(handle.run_dir)) == 2, 180)
    ranks = _rank_pids(handle.run_dir)
    assert all(os.getpgid(p) != handle.pid for p in ranks)  # really outside the launcher's group
    os.kill(handle.pid, signal.SIGKILL)
    assert wait_for(lambda: not pid_alive(handle.pid), 10)
    assert all(pid_alive(p) for p in ranks)
    assert run_status(handle.run_dir) == "running"
    assert stop_run(handle.run_dir, timeout=30) == "stopped"
    assert not any(pid_alive(p) for p in ranks) and run_pids(folder.read_state(handle.run_dir)) == []


def test_killing_every_process_of_a_multi_process_run_is_failed(tmp_path, monkeypatch):
    use_fake_trainer(monkeypatch, step_seconds=0.2)
    handle = launch(write_preset(tmp_path, max_steps=1000, gpus_per_node=2))
    assert wait_for(lambda: _has_event(handle.run_dir, "step") and len(_rank_pids(handle.run_dir)) == 2, 180)
    for pid in run_pids(folder.read_state(handle.run_dir)):
        os.kill(pid, signal.SIGKILL)
    assert wait_for(lambda: run_status(handle.run_dir) != "running", 20)
    assert run_status(handle.run_dir) == "failed"


def test_a_run_without_pid_yet_is_starting_then_failed(tmp_path):
    run_dir = tmp_path / "r"
    run_dir.mkdir()
    folder.update_state(run_dir, run_id="r", status="starting", pid=None, started_at=time.time(),
                        marker=str(run_dir))
    assert run_status(run_dir) == "starting"  # the launcher has not recorded the pid yet
    folder.update_state(run_dir, started_at=time.time() - 120)
    assert run_status(run_dir) == "failed"  # it never did


def test_status_of_a_long_run_reads_only_the_ends_of_its_events(tmp_path):
    from engine.runs.control import HEAD_BYTES, TAIL_BYTES, edge_events

    run_dir = tmp_path / "long"
    run_dir.mkdir()
    folder.update_state(run_dir, run_id="long", status="running", pid=None, started_at=time.time() - 3600)
    folder.append_event(run_dir, "start", total_steps=50000, num_epochs=1, steps_per_epoch=50000,
                        effective_batch_size=8, num_processes=1, command="x")
    with open(run_dir / "events.jsonl", "a") as fh:  # ~5 MB of steps
        for step in range(1, 40001):
            fh.write(json.dumps({"event": "step", "time": 0, "step": step, "total_steps": 50000,
                                 "loss": 1000.0 / step, "filler": "x" * 60}) + "\n")
    folder.append_event(run_dir, "finished", step=40000, output_dir="/o", model_dir="/o")
    assert (run_dir / "events.jsonl").stat().st_size > 20 * (HEAD_BYTES + TAIL_BYTES)
    edges = edge_events(run_dir)
    assert edges[0]["event"] == "start" and edges[-1]["event"] == "finished"
    assert len(edges) < 1000
    info = run_info(run_dir)
    assert (info.status, info.step, info.total_steps) == ("finished", 40000, 50000)
    assert info.loss == pytest.approx(1000.0 / 40000)


def test_a_run_launched_on_another_machine_is_not_declared_dead_here(tmp_path):
    run_dir = tmp_path / "remote"
    run_dir.mkdir()
    folder.update_state(run_dir, run_id="remote", status="running", pid=999999, pgid=999999,
                        started_at=time.time() - 600, host="some-other-node")
    folder.append_event(run_dir, "start", total_steps=10, num_epochs=1, steps_per_epoch=10,
                        effective_batch_size=8, num_processes=16, command="x")
    assert run_status(run_dir) == "running"
    folder.append_event(run_dir, "finished", step=10, output_dir="/o", model_dir="/o")
    assert run_status(run_dir) == "finished"
    folder.update_state(run_dir, status="running")
    (run_dir / "events.jsonl").write_text("")
    t0 = time.monotonic()
    assert stop_run(run_dir, timeout=1.5) == "running"  # no signal to a pid that means nothing here
    assert (run_dir / "stop").exists() and time.monotonic() - t0 < 5


def test_list_runs_can_scan_a_folder_the_index_does_not_know(tmp_path):
    run_dir = tmp_path / "out" / "runs" / "copied-from-elsewhere"
    run_dir.mkdir(parents=True)
    folder.update_state(run_dir, run_id=run_dir.name, status="running", pid=None, started_at=time.time() - 999)
    folder.append_event(run_dir, "finished", step=7, output_dir="/o", model_dir="/o")
    assert run_dir not in [r.run_dir for r in list_runs()]
    found = [r for r in list_runs(scan=tmp_path / "out") if r.run_dir == run_dir]
    assert len(found) == 1 and found[0].status == "finished" and found[0].step == 7
    assert run_dir in [r.run_dir for r in list_runs(scan=run_dir)]  # a run folder itself can be scanned too
