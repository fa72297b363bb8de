"""Derived numbers against a brute-force simulation of the dataloader and trainer, and against the real
accelerate sharding and trl packing code."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import derive
from engine.knobs import Config


def cfg(**kw) -> Config:
    return Config(**kw)


def simulate_steps_per_epoch(rows: int, micro: int, accum: int, processes: int) -> int:
    """Walk the loop as the trainer runs it: batches of `micro` (last one short), dealt round-robin to processes
    with accelerate's even_batches padding, then an optimizer step every `accum` batches or at the epoch's end."""
    batches = [list(range(i, min(i + micro, rows))) for i in range(0, rows, micro)]
    per_process: list[list[list[int]]] = [[] for _ in range(processes)]
    i = 0
    while i < len(batches) or any(len(p) < len(per_process[0]) for p in per_process):
        per_process[i % processes].append(batches[i % len(batches)] if batches else [])
        i += 1
        if i >= len(batches) and i % processes == 0:
            break
    steps = 0
    seen = per_process[0]
    for n, _ in enumerate(seen, start=1):
        if n % accum == 0 or n == len(seen):
            steps += 1
    return max(steps, 1)


@settings(max_examples=300, deadline=None)
@given(rows=st.integers(1, 2000), micro=st.integers(1, 16), accum=st.integers(1, 16),
       gpus=st.integers(1, 8), nodes=st.integers(1, 3))
def test_steps_per_epoch_matches_simulation(rows: int, micro: int, accum: int, gpus: int, nodes: int) -> None:
    c = cfg(micro_batch_size=micro, gradient_accumulation_steps=accum, gpus_per_node=gpus, num_nodes=nodes)
    expected = simulate_steps_per_epoch(rows, micro, accum, gpus * nodes)
    assert derive.steps_per_epoch(c, num_rows=rows) == expected
    # every row is seen: steps × effective batch covers the rows
    assert expected * derive.effective_batch_size(c) >= rows


@settings(max_examples=200, deadline=None)
@given(micro=st.integers(1, 32), accum=st.integers(1, 64), gpus=st.integers(1, 8), nodes=st.integers(1, 4))
def test_effective_batch_is_the_product_and_monotonic(micro: int, accum: int, gpus: int, nodes: int) -> None:
    c = cfg(micro_batch_size=micro, gradient_accumulation_steps=accum, gpus_per_node=gpus, num_nodes=nodes)
    assert derive.num_processes(c) == gpus * nodes
    assert derive.effective_batch_size(c) == micro * accum * gpus * nodes
    bigger = cfg(micro_batch_size=micro, gradient_accumulation_steps=accum + 1, gpus_per_node=gpus, num_nodes=nodes)
    assert derive.effective_batch_size(bigger) > derive.effective_batch_size(c)
    more_gpus = cfg(micro_batch_size=micro, gradient_accumulation_steps=accum, gpus_per_node=gpus + 1, num_nodes=nodes)
    assert derive.effective_batch_size(more_gpus) > derive.effective_batch_size(c)


@settings(max_examples=300, deadline=None)
@given(target=st.integers(1, 4096), micro=st.integers(1, 64), processes=st.integers(1, 16))
def test_grad_accum_for_is_the_smallest_that_reaches_the_target(target: int, micro: int, processes: int) -> None:
    plan = derive.grad_accum_for(target, micro, processes)
    assert plan.effective_batch == micro * processes * plan.gradient_accumulation_steps
    assert plan.effective_batch >= target or plan.gradient_accumulation_steps == 1
    if plan.gradient_accumulation_steps > 1:
        assert micro * processes * (plan.gradient_accumulation_steps - 1) < target
    # round trip: a config built from the plan has that effective batch
    c = cfg(micro_batch_size=micro, gradient_accumulation_steps=plan.gradient_accumulation_steps,
            gpus_per_node=processes)
    assert derive.effective_batch_size(c) == plan.effective_batch


@settings(max_examples=200, deadline=None)
@given(rows=st.integers(1, 5000), epochs=st.floats(0.1, 10), micro=st.integers(1, 8), accum=st.integers(1, 8))
def test_total_steps_is_ceil_of_epochs_times_steps(rows: int, epochs: float, micro: int, accum: int) -> None:
    c = cfg(num_epochs=epochs, micro_batch_size=micro, gradient_accumulation_steps=accum)
    per_epoch = derive.steps_per_epoch(c, num_rows=rows)
    assert derive.total_steps(c, num_rows=rows) == math.ceil(epochs * per_epoch)


def test_max_steps_wins_and_unknown_rows_give_none() -> None:
    assert derive.total_steps(cfg(max_steps=37, num_epochs=5), num_rows=10) == 37
    assert derive.total_steps(cfg(max_steps=37)) == 37
    assert derive.total_steps(cfg()) is None
    assert derive.steps_per_epoch(cfg()) is None


@pytest.mark.parametrize("kw, total, expected", [
    ({"warmup_steps": 10}, 100, 10),
    ({"warmup_ratio": 0.1}, 100, 10),
    ({"warmup_ratio": 0.1}, 95, 10),  # ceil(9.5)
    ({"warmup_ratio": 0.03}, 7, 1),
    ({}, 100, 0),
    ({"warmup_ratio": 0.1}, None, None),
])
def test_warmup_as_transformers_computes_it(kw: dict, total: int | None, expected: int | None) -> None:
    assert derive.warmup_steps(cfg(**kw), total) == expected


def test_warmup_matches_training_arguments() -> None:
    from transformers import TrainingArguments

    for ratio, total in [(0.1, 95), (0.03, 7), (0.5, 3), (0.25, 1000)]:
        args = TrainingArguments(output_dir="/tmp/unused", warmup_steps=ratio, report_to=[])
        assert derive.warmup_steps(cfg(warmup_ratio=ratio), total) == args.get_warmup_steps(total)


def test_tokens_per_step() -> None:
    c = cfg(micro_batch_size=2, gradient_accumulation_steps=4, sequence_len=128, gpus_per_node=2)
    assert derive.tokens_per_step(c) == 2 * 4 * 2 * 128
    lengths = [100, 20, 300, 50]  # 300 is truncated to 128
    avg = derive.average_tokens_per_step(cfg(micro_batch_size=1, sequence_len=128), lengths)
    assert avg == pytest.approx((100 + 20 + 128 + 50) / 4)


def brute_force_bfd(lengths: list[int], cap: int) -> int:
    bins: list[int] = []  # used space per bin
    for n in sorted((min(x, cap) for x in lengths if x > 0), reverse=True):
        fits = [i for i, used in enumerate(bins) if used + n <= cap]
        if fits:
            best = max(fits, key=lambda i: bins[i])
            bins[best] += n
        else:
            bins.append(n)
    return len(bins)


@settings(max_examples=300, deadline=None)
@given(lengths=st.lists(st.integers(0, 300), max_size=200), cap=st.integers(8, 256))
def test_packing_is_best_fit_decreasing(lengths: list[int], cap: int) -> None:
    n = derive.packed_sequences(lengths, cap)
    assert n == brute_force_bfd(lengths, cap)
    real = sum(min(x, cap) for x in lengths)
    assert n >= math.ceil(real / cap)  # no bin holds more than sequence_len


def test_packing_changes_the_sample_count() -> None:
    lengths = [60] * 40  # 40 rows, two fit per 128-token sequence
    c = cfg(sample_packing=True, sequence_len=128, micro_batch_size=2)
    assert derive.training_samples(c, num_rows=40, num_tokens=lengths) == 20
    assert derive.steps_per_epoch(c, num_rows=40, num_tokens=lengths) == 10
    assert derive.training_samples(c, num_rows=40, num_tokens=sum(lengths)) == math.ceil(2400 / 128)
    assert derive.training_samples(cfg(), num_rows=40, num_tokens=lengths) == 40  # no packing: rows


def test_split_rows_like_train_test_split() -> None:
    assert derive.split_rows(100, 0) == (100, 0)
    assert derive.split_rows(100, 0.05) == (95, 5)
    assert derive.split_rows(101, 0.05) == (95, 6)  # ceil on the test side
    assert derive.split_rows(100, 10) == (90, 10)


@pytest.mark.parametrize("rows, micro, processes", [(10, 3, 2), (7, 2, 4), (100, 8, 3), (5, 1, 8), (64, 4, 4)])
def test_batches_match_accelerate_sharding(rows: int, micro: int, processes: int) -> None:
    from accelerate.data_loader import BatchSamplerShard
    from torch.utils.data import BatchSampler, SequentialSampler

    sampler = BatchSampler(SequentialSampler(range(rows)), batch_size=micro, drop_last=False)
    c = cfg(micro_batch_size=micro, gpus_per_node=processes)
    for rank in range(processes):
        shard = BatchSamplerShard(sampler, num_processes=processes, process_index=rank, even_batches=True)
        assert len(list(shard)) == len(shard) == derive.batches_per_epoch(c, rows)


@pytest.mark.slow
def test_packing_matches_trl() -> None:
    import pyarrow as pa
    from trl.data_utils import _pack_bfd

    rng = random.Random(0)
    for _ in range(20):
        cap = rng.randint(16, 512)
        lengths = [rng.randint(1, 700) for _ in range(rng.randint(1, 300))]
        table = pa.table({"input_ids": [[1] * n for n in lengths]})
        assert derive.packed_sequences(lengths, cap) == len(_pack_bfd(table, cap))
    lengths = [rng.randint(1, 100) for _ in range(2500)]  # trl packs per 1000-row map chunk
    assert derive.packed_sequences(lengths, 128, chunk=1000) == sum(
        len(_pack_bfd(pa.table({"input_ids": [[1] * n for n in lengths[i:i + 1000]]}), 128))
        for i in range(0, 2500, 1000)
    )


@settings(max_examples=100, deadline=None)
@given(lengths=st.lists(st.integers(1, 256), max_size=300), cap=st.integers(256, 512))
def test_packing_matches_the_data_pipeline(lengths: list[int], cap: int) -> None:
    from engine.data.packing import pack_bins

    assert derive.packed_sequences(lengths, cap) == len(pack_bins(lengths, cap))


@pytest.mark.slow
def test_steps_match_a_real_trainer() -> None:
    """The numbers the HF Trainer itself computes before training, on the bundled tiny model (one process)."""
    from pathlib import Path

    from transformers import AutoModelForCausalLM, Trainer, TrainingArguments

    model = AutoModelForCausalLM.from_pretrained(Path(__file__).resolve().parent.parent / "presets" / "tiny" / "model")

    class Rows:
        def __init__(self, n: int) -> None:
            self.n = n

        def __len__(self) -> int:
            return self.n

        def __getitem__(self, i: int) -> dict:
            return {"input_ids": [1, 2, 3], "labels": [1, 2, 3]}

    for rows, micro, accum, epochs, ratio in [(10, 3, 2, 1, 0.1), (57, 4, 3, 2.5, 0.2), (8, 8, 4, 3, 0.5)]:
        args = TrainingArguments(output_dir="/tmp/unused", per_device_train_batch_size=micro,
                                 gradient_accumulation_steps=accum, num_train_epochs=epochs, warmup_steps=ratio,
                                 report_to=[], use_cpu=True)
        trainer = Trainer(model=model, args=args, train_dataset=Rows(rows))
        _, per_epoch, *_, max_steps = trainer.set_initial_training_values(args, trainer.get_train_dataloader())
        c = cfg(micro_batch_size=micro, gradient_accumulation_steps=accum, num_epochs=epochs, warmup_ratio=ratio)
        assert derive.steps_per_epoch(c, num_rows=rows) == per_epoch
        assert derive.total_steps(c, num_rows=rows) == max_steps
        assert derive.warmup_steps(c, max_steps) == args.get_warmup_steps(max_steps)
