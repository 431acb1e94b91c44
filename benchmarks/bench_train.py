"""Training-epoch benchmark: entropy_ref (NumPy) vs the same network in PyTorch CPU, side by side.

Measures, in one run and on the same data, the wall time of one training epoch (60,000 images,
batch 100, Adam, lr 1e-4, LeNet300 784-300-100-10, float32) for:

* ``numpy none``     -- :func:`entropy_ref.train.step.run_epoch` with no penalty (dense);
* ``numpy sparsity`` -- the same with the paper's ``l_C`` penalty, exact at every step;
* ``torch none``     -- ``nn.Sequential`` + ``F.cross_entropy`` + ``torch.optim.Adam`` (defaults),
  when torch is importable.

Both libraries get the same number of BLAS threads (``--threads``, default: all cores). Each
measurement is repeated ``--repeats`` times, interleaved, and the minimum is reported (the least
disturbed run on a shared machine) together with the median. Only the training pass is timed
(no evaluation, no checkpoint). Printed ratios are the targets of docs/performance.md:
``numpy none / torch none <= 1.0`` and ``numpy sparsity / numpy none - 1 <= 10%``.

Usage::

    python benchmarks/bench_train.py [--data-dir DIR] [--repeats 3] [--threads 2] [--subset N]

Without MNIST (``--data-dir`` or ``ENTROPY_REF_DATA``) random images of the same shape are used.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np


def _load(data_dir, subset):
    from entropy_ref.data import MNISTNotFoundError, load_mnist, to_features

    try:
        d = load_mnist(data_dir, verbose=False)
        X, y, src = to_features(d.train_images), d.train_labels.astype(np.int64), "MNIST"
    except MNISTNotFoundError:
        rng = np.random.default_rng(0)
        X = to_features(rng.integers(0, 256, (60000, 28, 28), dtype=np.uint8))
        y, src = rng.integers(0, 10, 60000), "random images (MNIST not found)"
    if subset:
        X, y = X[:subset], y[:subset]
    return X, y, src


def numpy_epoch(reg_name, X, y, seed=0):
    """Seconds for one epoch of entropy_ref's training step."""
    from entropy_ref.mlp import init_mlp
    from entropy_ref.optim import AdamHP, adam_init
    from entropy_ref.regularizers import get
    from entropy_ref.train.step import pack_state, run_epoch

    rng = np.random.default_rng(seed)
    params = init_mlp(seed_or_rng=rng)
    state = pack_state(params, adam_init(params), 100)
    t0 = time.perf_counter()
    run_epoch(state, X, y, rng, get(reg_name), [1.0] * 3, AdamHP(lr=1e-4))
    return time.perf_counter() - t0


def torch_epoch(X, y, seed=0):
    """Seconds for one epoch of the same network in PyTorch CPU (idiomatic, default Adam)."""
    import torch
    import torch.nn.functional as F

    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(784, 300), torch.nn.ReLU(),
                                torch.nn.Linear(300, 100), torch.nn.ReLU(),
                                torch.nn.Linear(100, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    perm = torch.from_numpy(np.random.default_rng(seed).permutation(len(X)))
    t0 = time.perf_counter()
    for start in range(0, len(X), 100):
        idx = perm[start:start + 100]
        loss = F.cross_entropy(model(Xt[idx]), yt[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return time.perf_counter() - t0


def step_breakdown(X, y, number=100, repeats=7):
    """Microseconds per training step of each part (min over repeats), LeNet300, batch 100."""
    import timeit

    from entropy_ref import sparsity_loss_grad
    from entropy_ref.mlp import init_mlp, loss_and_grads
    from entropy_ref.optim import AdamHP, adam_init, adam_step_inplace
    from entropy_ref.regularizers import get
    from entropy_ref.train.step import pack_state

    rng = np.random.default_rng(0)
    params = init_mlp(seed_or_rng=rng)
    st = pack_state(params, adam_init(params), 100)
    idx = rng.permutation(len(X))[:100]
    xb, yb, ws = X[idx], y[idx], st.workspace(100)
    flat_opt, hp, reg = {"t": 0, "m": st.flat_m, "v": st.flat_v}, AdamHP(), get("sparsity")

    def us(fn):
        return min(timeit.repeat(fn, number=number, repeat=repeats)) / number * 1e6

    rows = [("gather batch (np.take)", us(lambda: np.take(X, idx, axis=0, out=st.batch))),
            ("forward + backward + CE", us(lambda: loss_and_grads(st.params, xb, yb, ws))),
            ("Adam, one fused step over all 266,610 numbers",
             us(lambda: adam_step_inplace(st.flat_w, st.flat_g, flat_opt, hp, st.scratch))),
            ("sparsity penalty + gradient, all layers",
             us(lambda: reg.penalty_and_grads(st.params["W"], [1.0] * 3, st.reg_grads)))]
    for W, buf in zip(st.params["W"], st.reg_grads):
        rows.append((f"  of which l_C of {W.shape[0]}x{W.shape[1]}",
                     us(lambda W=W, buf=buf: sparsity_loss_grad(W, out=buf))))
    rows.append(("adding the penalty gradient (g += r)",
                 us(lambda: [g.__iadd__(r) for g, r in zip(st.grads["W"], st.reg_grads)])))
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--subset", type=int, default=None, help="train on the first N images only")
    args = ap.parse_args(argv)

    limiter = None
    try:
        from threadpoolctl import threadpool_limits
        limiter = threadpool_limits(limits=args.threads, user_api="blas")
    except ImportError:
        print("note: threadpoolctl missing; NumPy uses its default BLAS thread count")
    try:
        import torch
        torch.set_num_threads(args.threads)
        torch_version = torch.__version__
    except ImportError:
        torch = None
        torch_version = "not installed"

    X, y, src = _load(args.data_dir, args.subset)
    print(f"data: {len(X):,} x 784 float32 ({src}); batch 100; threads {args.threads}; "
          f"numpy {np.__version__}; torch {torch_version}; cpu count {os.cpu_count()}")
    cases = [("numpy", "none"), ("numpy", "sparsity")] + ([("torch", "none")] if torch else [])
    times = {c: [] for c in cases}
    numpy_epoch("none", X[:1000], y[:1000])            # warm-up (imports, page faults)
    if torch:
        torch_epoch(X[:1000], y[:1000])
    for _ in range(args.repeats):                        # interleaved repeats
        for impl, reg in cases:
            t = numpy_epoch(reg, X, y) if impl == "numpy" else torch_epoch(X, y)
            times[(impl, reg)].append(t)
    rows = step_breakdown(X, y)
    if limiter is not None:
        limiter.restore_original_limits()

    best = {c: min(v) for c, v in times.items()}
    print(f"\n| implementation | regularizer | epoch s (min of {args.repeats}) "
          "| epoch s (median) |")
    print("|---|---|---|---|")
    for (impl, reg), v in times.items():
        print(f"| {impl} | {reg} | {min(v):.3f} | {statistics.median(v):.3f} |")
    dense = best[("numpy", "none")]
    print()
    if torch:
        tr = best[("torch", "none")]
        print(f"numpy / torch (dense epoch): {dense / tr:.2f}x   (target <= 1.00x)")
    over = best[("numpy", "sparsity")] / dense - 1.0
    print(f"sparsity overhead vs none (numpy): {100 * over:+.0f}%   (target <= +10%)")
    print("\n| per training step (numpy, float32) | microseconds (min of 7) |")
    print("|---|---|")
    for name, t in rows:
        print(f"| {name} | {t:.0f} |")


if __name__ == "__main__":
    main()
