"""examples/publish_results.py: a reproduction's results.json and studies.json become the docs'
summaries (no machine paths, no commit fields) and their PNG figures are copied, writing only
under --out, atomically, with one-line errors for a missing or corrupt input.

The fast tests publish a run directory committed by the package's own writer
(:func:`entropy_ref.reproduce.outputs.commit_output`); the slow one a real ``--preset tiny`` run.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from helpers import EXAMPLES, PNG_SIGNATURE, example_module, repo_env, tiny_reproduce

from entropy_ref.reproduce.outputs import commit_output

SCRIPT = EXAMPLES / "publish_results.py"
PNG = PNG_SIGNATURE + b"\x00" * 32


def _settings(out, data_dir="/work/shared/data/mnist"):
    return {"out": str(out), "preset": "full", "data_dir": data_dir, "seeds": 3}


def fake_run(root, figure=b""):
    """A run directory with a committed results.json and studies.json and one figure each."""
    run = root / "run"
    (run / "figures").mkdir(parents=True)
    for name in ("figure3", "study_long"):
        (run / "figures" / f"{name}.png").write_bytes(PNG + figure)
        (run / "figures" / f"{name}.pdf").write_bytes(b"%PDF-1.4")
    (run / "results.md").write_text("# results\n")
    (run / "studies.md").write_text("# studies\n")
    common = {"settings": _settings(run), "data": {"n_train": 600, "fingerprint": "f" * 64},
              "timing": {"total_seconds": 1.0}, "blas": {"threads": 1}}
    commit_output(run / "results.json",
                  {**common, "methods": [{"label": "none", "runs": []}], "selection": {},
                   "figures": {"figure3": ["figures/figure3.png", "figures/figure3.pdf"]}},
                  ["results.md", "figures/figure3.png", "figures/figure3.pdf"],
                  {"format": 2, "settings": {"seeds": 3}}, "results")
    commit_output(run / "studies.json",
                  {**common, "study": {"studies": ["long"]}, "studies": {}, "long": {"x": 1},
                   "figures": {"study_long": ["figures/study_long.png", "figures/study_long.pdf"]}},
                  ["studies.md", "figures/study_long.png", "figures/study_long.pdf"],
                  {"format": 2, "settings": {"seeds": 3}}, "studies")
    return run


def run_script(*args, cwd):
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], cwd=cwd,
                          env=repo_env(MPLBACKEND="Agg"), capture_output=True, text=True,
                          timeout=120)


def files_under(path):
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def test_publish_writes_summaries_and_figures_without_machine_paths(tmp_path):
    run = fake_run(tmp_path)
    before = files_under(run)
    proc = run_script("--from", run, "--out", tmp_path / "docs", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    docs = tmp_path / "docs"
    assert files_under(docs) == ["img", "img/results", "img/results/figure3.png",
                                 "img/results/study_long.png", "results.json", "studies.json"]
    assert files_under(run) == before                      # the run directory is only read
    assert (docs / "img/results/figure3.png").read_bytes() == PNG
    for kind in ("results", "studies"):
        text = (docs / f"{kind}.json").read_text(encoding="utf-8")
        obj = json.loads(text)
        assert not any(k in obj for k in ("files", "identity", "key", "commit_format", "kind"))
        assert obj["settings"]["out"] == "runs/run" and obj["settings"]["data_dir"] is None
        assert obj["blas"] == {"threads": 1} and obj["package_version"]
        assert "/work" not in text and str(tmp_path) not in text and "shared" not in text
    assert json.loads((docs / "studies.json").read_text())["figures"] == {
        "study_long": ["img/results/study_long.png"]}


def test_without_out_it_checks_and_prints_only(tmp_path):
    run = fake_run(tmp_path)
    proc = run_script("--from", run, cwd=tmp_path)
    assert proc.returncode == 0 and "figure3.png, study_long.png" in proc.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    proc = run_script(cwd=tmp_path)                         # no --from: the usage
    assert proc.returncode == 0 and "--from RUN_DIR --out DOCS_DIR" in proc.stdout


@pytest.mark.parametrize("damage, message", [
    (lambda run: (run / "studies.json").unlink(), "studies.json: no such file"),
    (lambda run: (run / "results.json").write_text("{not json"), "results.json"),
    (lambda run: (run / "figures/figure3.png").write_bytes(b"other"), "figure3.png"),
    (lambda run: (run / "studies.md").unlink(), "studies.md"),
])
def test_a_missing_or_corrupt_input_is_one_line_and_nothing_is_written(tmp_path, damage, message):
    run = fake_run(tmp_path)
    damage(run)
    proc = run_script("--from", run, "--out", tmp_path / "docs", cwd=tmp_path)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.startswith("publish_results: error: ") and proc.stderr.count("\n") == 1
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "docs").exists()


def test_refuses_a_missing_run_directory_and_the_run_directory_as_out(tmp_path):
    proc = run_script("--from", tmp_path / "nowhere", "--out", tmp_path / "docs", cwd=tmp_path)
    assert proc.returncode == 1 and "no such directory" in proc.stderr
    run = fake_run(tmp_path)
    before = (run / "results.json").read_bytes()
    proc = run_script("--from", run, "--out", run, cwd=tmp_path)
    assert proc.returncode == 1 and "is the run directory itself" in proc.stderr
    assert (run / "results.json").read_bytes() == before


def test_a_value_that_looks_like_a_machine_path_is_refused(tmp_path):
    mod = example_module("publish_results")
    record = {"settings": _settings("/work/runs/full"), "figures": {},
              "methods": [{"note": "read from /home/someone/mnist"}]}
    with pytest.raises(mod.PublishError, match=r"methods\[0\]\.note.*/home/someone"):
        mod.summary(record, "results")
    clean = mod.summary({**record, "methods": []}, "results")
    assert clean["settings"] == {"out": "runs/full", "preset": "full", "data_dir": None, "seeds": 3}


def test_republishing_replaces_the_files_atomically(tmp_path):
    run = fake_run(tmp_path)
    docs = tmp_path / "docs"
    mod = example_module("publish_results")
    mod.publish(run, docs, log=lambda line: None)
    first = (docs / "results.json").read_bytes()
    mod.publish(run, docs, log=lambda line: None)               # same run: same bytes
    assert (docs / "results.json").read_bytes() == first
    assert not [p for p in docs.rglob(".*.part")]                # no temporary file left


@pytest.mark.slow
def test_publishes_a_real_tiny_reproduction(tmp_path, synthetic_mnist_dir):
    out = tmp_path / "runs" / "tiny"
    assert tiny_reproduce(out, synthetic_mnist_dir) == 0
    assert tiny_reproduce(out, synthetic_mnist_dir, "--study", "layout") == 0
    proc = run_script("--from", out, "--out", tmp_path / "docs", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    res = json.loads((tmp_path / "docs/results.json").read_text())
    studies = json.loads((tmp_path / "docs/studies.json").read_text())
    assert res["settings"]["out"] == "runs/tiny" and res["methods"] and "layout" in studies
    for obj in (res, studies):
        for paths in obj["figures"].values():
            assert (tmp_path / "docs" / paths[0]).read_bytes()[:8] == PNG_SIGNATURE
    assert str(tmp_path) not in json.dumps([res, studies])
