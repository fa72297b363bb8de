"""Which process this is in a (multi-machine) run, and what it writes to the run folder.

Every machine of a multi-node run has a run folder of its own (each starts ``tunedeck train`` itself). The job's
main process (rank 0, on machine 0) writes the progress: the start, step, eval and checkpoint events, and saves
the checkpoints and the model. The first process of every other machine writes only its own machine's run folder:
its state, the start event (so its follower sees the job form) and the final event (so it knows the job ended);
nothing there competes with machine 0's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Ranks:
    rank: int  # in the whole job
    world: int
    local_rank: int  # on this machine
    machine: int
    machines: int

    @property
    def main(self) -> bool:
        """Writes the run's progress events, checkpoints and model."""
        return self.rank == 0

    @property
    def machine_main(self) -> bool:
        """Writes this machine's run folder (its state, start and final events)."""
        return self.local_rank == 0

    def describe(self) -> str:
        text = f"process {self.rank} of {self.world} (machine {self.machine} of {self.machines})"
        if self.machine > 0 and self.machine_main:
            text += ": machine 0 reports the progress and saves the checkpoints and the model"
        return text


def this_process() -> Ranks:
    """From the launcher's environment (torch's elastic launcher behind ``accelerate launch`` sets these)."""
    rank, world = int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))
    per_machine = int(os.environ.get("LOCAL_WORLD_SIZE", str(world))) or 1
    return Ranks(rank=rank, world=world, local_rank=int(os.environ.get("LOCAL_RANK", "0")),
                 machine=int(os.environ.get("GROUP_RANK", "0")), machines=max(1, world // per_machine))
