"""``TrainConfig`` and ``config.json`` take every value as given: a wrong type is an error naming
the field (and the file, when read from one), never a coerced value."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from entropy_ref.cli import main
from entropy_ref.errors import CorruptFileError
from entropy_ref.train import TrainConfig
from entropy_ref.train.runio import load_config
from entropy_ref.validation import fields
from helpers import cli_error_line

FAST = ["--hidden", "8", "--lr", "1e-3", "--batch-size", "50"]


@pytest.mark.parametrize("field, value", [
    ("download", "no"), ("download", 1), ("download", None),
    ("lr", True), ("lr", "1e-3"), ("lr", float("nan")), ("lr", [1e-3]),
    ("eps", True), ("eps", "0"),
    ("lam", True), ("lam", "1"), ("lam", [1.0, "2", 3.0]), ("lam", [True, 1.0, 1.0]),
    ("hidden", [True]), ("hidden", [300, 1.5]), ("hidden", "300,100"), ("hidden", [[300]]),
    ("epochs", True), ("epochs", 2.0), ("epochs", "2"),
    ("batch_size", False), ("seed", True), ("val_size", 1.0), ("train_subset", True),
    ("betas", [True, 0.999]), ("betas", ["0.9", 0.999]), ("betas", 0.9),
    ("data_dir", 5), ("out", 3.0), ("data_dir", ["x"]),
    ("dtype", ["float32"]), ("reg", ["none"]), ("layout", 5),
])
def test_wrong_types_are_refused_naming_the_field(field, value):
    d = TrainConfig().to_dict()
    d[field] = value
    with pytest.raises(ValueError) as exc:
        TrainConfig.from_dict(d)
    text = str(exc.value)
    assert "\n" not in text
    assert field in text or (field == "reg" and "regularizer" in text), text


@pytest.mark.parametrize("field, value", [("lr", True), ("download", "yes"), ("hidden", (True,)),
                                          ("lam", "0.5"), ("seed", True), ("out", 7)])
def test_the_constructor_refuses_them_too(field, value):
    with pytest.raises(ValueError, match=field):
        TrainConfig(**{field: value})


def test_correct_values_round_trip_unchanged():
    c = TrainConfig(reg="l1", lam=[1, 2, 0.5], epochs=np.int64(3), lr=1, hidden=[30, 20],
                    betas=[0.5, 0.9], download=np.bool_(True), train_subset=10)
    assert c.lam == (1.0, 2.0, 0.5) and c.epochs == 3 and type(c.epochs) is int
    assert c.lr == 1.0 and c.hidden == (30, 20) and c.betas == (0.5, 0.9)
    assert c.download is True
    assert TrainConfig.from_dict(json.loads(json.dumps(c.to_dict()))) == c


def test_from_dict_needs_an_object():
    with pytest.raises(ValueError, match="expected an object"):
        TrainConfig.from_dict([["lr", 1e-3]])


@pytest.mark.parametrize("field, value", [("download", "no"), ("lr", True), ("hidden", [True])])
def test_config_json_values_are_not_coerced(tmp_path, field, value):
    d = TrainConfig().to_dict()
    d[field] = value
    (tmp_path / "config.json").write_text(json.dumps(d))
    with pytest.raises(CorruptFileError) as exc:
        load_config(tmp_path)
    text = str(exc.value)
    assert "\n" not in text and str(tmp_path / "config.json") in text and field in text


def test_resume_with_a_coerced_value_in_config_json_is_one_line(synthetic_mnist_dir, tmp_path,
                                                                capsys):
    out = tmp_path / "run"
    assert main(["train", "--reg", "none", "--epochs", "1", "--data-dir",
                 str(synthetic_mnist_dir), "--out", str(out), *FAST]) == 0
    capsys.readouterr()
    d = json.loads((out / "config.json").read_text())
    d["download"] = "no"
    (out / "config.json").write_text(json.dumps(d))
    line = cli_error_line(capsys, ["train", "--out", str(out), "--resume", "--epochs", "2"])
    assert f"{out / 'config.json'}: corrupt config (download must be true or false" in line


def test_every_field_is_checked():
    """Each field refuses at least one value of a wrong type (a new field cannot slip through)."""
    wrong = {"reg": 1, "lam": "x", "epochs": "x", "batch_size": "x", "lr": "x", "betas": "x",
             "eps": "x", "seed": "x", "dtype": 1, "data_dir": 1, "out": 1, "train_subset": "x",
             "val_size": "x", "hidden": "x", "download": "x", "layout": 1}
    assert set(wrong) == {f.name for f in dataclasses.fields(TrainConfig)}
    for name, value in wrong.items():
        with pytest.raises(ValueError):
            TrainConfig(**{name: value})


@pytest.mark.parametrize("check, value", [
    (lambda v: fields.integer(v, "n"), True), (lambda v: fields.integer(v, "n"), 1.0),
    (lambda v: fields.optional_integer(v, "n"), False), (lambda v: fields.real(v, "x"), "1"),
    (lambda v: fields.real(v, "x"), float("inf")), (lambda v: fields.flag(v, "f"), 0),
    (lambda v: fields.flag(v, "f"), "false"), (lambda v: fields.path_or_none(v, "p"), b"x"),
    (lambda v: fields.name_list(v, "m", ("a", "b")), "a"),
    (lambda v: fields.name_list(v, "m", ("a", "b")), ["a", "a"]),
    (lambda v: fields.name_list(v, "m", ("a", "b")), []),
    (lambda v: fields.real_list(v, "g"), [1.0, 1.0]), (lambda v: fields.real_list(v, "g"), []),
])
def test_the_field_checks(check, value):
    with pytest.raises(ValueError):
        check(value)
