"""Fuzzing with a bounded budget: preset YAML, ``--set KEY=VALUE`` and data rows never give a traceback or a hang.

Every input either works or is refused with a TunedeckError (a message for people); a valid preset's numbers go
through the step planner too. Each test runs a fixed number of examples (no deadline: the machine may be busy),
and pytest-timeout turns a hang into a failure.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from engine.cli import main
from engine.derive import derive_all
from engine.errors import TunedeckError
from engine.knobs.registry import dataset_knobs, top_level_knobs
from engine.preset import Preset, apply_override, format_problem, load_preset

REPO = Path(__file__).resolve().parent.parent
TINY = REPO / "presets" / "tiny"
BUDGET = settings(max_examples=120, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

KNOBS = sorted(k.key for k in top_level_knobs())
DATASET_KEYS = sorted(k.key for k in dataset_knobs())
BASE: dict[str, Any] = {
    "base_model": str(TINY / "model"),
    "datasets": [{"path": str(TINY / "chat.jsonl"), "type": "chat_template"}],
    "sequence_len": 128,
    "micro_batch_size": 2,
}

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 10**6), st.integers(-(2**80), 2**80), st.just(10**400),
    st.floats(allow_nan=True, allow_infinity=True), st.floats(0, 2), st.text(max_size=12),
    st.sampled_from(["auto", "lora", "qlora", "cosine", "chat_template", "completion", "", "~", "1e309", "-.inf"]),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)
keys = st.one_of(st.sampled_from(KNOBS), st.text(max_size=14))
dataset_entries = st.dictionaries(st.one_of(st.sampled_from(DATASET_KEYS), st.text(max_size=8)), values, max_size=4)


def dump(data: Any) -> str:
    out = io.StringIO()
    yaml = YAML(typ="safe", pure=True)
    yaml.dump(data, out)
    return out.getvalue()


def check_preset(preset: Preset) -> None:
    """Every problem formats, a valid preset's numbers go through the step planner, and it renders back to YAML."""
    for problem in preset.problems:
        assert format_problem(problem)
    if preset.ok:
        derive_all(preset.config, num_rows=1000, num_tokens=50_000)
        derive_all(preset.config)
    preset.to_yaml()


def check_text(text: str) -> None:
    """Load, validate, plan and re-render ``text``: a TunedeckError is a fine answer, any other exception is not."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "preset.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            check_preset(load_preset(path))
        except TunedeckError as err:
            assert str(err).strip()
            return
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            assert main(["validate", "--anywhere", str(path)]) in (0, 2)


@pytest.mark.timeout(120)
@BUDGET
@given(st.dictionaries(keys, values, max_size=6), st.lists(dataset_entries, max_size=2))
def test_fuzz_preset_structures(extra: dict[str, Any], entries: list[dict[str, Any]]) -> None:
    data = {**BASE, **extra}
    if entries:
        data["datasets"] = entries
    check_text(dump(data))


@pytest.mark.timeout(120)
@BUDGET
@given(st.text(max_size=80), st.integers(0, 200))
def test_fuzz_preset_text(noise: str, at: int) -> None:
    """Raw characters spliced into a valid preset: YAML syntax errors, odd directives, tags, anchors."""
    text = dump(BASE)
    at = min(at, len(text))
    check_text(text[:at] + noise + text[at:])


@pytest.mark.timeout(120)
@BUDGET
@given(st.sampled_from([
    "%YAML 9.9\n---\n", "&a [*a]", "!custom 3", "!!python/object:os.system ''", "<<: *x", "? [a]\n: b",
    "{", "- [[[[[", "*undefined", "!!binary AAAA", "!!set {a}", "!!omap [a: 1]", "!!timestamp 2001-12-14",
    "\t", "\ufeff", "\x00", "...\n---\n",
]), st.sampled_from(KNOBS), st.integers(0, 3))
def test_fuzz_hostile_yaml_fragments(fragment: str, knob: str, where: int) -> None:
    lines = dump(BASE).splitlines(keepends=True)
    lines.insert(min(where, len(lines)), f"{knob}: {fragment}\n" if where % 2 else fragment + "\n")
    check_text("".join(lines))


@pytest.mark.timeout(120)
@BUDGET
@given(st.one_of(st.sampled_from(KNOBS), st.sampled_from([f"datasets.0.{k}" for k in DATASET_KEYS]),
                 st.text(max_size=16)),
       st.one_of(st.text(max_size=24), values.map(lambda v: json.dumps(v, allow_nan=True))),
       st.sampled_from(["=", "", "==", " = "]))
def test_fuzz_set_overrides(key: str, value: str, sep: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "preset.yaml"
        path.write_text(dump(BASE), encoding="utf-8")
        preset = load_preset(path)
        try:
            apply_override(preset, f"{key}{sep}{value}")
        except TunedeckError as err:
            assert str(err).strip()
            return
        check_preset(preset)


# ------------------------------------------------------------------ data rows

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False), st.text(max_size=20)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8)
def mostly(usual: st.SearchStrategy[Any], odd: st.SearchStrategy[Any], odds: int = 10) -> st.SearchStrategy[Any]:
    """``odd`` one time in ``odds``: a file with no bad row gets past the row checks into tokenizing."""
    return st.integers(1, odds).flatmap(lambda i: odd if i == 1 else usual)


words = st.lists(st.sampled_from(["Hello", "the", "fox", "<|im_end|>", "</s>", "\n", " ", "é", "😀", "{{", "%}"])
                 | st.text(max_size=6), min_size=1, max_size=8).map("".join)
texts = mostly(words, st.one_of(st.text(max_size=30), json_values))
ROWS = {
    "completion": st.fixed_dictionaries({"text": texts}),
    "input_output": st.fixed_dictionaries({"segments": mostly(st.lists(st.fixed_dictionaries(
        {"text": texts, "label": mostly(st.booleans(), json_values)}), min_size=1, max_size=3), json_values)}),
    "alpaca": st.fixed_dictionaries({"instruction": texts, "output": texts}, optional={"input": texts}),
    "jeopardy": st.fixed_dictionaries({"question": texts, "answer": texts}, optional={"category": texts}),
    "chat_template": st.fixed_dictionaries({"messages": mostly(st.lists(st.fixed_dictionaries(
        {"role": st.sampled_from(["user", "assistant", "assistant", "system", "tool", "bogus"]), "content": texts}),
        min_size=1, max_size=4), json_values)}),
}


def lines_for(kind: str) -> st.SearchStrategy[list[str]]:
    """Rows shaped for ``kind`` (odd values inside), now and then a row of another shape or a broken line."""
    line = mostly(ROWS[kind].map(json.dumps), st.one_of(json_values.map(json.dumps), st.text(max_size=30)), 20)
    return st.lists(line, min_size=1, max_size=5)


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir: Path) -> Any:
    from engine.data import prepare_tokenizer
    from engine.knobs.config import Config

    return prepare_tokenizer(Config.model_validate({**BASE, "base_model": str(tiny_model_dir)}))


@pytest.mark.timeout(240)
def test_fuzz_data_rows(tokenizer: Any, tiny_model_dir: Path) -> None:
    from engine.data import preview

    @settings(max_examples=100, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.sampled_from(sorted(ROWS)).flatmap(lambda kind: st.tuples(st.just(kind), lines_for(kind))))
    def check(case: tuple[str, list[str]]) -> None:
        kind, data_lines = case
        with tempfile.TemporaryDirectory() as folder:
            data = Path(folder) / "rows.jsonl"
            data.write_text("\n".join(data_lines) + "\n", encoding="utf-8", errors="surrogatepass")
            text = dump({**BASE, "base_model": str(tiny_model_dir), "chat_template": "tokenizer_default",
                         "datasets": [{"path": str(data), "type": kind}],
                         "dataset_prepared_path": str(Path(folder) / "prepared")})
            path = Path(folder) / "preset.yaml"
            path.write_text(text, encoding="utf-8")
            try:
                preview(load_preset(path).config, path, n=2, tokenizer=tokenizer)
            except TunedeckError as err:
                assert str(err).strip()

    check()
