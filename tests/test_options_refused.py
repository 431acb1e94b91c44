"""Every option ``entropy-ref reproduce`` accepts has an effect: unknown or repeated names, targets
that are no accuracy and options the chosen mode would ignore are refused with one line naming the
option (exit 2, before any data is read). ``ReproSettings`` and ``StudySettings`` refuse the same
values."""

from __future__ import annotations

import pytest

from entropy_ref.reproduce import PRESETS, ReproSettings
from entropy_ref.reproduce.studies import STUDY_PRESETS, StudySettings, parse_studies
from helpers import cli_error_line


def _refused(capsys, tmp_path, *args):
    """The error line of ``reproduce --preset tiny ARGS`` (MNIST is nowhere: a refusal must come
    first, or the line would say that the data was not found)."""
    line = cli_error_line(capsys, ["reproduce", "--out", str(tmp_path / "out"), "--preset", "tiny",
                                   "--data-dir", str(tmp_path / "no-mnist"), *args], "reproduce")
    assert "MNIST data not found" not in line
    assert not (tmp_path / "out").exists()
    return line


@pytest.mark.parametrize("args, message", [
    (["--methods", "none,none"], "--methods: methods names the method 'none' twice"),
    (["--methods", "none,foo"], "--methods: unknown method 'foo' in methods; choose from none,"),
    (["--methods", "none,,l1"], "--methods: unknown method ''"),
    (["--select-target", "nan"], "--select-target: select_target must be an accuracy in (0, 1], "
                                 "got nan"),
    (["--select-target", "inf"], "--select-target: select_target must be an accuracy"),
    (["--select-target", "0"], "--select-target: select_target must be an accuracy"),
    (["--select-target", "-0.5"], "--select-target: select_target must be an accuracy"),
    (["--select-target", "1.5"], "--select-target: select_target must be an accuracy"),
    (["--select-val-size", "0"], "--select-val-size: select_val_size must be an integer >= 1"),
    (["--select-epochs", "0"], "--select-epochs: select_epochs must be an integer >= 1"),
    (["--sweep-epochs", "-1", "--lambda-sweep"], "--sweep-epochs: sweep_epochs must be"),
    (["--seeds", "0"], "--seeds: seeds must be an integer >= 1"),
    (["--epochs", "0"], "--epochs: epochs must be an integer >= 1"),
    (["--train-subset", "0"], "--train-subset: train_subset must be an integer >= 1"),
    (["--hidden", "0"], "--hidden: hidden must be a sequence of integer widths >= 1"),
    (["--step", "nan"], "--step: step must be a percentage in (0, 100], got nan"),
    (["--step", "0.3"], "--step: step must divide 100"),
])
def test_bad_values_name_the_option(capsys, tmp_path, args, message):
    assert message in _refused(capsys, tmp_path, *args)


@pytest.mark.parametrize("args, message", [
    # study options without --study (the paper protocol ignores them)
    (["--long-methods", "foo"], "--long-methods applies only to --study long; without --study"),
    (["--long-epochs", "30"], "--long-epochs applies only to --study long"),
    (["--long-max", "1"], "--long-max applies only to --study long"),
    (["--long-seeds", "1"], "--long-seeds applies only to --study long"),
    (["--finetune-epochs", "2"], "--finetune-epochs applies only to --study finetune"),
    (["--ablation-seeds", "1"], "--ablation-seeds applies only to --study ablation"),
    (["--layout-seeds", "1"], "--layout-seeds applies only to --study layout"),
    (["--layout-no-select"], "--layout-no-select applies only to --study layout"),
    # the sweep's option without the sweep
    (["--sweep-epochs", "2"], "--sweep-epochs applies only with --lambda-sweep"),
    # selection options when no method has its lambda chosen on validation
    (["--methods", "none,sparsity", "--select-target", "0.9"],
     "--select-target applies only to the lambda selection of l1 and hoyer, which --methods "
     "does not include"),
    (["--methods", "entropy", "--select-epochs", "2"], "--select-epochs applies only to"),
    (["--methods", "none", "--select-val-size", "50"], "--select-val-size applies only to"),
    # protocol options with --study
    (["--study", "fair", "--methods", "none"], "--methods applies only to the paper protocol, "
                                               "not with --study"),
    (["--study", "fair", "--lambda-sweep"], "--lambda-sweep applies only to the paper protocol"),
    (["--study", "all", "--sweep-epochs", "2"], "--sweep-epochs applies only to the paper "
                                                "protocol"),
    # study options whose study is not run
    (["--study", "fair", "--long-epochs", "9"], "--long-epochs applies only to --study long, "
                                                "which this command does not run (fair)"),
    (["--study", "ablation", "--finetune-epochs", "1"], "--finetune-epochs applies only to "
                                                        "--study finetune"),
    (["--study", "long", "--layout-no-select"], "--layout-no-select applies only to --study "
                                                "layout"),
    (["--study", "fair", "--long-methods", "l1"], "--long-methods: long_methods applies only to "
                                                  "the study long"),
    (["--study", "finetune", "--ablation-seeds", "1"], "--ablation-seeds: ablation_seeds applies "
                                                       "only to the study ablation"),
    # options that contradict each other or the protocol
    (["--study", "long", "--long-methods", "l1", "--long-max", "1"],
     "--long-max has no effect with --long-methods"),
    (["--study", "long", "--long-methods", "foo"], "--long-methods: unknown method 'foo' in "
                                                   "long_methods; choose from sparsity,"),
    (["--study", "long", "--long-methods", "l1,l1"], "--long-methods: long_methods names the "
                                                     "method 'l1' twice"),
    (["--study", "long", "--long-epochs", "3"], "--long-epochs: long_epochs = 3 must exceed the "
                                                "protocol's epochs = 3"),
    (["--study", "long", "--long-seeds", "2"], "--long-seeds: long_seeds = 2 exceeds the "
                                               "protocol's seeds = 1"),
    (["--study", "fair", "--select-target", "nan"], "--select-target: select_target must be an "
                                                    "accuracy"),
])
def test_options_the_mode_would_ignore_are_refused(capsys, tmp_path, args, message):
    assert message in _refused(capsys, tmp_path, *args)


@pytest.mark.parametrize("args, message", [
    (["--study", "fair,fair"], "argument --study: study 'fair' is named twice"),
    (["--quick", "--preset", "tiny"], "argument --preset: not allowed with argument --quick"),
    (["--methods", "none,"], None),
])
def test_argparse_level_refusals(capsys, tmp_path, args, message):
    from entropy_ref.cli import main

    if message is None:                      # an empty name is a settings error, not argparse's
        assert "unknown method ''" in _refused(capsys, tmp_path, *args)
        return
    with pytest.raises(SystemExit) as exc:
        main(["reproduce", "--out", str(tmp_path / "out"), *args])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_select_target_reaches_the_protocol_selection(tmp_path):
    from entropy_ref.cli.reproduce import add_parser, settings_from_args, study_from_args
    import argparse

    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    args = parser.parse_args(["reproduce", "--out", str(tmp_path), "--select-target", "0.9"])
    assert settings_from_args(args).select_target == 0.9
    args = parser.parse_args(["reproduce", "--out", str(tmp_path), "--select-target", "0.9",
                              "--study", "fair"])
    settings = settings_from_args(args)
    assert settings.select_target == 0.96                          # the protocol's own
    assert study_from_args(args, settings).select_target == 0.9    # the studies'


# ---------------------------------------------------------------- the library refuses the same

@pytest.mark.parametrize("kwargs, message", [
    ({"methods": ("none", "none")}, "methods names the method 'none' twice"),
    ({"methods": "none"}, "methods must be a list of methods"),
    ({"methods": ()}, "methods needs at least one method"),
    ({"methods": ("foo",)}, "unknown method 'foo'"),
    ({"select_target": float("nan")}, "select_target must be an accuracy in (0, 1]"),
    ({"select_target": 0}, "select_target must be an accuracy"),
    ({"select_target": True}, "select_target must be an accuracy"),
    ({"targets": (0.9, 0.9)}, "targets holds 0.9 twice"),
    ({"targets": (0.9, float("nan"))}, "targets must be a list of accuracies"),
    ({"targets": ()}, "targets must be a non-empty list"),
    ({"step": True}, "step must be a number"), ({"step": "1"}, "step must be a number"),
    ({"seeds": True}, "seeds must be an integer >= 1"),
    ({"hidden": (True,)}, "hidden must be a sequence"), ({"lr": "1e-3"}, "lr must be"),
    ({"dtype": "float16"}, "dtype must be one of"),
    ({"select_val_size": 0}, "select_val_size must be an integer >= 1"),
    ({"train_subset": True}, "train_subset must be"), ({"out": ""}, "out must name a directory"),
    ({"out": 5}, "out must be a path"), ({"preset": "huge"}, "preset must be one of"),
    ({"data_dir": 3}, "data_dir must be a path"),
    ({"select_grid": (("l2", (1.0,)),)}, "select_grid: unknown regularizer 'l2'"),
    ({"select_grid": (("l1", (1.0,)), ("l1", (2.0,)))}, "select_grid has two grids for 'l1'"),
    ({"select_grid": (("l1", (1e-4, 1e-4)),)}, "select_grid['l1'] holds 0.0001 twice"),
    ({"select_grid": (("l1", (float("inf"),)),)}, "select_grid['l1'] must be a list of lambdas"),
    ({"sweep_grid": (0.0,)}, "sweep_grid must be a list of lambdas > 0"),
    ({"lambda_sweep": "yes"}, "lambda_sweep must be true or false"),
    ({"sensitivity_data": ["train"]}, "sensitivity_data must be one of"),
])
def test_repro_settings_refuse(kwargs, message):
    with pytest.raises(ValueError) as exc:
        ReproSettings(**{"out": "x", **kwargs})
    assert message in str(exc.value)


@pytest.mark.parametrize("kwargs, message", [
    ({"long_methods": ("foo",)}, "unknown method 'foo' in long_methods"),
    ({"long_methods": ("l1", "l1")}, "long_methods names the method 'l1' twice"),
    ({"long_methods": "l1"}, "long_methods must be a list"),
    ({"studies": ("fair",), "long_methods": ("l1",)}, "long_methods applies only to the study "
                                                      "long"),
    ({"studies": ("fair",), "long_seeds": 1}, "long_seeds applies only to the study long"),
    ({"studies": ("long",), "ablation_seeds": 1}, "ablation_seeds applies only to the study "
                                                  "ablation"),
    ({"studies": ("fair",), "layout_seeds": 1}, "layout_seeds applies only to the study layout"),
    ({"studies": ("long",), "long_methods": ("sparsity (λ=1)",)}, "unknown method"),
    ({"studies": ("fair", "fair")}, "studies names the study 'fair' twice"),
    ({"studies": ()}, "studies needs at least one study"),
    ({"select_target": float("nan")}, "select_target must be an accuracy"),
    ({"select_step": 0.3}, "select_step must divide 100"),
    ({"ablation_lam": float("nan")}, "ablation_lam must be a finite number > 0"),
    ({"finetune_levels": (50.0, 50.0)}, "finetune_levels holds 50 twice"),
    ({"finetune_levels": (100.0,)}, "finetune_levels must be a list of percentages"),
    ({"finetune_epochs": True}, "finetune_epochs must be an integer >= 1"),
    ({"layout_select": "no"}, "layout_select must be true or false"),
    ({"layout_reg": "none"}, "layout_reg must be one of the methods of fair_grid"),
    ({"layout_field": "colour"}, "layout_field must be a TrainConfig field"),
    ({"fair_grid": (("sparsity", ()),)}, "fair_grid['sparsity'] must be a non-empty list"),
    ({"long_climb": float("nan")}, "long_climb must be a finite number"),
])
def test_study_settings_refuse(kwargs, message):
    with pytest.raises(ValueError) as exc:
        StudySettings(**kwargs)
    assert message in str(exc.value)


def test_study_settings_accept_the_ablation_rows_as_long_methods_when_it_runs():
    st = StudySettings(studies=("ablation", "long"), long_methods=("sparsity (λ=1)", "l1"))
    assert st.long_methods == ("sparsity (λ=1)", "l1")


def test_study_settings_against_the_protocol():
    protocol = ReproSettings(out="x", **PRESETS["tiny"])
    StudySettings(**STUDY_PRESETS["tiny"]).check_protocol(protocol)
    with pytest.raises(ValueError, match="long_epochs = 3 must exceed the protocol's epochs = 3"):
        StudySettings(long_epochs=3).check_protocol(protocol)
    with pytest.raises(ValueError, match="long_seeds = 2 exceeds the protocol's seeds = 1"):
        StudySettings(long_seeds=2, long_epochs=9).check_protocol(protocol)
    StudySettings(studies=("fair",), long_epochs=1).check_protocol(protocol)   # long not run


def test_every_preset_is_valid():
    for name, overrides in PRESETS.items():
        ReproSettings(out="x", preset=name, **overrides)
    for overrides in STUDY_PRESETS.values():
        StudySettings(**overrides)


def test_parse_studies_refuses_a_repeated_name():
    with pytest.raises(ValueError, match="study 'long' is named twice"):
        parse_studies("long,fair,long")
    assert parse_studies("long,all") == parse_studies("all")


@pytest.mark.parametrize("args, message", [
    (["--train-subset", "700"], "--train-subset: train_subset = 700 exceeds the 600 training "
                                "images of the data"),
    (["--train-subset", "600"], "--train-subset: train_subset = 600 exceeds the 500 training "
                                "images the lambda selection keeps after holding out "
                                "select_val_size = 100"),
    (["--select-val-size", "600"], "--select-val-size: select_val_size = 600 leaves no training "
                                   "images for the lambda selection (the data has 600)"),
    (["--study", "fair", "--train-subset", "550"], "--train-subset: train_subset = 550 exceeds "
                                                   "the 500 training images"),
])
def test_sizes_the_data_cannot_satisfy_are_refused_before_training(capsys, tmp_path,
                                                                   synthetic_mnist_dir, args,
                                                                   message):
    """Checked once MNIST is loaded, not when the first run that needs them starts."""
    line = cli_error_line(capsys, ["reproduce", "--out", str(tmp_path / "out"), "--preset", "tiny",
                                   "--data-dir", str(synthetic_mnist_dir), *args], "reproduce")
    assert message in line
    assert not (tmp_path / "out").exists()


def test_check_data_without_selection():
    settings = ReproSettings(out="x", train_subset=600, methods=("none",), **{
        k: v for k, v in PRESETS["tiny"].items()})
    settings.check_data(600, selection=False)
    with pytest.raises(ValueError, match="exceeds the 500 training images"):
        settings.check_data(600)


def test_every_option_is_a_setting_or_one_of_the_few_others():
    """A new option must say where it goes (and so which modes it applies to)."""
    import argparse

    from entropy_ref.cli.reproduce import (OTHER_OPTIONS, PROTOCOL_FIELDS, STUDY_FIELDS,
                                           add_parser)

    parser = argparse.ArgumentParser()
    sub = add_parser(parser.add_subparsers())
    dests = {a.dest for a in sub._actions}
    assert dests <= set(PROTOCOL_FIELDS) | set(STUDY_FIELDS) | set(OTHER_OPTIONS), dests
    assert not set(PROTOCOL_FIELDS) & set(STUDY_FIELDS)
