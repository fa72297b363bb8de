"""Starting a multi-node preset: the command for each machine, and a SLURM batch script that runs them all.

Every machine runs ``tunedeck train PRESET`` itself with its own ``machine_rank`` (the other knobs, including
main_process_ip and main_process_port, are the same everywhere); machine 0 is the one at main_process_ip. On a
SLURM cluster the batch script derives both per node: machine_rank from ``SLURM_NODEID`` (one task per node, so
it equals ``SLURM_PROCID``) and main_process_ip from the allocation's first host name. Import-light.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from engine.runs.command import build_command

if TYPE_CHECKING:
    from engine.knobs.config import Config

# Set on each node by the batch script; a user's own --set of them would give every node the same value.
PER_MACHINE = ("machine_rank", "main_process_ip")


@dataclass(frozen=True)
class MachineCommand:
    rank: int
    train: list[str]  # what to type on that machine
    launch: list[str]  # the accelerate command it starts there (on hardware like this machine's)


def tunedeck_program() -> str:
    """This installation's ``tunedeck`` by absolute path (a cluster's nodes share the disk, not the PATH)."""
    script = Path(sys.executable).parent / "tunedeck"
    return str(script) if script.is_file() else "tunedeck"


def _train_args(preset_path: str | os.PathLike[str], overrides: Sequence[str], per_machine: Sequence[str]) -> list[str]:
    """``train PRESET --set …`` with the overrides of knobs not in ``per_machine`` (those are set per machine)."""
    shared = [o for o in overrides if o.partition("=")[0].strip() not in per_machine]
    return ["train", str(Path(preset_path).absolute()), *[arg for o in shared for arg in ("--set", o)]]


def machine_commands(cfg: Config, preset_path: str | os.PathLike[str], overrides: Sequence[str],
                     run_dir: str | os.PathLike[str]) -> list[MachineCommand]:
    """What to start on each of the ``num_nodes`` machines, machine 0 first."""
    return [
        MachineCommand(
            rank,
            [tunedeck_program(), *_train_args(preset_path, overrides, ["machine_rank"]),
             "--set", f"machine_rank={rank}"],
            build_command(cfg.model_copy(update={"machine_rank": rank}), run_dir, preset_path=preset_path),
        )
        for rank in range(cfg.num_nodes)
    ]


def sbatch_script(cfg: Config, preset_path: str | os.PathLike[str], overrides: Sequence[str]) -> str:
    """A SLURM batch script: one ``tunedeck train`` per node, each deriving its machine_rank and machine 0's
    address from SLURM's environment. Relative paths in the preset resolve from the directory it was made in."""
    preset = Path(preset_path)
    each_node = " ".join([
        '"$TUNEDECK"', shlex.join(_train_args(preset, overrides, PER_MACHINE)),
        '--set machine_rank="$SLURM_NODEID"', '--set main_process_ip="$TUNEDECK_MAIN_IP"',
    ])
    name = "".join(c if c.isalnum() or c in "-_." else "-" for c in preset.stem) or "tunedeck"
    return f"""#!/bin/bash
# Multi-node training of {preset.absolute()} on {cfg.num_nodes} SLURM nodes, written by `tunedeck train --sbatch`.
# Submit it with `sbatch FILE`. Every node runs `tunedeck train` for the preset: machine_rank comes from
# SLURM_NODEID, machine 0 is the allocation's first node, and the others meet it on main_process_port
# {cfg.main_process_port} within rendezvous_timeout ({cfg.rendezvous_timeout} s).
#SBATCH --job-name={name}
#SBATCH --nodes={cfg.num_nodes}
#SBATCH --ntasks-per-node=1
#SBATCH --gpus-per-node={cfg.gpus_per_node}
#SBATCH --output=%x-%j.out
# (On a CPU-only cluster, delete the --gpus-per-node line: gpus_per_node is then CPU processes per node.)

set -euo pipefail

# awk reads the whole list: `head -n1` would close the pipe early and, under pipefail, SIGPIPE would end the job.
TUNEDECK_MAIN_IP="$(scontrol show hostnames "$SLURM_JOB_NODELIST" | awk 'NR == 1')"
export TUNEDECK_MAIN_IP
# The same tunedeck on every node (a shared disk); set TUNEDECK to use another.
TUNEDECK_HERE={shlex.quote(tunedeck_program())}
export TUNEDECK="${{TUNEDECK:-$TUNEDECK_HERE}}"
cd {shlex.quote(os.getcwd())}

srun --nodes={cfg.num_nodes} --ntasks-per-node=1 bash -c {shlex.quote(each_node)}
"""
