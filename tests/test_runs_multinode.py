"""Multi-node runs: two `tunedeck train` processes on this machine (machine_rank 0 and 1, 127.0.0.1, a free port,
one CPU process each) form one real accelerate job; a machine that cannot meet the other fails with a message in
bounded time; the dry run prints every machine's command and a SLURM batch script that really runs.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from _runs_helpers import wait_for
from _train_helpers import REPO, base_preset
from conftest import BUNDLED_MODEL

from engine.runs import folder
from engine.runs.control import run_status
from engine.runs.processes import run_pids, signal_run

RUN_TIMEOUT = 420  # seconds for a whole two-machine run on a busy 2-core machine
JOIN_TIMEOUT = 10  # rendezvous_timeout of the runs that are meant to fail


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write_preset(tmp_path: Path, model: Path, **knobs: object) -> Path:
    multi_node = dict(num_nodes=2, main_process_ip="127.0.0.1", micro_batch_size=2, gradient_checkpointing=False,
                      bf16=False, val_set_size=0, save_strategy="steps", save_steps=2)
    preset = base_preset(model, tmp_path, **{**multi_node, **knobs})
    path = tmp_path / "multi.yaml"
    path.write_text(yaml.safe_dump(preset, sort_keys=False))
    return path


class Machines:
    """`tunedeck train` processes, one per simulated machine, each with its own output_dir (no shared disk)."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.procs: list[subprocess.Popen[str]] = []

    def output_dir(self, rank: int) -> Path:
        return self.tmp_path / f"machine{rank}"

    def start(self, preset: Path, rank: int, port: int, *extra: str) -> subprocess.Popen[str]:
        out = self.output_dir(rank)
        cmd = [sys.executable, "-m", "engine.cli", "train", str(preset), "--set", f"machine_rank={rank}",
               "--set", f"main_process_port={port}", "--set", f"output_dir={out}",
               "--set", f"dataset_prepared_path={out / 'prepared'}", *extra]
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                env={**os.environ, "TUNEDECK_FORCE_CPU": "1"}, start_new_session=True)
        self.procs.append(proc)
        return proc

    def run_dir(self, rank: int) -> Path:
        (run_dir,) = (self.output_dir(rank) / "runs").iterdir()
        return run_dir

    def cleanup(self) -> None:
        """Kill whatever is left: the followers, and every process of their runs (each in a session of its own)."""
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
        for runs in self.tmp_path.glob("machine*/runs"):
            for run_dir in runs.iterdir():
                state = folder.read_state(run_dir)
                if state and run_pids(state):
                    signal_run(state, signal.SIGKILL)


@pytest.fixture
def machines(tmp_path: Path) -> Iterator[Machines]:
    started = Machines(tmp_path)
    try:
        yield started
    finally:
        started.cleanup()


def _finish(proc: subprocess.Popen[str], timeout: float) -> tuple[int, str]:
    output, _ = proc.communicate(timeout=timeout)
    return proc.returncode, output


def _events(run_dir: Path) -> list[dict]:
    return folder.read_events(run_dir)


@pytest.mark.slow
def test_two_machines_form_one_job(tmp_path: Path, tiny_model_dir: Path, machines: Machines) -> None:
    preset = _write_preset(tmp_path, tiny_model_dir, rendezvous_timeout=120)
    port = _free_port()
    main = machines.start(preset, 0, port)
    other = machines.start(preset, 1, port)
    rc0, out0 = _finish(main, RUN_TIMEOUT)
    rc1, out1 = _finish(other, RUN_TIMEOUT)
    run0, run1 = machines.run_dir(0), machines.run_dir(1)
    log0 = (run0 / folder.LOG_FILE).read_text()
    log1 = (run1 / folder.LOG_FILE).read_text()
    assert rc0 == 0, out0[-3000:] + log0[-3000:]
    assert rc1 == 0, out1[-3000:] + log1[-3000:]

    # Both machines took part in one job of world size 2, each with its own rank.
    assert "process 0 of 2 (machine 0 of 2)" in log0, log0[-3000:]
    assert "process 1 of 2 (machine 1 of 2)" in log1, log1[-3000:]

    # Machine 0's run folder tells the run: the effective batch doubled, so the step count halved.
    events0 = _events(run0)
    start = events0[0]
    assert start["event"] == "start" and start["num_processes"] == 2
    assert start["effective_batch_size"] == 2 * 2  # micro_batch_size × 2 machines
    from engine.preset import load_config
    from engine.train.args import plan

    rows = start["train_rows"]
    one_node = plan(load_config(preset), rows, 1)
    assert one_node.total_steps == 2 * start["total_steps"] and rows % 4 == 0
    steps = [e["step"] for e in events0 if e["event"] == "step"]
    assert steps[-1] == start["total_steps"]
    checkpoints = [e for e in events0 if e["event"] == "checkpoint"]
    assert checkpoints and all(Path(e["path"]).parent == machines.output_dir(0) for e in checkpoints)
    assert all((Path(e["path"]) / "trainer_state.json").is_file() for e in checkpoints)
    assert events0[-1]["event"] == "finished" and (machines.output_dir(0) / "model.safetensors").is_file()

    # Machine 1's run folder: its own log and state, the start and the end; no progress, checkpoints or model.
    events1 = _events(run1)
    assert [e["event"] for e in events1] == ["start", "finished"]
    assert events1[0]["num_processes"] == 2 and events1[-1]["step"] == start["total_steps"]
    assert run_status(run0) == run_status(run1) == "finished"
    assert events1[-1]["machine_rank"] == 1
    written = [p.name for p in machines.output_dir(1).rglob("*") if p.is_file() and "runs" not in p.parts
               and "prepared" not in p.parts]
    assert not [n for n in written if n.endswith((".safetensors", ".json"))], written
    assert "finished" in out1


@pytest.mark.slow
def test_stop_on_another_machine_stops_the_whole_job(tmp_path: Path, tiny_model_dir: Path,
                                                     machines: Machines) -> None:
    from engine.runs.control import stop_run

    preset = _write_preset(tmp_path, tiny_model_dir, rendezvous_timeout=120, num_epochs=1000, save_strategy="no")
    port = _free_port()
    main = machines.start(preset, 0, port)
    other = machines.start(preset, 1, port)
    assert wait_for(lambda: (machines.output_dir(0) / "runs").is_dir()
                    and any(e["event"] == "step" for e in _events(machines.run_dir(0))), RUN_TIMEOUT)
    assert stop_run(machines.run_dir(1), timeout=240) == "stopped"
    _, out0 = _finish(main, 240)
    _finish(other, 60)
    stopped = _events(machines.run_dir(0))[-1]
    assert stopped["event"] == "stopped" and Path(stopped["checkpoint"]).is_dir(), out0[-3000:]
    assert (Path(stopped["checkpoint"]) / "trainer_state.json").is_file()
    assert _events(machines.run_dir(1))[-1]["step"] == stopped["step"]  # the same step on both machines
    assert "stopped_by" not in folder.read_state(machines.run_dir(1))  # graceful: no signal was needed


@pytest.mark.slow
@pytest.mark.parametrize("rank", [0, 1])
def test_a_machine_alone_fails_with_a_message_in_bounded_time(tmp_path: Path, tiny_model_dir: Path,
                                                             machines: Machines, rank: int) -> None:
    preset = _write_preset(tmp_path, tiny_model_dir, rendezvous_timeout=JOIN_TIMEOUT)
    port = _free_port()  # nobody listens there (rank 1), nobody comes (rank 0)
    t0 = time.monotonic()
    proc = machines.start(preset, rank, port)
    rc, out = _finish(proc, 180)
    assert time.monotonic() - t0 < 180
    assert rc == 1, out
    message = folder.read_state(machines.run_dir(rank)).get("message", "")
    assert run_status(machines.run_dir(rank)) == "failed"
    if rank == 1:
        assert f"could not reach machine 0 at 127.0.0.1:{port}" in message, message
    else:
        assert "1 of 2 machines" in message and f"port {port}" in message, message
    assert f"rendezvous_timeout, {JOIN_TIMEOUT} s" in message
    assert "--set rendezvous_timeout=" in message
    assert " ".join(message.split()) in " ".join(out.split())  # the follower says it last, in words
    assert "Traceback" not in out and "frame #" not in out  # torch's traceback stays in train.log


@pytest.mark.parametrize("error, left_out", [
    ("torch.distributed.DistNetworkError: The client socket has timed out after 10000ms while trying to connect "
     "to (10.0.0.1, 29500).", True),
    ("ValueError: something else broke", False),
])
def test_the_follower_leaves_out_only_a_rendezvous_traceback(tmp_path: Path, error: str, left_out: bool) -> None:
    import io

    from rich.console import Console

    from engine.runs.reporter import Reporter

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / folder.COMMAND_FILE).write_text("accelerate launch --main_process_port 29500 --rdzv_conf timeout=10\n")
    (run_dir / folder.LOG_FILE).write_text("\n".join([
        "[W1204 16:22:28.613 TCPStore.cpp:340] [c10d] TCP client failed to connect - retrying",
        "Exception raised from throwTimeoutError at socket.cpp:1030 (most recent call first):",
        "frame #0: c10::Error::Error(c10::SourceLocation) + 0x9d (0x7fbd in libc10.so)",
        "Traceback (most recent call last):", '  File "run.py", line 1019, in run', "    elastic_launch(",
        "    ^^^^^^^^^^^^^^", error, "",
    ]))
    folder.update_state(run_dir, run_id="run", status="starting", pid=None, started_at=0)
    out = io.StringIO()
    code = Reporter(run_dir, Console(file=out, width=200), poll=0.01).follow()
    text = out.getvalue()
    assert code == 1 and "TCP client failed to connect - retrying" in text
    assert "frame #0" not in text and "Exception raised from" not in text
    assert ("Traceback" in text) is not left_out and ("elastic_launch(" in text) is not left_out
    assert ("could not reach machine 0 at 10.0.0.1:29500 within the rendezvous_timeout, 10 s" in text) is left_out



def test_the_wait_for_the_other_machines_is_bounded_by_rendezvous_timeout() -> None:
    from accelerate.commands.launch import launch_command_parser

    from engine.knobs.config import Config
    from engine.runs.command import build_command

    cfg = Config(base_model="m", datasets=[{"path": "d.jsonl", "type": "completion"}], num_nodes=2,
                 main_process_ip="10.0.0.1", rendezvous_timeout=45)
    cmd = build_command(cfg, Path("/tmp/out/runs/r1"), gpu=True)
    args = launch_command_parser().parse_args(cmd[cmd.index("accelerate.commands.launch") + 1:])
    assert args.rdzv_conf == "timeout=45" and args.num_machines == 2 and args.rdzv_backend == "static"


# --- each machine's command in the dry run, and the SLURM script (no training) -------------------------------

def _cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})


def test_dry_run_prints_each_machines_command_and_a_slurm_script(tmp_path: Path) -> None:
    preset = _write_preset(tmp_path, BUNDLED_MODEL, main_process_port=29611)
    out = _cli("train", str(preset), "--dry-run", "--set", "learning_rate=1e-4")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    for rank in (0, 1):
        (typed,) = [line for line in lines if line.startswith(f"machine {rank}: ")]
        assert typed.endswith(f"train {preset} --set learning_rate=1e-4 --set machine_rank={rank}")
        started = lines[lines.index(typed) + 1]
        assert "accelerate.commands.launch" in started and f"--machine_rank {rank} " in started
        assert "--main_process_ip 127.0.0.1 --main_process_port 29611" in started
    assert "#SBATCH --nodes=2" in out.stdout and "scontrol show hostnames" in out.stdout
    assert not (tmp_path / "out").exists()  # nothing made


def test_sbatch_script_runs_one_tunedeck_per_node_with_rank_and_address_from_slurm(tmp_path: Path) -> None:
    folder_with_quote = tmp_path / "it's a run"
    folder_with_quote.mkdir()
    preset = _write_preset(folder_with_quote, BUNDLED_MODEL, main_process_ip="10.9.9.9")
    out = _cli("train", str(preset), "--sbatch", "--set", "learning_rate=1e-4", "--set", "machine_rank=1")
    assert out.returncode == 0, out.stderr
    script = tmp_path / "job.sh"
    script.write_text(out.stdout)
    assert out.stdout.startswith("#!/bin/bash\n")
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0
    assert "#SBATCH --nodes=2" in out.stdout and "#SBATCH --ntasks-per-node=1" in out.stdout
    assert 'scontrol show hostnames "$SLURM_JOB_NODELIST"' in out.stdout

    # Run it as SLURM would, with stand-ins for scontrol and srun (one task per node, SLURM_NODEID set), and a
    # TUNEDECK that dry-runs the real tunedeck: each node must launch as its own machine, meeting at node-a.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # A big allocation's host list (more than a pipe holds): under pipefail, a reader that stops at the first
    # line (`| head -n1`) would kill scontrol with SIGPIPE and the whole script with it.
    (bin_dir / "scontrol").write_text(
        '#!/bin/bash\n[ "$1 $2" = "show hostnames" ] && printf "node-a\\nnode-b\\n" && seq -f "node-%g" 200000\n')
    (bin_dir / "srun").write_text(
        '#!/bin/bash\nwhile [[ "$1" == --* ]]; do shift; done\n'
        'for i in 0 1; do SLURM_NODEID=$i SLURM_PROCID=$i "$@" > "$NODE_OUTPUT/node-$i.txt" 2>&1 || exit $?; done\n')
    (bin_dir / "tunedeck").write_text(
        f'#!/bin/bash\necho "ARGS $*"\nexec {sys.executable} -m engine.cli "$@" --dry-run\n')
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "SLURM_JOB_NODELIST": "node-[a-b]",
           "TUNEDECK": str(bin_dir / "tunedeck"), "NODE_OUTPUT": str(tmp_path), "PYTHONPATH": str(REPO)}
    ran = subprocess.run(["bash", str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    assert ran.returncode == 0, ran.stderr + "".join(p.read_text() for p in tmp_path.glob("node-*.txt"))
    for rank in (0, 1):
        lines = (tmp_path / f"node-{rank}.txt").read_text().splitlines()
        assert lines[0] == (f"ARGS train {preset} --set learning_rate=1e-4 --set machine_rank={rank} "
                            "--set main_process_ip=node-a")  # the user's own machine_rank=1 is not passed on
        command = lines[lines.index("command") + 1]  # the command this node launches
        assert f"--machine_rank {rank} --main_process_ip node-a " in command, command

