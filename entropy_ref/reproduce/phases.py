"""The paper protocol's runs as phases of independent tasks, for ``reproduce --jobs N`` (:mod:`.jobs`).

Phase 1 holds everything that needs no decision: the lambda-selection runs of the baselines (with
their validation curves), every seed of the fixed-lambda methods, and the sign / lambda sweep.
Phase 2 holds the baselines' runs at the lambdas the selection runs chose; it joins the workers
as soon as the selection runs are done, while the rest of phase 1 may still run. The pipeline's
own code then finds every run and curve on disk.
"""

from __future__ import annotations

from .tasks import RunTask
from .progress import split_seconds
from .select import selection_config
from .sweep import SWEEP_TARGETS, main_config

__all__ = ["baselines", "first_phase", "selection_names", "second_phase", "estimate"]


def baselines(settings):
    """The regularizers whose lambda is chosen on the validation split, in method order."""
    return list(dict.fromkeys(v.reg for v in settings.variants if v.lam is None))


def _task(store, n_all, config, split, step, sens, targets):
    est = split_seconds(store, config, n_all, step)
    return RunTask(config, ((split, step, sens, tuple(targets)),), est)


def first_phase(store, settings, n_all):
    """Selection runs, fixed-lambda runs and the sweep: every task needing no decision."""
    s = settings
    tasks = [_task(store, n_all, selection_config(s, reg, lam), "val", s.step, "train",
                   (s.select_target,))
             for reg in baselines(s) for lam in s.grid_for(reg)]
    tasks += [_task(store, n_all, main_config(s, v.reg, v.lam, seed), "test", s.step,
                    s.sensitivity_data, s.targets)
              for v in s.variants if v.lam is not None for seed in range(s.seeds)]
    if s.lambda_sweep:
        epochs = s.sweep_epochs or s.epochs
        targets = tuple(sorted(set(SWEEP_TARGETS) | set(s.targets)))
        tasks += [_task(store, n_all, main_config(s, reg, lam, 0, epochs), "test", s.step,
                        s.sensitivity_data, targets)
                  for reg, grid in (("none", (0.0,)), ("sparsity", s.sweep_grid),
                                    ("entropy", s.sweep_grid)) for lam in grid]
    return _unique(tasks)


def selection_names(tasks):
    """Names of the lambda-selection runs among ``tasks`` (those with a validation curve)."""
    return [t.name for t in tasks if any(c[0] == "val" for c in t.curves)]


def second_phase(store, settings, selection, n_all):
    """The baselines' runs at the chosen lambdas (``selection``: reg -> record)."""
    s = settings
    return _unique([_task(store, n_all, main_config(s, reg, selection[reg]["chosen"], seed),
                          "test", s.step, s.sensitivity_data, s.targets)
                    for reg in baselines(s) for seed in range(s.seeds)])


def estimate(store, settings, n_all):
    """Seconds of both phases still to do (a baseline's runs counted at its first lambda)."""
    guess = {reg: {"chosen": settings.grid_for(reg)[0]} for reg in baselines(settings)}
    return sum(t.estimate for t in first_phase(store, settings, n_all)
               + second_phase(store, settings, guess, n_all))


def _unique(tasks):
    """One task per run (its curves merged), so no two workers ever write one directory."""
    by_name = {}
    for t in tasks:
        if t.name in by_name:
            first = by_name[t.name]
            first.curves += tuple(c for c in t.curves if c not in first.curves)
        else:
            by_name[t.name] = t
    return list(by_name.values())
