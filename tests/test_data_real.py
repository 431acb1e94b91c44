"""Integration test on the real MNIST files (skipped unless ENTROPY_REF_DATA is set).

Run with ``ENTROPY_REF_DATA=/path/to/mnist pytest tests/test_data_real.py``. The expected facts
are the published properties of the canonical files.
"""

from __future__ import annotations

import functools
import socket
from pathlib import Path

import numpy as np
import pytest

from entropy_ref.data import (MNIST, MNIST_FILES, MNIST_MD5, download_mnist, find_mnist_dir,
                              load_mnist, md5_file, to_features)

pytestmark = pytest.mark.slow

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@functools.lru_cache(maxsize=1)
def _load(directory: Path) -> MNIST:
    return load_mnist(directory, verbose=False)


def test_canonical_md5(real_mnist_dir):
    for role, name in MNIST_FILES.items():
        assert md5_file(real_mnist_dir / name) == MNIST_MD5[role], name


def test_shapes_and_dtypes(real_mnist_dir):
    data = _load(real_mnist_dir)
    assert data.train_images.shape == (60000, 28, 28) and data.train_labels.shape == (60000,)
    assert data.test_images.shape == (10000, 28, 28) and data.test_labels.shape == (10000,)
    assert all(a.dtype == np.uint8 for a in data)


def test_label_counts_and_first_labels(real_mnist_dir):
    data = _load(real_mnist_dir)
    assert np.bincount(data.train_labels, minlength=10).tolist() == TRAIN_COUNTS
    assert np.bincount(data.test_labels, minlength=10).tolist() == TEST_COUNTS
    assert data.train_labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert data.test_labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


def test_mean_pixel(real_mnist_dir):
    data = _load(real_mnist_dir)
    # published means are given to 3 decimals: absolute tolerance 1e-3
    assert abs(data.train_images.mean(dtype=np.float64) - 33.318) <= 1e-3
    assert abs(data.test_images.mean(dtype=np.float64) - 33.791) <= 1e-3
    features = to_features(data.test_images[:100], np.float64)
    np.testing.assert_allclose(features.mean(), data.test_images[:100].mean() / 255, rtol=1e-12)


def test_canonical_files_load_without_notice(real_mnist_dir, capsys):
    load_mnist(real_mnist_dir, verbose=True)
    assert capsys.readouterr().err == ""


def test_env_lookup_finds_real_dir(real_mnist_dir, monkeypatch):
    monkeypatch.setenv("ENTROPY_REF_DATA", str(real_mnist_dir))
    assert find_mnist_dir() == real_mnist_dir


def test_download_skips_present_canonical_files(real_mnist_dir):
    with socket.socket() as s:  # a local port nobody listens on: any fetch would fail
        s.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{s.getsockname()[1]}/"
    assert download_mnist(real_mnist_dir, mirrors=[nowhere], progress=False) == real_mnist_dir
