"""Reviewer R1's regression tests: each one failed on the code it was written against."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

import entropy_ref
from entropy_ref.cli import main
from entropy_ref.verify import check


def _module(tmp_path, monkeypatch, name, source):
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))


def test_cli_fn_module_calling_sys_exit_0_at_import_is_an_error_not_a_pass(
        tmp_path, monkeypatch, capsys):
    # a port module that ends with a script's sys.exit(main()) used to exit 0: a false PASS in CI
    _module(tmp_path, monkeypatch, "r1_exit_at_import", "import sys\nsys.exit(0)\n")
    assert main(["verify", "--fn", "r1_exit_at_import:fn"]) == 2
    err = capsys.readouterr().err
    assert "sys.exit(0)" in err and "r1_exit_at_import" in err


def test_a_port_calling_sys_exit_errors_its_cases_instead_of_ending_the_run(
        tmp_path, monkeypatch, capsys):
    _module(tmp_path, monkeypatch, "r1_exit_in_fn", "import sys\ndef fn(W):\n    sys.exit(0)\n")
    assert main(["verify", "--fn", "r1_exit_in_fn:fn", "--cases", "tiny_*"]) == 1
    out = capsys.readouterr().out
    assert "sys.exit(0)" in out and "FAIL:" in out.splitlines()[-1]

    def port(W):
        raise SystemExit(0)

    report = check(port, cases="tiny_2x2_f64", properties=False)
    assert not report.ok and report.errored == ["tiny_2x2_f64"]
