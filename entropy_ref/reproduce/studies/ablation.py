"""The ablation of ``l_C``: its two halves, and ``l_C`` itself, at the paper's lambda.

``sparsity`` (``l_C = loghoyer + rayleigh``), ``loghoyer`` and ``rayleigh`` are trained at
``ablation_lam`` (the paper's lambda = 1) with every seed (or ``ablation_seeds``) and pruned; for
every trained model the two halves ``loghoyer(W_l)`` and ``rayleigh(W_l)`` of its final weights
are recorded. The lambdas the fair comparison tuned for the same three methods stand beside them.
"""

from __future__ import annotations

from .context import seeds_record, with_halves

__all__ = ["ABLATION", "run", "estimate"]

#: the methods of the ablation: l_C and its two halves
ABLATION = ("sparsity", "loghoyer", "rayleigh")


def estimate(ctx):
    """Seconds still needed to train every seed of the three methods."""
    lam = ctx.study.ablation_lam
    return sum(ctx.cost(ctx.train_config(reg, lam, seed))
               for reg in ABLATION for seed in range(ctx.study.ablation_seeds or ctx.settings.seeds))


def run(ctx):
    """The two halves of ``l_C`` and ``l_C`` itself at the paper's lambda (every seed)."""
    lam = ctx.study.ablation_lam
    dense = ctx.results["fair"]["dense"]
    ctx.prefetch([t for reg in ABLATION
                  for t in ctx.main_tasks(reg, lam, seeds=ctx.study.ablation_seeds)])
    methods = []
    for reg in ABLATION:
        label = f"{reg} (λ={lam:g})"
        rec = seeds_record(ctx, label, reg, lam, f"the paper's lambda {lam:g}",
                           seeds=ctx.study.ablation_seeds, dense_summary=dense["summary"])
        methods.append(with_halves(ctx, rec))
    tuned = {m["reg"]: m["lam"] for m in ctx.results["fair"]["methods"]}
    return {"lam": lam, "methods": methods, "tuned_lam": {r: tuned.get(r) for r in ABLATION}}
