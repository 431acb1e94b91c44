"""Golden vectors: a versioned conformance set for other implementations of ``H_C``.

The set ships inside the package as ``golden_v2.npz`` (every case) and ``golden_v2.json`` (the
cases of at most 1000 entries, for readers without NumPy). Both hold, per case, the input ``W``,
``H_C`` in nats and bits, the gradient ``dH_C/dW`` (nats) and the Scharr components (cases up to
30 000 entries), plus metadata: the recipe that built each input, the conventions and the
tolerances. The data are produced by ``python -m entropy_ref.golden.generate``; the recipes and
tolerances live in :mod:`entropy_ref.golden.cases`. See ``docs/verifying.md``.

Version 2 is the default; version 1 (15 cases, each in version 2 with the same inputs and outputs)
stays shipped and loadable as ``golden.load(1)`` (or ``"v1"``) for reports that quote it.

Examples
--------
>>> from entropy_ref import golden
>>> gs = golden.load()
>>> gs.version, len(gs), len(golden.load("v1"))
(2, 20, 15)
>>> case = gs["tiny_2x2_f64"]
>>> case.W
array([[1., 2.],
       [3., 4.]])
>>> round(case.value_nats, 6), case.axes, case.tolerance.value_atol
(-1.53327, (1, 0), 1e-10)
"""

from __future__ import annotations

import difflib
import fnmatch
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..storage.readers import corrupt, read_npz
from .cases import TOLERANCES, VERSION, Tolerance

__all__ = ["GoldenCase", "GoldenSet", "Tolerance", "TOLERANCES", "VERSION", "json_path", "load",
           "npz_path"]

_DIR = Path(__file__).resolve().parent
LOSSES = ("H_C", "l_C")


def npz_path(version: int = VERSION, directory=None) -> Path:
    """Path of ``golden_v<version>.npz`` (in the package unless ``directory`` is given).

    Examples
    --------
    >>> npz_path().name, npz_path(1).name
    ('golden_v2.npz', 'golden_v1.npz')
    """
    return Path(directory or _DIR) / f"golden_v{_version(version)}.npz"


def json_path(version: int = VERSION, directory=None) -> Path:
    """Path of ``golden_v<version>.json`` (the small cases, for non-Python readers).

    Examples
    --------
    >>> json_path().name
    'golden_v2.json'
    """
    return Path(directory or _DIR) / f"golden_v{_version(version)}.json"


def _frozen(a) -> np.ndarray:
    a = np.array(a)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class GoldenCase:
    """One conformance case: input, expected outputs, and the tolerance that applies.

    Attributes
    ----------
    name : str
    W : ndarray, shape (n_0, ..., n_{d-1}), float64 or float32, read-only
    axes : tuple of int
        Axes the Scharr operator runs over (``(1, 0)`` for matrices).
    value_nats, value_bits : float
        ``H_C(W)``, computed in float64 from the exactly representable input.
    grad : ndarray, shape of ``W``, float64, read-only
        ``dH_C/dW`` in nats, with ``sign(0) = 0`` at exact zeros.
    components : dict of int -> ndarray, or None
        Scharr component differentiating each chosen axis (``components[1]`` is ``g_x`` of a
        matrix); ``None`` for the cases too big to store them.
    tolerance : Tolerance
    recipe, description : str
    tags : tuple of str
    """

    name: str
    W: np.ndarray
    axes: tuple
    value_nats: float
    value_bits: float
    grad: np.ndarray
    components: dict | None
    tolerance: Tolerance
    recipe: str
    description: str
    tags: tuple

    @property
    def shape(self) -> tuple:
        """Shape of ``W``."""
        return self.W.shape

    def expected(self, loss: str = "H_C", unit: str = "nats") -> tuple[float, np.ndarray]:
        """Expected ``(value, gradient)`` of ``loss`` (``"H_C"`` or ``"l_C" = -H_C``) in ``unit``.

        Examples
        --------
        >>> c = load()["tiny_2x2_f64"]
        >>> v, g = c.expected("l_C", "bits")
        >>> v == -c.value_bits and bool(np.allclose(g, -c.grad / np.log(2), rtol=1e-15, atol=0))
        True
        """
        sign = _loss_sign(loss)
        if unit == "nats":
            return sign * self.value_nats, sign * self.grad
        if unit == "bits":
            return sign * self.value_bits, (sign / math.log(2.0)) * self.grad
        raise ValueError(f"unit must be 'nats' or 'bits', got {unit!r}")


def _loss_sign(loss: str) -> float:
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES} (H_C = eq. 3 right-hand side, "
                         f"l_C = -H_C = the paper's sparsity loss), got {loss!r}")
    return 1.0 if loss == "H_C" else -1.0


class GoldenSet(Mapping):
    """The cases of one version, by name (a read-only mapping of :class:`GoldenCase`).

    Attributes
    ----------
    version : int
    meta : dict
        The files' metadata: conventions, tolerances, key layout, per-case recipes.
    raw : dict of str -> ndarray
        Every stored array, keyed ``<case>/<field>`` as in the ``.npz`` file.
    """

    def __init__(self, raw: dict, meta: dict):
        self.raw = raw
        self.meta = meta
        self.version = int(meta["version"])
        self._cases = {}
        for name, info in meta["cases"].items():
            axes = tuple(info["axes"])
            comps = None
            if info["components"]:
                comps = {a: _frozen(raw[f"{name}/g_axis{a}"]) for a in axes}
            self._cases[name] = GoldenCase(
                name=name, W=_frozen(raw[f"{name}/W"]), axes=axes,
                value_nats=float(raw[f"{name}/value_nats"]),
                value_bits=float(raw[f"{name}/value_bits"]),
                grad=_frozen(raw[f"{name}/grad"]), components=comps,
                tolerance=Tolerance(info["tolerance"], **{
                    k: v for k, v in meta["tolerances"][info["tolerance"]].items() if k != "why"}),
                recipe=info["recipe"], description=info["description"], tags=tuple(info["tags"]))

    def __getitem__(self, name: str) -> GoldenCase:
        try:
            return self._cases[name]
        except KeyError:
            raise KeyError(_unknown_case_message(name, self._cases)) from None

    def __iter__(self):
        return iter(self._cases)

    def __len__(self) -> int:
        return len(self._cases)

    def select(self, patterns=None) -> list[GoldenCase]:
        """Cases whose names match any of ``patterns`` (exact names or ``fnmatch`` globs), in order.

        Parameters
        ----------
        patterns : str or iterable of str, optional
            ``None`` selects every case.

        Raises
        ------
        ValueError
            If a pattern matches no case (the message suggests close names).

        Examples
        --------
        >>> [c.name for c in load().select("lenet300_fc[23]_f64")]
        ['lenet300_fc2_f64', 'lenet300_fc3_f64']
        """
        if patterns is None:
            return list(self._cases.values())
        if isinstance(patterns, str):
            patterns = [patterns]
        chosen = set()
        for pattern in patterns:
            hits = [n for n in self._cases if fnmatch.fnmatchcase(n, pattern)]
            if not hits:
                raise ValueError(_unknown_case_message(pattern, self._cases))
            chosen.update(hits)
        return [c for n, c in self._cases.items() if n in chosen]


def _unknown_case_message(name: str, names) -> str:
    close = difflib.get_close_matches(str(name), list(names), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return f"no golden case matches {name!r}{hint} (cases: {', '.join(names)})"


@lru_cache(maxsize=4)
def _load_cached(path: str, mtime_ns: int) -> GoldenSet:  # mtime: a rewritten file reloads
    data, problems = read_npz(path, "golden set")        # one-line CorruptFileError if broken
    try:
        if problems:
            raise ValueError(problems[0])
        raw = {key: _frozen(a) for key, a in data.items() if key != "__meta__"}
        return GoldenSet(raw, json.loads(str(data["__meta__"])))
    except (KeyError, ValueError, TypeError, AttributeError, IndexError) as exc:
        raise corrupt(path, "golden set", f"{type(exc).__name__}: {exc}") from None


def _version(version) -> int:
    """``2``, ``"2"``, ``"v2"`` -> 2; anything else is a ``ValueError`` naming the shipped versions."""
    text = str(version).strip().lower().removeprefix("v")
    if isinstance(version, bool) or not text.isdigit():
        shipped = ", ".join(p.stem.split("_v")[-1] for p in sorted(_DIR.glob("golden_v*.npz")))
        raise ValueError(f"golden version must be a number such as 2 or 'v2'; got {version!r} "
                         f"(shipped: {shipped})")
    return int(text)


def load(version=VERSION, directory=None) -> GoldenSet:
    """Load the golden set ``version`` from the package (or from ``directory``).

    Parameters
    ----------
    version : int or str
        ``2`` (default, :data:`VERSION`), ``1``; ``"v1"`` and ``"1"`` are accepted too.
    directory : path-like, optional
        Where ``golden_v<version>.npz`` lives (tests point this at a freshly generated copy).

    Returns
    -------
    GoldenSet
        Cached: repeated calls return the same read-only object.

    Raises
    ------
    FileNotFoundError
        If the file does not exist (e.g. an unknown version).
    entropy_ref.errors.CorruptFileError
        (a ``ValueError``) naming the file, if it is truncated, corrupt or lacks its metadata.
    """
    path = npz_path(version, directory)
    if not path.is_file():
        known = sorted(p.name for p in _DIR.glob("golden_v*.npz"))
        raise FileNotFoundError(f"no golden file {path} (shipped: {', '.join(known) or 'none'})")
    return _load_cached(str(path.resolve()), path.stat().st_mtime_ns)
