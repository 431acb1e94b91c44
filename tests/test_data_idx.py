"""IDX reader/writer: round trips, on-disk layout, atomic writes, and every corruption case."""

from __future__ import annotations

import gzip
import os
import re
from pathlib import Path

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from entropy_ref.data import (MNIST_FILES, MNISTDataError, load_mnist, parse_idx, read_idx,
                              write_idx)
from entropy_ref.data import idx as idx_module

IDX_NATIVE = ["uint8", "int8", "int16", "int32", "float32", "float64"]


@given(data=st.data(), compress=st.booleans())
def test_round_trip_all_dtypes_and_ndims(tmp_path_factory, data, compress):
    dtype = np.dtype(data.draw(st.sampled_from(IDX_NATIVE)))
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5))
    array = data.draw(hnp.arrays(dtype, shape))
    path = tmp_path_factory.mktemp("rt") / "a.idx"
    write_idx(path, array, compress=compress)
    back = read_idx(path)
    assert back.dtype == dtype and back.shape == shape
    assert back.tobytes() == array.tobytes()  # bit-exact, NaN payloads included
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == compress


@pytest.mark.parametrize("dtype", [">i2", "<i2", ">f8", "<f8"])
def test_any_input_byte_order_reads_back_native(tmp_path, dtype):
    array = np.array([[1, -258], [3, 4464]], dtype=dtype)
    write_idx(tmp_path / "a", array)
    back = read_idx(tmp_path / "a")
    assert back.dtype == np.dtype(dtype).newbyteorder("=") and back.dtype.isnative
    np.testing.assert_array_equal(back, array)  # exact (tolerance 0): integers / exact floats


def test_raw_layout_is_big_endian_magic_dims_data(tmp_path):
    write_idx(tmp_path / "a", np.array([[1, 258, -1]], dtype=np.int16), compress=False)
    expected = bytes([0, 0, 0x0B, 2, 0, 0, 0, 1, 0, 0, 0, 3, 0, 1, 1, 2, 0xFF, 0xFF])
    assert (tmp_path / "a").read_bytes() == expected


def test_mnist_magic_numbers(tmp_path):
    write_idx(tmp_path / "img", np.zeros((2, 28, 28), np.uint8), compress=False)
    write_idx(tmp_path / "lab", np.zeros(2, np.uint8), compress=False)
    assert (tmp_path / "img").read_bytes()[:4] == (0x00000803).to_bytes(4, "big")
    assert (tmp_path / "lab").read_bytes()[:4] == (0x00000801).to_bytes(4, "big")


def test_compression_detected_by_magic_not_name(tmp_path):
    array = np.arange(12, dtype=np.uint8).reshape(3, 4)
    write_idx(tmp_path / "looks-raw.idx", array, compress=True)
    write_idx(tmp_path / "looks-compressed.gz", array, compress=False)
    np.testing.assert_array_equal(read_idx(tmp_path / "looks-raw.idx"), array)
    np.testing.assert_array_equal(read_idx(tmp_path / "looks-compressed.gz"), array)


def test_read_returns_writable_array(tmp_path):
    write_idx(tmp_path / "a", np.ones(3, np.uint8))
    back = read_idx(tmp_path / "a")
    back[0] = 7
    assert back.flags.writeable and back[0] == 7


def test_gzip_output_is_reproducible(tmp_path):
    array = np.arange(100, dtype=np.uint8)
    write_idx(tmp_path / "a", array)
    write_idx(tmp_path / "b", array)
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()


@pytest.mark.parametrize("array, match", [
    (np.zeros(3, np.int64), "int64 has no IDX code"),
    (np.zeros(3, bool), "bool has no IDX code"),
    (np.zeros(3, np.uint16), "uint16 has no IDX code"),
    (np.array(5, np.uint8), "0-d array"),
])
def test_writer_rejects_unstorable_arrays(tmp_path, array, match):
    with pytest.raises(ValueError, match=match):
        write_idx(tmp_path / "a", array)
    assert list(tmp_path.iterdir()) == []


def test_write_is_atomic_and_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "a.gz"
    write_idx(path, np.arange(5, dtype=np.uint8))
    before = path.read_bytes()

    def failing_replace(src, dst):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(idx_module.os, "replace", failing_replace)
    with pytest.raises(OSError, match="simulated"):
        write_idx(path, np.arange(50, dtype=np.uint8))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["a.gz"]


# ---------------------------------------------------------------- corruption of single files

def _raw(array: np.ndarray) -> bytes:
    code = {np.dtype(np.uint8): 8}[array.dtype]
    return (bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
            + array.tobytes())


GOOD = _raw(np.arange(6, dtype=np.uint8).reshape(2, 3))


@pytest.mark.parametrize("data, match", [
    (GOOD[:-1], "truncated IDX data"),
    (GOOD + b"\x00", "trailing bytes"),
    (GOOD[:10], "truncated IDX header"),
    (GOOD[:3], "too short"),
    (b"\x01" + GOOD[1:], "bad IDX magic number 0x01000802"),
    (GOOD[:2] + b"\x0a" + GOOD[3:], "unknown dtype code 0x0a"),
    (GOOD[:3] + b"\x00" + GOOD[4:], "zero dimensions"),
    (gzip.compress(GOOD)[:-9], "truncated gzip"),
    (gzip.compress(GOOD)[:-4] + b"\xff\xff\xff\xff", "corrupt gzip"),
    (b"\x1f\x8b" + b"garbage!" * 4, "corrupt gzip"),
])
def test_each_corruption_raises_naming_the_file(tmp_path, data, match):
    path = tmp_path / "broken-file.idx"
    path.write_bytes(data)
    with pytest.raises(MNISTDataError, match=match) as info:
        read_idx(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_parse_idx_good_bytes():
    np.testing.assert_array_equal(parse_idx(GOOD), np.arange(6).reshape(2, 3))
    np.testing.assert_array_equal(parse_idx(gzip.compress(GOOD)), np.arange(6).reshape(2, 3))


# ------------------------------------------------------- corruption of a full MNIST directory

def _truncate_gzip(p: Path) -> None:
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


def _wrong_magic(p: Path) -> None:
    data = bytearray(gzip.decompress(p.read_bytes()))
    data[2] = 0x0C  # images now claim int32
    p.write_bytes(gzip.compress(bytes(data)))


def _drop_last_image_byte(p: Path) -> None:
    p.write_bytes(gzip.compress(gzip.decompress(p.read_bytes())[:-1]))


def _bad_label(p: Path) -> None:
    labels = read_idx(p)
    labels[17] = 10
    write_idx(p, labels)


def _one_label_short(p: Path) -> None:
    write_idx(p, read_idx(p)[:-1])


def _images_27_wide(p: Path) -> None:
    write_idx(p, read_idx(p)[:, :, :27].copy())


@pytest.mark.parametrize("role, corrupt, match", [
    ("train_images", _truncate_gzip, "truncated gzip"),
    ("test_images", _wrong_magic, "truncated IDX data"),  # int32 needs 4x the bytes
    ("test_images", _drop_last_image_byte, "truncated IDX data"),
    ("train_labels", _bad_label, re.escape("found 1 bad value(s), e.g. 10 at index 17")),
    ("test_labels", _one_label_short, "199 labels but .* has 200 images"),
    ("train_images", _images_27_wide, re.escape("shape (N, 28, 28), got uint8 (600, 28, 27)")),
])
def test_load_mnist_rejects_corrupted_directory(synthetic_mnist_dir, role, corrupt, match):
    path = synthetic_mnist_dir / MNIST_FILES[role]
    corrupt(path)
    with pytest.raises(MNISTDataError, match=match) as info:
        load_mnist(synthetic_mnist_dir, verbose=False)
    assert path.name in str(info.value)


def test_uncompressed_file_with_trailing_bytes_is_rejected(synthetic_mnist_dir):
    gz = synthetic_mnist_dir / MNIST_FILES["test_labels"]
    raw = gz.with_name(gz.name.removesuffix(".gz"))
    raw.write_bytes(gzip.decompress(gz.read_bytes()) + b"\x00\x00")
    os.remove(gz)
    with pytest.raises(MNISTDataError, match=f"{re.escape(raw.name)}: trailing bytes"):
        load_mnist(synthetic_mnist_dir, verbose=False)


def test_idx_dimensions_overflowing_int64_name_the_file():
    header = bytes([0, 0, 8, 4]) + np.array([2**16] * 4, ">u4").tobytes()   # 2^64 entries
    with pytest.raises(MNISTDataError, match=r"^bad\.idx: truncated IDX data"):
        parse_idx(header, name="bad.idx")


def test_idx_gzip_bomb_and_oversized_files_are_refused(tmp_path, monkeypatch):
    import gzip

    from entropy_ref.data import idx, read_idx

    monkeypatch.setattr(idx, "MAX_IDX_BYTES", 10_000)
    n = 10**6                                             # 1 MB of labels, a 1 kB gzip file
    bomb = gzip.compress(bytes([0, 0, 8, 1]) + n.to_bytes(4, "big") + bytes(n))
    path = tmp_path / "bomb-idx1-ubyte.gz"
    path.write_bytes(bomb)
    with pytest.raises(MNISTDataError, match=r"bomb-idx1-ubyte\.gz: decompresses to more than "
                       r"10000 bytes"):
        read_idx(path)
    raw = tmp_path / "big-idx1-ubyte"
    raw.write_bytes(bytes([0, 0, 8, 1]) + n.to_bytes(4, "big") + bytes(n))
    with pytest.raises(MNISTDataError, match=r"big-idx1-ubyte: larger than 10000 bytes"):
        read_idx(raw)
