"""docs/results.md agrees with docs/studies.json (the studies' summary, committed beside it).

* Every table the studies produce, rendered from ``docs/studies.json`` by the same functions that
  wrote the run's ``studies.md`` (:mod:`entropy_ref.reproduce.studies.report`), appears verbatim on
  the page: every table of every study the JSON holds, none skipped (a study added to the JSON,
  such as the regime map, makes its tables required on the page).
* Numbers quoted in the prose of the study sections are recomputed from the JSON
  (:func:`prose_numbers`) and must appear on the page as written; the claims of the verdicts are
  checked on the JSON.

The paper-protocol sections are checked against docs/results.json by tests/test_results_doc.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from entropy_ref.reproduce.studies.report import TABLES, tables
from entropy_ref.reproduce.studies import regime_report
from entropy_ref.reproduce.studies.regime_report import published
from entropy_ref.reproduce.summary import fmt_acc, fmt_count, mean_std, render_markdown

REPO_ROOT = Path(__file__).resolve().parent.parent
PAGE = REPO_ROOT / "docs" / "results.md"
DATA = REPO_ROOT / "docs" / "studies.json"
#: the studies every published studies.json holds (more may follow: see required_tables)
STUDIES = ("fair", "ablation", "finetune", "layout", "long")


@pytest.fixture(scope="module")
def results():
    return json.loads(DATA.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def page():
    return PAGE.read_text(encoding="utf-8")


def required_tables(results):
    """Names of every table of :data:`TABLES` whose study the results hold."""
    return {name for name, (_, study) in TABLES.items() if study in results}


def _method(res, study, label):
    recs = res[study]["methods"] + ([res[study]["dense"]] if "dense" in res[study] else [])
    if study == "layout":
        recs = [res["layout"]["variant"]]
    return next(m for m in recs if m["label"] == label)


def _count(m, target, std=True):
    cell = m["summary"]["targets"][f"{target:g}"]
    if not std:
        return f"{cell['mean']:,.0f}"
    return fmt_count(cell)


def _acc(m):
    return fmt_acc(m["summary"]["final_accuracy"]) + "%"


def _ft(res, label, level, std=True):
    m = next(m for m in res["finetune"]["methods"] if m["label"] == label)
    cell = m["summary"][f"{level:g}"]["finetuned_accuracy"]
    return (fmt_acc(cell) if std else f"{100 * cell['mean']:.2f}") + "%"


def prose_numbers(res):
    """``(text, what)``: numbers the prose of the study sections states, formatted from the JSON."""
    fair = lambda label: _method(res, "fair", label)                      # noqa: E731
    abl = lambda reg: _method(res, "ablation", f"{reg} (λ=1)")           # noqa: E731
    out = [(_count(fair("none"), 0.9), "dense, 90%"),
           (_count(abl("loghoyer"), 0.9), "loghoyer λ=1, 90%"),
           (_count(abl("loghoyer"), 0.9, False), "loghoyer λ=1, 90% (mean)"),
           (_count(abl("rayleigh"), 0.9), "rayleigh λ=1, 90%"),
           (_count(abl("sparsity"), 0.9, False), "sparsity λ=1, 90%"),
           (_acc(abl("loghoyer")), "loghoyer λ=1, unpruned"),
           (_acc(abl("rayleigh")), "rayleigh λ=1, unpruned"),
           (_acc(abl("sparsity")), "sparsity λ=1, unpruned"),
           (_acc(fair("sparsity")), "sparsity tuned, unpruned"),
           (_acc(fair("loghoyer")), "loghoyer tuned, unpruned"),
           (_count(fair("sparsity"), 0.96), "sparsity tuned, 96%"),
           (_count(fair("loghoyer"), 0.96), "loghoyer tuned, 96%"),
           (_count(fair("sparsity"), 0.9), "sparsity tuned, 90%")]
    for label in ("l1", "hoyer", "sparsity"):
        out.append((_count(fair(label), 0.96, False), f"{label} tuned, 96% (mean)"))
        ratio = fair(label)["summary"]["targets"]["0.96"]["ratio_to_dense"]
        out.append((f"{ratio:.3f}×", f"{label} tuned, 96% ÷ dense"))
    rf = res["layout"]["variant"]
    out += [(_count(rf, 0.96), "receptive field, 96%"), (_count(rf, 0.9), "receptive field, 90%"),
            (_acc(rf), "receptive field, unpruned")]
    for label, level, std in (("none", 98, False), ("l1", 98, False), ("sparsity (λ=1)", 98, False),
                              ("sparsity (λ=1)", 97, True), ("l1", 97, True),
                              ("sparsity (λ=1)", 98, True), ("l1", 98, True),
                              ("sparsity (λ=1)", 99, True), ("l1", 99, True)):
        out.append((_ft(res, label, level, std), f"fine-tuned {label} at {level}% removed"))
    lg = res["long"]
    at = {m["short_label"]: m for m in lg["methods"]}
    out += [(_acc(lg["dense"]), "dense at 60 epochs, unpruned"),
            (_count(lg["dense"], 0.96, False), "dense at 60 epochs, 96%"),
            (_count(at["l1"], 0.96, False), "l1 at 60 epochs, 96%"),
            (_count(at["sparsity"], 0.96, False), "sparsity at 60 epochs, 96%"),
            (_count(at["sparsity"], 0.97, False), "sparsity at 60 epochs, 97%"),
            (_count(at["hoyer"], 0.97, False), "hoyer at 60 epochs, 97%"),
            (f"{at['l1']['summary']['targets']['0.96']['ratio_to_dense']:.3f}×",
             "l1 at 60 epochs ÷ dense"),
            (f"{at['sparsity']['summary']['targets']['0.96']['ratio_to_dense']:.3f}×",
             "sparsity at 60 epochs ÷ dense"),
            (f"({_count(lg['dense'], 0.96, False)} against "
             f"{_count({'summary': lg['short_same_seeds']['none']}, 0.96, False)})", "dense 60 vs 20 epochs, 96%"),
            (f"dense {_acc({'summary': lg['short_same_seeds']['none']})} → {_acc(lg['dense'])}",
             "dense 20 → 60 epochs, unpruned")]
    rows = {(r["model"], r["layer"]): r for r in res["layout"]["permutations"]}
    gap = rows[("sparsity", 1)]["original"] - rows[("none", 1)]["original"]
    out.append((f"{gap:.2f} nats", "H_C of sparsity W1 above dense"))
    ray = next(r for r in res["fair"]["selection"]["rayleigh"]["rows"] if r["lam"] == 10.0)
    out.append((f"{100 * ray['unpruned_val_accuracy']:.2f}%", "rayleigh λ=10, validation"))
    return out


def _ft_mean(res, label, level):
    m = next(m for m in res["finetune"]["methods"] if m["label"] == label)
    return m["summary"][f"{level:g}"]["finetuned_accuracy"]["mean"]


def test_the_json_is_a_complete_summary_without_curves(results):
    assert all(s in results for s in STUDIES)
    assert all(s in results for s in results["study"]["studies"])   # every study it ran is there
    text = json.dumps(results)
    assert "test_accuracy\": [" not in text and "percentile" not in text   # no curves
    assert results["settings"]["seeds"] == 3 and results["blas"]["threads"] == 1
    for key in ("files", "identity", "commit_format"):
        assert key not in results                      # the run directory's record is not kept
    for m in results["fair"]["methods"]:
        assert len(m["runs"]) == 3                     # 3 seeds, all 60,000 images each
        assert all(r["run"].endswith("_nall_val0") for r in m["runs"])
    for reg, rec in results["fair"]["selection"].items():
        assert len(rec["grid"]) >= 6, reg              # at least 6 lambdas each


def test_every_study_in_the_json_has_all_its_tables(results):
    """No table is skipped: a table function returning None for a study the JSON holds fails."""
    assert set(tables(results)) == required_tables(results)


def test_a_study_added_to_the_json_makes_its_tables_required():
    """Once docs/studies.json holds the regime map, its tables must be on the page."""
    assert {"regime", "regime_chosen", "regime_selection", "published"} <= \
        required_tables({s: {} for s in STUDIES + ("regime",)})
    assert not {"regime", "regime_chosen", "regime_selection"} & \
        required_tables({s: {} for s in STUDIES})


def test_every_table_is_on_the_page_as_rendered_from_the_json(results, page):
    rendered = tables(results)
    missing = [name for name, text in rendered.items() if text not in page]
    assert not missing, "tables differ from docs/studies.json: " + ", ".join(
        f"{n} ({TABLES[n][0].__doc__.strip()})" for n in missing)


def test_the_published_results_table_is_on_the_page(results, page):
    assert render_markdown(*published(results)) in page


def test_prose_numbers_come_from_the_json(results, page):
    text = " ".join(page.split())
    missing = [f"{what}: {num}" for num, what in prose_numbers(results)
               if " ".join(num.split()) not in text]
    assert not missing, "\n".join(missing)


def test_the_verdicts_hold_in_the_json(results):
    fair = {m["label"]: m["summary"]["targets"] for m in results["fair"]["methods"]}
    fair["none"] = results["fair"]["dense"]["summary"]["targets"]
    for t in ("0.9", "0.95", "0.96"):                  # tuned: L1, then Hoyer, then l_C
        assert fair["l1"][t]["mean"] < fair["hoyer"][t]["mean"] < fair["sparsity"][t]["mean"], t
        assert fair["rayleigh"][t]["mean"] > 0.95 * fair["none"][t]["mean"], t
    assert fair["sparsity"]["0.97"]["n"] == 0 and fair["l1"]["0.97"]["n"] >= 2
    labels = [m["label"] for m in results["finetune"]["methods"]]
    for level in (97, 98, 99):                         # λ = 1 is best once 97-99% are removed
        best = max(labels, key=lambda label: _ft_mean(results, label, level))
        assert best == "sparsity (λ=1)", level
    lg = results["long"]
    short, longs = lg["short_same_seeds"], {m["short_label"]: m["summary"] for m in lg["methods"]}
    gap = {e: s["sparsity"]["targets"]["0.96"]["mean"] / s["l1"]["targets"]["0.96"]["mean"]
           for e, s in ((20, short), (60, longs))}
    assert gap[60] > gap[20] > 1                       # L1's lead grows with longer training


def _pct(values):
    """``"95.42 ± 0.31%"`` from per-seed accuracies (the tables' format)."""
    return fmt_acc(mean_std(values)) + "%"


def regime_prose_numbers(res):
    """``(text, what)``: numbers the regime map's prose states, formatted from the JSON."""
    reg = res["regime"]
    series = regime_report.best_series(reg)
    best = {m: {row[0]: _pct(row[4]) for row in rows} for m, rows in series.items()}
    out = []
    facts = regime_report.verdict_facts(reg)
    for level, f in facts["levels"].items():
        b = f["best"]
        out.append((best["sparsity"][float(level)], f"l_C best protocol at {level}%"))
        out.append((best[b["rival"]][float(level)], f"leader at {level}%"))
        out.append((f"p = {b['p']:.3f}" if b["p"] >= 0.001 else "p < 0.001",
                    f"l_C against the leader at {level}%"))
    loghoyer = regime_report.verdict_facts(reg, "loghoyer")["levels"]
    for level in ("99", "99.5"):
        b = loghoyer[level]["best"]
        out.append((f"p = {b['p']:.3f}", f"loghoyer against the next at {level}%"))
    for method, level, protocol in (("l1", 97.0, "finetuned_2"), ("sparsity", 97.0, "finetuned_2"),
                                    ("hoyer", 98.0, "finetuned_2"), ("sparsity", 98.0, "finetuned_2")):
        out.append((_pct(regime_report.protocol_values(reg, method, level)[protocol]),
                    f"{method} at {level:g}%, {protocol}"))
    out += [(best["none"][90.0], "dense, iterative, 90%"), (best["none"][98.0], "dense, 98%"),
            (best["l1"][98.0], "l1 best, 98%"), (best["hoyer"][98.0], "hoyer best, 98%"),
            (best["none"][99.0], "dense, 99%"), (best["loghoyer"][99.0], "loghoyer, 99%"),
            (best["l1"][99.0], "l1, 99%"), (best["none"][99.5], "dense, 99.5%")]
    chosen = {m: sel["chosen"] for m, sel in reg["selection"].items()}
    out += [(f"L1 (λ = {chosen['l1']['97']:g})", "l1's λ at 97%"),
            (f"Hoyer (λ = {chosen['hoyer']['98']:g})", "hoyer's λ at 98%")]
    spent = regime_report.budgets(reg, 90.0)
    out.append((f"at {spent['iterative_magnitude']} epochs", "iterative budget at 90%"))
    return out


def test_the_regime_prose_numbers_come_from_the_json(results, page):
    if "regime" not in results:
        pytest.skip("docs/studies.json holds no regime study")
    text = " ".join(page.split())
    missing = [f"{what}: {num}" for num, what in regime_prose_numbers(results)
               if " ".join(num.split()) not in text]
    assert not missing, "\n".join(missing)


def test_the_regime_verdict_holds_in_the_json(results):
    """l_C leads at no level, every gap outside noise; loghoyer leads at 99 and 99.5%; the
    dense model pruned iteratively is far behind from 99% on."""
    if "regime" not in results:
        pytest.skip("docs/studies.json holds no regime study")
    reg = results["regime"]
    facts = regime_report.verdict_facts(reg)
    assert facts["leads_at"] == []
    assert all(not f["best"]["within_noise"] and f["best"]["p"] < 0.05
               for f in facts["levels"].values())
    diffs = [-100 * f["best"]["diff"] for f in facts["levels"].values()]
    assert 0.45 <= min(diffs) and max(diffs) < 1.95               # "by 0.5 to 1.9 points"
    assert regime_report.verdict_facts(reg, "loghoyer")["leads_outside_noise_at"] == ["99", "99.5"]
    series = regime_report.best_series(reg)
    leaders = [max(series, key=lambda m: series[m][i][2]) for i in range(len(reg["levels"]))]
    assert leaders[:4] == ["hoyer", "hoyer", "l1", "hoyer"]
    for i, level in enumerate(reg["levels"]):
        if level >= 99:
            assert all(series[m][i][2] > series["none"][i][2] + 0.02
                       for m in ("sparsity", "loghoyer", "l1", "hoyer")), level


def test_readme_states_the_regime_verdict_of_the_json(results):
    if "regime" not in results:
        pytest.skip("docs/studies.json holds no regime study")
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    text = " ".join(readme.split("## What we found", 1)[1].split("\n## ", 1)[0].split())
    assert "the configuration entropy leads at no level" in text
    assert regime_report.verdict_facts(results["regime"])["leads_at"] == []
