"""What train and prune-curve read back from a run directory: a checkpoint with non-finite
weights or negative Adam moments, or a run without history.json, is a one-line error naming the
file (exit 2), not a blamed hyper-parameter or a misleading count."""

import numpy as np
import pytest

from entropy_ref.cli import main


@pytest.fixture
def small_run(synthetic_mnist_dir, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--reg", "none", "--epochs", "1", "--data-dir", str(synthetic_mnist_dir),
                 "--out", str(out), "--train-subset", "100", "--hidden", "8,4"]) == 0
    capsys.readouterr()
    return out


@pytest.mark.parametrize("key, value", [("W0", np.nan), ("b1", np.inf), ("adam_v_W1", -1.0)])
def test_a_checkpoint_with_non_finite_weights_or_negative_moments_is_a_corrupt_file(
        small_run, synthetic_mnist_dir, capsys, key, value):
    # neither blames --lam ("training diverged ... try a smaller penalty weight") nor reports
    # "params: W[0] has 1 non-finite entries" without naming the file
    arrays = dict(np.load(small_run / "model.npz"))
    arrays[key].reshape(-1)[0] = value
    np.savez(small_run / "model.npz", **arrays)
    for argv in (["train", "--resume", "--epochs", "2", "--out", str(small_run)],
                 ["prune-curve", str(small_run), "--step", "50"]):
        assert main([*argv, "--data-dir", str(synthetic_mnist_dir)]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "model.npz" in err and key in err, err


def test_a_run_without_history_json_says_the_file_is_missing(small_run, synthetic_mnist_dir,
                                                              capsys):
    # not "RUN: corrupt history (0 epoch records but the checkpoint is at epoch 1)"
    (small_run / "history.json").unlink()
    assert main(["prune-curve", str(small_run), "--step", "50",
                 "--data-dir", str(synthetic_mnist_dir)]) == 2
    err = capsys.readouterr().err.strip()
    assert "history.json" in err and "missing" in err and len(err.splitlines()) == 1, err
