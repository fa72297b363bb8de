"""TunedeckError carries where (key, file, line) as declared fields, through a process boundary and into JSON."""

from __future__ import annotations

import pickle

from engine.data.errors import DataError, row_error
from engine.errors import TunedeckError
from engine.train.failures import describe, knob_error


def test_an_error_says_where_and_keeps_its_fields_across_processes() -> None:
    err = TunedeckError("lora_r must be at least 1.", key="lora_r", file="p.yaml", line=7)
    assert str(err) == "p.yaml:7: lora_r must be at least 1."
    back = pickle.loads(pickle.dumps(err))
    assert (type(back), str(back), back.key, back.file, back.line) == (TunedeckError, str(err), "lora_r", "p.yaml", 7)
    assert err.to_json() == {"message": str(err), "file": "p.yaml", "line": 7, "key": "lora_r"}


def test_a_knob_error_names_its_knob_as_a_field() -> None:
    err = knob_error("save_strategy", "save_strategy: best needs a validation set.")
    assert err.key == "save_strategy"
    assert describe(err) == ("save_strategy: best needs a validation set.", "save_strategy")
    assert str(TunedeckError("no file here")) == "no file here" and TunedeckError("x").key is None


def test_a_data_error_is_the_same_error_with_its_row() -> None:
    err = row_error(("data.jsonl", None, 4), "no 'text' field.", key="field")
    assert isinstance(err, TunedeckError) and isinstance(err, DataError)
    assert str(err) == "data.jsonl: row 5: no 'text' field."
    back = pickle.loads(pickle.dumps(err))
    assert (type(back), str(back), back.key) == (DataError, str(err), "field")
