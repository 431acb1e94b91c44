"""``check(fn)`` against ports that would pass for the wrong reason or take the kit down with them.

A port that mutates its input, caches its result by shape, upcasts float32 to float64, takes no
``axes`` (what was certified), never returns, or raises a ``BaseException`` that is not an
``Exception``. The same ports under ``entropy-ref verify --fn`` (a supervised child process, which
also survives ``os._exit``): ``tests/test_verify_supervised.py``.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

import entropy_ref
from entropy_ref import golden
from entropy_ref.verify import assert_conforms, check

GS = golden.load()
MATRIX_CASES = [c.name for c in GS.values() if c.W.ndim == 2]


def reference(W, axes):
    return entropy_ref.configuration_entropy_grad(W, axes)


# ---------------------------------------------------------------- a port that changes its input

def mutating_port(W, axes):
    """A correct answer, then ``torch.from_numpy(W).abs_()`` written in NumPy."""
    value, grad = reference(W, axes)
    np.abs(W, out=W)
    return value, grad


@pytest.mark.parametrize("profile", ["float64", "float32"])
def test_a_port_that_changes_its_input_fails_every_case(profile):
    report = check(mutating_port, profile=profile, properties=False)
    assert not report.ok
    assert report.failed == list(GS), str(report)   # each second input has negative entries
    for name in report.failed:
        assert {d.name for d in report[name].diagnoses} == {"input_mutated"}
    text = str(report)
    assert "changed the array it was given" in text and "weights" in text


def test_a_port_that_changes_its_input_in_torch_is_caught():
    torch = pytest.importorskip("torch")

    def port(W, axes):
        value, grad = reference(W.copy(), axes)
        torch.from_numpy(W).abs_()          # shares W's memory: the weights are overwritten
        return value, grad
    report = check(port, cases="tiny_3x3_f64", properties=False)
    assert report.failed == ["tiny_3x3_f64"]
    assert "input_mutated" in {d.name for d in report["tiny_3x3_f64"].diagnoses}
    assert "torch.from_numpy" in str(report)


def test_a_property_input_changed_by_the_port_is_a_failed_property():
    def port(W, axes):
        value, grad = reference(W, axes)
        if W.shape[0] == 1:            # only on a row vector
            W *= 2.0
        return value, grad
    report = check(port, cases="tiny_*")
    assert report.passed == ["tiny_2x2_f64", "tiny_3x3_f64"]
    assert "prop_input_mutated" in report.property_names() and not report.ok


# ---------------------------------------------------------------- a port that caches by shape

def caching_port():
    cache = {}

    def port(W, axes):
        if W.shape not in cache:
            cache[W.shape] = reference(W, axes)
        return cache[W.shape]
    return port


@pytest.mark.parametrize("profile", ["float64", "float32"])
def test_a_port_that_caches_by_shape_fails_every_golden_case_without_the_properties(profile):
    report = check(caching_port(), profile=profile, properties=False)
    assert not report.ok and not report.passed, str(report)
    for r in report.results:
        assert "cached_by_shape" in {d.name for d in r.diagnoses}, (r.name, r.diagnoses)
    assert "same shape" in str(report)


def test_a_port_right_only_on_the_golden_inputs_fails_on_a_second_input():
    known = {c.W.tobytes(): reference(c.W, c.axes) for c in GS.values()}

    def lookup(W, axes):                 # the golden answers, looked up; anything else is 0
        return known.get(W.tobytes(), (0.0, np.zeros_like(W)))
    report = check(lookup, properties=False)
    assert not report.ok and not report.passed
    assert all("second_input" in {d.name for d in r.diagnoses} for r in report.results)


def test_the_second_input_is_seeded_and_differs_from_the_case():
    from entropy_ref.verify.second_input import second_input
    for c in GS.values():
        a, b = second_input(c), second_input(c)
        assert a.W.shape == c.W.shape and a.W.dtype == c.W.dtype and a.axes == c.axes
        assert np.array_equal(a.W, b.W) and not np.array_equal(a.W, c.W)
        assert abs(a.value_nats - entropy_ref.configuration_entropy(
            a.W.astype(np.float64), a.axes)) <= 1e-12
        assert np.count_nonzero(a.W) == np.count_nonzero(c.W)


# ---------------------------------------------------------------- the gradient's dtype

def upcasting_port(W, axes):
    """Computes in float64 whatever it is given: the gradient of a float32 input is float64."""
    return reference(np.asarray(W, dtype=np.float64), axes)


def test_a_port_that_upcasts_float32_fails_the_float32_profile_naming_both_dtypes():
    report = check(upcasting_port, profile="float32", properties=False)
    assert not report.ok and not report.passed
    for r in report.results:
        assert {d.name for d in r.diagnoses} == {"grad_dtype"}, (r.name, r.diagnoses)
    text = str(report)
    assert "float64" in text and "float32" in text and "W.dtype" in text
    f32 = [c.name for c in GS.values() if c.W.dtype == np.float32]
    assert check(upcasting_port, properties=False).failed == f32      # the float32 golden cases


def test_a_port_that_casts_its_gradient_back_passes():
    def port(W, axes):
        value, grad = upcasting_port(W, axes)
        return value, grad.astype(W.dtype)
    assert check(port, profile="float32").ok and check(port).ok


def test_torch_and_jax_gradients_come_back_in_the_inputs_dtype():
    torch = pytest.importorskip("torch")

    def port(W, axes):
        w = torch.tensor(W, dtype=torch.float64, requires_grad=True)     # upcast on entry
        H = torch.log(w.abs().sum())
        H.backward()
        return H, w.grad
    report = check(port, cases="square_6x6_f32", properties=False)
    assert "grad_dtype" in {d.name for d in report["square_6x6_f32"].diagnoses}


# ---------------------------------------------------------------- a port without axes

def test_the_verdict_says_what_was_certified_when_fn_takes_no_axes():
    report = check(lambda W: reference(W, (1, 0)))
    assert report.ok
    assert report.summary().startswith("PASS for 2-D matrices; N-D cases not run: fn takes no "
                                       "axes")
    full = check(reference).summary()
    assert full.startswith("PASS: ")


def test_the_verdict_says_what_was_certified_when_fn_refuses_cases():
    def matrices(W, axes):
        if W.ndim != 2:
            raise NotImplementedError("matrices only")
        return reference(W, axes)
    summary = check(matrices).summary()
    assert summary.startswith("PASS for the 14 cases run; 6 skipped by fn"), summary


# ---------------------------------------------------------------- a port that never returns

def hanging_port(W, axes):
    if W.size > 1000:
        while True:
            pass
    return reference(W, axes)


def test_a_port_that_never_returns_is_an_error_and_ends_the_run():
    t0 = time.monotonic()
    report = check(hanging_port, timeout=0.5)
    assert time.monotonic() - t0 < 10
    assert not report.ok and report.errored == ["lenet300_fc1_f64"], str(report)
    assert {d.name for d in report["lenet300_fc1_f64"].diagnoses} == {"timeout"}
    assert report.ended and "0.5 s" in report.ended and report.not_run
    assert not report.properties
    summary = report.summary()
    assert summary.startswith("FAIL:") and "not run" in summary and "0.5 s" in summary


def test_a_port_sleeping_in_c_is_interrupted_and_a_timeout_in_the_properties_ends_them():
    def sleeper(W, axes):
        if W.shape[0] == 1:                 # a row vector: the first property input
            time.sleep(30)
        return reference(W, axes)
    t0 = time.monotonic()
    report = check(sleeper, cases="tiny_*", timeout=0.5)
    assert time.monotonic() - t0 < 10
    assert report.passed == ["tiny_2x2_f64", "tiny_3x3_f64"] and not report.ok
    assert report.property_names() == {"prop_timeout"} and "property checks" in report.ended


def test_a_port_that_swallows_the_timeout_is_still_timed_out():
    def stubborn(W, axes):
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            try:
                time.sleep(0.05)
            except BaseException:  # noqa: BLE001 - the hostile port
                pass
        return reference(W, axes)
    report = check(stubborn, cases="tiny_2x2_f64", timeout=0.2, properties=False)
    assert report.errored == ["tiny_2x2_f64"] and report.ended


def test_timeout_none_waits_and_bad_timeouts_are_refused():
    assert check(reference, cases="tiny_*", timeout=None).ok
    for bad in (0, -1.0, float("nan"), "1", True):
        with pytest.raises((TypeError, ValueError), match="timeout"):
            check(reference, cases="tiny_*", timeout=bad)
    assert_conforms(reference, cases="tiny_*", timeout=5.0)


# ---------------------------------------------------------------- BaseException and KeyboardInterrupt

class Abort(BaseException):
    """Not an Exception: ``except Exception`` does not catch it."""


@pytest.mark.parametrize("exc", [Abort("port gave up"), GeneratorExit("closed")])
def test_a_base_exception_is_an_error_of_the_case(exc):
    def port(W, axes):
        raise exc
    report = check(port, cases="tiny_*")
    assert report.errored == ["tiny_2x2_f64", "tiny_3x3_f64"] and not report.ok
    assert type(exc).__name__ in str(report)


def test_keyboard_interrupt_stops_the_run_with_the_report_so_far():
    calls = []

    def port(W, axes):
        calls.append(W.shape)
        if len(calls) == 5:         # two golden cases with their second inputs, then Ctrl-C
            raise KeyboardInterrupt
        return reference(W, axes)
    with pytest.raises(KeyboardInterrupt) as info:
        check(port)
    report = info.value.report
    assert report.passed == ["tiny_2x2_f64", "tiny_3x3_f64"] and report.interrupted
    assert report.summary().startswith("INTERRUPTED") and not report.ok
