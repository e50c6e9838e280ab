"""Shared toolkit for the parametric cross-section builders.

A structure module does three things with this toolkit:

1. declares its parameters with :func:`param` inside a ``@structure``-decorated frozen dataclass
   (range/choice checks, CLI conversion and the docstring parameter table come for free);
2. describes its geometry as plain data: a list of :class:`Layer` (region name, shape, priority)
   where a shape is an :class:`Outline` (straight and circular-arc edges), a :class:`Disk` or a
   boolean of shapes (:class:`Cut`, :class:`Intersect`, :class:`Union`), plus the boundary lines
   (:class:`Boundary`), mesh sizes (:class:`MeshSizes`), materials, boundary conditions and probes,
   all collected in a :class:`ModelSpec`;
3. calls :func:`mesh_model` (``spec -> BuiltModel``), which does all the gmsh work.

Painting rule. Layers may overlap: after gmsh's OpenCASCADE ``fragment`` every piece of the plane
belongs to the covering layer with the highest priority (later layers win ties). A layer whose
region is :data:`VOID` removes what it covers. So a conformal film is drawn as a whole band and a
solder ball as a whole truncated disk with a low priority: pads, films and polymers painted with a
higher priority carve it, and it fills whatever is left (e.g. the recess above a conformal pad).

Names. Physical surfaces are the region names. Physical curves are every interface between two
regions, named ``a/b`` with the two region names in alphabetical order (``polymer/ppi``,
``ppi/solder``), plus the boundary names of the spec's :class:`Boundary` lines (only curves on the
outside of the domain, lying on the line, get a boundary name). Free surfaces get no name.
Physical points (:class:`NamedPoint`) name single geometry vertices, e.g. the ``anchor`` that
holds an assembly slice in y while it warps (:func:`slice_supports`).

Mesh. Quadratic (6-node) curved triangles, Frontal-Delaunay, MSH 4.1 with only physical-group
entities. Sizes: every region's own size near its boundary, a finer size along interfaces and a
finer one still at interface end points (the re-entrant bi-material corners), grading to the
far-field size; one ``mesh_size_factor`` scales all of them.
"""
from __future__ import annotations

import dataclasses
import math
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence, Union as TypingUnion

import numpy as np

from fea.errors import InputError

Point = tuple[float, float]

#: region name of a layer that removes what it covers (air gaps, cavities)
VOID = "void"

# ----------------------------------------------------------------------------------------------
# Parameters
# ----------------------------------------------------------------------------------------------


def param(default: Any, *, doc: str, unit: str = "um", range: tuple[float, float] | None = None,
          choices: Sequence[Any] | None = None, source: str = "typical value") -> Any:
    """A structure parameter: a dataclass field carrying its meaning, unit, allowed range or
    choices, and where the value comes from (document paragraph/claim, or "typical value")."""
    meta = {"doc": doc, "unit": unit, "range": range, "choices": tuple(choices) if choices else None,
            "source": source}
    return field(default=default, metadata=meta)


def parameters(cls_or_obj) -> list[dataclasses.Field]:
    return [f for f in dataclasses.fields(cls_or_obj) if "doc" in f.metadata]


def fmt(value: Any) -> str:
    """Short, exact-enough text of a parameter value for messages and listings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def allowed_text(f: dataclasses.Field) -> str:
    m = f.metadata
    if m["choices"]:
        return "{" + ", ".join(fmt(c) for c in m["choices"]) + "}"
    if m["range"]:
        lo, hi = m["range"]
        return f"[{fmt(lo)}, {fmt(hi)}]"
    return "true or false" if f.type in ("bool", bool) else "any"


def check_parameters(obj) -> None:
    """Type, range and choice checks from the field metadata; one-line InputError on failure."""
    for f in parameters(obj):
        check_value(f, getattr(obj, f.name))


def check_value(f: dataclasses.Field, value: Any) -> None:
    """One parameter value against its field's type, range and choices."""
    m = f.metadata
    kind = _kind(f)
    if kind is bool and not isinstance(value, bool):
        raise InputError(f"{f.name} = {fmt(value)} is not true or false")
    if kind in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"{f.name} = {fmt(value)} is not a number; allowed {allowed_text(f)}")
        if kind is int and int(value) != value:
            raise InputError(f"{f.name} = {fmt(value)} is not a whole number; allowed {allowed_text(f)}")
        if not math.isfinite(value):
            raise InputError(f"{f.name} = {fmt(value)} is not finite; allowed {allowed_text(f)}")
    if m["choices"] and value not in m["choices"]:
        raise InputError(f"{f.name} = {fmt(value)} is not one of {allowed_text(f)}")
    if m["range"]:
        lo, hi = m["range"]
        if not lo <= value <= hi:
            raise InputError(f"{f.name} = {fmt(value)} is outside {allowed_text(f)}")


def out_of_range(name: str, value: float, lo: float, hi: float, why: str = "") -> InputError:
    """The one-line error for a derived (cross-parameter) limit, e.g. a recess deeper than the polymer."""
    tail = f" ({why})" if why else ""
    return InputError(f"{name} = {fmt(value)} is outside [{fmt(lo)}, {fmt(hi)}]{tail}")


def zero_or_at_least(name: str, value: float, minimum: float, hi: float, why: str) -> None:
    """Refuse a feature too small to mesh sensibly: allowed 0 (absent) or [minimum, hi]."""
    if 0 < value < minimum:
        raise InputError(f"{name} = {fmt(value)} is outside 0 or [{fmt(minimum)}, {fmt(hi)}] ({why})")


def _kind(f: dataclasses.Field) -> type:
    t = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    return {"bool": bool, "int": int, "float": float, "str": str}.get(t, str)


def structure(cli_name: str):
    """Class decorator for a builder: freezes the dataclass, calls ``validate()`` after init
    (range checks first, then the class's own cross checks) and appends the parameter table
    (meaning, unit, allowed range, source) to the docstring."""

    def wrap(cls):
        own_validate = cls.__dict__.get("validate")

        def validate(self) -> None:
            check_parameters(self)
            if own_validate is not None:
                own_validate(self)

        def __post_init__(self) -> None:
            self.validate()

        cls.validate = validate
        cls.__post_init__ = __post_init__
        cls.cli_name = cli_name
        cls = dataclass(frozen=True)(cls)
        rows = []
        for f in parameters(cls):
            m = f.metadata
            unit = f" [{m['unit']}]" if m["unit"] else ""
            rows.append(f"    {f.name}{unit} = {fmt(f.default)}, allowed {allowed_text(f)}: "
                        f"{m['doc']} (source: {m['source']})")
        cls.__doc__ = (cls.__doc__ or "") + "\n\n    Parameters\n    ----------\n" + "\n".join(rows) + "\n"
        return cls

    return wrap


def parse_value(f: dataclasses.Field, text: str) -> Any:
    kind = _kind(f)
    t = text.strip()
    try:
        if kind is bool:
            low = t.lower()
            if low in ("true", "yes", "on", "1"):
                return True
            if low in ("false", "no", "off", "0"):
                return False
            raise ValueError
        if kind is int:
            v = float(t)
            if v != int(v):
                raise ValueError
            return int(v)
        if kind is float:
            return float(t)
    except ValueError:
        raise InputError(f"{f.name} = {t} is not a {kind.__name__}; allowed {allowed_text(f)}") from None
    return t


def from_settings(cls, settings: Iterable[str]):
    """Construct a builder from ``NAME=VALUE`` strings (the CLI's ``--set``), converting types."""
    fields = {f.name: f for f in parameters(cls)}
    values: dict[str, Any] = {}
    for item in settings:
        if "=" not in item:
            raise InputError(f"--set {item}: expected NAME=VALUE")
        name, text = item.split("=", 1)
        name = name.strip().replace("-", "_")
        if name not in fields:
            raise InputError(f"{name} is not a parameter of {cls.cli_name}; valid: {', '.join(fields)}")
        values[name] = parse_value(fields[name], text)
    return cls(**values)


def describe(cls) -> str:
    """Multi-line listing of a builder's parameters (for ``pkgrel list``)."""
    lines = [f"{cls.cli_name}: {(cls.__doc__ or '').strip().splitlines()[0]}"]
    for f in parameters(cls):
        m = f.metadata
        unit = f" {m['unit']}" if m["unit"] else ""
        lines.append(f"  {f.name} = {fmt(f.default)}{unit}  allowed {allowed_text(f)}  -- {m['doc']}"
                     f" [{m['source']}]")
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
# Shapes (plain data) and 2D helpers
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outline:
    """Closed boundary through ``points`` (counter-clockwise or not). Edge i runs from point i to
    point i+1 (the last edge closes the loop); it is straight unless ``arcs`` maps i to the centre
    of a circular arc (the shorter arc, < 180 deg; both end points must be equidistant from it)."""

    points: tuple[Point, ...]
    arcs: tuple[tuple[int, Point], ...] = ()

    def area(self) -> float:
        """Exact area (signed shoelace plus circular-segment corrections), always >= 0."""
        pts = self.points
        n = len(pts)
        a = 0.0
        for i in range(n):
            (x0, y0), (x1, y1) = pts[i], pts[(i + 1) % n]
            a += 0.5 * (x0 * y1 - x1 * y0)
        sign = 1.0 if a >= 0 else -1.0
        for i, c in self.arcs:
            p, q = pts[i], pts[(i + 1) % n]
            r = math.dist(p, c)
            chord = math.dist(p, q)
            theta = 2.0 * math.asin(min(1.0, chord / (2 * r)))
            seg = 0.5 * r * r * (theta - math.sin(theta))
            # the arc bulges away from its centre: outward if the centre is inside the polygon's turn
            cross = (q[0] - p[0]) * (c[1] - p[1]) - (q[1] - p[1]) * (c[0] - p[0])
            # centre left of the edge of a CCW loop -> arc bulges to the right (outward)
            a += sign * seg if (cross * sign) > 0 else -sign * seg
        return abs(a)


def rect(x0: float, y0: float, x1: float, y1: float) -> Outline:
    """Axis-aligned rectangle with corners (x0, y0) and (x1, y1)."""
    return Outline(((x0, y0), (x1, y0), (x1, y1), (x0, y1)))


@dataclass(frozen=True)
class Disk:
    cx: float
    cy: float
    r: float


@dataclass(frozen=True)
class Cut:
    """``base`` minus ``tool``."""
    base: "Shape"
    tool: "Shape"


@dataclass(frozen=True)
class Intersect:
    a: "Shape"
    b: "Shape"


@dataclass(frozen=True)
class Union:
    parts: tuple["Shape", ...]


Shape = TypingUnion[Outline, Disk, Cut, Intersect, Union]


@dataclass(frozen=True)
class Layer:
    """One painted region: the region name (physical surface), its shape and its priority."""
    region: str
    shape: Shape
    priority: int


@dataclass(frozen=True)
class Boundary:
    """Outer boundary curves lying on the line ``x = value`` (axis "x") or ``y = value``
    (axis "y") get the physical name ``name`` (e.g. ``axis``, ``symmetry``, ``bottom``, ``top``)."""
    name: str
    axis: str
    value: float


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
    sizes above apply unchanged, with a linear transition ``focus_margin`` um wide."""
    far: float
    interface: float
    corner: float
    region: dict[str, float] = field(default_factory=dict)
    growth: float = 0.35
    interfaces: dict[str, float] = field(default_factory=dict)   # per-interface ``a/b`` override
    focus: tuple[tuple[float, float, float, float], ...] = ()
    floor: float = 0.0
    focus_margin: float = 20.0


@dataclass(frozen=True)
class Probe:
    """A point of interest, inside ``region`` (kept slightly off singular corners)."""
    name: str
    at: Point
    region: str


@dataclass(frozen=True)
class NamedPoint:
    """A physical point (dim-0 group) at a vertex of the geometry, e.g. the ``anchor`` support."""
    name: str
    at: Point


#: name of the single point that holds an assembly slice in y (see :func:`slice_supports`)
ANCHOR = "anchor"


LEVELS = ("cell", "assembly")


def is_cell(level: str) -> bool:
    """Check a model level and say whether it is the single-joint cell."""
    if level not in LEVELS:
        raise InputError(f"level = {level} is not one of {{{', '.join(LEVELS)}}}")
    return level == "cell"


def slice_supports(bottom: float, symmetry: str = "symmetry", x: float = 0.0):
    """Supports of a package slice that leave it free to warp: the ``symmetry`` curve fixed in x
    and one point, the bottom corner on the symmetry line (x, bottom), fixed in y (it removes the
    rigid y translation only). Returns (bcs, points) for :class:`ModelSpec`."""
    bcs = ({"group": symmetry, "fix": ["x"]}, {"group": ANCHOR, "fix": ["y"]})
    return bcs, (NamedPoint(ANCHOR, (x, bottom)),)


def board_with_lands(centres, land_half_width: float, y_land: float, land_thickness: float,
                     board_width: float, board_thickness: float, priority: int):
    """The board of an assembly slice with one Cu land under every joint centre.

    Returns (layers, closed-form areas, the board's ``top`` boundary)."""
    layers = [Layer("land", rect(xc - land_half_width, y_land, xc + land_half_width, y_land + land_thickness),
                    priority) for xc in centres]
    y_board = y_land + land_thickness
    layers.append(Layer("board", rect(0.0, y_board, board_width, y_board + board_thickness), priority))
    areas = {"land": len(centres) * 2 * land_half_width * land_thickness,
             "board": board_width * board_thickness}
    return layers, areas, Boundary("top", "y", y_board + board_thickness)


@dataclass(frozen=True)
class ModelSpec:
    """Everything a builder decides; :func:`mesh_model` turns it into a :class:`BuiltModel`."""
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


#: JEDEC JESD22-A104 condition G extremes: stress free at the hot extreme (+125 degC), load at -40 degC
DEFAULT_TEMPERATURE = {"stress_free": 125.0, "field": -40.0}


def _primitives(points, arcs, distance):
    """Offset each edge of an open path: ('line', point, unit direction) or ('arc', centre, radius)."""
    arcs = dict(arcs)
    prims = []
    for i, (p, q) in enumerate(zip(points[:-1], points[1:])):
        if i in arcs:
            c = arcs[i]
            r = math.dist(p, c)
            left = (q[0] - p[0]) * (c[1] - p[1]) - (q[1] - p[1]) * (c[0] - p[0]) > 0
            prims.append(("arc", c, r - distance if left else r + distance))
        else:
            dx, dy = q[0] - p[0], q[1] - p[1]
            n = math.hypot(dx, dy)
            prims.append(("line", (p[0] - distance * dy / n, p[1] + distance * dx / n), (dx / n, dy / n)))
    return prims


def _meet(a, b, near: Point) -> Point:
    """Intersection of two offset primitives nearest to ``near`` (the original joint)."""
    if a[0] == "arc" and b[0] == "line":
        a, b = b, a
    if a[0] == "line" and b[0] == "line":
        (p, d), (q, e) = a[1:], b[1:]
        det = -d[0] * e[1] + d[1] * e[0]
        if abs(det) < 1e-12:
            return q
        rx, ry = q[0] - p[0], q[1] - p[1]
        t = (-rx * e[1] + ry * e[0]) / det
        return (p[0] + t * d[0], p[1] + t * d[1])
    if a[0] == "line":
        (p, d), (c, r) = a[1:], b[1:]
        fx, fy = p[0] - c[0], p[1] - c[1]
        bq = fx * d[0] + fy * d[1]
        disc = bq * bq - (fx * fx + fy * fy - r * r)
        if disc < 0:
            raise InputError("a conformal film is too thick for the curvature it covers")
        roots = [(-bq + s * math.sqrt(disc)) for s in (1, -1)]
        pts = [(p[0] + t * d[0], p[1] + t * d[1]) for t in roots]
        return min(pts, key=lambda x: math.dist(x, near))
    (c0, r0), (c1, r1) = a[1:], b[1:]
    dd = math.dist(c0, c1)
    if dd < 1e-12:
        return near
    l = (r0 * r0 - r1 * r1 + dd * dd) / (2 * dd)
    h = math.sqrt(max(r0 * r0 - l * l, 0.0))
    ux, uy = (c1[0] - c0[0]) / dd, (c1[1] - c0[1]) / dd
    mx, my = c0[0] + l * ux, c0[1] + l * uy
    pts = [(mx - h * uy, my + h * ux), (mx + h * uy, my - h * ux)]
    return min(pts, key=lambda x: math.dist(x, near))


def _end(prim, p: Point, distance: float, first: bool, q: Point) -> Point:
    if prim[0] == "line":
        d = prim[2]
        return (p[0] - distance * d[1], p[1] + distance * d[0])
    c, r = prim[1], prim[2]
    k = r / math.dist(p, c)
    return (c[0] + k * (p[0] - c[0]), c[1] + k * (p[1] - c[1]))


def offset_path(points: Sequence[Point], arcs: Sequence[tuple[int, Point]], distance: float):
    """Offset an open path of straight and circular-arc edges (edge i from point i to i+1, an arc
    if ``arcs`` maps i to its centre) by ``distance`` to its left (walking from the first to the
    last point), mitring the joints: the top of a conformal film of that thickness on the path.
    Returns (points, arcs) of the offset path; arcs keep their centres."""
    pts = [tuple(map(float, p)) for p in points]
    prims = _primitives(pts, arcs, distance)
    out = [_end(prims[0], pts[0], distance, True, pts[1])]
    for k in range(1, len(pts) - 1):
        out.append(_meet(prims[k - 1], prims[k], pts[k]))
    out.append(_end(prims[-1], pts[-1], distance, False, pts[-2]))
    return out, [(i, c) for i, c in arcs]


def offset_polyline(points: Sequence[Point], distance: float) -> list[Point]:
    """:func:`offset_path` for a path of straight edges only."""
    return offset_path(points, (), distance)[0]


def film(profile: Sequence[Point], thickness: float, arcs: Sequence[tuple[int, Point]] = ()) -> Outline:
    """Conformal film of ``thickness`` on top of (left of) the open path ``profile`` (straight
    edges, or arcs where ``arcs`` maps an edge index to its centre). The film's ends are cut
    along the end normals."""
    top, top_arcs = offset_path(profile, arcs, thickness)
    n = len(profile)
    # outline: profile forward, end cap, offset path backward (edge i of the offset becomes edge
    # 2n - 2 - i of the outline), start cap
    outline_arcs = list(arcs) + [(2 * n - 2 - i, c) for i, c in top_arcs]
    return Outline(tuple(profile) + tuple(reversed(top)), tuple(outline_arcs))


def arc_centre_from_chord(p: Point, q: Point, sagitta: float) -> tuple[Point, float]:
    """Centre and radius of the circular arc through p and q bulging ``sagitta`` to the right of
    p->q (negative: to the left)."""
    mx, my = (p[0] + q[0]) / 2, (p[1] + q[1]) / 2
    half = math.dist(p, q) / 2
    r = (half ** 2 + sagitta ** 2) / (2 * abs(sagitta))
    dx, dy = (q[0] - p[0]) / (2 * half), (q[1] - p[1]) / (2 * half)
    nx, ny = dy, -dx   # right-hand normal
    s = 1.0 if sagitta > 0 else -1.0
    off = r - abs(sagitta)   # centre lies opposite to the bulge
    return (mx - s * off * nx, my - s * off * ny), r


def ball_between(x_axis: float, y0: float, a0: float, y1: float, a1: float) -> tuple[Point, float]:
    """Sphere (circle) centre and radius through the chords of half-width a0 at height y0 and a1
    at y1, centred on x = x_axis: the solder of a joint between two flat pads."""
    # r^2 = a0^2 + (yc - y0)^2 = a1^2 + (y1 - yc)^2
    yc = (a1 ** 2 - a0 ** 2 + y1 ** 2 - y0 ** 2) / (2 * (y1 - y0))
    return (x_axis, yc), math.hypot(a0, yc - y0)


def segment_area(r: float, h: float) -> float:
    """Area of a circular segment of radius r and height h (0 <= h <= 2r)."""
    return r * r * math.acos((r - h) / r) - (r - h) * math.sqrt(max(0.0, 2 * r * h - h * h))


def disk_slab_area(cx: float, r: float, y_lo: float, y_hi: float, cy: float) -> float:
    """Area of the disk (centre (cx, cy), radius r) between the lines y = y_lo and y = y_hi."""

    def below(y):   # disk area below y
        h = min(max(y - (cy - r), 0.0), 2 * r)
        return segment_area(r, h) if h <= r else math.pi * r * r - segment_area(r, 2 * r - h)

    return below(y_hi) - below(y_lo)


# ----------------------------------------------------------------------------------------------
# Meshing
# ----------------------------------------------------------------------------------------------


@dataclass
class BuiltModel:
    """A meshed model as plain data. ``msh`` is the MSH 4.1 file content."""
    structure: str
    level: str
    analysis: str
    msh: bytes
    regions: tuple[str, ...]
    interfaces: tuple[str, ...]
    boundaries: tuple[str, ...]
    materials: dict[str, str]
    bcs: tuple[dict, ...]
    probes: tuple[Probe, ...]
    temperature: dict
    closed_form_areas: dict[str, float]
    curved_regions: frozenset[str]
    zoom: tuple[float, float, float, float] | None
    n_elements: int
    min_quality: float
    parameters: dict
    notes: tuple[str, ...] = ()
    points: tuple[str, ...] = ()   # names of the physical points

    def toml(self) -> str:
        return model_toml(self)

    def write(self, out_dir: str | os.PathLike, picture: bool = True) -> Path:
        """Write model.msh, model.toml and mesh.png into ``out_dir`` atomically: everything is
        written to a temporary sibling directory first; on error nothing is left behind."""
        out = Path(out_dir)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        try:
            (tmp / "model.msh").write_bytes(self.msh)
            (tmp / "model.toml").write_text(self.toml())
            if picture:
                from .plot import plot_mesh
                plot_mesh(self, tmp / "mesh.png")
            out.mkdir(exist_ok=True)
            for name in ("model.msh", "model.toml", "mesh.png"):
                if (tmp / name).exists():
                    os.replace(tmp / name, out / name)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return out


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(float(v)) if isinstance(v, float) else str(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(v)


def model_toml(m: BuiltModel) -> str:
    lines = [f"# pkgrel model: {m.structure} ({m.level}) written by `pkgrel mesh`",
             "# parameters: " + ", ".join(f"{k}={fmt(v)}" for k, v in m.parameters.items())]
    lines += [f"# {n}" for n in m.notes]
    lines += ['mesh = "model.msh"', f"analysis = {_toml_value(m.analysis)}", "", "[materials]"]
    lines += [f"{_toml_value(r)} = {_toml_value(mat)}" for r, mat in m.materials.items()]
    lines += ["", "[temperature]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in m.temperature.items()]
    for bc in m.bcs:
        lines += ["", "[[bc]]"] + [f"{k} = {_toml_value(v)}" for k, v in bc.items()]
    for p in m.probes:
        lines += ["", "[[probe]]", f"name = {_toml_value(p.name)}",
                  f"at = [{p.at[0]:.6g}, {p.at[1]:.6g}]", f"region = {_toml_value(p.region)}"]
    return "\n".join(lines) + "\n"


class _Gmsh:
    """gmsh session: initialised quiet, always finalised, so no state survives a build."""

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


def mesh_model(spec: ModelSpec, mesh_size_factor: float = 1.0) -> BuiltModel:
    """Mesh ``spec`` with gmsh/OpenCASCADE and return the :class:`BuiltModel`.

    gmsh failures become one-line RuntimeErrors naming the structure (they mean a builder bug:
    invalid parameter sets are refused earlier by ``validate``)."""
    if not (0.1 <= mesh_size_factor <= 10):
        raise InputError(f"mesh_size_factor = {fmt(mesh_size_factor)} is outside [0.1, 10]")
    try:
        with _Gmsh() as gmsh:
            return _mesh(gmsh, spec, mesh_size_factor)
    except InputError:
        raise
    except Exception as exc:  # gmsh raises plain Exception with its last error message
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RuntimeError(f"meshing {spec.structure} ({spec.level}) failed: {first}") from exc


def _mesh(gmsh, spec: ModelSpec, factor: float) -> BuiltModel:
    occ = gmsh.model.occ
    # painting: each layer keeps what no higher-priority layer covers (cut with copies of all
    # layers above it), so lower-priority outlines leave no stray vertices or seams behind
    order = sorted(range(len(spec.layers)), key=lambda k: (spec.layers[k].priority, k), reverse=True)
    covered: list[tuple[int, int]] = []
    visible: dict[str, list[tuple[int, int]]] = {}
    for k in order:
        layer = spec.layers[k]
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
    # one (possibly multi-part) shape per region, then a conforming partition of the plane
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

    surfaces: dict[str, list[int]] = {}
    for t, r in sorted(region_of.items()):
        surfaces.setdefault(r, []).append(t)

    # classify curves: interfaces between regions, named outer boundaries
    tol = 1e-6 * max(1.0, _extent(gmsh))
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
            for b in spec.boundaries:
                lo, hi, v = ((x0, x1, b.value) if b.axis == "x" else (y0, y1, b.value))
                if abs(hi - lo) <= tol and abs(lo - v) <= tol:
                    named.setdefault(b.name, []).append(c)
                    break

    for r, tags in surfaces.items():
        gmsh.model.setPhysicalName(2, gmsh.model.addPhysicalGroup(2, tags), r)
    for name, tags in sorted(interfaces.items()) + sorted(named.items()):
        gmsh.model.setPhysicalName(1, gmsh.model.addPhysicalGroup(1, tags), name)
    for pt in spec.points:
        gmsh.model.setPhysicalName(0, gmsh.model.addPhysicalGroup(0, [_vertex_at(gmsh, pt, tol)]), pt.name)

    _size_fields(gmsh, spec.sizes, factor, surfaces, region_curves, interfaces)
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

    missing = set(spec.materials) - set(surfaces)
    if missing:
        raise RuntimeError(f"regions {sorted(missing)} have materials but were not built")
    return BuiltModel(
        structure=spec.structure, level=spec.level, analysis=spec.analysis, msh=msh,
        regions=tuple(surfaces), interfaces=tuple(sorted(interfaces)), boundaries=tuple(sorted(named)),
        materials={r: spec.materials[r] for r in surfaces if r in spec.materials},
        bcs=spec.bcs, probes=spec.probes, temperature=dict(spec.temperature),
        closed_form_areas=dict(spec.closed_form_areas), curved_regions=spec.curved_regions,
        zoom=spec.zoom, n_elements=len(elem_tags), min_quality=min_quality,
        parameters=dict(spec.parameters), notes=spec.notes, points=tuple(p.name for p in spec.points))


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
    m = f.add("Min")
    f.setNumbers(m, "FieldsList", fields or [threshold(size=far)])
    if sizes.focus and sizes.floor > 0:
        # floor(x, y) = 0 inside a focus box, ``floor`` outside all of them (linear in the margin)
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
        m = top
    f.setAsBackgroundMesh(m)
    gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)
    gmsh.option.setNumber("Mesh.MeshSizeFromPoints", 0)
    gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", 0)
    gmsh.option.setNumber("Mesh.MeshSizeMax", far)


# ----------------------------------------------------------------------------------------------
# Reading meshes back (tests, plots)
# ----------------------------------------------------------------------------------------------


@dataclass
class ReadMesh:
    points: np.ndarray                 # (n, 2)
    triangles: dict[str, np.ndarray]   # region -> (m, 6) node indices (gmsh order: 3 corners, 3 mids)
    lines: dict[str, np.ndarray]       # curve name -> (k, 3) node indices
    vertices: dict[str, np.ndarray] = field(default_factory=dict)   # point name -> node indices


def read_msh(msh: bytes) -> ReadMesh:
    """Parse MSH content with meshio into named 6-node triangles and 3-node lines."""
    import meshio
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.msh")
        Path(path).write_bytes(msh)
        m = meshio.read(path, file_format="gmsh")   # ".msh" alone tries ANSYS first and prints its error
    names = {}
    for name, (tag, dim) in m.field_data.items():
        names[(int(dim), int(tag))] = name
    tri: dict[str, list] = {}
    lin: dict[str, list] = {}
    ver: dict[str, list] = {}
    phys = m.cell_data["gmsh:physical"]
    for block, tags in zip(m.cells, phys):
        dim = 2 if block.type.startswith("triangle") else 1 if block.type.startswith("line") else 0
        target = tri if dim == 2 else lin if dim == 1 else ver
        for tag in np.unique(tags):
            target.setdefault(names[(dim, int(tag))], []).append(block.data[tags == tag])
    return ReadMesh(points=m.points[:, :2],
                    triangles={k: np.concatenate(v) for k, v in tri.items()},
                    lines={k: np.concatenate(v) for k, v in lin.items()},
                    vertices={k: np.concatenate(v).ravel() for k, v in ver.items()})


# degree-2 exact rule on the reference triangle: edge mid-points, weight 1/6 each
_QP = np.array([[0.5, 0.0], [0.5, 0.5], [0.0, 0.5]])


def _p2_jacobians(xy: np.ndarray, tri: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """det J of the 6-node triangles ``tri`` at reference points ``pts`` -> (m, len(pts))."""
    X = xy[tri]   # (m, 6, 2)
    out = []
    for s, t in pts:
        # gradients of the P2 shape functions (gmsh order: v0, v1, v2, m01, m12, m20)
        l0 = 1 - s - t
        ds = np.array([-(4 * l0 - 1), 4 * s - 1, 0, 4 * (l0 - s), 4 * t, -4 * t])
        dt = np.array([-(4 * l0 - 1), 0, 4 * t - 1, -4 * s, 4 * s, 4 * (l0 - t)])
        J = np.stack([np.einsum("j,mjk->mk", ds, X), np.einsum("j,mjk->mk", dt, X)], axis=1)
        out.append(J[:, 0, 0] * J[:, 1, 1] - J[:, 0, 1] * J[:, 1, 0])
    return np.stack(out, axis=1)


def region_areas(mesh: ReadMesh) -> dict[str, float]:
    """Exact area of every region of a (curved) 6-node triangle mesh: det J is quadratic on each
    element, so the 3-point edge-midpoint rule integrates it exactly."""
    return {r: float(np.sum(_p2_jacobians(mesh.points, t, _QP)) / 6.0) for r, t in mesh.triangles.items()}


def jacobian_ratio(mesh: ReadMesh) -> float:
    """Smallest ratio min(det J)/max(det J) over the nodes of any element (< 0: inverted)."""
    nodes = np.array([[0, 0], [1, 0], [0, 1], [0.5, 0], [0.5, 0.5], [0, 0.5]], dtype=float)
    worst = 1.0
    for t in mesh.triangles.values():
        dj = _p2_jacobians(mesh.points, t, nodes)
        worst = min(worst, float(np.min(dj.min(axis=1) / dj.max(axis=1))))
    return worst


def locate(mesh: ReadMesh, point: Point) -> str | None:
    """Region whose (corner-linearised) triangle contains ``point``; None if outside the mesh."""
    px, py = point
    for region, t in mesh.triangles.items():
        a, b, c = (mesh.points[t[:, i]] for i in range(3))
        d = (b[:, 1] - c[:, 1]) * (a[:, 0] - c[:, 0]) + (c[:, 0] - b[:, 0]) * (a[:, 1] - c[:, 1])
        l1 = ((b[:, 1] - c[:, 1]) * (px - c[:, 0]) + (c[:, 0] - b[:, 0]) * (py - c[:, 1])) / d
        l2 = ((c[:, 1] - a[:, 1]) * (px - c[:, 0]) + (a[:, 0] - c[:, 0]) * (py - c[:, 1])) / d
        l3 = 1 - l1 - l2
        if np.any((l1 >= -1e-9) & (l2 >= -1e-9) & (l3 >= -1e-9)):
            return region
    return None
