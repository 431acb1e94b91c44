# Figure 1 of the paper: two matrices with identical L_p norms (L0, L1, L2, ...) but different H_C.
"""Build W_D (1024 ones anywhere in 256x256) and W_S (the same ones confined to the central 64x64)
and print their L0/L1/L2 norms and configuration entropy H_C; with ``--out DIR``, also write the
figure in the style of the paper's Figure 1 as ``DIR/figure1.png`` and ``DIR/figure1.pdf``.

Usage: python examples/figure1_lp_blindness.py [--out DIR] [--seed N]
"""

import argparse
from pathlib import Path

import numpy as np

from entropy_ref import configuration_entropy
from entropy_ref.figures import figure1
from paper_matrices import figure1_matrices


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None,
                        help="directory for figure1.png and figure1.pdf (default: no figure)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    W_D, W_S = figure1_matrices(seed=args.seed)
    print(f"{'':6}{'L0':>8}{'L1':>8}{'L2':>8}{'H_C (nats)':>12}{'H_C (bits)':>12}")
    for name, W in (("W_D", W_D), ("W_S", W_S)):
        flat = W.ravel()
        print(f"{name:6}{np.count_nonzero(flat):8d}{np.linalg.norm(flat, 1):8.0f}"
              f"{np.linalg.norm(flat, 2):8.1f}{configuration_entropy(W):12.4f}"
              f"{configuration_entropy(W, unit='bits'):12.4f}")
    print("Same L_p norms for every p; H_C(W_S) < H_C(W_D): "
          f"{configuration_entropy(W_S) < configuration_entropy(W_D)}")

    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        for path in figure1(W_D, W_S, args.out / "figure1"):
            print(f"saved {path}")


if __name__ == "__main__":
    main()
