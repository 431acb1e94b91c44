"""``results.md``: the reproduction's tables and figures as Markdown (written atomically)."""

from __future__ import annotations

from pathlib import Path

from ..storage.atomic import atomic_write_text
from .settings import PAPER
from .summary import (main_table, ratio_table, render_markdown, selection_table, sweep_table)

__all__ = ["markdown", "write_markdown"]


def _protocol(s, d):
    subset = (f"all {d['n_train']:,}" if s["train_subset"] is None
              else f"the first {s['train_subset']:,}")
    return (f"LeNet {784}-{'-'.join(map(str, s['hidden']))}-10 ReLU MLP, Adam (lr {s['lr']:g}), "
            f"batch {s['batch_size']}, {s['epochs']} epoch(s), {s['dtype']}, no weight decay, "
            f"seeds 0..{s['seeds'] - 1}, trained on {subset} training images. Pruning: "
            f"sensitivity |w · dCE/dw| with the gradient averaged over the "
            f"{'training' if s['sensitivity_data'] == 'train' else 'test'} images, one global "
            f"ranking over all layers, swept in {s['step']:g}-percentile steps; biases are never "
            f"pruned and not counted; accuracy on the {d['n_test']:,} test images. Every "
            f"curve is computed exactly (certified equal to one float64 forward pass per "
            f"point).")


def _figures(figs):
    captions = {
        "figure2": "Figure 2 — trained weights, dense vs `sparsity` (seed 0)",
        "figure2_entropy": "Figure 2 (opposite sign) — dense vs `entropy` (seed 0)",
        "figure3": "Figure 3 — test accuracy vs nonzero weights, every method and seed",
        "figure4": "Figure 4 — |w| vs percentile, all layers pooled, every epoch (seed 0)",
        "sweep": "Sign and λ sweep",
    }
    lines = []
    for key, paths in figs.items():
        png = next((p for p in paths if p.endswith(".png")), paths[0])
        lines += [f"**{captions.get(key, key)}** ([PDF]({png[:-4]}.pdf))", "",
                  f"![{key}]({png})", ""]
    return lines


def markdown(results):
    """The Markdown text of ``results.md`` for a ``results.json`` dict."""
    s = results["settings"]
    targets = tuple(s["targets"])
    methods = results["methods"]
    lines = [f"# Reproduction results ({s['preset']} preset)", "",
             _protocol(s, results["data"]), "",
             "## Nonzero weights needed for each test accuracy", "",
             "Mean ± std over seeds of the smallest nonzero-weight count whose pruned network "
             "reaches the accuracy (over the seeds that reach it; `(k/n)` when not all do).", "",
             render_markdown(*main_table(methods, targets)), "",
             "Relative to the dense model (`none`):", "",
             render_markdown(*ratio_table(methods, targets, PAPER)), "",
             f"The paper reports {PAPER['sparsity']['nonzero']:,} weights → "
             f"{100 * PAPER['sparsity']['test_accuracy']:.2f}% with the regularizer and "
             f"{PAPER['none']['nonzero']:,} → {100 * PAPER['none']['test_accuracy']:.2f}% "
             "without.", ""]
    notes = [f"- `{m['label']}` (λ = {m['lam']:g}): {m['note']}" for m in methods]
    lines += ["Methods:", ""] + notes + [""]
    hc = [m for m in methods if m["summary"].get("entropy_per_layer")]
    if hc:
        lines += ["## Final configuration entropy H_C per layer (nats, mean over seeds)", "",
                  "| method | " + " | ".join(f"W{i + 1}" for i in
                                              range(len(hc[0]["summary"]["entropy_per_layer"])))
                  + " |", "|---|" + "---|" * len(hc[0]["summary"]["entropy_per_layer"])]
        lines += [f"| {m['label']} | " + " | ".join(f"{v:.3f}" for v in
                                                   m["summary"]["entropy_per_layer"]) + " |"
                  for m in hc]
        lines += ["", "`sparsity` adds +λ l_C = −λ H_C (so training *raises* H_C); `entropy` "
                  "adds +λ H_C (training *lowers* it).", ""]
    if results.get("selection"):
        sel = next(iter(results["selection"].values()))
        lines += ["## λ of the baselines, chosen on a validation split", "",
                  f"Seed 0 trained on the training images minus the last {sel['val_size']:,} "
                  f"({sel['epochs']} epoch(s)); the λ needing the fewest nonzero weights to reach "
                  f"{100 * sel['target']:g}% validation accuracy wins (then: best validation "
                  "accuracy). The test set is not used.", "",
                  render_markdown(*selection_table(results["selection"])), ""]
    if results.get("sweep"):
        sw = results["sweep"]
        lines += ["## Sign and λ sweep", "",
                  f"Seed 0, {sw['epochs']} epoch(s), otherwise the main protocol. λ multiplies "
                  "the penalty added to the batch-mean cross-entropy: λ = 1 is the paper read "
                  f"literally, λ = 1/{s['batch_size']} = {1 / s['batch_size']:g} the paper if its "
                  f"cross-entropy was a sum over the batch of {s['batch_size']}.", "",
                  render_markdown(*sweep_table(sw["rows"], tuple(sw["targets"]))), ""]
    t, c = results["timing"], results["compute"]
    lines += ["## Figures", ""] + _figures(results.get("figures", {})) + [
        "## Timing", "",
        f"The {c['runs']} distinct runs took {c['train_seconds']:.0f} s of training "
        f"({c['epochs']} epochs, {c['train_seconds'] / max(1, c['epochs']):.2f} s/epoch on "
        f"average) and {c['curve_seconds']:.0f} s of sensitivity + curve computation. "
        f"This invocation: {t['total_seconds']:.0f} s ({t['trained_epochs']} epochs trained, "
        f"{t['reused_runs']} finished runs and {t['reused_curves']} cached curves reused).", ""]
    return "\n".join(lines)


def write_markdown(path, results):
    """Atomically write :func:`markdown` to ``path``."""
    atomic_write_text(Path(path), markdown(results))
