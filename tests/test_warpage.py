"""Warpage over temperature: the signed coplanarity of a face against a bimetal strip's closed
form, the reflow profile, the package level of the builders and the refusals."""
from __future__ import annotations

import numpy as np
import pytest

from fea.cycling import Cycling, Solver
from fea.errors import InputError
from fea.load_history import from_table, reflow_profile
from fea.model import Model
from studies.verification import (COPPER, SILICON, _physical, curves_at, gmsh_model, isotropic,
                                  rectangle_regions, timoshenko_curvature)

T_SI, T_CU = 1.0, 0.5


def strip(half_length: float, size: float) -> Model:
    """Half of a free Si / Cu strip (x = 0 the symmetry plane) in plane strain, stress-free at 0 degC."""
    def build(gmsh):
        rectangle_regions(gmsh, {"si": (0, 0, half_length, T_SI), "cu": (0, T_SI, half_length, T_CU)})
        _physical(gmsh, 1, curves_at(gmsh, 0, 0, 0, T_SI + T_CU), "symmetry")
        _physical(gmsh, 1, curves_at(gmsh, 0, 0, half_length, 0), "bottom")
        origin = [t for _, t in gmsh.model.getEntitiesInBoundingBox(-1e-7, -1e-7, -1e-7, 1e-7, 1e-7, 1e-7, 0)]
        _physical(gmsh, 0, origin, "origin")
    return Model(gmsh_model(build, size, "warpage_strip"), "plane_strain",
                 {"si": isotropic("si", **SILICON), "cu": isotropic("cu", **COPPER)},
                 fixed=[("symmetry", "x"), ("origin", "y")])


def test_the_warpage_of_a_long_bimetal_strip_is_its_curvature_times_half_its_length_squared():
    """Cooled by 100 K, a free strip bends with Timoshenko's curvature (plane strain: E', (1 + nu)
    alpha), so its face is w = w0 - kappa x^2 / 2 and the signed warpage at the half length L is
    -kappa L^2 / 2 (Cu on top shrinks more: the edge rises, positive). The free end's boundary
    layer, a few thicknesses long, bends the last part of the face less: measured 1.9e-4 of the
    warpage at L = 25 h and 1.2e-5 at L = 100 h (the same at half the element size), so 1e-3."""
    from dataclasses import replace
    half_length = 100 * (T_SI + T_CU)
    model = replace(strip(half_length, 0.5), load={"history": [[0.0, 0.0], [100.0, -100.0]], "warpage": "bottom"})
    result = Solver(Cycling(model)).run()
    kappa = timoshenko_curvature(SILICON["E"], SILICON["nu"], SILICON["alpha"], T_SI,
                                 COPPER["E"], COPPER["nu"], COPPER["alpha"], T_CU, -100.0)
    expected = -kappa * half_length ** 2 / 2
    w = result.warpage
    assert w["surface"] == "bottom" and w["temperature"][-1] == -100.0
    assert w["warpage_um"][-1] == pytest.approx(expected, rel=1e-3)
    assert w["coplanarity_um"][-1] == pytest.approx(abs(w["warpage_um"][-1]))
    # linear elasticity: the warpage follows the temperature change step by step
    ratios = np.array(w["warpage_um"]) / (np.array(w["temperature"]) - 0.0)
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
    model = replace(strip(10.0, 1.0), load={"history": [[0.0, 0.0], [10.0, -10.0]], "warpage": "top"})
    with pytest.raises(InputError, match="top"):
        Solver(Cycling(model))


def test_the_package_level_is_the_assembly_without_board_and_lands():
    from geometry import STRUCTURES
    builder = STRUCTURES["fanout-rdl"]()
    assembly, package = builder.spec("assembly"), builder.build("package", 3.0)
    assert {"board", "land"} <= {layer.region for layer in assembly.layers}
    assert not {"board", "land"} & set(package.mesh.regions) and package.geometry.level == "package"
    assert "bottom" in package.mesh.curves and all(p.region not in ("board", "land") for p in package.probes)
