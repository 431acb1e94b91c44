"""How long ``entropy_ref.verify`` takes on correct ports, and how much of it is the kit's own work.

Run: ``python benchmarks/bench_verify.py [--repeats N] [--no-jax]``. Prints

* for the NumPy reference port (``configuration_entropy_grad``), both profiles: the best wall time
  of ``check(fn)`` (golden cases with their second inputs, then the property checks), the time
  spent inside ``fn``, the kit's own overhead (the difference; target: under 1 s) and that of the
  first run (which fills the kit's caches), with the number of calls;
* ``verify --fn`` on the same port: the supervised run (a child process imports the port and runs
  the check: ``entropy_ref.verify.supervise.check_supervised``) and the whole command
  (``python -m entropy_ref verify --fn ...``, which also builds the command line's parser);
* when PyTorch is importable, a float64 PyTorch autograd port, in this process;
* when JAX is importable (and without ``--no-jax``), the JAX port of ``examples/verify_jax.py``
  under ``verify --fn``: the wall time, the number of distinct (shape, dtype, axes) it is called
  with (a ``jax.jit`` port compiles once for each), and the same with ``--cases 'lenet300_*'
  --no-properties``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from entropy_ref import configuration_entropy_grad, golden
from entropy_ref.verify import Unsupported, check
from entropy_ref.verify.supervise import check_supervised

TARGET_SECONDS = 1.0
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def best_time(fn, repeats: int) -> float:
    """Minimum wall time of ``fn()`` over ``repeats`` runs after one warm-up."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


class Timed:
    """Wraps a port: counts its calls, the time spent in them and the shapes it saw."""

    def __init__(self, fn):
        self.fn, self.calls, self.seconds, self.shapes = fn, 0, 0.0, set()

    def __call__(self, W, axes):
        t0 = time.perf_counter()
        try:
            return self.fn(W, axes)
        finally:
            self.seconds += time.perf_counter() - t0
            self.calls += 1
            self.shapes.add((W.shape, str(W.dtype), tuple(axes)))


def overhead(fn, profile: str, repeats: int) -> tuple[float, Timed, float]:
    """``(total, the timed port, the first run's kit overhead)`` of the fastest of ``1 + repeats``
    checks (the first one fills the kit's caches: the profile's expectations, the second inputs)."""
    best, first = None, None
    for _ in range(repeats + 1):
        timed = Timed(fn)
        t0 = time.perf_counter()
        assert check(timed, profile=profile).ok
        total = time.perf_counter() - t0
        first = total - timed.seconds if first is None else first
        if best is None or total < best[0]:
            best = (total, timed)
    return best + (first,)


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


def jax_module(directory: Path) -> str | None:
    """Write the JAX port of examples/verify_jax.py (without its last line) as a module."""
    try:
        import jax  # noqa: F401
    except ImportError:
        return None
    source = (EXAMPLES / "verify_jax.py").read_text().split("\nfor profile in")[0]
    (directory / "jax_port.py").write_text(source.split("\nprint(")[0] + "\n")
    return "jax_port:my_h_c"


def command(args, cwd) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "entropy_ref", "verify", *args], cwd=cwd, check=False,
                   stdout=subprocess.DEVNULL, env=dict(os.environ, PYTHONPATH=os.pathsep.join(
                       p for p in sys.path if p)))
    return time.perf_counter() - t0


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-jax", action="store_true", help="skip the JAX port (about 30 s)")
    args = parser.parse_args(argv)
    gs = golden.load()
    print(f"golden v{gs.version}: {len(gs)} cases")
    ports = [("NumPy", configuration_entropy_grad)]
    if (port := torch_port()) is not None:
        ports.append(("PyTorch", port))
    print(f"{'port':8s} {'profile':8s} {'check':>8s} {'in fn':>8s} {'kit':>8s} {'kit 1st':>8s} "
          f"{'calls':>6s}  target")
    shapes = set()
    for label, fn in ports:
        for profile in ("float64", "float32"):
            total, timed, first = overhead(fn, profile, args.repeats)
            inside = timed.seconds
            shapes |= {(profile, s) for s in timed.shapes} if label == "NumPy" else set()
            verdict = "ok" if max(first, total - inside) < TARGET_SECONDS else "MISSED"
            print(f"{label:8s} {profile:8s} {total:7.3f}s {inside:7.3f}s {total - inside:7.3f}s "
                  f"{first:7.3f}s {timed.calls:6d}  kit < {TARGET_SECONDS:g} s {verdict}")
    spec = "entropy_ref:configuration_entropy_grad"
    supervised = best_time(lambda: check_supervised(spec), args.repeats)
    print(f"verify --fn {spec}: supervised run {supervised:.2f} s (child process included), "
          f"whole command {command(['--fn', spec], os.getcwd()):.2f} s (with the CLI's start-up)")
    if args.no_jax:
        return
    with tempfile.TemporaryDirectory() as tmp:
        jax_spec = jax_module(Path(tmp))
        if jax_spec is None:
            print("JAX not importable: no JAX timing")
            return
        n64 = sum(p == "float64" for p, _ in shapes)
        full = command(["--fn", jax_spec], tmp)
        quick = command(["--fn", jax_spec, "--cases", "lenet300_*", "--no-properties"], tmp)
        print(f"JAX port (examples/verify_jax.py) under verify --fn: {full:.1f} s for {n64} "
              f"distinct (shape, dtype, axes) calls, one jit compilation each; --cases "
              f"'lenet300_*' --no-properties: {quick:.1f} s")


if __name__ == "__main__":
    main()
