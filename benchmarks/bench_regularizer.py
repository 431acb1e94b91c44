"""Timing and memory of H_C value + gradient, side by side, against the docs/performance.md targets.

Run: ``python benchmarks/bench_regularizer.py [--quick]``. Prints one table per dtype: the time of
every implementation on the same W in one run, the ``np.abs(W).sum()`` memory-streaming floor, the
ratios the targets are stated in, and the peak extra memory (tracemalloc) of our fast path as a
multiple of ``W.nbytes``. PyTorch and JAX peers appear when importable (never required).

Targets (300x784 float64, also holding at 4096x4096): ours >= 5x faster than PyTorch CPU autograd;
ours <= 25x the abs-sum floor; peak extra memory <= 3x W.nbytes; ours <= the fastest peer (ratio
<= 1.0) at 300x784 and 1024x1024 float64.
"""

from __future__ import annotations

import argparse
import math
import os
import time
import tracemalloc

import numpy as np
from scipy.signal import convolve2d, correlate2d

from entropy_ref import configuration_entropy_grad, configuration_entropy_grad_reference
from entropy_ref.conventions import G_X, G_Y
from entropy_ref.scharr import scharr_gradient_adjoint_loop, scharr_gradient_loop

SHAPES = [(100, 300), (300, 784), (1024, 1024), (4096, 4096)]


def best_time(fn, budget=1.0, max_repeat=50):
    """Minimum wall time of ``fn()`` over repeats that fit in about ``budget`` seconds."""
    fn()  # warm-up (JIT, caches, allocator)
    times = []
    start = time.perf_counter()
    while len(times) < max_repeat and (len(times) < 3 or time.perf_counter() - start < budget):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def scipy_value_and_grad(W):
    """H_C with scipy.signal: forward convolve2d, adjoint correlate2d (eq. D8-D10)."""
    g = [convolve2d(W, G, mode="same") for G in (G_X, G_Y)]
    E = sum(float(np.vdot(c, c)) for c in g) / 2
    S = float(np.abs(W).sum())
    KtKW = sum(correlate2d(c, G, mode="same") for c, G in zip(g, (G_X, G_Y)))
    return 0.5 * math.log(E) - math.log(S), KtKW / (2 * E) - np.sign(W) / S


def loop_value_and_grad(W):
    """The plain-loop twins, composed as in eq. D10 (for reading; very slow)."""
    g = scharr_gradient_loop(W)
    E = sum(float(np.vdot(c, c)) for c in g) / 2
    S = float(np.abs(W).sum())
    return 0.5 * math.log(E) - math.log(S), scharr_gradient_adjoint_loop(g) / (2 * E) - np.sign(W) / S


def torch_peer(dtype):
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        return None
    tdtype = {np.float64: torch.float64, np.float32: torch.float32}[dtype]
    kernels = torch.tensor(np.stack([G_X, G_Y])[:, None, ::-1, ::-1].copy(), dtype=tdtype)

    def make(W):
        Wt = torch.tensor(W, dtype=tdtype)

        def run():
            w = Wt.detach().requires_grad_(True)
            g = F.conv2d(w[None, None], kernels, padding=1)
            H = 0.5 * torch.log(0.5 * (g * g).sum()) - torch.log(w.abs().sum())
            H.backward()
            return H.item(), w.grad
        return run
    return f"torch {torch.__version__} autograd ({torch.get_num_threads()} threads)", make


def jax_peer(dtype):
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    K = np.stack([G_X, G_Y])[:, None, ::-1, ::-1].astype(dtype)

    def H(w):
        g = jax.lax.conv_general_dilated(w[None, None], K, (1, 1), "SAME")
        return 0.5 * jnp.log(0.5 * jnp.sum(g * g)) - jnp.log(jnp.sum(jnp.abs(w)))
    vg = jax.jit(jax.value_and_grad(H))

    def make(W):
        Wj = jnp.asarray(W, dtype=dtype)

        def run():
            v, g = vg(Wj)
            g.block_until_ready()
            return v, g
        return run
    return f"jax {jax.__version__} jit(value_and_grad)", make


def peak_extra_memory(fn, W):
    """Peak traced allocation during ``fn(W)`` as a multiple of ``W.nbytes``."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    fn(W)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return (peak - base) / W.nbytes


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip 4096x4096 (smoke run)")
    args = parser.parse_args()
    shapes = SHAPES[:3] if args.quick else SHAPES
    print(f"numpy {np.__version__}, {os.cpu_count()} cpus; times are min over repeats, in ms")
    rng = np.random.default_rng(0)
    for dtype in (np.float64, np.float32):
        peers = [p for p in (torch_peer(dtype), jax_peer(dtype)) if p is not None]
        print(f"\n## {np.dtype(dtype).name}\n")
        head = ["shape", "ours", "loop", "scipy", *[name.split()[0] for name, _ in peers],
                "abs-sum floor", "ours/floor", *[f"{name.split()[0]}/ours" for name, _ in peers],
                "ours/fastest peer", "peak mem / W.nbytes"]
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for shape in shapes:
            W = rng.standard_normal(shape).astype(dtype)
            budget = 2.0 if W.size > 4e6 else 1.0
            t_ours = best_time(lambda: configuration_entropy_grad(W), budget)
            t_loop = (best_time(lambda: loop_value_and_grad(W), 0, 1)
                      if W.size <= 100 * 300 else None)
            t_scipy = best_time(lambda: scipy_value_and_grad(W), budget, 10)
            t_peers = [best_time(make(W), budget) for _, make in peers]
            t_floor = best_time(lambda: np.abs(W).sum(), budget)
            mem = peak_extra_memory(configuration_entropy_grad, W)
            fastest = min([t_scipy, *t_peers])

            def ms(t):
                return "—" if t is None else f"{t * 1e3:.3g}"
            row = [f"{shape[0]}x{shape[1]}", ms(t_ours), ms(t_loop), ms(t_scipy),
                   *[ms(t) for t in t_peers], ms(t_floor), f"{t_ours / t_floor:.1f}",
                   *[f"{t / t_ours:.2f}" for t in t_peers], f"{t_ours / fastest:.2f}", f"{mem:.2f}"]
            print("| " + " | ".join(row) + " |", flush=True)
    print("\nreference path (readable, composes scharr_gradient + adjoint) for comparison, 300x784 f64: "
          f"{best_time(lambda: configuration_entropy_grad_reference(rng.standard_normal((300, 784)))) * 1e3:.3g} ms")


if __name__ == "__main__":
    main()
