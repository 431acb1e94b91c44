"""Every study, declared once: its name, how to run it, how to estimate its cost, what it needs.

==========  ================================================================================
study       question
==========  ================================================================================
fair        every method (``sparsity``, ``loghoyer``, ``rayleigh``, ``l1``, ``hoyer``) gets its
            lambda chosen on the validation split by one rule over an equally dense grid (half
            decades); the chosen lambda is trained with every seed on the whole training set
ablation    the two halves of ``l_C = loghoyer + rayleigh`` at the paper's lambda = 1 (every seed)
            beside the tuned ones (from ``fair``)
finetune    prune at fixed fractions, keep the mask, retrain the survivors with cross-entropy
            only for a few epochs (:mod:`entropy_ref.prune.finetune`)
layout      (a) how ``H_C`` of initial and trained matrices moves under row / column
            permutations; (b) ``sparsity`` with W1's operator over each unit's receptive field
long        the tuned comparison at ``long_epochs`` for the methods still climbing at the end of
            the main protocol, plus the dense model at the same epochs
regime      every method's lambda chosen for each removal level (90 to 99.5%) by its fine-tuned
            validation accuracy, then one-shot, fine-tuned and iterative pruning of the chosen
            models (:mod:`entropy_ref.prune.iterative`), with their epoch budgets
==========  ================================================================================

:data:`REGISTRY` lists them in run order (most important first); a study runs after every study
it needs, and naming a study runs what it needs too (:func:`resolve`). A new study is one module
with ``run(ctx)`` and ``estimate(ctx)`` (see :mod:`.context` for ``ctx``) and one entry here;
its tables and figure, if any, go to :mod:`.report` and :mod:`.figures`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import ablation, fair, finetune, layout, long, regime

__all__ = ["Study", "REGISTRY", "STUDIES", "by_name", "resolve"]


@dataclass(frozen=True)
class Study:
    """One study.

    Attributes
    ----------
    name : str
        As ``--study`` takes it, and the key of its record in ``studies.json``.
    run : callable
        ``run(ctx) -> dict``: the JSON-ready record (reads earlier studies from ``ctx.results``).
    estimate : callable
        ``estimate(ctx) -> float``: seconds still needed, given the runs already on disk.
    needs : tuple of str
        Studies whose records ``run`` reads; they run first.
    knobs : tuple of str or None
        The :class:`~.settings.StudySettings` fields its results depend on (beside the protocol,
        the data and the studies it reads); None: every field. Part of the study's identity in
        ``studies.json`` (:mod:`.accumulate`).
    uses : tuple of str
        Studies whose records ``run`` also reads when they ran (not run for it).
    """

    name: str
    run: Callable
    estimate: Callable
    needs: tuple = ()
    knobs: tuple | None = None
    uses: tuple = ()


#: every study, in run order
REGISTRY = (
    Study("fair", fair.run, fair.estimate,
          knobs=("fair_grid", "select_epochs", "select_target", "select_step", "long_window")),
    Study("ablation", ablation.run, ablation.estimate, needs=("fair",),
          knobs=("ablation_lam", "ablation_seeds", "long_window")),
    Study("finetune", finetune.run, finetune.estimate, needs=("fair",),
          knobs=("finetune_levels", "finetune_epochs"), uses=("ablation",)),
    Study("layout", layout.run, layout.estimate, needs=("fair",),
          knobs=("layout_permutations", "layout_reg", "layout_field", "layout_value",
                 "layout_select", "layout_seeds", "ablation_lam", "long_window"),
          uses=("ablation",)),
    Study("long", long.run, long.estimate, needs=("fair",),
          knobs=("long_epochs", "long_methods", "long_climb", "long_window", "long_max",
                 "long_seeds"), uses=("ablation",)),
    Study("regime", regime.run, regime.estimate,
          knobs=("regime_grid", "regime_levels", "regime_select_epochs", "regime_finetune_epochs",
                 "regime_fraction", "regime_cycle_epochs", "regime_iterative_level",
                 "regime_iterative_methods", "select_epochs")),
)

#: the study names, in run order
STUDIES = tuple(study.name for study in REGISTRY)


def by_name(name):
    """The :class:`Study` called ``name`` (KeyError when there is none)."""
    return {study.name: study for study in REGISTRY}[name]


def resolve(names):
    """The studies to run for ``names``: those named and everything they need, in run order.

    Examples
    --------
    >>> [s.name for s in resolve(("long", "finetune"))]
    ['fair', 'finetune', 'long']
    """
    wanted, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name not in wanted:
            wanted.add(name)
            todo += by_name(name).needs
    return tuple(study for study in REGISTRY if study.name in wanted)
