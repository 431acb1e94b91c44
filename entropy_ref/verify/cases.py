"""Which golden cases a run checks: the golden set (given, a version, or the default) and the
``cases`` / ``exclude`` patterns of :func:`~.api.check` and :func:`~.api.check_file`."""

from __future__ import annotations

from .. import golden


def golden_set_from(golden_set):
    """The :class:`~entropy_ref.golden.GoldenSet` to check against: given, a version, or the default."""
    if golden_set is None or isinstance(golden_set, golden.GoldenSet):
        return golden_set if golden_set is not None else golden.load()
    if isinstance(golden_set, (int, str)) and not isinstance(golden_set, bool):
        return golden.load(golden_set)
    raise TypeError(f"golden_set must be a GoldenSet or a version (1, 2, 'v1'); got "
                    f"{type(golden_set).__name__}")


def case_patterns(name: str, x):
    """``x`` (None, a pattern or an iterable of them) as None, a str or a tuple; else TypeError.

    Examples
    --------
    >>> case_patterns("cases", (p for p in ["tiny_*", "rect_3x5_f64"]))
    ('tiny_*', 'rect_3x5_f64')
    """
    if x is None or isinstance(x, str):
        return x
    if hasattr(x, "__iter__") and not isinstance(x, (bytes, dict)):
        x = tuple(x)                  # a generator is read once, here
        if all(isinstance(p, str) for p in x):
            return x
    raise TypeError(f"{name} must be a case name or pattern, or a list of them; got "
                    f"{type(x).__name__}")


def select_cases(gs, cases, exclude) -> list:
    """The golden cases matching ``cases`` minus those matching ``exclude``; never empty."""
    excluded = {c.name for c in gs.select(exclude)} if exclude is not None else set()
    chosen = [c for c in gs.select(cases) if c.name not in excluded]
    if not chosen:
        raise ValueError(f"the selection leaves no case to check: no golden case matches "
                         f"cases={cases!r} minus exclude={exclude!r}")
    return chosen
