"""Tables and ``studies.md`` of the studies (:mod:`.runner`).

Every table is a function of the ``studies.json`` dict returning ``(header, rows)``, or None
when the results hold nothing for it (the layout study without its variant); the same functions
render the run's ``studies.md`` and are what ``tests/test_results_doc.py`` renders from
``docs/results.json`` to check the tables of ``docs/results.md``.
"""

from __future__ import annotations

from pathlib import Path

from ...storage.atomic import atomic_write_text
from ..summary import (fmt_acc, fmt_count, main_table, ratio_table, render_markdown,
                      selection_table)
from .regime_report import published, regime_chosen, regime_selection, regime_table

__all__ = ["TABLES", "tables", "markdown", "write_markdown"]


def _targets(results):
    return tuple(results["settings"]["targets"])


def fair_selection(results):
    """λ chosen on the validation split, every method."""
    return selection_table(results["fair"]["selection"])


def fair_main(results):
    """Nonzero weights needed per test accuracy, tuned methods and dense."""
    fair = results["fair"]
    return main_table([fair["dense"]] + fair["methods"], _targets(results))


def fair_ratio(results):
    """The same relative to the dense model, with the paper's ratio."""
    fair = results["fair"]
    return ratio_table([fair["dense"]] + fair["methods"], _targets(results)[:-1],
                       results["paper"])


def _halves_sum(m):
    h = m["summary"].get("halves_per_layer")
    if not h:
        return "—", "—"
    return f"{sum(h['loghoyer']):.2f}", f"{sum(h['rayleigh']):.2f}"


def ablation(results):
    """The halves of l_C at λ = 1 and tuned: accuracy, nonzero needed, final halves."""
    targets = tuple(t for t in (0.9, 0.95, 0.96, 0.97) if t in _targets(results))
    header = ["method", "λ", "seeds", "unpruned acc. %"] + \
        [f"nonzero @ {100 * t:g}%" for t in targets] + ["Σ_l loghoyer(W_l)", "Σ_l rayleigh(W_l)"]
    fair = results["fair"]
    tuned = {m["reg"]: m for m in fair["methods"]}
    rows = []
    rec = [(fair["dense"], "none")] + [(m, m["label"]) for m in results["ablation"]["methods"]]
    rec += [(tuned[r], f"{r} (tuned)") for r in ("sparsity", "loghoyer", "rayleigh") if r in tuned]
    for m, label in rec:
        s = m["summary"]
        rows.append([label, "—" if not m["lam"] else f"{m['lam']:g}", str(s["n_seeds"]),
                     fmt_acc(s["final_accuracy"])]
                    + [fmt_count(s["targets"][f"{t:g}"], s["n_seeds"]) for t in targets]
                    + list(_halves_sum(m)))
    return header, rows


def long_table(results):
    """Short vs long training (same seeds): accuracy, nonzero needed, ratio to dense."""
    lg = results["long"]
    targets = tuple(t for t in (0.95, 0.96, 0.97) if t in _targets(results))
    header = ["method", "epochs", "seeds", "unpruned acc. %"] + \
        [f"nonzero @ {100 * t:g}%" for t in targets] + ["÷ dense @ 96%"]
    rows = []
    longs = {m["short_label"]: m for m in lg["methods"]}
    longs["none"] = lg["dense"]
    for label in ["none"] + lg["picked"]:
        for epochs, s in ((lg["short_epochs"], lg["short_same_seeds"][label]),
                          (lg["epochs"], longs[label]["summary"])):
            ratio = s["targets"]["0.96"]["ratio_to_dense"]
            rows.append([label, str(epochs), str(s["n_seeds"]), fmt_acc(s["final_accuracy"])]
                        + [fmt_count(s["targets"][f"{t:g}"], s["n_seeds"]) for t in targets]
                        + ["—" if ratio is None else f"{ratio:.3f}"])
    return header, rows


def finetune_table(results):
    """Test accuracy at each level removed: one-shot → fine-tuned (seed means, %)."""
    ft = results["finetune"]
    header = ["method"] + [f"{p:g}% removed" for p in ft["levels"]]
    rows = []
    for m in ft["methods"]:
        cells = []
        for p in ft["levels"]:
            c = m["summary"][f"{p:g}"]
            cells.append(f"{100 * c['oneshot_accuracy']['mean']:.2f} → "
                         f"{100 * c['finetuned_accuracy']['mean']:.2f}")
        rows.append([m["label"]] + cells)
    return header, rows


def layout_permutations(results):
    """H_C (nats) of each matrix, and its change when rows or columns are reordered."""
    header = ["model", "layer", "H_C", "Δ rows permuted: mean ± std [min, max]",
              "Δ columns permuted: mean ± std [min, max]", "Δ rows sorted by norm"]
    rows = []
    for r in results["layout"]["permutations"]:
        rows.append([r["model"], f"W{r['layer']}", f"{r['original']:.3f}"]
                    + [f"{r[k + '_mean']:+.3f} ± {r[k + '_std']:.3f} [{r[k + '_min']:+.3f}, "
                       f"{r[k + '_max']:+.3f}]" for k in ("rows", "cols")]
                    + [f"{r['sorted_rows']:+.3f}"])
    return header, rows


def layout_variant(results):
    """The receptive-field variant beside the matrix-layout one and dense."""
    lay, fair = results["layout"], results["fair"]
    if not lay.get("variant"):
        return None
    same = [m for m in fair["methods"] if m["reg"] == lay["variant"]["reg"]]
    return main_table([fair["dense"]] + same + [lay["variant"]], _targets(results))


def layout_selection(results):
    """λ of the receptive-field variant on the validation split."""
    if not results["layout"].get("variant") or not results["layout"]["selection"]["rows"]:
        return None
    sel = results["layout"]["selection"]
    return selection_table({f"{sel['reg']}-rf": sel})


#: table name -> (function, the study it needs)
TABLES = {"fair_selection": (fair_selection, "fair"), "fair_main": (fair_main, "fair"),
          "fair_ratio": (fair_ratio, "fair"), "ablation": (ablation, "ablation"),
          "long": (long_table, "long"), "finetune": (finetune_table, "finetune"),
          "layout_permutations": (layout_permutations, "layout"),
          "layout_variant": (layout_variant, "layout"),
          "layout_selection": (layout_selection, "layout"),
          "regime_chosen": (regime_chosen, "regime"), "regime": (regime_table, "regime"),
          "regime_selection": (regime_selection, "regime"), "published": (published, "regime")}


def tables(results):
    """``name -> markdown table`` of every table the results allow."""
    out = {}
    for name, (fn, study) in TABLES.items():
        table = fn(results) if study in results else None
        if table is not None:
            out[name] = render_markdown(*table)
    return out


def markdown(results):
    """``studies.md``: every table under its docstring, then the figures."""
    lines = ["# Studies beyond the paper", ""]
    for name, text in tables(results).items():
        lines += [f"## {TABLES[name][0].__doc__.strip()}", "", text, ""]
    for name, paths in results.get("figures", {}).items():
        png = next((p for p in paths if p.endswith(".png")), paths[0])
        lines += [f"![{name}]({png})", ""]
    return "\n".join(lines)


def write_markdown(path, results):
    """Atomically write :func:`markdown` to ``path``."""
    atomic_write_text(Path(path), markdown(results))
