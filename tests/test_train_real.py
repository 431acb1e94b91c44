"""Real MNIST, one epoch each of ``none``, ``sparsity`` and ``entropy`` on all 60,000 images.

Skipped unless ``ENTROPY_REF_DATA`` names the MNIST directory (CI sets it). About 15 s.
Same seed, hence the same initial weights and batch order, for the three runs; the only
difference is the penalty, so the direction of ``H_C`` relative to the dense run is its effect.
"""

from __future__ import annotations

import pytest

from entropy_ref.data import load_mnist
from entropy_ref.train import TrainConfig, train


_RUNS: dict = {}   # trained once per test run, shared by the tests below


@pytest.fixture
def runs(real_mnist_dir):
    if not _RUNS:
        data = load_mnist(real_mnist_dir, verbose=False)
        assert len(data.train_images) == 60000 and len(data.test_images) == 10000
        for reg in ("none", "sparsity", "entropy"):
            _RUNS[reg] = train(TrainConfig(reg=reg, epochs=1), data=data, log=print).history[-1]
    return _RUNS


@pytest.mark.slow
def test_dense_epoch_reaches_90_percent(runs):
    assert runs["none"]["test_accuracy"] >= 0.90


@pytest.mark.slow
def test_sparsity_raises_and_entropy_lowers_configuration_entropy(runs):
    dense = runs["none"]["entropy_per_layer"]
    up = runs["sparsity"]["entropy_per_layer"]        # adds l_C = -H_C: minimising raises H_C
    down = runs["entropy"]["entropy_per_layer"]       # adds H_C: minimising lowers it
    for layer, (d, u, w) in enumerate(zip(dense, up, down)):
        assert u > d, f"layer {layer}: H_C {u} under sparsity is not above dense {d}"
        assert w < d, f"layer {layer}: H_C {w} under entropy is not below dense {d}"
