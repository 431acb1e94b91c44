"""The units of work of ``reproduce --jobs``: a run to train (or reuse) and its curves.

A :class:`RunTask` is one run; the workers execute it as :class:`Step` s (its training, then its
curves), each after the one it waits for. Studies with other work (the regime study's fine-tunes
and iterative chains) define tasks of the same shape: ``pending``, ``parts`` and ``run``.
"""

from __future__ import annotations

from ..train import load_run
from .runstore import run_name

__all__ = ["RunTask", "Step"]


class RunTask:
    """Train one run (or reuse it) and compute its curves, for a worker process.

    Parameters
    ----------
    config : TrainConfig
    curves : sequence of tuple
        ``(split, step, sensitivity_data, targets)`` of each curve of the run.
    estimate : float or (float, float)
        Estimated seconds (for the ETA and the order): in total, or for the training and for the
        curves.
    """

    def __init__(self, config, curves=(), estimate=0.0):
        self.config, self.curves = config, tuple(curves)
        pair = tuple(estimate) if isinstance(estimate, (tuple, list)) else (estimate, 0.0)
        self.estimates = tuple(float(v) for v in pair)
        self.estimate = sum(self.estimates)
        self.name = run_name(config)

    def pending(self, store, settings=None, study=None) -> bool:
        """False when the run is finished and every curve of it is cached."""
        if not store.finished(self.config):
            return True
        return self._curves_pending(store)

    def _curves_pending(self, store):
        if not self.curves:
            return False
        try:
            _, params, _ = load_run(store.run_dir(self.config))
        except (ValueError, OSError):           # corrupt: the worker sets it aside
            return True
        return any(store.cached_curve(self.config, params, split, step, sens) is None
                   for split, step, sens, _ in self.curves)

    def parts(self, store, settings=None, study=None):
        """The steps a worker runs, each after the one before: the training, then the curves
        (two steps, so that a worker is never idle for a whole run at the end of a phase)."""
        out = []
        if not store.finished(self.config):
            out.append(Step(self, "training", self.estimates[0]))
        if self.curves and (out or self._curves_pending(store)):
            out.append(Step(self, "curves", self.estimates[1], after=0 if out else None))
        return out

    def run(self, env):
        """Train or reuse the run, then compute or reuse its curves."""
        config, params, _ = env.store.ensure(self.config)
        for split, step, sens, targets in self.curves:
            env.store.curve(config, params, split, step, sens, targets)


class Step:
    """One step of a :class:`RunTask`: its ``"training"`` or its ``"curves"``.

    ``after`` is the index (among the task's parts) of the step it waits for; None: it waits for
    none.
    """

    def __init__(self, task, kind, estimate, after=None):
        self.task, self.kind, self.estimate, self.after = task, kind, estimate, after
        self.key, self.name = task.name, f"{task.name} ({kind})"

    def run(self, env):
        """Train (or reuse) the run; for ``"curves"``, then compute or reuse its curves."""
        if self.kind == "training":
            env.store.ensure(self.task.config)
        else:
            self.task.run(env)
