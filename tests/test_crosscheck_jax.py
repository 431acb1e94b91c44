"""Cross-framework proof: an independent JAX H_C (jax.value_and_grad, float64) agrees with entropy_ref.

``jax.scipy.signal.convolve`` is a true convolution (like the paper's), here on the input zero
padded by one along the operator axes with ``mode="valid"`` (same-size output);
the kernel gets size 3 along the chosen axes and 1 along the others, so N-D tensors need no
reshaping. One JAX-specific trap: ``jax.grad`` of ``jnp.abs`` is 1 at 0, while the reference uses
the subgradient ``sign(0) = 0``; the port writes ``sum|W|`` as ``sum(W * sign(W))`` (same value,
derivative ``sign(W)``), and the naive version is shown to be diagnosed as ``sign_at_zero``.
"""

import numpy as np
import pytest

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy
from jax.scipy.signal import convolve  # noqa: E402

from entropy_ref import configuration_entropy_grad, scharr_gradient  # noqa: E402
from entropy_ref.gradcheck import rel_error  # noqa: E402
from entropy_ref.verify import check  # noqa: E402

TOL = 1e-10   # float64 agreement, relative, value and gradient


def _kernel(ndim, axes, axis, dtype):
    d = jnp.array([1.0, 0.0, -1.0], dtype=dtype) / 2
    s = jnp.array([3.0, 10.0, 3.0], dtype=dtype) / 16
    kern = jnp.ones([1] * ndim, dtype=dtype)
    for ax in axes:
        v = d if ax == axis else s
        kern = kern * v.reshape([-1 if a == ax else 1 for a in range(ndim)])
    return kern


def jax_h_c(W, axes, naive_abs=False):
    # zero-pad by one along the operator axes, then mode="valid": the same-size zero-padded
    # convolution. (mode="same" raises on a 1 x n input, whose kernel is larger than W along
    # axis 0: the kit's property checks found that in this port.)
    Wp = jnp.pad(W, [(1, 1) if a in axes else (0, 0) for a in range(W.ndim)])
    comps = [convolve(Wp, _kernel(W.ndim, axes, a, W.dtype), mode="valid") for a in axes]
    E = sum(jnp.sum(c * c) for c in comps) / len(axes)
    abs_sum = jnp.sum(jnp.abs(W)) if naive_abs else jnp.sum(W * jnp.sign(W))
    return 0.5 * jnp.log(E) - jnp.log(abs_sum), comps


# jit: one compilation per shape instead of one per primitive (3x faster for this suite)
_value_and_grad = jax.jit(jax.value_and_grad(jax_h_c, has_aux=True), static_argnums=(1, 2))


def jax_port(W, axes, naive_abs=False):
    (H, comps), g = _value_and_grad(jnp.asarray(W), tuple(axes), naive_abs)
    return float(H), np.asarray(g), [np.asarray(c) for c in comps]


SHAPES = [((2, 2), (1, 0)), ((3, 17), (1, 0)), ((23, 6), (1, 0)), ((4, 3, 5, 7), (2, 3)),
          ((6, 5, 4), (0, 2)), ((4, 5, 6), (0, 1, 2))]


def test_x64_is_on():
    assert jnp.asarray(np.ones(2)).dtype == jnp.float64


@pytest.mark.parametrize("shape,axes", SHAPES)
def test_jax_value_and_grad_agrees_with_the_reference_in_float64(shape, axes):
    W = np.random.default_rng(len(shape) * 100 + shape[-1]).standard_normal(shape)
    H_j, g_j, comps_j = jax_port(W, axes)
    H, g = configuration_entropy_grad(W, axes)
    assert rel_error(H_j, H) <= TOL
    assert rel_error(g_j, g) <= TOL
    for c_j, c in zip(comps_j, scharr_gradient(W, axes)):
        assert rel_error(c_j, c) <= TOL


@pytest.mark.parametrize("profile", ["float64", "float32"])
def test_jax_port_passes_verify_on_every_golden_case(profile):
    report = check(jax_port, profile=profile)
    assert report.ok, str(report)
    assert not report.skipped and report.diagnosis_names() == set()


def test_naive_jnp_abs_is_diagnosed_as_sign_at_zero():
    report = check(lambda W, axes: jax_port(W, axes, naive_abs=True),
                   cases=["tiny_3x3_f64", "sparse_signed_12x10_f64", "square_6x6_f64"])
    assert report.failed == ["tiny_3x3_f64", "sparse_signed_12x10_f64"]   # the cases with zeros
    assert report.diagnosis_names() == {"sign_at_zero"}
