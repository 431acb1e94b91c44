"""The reproduction pipeline on real MNIST, trimmed (runs only when ``ENTROPY_REF_DATA`` is set).

Setting: the ``tiny`` preset (24-12 hidden units, 3 epochs, batch 20) on the first 2,000
training images, with curves on all 10,000 test images. Checks that the pipeline runs end to end
on the real files, that the models learn, and that on real data the fast curve equals the naive
one exactly.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from entropy_ref import prune
from entropy_ref.cli import main
from entropy_ref.data import data_fingerprint, load_mnist, to_features
from entropy_ref.train import load_run

pytestmark = pytest.mark.slow


def test_reproduce_tiny_on_real_mnist(real_mnist_dir, tmp_path):
    out = tmp_path / "out"
    assert main(["reproduce", "--out", str(out), "--preset", "tiny", "--data-dir",
                 str(real_mnist_dir), "--train-subset", "2000",
                 "--methods", "none,sparsity,entropy,l1"]) == 0
    res = json.loads((out / "results.json").read_text())
    fingerprint = res["data"].pop("fingerprint")
    assert res["data"] == {"n_train": 2000, "n_test": 10000, "n_val_selection": 100}
    assert fingerprint == data_fingerprint(load_mnist(real_mnist_dir, verbose=False))
    acc = {m["label"]: m["summary"]["final_accuracy"]["mean"] for m in res["methods"]}
    assert acc["none"] > 0.80 and acc["sparsity"] > 0.5         # they learn on 2,000 images
    for m in res["methods"]:
        curve = prune.read_curve_csv(out / "runs" / m["runs"][0]["run"] / "curve.csv")
        assert curve["nonzero"][0] == 784 * 24 + 24 * 12 + 12 * 10 and curve["nonzero"][-1] == 0
        assert np.all(np.diff(curve["nonzero"]) <= 0)

    # the cached curve of the dense run is exactly the naive curve, recomputed here from scratch
    data = load_mnist(real_mnist_dir, verbose=False)
    run_dir = out / "runs" / res["methods"][0]["runs"][0]["run"]
    config, params, _ = load_run(run_dir)
    X_train = to_features(data.train_images[:2000], np.float64)
    sens = prune.sensitivity(params, X_train, data.train_labels[:2000].astype(int))
    plan = prune.make_plan(params, sens, res["settings"]["step"])
    naive = prune.naive_curve(params, plan, to_features(data.test_images, np.float64),
                              data.test_labels.astype(int))
    cached = prune.read_curve_csv(run_dir / "curve.csv")
    assert np.array_equal(cached["nonzero"], naive.nonzero)
    assert np.array_equal(cached["test_accuracy"], naive.test_accuracy)


def test_every_study_on_real_mnist(real_mnist_dir, tmp_path):
    """The studies end to end on the real files (tiny widths, 2,000 training images)."""
    out = tmp_path / "studies"
    assert main(["reproduce", "--out", str(out), "--preset", "tiny", "--data-dir",
                 str(real_mnist_dir), "--train-subset", "2000", "--study", "all"]) == 0
    res = json.loads((out / "studies.json").read_text())
    assert set(res) >= {"fair", "ablation", "finetune", "layout", "long", "figures"}
    dense = res["fair"]["dense"]["summary"]["final_accuracy"]["mean"]
    assert dense > 0.80                                         # it learns on 2,000 images
    for m in res["finetune"]["methods"]:
        for p, cell in m["summary"].items():
            # fine-tuning the survivors never makes the pruned network much worse on average
            assert cell["finetuned_accuracy"]["mean"] >= cell["oneshot_accuracy"]["mean"] - 0.05
    variant = res["layout"]["variant"]
    assert variant["train_options"] == {"layout": "receptive"}
    assert variant["summary"]["final_accuracy"]["mean"] > 0.5
