# What H_C measures: l_C = 1/2 log(L1^2/L2^2) - 1/2 log R (eq. D16), its two extremes, Figure 1 and Adam.
"""Numbers (and, with ``--out DIR``, the figure) of ``docs/what_hc_measures.md``.

Run: ``python examples/what_hc_measures.py [--out DIR]`` (a few seconds). The page's ``text``
blocks are this script's output; ``tests/test_what_hc_measures.py`` checks that they agree.

The identity (``docs/derivation.md`` eq. D16), exact for every shape and every choice of axes::

    l_C(W) = -H_C(W) = 1/2 log(||W||_1^2 / ||W||_2^2) - 1/2 log R(W),    R(W) = E(W) / ||W||_2^2,

with ``E`` the Scharr energy (eq. D4) and ``R`` the Rayleigh quotient of the Scharr operator.
"""

from __future__ import annotations

import argparse
import os
import sys

if __name__ == "__main__":                     # tiny problems: BLAS threads only spin
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import scipy.optimize  # noqa: E402

import entropy_ref as er  # noqa: E402
from entropy_ref.figures import save  # noqa: E402
from entropy_ref.optim import AdamHP, adam_init, adam_step  # noqa: E402
from paper_matrices import figure1_matrices  # noqa: E402

#: E(e_p) of one interior unit spike: (||G_x||^2 + ||G_y||^2) / 2 = 236 / 1024 (eq. D17)
SPIKE_ENERGY = 236.0 / 1024.0
GRID = (24, 32)


# ---------------------------------------------------------------- the two terms of eq. D16
def energy(W, axes=None):
    """``E = (1/k) sum_a ||g_a||^2`` over the ``k`` chosen axes (eq. D4)."""
    g = er.scharr_gradient(W, axes)
    return sum(float(np.vdot(c, c)) for c in g) / len(g)


def hoyer_term(W):
    """``1/2 log(||W||_1^2 / ||W||_2^2)``: half the log DeepHoyer ratio = half the Renyi-2 entropy
    of ``p = |W| / ||W||_1`` (permutation invariant: blind to where the entries are)."""
    W = np.asarray(W, dtype=np.float64)
    return float(np.log(np.abs(W).sum()) - 0.5 * np.log(np.vdot(W, W)))


def rayleigh_term(W, axes=None):
    """``1/2 log R(W)``, ``R = E / ||W||_2^2``: the only part of ``H_C`` that sees the arrangement."""
    W = np.asarray(W, dtype=np.float64)
    return 0.5 * float(np.log(energy(W, axes) / np.vdot(W, W)))


def scharr_laplacian_dense(shape):
    """``L_S = (1/2) K^T K`` as a dense ``N x N`` matrix (``<w, L_S w> = E(W)``), from the package's
    operator and adjoint applied to all unit matrices at once."""
    n, m = shape
    N = n * m
    units = np.eye(N).reshape(N, n, m)
    comps = er.scharr_gradient(units, axes=(2, 1))
    return er.scharr_gradient_adjoint(comps, axes=(2, 1)).reshape(N, N) / 2.0


def checkerboard(shape):
    return (-1.0) ** np.add.outer(np.arange(shape[0]), np.arange(shape[1]))


def overlap(a, b):
    return abs(float(np.vdot(a, b))) / (np.linalg.norm(a) * np.linalg.norm(b))


def spikes(shape, count, heights=None, spacing=4):
    """``count`` interior spikes on a lattice of the given spacing (>= 3: their 3 x 3 supports do not
    touch, so ``E`` is the sum of the spikes' energies)."""
    W = np.zeros(shape)
    rows = range(1, shape[0] - 1, spacing)
    cols = range(1, shape[1] - 1, spacing)
    places = [(i, j) for i in rows for j in cols][:count]
    if len(places) < count:
        raise ValueError(f"{shape} holds only {len(places)} separated spikes, not {count}")
    for p, h in zip(places, np.ones(count) if heights is None else heights):
        W[p] = h
    return W


def minimise_hc(W0):
    """L-BFGS on ``H_C`` (``configuration_entropy_grad``); returns the end point at unit norm."""
    def f(x):
        H, g = er.configuration_entropy_grad(x.reshape(W0.shape))
        return H, g.ravel()
    res = scipy.optimize.minimize(f, W0.ravel(), jac=True, method="L-BFGS-B",
                                  options=dict(maxiter=5000, maxcor=20, gtol=1e-12, ftol=1e-15))
    W = res.x.reshape(W0.shape)
    return W / np.linalg.norm(W)


def train_sparsity_loss(W0, steps, adam):
    """Minimise ``l_C`` alone with Adam (paper: lr 1e-4) or with gradient steps of fixed angle
    ``1e-3`` (``W <- W - 1e-3 ||W|| g / ||g||``). Yields ``(t, W_t, step_t)`` every step."""
    W, state, hp = W0.copy(), adam_init(W0), AdamHP(lr=1e-4)
    for t in range(1, steps + 1):
        _, g = er.sparsity_loss_grad(W)
        if adam:
            W_new, state = adam_step(W, g, state, hp)
        else:
            W_new = W - 1e-3 * np.linalg.norm(W) * g / np.linalg.norm(g)
        yield t, W_new, W_new - W
        W = W_new


def top_share(W, fraction=0.01):
    """Share of ``||W||_2^2`` held by the largest ``fraction`` of the entries."""
    a = np.sort(np.abs(W).ravel())[::-1] ** 2
    return float(a[:max(1, int(round(fraction * a.size)))].sum() / a.sum())


# ---------------------------------------------------------------- the sections of the page
def section_identity():
    print("== 1. the identity l_C = 1/2 log(L1^2/L2^2) - 1/2 log R (D16) ==")
    rng = np.random.default_rng(0)
    sparse = rng.standard_normal((12, 10)) * (rng.random((12, 10)) < 0.3)
    cases = [("(4, 5) float64", rng.standard_normal((4, 5)), None),
             ("(300, 784) float64", rng.standard_normal((300, 784)), None),
             ("(300, 784) float32", rng.standard_normal((300, 784)).astype(np.float32), None),
             ("(12, 10) 70% zeros", sparse, None),
             ("(6, 7, 8) axes (2, 1, 0)", rng.standard_normal((6, 7, 8)), (2, 1, 0))]
    print(f"{'W':26s} {'l_C':>10s} {'1/2 log(L1^2/L2^2)':>19s} {'1/2 log R':>10s} {'|difference|':>13s}")
    for name, W, axes in cases:
        l = er.sparsity_loss(W, axes=axes)
        a, b = hoyer_term(W), rayleigh_term(W, axes)
        print(f"{name:26s} {l:10.6f} {a:19.6f} {b:10.6f} {abs(l - (a - b)):13.1e}")


def section_spikes():
    print("\n== 2. J separated spikes: H_C = 1/2 log(236/1024) - 1/2 log J (D17) ==")
    shape = (64, 64)
    print(f"{'J':>4s} {'H_C':>10s} {'1/2 log(236/1024) - 1/2 log J':>31s} {'1/2 log R':>10s}"
          f" {'1/2 log(L1^2/L2^2)':>19s}")
    for J in (1, 4, 16, 64):
        W = spikes(shape, J)
        exact = 0.5 * np.log(SPIKE_ENERGY) - 0.5 * np.log(J)
        print(f"{J:4d} {er.configuration_entropy(W):10.6f} {exact:31.6f} {rayleigh_term(W):10.6f}"
              f" {hoyer_term(W):19.6f}")
    heights = np.array([3.0, -1.0, 0.5, 2.0, -0.25])
    W = spikes(shape, heights.size, heights)
    eff = np.abs(heights).sum() ** 2 / np.vdot(heights, heights)
    print(f"5 spikes of heights {heights.tolist()}: (L1/L2)^2 = {eff:.6f} 'effective spikes';"
          f" H_C = {er.configuration_entropy(W):.6f},"
          f" 1/2 log(236/1024) - 1/2 log({eff:.6f}) = {0.5 * np.log(SPIKE_ENERGY) - 0.5 * np.log(eff):.6f}")


def section_extremes():
    n, m = GRID
    print(f"\n== 3. the two extremes on a {n} x {m} grid ==")
    L = scharr_laplacian_dense(GRID)
    spike = np.zeros(GRID)
    spike[n // 2, m // 2] = 1.0
    cb = checkerboard(GRID)
    W_star = np.linalg.solve(L, cb.ravel()).reshape(GRID)
    q = float(cb.ravel() @ W_star.ravel())
    mu0 = float(np.linalg.eigvalsh(L)[0])
    rng = np.random.default_rng(0)
    ends = [minimise_hc(rng.standard_normal(GRID)) for _ in range(3)]
    print(f"{'':34s} {'H_C':>10s} {'1/2 log R':>10s} {'1/2 log(L1^2/L2^2)':>19s}")
    gauss = rng.standard_normal(GRID)
    rows = [("one interior spike (max H_C)", spike),
            ("iid Gaussian", gauss),
            ("W* = L_S^-1 (-1)^(i+j) (min H_C)", W_star)]
    for name, W in rows:
        print(f"{name:34s} {er.configuration_entropy(W):10.6f} {rayleigh_term(W):10.6f} {hoyer_term(W):19.6f}")
    print(f"1/2 log(236/1024) = {0.5 * np.log(SPIKE_ENERGY):.6f} (upper bound, D17)")
    print(f"-1/2 log(s^T L_S^-1 s) for s = (-1)^(i+j): {-0.5 * np.log(q):.6f} (D18)")
    print(f"lower bound 1/2 log mu_0(L_S) - 1/2 log(nm) = {0.5 * np.log(mu0) - 0.5 * np.log(n * m):.6f}")
    print("L-BFGS on H_C from 3 random starts: H_C = "
          + ", ".join(f"{er.configuration_entropy(W):.6f}" for W in ends)
          + "; overlap with W* = " + ", ".join(f"{overlap(W, W_star):.6f}" for W in ends))
    print(f"W*: entries with sign (-1)^(i+j): {np.mean(np.sign(W_star) == cb):.0%};"
          f" smallest |W*| / max |W*| = {np.abs(W_star).min() / np.abs(W_star).max():.3f};"
          f" (L1/L2)^2 / (nm) = {np.exp(2 * hoyer_term(W_star)) / W_star.size:.4f}")
    return spike, gauss, W_star


def section_figure1():
    print("\n== 4. the paper's Figure 1 decomposed (256 x 256, 1024 ones, seed 0) ==")
    W_D, W_S = figure1_matrices(seed=0)
    print(f"{'':4s} {'H_C':>10s} {'1/2 log R':>10s} {'1/2 log(L1^2/L2^2)':>19s} {'L1/L2':>7s}")
    values = {}
    for name, W in (("W_D", W_D), ("W_S", W_S)):
        values[name] = (er.configuration_entropy(W), rayleigh_term(W), hoyer_term(W))
        print(f"{name:4s} {values[name][0]:10.6f} {values[name][1]:10.6f} {values[name][2]:19.6f}"
              f" {np.abs(W).sum() / np.linalg.norm(W):7.3f}")
    gap = values["W_D"][0] - values["W_S"][0]
    print(f"H_C(W_D) - H_C(W_S) = {gap:.6f} nats, of which the Rayleigh term: "
          f"{values['W_D'][1] - values['W_S'][1]:.6f}, the Hoyer term: {values['W_D'][2] - values['W_S'][2]:.6f}")
    print(f"the same change of H_C as multiplying the number of separated spikes by exp(2 x gap) = "
          f"{np.exp(2 * gap):.4f}")
    for name, W in (("W_D", W_D), ("W_S", W_S)):
        ones = W > 0
        padded = np.pad(ones, 1)
        neigh = sum(np.roll(np.roll(padded, a, 0), b, 1) for a in (-1, 0, 1) for b in (-1, 0, 1))[1:-1, 1:-1]
        isolated = float(np.mean(neigh[ones] == 1))
        print(f"{name}: ones with no other one among their 8 neighbours: {isolated:.1%}")
    return W_D, W_S


def section_adam():
    print("\n== 5. Adam vs D13 (minimising l_C alone, 100 x 300, PyTorch init, seed 0) ==")
    rng = np.random.default_rng(0)
    W0 = rng.uniform(-1.0, 1.0, (100, 300)) / np.sqrt(300.0)
    report = (1, 10, 100, 1000, 3000)
    print(f"{'':5s} {'step':>5s} {'||W||/||W_0||':>14s} {'cos(W, step)':>13s} {'max |W|':>8s}"
          f" {'top 1% share of ||W||^2':>24s} {'H_C':>9s}")
    for label, adam in (("Adam", True), ("GD", False)):
        W_prev = W0
        for t, W, step in train_sparsity_loss(W0, report[-1], adam):
            if t in report:
                cos = float(np.vdot(W_prev, step)) / (np.linalg.norm(W_prev) * np.linalg.norm(step))
                print(f"{label:5s} {t:5d} {np.linalg.norm(W) / np.linalg.norm(W0):14.6f} {cos:13.1e}"
                      f" {np.abs(W).max():8.4f} {top_share(W):24.3f} {er.configuration_entropy(W):9.4f}")
            W_prev = W
    print(f"start: max |W| = {np.abs(W0).max():.4f}, top 1% share = {top_share(W0):.3f},"
          f" H_C = {er.configuration_entropy(W0):.4f}")


# ---------------------------------------------------------------- figure
def figure(spike, gauss, W_star, W_D, W_S, out_dir):
    """Top: the two extremes of H_C. Bottom: H_C split by eq. D16 for a few matrices."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(12.5, 6.6))
    grid = fig.add_gridspec(2, 3, height_ratios=[1, 1.1], hspace=0.25)
    for col, (A, title, cmap, signed) in enumerate([
            (spike, f"(a) one interior spike: H_C = {er.configuration_entropy(spike):.4f}\n"
                    "the global maximum (sparsest)", "RdBu_r", True),
            (W_star, f"(b) W* = L_S^-1 (-1)^(i+j): H_C = {er.configuration_entropy(W_star):.4f}\n"
                     "the minimum found (dense checkerboard)", "RdBu_r", True),
            (W_star * checkerboard(W_star.shape), "(c) panel (b) times (-1)^(i+j) = |W*|:\n"
             "no entry is zero", "viridis", False)]):
        ax = fig.add_subplot(grid[0, col])
        lim = float(np.abs(A).max())
        im = ax.imshow(A, cmap=cmap, vmin=-lim if signed else 0, vmax=lim, interpolation="nearest")
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        fig.colorbar(im, ax=ax, shrink=0.75)
    mats = [("one spike", spike), ("16 separated spikes", spikes((64, 64), 16)),
            ("Figure 1 W_D", W_D), ("Figure 1 W_S", W_S),
            ("iid Gaussian 24x32", gauss), ("W* (min H_C)", W_star)]
    ax = fig.add_subplot(grid[1, :])
    y = np.arange(len(mats))[::-1]
    ray = np.array([rayleigh_term(W) for _, W in mats])
    hoy = np.array([hoyer_term(W) for _, W in mats])
    ax.barh(y, ray, color="tab:orange", label="1/2 log R(W)  (arrangement: Rayleigh quotient)")
    ax.barh(y, -hoy, left=np.minimum(ray, 0), color="tab:blue",
            label="-1/2 log(||W||_1^2/||W||_2^2)  (spread of magnitudes: Hoyer / Renyi-2)")
    for yy, r, h in zip(y, ray, hoy):
        ax.plot([r - h], [yy], "kD", ms=5)
        ax.text(r - h - 0.08, yy, f"H_C = {r - h:.3f}", ha="right", va="center", fontsize=8)
    ax.plot([], [], "kD", ms=5, label="H_C = sum of the two (eq. D16)")
    ax.set_yticks(y)
    ax.set_yticklabels([name for name, _ in mats])
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlim(min(ray - hoy) - 1.6, 0.3)
    ax.set_xlabel("nats")
    ax.set_title("(d) H_C = 1/2 log R - 1/2 log(L1^2/L2^2): where each matrix's value comes from", fontsize=9)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.19), ncol=3)
    try:
        return str(save(fig, os.path.join(out_dir, "what_hc_measures.png"), dpi=110, formats=("png",))[0])
    finally:
        plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=None, help="directory for what_hc_measures.png (default: no figure)")
    args = ap.parse_args(argv)
    section_identity()
    section_spikes()
    spike, gauss, W_star = section_extremes()
    W_D, W_S = section_figure1()
    section_adam()
    if args.out is not None:
        os.makedirs(args.out, exist_ok=True)
        print(f"\nwrote {os.path.basename(figure(spike, gauss, W_star, W_D, W_S, args.out))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
