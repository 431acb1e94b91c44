"""The kit never crashes, whatever ``fn`` returns: a hypothesis fuzz of wrong returns.

Every return value is either judged (pass, or FAIL with at least one named diagnosis) or reported
as ``bad_output``; no exception may escape ``check``, and no diagnosis may come from the internal
safety net of :func:`entropy_ref.verify.diagnoses.diagnose` (that would hide a bug of the kit).
"""

import functools
import math
import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from entropy_ref import configuration_entropy_grad, golden
from entropy_ref.verify import check as _check
from entropy_ref.verify.diagnoses import INTERNAL_ERROR

check = functools.partial(_check, properties=False)   # the golden cases only

CASES = ["tiny_2x2_f64", "rect_3x5_f64", "sparse_signed_12x10_f64", "conv_8x3x5x5_f64",
         "square_6x6_f32", "batch_5x6x7_f64", "row_1x8_f64"]
GS = golden.load()

SCALARS = st.sampled_from([0.0, -0.0, 1.0, -1.0, 1e-300, 1e300, -1e300, math.inf, -math.inf,
                           math.nan, 5e-324, 1e-8, 2.0 ** 1023])


def _array_from(draw, case, base):
    """A wrong array derived from ``base`` (the reference gradient or a component)."""
    shape = case.shape
    kind = draw(st.sampled_from(["scaled", "noise", "transposed", "reshaped", "flat", "scalar",
                                 "extra_axis", "cropped", "special", "int", "bool", "float16",
                                 "float32", "zeros", "permuted", "empty", "huge"]))
    with np.errstate(all="ignore"):
        return _derived(draw, case, base, kind)


def _derived(draw, case, base, kind):
    shape = case.shape
    a = np.array(base, dtype=np.float64)
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    if kind == "scaled":
        return a * draw(SCALARS)
    if kind == "noise":
        return a + draw(st.sampled_from([1e-12, 1e-6, 1e-3, 1.0, 1e6])) * rng.standard_normal(shape)
    if kind == "transposed":
        return a.T
    if kind == "reshaped":
        return a.reshape(shape[::-1])
    if kind == "flat":
        return a.ravel()
    if kind == "scalar":
        return a.ravel()[0]
    if kind == "extra_axis":
        return a[None]
    if kind == "cropped":
        return a[tuple(slice(1, None) for _ in shape)]
    if kind == "special":
        b = a.copy()
        b.flat[rng.integers(b.size)] = draw(SCALARS)
        return b
    if kind == "int":
        return np.round(a * 1000).astype(np.int64)
    if kind == "bool":
        return a > 0
    if kind == "float16":
        return a.astype(np.float16)
    if kind == "float32":
        return a.astype(np.float32)
    if kind == "zeros":
        return np.zeros_like(a)
    if kind == "permuted":
        return rng.permutation(a.ravel()).reshape(shape)
    if kind == "empty":
        return np.zeros((0,) + shape[1:])
    return np.full(shape, draw(st.sampled_from([1e300, -1e300, 1e-300, 1e154])))


@st.composite
def wrong_return(draw, case):
    """A value ``fn`` might return on ``case``: right, wrong, or not even the right kind of thing."""
    junk = st.sampled_from([None, "1.0", b"x", [], {}, {"value": 1.0}, [[1.0, 2.0], [3.0]],
                            1 + 2j, np.array([1 + 1j]), object(), (1.0,), np.array("x")])
    value = draw(st.one_of(
        st.builds(lambda d: case.value_nats + d, SCALARS),
        SCALARS, junk,
        st.just(np.array([[case.value_nats]])), st.just(np.zeros(case.shape)),
        st.just(np.float32(case.value_nats)), st.just(True)))
    grad = draw(st.one_of(st.just(case.grad), st.just(-case.grad), junk,
                          st.builds(lambda _: _array_from(draw, case, case.grad), st.none())))
    ref_comps = [case.components[a] for a in case.axes] if case.components else \
        [np.ones(case.shape)] * len(case.axes)
    comp = st.one_of(st.builds(lambda i: _array_from(draw, case, ref_comps[i % len(ref_comps)]),
                               st.integers(0, 3)), junk)
    comps = draw(st.one_of(
        st.none(), junk,
        st.lists(comp, min_size=0, max_size=4),
        st.lists(comp, min_size=len(case.axes), max_size=len(case.axes)),
        st.dictionaries(st.sampled_from(list(case.axes) + [7, "x", -1, 1.0]), comp, max_size=3),
        st.just(np.stack(ref_comps)), st.just(np.float64(1.0))))
    shape = draw(st.sampled_from(["pair", "triple", "list", "single", "quad", "bare", "dict"]))
    if shape == "pair":
        return (value, grad)
    if shape == "triple":
        return (value, grad, comps)
    if shape == "list":
        return [value, grad]
    if shape == "single":
        return (value,)
    if shape == "quad":
        return (value, grad, comps, None)
    if shape == "dict":
        return {"value": value, "grad": grad}
    return value


def _assert_judged(report):
    for r in report.results:
        assert r.status in ("pass", "FAIL"), (r.name, r.status, r.skip_reason)
        if r.status == "FAIL":
            assert r.diagnoses, r.name
        for d in r.diagnoses:
            assert INTERNAL_ERROR not in d.message, d.message
    str(report)                               # the table renders


@pytest.mark.parametrize("profile", ["float64", "float32"])
@pytest.mark.parametrize("name", CASES)
@settings(max_examples=int(os.environ.get("ENTROPY_REF_FUZZ_EXAMPLES", "80")), deadline=None,
          derandomize=True, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_no_return_value_crashes_the_kit(name, profile, data):
    case = GS[name]
    returned = data.draw(wrong_return(case))
    with warnings.catch_warnings():
        warnings.simplefilter("error")        # no overflow / invalid-value warnings leak either
        report = check(lambda W, axes: returned, cases=name, profile=profile)
    _assert_judged(report)


@pytest.mark.parametrize("returned,name", [
    (lambda c: (None, c.grad), "bad_output"),
    (lambda c: (c.value_nats, None), "bad_output"),
    (lambda c: (c.value_nats, "grad"), "bad_output"),
    (lambda c: (c.value_nats, c.grad.tolist()), None),                  # nested lists are fine
    (lambda c: (c.value_nats, c.grad + 0j), "bad_output"),
    (lambda c: (c.value_nats, c.grad, [c.grad]), "bad_output"),
    (lambda c: (c.value_nats, c.grad, {"x": c.grad, "y": c.grad}), "bad_output"),
    (lambda c: (c.value_nats, c.grad[:, :2]), "shape_mismatch"),
    (lambda c: (c.value_nats, np.full(c.shape, np.nan)), "non_finite"),
    (lambda c: (1e300, c.grad * 1e300), None),
    (lambda c: (c.value_nats, c.grad.astype(np.float16)), None),
])
def test_named_wrong_returns(returned, name):
    case = GS["rect_3x5_f64"]
    report = check(lambda W, axes: returned(case), cases=case.name)
    _assert_judged(report)
    if name is None:
        assert report[case.name].status in ("pass", "FAIL")
    else:
        assert name in report.diagnosis_names(), str(report)


def test_torch_tensors_that_require_grad_are_accepted():
    torch = pytest.importorskip("torch")
    case = GS["rect_3x5_f64"]

    def fn(W, axes):
        value, grad = configuration_entropy_grad(W, axes)
        g = torch.tensor(grad, requires_grad=True)
        return torch.tensor(value, requires_grad=True, dtype=torch.float64) * 1.0, g * 1.0
    assert check(fn, cases=case.name).ok
