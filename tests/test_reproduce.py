"""The reproduction pipeline end to end on synthetic MNIST (the ``tiny`` preset), and its parts.

The whole file takes a few seconds: the tiny preset trains 24-12 hidden units for 3 epochs on
600 synthetic images, and its curves have 21 points.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from helpers import PNG_SIGNATURE, science, tiny_reproduce

from entropy_ref import prune
from entropy_ref.cli import main
from entropy_ref.data import load_mnist
from entropy_ref.reproduce import PRESETS, ReproSettings, RunStore, run_name, select_lambda
from entropy_ref.reproduce.summary import summarize_method
from entropy_ref.train import TrainConfig

LABELS = ["none", "sparsity", "sparsity-sum", "entropy", "entropy-sum", "l1", "hoyer"]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """One tiny reproduction (with the lambda sweep), shared by the tests that only read it."""
    from entropy_ref.data import write_synthetic_mnist

    root = tmp_path_factory.mktemp("repro")
    data_dir = write_synthetic_mnist(root / "mnist", n_train=600, n_test=200, seed=0)
    out = root / "out"
    assert tiny_reproduce(out, data_dir, "--lambda-sweep") == 0
    return out, data_dir, json.loads((out / "results.json").read_text())


def test_reproduce_writes_results_tables_and_figures(tiny_run, capsys):
    out, _, res = tiny_run
    assert [m["label"] for m in res["methods"]] == LABELS
    for m in res["methods"]:
        assert len(m["runs"]) == 1 and set(m["summary"]["targets"]) == {"0.9", "0.95", "0.96",
                                                                        "0.97", "0.98"}
        run = out / "runs" / m["runs"][0]["run"]
        curve = prune.read_curve_csv(run / "curve.csv")
        assert curve["percentile"].size == 21 and np.all(np.diff(curve["nonzero"]) <= 0)
        assert m["runs"][0]["unpruned_accuracy"] == curve["test_accuracy"][0]
    dense = res["methods"][0]
    assert dense["summary"]["final_accuracy"]["mean"] > 0.5        # the tiny setting does learn
    md = (out / "results.md").read_text()
    assert "| none |" in md and "19,166" in md and "Sign and λ sweep" in md
    for name in ("figure2", "figure2_entropy", "figure3", "figure4", "sweep"):
        assert (out / "figures" / f"{name}.png").read_bytes()[:8] == PNG_SIGNATURE
        assert (out / "figures" / f"{name}.pdf").read_bytes()[:4] == b"%PDF"


def test_lambda_sum_reading_and_selection_are_recorded(tiny_run):
    _, _, res = tiny_run
    lam = {m["label"]: m["lam"] for m in res["methods"]}
    batch = PRESETS["tiny"]["batch_size"]
    assert lam["sparsity"] == 1.0 and lam["sparsity-sum"] == 1.0 / batch
    assert lam["l1"] == res["selection"]["l1"]["chosen"]
    assert lam["l1"] in PRESETS["tiny"]["select_grid"][0][1]
    sweep = {(r["reg"], r["lam"]) for r in res["sweep"]["rows"]}
    assert sweep == {("none", 0.0), ("sparsity", 0.01), ("sparsity", 1.0), ("entropy", 0.01),
                     ("entropy", 1.0)}


def test_second_invocation_reuses_every_run_and_curve(tiny_run, tmp_path):
    out, data_dir, first = tiny_run
    copy = tmp_path / "again"
    shutil.copytree(out, copy)
    assert tiny_reproduce(copy, data_dir, "--lambda-sweep") == 0
    again = json.loads((copy / "results.json").read_text())
    assert again["timing"]["trained_epochs"] == 0
    assert again["timing"]["reused_curves"] == again["timing"]["reused_runs"] > 0
    assert science(again["methods"]) == science(first["methods"])
    assert [m["summary"] for m in again["methods"]] == [m["summary"] for m in first["methods"]]
    assert again["selection"] == first["selection"]            # timings come from the cache too


def test_a_missing_run_is_retrained_alone(tiny_run, tmp_path):
    out, data_dir, first = tiny_run
    copy = tmp_path / "partial"
    shutil.copytree(out, copy)
    shutil.rmtree(copy / "runs" / first["methods"][0]["runs"][0]["run"])   # the dense run
    assert tiny_reproduce(copy, data_dir, "--lambda-sweep") == 0
    again = json.loads((copy / "results.json").read_text())
    assert again["timing"]["trained_epochs"] == PRESETS["tiny"]["epochs"]   # one run only
    assert science(again["methods"]) == science(first["methods"])       # bit-identical


def test_lambda_selection_never_looks_at_the_test_set(synthetic_mnist_dir, tmp_path):
    data = load_mnist(synthetic_mnist_dir, verbose=False)
    scrambled = data._replace(test_images=np.zeros_like(data.test_images),
                              test_labels=(data.test_labels + 1) % 10)
    settings = ReproSettings(out=str(tmp_path), **{**PRESETS["tiny"],
                                                   "select_grid": (("l1", (1e-4, 1e-2)),)})
    quiet = lambda *a: None                                                   # noqa: E731
    a = select_lambda(RunStore(tmp_path / "a", data, quiet), settings, "l1", quiet)
    b = select_lambda(RunStore(tmp_path / "b", scrambled, quiet), settings, "l1", quiet)
    timing = ("train_seconds", "curve_seconds")
    for rec in (a, b):
        rec["rows"] = [{k: v for k, v in row.items() if k not in timing} for row in rec["rows"]]
    assert a == b
    assert all(f"_val{settings.select_val_size}_" in row["run"] for row in a["rows"])


def test_run_names_separate_every_setting_that_changes_the_weights():
    base = TrainConfig(reg="sparsity", lam=1.0, epochs=3)
    variants = [base, TrainConfig(reg="entropy", lam=1.0, epochs=3),
                TrainConfig(reg="sparsity", lam=0.01, epochs=3),
                TrainConfig(reg="sparsity", lam=1.0, epochs=4),
                TrainConfig(reg="sparsity", lam=1.0, epochs=3, seed=1),
                TrainConfig(reg="sparsity", lam=1.0, epochs=3, val_size=10),
                TrainConfig(reg="sparsity", lam=1.0, epochs=3, train_subset=10),
                TrainConfig(reg="sparsity", lam=1.0, epochs=3, hidden=(5,)),
                TrainConfig(reg="sparsity", lam=1.0, epochs=3, batch_size=10),
                TrainConfig(reg="sparsity", lam=1.0, epochs=3, lr=1e-3),
                TrainConfig(reg="sparsity", lam=1.0, epochs=3, dtype="float64")]
    assert len({run_name(c) for c in variants}) == len(variants)
    assert run_name(TrainConfig(reg="sparsity", lam=1.0, epochs=3, data_dir="x")) == \
        run_name(base)


def test_summary_ratio_and_partial_targets():
    def run(nz90, nz98):
        return {"unpruned_accuracy": 0.97, "entropy_per_layer": [1.0, 2.0],
                "targets": {"0.9": [nz90, 0.9], "0.98": None if nz98 is None else [nz98, 0.98]}}

    dense = summarize_method([run(1000, 5000), run(3000, None)], (0.9, 0.98))
    dense = summarize_method([run(1000, 5000), run(3000, None)], (0.9, 0.98), dense)
    other = summarize_method([run(200, None), run(400, None)], (0.9, 0.98), dense)
    assert dense["targets"]["0.9"]["ratio_to_dense"] == 1.0
    assert dense["targets"]["0.98"] == {"mean": 5000.0, "std": None, "n": 1,
                                        "ratio_to_dense": 1.0}
    assert other["targets"]["0.9"]["ratio_to_dense"] == pytest.approx(0.15, rel=1e-12)
    assert other["targets"]["0.98"]["mean"] is None
    assert other["targets"]["0.98"]["ratio_to_dense"] is None


@pytest.mark.parametrize("args, message", [
    (["--step", "0.3"], "step must divide 100"),
    (["--methods", "none,l2"], "unknown method"),
    (["--seeds", "0"], "seeds must be"),
])
def test_bad_settings_are_user_errors(tmp_path, capsys, args, message):
    assert main(["reproduce", "--out", str(tmp_path), "--preset", "tiny", *args]) == 2
    assert message in capsys.readouterr().err
