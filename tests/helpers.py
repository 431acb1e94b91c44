"""Helpers shared by the test modules (test modules never import each other; they import this)."""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = REPO_ROOT / "examples"

#: work-process wording that says how the code came about instead of what it does (the product
#: speaks of the product: tests/test_suite_layout.py scans every tracked file but this one)
PROCESS_WORDS = re.compile(
    r"\bissues? ?#?\d+|\(issue\b|\breview(?:ed)? rounds?\b|\bround \d+\b|review_r\d"
    r"|\b(?:math|model|data|side|every|verify|experiment) rooms?\b|\brooms\b|hardening"
    r"|\b(?:this|last|next|previous|earlier) (?:round|session)\b", re.I)
#: the changelog is stricter: it never mentions how work was organised at all
CHANGELOG_PROCESS_WORDS = re.compile(r"\b(?:issues?|rounds?|sessions?|rooms?|hardening)\b", re.I)


def example_module(name: str):
    """Import ``examples/<name>.py`` as a module (the examples folder is not a package)."""
    key = f"_example_{name}"
    if key in sys.modules:
        return sys.modules[key]
    if str(EXAMPLES) not in sys.path:          # the examples import each other (paper_matrices)
        sys.path.append(str(EXAMPLES))
    spec = importlib.util.spec_from_file_location(key, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    saved, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = saved
    sys.modules[key] = module
    return module


def figure1_matrices(*args, **kwargs):
    """The paper's Figure 1 pair ``(W_D, W_S)`` from ``examples/paper_matrices.py``."""
    return example_module("paper_matrices").figure1_matrices(*args, **kwargs)


def repo_env(**extra) -> dict:
    """``os.environ`` with this checkout first on ``PYTHONPATH`` (for scripts run as subprocesses)."""
    path = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, **extra}


# ==================================================================== docs: page vs script output
# A page's ```text blocks are a script's output: words must match exactly, numbers as numbers
# (integers exactly, decimals to one unit in the last digit printed on the page, scientific
# notation below SMALL counts as "rounding level" on both sides).
import re as _re  # noqa: E402

NUMBER = _re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
SMALL = 1e-6


def doc_blocks(text: str, kind: str = "text") -> tuple[list[str], str]:
    """(lines of all ```kind blocks in order, prose outside every fenced block)."""
    lines, prose, inside = [], [], None
    for line in text.splitlines():
        if line.startswith("```"):
            inside = None if inside is not None else line[3:].strip()
            continue
        if inside == kind:
            lines.append(line)
        elif inside is None:
            prose.append(line)
    return lines, "\n".join(prose)


def last_digit_unit(token: str) -> float:
    """One unit in the last printed digit of a decimal token (mantissa digit for e-notation)."""
    mantissa, _, exponent = token.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** (-decimals + (int(exponent) if exponent else 0))


def numbers_agree(doc: str, got: str) -> bool:
    """``doc`` (as printed on a page) and ``got`` (as printed by a script) are the same number."""
    a, b = float(doc), float(got)
    if "." not in doc and "e" not in doc.lower():
        return "." not in got and "e" not in got.lower() and a == b
    if "e" in doc.lower() and abs(a) < SMALL and abs(b) < SMALL:
        return True
    return abs(a - b) <= last_digit_unit(doc) * (1 + 1e-6)


def compare_line(doc: str, got: str) -> str | None:
    """None if a page line and a printed line agree, else a description of the first difference."""
    if NUMBER.split(doc) != NUMBER.split(got):
        return "text differs"
    for d, g in zip(NUMBER.findall(doc), NUMBER.findall(got), strict=True):
        if not numbers_agree(d, g):
            return f"number {d} on the page, {g} printed"
    return None


def compare_lines(page: list[str], printed: list[str]) -> list[str]:
    """Problems between page lines and printed lines (blank lines ignored), empty when they agree."""
    page = [line.rstrip() for line in page if line.strip()]
    printed = [line.rstrip() for line in printed if line.strip()]
    if len(page) != len(printed):
        return [f"the page shows {len(page)} output lines, the script prints {len(printed)}"]
    return [f"line {n}: {why}\n  page:   {d}\n  script: {g}"
            for n, (d, g) in enumerate(zip(page, printed), 1) if (why := compare_line(d, g)) is not None]
# ==================================================================== end docs: page vs script output


# ==================================================================== reproduce: the tiny preset
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: what a run of the reproduction measured (not how long it took or whether it came from a cache)
SCIENCE = ("run", "unpruned_accuracy", "trainer_test_accuracy", "entropy_per_layer", "targets")


def science(methods):
    """The measured part of every run of ``methods`` (records of ``results.json``)."""
    return [[{k: r[k] for k in SCIENCE} for r in m["runs"]] for m in methods]


def tiny_reproduce(out, data_dir, *extra):
    """``entropy-ref reproduce --preset tiny`` into ``out`` on ``data_dir``; the exit status."""
    from entropy_ref.cli import main
    return main(["reproduce", "--out", str(out), "--preset", "tiny", "--data-dir", str(data_dir),
                 *extra])


def wait_for_line(proc, needle, lines, timeout=300.0):
    """Read ``proc``'s stdout line by line (into ``lines``) until one holds ``needle``."""
    import time
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        line = proc.stdout.readline()
        if not line:
            raise AssertionError("the reproduction ended early:\n" + "".join(lines))
        lines.append(line)
        if needle in line:
            return
    raise AssertionError(f"no {needle!r} within {timeout} s")


#: keys of results.json / studies.json that say how or when, not what was measured
VOLATILE = ("timing", "curve_cached", "files", "blas", "package_version", "cached")


def comparable(results):
    """``results`` without timings, cache flags, commit fields and the output path."""
    if isinstance(results, dict):
        return {k: comparable(v) for k, v in results.items()
                if k not in VOLATILE and not k.endswith("seconds") and k != "out"}
    if isinstance(results, list):
        return [comparable(v) for v in results]
    return results


def same_run_files(a, b):
    """Assert two run directories hold the same run: weights and Adam state bit for bit, the
    same history (timings aside), identity and curves."""
    import json

    import numpy as np

    with np.load(a / "model.npz") as za, np.load(b / "model.npz") as zb:
        assert sorted(za.files) == sorted(zb.files)
        for k in za.files:
            assert za[k].dtype == zb[k].dtype and np.array_equal(za[k], zb[k]), (a, k)
    ha, hb = (json.loads((d / "history.json").read_text()) for d in (a, b))
    assert comparable(ha) == comparable(hb)
    ra, rb = (json.loads((d / "run.json").read_text()) for d in (a, b))
    assert ra["identity"] == rb["identity"] and ra["epoch"] == rb["epoch"]
    for name in ("curve.csv", "curve_val.csv"):
        assert (a / name).exists() == (b / name).exists()
        if (a / name).exists():
            assert (a / name).read_bytes() == (b / name).read_bytes(), (a, name)
    for name in ("curve.json", "curve_val.json", "finetune.json"):
        if (a / name).exists():
            ja, jb = (json.loads((d / name).read_text()) for d in (a, b))
            assert comparable({k: v for k, v in ja.items() if k != "stats"}) == \
                comparable({k: v for k, v in jb.items() if k != "stats"}), (a, name)
# ==================================================================== end reproduce: the tiny preset


# ==================================================================== paper quotes
PAPER = Path(os.environ.get("ENTROPY_REF_PAPER", "/work/shared/paper/novel-sparse-regularizer.md"))


def normalise_space(text: str) -> str:
    """``text`` with every run of whitespace replaced by one space."""
    return " ".join(text.split())


def page_prose(text: str) -> str:
    """A page without its fenced blocks, inline code spans replaced by ``…``."""
    out, inside = [], False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            inside = not inside
            continue
        if not inside:
            out.append(re.sub(r"`[^`]*`", "`…`", line))
    return "\n".join(out)


def page_quotes(text: str) -> list[str]:
    """Text in “…”, and in "…" around three or more words, of a page's prose (normalised)."""
    body = page_prose(text)
    found = [normalise_space(q) for q in re.findall(r"“(.+?)”", body, re.S)]
    straight = re.findall(r'"([^"\n]*(?:\n[^"\n]*)?)"', re.sub(r"“(.+?)”", "", body, flags=re.S))
    return found + [normalise_space(q) for q in straight if len(q.split()) >= 3]


def in_paper(quote: str, paper: str) -> bool:
    """Every ``…``-separated fragment of ``quote`` occurs in ``paper``, in that order."""
    position = 0
    for fragment in (f.strip(" ,.") for f in quote.split("…")):
        if not fragment:
            continue
        position = paper.find(fragment, position)
        if position < 0:
            return False
        position += len(fragment)
    return True
# ==================================================================== end paper quotes


# ==================================================================== bad inputs: one line, no traceback
def standard_normal(shape=(4, 5), seed=0, dtype=None):
    """A seeded standard-normal array (float64 unless ``dtype`` is given)."""
    import numpy as np

    return np.random.default_rng(seed).standard_normal(shape).astype(dtype or np.float64)


def one_line_naming(exc_info, path) -> str:
    """The text of a ``pytest.raises`` result, asserted to be one line that names ``path``."""
    text = str(exc_info.value)
    assert "\n" not in text, text
    assert str(path) in text, text
    return text


def cli_error_line(capsys, argv, command="train") -> str:
    """Run ``entropy-ref argv``; assert exit 2 with exactly one error line and no traceback."""
    from entropy_ref.cli import main

    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "Traceback" not in err
    lines = [s for s in err.splitlines() if s.strip() and not s.startswith("entropy_ref: note:")]
    assert len(lines) == 1 and lines[0].startswith(f"entropy-ref {command}: error: "), err
    return lines[0]


def run_as_nobody(argv):
    """Run ``entropy-ref argv`` as uid/gid 65534 (a forked child when we are root): (rc, stderr)."""
    import io
    import warnings

    import pytest

    from entropy_ref.cli import main

    if os.geteuid() != 0:
        r, w = os.pipe()
        saved = os.dup(2)
        os.dup2(w, 2)
        try:
            rc = main(argv)
            sys.stderr.flush()
        finally:
            os.dup2(saved, 2)
            os.close(w)
        with os.fdopen(r) as f:
            return rc, f.read()
    if not hasattr(os, "fork"):
        pytest.skip("needs os.fork to drop root privileges for a permission test")
    r, w = os.pipe()
    with warnings.catch_warnings():                    # Python >= 3.12 warns about fork with
        warnings.simplefilter("ignore", DeprecationWarning)   # threads; the child uses none
        pid = os.fork()
    if pid == 0:                                       # child: drop privileges, run, exit
        rc = 99
        sys.stderr = io.StringIO()
        try:
            os.close(r)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            rc = main(argv)
        except BaseException as exc:                   # noqa: BLE001 - report to the parent
            sys.stderr.write(f"child raised {type(exc).__name__}: {exc}")
        finally:
            os.write(w, sys.stderr.getvalue().encode())
            os._exit(rc)
    os.close(w)
    with os.fdopen(r) as f:
        err = f.read()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), err


def npy_header(shape, descr="<f8") -> bytes:
    """The ``.npy`` header (format 1.0) of an array of ``shape`` and ``descr``, without data."""
    import io

    from numpy.lib import format as npy_format

    buf = io.BytesIO()
    npy_format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False,
                                            "shape": shape})
    return buf.getvalue()


def npz_bomb(path, shape, key="tiny_2x2_f64/grad"):
    """A deflated .npz member of float64 zeros: a few MB on disk, 8 * prod(shape) bytes inside."""
    import math
    import zipfile

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open(f"{key}.npy", "w", force_zip64=True) as f:
            f.write(npy_header(shape))
            block = bytes(1 << 20)
            for _ in range(math.prod(shape) * 8 >> 20):
                f.write(block)
# ==================================================================== end bad inputs


# ==================================================================== verify: wrong ports for the diagnoses
# A NumPy port of H_C written from the paper, independently of entropy_ref's code: scipy.ndimage for
# the Scharr components and an explicit matrix of the component operator for the exact adjoint
# (small cases only), with switchable, one-at-a-time porting mistakes. The diagnosis tests
# (tests/test_verify_diagnoses*.py) turn on one mistake and assert the diagnosis by name.
import numpy as _np  # noqa: E402

DIFFERENCE = _np.array([1.0, 0.0, -1.0]) / 2.0        # central difference, convolution order
SCHARR_SMOOTHING = _np.array([3.0, 10.0, 3.0]) / 16.0
SOBEL_SMOOTHING = _np.array([1.0, 2.0, 1.0]) / 4.0
PREWITT_SMOOTHING = _np.array([1.0, 1.0, 1.0]) / 3.0
#: the small golden cases the dense-operator port can take
SMALL_CASES = ["tiny_2x2_f64", "tiny_3x3_f64", "rect_3x5_f64", "square_6x6_f64", "tall_9x4_f64",
               "sparse_signed_12x10_f64", "lenet300_fc3_f64", "conv_8x3x5x5_f64",
               "volume_4x5x6_f64", "square_6x6_f32", "conv_8x3x5x5_f32"]


def _kernel(ndim, axes, axis, scale, smooth=SCHARR_SMOOTHING):
    k = _np.ones([1] * ndim)
    for ax in range(ndim):
        v = DIFFERENCE if ax == axis else (smooth if ax in axes else _np.ones(1))
        k = k * v.reshape([-1 if a == ax else 1 for a in range(ndim)])
    return k * scale


def scharr_components_ndimage(W, axes, *, correlate=False, mode="constant", scale=1.0,
                              smooth=SCHARR_SMOOTHING):
    """The Scharr components of ``W`` computed with scipy.ndimage (``smooth``: another kernel's)."""
    from scipy import ndimage

    f = ndimage.correlate if correlate else ndimage.convolve
    comps = []
    for axis in axes:
        kern = _kernel(W.ndim, axes, axis, scale, smooth)
        if mode == "valid":   # zero-padded result restricted to where the kernel fits
            c = ndimage.convolve(W, kern, mode="constant")
            c = c[tuple(slice(1, -1) if a in axes else slice(None) for a in range(W.ndim))]
        else:
            c = f(W, kern, mode=mode, cval=0.0)
        comps.append(c)
    return comps


def operator_matrix(op, W):
    """Explicit matrix of the linear map ``op`` (W -> one component), column j = op(e_j)."""
    cols = []
    for j in range(W.size):
        e = _np.zeros(W.size, dtype=W.dtype)
        e[j] = 1
        cols.append(op(e.reshape(W.shape)).ravel())
    return _np.stack(cols, axis=1)


def mistaken_port(W, axes, *, correlate=False, mode="constant", kernel_scale=1.0, energy_div=None,
                  mean_energy=False, mean_abs=False, outer=0.5, loss_sign=1.0, log=_np.log,
                  sign0=0.0, unflipped_adjoint=False, transpose_grad=False, dtype=_np.float64,
                  swap_components=False, abs_term=1.0, mantissa_bits=None,
                  smooth=SCHARR_SMOOTHING, eps_E=0.0, eps_S=0.0, log_E=None, log_S=None,
                  batch_mean=False, abs_norm=None, only=None):
    """H_C of eq. 3 with optional, one-at-a-time porting mistakes. Returns (value, grad, comps),
    the gradient in the input's dtype (``dtype`` is the precision of the computation).

    ``smooth`` (another edge kernel's smoothing), ``eps_E`` / ``eps_S`` (additive eps inside the
    energy / sum|W| log), ``log_E`` / ``log_S`` (another log for one term), ``batch_mean`` (energy
    averaged over the slices outside ``axes``), ``abs_norm`` (``W -> (N, dN/dW)`` replacing
    sum|W|), ``only`` (energy of one component only, no 1/k); the other names say what they change.
    """
    import math

    np = _np
    in_dtype = np.asarray(W).dtype
    W = np.asarray(W).astype(dtype)
    k = len(axes)
    energy_div = k if energy_div is None else energy_div
    if only is not None:
        energy_div = 1.0
    opts = dict(correlate=correlate, mode=mode, scale=kernel_scale, smooth=smooth)
    comps = scharr_components_ndimage(W, axes, **opts)
    if mantissa_bits:          # components rounded like TF32 / bfloat16 hardware would
        comps = [np.ldexp(np.round(np.ldexp(m, mantissa_bits)), e - mantissa_bits)
                 for m, e in map(np.frexp, comps)]
    used = range(k) if only is None else [only]
    B = W.size // int(np.prod([W.shape[a] for a in axes])) if batch_mean else 1
    E = sum(float(np.sum(comps[i] * comps[i], dtype=dtype)) for i in used) / (energy_div * B)
    if abs_norm is None:
        Sabs = float(np.sum(np.abs(W), dtype=dtype))
        dN = np.where(W == 0, sign0, np.sign(W))
    else:
        Sabs, dN = abs_norm(W)
    n = W.size
    log_E, log_S = log_E or log, log_S or log
    value = (outer * log_E((E / n if mean_energy else E) + eps_E)
             - log_S((Sabs / n if mean_abs else Sabs) + eps_S))
    dE = np.zeros(W.shape, dtype=dtype)
    for i in used:
        c = comps[i]
        if unflipped_adjoint:      # K_a applied again instead of its adjoint K_a^T
            dE += scharr_components_ndimage(c, axes, **opts)[i]
        else:
            op = lambda x, i=i: scharr_components_ndimage(x, axes, **opts)[i]  # noqa: E731
            dE += (operator_matrix(op, W).T @ c.ravel()).reshape(W.shape)
    f_E = 1.0 / math.log(2.0) if log_E is np.log2 else 1.0
    f_S = 1.0 / math.log(2.0) if log_S is np.log2 else 1.0
    dE_total = 2 * dE / (energy_div * B)                       # d(E)/dW
    grad = (f_E * outer * dE_total / (E + (eps_E * n if mean_energy else eps_E))
            - f_S * abs_term * dN / (Sabs + (eps_S * n if mean_abs else eps_S)))
    grad = grad.astype(in_dtype if in_dtype.kind == "f" else np.float64)
    if transpose_grad:
        grad = grad.T
    if swap_components:
        comps = comps[::-1]
    return loss_sign * value, loss_sign * grad, [c for c in comps] if mode != "valid" else None


def wrong_port(**mistakes):
    """A ``check()``-able port with the given mistakes (components returned too)."""
    def fn(W, axes):
        return mistaken_port(W, axes, **mistakes)
    return fn


def wrong_port_value_grad(**mistakes):
    """A ``check()``-able port with the given mistakes that returns ``(value, grad)`` only."""
    def fn(W, axes):
        v, g, _ = mistaken_port(W, axes, **mistakes)
        return v, g
    return fn


def diagnosis_names(report, case) -> set:
    """The names of the diagnoses of one case of a report."""
    return {d.name for d in report[case].diagnoses}


def diagnosis_messages(report, case) -> str:
    """The messages of the diagnoses of one case, joined by spaces."""
    return " ".join(d.message for d in report[case].diagnoses)

def _round_to(x, fmt):
    """``x`` rounded to ``fmt`` ("float16": IEEE half, with its range; "bfloat16": 8 significant
    bits, float32's range), returned as float32."""
    x = _np.asarray(x, dtype=_np.float32)
    if fmt == "float16":
        return x.astype(_np.float16).astype(_np.float32)
    m, e = _np.frexp(x)
    return _np.ldexp(_np.round(m * 256.0) / 256.0, e).astype(_np.float32)


def _gather_index(shape, axes, mode):
    """Index array of W padded by one along ``axes`` with ``np.pad`` ``mode``; W.size = a zero."""
    n = int(_np.prod(shape))
    pad = [(1, 1) if a in axes else (0, 0) for a in range(len(shape))]
    kw = {"constant_values": n} if mode == "constant" else {}
    return _np.pad(_np.arange(n).reshape(shape), pad, mode=mode, **kw)


def fast_port(W, axes, *, mode="constant", fmt=None, fd_step=None):
    """H_C of any size with scipy.ndimage (written from the paper); returns (value, grad) in W's dtype.

    ``mode``: the boundary handling (``np.pad`` names; "constant" is the zero padding of the paper),
    done as a gather of the padded array, so the adjoint is a scatter-add; ``fmt``: "bfloat16" or
    "float16" intermediates (W and the components rounded to it, the sums in float32, as autocast
    does); ``fd_step``: the gradient by central differences with this step, in closed form (E is
    quadratic: ``E(W + t e_p) = E + 2t (L W)_p + t^2 L_pp``).
    """
    from scipy import ndimage

    np = _np
    dtype, W = np.asarray(W).dtype, np.asarray(W, dtype=np.float64)
    k, n = len(axes), W.size
    if fmt is not None:
        W = _round_to(W, fmt).astype(np.float64)
    idx = _gather_index(W.shape, axes, mode)
    Wp = np.append(W.ravel(), 0.0)[idx]
    crop = tuple(slice(1, -1) if a in axes else slice(None) for a in range(W.ndim))
    kernels = [_kernel(W.ndim, axes, a, 1.0) for a in axes]
    comps = [ndimage.convolve(Wp, h, mode="constant")[crop] for h in kernels]
    if fmt is not None:
        comps = [_round_to(c, fmt).astype(np.float64) for c in comps]
    E = sum(float(np.sum(c * c, dtype=np.float32 if fmt else np.float64)) for c in comps) / k
    S = float(np.sum(np.abs(W), dtype=np.float32 if fmt else np.float64))
    value = 0.5 * np.log(E) - np.log(S)
    back = np.zeros(Wp.shape)
    for c, h in zip(comps, kernels):
        full = np.zeros(Wp.shape)
        full[crop] = c
        back += ndimage.correlate(full, h, mode="constant")
    KtK_W = np.bincount(idx.ravel(), weights=back.ravel(), minlength=n + 1)[:n].reshape(W.shape)
    if fmt is not None:
        KtK_W = _round_to(KtK_W, fmt).astype(np.float64)
    grad = KtK_W / (k * E) - np.sign(W) / S
    if fd_step is not None:            # (value at W + t e_p - value at W - t e_p) / 2t, every p
        diag = sum(ndimage.correlate(np.ones(W.shape), h * h, mode="constant") for h in kernels) / k
        t = fd_step

        def moved(s):
            return (0.5 * np.log(E + 2 * s * KtK_W / k + s * s * diag)
                    - np.log(S - np.abs(W) + np.abs(W + s)))
        grad = (moved(t) - moved(-t)) / (2 * t)
    return value, grad.astype(dtype)
def naive_float32_port(W, axes, *, mistake=None):
    """Everything in float32, sums accumulated left to right (np.add.accumulate: no pairwise).

    ``mistake``: one catalogued porting mistake ("integer_kernel", "adjoint_not_flipped", "sign",
    "half_in_log", "sign_at_zero", "reflect")."""
    from entropy_ref.scharr import scharr_gradient, scharr_gradient_adjoint

    W = _np.asarray(W, dtype=_np.float32)
    comps = scharr_gradient(W, axes)
    k = _np.float32(len(axes))

    def seq_sum(a):
        return _np.add.accumulate(a.ravel(), dtype=_np.float32)[-1]

    E_sum = seq_sum(sum(c * c for c in comps))
    S = seq_sum(_np.abs(W))
    if mistake == "reflect":       # boundary mode: the scipy.ndimage default
        from scipy import ndimage
        d, s = _np.array([1, 0, -1], _np.float32) / 2, _np.array([3, 10, 3], _np.float32) / 16
        comps = [ndimage.convolve1d(ndimage.convolve1d(W, s, axis=[b for b in axes if b != a][0],
                                                       mode="reflect"), d, axis=a, mode="reflect")
                 for a in axes]
        E_sum = seq_sum(sum(c * c for c in comps))
    H = _np.float32(0.5) * _np.log(E_sum / k) - _np.log(S)
    grad = scharr_gradient_adjoint(comps, axes) / E_sum - _np.sign(W) / S
    if mistake == "integer_kernel":
        H = H + _np.log(_np.float32(32))
    if mistake == "adjoint_not_flipped":
        grad = -scharr_gradient_adjoint(comps, axes) / E_sum - _np.sign(W) / S
    if mistake == "sign":
        H, grad = -H, -grad
    if mistake == "half_in_log":
        H = H + _np.float32(0.5 * _np.log(2.0))
    if mistake == "sign_at_zero":
        grad = scharr_gradient_adjoint(comps, axes) / E_sum - _np.where(W >= 0, 1, -1) / S
    return H, grad


# ==================================================================== end verify: wrong ports for the diagnoses
