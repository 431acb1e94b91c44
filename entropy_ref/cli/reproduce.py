"""``entropy-ref reproduce``: the paper's experiment end to end (see :mod:`entropy_ref.reproduce`).

Examples::

    entropy-ref reproduce --out repro --quick             # a few minutes: 2 epochs, 1 seed
    entropy-ref reproduce --out repro                     # the paper's setting: 20 epochs, 3 seeds
    entropy-ref reproduce --out repro --lambda-sweep      # plus the sign / lambda sweep
    entropy-ref reproduce --out repro --study all         # the studies beyond the paper
    entropy-ref reproduce --out repro --study fair,ablation --quick
"""

from __future__ import annotations

import argparse
import dataclasses

from ..reproduce import PRESETS, ReproSettings, reproduce
from ..reproduce.studies import STUDIES, STUDY_PRESETS, StudySettings, parse_studies, run_studies
from . import UserError, check_data_dir, check_download_target, check_out_dir

__all__ = ["add_parser", "run"]

NAME = "reproduce"


def _csv(kind):
    def parse(text):
        try:
            return tuple(kind(v) for v in text.split(","))
        except ValueError:
            raise ValueError(f"expected a comma-separated list, got {text!r}") from None
    return parse


def add_parser(subparsers):
    """Register ``reproduce`` and its options."""
    p = subparsers.add_parser(
        NAME, help="reproduce the paper's experiment: train, prune, tabulate, plot",
        description="Train LeNet300 on MNIST densely (none), with the paper's sparsity loss "
        "(+l_C, at lambda 1 and at the batch-sum reading 1/batch), with the opposite sign "
        "(+H_C), and with L1 and DeepHoyer baselines (their lambda chosen on a validation split "
        "of the training set), for several seeds; compute every sensitivity-pruning curve; write "
        "OUT/results.json, OUT/results.md and OUT/figures/, and print the table. Finished runs "
        "and curves in OUT are reused, interrupted ones resumed: re-run the same command to "
        "continue.")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.add_argument("--preset", choices=tuple(PRESETS), default="full",
                   help="full: the paper's setting (20 epochs, 3 seeds); quick: 2 epochs, 1 "
                   "seed, coarser sweeps (minutes); tiny: for tests on synthetic data "
                   "(default: full)")
    p.add_argument("--quick", action="store_const", const="quick", dest="preset",
                   help="same as --preset quick")
    p.add_argument("--seeds", type=int, help="number of seeds (0..N-1)")
    p.add_argument("--epochs", type=int, help="training epochs of the compared models")
    p.add_argument("--data-dir", metavar="DIR", help="directory with the MNIST IDX files")
    p.add_argument("--download", action="store_true", help="download MNIST if not found")
    p.add_argument("--train-subset", type=int, metavar="N",
                   help="train on the first N training images only")
    p.add_argument("--hidden", type=_csv(int), metavar="W1,W2",
                   help="hidden widths (default 300,100: LeNet300)")
    p.add_argument("--methods", type=_csv(str), metavar="M1,M2",
                   help="subset of: none,sparsity,sparsity-sum,entropy,entropy-sum,l1,hoyer")
    p.add_argument("--step", type=float, help="pruning percentile step (full preset: 0.1)")
    p.add_argument("--sensitivity-data", choices=("train", "test"),
                   help="images the sensitivity gradient is averaged over (default: train)")
    p.add_argument("--select-epochs", type=int, help="epochs of the lambda-selection runs")
    p.add_argument("--select-val-size", type=int, metavar="N",
                   help="validation images held out for lambda selection")
    p.add_argument("--lambda-sweep", action="store_true", default=None,
                   help="also sweep lambda for both signs (sparsity and entropy)")
    p.add_argument("--sweep-epochs", type=int, help="epochs of the lambda-sweep runs")
    _add_study_options(p)
    p.set_defaults(run=run)
    return p


def _add_study_options(p):
    """The options of ``--study`` (:class:`StudySettings` fields, :data:`_STUDY_FIELDS`)."""
    p.add_argument("--study", type=_studies, metavar="S1,S2",
                   help="run studies beyond the paper instead, in this order whatever the order "
                   f"given: {', '.join(STUDIES)}, or all; writes OUT/studies.json, "
                   "OUT/studies.md and figures, reusing every finished run")
    p.add_argument("--select-target", type=float, metavar="ACC",
                   help="validation accuracy the studies' lambda selection targets (default 0.96)")
    p.add_argument("--finetune-epochs", type=int, help="fine-tuning epochs (study finetune)")
    p.add_argument("--long-epochs", type=int, help="epochs of the study long (full: 60)")
    p.add_argument("--long-max", type=int, metavar="N",
                   help="at most N still-climbing methods in the study long (full: 2)")
    p.add_argument("--long-methods", type=_csv(str), metavar="M1,M2",
                   help="methods of the study long (default: the best still-climbing ones)")
    for name, what in (("ablation", "ablation rows"), ("layout", "receptive-field variant"),
                       ("long", "study long")):
        p.add_argument(f"--{name}-seeds", type=int, metavar="N",
                       help=f"seeds of the {what} (default: --seeds)")
    p.add_argument("--layout-no-select", dest="layout_select", action="store_false",
                   default=None, help="train the receptive-field variant at the lambda chosen "
                   "for the matrix layout instead of choosing its own on the validation split")


#: options that set ReproSettings fields, and StudySettings fields
_FIELDS = ("seeds", "epochs", "data_dir", "train_subset", "hidden", "methods", "step",
           "sensitivity_data", "select_epochs", "select_val_size", "lambda_sweep", "sweep_epochs")
_STUDY_FIELDS = ("finetune_epochs", "long_epochs", "long_max", "select_target", "long_methods",
                 "ablation_seeds", "layout_seeds", "long_seeds", "layout_select")


def _studies(text):
    try:
        return parse_studies(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def study_from_args(args):
    """:class:`StudySettings` = the preset's, then the options given."""
    given = {f: getattr(args, f) for f in _STUDY_FIELDS if getattr(args, f, None) is not None}
    try:
        return StudySettings(**{**STUDY_PRESETS[args.preset], **given, "studies": args.study})
    except (ValueError, TypeError) as exc:
        raise UserError(f"{exc} (see entropy-ref reproduce --help)") from None


def settings_from_args(args):
    """:class:`ReproSettings` = defaults, then the preset, then the options given."""
    given = {f: getattr(args, f) for f in _FIELDS if getattr(args, f, None) is not None}
    try:
        return ReproSettings(**{"out": args.out, "preset": args.preset,
                                **PRESETS[args.preset], **given})
    except (ValueError, TypeError) as exc:
        raise UserError(f"{exc} (see entropy-ref reproduce --help)") from None


def run(args):
    """Check the paths, build the settings, run the pipeline, return 0."""
    check_out_dir(args.out)
    check_data_dir(args.data_dir)
    if args.download:
        check_download_target(args.data_dir)
    settings = settings_from_args(args)
    print("entropy-ref reproduce: settings")
    for key, value in dataclasses.asdict(settings).items():
        print(f"  {key:<17}= {value}")
    data = None
    if args.download:
        from ..data import load_mnist
        data = load_mnist(settings.data_dir, download=True)
    if args.study:
        study = study_from_args(args)
        for key, value in dataclasses.asdict(study).items():
            print(f"  {key:<17}= {value}")
        run_studies(settings, study, data=data)
        return 0
    reproduce(settings, data=data)
    return 0
