"""The help texts of the command-line interface, and what starting a command imports."""

import subprocess
import sys

import pytest

from entropy_ref.cli import COMMANDS, build_parser, commands_for, main
from helpers import repo_env


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


#: what a command that needs none of them must not import while it starts
HEAVY = ("entropy_ref.reproduce", "entropy_ref.train", "entropy_ref.prune", "matplotlib",
         "scipy.stats")


@pytest.mark.parametrize("argv", [["--version"], ["verify", "--help"]])
def test_version_and_verify_start_without_the_other_commands_modules(argv):
    code = ("import sys\nfrom entropy_ref.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            f"print(sorted(m for m in sys.modules if m.startswith({HEAVY!r})))\n")
    out = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True,
                         env=repo_env(), check=True).stdout
    assert out.strip().splitlines()[-1] == "[]", out


def test_the_top_level_help_lists_every_command_with_its_summary(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    full = build_parser().format_help()
    assert out == full and all(name in out for name in COMMANDS)
    assert commands_for(["--help"]) == commands_for(["nonsense"]) == tuple(COMMANDS)
    assert commands_for(["--version"]) == () and commands_for(["train", "reproduce"]) == ("train",)
