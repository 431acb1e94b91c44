# Paper section 3.1 made concrete: H_C vs the Laplacian ground state, the torsion problem, l_C -> one spike.
"""Numbers and figures for ``docs/helmholtz.md``.

Run: ``python examples/helmholtz.py [--out DIR] [--n 24] [--m 32] [--seed 0] [--inits 6]
[--steps 10000]`` (under a minute; the last line gives the running time). The numbers are printed;
``--out DIR`` also writes the three PNG figures into ``DIR``.

Operators on an ``n x m`` grid, both with zero (Dirichlet) boundary values:

* ``L5``: the textbook 5-point Dirichlet Laplacian, ``<W, L5 W> = sum of squared neighbour
  differences`` (a discretisation of the paper's eq. 5);
* ``LS = (1/2) K^T K`` with ``K`` the Scharr operator, so ``<W, LS W> = E(W)`` is exactly the energy
  inside ``H_C`` (``docs/derivation.md`` D4, D9). Its Rayleigh quotient is ``R_S = E / ||W||_2^2``.

Exact identity used throughout: ``H_C = 1/2 log R_S - log(||W||_1 / ||W||_2)``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import types

# Single-threaded BLAS: these problems are tiny (768 unknowns) and OpenBLAS threads only spin on the
# shared 2-core machine (L-BFGS ran 8x slower with them). Must be set before NumPy is imported.
if __name__ == "__main__":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import scipy.optimize  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import scipy.sparse.linalg as spla  # noqa: E402

import entropy_ref as er  # noqa: E402
from entropy_ref.figures import save  # noqa: E402


# ---------------------------------------------------------------- operators and ground states
def dirichlet_laplacian(n, m):
    """5-point Dirichlet Laplacian on an ``n x m`` grid (row-major ravel), sparse CSC, SPD."""
    def lap1(k):
        return sp.diags([-np.ones(k - 1), 2.0 * np.ones(k), -np.ones(k - 1)], [-1, 0, 1])
    return (sp.kron(lap1(n), sp.eye(m)) + sp.kron(sp.eye(n), lap1(m))).tocsc()


def scharr_laplacian(n, m):
    """``LS = (1/2) K^T K`` as a sparse matrix: column ``p`` is ``LS`` applied to the unit matrix ``e_p``.

    Built with the package's own operator and adjoint on a stack of all ``n*m`` unit matrices
    (N-D ``axes``: x = axis 2, y = axis 1 of the stack). Singular when ``n`` and ``m`` are both odd
    (``docs/derivation.md`` section 7), so that case is refused.
    """
    if n % 2 and m % 2:
        raise ValueError(f"LS is singular for odd x odd grids ({n} x {m}); use an even n or m")
    N = n * m
    units = np.eye(N).reshape(N, n, m)
    comps = er.scharr_gradient(units, axes=(2, 1))
    cols = er.scharr_gradient_adjoint(comps, axes=(2, 1)).reshape(N, N) / 2.0
    return sp.csc_matrix(cols.T)


def ground_state(L, shape):
    """Lowest eigenpair of the SPD matrix ``L`` (``eigsh`` in shift-invert mode at 0), unit norm.

    The Lanczos start vector is seeded (ARPACK's default is random) so that repeated runs print the
    same rounding-level digits.
    """
    v0 = np.random.default_rng(12345).standard_normal(L.shape[0])
    vals, vecs = spla.eigsh(L, k=1, sigma=0.0, which="LM", v0=v0)
    v = vecs[:, 0].reshape(shape)
    return float(vals[0]), v * np.sign(v.flat[np.argmax(np.abs(v))])


def checkerboard(shape):
    """``(-1)^(i + j)``."""
    return (-1.0) ** np.add.outer(np.arange(shape[0]), np.arange(shape[1]))


def overlap(a, b):
    """``|<a, b>| / (||a|| ||b||)``: 1 for parallel matrices, 0 for orthogonal ones."""
    return abs(float(np.vdot(a, b))) / (np.linalg.norm(a) * np.linalg.norm(b))


def solve(L, rhs):
    """``L^{-1} rhs`` for a matrix-shaped right-hand side."""
    return spla.spsolve(L, rhs.ravel()).reshape(rhs.shape)


def edge_ratio(W):
    """``max |W|`` on the outer ring of entries divided by ``max |W|``: 0 for an exact Dirichlet profile."""
    ring = np.concatenate([W[0], W[-1], W[:, 0], W[:, -1]])
    return float(np.abs(ring).max() / np.abs(W).max())


def l1_over_l2(W):
    return float(np.abs(W).sum() / np.linalg.norm(W))


def rayleigh(L, W):
    """``<W, L W> / ||W||^2``."""
    w = W.ravel()
    return float(w @ (L @ w)) / float(w @ w)


# ---------------------------------------------------------------- objectives (value, gradient)
def hc_objective(x, shape):
    """``H_C`` and its gradient (``configuration_entropy_grad``) on a flat vector, for scipy."""
    H, g = er.configuration_entropy_grad(x.reshape(shape))
    return H, g.ravel()


def log_rayleigh_objective(x, shape):
    """``1/2 log R_S = 1/2 log E - 1/2 log ||W||^2`` (the L2 version), via the Scharr adjoint."""
    W = x.reshape(shape)
    g = er.scharr_gradient(W)
    E = sum(float(np.vdot(c, c)) for c in g) / 2.0
    q = float(np.vdot(W, W))
    grad = er.scharr_gradient_adjoint(g) / (2.0 * E) - W / q
    return 0.5 * np.log(E) - 0.5 * np.log(q), grad.ravel()


def hc_five_point_objective(x, L5):
    """Control: ``H_C`` with the Scharr energy replaced by ``<W, L5 W>`` (scale irrelevant)."""
    Lx = L5 @ x
    q, S = float(x @ Lx), float(np.abs(x).sum())
    return 0.5 * np.log(q) - np.log(S), Lx / q - np.sign(x) / S


def lbfgs(fun, x0, *args):
    """Minimise with scipy's L-BFGS-B (no bounds); returns the minimiser scaled to unit L2 norm."""
    res = scipy.optimize.minimize(fun, x0.ravel(), args=args, jac=True, method="L-BFGS-B",
                                  options=dict(maxiter=5000, maxcor=20, gtol=1e-12, ftol=1e-15))
    x = res.x.reshape(x0.shape)
    return x / np.linalg.norm(x), res.nit


def minimise_sparsity_loss(W0, n_steps=10000, eta0=0.2, record=()):
    """Minimise ``l_C = -H_C`` by normalised gradient steps on the unit sphere.

    ``W <- W - eta_t g / ||g||`` then ``W <- W / ||W||`` with ``eta_t = eta0 / (1 + t / 100)``.
    ``l_C`` is scale invariant and its gradient is orthogonal to ``W`` (D13), so the step length is
    an angle and the projection only undoes the second-order growth of ``||W||``.

    Returns
    -------
    W : ndarray, the final iterate (unit L2 norm)
    history : dict with ``"H_C"`` and ``"top_share"`` per step, and ``"snapshots"`` ``{step: W}``
        for the steps in ``record``.
    """
    W = W0 / np.linalg.norm(W0)
    hist = {"H_C": [], "top_share": [], "snapshots": {}}
    for t in range(n_steps):
        if t in record:
            hist["snapshots"][t] = W.copy()
        loss, g = er.sparsity_loss_grad(W)
        hist["H_C"].append(-loss)
        hist["top_share"].append(top_share(W))
        W = W - (eta0 / (1.0 + t / 100.0)) * g / np.linalg.norm(g)
        W /= np.linalg.norm(W)
    hist["snapshots"][n_steps] = W.copy()
    return W, hist


def spike_bound(LS):
    """``max_p 1/2 log E(e_p) = 1/2 log max diag(LS)``: the largest ``H_C`` of a single spike.

    By the triangle inequality ``sqrt(E(W)) <= sum_p |W_p| sqrt(E(e_p))``, so ``H_C(W)`` never
    exceeds this value, for any ``W``; equality needs a single spike at a maximising position.
    """
    return 0.5 * float(np.log(LS.diagonal().max()))


def top_share(W):
    """Fraction of ``sum |W|`` carried by the largest entry."""
    a = np.abs(W)
    return float(a.max() / a.sum())


# ---------------------------------------------------------------- test matrices for eq. 6
def matrix_classes(shape, rng, per_class=25):
    """``{name: [W, ...]}``: iid Gaussian, smooth (low-pass), sparse (1-20 spikes), checkerboard x smooth."""
    n, m = shape
    i, j = np.meshgrid(np.arange(n), np.arange(m), indexing="ij")
    out = {"random": [], "smooth": [], "sparse": [], "checkerboard": []}
    for _ in range(per_class):
        out["random"].append(rng.standard_normal(shape))
        smooth = np.zeros(shape)
        for a in range(1, 4):
            for b in range(1, 4):
                smooth += rng.standard_normal() / (a * b) * np.sin(np.pi * a * (i + 1) / (n + 1)) \
                    * np.sin(np.pi * b * (j + 1) / (m + 1))
        out["smooth"].append(smooth)
        out["checkerboard"].append(smooth * checkerboard(shape))
        sparse = np.zeros(n * m)
        k = int(rng.integers(1, 21))
        sparse[rng.choice(n * m, size=k, replace=False)] = rng.standard_normal(k)
        out["sparse"].append(sparse.reshape(shape))
    return out


def eq6_terms(W, L5, LS):
    """The three lines of the paper's eq. 6 evaluated at one ``W`` (plus the pieces)."""
    q = float(np.vdot(W, W))
    line1 = np.log(float(W.ravel() @ (LS @ W.ravel()))) - np.log(q)      # log R_S
    line3 = er.configuration_entropy(W)                                   # = 1/2 log R_S - log(L1/L2)
    return dict(line1_logRS=line1, half_logRS=0.5 * line1, log_l1_l2=np.log(l1_over_l2(W)),
                H_C=line3, half_logR5=0.5 * np.log(rayleigh(L5, W)))


# ---------------------------------------------------------------- figures
def save_figure(fig, out_dir, name):
    """Write ``fig`` as the PNG ``out_dir/name`` atomically (the package's figure writer)."""
    return str(save(fig, os.path.join(out_dir, name), dpi=110, formats=("png",))[0])


def _show(ax, A, title, signed=True):
    lim = float(np.abs(A).max())
    im = ax.imshow(A, cmap="RdBu_r" if signed else "viridis", vmin=-lim if signed else 0, vmax=lim,
                   interpolation="nearest")
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    return im


def figure_ground_states(u5, uS, W_hc, t5, out_dir):
    import matplotlib.pyplot as plt

    cb = checkerboard(u5.shape)
    fig, axes = plt.subplots(2, 3, figsize=(12, 6.4))
    panels = [(u5, "(a) ground state of the 5-point\nDirichlet Laplacian L5 (eigsh)"),
              (uS, "(b) ground state of LS = K^T K / 2\n(the energy inside H_C)"),
              (W_hc, "(c) minimiser of H_C\n(L-BFGS from random init)"),
              (uS * cb, "(d) panel (b) times (-1)^(i+j)"),
              (W_hc * cb, "(e) panel (c) times (-1)^(i+j)")]
    for ax, (A, title) in zip(axes.flat, panels):
        fig.colorbar(_show(ax, A, title), ax=ax, shrink=0.8)
    ax = axes[1, 2]
    row = u5.shape[0] // 2
    for A, label, style in [(u5, "L5 ground state (a)", "k-"), (t5, "L5 torsion L5^-1 1", "k--"),
                            (uS * cb, "LS ground state x cb (d)", "C0-o"),
                            (W_hc * cb, "H_C minimiser x cb (e)", "C3-s")]:
        ax.plot(A[row] / np.abs(A[row]).max(), style, ms=3, label=label)
    ax.set_title(f"(f) row {row} of each matrix, scaled to max 1", fontsize=9)
    ax.set_xlabel("column j")
    ax.legend(fontsize=7, loc="lower center")
    ax.set_ylim(0, 1.05)
    fig.tight_layout()
    path = save_figure(fig, out_dir, "helmholtz_ground_states.png")
    plt.close(fig)
    return path


def figure_sparsity_loss(histories, bound, out_dir):
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    snaps = histories[0]["snapshots"]
    steps = sorted(snaps)
    fig = plt.figure(figsize=(13, 6.2))
    grid = fig.add_gridspec(2, len(steps) * 2, height_ratios=[1, 1.1], hspace=0.3, wspace=2.0)
    norm = LogNorm(vmin=1e-4, vmax=1.0)
    for k, t in enumerate(steps):
        ax = fig.add_subplot(grid[0, 2 * k:2 * k + 2])
        A = np.abs(snaps[t]) / np.abs(snaps[t]).max()
        im = ax.imshow(np.maximum(A, 1e-4), cmap="magma", norm=norm, interpolation="nearest")
        ax.set_title(f"step {t}: largest entry\nholds {top_share(A):.0%} of sum|W|", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(im, ax=fig.axes[:len(steps)], shrink=0.8, label="|W| / max|W| (log scale)")
    half = len(steps)
    ax1 = fig.add_subplot(grid[1, :half])
    ax2 = fig.add_subplot(grid[1, half:])
    for r, h in enumerate(histories):
        steps_axis = np.arange(1, len(h["H_C"]) + 1)
        ax1.semilogx(steps_axis, h["H_C"], label=f"init {r}")
        ax2.semilogx(steps_axis, h["top_share"], label=f"init {r}")
    ax1.axhline(bound, color="k", ls="--", label=f"one interior spike: {bound:.4f} (global max)")
    ax1.set_xlabel("step")
    ax1.set_ylabel("H_C (nats)")
    ax1.set_title("minimising l_C = -H_C: H_C rises to its global maximum", fontsize=9)
    ax1.legend(fontsize=8)
    ax2.set_xlabel("step")
    ax2.set_ylabel("largest |W_p| / sum |W|")
    ax2.set_ylim(0, 1)
    ax2.set_title("share of the L1 mass held by the largest entry", fontsize=9)
    ax2.legend(fontsize=8)
    path = save_figure(fig, out_dir, "helmholtz_sparsity_loss.png")
    plt.close(fig)
    return path


def figure_rayleigh(points, out_dir):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6))
    for name, pts in points.items():
        pts = np.array([(p["half_logRS"], p["H_C"], p["half_logR5"]) for p in pts])
        axes[0].plot(pts[:, 0], pts[:, 1], "o", ms=4, label=name)
        axes[1].plot(pts[:, 2], pts[:, 1], "o", ms=4, label=name)
    lo, hi = axes[0].get_xlim()
    axes[0].plot([lo, hi], [lo, hi], "k--", lw=1, label="H_C = 1/2 log R_S")
    axes[0].set_xlabel("1/2 log R_S,  R_S = E / ||W||_2^2 (Scharr energy)")
    axes[0].set_ylabel("H_C (nats)")
    axes[0].set_title("vertical gap below the line = log(||W||_1 / ||W||_2), exactly", fontsize=9)
    axes[1].set_xlabel("1/2 log R_5,  R_5 = <W, L5 W> / ||W||_2^2 (5-point Laplacian)")
    axes[1].set_ylabel("H_C (nats)")
    axes[1].set_title("H_C against the textbook Dirichlet Rayleigh quotient", fontsize=9)
    for ax in axes:
        ax.legend(fontsize=8)
    fig.tight_layout()
    path = save_figure(fig, out_dir, "helmholtz_rayleigh.png")
    plt.close(fig)
    return path


# ---------------------------------------------------------------- the study, one function per section
def _sign_match(W, cb):
    return float(np.mean(np.sign(W) == np.sign(W.flat[0]) * cb))


def section_ground_states(c):
    n, m = c.shape
    print(f"== 1. ground states on a {n} x {m} grid ==")
    lam5, c.u5 = ground_state(c.L5, c.shape)
    c.lamS, c.uS = ground_state(c.LS, c.shape)
    exact5 = 4 * np.sin(np.pi / (2 * (n + 1))) ** 2 + 4 * np.sin(np.pi / (2 * (m + 1))) ** 2
    r5 = rayleigh(c.LS, c.u5)
    print(f"L5: mu_0 = {lam5:.6f} (closed form {exact5:.6f})")
    print(f"LS: mu_0 = {c.lamS:.3e}; R_S of the L5 ground state = {r5:.3e} ({r5 / c.lamS:.1f} x higher)")
    print(f"overlap(LS ground state, L5 ground state)        = {overlap(c.uS, c.u5):.2e}")
    print(f"overlap(LS ground state x (-1)^(i+j), L5 ground) = {overlap(c.uS * c.cb, c.u5):.4f}")
    print(f"sign(LS ground state) == +-(-1)^(i+j) on {_sign_match(c.uS, c.cb):.0%} of entries")
    print(f"largest |phi_0| on the outer ring / max |phi_0|: L5 ground state {edge_ratio(c.u5):.3f},"
          f" LS ground state {edge_ratio(c.uS):.3f}")


def section_minimise_hc(c):
    print("\n== 2. minimising H_C alone (L-BFGS, configuration_entropy_grad) ==")
    c.torsion_cb = solve(c.LS, c.cb)
    ends = []
    for r, W0 in enumerate(c.inits):
        W, nit = lbfgs(hc_objective, W0, c.shape)
        ends.append(W)
        print(f"init {r}: {nit:4d} iterations, H_C = {er.configuration_entropy(W):.6f},"
              f" overlap with LS^-1 (-1)^(i+j) {overlap(W, c.torsion_cb):.6f}, with LS^-1 sign(W)"
              f" {overlap(W, solve(c.LS, np.sign(W))):.6f}")
    best = min(ends, key=er.configuration_entropy)
    c.W_hc = W = best * np.sign(np.vdot(best, c.uS))
    h_best = er.configuration_entropy(W)
    n_best = sum(abs(er.configuration_entropy(V) - h_best) < 1e-6 for V in ends)
    worst = min(overlap(V, solve(c.LS, np.sign(V))) for V in ends)
    print(f"{n_best} of {len(ends)} inits reach the lowest value; every end point W satisfies"
          f" W ~ LS^-1 sign(W) (overlap >= {worst:.6f})")
    print(f"best minimiser: overlap with LS^-1 (-1)^(i+j) {overlap(W, c.torsion_cb):.10f},"
          f" with LS ground state {overlap(W, c.uS):.4f}, with L5 ground state {overlap(W, c.u5):.1e},"
          f" |W| with L5 ground state {overlap(np.abs(W), c.u5):.4f}")
    LSW = c.LS @ W.ravel()
    resid = LSW - float(W.ravel() @ LSW) / np.abs(W).sum() * np.sign(W.ravel())
    print(f"stationarity LS W = (E/S) sign(W): relative residual "
          f"{np.linalg.norm(resid) / np.linalg.norm(LSW):.1e}")
    print(f"sign(best minimiser) == +-(-1)^(i+j) on {_sign_match(W, c.cb):.0%} of entries")
    print(f"largest |W| on the outer ring / max |W|: {edge_ratio(W):.3f}")
    print(f"H_C: best minimiser {h_best:.4f}, LS ground state {er.configuration_entropy(c.uS):.4f},"
          f" L5 ground state {er.configuration_entropy(c.u5):.4f}, iid Gaussian"
          f" {er.configuration_entropy(c.inits[0]):.4f}")
    lower = 0.5 * np.log(c.lamS) - 0.5 * np.log(W.size)
    print(f"certified lower bound 1/2 log mu_0(LS) - 1/2 log(n m) = {lower:.4f}"
          f" (E >= mu_0 ||W||_2^2, sum|W| <= sqrt(n m) ||W||_2): gap {h_best - lower:.4f} nats")


def section_l1_vs_l2(c):
    print("\n== 3. L2 denominator (Rayleigh quotient) vs L1 denominator (H_C) ==")
    for r, W0 in enumerate(c.inits[:2]):
        W, nit = lbfgs(log_rayleigh_objective, W0, c.shape)
        print(f"min 1/2 log R_S from init {r}: {nit:4d} iterations, overlap with LS ground state"
              f" {overlap(W, c.uS):.8f}")
    c.t5 = solve(c.L5, np.ones(c.shape))
    W5, _ = lbfgs(hc_five_point_objective, c.inits[0], c.L5)
    print(f"control, H_C with the 5-point energy <W, L5 W>: overlap with L5 torsion L5^-1 1"
          f" {overlap(W5, c.t5):.10f}, with L5 ground state {overlap(W5, c.u5):.4f}")
    print("flatness (||W||_1 / ||W||_2)^2 / (n m)  [1 = constant magnitude]:")
    for name, A in [("L5 ground state", c.u5), ("L5 torsion (L1 minimiser)", c.t5),
                    ("LS ground state", c.uS), ("H_C minimiser", c.W_hc)]:
        print(f"  {name:27s} {l1_over_l2(A) ** 2 / A.size:.4f}")
    print(f"overlap(H_C minimiser, LS ground state) = {overlap(c.W_hc, c.uS):.4f};"
          f" overlap(L5 torsion, L5 ground state) = {overlap(c.t5, c.u5):.4f}")
    print("eq. 6 lines at the two minimisers      log R_S   1/2 log R_S - log(L1/L2) = H_C")
    for name, A in [("LS ground state", c.uS), ("H_C minimiser", c.W_hc)]:
        t = eq6_terms(A, c.L5, c.LS)
        print(f"  {name:35s} {t['line1_logRS']:9.4f}   {t['H_C']:9.4f}")


def section_minimise_sparsity_loss(c):
    print("\n== 4. minimising l_C = -H_C alone (normalised gradient steps) ==")
    c.bound = spike_bound(c.LS)
    centre = np.zeros(c.shape)
    centre[c.shape[0] // 2, c.shape[1] // 2] = 1.0
    print(f"upper bound 1/2 log max_p E(e_p) = {c.bound:.6f} = 1/2 log(236/1024) = "
          f"{0.5 * np.log(236 / 1024):.6f}; H_C of one interior spike = "
          f"{er.configuration_entropy(centre):.6f}")
    c.histories = []
    for r, W0 in enumerate(c.inits[:3]):
        W, hist = minimise_sparsity_loss(W0, n_steps=c.steps,
                                         record=tuple(t for t in (0, 30, 300, 3000) if t < c.steps))
        c.histories.append(hist)
        p = tuple(int(i) for i in np.unravel_index(np.argmax(np.abs(W)), c.shape))
        print(f"init {r}: H_C {hist['H_C'][0]:.4f} -> {er.configuration_entropy(W):.4f}, largest entry"
              f" holds {top_share(W):.1%} of sum|W| (at {p}), (||W||_1/||W||_2)^2 = {l1_over_l2(W) ** 2:.3f}")
    W, nit = lbfgs(lambda x: tuple(-v for v in hc_objective(x, c.shape)), c.inits[0])
    print(f"same with L-BFGS from init 0: stops after {nit} iterations at H_C ="
          f" {er.configuration_entropy(W):.4f}, largest entry holds {top_share(W):.1%}")


def section_eq6(c):
    print("\n== 5. eq. 6: H_C vs 1/2 log of the Rayleigh quotient (25 matrices per class) ==")
    c.points = {k: [eq6_terms(A, c.L5, c.LS) for A in v] for k, v in matrix_classes(c.shape, c.rng).items()}
    print(f"{'class':13s} {'H_C':>8s} {'1/2 log R_S':>12s} {'log(L1/L2)':>11s} {'|identity err|':>15s}"
          f" {'1/2 log R_5':>12s}")
    for name, pts in c.points.items():
        mean = {k: np.mean([p[k] for p in pts]) for k in pts[0]}
        err = max(abs(p["H_C"] - (p["half_logRS"] - p["log_l1_l2"])) for p in pts)
        print(f"{name:13s} {mean['H_C']:8.3f} {mean['half_logRS']:12.3f} {mean['log_l1_l2']:11.3f}"
              f" {err:15.1e} {mean['half_logR5']:12.3f}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=None, help="directory for the three PNG figures (default: no figures)")
    ap.add_argument("--n", type=int, default=24, help="grid rows (default 24)")
    ap.add_argument("--m", type=int, default=32, help="grid columns (default 32)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--inits", type=int, default=6, help="random initialisations (default 6, >= 3)")
    ap.add_argument("--steps", type=int, default=10000,
                    help="normalised gradient steps on l_C (default 10000, >= 301)")
    args = ap.parse_args(argv)
    if not (4 <= args.n and 4 <= args.m and args.n * args.m <= 4096):
        ap.error("need n, m >= 4 and n * m <= 4096 (LS is assembled from dense n*m x n*m temporaries)")
    if args.inits < 3:
        ap.error("--inits must be at least 3")
    if args.steps <= 300:
        ap.error("--steps must be more than 300 (snapshots are taken at steps 0, 30 and 300)")
    t_start = time.perf_counter()
    c = types.SimpleNamespace(shape=(args.n, args.m), rng=np.random.default_rng(args.seed), steps=args.steps)
    c.cb = checkerboard(c.shape)
    c.L5, c.LS = dirichlet_laplacian(*c.shape), scharr_laplacian(*c.shape)
    c.inits = [c.rng.standard_normal(c.shape) for _ in range(args.inits)]
    for section in (section_ground_states, section_minimise_hc, section_l1_vs_l2,
                    section_minimise_sparsity_loss, section_eq6):
        section(c)
    if args.out is not None:
        os.makedirs(args.out, exist_ok=True)
        files = [figure_ground_states(c.u5, c.uS, c.W_hc, c.t5, args.out),
                 figure_sparsity_loss(c.histories, c.bound, args.out), figure_rayleigh(c.points, args.out)]
        print("\nwrote " + ", ".join(os.path.basename(f) for f in files) + f" to {os.path.abspath(args.out)}")
    print(f"\nfinished in {time.perf_counter() - t_start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
