# One zero-padded 3-tap pass (eq. D1) as a matrix: the kernel flip, the padding, and why its adjoint is the correlation (D8).
"""Picture and numbers for ``docs/derivation.md`` (D1, D8).

Run: ``python examples/one_d_pass.py [--out DIR]`` (``--out`` writes ``one_d_pass.png``).

A 3-tap convolution of a length-``n`` vector with zero padding is multiplication by an ``n x n``
banded matrix ``C``: row ``j`` holds the kernel *reversed* (``h[2], h[1], h[0]`` in columns
``j-1, j, j+1``), and the taps that would fall on the padding are simply missing. Its transpose
``C^T`` has the kernel in reading order in each row, which is the zero-padded correlation with the
same kernel, and its missing taps are again exactly the padding: so the adjoint is exact.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

from entropy_ref.conventions import DERIVATIVE, SMOOTHING
from entropy_ref.figures import save
from entropy_ref.scharr import convolve3, correlate3

N = 6


def pass_matrix(kernel, n=N, op=convolve3):
    """The ``n x n`` matrix of ``x -> op(x, kernel)``: column ``p`` is the pass applied to ``e_p``."""
    return np.stack([op(np.eye(n)[p], kernel, axis=0) for p in range(n)], axis=1)


def symbolic(C, kernel):
    """Entries of ``C`` as ``h0``/``h1``/``h2`` (kernel taps in convolution order), ``.`` for zero."""
    names = {}
    for b, value in enumerate(kernel):
        names.setdefault(float(value), f"h{b}")
    out = np.full(C.shape, " .", dtype=object)
    for (j, p), v in np.ndenumerate(C):
        if v != 0:
            out[j, p] = names[float(v)]
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=None, help="directory for one_d_pass.png (default: no figure)")
    args = ap.parse_args(argv)
    generic = np.array([1.0, 2.0, 3.0])                    # distinct taps, to see where each goes
    C = pass_matrix(generic)
    Ct_from_correlation = pass_matrix(generic, op=correlate3)
    print(f"== the pass y = h * x on n = {N} entries, kernel h = (h0, h1, h2), zero padding ==")
    print("C (row j computes y[j] = h0 x[j+1] + h1 x[j] + h2 x[j-1]):")
    for row in symbolic(C, generic):
        print("  " + " ".join(f"{e:>2s}" for e in row))
    print("C^T (row i: h0 y[i-1] + h1 y[i] + h2 y[i+1], the correlation with the same h):")
    for row in symbolic(C.T, generic):
        print("  " + " ".join(f"{e:>2s}" for e in row))
    print("C^T equals the matrix of correlate3:", bool(np.array_equal(C.T, Ct_from_correlation)))
    for name, taps in (("d = [1, 0, -1]/2", DERIVATIVE), ("b = [3, 10, 3]/16", SMOOTHING)):
        M = pass_matrix(taps)
        sym = "antisymmetric, D^T = -D" if np.array_equal(M.T, -M) else "symmetric, B^T = B"
        print(f"{name}: matrix is {sym}: {bool(np.array_equal(M.T, -M) or np.array_equal(M.T, M))}")
    if args.out is not None:
        os.makedirs(args.out, exist_ok=True)
        print("wrote", os.path.basename(figure(generic, args.out)))
    return 0


def figure(kernel, out_dir):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    C = pass_matrix(kernel)
    colours = {"h0": "tab:red", "h1": "tab:green", "h2": "tab:blue"}
    fig, axes = plt.subplots(1, 3, figsize=(13.5, 4.6), gridspec_kw=dict(width_ratios=[1.35, 1, 1]))

    ax = axes[0]                                       # (a) the pass on the padded vector
    ax.set_xlim(-1.8, N + 0.8)
    ax.set_ylim(-0.3, 3.3)
    ax.axis("off")
    for i in range(-1, N + 1):
        pad = i in (-1, N)
        ax.add_patch(plt.Rectangle((i - 0.4, 2.3), 0.8, 0.7, fc="0.85" if pad else "white", ec="k",
                                   ls="--" if pad else "-"))
        ax.text(i, 2.65, "0" if pad else f"x[{i}]", ha="center", va="center", fontsize=9)
    for j in range(N):
        ax.add_patch(plt.Rectangle((j - 0.4, 0.0), 0.8, 0.7, fc="white", ec="k"))
        ax.text(j, 0.35, f"y[{j}]", ha="center", va="center", fontsize=9)
    for j in (0, 3):                                   # a boundary output and an interior one
        for b, name in enumerate(("h0", "h1", "h2")):
            src = j - b + 1
            ax.annotate("", xy=(j, 0.72), xytext=(src, 2.28),
                        arrowprops=dict(arrowstyle="->", color=colours[name], lw=1.6))
            ax.text((j + src) / 2 + (0.12 if src >= j else -0.12), 1.5, name, color=colours[name],
                    fontsize=9, ha="center")
    ax.set_title("(a) y = h * x: y[j] = h0 x[j+1] + h1 x[j] + h2 x[j-1]\n"
                 "the kernel is read backwards (the flip); at j = 0 the h2 tap hits the padding",
                 fontsize=9)

    for ax, M, title in ((axes[1], C, "(b) the pass as a matrix C\nrow j = the flipped kernel around column j"),
                         (axes[2], C.T, "(c) its transpose C^T = correlation with the same h\n"
                                        "row i = h0 h1 h2 in reading order; corners cut the same way")):
        ax.set_xlim(-0.5, N - 0.5)
        ax.set_ylim(N - 0.5, -0.5)
        ax.set_xticks(range(N))
        ax.set_yticks(range(N))
        ax.set_xlabel("column")
        ax.set_ylabel("row")
        for (r, c), v in np.ndenumerate(M):
            if v != 0:
                name = symbolic(M, kernel)[r, c]
                ax.add_patch(plt.Rectangle((c - 0.45, r - 0.45), 0.9, 0.9, fc=colours[name], alpha=0.25))
                ax.text(c, r, name, ha="center", va="center", color=colours[name], fontsize=11)
        ax.set_title(title, fontsize=9)
        ax.set_aspect("equal")
    fig.tight_layout()
    try:
        return str(save(fig, os.path.join(out_dir, "one_d_pass.png"), dpi=110, formats=("png",))[0])
    finally:
        plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
