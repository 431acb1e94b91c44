"""``reproduce --jobs N`` (``entropy_ref.reproduce.jobs``): independent runs in worker processes give
the numbers of one process bit for bit (weights, curves, results.json minus timings), Ctrl-C stops
every worker and the same command resumes, and the BLAS setting is recorded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from entropy_ref.cli import main
from entropy_ref.data import load_mnist, write_synthetic_mnist
from entropy_ref.reproduce.blas import BLAS_ENV, check_jobs
from entropy_ref.reproduce.jobs import Pool
from entropy_ref.reproduce.runstore import RunStore
from entropy_ref.reproduce.outputs import read_output
from helpers import (cli_error_line, comparable, repo_env, same_run_files, tiny_reproduce,
                     wait_for_line)

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGINT"), reason="POSIX signals needed")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return write_synthetic_mnist(tmp_path_factory.mktemp("mnist"), n_train=600, n_test=200,
                                 seed=0)


@pytest.fixture(scope="module")
def serial(data_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial") / "out"
    assert tiny_reproduce(out, data_dir, "--lambda-sweep") == 0
    return out


@pytest.mark.slow
def test_two_jobs_give_the_numbers_of_one_bit_for_bit(serial, data_dir, tmp_path):
    out = tmp_path / "out"
    assert tiny_reproduce(out, data_dir, "--lambda-sweep", "--jobs", "2") == 0
    a, b = read_output(serial / "results.json", "results"), read_output(out / "results.json",
                                                                         "results")
    assert comparable(a) == comparable(b)
    assert a["timing"]["jobs"] == 1 and b["timing"]["jobs"] == 2
    assert a["blas"]["threads"] == b["blas"]["threads"] == 1
    assert b["timing"]["trained_epochs"] == a["timing"]["trained_epochs"] > 0
    runs = sorted(p.name for p in (serial / "runs").iterdir())
    assert runs == sorted(p.name for p in (out / "runs").iterdir())
    for name in runs:
        same_run_files(serial / "runs" / name, out / "runs" / name)


@pytest.mark.slow
def test_two_jobs_for_the_studies(data_dir, tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    for out, jobs in ((one, "1"), (two, "2")):
        assert tiny_reproduce(out, data_dir, "--study", "fair,finetune", "--jobs", jobs) == 0
    a, b = (read_output(o / "studies.json", "studies") for o in (one, two))
    assert comparable(a) == comparable(b)
    for name in sorted(p.name for p in (one / "runs").iterdir()):
        same_run_files(one / "runs" / name, two / "runs" / name)


class _Mark:
    """A step that leaves a file named after itself in ``folder`` (or fails, ``fail=True``)."""

    def __init__(self, folder, key, name, after, fail=False):
        self.folder, self.key, self.name, self.after = str(folder), key, name, after
        self.fail, self.estimate = fail, 1.0

    def run(self, env):
        if self.fail:
            raise RuntimeError("this step fails")
        (Path(self.folder) / self.name).write_text("done")


class _Fan:
    """A task of one first step and two steps that wait for it (and not for each other)."""

    def __init__(self, folder, name, fail=False):
        self.name, self.estimate = name, 3.0
        self._parts = [_Mark(folder, name, f"{name}-first", None, fail),
                       _Mark(folder, name, f"{name}-a", 0), _Mark(folder, name, f"{name}-b", 0)]

    def pending(self, store, settings=None, study=None):
        return True

    def parts(self, store, settings=None, study=None):
        return self._parts


@pytest.mark.slow
def test_steps_that_wait_for_one_step_run_after_it_and_not_after_a_failure(data_dir, tmp_path):
    store = RunStore(tmp_path / "runs", load_mnist(data_dir), log=lambda *a: None)
    lines = []
    pool = Pool(2, store, None, log=lines.append)
    try:
        pool.run([_Fan(tmp_path, "ok"), _Fan(tmp_path, "broken", fail=True)])
    finally:
        pool.close()
    assert sorted(p.name for p in tmp_path.glob("ok-*")) == ["ok-a", "ok-b", "ok-first"]
    assert not list(tmp_path.glob("broken-*"))
    log = "\n".join(lines)
    assert "[failed] broken-first: RuntimeError: this step fails" in log
    for name in ("broken-a", "broken-b"):
        assert f"[skipped] {name}: it waits for broken-first, which failed" in log
    starts = [line for line in lines if line.startswith("[started]")]
    assert len(starts) == 4 and "6 of 6 steps done" in log
    first = next(i for i, line in enumerate(lines) if "[finished] ok-first" in line)
    assert all(i > first for i, line in enumerate(lines) if line.startswith("[started] ok-a")
               or line.startswith("[started] ok-b"))


def test_a_runs_curves_step_waits_for_its_training_step(data_dir, tmp_path):
    from entropy_ref.reproduce.tasks import RunTask
    from entropy_ref.train import TrainConfig

    store = RunStore(tmp_path / "runs", load_mnist(data_dir), log=lambda *a: None)
    config = TrainConfig(reg="none", epochs=1, hidden=(8,), batch_size=50, data_dir=str(data_dir))
    task = RunTask(config, (("test", 5.0, "train", (0.9,)),), (1.0, 1.0))
    training, curves = task.parts(store)
    assert (training.kind, training.after) == ("training", None)
    assert (curves.kind, curves.after) == ("curves", 0)
    store.ensure(config)                          # trained: only the curves are left to do
    (only,) = task.parts(store)
    assert (only.kind, only.after) == ("curves", None)


@pytest.mark.slow
def test_under_two_jobs_a_runs_curves_start_after_its_training_ends(data_dir, tmp_path, capsys):
    assert tiny_reproduce(tmp_path / "out", data_dir, "--jobs", "2") == 0
    lines = capsys.readouterr().out.splitlines()
    trained = [line.split("] ", 1)[1].split(" (training)")[0] for line in lines
               if line.startswith("[finished]") and "(training)" in line]
    assert trained
    for name in trained:
        end = next(i for i, line in enumerate(lines)
                   if line.startswith(f"[finished] {name} (training)"))
        start = next(i for i, line in enumerate(lines)
                     if line.startswith(f"[started] {name} (curves)"))
        assert start > end, name


def test_a_step_waiting_for_itself_or_a_later_step_is_refused(data_dir, tmp_path):
    store = RunStore(tmp_path / "runs", load_mnist(data_dir), log=lambda *a: None)
    fan = _Fan(tmp_path, "loop")
    fan._parts[1].after = 1
    pool = Pool(2, store, None, log=lambda *a: None)
    try:
        with pytest.raises(ValueError, match="'loop-a' waits for step 1 of its task; it can "
                                             "wait only for one of the 1 before it"):
            pool.run([fan])
    finally:
        pool.close()
    assert not list(tmp_path.glob("loop-*"))


def test_jobs_below_one_is_refused(tmp_path, data_dir, capsys):
    line = cli_error_line(capsys, ["reproduce", "--preset", "tiny", "--data-dir", str(data_dir),
                                   "--out", str(tmp_path / "o"), "--jobs", "0"], "reproduce")
    assert "--jobs must be an integer >= 1" in line
    with pytest.raises(ValueError, match="jobs must be an integer >= 1"):
        check_jobs(True)


def test_a_worker_runs_its_blas_with_one_thread():
    code = ("import numpy; from threadpoolctl import threadpool_info; "
            "print(sorted({i['num_threads'] for i in threadpool_info()}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=repo_env(**BLAS_ENV), check=True)
    assert out.stdout.strip() == "[1]"



@pytest.mark.slow
def test_ctrl_c_under_two_jobs_stops_every_worker_and_the_same_command_resumes(tmp_path):
    data = write_synthetic_mnist(tmp_path / "mnist", n_train=3000, n_test=200, seed=4)
    argv = ["reproduce", "--preset", "tiny", "--data-dir", str(data), "--epochs", "6",
            "--out", str(tmp_path / "out")]
    proc = subprocess.Popen([sys.executable, "-m", "entropy_ref", *argv, "--jobs", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=repo_env(PYTHONUNBUFFERED="1"))
    lines = []
    wait_for_line(proc, "[finished]", lines)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    lines.append(out)
    assert proc.returncode == 130, err
    assert "Traceback" not in err, err
    workers = {int(line.rsplit("pid ", 1)[1].rstrip(")\n")) for line in lines
               for line in line.splitlines() if "[started]" in line}
    assert workers
    time.sleep(0.5)
    for pid in workers:                        # every worker has ended
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert not list((tmp_path / "out").rglob("*.part"))
    assert not (tmp_path / "out" / "results.json").exists()
    # the same command continues; the numbers are those of an uninterrupted single process
    assert main([*argv, "--jobs", "2"]) == 0
    assert main([*argv[:-1], str(tmp_path / "ref")]) == 0
    resumed = read_output(tmp_path / "out" / "results.json", "results")
    ref = read_output(tmp_path / "ref" / "results.json", "results")
    assert comparable(resumed) == comparable(ref)
    assert resumed["timing"]["reused_runs"] > 0


@pytest.mark.slow
def test_a_worker_killed_from_outside_is_one_line_and_the_same_command_resumes(tmp_path):
    data = write_synthetic_mnist(tmp_path / "mnist", n_train=3000, n_test=200, seed=4)
    argv = ["reproduce", "--preset", "tiny", "--data-dir", str(data), "--epochs", "6",
            "--methods", "none,sparsity,entropy", "--out", str(tmp_path / "out")]
    proc = subprocess.Popen([sys.executable, "-m", "entropy_ref", *argv, "--jobs", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=repo_env(PYTHONUNBUFFERED="1"))
    lines = []
    wait_for_line(proc, "[started]", lines)
    pid = int(lines[-1].rsplit("pid ", 1)[1].rstrip(")\n"))
    os.kill(pid, signal.SIGKILL)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and "Traceback" not in err, err
    err = [s for s in err.splitlines() if not s.startswith("entropy_ref: note:")]
    assert len(err) == 1 and f"worker process {pid} ended unexpectedly" in err[0], err
    assert main([*argv, "--jobs", "2"]) == 0
    assert read_output(tmp_path / "out" / "results.json", "results") is not None
