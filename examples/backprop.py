# The backward pass of H_C node by node: a 1-D signal by hand, then the 4x5 matrix, each node's local gradient.
"""Numbers of ``docs/backprop.md``.

Run: ``python examples/backprop.py``. The page's ``text`` blocks are this script's output;
``tests/test_doc_outputs.py`` checks that they agree.

The graph: ``W -> g_a = K_a W -> E = (1/k) sum_a ||g_a||^2 -> U = 1/2 log E`` and
``W -> |W| -> S = sum |W| -> V = log S``, then ``H_C = U - V``. The backward pass writes
``z_bar = dH_C/dz`` for every node ``z`` and computes it as the upstream gradient times the local
derivative, summed over every use of ``z``.
"""

from __future__ import annotations

import numpy as np
import scipy.ndimage as ndimage

import entropy_ref as er
from entropy_ref import gradcheck
from entropy_ref.conventions import DERIVATIVE, G_X, SMOOTHING
from entropy_ref.scharr import convolve3, correlate3

np.set_printoptions(precision=6, suppress=True, floatmode="fixed", linewidth=100)

X = np.array([1.0, 3.0, -2.0, 2.0])
#: the matrix of docs/walkthrough.md
W = np.array([[1.0, 2.0, -1.0, 3.0, 1.0],
              [2.0, 4.0, 1.0, 1.0, -1.0],
              [-1.0, 3.0, 5.0, 2.0, 1.0],
              [1.0, -2.0, 1.0, 2.0, 3.0]])

GRAPH = r"""
W --K_a--> g_a --> E = (1/k) sum_a ||g_a||^2 --> U = 1/2 log E --.
|                                                                 +--> H_C = U - V
'--|.|---> |W| --> S = sum |W| -------------> V = log S ----------'
"""


def ints(a) -> str:
    """An array that holds exact integers, printed without decimals."""
    r = np.rint(a)
    if not np.array_equal(r, a):
        raise ValueError(f"expected integers, got {a}")
    return np.array2string(r.astype(int))


def one_d():
    print(f"== 1-D: x = {ints(X)}, k = 1, the pass d = [1, 0, -1]/2 with zero padding ==")
    print("forward")
    g = convolve3(X, DERIVATIVE, axis=0)                      # g_j = (x_{j+1} - x_{j-1}) / 2
    E = float(g @ g)
    U, S = 0.5 * np.log(E), float(np.abs(X).sum())
    V = np.log(S)
    print(f"  g = d * x, g_j = (x_(j+1) - x_(j-1)) / 2 = {g}   (2 g = {ints(2 * g)})")
    print(f"  E = sum g^2 = {E:.6f}")
    print(f"  U = 1/2 log E = {U:.6f}")
    print(f"  S = sum |x| = {S:g}")
    print(f"  V = log S = {V:.6f}")
    print(f"  H_C = U - V = {U - V:.6f};  configuration_entropy(x) = {er.configuration_entropy(X):.6f}")
    print("backward, z_bar = dH_C/dz = (upstream gradient) x (local derivative)")
    U_bar, V_bar = 1.0, -1.0
    E_bar = U_bar / (2 * E)
    g_bar = E_bar * 2 * g
    x_bar_g = correlate3(g_bar, DERIVATIVE, axis=0)         # (D^T y)_i = (y_(i-1) - y_(i+1)) / 2
    S_bar = V_bar / S
    abs_bar = np.full(X.shape, S_bar)
    x_bar_abs = abs_bar * np.sign(X)
    x_bar = x_bar_g + x_bar_abs
    print(f"  H_C_bar = 1;  U_bar = H_C_bar * 1 = {U_bar:g};  V_bar = H_C_bar * (-1) = {V_bar:g}")
    print(f"  E_bar = U_bar * 1/(2 E) = {E_bar:.6f}")
    print(f"  g_bar = E_bar * 2 g = {g_bar}")
    print(f"  x_bar via g: x_bar_i += sum_j g_bar_j dg_j/dx_i = (g_bar_(i-1) - g_bar_(i+1)) / 2 = {x_bar_g}")
    print(f"             (= D^T g_bar; D^T g = {x_bar_g / E_bar / 2}, 4 D^T g = {ints(4 * x_bar_g / E_bar / 2)})")
    print(f"  S_bar = V_bar * 1/S = {S_bar:.6f}")
    print(f"  |x|_bar = S_bar * 1 at every entry = {abs_bar}")
    print(f"  x_bar via |x|: |x|_bar * sign(x) = {x_bar_abs}")
    print(f"  x_bar = sum of the two paths = {x_bar}")
    _, grad = er.configuration_entropy_grad(X)
    fd = gradcheck.numerical_gradient(er.configuration_entropy, X, eps=1e-6)
    print(f"configuration_entropy_grad(x) = {grad};  max |difference| = {np.abs(grad - x_bar).max():.1e}")
    print(f"central differences (eps = 1e-6): max |difference| = {np.abs(fd - x_bar).max():.1e}")


def jacobian(op, shape):
    """The matrix of a linear map on arrays of ``shape``: column ``p`` is ``op(e_p)``, flattened."""
    N = int(np.prod(shape))
    return np.stack([op(np.eye(N)[p].reshape(shape)).ravel() for p in range(N)], axis=1)


def two_d():
    n, m = W.shape
    print(f"\n== 2-D: the {n} x {m} matrix of walkthrough.md, k = 2 ==")
    g_x, g_y = er.scharr_gradient(W)
    E = (float(np.vdot(g_x, g_x)) + float(np.vdot(g_y, g_y))) / 2
    S = float(np.abs(W).sum())
    print(f"forward: E = {E:.8f}, U = 1/2 log E = {0.5 * np.log(E):.6f}, S = {S:g}, V = log S = {np.log(S):.6f},"
          f" H_C = {0.5 * np.log(E) - np.log(S):.6f}")
    E_bar, S_bar = 1 / (2 * E), -1 / S
    gx_bar, gy_bar = E_bar * (2 / 2) * g_x, E_bar * (2 / 2) * g_y
    # K_x = D_1 B_0, so K_x^T = B_0^T D_1^T: the passes transposed (D8: the correlation with the
    # same kernel), applied in reverse order
    Kx_T = lambda y: correlate3(correlate3(y, DERIVATIVE, axis=1), SMOOTHING, axis=0)
    Ky_T = lambda y: correlate3(correlate3(y, DERIVATIVE, axis=0), SMOOTHING, axis=1)
    W_bar = Kx_T(gx_bar) + Ky_T(gy_bar) + S_bar * np.sign(W)
    _, grad = er.configuration_entropy_grad(W)
    print(f"backward: E_bar = 1/(2 E) = {E_bar:.6f}, g_x_bar = E_bar g_x, g_y_bar = E_bar g_y,"
          f" S_bar = -1/S = {S_bar:.6f}")
    print(f"W_bar = K_x^T g_x_bar + K_y^T g_y_bar + S_bar sign(W):"
          f" max |difference from configuration_entropy_grad| = {np.abs(W_bar - grad).max():.1e}")
    J = jacobian(lambda A: er.scharr_gradient(A)[0], W.shape)        # J[(i, j), (i2, j2)] = dg_x[i,j]/dW[i2,j2]
    index = np.zeros((n * m, n * m))
    for (i, j, i2, j2) in np.ndindex(n, m, n, m):
        r, c = i - i2 + 1, j - j2 + 1
        index[i * m + j, i2 * m + j2] = G_X[r, c] if 0 <= r < 3 and 0 <= c < 3 else 0.0
    print(f"index form dg_x[i, j]/dW[i', j'] = G_x[i - i' + 1, j - j' + 1] (0 outside 0..2),"
          f" all {J.size} pairs: max |difference| = {np.abs(J - index).max():.1e}")
    y = np.arange(float(n * m)).reshape(n, m) % 7 - 3
    corr = ndimage.correlate(y, G_X, mode="constant")
    conv_flipped = ndimage.convolve(y, G_X[::-1, ::-1], mode="constant")
    print(f"K_x^T y = correlation of y with G_x = convolution with the flipped G_x:"
          f" max |difference| = {max(np.abs(Kx_T(y) - corr).max(), np.abs(corr - conv_flipped).max()):.1e}")
    transpose = jacobian(Kx_T, W.shape)
    print(f"the matrix of K_x^T is the transpose of the Jacobian above: max |difference| = {np.abs(transpose - J.T).max():.1e}")
    Ky = jacobian(lambda A: er.scharr_gradient(A)[1], W.shape)
    stacked = np.concatenate([J, Ky])
    K_T = jacobian(lambda A: er.scharr_gradient_adjoint((A[:n], A[n:])), (2 * n, m))
    print(f"stacked map K = [K_x; K_y]: K^T = [K_x^T, K_y^T], max |difference| = {np.abs(K_T - stacked.T).max():.1e}")


def main():
    print("== the graph of H_C ==" + GRAPH)
    one_d()
    two_d()


if __name__ == "__main__":
    main()
