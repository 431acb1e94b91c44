"""Time of ``entropy_ref.verify.check`` on a correct port: the golden set plus the property checks.

Run: ``python benchmarks/bench_verify.py [--repeats N]``. Prints, for both profiles, the best wall
time of ``check(configuration_entropy_grad)`` over ``N`` runs, split into the golden cases
(``properties=False``) and the whole check (golden cases + property checks), and the number of
cases and property checks; when PyTorch is importable, the same for a float64 PyTorch autograd
port (``F.conv2d``, matrices and batches). Target: the whole check under 2 s on a correct port.
"""

from __future__ import annotations

import argparse
import time

from entropy_ref import configuration_entropy_grad, golden
from entropy_ref.verify import Unsupported, check

TARGET_SECONDS = 2.0


def best_time(fn, repeats: int) -> float:
    """Minimum wall time of ``fn()`` over ``repeats`` runs after one warm-up."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def torch_port():
    """A correct PyTorch port (conv2d over the last two axes, autograd), or None without torch."""
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        return None

    gx = torch.tensor([[3.0, 0.0, -3.0], [10.0, 0.0, -10.0], [3.0, 0.0, -3.0]],
                      dtype=torch.float64) / 32

    def port(W, axes):
        if sorted(a % W.ndim for a in axes) != [W.ndim - 2, W.ndim - 1]:
            raise Unsupported("last two axes only")
        w = torch.tensor(W, requires_grad=True)
        kernels = torch.stack([gx, gx.T]).to(w.dtype).flip(-1, -2)[:, None]
        g = F.conv2d(w.reshape(-1, 1, *W.shape[-2:]), kernels, padding=1)
        H = 0.5 * torch.log(0.5 * (g * g).sum()) - torch.log(w.abs().sum())
        H.backward()
        return H, w.grad
    return port


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    gs = golden.load()
    print(f"golden v{gs.version}: {len(gs)} cases")
    print(f"{'port':11s} {'profile':8s}  {'golden only':>11s}  {'golden + properties':>19s}  properties  target")
    ports = [("entropy_ref", configuration_entropy_grad)]
    if (port := torch_port()) is not None:
        ports.append(("PyTorch", port))
    for label, fn in ports:
        for profile in ("float64", "float32"):
            golden_only = best_time(lambda: check(fn, profile=profile, properties=False),
                                    args.repeats)
            full = best_time(lambda: check(fn, profile=profile), args.repeats)
            n_props = len(check(fn, profile=profile).properties)
            verdict = "ok" if full < TARGET_SECONDS else "MISSED"
            print(f"{label:11s} {profile:8s}  {golden_only:10.3f}s  {full:18.3f}s  {n_props:10d}  "
                  f"< {TARGET_SECONDS:g} s {verdict}")


if __name__ == "__main__":
    main()
