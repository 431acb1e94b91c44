"""The report of a verification run: the per-case table, the diagnoses, the property checks, the verdict.

The results it gathers are defined in :mod:`.results`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .results import ERROR, FAIL, PASS, SKIP


def _fmt(x) -> str:
    return "-" if x is None else f"{x:.2e}"


@dataclass
class Report:
    """Everything a verification run found; ``str(report)`` is the table with the diagnoses.

    Attributes
    ----------
    results : list of CaseResult
    loss : {"H_C", "l_C"}
    unit : {"nats", "bits"}
    version : int
        Golden set version.
    source : str
        What was verified (a function name or a file path).
    profile : {"float64", "float32"}
    selected : bool
        True when the caller chose the cases (then skipping most of them is allowed).
    properties : list of PropertyResult
        The property checks run after the golden cases (:mod:`entropy_ref.verify.properties`).
    seed : int or None
        Seed of the property checks.
    takes_axes : bool or None
        Whether the port takes ``axes`` (None for a file): without, the N-D cases are not run.
    planned : list of str
        The cases the run was to check, in order.
    ended : str or None
        Why the run ended before its end (a call exceeded the timeout, the process running the
        port exited, a ``KeyboardInterrupt``); None when it ran to the end.
    not_run : list of str
        The planned cases not run because the run ended.
    interrupted : bool
        A ``KeyboardInterrupt`` stopped the run.
    """

    results: list
    loss: str = "H_C"
    unit: str = "nats"
    version: int = 1
    source: str = ""
    profile: str = "float64"
    selected: bool = False
    properties: list = field(default_factory=list)
    seed: int | None = None
    takes_axes: bool | None = None
    planned: list = field(default_factory=list)
    ended: str | None = None
    not_run: list = field(default_factory=list)
    interrupted: bool = False

    @property
    def attempted(self) -> list:
        """Results of the cases that were not skipped."""
        return [r for r in self.results if r.status != SKIP]

    @property
    def too_many_skipped(self) -> bool:
        """More than half of the cases skipped, and the caller did not choose the cases."""
        return not self.selected and 2 * len(self.skipped) > len(self.results)

    @property
    def skipped_property_inputs(self) -> bool:
        """``fn`` raised ``NotImplementedError`` on every general matrix (both sizes > 1) the
        property checks drew: they verified nothing a port of ``H_C`` must take. (Refusing only
        vectors or the batch is allowed: those skips are counted in the summary.)"""
        general = [p for p in self.properties if len(p.shape) == 2 and min(p.shape) > 1]
        return bool(self.properties) and all(p.status == SKIP for p in general)

    @property
    def failed_properties(self) -> list:
        """The property checks that failed."""
        return [p for p in self.properties if not p.passed]

    @property
    def ok(self) -> bool:
        """True when at least one case was attempted, none failed or errored, every property check
        held, at most half of the cases were skipped (any number when ``selected``), and ``fn``
        ran on at least one general matrix of the property checks, and the run was not ended
        early."""
        return (self.ended is None and bool(self.attempted) and all(r.passed for r in self.attempted)
                and not self.failed_properties and not self.too_many_skipped
                and not self.skipped_property_inputs)

    def _names(self, status: str) -> list:
        return [r.name for r in self.results if r.status == status]

    passed = property(lambda self: self._names(PASS), doc="Names of the passing cases.")
    failed = property(lambda self: self._names(FAIL), doc=(
        "Names of the failing cases (wrong outputs; see :attr:`errored` for crashes)."))
    errored = property(lambda self: self._names(ERROR), doc=(
        "Names of the cases where ``fn`` raised (anything but a skip signal)."))
    skipped = property(lambda self: self._names(SKIP), doc="Names of the skipped cases.")

    def diagnosis_names(self) -> set:
        """Every diagnosis name found in any golden case (property checks: :meth:`property_names`)."""
        return {d.name for r in self.results for d in r.diagnoses}

    def property_names(self) -> set:
        """The diagnosis names of the failed property checks (``prop_scale_invariance``, ...)."""
        return {d.name for p in self.failed_properties for d in p.diagnoses}

    def summary(self) -> str:
        """One line: the verdict with the passed / failed / errored / skipped counts."""
        counts = (f"{len(self.passed)} passed, {len(self.failed)} failed, {len(self.errored)} "
                  f"errored, {len(self.skipped)} skipped of {len(self.results)} cases")
        if self.properties:
            n_skip = sum(p.status == SKIP for p in self.properties)
            counts += (f"; properties: {sum(p.status == PASS for p in self.properties)} of "
                       f"{len(self.properties)} hold" + (f", {n_skip} skipped" if n_skip else ""))
        counts += f" (profile {self.profile})"
        if self.interrupted:
            return f"INTERRUPTED: {counts} - {self.ended}"
        if self.ok:
            return self._certified() + counts
        why = (self.ended if self.ended else
               "no case was attempted (every case was skipped)" if not self.attempted else
               "more than half of the cases were skipped (choose them with cases= to allow that)"
               if self.too_many_skipped and not (self.failed or self.errored
                                                 or self.failed_properties) else
               "fn raised NotImplementedError on every general matrix of the property checks "
               "(turn them off explicitly with properties=False / --no-properties)"
               if self.skipped_property_inputs and not self.failed_properties else "")
        return "FAIL: " + counts + (f" - {why}" if why else "")

    def _certified(self) -> str:
        """The head of a passing summary: what the PASS covers when cases were skipped."""
        if not self.skipped:
            return "PASS: "
        no_axes = [r for r in self.results if r.skip_reason and "no 'axes' parameter" in
                   r.skip_reason]
        if self.takes_axes is False and len(no_axes) == len(self.skipped):
            return "PASS for 2-D matrices; N-D cases not run: fn takes no axes. "
        return (f"PASS for the {len(self.attempted)} cases run; {len(self.skipped)} skipped by "
                f"{'fn' if self.takes_axes is not None else 'the file'}. ")

    def __getitem__(self, name: str) -> CaseResult:
        for r in self.results:
            if r.name == name:
                return r
        raise KeyError(f"no case {name!r} in this report")

    def __str__(self) -> str:
        head = (f"entropy_ref verify: {self.source or 'implementation'} against golden v{self.version}"
                f", loss {self.loss} in {self.unit}")
        cols = ("case", "dtype", "value abs", "value rel", "grad max abs", "grad max rel",
                "comp rel", "result")
        rows = [cols] + [(r.name, r.dtype, _fmt(r.value_abs), _fmt(r.value_rel), _fmt(r.grad_abs),
                          _fmt(r.grad_rel), _fmt(r.comp_rel), r.status) for r in self.results]
        widths = [max(len(row[i]) for row in rows) for i in range(len(cols))]
        lines = [head, ""]
        for n, row in enumerate(rows):
            lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
            if n == 0:
                lines.append("  ".join("-" * w for w in widths))
        grouped: dict[str, list] = {}   # identical lines of several cases are printed once
        for r in self.results:
            for d in r.diagnoses:
                tag = "note" if d.harmless else "diagnosis"
                grouped.setdefault(f"{tag} [{d.name}] {d.message}", []).append(r.name)
            for note in r.notes:
                grouped.setdefault(f"note: {note}", []).append(r.name)
            if r.skip_reason:
                grouped.setdefault(f"skipped: {r.skip_reason}", []).append(r.name)
        if grouped:
            lines += ["", "Details:"]
            lines += [f"  {', '.join(names)}:\n      {text}" for text, names in grouped.items()]
        lines += _tolerance_lines(self.attempted)
        if self.properties:
            lines += ["", _property_lines(self.properties, self.seed)]
        lines += ["", self.summary()]
        return "\n".join(lines)


def _tolerance_lines(results) -> list:
    by_name: dict = {}
    for r in results:
        if r.tolerance is not None:
            by_name.setdefault(r.tolerance.name, set()).add(
                (r.tolerance.value_atol, r.tolerance.array_rtol))
    parts = []
    for name in sorted(by_name, reverse=True):
        vals = sorted(by_name[name])
        if len(vals) == 1:
            (v, a), = vals
            parts.append(f"{name}: value abs {v:g} nats, arrays max-norm rel {a:g}")
        else:   # per-case bounds (the float32 profile): the range
            v = [x for x, _ in vals]
            a = [y for _, y in vals]
            parts.append(f"{name} (per case, rounding bound of the input): value abs "
                         f"{min(v):.2g} .. {max(v):.2g} nats, arrays max-norm rel "
                         f"{min(a):.2g} .. {max(a):.2g}")
    return ["", "Tolerances: " + "; ".join(parts)] if parts else []


def _property_lines(results: list, seed) -> str:
    """The property section of the report: a count line, then each failure once."""
    shapes = []
    for r in results:
        txt = "x".join(map(str, r.shape)) + (f" axes={r.axes}" if len(r.shape) != 2 else "")
        if txt not in shapes:
            shapes.append(txt)
    scales = [r.scale for r in results if r.scale != 1.0]
    failed = [r for r in results if not r.passed]
    skipped = [r for r in results if r.status == SKIP]
    head = (f"Property checks (seed {seed}; shapes {', '.join(shapes)}; "
            + (f"scales {min(scales):.0e} .. {max(scales):.0e}" if scales else "no scales")
            + f"): {sum(r.status == PASS for r in results)} of {len(results)} hold")
    if skipped:
        head += f", {len(skipped)} skipped (fn raised NotImplementedError)"
    lines = [head]
    by_name: dict = {}
    for r in failed:
        for d in r.diagnoses:
            by_name.setdefault(d.name, []).append(d.message)
    for name, messages in by_name.items():
        more = f" (and {len(messages) - 1} more input(s))" if len(messages) > 1 else ""
        lines.append(f"  property [{name}] {messages[0]}{more}")
    return "\n".join(lines)
