"""``entropy-ref train``: train LeNet300 on MNIST with a regularizer (see :mod:`entropy_ref.train`).

Examples::

    entropy-ref train --reg none --out runs/dense
    entropy-ref train --reg sparsity --out runs/sparse --data-dir ~/mnist
    entropy-ref train --reg sparsity --lam 1,1,0.5 --epochs 5 --out runs/x
    entropy-ref train --out runs/sparse --resume        # continue after Ctrl-C or for more epochs
"""

from __future__ import annotations

import argparse
import dataclasses

from ..errors import CorruptFileError
from ..regularizers import names
from ..train import TrainConfig, train
from ..train.config import DTYPES
from ..train.runio import load_config
from . import UserError, check_data_dir, check_download_target, check_out_dir

__all__ = ["add_parser", "run"]

NAME = "train"
_DEFAULTS = TrainConfig()  # for the --help texts


def _lam(text):
    """``"1.0"`` -> 1.0; ``"1,1,0.5"`` -> (1.0, 1.0, 0.5)."""
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number or a comma-separated list of numbers, got {text!r}") from None
    return values[0] if len(values) == 1 else tuple(values)


def _widths(text):
    """``"300,100"`` -> (300, 100)."""
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers like 300,100, got {text!r}") from None


def add_parser(subparsers):
    """Register ``train`` and its options.

    Configuration options default to ``None`` ("not given") so that ``--resume`` can tell what
    was typed; the printed defaults are :class:`TrainConfig`'s.
    """
    d = _DEFAULTS
    p = subparsers.add_parser(
        NAME, help="train LeNet300 on MNIST with a regularizer",
        description="Train the 784-300-100-10 ReLU MLP on MNIST with Adam (the paper's section 5 "
        "setting) plus a weight penalty. Prints the full configuration, one line per epoch, and "
        "writes RUN_DIR/config.json, history.json and model.npz (after every epoch, atomically).")
    p.add_argument("--reg", metavar="{" + ",".join(names()) + "}",
                   help=f"penalty added to the cross-entropy; sparsity is the paper's "
                   f"l_C = -H_C (default: {d.reg})")
    p.add_argument("--lam", type=_lam,
                   help=f"penalty weight: one number, or one per weight matrix as a comma list "
                   f"(default: {d.lam})")
    p.add_argument("--epochs", type=int,
                   help=f"passes over the training set (default: {d.epochs})")
    p.add_argument("--batch-size", type=int, help=f"mini-batch size (default: {d.batch_size})")
    p.add_argument("--lr", type=float, help=f"Adam learning rate (default: {d.lr})")
    p.add_argument("--seed", type=int,
                   help=f"initialisation and shuffling seed (default: {d.seed})")
    p.add_argument("--dtype", metavar="{" + ",".join(DTYPES) + "}",
                   help=f"floating type for training (default: {d.dtype})")
    p.add_argument("--data-dir", metavar="DIR",
                   help="directory with the four MNIST IDX files (default: $ENTROPY_REF_DATA, "
                   "then the user cache)")
    p.add_argument("--out", required=True, metavar="RUN_DIR", help="run directory to write")
    p.add_argument("--train-subset", type=int, metavar="N",
                   help="train on the first N training images only (default: all)")
    p.add_argument("--val-size", type=int, metavar="N",
                   help=f"hold out the last N training images for validation "
                   f"(default: {d.val_size})")
    p.add_argument("--hidden", type=_widths, metavar="W1,W2,...",
                   help=f"hidden layer widths (default: {','.join(map(str, d.hidden))})")
    p.add_argument("--layout", metavar="{matrix,receptive}",
                   help="where the Scharr operator of sparsity/entropy/rayleigh runs: matrix (each "
                   "weight matrix as one image, the paper) or receptive (the first layer's rows "
                   "as 28x28 receptive fields, axes (1, 2)); or one name per weight matrix as a "
                   f"comma list (default: {d.layout})")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in RUN_DIR from its last completed epoch (bit-identical "
                   "to an uninterrupted run); options not given are taken from "
                   "RUN_DIR/config.json, and only --epochs and --data-dir may differ from it")
    p.add_argument("--download", action="store_true", default=None,
                   help="download MNIST if it is not found")
    p.set_defaults(run=run)
    return p


def _config(args):
    """The TrainConfig of the command line: the options given, over the run directory's saved
    configuration when resuming, over the defaults."""
    given = {f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig)
             if getattr(args, f.name, None) is not None}
    base = {}
    if args.resume:
        try:
            base = load_config(args.out).to_dict()
        except FileNotFoundError:
            base = {}
    merged = {**base, **given}
    return TrainConfig(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in merged.items()})


def run(args):
    """Check the paths, build the configuration, train, return 0."""
    args.out = str(check_out_dir(args.out))         # '~' expanded: written where checked
    check_data_dir(args.data_dir)
    try:
        config = _config(args)
    except CorruptFileError:
        raise
    except ValueError as exc:
        raise UserError(f"{exc} (see entropy-ref train --help)") from None
    if args.data_dir is None:
        check_data_dir(config.data_dir, f"data_dir (from {args.out}/config.json)")
    if config.download:
        check_download_target(config.data_dir)
    train(config, resume=args.resume)
    return 0

