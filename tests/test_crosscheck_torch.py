"""Cross-framework proof: an independent PyTorch autograd H_C agrees with entropy_ref and passes verify.

PyTorch's F.conv2d / F.conv3d compute a cross-correlation; the kernel is flipped here so that the
components are the paper's convolution. Without the flip H_C and its gradient are unchanged and
only the components change sign (tested below: verify names it ``correlation``).
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = pytest.importorskip("torch.nn.functional")

from entropy_ref import configuration_entropy_grad, scharr_gradient  # noqa: E402
from entropy_ref.gradcheck import rel_error  # noqa: E402
from entropy_ref.verify import check  # noqa: E402

TOL = 1e-10   # float64 agreement, relative, value and gradient
CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def _kernels(k, dtype, flip):
    d = torch.tensor([1.0, 0.0, -1.0], dtype=dtype) / 2
    s = torch.tensor([3.0, 10.0, 3.0], dtype=dtype) / 16
    out = []
    for i in range(k):
        kern = torch.ones([1] * k, dtype=dtype)
        for pos in range(k):
            v = d if pos == i else s
            kern = kern * v.reshape([-1 if p == pos else 1 for p in range(k)])
        out.append(kern.flip(list(range(k))) if flip else kern)
    return torch.stack(out)[:, None]          # (k, 1, 3, ..., 3)


def torch_h_c(W: torch.Tensor, axes, flip=True):
    """H_C of eq. 3 over ``axes`` with F.convNd; returns (H, components in W's layout)."""
    k = len(axes)
    others = [a for a in range(W.ndim) if a not in axes]
    X = W.permute(*others, *axes)
    batch_shape, spatial = X.shape[:len(others)], X.shape[len(others):]
    comps = CONV[k](X.reshape(-1, 1, *spatial), _kernels(k, W.dtype, flip), padding=1)
    E = (comps * comps).sum() / k
    H = 0.5 * torch.log(E) - torch.log(W.abs().sum())
    inverse = np.argsort(others + list(axes)).tolist()
    layout = [comps[:, i].reshape(*batch_shape, *spatial).permute(*inverse) for i in range(k)]
    return H, layout


def torch_port(W, axes, flip=True):
    w = torch.tensor(W, requires_grad=True)
    H, comps = torch_h_c(w, axes, flip)
    H.backward()
    return H.item(), w.grad.numpy(), [c.detach().numpy() for c in comps]


SHAPES = [((2, 2), (1, 0)), ((3, 17), (1, 0)), ((23, 6), (1, 0)), ((40, 33), (1, 0)),
          ((4, 3, 5, 7), (2, 3)), ((6, 5, 4), (0, 2)), ((4, 5, 6), (0, 1, 2)), ((11,), (0,))]


@pytest.mark.parametrize("shape,axes", SHAPES)
def test_torch_autograd_agrees_with_the_reference_in_float64(shape, axes):
    W = np.random.default_rng(len(shape) * 100 + shape[-1]).standard_normal(shape)
    H_t, g_t, comps_t = torch_port(W, axes)
    H, g = configuration_entropy_grad(W, axes)
    assert rel_error(H_t, H) <= TOL
    assert rel_error(g_t, g) <= TOL
    for c_t, c in zip(comps_t, scharr_gradient(W, axes)):
        assert rel_error(c_t, c) <= TOL


@pytest.mark.parametrize("profile", ["float64", "float32"])
def test_torch_port_passes_verify_on_every_golden_case(profile):
    report = check(torch_port, profile=profile)
    assert report.ok, str(report)
    assert not report.skipped and report.diagnosis_names() == set()


def test_unflipped_conv2d_only_negates_the_components():
    report = check(lambda W, axes: torch_port(W, axes, flip=False), cases=["tiny_*", "conv_*"])
    assert report.ok and report.diagnosis_names() == {"correlation"}   # harmless: passes, noted
    assert all(r.value_abs <= r.tolerance.value_atol and r.grad_rel <= r.tolerance.array_rtol
               for r in report.results)
    value_and_grad = check(lambda W, axes: torch_port(W, axes, flip=False)[:2])
    assert value_and_grad.ok
