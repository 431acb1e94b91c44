"""The studies beyond the paper (:mod:`entropy_ref.reproduce.studies`): the registry, and every
study end to end on synthetic MNIST with the ``tiny`` preset (about 15 s for all five).
"""

from __future__ import annotations

import contextlib
import json
import shutil

import pytest
from helpers import PNG_SIGNATURE, comparable, science, tiny_reproduce

from entropy_ref.data import write_synthetic_mnist
from entropy_ref.cli import main
from entropy_ref.reproduce import PRESETS, ReproSettings
from entropy_ref.reproduce.outputs import read_output
from entropy_ref.reproduce.select import choose
from entropy_ref.reproduce.studies import (REGISTRY, STUDIES, STUDY_PRESETS, Study,
                                           StudySettings, parse_studies, registry, resolve,
                                           run_studies)
from entropy_ref.reproduce.studies.figures import FIGURES
from entropy_ref.reproduce.studies.report import TABLES, tables

# ---------------------------------------------------------------- the registry


def test_every_study_runs_after_the_studies_it_needs():
    assert len(set(STUDIES)) == len(STUDIES) == len(REGISTRY)
    for i, study in enumerate(REGISTRY):
        assert set(study.needs) <= set(STUDIES[:i]), study.name


@pytest.mark.parametrize("names, expected", [
    ((), ()),
    (("fair",), ("fair",)),
    (("long",), ("fair", "long")),
    (("long", "ablation"), ("fair", "ablation", "long")),
    (STUDIES, STUDIES),
])
def test_naming_a_study_runs_what_it_needs_in_registry_order(names, expected):
    assert tuple(s.name for s in resolve(names)) == expected


def test_tables_and_figures_belong_to_registered_studies():
    assert {study for _, study in TABLES.values()} <= set(STUDIES)
    assert set(FIGURES) <= set(STUDIES)


@pytest.mark.parametrize("text, message", [
    ("", "at least one study"), (" , ", "at least one study"), ("fair,fare", "unknown study 'fare'"),
    ("Fair", "unknown study 'Fair'"),
])
def test_bad_study_names_are_refused_with_the_choices(text, message):
    with pytest.raises(ValueError, match=message):
        parse_studies(text)


def test_study_settings_refuse_a_string_and_unknown_names():
    with pytest.raises(ValueError, match="tuple of study names"):
        StudySettings(studies="fair")
    with pytest.raises(ValueError, match="unknown study 'probe'"):
        StudySettings(studies=("fair", "probe"))
    assert StudySettings(studies=("long", "fair")).studies == ("fair", "long")


def test_a_new_study_is_one_module_and_one_registry_entry(monkeypatch, synthetic_mnist_dir,
                                                          tmp_path):
    """A study registered beside the others is named, estimated, run and recorded."""
    def run(ctx):
        return {"n_train": ctx.n_train_all, "saw": sorted(ctx.results)}

    probe = Study("probe", run, lambda ctx: 2.0)
    monkeypatch.setattr(registry, "REGISTRY", REGISTRY + (probe,))
    monkeypatch.setattr(registry, "STUDIES", STUDIES + ("probe",))
    settings = ReproSettings(out=str(tmp_path), data_dir=str(synthetic_mnist_dir),
                             **PRESETS["tiny"])
    lines = []
    res = run_studies(settings, StudySettings(studies=parse_studies("probe")), log=lines.append)
    assert res["probe"]["n_train"] == 600 and res["probe"]["saw"] == []
    assert res["figures"] == {} and any(line.startswith("studies: probe;") for line in lines)
    assert json.loads((tmp_path / "studies.json").read_text())["probe"]["saw"] == []


# ---------------------------------------------------------------- every study end to end

STUDY_KEYS = ("fair", "ablation", "finetune", "layout", "long")



@pytest.fixture(scope="module")
def tiny_studies(tmp_path_factory):
    """Every study at toy scale on synthetic data (shared by the tests that only read it)."""
    root = tmp_path_factory.mktemp("studies")
    data_dir = write_synthetic_mnist(root / "mnist", n_train=600, n_test=200, seed=0)
    out = root / "out"
    assert tiny_reproduce(out, data_dir, "--study", "long,all") == 0
    return out, data_dir, json.loads((out / "studies.json").read_text())


def test_studies_write_every_table_and_figure(tiny_studies):
    out, _, res = tiny_studies
    assert all(k in res for k in STUDY_KEYS)
    rendered = tables(res)
    assert set(rendered) == set(TABLES)                    # every table, the variant included
    md = (out / "studies.md").read_text()
    assert all(text in md for text in rendered.values())
    for name in ("pareto", "ablation", "finetune", "layout", "long"):
        assert (out / "figures" / f"study_{name}.png").read_bytes()[:8] == PNG_SIGNATURE
        assert (out / "figures" / f"study_{name}.pdf").read_bytes()[:4] == b"%PDF"


def test_fair_selection_covers_every_grid_with_one_rule(tiny_studies):
    _, _, res = tiny_studies
    grids = dict(STUDY_PRESETS["tiny"]["fair_grid"])
    sel = res["fair"]["selection"]
    assert list(sel) == list(grids)
    for reg, rec in sel.items():
        assert [r["lam"] for r in rec["rows"]] == list(grids[reg])
        assert rec["chosen"] == rec["rows"][choose(rec["rows"])]["lam"]
        assert all("_val100_" in r["run"] for r in rec["rows"])          # validation runs
    lam = {m["reg"]: m["lam"] for m in res["fair"]["methods"]}
    assert lam == {reg: rec["chosen"] for reg, rec in sel.items()}
    assert all("_val0_" in r["run"] for m in res["fair"]["methods"] for r in m["runs"])


def test_the_halves_add_up_to_the_sparsity_loss(tiny_studies):
    _, _, res = tiny_studies
    for m in res["ablation"]["methods"] + res["fair"]["methods"]:
        for r in m["runs"]:
            h = r["halves_per_layer"]
            for lh, ra, hc in zip(h["loghoyer"], h["rayleigh"], r["entropy_per_layer"]):
                assert lh + ra == pytest.approx(-hc, abs=1e-4)   # l_C = -H_C (float32 H_C)
    assert [m["lam"] for m in res["ablation"]["methods"]] == [1.0, 1.0, 1.0]


def test_finetune_keeps_the_mask_and_records_both_accuracies(tiny_studies):
    out, _, res = tiny_studies
    ft = res["finetune"]
    labels = [m["label"] for m in ft["methods"]]
    assert labels[0] == "none" and "sparsity (λ=1)" in labels
    for m in ft["methods"]:
        for r in m["runs"]:
            cached = json.loads((out / "runs" / r["run"] / "finetune.json").read_text())
            assert cached["levels"] == r["levels"]
            for p, cell in r["levels"].items():
                assert cell["point"] == round(float(p) / PRESETS["tiny"]["step"])
                assert cell["nonzero_after"] <= cell["nonzero"]      # pruned stay zero
                assert 0 <= cell["finetuned_accuracy"] <= 1


def test_long_runs_continue_the_short_ones_bit_identically(tiny_studies):
    out, _, res = tiny_studies
    lg = res["long"]
    assert lg["picked"] and lg["epochs"] == 5
    for m in [lg["dense"]] + lg["methods"]:
        for r in m["runs"]:
            long_hist = json.loads((out / "runs" / r["run"] / "history.json").read_text())
            short = r["run"].replace("_ep5_", "_ep3_")
            short_hist = json.loads((out / "runs" / short / "history.json").read_text())
            strip = lambda h: [{k: v for k, v in e.items() if "seconds" not in k}   # noqa: E731
                               for e in h["epochs"]]
            assert strip(long_hist)[:3] == strip(short_hist)
            assert len(long_hist["epochs"]) == 5


def test_layout_study_measures_permutations_and_trains_the_variant(tiny_studies):
    _, _, res = tiny_studies
    lay = res["layout"]
    models = {r["model"] for r in lay["permutations"]}
    assert {"initial", "none", "sparsity"} <= models
    assert all(r["rows_min"] <= r["rows_mean"] <= r["rows_max"] for r in lay["permutations"])
    v = lay["variant"]
    assert v["label"] == "sparsity-rf" and v["train_options"] == {"layout": "receptive"}
    assert all("layoutreceptive" in r["run"] for r in v["runs"])
    assert all("layoutreceptive" in r["run"] for r in lay["selection"]["rows"])


def test_studies_resume_without_training_again(tiny_studies, tmp_path):
    out, data_dir, first = tiny_studies
    copy = tmp_path / "again"
    shutil.copytree(out, copy)
    assert tiny_reproduce(copy, data_dir, "--study", "all") == 0
    again = json.loads((copy / "studies.json").read_text())
    assert again["timing"]["trained_epochs"] == 0
    assert again["fair"]["methods"] == first["fair"]["methods"] or \
        science(again["fair"]["methods"]) == science(first["fair"]["methods"])
    assert again["finetune"]["methods"] == first["finetune"]["methods"]


def test_a_study_after_all_keeps_the_others_and_every_file_agrees(tiny_studies, tmp_path):
    out, data_dir, first = tiny_studies
    copy = tmp_path / "subset"
    shutil.copytree(out, copy)
    assert tiny_reproduce(copy, data_dir, "--study", "fair") == 0
    again = read_output(copy / "studies.json", "studies")     # studies.md and figures verified
    assert set(again["studies"]) == set(first["studies"]) >= set(STUDY_KEYS)
    assert again["timing"]["trained_epochs"] == 0
    for name in first["studies"]:
        assert comparable(again[name]) == comparable(first[name]), name
    assert again["figures"] == first["figures"]
    assert set(tables(again)) == set(tables(first))


def test_a_study_whose_settings_changed_is_dropped_with_the_reason(tiny_studies, tmp_path,
                                                                   capsys):
    out, data_dir, first = tiny_studies
    copy = tmp_path / "changed"
    shutil.copytree(out, copy)
    capsys.readouterr()
    assert tiny_reproduce(copy, data_dir, "--study", "ablation", "--ablation-seeds", "1") == 0
    log = capsys.readouterr().out
    again = read_output(copy / "studies.json", "studies")
    users = {n for n in first["studies"] if n in ("finetune", "layout", "long")}
    assert set(again["studies"]) == set(first["studies"]) - users
    for name in users:
        assert f"studies.json: dropping {name}: it was computed with other settings or data " \
            "(the ablation study it builds on changed)" in log
        assert name not in again and not any(name in f for f in again["figures"])
    assert not (copy / "figures" / "study_long.png").exists()
    assert "## " + TABLES["long"][0].__doc__.strip() not in (copy / "studies.md").read_text()
    assert comparable(again["ablation"]) == comparable(first["ablation"])   # same numbers


def test_a_study_keeps_its_own_knobs_when_another_study_runs(tiny_studies, tmp_path, capsys):
    """``--long-seeds`` cannot be given without ``--study long``: running another study after
    ``--study long --long-seeds 1`` keeps the long study with its one seed, not dropped."""
    out, data_dir, first = tiny_studies
    copy = tmp_path / "own"
    shutil.copytree(out, copy)
    assert tiny_reproduce(copy, data_dir, "--study", "long", "--long-seeds", "1") == 0
    before = read_output(copy / "studies.json", "studies")
    assert before["studies"]["long"]["identity"]["knobs"]["long_seeds"] == 1
    capsys.readouterr()
    assert tiny_reproduce(copy, data_dir, "--study", "layout") == 0
    log = capsys.readouterr().out
    again = read_output(copy / "studies.json", "studies")
    assert "dropping" not in log and set(again["studies"]) == set(before["studies"])
    assert again["studies"]["long"] == before["studies"]["long"]
    assert comparable(again["long"]) == comparable(before["long"])
    assert again["timing"]["trained_epochs"] == 0


@pytest.mark.parametrize("args, message", [
    (["--study", "fare"], "unknown study 'fare'"),
    (["--study", "finetune", "--finetune-epochs", "0"], "finetune_epochs must be"),
])
def test_bad_study_options_are_user_errors(tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) if args[1] == "fare" else contextlib.nullcontext():
        code = main(["reproduce", "--out", str(tmp_path), "--preset", "tiny", *args])
        assert code == 2
    assert message in capsys.readouterr().err
