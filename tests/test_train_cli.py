"""``entropy-ref train`` on the command line: success, --resume, and clean errors (exit 2)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import entropy_ref.train.loop
from entropy_ref.cli import main
from entropy_ref.train import load_run
from helpers import cli_error_line, repo_env

FAST = ["--hidden", "16,8", "--lr", "1e-3"]


def _error_line(capsys, argv):
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "Traceback" not in err
    errors = [s for s in err.splitlines() if "error" in s]
    assert len(errors) == 1 and errors[0].startswith("entropy-ref train: error: ")
    return err[err.index(errors[0]):]          # the message (a data error's may span lines)


def test_train_writes_a_run(synthetic_mnist_dir, tmp_path, capsys):
    out = tmp_path / "run"
    rc = main(["train", "--reg", "entropy", "--lam", "0.5,1,2", "--epochs", "2",
               "--data-dir", str(synthetic_mnist_dir), "--out", str(out), *FAST])
    stdout = capsys.readouterr().out
    assert rc == 0
    assert "lam          = (0.5, 1.0, 2.0)" in stdout and "epoch 2/2" in stdout
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["lam"] == [0.5, 1.0, 2.0] and cfg["reg"] == "entropy" and cfg["hidden"] == [16, 8]
    config, params, history = load_run(out)
    assert len(history) == 2 and params["W"][0].shape == (16, 784)


def test_resume_from_the_command_line(synthetic_mnist_dir, tmp_path, capsys):
    base = ["train", "--reg", "l1", "--lam", "1e-4", "--data-dir", str(synthetic_mnist_dir), *FAST]
    assert main([*base, "--epochs", "2", "--out", str(tmp_path / "a")]) == 0
    assert main([*base, "--epochs", "1", "--out", str(tmp_path / "b")]) == 0
    # options left at their defaults are taken from the run directory on --resume
    assert main(["train", "--out", str(tmp_path / "b"), "--epochs", "2", "--resume",
                 "--data-dir", str(synthetic_mnist_dir)]) == 0
    assert "resuming" in capsys.readouterr().out
    # config.json now says 2 epochs: resuming with no options at all has nothing left to do
    assert main(["train", "--out", str(tmp_path / "b"), "--resume"]) == 0
    assert "nothing to do: the run already has 2 of 2 epochs" in capsys.readouterr().out
    _, pa, ha = load_run(tmp_path / "a")
    _, pb, hb = load_run(tmp_path / "b")
    assert all(np.array_equal(x, y) for x, y in zip(pa["W"] + pa["b"], pb["W"] + pb["b"]))
    assert [h["train_ce"] for h in ha] == [h["train_ce"] for h in hb]


@pytest.mark.parametrize("args, message", [
    (["--reg", "l2"], "unknown regularizer 'l2'; choose one of: none, sparsity, entropy"),
    (["--lam", "-1"], "lam must be finite and >= 0"),
    (["--lam", "1,2"], "lam has 2 values but the network has 3 weight matrices"),
    (["--batch-size", "0"], "batch_size must be an integer >= 1, got 0"),
    (["--epochs", "-3"], "epochs must be an integer >= 0"),
    (["--dtype", "float16"], "dtype must be one of float32, float64"),
    (["--train-subset", "100000"], "train_subset=100000 exceeds the 600 training images"),
])
def test_bad_arguments_give_one_clean_line(synthetic_mnist_dir, tmp_path, capsys, args, message):
    err = _error_line(capsys, ["train", "--data-dir", str(synthetic_mnist_dir),
                               "--out", str(tmp_path / "run"), *args])
    assert message in err


def test_missing_data_dir(tmp_path, capsys):
    err = _error_line(capsys, ["train", "--data-dir", str(tmp_path / "nowhere"),
                               "--out", str(tmp_path / "run")])
    assert "MNIST data not found" in err and "--download" in err
    assert not (tmp_path / "run").exists()


def test_corrupt_data_dir(synthetic_mnist_dir, tmp_path, capsys):
    (synthetic_mnist_dir / "train-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b garbage")
    err = _error_line(capsys, ["train", "--data-dir", str(synthetic_mnist_dir),
                               "--out", str(tmp_path / "run")])
    assert "train-images-idx3-ubyte.gz" in err


def test_existing_run_without_resume(synthetic_mnist_dir, tmp_path, capsys):
    argv = ["train", "--reg", "none", "--epochs", "1", "--data-dir", str(synthetic_mnist_dir),
            "--out", str(tmp_path / "run"), *FAST]
    assert main(argv) == 0
    err = _error_line(capsys, argv)
    assert "already holds a run" in err and "--resume" in err


def test_unparseable_lambda_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", "--lam", "one", "--out", "x"])
    assert exc.value.code == 2
    assert "expected a number or a comma-separated list" in capsys.readouterr().err


def test_python_dash_m_exit_status(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "entropy_ref", "train", "--reg", "nope",
                           "--out", str(tmp_path / "r")], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2
    assert "unknown regularizer 'nope'" in proc.stderr and "Traceback" not in proc.stderr


def test_huge_lambda_names_lambda(synthetic_mnist_dir, tmp_path, capsys):
    rc = main(["train", "--lam", "1e300", "--epochs", "1", "--data-dir",
               str(synthetic_mnist_dir), "--out", str(tmp_path / "r"), *FAST])
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err
    line = next(s for s in err.splitlines() if "error" in s)
    assert "lam" in line                 # the penalty's own check, or the divergence hint
    assert not line.endswith("try a smaller learning rate")


def _diverging(monkeypatch):
    from entropy_ref.train.step import TrainingDivergedError

    def run_epoch(*a, **k):
        raise TrainingDivergedError("the cross-entropy became nan at step 2; try a smaller "
                                    "learning rate")
    monkeypatch.setattr(entropy_ref.train.loop, "run_epoch", run_epoch)


@pytest.mark.parametrize("reg, lam, hint", [
    ("sparsity", "1e300", "try a smaller penalty weight (--lam, now lambda = 1e+300: the sparsity "
     "penalty's gradient scales with lambda) or a smaller learning rate (--lr, now 0.001)"),
    ("none", "1", "try a smaller learning rate (--lr, now 0.001)"),
])
def test_divergence_hint_names_what_to_change(synthetic_mnist_dir, tmp_path, capsys,
                                              monkeypatch, reg, lam, hint):
    _diverging(monkeypatch)
    weight = [] if reg == "none" else ["--lam", lam]       # --lam has no effect without a penalty
    line = cli_error_line(capsys, ["train", "--reg", reg, *weight, "--epochs", "1",
                                   "--data-dir", str(synthetic_mnist_dir),
                                   "--out", str(tmp_path / "r"), *FAST])
    assert line.endswith("training diverged in epoch 1: the cross-entropy became nan at step 2; "
                         + hint)
    assert (reg == "none") == ("--lam" not in line)


def _train_W_error(tmp_path, data_dir, *args):
    """``python -W error -m entropy_ref train ...`` (every warning an error): (rc, error lines)."""
    proc = subprocess.run([sys.executable, "-W", "error", "-m", "entropy_ref", "train",
                           "--data-dir", str(data_dir), "--hidden", "16,8", *args],
                          capture_output=True, text=True, timeout=300, env=repo_env())
    lines = [s for s in proc.stderr.splitlines()
             if s.strip() and not s.startswith("entropy_ref: note:")]
    return proc.returncode, lines


@pytest.mark.parametrize("reg, hint", [
    ("none", "try a smaller learning rate (--lr, now 1e+30)"),
    ("sparsity", "try a smaller penalty weight (--lam, now lambda = 1.0: the sparsity penalty's "
                 "gradient scales with lambda) or a smaller learning rate (--lr, now 1e+30)"),
])
def test_divergence_under_python_W_error_is_one_line(synthetic_mnist_dir, tmp_path, reg, hint):
    """Warnings made errors: numpy's overflow is raised mid-step, and reported as divergence."""
    rc, lines = _train_W_error(tmp_path, synthetic_mnist_dir, "--reg", reg, "--lr", "1e30",
                               "--epochs", "2", "--out", str(tmp_path / "r"))
    assert rc == 2 and len(lines) == 1, lines
    assert lines[0].startswith("entropy-ref train: error: training diverged in epoch 1: the "
                               "float computation failed at step 2 (overflow encountered in "
                               "matmul; the cross-entropy loss was "), lines
    assert lines[0].endswith(f" at step 1); {hint}"), lines


def test_a_normal_run_under_python_W_error_finishes(synthetic_mnist_dir, tmp_path):
    rc, lines = _train_W_error(tmp_path, synthetic_mnist_dir, "--reg", "sparsity", "--lr", "1e-3",
                               "--epochs", "1", "--out", str(tmp_path / "r"))
    assert rc == 0 and lines == [], lines


def test_out_with_a_tilde_is_written_where_it_was_checked(synthetic_mnist_dir, tmp_path,
                                                          monkeypatch, capsys):
    """``--out=~/run`` (the shell leaves this ~ alone): the run goes to $HOME/run."""
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    home.mkdir()
    cwd.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(cwd)
    assert main(["train", "--reg", "none", "--epochs", "1", "--out=~/run", "--data-dir",
                 str(synthetic_mnist_dir), *FAST]) == 0
    assert (home / "run" / "model.npz").is_file() and not (cwd / "~").exists()


def test_divergence_in_the_evaluation_under_python_W_error(synthetic_mnist_dir, tmp_path):
    """One step per epoch: the overflow comes from evaluating the weights the step left."""
    rc, lines = _train_W_error(tmp_path, synthetic_mnist_dir, "--reg", "none", "--lr", "1e30",
                               "--epochs", "2", "--train-subset", "100", "--batch-size", "100",
                               "--out", str(tmp_path / "r"))
    assert rc == 2 and len(lines) == 1, lines
    assert lines[0].startswith("entropy-ref train: error: training diverged in epoch 1: the "
                               "float computation failed while evaluating the weights after "
                               "step 1 (overflow encountered in matmul; the epoch's mean "
                               "cross-entropy loss was "), lines
    assert lines[0].endswith("); try a smaller learning rate (--lr, now 1e+30)")
