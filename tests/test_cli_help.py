"""The help texts of the command-line interface."""

import pytest

from entropy_ref.cli import main


@pytest.mark.parametrize("command", ["train", "prune-curve", "verify", "reproduce"])
def test_help_texts_show_single_percent_signs(command, capsys):
    # argparse %-formats a description only when it contains '%(prog)': '98%%' was printed as is
    with pytest.raises(SystemExit):
        main([command, "--help"])
    assert "%%" not in capsys.readouterr().out
