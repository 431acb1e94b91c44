# The kink of |w| at zero (eq. D11): what the returned gradient is there, the one-sided slopes of l_C, and Adam.
"""Numbers of ``docs/derivation.md``, D11.

Run: ``python examples/kink_at_zero.py``. The page's ``text`` block under D11 is this script's
output; ``tests/test_doc_outputs.py`` checks that they agree.

At an entry ``p`` with ``W_p = 0`` the package returns, for ``l_C = log S - 1/2 log E``, the
component ``-g_p`` with ``g_p = (K^T K W)_p / (k E)`` (the ``sign(W)/S`` term is 0 there). The
one-sided derivatives of ``l_C`` along ``+e_p`` and ``-e_p`` are ``1/S - g_p`` and ``1/S + g_p``.
"""

from __future__ import annotations

import numpy as np

import entropy_ref as er
from entropy_ref.optim import AdamHP, adam_init, adam_step

#: the matrix of docs/walkthrough.md with the entry (1, 2) set to zero
W = np.array([[1.0, 2.0, -1.0, 3.0, 1.0],
              [2.0, 4.0, 0.0, 1.0, -1.0],
              [-1.0, 3.0, 5.0, 2.0, 1.0],
              [1.0, -2.0, 1.0, 2.0, 3.0]])
P = (1, 2)
EPS = 1e-7
ETA = 1e-3


def one_sided(f, W, p, step):
    """``(f(W + step e_p) - f(W)) / |step|``: the slope of ``f`` along ``sign(step) e_p``."""
    moved = W.copy()
    moved[p] += step
    return (f(moved) - f(W)) / abs(step)


def main():
    print(f"== the kink at zero (D11): the walk-through matrix with W[{P[0]}, {P[1]}] = 0 ==")
    S = float(np.abs(W).sum())
    g = er.scharr_gradient(W)
    E = sum(float(np.vdot(c, c)) for c in g) / len(g)
    g_p = float(er.scharr_gradient_adjoint(g)[P]) / (len(g) * E)
    _, grad = er.sparsity_loss_grad(W)
    print(f"S = {S:g}, 1/S = {1 / S:.6f}; g_p = (K^T K W)_p / (k E) = {g_p:.6f}")
    print(f"returned component of grad l_C at p: {grad[P]:.6f}   (= -g_p: sign(0) = 0 drops the 1/S term)")
    print(f"one-sided slopes of l_C along +e_p, -e_p: 1/S - g_p = {1 / S - g_p:.6f}, 1/S + g_p = {1 / S + g_p:.6f}")
    print(f"the same by one-sided differences (eps = {EPS:g}): "
          f"{one_sided(er.sparsity_loss, W, P, EPS):.6f}, {one_sided(er.sparsity_loss, W, P, -EPS):.6f}")
    moved = W.copy()
    moved[P] -= ETA * grad[P]
    print(f"gradient step of size eta = {ETA:g} on entry p alone: W_p = 0 -> {moved[P]:.2e},"
          f" l_C changes by {er.sparsity_loss(moved) - er.sparsity_loss(W):+.2e}")

    print("\n== Adam (lr 1e-4) on l_C alone, 20 x 30 matrix with half its entries exactly zero, seed 0 ==")
    rng = np.random.default_rng(0)
    V = rng.uniform(-1, 1, (20, 30)) / np.sqrt(30.0) * (rng.random((20, 30)) < 0.5)
    state, hp = adam_init(V), AdamHP(lr=1e-4)
    print(f"step {0:4d}: {np.count_nonzero(V == 0):3d} of {V.size} entries exactly zero")
    for t in range(1, 1001):
        _, grad = er.sparsity_loss_grad(V)
        V, state = adam_step(V, grad, state, hp)
        if t in (1, 10, 1000):
            print(f"step {t:4d}: {np.count_nonzero(V == 0):3d} of {V.size} entries exactly zero,"
                  f" {np.count_nonzero(np.abs(V) < 1e-3):3d} below 1e-3 in magnitude")


if __name__ == "__main__":
    main()
