"""Geometry builders: every variant meshes with its named groups, closed-form areas, a quality
floor and probes inside their regions; invalid parameters give one clean line; the CLI writes a
ready model; the assembly slices of all five structures are held by symmetry + one anchor point
and warp freely.

The joint structures (ppi-recess, cu-post, molded-joint) and the RDL packages (fanout-rdl,
edge-recess-rdl) have their own variant tables and bounds; :func:`check_model` is common."""
from __future__ import annotations

import dataclasses
import math
import tomllib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from fea.errors import InputError
from fea.mesh import element_nodes, read_msh
from geometry import STRUCTURES, builder
from geometry.cu_post import CuPost
from geometry.edge_recess_rdl import EdgeRecessRdl
from geometry.fanout_rdl import FanoutRdl
from geometry.molded_joint import MoldedJoint
from geometry.parameters import describe, from_settings
from geometry.ppi_recess import PpiRecess
from geometry.shapes import Outline, rect

JOINT_CELL_VARIANTS = [
    (PpiRecess, {}),
    (PpiRecess, {"recess_depth_ratio": 0.0}),
    (PpiRecess, {"recess_depth_ratio": 0.8, "recess_sidewall_angle": 90.0}),
    (PpiRecess, {"recess_bottom": "curved"}),
    (PpiRecess, {"recess_count": 3, "recess_width": 45.0, "recess_spacing": 10.0}),
    (PpiRecess, {"recess_count": 2, "recess_width": 60.0, "recess_bottom": "curved", "molding": False}),
    (PpiRecess, {"finish": False, "molding_height_ratio": 0.7, "polymer_material": "pbo"}),
    (PpiRecess, {"prior_art_ubm": True, "recess_depth_ratio": 0.0}),
    (CuPost, {}),
    (CuPost, {"via_profile": "tapered", "post_material": "au", "polymer_material": "silicone"}),
    (CuPost, {"via_profile": "hourglass", "post_projection": 0.0, "polymer_material": "bcb"}),
    (CuPost, {"post_height": 20.0, "post_projection": 0.0, "solder_bump": False}),   # 001 bump-in-polymer
    (MoldedJoint, {}),
    (MoldedJoint, {"concave_molding_top": True, "molding_height_ratio": 0.6}),
    (MoldedJoint, {"solder_wets_pad_sidewalls": True, "molding_touches_pad_sidewalls": False}),
    (MoldedJoint, {"molding_touches_pad_sidewalls": False}),
    (MoldedJoint, {"second_substrate": False, "concave_molding_top": True}),
    (MoldedJoint, {"pitch": 300.0, "joint_height": 260.0, "joint_width": 260.0, "sidewall_angle": 30.0}),
]
JOINT_ASSEMBLY_VARIANTS = [
    (PpiRecess, {"joint_count": 2}),
    (CuPost, {"joint_count": 3, "via_profile": "hourglass"}),
    (CuPost, {"joint_count": 2, "solder_bump": False}),
    (MoldedJoint, {"joint_count": 3, "concave_molding_top": True}),
]
JOINT_SLOW_ASSEMBLY_VARIANTS = [
    (PpiRecess, {}), (PpiRecess, {"recess_bottom": "curved", "molding": False}),
    (PpiRecess, {"prior_art_ubm": True, "recess_depth_ratio": 0.0}), (CuPost, {}), (MoldedJoint, {}),
    (MoldedJoint, {"molding_touches_pad_sidewalls": False}),
]

RDL_CELL_VARIANTS = [
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
RDL_ASSEMBLY_VARIANTS = [
    (FanoutRdl, {"joint_count": 2}),
    (EdgeRecessRdl, {"joint_count": 2, "variant": "B"}),
]
RDL_SLOW_ASSEMBLY_VARIANTS = [
    (FanoutRdl, {}), (FanoutRdl, {"ball_location": "chip", "rdl_levels": 3, "carrier": False}),
    (EdgeRecessRdl, {}), (EdgeRecessRdl, {"variant": "C"}),
]

#: regions every variant of a structure has
EXPECTED_REGIONS = {
    PpiRecess: {"substrate", "passivation", "polymer", "ppi", "solder"},
    CuPost: {"substrate", "passivation", "pad", "polymer", "post"},
    MoldedJoint: {"substrate", "pad", "solder", "mold"},
    FanoutRdl: {"chip", "bump", "mold", "rdl", "solder"},
    EdgeRecessRdl: {"chip", "passivation", "pad", "oxide", "rdl", "finish", "solder_mask", "support", "carrier",
                    "solder"},
}


def _ids(variants):
    return [f"{cls.cli_name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}" for cls, kw in variants]


# ---- reading a mesh back: node coordinates and node indices of regions and curves ----

def coordinates(mesh) -> np.ndarray:
    """(n, 2) coordinates of every node, corners and mid-edge nodes."""
    return mesh.mesh.doflocs.T


def region_nodes(mesh, region: str) -> np.ndarray:
    """(m, 6) node indices of the region's triangles: three corners, then the mid-edge nodes."""
    return element_nodes(mesh.mesh)[:, mesh.regions[region]].T


def curve_ends(mesh, curve: str) -> np.ndarray:
    """(k, 2) corner node indices of the curve's line elements."""
    return mesh.mesh.facets[:, mesh.curves[curve]].T


def curve_nodes(mesh, curve: str) -> np.ndarray:
    """Indices of every node on the curve, corners and mid-edge nodes."""
    facets = mesh.curves[curve]
    return np.unique(np.concatenate([mesh.mesh.facets[:, facets].ravel(), mesh.mesh.nvertices + facets]))


def check_model(cls, kw, level):
    obj = cls(**kw)
    model = obj.build(level)
    mesh, info = model.mesh, model.geometry
    # every region has a material and is a physical surface; required roles are there
    assert set(mesh.regions) == set(model.materials)
    assert EXPECTED_REGIONS[cls] <= set(mesh.regions)
    # interfaces: named a/b in alphabetical order, one physical curve each, between existing regions
    for name in info.interfaces:
        a, b = name.split("/")
        assert a < b and a in mesh.regions and b in mesh.regions
        assert name in mesh.curves
    # boundaries a model needs
    first = "axis" if model.analysis == "axisymmetric" else "symmetry"
    assert {first, "bottom"} <= set(info.boundaries) <= set(mesh.curves)
    assert all(group in mesh.curves or group in mesh.points for group, _ in model.fixed)
    if level == "assembly":
        assert "top" in info.boundaries or (cls is CuPost and not obj.solder_bump)
        assert model.analysis == "generalized_plane_strain"
        # free to warp: symmetry fixed in x, y held at one point, the bottom corner on the symmetry line
        assert tuple(model.fixed) == (("symmetry", "x"), ("anchor", "y"))
        assert info.points == ("anchor",) and len(mesh.points["anchor"]) == 1
        x_a, y_a = coordinates(mesh)[mesh.points["anchor"][0]]
        assert x_a == pytest.approx(0.0, abs=1e-9) and y_a == pytest.approx(coordinates(mesh)[:, 1].min())
    else:
        assert not mesh.points and all(group in mesh.curves for group, _ in model.fixed)
    # areas: exact for straight-sided regions, P2 geometry error only for curved ones
    areas = mesh.region_areas()
    for region, expected in info.closed_form_areas.items():
        tol = 1e-4 if region in info.curved_regions else 1e-6
        assert areas[region] == pytest.approx(expected, rel=tol), region
    # quality floor: gmsh's minSICN on the curved elements and our own nodal Jacobian check
    assert info.min_quality > 0.1
    assert mesh.jacobian_ratio() > 0.2
    # probes sit inside the region they name
    for p in model.probes:
        assert mesh.region_at(p.at) == p.region, p.name
    return model, mesh


# ---- joint structures: ppi-recess, cu-post, molded-joint ----

@pytest.mark.parametrize("cls,kw", JOINT_CELL_VARIANTS, ids=_ids(JOINT_CELL_VARIANTS))
def test_cell_variant_meshes_with_groups_areas_quality(cls, kw):
    model, _ = check_model(cls, kw, "cell")
    assert 300 < model.mesh.n_elements < 12000


@pytest.mark.parametrize("cls,kw", JOINT_ASSEMBLY_VARIANTS, ids=_ids(JOINT_ASSEMBLY_VARIANTS))
def test_assembly_variant_meshes_with_groups_areas_quality(cls, kw):
    model, mesh = check_model(cls, kw, "assembly")
    n = kw["joint_count"]
    joint = {PpiRecess: "solder", CuPost: "post", MoldedJoint: "solder"}[cls]
    # one joint per pitch: the joint region's elements fall into n separate x bands
    xs = coordinates(mesh)[region_nodes(mesh, joint)[:, 0], 0]
    bands = {int(x // cls(**kw).pitch) for x in xs}
    assert bands == set(range(n))
    assert model.mesh.n_elements < 30000


@pytest.mark.slow
@pytest.mark.parametrize("cls,kw", JOINT_SLOW_ASSEMBLY_VARIANTS, ids=_ids(JOINT_SLOW_ASSEMBLY_VARIANTS))
def test_full_assembly_variants(cls, kw):
    model, _ = check_model(cls, kw, "assembly")
    assert model.mesh.n_elements < 35000


def test_recess_depth_changes_polymer_area_by_the_recess_volume():
    flat = PpiRecess(recess_depth_ratio=0.0).spec().closed_form_areas["polymer"]
    deep = PpiRecess(recess_depth_ratio=0.5, recess_sidewall_angle=90.0).spec().closed_form_areas["polymer"]
    d1 = 0.5 * 7.5
    assert flat - deep == pytest.approx(60.0 * d1)   # half-width 60 um in the r-z plane


def test_mesh_size_factor_refines():
    coarse = PpiRecess().build(mesh_size_factor=1.5).mesh.n_elements
    fine = PpiRecess().build(mesh_size_factor=0.75).mesh.n_elements
    assert fine > 1.8 * coarse


def test_reading_a_mesh_prints_nothing(capsys):
    # sweeps read one mesh per point: a reader that prints would fill their output
    PpiRecess().build(mesh_size_factor=2.0).mesh
    assert capsys.readouterr().out == ""


def test_molding_gap_keeps_mold_off_pad_sidewalls():
    touching = MoldedJoint().build().mesh
    gap = MoldedJoint(molding_touches_pad_sidewalls=False).build().mesh

    def vertical_mold_pad(m):
        seg = coordinates(m)[curve_ends(m, "mold/pad")]
        return sum(abs(s[1, 1] - s[0, 1]) for s in seg)

    assert vertical_mold_pad(touching) == pytest.approx(10.0)   # pad_thickness
    assert vertical_mold_pad(gap) == pytest.approx(0.0, abs=1e-9)


def test_wetting_solder_covers_pad_sidewalls():
    m = MoldedJoint(solder_wets_pad_sidewalls=True, molding_touches_pad_sidewalls=False).build()
    assert "mold/pad" not in m.geometry.interfaces and "pad/solder" in m.geometry.interfaces


@pytest.mark.parametrize("cls,kw,name", [
    (PpiRecess, {"recess_depth_ratio": 0.9}, "recess_depth_ratio"),
    (PpiRecess, {"recess_depth_ratio": 0.1}, "recess_depth_ratio"),          # D1 < 1.6 um
    (PpiRecess, {"recess_width": 300.0}, "recess_width"),                    # wider than the pad
    (PpiRecess, {"recess_width": 14.0}, "recess_width"),                     # films fill it
    (PpiRecess, {"pad_diameter": 260.0}, "pad_diameter"),
    (PpiRecess, {"polymer_thickness": -1.0}, "polymer_thickness"),
    (PpiRecess, {"prior_art_ubm": True}, "recess_depth_ratio"),
    (PpiRecess, {"recess_count": 2.5}, "recess_count"),
    (CuPost, {"post_width": 160.0}, "post_width"),                           # wider than the pitch
    (CuPost, {"via_profile": "conical"}, "via_profile"),
    (CuPost, {"post_height": 0.0}, "post_height"),
    (MoldedJoint, {"molding_height_ratio": 1.2}, "molding_height_ratio"),    # above the joint
    (MoldedJoint, {"pitch": 250.0}, "pitch"),
    (MoldedJoint, {"solder_wets_pad_sidewalls": True}, "molding_touches_pad_sidewalls"),
    (MoldedJoint, {"concave_molding_top": True, "meniscus_height": 80.0, "molding_height_ratio": 0.9},
     "meniscus_height"),
])
def test_invalid_combination_is_one_clean_line(cls, kw, name):
    with pytest.raises(InputError) as err:
        cls(**kw)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(name)


def test_assembly_without_second_substrate_is_refused():
    with pytest.raises(InputError, match="second_substrate"):
        MoldedJoint(second_substrate=False).build("assembly")


def test_settings_conversion_and_unknown_names():
    b = builder("ppi-recess", ["recess_depth_ratio=0.5", "finish=false", "recess_count=1", "recess_bottom=curved"])
    assert (b.recess_depth_ratio, b.finish, b.recess_count, b.recess_bottom) == (0.5, False, 1, "curved")
    with pytest.raises(InputError, match="valid: recess_depth_ratio"):
        from_settings(PpiRecess, ["depth=1"])
    with pytest.raises(InputError, match="molding"):
        from_settings(PpiRecess, ["molding=perhaps"])
    with pytest.raises(InputError, match="unknown"):
        builder("no-such-thing")


def test_registry_and_listing():
    assert {"ppi-recess", "cu-post", "molded-joint"} <= set(STRUCTURES)
    text = describe(PpiRecess)
    assert "recess_depth_ratio = 0.35" in text and "[0, 0.8]" in text and "[0014]" in text
    assert "allowed [0, 0.8]" in PpiRecess.__doc__


def test_outline_area_with_arc():
    quarter = Outline(((0, 0), (2, 0), (0, 2)), ((1, (0, 0)),))
    assert quarter.area() == pytest.approx(math.pi)
    bite = Outline(((0, 0), (2, 0), (2, 2), (0, 2)), ((1, (3, 1)),))   # arc bulging inward
    seg = 2 * 2 - 0.5 * math.sqrt(2) ** 2 * (math.pi / 2 - 1)   # square minus a 90-deg segment
    assert bite.area() == pytest.approx(seg)
    assert rect(1, 1, 4, 3).area() == 6


def test_cli_mesh_writes_ready_model(tmp_path, capsys):
    from studies.cli import main
    out = tmp_path / "m"
    assert main(["mesh", "cu-post", "--set", "via_profile=tapered", "--out", str(out)]) == 0
    assert {p.name for p in out.iterdir()} == {"model.msh", "model.toml", "mesh.png"}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]   # no temp dir left
    model = tomllib.loads((out / "model.toml").read_text())
    mesh = read_msh((out / model["mesh"]).read_bytes())
    assert set(model["materials"]) == set(mesh.regions)
    assert model["analysis"] == "axisymmetric"
    assert all(bc["group"] in mesh.curves for bc in model["bc"])
    assert model["temperature"] == {"stress_free": 125.0, "field": -40.0}
    assert all(mesh.region_at(tuple(p["at"])) == p["region"] for p in model["probe"])
    assert (out / "mesh.png").stat().st_size > 20000


def test_cli_errors_and_list(tmp_path, capsys):
    from studies.cli import main
    assert main(["mesh", "ppi-recess", "--set", "recess_depth_ratio=0.9", "--out", str(tmp_path / "x")]) == 2
    assert "recess_depth_ratio = 0.9 is outside [0, 0.8]" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "ppi-recess" in out and "cu-post" in out and "molded-joint" in out and "post_width = 50" in out


def _corner_angles(points, tri):
    """Interior angles (deg) of the corner triangles ``tri`` (m, >=3) at their three vertices."""
    p = points[tri[:, :3]]
    out = []
    for i in range(3):
        u, v = p[:, (i + 1) % 3] - p[:, i], p[:, (i + 2) % 3] - p[:, i]
        cos = np.sum(u * v, axis=1) / np.linalg.norm(u, axis=1) / np.linalg.norm(v, axis=1)
        out.append(np.degrees(np.arccos(np.clip(cos, -1, 1))))
    return np.stack(out, axis=1)


def _solder_pieces(tri) -> int:
    """Edge-connected pieces of a triangle set."""
    parent = list(range(len(tri)))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    seen = {}
    for k, t in enumerate(tri[:, :3]):
        for a, b in ((0, 1), (1, 2), (2, 0)):
            e = (min(t[a], t[b]), max(t[a], t[b]))
            if e in seen:
                parent[root(k)] = root(seen[e])
            else:
                seen[e] = k
    return len({root(k) for k in range(len(tri))})


@pytest.mark.parametrize("cls,kw", [(PpiRecess, {"joint_count": 2}), (CuPost, {"joint_count": 2}),
                                    (MoldedJoint, {"joint_count": 2})], ids=["ppi-recess", "cu-post", "molded-joint"])
def test_solder_meets_the_land_at_a_real_contact_angle_without_slivers(cls, kw):
    """A zero-angle solder wedge or sliver elements at the solder/land contact edge make the
    creep strain there singular. So the solder wedge at both ends of every land contact must be
    a real wetting angle (the ball's free surface leaves the land plane at 60-170 deg measured
    inside the solder, never tangentially), the solder elements around the contact well shaped,
    and the solder one piece per joint."""
    model = cls(**kw).build("assembly")
    mesh = model.mesh
    points = coordinates(mesh)
    solder = region_nodes(mesh, "solder")
    assert _solder_pieces(solder) == kw["joint_count"]
    contact = np.unique(curve_ends(mesh, "land/solder"))
    xy = points[contact]
    pitch = cls(**kw).pitch
    ang = _corner_angles(points, solder)
    for j in range(kw["joint_count"]):
        band = contact[(xy[:, 0] > j * pitch) & (xy[:, 0] < (j + 1) * pitch)]
        for end in (band[np.argmin(points[band, 0])], band[np.argmax(points[band, 0])]):
            at = solder[:, :3] == end
            wedge = float(np.sum(ang[at]))
            assert 60.0 < wedge < 170.0, (j, points[end], wedge)
            near = np.linalg.norm(points[solder[:, :3]].mean(axis=1) - points[end], axis=1) < 15.0
            assert ang[near].min() > 20.0, (j, points[end])


# ---- RDL packages: fanout-rdl, edge-recess-rdl ----

@pytest.mark.parametrize("cls,kw", RDL_CELL_VARIANTS, ids=_ids(RDL_CELL_VARIANTS))
def test_rdl_cell_variant_meshes_with_groups_areas_quality(cls, kw):
    model, _ = check_model(cls, kw, "cell")
    assert model.analysis == "generalized_plane_strain"
    assert 300 < model.mesh.n_elements < 40000


@pytest.mark.parametrize("cls,kw", RDL_ASSEMBLY_VARIANTS, ids=_ids(RDL_ASSEMBLY_VARIANTS))
def test_rdl_assembly_variant_meshes_with_groups_areas_quality(cls, kw):
    model, mesh = check_model(cls, kw, "assembly")
    assert {"board", "land"} <= set(model.mesh.regions)
    # one ball per pitch: the land elements fall into joint_count separate x bands
    xs = np.sort(coordinates(mesh)[np.unique(region_nodes(mesh, "land")), 0])
    assert 1 + np.sum(np.diff(xs) > 20.0) == kw["joint_count"]
    assert model.mesh.n_elements < 40000


@pytest.mark.slow
@pytest.mark.parametrize("cls,kw", RDL_SLOW_ASSEMBLY_VARIANTS, ids=_ids(RDL_SLOW_ASSEMBLY_VARIANTS))
def test_rdl_full_assembly_variants(cls, kw):
    model, _ = check_model(cls, kw, "assembly")
    assert model.mesh.n_elements < 45000


def test_fanout_trace_crosses_the_chip_edge_only_for_a_fanout_ball():
    out = FanoutRdl()
    inside = FanoutRdl(ball_location="chip", ball_edge_distance=200.0)
    a_c, t_r = out.chip_width / 2, out.rdl_thickness
    m_out, m_in = out.build().mesh, inside.build().mesh
    assert m_out.region_at((a_c, t_r / 2)) == "rdl"
    assert m_in.region_at((a_c, t_r / 2)) == "insulator"
    # the fan-out ball sits over the molding, the fan-in ball over the chip
    assert out._x_ball() > a_c > inside._x_ball()


@pytest.mark.parametrize("levels", [1, 2, 3])
def test_fanout_rdl_levels_stack_under_the_ball(levels):
    f = FanoutRdl(rdl_levels=levels)
    model = f.build()
    mesh = model.mesh
    y_rdl = coordinates(mesh)[np.unique(region_nodes(mesh, "rdl")), 1]
    assert y_rdl.max() == pytest.approx((levels - 1) * f.insulator_thickness + f.rdl_thickness)
    assert ("solder_mask" in model.mesh.regions) == (levels > 1)
    assert "insulator" in model.mesh.regions   # the only layer (1 level) or the ones under the solder mask


def test_fanout_without_carrier_has_no_glue_and_bottom_at_the_chip_back():
    f = FanoutRdl(carrier=False)
    model = f.build()
    mesh = model.mesh
    assert not {"glue", "carrier"} & set(model.mesh.regions)
    bottom = coordinates(mesh)[curve_nodes(mesh, "bottom"), 1]
    assert np.allclose(bottom, -(f.bump_height + f.chip_thickness))
    assert "chip/mold" in model.geometry.interfaces and "bump/rdl" in model.geometry.interfaces


def _length(mesh, name, vertical):
    seg = coordinates(mesh)[curve_ends(mesh, name)]
    d = seg[:, 1] - seg[:, 0]
    keep = np.abs(d[:, 0]) < 1e-9 if vertical else np.abs(d[:, 1]) < 1e-9
    return float(np.sum(np.hypot(d[keep, 0], d[keep, 1]))), float(np.sum(np.hypot(d[:, 0], d[:, 1])))


def test_edge_variant_a_rdl_on_pad_top_b_on_pad_sidewall():
    a, b = EdgeRecessRdl(), EdgeRecessRdl(variant="B")
    ma, mb = a.build().mesh, b.build().mesh
    flat, total = _length(ma, "pad/rdl", vertical=False)
    assert flat == pytest.approx(total) == pytest.approx(a.pad_exposed - a.isolation_overlap)
    upright, total = _length(mb, "pad/rdl", vertical=True)
    assert upright == pytest.approx(total) == pytest.approx(b.pad_thickness)
    assert "oxide/pad" in mb.curves and "rdl/support" in mb.curves   # oxide on the pad top, RDL into the support


def test_edge_variant_c_barrier_and_oxide_in_scribe_recess():
    c = EdgeRecessRdl(variant="C")
    model = c.build()
    mesh = model.mesh
    e = c._edges()
    # the Si barrier stands between the conducting and the scribe recess, under its oxide
    assert mesh.region_at(((e["b0b"] + e["b1b"]) / 2, c.silicon_thickness / 2)) == "chip"
    assert mesh.region_at(((e["b0b"] + e["eb"]) / 2, c.silicon_thickness / 2)) is None   # open recess
    flat, _ = _length(mesh, "oxide/passivation", vertical=False)
    assert flat > c.scribe_width - 1.0
    assert "oxide/passivation" not in EdgeRecessRdl().build().geometry.interfaces


def test_edge_cavity_is_empty_under_the_chip():
    f = EdgeRecessRdl()
    mesh = f.build().mesh
    e = f._edges()
    y_mid = -f.passivation_thickness - f.support_thickness / 2
    assert mesh.region_at((e["cav"] - 10, y_mid)) is None
    assert mesh.region_at((e["cav"] + 10, y_mid)) == "support"


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
def test_rdl_invalid_combination_is_one_clean_line(cls, kw, name):
    with pytest.raises(InputError) as err:
        cls(**kw)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(f"{name} = ") and ("outside" in msg or "not one of" in msg)


def test_rdl_unknown_parameter_and_listing():
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


@pytest.mark.parametrize("name", ["fanout-rdl", "edge-recess-rdl"])
def test_rdl_cli_mesh_writes_ready_model(tmp_path, name):
    from studies.cli import main
    out = tmp_path / "m"
    assert main(["mesh", name, "--out", str(out)]) == 0
    model = tomllib.loads((out / "model.toml").read_text())
    mesh = read_msh((out / model["mesh"]).read_bytes())
    assert set(model["materials"]) == set(mesh.regions)
    assert model["analysis"] == "generalized_plane_strain"
    assert all(mesh.region_at(tuple(p["at"])) == p["region"] for p in model["probe"])
    assert (out / "mesh.png").stat().st_size > 20000


# ---- every structure: the assembly slice warps freely ----

SMALL_ASSEMBLIES = [(PpiRecess, {"joint_count": 1}), (CuPost, {"joint_count": 2}),
                    (MoldedJoint, {"joint_count": 2}), (FanoutRdl, {"joint_count": 2}),
                    (EdgeRecessRdl, {"joint_count": 1})]


@pytest.mark.parametrize("cls,kw", SMALL_ASSEMBLIES, ids=_ids(SMALL_ASSEMBLIES))
def test_assembly_solves_and_warps_freely(tmp_path, cls, kw):
    from fea.thermoelastic import solve
    sol = solve(cls(**kw).build("assembly"))
    xy = sol.basis.doflocs[:, 1::2]
    uy = sol.u[1::2]
    bottom = np.isclose(xy[1], xy[1].min())
    anchor = bottom & np.isclose(xy[0], 0.0)
    assert anchor.sum() == 1 and uy[anchor][0] == 0.0
    # the bottom bends under the cool-down instead of being held flat
    assert np.ptp(uy[bottom]) > 0.01
    assert np.all(np.isfinite(sol.u))


# ---- property-based: valid sets always mesh, invalid ones always get the clean error ----

def _numbers(cls, names, within=None):
    """Float strategies over the declared ranges, or over the sub-ranges ``within`` gives."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    return {n: st.floats(*(within or {}).get(n, fields[n].metadata["range"])) for n in names}


def _zero_or(lo: float, hi: float):
    """0 (the feature is absent) or a value in [lo, hi]: parameters refused strictly between."""
    return st.one_of(st.just(0.0), st.floats(lo, hi))


# The parameters that the cross checks refuse most often are drawn from sub-ranges where most
# sets are valid, so that a run builds many sets; the declared ranges' ends are refused in
# test_property_out_of_range_values_always_refused.
PROPERTY_SPACE = {
    PpiRecess: dict(_numbers(PpiRecess, ["polymer_thickness", "recess_width", "ppi_thickness", "molding_height_ratio",
                                         "recess_sidewall_angle"], within={"recess_width": (40.0, 180.0)}),
                    recess_depth_ratio=_zero_or(0.25, 0.8),
                    recess_bottom=st.sampled_from(["flat", "curved"]), recess_count=st.integers(1, 5),
                    finish=st.booleans()),
    CuPost: dict(_numbers(CuPost, ["post_width", "post_height", "post_projection", "via_narrowing",
                                   "bump_height", "pitch"]),
                 via_profile=st.sampled_from(["straight", "tapered", "hourglass"]), solder_bump=st.booleans()),
    MoldedJoint: dict(_numbers(MoldedJoint, ["pitch", "joint_height", "joint_width", "sidewall_angle",
                                             "molding_height_ratio", "meniscus_height"], within={"pitch": (300.0, 600.0)}),
                      pad_edge_offset=_zero_or(2.0, 30.0),
                      solder_wets_pad_sidewalls=st.booleans(), molding_touches_pad_sidewalls=st.booleans(),
                      concave_molding_top=st.booleans(), second_substrate=st.booleans()),
    FanoutRdl: dict(_numbers(FanoutRdl, ["chip_width", "bump_height", "bump_edge_distance", "rdl_thickness",
                                         "insulator_thickness", "ball_edge_distance", "ball_diameter",
                                         "glue_thickness", "pitch"],
                             within={"chip_width": (200.0, 5800.0), "rdl_thickness": (5.0, 25.0),
                                     "insulator_thickness": (30.0, 150.0), "bump_edge_distance": (10.0, 120.0),
                                     "ball_edge_distance": (0.0, 100.0), "ball_diameter": (260.0, 450.0),
                                     "pitch": (470.0, 900.0)}),
                    rdl_levels=st.integers(1, 3), ball_location=st.sampled_from(["fanout", "chip"]),
                    carrier=st.booleans(), finish=st.booleans()),
    EdgeRecessRdl: dict(_numbers(EdgeRecessRdl, ["silicon_thickness", "sidewall_angle", "recess_width",
                                                 "barrier_width", "pad_exposed", "isolation_thickness",
                                                 "rdl_thickness", "solder_mask_thickness", "recess_overetch",
                                                 "support_width"],
                                 within={"pad_exposed": (15.0, 40.0), "recess_width": (60.0, 200.0),
                                         "barrier_width": (60.0, 200.0), "support_width": (20.0, 400.0),
                                         "recess_overetch": (2.0, 30.0), "solder_mask_thickness": (5.0, 30.0)}),
                        variant=st.sampled_from(["A", "B", "C"])),
}

#: parameters the joint structures' cross checks name when they refuse a set
JOINT_CROSS_CHECKED = {"recess_width", "recess_depth_ratio", "pad_diameter", "molding_height_ratio", "pitch",
                       "joint_width", "joint_height", "pad_edge_offset", "meniscus_height", "post_width",
                       "via_narrowing", "bump_height", "molding_touches_pad_sidewalls", "ball_diameter"}


def _joint_refusal_is_clean(cls, kw, msg: str) -> bool:
    return "\n" not in msg and msg.split(" ")[0] in set(kw) | JOINT_CROSS_CHECKED


def _rdl_refusal_is_clean(cls, kw, msg: str) -> bool:
    names = {f.name for f in dataclasses.fields(cls)}
    return "\n" not in msg and msg.split(" ")[0] in names and " = " in msg


def _valid_sets_mesh_invalid_sets_refused(cls, max_examples: int, refusal_is_clean) -> None:
    """Draw parameter sets: an accepted one builds a valid cell, a refused one gets one clean
    line; at least a quarter of the drawn sets must be accepted, or the test tests nothing."""
    drawn, built = [], []

    @settings(max_examples=max_examples, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.fixed_dictionaries({}, optional=PROPERTY_SPACE[cls]))
    def run(kw):
        drawn.append(kw)
        try:
            obj = cls(**kw)
        except InputError as exc:
            assert refusal_is_clean(cls, kw, str(exc)), str(exc)
            return
        model = obj.build("cell", mesh_size_factor=1.5)
        assert model.geometry.min_quality > 0.1
        assert set(model.materials) == set(model.mesh.regions)
        built.append(kw)

    run()
    assert built and len(built) >= len(drawn) / 4, f"{len(built)} of {len(drawn)} drawn sets built"


@pytest.mark.parametrize("cls", [PpiRecess, CuPost, MoldedJoint], ids=lambda c: c.cli_name)
def test_property_valid_sets_mesh_invalid_sets_get_clean_error(cls):
    _valid_sets_mesh_invalid_sets_refused(cls, 25, _joint_refusal_is_clean)


@pytest.mark.parametrize("cls", [FanoutRdl, EdgeRecessRdl], ids=lambda c: c.cli_name)
def test_rdl_property_valid_sets_mesh_invalid_sets_get_clean_error(cls):
    _valid_sets_mesh_invalid_sets_refused(cls, 10, _rdl_refusal_is_clean)


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
