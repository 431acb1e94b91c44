"""The diagnoses of entropy_ref.verify as a whole: the correct port passes, every name is
documented in docs/diagnoses.md with a test that exists, the candidate value offsets are far
apart, and a real PyTorch port with each mistake gets its name.

The diagnoses one by one: ``tests/test_verify_diagnoses_value.py`` (sign, units, constants),
``_gradient.py`` (the gradient's terms, eps, precision), ``_operator.py`` (kernel, components,
padding, norms) and ``_layout.py`` (axes, memory order, transposes). Each turns on one porting
mistake in the NumPy port of ``tests/helpers.py`` (``mistaken_port``: written from the paper,
independently of entropy_ref's code) and asserts the diagnosis by name; the correct port passes
here, so no diagnosis test can pass by accident.
"""

import functools
import itertools
import math
import re
from pathlib import Path

import numpy as np
import pytest

import entropy_ref.verify as verify
from entropy_ref import golden
from entropy_ref.verify import MATCH
from entropy_ref.verify import check as _check
from entropy_ref.verify.diagnoses.variant_grads import batch_axes
from entropy_ref.verify.endings import CAUSES
from entropy_ref.verify.diagnoses.variants import offset_candidates
from helpers import SMALL_CASES, diagnosis_names, mistaken_port, wrong_port

#: the golden cases only: the property checks (on by default) are tested in
#: tests/test_verify_properties.py
check = functools.partial(_check, properties=False)
PROFILES = ["float64", "float32"]


def test_correct_port_passes_every_small_case():
    report = check(wrong_port(), cases=SMALL_CASES)
    assert report.ok, str(report)
    assert report.diagnosis_names() == set()


@pytest.mark.parametrize("profile", PROFILES)
def test_correct_port_passes_the_batch_reshape_row_and_volume_cases(profile):
    report = check(wrong_port(), cases=["batch_5x6x7_f64", "batch_5x6x7_f32", "reshape_4x7_f64",
                                        "row_1x8_f64", "volume_4x5x6_f32"], profile=profile)
    assert report.ok, str(report)


def test_noise_is_unexplained():
    rng = np.random.default_rng(0)

    def fn(W, axes):
        v, g, _ = mistaken_port(W, axes)
        return v + 0.01, g + 0.1 * rng.standard_normal(g.shape) * np.abs(g).max()
    report = check(fn, cases="square_6x6_f64")
    assert diagnosis_names(report, "square_6x6_f64") == {"unexplained"}


@pytest.mark.parametrize("case", list(golden.load()))
def test_candidate_offsets_are_far_apart_compared_with_the_match_tolerance(case):
    c = golden.load()[case]
    batch = int(np.prod([c.shape[a] for a in batch_axes(c.shape, c.axes)]))
    groups = offset_candidates(len(c.axes), c.W.size, batch=batch,
                               thin=c.W.ndim == 2 and min(c.shape) == 1)
    sums = {round(sum(d for _, _, d in combo), 12)
            for size in range(1, len(groups) + 1)
            for chosen in itertools.combinations(groups, size)
            for combo in itertools.product(*chosen)}
    ordered = sorted(sums)
    assert min(b - a for a, b in zip(ordered, ordered[1:])) > 10 * MATCH


# --- docs/diagnoses.md lists every name, and every test it cites exists -------------------------------

def _diagnosis_names_in_the_source():
    names = set()
    for path in Path(verify.__file__).parent.rglob("*.py"):
        text = path.read_text()
        names |= set(re.findall(r'Diagnosis\(\s*"([a-z_0-9]+)"', text))
        names |= set(re.findall(r'name = "(prop_[a-z_]+)"', text))
    names |= {name for group in offset_candidates(3, 600, batch=24) for name, _, _ in group}
    names |= {prefix + cause for cause in CAUSES for prefix in ("", "prop_")}
    return names


def test_every_diagnosis_name_is_documented_in_docs_diagnoses():
    page = (Path(__file__).resolve().parent.parent / "docs" / "diagnoses.md").read_text()
    names = _diagnosis_names_in_the_source()
    assert {"additive_eps", "batch_mean", "other_kernel", "memory_order", "prop_euler"} <= names
    missing = sorted(n for n in names if f"`{n}`" not in page)
    assert not missing, f"not in docs/diagnoses.md: {missing}"


def test_every_test_cited_in_docs_diagnoses_exists():
    root = Path(__file__).resolve().parent.parent
    page = (root / "docs" / "diagnoses.md").read_text()
    cited = set(re.findall(r"`(test_[a-z0-9_]+)`", page))
    cited |= set(re.findall(r"`tests/\w+\.py::(test_\w+)`", page))
    source = "".join(p.read_text() for p in (root / "tests").glob("test_*.py"))
    assert len(cited) > 30
    assert not sorted(t for t in cited if f"def {t}(" not in source)


def test_the_numbers_in_docs_diagnoses_are_the_codes():
    page = (Path(__file__).resolve().parent.parent / "docs" / "diagnoses.md").read_text()
    assert "`MATCH = 1e-3`" in page and MATCH == 1e-3
    from entropy_ref.verify.diagnoses.eps import FLOAT32_SCALE
    assert "float32 size (below `1e-4` relative)" in page and FLOAT32_SCALE == 1e-4
    from entropy_ref.verify.diagnoses.variant_grads import SVD_MAX_SIZE
    assert "at most 5 000 entries" in page and SVD_MAX_SIZE == 5000
    offsets = {round(d, 4) for group in offset_candidates(2, 100) for _, _, d in group}
    for text, value in [("+log 32 = 3.4657", math.log(32)), ("+log 16 = 2.7726", math.log(16)),
                        ("+log 2 = 0.6931", math.log(2)), ("+½ log 2 = 0.3466", 0.5 * math.log(2))]:
        assert text in page and round(value, 4) in offsets
    assert "1/ln 2 = 1.4427" in page and round(1 / math.log(2), 4) == 1.4427
    assert "1/ln 10 = 0.4343" in page and round(1 / math.log(10), 4) == 0.4343
    scales = golden.load()["batch_5x6x7_f64"].recipe
    assert "matrices of scales 0.5 to 8" in page and "[0.5, 1.0, 2.0, 4.0, 8.0]" in scales


def test_the_numbers_of_the_precision_layout_and_port_rows_are_the_codes():
    from entropy_ref import configuration_entropy
    from entropy_ref.verify.diagnoses.precision import FIT_FACTOR, FORMATS, VALUE_FLOOR
    from entropy_ref.verify.diagnoses.relations import EXPLAINS
    from entropy_ref.verify.diagnoses.terms import NEAR_ONE
    from entropy_ref.verify.timeouts import DEFAULT_TIMEOUT
    page = (Path(__file__).resolve().parent.parent / "docs" / "diagnoses.md").read_text()
    assert "ten times closer" in page and EXPLAINS == 0.1
    from entropy_ref.verify.diagnoses.eps import FIT
    assert "explains the error (to 2 %)" in page and FIT == 0.02
    assert "by more than 5 %" in page and NEAR_ONE == 0.05
    assert "within a factor 10" in page and "at most 10 times it (plus `1e-6`)" in page
    assert FIT_FACTOR == 10 and VALUE_FLOOR == 1e-6
    assert "11 significant bits (float16, TF32) or 8 (bfloat16)" in page
    assert [bits for _, bits, _ in FORMATS] == [11, 8]
    assert "default 60 s" in page and DEFAULT_TIMEOUT == 60
    assert "right to float64 precision (`1e-10` nats)" in page
    assert golden.TOLERANCES["float64"].value_atol == 1e-10
    for name in ("lenet300_fc2_f64", "lenet300_fc1_f64"):
        case = golden.load()[name]
        moved = abs(configuration_entropy(case.W.reshape(case.shape[::-1])) - case.value_nats)
        assert f"`{moved:.1e}` on `{name[:-4]}`" in page or f"`{moved:.1e}` nats from the truth " \
            f"on `{name[:-4]}`" in page, (name, f"{moved:.1e}")


# --- the same mistakes in a real PyTorch port (F.conv2d + autograd), float64 and float32 --------------

def _torch_port(dtype="float64", eps=0.0, log2_energy=False, smooth=(3.0, 10.0, 3.0), norm=None,
                only_x=False, reshape=False, batch_mean=False):
    """``fn(W, axes)`` written the way a PyTorch user would, with one switchable mistake."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional

    def fn(W, axes):
        shape = W.shape
        t = torch.tensor(np.asarray(W), dtype=getattr(torch, dtype), requires_grad=True)
        x = t.reshape(shape[1], shape[0]) if reshape else t       # meant t.T
        x = x.reshape(-1, 1, *x.shape[-2:])                      # (batch, 1, R, C)
        s = torch.tensor(smooth, dtype=x.dtype)
        kx = torch.outer(s / s.sum(), torch.tensor([1.0, 0.0, -1.0], dtype=x.dtype) / 2)
        gx = F.conv2d(x, kx.reshape(1, 1, 3, 3), padding=1)      # cross-correlation: harmless
        gy = F.conv2d(x, kx.T.reshape(1, 1, 3, 3), padding=1)
        energy = (gx ** 2).sum() if only_x else ((gx ** 2).sum() + (gy ** 2).sum()) / 2
        if batch_mean:
            energy = energy / x.shape[0]
        if norm == "ord1":
            S = torch.linalg.norm(x[0, 0], ord=1)
        else:
            S = t.abs().sum()
        log_e = torch.log2 if log2_energy else torch.log
        value = 0.5 * log_e(energy + eps) - torch.log(S + eps)
        value.backward()
        return value, t.grad.to(getattr(torch, str(W.dtype)))   # the gradient in W's dtype
    return fn


TORCH_MISTAKES = [
    (dict(eps=1e-3), "tiny_2x2_f64", "additive_eps"),
    (dict(log2_energy=True), "rect_3x5_f64", "log_base_mixed"),
    (dict(smooth=(1.0, 2.0, 1.0)), "linspace_8x9_f64", "other_kernel"),
    (dict(smooth=(1.0, 1.0, 1.0)), "lenet300_fc3_f64", "other_kernel"),
    (dict(norm="ord1"), "linspace_8x9_f64", "matrix_norm"),
    (dict(only_x=True), "tall_9x4_f64", "one_component"),
    (dict(reshape=True), "reshape_4x7_f64", "memory_order"),
    (dict(batch_mean=True), "batch_5x6x7_f64", "batch_mean"),
]


@pytest.mark.parametrize("dtype,profile", [("float64", "float64"), ("float64", "float32"),
                                           ("float32", "float32")])
@pytest.mark.parametrize("mistake,case,name", TORCH_MISTAKES)
def test_a_pytorch_port_with_each_mistake_gets_its_name(mistake, case, name, dtype, profile):
    assert check(_torch_port(dtype), cases=case, profile=profile).ok        # the correct port
    report = check(_torch_port(dtype, **mistake), cases=case, profile=profile)
    assert not report.ok and diagnosis_names(report, case) == {name}, str(report)
