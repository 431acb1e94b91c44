"""The outputs file: another implementation's outputs stored in an ``.npz``, read and written.

:func:`load_outputs` reads and validates one, :func:`save_outputs` writes one;
:func:`~.api.check_file` (CLI: ``entropy-ref verify THEIRS.npz``) judges it.

Key layout of ``THEIRS.npz`` (``docs/verifying.md``), per golden case name ``<case>``:

``<case>/value``
    the value (``H_C``, or ``l_C`` with ``loss="l_C"``), a real scalar (any shape of size 1);
``<case>/grad``
    the gradient, W's shape;
``<case>/g_x``, ``<case>/g_y`` (matrices) or ``<case>/g_axis<a>`` (any case), optional
    Scharr components: ``g_x = g_axis1`` differentiates along axis 1, ``g_y = g_axis0``;
``<case>/skip``, instead of the above
    a string saying why the implementation does not support this case.

Keys starting with ``__`` are ignored and never read (free for your own metadata). Every selected
case must be present or skipped: a missing case, an unknown key, a non-finite number or a wrong
shape is an error (:class:`VerificationFileError`) naming every problem found. Each member's
``.npy`` header is checked against its golden case before its data is read (see
:func:`entropy_ref.storage.readers.read_npz`), so no file can make the check allocate more than the golden
set's own sizes. A gradient whose shape is W's shape with permuted axes is not an error but a
failing case, diagnosed as ``transposed``.
"""

from __future__ import annotations

import difflib
import math
import re
from itertools import permutations
from pathlib import Path

import numpy as np

from .. import golden
from ..errors import CorruptFileError
from ..storage.atomic import atomic_write
from ..storage.readers import read_npz
from .cases import golden_set_from
from .outputs import Outputs, outputs_from_return   # what check() accepts: NumPy, torch, JAX, ...

_COMPONENT = re.compile(r"g_axis(\d+)$")
_FIELDS = "value, grad, skip, g_x, g_y, g_axis<a>"
#: bound on the array data read from one outputs file (the whole golden set is far smaller)
MAX_BYTES = 256 * 2**20


class VerificationFileError(CorruptFileError):
    """The outputs file is malformed: the message lists every problem found (one per line)."""


#: longest ``<case>/skip`` reason read (bytes)
MAX_SKIP_BYTES = 2**16


def _key_problem(gs, key, shape, dtype):
    """Why member ``key`` (declared ``shape``, ``dtype``) cannot be an output, or None.

    Decided from the ``.npy`` header alone, so nothing bigger than the golden case's W is ever
    read from the file.
    """
    name, _, field = key.partition("/")
    if name not in gs:
        close = difflib.get_close_matches(name, list(gs), n=1)
        return f"no golden case {name!r}" + (f" (did you mean {close[0]}?)" if close else "")
    case = gs[name]
    if field not in ("value", "grad", "skip") and _component_axis(case, field) is None:
        return (f"unknown field {field!r} for this case (fields: {_FIELDS}; components only for "
                f"the case's axes {case.axes})")
    if dtype.hasobject:
        return "stored as Python objects (pickled); save numeric arrays"
    if field == "skip":
        if dtype.kind not in "US" or dtype.itemsize * math.prod(shape) > MAX_SKIP_BYTES:
            return f"must be a string (the reason) of at most {MAX_SKIP_BYTES} bytes"
        return None
    if dtype.kind not in "biuf":
        return f"dtype {dtype} is not a real number type"
    if field == "value":
        return None if math.prod(shape) == 1 else f"must be a scalar, got shape {shape}"
    return _shape_problem(shape, case)


def _read(path, gs) -> tuple[dict, list]:
    """The members of ``path`` that can be outputs (``None`` for those refused), and problems."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: is a directory, not an .npz file" if path.is_dir()
                                else f"no such file: {path}")
    refused = set()

    def select(key, shape, dtype):
        if key.startswith("__"):
            return False                     # free metadata: never read
        problem = _key_problem(gs, key, shape, dtype)
        if problem is not None:
            refused.add(key)
            return problem
        return True

    try:
        arrays, problems = read_npz(path, "verify input", select=select, max_bytes=MAX_BYTES)
    except CorruptFileError as exc:
        raise VerificationFileError(str(exc)) from None
    arrays.update(dict.fromkeys(refused))
    return arrays, problems


def _finite(key, a, problems) -> bool:
    bad = ~np.isfinite(a)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        problems.append(f"{key}: {int(bad.sum())} non-finite value(s) (NaN/inf), first at index "
                        f"{first}")
        return False
    return True


def _shape_problem(shape, case):
    if shape == case.shape or shape in {tuple(case.shape[i] for i in p)
                                        for p in permutations(range(len(case.shape)))}:
        return None   # a permuted shape is diagnosed as 'transposed' by the comparison
    return f"shape {shape}, expected W's shape {case.shape}"


def _component_axis(case, field):
    if field in ("g_x", "g_y"):
        return {"g_x": 1, "g_y": 0}[field] if case.W.ndim == 2 else None
    m = _COMPONENT.match(field)
    return int(m.group(1)) if m and int(m.group(1)) in case.axes else None


def _case_outputs(case, fields: dict, problems: list):
    """The :class:`Outputs` of one case from its fields (``None`` for a refused member), or None
    when a field is missing, refused or not finite (each problem appended to ``problems``)."""
    name = case.name
    missing = [f for f in ("value", "grad") if f not in fields]
    if missing:
        problems.append(f"{name}: missing {' and '.join(f'{name}/{f}' for f in missing)}")
        return None
    ok = all(a is not None for a in fields.values())   # None: refused, already reported
    for field in ("value", "grad"):
        if fields[field] is not None:
            ok &= _finite(f"{name}/{field}", fields[field], problems)
    comps = {}
    for field, a in fields.items():
        axis = _component_axis(case, field)
        if axis is None:
            continue
        if axis in comps:
            problems.append(f"{name}: component for axis {axis} given twice (g_x = g_axis1, "
                            "g_y = g_axis0)")
        if a is not None:
            ok &= _finite(f"{name}/{field}", a, problems)
        comps[axis] = a
    if not ok:
        return None
    return Outputs(float(fields["value"].reshape(())), fields["grad"], comps or None)


def load_outputs(path, golden_set=None) -> tuple[dict, dict]:
    """Read and validate ``THEIRS.npz``.

    Every member's ``.npy`` header is checked against the golden case it names (shape, dtype)
    before its data is read, so a hostile file (a header claiming 10^13 entries, a
    decompression bomb) is refused without allocating anything large.

    Parameters
    ----------
    path : path-like
    golden_set : GoldenSet, optional

    Returns
    -------
    outputs : dict of str -> Outputs
    skipped : dict of str -> str
        Cases the file marks as unsupported, with the reason it gives.

    Raises
    ------
    FileNotFoundError, VerificationFileError
    """
    gs = golden_set if golden_set is not None else golden.load()
    arrays, problems = _read(path, gs)
    per_case: dict = {}
    for key, a in arrays.items():
        name, _, field = key.partition("/")
        if name in gs:
            per_case.setdefault(name, {})[field] = a
    outputs, skipped = {}, {}
    for name, fields in per_case.items():
        if "skip" in fields:
            if len(fields) > 1:
                problems.append(f"{name}: has both 'skip' and outputs ({', '.join(sorted(fields))})")
            elif fields["skip"] is not None:
                skipped[name] = str(fields["skip"].reshape(-1)[0]) if fields["skip"].size else ""
            continue
        found = _case_outputs(gs[name], fields, problems)
        if found is not None:
            outputs[name] = found
    if problems:
        shown = problems[:25] + ([f"... and {len(problems) - 25} more"] if len(problems) > 25 else [])
        raise VerificationFileError(f"{path}: {len(problems)} problem(s):\n  " + "\n  ".join(shown))
    return outputs, skipped


def save_outputs(path, outputs: dict, skipped: dict | None = None, golden_set=None) -> Path:
    """Write an implementation's outputs in the layout :func:`check_file` reads (atomically).

    Parameters
    ----------
    path : path-like
        The ``.npz`` file to write (written as given, no suffix added).
    outputs : dict of str -> tuple
        ``case -> (value, grad)`` or ``(value, grad, components)``, components in the order of
        the case's axes or as a dict ``{axis: array}``.
    skipped : dict of str -> str, optional
        ``case -> reason`` for unsupported cases.

    Returns
    -------
    Path

    Examples
    --------
    >>> import tempfile, entropy_ref
    >>> from entropy_ref.verify import check_file
    >>> W = golden.load()["tiny_2x2_f64"].W
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = save_outputs(Path(d) / "mine.npz",
    ...                      {"tiny_2x2_f64": entropy_ref.configuration_entropy_grad(W)})
    ...     print(check_file(p, cases="tiny_2x2_f64").ok)
    True
    """
    gs = golden_set_from(golden_set)
    if not isinstance(outputs, dict) or not isinstance(skipped or {}, dict):
        raise TypeError("outputs must be a dict {case: (value, grad[, components])} and skipped a "
                        f"dict {{case: reason}}; got {type(outputs).__name__}, "
                        f"{type(skipped).__name__}")
    payload = {}
    for name, returned in outputs.items():
        case = gs[name]
        try:
            out = outputs_from_return(returned, case)
        except ValueError as exc:
            raise ValueError(f"save_outputs: {name}: {exc}") from None
        payload[f"{name}/value"] = np.asarray(out.value, dtype=np.float64)
        payload[f"{name}/grad"] = out.grad
        for axis, c in (out.components or {}).items():
            payload[f"{name}/g_axis{axis}"] = c
    for name, reason in (skipped or {}).items():
        gs[name]   # noqa: B018 - raises KeyError for an unknown case name
        payload[f"{name}/skip"] = np.array(str(reason))
    return atomic_write(path, lambda f: np.savez_compressed(f, **payload))
