"""Lookup order, the miss message, load_mnist, the MD5 notice, to_features, synthetic data.

Every test runs with HOME, XDG_CACHE_HOME and ENTROPY_REF_DATA pointed into tmp dirs (or unset);
the real home directory is never looked at.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from entropy_ref.data import (MNIST, MNIST_FILES, MNISTNotFoundError, default_cache_dir,
                              find_mnist_dir, load_mnist, md5_file, to_features,
                              write_synthetic_mnist)
from entropy_ref.data import locate as locate_module
from entropy_ref.data.places import NoHomeError, expand_home, search_dirs


@pytest.fixture
def env(tmp_path, monkeypatch):
    """Isolated environment: HOME and XDG cache in tmp, ENTROPY_REF_DATA unset. Returns tmp_path."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("ENTROPY_REF_DATA", raising=False)
    return tmp_path


def _fill(directory: Path, seed: int = 0) -> Path:
    return write_synthetic_mnist(directory, n_train=20, n_test=10, seed=seed)


# ------------------------------------------------------------------------------ cache dir

def test_cache_dir_follows_xdg(env):
    assert default_cache_dir() == env / "xdg" / "entropy_ref" / "mnist"


@pytest.mark.parametrize("xdg", [None, "", "relative/cache"])
def test_cache_dir_defaults_to_home_cache(env, monkeypatch, xdg):
    if xdg is None:
        monkeypatch.delenv("XDG_CACHE_HOME")
    else:
        monkeypatch.setenv("XDG_CACHE_HOME", xdg)  # empty or relative: ignored (XDG spec)
    assert default_cache_dir() == env / "home" / ".cache" / "entropy_ref" / "mnist"


@pytest.fixture
def no_home(env, monkeypatch):
    """No home directory: HOME unset and this user id missing from the password database."""
    import pwd

    def missing(uid):
        raise KeyError(f"getpwuid(): uid not found: {uid}")
    monkeypatch.delenv("HOME")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setattr(pwd, "getpwuid", missing)
    return env


def test_without_a_home_the_cache_dir_says_what_to_set(no_home):
    with pytest.raises(NoHomeError) as exc:
        default_cache_dir()
    text = str(exc.value)
    assert "\n" not in text and "HOME is not set" in text and "password database" in text
    assert "set ENTROPY_REF_DATA or pass --data-dir (or set XDG_CACHE_HOME or HOME)" in text
    with pytest.raises(NoHomeError, match="set ENTROPY_REF_DATA or pass --data-dir"):
        load_mnist()
    with pytest.raises(NoHomeError, match="set ENTROPY_REF_DATA or pass --data-dir"):
        load_mnist(download=True)


def test_without_a_home_the_other_places_still_work(no_home, monkeypatch):
    data = _fill(no_home / "via_env")
    monkeypatch.setenv("ENTROPY_REF_DATA", str(data))
    assert search_dirs() == [(data, "$ENTROPY_REF_DATA")]        # the cache is left out
    assert find_mnist_dir() == data and find_mnist_dir(data) == data
    monkeypatch.setenv("XDG_CACHE_HOME", str(no_home / "xdg"))   # XDG needs no home
    assert default_cache_dir() == no_home / "xdg" / "entropy_ref" / "mnist"


def test_without_a_home_a_tilde_is_an_error_naming_the_path(no_home):
    with pytest.raises(NoHomeError, match=r"data_dir ~/mnist: cannot expand '~': the home "
                                          r"directory is unknown .*; give the path without '~'"):
        find_mnist_dir("~/mnist")
    assert expand_home("/abs/mnist", "x") == Path("/abs/mnist")


# ---------------------------------------------------------------------------- lookup order

def test_explicit_dir_wins_over_env_and_cache(env, monkeypatch):
    explicit, via_env = _fill(env / "explicit"), _fill(env / "via_env")
    _fill(default_cache_dir())
    monkeypatch.setenv("ENTROPY_REF_DATA", str(via_env))
    assert find_mnist_dir(explicit) == explicit


def test_explicit_dir_without_files_is_an_error_not_a_fallthrough(env, monkeypatch):
    monkeypatch.setenv("ENTROPY_REF_DATA", str(_fill(env / "via_env")))
    _fill(default_cache_dir())
    (env / "empty").mkdir()
    with pytest.raises(MNISTNotFoundError) as info:
        find_mnist_dir(env / "empty")
    message = str(info.value)
    assert str(env / "empty") in message and "only place used" in message
    assert str(env / "via_env") not in message and str(default_cache_dir()) not in message


def test_env_wins_over_cache(env, monkeypatch):
    via_env = _fill(env / "via_env")
    _fill(default_cache_dir())
    monkeypatch.setenv("ENTROPY_REF_DATA", str(via_env))
    assert find_mnist_dir() == via_env


def test_env_without_files_falls_through_to_cache(env, monkeypatch):
    monkeypatch.setenv("ENTROPY_REF_DATA", str(env / "missing"))
    cache = _fill(default_cache_dir())
    assert find_mnist_dir() == cache


@pytest.mark.parametrize("value", [None, ""])
def test_cache_used_when_env_unset_or_empty(env, monkeypatch, value):
    if value is not None:
        monkeypatch.setenv("ENTROPY_REF_DATA", value)
    cache = _fill(default_cache_dir())
    assert find_mnist_dir() == cache


def test_uncompressed_files_are_found_and_load_identically(env):
    gz = _fill(env / "gz")
    raw = env / "raw"
    raw.mkdir()
    for name in MNIST_FILES.values():
        (raw / name.removesuffix(".gz")).write_bytes(gzip.decompress((gz / name).read_bytes()))
    assert find_mnist_dir(raw) == raw
    for a, b in zip(load_mnist(gz, verbose=False), load_mnist(raw, verbose=False)):
        np.testing.assert_array_equal(a, b)  # exact: same uint8 data


# --------------------------------------------------------------------------- miss message

def test_miss_message_lists_names_places_and_remedies(env, monkeypatch):
    partial = _fill(env / "partial")
    (partial / MNIST_FILES["test_labels"]).unlink()
    monkeypatch.setenv("ENTROPY_REF_DATA", str(partial))
    with pytest.raises(MNISTNotFoundError) as info:
        find_mnist_dir()
    message = str(info.value)
    for name in MNIST_FILES.values():
        assert name in message
    assert f"{partial}  ($ENTROPY_REF_DATA): missing {MNIST_FILES['test_labels']}" in message
    assert f"{default_cache_dir()}  (user cache): directory does not exist" in message
    assert "entropy-ref train --download" in message
    assert "set ENTROPY_REF_DATA" in message and "copy the files" in message
    assert isinstance(info.value, FileNotFoundError)


def test_miss_message_for_a_file_given_as_dir(env):
    (env / "file").write_text("x")
    with pytest.raises(MNISTNotFoundError, match="not a directory"):
        find_mnist_dir(env / "file")


def test_load_mnist_miss_without_download_raises(env):
    with pytest.raises(MNISTNotFoundError, match="Looked in"):
        load_mnist(verbose=False)


# ----------------------------------------------------------------------- load_mnist, notice

def test_load_mnist_returns_validated_namedtuple(synthetic_mnist_dir):
    data = load_mnist(synthetic_mnist_dir, verbose=False)
    assert isinstance(data, MNIST) and data._fields == (
        "train_images", "train_labels", "test_images", "test_labels")
    assert data.train_images.shape == (600, 28, 28) and data.test_images.shape == (200, 28, 28)
    assert all(a.dtype == np.uint8 for a in data)
    assert np.bincount(data.train_labels, minlength=10).tolist() == [60] * 10
    assert np.bincount(data.test_labels, minlength=10).tolist() == [20] * 10


def test_non_canonical_md5_gives_one_notice_once(synthetic_mnist_dir, capsys):
    load_mnist(synthetic_mnist_dir, verbose=True)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "differ from the canonical MNIST files" in err
    assert all(name in err for name in MNIST_FILES.values())
    load_mnist(synthetic_mnist_dir, verbose=True)
    assert capsys.readouterr().err == ""


def test_no_notice_when_quiet_or_when_md5_matches(synthetic_mnist_dir, capsys, monkeypatch):
    load_mnist(synthetic_mnist_dir, verbose=False)
    assert capsys.readouterr().err == ""
    sums = {role: md5_file(synthetic_mnist_dir / name) for role, name in MNIST_FILES.items()}
    monkeypatch.setattr(locate_module, "MNIST_MD5", sums)  # pretend these are canonical
    monkeypatch.setattr(locate_module, "_NOTICED", set())
    load_mnist(synthetic_mnist_dir, verbose=True)
    assert capsys.readouterr().err == ""


# ----------------------------------------------------------------------------- to_features

def test_to_features_is_pixel_over_255():
    images = np.arange(2 * 28 * 28, dtype=np.int64).reshape(2, 28, 28).astype(np.uint8)
    for dtype in (np.float32, np.float64):
        x = to_features(images, dtype=dtype)
        assert x.shape == (2, 784) and x.dtype == dtype
        expected = images.reshape(2, 784).astype(np.float64) / 255.0
        # float64: exact; float32: one rounding of the quotient, |err| <= 2**-24 relative
        tol = 0.0 if dtype == np.float64 else 2.0**-24
        np.testing.assert_allclose(x, expected, rtol=tol, atol=0)
    assert to_features(images).min() == 0.0 and to_features(images).max() == 1.0


@pytest.mark.parametrize("images, dtype, match", [
    (np.zeros((2, 28, 28), np.float32), np.float32, "expects uint8"),
    (np.zeros(784, np.uint8), np.float32, "shape"),
    (np.zeros((2, 28, 28), np.uint8), np.int32, "floating"),
])
def test_to_features_rejects_bad_input(images, dtype, match):
    with pytest.raises(ValueError, match=match):
        to_features(images, dtype=dtype)


# ---------------------------------------------------------------------------- synthetic data

def test_synthetic_is_deterministic_in_seed(tmp_path):
    a, b, c = (_fill(tmp_path / n, seed=s) for n, s in (("a", 3), ("b", 3), ("c", 4)))
    for name in MNIST_FILES.values():
        assert (a / name).read_bytes() == (b / name).read_bytes()
    images = MNIST_FILES["train_images"]
    assert (a / images).read_bytes() != (c / images).read_bytes()


def test_synthetic_rejects_bad_sizes(tmp_path):
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="positive integer"):
            write_synthetic_mnist(tmp_path, n_train=bad)


def test_synthetic_is_learnable(synthetic_mnist_dir):
    """Nearest class mean and a softmax regression (60 full-batch steps) both beat chance widely."""
    d = load_mnist(synthetic_mnist_dir, verbose=False)
    x, y = to_features(d.train_images, np.float64), d.train_labels
    xt, yt = to_features(d.test_images, np.float64), d.test_labels
    means = np.stack([x[y == k].mean(axis=0) for k in range(10)])
    nearest = np.argmin(((xt[:, None, :] - means) ** 2).sum(-1), axis=1)
    assert np.mean(nearest == yt) > 0.9          # measured 0.985 (chance 0.1)
    w, onehot = np.zeros((784, 10)), np.eye(10)[y]
    for _ in range(60):
        z = x @ w
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        w -= 0.5 * x.T @ (p - onehot) / len(x)
    assert np.mean(np.argmax(xt @ w, axis=1) == yt) > 0.5


def test_synthetic_looks_like_mnist(synthetic_mnist_dir):
    d = load_mnist(synthetic_mnist_dir, verbose=False)
    border = np.concatenate([d.train_images[:, 0].ravel(), d.train_images[:, :, 0].ravel()])
    assert np.mean(border == 0) > 0.95                      # mostly blank margins, like MNIST
    assert 20 < d.train_images.mean() < 60                  # MNIST: 33.3
    assert d.train_images.max() == 255


def test_not_found_message_never_suggests_downloading_into_a_file(tmp_path, monkeypatch):
    f = tmp_path / "somefile"
    f.write_text("")
    monkeypatch.setenv("ENTROPY_REF_DATA", str(f))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(MNISTNotFoundError) as info:
        find_mnist_dir()
    text = str(info.value)
    assert f"(downloads into {f})" not in text
    assert f"{f} ($ENTROPY_REF_DATA) is a file, not a directory" in text
    # the library's download=True refuses too, instead of NotADirectoryError from deep inside
    with pytest.raises(MNISTNotFoundError, match="is a file, not a directory"):
        locate_module.load_mnist(download=True, verbose=False)
