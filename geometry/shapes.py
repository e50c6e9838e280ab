"""Shapes as plain data and the 2D helpers that make them.

A region of a cross-section is drawn as a :class:`Layer`: a region name, a shape and a priority.
A shape is an :class:`Outline` (straight and circular-arc edges), a :class:`Disk` or a boolean
of shapes (:class:`Cut`, :class:`Intersect`, :class:`Union`). Layers may overlap: every piece of
the plane belongs to the covering layer with the highest priority (later layers win ties), and a
layer whose region is :data:`VOID` removes what it covers. So a conformal film is drawn as a
whole band and a solder ball as a whole truncated disk with a low priority: pads, films and
polymers painted with a higher priority carve it, and it fills whatever is left.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence, Union as TypingUnion

from fea.errors import InputError

Point = tuple[float, float]

#: region name of a layer that removes what it covers (air gaps, cavities)
VOID = "void"


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


def _end(prim, p: Point, distance: float) -> Point:
    """End point of an offset primitive at the path end ``p``: along the end normal."""
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
    out = [_end(prims[0], pts[0], distance)]
    for k in range(1, len(pts) - 1):
        out.append(_meet(prims[k - 1], prims[k], pts[k]))
    out.append(_end(prims[-1], pts[-1], distance))
    return out, [(i, c) for i, c in arcs]


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
