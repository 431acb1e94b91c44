"""Results of a verification run: per-case errors, pass/fail/skip, named diagnoses, the table."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

PASS, FAIL, SKIP = "pass", "FAIL", "skipped"


class Diagnosis(NamedTuple):
    """A named explanation of a mismatch.

    Attributes
    ----------
    name : str
        Stable identifier (``"sign_flipped"``, ``"kernel_normalisation"``, ...), listed with their
        causes in ``docs/verifying.md``.
    message : str
        What was measured and what usually causes it.
    harmless : bool
        True when the difference cannot change ``H_C`` or its gradient (a convention).
    """

    name: str
    message: str
    harmless: bool = False


@dataclass
class CaseResult:
    """Outcome of one golden case.

    Attributes
    ----------
    name, dtype : str
    shape : tuple of int
    status : {"pass", "FAIL", "skipped"}
    value_abs, value_rel : float or None
        Absolute and relative error of the value (in the requested unit).
    grad_abs, grad_rel : float or None
        Max absolute error of the gradient and max-norm relative error (``rel_error``).
    comp_rel : float or None
        Worst max-norm relative error over the Scharr components, when they were checked.
    tolerance : Tolerance or None
    diagnoses : list of Diagnosis
    notes : list of str
    skip_reason : str or None
    """

    name: str
    dtype: str
    shape: tuple
    status: str = PASS
    value_abs: float | None = None
    value_rel: float | None = None
    grad_abs: float | None = None
    grad_rel: float | None = None
    comp_rel: float | None = None
    tolerance: object = None
    diagnoses: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    skip_reason: str | None = None

    @property
    def passed(self) -> bool:
        """True for a case that was attempted and passed."""
        return self.status == PASS


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
    """

    results: list
    loss: str = "H_C"
    unit: str = "nats"
    version: int = 1
    source: str = ""

    @property
    def attempted(self) -> list:
        """Results of the cases that were not skipped."""
        return [r for r in self.results if r.status != SKIP]

    @property
    def ok(self) -> bool:
        """True when at least one case was attempted and every attempted case passed."""
        return bool(self.attempted) and all(r.passed for r in self.attempted)

    @property
    def passed(self) -> list:
        """Names of the passing cases."""
        return [r.name for r in self.results if r.status == PASS]

    @property
    def failed(self) -> list:
        """Names of the failing cases."""
        return [r.name for r in self.results if r.status == FAIL]

    @property
    def skipped(self) -> list:
        """Names of the skipped cases."""
        return [r.name for r in self.results if r.status == SKIP]

    def diagnosis_names(self) -> set:
        """Every diagnosis name found in any case."""
        return {d.name for r in self.results for d in r.diagnoses}

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
        tols = sorted({(r.tolerance.name, r.tolerance.value_atol, r.tolerance.array_rtol)
                       for r in self.attempted if r.tolerance is not None}, reverse=True)
        if tols:
            lines += ["", "Tolerances: " + "; ".join(
                f"{n}: value abs {v:g} nats, arrays max-norm rel {a:g}" for n, v, a in tols)]
        n_att = len(self.attempted)
        if not n_att:
            verdict = "FAIL: no case was attempted (every case was skipped)"
        elif self.ok:
            verdict = f"PASS: all {n_att} attempted cases pass"
        else:
            verdict = f"FAIL: {len(self.failed)} of {n_att} attempted cases fail"
        skipped = f", {len(self.skipped)} skipped" if self.skipped else ""
        lines += ["", verdict + skipped]
        return "\n".join(lines)
