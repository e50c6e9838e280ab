"""Interface cracks in design use: G at the hot and cold extremes of a cycling run, the
interface toughness Gc(psi) and the margin Gc / G, and the builders' pre-cracks at their
critical corners.

Checks are consistencies that could fail: an elastic stack cycled through JEDEC G has at its
cold extreme the thermoelastic state at -40 degC (so the same G to solver precision) and at its
hot extreme, the stress-free temperature, no G at all; the toughness law's limits (lambda = 1
mode-independent, lambda = 0 G_Ic / cos^2 psi); a builder's crack tip where its length puts it,
on the interface it names, and its G moving little under mesh refinement.
"""
import json

import numpy as np
import pytest

from conftest import MODEL
from fea.errors import InputError
from fea.model import Toughness
from geometry import STRUCTURES
from materials.toughness import interface_toughness, toughness_table
from studies.analysis import analyse
from studies.cli import main

CRACK = """
[[crack]]
name = "edge"
interface = "die/film"
start = [0.0, 5.0]
length = 4.0
"""
CYCLE = """
[load]
profile = "G"
cycles = 1
fixed_steps = true
"""
ELASTIC_FILM = 'film = { E = 110000.0, nu = 0.34, alpha = 1.7e-5 }'


def solve(model_dir, text, capsys):
    out = model_dir.dir / "out"
    code = main(["solve", str(model_dir(text=text)), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    return json.loads((out / "summary.json").read_text())


def elastic_stack(field="-40.0"):
    return MODEL.format(analysis="plane_strain", field=field).replace('film = "cu"', ELASTIC_FILM)


def test_cycled_elastic_stack_has_the_thermoelastic_G_at_its_cold_extreme_and_none_when_hot(model_dir, capsys):
    """Stress-free at 125 degC and elastic: the cold extreme (-40 degC) is the thermoelastic state
    at -40 degC, the hot extreme (+125 degC) is stress-free."""
    static = solve(model_dir, elastic_stack() + CRACK, capsys)["cracks"]["edge"]
    cycled = solve(model_dir, elastic_stack().replace("field = -40.0\n", "") + CYCLE + CRACK, capsys)["cracks"]["edge"]
    assert static["G"] > 0
    assert cycled["G_cold"] == pytest.approx(static["G"], rel=1e-6)
    assert cycled["phase_angle_cold_deg"] == pytest.approx(static["phase_angle_deg"], abs=1e-4)
    assert abs(cycled["G_hot"]) < 1e-9 * static["G"]
    assert cycled["temperature_cold"] == -40.0 and cycled["temperature_hot"] == 125.0
    assert cycled["state"] == "cold" and cycled["G"] == cycled["G_cold"]
    assert cycled["inelastic_at_tip_cold"] is False and "not a path-independent J" in cycled["note"]


def test_cycled_plastic_film_says_the_tip_is_inelastic(model_dir, capsys):
    text = MODEL.format(analysis="plane_strain", field="-40.0").replace("field = -40.0\n", "") + CYCLE + CRACK
    crack = solve(model_dir, text, capsys)["cracks"]["edge"]
    assert crack["inelastic_at_tip_cold"] is True             # the Cu film yields at the tip
    assert np.isfinite(crack["G_cold"]) and np.isfinite(crack["G_hot"])


def test_toughness_law_limits_and_closed_cracks():
    brittle, opening_only = Toughness(5.0, 1.0), Toughness(5.0, 0.0)
    for psi in (-80.0, -30.0, 0.0, 45.0):
        assert brittle.at(psi) == pytest.approx(5.0, rel=1e-12)
        assert opening_only.at(psi) == pytest.approx(5.0 / np.cos(np.radians(psi)) ** 2, rel=1e-9)
    typical = Toughness(5.0, 0.3)
    assert typical.at(40.0) == pytest.approx(5.0 * (1 + np.tan(np.radians(0.7 * 40.0)) ** 2), rel=1e-12)
    assert typical.at(-40.0) == typical.at(40.0) > typical.at(20.0) > typical.at(0.0) == 5.0
    assert typical.at(150.0) == typical.at(90.0)              # pressed shut: counted as mode II
    with pytest.raises(InputError, match="lambda"):
        Toughness(5.0, -0.1)


def test_margin_is_the_toughness_at_the_phase_angle_over_G(model_dir, capsys):
    text = elastic_stack() + CRACK + 'toughness = { G_Ic = 2.0, lambda = 0.25, source = "measured" }\n'
    crack = solve(model_dir, text, capsys)["cracks"]["edge"]
    Gc = Toughness(2.0, 0.25).at(crack["phase_angle_deg"])
    assert crack["toughness"]["Gc"] == pytest.approx(Gc, rel=1e-12)
    assert crack["margin"] == pytest.approx(Gc / crack["G"], rel=1e-12)
    assert crack["toughness"]["source"] == "measured" and crack["toughness"]["basis"] == "model file"


def test_library_toughness_has_a_source_for_every_pair_and_is_symmetric():
    table = toughness_table()
    assert table
    for (a, b), (toughness, typical) in table.items():
        assert toughness.source and 0 < toughness.G_Ic < 1000 and 0 <= toughness.lam <= 1
        assert interface_toughness(b, a) == interface_toughness(a, b)
        assert typical or "typical" not in toughness.source


# ---------------------------------------------------------------------------- builders' pre-cracks

#: structure, its crack parameter, crack name, interface, length (um), the crack's materials
BUILDER_CRACKS = [
    ("ppi-recess", {"recess_corner_crack": 5.0, "polymer_thickness": 10.0}, "recess_corner", "polymer/ppi", 5.0),
    ("molded-joint", {"mold_pad_crack": 3.0}, "mold_pad", "mold/pad", 3.0),
    ("molded-joint", {"mold_substrate_crack": 10.0}, "mold_substrate", "mold/substrate", 10.0),
    ("fanout-rdl", {"chip_edge_crack": 10.0}, "chip_edge", "mold/rdl", 10.0),
]


@pytest.mark.parametrize("structure, parameters, name, interface, length", BUILDER_CRACKS,
                         ids=[c[2] for c in BUILDER_CRACKS])
def test_builder_pre_crack_lies_on_its_interface_with_a_refined_tip(structure, parameters, name, interface, length):
    builder = STRUCTURES[structure](**parameters)
    model = builder.build("cell", 1.4)
    crack = next(c for c in model.cracks if c.name == name)
    assert crack.interface == interface and crack.length == length
    result = analyse(model).summary["cracks"][name]
    requested = min(length / 20, builder.spec("cell").sizes.corner) * 1.4
    tip = np.array(crack.start) + length * np.array(crack.direction) / np.hypot(*crack.direction)
    assert np.hypot(*(np.array(result["tip"]) - tip)) <= result["tip_element_um"]
    assert result["tip_element_um"] < 1.6 * requested                 # the tip is refined as stated
    assert result["length_um"] == pytest.approx(length, rel=0.1)
    assert result["G"] > 0 and np.isfinite(result["phase_angle_deg"])
    assert result["extension_spread"] < 0.05
    assert result["toughness"]["typical"] and result["margin"] == pytest.approx(result["toughness"]["Gc"] / result["G"])


def test_edge_recess_pre_crack_runs_up_the_sidewall():
    builder = STRUCTURES["edge-recess-rdl"](recess_corner_crack=10.0)
    crack = builder.spec("cell").cracks[0]
    assert crack.interface == "chip/oxide"
    assert crack.direction[0] == pytest.approx(-np.cos(np.radians(builder.sidewall_angle)))
    assert crack.direction[1] == pytest.approx(np.sin(np.radians(builder.sidewall_angle)))


def test_no_pre_crack_by_default_and_bad_lengths_refused():
    for name, cls in STRUCTURES.items():
        assert not cls().spec("cell").cracks, name
    for structure, parameters, message in (
            ("ppi-recess", {"recess_corner_crack": 45.0}, "recess_corner_crack"),
            ("ppi-recess", {"recess_corner_crack": 0.5}, "recess_corner_crack"),
            ("molded-joint", {"mold_pad_crack": 4.0}, "before the pad edge"),
            ("molded-joint", {"mold_pad_crack": 2.0, "solder_wets_pad_sidewalls": True,
                              "molding_touches_pad_sidewalls": False}, "solder covers the pad"),
            ("fanout-rdl", {"chip_edge_crack": 10.0, "ball_location": "chip"}, "ball_location = fanout"),
            ("edge-recess-rdl", {"recess_corner_crack": 150.0}, "recess top edge")):
        with pytest.raises(InputError, match=message):
            STRUCTURES[structure](**parameters)


def test_builder_crack_G_settles_under_mesh_refinement():
    """A fracture quantity: G of the recess-corner crack moves < 3 % from mesh x1.4 to x1 and
    less again from x1 to x0.7 (tip elements scale with the mesh)."""
    builder = STRUCTURES["ppi-recess"](recess_corner_crack=5.0, polymer_thickness=10.0, recess_depth_ratio=0.0)
    values = [analyse(builder.build("cell", f)).summary["cracks"]["recess_corner"]["G"] for f in (1.4, 1.0, 0.7)]
    changes = np.abs(np.diff(values)) / values[-1]
    assert changes[0] < 0.03 and changes[1] < 0.03


# ---------------------------------------------------------------------------- report and sweeps

def _cracked_records() -> list[dict]:
    """Two designs with a cycled crack each (the numbers as summary.json writes them)."""
    def crack(G_cold, psi_cold, G_hot, psi_hot):
        toughness = Toughness(5.0, 0.3, "typical value")
        return {"G": max(G_cold, G_hot), "phase_angle_deg": psi_cold, "G_cold": G_cold, "G_hot": G_hot,
                "phase_angle_cold_deg": psi_cold, "phase_angle_hot_deg": psi_hot,
                "margin_cold": toughness.at(psi_cold) / G_cold, "margin_hot": toughness.at(psi_hot) / G_hot,
                "inelastic_at_tip_cold": True, "inelastic_at_tip_hot": False, "materials": ["mold", "pad"],
                "length_um": 10.0, "tip_element_um": 0.5, "min_opening_um": -0.01, "note": "closure value",
                "toughness": {"G_Ic": 5.0, "lambda": 0.3, "source": "typical value", "typical": True}}
    return [{"label": "design with a rather long label that must wrap in the figure", "status": "ok",
             "cracks": {"mold_substrate": crack(1.3, -110.0, 0.2, 40.0)}},
            {"label": "other design", "status": "ok", "cracks": {"mold_substrate": crack(0.9, -60.0, 0.1, 20.0)}},
            {"label": "failed design", "status": "failed", "error": "x"}]


def test_report_section_plots_G_and_psi_of_every_design_and_tabulates_the_margins(tmp_path):
    from test_report import layout_problems
    from studies.crack_report import crack_figure, crack_rows, crack_section
    from studies.report import DPI, Figures

    class Run:
        records = _cracked_records()

    html = crack_section(Run, Figures(tmp_path))
    assert "Interface cracks" in html and html.count("<img") == 1 and (tmp_path / "cracks.png").exists()
    # one row per design and extreme, the failed design left out
    assert html.count("<tr>") == 1 + 2 * 2 and "failed design" not in html
    margin = Toughness(5.0, 0.3).at(-60.0) / 0.9
    assert f"{margin:.3g}" in html and "pressed shut" in html and "inelastic at the tip" in html
    rows = crack_rows(Run.records)
    fig = crack_figure(rows)
    g_axis = fig.axes[0]
    assert len(g_axis.patches) == 4                       # G bars: cold and hot of both designs, one axis
    assert max(p.get_width() for p in g_axis.patches) == pytest.approx(1.3)
    assert not layout_problems(fig, DPI)


def test_sweep_with_a_crack_parameter_reports_its_G():
    from studies.sweep import sweep_study

    study = sweep_study("molded-joint", {"mold_substrate_crack": 10.0}, [("molding_height_ratio", [0.4, 0.6])],
                        "cell", thermoelastic=True)
    keys = [m.key for m in study.metrics]
    assert "crack.mold_substrate.G" in keys and "crack.mold_substrate.margin" in keys
    plain = sweep_study("molded-joint", {}, [("molding_height_ratio", [0.4, 0.6])], "cell", thermoelastic=True)
    assert not any(m.key.startswith("crack.") for m in plain.metrics)
    # an impossible point (a molding/pad crack longer than the pad top) fails on its own, later
    mixed = sweep_study("molded-joint", {}, [("mold_pad_crack", [2.0, 10.0])], "cell", thermoelastic=True)
    assert "crack.mold_pad.G" in [m.key for m in mixed.metrics]
