"""Aggregating runs over seeds and rendering the result tables (plain text and Markdown).

Nonzero counts needed for a target accuracy are averaged over the seeds that reach it; a cell
shows ``mean ± std`` (sample standard deviation, ``ddof=1``) and, when not every seed reached the
target, how many did (``(2/3)``). ``ratio`` is the method's mean divided by the dense model's.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["mean_std", "summarize_method", "fmt_count", "fmt_acc", "main_table",
           "ratio_table", "sweep_table", "selection_table", "render_text", "render_markdown"]


def mean_std(values):
    """``{"mean", "std", "n"}`` of the non-None values (std None for fewer than two).

    Examples
    --------
    >>> mean_std([1.0, None, 3.0])
    {'mean': 2.0, 'std': 1.4142135623730951, 'n': 2}
    >>> mean_std([None])
    {'mean': None, 'std': None, 'n': 0}
    """
    vals = np.array([v for v in values if v is not None], dtype=np.float64)
    if vals.size == 0:
        return {"mean": None, "std": None, "n": 0}
    std = float(vals.std(ddof=1)) if vals.size > 1 else None
    return {"mean": float(vals.mean()), "std": std, "n": int(vals.size)}


def summarize_method(runs, targets, dense_summary=None):
    """Per-method summary: final accuracy, nonzero needed per target, ratio to the dense model."""
    out = {"final_accuracy": mean_std([r["unpruned_accuracy"] for r in runs]),
           "n_seeds": len(runs), "targets": {}}
    for t in targets:
        key = f"{t:g}"
        cell = mean_std([None if r["targets"][key] is None else r["targets"][key][0]
                         for r in runs])
        dense = None if dense_summary is None else dense_summary["targets"][key]["mean"]
        cell["ratio_to_dense"] = (cell["mean"] / dense if cell["mean"] is not None and dense
                                  else None)
        out["targets"][key] = cell
    layers = [r["entropy_per_layer"] for r in runs if r.get("entropy_per_layer")]
    if layers and all(v is not None for row in layers for v in row):
        out["entropy_per_layer"] = [float(v) for v in np.mean(layers, axis=0)]
    return out


def fmt_count(cell, n_seeds=None):
    """``"19,166 ± 1,024 (2/3)"``; ``"—"`` when no seed reached the target.

    Examples
    --------
    >>> fmt_count({"mean": 19166.4, "std": 1024.0, "n": 2}, 3)
    '19,166 ± 1,024 (2/3)'
    >>> fmt_count({"mean": None, "std": None, "n": 0}, 3)
    '—'
    """
    if cell["mean"] is None:
        return "—"
    text = f"{cell['mean']:,.0f}"
    if cell["std"] is not None:
        text += f" ± {cell['std']:,.0f}"
    if n_seeds is not None and cell["n"] < n_seeds:
        text += f" ({cell['n']}/{n_seeds})"
    return text


def fmt_acc(cell):
    """``"97.85 ± 0.07"`` (percent).

    Examples
    --------
    >>> fmt_acc({"mean": 0.9785, "std": 0.0007, "n": 3})
    '97.85 ± 0.07'
    """
    if cell["mean"] is None:
        return "—"
    text = f"{100 * cell['mean']:.2f}"
    return text if cell["std"] is None else text + f" ± {100 * cell['std']:.2f}"


def _lam(lam):
    return "—" if lam is None or lam == 0 else f"{lam:g}"


def main_table(methods, targets):
    """Header and rows: method, lambda, final accuracy, nonzero needed per target accuracy."""
    header = ["method", "λ", "seeds", "unpruned acc. %"] + [f"nonzero @ {100 * t:g}%"
                                                          for t in targets]
    rows = []
    for m in methods:
        s = m["summary"]
        rows.append([m["label"], _lam(m["lam"]), str(s["n_seeds"]), fmt_acc(s["final_accuracy"])]
                    + [fmt_count(s["targets"][f"{t:g}"], s["n_seeds"]) for t in targets])
    return header, rows


def ratio_table(methods, targets, paper):
    """Header and rows: nonzero needed relative to the dense model, plus the paper's ratio."""
    header = ["method"] + [f"÷ dense @ {100 * t:g}%" for t in targets]
    rows = []
    for m in methods:
        cells = []
        for t in targets:
            r = m["summary"]["targets"][f"{t:g}"]["ratio_to_dense"]
            cells.append("—" if r is None else f"{r:.3f}")
        rows.append([m["label"]] + cells)
    ratio = paper["sparsity"]["nonzero"] / paper["none"]["nonzero"]
    rows.append(["paper (sparsity ÷ none, ~96%)"] + [f"{ratio:.3f}" if math.isclose(t, 0.96)
                                                       else "" for t in targets])
    return header, rows


def sweep_table(rows, targets=(0.95, 0.96, 0.97)):
    """Header and rows of the sign/lambda sweep."""
    header = ["reg", "λ", "unpruned acc. %", "H_C per layer (nats)"] + \
             [f"nonzero @ {100 * t:g}%" for t in targets]
    out = []
    for r in rows:
        hc = r.get("entropy_per_layer") or []
        acc = "diverged" if r.get("diverged") else f"{100 * r['unpruned_accuracy']:.2f}"
        out.append([r["reg"], f"{r['lam']:g}", acc,
                    " / ".join("—" if v is None else f"{v:.2f}" for v in hc)]
                   + ["—" if r["targets"][f"{t:g}"] is None else f"{r['targets'][f'{t:g}'][0]:,}"
                      for t in targets])
    return header, out


def selection_table(selection):
    """Header and rows of the validation lambda selection."""
    header = ["reg", "λ", "unpruned val acc. %", "best val acc. %", "nonzero @ target", "chosen"]
    rows = []
    for reg, rec in selection.items():
        for r in rec["rows"]:
            nz = r["nonzero_at_target"]
            rows.append([reg, f"{r['lam']:g}", f"{100 * r['unpruned_val_accuracy']:.2f}",
                         f"{100 * r['best_val_accuracy']:.2f}", "—" if nz is None else f"{nz:,}",
                         "✔" if r["lam"] == rec["chosen"] else ""])
    return header, rows


def render_text(header, rows):
    """Aligned plain-text table.

    Examples
    --------
    >>> print(render_text(["a", "bb"], [["1", "2"], ["333", "4"]]))
    a    bb
    ---  --
    1    2
    333  4
    """
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(line, widths)).rstrip()
             for line in [header, ["-" * w for w in widths], *rows]]
    return "\n".join(lines)


def render_markdown(header, rows):
    """GitHub-flavoured Markdown table.

    Examples
    --------
    >>> print(render_markdown(["a", "b"], [["1", "2"]]))
    | a | b |
    |---|---|
    | 1 | 2 |
    """
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(x) for x in row) + " |" for row in rows]
    return "\n".join(lines)
