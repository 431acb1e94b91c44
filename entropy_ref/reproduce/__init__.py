"""The paper's experiment (section 5), end to end: ``entropy-ref reproduce``.

Modules: :mod:`.settings` (variants, presets, every knob), :mod:`.runstore` (cached, resumable
runs, reused only as the run asked for), :mod:`.curves` (per-run pruning curves, cached and
committed), :mod:`.select` (baseline lambdas chosen on a validation split), :mod:`.sweep` (the
sign and lambda question), :mod:`.summary` and :mod:`.report` (tables, ``results.md``),
:mod:`.outputs` (``results.json`` and ``studies.json`` as commit records), :mod:`.progress`
(estimates and ETA), :mod:`.jobs` and :mod:`.phases` (``--jobs N``: independent runs in worker
processes), :mod:`.pipeline` (:func:`reproduce`), :mod:`.permutations` (``H_C`` under reorderings
of rows and columns), and the subpackage :mod:`.studies` (the studies beyond the paper,
``reproduce --study``), which builds on the rest.
"""

from .curves import compute_curve, load_cached_curve, save_curve
from .pipeline import RESULTS_JSON, RESULTS_MD, reproduce
from .runstore import RunStore, run_name
from .select import select_lambda
from .settings import PAPER, PRESETS, ReproSettings, Variant, variants_for
from .sweep import lambda_sweep

__all__ = ["PAPER", "PRESETS", "RESULTS_JSON", "RESULTS_MD", "ReproSettings", "RunStore",
           "Variant", "compute_curve", "lambda_sweep", "load_cached_curve", "reproduce",
           "run_name", "save_curve", "select_lambda", "variants_for"]
