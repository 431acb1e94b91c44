"""``entropy-ref prune-curve RUN_DIR``: the sensitivity-pruning curve of a trained run.

Examples::

    entropy-ref prune-curve runs/sparse                      # RUN_DIR/curve.csv (+ curve.json)
    entropy-ref prune-curve runs/sparse --step 1 --sensitivity-data test
    entropy-ref prune-curve runs/sparse --method naive       # the slow reference, same numbers

The run directory is locked while the curve is computed and written
(:func:`entropy_ref.storage.lock.lock_directory`): a trainer or another ``prune-curve`` writing
it at the same time is refused with one line naming the holder, and so is this command while
they hold it.
"""

from __future__ import annotations

import time

from ..data import load_mnist
from ..data.places import expand_home
from ..prune import ACCURACY_TARGETS, accuracy_targets, fast_curve, make_plan, naive_curve
from ..prune.plan import n_points
from ..prune import sensitivity as weight_sensitivity
from ..reproduce.curves import curve_files, float64_dataset, save_curve
from ..storage.lock import lock_directory
from ..train import load_run
from . import UserError, check_data_dir, check_out_dir

__all__ = ["add_parser", "run"]

NAME = "prune-curve"


def add_parser(subparsers):
    """Register ``prune-curve`` and its options."""
    p = subparsers.add_parser(
        NAME, help="sensitivity-pruning curve of a trained run (paper, section 5)",
        description="Rank every weight of a trained run by its sensitivity |w * dCE/dw| (the "
        "cross-entropy gradient averaged over a whole data set), prune the least sensitive ones "
        "globally over all layers at every STEP percentile (0, STEP, ..., 100), and record the "
        "number of nonzero weights and the test accuracy at each point. Biases are never pruned "
        "and not counted. Writes RUN_DIR/curve.csv (percentile,threshold,nonzero,test_accuracy) "
        "and RUN_DIR/curve.json, and prints the fewest nonzero weights reaching 90, 95, 96, 97 "
        "and 98% test accuracy.")
    p.add_argument("run_dir", metavar="RUN_DIR", help="directory written by entropy-ref train")
    p.add_argument("--step", type=float, default=0.1,
                   help="percentile step; must divide 100 (default: 0.1, i.e. 1,001 points)")
    p.add_argument("--sensitivity-data", choices=("train", "test"), default="train",
                   help="images the gradient is averaged over: the run's training images or "
                   "the test images; the paper does not say which (default: train)")
    p.add_argument("--method", choices=("fast", "naive"), default="fast",
                   help="fast: incremental, certified identical to naive; naive: one full "
                   "float64 forward pass per point (slow, for checking) (default: fast)")
    p.add_argument("--data-dir", metavar="DIR",
                   help="MNIST directory (default: the run's, then the usual lookup order)")
    p.set_defaults(run=run)
    return p


def _load(run_dir):
    """``load_run(run_dir)``, refusing a missing run or one without a completed epoch."""
    try:
        config, params, history = load_run(run_dir)
    except FileNotFoundError as exc:
        raise UserError(str(exc)) from None
    if not history:
        raise UserError(f"{run_dir}: the run has no completed epoch yet")
    return config, params, history


def _curve(args, config, params):
    """Compute the curve of ``params`` and save it in RUN_DIR: ``(plan, curve, number of images
    the sensitivity was taken on)``."""
    data = load_mnist(args.data_dir if args.data_dir is not None else config.data_dir)
    ds = float64_dataset(config, data)
    Xs, ys = (ds.X_train, ds.y_train) if args.sensitivity_data == "train" else (ds.X_test,
                                                                                 ds.y_test)
    t0 = time.perf_counter()
    sens = weight_sensitivity(params, Xs, ys)
    t_sens = time.perf_counter() - t0
    plan = make_plan(params, sens, args.step)
    curve = (fast_curve if args.method == "fast" else naive_curve)(params, plan, ds.X_test,
                                                                   ds.y_test)
    curve.stats.setdefault("seconds", time.perf_counter() - t0 - t_sens)
    curve.stats["sensitivity_seconds"] = t_sens
    save_curve(args.run_dir, curve, params, "test", args.step, args.sensitivity_data)
    return plan, curve, len(ys)


def run(args):
    """Compute, save and summarise the curve (RUN_DIR locked meanwhile); return 0."""
    try:
        n_points(args.step)
    except ValueError as exc:
        raise UserError(f"--step: {exc}") from None
    check_data_dir(args.data_dir)
    if str(args.run_dir).strip() == "":
        raise UserError("RUN_DIR must name a run directory, got an empty string")
    args.run_dir = str(expand_home(args.run_dir, "RUN_DIR"))
    _load(args.run_dir)                            # a clean error for a missing or empty run
    check_out_dir(args.run_dir, "RUN_DIR")         # curve.csv is written there: check first
    with lock_directory(args.run_dir):             # one writer: not while a trainer writes it
        config, params, history = _load(args.run_dir)      # what it holds now, under the lock
        plan, curve, n_sens = _curve(args, config, params)
    t_sens = curve.stats["sensitivity_seconds"]
    st = curve.stats
    print(f"{args.run_dir}: {config.reg} (lambda {config.lam}), epoch {len(history)}; "
          f"{plan.n_weights:,} weights + {plan.n_biases:,} biases (never pruned)")
    print(f"sensitivity on {n_sens:,} {args.sensitivity_data} images: {t_sens:.1f}s; "
          f"{curve.percentile.size} points ({args.method}): {st['seconds']:.1f}s")
    if args.method == "fast":
        print(f"certificate: {st['flagged_samples']:,} image-points re-checked in float64, "
              f"{st['full_fallback_points']} point(s) recomputed with the reference")
    print(f"unpruned test accuracy {100 * curve.test_accuracy[0]:.2f}%")
    for t, hit in accuracy_targets(curve, ACCURACY_TARGETS).items():
        text = ("not reached" if hit is None
                else f"{hit[0]:>9,} nonzero weights ({100 * hit[1]:.2f}%)")
        print(f"  test accuracy >= {100 * t:g}%: {text}")
    print(f"wrote {curve_files(args.run_dir)[0]}")
    return 0
