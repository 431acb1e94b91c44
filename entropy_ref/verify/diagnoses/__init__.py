"""Diagnoses: name the porting mistake behind a failing golden case.

:func:`diagnose` explains a wrong value and gradient, :func:`diagnose_components` wrong Scharr
components, :func:`shape_diagnosis` / :func:`component_shape_diagnosis` an output of the wrong
shape. The detectors are grouped by what they look at: :mod:`.eps` (an eps where ``H_C`` has none),
:mod:`.factors` (a sign, log base or constant factor), :mod:`.terms` (the two terms of the
gradient), :mod:`.kernels` (the Scharr operator), :mod:`.layout` (axes and memory order),
:mod:`.components`, :mod:`.precision` (float32, float16/bfloat16, an inexact gradient); they
compare against the mistaken versions of ``H_C`` in :mod:`.variants` and
:mod:`.variant_grads`, with the shared relations of :mod:`.relations`. Every name is listed in
``docs/diagnoses.md``.
"""

from .components import diagnose_components
from .detect import INTERNAL_ERROR, diagnose
from .layout import component_shape_diagnosis, shape_diagnosis
from .relations import MATCH

__all__ = ["INTERNAL_ERROR", "MATCH", "component_shape_diagnosis", "diagnose",
           "diagnose_components", "shape_diagnosis"]
