"""Generate the golden conformance files ``golden_v<N>.npz`` and ``golden_v<N>.json``.

Run ``python -m entropy_ref.golden.generate`` to rewrite the committed files of the current version
(:data:`~entropy_ref.golden.cases.VERSION`) beside this module, ``--version 1`` for an older shipped
version, ``--out DIR`` to write elsewhere, ``--check`` to only compare a fresh computation with the
committed files (exit status 1 on a difference; every shipped version unless ``--version`` is
given). ``tests/test_golden.py`` does the same comparison.

Every expected output is computed in float64 from the (exactly representable) input with the
readable reference path :func:`entropy_ref.configuration_entropy_grad_reference`, and cross-checked
before anything is written against the fused fast path and, for small cases, the plain-loop Scharr
twin: the generator refuses to write data its own implementations disagree on.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

from ..entropy import configuration_entropy_grad, configuration_entropy_grad_reference
from ..gradcheck import rel_error
from ..scharr import scharr_gradient, scharr_gradient_loop
from ..storage.atomic import atomic_write
from . import load
from .cases import (CASES_BY_VERSION, COMPONENTS_MAX_SIZE, JSON_MAX_SIZE,
                    TOLERANCE_RATIONALE_BY_VERSION, TOLERANCES, VERSION, VERSIONS, CaseSpec,
                    build_input)

#: fast path and loop twin must agree with the reference this closely before anything is written
_SELF_TOL = 1e-12
_LOOP_MAX_SIZE = 1000

KEY_LAYOUT = {
    "<case>/W": "input, the case's dtype (float64 or float32)",
    "<case>/value_nats": "H_C in nats, float64 0-d array",
    "<case>/value_bits": "H_C in bits (= nats / ln 2), float64 0-d array",
    "<case>/grad": "dH_C/dW in nats, float64, shape of W (bits: divide by ln 2; l_C: negate)",
    "<case>/g_axis<a>": "Scharr component differentiating axis a (convolution, zero padding), "
                        "float64, shape of W; for matrices g_axis1 = g_x, g_axis0 = g_y",
    "__meta__": "this metadata, a JSON string (0-d unicode array)",
}

CONVENTIONS = {
    "H_C": "1/2 log((1/k) sum_i sum (G_i * W)^2) - log(sum |W|), k = number of chosen axes "
           "(paper eq. 3, k = 2 for matrices)",
    "l_C": "-H_C (the paper's sparsity loss)",
    "kernel_x": [[3 / 32, 0.0, -3 / 32], [10 / 32, 0.0, -10 / 32], [3 / 32, 0.0, -3 / 32]],
    "kernel_y": "transpose of kernel_x; N-D: [1, 0, -1]/2 along the differentiated axis times "
                "[3, 10, 3]/16 along every other chosen axis",
    "operation": "convolution (kernel flipped); cross-correlation negates every component and "
                 "leaves H_C and its gradient unchanged",
    "padding": "zeros, output the same shape as W",
    "x_axis": "axis 1 (the paper's 'row direction'); y = axis 0",
    "reductions": "sums over all entries",
    "log": "natural (nats); bits = nats / ln 2",
    "gradient_at_zero": "sign(0) = 0 (the subgradient of |w| at w = 0)",
}


def compute_case(spec: CaseSpec) -> dict[str, np.ndarray]:
    """Input and expected outputs of one case, keyed as in :data:`KEY_LAYOUT` (without ``__meta__``).

    Parameters
    ----------
    spec : CaseSpec

    Returns
    -------
    dict of str -> ndarray

    Raises
    ------
    RuntimeError
        If the fast path or the loop twin disagrees with the reference by more than 1e-12.

    Examples
    --------
    >>> from entropy_ref.golden.cases import CASES
    >>> sorted(compute_case(CASES[0]))[:3]
    ['tiny_2x2_f64/W', 'tiny_2x2_f64/g_axis0', 'tiny_2x2_f64/g_axis1']
    """
    W = build_input(spec)
    if str(W.dtype) != spec.dtype:
        raise RuntimeError(f"{spec.name}: recipe gives {W.dtype}, the case says {spec.dtype}")
    W64 = W.astype(np.float64)
    H, grad = configuration_entropy_grad_reference(W64, spec.axes)
    H_bits, _ = configuration_entropy_grad_reference(W64, spec.axes, unit="bits")
    comps = scharr_gradient(W64, spec.axes)

    H_fast, grad_fast = configuration_entropy_grad(W64, spec.axes)
    problems = []
    if abs(H_fast - H) > _SELF_TOL or rel_error(grad_fast, grad) > _SELF_TOL:
        problems.append("fused fast path")
    if abs(H_bits * math.log(2.0) - H) > _SELF_TOL:
        problems.append("bits value")
    if W.size <= _LOOP_MAX_SIZE:
        loop = scharr_gradient_loop(W64, spec.axes)
        if max(rel_error(a, b) for a, b in zip(loop, comps)) > _SELF_TOL:
            problems.append("plain-loop Scharr twin")
    if problems:
        raise RuntimeError(f"{spec.name}: the reference disagrees with the {', '.join(problems)}; "
                           "refusing to write golden data")

    out = {f"{spec.name}/W": W, f"{spec.name}/value_nats": np.float64(H),
           f"{spec.name}/value_bits": np.float64(H_bits), f"{spec.name}/grad": grad}
    if W.size <= COMPONENTS_MAX_SIZE:
        for axis, c in zip(spec.axes, comps):
            out[f"{spec.name}/g_axis{axis}"] = c
    return {key: np.asarray(value) for key, value in sorted(out.items())}


def _cases(version: int):
    if version not in CASES_BY_VERSION:
        raise ValueError(f"unknown golden version {version!r}; shipped: {VERSIONS}")
    return CASES_BY_VERSION[version]


def metadata(arrays: dict[str, np.ndarray], version: int = VERSION) -> dict:
    """The JSON-serialisable description of the set ``version`` (everything except the arrays)."""
    cases = {}
    for spec in _cases(version):
        W = arrays[f"{spec.name}/W"]
        cases[spec.name] = {
            "shape": list(W.shape), "dtype": spec.dtype, "axes": list(spec.axes),
            "recipe": spec.recipe, "description": spec.description, "tags": list(spec.tags),
            "tolerance": spec.dtype,
            "components": f"{spec.name}/g_axis{spec.axes[0]}" in arrays,
            "in_json": W.size <= JSON_MAX_SIZE,
        }
    return {
        "format": "entropy_ref golden vectors", "version": version,
        "reference": "Bayandorian, 'A Novel Sparse Regularizer', arXiv 2301.07285, eq. 3",
        "conventions": CONVENTIONS,
        "tolerances": {name: {"value_atol": t.value_atol, "array_rtol": t.array_rtol,
                              "why": TOLERANCE_RATIONALE_BY_VERSION[version][name]}
                       for name, t in TOLERANCES.items()},
        "key_layout": KEY_LAYOUT,
        "cases": cases,
    }


def build(version: int = VERSION) -> tuple[dict[str, np.ndarray], dict]:
    """Compute every case of ``version``; return ``(arrays, meta)``."""
    arrays: dict[str, np.ndarray] = {}
    for spec in _cases(version):
        arrays.update(compute_case(spec))
    return arrays, metadata(arrays, version)


def _json_array(a: np.ndarray) -> str:
    """Compact JSON of an array, one innermost row per line (floats round-trip exactly)."""
    if a.ndim <= 1:
        return json.dumps(a.tolist())
    return "[" + ",\n".join(_json_array(sub) for sub in a) + "]"


def _compact(obj, placeholders: dict):
    """Replace every list and array in ``obj`` by a token whose compact JSON is kept aside."""
    if isinstance(obj, dict):
        return {k: _compact(v, placeholders) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray)):
        token = f"@@{len(placeholders)}@@"
        placeholders[token] = _json_array(np.asarray(obj)) if isinstance(obj, np.ndarray) \
            else json.dumps(list(obj))
        return token
    return obj


def to_json(arrays: dict[str, np.ndarray], meta: dict) -> str:
    """The JSON document: ``meta`` plus, for every case of at most 1000 entries, its arrays."""
    doc = dict(meta, cases={})
    for name, info in meta["cases"].items():
        entry = dict(info)
        if info["in_json"]:
            for key in sorted(k for k in arrays if k.startswith(name + "/")):
                a = arrays[key]
                entry[key.split("/", 1)[1]] = float(a) if a.ndim == 0 else a
        doc["cases"][name] = entry
    placeholders: dict[str, str] = {}
    text = json.dumps(_compact(doc, placeholders), indent=1)
    for token, compact in placeholders.items():
        text = text.replace(f'"{token}"', compact)
    return text + "\n"


def write(out_dir, version: int = VERSION) -> tuple[Path, Path]:
    """Compute the set and write ``golden_v<N>.npz`` and ``golden_v<N>.json`` into ``out_dir``."""
    out_dir = Path(out_dir)
    arrays, meta = build(version)     # before anything is created: a refusal leaves no trace
    out_dir.mkdir(parents=True, exist_ok=True)
    npz, js = out_dir / f"golden_v{version}.npz", out_dir / f"golden_v{version}.json"
    payload = dict(arrays, __meta__=np.array(json.dumps(meta)))   # keeps the case order
    atomic_write(npz, lambda f: np.savez_compressed(f, **payload))
    text = to_json(arrays, meta).encode()
    atomic_write(js, lambda f: f.write(text))
    return npz, js


def compare_with_committed(directory=None, version: int = VERSION) -> list[str]:
    """Differences between a fresh computation and the files in ``directory`` (default: packaged).

    Metadata must be identical, inputs agree to 4 ulps (np.cos of NumPy < 1.25 on AVX-512 CPUs is
    1 ulp off the stored inputs); outputs may differ by 1e-12 (relative for arrays,
    absolute for values), which allows for a different BLAS summation order.
    """
    stored = load(version, directory=directory)
    arrays, meta = build(version)
    problems = []
    if stored.meta != json.loads(json.dumps(meta)):
        problems.append("metadata (recipes, tolerances, conventions, case list) differs")
    for key, fresh in arrays.items():
        case_name, field = key.split("/", 1)
        old = stored.raw.get(key)
        if old is None:
            problems.append(f"{key}: missing from the committed file")
        elif old.shape != fresh.shape or old.dtype != fresh.dtype:
            problems.append(f"{key}: shape/dtype {old.shape}/{old.dtype} vs {fresh.shape}/{fresh.dtype}")
        elif field == "W" and rel_error(old, fresh) > 4 * np.finfo(old.dtype).eps:  # NumPy<1.25 cos: 1 ulp
            problems.append(f"{key}: the recipe no longer reproduces the stored input")
        elif field != "W" and rel_error(old, fresh) > _SELF_TOL:
            problems.append(f"{key}: differs by {rel_error(old, fresh):.2e} (relative)")
    problems += [f"{key}: in the committed file only" for key in stored.raw if key not in arrays]
    return problems


def main(argv=None) -> int:
    """Command-line entry point; see the module docstring."""
    parser = argparse.ArgumentParser(prog="python -m entropy_ref.golden.generate",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent,
                        help="output directory (default: the package directory)")
    parser.add_argument("--check", action="store_true",
                        help="only compare a fresh computation with the committed files")
    parser.add_argument("--version", type=int, choices=VERSIONS, default=None,
                        help=f"golden version (default: {VERSION} to write, every shipped version "
                             "to --check)")
    args = parser.parse_args(argv)
    if args.check:
        failed = False
        for version in ([args.version] if args.version else VERSIONS):
            problems = compare_with_committed(version=version)
            for p in problems:
                print(f"v{version}: {p}")
            print(f"golden v{version} files up to date" if not problems
                  else f"golden v{version}: {len(problems)} difference(s)")
            failed |= bool(problems)
        return 1 if failed else 0
    for path in write(args.out, args.version or VERSION):
        print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
