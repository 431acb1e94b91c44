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
import re

from ..data import load_mnist
from ..reproduce import PRESETS, ReproSettings, reproduce, variants_for
from ..reproduce.studies import (STUDIES, STUDY_PRESETS, StudySettings, parse_studies, resolve,
                                 run_studies)
from . import UserError, check_data_dir, check_download_target, check_out_dir

__all__ = ["add_parser", "run", "PROTOCOL_FIELDS", "STUDY_FIELDS", "OTHER_OPTIONS"]

NAME = "reproduce"


def _csv(kind):
    def parse(text):
        try:
            return tuple(kind(v.strip()) for v in text.split(","))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a comma-separated list, got {text!r}") from None
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
    preset = p.add_mutually_exclusive_group()
    preset.add_argument("--preset", choices=tuple(PRESETS), default="full",
                        help="full: the paper's setting (20 epochs, 3 seeds); quick: 2 epochs, 1 "
                        "seed, coarser sweeps (minutes); tiny: for tests on synthetic data "
                        "(default: full)")
    preset.add_argument("--quick", action="store_const", const="quick", dest="preset",
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
                   help="subset of: none,sparsity,sparsity-sum,entropy,entropy-sum,l1,hoyer "
                   "(paper protocol only)")
    p.add_argument("--step", type=float, help="pruning percentile step (full preset: 0.1)")
    p.add_argument("--sensitivity-data", choices=("train", "test"),
                   help="images the sensitivity gradient is averaged over (default: train)")
    p.add_argument("--select-epochs", type=int, metavar="N",
                   help="epochs of the lambda-selection runs (of l1 and hoyer in the paper "
                   "protocol, of every method in the studies)")
    p.add_argument("--select-val-size", type=int, metavar="N",
                   help="validation images held out for lambda selection")
    p.add_argument("--select-target", type=float, metavar="ACC",
                   help="validation accuracy the lambda selection targets (default: the "
                   "preset's, 0.96 for full)")
    p.add_argument("--lambda-sweep", action="store_true", default=None,
                   help="also sweep lambda for both signs (sparsity and entropy; paper protocol "
                   "only)")
    p.add_argument("--sweep-epochs", type=int, metavar="N",
                   help="epochs of the lambda-sweep runs (with --lambda-sweep)")
    p.add_argument("--jobs", type=int, default=1, metavar="N",
                   help="train independent runs in N worker processes; the numbers are the "
                   "same for every N (each process uses one BLAS thread; default: 1)")
    _add_study_options(p)
    p.set_defaults(run=run)
    return p


def _add_study_options(p):
    """The options of the studies (:class:`StudySettings` fields, :data:`STUDY_FIELDS`)."""
    p.add_argument("--study", type=_studies, metavar="S1,S2",
                   help="run studies beyond the paper instead, in this order whatever the order "
                   f"given: {', '.join(STUDIES)}, or all; writes OUT/studies.json, "
                   "OUT/studies.md and figures, reusing every finished run")
    p.add_argument("--finetune-epochs", type=int, metavar="N",
                   help="fine-tuning epochs (study finetune)")
    p.add_argument("--long-epochs", type=int, metavar="N",
                   help="epochs of the study long, more than --epochs (full: 60)")
    p.add_argument("--long-max", type=int, metavar="N",
                   help="at most N still-climbing methods in the study long (full: 2)")
    p.add_argument("--long-methods", type=_csv(str), metavar="M1,M2",
                   help="methods of the study long, from those of the study fair (default: the "
                   "best still-climbing ones, at most --long-max)")
    for name, what in (("ablation", "ablation rows (study ablation)"),
                       ("layout", "receptive-field variant (study layout)"),
                       ("long", "study long")):
        p.add_argument(f"--{name}-seeds", type=int, metavar="N",
                       help=f"seeds of the {what} (default: --seeds)")
    p.add_argument("--regime-iterative-methods", type=_csv(str), metavar="M1,M2",
                   help="methods whose models the study regime also prunes iteratively (none and "
                   "the methods of the study fair; default: all)")
    p.add_argument("--layout-no-select", dest="layout_select", action="store_false",
                   default=None, help="train the receptive-field variant (study layout) at the "
                   "lambda chosen for the matrix layout instead of choosing its own on the "
                   "validation split")


#: options that set ReproSettings fields, and StudySettings fields (``select_target`` goes to the
#: studies' settings with ``--study``, to the protocol's without)
PROTOCOL_FIELDS = ("seeds", "epochs", "data_dir", "train_subset", "hidden", "methods", "step",
                   "sensitivity_data", "select_epochs", "select_val_size", "select_target",
                   "lambda_sweep", "sweep_epochs")
STUDY_FIELDS = ("finetune_epochs", "long_epochs", "long_max", "long_methods", "ablation_seeds",
                "layout_seeds", "long_seeds", "layout_select", "regime_iterative_methods")
#: options that are no settings field, and apply in every mode
OTHER_OPTIONS = ("help", "out", "preset", "download", "study", "jobs")
#: study options -> the study they belong to
_STUDY_OF = {"finetune_epochs": "finetune", "long_epochs": "long", "long_max": "long",
             "long_methods": "long", "long_seeds": "long", "ablation_seeds": "ablation",
             "layout_seeds": "layout", "layout_select": "layout",
             "regime_iterative_methods": "regime"}
#: options of the paper protocol that no study uses
_PROTOCOL_ONLY = ("methods", "lambda_sweep", "sweep_epochs")
#: options of the lambda selection (paper protocol: of the methods whose lambda is not fixed)
_SELECTION = ("select_epochs", "select_val_size", "select_target")


def _option(field):
    """The command-line spelling of a settings field."""
    return "--layout-no-select" if field == "layout_select" else "--" + field.replace("_", "-")


def _studies(text):
    try:
        return parse_studies(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _given(args, names):
    return {f: getattr(args, f) for f in names if getattr(args, f, None) is not None}


def _user_error(exc, given):
    """A settings error as a :class:`UserError` naming the option that caused it (the given option
    whose field the message names first)."""
    text = str(exc)
    hits = [(m.start(), f) for f in given
            for m in [re.search(rf"(?<![\w-]){f}(?![\w-])", text)] if m]
    prefix = f"{_option(min(hits)[1])}: " if hits else ""
    return UserError(f"{prefix}{text} (see entropy-ref reproduce --help)")


def study_from_args(args, settings=None):
    """:class:`StudySettings` = the preset's, then the options given; checked against the
    protocol ``settings`` when given."""
    given = _given(args, STUDY_FIELDS)
    if "select_target" in _given(args, PROTOCOL_FIELDS):
        given["select_target"] = args.select_target
    try:
        study = StudySettings(**{**STUDY_PRESETS[args.preset], **given, "studies": args.study})
        if settings is not None:
            study.check_protocol(settings)
    except (ValueError, TypeError) as exc:
        raise _user_error(exc, {**given, **_given(args, PROTOCOL_FIELDS)}) from None
    return study


def settings_from_args(args):
    """:class:`ReproSettings` = defaults, then the preset, then the options given."""
    given = _given(args, PROTOCOL_FIELDS)
    if args.study:                      # the studies' own target, not the protocol's
        given.pop("select_target", None)
    try:
        return ReproSettings(**{"out": args.out, "preset": args.preset,
                                **PRESETS[args.preset], **given})
    except (ValueError, TypeError) as exc:
        raise _user_error(exc, given) from None


def refuse_unused(args, settings):
    """Refuse an option this command would ignore: study options without their study, protocol
    options with ``--study``, the sweep's without ``--lambda-sweep``, the selection's when no
    method has its lambda chosen, ``--long-max`` beside ``--long-methods``."""
    typed = set(_given(args, PROTOCOL_FIELDS + STUDY_FIELDS))
    if not args.study:
        study_only = sorted(typed & set(_STUDY_OF), key=STUDY_FIELDS.index)
        if study_only:
            f = study_only[0]
            raise UserError(f"{_option(f)} applies only to --study {_STUDY_OF[f]}; without "
                            "--study this command runs the paper protocol")
        if "sweep_epochs" in typed and not args.lambda_sweep:
            raise UserError("--sweep-epochs applies only with --lambda-sweep")
        chosen = [v.label for v in variants_for(1) if v.lam is None]
        unused = sorted(typed & set(_SELECTION), key=_SELECTION.index)
        if unused and not any(v.lam is None for v in settings.variants):
            raise UserError(f"{_option(unused[0])} applies only to the lambda selection of "
                            f"{' and '.join(chosen)}, which --methods does not include")
        return
    runs = {s.name for s in resolve(args.study)}
    protocol_only = sorted(typed & set(_PROTOCOL_ONLY), key=_PROTOCOL_ONLY.index)
    if protocol_only:
        raise UserError(f"{_option(protocol_only[0])} applies only to the paper protocol, not "
                        "with --study (the studies choose their own methods and runs)")
    for f in sorted(typed & set(_STUDY_OF), key=STUDY_FIELDS.index):
        if _STUDY_OF[f] not in runs:
            raise UserError(f"{_option(f)} applies only to --study {_STUDY_OF[f]}, which this "
                            f"command does not run ({', '.join(sorted(runs))})")
    if {"long_max", "long_methods"} <= typed:
        raise UserError("--long-max has no effect with --long-methods: it caps the methods the "
                        "study long picks by itself")


def run(args):
    """Check the paths, build the settings, run the pipeline, return 0."""
    args.out = str(check_out_dir(args.out))
    check_data_dir(args.data_dir)
    if args.download:
        check_download_target(args.data_dir)
    if args.jobs < 1:
        raise UserError(f"--jobs must be an integer >= 1 (worker processes), got {args.jobs}")
    settings = settings_from_args(args)
    study = study_from_args(args, settings) if args.study else None
    refuse_unused(args, settings)
    print("entropy-ref reproduce: settings")
    for key, value in dataclasses.asdict(settings).items():
        print(f"  {key:<17}= {value}")
    data = load_mnist(settings.data_dir, download=bool(args.download))
    selection = study is not None or any(v.lam is None for v in settings.variants)
    try:
        settings.check_data(len(data.train_images), selection)
    except ValueError as exc:
        raise _user_error(exc, _given(args, PROTOCOL_FIELDS)) from None
    if study is not None:
        for key, value in dataclasses.asdict(study).items():
            print(f"  {key:<17}= {value}")
        run_studies(settings, study, data=data, jobs=args.jobs)
        return 0
    reproduce(settings, data=data, jobs=args.jobs)
    return 0
