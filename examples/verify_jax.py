# Shows how to check your own JAX implementation of H_C against entropy_ref (matrices and N-D).
import jax
import jax.numpy as jnp

from entropy_ref.verify import assert_conforms

jax.config.update("jax_enable_x64", True)           # float64, or the float64 cases cannot pass
DERIV = jnp.array([1.0, 0.0, -1.0]) / 2             # Scharr = derivative x smoothing, separable
SMOOTH = jnp.array([3.0, 10.0, 3.0]) / 16


def conv3(x, k, axis):                              # zero-padded same-size convolution, one axis
    xp = jnp.pad(x, [(1, 1) if a == axis else (0, 0) for a in range(x.ndim)])
    n = x.shape[axis]
    return sum(k[t] * jax.lax.slice_in_dim(xp, 2 - t, 2 - t + n, axis=axis) for t in range(3))


def h_c(W, axes):                                   # eq. 3 (eq. 7: energy / k for k axes)
    comps = []
    for i in axes:
        g = W
        for j in axes:
            g = conv3(g, DERIV if j == i else SMOOTH.astype(W.dtype), j)
        comps.append(g)
    energy = sum(jnp.sum(c * c) for c in comps) / len(axes)
    return 0.5 * jnp.log(energy) - jnp.log(jnp.sum(W * jnp.sign(W)))   # sign(0) = 0 at zeros


value_and_grad = jax.jit(jax.value_and_grad(h_c), static_argnums=1)


def my_h_c(W, axes):                                # your implementation; W is a NumPy array
    return value_and_grad(jnp.asarray(W), tuple(axes))   # JAX arrays are fine as returns


for profile in ("float64", "float32"):              # float32: what training runs in
    print(assert_conforms(my_h_c, profile=profile))  # AssertionError with the report unless ok
