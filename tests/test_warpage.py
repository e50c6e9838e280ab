"""Warpage over temperature: the signed coplanarity of a face against a bimetal strip's closed
form, the reflow profile, the package level of the builders and the refusals."""
from __future__ import annotations

import numpy as np
import pytest

from fea.cycling import Cycling, Solver
from fea.errors import InputError
from fea.load_history import from_table, reflow_profile
from studies.verification import warpage_strip, warpage_strip_model

def test_the_warpage_of_a_long_bimetal_strip_is_its_curvature_times_half_its_length_squared():
    """studies.verification.warpage_strip: Timoshenko's -kappa L^2 / 2 within 1e-3 (measured
    1.2e-5 at L = 100 h, the same at half the element size); coplanarity = |warpage| for a face
    that bends one way; linear elasticity: the warpage follows the temperature change."""
    (check,), w = warpage_strip()
    assert check.passed, check
    assert w["surface"] == "bottom" and w["temperature"][-1] == -100.0 and w["warpage_um"][-1] > 0
    assert w["coplanarity_um"][-1] == pytest.approx(w["warpage_um"][-1])
    ratios = np.array(w["warpage_um"]) / np.array(w["temperature"])
    assert np.allclose(ratios, ratios[-1], rtol=1e-6)


def test_the_reflow_profile_keeps_j_std_020_limits():
    rows = np.array(reflow_profile(260.0))
    slopes = np.diff(rows[:, 1]) / np.diff(rows[:, 0])
    assert rows[:, 1].max() == 260.0 and slopes.max() <= 3.0 and slopes.min() >= -6.0
    t, T = rows[:, 0], rows[:, 1]
    fine = np.linspace(t[0], t[-1], 100001)
    above = np.interp(fine, t, T) > 217.0
    assert 60.0 <= above.sum() * (fine[1] - fine[0]) <= 150.0          # time above liquidus
    preheat = (np.interp(fine, t, T) >= 150.0) & (np.interp(fine, t, T) <= 200.0) & (fine < 200)
    assert 60.0 <= preheat.sum() * (fine[1] - fine[0]) <= 120.0
    history = from_table({"profile": "reflow", "peak": 250.0}, 25.0)
    assert max(s.T1 for s in history.segments) == 250.0 and history.cycles == 1


@pytest.mark.parametrize("table,message", [
    ({"profile": "reflow", "peak": 400.0}, "peak = 400 degC is outside [200, 300]"),
    ({"profile": "reflow", "cycles": 3}, "one reflow pass"),
    ({"profile": "G", "peak": 250.0}, "needs profile = \"reflow\""),
    ({"profile": "reflow", "warpage": 3}, "must name a curve"),
])
def test_bad_reflow_or_warpage_entries_are_one_line(table, message):
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        from_table(table, 25.0)


def test_a_warpage_face_that_is_not_a_curve_of_the_mesh_is_refused():
    from dataclasses import replace
    model = replace(warpage_strip_model(10.0, 1.0), load={"history": [[0.0, 0.0], [10.0, -10.0]], "warpage": "top"})
    with pytest.raises(InputError, match="top"):
        Solver(Cycling(model))


def test_the_package_level_is_the_assembly_without_board_and_lands():
    from geometry import STRUCTURES
    builder = STRUCTURES["fanout-rdl"]()
    assembly, package = builder.spec("assembly"), builder.build("package", 3.0)
    assert {"board", "land"} <= {layer.region for layer in assembly.layers}
    assert not {"board", "land"} & set(package.mesh.regions) and package.geometry.level == "package"
    assert "bottom" in package.mesh.curves and all(p.region not in ("board", "land") for p in package.probes)
