"""Sensitivity-pruning curve benchmark: the fast incremental curve vs the naive one, side by side.

For one LeNet300 model (a trained run given with ``--run``, or a model trained here for
``--epochs`` epochs) and the 10,000 MNIST test images, measures in one process:

* ``sensitivity`` -- ``|w * dCE/dw|`` with the mean gradient over the 60,000 training images;
* ``fast``  -- :func:`entropy_ref.prune.fast_curve` over all points (1,001 at ``--step 0.1``);
* ``naive`` -- one full float64 forward pass per point (:func:`entropy_ref.prune.naive_curve`'s
  computation); all points by default, or ``--naive-points N`` evenly spaced ones with the total
  extrapolated (marked ``est.``).

and checks that the two give identical nonzero counts and correct-prediction counts on every
point the naive pass evaluated. The fast curve is timed ``--repeats`` times, before and after
the naive pass (interleaved), and its minimum and median are printed: the machine is shared, and
the minimum is the least disturbed run. The target of docs/performance.md: the full fast curve in
<= 60 s on the project's 2-core machine.

Usage::

    python benchmarks/bench_prune.py [--run RUN_DIR] [--reg none] [--epochs 2]
                                     [--data-dir DIR] [--step 0.1] [--naive-points N]
                                     [--repeats 3]

Without MNIST (``--data-dir`` or ``ENTROPY_REF_DATA``) random images of the same shape are used.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def _data(data_dir):
    from entropy_ref.data import MNIST, MNISTNotFoundError, load_mnist

    try:
        return load_mnist(data_dir, verbose=False), "MNIST"
    except MNISTNotFoundError:
        rng = np.random.default_rng(0)
        img = lambda n: rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)  # noqa: E731
        lab = lambda n: rng.integers(0, 10, n).astype(np.uint8)             # noqa: E731
        return MNIST(img(60000), lab(60000), img(10000), lab(10000)), "random images"


def _model(args, data):
    from entropy_ref.train import TrainConfig, load_run, train

    if args.run:
        config, params, history = load_run(args.run)
        return params, f"{args.run} ({config.reg}, {len(history)} epochs)"
    config = TrainConfig(reg=args.reg, epochs=args.epochs, seed=0)
    result = train(config, data=data, log=lambda *a: None)
    return result.params, f"{args.reg}, trained here for {args.epochs} epoch(s)"


def main():
    from entropy_ref import prune
    from entropy_ref.data import to_features

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", help="trained run directory (default: train a model here)")
    parser.add_argument("--reg", default="none", help="regularizer of the model trained here")
    parser.add_argument("--epochs", type=int, default=2, help="epochs of the model trained here")
    parser.add_argument("--data-dir")
    parser.add_argument("--step", type=float, default=0.1)
    parser.add_argument("--naive-points", type=int, default=0,
                        help="time only N evenly spaced naive points and extrapolate (0: all)")
    parser.add_argument("--repeats", type=int, default=3, help="timings of the fast curve")
    args = parser.parse_args()

    data, source = _data(args.data_dir)
    params, what = _model(args, data)
    X_train = to_features(data.train_images, np.float64)
    X_test = to_features(data.test_images, np.float64)
    y_train, y_test = data.train_labels.astype(int), data.test_labels.astype(int)

    t0 = time.perf_counter()
    sens = prune.sensitivity(params, X_train, y_train)
    t_sens = time.perf_counter() - t0
    plan = prune.make_plan(params, sens, args.step)
    n_pts = plan.n_pruned.size

    fast = prune.fast_curve(params, plan, X_test, y_test)
    fast_times = [fast.stats["seconds"]]

    idx = np.arange(n_pts) if args.naive_points <= 0 else \
        np.unique(np.linspace(0, n_pts - 1, args.naive_points).round().astype(int))
    p64 = prune.as_float64_params(params)
    correct = np.empty(idx.size, dtype=np.int64)
    t0 = time.perf_counter()
    for k, j in enumerate(idx):
        pred = prune.reference_predictions(prune.masked_params(p64, plan, j), X_test)
        correct[k] = np.count_nonzero(pred == y_test)
    t_naive_part = time.perf_counter() - t0
    for _ in range(max(0, args.repeats - 1)):
        again = prune.fast_curve(params, plan, X_test, y_test)
        assert np.array_equal(again.n_correct, fast.n_correct)
        fast_times.append(again.stats["seconds"])
    t_fast, t_med = min(fast_times), statistics.median(fast_times)
    t_naive = t_naive_part * n_pts / idx.size
    est = "" if idx.size == n_pts else " est."
    same = bool(np.array_equal(correct, fast.n_correct[idx]))

    st = fast.stats
    print(f"model: {what}; data: {source}; {plan.n_weights:,} weights, {n_pts} points "
          f"(step {args.step:g}); {len(y_test):,} test images")
    print(f"sensitivity over {len(y_train):,} training images: {t_sens:.2f} s\n")
    print("| curve | points | total (s) | per point (ms) | speed-up |")
    print("|---|---|---|---|---|")
    print(f"| naive: full float64 forward per point | {n_pts} | {t_naive:.1f}{est} | "
          f"{1e3 * t_naive / n_pts:.1f} | 1.0x |")
    print(f"| fast: incremental, certified (min of {len(fast_times)}) | {n_pts} | {t_fast:.1f} | "
          f"{1e3 * t_fast / n_pts:.1f} | {t_naive / t_fast:.1f}x |")
    print(f"| fast (median of {len(fast_times)}) | {n_pts} | {t_med:.1f} | "
          f"{1e3 * t_med / n_pts:.1f} | {t_naive / t_med:.1f}x |")
    print(f"\nidentical on the {idx.size} naive points: {same}")
    per_point = st["flagged_samples"] / n_pts
    print(f"certificate: {st['flagged_samples']:,} image-points ({per_point:.1f} per point) "
          f"recomputed in float64, {st['full_fallback_points']} full fallback(s), "
          f"{st['reused']} point(s) reused unchanged")
    if not same:
        raise SystemExit("MISMATCH between fast and naive curves")


if __name__ == "__main__":
    main()
