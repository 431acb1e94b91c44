# The numeric answers of the exercises in docs/exercises.md, each computed from its definition and by the package.
"""Answers of ``docs/exercises.md``.

Run: ``python examples/exercises.py``. The page's answer blocks are this script's output, in order;
``tests/test_doc_outputs.py`` checks that they agree, and every answer below is also computed a
second way (by the package, by finite differences, or by a matrix written out) and the two are
compared here.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.ndimage as ndimage

import entropy_ref as er
from entropy_ref import gradcheck
from entropy_ref.conventions import G_X, G_Y
from entropy_ref.golden import load
from entropy_ref.hoyer_rayleigh import loghoyer_grad
from entropy_ref.scharr import convolve3, correlate3
from entropy_ref.verify import check

np.set_printoptions(precision=6, suppress=True, floatmode="fixed", linewidth=100)

#: the matrix of docs/walkthrough.md
W_WALK = np.array([[1.0, 2.0, -1.0, 3.0, 1.0],
                   [2.0, 4.0, 1.0, 1.0, -1.0],
                   [-1.0, 3.0, 5.0, 2.0, 1.0],
                   [1.0, -2.0, 1.0, 2.0, 3.0]])


def header(number, title):
    print(f"\n== exercise {number}: {title} ==" if number > 1 else f"== exercise {number}: {title} ==")


def ints(a) -> str:
    """An array of integers (up to rounding in the last bits), printed without decimals."""
    r = np.rint(a)
    assert np.allclose(r, a, rtol=0, atol=1e-12), a
    return np.array2string(r.astype(int))


def agree(a, b, tol):
    """Both ways of computing an answer agree to ``tol`` (the script stops otherwise)."""
    diff = float(np.max(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float))))
    assert diff <= tol, (a, b, diff)
    return diff


def adjoint_of_a_pass():
    header(1, "the adjoint of a 3-tap convolution")
    h = np.array([1.0, 2.0, 3.0])
    C = np.stack([convolve3(np.eye(4)[p], h, axis=0) for p in range(4)], axis=1)
    y = np.array([1.0, 0.0, 0.0, 2.0])
    print("C =")
    print(ints(C))
    print("C^T =")
    print(ints(C.T))
    agree(C.T @ y, correlate3(y, h, axis=0), 0)
    print(f"C^T y = {ints(C.T @ y)} = correlation of y with h = {ints(correlate3(y, h, axis=0))}")


def scale_invariance():
    header(2, "scale invariance")
    W = np.array([[1.0, 2.0], [3.0, 4.0]])
    H, grad = er.configuration_entropy_grad(W)
    H2, grad2 = er.configuration_entropy_grad(-0.5 * W)
    agree(H, H2, 1e-15)
    print(f"H_C(W) = {H:.6f}, H_C(-0.5 W) = {H2:.6f}")
    print(f"grad H_C(-0.5 W) = -2 grad H_C(W): max |difference| = {agree(grad2, -2 * grad, 1e-15):.1e}")


def spikes():
    header(3, "H_C of separated spikes")
    places = [(4, 4), (4, 10), (10, 7)]
    for heights in ([1.0, 1.0, 1.0], [2.0, -1.0, 1.0]):
        W = np.zeros((16, 16))
        for p, v in zip(places, heights):
            W[p] = v
        S, Q = np.abs(W).sum(), np.vdot(W, W)
        formula = 0.5 * math.log(236 / 1024) - 0.5 * math.log(S * S / Q)
        agree(er.configuration_entropy(W), formula, 1e-12)
        print(f"heights {heights}: S^2/Q = {S * S / Q:.6f}, H_C = 1/2 log(236/1024) - 1/2 log(S^2/Q)"
              f" = {formula:.6f}")
    W = np.zeros((16, 16))
    W[4, 4] = W[4, 5] = 1.0
    print(f"two touching spikes at (4, 4), (4, 5): H_C = {er.configuration_entropy(W):.6f},"
          f" the formula would give {0.5 * math.log(236 / 1024) - 0.5 * math.log(2):.6f}")


def euler():
    header(4, "the Euler identity")
    W = W_WALK
    _, grad = er.configuration_entropy_grad(W)
    eta = 0.1
    change = float(np.vdot(W - eta * grad, W - eta * grad) - np.vdot(W, W))
    agree(change, eta ** 2 * np.vdot(grad, grad), 1e-12)
    print(f"<W, grad H_C> = {float(np.vdot(W, grad)):.1e}")
    print(f"eta = {eta:g}: ||W - eta grad||^2 - ||W||^2 = {change:.8f}, eta^2 ||grad||^2 ="
          f" {eta ** 2 * float(np.vdot(grad, grad)):.8f}")


def loghoyer():
    header(5, "the gradient of the log-Hoyer half")
    w = np.array([3.0, -1.0, 0.0, 2.0])
    S, Q = np.abs(w).sum(), np.vdot(w, w)
    by_hand = np.sign(w) / S - w / Q
    _, package = loghoyer_grad(w)
    agree(by_hand, package, 1e-15)
    print(f"S = {S:g}, Q = {Q:g}; sign(w)/S - w/Q = {by_hand}")
    print(f"loghoyer_grad: max |difference| = {np.abs(package - by_hand).max():.1e}")


def sign_convention():
    header(6, "the sign of G_x does not matter")
    W = W_WALK
    g = [ndimage.correlate(W, G, mode="constant") for G in (G_X, G_Y)]         # = -(g_x, g_y)
    E = sum(np.vdot(c, c) for c in g) / 2
    H = 0.5 * np.log(E) - np.log(np.abs(W).sum())
    KtKW = sum(ndimage.convolve(c, G, mode="constant") for c, G in zip(g, (G_X, G_Y)))   # (-K)^T (-K) W
    grad = KtKW / (2 * E) - np.sign(W) / np.abs(W).sum()
    H_ref, grad_ref = er.configuration_entropy_grad(W)
    print(f"correlation port: |H_C difference| = {agree(H, H_ref, 1e-14):.1e},"
          f" max |gradient difference| = {agree(grad, grad_ref, 1e-15):.1e}")


def float32_sum():
    header(7, "a float32 sum and its error bound")
    N = 300 * 784
    u = 2.0 ** -24
    x = np.abs(np.random.default_rng(0).uniform(-1, 1, N)).astype(np.float32)
    exact = math.fsum(x.astype(np.float64))
    sequential = float(np.cumsum(x, dtype=np.float32)[-1])
    pairwise = float(np.sum(x, dtype=np.float32))
    gamma = (N - 1) * u / (1 - (N - 1) * u)
    rel_seq, rel_pair = abs(sequential - exact) / exact, abs(pairwise - exact) / exact
    assert rel_seq <= gamma and rel_pair <= gamma
    print(f"N = {N}, u = 2^-24 = {u:.3e}: worst-case bound gamma_(N-1) = {gamma:.6f}")
    print(f"sequential float32 sum: relative error {rel_seq:.2e}")
    print(f"pairwise float32 sum (np.sum): relative error {rel_pair:.2e}")
    print(f"sqrt(N) u = {math.sqrt(N) * u:.2e}")


def diagnose_a_port():
    header(8, "a port to diagnose")
    def port_a(W):
        H, grad = er.configuration_entropy_grad(W)
        return H + np.log(np.size(W)), grad
    def port_b(W):
        H, grad = er.configuration_entropy_grad(W)
        return H - 0.5 * np.log(np.size(W)), grad
    golden = load()
    cases = ["tiny_2x2_f64", "lenet300_fc3_f64"]
    for name, port in (("A", port_a), ("B", port_b)):
        report = check(port, cases=cases, properties=False)
        for case in cases:
            W = golden[case].W
            value, grad = port(W)
            print(f"port {name}, case {case} ({W.size} entries): value error"
                  f" {value - golden[case].value_nats:+.6f}, log N = {math.log(W.size):.6f},"
                  f" gradient max rel error {report[case].grad_rel:.1e}")
        print(f"port {name}: entropy-ref verify diagnoses {sorted(report.diagnosis_names())}")


def kink():
    header(9, "the kink at zero")
    W = np.array([[2.0, -3.0, -1.0, 2.0],
                  [-2.0, 0.0, -2.0, -2.0],
                  [1.0, -1.0, 0.0, 2.0]])
    S = np.abs(W).sum()
    g = er.scharr_gradient(W)
    E = sum(np.vdot(c, c) for c in g) / 2
    g_smooth = er.scharr_gradient_adjoint(g) / (2 * E)
    _, grad = er.sparsity_loss_grad(W)
    print(f"S = {S:g}, 1/S = {1 / S:.6f}")
    for p in ((1, 1), (2, 2)):
        plus, minus = 1 / S - g_smooth[p], 1 / S + g_smooth[p]
        for step, slope in ((1e-7, plus), (-1e-7, minus)):
            moved = W.copy()
            moved[p] += step
            agree((er.sparsity_loss(moved) - er.sparsity_loss(W)) / abs(step), slope, 1e-6)
        print(f"entry {p}: g_p = {g_smooth[p]:.6f}, returned component of grad l_C = {grad[p]:.6f},"
              f" one-sided slopes along +e_p, -e_p: {plus:.6f}, {minus:.6f}")


def backward_by_hand():
    header(10, "a backward pass by hand")
    x = np.array([2.0, -1.0, 1.0])
    g = convolve3(x, np.array([1.0, 0.0, -1.0]) / 2, axis=0)
    E, S = float(g @ g), float(np.abs(x).sum())
    x_bar = correlate3(g / E, np.array([1.0, 0.0, -1.0]) / 2, axis=0) - np.sign(x) / S
    _, grad = er.configuration_entropy_grad(x)
    agree(x_bar, grad, 1e-15)
    agree(x_bar, gradcheck.numerical_gradient(er.configuration_entropy, x), 1e-8)
    print(f"g = {g}, E = {E:g}, S = {S:g}")
    print(f"x_bar = D^T g / E - sign(x) / S = {x_bar}   (12 x_bar = {ints(12 * x_bar)})")


def main():
    for answer in (adjoint_of_a_pass, scale_invariance, spikes, euler, loghoyer, sign_convention,
                   float32_sum, diagnose_a_port, kink, backward_by_hand):
        answer()


if __name__ == "__main__":
    main()
