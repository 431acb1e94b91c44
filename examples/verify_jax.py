# Shows how to check your own JAX implementation of H_C against entropy_ref's golden vectors.
import sys

import jax
import jax.numpy as jnp
from jax.scipy.signal import convolve2d

from entropy_ref.verify import check

jax.config.update("jax_enable_x64", True)           # float64, or the float64 cases cannot pass
G_X = jnp.array([[3.0, 0.0, -3.0], [10.0, 0.0, -10.0], [3.0, 0.0, -3.0]]) / 32


def h_c(W):                                         # eq. 3: a true convolution, zero padded
    g_x, g_y = (convolve2d(W, G.astype(W.dtype), mode="same") for G in (G_X, G_X.T))
    abs_sum = jnp.sum(W * jnp.sign(W))              # = sum|W|, with derivative sign(0) = 0 at zeros
    return 0.5 * jnp.log(0.5 * jnp.sum(g_x**2 + g_y**2)) - jnp.log(abs_sum)


value_and_grad = jax.jit(jax.value_and_grad(h_c))


def my_h_c(W):                                      # your implementation; W is a NumPy matrix
    H, grad = value_and_grad(jnp.asarray(W))
    return float(H), grad


report = check(my_h_c)                              # N-D cases are skipped (no `axes` argument)
print(report)
sys.exit(0 if report.ok else 1)
