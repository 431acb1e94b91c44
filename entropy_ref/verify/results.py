"""What a verification run records: the statuses, named diagnoses, and the outcome of each case and
each property check. :class:`~.report.Report` gathers them and prints the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

PASS, FAIL, SKIP, ERROR = "pass", "FAIL", "skipped", "ERROR"
#: the status of a call of the port that exceeded the timeout (its case becomes an ERROR)
TIMEOUT = "timeout"


class Diagnosis(NamedTuple):
    """A named explanation of a mismatch.

    Attributes
    ----------
    name : str
        Stable identifier (``"sign_flipped"``, ``"kernel_normalisation"``, ...), listed with their
        causes in ``docs/diagnoses.md``.
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
    status : {"pass", "FAIL", "ERROR", "skipped"}
        ``"ERROR"``: ``fn`` raised (the ``errored`` diagnosis holds the exception and last frame).
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


@dataclass
class PropertyResult:
    """One property at one input (:mod:`.properties`).

    Attributes
    ----------
    name : str
        ``"value"``, ``"gradient"``, ``"scale_invariance"``, ``"euler"``, ``"homogeneity"``,
        ``"finite_differences"`` or ``"runs"``.
    shape : tuple
    axes : tuple
    dtype : str
    scale : float
        The ``c`` of ``c W`` (1.0 when the property is at ``W`` only).
    measured, tolerance : float or None
    status : {"pass", "FAIL", "ERROR", "skipped"}
    diagnoses : list of Diagnosis
    """

    name: str
    shape: tuple
    axes: tuple
    dtype: str
    scale: float = 1.0
    measured: float | None = None
    tolerance: float | None = None
    status: str = PASS
    diagnoses: list = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True unless the property failed or ``fn`` raised (a skip is not a failure)."""
        return self.status in (PASS, SKIP)
