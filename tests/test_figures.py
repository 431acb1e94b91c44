"""Figures are produced without a display, as valid non-empty PNG and PDF files."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from matplotlib.image import imread

from entropy_ref import figures

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _check(paths, name):
    png, pdf = paths
    assert (png.name, pdf.name) == (f"{name}.png", f"{name}.pdf")
    assert png.read_bytes()[:8] == PNG_SIGNATURE
    assert pdf.read_bytes()[:5] == b"%PDF-"
    image = imread(png)                                   # matplotlib can read it back
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
    assert float(image[..., :3].std()) > 0.01             # not a blank canvas
    return image


def _weights(rng, sizes=(40, 12, 6, 3), sparse=False):
    Ws = [rng.standard_normal((o, i)) for i, o in zip(sizes[:-1], sizes[1:])]
    if sparse:
        Ws = [W * (rng.random(W.shape) < 0.1) for W in Ws]
    return Ws


def test_figure1_shows_two_binary_matrices(tmp_path):
    rng = np.random.default_rng(0)
    W_D = np.zeros((64, 64))
    W_D.flat[rng.choice(W_D.size, 64, replace=False)] = 1
    W_S = np.zeros((64, 64))
    W_S[24:40, 24:40].flat[rng.choice(256, 64, replace=False)] = 1
    _check(figures.figure1(W_D, W_S, tmp_path / "figure1"), "figure1")


def test_figure2_weight_matrices(tmp_path):
    rng = np.random.default_rng(1)
    _check(figures.figure2(_weights(rng), _weights(rng, sparse=True), tmp_path / "f2.png"), "f2")


def test_figure2_rejects_models_of_different_depth(tmp_path):
    rng = np.random.default_rng(2)
    with pytest.raises(ValueError, match="same number"):
        figures.figure2(_weights(rng), _weights(rng, (40, 3)), tmp_path / "f2")


def test_figure3_curves_with_seeds_and_paper_points(tmp_path):
    nz = np.array([1000, 500, 100, 10, 0])
    curves = {"none": [(nz, np.array([0.97, 0.96, 0.8, 0.3, 0.1]))] * 2,
              "sparsity": [(nz, np.array([0.97, 0.97, 0.95, 0.5, 0.1]))]}
    paper = {"none": {"nonzero": 800, "test_accuracy": 0.96}}
    _check(figures.figure3(curves, tmp_path / "figure3", paper=paper), "figure3")


def test_figure4_percentiles_per_epoch(tmp_path):
    q = np.linspace(0, 1, 101) ** 3
    histories = {"none": [q, 1.1 * q], "sparsity": [q ** 2, q ** 3, q ** 4]}
    _check(figures.figure4(histories, tmp_path / "figure4"), "figure4")


def test_figure_sweep_with_and_without_reached_targets(tmp_path):
    rows = [{"reg": reg, "lam": lam, "unpruned_accuracy": 0.9,
             "targets": {"0.95": None if lam > 0.5 else [100, 0.95], "0.96": None,
                         "0.97": None}}
            for reg in ("sparsity", "entropy") for lam in (0.01, 1.0)]
    rows.append({"reg": "none", "lam": 0.0, "unpruned_accuracy": 0.97,
                 "targets": {"0.95": [900, 0.95], "0.96": None, "0.97": None}})
    _check(figures.figure_sweep(rows, tmp_path / "sweep"), "sweep")
    nothing = [dict(r, targets={"0.95": None, "0.96": None, "0.97": None}) for r in rows]
    _check(figures.figure_sweep(nothing, tmp_path / "sweep_empty"), "sweep_empty")


def test_figures_need_no_display(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "MPLBACKEND",
                                                            "WAYLAND_DISPLAY")}
    code = ("import numpy as np; from entropy_ref import figures; "
            f"figures.figure4({{'none': [np.linspace(0, 1, 101)]}}, {str(tmp_path / 'x')!r})")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "x.png").read_bytes()[:8] == PNG_SIGNATURE
