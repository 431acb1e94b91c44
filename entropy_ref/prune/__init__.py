"""Sensitivity pruning (paper, section 5): sensitivities, the pruning plan, fast and naive curves.

Typical use::

    sens = sensitivity(params, X_train, y_train)          # |w * dCE/dw|, full-set mean gradient
    plan = make_plan(params, sens, step=0.1)               # 1,001 points, p = 0, 0.1, ..., 100
    curve = fast_curve(params, plan, X_test, y_test)       # == naive_curve(...), exactly
    accuracy_targets(curve)                                # {0.9: (nonzero, acc), ...}

Modules: :mod:`.scores` (sensitivities and the pruning order), :mod:`.plan` (what is pruned at each point, nonzero counts),
:mod:`.curve` (the :class:`Curve` record, the naive reference, targets, CSV), :mod:`.fast`
(the incremental, certified-exact curve).
"""

from .curve import (ACCURACY_TARGETS, CSV_COLUMNS, Curve, accuracy_targets, naive_curve,
                    read_curve_csv, reference_predictions, write_curve_csv)
from .fast import certified_argmax, error_bounds, fast_curve
from .plan import PrunePlan, make_plan, masked_params, n_points
from .scores import as_float64_params, mean_gradients, pruning_order, sensitivity

__all__ = ["ACCURACY_TARGETS", "CSV_COLUMNS", "Curve", "PrunePlan", "certified_argmax",
           "accuracy_targets", "as_float64_params", "error_bounds", "fast_curve", "make_plan",
           "masked_params", "mean_gradients", "n_points", "naive_curve", "pruning_order",
           "read_curve_csv", "reference_predictions", "sensitivity", "write_curve_csv"]
