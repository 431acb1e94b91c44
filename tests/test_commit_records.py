"""Commit records (``entropy_ref.storage.commit``): a result of several files counts only when the
record written last matches every file. A real process killed after any one of its writes (the
crash switch ``ENTROPY_REF_EXIT_AFTER_WRITES``) never leaves a result that is read half-written:
the next invocation reuses what was committed, recomputes the rest, and gets the same numbers."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from entropy_ref.cli import main
from entropy_ref.data import write_synthetic_mnist
from entropy_ref.errors import CorruptFileError
from entropy_ref.reproduce.outputs import read_output
from entropy_ref.storage.atomic import FAULT_ENV
from entropy_ref.storage.commit import check_files, read_commit, write_commit
from helpers import comparable, repo_env, same_run_files

QUICK = ["--preset", "tiny", "--methods", "none", "--epochs", "2"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return write_synthetic_mnist(tmp_path_factory.mktemp("mnist"), n_train=600, n_test=200,
                                 seed=0)


def _killed(argv, n, **env):
    """Run ``entropy-ref argv`` in a real process that ends after its ``n``-th atomic write;
    return its exit status (75 when killed there, 0 when it had fewer writes)."""
    proc = subprocess.run([sys.executable, "-m", "entropy_ref", *argv], capture_output=True,
                          text=True, timeout=300, env=repo_env(**{FAULT_ENV: str(n)}, **env))
    assert proc.returncode in (0, 75), proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.returncode


# ------------------------------------------------------------------ the record itself


def test_a_record_names_every_file_with_its_size_and_hash(tmp_path):
    (tmp_path / "a.csv").write_text("x,y\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.png").write_bytes(b"\x89PNG")
    rec = write_commit(tmp_path / "r.json", {"n": 1}, ["a.csv", "sub/b.png"],
                       identity={"k": 1}, kind="test")
    assert rec["files"]["a.csv"]["size"] == 4 and rec["package_version"]
    assert read_commit(tmp_path / "r.json", "record", "test") == rec
    assert check_files(rec, tmp_path) is None
    (tmp_path / "sub" / "b.png").write_bytes(b"\x89PNX")
    assert check_files(rec, tmp_path) == "sub/b.png has changed since it was committed"
    (tmp_path / "a.csv").unlink()
    assert check_files(rec, tmp_path) == "a.csv is missing"
    assert read_commit(tmp_path / "none.json", "record", "test") is None
    with pytest.raises(CorruptFileError, match="kind is 'test', expected 'run'"):
        read_commit(tmp_path / "r.json", "record", "run")


def test_a_committed_output_whose_figure_changed_is_refused(tmp_path, data_dir):
    out = tmp_path / "out"
    assert main(["reproduce", *QUICK, "--data-dir", str(data_dir), "--out", str(out)]) == 0
    assert read_output(out / "results.json", "results")["files"]
    (out / "figures" / "figure3.png").write_bytes(b"another figure")
    with pytest.raises(CorruptFileError) as info:
        read_output(out / "results.json", "results")
    assert str(out / "results.json") in str(info.value)
    assert "figures/figure3.png has" in str(info.value)


# ------------------------------------------------------------------ crashes at every write


@pytest.mark.slow
def test_a_training_killed_after_any_write_resumes_to_the_same_run(tmp_path, data_dir):
    argv = ["train", "--reg", "sparsity", "--hidden", "16,8", "--lr", "1e-3", "--epochs", "2",
            "--data-dir", str(data_dir)]
    ref = tmp_path / "ref"
    assert main([*argv, "--out", str(ref)]) == 0
    for n in range(1, 20):
        out = tmp_path / f"run{n}"
        if _killed([*argv, "--out", str(out)], n) == 0:
            break                                   # fewer writes than n: every point was hit
        assert main([*argv, "--out", str(out), "--resume"]) == 0
        same_run_files(ref, out)
    assert n > 7                                   # config, then history/model/run.json x 2


@pytest.mark.slow
def test_a_reproduction_killed_after_any_write_gives_the_same_results(tmp_path, data_dir):
    argv = ["reproduce", *QUICK, "--data-dir", str(data_dir)]
    ref = tmp_path / "ref"
    assert main([*argv, "--out", str(ref)]) == 0
    expected = comparable(read_output(ref / "results.json", "results"))
    for n in range(1, 40):
        out = tmp_path / f"out{n}"
        if _killed([*argv, "--out", str(out)], n) == 0:
            break
        done = read_output(out / "results.json", "results")   # raises when half of one
        assert done is None or comparable(done) == expected
        assert main([*argv, "--out", str(out)]) == 0
        assert comparable(read_output(out / "results.json", "results")) == expected, n
    assert n > 10


@pytest.mark.slow
def test_a_crash_between_curve_csv_and_curve_json_is_not_reused(tmp_path, data_dir):
    """The old curve.json (sensitivity on the training images) beside a new curve.csv (on the
    test images): the curve is recomputed, never reused as the training-sensitivity one."""
    argv = ["reproduce", *QUICK, "--data-dir", str(data_dir), "--out", str(tmp_path / "out")]
    assert main(argv) == 0
    first = read_output(tmp_path / "out" / "results.json", "results")
    (run,) = [p for p in (tmp_path / "out" / "runs").iterdir()]
    old_json = json.loads((run / "curve.json").read_text())
    # the run is reused, so the first write is the new curve.csv: killed right after it
    assert _killed([*argv, "--sensitivity-data", "test"], 1) == 75
    assert json.loads((run / "curve.json").read_text()) == old_json
    assert check_files(old_json, run).startswith("curve.csv has ")   # changed, or resized
    assert main(argv) == 0
    again = read_output(tmp_path / "out" / "results.json", "results")
    assert comparable(again["methods"]) == comparable(first["methods"])
    assert again["timing"]["reused_curves"] == 0 and again["timing"]["reused_runs"] == 1
