"""Verification kit: check another implementation of ``H_C`` against the golden vectors.

Ways in, one report:

* :func:`check` calls your function ``fn(W) -> (value, grad)`` on every golden case it can take,
  then runs property checks on it at random shapes and scales (:mod:`.properties`); strict: only
  ``NotImplementedError`` (:class:`Unsupported`) skips a case, any other exception is an error;
* :func:`assert_conforms` is the same for a test suite: ``AssertionError`` with the report
  (CLI: ``entropy-ref verify --fn MODULE:FUNCTION``);
* ``profile="float32"`` judges a float32 port at float32 rounding (:mod:`.profiles`);
* :func:`check_file` (CLI: ``entropy-ref verify THEIRS.npz``) reads outputs your implementation
  stored in an ``.npz`` (key layout in :mod:`entropy_ref.verify.files`; write one from Python
  with :func:`save_outputs`).

The :class:`Report` holds, per case, the value and gradient errors, pass / FAIL / ERROR / skipped
against the case's tolerance and, for failures, diagnoses naming the usual porting mistakes
(``sign_flipped``, ``kernel_normalisation``, ``half_in_log_missing``, ``mean_instead_of_sum``,
``correlation``, ``padding``, ``transposed``, ``float32_precision``, ...), and the property
checks. ``docs/verifying.md`` explains the kit, ``docs/diagnoses.md`` each diagnosis.

Modules: :mod:`.api` (the front: check, assert_conforms, check_file), :mod:`.run` (the run:
cases, then properties, ended early or not), :mod:`.case_check` (one golden case: outputs, input
changes, dtype, :mod:`.second_input`), :mod:`.calling` (how ``fn`` is called) with
:mod:`.timeouts` and :mod:`.endings` (a run that ends early), :mod:`.cases` and
:mod:`.arguments` (what a run checks, argument errors), :mod:`.outputs` (what ``fn`` returned),
:mod:`.compare` (one case against the reference), :mod:`.diagnoses` (the named porting
mistakes), :mod:`.properties` (the property checks), :mod:`.profiles` (tolerances per profile),
:mod:`.files` (the outputs file), :mod:`.results` and :mod:`.report` (what a run found),
:mod:`.quiet` (the kit's floating-point error state); for ``verify --fn``: :mod:`.supervise` (the
command's side), :mod:`.child` (the process running the port), :mod:`.wire` (their messages),
:mod:`.port_import` (``MODULE:FUNCTION``).

Examples
--------
>>> import numpy as np
>>> from entropy_ref import configuration_entropy_grad
>>> from entropy_ref.verify import check
>>> def integer_kernel_port(W):                 # forgets the 1/32 of the Scharr kernel
...     H, g = configuration_entropy_grad(W)
...     return H + np.log(32.0), g
>>> report = check(integer_kernel_port, cases=["lenet300_fc3_f64"])
>>> report.ok, report.diagnosis_names(), sorted(report.property_names())
(False, {'kernel_normalisation'}, ['prop_value'])
"""

from .api import Unsupported, assert_conforms, check, check_file
from .calling import accepts_axes
from .compare import evaluate
from .diagnoses import MATCH
from .files import VerificationFileError, load_outputs, save_outputs
from .outputs import Outputs
from .profiles import PROFILES
from .properties import check_properties
from .report import Report
from .results import CaseResult, Diagnosis, PropertyResult

__all__ = ["MATCH", "PROFILES", "CaseResult", "Diagnosis", "Outputs", "PropertyResult", "Report",
           "Unsupported", "VerificationFileError", "accepts_axes", "assert_conforms", "check",
           "check_file", "check_properties", "evaluate", "load_outputs", "save_outputs"]
