"""The regime study (entropy_ref.reproduce.studies.regime): the per-level lambda selection, the
verdict facts read from its JSON, its settings, the published-results record, and the study end
to end on synthetic data with the tiny preset (slow: it trains)."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import PNG_SIGNATURE, repo_env, tiny_reproduce, wait_for_line

from entropy_ref.cli import main
from entropy_ref.data import load_mnist, write_synthetic_mnist
from entropy_ref.reproduce import PRESETS, ReproSettings
from entropy_ref.reproduce.runstore import RunStore
from entropy_ref.reproduce.select import selection_config
from entropy_ref.reproduce.studies import STUDY_PRESETS, Context, StudySettings, fair
from entropy_ref.reproduce.studies import regime as regime_study
from entropy_ref.reproduce.studies.published import (DIFFERENCES, PUBLISHED, published_table)
from entropy_ref.reproduce.studies.regime import choose
from entropy_ref.reproduce.studies.regime_report import (best_series, budgets, protocol_values,
                                                         verdict_facts, welch)
from entropy_ref.reproduce.studies.report import TABLES, tables
from entropy_ref.reproduce.summary import render_markdown

REPO_ROOT = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------------------- selection

def _rows(table):
    """Selection rows from ``{lam: {level: accuracy}}``."""
    return [{"lam": lam, "levels": {lv: {"finetuned_accuracy": {"2": acc}}
                                    for lv, acc in by_level.items()}}
            for lam, by_level in table.items()]


def test_each_level_gets_the_lambda_with_the_best_fine_tuned_validation_accuracy():
    rows = _rows({1e-5: {"90": 0.970, "99": 0.600},
                  1e-4: {"90": 0.965, "99": 0.800},
                  1e-3: {"90": 0.900, "99": 0.810}})
    assert choose(rows, (90.0, 99.0)) == {"90": 1e-5, "99": 1e-3}


def test_a_tie_goes_to_the_smaller_lambda_whatever_the_grid_order():
    rows = _rows({3.0: {"95": 0.95}, 0.3: {"95": 0.95}, 1.0: {"95": 0.95}, 0.1: {"95": 0.94}})
    assert choose(rows, (95.0,)) == {"95": 0.3}


# ---------------------------------------------------------------------------- verdict facts

def _regime(acc, iterative=("none", "sparsity")):
    """A hand-made regime record: ``acc[method][level] = {protocol: [3 seeds]}``."""
    levels = [90.0, 99.0]
    cycles_at = {90.0: 4, 99.0: 8}
    cells, its = {}, {}
    for m, by_level in acc.items():
        cells[m] = {}
        for lv in levels:
            a = by_level[lv]
            cells[m][f"{lv:g}"] = {"lam": None if m == "none" else 0.1, "runs": [
                {"run": f"{m}-{s}", "seed": s, "oneshot_accuracy": a["oneshot"][s],
                 "finetuned_accuracy": {"2": a["finetuned_2"][s], "10": a["finetuned_10"][s]}}
                for s in range(3)]}
        if m in iterative:
            its[m] = {"lam": None, "rankings": {r: {"runs": [{"run": f"{m}-{s}", "seed": s,
                                                              "cycles": [
                {"cycle": 1, "level": None, "retrain_epochs": 1, "accuracy": 0.5}]
                + [{"cycle": cycles_at[lv], "level": lv, "retrain_epochs": cycles_at[lv],
                    "accuracy": by_level[lv][f"iterative_{r}"][s]} for lv in levels]}
                for s in range(3)]} for r in ("magnitude", "sensitivity")}}
    return {"levels": levels, "methods": list(acc), "cells": cells, "iterative": its,
            "protocol": {"train_epochs": 20, "finetune_epochs": [2, 10], "cycle_epochs": 1}}


def _cell(base, spread=0.002):
    return [base - spread, base, base + spread]


def _method(one, ft2, ft10, mag=None, sens=None):
    out = {"oneshot": _cell(one), "finetuned_2": _cell(ft2), "finetuned_10": _cell(ft10)}
    if mag is not None:
        out.update(iterative_magnitude=_cell(mag), iterative_sensitivity=_cell(sens))
    return out


@pytest.fixture
def regime():
    return _regime({
        "none": {90.0: _method(0.40, 0.94, 0.96, 0.97, 0.965),
                 99.0: _method(0.12, 0.43, 0.60, 0.70, 0.72)},
        "sparsity": {90.0: _method(0.87, 0.96, 0.965, 0.966, 0.96),
                     99.0: _method(0.24, 0.87, 0.90, 0.85, 0.86)},
        "l1": {90.0: _method(0.95, 0.97, 0.971, None),
               99.0: _method(0.19, 0.74, 0.80, None)}})


def test_protocol_values_and_budgets_come_from_the_record(regime):
    vals = protocol_values(regime, "sparsity", 99.0)
    assert vals["finetuned_10"] == pytest.approx(_cell(0.90), abs=1e-12)
    assert vals["iterative_sensitivity"] == pytest.approx(_cell(0.86), abs=1e-12)
    assert "iterative_magnitude" not in protocol_values(regime, "l1", 99.0)
    assert budgets(regime, 90.0) == {"oneshot": 20, "finetuned_2": 22, "finetuned_10": 30,
                                     "iterative_magnitude": 24, "iterative_sensitivity": 24}
    assert budgets(regime, 99.0)["iterative_magnitude"] == 28


def test_the_best_protocol_of_each_method_and_level(regime):
    series = best_series(regime)
    assert [(p[0], p[1]) for p in series["none"]] == [(90.0, "iterative_magnitude"),
                                                     (99.0, "iterative_sensitivity")]
    assert series["sparsity"][1][1] == "finetuned_10"
    assert series["sparsity"][1][2] == pytest.approx(0.90, abs=1e-12)
    assert series["l1"][0][3] == pytest.approx(0.002, abs=1e-12)       # std over the seeds


def test_verdict_facts_say_where_the_method_leads_and_whether_it_is_noise(regime):
    facts = verdict_facts(regime, "sparsity")
    assert facts["leads_at"] == ["99"] and facts["leads_outside_noise_at"] == ["99"]
    at99 = facts["levels"]["99"]["best"]
    assert at99["rival"] == "l1" and at99["diff"] == pytest.approx(0.10, abs=1e-12)
    assert at99["p"] < 0.05 and not at99["within_noise"]
    at90 = facts["levels"]["90"]
    assert at90["best"]["leader"] == "l1" and not at90["best"]["leads"]   # 0.971 vs 0.970
    assert at90["finetuned_2"]["leader"] == "l1"
    # per protocol: after 2 epochs of fine-tuning at 99%, sparsity leads l1 by 0.13
    assert facts["levels"]["99"]["finetuned_2"]["diff"] == pytest.approx(0.13, abs=1e-12)


def test_equal_budget_compares_iterative_with_a_fine_tune_at_least_as_long(regime):
    eb = verdict_facts(regime)["equal_budget"]
    cell = eb["99"]["none"]["magnitude"]
    assert cell["finetune"] == "finetuned_10" and cell["iterative_epochs"] == 28
    assert cell["finetune_epochs"] == 30 and cell["diff"] == pytest.approx(0.10, abs=1e-12)
    assert "l1" not in eb["99"]                     # no iterative run from l1


def test_welch_calls_a_difference_inside_the_seeds_spread_noise():
    close = welch([0.90, 0.92, 0.94], [0.91, 0.93, 0.92])
    assert close["within_noise"] and close["p"] > 0.05
    assert welch([0.9, 0.9, 0.9], [0.9, 0.9, 0.9])["within_noise"]


# --------------------------------------------------------------------------------- settings

@pytest.mark.parametrize("kwargs, message", [
    (dict(regime_levels=(99.0, 90.0)), "regime_levels must be increasing"),
    (dict(regime_levels=(90.0, 100.0)), "regime_levels must be a list of percentages"),
    (dict(regime_grid=(("none", (1.0,)),)), "must not hold 'none'"),
    (dict(regime_finetune_epochs=(10, 2)), "regime_finetune_epochs must be increasing"),
    (dict(regime_finetune_epochs=()), "non-empty list of epochs"),
    (dict(regime_finetune_epochs="2"), "non-empty list of epochs"),
    (dict(regime_finetune_epochs=(2, 2.5)), "regime_finetune_epochs must be an integer"),
    (dict(regime_fraction=1.0), "regime_fraction must be a share in"),
    (dict(regime_fraction=True), "regime_fraction"),
    (dict(regime_select_epochs=0), "regime_select_epochs must be an integer >= 1"),
    (dict(regime_iterative_level=42.0), "regime_iterative_level must be one of regime_levels"),
    (dict(regime_iterative_methods=("foo",)), "unknown method 'foo'"),
])
def test_bad_regime_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        StudySettings(**kwargs)


def test_levels_the_network_cannot_tell_apart_are_refused(tmp_path):
    study = StudySettings(studies=("regime",), regime_levels=(99.999, 99.9995),
                          regime_iterative_level=99.999)
    settings = ReproSettings(out=str(tmp_path), **PRESETS["tiny"])
    with pytest.raises(ValueError, match="do not each remove more"):
        study.check_protocol(settings)


def test_the_small_presets_reuse_the_fair_selection_runs():
    for preset in ("quick", "tiny"):
        s = StudySettings(**STUDY_PRESETS[preset])
        assert s.regime_grid == s.fair_grid
    full = StudySettings()
    for (reg, grid), (reg2, fair) in zip(full.regime_grid, full.fair_grid):
        assert reg == reg2 and set(fair) <= set(grid)
    strongest = {reg: max(grid) for reg, grid in full.regime_grid}
    assert strongest["l1"] >= 3e-3 and strongest["hoyer"] >= 3e-4 and strongest["rayleigh"] >= 30
    assert strongest["sparsity"] >= 3 and strongest["loghoyer"] >= 3


# ------------------------------------------------------------------------ published results

def _renderings(value):
    return {f"{value:g}", f"{value / 1000:g}K", f"{value:,}"}


def test_every_published_number_has_its_source_quoted():
    numbers = 0
    for rec in PUBLISHED:
        assert "arXiv" in rec["paper"] and rec["where"] and rec["method"]
        for name, entry in rec.items():
            if name == "training" or not isinstance(entry, dict):
                continue
            assert set(entry) >= {"value", "quote"}
            assert any(text in entry["quote"] for text in _renderings(entry["value"])), \
                (rec["method"], name)
            numbers += 1
        training = rec["training"]
        assert training["quote"] or training.get("missing")
        if all(rec[k] is None for k in ("error_percent", "weights_kept", "compression")):
            assert rec.get("missing"), rec["paper"]           # said, not guessed
    assert numbers >= 9 and len(DIFFERENCES) >= 3


def test_the_published_table_and_the_differences_are_on_the_results_page():
    page = (REPO_ROOT / "docs" / "results.md").read_text(encoding="utf-8")
    assert render_markdown(*published_table()) in page
    flat = " ".join(page.split())
    assert all(" ".join(d.split()) in flat for d in DIFFERENCES)


# ------------------------------------------------------------------------ end to end (slow)

@pytest.fixture(scope="module")
def tiny_regime(tmp_path_factory):
    """The fair study, then the regime study, tiny preset, synthetic data."""
    root = tmp_path_factory.mktemp("regime")
    data_dir = write_synthetic_mnist(root / "mnist", n_train=600, n_test=200, seed=0)
    out = root / "out"
    assert tiny_reproduce(out, data_dir, "--study", "fair") == 0
    fair_runs = {p.name for p in (out / "runs").iterdir()}
    assert tiny_reproduce(out, data_dir, "--study", "regime") == 0
    return out, data_dir, fair_runs, json.loads((out / "studies.json").read_text())


@pytest.mark.slow
def test_the_regime_study_writes_its_tables_figure_and_record(tiny_regime):
    out, _, _, res = tiny_regime
    reg = res["regime"]
    assert set(reg) >= {"levels", "methods", "grid", "tie_rule", "selection", "cells",
                        "iterative", "protocol", "seconds"}
    assert reg["levels"] == [50.0, 90.0] and reg["methods"][0] == "none"
    rendered = tables(res)
    assert {"regime", "regime_chosen", "regime_selection", "published"} <= set(rendered)
    md = (out / "studies.md").read_text()
    assert all(rendered[k] in md for k in rendered if TABLES[k][1] == "regime")
    assert (out / "figures" / "study_regime.png").read_bytes()[:8] == PNG_SIGNATURE
    assert (out / "figures" / "study_regime.pdf").read_bytes()[:4] == b"%PDF"
    for method in reg["methods"]:
        for level, cell in reg["cells"][method].items():
            assert len(cell["runs"]) == 1 and "_val0" in cell["runs"][0]["run"]
            assert set(cell["runs"][0]["finetuned_accuracy"]) == {"1", "2"}
            assert set(cell["summary"]) == {"oneshot", "finetuned_1", "finetuned_2"}
    assert set(reg["iterative"]) == set(reg["methods"])           # the tiny preset: every one


@pytest.mark.slow
def test_the_selection_reuses_the_fair_runs_and_follows_the_rule(tiny_regime):
    _, _, fair_runs, res = tiny_regime
    reg = res["regime"]
    for method, sel in reg["selection"].items():
        assert {r["run"] for r in sel["rows"]} <= fair_runs        # trained by fair, reused
        assert sel["chosen"] == choose(sel["rows"], reg["levels"])
        for level, lam in sel["chosen"].items():
            assert reg["cells"][method][level]["lam"] == lam
    n_kept = {c["level"]: c["n_kept"] for c in
              reg["iterative"]["none"]["rankings"]["magnitude"]["runs"][0]["cycles"]
              if c["level"] is not None}
    for level, cell in reg["cells"]["none"].items():
        assert cell["runs"][0]["n_kept"] == n_kept[float(level)]   # same count, both protocols


@pytest.mark.slow
def test_the_regime_study_resumes_without_work_and_recomputes_a_corrupt_result(tiny_regime,
                                                                              tmp_path):
    out, data_dir, _, first = tiny_regime
    copy = tmp_path / "again"
    shutil.copytree(out, copy)
    files = sorted((copy / "runs").glob("*/regime_*.json"))
    before = {p: p.read_bytes() for p in files}
    assert tiny_reproduce(copy, data_dir, "--study", "regime") == 0
    again = json.loads((copy / "studies.json").read_text())
    assert again["timing"]["trained_epochs"] == 0
    assert all(p.read_bytes() == b for p, b in before.items())       # nothing recomputed
    strip = {k: v for k, v in first["regime"].items() if k != "seconds"}
    assert {k: v for k, v in again["regime"].items() if k != "seconds"} == strip
    victim = next(p for p in files if "regime_finetune" in p.name)
    victim.write_text("{not json")
    assert tiny_reproduce(copy, data_dir, "--study", "regime") == 0
    assert victim.read_bytes() == before[victim]                    # the same result again


def _regime_files(out):
    """``{relative path: bytes}`` of every committed regime result under ``out/runs``."""
    return {p.relative_to(out).as_posix(): p.read_bytes()
            for p in sorted((out / "runs").glob("*/regime_*.json"))}


def _without_seconds(rec):
    return {k: v for k, v in rec.items() if k != "seconds"}


@pytest.mark.slow
def test_two_worker_processes_give_the_same_numbers_and_do_the_work(tiny_regime, tmp_path,
                                                                    capsys):
    out, data_dir, _, first = tiny_regime
    capsys.readouterr()
    assert tiny_reproduce(tmp_path / "jobs2", data_dir, "--study", "regime", "--jobs", "2") == 0
    log = capsys.readouterr().out
    again = json.loads((tmp_path / "jobs2" / "studies.json").read_text())
    assert _without_seconds(again["regime"]) == _without_seconds(first["regime"])
    files = _regime_files(tmp_path / "jobs2")
    assert files == _regime_files(out) and len(files) > 20          # byte for byte
    started = [line for line in log.splitlines() if line.startswith("[started]")]
    for unit in ("(training)", "(regime select)", "(regime finetune)",
                 "(regime iterative magnitude)", "(regime iterative sensitivity)"):
        assert any(f"{unit} (worker pid" in line for line in started), unit
    assert "[failed]" not in log and "[skipped]" not in log
    # every result was computed by a worker: one started line per unit of results
    units = {line.split("(worker pid")[0] for line in started if "(regime " in line}
    per_run = {}
    for name in files:
        run, kind = name.split("/")[1], name.split("/")[2].split("_")[1]
        per_run.setdefault(run, set()).add(kind)
    assert len(units) == sum(len(k) + ("iterative" in k) for k in per_run.values())


def _committed_units(paths, n_levels):
    """``{(run, unit)}`` of the units whose every result is among ``paths`` (``unit`` as the
    log names it after ``(``: ``regime select``, ``regime iterative magnitude``, ...)."""
    count = {}
    for p in paths:
        kind, tag = p.name.split("_")[1:3]
        unit = f"(regime {kind}" + (f" {tag}" if kind == "iterative" else "")
        count[(p.parent.name, unit)] = count.get((p.parent.name, unit), 0) + 1
    return {key for key, n in count.items() if "iterative" in key[1] or n == n_levels}



@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGINT"), reason="POSIX signals needed")
def test_ctrl_c_under_two_jobs_in_the_regime_study_then_the_same_command_resumes(tiny_regime,
                                                                                 tmp_path,
                                                                                 capsys):
    out, data_dir, _, first = tiny_regime
    copy = tmp_path / "out"
    shutil.copytree(out, copy, ignore=shutil.ignore_patterns("regime_*.json", "studies.*"))
    argv = ["reproduce", "--out", str(copy), "--preset", "tiny", "--data-dir", str(data_dir),
            "--study", "regime", "--jobs", "2"]
    proc = subprocess.Popen([sys.executable, "-m", "entropy_ref", *argv],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=repo_env(PYTHONUNBUFFERED="1"))
    lines = []
    wait_for_line(proc, "(regime select) in ", lines)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "Traceback" not in err, err
    assert not list(copy.rglob("*.part"))
    committed = {p: (p.stat().st_ino, p.stat().st_mtime_ns, p.read_bytes())
                 for p in copy.glob("runs/*/regime_*.json")}
    assert 0 < len(committed) < len(_regime_files(out))             # stopped part-way
    capsys.readouterr()
    assert main(argv) == 0
    log = capsys.readouterr().out
    for p, (ino, mtime, data) in committed.items():                 # kept, not written again
        assert (p.stat().st_ino, p.stat().st_mtime_ns, p.read_bytes()) == (ino, mtime, data)
    done = _committed_units(committed, len(first["regime"]["levels"]))
    resumed = re.findall(r"^\[started\] (\S+) (\(regime [a-z ]+)\) \(worker pid", log,
                         re.MULTILINE)
    assert resumed and not set(resumed) & done                     # no committed unit again
    again = json.loads((copy / "studies.json").read_text())
    assert _without_seconds(again["regime"]) == _without_seconds(first["regime"])
    assert _regime_files(copy) == _regime_files(out)


# -------------------------------------------------------------------------------- estimate

def _context(out, data_dir, studies):
    settings = ReproSettings(out=str(out), preset="tiny", **PRESETS["tiny"])
    study = StudySettings(**{**STUDY_PRESETS["tiny"], "studies": studies})
    data = load_mnist(data_dir, verbose=False)
    return Context(settings, study, RunStore(out / "runs", data, lambda *a: None), data,
                   lambda *a: None)


def test_the_estimate_does_not_count_the_fair_studys_trainings_twice(tmp_path):
    data_dir = write_synthetic_mnist(tmp_path / "mnist", n_train=600, n_test=200, seed=0)
    alone = regime_study.estimate(_context(tmp_path / "a", data_dir, ("regime",)))
    ctx = _context(tmp_path / "b", data_dir, ("fair", "regime"))
    fs = fair.fair_settings(ctx)             # the tiny preset: the regime grids are the fair ones
    shared = sum(ctx.cost(c, curve=False) for c in
                 [selection_config(fs, reg, lam) for reg, grid in ctx.study.regime_grid
                  for lam in grid]
                 + [ctx.train_config("none", 0.0, s) for s in range(ctx.settings.seeds)])
    assert alone > regime_study.estimate(ctx) > 0
    assert alone - regime_study.estimate(ctx) == pytest.approx(shared, rel=1e-9)
    assert fair.estimate(ctx) >= shared              # counted there instead


@pytest.mark.slow
def test_nothing_is_left_to_estimate_once_the_study_ran(tiny_regime):
    out, data_dir, _, _ = tiny_regime
    assert regime_study.estimate(_context(out, data_dir, ("regime",))) == 0.0
