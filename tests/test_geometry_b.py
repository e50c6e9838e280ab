"""Geometry builders, second batch: fan-out RDL (seed 001) and edge-recess RDL CSP (seed 004).
Every variant meshes with its named groups, closed-form areas, a quality floor and probes inside
their regions (``check_model`` of test_geometry); invalid parameters give one clean line; the
assembly slices of all five structures are held by symmetry + one anchor point and warp freely."""
from __future__ import annotations

import dataclasses
import tomllib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from fea.errors import InputError
from geometry import STRUCTURES, builder
from geometry.common import describe, from_settings, locate, read_msh
from geometry.cu_post import CuPost
from geometry.edge_recess_rdl import EdgeRecessRdl
from geometry.fanout_rdl import FanoutRdl
from geometry.molded_joint import MoldedJoint
from geometry.ppi_recess import PpiRecess
from test_geometry import EXPECTED_REGIONS, _ids, check_model

EXPECTED_REGIONS[FanoutRdl] = {"chip", "bump", "mold", "rdl", "solder"}
EXPECTED_REGIONS[EdgeRecessRdl] = {"chip", "passivation", "pad", "oxide", "rdl", "finish", "solder_mask",
                                   "support", "carrier", "solder"}

CELL_VARIANTS = [
    (FanoutRdl, {}),
    (FanoutRdl, {"ball_location": "chip", "rdl_levels": 3}),
    (FanoutRdl, {"rdl_levels": 2, "carrier": False, "mold_material": "bcb", "insulator_material": "pbo"}),
    (FanoutRdl, {"rdl_thickness": 5.0, "insulator_thickness": 15.0, "finish_thickness": 1.0, "bump_height": 10.0,
                 "glue_thickness": 2.0, "carrier_material": "glass", "mold_material": "polyimide"}),
    (FanoutRdl, {"finish": False, "rdl_thickness": 100.0, "insulator_thickness": 150.0, "pitch": 1300.0,
                 "ball_diameter": 1200.0, "pad_diameter": 1200.0, "opening_diameter": 1100.0,
                 "carrier_thickness": 2000.0, "glue_thickness": 50.0, "solder_material": "snpb", "joint_count": 2}),
    (EdgeRecessRdl, {}),
    (EdgeRecessRdl, {"variant": "B"}),
    (EdgeRecessRdl, {"variant": "C"}),
    (EdgeRecessRdl, {"sidewall_angle": 90.0, "rdl_thickness": 1.0, "isolation_thickness": 0.5}),
    (EdgeRecessRdl, {"variant": "B", "sidewall_angle": 50.0, "silicon_thickness": 60.0, "recess_overetch": 30.0,
                     "support_material": "bcb", "carrier_material": "si"}),
]
ASSEMBLY_VARIANTS = [
    (FanoutRdl, {"joint_count": 2}),
    (EdgeRecessRdl, {"joint_count": 2, "variant": "B"}),
]
SLOW_ASSEMBLY_VARIANTS = [
    (FanoutRdl, {}), (FanoutRdl, {"ball_location": "chip", "rdl_levels": 3, "carrier": False}),
    (EdgeRecessRdl, {}), (EdgeRecessRdl, {"variant": "C"}),
]


@pytest.mark.parametrize("cls,kw", CELL_VARIANTS, ids=_ids(CELL_VARIANTS))
def test_cell_variant_meshes_with_groups_areas_quality(cls, kw):
    model, _ = check_model(cls, kw, "cell")
    assert model.analysis == "generalized_plane_strain"
    assert 300 < model.n_elements < 40000


@pytest.mark.parametrize("cls,kw", ASSEMBLY_VARIANTS, ids=_ids(ASSEMBLY_VARIANTS))
def test_assembly_variant_meshes_with_groups_areas_quality(cls, kw):
    model, mesh = check_model(cls, kw, "assembly")
    assert {"board", "land"} <= set(model.regions)
    # one ball per pitch: the land elements fall into joint_count separate x bands
    xs = np.sort(mesh.points[np.unique(mesh.triangles["land"]), 0])
    assert 1 + np.sum(np.diff(xs) > 20.0) == kw["joint_count"]
    assert model.n_elements < 40000


@pytest.mark.slow
@pytest.mark.parametrize("cls,kw", SLOW_ASSEMBLY_VARIANTS, ids=_ids(SLOW_ASSEMBLY_VARIANTS))
def test_full_assembly_variants(cls, kw):
    model, _ = check_model(cls, kw, "assembly")
    assert model.n_elements < 45000


# ---- fan-out specifics ----

def test_fanout_trace_crosses_the_chip_edge_only_for_a_fanout_ball():
    out = FanoutRdl()
    inside = FanoutRdl(ball_location="chip", ball_edge_distance=200.0)
    a_c, t_r = out.chip_width / 2, out.rdl_thickness
    m_out, m_in = read_msh(out.build().msh), read_msh(inside.build().msh)
    assert locate(m_out, (a_c, t_r / 2)) == "rdl"
    assert locate(m_in, (a_c, t_r / 2)) == "insulator"
    # the fan-out ball sits over the molding, the fan-in ball over the chip
    assert out._x_ball() > a_c > inside._x_ball()


@pytest.mark.parametrize("levels", [1, 2, 3])
def test_fanout_rdl_levels_stack_under_the_ball(levels):
    f = FanoutRdl(rdl_levels=levels)
    model = f.build()
    mesh = read_msh(model.msh)
    y_rdl = mesh.points[np.unique(mesh.triangles["rdl"]), 1]
    assert y_rdl.max() == pytest.approx((levels - 1) * f.insulator_thickness + f.rdl_thickness)
    assert ("solder_mask" in model.regions) == (levels > 1)
    assert "insulator" in model.regions   # the only layer (1 level) or the ones under the solder mask


def test_fanout_without_carrier_has_no_glue_and_bottom_at_the_chip_back():
    f = FanoutRdl(carrier=False)
    model = f.build()
    mesh = read_msh(model.msh)
    assert not {"glue", "carrier"} & set(model.regions)
    bottom = mesh.points[np.unique(mesh.lines["bottom"]), 1]
    assert np.allclose(bottom, -(f.bump_height + f.chip_thickness))
    assert "chip/mold" in model.interfaces and "bump/rdl" in model.interfaces


# ---- edge-recess specifics ----

def _length(mesh, name, vertical):
    seg = mesh.points[mesh.lines[name][:, :2]]
    d = seg[:, 1] - seg[:, 0]
    keep = np.abs(d[:, 0]) < 1e-9 if vertical else np.abs(d[:, 1]) < 1e-9
    return float(np.sum(np.hypot(d[keep, 0], d[keep, 1]))), float(np.sum(np.hypot(d[:, 0], d[:, 1])))


def test_edge_variant_a_rdl_on_pad_top_b_on_pad_sidewall():
    a, b = EdgeRecessRdl(), EdgeRecessRdl(variant="B")
    ma, mb = read_msh(a.build().msh), read_msh(b.build().msh)
    flat, total = _length(ma, "pad/rdl", vertical=False)
    assert flat == pytest.approx(total) == pytest.approx(a.pad_exposed - a.isolation_overlap)
    upright, total = _length(mb, "pad/rdl", vertical=True)
    assert upright == pytest.approx(total) == pytest.approx(b.pad_thickness)
    assert "oxide/pad" in mb.lines and "rdl/support" in mb.lines   # oxide on the pad top, RDL into the support


def test_edge_variant_c_barrier_and_oxide_in_scribe_recess():
    c = EdgeRecessRdl(variant="C")
    model = c.build()
    mesh = read_msh(model.msh)
    e = c._edges()
    # the Si barrier stands between the conducting and the scribe recess, under its oxide
    assert locate(mesh, ((e["b0b"] + e["b1b"]) / 2, c.silicon_thickness / 2)) == "chip"
    assert locate(mesh, ((e["b0b"] + e["eb"]) / 2, c.silicon_thickness / 2)) is None   # open recess
    flat, _ = _length(mesh, "oxide/passivation", vertical=False)
    assert flat > c.scribe_width - 1.0
    assert "oxide/passivation" not in EdgeRecessRdl().build().interfaces


def test_edge_cavity_is_empty_under_the_chip():
    f = EdgeRecessRdl()
    mesh = read_msh(f.build().msh)
    e = f._edges()
    y_mid = -f.passivation_thickness - f.support_thickness / 2
    assert locate(mesh, (e["cav"] - 10, y_mid)) is None
    assert locate(mesh, (e["cav"] + 10, y_mid)) == "support"


# ---- validation ----

@pytest.mark.parametrize("cls,kw,name", [
    (FanoutRdl, {"rdl_thickness": 40.0}, "rdl_thickness"),                         # thicker than the insulator allows
    (FanoutRdl, {"ball_diameter": 600.0}, "ball_diameter"),                        # larger than the pitch
    (FanoutRdl, {"chip_width": 6000.0}, "chip_width"),                             # as wide as the package
    (FanoutRdl, {"chip_thickness": -5.0}, "chip_thickness"),
    (FanoutRdl, {"glue_thickness": 60.0}, "glue_thickness"),
    (FanoutRdl, {"mold_material": "epoxy"}, "mold_material"),
    (FanoutRdl, {"rdl_levels": 4}, "rdl_levels"),
    (FanoutRdl, {"joint_count": 12}, "joint_count"),                               # not in the package
    (FanoutRdl, {"opening_diameter": 270.0}, "opening_diameter"),
    (FanoutRdl, {"ball_edge_distance": 260.0}, "ball_edge_distance"),
    (FanoutRdl, {"finish_thickness": 5.0, "rdl_thickness": 24.0}, "finish_thickness"),
    (EdgeRecessRdl, {"variant": "C", "barrier_width": 60.0}, "barrier_width"),
    (EdgeRecessRdl, {"variant": "D"}, "variant"),
    (EdgeRecessRdl, {"pad_thickness": 2.0}, "pad_thickness"),
    (EdgeRecessRdl, {"ball_edge_distance": 100.0}, "ball_edge_distance"),
    (EdgeRecessRdl, {"ball_diameter": 420.0}, "ball_diameter"),
    (EdgeRecessRdl, {"pad_exposed": 80.0}, "pad_exposed"),
    (EdgeRecessRdl, {"variant": "B", "rdl_bottom_length": 60.0}, "rdl_bottom_length"),
    (EdgeRecessRdl, {"chip_width": 800.0}, "chip_width"),
    (EdgeRecessRdl, {"joint_count": 5}, "joint_count"),
    (EdgeRecessRdl, {"silicon_thickness": -1.0}, "silicon_thickness"),
    (EdgeRecessRdl, {"variant": "B", "recess_overetch": 38.0}, "recess_overetch"),   # through the support
])
def test_invalid_combination_is_one_clean_line(cls, kw, name):
    with pytest.raises(InputError) as err:
        cls(**kw)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(f"{name} = ") and ("outside" in msg or "not one of" in msg)


def test_unknown_parameter_and_listing():
    with pytest.raises(InputError, match="thickness is not a parameter of fanout-rdl; valid: package_width"):
        from_settings(FanoutRdl, ["thickness=3"])
    b = builder("edge-recess-rdl", ["variant=B", "sidewall_angle=80"])
    assert (b.variant, b.sidewall_angle) == ("B", 80.0)
    assert {"fanout-rdl", "edge-recess-rdl"} <= set(STRUCTURES)
    text = describe(FanoutRdl)
    assert "rdl_thickness = 15" in text and "[5, 100]" in text and "[0149]" in text
    assert "typical value" in describe(EdgeRecessRdl)
    for cls in (FanoutRdl, EdgeRecessRdl):   # every parameter documents meaning, unit and source
        for f in dataclasses.fields(cls):
            assert f.metadata["doc"] and f.metadata["source"], f.name
            assert f"    {f.name}" in cls.__doc__


# ---- CLI and solver: ready models, free warpage of every assembly slice ----

@pytest.mark.parametrize("name", ["fanout-rdl", "edge-recess-rdl"])
def test_cli_mesh_writes_ready_model(tmp_path, name):
    from studies.cli import main
    out = tmp_path / "m"
    assert main(["mesh", name, "--out", str(out)]) == 0
    model = tomllib.loads((out / "model.toml").read_text())
    mesh = read_msh((out / model["mesh"]).read_bytes())
    assert set(model["materials"]) == set(mesh.triangles)
    assert model["analysis"] == "generalized_plane_strain"
    assert all(locate(mesh, tuple(p["at"])) == p["region"] for p in model["probe"])
    assert (out / "mesh.png").stat().st_size > 20000


SMALL_ASSEMBLIES = [(PpiRecess, {"joint_count": 1}), (CuPost, {"joint_count": 2}),
                    (MoldedJoint, {"joint_count": 2}), (FanoutRdl, {"joint_count": 2}),
                    (EdgeRecessRdl, {"joint_count": 1})]


@pytest.mark.parametrize("cls,kw", SMALL_ASSEMBLIES, ids=_ids(SMALL_ASSEMBLIES))
def test_assembly_solves_and_warps_freely(tmp_path, cls, kw):
    from fea.model_file import load_model
    from fea.thermoelastic import solve
    cls(**kw).build("assembly").write(tmp_path, picture=False)
    model = load_model(tmp_path / "model.toml")
    sol = solve(model.problem)
    xy = sol.basis.doflocs[:, 1::2]
    uy = sol.u[1::2]
    bottom = np.isclose(xy[1], xy[1].min())
    anchor = bottom & np.isclose(xy[0], 0.0)
    assert anchor.sum() == 1 and uy[anchor][0] == 0.0
    # the bottom bends under the cool-down instead of being held flat
    assert np.ptp(uy[bottom]) > 0.01
    assert np.all(np.isfinite(sol.u))


# ---- property-based: valid sets always mesh, invalid ones always get the clean error ----

def _numbers(cls, names):
    fields = {f.name: f for f in dataclasses.fields(cls)}
    return {n: st.floats(*fields[n].metadata["range"]) for n in names}


PROPERTY_SPACE = {
    FanoutRdl: dict(_numbers(FanoutRdl, ["chip_width", "bump_height", "bump_edge_distance", "rdl_thickness",
                                         "insulator_thickness", "ball_edge_distance", "ball_diameter",
                                         "glue_thickness", "pitch"]),
                    rdl_levels=st.integers(1, 3), ball_location=st.sampled_from(["fanout", "chip"]),
                    carrier=st.booleans(), finish=st.booleans()),
    EdgeRecessRdl: dict(_numbers(EdgeRecessRdl, ["silicon_thickness", "sidewall_angle", "recess_width",
                                                 "barrier_width", "pad_exposed", "isolation_thickness",
                                                 "rdl_thickness", "solder_mask_thickness", "recess_overetch",
                                                 "support_width"]),
                        variant=st.sampled_from(["A", "B", "C"])),
}


@pytest.mark.parametrize("cls", list(PROPERTY_SPACE), ids=lambda c: c.cli_name)
def test_property_valid_sets_mesh_invalid_sets_get_clean_error(cls):
    names = {f.name for f in dataclasses.fields(cls)}

    @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.fixed_dictionaries({}, optional=PROPERTY_SPACE[cls]))
    def run(kw):
        try:
            obj = cls(**kw)
        except InputError as exc:
            msg = str(exc)
            assert "\n" not in msg and msg.split(" ")[0] in names and " = " in msg
            return
        model = obj.build("cell", mesh_size_factor=1.5)
        assert model.min_quality > 0.1
        assert set(model.materials) == set(model.regions)

    run()


@pytest.mark.parametrize("cls", list(PROPERTY_SPACE), ids=lambda c: c.cli_name)
def test_property_out_of_range_values_always_refused(cls):
    names = [n for n, s in PROPERTY_SPACE[cls].items() if "floats" in repr(s)]
    fields = {f.name: f for f in dataclasses.fields(cls)}

    @settings(max_examples=25, deadline=None)
    @given(st.sampled_from(names), st.floats(0.01, 1e4), st.booleans())
    def run(name, excess, above):
        lo, hi = fields[name].metadata["range"]
        with pytest.raises(InputError) as err:
            cls(**{name: hi + excess if above else lo - excess})
        assert str(err.value).startswith(f"{name} = ")

    run()
