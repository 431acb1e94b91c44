"""The regime study read back from ``studies.json``: accuracies per protocol, tables, verdict facts.

Every function takes the study's record (``results["regime"]``) or the whole results dict and
returns plain data, so the page's numbers can be tested against the JSON:

* :func:`protocol_values` -- per-seed test accuracies of one method at one level, per protocol
  (``oneshot``, ``finetuned_K`` for each fine-tune length, ``iterative_magnitude`` and
  ``iterative_sensitivity``), and :func:`budgets` the epochs each protocol costs there;
* :func:`best_series` -- per method and level the protocol with the best seed mean (the regime
  map's curve);
* :func:`verdict_facts` -- where, if anywhere, ``sparsity`` (``l_C``) leads, by how much, and
  whether the lead is within noise (:data:`NOISE_RULE`);
* the tables of ``studies.md`` (:data:`.report.TABLES` lists them).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from ..summary import fmt_acc, mean_std
from .published import published_table

__all__ = ["NOISE_RULE", "protocols", "protocol_values", "budgets", "best_series", "welch",
           "verdict_facts", "regime_table", "regime_selection", "regime_chosen", "published"]

#: when a difference between two methods counts as within noise
NOISE_RULE = ("within noise when Welch's two-sided t-test over the seeds gives p >= 0.05, or when "
              "either side has fewer than two seeds or no spread")
_RANKINGS = ("magnitude", "sensitivity")


def protocols(regime):
    """The protocol names of a regime record, in table order."""
    return (["oneshot"] + [f"finetuned_{k:g}" for k in regime["protocol"]["finetune_epochs"]]
            + [f"iterative_{r}" for r in _RANKINGS])


def _key(level):
    return f"{float(level):g}"


def _at(cycles, level):
    """The cycle of ``cycles`` that lands on ``level``."""
    return next(c for c in cycles if c["level"] is not None and _key(c["level"]) == _key(level))


def protocol_values(regime, method, level):
    """``{protocol: [accuracy per seed]}`` of ``method`` at ``level`` (iterative: when run)."""
    key = _key(level)
    runs = regime["cells"][method][key]["runs"]
    out = {"oneshot": [r["oneshot_accuracy"] for r in runs]}
    for k in regime["protocol"]["finetune_epochs"]:
        out[f"finetuned_{k:g}"] = [r["finetuned_accuracy"][f"{k:g}"] for r in runs]
    it = regime["iterative"].get(method)
    for ranking in _RANKINGS if it else ():
        out[f"iterative_{ranking}"] = [_at(run["cycles"], level)["accuracy"]
                                       for run in it["rankings"][ranking]["runs"]]
    return out


def budgets(regime, level):
    """``{protocol: epochs}`` at ``level``: training plus fine-tuning or retraining epochs."""
    p = regime["protocol"]
    out = {"oneshot": p["train_epochs"]}
    out.update({f"finetuned_{k:g}": p["train_epochs"] + k for k in p["finetune_epochs"]})
    starts = list(regime["iterative"].values())
    if starts:
        cycle = _at(starts[0]["rankings"]["magnitude"]["runs"][0]["cycles"], level)
        for ranking in _RANKINGS:
            out[f"iterative_{ranking}"] = p["train_epochs"] + cycle["retrain_epochs"]
    return out


def best_series(regime):
    """``{method: [(level, protocol, mean, std, values)]}``: each level's best protocol."""
    out = {}
    for method in regime["methods"]:
        for level in regime["levels"]:
            vals = protocol_values(regime, method, level)
            name = max(vals, key=lambda k: (np.mean(vals[k]), -protocols(regime).index(k)))
            cell = mean_std(vals[name])
            out.setdefault(method, []).append((level, name, cell["mean"], cell["std"] or 0.0,
                                               vals[name]))
    return out


def welch(a, b):
    """``{"diff", "t", "p", "within_noise"}``: mean(a) - mean(b) and Welch's t-test.

    Examples
    --------
    >>> w = welch([0.90, 0.91, 0.92], [0.80, 0.81, 0.82])
    >>> round(w["diff"], 6), w["within_noise"]
    (0.1, False)
    >>> welch([0.9], [0.8])["within_noise"]
    True
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    diff = float(a.mean() - b.mean())
    if min(a.size, b.size) < 2 or (a.std() == 0 and b.std() == 0):
        return {"diff": diff, "t": None, "p": None, "within_noise": True}
    t, p = stats.ttest_ind(a, b, equal_var=False)
    return {"diff": diff, "t": float(t), "p": float(p), "within_noise": bool(p >= 0.05)}


def _standing(by_method, method):
    """Facts of ``method`` against the best other method, from ``{method: values}``."""
    means = {m: float(np.mean(v)) for m, v in by_method.items() if v}
    leader = max(means, key=means.get)
    others = {m: v for m, v in means.items() if m != method}
    if method not in means or not others:
        return {"leader": leader, "leads": False}
    rival = max(others, key=others.get)
    return {"leader": leader, "leads": leader == method, "mean": means[method],
            "rival": rival, "rival_mean": means[rival],
            **welch(by_method[method], by_method[rival])}


def verdict_facts(regime, method="sparsity"):
    """Where ``method`` leads: per level, for each method's best protocol and per protocol.

    Returns
    -------
    dict
        ``{"method", "rule", "levels": {level: {"best": facts, protocol: facts, ...}},
        "leads_at", "leads_outside_noise_at", "equal_budget"}``; ``facts`` holds the leader, the
        method's mean and its best rival's, their difference (method minus rival) and Welch's
        test. ``equal_budget`` compares, per method and level, each iterative protocol with the
        shortest fine-tune of at least its retraining epochs.
    """
    out = {"method": method, "rule": NOISE_RULE, "levels": {}, "equal_budget": {}}
    series = best_series(regime)
    for i, level in enumerate(regime["levels"]):
        key = _key(level)
        per = {m: protocol_values(regime, m, level) for m in regime["methods"]}
        facts = {"best": _standing({m: series[m][i][4] for m in per}, method)}
        facts["best"]["protocols"] = {m: series[m][i][1] for m in per}
        for name in protocols(regime):
            facts[name] = _standing({m: v[name] for m, v in per.items() if name in v}, method)
        out["levels"][key] = facts
        out["equal_budget"][key] = _equal_budget(regime, per, level)
    out["leads_at"] = [k for k, f in out["levels"].items() if f["best"]["leads"]]
    out["leads_outside_noise_at"] = [k for k, f in out["levels"].items()
                                     if f["best"]["leads"] and not f["best"]["within_noise"]]
    return out


def _equal_budget(regime, per, level):
    """Iterative vs the shortest fine-tune with at least its retraining epochs, per method."""
    spent = budgets(regime, level)
    out = {}
    for method, vals in per.items():
        for ranking in _RANKINGS:
            name = f"iterative_{ranking}"
            if name not in vals:
                continue
            longer = [k for k in regime["protocol"]["finetune_epochs"]
                      if spent["oneshot"] + k >= spent[name]]
            if not longer:
                continue
            ft = f"finetuned_{min(longer):g}"
            out.setdefault(method, {})[ranking] = {
                "iterative_epochs": spent[name], "finetune_epochs": spent[ft], "finetune": ft,
                **welch(vals[name], vals[ft])}
    return out


# ------------------------------------------------------------------------------------ tables

def _pct(cell):
    return fmt_acc(mean_std(cell)) if cell else "—"


def _start(iterative):
    """The model iterative pruning starts from: its lambda, ``dense``, or ``not run``."""
    if not iterative:
        return "not run"
    return "dense" if iterative["lam"] is None else f"{iterative['lam']:g}"


def regime_table(results):
    """Test accuracy % per level removed and protocol, [epochs spent] (mean ± std over seeds)."""
    reg = results["regime"]
    p = reg["protocol"]
    e = p["train_epochs"]
    header = ["removed", "method", "λ", f"one-shot [{e}]"]
    header += [f"fine-tuned {k:g} ep [{e + k:g}]" for k in p["finetune_epochs"]]
    header += ["iterative from λ", f"iterative, magnitude [{e} + cycles]",
               f"iterative, sensitivity [{e} + cycles]"]
    rows = []
    for level in reg["levels"]:
        cycles = budgets(reg, level).get("iterative_magnitude")
        n = None if cycles is None else (cycles - e) // p["cycle_epochs"]
        first = f"{level:g}%" + ("" if n is None else f" ({n} cycle{'s' if n > 1 else ''})")
        for method in reg["methods"]:
            vals = protocol_values(reg, method, level)
            lam = reg["cells"][method][_key(level)]["lam"]
            it = reg["iterative"].get(method)
            rows.append([first, method, "—" if lam is None else f"{lam:g}", _pct(vals["oneshot"])]
                        + [_pct(vals[f"finetuned_{k:g}"]) for k in p["finetune_epochs"]]
                        + [_start(it)] + [_pct(vals[f"iterative_{r}"]) if it else "not run"
                                          for r in _RANKINGS])
    return header, rows


def regime_selection(results):
    """Validation accuracy % of every λ pruned to each level and fine-tuned (✔: chosen)."""
    reg = results["regime"]
    header = ["method", "λ"] + [f"{lv:g}% removed" for lv in reg["levels"]]
    rows = []
    for method, sel in reg["selection"].items():
        for row in sel["rows"]:
            cells = []
            for lv in reg["levels"]:
                (acc,) = row["levels"][_key(lv)]["finetuned_accuracy"].values()
                mark = " ✔" if math.isclose(sel["chosen"][_key(lv)], row["lam"]) else ""
                cells.append(f"{100 * acc:.2f}{mark}")
            rows.append([method, f"{row['lam']:g}"] + cells)
    return header, rows


def regime_chosen(results):
    """λ chosen on the validation split for each level removed, every method."""
    reg = results["regime"]
    header = ["method"] + [f"λ @ {lv:g}%" for lv in reg["levels"]]
    rows = [[m] + [f"{sel['chosen'][_key(lv)]:g}" for lv in reg["levels"]]
            for m, sel in reg["selection"].items()]
    return header, rows


def published(results):
    """Published LeNet-300-100 results (sources quoted in reproduce/studies/published.py)."""
    return published_table()
