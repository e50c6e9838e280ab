"""Meshing a builder's :class:`ModelSpec` with gmsh/OpenCASCADE into a `fea.model.Model`.

Painting. The spec's layers are painted in priority order (see :mod:`geometry.shapes`); after
OpenCASCADE's ``fragment`` every piece of the plane belongs to exactly one region.

Names. Physical surfaces are the region names. Physical curves are every interface between two
regions, named ``a/b`` with the two region names in alphabetical order (``polymer/ppi``,
``ppi/solder``), plus the boundary names of the spec's :class:`~geometry.shapes.Boundary` lines
(only curves on the outside of the domain, lying on the line, get a boundary name). Free
surfaces get no name. Physical points (:class:`NamedPoint`) name single geometry vertices, e.g.
the ``anchor`` that holds an assembly slice in y while it warps.

Mesh. Quadratic (6-node) curved triangles, Frontal-Delaunay, MSH 4.1 with only physical-group
entities. Sizes: every region's own size near its boundary, a finer size along interfaces and a
finer one still at interface end points (the re-entrant bi-material corners), grading to the
far-field size; one ``mesh_size_factor`` scales all of them.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from fea.errors import InputError
from fea.mesh import read_msh
from fea.model import Model, Probe

from .parameters import format_value
from .shapes import VOID, Boundary, Cut, Disk, Intersect, Layer, Outline, Point, Shape, Union


@dataclass(frozen=True)
class MeshSizes:
    """Target element sizes in um before the mesh-size factor.

    far: largest size, away from everything; interface: along every interface curve; corner: at
    the end points of interface curves (bi-material and re-entrant corners); region: per-region
    size near and inside that region (thin films: about their thickness); growth: size increase
    per unit distance (0.3 means the size may grow by 0.3 um per um away from a fine feature).

    focus / floor (optional, for long slices): outside every ``focus`` box (x0, x1, y0, y1; e.g.
    one per joint) no element is smaller than ``floor``, so thin films away from the joints get
    about one element through their thickness, stretched along the film; inside the boxes all the
    sizes above apply unchanged, with a linear transition ``focus_margin`` um wide.

    tips (optional): (x, y, size) points, e.g. pre-crack tips, where the size is ``size``, growing
    by ``growth`` per um of distance from the point."""
    far: float
    interface: float
    corner: float
    region: dict[str, float] = field(default_factory=dict)
    growth: float = 0.35
    interfaces: dict[str, float] = field(default_factory=dict)   # per-interface ``a/b`` override
    focus: tuple[tuple[float, float, float, float], ...] = ()
    floor: float = 0.0
    focus_margin: float = 20.0
    tips: tuple[tuple[float, float, float], ...] = ()


@dataclass(frozen=True)
class NamedPoint:
    """A physical point (dim-0 group) at a vertex of the geometry, e.g. the ``anchor`` support."""
    name: str
    at: Point


@dataclass(frozen=True)
class ModelSpec:
    """Everything a builder decides; :func:`mesh_model` turns it into a model."""
    structure: str
    level: str
    analysis: str
    layers: tuple[Layer, ...]
    boundaries: tuple[Boundary, ...]
    materials: dict[str, str]
    bcs: tuple[dict, ...]
    probes: tuple[Probe, ...]
    sizes: MeshSizes
    closed_form_areas: dict[str, float]
    curved_regions: frozenset[str] = frozenset()
    zoom: tuple[float, float, float, float] | None = None   # x0, x1, y0, y1 of the detail panel
    temperature: dict = field(default_factory=lambda: dict(DEFAULT_TEMPERATURE))
    parameters: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    points: tuple[NamedPoint, ...] = ()   # physical points (point supports)
    cracks: tuple = ()                    # fea.model.Crack pre-cracks of the model


#: JEDEC JESD22-A104 condition G extremes: stress free at the hot extreme (+125 degC), load at -40 degC
DEFAULT_TEMPERATURE = {"stress_free": 125.0, "field": -40.0}


@dataclass(frozen=True)
class Geometry:
    """What a builder knows about its model beyond the model itself (`fea.model.Model.geometry`):
    which structure and parameters, the interfaces and named boundaries it made, the closed-form
    areas of its regions (for checks), the detail window of the plots and the mesh quality."""
    structure: str
    level: str
    parameters: dict
    interfaces: tuple[str, ...]
    boundaries: tuple[str, ...]
    points: tuple[str, ...]             # names of the physical points
    closed_form_areas: dict[str, float]
    curved_regions: frozenset[str]
    zoom: tuple[float, float, float, float] | None   # x0, x1, y0, y1 of the detail panel
    n_elements: int
    min_quality: float                  # smallest minSICN element quality
    notes: tuple[str, ...] = ()


class _Gmsh:
    """gmsh for one build: initialised quiet and always finalised, so no state survives a build."""

    def __enter__(self):
        import gmsh
        if gmsh.isInitialized():
            gmsh.finalize()
        gmsh.initialize(interruptible=False)
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.option.setNumber("General.Verbosity", 0)
        gmsh.model.add("pkgrel")
        return gmsh

    def __exit__(self, *exc):
        import gmsh
        if gmsh.isInitialized():
            gmsh.finalize()
        return False


def _occ(gmsh, shape: Shape) -> list[tuple[int, int]]:
    occ = gmsh.model.occ
    if isinstance(shape, Outline):
        pts = [occ.addPoint(x, y, 0.0) for x, y in shape.points]
        arcs = dict(shape.arcs)
        curves = []
        n = len(pts)
        for i in range(n):
            j = (i + 1) % n
            if i in arcs:
                c = occ.addPoint(arcs[i][0], arcs[i][1], 0.0)
                curves.append(occ.addCircleArc(pts[i], c, pts[j]))
                occ.remove([(0, c)])
            else:
                curves.append(occ.addLine(pts[i], pts[j]))
        loop = occ.addCurveLoop(curves)
        return [(2, occ.addPlaneSurface([loop]))]
    if isinstance(shape, Disk):
        return [(2, occ.addDisk(shape.cx, shape.cy, 0.0, shape.r, shape.r))]
    if isinstance(shape, Cut):
        out, _ = occ.cut(_occ(gmsh, shape.base), _occ(gmsh, shape.tool))
        return out
    if isinstance(shape, Intersect):
        out, _ = occ.intersect(_occ(gmsh, shape.a), _occ(gmsh, shape.b))
        return out
    if isinstance(shape, Union):
        parts = [_occ(gmsh, s) for s in shape.parts]
        if len(parts) == 1:
            return parts[0]
        out, _ = occ.fuse(parts[0], [dt for p in parts[1:] for dt in p])
        return out
    raise TypeError(f"unknown shape {shape!r}")


#: what attaches a package to the board (or second substrate) in an assembly slice
ATTACHMENT_REGIONS = ("board", "second_substrate", "land")


def unattached(spec: ModelSpec) -> ModelSpec:
    """The ``package`` level of an assembly spec: the slice without its board (or second
    substrate) and lands, the joints' ends free, as a package lies in a shadow-moire oven
    (warpage). Probes, materials and areas of the removed regions go with them."""
    def kept(region):
        return region not in ATTACHMENT_REGIONS

    return replace(spec, level="package", layers=tuple(layer for layer in spec.layers if kept(layer.region)),
                   materials={r: m for r, m in spec.materials.items() if kept(r)},
                   probes=tuple(p for p in spec.probes if p.region is None or kept(p.region)),
                   closed_form_areas={r: a for r, a in spec.closed_form_areas.items() if kept(r)})


def mesh_model(spec: ModelSpec, mesh_size_factor: float = 1.0, library=None) -> Model:
    """Mesh ``spec`` with gmsh/OpenCASCADE and return the model, its materials taken from
    ``library`` (default: the built-in materials library) and its builder facts in ``geometry``.

    gmsh failures become one-line RuntimeErrors naming the structure (they mean a builder bug:
    invalid parameter sets are refused by ``validate`` before meshing)."""
    if not (0.1 <= mesh_size_factor <= 10):
        raise InputError(f"mesh_size_factor = {format_value(mesh_size_factor)} is outside [0.1, 10]")
    if spec.level == "package":
        spec = unattached(spec)
    try:
        with _Gmsh() as gmsh:
            geometry, msh = _mesh(gmsh, spec, mesh_size_factor)
    except InputError:
        raise
    except Exception as exc:  # gmsh raises plain Exception with its last error message
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RuntimeError(f"meshing {spec.structure} ({spec.level}) failed: {first}") from exc
    return _model(spec, geometry, read_msh(msh), library)


def _model(spec: ModelSpec, geometry: Geometry, mesh, library) -> Model:
    """The spec's materials, supports, temperatures and probes on the mesh."""
    if library is None:
        import materials
        library = materials.default_library()
    fixed = tuple((bc["group"], component) for bc in spec.bcs
                  for component in ([bc["fix"]] if isinstance(bc["fix"], str) else bc["fix"]))
    temperature = spec.temperature
    return Model(mesh, spec.analysis, {r: library.get(spec.materials[r]) for r in mesh.regions if r in spec.materials},
                 temperature=float(temperature.get("field", 25.0)),
                 stress_free_temperature=temperature.get("stress_free"), fixed=fixed,
                 probes=tuple(spec.probes), geometry=geometry, cracks=tuple(spec.cracks))


def _mesh(gmsh, spec: ModelSpec, factor: float) -> tuple[Geometry, bytes]:
    region_of = _partition(gmsh, _paint(gmsh, spec.layers))
    surfaces: dict[str, list[int]] = {}
    for t, r in sorted(region_of.items()):
        surfaces.setdefault(r, []).append(t)
    tol = 1e-6 * max(1.0, _extent(gmsh))
    interfaces, named, region_curves = _classify_curves(gmsh, region_of, surfaces, spec.boundaries, tol)
    for r, tags in surfaces.items():
        gmsh.model.setPhysicalName(2, gmsh.model.addPhysicalGroup(2, tags), r)
    for name, tags in sorted(interfaces.items()) + sorted(named.items()):
        gmsh.model.setPhysicalName(1, gmsh.model.addPhysicalGroup(1, tags), name)
    for pt in spec.points:
        gmsh.model.setPhysicalName(0, gmsh.model.addPhysicalGroup(0, [_vertex_at(gmsh, pt, tol)]), pt.name)

    _size_fields(gmsh, spec.sizes, factor, surfaces, region_curves, interfaces)
    n_elements, min_quality, msh = _generate(gmsh)
    missing = set(spec.materials) - set(surfaces)
    if missing:
        raise RuntimeError(f"regions {sorted(missing)} have materials but were not built")
    geometry = Geometry(
        structure=spec.structure, level=spec.level, parameters=dict(spec.parameters),
        interfaces=tuple(sorted(interfaces)), boundaries=tuple(sorted(named)),
        points=tuple(p.name for p in spec.points), closed_form_areas=dict(spec.closed_form_areas),
        curved_regions=spec.curved_regions, zoom=spec.zoom, n_elements=n_elements,
        min_quality=min_quality, notes=spec.notes)
    return geometry, msh


def _paint(gmsh, layers: tuple[Layer, ...]) -> dict[str, list[tuple[int, int]]]:
    """Region -> the OCC surfaces it keeps. Each layer keeps what no higher-priority layer covers
    (cut with copies of all layers above it), so lower-priority outlines leave no stray vertices
    or seams behind."""
    occ = gmsh.model.occ
    order = sorted(range(len(layers)), key=lambda k: (layers[k].priority, k), reverse=True)
    covered: list[tuple[int, int]] = []
    visible: dict[str, list[tuple[int, int]]] = {}
    for k in order:
        layer = layers[k]
        shape = _occ(gmsh, layer.shape)
        above = occ.copy(shape)
        if covered:
            shape = occ.cut(shape, covered, removeObject=True, removeTool=False)[0]
        covered += above
        if layer.region == VOID:
            if shape:
                occ.remove(shape, recursive=True)
        elif shape:
            visible.setdefault(layer.region, []).extend(shape)
    occ.remove(covered, recursive=True)
    return visible


def _partition(gmsh, visible: dict[str, list[tuple[int, int]]]) -> dict[int, str]:
    """One (possibly multi-part) shape per region, then a conforming partition of the plane:
    surface tag -> region."""
    occ = gmsh.model.occ
    merged, merged_region = [], []
    for region, dts in visible.items():
        out = occ.fuse(dts[:1], dts[1:])[0] if len(dts) > 1 else dts
        merged += out
        merged_region += [region] * len(out)
    _, piece_map = occ.fragment(merged, [])
    occ.synchronize()
    region_of = {}
    for k_in, pieces in enumerate(piece_map):
        for dim, tag in pieces:
            if dim == 2:
                region_of[tag] = merged_region[k_in]
    present = {t for _, t in gmsh.model.getEntities(2)}
    stray = present - set(region_of)
    if stray:
        raise RuntimeError(f"surfaces {sorted(stray)} belong to no layer")
    return region_of


def _classify_curves(gmsh, region_of: dict[int, str], surfaces: dict[str, list[int]],
                     boundaries: tuple[Boundary, ...], tol: float):
    """Interfaces between two regions (``a/b`` -> curves), named outer boundaries (name ->
    curves) and every region's curves."""
    interfaces: dict[str, list[int]] = {}
    named: dict[str, list[int]] = {}
    region_curves: dict[str, set[int]] = {r: set() for r in surfaces}
    for _, c in gmsh.model.getEntities(1):
        up, _ = gmsh.model.getAdjacencies(1, c)
        regs = sorted({region_of[s] for s in up if s in region_of})
        for r in regs:
            region_curves[r].add(c)
        if len(regs) == 2:
            interfaces.setdefault("/".join(regs), []).append(c)
        elif len(up) == 1:
            x0, y0, _, x1, y1, _ = gmsh.model.getBoundingBox(1, c)
            for b in boundaries:
                lo, hi, v = ((x0, x1, b.value) if b.axis == "x" else (y0, y1, b.value))
                if abs(hi - lo) <= tol and abs(lo - v) <= tol:
                    named.setdefault(b.name, []).append(c)
                    break
    return interfaces, named, region_curves


def _generate(gmsh) -> tuple[int, float, bytes]:
    """Mesh with quadratic curved triangles: (element count, smallest minSICN quality, MSH content)."""
    gmsh.option.setNumber("Mesh.Algorithm", 6)
    gmsh.option.setNumber("Mesh.ElementOrder", 2)
    gmsh.option.setNumber("Mesh.HighOrderOptimize", 2)
    gmsh.option.setNumber("Mesh.SecondOrderLinear", 0)
    gmsh.option.setNumber("Mesh.MshFileVersion", 4.1)
    gmsh.option.setNumber("Mesh.SaveAll", 0)
    gmsh.model.mesh.generate(2)

    types, tags, _ = gmsh.model.mesh.getElements(2)
    if any(t != 9 for t in types):
        raise RuntimeError(f"unexpected element types {list(types)} (want 6-node triangles only)")
    elem_tags = np.concatenate([np.asarray(t) for t in tags]) if tags else np.array([])
    q = gmsh.model.mesh.getElementQualities(list(map(int, elem_tags)), "minSICN")
    min_quality = float(np.min(q)) if len(q) else 0.0

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "model.msh")
        gmsh.write(path)
        msh = Path(path).read_bytes()
    return len(elem_tags), min_quality, msh


def _vertex_at(gmsh, pt: NamedPoint, tol: float) -> int:
    """Tag of the geometry vertex at ``pt.at`` (a named point must be a corner of the geometry)."""
    for _, tag in gmsh.model.getEntities(0):
        x, y, _ = gmsh.model.getValue(0, tag, [])
        if abs(x - pt.at[0]) <= tol and abs(y - pt.at[1]) <= tol:
            return tag
    raise RuntimeError(f"point {pt.name} at {pt.at} is not a vertex of the geometry")


def _extent(gmsh) -> float:
    x0, y0, _, x1, y1, _ = gmsh.model.getBoundingBox(-1, -1)
    return max(x1 - x0, y1 - y0)


def _size_fields(gmsh, sizes: MeshSizes, factor: float, surfaces, region_curves, interfaces):
    """The background size field: the smallest of the region, interface and corner sizes, each
    grading to the far-field size, raised to the floor outside the focus boxes."""
    f = gmsh.model.mesh.field
    far = sizes.far * factor
    fields = []

    def threshold(curves=None, points=None, size=far):
        d = f.add("Distance")
        if curves:
            f.setNumbers(d, "CurvesList", sorted(curves))
            f.setNumber(d, "Sampling", 60)
        if points:
            f.setNumbers(d, "PointsList", sorted(points))
        t = f.add("Threshold")
        f.setNumber(t, "InField", d)
        f.setNumber(t, "SizeMin", size)
        f.setNumber(t, "SizeMax", far)
        f.setNumber(t, "DistMin", 0.0)
        f.setNumber(t, "DistMax", max((far - size) / sizes.growth, 1e-9))
        fields.append(t)

    for region, h in sizes.region.items():
        if region in surfaces and h * factor < far:
            threshold(curves=region_curves[region], size=h * factor)
            restrict = f.add("Restrict")
            const = f.add("MathEval")
            f.setString(const, "F", repr(h * factor))
            f.setNumber(restrict, "InField", const)
            f.setNumbers(restrict, "SurfacesList", surfaces[region])
            fields.append(restrict)
    interface_curves = [c for tags in interfaces.values() for c in tags]
    by_size: dict[float, list[int]] = {}
    for name, tags in interfaces.items():
        by_size.setdefault(sizes.interfaces.get(name, sizes.interface), []).extend(tags)
    for h, curves in sorted(by_size.items()):
        threshold(curves=curves, size=h * factor)
    if interface_curves:
        corner_points = set()
        for c in interface_curves:
            for dim, p in gmsh.model.getBoundary([(1, c)], oriented=False):
                corner_points.add(p)
        threshold(points=corner_points, size=sizes.corner * factor)
    for x, y, h in sizes.tips:
        tip = f.add("MathEval")
        f.setString(tip, "F", f"{h * factor!r} + {sizes.growth!r} * Sqrt((x - ({x!r}))^2 + (y - ({y!r}))^2)")
        fields.append(tip)
    if not fields:
        threshold(size=far)
    m = f.add("Min")
    f.setNumbers(m, "FieldsList", fields)
    if sizes.focus and sizes.floor > 0:
        m = _with_floor(f, m, sizes, factor, far)
    f.setAsBackgroundMesh(m)
    gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)
    gmsh.option.setNumber("Mesh.MeshSizeFromPoints", 0)
    gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", 0)
    gmsh.option.setNumber("Mesh.MeshSizeMax", far)


def _with_floor(f, m: int, sizes: MeshSizes, factor: float, far: float) -> int:
    """The size field ``m`` raised to the floor outside the focus boxes: floor(x, y) is 0 inside
    a focus box and ``floor`` outside all of them (linear in the margin)."""
    boxes = []
    for x0, x1, y0, y1 in sizes.focus:
        b = f.add("Box")
        for k, v in (("VIn", 0.0), ("VOut", min(sizes.floor * factor, far)), ("XMin", x0), ("XMax", x1),
                     ("YMin", y0), ("YMax", y1), ("ZMin", -1.0), ("ZMax", 1.0),
                     ("Thickness", sizes.focus_margin)):
            f.setNumber(b, k, v)
        boxes.append(b)
    low = f.add("Min")
    f.setNumbers(low, "FieldsList", boxes)
    top = f.add("Max")
    f.setNumbers(top, "FieldsList", [m, low])
    return top
