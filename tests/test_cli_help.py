"""The help texts of the command-line interface."""

import pytest

from entropy_ref.cli import main


@pytest.mark.parametrize("command", ["train", "prune-curve", "verify", "reproduce"])
def test_help_texts_show_single_percent_signs(command, capsys):
    # argparse %-formats a description only when it contains '%(prog)': '98%%' was printed as is
    with pytest.raises(SystemExit):
        main([command, "--help"])
    assert "%%" not in capsys.readouterr().out


def test_reproduce_help_says_where_each_mode_specific_option_applies():
    """Study options name their study, protocol-only ones say so (the command refuses them
    elsewhere: tests/test_options_refused.py)."""
    import argparse

    from entropy_ref.cli.reproduce import STUDY_FIELDS, add_parser

    parser = argparse.ArgumentParser()
    actions = {a.dest: a for a in add_parser(parser.add_subparsers())._actions}
    for field in STUDY_FIELDS:
        assert "study " in actions[field].help, (field, actions[field].help)
    for field in ("methods", "lambda_sweep"):
        assert "paper protocol only" in actions[field].help
    assert "with --lambda-sweep" in actions["sweep_epochs"].help
