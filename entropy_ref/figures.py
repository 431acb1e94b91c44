"""The paper's figures, drawn with matplotlib's Agg canvas (no display, no pyplot state).

* :func:`figure1` -- ``W_D`` vs ``W_S`` (same L_p norms, different ``H_C``), for
  ``examples/figure1_lp_blindness.py``;
* :func:`figure2` -- the trained weight matrices (300x784, 100x300, 10x100) of a dense and a
  regularized model: grey = 0, white positive, black negative, symmetric colour limits;
* :func:`figure3` -- test accuracy vs nonzero weights (log x) of every method, one thin line per
  seed, with the paper's two reported points;
* :func:`figure4` -- ``|w|`` vs percentile over all layers pooled, one line per epoch, dense vs
  regularized;
* :func:`figure_sweep` -- accuracy and nonzero weights needed vs ``lam`` for both signs.

Each function writes ``PATH.png`` and ``PATH.pdf`` (``PATH`` may carry either suffix or none),
atomically, and returns the two paths.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .storage.atomic import atomic_write

__all__ = ["figure1", "figure2", "figure3", "figure4", "figure_sweep", "save", "METHOD_COLORS"]

#: colour of each method (the paper: dense red, regularized blue)
METHOD_COLORS = {"none": "tab:red", "sparsity": "tab:blue", "sparsity-sum": "tab:cyan",
                 "entropy": "tab:orange", "entropy-sum": "tab:olive", "l1": "tab:green",
                 "hoyer": "tab:purple"}


def save(fig, path, dpi=150, formats=("png", "pdf")):
    """Write ``fig`` as ``PATH.png`` and ``PATH.pdf`` (or ``formats``) atomically; return the paths.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp(); fig = Figure(figsize=(1, 1))
    >>> [p.name for p in save(fig, Path(d) / "x.png")]
    ['x.png', 'x.pdf']
    >>> [p.name for p in save(fig, Path(d) / "y.png", formats=("png",))]
    ['y.png']
    """
    path = Path(path)
    stem = path.with_suffix("") if path.suffix in (".png", ".pdf") else path
    stem.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(fig)
    out = []
    for fmt in formats:
        target = stem.with_name(stem.name + "." + fmt)
        atomic_write(target, lambda f: fig.savefig(f, format=fmt, dpi=dpi, bbox_inches="tight"))
        out.append(target)
    return out


def figure1(W_D, W_S, path, h_c=True):
    """Figure 1: a dense and a sparse binary matrix with identical L_p norms.

    Parameters
    ----------
    W_D, W_S : ndarray, shape (M, N)
        Values in [0, 1] (ones white, zeros black, as in the paper).
    path : path-like
    h_c : bool, default True
        Put ``H_C`` (nats) and the L0/L1 norms in the panel titles.

    Returns
    -------
    paths : list of Path
        The PNG and the PDF.
    """
    from .entropy import configuration_entropy

    fig = Figure(figsize=(9, 4.8))
    for i, (name, W, what) in enumerate((("W_D", W_D, "ones anywhere"),
                                         ("W_S", W_S, "ones in the centre"))):
        W = np.asarray(W, dtype=np.float64)
        ax = fig.add_subplot(1, 2, i + 1)
        ax.imshow(W, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        title = f"${name[0]}_{name[2]}$: {what}"
        if h_c:
            title += (f"\nL0 = {np.count_nonzero(W)}, L1 = {np.abs(W).sum():g}, "
                      f"$H_C$ = {configuration_entropy(W):.3f} nats")
        ax.set_title(title, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("Same $L_p$ norms for every p, different configuration entropy", fontsize=11)
    return save(fig, path)


def _sym_imshow(ax, W, title):
    W = np.asarray(W, dtype=np.float64)
    v = float(np.percentile(np.abs(W), 99)) or float(np.abs(W).max()) or 1.0
    im = ax.imshow(W, cmap="gray", vmin=-v, vmax=v, interpolation="nearest", aspect="equal")
    ax.set_title(f"{title}  {W.shape[0]}x{W.shape[1]}, colour ±{v:.3g}", fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
    return im


def figure2(dense_weights, reg_weights, path, labels=("dense", "regularized")):
    """Figure 2: the trained weight matrices of two models, first layer on top.

    Parameters
    ----------
    dense_weights, reg_weights : list of ndarray
        ``params["W"]`` of the two models (three matrices for LeNet300).
    path : path-like
    labels : (str, str)

    Returns
    -------
    paths : list of Path

    Notes
    -----
    Each panel's colour range is symmetric, ``±v`` with ``v`` the 99th percentile of that
    matrix's ``|w|`` (larger values saturate), so grey is exactly zero in every panel.
    """
    if len(dense_weights) != len(reg_weights):
        raise ValueError("figure2: the two models must have the same number of matrices")
    width = 11.0                        # inches; axes span 96% of it (45% each when paired)
    shape = np.shape(dense_weights[0])
    heights = [0.96 * width * shape[0] / shape[1]] * 2 + [
        max(0.5, 0.45 * width * np.shape(W)[0] / np.shape(W)[1]) for W in dense_weights[1:]]
    pad = 0.5                           # inches per row for the panel title
    total = sum(heights) + pad * len(heights) + 0.5
    fig = Figure(figsize=(width, total))
    gs = fig.add_gridspec(len(heights), 2, height_ratios=[h + pad for h in heights],
                          left=0.02, right=0.98, top=1 - 0.5 / total, bottom=0.0, hspace=0.0,
                          wspace=0.1)
    for row, (W, label) in enumerate(((dense_weights[0], labels[0]), (reg_weights[0], labels[1]))):
        _sym_imshow(fig.add_subplot(gs[row, :]), W, f"{label}: W1")
    for l in range(1, len(dense_weights)):
        _sym_imshow(fig.add_subplot(gs[1 + l, 0]), dense_weights[l], f"{labels[0]}: W{l + 1}")
        _sym_imshow(fig.add_subplot(gs[1 + l, 1]), reg_weights[l], f"{labels[1]}: W{l + 1}")
    fig.suptitle("Trained weights (grey = 0, white > 0, black < 0)", fontsize=11)
    return save(fig, path)


def figure3(curves, path, paper=None, title=None):
    """Figure 3: test accuracy vs number of nonzero weights, log x, every method and seed.

    Parameters
    ----------
    curves : dict
        ``label -> [(nonzero, accuracy), ...]``, one pair of arrays per seed.
    path : path-like
    paper : dict, optional
        ``label -> {"nonzero", "test_accuracy"}`` points to mark (the paper's numbers).
    title : str, optional

    Returns
    -------
    paths : list of Path
    """
    fig = Figure(figsize=(12, 5))
    axes = [fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)]
    top = max([float(np.max(a)) for runs in curves.values() for _, a in runs]
              + [pt["test_accuracy"] for pt in (paper or {}).values()])
    for ax in axes:
        for i, (label, runs) in enumerate(curves.items()):
            color = METHOD_COLORS.get(label, f"C{i}")
            for k, (nz, acc) in enumerate(runs):
                keep = np.asarray(nz) > 0
                ax.plot(np.asarray(nz)[keep], np.asarray(acc)[keep], color=color, lw=0.9,
                        alpha=0.75, label=label if k == 0 else None)
        for label, pt in (paper or {}).items():
            ax.plot(pt["nonzero"], pt["test_accuracy"], marker="*", ms=13, ls="none",
                    color=METHOD_COLORS.get(label, "k"), mec="k",
                    label=f"paper, {label}: {pt['nonzero']:,} → {100 * pt['test_accuracy']:.2f}%")
        ax.set_xscale("log")
        ax.set_xlabel("nonzero weights (biases not counted)")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("test accuracy")
    axes[0].set_ylim(0, 1.0)
    axes[0].set_title("whole sweep", fontsize=10)
    low = max(0.0, top - 0.12)
    axes[1].set_ylim(low, min(1.0, top + 0.01))
    xs = [n for runs in curves.values() for nz, acc in runs
          for n in np.asarray(nz)[(np.asarray(acc) >= low) & (np.asarray(nz) > 0)]]
    xs += [pt["nonzero"] for pt in (paper or {}).values()]
    if xs:
        axes[1].set_xlim(min(xs) / 1.5, max(xs) * 1.5)
    axes[1].set_title("zoom on the high-accuracy end", fontsize=10)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(5, len(labels)), fontsize=8,
               bbox_to_anchor=(0.5, -0.09 - 0.045 * ((len(labels) - 1) // 5)))
    fig.suptitle(title or "Sensitivity pruning: accuracy vs nonzero weights (thin lines: seeds)",
                 fontsize=11)
    return save(fig, path)


def figure4(histories, path, floor=1e-7):
    """Figure 4: ``|w|`` against its percentile, all layers pooled, one line per epoch.

    Parameters
    ----------
    histories : dict
        ``label -> list of per-epoch percentile arrays`` (101 values: the 0th..100th
        percentile of ``|w|``, as recorded in ``history.json`` under ``abs_w_percentiles``).
    path : path-like
    floor : float, default 1e-7
        Values below it are drawn at it (the y axis is logarithmic).

    Returns
    -------
    paths : list of Path
    """
    n = len(histories)
    fig = Figure(figsize=(8, 3.4 * n + 0.6))
    cmap = colormaps["viridis"]
    for i, (label, epochs) in enumerate(histories.items()):
        ax = fig.add_subplot(n, 1, i + 1)
        epochs = [np.asarray(e, dtype=np.float64) for e in epochs]
        for k, q in enumerate(epochs):
            ax.plot(np.linspace(0, 100, q.size), np.maximum(q, floor),
                    color=cmap(k / max(1, len(epochs) - 1)), lw=1.0)
        ax.set_yscale("log")
        ax.set_ylabel("|w|")
        ax.set_title(f"{label}: epochs 1 (purple) to {len(epochs)} (yellow)", fontsize=10,
                     color=METHOD_COLORS.get(label, "k"))
        ax.grid(True, which="both", alpha=0.3)
    ax.set_xlabel("percentile of |w| over all weight matrices")
    fig.suptitle("Weight magnitudes by percentile, every epoch", fontsize=11)
    return save(fig, path)


def figure_sweep(rows, path, targets=("0.95", "0.96", "0.97"), batch_size=100):
    """Sign/lambda sweep: unpruned accuracy and nonzero weights needed vs ``lam`` (log x).

    Parameters
    ----------
    rows : list of dict
        Records with ``reg``, ``lam``, ``unpruned_accuracy`` and ``targets`` (``"0.96" ->
        [nonzero, accuracy]`` or None), as in ``results.json["sweep"]["rows"]``; ``reg == "none"``
        rows are drawn as horizontal reference lines; rows without an accuracy (diverged
        training) are left out.
    path : path-like
    targets : sequence of str
    batch_size : int, default 100
        For the title: ``1/batch_size`` is the batch-sum reading of the paper's ``lam = 1``.

    Returns
    -------
    paths : list of Path
    """
    fig = Figure(figsize=(12, 4.6))
    ax_acc, ax_nz = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    styles = dict(zip(targets, ("o", "s", "^", "D", "v")))
    for reg in ("sparsity", "entropy"):
        sel = sorted((r for r in rows
                      if r["reg"] == reg and r.get("unpruned_accuracy") is not None),
                     key=lambda r: r["lam"])
        if not sel:
            continue
        lam = [r["lam"] for r in sel]
        color = METHOD_COLORS[reg]
        ax_acc.plot(lam, [100 * r["unpruned_accuracy"] for r in sel], "o-", color=color,
                    label=reg)
        for t in targets:
            nz = [np.nan if r["targets"].get(t) is None else r["targets"][t][0] for r in sel]
            ax_nz.plot(lam, nz, marker=styles[t], color=color, label=f"{reg} @ {100 * float(t):g}%")
    for r in (r for r in rows if r["reg"] == "none" and r.get("unpruned_accuracy") is not None):
        ax_acc.axhline(100 * r["unpruned_accuracy"], color=METHOD_COLORS["none"], ls="--",
                       label="dense (none)")
        for t in targets:
            if r["targets"].get(t) is not None:
                ax_nz.axhline(r["targets"][t][0], color=METHOD_COLORS["none"], ls="--", lw=0.8)
    for ax in (ax_acc, ax_nz):
        ax.set_xscale("log")
        ax.set_xlabel("λ (penalty weight, batch-mean cross-entropy)")
        ax.grid(True, which="both", alpha=0.3)
    if any(np.isfinite(line.get_ydata(orig=False)).any() for line in ax_nz.get_lines()):
        ax_nz.set_yscale("log")
    else:
        ax_nz.text(0.5, 0.5, "no λ reached these accuracies", ha="center", va="center",
                   transform=ax_nz.transAxes)
    ax_nz.set_xlim(ax_acc.get_xlim())
    ax_acc.set_ylabel("unpruned test accuracy (%)")
    ax_nz.set_ylabel("nonzero weights needed")
    ax_nz.set_title("dashed: dense model; no marker: accuracy not reached", fontsize=9)
    ax_acc.set_title("accuracy before pruning", fontsize=9)
    fig.subplots_adjust(wspace=0.28)
    ax_acc.legend(fontsize=8)
    ax_nz.legend(fontsize=7, ncol=2)
    fig.suptitle(f"+λ l_C (sparsity, the paper's eq. 3) vs +λ H_C (entropy); λ = 1/{batch_size}"
                 f" = {1 / batch_size:g} is the batch-sum reading of the paper's λ = 1",
                 fontsize=10)
    return save(fig, path)
