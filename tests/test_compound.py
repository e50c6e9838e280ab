"""studies/compound.py: elastic against viscoelastic compounds in the molded studies, and the
package warpage curve over a reflow profile in their reports."""
import dataclasses
import json

import numpy as np
import pytest

from fea.constitutive import Elastic
from fea.viscoelastic import Viscoelastic
from geometry import STRUCTURES
from studies import compound, fanout_rdl, molded_joint, ppi_recess
from studies.compound import (REFLOW_LOAD, SIGN, CompoundComparison, reflow_curve, sentence, summarise,
                              viscoelastic_compounds)
from studies.evaluate import Point, evaluate, point_key

MOLDED = (molded_joint.STUDY, fanout_rdl.STUDY, ppi_recess.STUDY)


def test_viscoelastic_compounds_change_only_the_compound_regions():
    model = STRUCTURES["molded-joint"]().build("cell", 3.0)
    twin = viscoelastic_compounds(model)
    for region, material in model.materials.items():
        law = twin.materials[region].law(analysis=model.analysis)
        if material.name == "emc":
            assert isinstance(law, Viscoelastic)
            # the glassy modulus is the below-Tg plateau, the long-term one the above-Tg plateau
            assert law.glassy_modulus == pytest.approx(24000.0)
            assert law.glassy_modulus * law.long_term_fraction == pytest.approx(1500.0, rel=1e-4)
            assert isinstance(material.law(analysis=model.analysis), Elastic)   # the study's stays elastic
        else:
            assert twin.materials[region] is material
    assert twin.mesh is model.mesh


@pytest.mark.parametrize("study", MOLDED, ids=lambda s: s.name)
def test_each_molded_study_compares_its_variants_with_both_compounds(study):
    comparison = study.compound
    assert isinstance(comparison, CompoundComparison)
    for quick in (True, False):
        variants = {p.label: p for p in study.points(quick)}
        points = comparison.points(study, quick)
        assembly, package = points[:-2], points[-2:]
        assert [p.compounds for p in points] == ["elastic", "viscoelastic"] * (len(points) // 2)
        for label, (elastic, viscous) in zip(comparison.variants, zip(assembly[::2], assembly[1::2])):
            # the variant as the study solves it, and its twin differing only in the compounds
            assert point_key(elastic) == point_key(variants[label])
            assert point_key(viscous) != point_key(elastic)
            assert (viscous.structure, viscous.parameters, viscous.level, viscous.load) == \
                (elastic.structure, elastic.parameters, elastic.level, elastic.load)
        for p in package:
            assert p.level == "package" and p.load == REFLOW_LOAD
            assert p.parameters == variants[comparison.variants[0]].parameters
            p.builder().spec(p.level)       # a valid design at the package level
        assert point_key(package[0]) != point_key(package[1])
        # the compared variants have a compound to change
        model_materials = STRUCTURES[study.structure](**variants[comparison.variants[0]].parameters).spec("assembly")
        assert {"emc", "lmc", "underfill"} & set(model_materials.materials.values())


def _warpage_history(scale: float = 1.0) -> dict:
    """A recorded process + reflow warpage history: cycle 0 the process cool-down, cycle 1 the pass."""
    T = [250.0, 175.0, 25.0, 100.0, 200.0, 260.0, 260.0, 150.0, 25.0]
    cycle = [0, 0, 0, 1, 1, 1, 1, 1, 1]
    w = [0.0, -5.0, -20.0 * scale, -12.0, -2.0, 1.0 * scale, 1.5, -8.0, -21.0 * scale]
    return {"surface": "bottom", "x": [0.0, 1.0], "time": [10.0 * k for k in range(len(T))], "temperature": T,
            "cycle": cycle, "warpage_um": w, "coplanarity_um": [abs(v) for v in w]}


def test_the_reflow_curve_splits_at_the_peak_into_heating_and_cooling():
    curve = reflow_curve(_warpage_history())
    heat, cool = curve["heating"], curve["cooling"]
    # from the package at the end of its process (the last cycle-0 step) up to the first peak step
    assert heat["temperature"] == [25.0, 100.0, 200.0, 260.0]
    assert heat["warpage_um"] == [-20.0, -12.0, -2.0, 1.0]
    assert cool["temperature"] == [260.0, 150.0, 25.0] and cool["warpage_um"] == [1.5, -8.0, -21.0]
    assert np.all(np.diff(heat["temperature"]) > 0) and np.all(np.diff(cool["temperature"]) < 0)
    assert reflow_curve({"cycle": [0, 0], "time": [0, 1], "temperature": [1, 2], "warpage_um": [0, 0]}) is None


def _records(comparison, lives, dWs, scales):
    """Records in the comparison's point order: assembly pairs, then the two package runs."""
    records = []
    for life, dW in zip(lives, dWs):
        records.append({"status": "ok", "metrics": {"critical.life": life, "critical.dW": dW}})
    for scale in scales:
        records.append({"status": "ok", "metrics": {}, "warpage": _warpage_history(scale)})
    return records


def test_the_summary_states_the_life_and_warpage_moves_it_computes():
    comparison = CompoundComparison(("a", "b"))
    summary = summarise(comparison, _records(comparison, (1000.0, 1100.0, 2000.0, 1800.0),
                                             (0.02, 0.019, 0.01, 0.0111), (1.0, 0.5)))
    a, b = summary["variants"]
    assert a["life_change"] == pytest.approx(0.1) and b["life_change"] == pytest.approx(-0.1)
    assert a["dW_change"] == pytest.approx(-0.05) and b["dW_change"] == pytest.approx(0.11)
    warpage = summary["warpage"]
    assert warpage["values"]["elastic"]["before"] == -20.0 and warpage["values"]["viscoelastic"]["before"] == -10.0
    assert warpage["change_um"] == pytest.approx({"before": 10.0, "peak": -0.5, "after": 10.5})
    text = sentence(summary)
    for piece in ("1000 -> 1100 cycles (+10.00%)", "2000 -> 1800 cycles (-10.00%)", "-20 -> -10 um (+10 um)",
                  "at the 260 degC peak +1 -> +0.5 um (-0.5 um)", "-21 -> -10.5 um (+10.5 um)"):
        assert piece in text, (piece, text)


def test_a_failed_point_is_reported_not_hidden():
    comparison = CompoundComparison(("a",))
    records = _records(comparison, (1000.0, 1100.0), (0.02, 0.019), (1.0, 1.0))
    records[1] = {"status": "failed", "error": "step did not converge"}
    records[3] = {"status": "failed", "error": "meshing failed"}
    summary = summarise(comparison, records)
    assert summary["variants"][0]["life_change"] is None
    assert summary["warpage"]["errors"] == {"viscoelastic": "meshing failed"}
    assert "change_um" not in summary["warpage"] and "elastic" in summary["warpage"]["curves"]


def test_the_warpage_figure_states_the_sign_and_is_laid_out():
    from test_report import layout_problems

    from studies.report import DPI

    comparison = CompoundComparison(("molding 0.5 of the joint height",))
    summary = summarise(comparison, _records(comparison, (1000.0, 1100.0), (0.02, 0.019), (1.0, 0.5)))
    fig = compound.warpage_figure(summary["warpage"])
    assert not layout_problems(fig, DPI)
    texts = " ".join(t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text")))
    assert "smile" in texts and "cry" in texts and "heating" in texts and "cooling" in texts
    lines = [line for ax in fig.axes for line in ax.get_lines() if len(line.get_xdata()) > 2]
    assert len(lines) == 8      # 2 compounds x 2 branches x (against temperature, against time)


def test_a_molded_study_writes_the_comparison_into_its_report_and_results(tmp_path, monkeypatch):
    """run_study with the sweep runner replaced by one that fabricates records: the comparison's
    points are run with the study's, its numbers land in results.json and the report shows them."""
    from studies import study as study_module
    from studies import sweep

    seen = []

    def fake_run_points(points, cache, **_):
        seen.extend(points)
        out = []
        for k, p in enumerate(points):
            record = {"label": p.label, "structure": p.structure, "parameters": dict(p.parameters),
                      "level": p.level, "mesh_size_factor": p.mesh_size_factor, "load": p.load, "status": "ok",
                      "metrics": {"critical.life": 1000.0 * (1.2 if p.compounds == "viscoelastic" else 1.0),
                                  "critical.dW": 0.02}, "warpage": {}, "elements": 100 + k}
            if p.level == "package":
                record["warpage"] = _warpage_history(0.8 if p.compounds == "viscoelastic" else 1.0)
            out.append(record)
        return out

    monkeypatch.setattr(sweep, "run_points", fake_run_points)
    study = dataclasses.replace(molded_joint.STUDY, variants=molded_joint.STUDY.variants[:2])
    run = study_module.run_study(study, tmp_path, quick=True, progress=False)
    comparison_points = study.compound.points(study, True)
    assert seen[-len(comparison_points):] == comparison_points
    assert len(run.records) == len(study.variants)        # the variants stay the variants
    assert run.compound["variants"][0]["life_change"] == pytest.approx(0.2)
    saved = json.loads((tmp_path / "results.json").read_text())["compound"]
    assert saved["warpage"]["curves"]["viscoelastic"]["cooling"]["warpage_um"][-1] == pytest.approx(-21.0 * 0.8)
    assert saved["warpage"]["change_um"]["after"] == pytest.approx(21.0 * 0.2)
    page = (tmp_path / "report.html").read_text()
    assert "Compounds: elastic or viscoelastic" in page and 'alt="warpage over the reflow profile"' in page
    assert "+20.00%" in page and "-21 -&gt; -16.8 um (+4.2 um)" in page
    assert page.index("<b>Compounds:</b>") < page.index("<img")     # with the answer, before any figure
    assert SIGN.split(";")[0].replace("'", "&#x27;") in page
    assert (tmp_path / "figures" / "warpage_reflow.png").is_file()


@pytest.fixture(scope="module")
def reflow_records():
    """The molded-joint package at a coarse mesh through its process and the reflow profile, with
    elastic and with viscoelastic compounds (real solves)."""
    points = [Point("molded-joint", {}, "package", 3.0, dict(REFLOW_LOAD), f"package ({c})", compounds=c)
              for c in ("elastic", "viscoelastic")]
    return [evaluate(p)[0] for p in points]


def test_a_real_reflow_pass_records_the_warpage_curve_of_both_compounds(reflow_records):
    comparison = CompoundComparison(("package",))
    fake_assembly = [{"status": "ok", "metrics": {"critical.life": 1.0, "critical.dW": 1.0}}] * 2
    summary = summarise(comparison, fake_assembly + reflow_records)
    warpage = summary["warpage"]
    assert set(warpage["curves"]) == {"elastic", "viscoelastic"} and not warpage["errors"]
    for compounds, curve in warpage["curves"].items():
        heat, cool = curve["heating"], curve["cooling"]
        assert heat["temperature"][0] == pytest.approx(25.0) and heat["temperature"][-1] == pytest.approx(260.0)
        assert cool["temperature"][0] == pytest.approx(260.0) and cool["temperature"][-1] == pytest.approx(25.0)
        assert np.all(np.diff(heat["temperature"]) >= -1e-9) and np.all(np.diff(cool["temperature"]) <= 1e-9)
        # the signed warpage is the coplanarity with a sign
        history = reflow_records[0 if compounds == "elastic" else 1]["warpage"]
        assert np.allclose(np.abs(history["warpage_um"]), history["coplanarity_um"])
    # the compounds differ: the relaxing compound leaves another warpage after the process
    change = warpage["change_um"]
    assert all(np.isfinite(v) for v in change.values())
    assert abs(change["before"]) > 1e-3 * abs(warpage["values"]["elastic"]["before"])
    assert reflow_records[1]["compounds"] == "viscoelastic" and "compounds" not in reflow_records[0]
