"""``tunedeck explain``: the list by section, one knob's teaching text, type words, and unknown names."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from typing import Any, Literal

import pytest
from annotated_types import Ge, Gt, Le, Lt
from rich.console import Console

from engine.cli import main
from engine.errors import TunedeckError
from engine.explain import find_knob, render_knob
from engine.knobs import Section, all_knobs, get_knob
from engine.knobs.datasets import DatasetConfig
from engine.knobs.types import describe_type


def explain(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["explain", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def flat(text: str) -> str:
    """Rich wraps long lines: join words so phrases can be searched."""
    return " ".join(text.split())


def test_list_groups_every_knob_by_section(capsys):
    code, out, _ = explain(capsys)
    assert code == 0
    positions = [out.index(s.value) for s in Section]
    assert positions == sorted(positions)  # sections in the editor's order
    for k in all_knobs():
        assert k.path in out, k.path


def test_list_section_filter(capsys):
    code, out, _ = explain(capsys, "--section", "adapter")
    assert code == 0
    assert "lora_r" in out and "Adapter & quantization" in out
    assert "micro_batch_size" not in out and "base_model" not in out


def test_list_basic_only(capsys):
    code, out, _ = explain(capsys, "--basic")
    assert code == 0
    assert "micro_batch_size" in out and "learning_rate" in out
    assert "tf32" not in out and "message_field_role" not in out


def test_unknown_section_lists_the_choices(capsys):
    code, _, err = explain(capsys, "--section", "hardware")
    assert code == 2
    assert "environment" in err and "adapter" in err


def test_one_knob_shows_its_teaching_text(capsys):
    code, out, _ = explain(capsys, "micro_batch_size")
    assert code == 0
    text = flat(out)
    info = get_knob("micro_batch_size")
    for label in ("Type", "Default", "What", "Cost", "Typical", "Interacts with"):
        assert label in out
    assert "integer ≥ 1" in text
    assert flat(info.cost)[:60] in text
    # each interacting knob is listed with its own summary
    assert "gradient_accumulation_steps — " + flat(get_knob("gradient_accumulation_steps").summary)[:30] in text


@pytest.mark.parametrize("name", ["datasets.type", "datasets[].type", "datasets.0.type"])
def test_dataset_knob_spellings(capsys, name):
    code, out, _ = explain(capsys, name)
    assert code == 0
    types = "completion, input_output, alpaca, alpaca:instruct, alpaca:chat, alpaca:chatml, alpaca:phi, chat_template"
    assert "datasets[].type" in out and types in flat(out)
    assert "no bos/eos" in flat(out).lower()  # input_output adds no special tokens


def test_bare_per_dataset_key_and_alias():
    assert find_knob("roles_to_train").path == "datasets[].roles_to_train"
    assert find_knob("model_revision").key == "revision_of_model"
    assert find_knob("chat_template").parent is None  # top level wins over the per-dataset one


def test_tunedeck_only_knob_says_so(capsys):
    _, out, _ = explain(capsys, "gpus_per_node")
    assert "tunedeck only" in out


@pytest.mark.parametrize("typo, suggestion", [
    ("micro_bach_size", "micro_batch_size"),
    ("learningrate", "learning_rate"),
    ("datasets.0.feild_messages", "field_messages"),
    ("lora_rank", "lora_r"),
])
def test_unknown_knob_suggests_close_names(capsys, typo, suggestion):
    code, out, err = explain(capsys, typo)
    assert code == 2 and out == ""
    assert f"'{typo}'" in err and "Did you mean" in err and suggestion in err
    assert "Traceback" not in err


def test_nothing_close_still_says_what_to_do():
    with pytest.raises(TunedeckError) as err:
        find_knob("zzzzzz")
    assert "Did you mean" not in str(err.value) and "tunedeck explain" in str(err.value)


@pytest.mark.parametrize("annotation, metadata, words", [
    (bool, (), "true/false"),
    (int, (Ge(1),), "integer ≥ 1"),
    (float, (Ge(0), Lt(1)), "number ≥ 0 and < 1"),
    (int | None, (Ge(1),), "integer ≥ 1, or empty"),
    (int, (Ge(1), Le(65535)), "integer ≥ 1 and ≤ 65535"),
    (float | None, (Gt(0),), "number > 0, or empty"),
    (Literal["cosine", "linear"], (), "one of: cosine, linear"),
    (Literal["a", "b"] | None, (), "one of: a, b, or empty"),
    (Literal["auto"] | bool, (), "auto or true/false"),
    (list[str], (), "list of text"),
    (list[str] | None, (), "list of text, or empty"),
    (str | list[str] | None, (), "text or list of text, or empty"),
    (dict[str, list[str]], (), "mapping of text to list of text"),
    (dict[str, Any] | None, (), "mapping of settings, or empty"),
    (list[DatasetConfig], (), "list of dataset entries"),
])
def test_describe_type(annotation, metadata, words):
    assert describe_type(annotation, metadata) == words


@pytest.mark.parametrize("info", all_knobs(), ids=lambda k: k.path)
def test_every_knob_renders(info):
    console = Console(width=60, record=True, file=io.StringIO())
    console.print(render_knob(info))
    text = flat(console.export_text())
    assert info.path in text and flat(info.what)[:40] in text


def test_real_command_in_a_subprocess_stays_light():
    # The help panel and the CLI must not drag the training stack in.
    code = ("import sys; from engine.cli import main; rc = main(['explain', 'sample_packing']); "
            "heavy = [m for m in ('torch', 'transformers', 'trl', 'peft', 'datasets') if m in sys.modules]; "
            "print('HEAVY', heavy); sys.exit(rc)")
    env = {**os.environ, "COLUMNS": "120"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "HEAVY []" in proc.stdout
    assert "flash_attention_2" in proc.stdout and "Sequence & batching" in proc.stdout
