"""Run identity (``entropy_ref.train.identity``, ``runrecord``): a run is resumed or reused only as
the run it is (every setting and the data fingerprint); anything else is one line naming the
difference."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from entropy_ref.cli import main
from entropy_ref.data import data_fingerprint, load_mnist, write_synthetic_mnist
from entropy_ref.errors import CorruptFileError
from entropy_ref.train import TrainConfig, load_run, train
from entropy_ref.train.identity import run_identity, trajectory
from entropy_ref.train.runio import load_checkpoint
from entropy_ref.train.runrecord import committed_run, read_run_record
from helpers import cli_error_line

QUIET = lambda *a: None  # noqa: E731
FAST = ["--reg", "l1", "--lam", "1e-4", "--hidden", "16,8", "--lr", "1e-3"]


@pytest.fixture
def run3(synthetic_mnist_dir, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *FAST, "--epochs", "3", "--data-dir", str(synthetic_mnist_dir),
                 "--out", str(out)]) == 0
    capsys.readouterr()
    return out


def test_the_identity_holds_every_setting_and_the_data():
    a = run_identity(TrainConfig(reg="none", epochs=3, out="x", data_dir="d"), "f" * 64)
    assert set(a["config"]) == set(TrainConfig().to_dict()) - {"out", "data_dir", "download"}
    assert a["data"] == "f" * 64 and a["format"] == 2
    assert "epochs" not in trajectory(a)["config"] and trajectory(a)["data"] == a["data"]
    # where the files are is not what the run is
    assert a == run_identity(TrainConfig(reg="none", epochs=3, out="y", download=True), "f" * 64)


def test_run_json_commits_the_identity_and_every_file(run3, synthetic_mnist_dir):
    rec = read_run_record(run3)
    data = load_mnist(synthetic_mnist_dir, verbose=False)
    config, _, _ = load_run(run3)
    ident = run_identity(config, data_fingerprint(data))
    assert rec["identity"] == ident and rec["epoch"] == rec["epochs"] == 3
    assert set(rec["files"]) == {"config.json", "history.json", "model.npz"}
    assert rec["package_version"] and load_checkpoint(run3)["identity"] == trajectory(ident)
    assert committed_run(run3, ident)[0] == "finished"
    other = run_identity(config, "0" * 64)
    status, why = committed_run(run3, other)
    assert status == "other" and "other data" in why


def test_resume_on_other_data_is_refused_naming_both_fingerprints(run3, tmp_path, capsys):
    other = write_synthetic_mnist(tmp_path / "other", n_train=600, n_test=200, seed=1)
    line = cli_error_line(capsys, ["train", "--out", str(run3), "--resume", "--epochs", "4",
                                   "--data-dir", str(other)])
    fa = data_fingerprint(load_mnist(run3.parent / "mnist", verbose=False))
    fb = data_fingerprint(load_mnist(other, verbose=False))
    assert f"cannot resume {run3}: it was trained on other data (fingerprint {fa[:12]} vs " \
        f"{fb[:12]})" in line
    assert len(load_run(run3)[2]) == 3                 # untouched


def test_resume_with_other_settings_is_refused_naming_them(run3, synthetic_mnist_dir, capsys):
    line = cli_error_line(capsys, ["train", "--out", str(run3), "--resume", "--lr", "0.01",
                                   "--data-dir", str(synthetic_mnist_dir)])
    assert "the settings differ (lr: saved 0.001, given 0.01)" in line


def test_resume_to_fewer_epochs_is_refused(run3, synthetic_mnist_dir, capsys):
    line = cli_error_line(capsys, ["train", "--out", str(run3), "--resume", "--epochs", "2",
                                   "--data-dir", str(synthetic_mnist_dir)])
    assert "it already holds 3 epochs (epochs 3 -> 2)" in line
    assert read_run_record(run3)["epochs"] == 3


def test_resume_to_more_epochs_makes_it_another_run_and_says_so(run3, synthetic_mnist_dir,
                                                                  capsys):
    data = load_mnist(synthetic_mnist_dir, verbose=False)
    before = run_identity(load_run(run3)[0], data_fingerprint(data))
    assert main(["train", "--out", str(run3), "--resume", "--epochs", "5",
                 "--data-dir", str(synthetic_mnist_dir)]) == 0
    assert "was a 3-epoch run; it becomes a 5-epoch run" in capsys.readouterr().out
    rec = read_run_record(run3)
    assert rec["epoch"] == rec["epochs"] == 5
    status, why = committed_run(run3, before)          # no longer the 3-epoch run
    assert status == "other" and "epochs: saved 5, given 3" in why


def test_config_of_one_run_with_the_weights_of_another_is_caught(run3, tmp_path, capsys,
                                                                 synthetic_mnist_dir):
    other = tmp_path / "other"
    assert main(["train", *FAST, "--lr", "0.002", "--epochs", "1", "--data-dir",
                 str(synthetic_mnist_dir), "--out", str(other)]) == 0
    shutil.copy(other / "config.json", run3 / "config.json")
    with pytest.raises(CorruptFileError) as info:
        load_run(run3)
    text = str(info.value)
    assert str(run3 / "model.npz") in text and "does not belong to config.json" in text
    assert "lr: saved 0.001, given 0.002" in text


def test_an_uncommitted_last_epoch_is_committed_on_resume(run3, synthetic_mnist_dir, capsys):
    """A crash between model.npz and run.json: the checkpoint resumes, the record catches up."""
    rec = json.loads((run3 / "run.json").read_text())
    rec["files"]["model.npz"]["sha256"] = "0" * 64            # as if the record were older
    (run3 / "run.json").write_text(json.dumps(rec))
    data = load_mnist(synthetic_mnist_dir, verbose=False)
    ident = run_identity(load_run(run3)[0], data_fingerprint(data))
    assert committed_run(run3, ident) == ("resumable", 3)      # not finished: never reused
    res = train(load_run(run3)[0], data=data, log=QUIET, resume=True)
    assert len(res.history) == 3 and committed_run(run3, ident)[0] == "finished"


@pytest.mark.parametrize("change, needle", [
    ({"epoch": "3"}, "'epoch' must be an integer >= 0"),
    ({"epoch": 4}, "epoch 4 of 3"),
    ({"key": "0" * 64}, "'key' is not the digest of 'identity'"),
    ({"files": {"model.npz": {"size": -1, "sha256": "0" * 64}}}, "entry of 'model.npz'"),
    ({"files": {"../x": {"size": 1, "sha256": "0" * 64}}}, "not a path inside the directory"),
    ({"commit_format": 9}, "commit_format is 9"),
])
def test_a_corrupt_run_json_names_the_field(run3, change, needle):
    path = run3 / "run.json"
    rec = {**json.loads(path.read_text()), **change}
    path.write_text(json.dumps(rec))
    with pytest.raises(CorruptFileError) as info:
        read_run_record(run3)
    assert str(path) in str(info.value) and needle in str(info.value)


def test_checkpoint_identity_survives_numpy_load(run3):
    with np.load(run3 / "model.npz") as z:
        ident = json.loads(str(z["identity"]))
    assert "epochs" not in ident["config"] and len(ident["data"]) == 64


# ------------------------------------------------------------------ inside a reproduction

QUICK = ["--preset", "tiny", "--methods", "none,sparsity", "--epochs", "2"]


def _reproduce(out, data_dir, *extra):
    assert main(["reproduce", *QUICK, "--data-dir", str(data_dir), "--out", str(out),
                 *extra]) == 0
    return json.loads((out / "results.json").read_text())


@pytest.mark.slow
def test_other_data_between_two_invocations_is_never_reused(tmp_path, synthetic_mnist_dir):
    out = tmp_path / "out"
    first = _reproduce(out, synthetic_mnist_dir)
    other = write_synthetic_mnist(tmp_path / "other", n_train=600, n_test=200, seed=7)
    second = _reproduce(out, other)
    assert second["data"]["fingerprint"] != first["data"]["fingerprint"]
    assert second["timing"]["reused_runs"] == 0 and second["timing"]["trained_epochs"] == 4
    runs = [r["run"] for m in second["methods"] for r in m["runs"]]
    assert all(name.endswith(".2") for name in runs)          # beside the first data's runs
    for m in first["methods"]:                                 # which are untouched
        for r in m["runs"]:
            assert read_run_record(out / "runs" / r["run"])["identity"]["data"] == \
                first["data"]["fingerprint"]
    third = _reproduce(out, synthetic_mnist_dir)               # back to the first data
    assert third["timing"]["trained_epochs"] == 0
    assert [r["run"] for m in third["methods"] for r in m["runs"]] == \
        [r["run"] for m in first["methods"] for r in m["runs"]]


@pytest.mark.slow
def test_a_run_extended_by_hand_is_not_used_as_the_shorter_run(tmp_path, synthetic_mnist_dir,
                                                                capsys):
    out = tmp_path / "out"
    first = _reproduce(out, synthetic_mnist_dir)
    name = first["methods"][0]["runs"][0]["run"]
    assert main(["train", "--out", str(out / "runs" / name), "--resume", "--epochs", "4",
                 "--data-dir", str(synthetic_mnist_dir)]) == 0
    capsys.readouterr()
    again = _reproduce(out, synthetic_mnist_dir)
    log = capsys.readouterr().out
    assert f"[{name}] holds another run (the settings differ (epochs: saved 4, given 2))" in log
    assert again["methods"][0]["runs"][0]["run"] == name + ".2"
    assert again["timing"]["trained_epochs"] == 2
    assert read_run_record(out / "runs" / name)["epoch"] == 4          # kept as it is
    assert again["methods"][0]["runs"][0]["targets"] == first["methods"][0]["runs"][0]["targets"]


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["model", "history", "curve"])
def test_a_corrupt_artefact_is_reported_and_recomputed(tmp_path, synthetic_mnist_dir, capsys,
                                                       damage):
    out = tmp_path / "out"
    first = _reproduce(out, synthetic_mnist_dir)
    run = out / "runs" / first["methods"][1]["runs"][0]["run"]
    if damage == "model":
        (run / "model.npz").write_bytes(b"not a zip")
    elif damage == "history":
        h = json.loads((run / "history.json").read_text())
        h["epochs"][0]["seconds"] = "slow"
        (run / "history.json").write_text(json.dumps(h))
    else:
        (run / "curve.json").write_text("{")
    capsys.readouterr()
    again = _reproduce(out, synthetic_mnist_dir)
    log = capsys.readouterr().out
    if damage == "curve":
        assert f"{run / 'curve.json'}: corrupt curve metadata" in log
        assert again["timing"]["trained_epochs"] == 0
    else:
        assert f"[{run.name}] " in log and "moved to " + run.name + ".corrupt-1" in log
        assert (run.parent / (run.name + ".corrupt-1")).is_dir()
        assert again["timing"]["trained_epochs"] == 2
    assert again["methods"] == first["methods"] or \
        [m["summary"] for m in again["methods"]] == [m["summary"] for m in first["methods"]]
