"""Geometry builders: every variant meshes with its named groups, closed-form areas, a quality
floor and probes inside their regions; invalid parameters give one clean line; the CLI writes a
ready model."""
from __future__ import annotations

import math
import tomllib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from fea.errors import InputError
from geometry import STRUCTURES, builder
from geometry.common import (Outline, describe, from_settings, jacobian_ratio, locate, read_msh,
                             rect, region_areas)
from geometry.cu_post import CuPost
from geometry.molded_joint import MoldedJoint
from geometry.ppi_recess import PpiRecess

CELL_VARIANTS = [
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
ASSEMBLY_VARIANTS = [
    (PpiRecess, {"joint_count": 2}),
    (CuPost, {"joint_count": 3, "via_profile": "hourglass"}),
    (CuPost, {"joint_count": 2, "solder_bump": False}),
    (MoldedJoint, {"joint_count": 3, "concave_molding_top": True}),
]
SLOW_ASSEMBLY_VARIANTS = [
    (PpiRecess, {}), (PpiRecess, {"recess_bottom": "curved", "molding": False}),
    (PpiRecess, {"prior_art_ubm": True, "recess_depth_ratio": 0.0}), (CuPost, {}), (MoldedJoint, {}),
    (MoldedJoint, {"molding_touches_pad_sidewalls": False}),
]

EXPECTED_REGIONS = {
    PpiRecess: {"substrate", "passivation", "polymer", "ppi", "solder"},
    CuPost: {"substrate", "passivation", "pad", "polymer", "post"},
    MoldedJoint: {"substrate", "pad", "solder", "mold"},
}


def _ids(variants):
    return [f"{cls.cli_name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}" for cls, kw in variants]


def check_model(cls, kw, level):
    obj = cls(**kw)
    model = obj.build(level)
    mesh = read_msh(model.msh)
    # every region has a material and is a physical surface; required roles are there
    assert set(mesh.triangles) == set(model.regions) == set(model.materials)
    assert EXPECTED_REGIONS[cls] <= set(model.regions)
    # interfaces: named a/b in alphabetical order, one physical curve each, between existing regions
    for name in model.interfaces:
        a, b = name.split("/")
        assert a < b and a in model.regions and b in model.regions
        assert name in mesh.lines
    # boundaries a model needs
    first = "axis" if model.analysis == "axisymmetric" else "symmetry"
    assert {first, "bottom"} <= set(model.boundaries) <= set(mesh.lines)
    assert all(bc["group"] in mesh.lines or bc["group"] in mesh.vertices for bc in model.bcs)
    if level == "assembly":
        assert "top" in model.boundaries or (cls is CuPost and not obj.solder_bump)
        assert model.analysis == "generalized_plane_strain"
        # free to warp: symmetry fixed in x, y held at one point, the bottom corner on the symmetry line
        assert [(bc["group"], bc["fix"]) for bc in model.bcs] == [("symmetry", ["x"]), ("anchor", ["y"])]
        assert model.points == ("anchor",) and len(mesh.vertices["anchor"]) == 1
        x_a, y_a = mesh.points[mesh.vertices["anchor"][0]]
        assert x_a == pytest.approx(0.0, abs=1e-9) and y_a == pytest.approx(mesh.points[:, 1].min())
    else:
        assert not mesh.vertices and all(bc["group"] in mesh.lines for bc in model.bcs)
    # areas: exact for straight-sided regions, P2 geometry error only for curved ones
    areas = region_areas(mesh)
    for region, expected in model.closed_form_areas.items():
        tol = 1e-4 if region in model.curved_regions else 1e-6
        assert areas[region] == pytest.approx(expected, rel=tol), region
    # quality floor: gmsh's minSICN on the curved elements and our own nodal Jacobian check
    assert model.min_quality > 0.1
    assert jacobian_ratio(mesh) > 0.2
    # probes sit inside the region they name
    for p in model.probes:
        assert locate(mesh, p.at) == p.region, p.name
    return model, mesh


@pytest.mark.parametrize("cls,kw", CELL_VARIANTS, ids=_ids(CELL_VARIANTS))
def test_cell_variant_meshes_with_groups_areas_quality(cls, kw):
    model, _ = check_model(cls, kw, "cell")
    assert 300 < model.n_elements < 12000


@pytest.mark.parametrize("cls,kw", ASSEMBLY_VARIANTS, ids=_ids(ASSEMBLY_VARIANTS))
def test_assembly_variant_meshes_with_groups_areas_quality(cls, kw):
    model, mesh = check_model(cls, kw, "assembly")
    n = kw["joint_count"]
    joint = {PpiRecess: "solder", CuPost: "post", MoldedJoint: "solder"}[cls]
    # one joint per pitch: the joint region's elements fall into n separate x bands
    xs = mesh.points[mesh.triangles[joint][:, 0], 0]
    bands = {int(x // obj_pitch(cls, kw)) for x in xs}
    assert bands == set(range(n))
    assert model.n_elements < 30000


def obj_pitch(cls, kw):
    return cls(**kw).pitch


@pytest.mark.slow
@pytest.mark.parametrize("cls,kw", SLOW_ASSEMBLY_VARIANTS, ids=_ids(SLOW_ASSEMBLY_VARIANTS))
def test_full_assembly_variants(cls, kw):
    model, _ = check_model(cls, kw, "assembly")
    assert model.n_elements < 35000


def test_recess_depth_changes_polymer_area_by_the_recess_volume():
    flat = PpiRecess(recess_depth_ratio=0.0).spec().closed_form_areas["polymer"]
    deep = PpiRecess(recess_depth_ratio=0.5, recess_sidewall_angle=90.0).spec().closed_form_areas["polymer"]
    d1 = 0.5 * 7.5
    assert flat - deep == pytest.approx(60.0 * d1)   # half-width 60 um in the r-z plane


def test_mesh_size_factor_refines():
    coarse = PpiRecess().build(mesh_size_factor=1.5).n_elements
    fine = PpiRecess().build(mesh_size_factor=0.75).n_elements
    assert fine > 1.8 * coarse


def test_reading_a_mesh_prints_nothing(capsys):
    # meshio tries ANSYS first for a bare ".msh" and prints that reader's error: one blank line
    # per point in every sweep's output
    read_msh(PpiRecess().build(mesh_size_factor=2.0).msh)
    assert capsys.readouterr().out == ""


def test_molding_gap_keeps_mold_off_pad_sidewalls():
    touching = read_msh(MoldedJoint().build().msh)
    gap = read_msh(MoldedJoint(molding_touches_pad_sidewalls=False).build().msh)

    def vertical_mold_pad(m):
        seg = m.points[m.lines["mold/pad"][:, :2]]
        return sum(abs(s[1, 1] - s[0, 1]) for s in seg)

    assert vertical_mold_pad(touching) == pytest.approx(10.0)   # pad_thickness
    assert vertical_mold_pad(gap) == pytest.approx(0.0, abs=1e-9)


def test_wetting_solder_covers_pad_sidewalls():
    m = MoldedJoint(solder_wets_pad_sidewalls=True, molding_touches_pad_sidewalls=False).build()
    assert "mold/pad" not in m.interfaces and "pad/solder" in m.interfaces


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
    assert set(model["materials"]) == set(mesh.triangles)
    assert model["analysis"] == "axisymmetric"
    assert all(bc["group"] in mesh.lines for bc in model["bc"])
    assert model["temperature"] == {"stress_free": 125.0, "field": -40.0}
    assert all(locate(mesh, tuple(p["at"])) == p["region"] for p in model["probe"])
    assert (out / "mesh.png").stat().st_size > 20000


def test_cli_errors_and_list(tmp_path, capsys):
    from studies.cli import main
    assert main(["mesh", "ppi-recess", "--set", "recess_depth_ratio=0.9", "--out", str(tmp_path / "x")]) == 2
    assert "recess_depth_ratio = 0.9 is outside [0, 0.8]" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "ppi-recess" in out and "cu-post" in out and "molded-joint" in out and "post_width = 50" in out


# ---- property-based: valid sets always mesh, invalid ones always get the clean error ----

def _numbers(cls, names):
    fields = {f.name: f for f in __import__("dataclasses").fields(cls)}
    return {n: st.floats(*fields[n].metadata["range"]) for n in names}


PROPERTY_SPACE = {
    PpiRecess: dict(_numbers(PpiRecess, ["recess_depth_ratio", "polymer_thickness", "recess_width",
                                         "ppi_thickness", "molding_height_ratio", "recess_sidewall_angle"]),
                    recess_bottom=st.sampled_from(["flat", "curved"]), recess_count=st.integers(1, 5),
                    finish=st.booleans()),
    CuPost: dict(_numbers(CuPost, ["post_width", "post_height", "post_projection", "via_narrowing",
                                   "bump_height", "pitch"]),
                 via_profile=st.sampled_from(["straight", "tapered", "hourglass"]), solder_bump=st.booleans()),
    MoldedJoint: dict(_numbers(MoldedJoint, ["pitch", "joint_height", "joint_width", "sidewall_angle",
                                             "molding_height_ratio", "pad_edge_offset", "meniscus_height"]),
                      solder_wets_pad_sidewalls=st.booleans(), molding_touches_pad_sidewalls=st.booleans(),
                      concave_molding_top=st.booleans(), second_substrate=st.booleans()),
}


@pytest.mark.parametrize("cls", list(PROPERTY_SPACE), ids=lambda c: c.cli_name)
def test_property_valid_sets_mesh_invalid_sets_get_clean_error(cls):
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.fixed_dictionaries({}, optional=PROPERTY_SPACE[cls]))
    def run(kw):
        try:
            obj = cls(**kw)
        except InputError as exc:
            assert "\n" not in str(exc) and str(exc).split(" ")[0] in {f for f in kw} | {
                "recess_width", "recess_depth_ratio", "pad_diameter", "molding_height_ratio", "pitch",
                "joint_width", "joint_height", "pad_edge_offset", "meniscus_height", "post_width",
                "via_narrowing", "bump_height", "molding_touches_pad_sidewalls", "ball_diameter"}
            return
        model = obj.build("cell", mesh_size_factor=1.5)
        assert model.min_quality > 0.1
        assert set(model.materials) == set(model.regions)

    run()


@pytest.mark.parametrize("cls", list(PROPERTY_SPACE), ids=lambda c: c.cli_name)
def test_property_out_of_range_values_always_refused(cls):
    names = [n for n, s in PROPERTY_SPACE[cls].items() if "floats" in repr(s)]
    fields = {f.name: f for f in __import__("dataclasses").fields(cls)}

    @settings(max_examples=25, deadline=None)
    @given(st.sampled_from(names), st.floats(0.01, 1e4), st.booleans())
    def run(name, excess, above):
        lo, hi = fields[name].metadata["range"]
        value = hi + excess if above else lo - excess
        with pytest.raises(InputError) as err:
            cls(**{name: value})
        assert str(err.value).startswith(f"{name} = ")

    run()


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
    """Reported: singular creep strain (~1e5 per cycle) at the solder/land contact edge of the
    ppi-recess assembly, suspected from a zero-angle solder wedge or sliver elements there. The
    solder wedge at both ends of every land contact must be a real wetting angle (the ball's free
    surface leaves the land plane at 60-170 deg measured inside the solder, never tangentially),
    the solder elements around the contact well shaped, and the solder one piece per joint."""
    model = cls(**kw).build("assembly")
    mesh = read_msh(model.msh)
    solder = mesh.triangles["solder"]
    assert _solder_pieces(solder) == kw["joint_count"]
    contact = np.unique(mesh.lines["land/solder"][:, :2])
    xy = mesh.points[contact]
    pitch = cls(**kw).pitch
    ang = _corner_angles(mesh.points, solder)
    for j in range(kw["joint_count"]):
        band = contact[(xy[:, 0] > j * pitch) & (xy[:, 0] < (j + 1) * pitch)]
        for end in (band[np.argmin(mesh.points[band, 0])], band[np.argmax(mesh.points[band, 0])]):
            at = solder[:, :3] == end
            wedge = float(np.sum(ang[at]))
            assert 60.0 < wedge < 170.0, (j, mesh.points[end], wedge)
            near = np.linalg.norm(mesh.points[solder[:, :3]].mean(axis=1) - mesh.points[end], axis=1) < 15.0
            assert ang[near].min() > 20.0, (j, mesh.points[end])
