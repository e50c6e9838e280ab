"""Design studies: every variant is a valid design, every study's metrics exist in a real record,
and the headline study runs end to end from the command line (quick mode)."""
from __future__ import annotations

import csv
import importlib
import json
import subprocess
import sys

import pytest

from studies.sweep import STUDIES, run_points

MODULES = {name: importlib.import_module(f"studies.{name}") for name in STUDIES}


@pytest.mark.parametrize("name", STUDIES)
def test_every_variant_is_a_valid_design(name):
    study = MODULES[name].STUDY
    assert study.name == name and study.question.endswith("?")
    labels = [v.label for v in study.variants]
    assert len(labels) == len(set(labels)), "variant labels must be unique"
    for quick in (True, False):
        for point in study.points(quick) + study.convergence_points(quick):
            point.builder().spec(point.level)   # raises InputError for an impossible variant
    keys = {m.key for m in study.metrics}
    assert len(keys) == len(study.metrics)
    assert study.metrics[0].better in ("lower", "higher")


@pytest.mark.parametrize("name", [n for n in STUDIES if n != "compare_all"])
def test_baseline_variant_has_every_metric(name, tmp_path):
    """The first (baseline) variant, quick: the study's metric keys are real record keys, and the
    answer is written from them."""
    study = MODULES[name].STUDY
    record = run_points(study.points(quick=True)[:1], tmp_path, progress=False)[0]
    assert record["status"] == "ok", record.get("error")
    if study.derive is not None:
        record["metrics"].update(study.derive(record))
    missing = [m.key for m in study.metrics if m.key not in record["metrics"]]
    # a metric may be absent by design only for other variants (e.g. recess corners of a flat pad)
    assert not missing, missing
    assert record["metrics"]["critical.dW"] > 0
    text = study.answer({record["label"]: record})
    assert isinstance(text, str) and text


def test_headline_study_runs_from_the_command_line(tmp_path):
    out = tmp_path / "compare"
    result = subprocess.run([sys.executable, "-m", "studies.cli", "study", "compare_all", "--quick",
                             "--out", str(out)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"report: {(out / 'report.html').resolve()}" in result.stdout
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert len(rows) == 5 and {r["status"] for r in rows} == {"ok"}
    lives = {r["label"]: float(r["critical.life [cycles]"]) for r in rows}
    assert all(life > 0 for life in lives.values())
    # the printed ranking is the order of the computed lives
    first = max(lives, key=lives.get)
    assert f"1. {first}" in result.stdout
    data = json.loads((out / "results.json").read_text())
    assert [v["label"] for v in data["variants"]] == [r["label"] for r in rows]
    assert len(data["convergence"]) == 2 and data["convergence"][0]["elements"] < data["convergence"][1]["elements"]
    assert len(list((out / "variants").glob("*.vtu"))) == 5
    html = (out / "report.html").read_text()
    assert "Ranked by outer-joint solder life" in html
    assert html.count("<img") >= 10 and 'src="http' not in html
    # no staging leftovers
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_unknown_study_is_a_clear_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "studies.cli", "study", "nonsense", "--quick",
                             "--out", str(tmp_path / "x")], capture_output=True, text=True)
    assert result.returncode == 2
    assert "study nonsense is unknown; valid: compare_all, ppi_recess" in result.stderr
    assert not (tmp_path / "x").exists()
