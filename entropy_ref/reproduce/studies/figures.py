"""Figures of the studies (``entropy-ref reproduce --study``), matplotlib Agg.

* :func:`pareto` -- test accuracy vs nonzero weights, every method on one axis: the seed mean of
  each curve's Pareto envelope with a ±1 std band, the paper's points marked;
* :func:`ablation_figure` -- the two halves of ``l_C`` and ``l_C`` against lambda (validation
  runs), and their test curves at the paper's lambda;
* :func:`finetune_figure` -- one-shot vs fine-tuned accuracy at each pruning level;
* :func:`long_figure` -- test accuracy per epoch and the Pareto curves after long training;
* :func:`layout_figure` -- ``H_C`` of each matrix as trained vs permuted;
* :func:`regime_figure` -- the regime map: test accuracy against the fraction removed (log-odds
  axis), each method after its best protocol, band ±1 std over the seeds.

Each writes ``PATH.png`` and ``PATH.pdf`` atomically (:func:`entropy_ref.figures.save`) and
returns the two paths. :func:`draw_figures` draws the figure of every study that ran.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.ticker
import numpy as np
from matplotlib.figure import Figure

from ...figures import METHOD_COLORS, save
from ..settings import PAPER
from .regime_report import best_series

__all__ = ["COLORS", "FIGURES", "envelope", "band", "pareto", "ablation_figure",
           "finetune_figure", "long_figure", "layout_figure", "regime_figure", "draw_figure",
           "draw_figures"]

#: colours of the studies' methods (the paper-protocol ones where they exist)
COLORS = {**METHOD_COLORS, "loghoyer": "tab:brown", "rayleigh": "tab:pink",
          "sparsity-rf": "tab:cyan", "sparsity (λ=1)": "black"}


def _color(label, i=0):
    base = label.split(" ")[0].split("@")[0]
    return COLORS.get(label, COLORS.get(base, f"C{i % 10}"))


def envelope(nonzero, accuracy, grid):
    """Best accuracy reachable with at most ``x`` nonzero weights, for every ``x`` of ``grid``.

    The curve's Pareto envelope: the quantity "nonzero weights needed for X%" inverts.

    Examples
    --------
    >>> envelope(np.array([100, 50, 10]), np.array([0.9, 0.95, 0.5]), np.array([5, 10, 60, 200]))
    array([ nan, 0.5 , 0.95, 0.95])
    """
    nz = np.asarray(nonzero, dtype=np.float64)
    acc = np.asarray(accuracy, dtype=np.float64)
    order = np.argsort(nz, kind="stable")
    best = np.maximum.accumulate(acc[order])
    idx = np.searchsorted(nz[order], np.asarray(grid, dtype=np.float64), side="right") - 1
    return np.where(idx >= 0, best[np.maximum(idx, 0)], np.nan)


def band(runs, n=400):
    """Common log grid and the seed mean and std of each run's Pareto envelope on it.

    Parameters
    ----------
    runs : list of (nonzero, accuracy) array pairs
    n : int

    Returns
    -------
    grid, mean, std : ndarray
        ``std`` is 0 for a single run; points below some run's smallest count are NaN.
    """
    lo = max(1.0, min(float(np.min(nz[nz > 0])) for nz, _ in runs))
    hi = max(float(np.max(nz)) for nz, _ in runs)
    grid = np.geomspace(lo, hi, n)
    envs = np.array([envelope(nz, acc, grid) for nz, acc in runs])
    mean = envs.mean(axis=0)
    std = envs.std(axis=0, ddof=1) if len(runs) > 1 else np.zeros_like(mean)
    return grid, mean, std


def _pareto_axes(ax, curves, paper, zoom=False):
    tops = []
    for i, (label, runs) in enumerate(curves.items()):
        grid, mean, std = band(runs)
        c = _color(label, i)
        ax.plot(grid, mean, color=c, lw=1.4, label=f"{label} ({len(runs)} seed"
                f"{'s' if len(runs) > 1 else ''})")
        ax.fill_between(grid, mean - std, mean + std, color=c, alpha=0.2, lw=0)
        tops.append(np.nanmax(mean))
    for label, pt in (paper or {}).items():
        ax.plot(pt["nonzero"], pt["test_accuracy"], marker="*", ms=14, ls="none",
                color=_color(label), mec="k",
                label=f"paper, {label}: {pt['nonzero']:,} → {100 * pt['test_accuracy']:.2f}%")
    ax.set_xscale("log")
    ax.grid(True, which="both", alpha=0.3)
    ax.set_xlabel("nonzero weights (biases not counted)")
    top = max(tops + [pt["test_accuracy"] for pt in (paper or {}).values()])
    ax.set_ylim((top - 0.06, min(1.0, top + 0.005)) if zoom else (0.0, 1.0))


def pareto(curves, path, paper=None, title=None):
    """Accuracy vs nonzero weights: seed-mean envelope ± std band per method, one axis.

    Parameters
    ----------
    curves : dict
        ``label -> [(nonzero, accuracy), ...]`` (one pair per seed).
    path : path-like
    paper : dict, optional
        ``label -> {"nonzero", "test_accuracy"}`` points to mark.
    """
    fig = Figure(figsize=(12, 5))
    axes = [fig.add_subplot(1, 2, k) for k in (1, 2)]
    for ax, zoom in zip(axes, (False, True)):
        _pareto_axes(ax, curves, paper, zoom)
    axes[0].set_ylabel("test accuracy (best with at most x nonzero weights)")
    axes[0].set_title("whole sweep", fontsize=10)
    axes[1].set_title("zoom on the high-accuracy end", fontsize=10)
    axes[1].set_xlim(3e3, 2.7e5)
    h, lab = axes[0].get_legend_handles_labels()
    fig.legend(h, lab, loc="lower center", ncol=4, fontsize=8, bbox_to_anchor=(0.5, -0.1))
    fig.suptitle(title or "Tuned methods: seed mean of each curve's envelope, band ±1 std",
                 fontsize=11)
    return save(fig, path)


def ablation_figure(selection, curves, dense, path):
    """Left/middle: validation accuracy and nonzero for 96% vs λ; right: test curves at λ = 1."""
    fig = Figure(figsize=(16, 4.8))
    ax_acc, ax_nz, ax_cur = (fig.add_subplot(1, 3, k) for k in (1, 2, 3))
    for reg in ("sparsity", "loghoyer", "rayleigh"):
        if reg not in selection:
            continue
        rows = selection[reg]["rows"]
        lam = [r["lam"] for r in rows]
        c = _color(reg)
        ax_acc.plot(lam, [100 * r["unpruned_val_accuracy"] for r in rows], "o-", color=c,
                    label=reg)
        nz = [np.nan if r["nonzero_at_target"] is None else r["nonzero_at_target"] for r in rows]
        ax_nz.plot(lam, nz, "o-", color=c, label=reg)
    target = next(iter(selection.values()))["target"]
    ax_acc.set_ylabel("unpruned validation accuracy %")
    ax_nz.set_ylabel(f"nonzero weights for {100 * target:g}% val. accuracy")
    ax_nz.set_yscale("log")
    for ax in (ax_acc, ax_nz):
        ax.set_xscale("log")
        ax.set_xlabel("λ")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    _pareto_axes(ax_cur, {"none": dense, **{k.replace(" (λ=1)", " λ=1"): v
                                            for k, v in curves.items()}}, None, zoom=False)
    ax_cur.set_ylim(0.8, 1.0)
    ax_cur.legend(fontsize=7)
    ax_cur.set_title("test curves at the paper's λ (band ±1 std)", fontsize=10)
    ax_acc.set_title("validation runs (seed 0)", fontsize=10)
    ax_nz.set_title("validation runs; missing point: target not reached", fontsize=10)
    fig.suptitle("Ablation: l_C = loghoyer + rayleigh", fontsize=11)
    return save(fig, path)


def finetune_figure(ft, path):
    """Accuracy vs nonzero weights at each pruning level: one-shot dashed, fine-tuned solid."""
    fig = Figure(figsize=(12, 5))
    axes = [fig.add_subplot(1, 2, k) for k in (1, 2)]
    for i, m in enumerate(ft["methods"]):
        s = m["summary"]
        keys = [f"{p:g}" for p in ft["levels"]]
        nz = [s[k]["nonzero"]["mean"] for k in keys]
        c = _color(m["label"], i)
        for ax in axes:
            ax.plot(nz, [s[k]["oneshot_accuracy"]["mean"] for k in keys], "--", marker=".",
                    color=c, alpha=0.7)
            ax.plot(nz, [s[k]["finetuned_accuracy"]["mean"] for k in keys], "-", marker="o",
                    ms=4, color=c, label=m["label"])
    for ax in axes:
        ax.set_xscale("log")
        ax.grid(True, which="both", alpha=0.3)
        ax.set_xlabel("nonzero weights (seed mean)")
    axes[0].set_ylabel("test accuracy (seed mean)")
    axes[0].set_ylim(0, 1)
    axes[1].set_ylim(0.9, 0.99)
    axes[1].set_title("zoom", fontsize=10)
    axes[0].set_title(f"dashed: one-shot; solid: fine-tuned {ft['epochs']} epoch(s)",
                      fontsize=10)
    axes[0].legend(fontsize=8)
    fig.suptitle("Prune, then fine-tune (mask kept, cross-entropy only)", fontsize=11)
    return save(fig, path)


def long_figure(histories, curves, path, paper=None):
    """Left: test accuracy per epoch (seed mean); right: the Pareto curves at the last epoch."""
    fig = Figure(figsize=(12, 5))
    ax_h, ax_p = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    for i, (label, runs) in enumerate(histories.items()):
        acc = np.mean(np.array(runs), axis=0)
        ax_h.plot(np.arange(1, acc.size + 1), 100 * acc, color=_color(label, i), label=label)
    ax_h.set_xlabel("epoch")
    ax_h.set_ylabel("unpruned test accuracy % (seed mean)")
    ax_h.grid(True, alpha=0.3)
    ax_h.legend(fontsize=8)
    _pareto_axes(ax_p, curves, paper, zoom=True)
    ax_p.set_xlim(3e3, 2.7e5)
    ax_p.legend(fontsize=7, loc="lower right")
    ax_p.set_title("after the last epoch (band ±1 std)", fontsize=10)
    fig.suptitle("Longer training", fontsize=11)
    return save(fig, path)


def layout_figure(rows, path):
    """Change of ``H_C`` per matrix: rows permuted (mean, min..max), columns permuted, sorted."""
    fig = Figure(figsize=(12, 4.8))
    layers = sorted({r["layer"] for r in rows})
    models = list(dict.fromkeys(r["model"] for r in rows))
    for k, layer in enumerate(layers):
        ax = fig.add_subplot(1, len(layers), k + 1)
        sel = {r["model"]: r for r in rows if r["layer"] == layer}
        x = np.arange(len(models))
        for dx, key, mark, name in ((-0.2, "rows", "v", "rows permuted"),
                                    (0.0, "cols", "^", "columns permuted")):
            mean = [sel[m][f"{key}_mean"] for m in models]
            lo = [sel[m][f"{key}_mean"] - sel[m][f"{key}_min"] for m in models]
            hi = [sel[m][f"{key}_max"] - sel[m][f"{key}_mean"] for m in models]
            ax.errorbar(x + dx, mean, yerr=[lo, hi], fmt=mark, capsize=3, label=name)
        ax.plot(x + 0.2, [sel[m]["sorted_rows"] for m in models], "s", label="rows sorted by norm")
        ax.axhline(0.0, color="k", lw=0.8)
        ax.set_xticks(x)
        ax.set_xticklabels(models, rotation=45, ha="right", fontsize=8)
        ax.set_title(f"W{layer}", fontsize=10)
        ax.grid(True, axis="y", alpha=0.3)
    fig.axes[0].set_ylabel("H_C(permuted) - H_C(as trained) (nats)")
    fig.axes[0].legend(fontsize=7)
    fig.suptitle("H_C under permutations of hidden units (bars: min..max)", fontsize=11)
    return save(fig, path)


def regime_figure(series, path):
    """The regime map: x the fraction removed (logit axis), y the test accuracy after each
    method's best protocol at that level (seed mean, band ±1 std); right: zoom on the top.

    ``series`` is :func:`.regime_report.best_series` of the regime record.
    """
    fig = Figure(figsize=(12, 5))
    axes = [fig.add_subplot(1, 2, k) for k in (1, 2)]
    tops = []
    for i, (method, points) in enumerate(series.items()):
        x = np.array([p[0] for p in points]) / 100
        mean, std = np.array([p[2] for p in points]), np.array([p[3] for p in points])
        tops.append(mean.max())
        for ax in axes:
            ax.plot(x, mean, "o-", ms=4, color=_color(method, i), label=method)
            ax.fill_between(x, mean - std, mean + std, color=_color(method, i), alpha=0.2, lw=0)
    levels = [p[0] for p in next(iter(series.values()))]
    for ax in axes:
        ax.set_xscale("logit")
        ax.set_xticks([v / 100 for v in levels], [f"{v:g}%" for v in levels])
        ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        ax.grid(True, alpha=0.3)
        ax.set_xlabel("weights removed (log-odds axis)")
    axes[0].set_ylabel("test accuracy after the best protocol (seed mean)")
    axes[0].set_ylim(0.0, 1.0)
    axes[1].set_ylim(max(0.0, min(tops) - 0.1), min(1.0, max(tops) + 0.01))
    axes[1].set_title("zoom", fontsize=10)
    axes[0].legend(fontsize=8)
    fig.suptitle("Regime map: every method at the λ chosen for each level, best of one-shot, "
                 "fine-tuned and iterative", fontsize=11)
    return save(fig, path)


def _study_pareto(ctx, path, paper):
    labels = ["none"] + [m["label"] for m in ctx.results["fair"]["methods"]]
    return pareto({k: ctx.curves[k] for k in labels}, path, paper=paper)


def _study_ablation(ctx, path, paper):
    res = ctx.results
    return ablation_figure(res["fair"]["selection"],
                           {m["label"]: ctx.curves[m["label"]] for m in res["ablation"]["methods"]},
                           ctx.curves["none"], path)


def _study_finetune(ctx, path, paper):
    return finetune_figure(ctx.results["finetune"], path)


def _study_layout(ctx, path, paper):
    return layout_figure(ctx.results["layout"]["permutations"], path)


def _study_long(ctx, path, paper):
    lg = ctx.results["long"]
    labels, at = ["none"] + lg["picked"], f"@{lg['epochs']}"
    return long_figure({k: ctx.histories[k + at] for k in labels},
                       {k: ctx.curves[k + at] for k in labels}, path, paper=paper)


#: study name -> (figure name, ``draw(ctx, path, paper) -> paths``)
FIGURES = {"fair": ("study_pareto", _study_pareto), "ablation": ("study_ablation", _study_ablation),
           "finetune": ("study_finetune", _study_finetune),
           "layout": ("study_layout", _study_layout), "long": ("study_long", _study_long),
           "regime": ("study_regime", lambda ctx, path, paper: regime_figure(
               best_series(ctx.results["regime"]), path))}


def draw_figure(ctx, out, study):
    """Draw the figure of ``study`` (which ran); return ``{name: [paths relative to out]}``."""
    if study not in FIGURES:
        return {}
    name, draw = FIGURES[study]
    paper = PAPER if ctx.settings.hidden == (300, 100) else None
    paths = draw(ctx, Path(out) / "figures" / name, paper)
    return {name: [Path(p).relative_to(out).as_posix() for p in paths]}


def draw_figures(ctx, out):
    """Draw the figure of every study that ran; return ``name -> [paths relative to out]``."""
    made = {}
    for study in FIGURES:
        if study in ctx.results:
            made.update(draw_figure(ctx, out, study))
    return made
