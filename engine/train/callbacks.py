"""Trainer callbacks: the run folder's events, graceful stop (stop file / SIGTERM), tokens/s and ETA."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from engine.runs import folder

from .preference_metrics import preference_metrics


class StopRequest:
    """Set by SIGTERM or the run folder's stop file; every rank must agree before stopping (see ``agreed``)."""

    def __init__(self, run_dir: Path, world: int = 1) -> None:
        self.world = world
        self.stop_file = run_dir / folder.STOP_FILE
        self.signalled = False
        self.training = False  # before training starts, SIGTERM ends the process at once

    def install(self) -> None:
        signal.signal(signal.SIGTERM, self._on_sigterm)

    def _on_sigterm(self, signum: int, frame: Any) -> None:
        self.signalled = True
        if not self.training:
            raise StoppedEarly()

    def check(self) -> None:
        """Between set-up stages: a stop asked for before training ends the process with nothing to save.
        Only for a single process: ranks could see the file at different stages, and one leaving alone would hang
        the others (with several processes the first training step stops them together)."""
        if self.world == 1 and self.local():
            raise StoppedEarly()

    def local(self) -> bool:
        return self.signalled or self.stop_file.exists()

    def agreed(self) -> bool:
        """True on every rank when any rank saw a stop: ranks that stop at different steps would hang DDP."""
        import torch.distributed as dist

        wanted = self.local()
        if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
            return wanted
        import torch

        device = "cuda" if dist.get_backend() == "nccl" else "cpu"
        flag = torch.tensor([1 if wanted else 0], device=device)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        return bool(flag.item())


class StoppedEarly(Exception):
    """A stop arrived before training started: nothing to checkpoint."""


class StopCallback(TrainerCallback):
    def __init__(self, request: StopRequest) -> None:
        self.request = request
        self.stopped_at: int | None = None

    def on_train_begin(self, args, state, control, **kwargs):
        self.request.training = True

    def on_step_end(self, args, state, control, **kwargs):
        if self.stopped_at is None and self.request.agreed():
            self.stopped_at = state.global_step
            control.should_save = True
            control.should_training_stop = True
        return control


class TokenCounter:
    """Real (unpadded) tokens of the training batches, counted as each training step runs (see trainer.py).

    trl's own ``num_tokens`` assumes packed batches are flattened into one row and would undercount our
    (rows × length) packed batches; counting at the collator would run a prefetched batch ahead.
    """

    def __init__(self, pad_token_id: int | None) -> None:
        self.pad_token_id = pad_token_id
        self.tokens = 0

    def add(self, inputs: dict[str, Any]) -> None:
        if "attention_mask" in inputs:
            self.tokens += int(inputs["attention_mask"].sum())
        elif "position_ids" in inputs and self.pad_token_id is not None:
            # Packed rows: padding is the pad id at position 0 (each pad is its own one-token row).
            pad = (inputs["input_ids"] == self.pad_token_id) & (inputs["position_ids"] == 0)
            self.tokens += int(inputs["input_ids"].numel() - pad.sum())
        else:
            self.tokens += int(inputs["input_ids"].numel())


def _global_sum(value: float) -> float:
    """Sum over processes (every rank logs at the same steps, so this collective is safe in on_log)."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return value
    import torch

    device = "cuda" if dist.get_backend() == "nccl" else "cpu"
    total = torch.tensor([value], dtype=torch.float64, device=device)
    dist.all_reduce(total)
    return float(total.item())


def peak_gpu_memory() -> dict[str, float]:
    """This process's peak GPU memory so far, the largest over processes (GiB), as torch's allocator counts it:
    ``allocated`` is what tensors held, ``reserved`` what the caching allocator took from the driver (what
    nvidia-smi and an out-of-memory error see). Empty without CUDA: a CPU run records nothing rather than a zero."""
    import torch

    if not (torch.cuda.is_available() and torch.cuda.is_initialized()):
        return {}
    gib = float(2**30)
    return {
        "peak_memory_allocated_gib": _global_max(torch.cuda.max_memory_allocated() / gib),
        "peak_memory_reserved_gib": _global_max(torch.cuda.max_memory_reserved() / gib),
    }


def _global_max(value: float) -> float:
    """Largest over processes: the GPU closest to running out is the one that matters."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return value
    import torch

    device = "cuda" if dist.get_backend() == "nccl" else "cpu"
    top = torch.tensor([value], dtype=torch.float64, device=device)
    dist.all_reduce(top, op=dist.ReduceOp.MAX)
    return float(top.item())


class EventsCallback(TrainerCallback):
    """Writes start/step/eval/checkpoint events with tokens/s and ETA.

    ``enabled``: this process keeps its machine's run folder; ``progress``: it is the job's main process, the
    one that reports steps, evaluations and checkpoints (another machine's folder gets only the start).
    """

    def __init__(self, run_dir: Path, plan: Any, command: str, enabled: bool, counter: TokenCounter,
                 progress: bool = True, data: dict[str, int] | None = None) -> None:
        self.counter = counter
        self.data = data or {}  # longest_row, tokens_per_epoch: for the estimate viewers show
        self.run_dir = run_dir
        self.plan = plan
        self.command = command
        self.enabled = enabled
        self.progress = progress
        self.t_begin = 0.0
        self.step_begin = 0
        self.last_time = 0.0
        self.last_tokens = 0.0

    def _emit(self, kind: str, **fields: Any) -> None:
        if self.enabled and (self.progress or kind == "start"):
            folder.append_event(self.run_dir, kind, **fields)

    def on_train_begin(self, args, state, control, **kwargs):
        self.t_begin = self.last_time = time.time()
        self.step_begin = state.global_step  # > 0 when resuming
        self._emit(
            "start", total_steps=state.max_steps, num_epochs=args.num_train_epochs,
            steps_per_epoch=self.plan.steps_per_epoch, effective_batch_size=self.plan.effective_batch_size,
            num_processes=self.plan.processes, command=self.command, resumed_from_step=state.global_step,
            train_rows=self.plan.train_rows, **self.data,
        )

    def on_log(self, args, state, control, logs=None, **kwargs):
        logs = logs or {}
        now = time.time()
        if "eval_loss" in logs:
            self._emit("eval", step=state.global_step, epoch=state.epoch, eval_loss=logs["eval_loss"],
                       **preference_metrics(logs, prefix="eval_"))
            return
        if "loss" not in logs:
            return  # the end-of-training summary (train_runtime ...) is not a step
        tokens = _global_sum(float(self.counter.tokens))
        span = now - self.last_time
        tps = (tokens - self.last_tokens) / span if span > 0 and self.last_tokens <= tokens else None
        done = state.global_step - self.step_begin
        eta = (now - self.t_begin) / done * (state.max_steps - state.global_step) if done > 0 else None
        self.last_time, self.last_tokens = now, tokens
        self._emit(
            "step", step=state.global_step, total_steps=state.max_steps, epoch=state.epoch, loss=logs["loss"],
            learning_rate=logs.get("learning_rate"), grad_norm=logs.get("grad_norm"), tokens_per_second=tps,
            eta_seconds=eta, num_tokens=tokens, **peak_gpu_memory(), **preference_metrics(logs),
        )

    def on_evaluate(self, args, state, control, **kwargs):
        self.last_time = time.time()  # the next step's tokens/s measures training, not the evaluation pass

    def on_save(self, args, state, control, **kwargs):
        self.last_time = time.time()  # nor the checkpoint write
        path = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        self._emit("checkpoint", step=state.global_step, path=str(path.resolve()))


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3e}" if value and abs(value) < 1e-3 else f"{value:.4g}"
    return str(value)


def log_line(state_step: int, max_steps: int, logs: dict[str, Any]) -> str | None:
    """One readable train.log line for a log (the same numbers go to events.jsonl; see folder.METRIC_LINE).

    "train step 12/456  loss 3.756  lr 9.948e-04  grad_norm 8.73  epoch 0.21 …",
    "eval step 57/456  eval_loss 2.8 …", or "done step 456/456  train_loss 1.897 …" at the end of training.
    """
    shown = {k: v for k, v in logs.items() if k != "total_flos"}
    if not shown:
        return None
    kind = "eval" if "eval_loss" in shown else "train" if "loss" in shown else "done"
    first = [k for k in ("loss", "eval_loss", "train_loss", "learning_rate", "grad_norm", "epoch") if k in shown]
    rest = [k for k in shown if k not in first]
    names = {"learning_rate": "lr"}
    parts = [f"{names.get(k, k)} {_number(shown[k])}" for k in first + rest]
    return f"{kind} step {state_step}/{max_steps}  " + "  ".join(parts)


class LogLinesCallback(TrainerCallback):
    """Prints each log as one plain line. It replaces transformers' tqdm bar and dict printing: train.log is read
    by people (log pane, ``attach``), and a bar redrawn between interleaved prints garbles the lines it shares."""

    def on_log(self, args, state, control, logs=None, **kwargs):
        if state.is_world_process_zero and logs:
            line = log_line(state.global_step, state.max_steps, logs)
            if line:
                print(line, flush=True)

    def on_save(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            print(f"saved checkpoint-{state.global_step} in {args.output_dir}", flush=True)
