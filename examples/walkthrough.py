# One 4x5 matrix through H_C by hand and by code: Scharr components, energy, adjoint gradient, FD check.
"""Numbers for ``docs/walkthrough.md``; ``tests/test_walkthrough.py`` checks that the page matches.

Run: ``python examples/walkthrough.py``. Equation numbers D1..D15 refer to ``docs/derivation.md``.
"""

import numpy as np

import entropy_ref as er
from entropy_ref import gradcheck
from entropy_ref.conventions import DERIVATIVE, G_X, KERNEL_NORMALISATION, SMOOTHING

np.set_printoptions(precision=5, suppress=True, linewidth=100, floatmode="fixed")

W = np.array([[1.0, 2.0, -1.0, 3.0, 1.0],
              [2.0, 4.0, 1.0, 1.0, -1.0],
              [-1.0, 3.0, 5.0, 2.0, 1.0],
              [1.0, -2.0, 1.0, 2.0, 3.0]])


def as_int(a):
    """Print an array that holds exact integers (after scaling) without decimals."""
    r = np.rint(a)
    if not np.array_equal(r, a):
        raise ValueError(f"expected exact integers, got max deviation {np.abs(r - a).max():.3g}")
    return np.array2string(r.astype(int))


def as_int_array(a):
    """An array that holds exact integers, as integers."""
    r = np.rint(a)
    if not np.array_equal(r, a):
        raise ValueError(f"expected exact integers, got max deviation {np.abs(r - a).max():.3g}")
    return r.astype(int)


def paren(v):
    """An integer for a hand computation: negative ones in parentheses."""
    return f"({v})" if v < 0 else f"{v}"


def section(title):
    print(f"\n== {title} ==")


section("1. the matrix W (4 x 5)")
print(as_int(W))

section("2. the paper's kernel, printed as 32 * G_x (paper section 3; G_y = G_x^T)")
print(as_int(KERNEL_NORMALISATION * G_X))
separable = np.outer(SMOOTHING, DERIVATIVE)
print("G_x == outer([3, 10, 3] / 16, [1, 0, -1] / 2) (D2):",
      bool(np.allclose(separable, G_X, rtol=0, atol=1e-15)))

section("3. Scharr components (D1, D2), printed as 32 * g")
g_x, g_y = er.scharr_gradient(W)          # default axes (1, 0): (g_x, g_y)
print("32 * g_x =")
print(as_int(32 * g_x))
print("32 * g_y =")
print(as_int(32 * g_y))
hand = (3 * (W[0, 3] - W[0, 1]) + 10 * (W[1, 3] - W[1, 1]) + 3 * (W[2, 3] - W[2, 1]))
print(f"by hand, 32 * g_x[1, 2] = 3*({W[0, 3]:g} - {W[0, 1]:g}) + 10*({W[1, 3]:g} - {W[1, 1]:g})"
      f" + 3*({W[2, 3]:g} - {W[2, 1]:g}) = {hand:g}")
edge = 10 * (W[0, 1] - 0.0) + 3 * (W[1, 1] - 0.0)
print(f"by hand, 32 * g_x[0, 0] = 10*({W[0, 1]:g} - 0) + 3*({W[1, 1]:g} - 0) = {edge:g}"
      "   (zero padding: row -1 and column -1 are 0)")
loop = er.scharr_gradient_loop(W)
print("plain-loop twin, max |difference|:", max(float(np.abs(a - b).max()) for a, b in zip(loop, (g_x, g_y))))

section("4. energy, L1 mass and H_C (D4, D5)")
sx, sy = float(np.vdot(g_x, g_x)), float(np.vdot(g_y, g_y))
E = (sx + sy) / 2
S = float(np.abs(W).sum())
H = 0.5 * np.log(E) - np.log(S)
print(f"sum g_x^2 = {sx:.8f}   (= {sx * 1024:g} / 1024)")
print(f"sum g_y^2 = {sy:.8f}   (= {sy * 1024:g} / 1024)")
print(f"E = (sum g_x^2 + sum g_y^2) / 2 = {E:.8f}")
print(f"S = sum |W| = {S:g}")
print(f"H_C = 0.5 * log(E) - log(S) = {0.5 * np.log(E):.8f} - {np.log(S):.8f} = {H:.8f} nats")
print(f"configuration_entropy(W)          = {er.configuration_entropy(W):.8f} nats")
print(f"configuration_entropy(W, 'bits')  = {er.configuration_entropy(W, unit='bits'):.8f} bits")
print(f"configuration_entropy(-3 * W)     = {er.configuration_entropy(-3 * W):.8f}   (D6)")
print(f"sparsity_loss(W) = l_C = -H_C     = {er.sparsity_loss(W):.8f}   (D7)")

section("5. gradient through the adjoint (D8, D9, D10)")
KtKW = er.scharr_gradient_adjoint((g_x, g_y))
print("1024 * K^T K W =")
print(as_int(1024 * KtKW))
dH = KtKW / (2 * E) - np.sign(W) / S
gx, gy = as_int_array(32 * g_x), as_int_array(32 * g_y)
adj_x = 3 * (gx[0, 1] - gx[0, 3]) + 10 * (gx[1, 1] - gx[1, 3]) + 3 * (gx[2, 1] - gx[2, 3])
adj_y = 3 * (gy[0, 1] - gy[2, 1]) + 10 * (gy[0, 2] - gy[2, 2]) + 3 * (gy[0, 3] - gy[2, 3])
print("by hand, with the entries of 32 * g above: 1024 * (G_x^T g_x)[1, 2] ="
      f" 3*({gx[0, 1]} - {paren(gx[0, 3])}) + 10*({gx[1, 1]} - {paren(gx[1, 3])})"
      f" + 3*({gx[2, 1]} - {paren(gx[2, 3])}) = {adj_x}")
print("by hand, with the entries of 32 * g above: 1024 * (G_y^T g_y)[1, 2] ="
      f" 3*({gy[0, 1]} - {paren(gy[2, 1])}) + 10*({gy[0, 2]} - {paren(gy[2, 2])})"
      f" + 3*({gy[0, 3]} - {paren(gy[2, 3])}) = {adj_y}")
print(f"1024 * (K^T K W)[1, 2] = {adj_x} + {adj_y} = {adj_x + adj_y}")
print("dH_C/dW = K^T K W / (2 E) - sign(W) / S =")
print(dH)
H_fast, dH_fast = er.configuration_entropy_grad(W)
print(f"fused configuration_entropy_grad (D15): |H difference| = {abs(H_fast - H):.1e},"
      f" gradient rel. error = {gradcheck.rel_error(dH_fast, dH):.1e}")
y = (np.arange(20.0).reshape(4, 5) % 7 - 3, np.arange(20.0).reshape(4, 5) % 5 - 2)
err = gradcheck.adjoint_check(er.scharr_gradient, er.scharr_gradient_adjoint, W, y)
print(f"adjoint dot-product test |<KW, y> - <W, K^T y>| / (|KW| |y|) = {err:.1e}")

section("6. finite-difference check (central differences, eps = 1e-6)")
fd = gradcheck.numerical_gradient(er.configuration_entropy, W, eps=1e-6)
print("numerical gradient =")
print(fd)
print(f"max relative error (rel_error) = {gradcheck.rel_error(dH, fd):.1e}   tolerance 1e-6")

section("7. identities (D13, D14)")
print(f"<W, dH_C/dW> = {float(np.vdot(W, dH)):.1e}   (Euler: gradient orthogonal to W)")
_, dH2 = er.configuration_entropy_grad(2.0 * W)
print(f"max |grad(2W) - grad(W) / 2| = {float(np.abs(dH2 - dH / 2).max()):.1e}")
