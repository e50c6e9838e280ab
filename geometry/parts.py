"""Parts every builder draws the same way: the row of joints, the solder ball and the checks of
its seat, the lands and the board (or second substrate) on top, the supports, and the finished
:class:`ModelSpec`."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Sequence

from fea.model import Crack, Probe

from .meshing import MeshSizes, ModelSpec, NamedPoint
from .parameters import format_value, out_of_range, parameter_values, parameters
from .shapes import Boundary, Disk, Intersect, Layer, Shape, disk_slab_area, rect

#: analysis of a package slice: thin compared with the package, not infinitely long
SLICE_ANALYSIS = "generalized_plane_strain"

#: the note of every model that is a generalized-plane-strain slice
SLICE_NOTE = ("generalized plane strain: the slice is thin compared with the package; its out-of-plane strain "
              "is uniform (it warps in its plane, not out of it; with bending = [\"y\"] solder dW moves by "
              "-19 to +28 % on the default assemblies)")

#: name of the single point that holds an assembly slice in y (see :func:`slice_supports`)
ANCHOR = "anchor"


class Drawing:
    """The layers of a model in painting order, and the closed-form area of every region."""

    def __init__(self) -> None:
        self.layers: list[Layer] = []
        self.areas: dict[str, float | None] = {}

    def add(self, region: str, shape: Shape, priority: int) -> None:
        """A layer whose area the builder counts itself (or not at all)."""
        self.layers.append(Layer(region, shape, priority))

    def paint(self, region: str, shape: Shape, priority: int, area: float | None = None) -> float:
        """A layer whose area (the shape's exact area unless given) counts for its region."""
        self.add(region, shape, priority)
        if area is None:
            area = shape.area()
        self.areas[region] = self.areas.get(region, 0.0) + area
        return area


def check_ball_seat(builder, pad: str, cover: str) -> None:
    """Checks of a ball in an opening of the ``cover`` layer on a ``pad`` (the builder's
    ``{pad}_diameter``), at the builder's pitch: balls 20 um and pads 40 um apart, the cover
    overlapping the pad edge by 10 um, the ball wider than the opening it wets. The allowed
    ranges in the messages start at the parameters' declared minima."""
    low = {f.name: f.metadata["range"][0] for f in parameters(builder) if f.metadata["range"]}
    p, rb = builder.pitch, builder.ball_diameter / 2
    pad_name = f"{pad}_diameter"
    pad_diameter = getattr(builder, pad_name)
    if builder.ball_diameter > p - 20:
        raise out_of_range("ball_diameter", builder.ball_diameter, low["ball_diameter"], p - 20,
                           f"balls closer than 20 um at pitch = {format_value(p)}")
    if pad_diameter > p - 40:
        raise out_of_range(pad_name, pad_diameter, low[pad_name], p - 40,
                           f"{pad}s closer than 40 um at pitch = {format_value(p)}")
    if builder.opening_diameter > pad_diameter - 20:
        raise out_of_range("opening_diameter", builder.opening_diameter, low["opening_diameter"], pad_diameter - 20,
                           f"the {cover} must overlap the {pad} edge by 10 um")
    if builder.opening_diameter / 2 > 0.95 * rb:
        raise out_of_range("opening_diameter", builder.opening_diameter, low["opening_diameter"], 1.9 * rb,
                           "the ball must be wider than the opening it wets")


def joint_row(cell: bool, pitch: float, joint_count: int) -> tuple[list[float], float]:
    """Joint axes and model width: the half cell about the joint axis x = 0, or ``joint_count``
    joints at ``pitch`` from the package centre line x = 0."""
    if cell:
        return [0.0], pitch / 2
    return [(i + 0.5) * pitch for i in range(joint_count)], joint_count * pitch


def solder_ball(xc: float, centre_y: float, radius: float, y_seat: float, y_land: float | None = None,
                *, half: bool = False, margin: float = 1.0) -> tuple[Shape, float]:
    """A solder ball on the seat plane ``y = y_seat``: the disk of ``radius`` centred at
    (xc, centre_y) above that plane and, when soldered, below the land plane ``y = y_land``
    (None: a free ball). The clipping box reaches ``margin`` beyond the disk's sides and, for a
    free ball, 1 um above its top; with ``half`` only the side x >= xc is kept.

    Returns the shape and its exact area (of the half with ``half``)."""
    top = centre_y + radius if y_land is None else y_land
    x_lo = xc if half else xc - radius - margin
    box = rect(x_lo, y_seat, xc + radius + margin, top + 1 if y_land is None else top)
    area = disk_slab_area(xc, radius, y_seat, top, centre_y)
    return Intersect(Disk(xc, centre_y, radius), box), area / 2 if half else area


def lands_and_board(drawing: Drawing, centres: Sequence[float], y_land: float, land_half_width: float,
                    land_thickness: float, board_width: float, board_thickness: float, priority: int, *,
                    half: bool = False, board: str = "board", land_priority: int | None = None,
                    board_first: bool = False) -> Boundary:
    """Paint a Cu ``land`` on every joint axis at ``y_land`` (only the side x >= axis with
    ``half``) and the ``board`` (or second substrate) on the lands, from x = 0 to
    ``board_width``, and count their areas. ``board_first`` paints the board before the lands
    (the same geometry; gmsh numbers the entities in painting order). Returns the board's
    ``top`` boundary."""
    share = 0.5 if half else 1.0
    y_board = y_land + land_thickness
    lands = [Layer("land", rect(xc if half else xc - land_half_width, y_land, xc + land_half_width, y_board),
                   priority if land_priority is None else land_priority) for xc in centres]
    plate = Layer(board, rect(0.0, y_board, board_width, y_board + board_thickness), priority)
    areas = {"land": len(centres) * 2 * share * land_half_width * land_thickness,
             board: board_width * board_thickness}
    if board_first:
        drawing.layers += [plate] + lands
        drawing.areas.update(reversed(areas.items()))
    else:
        drawing.layers += lands + [plate]
        drawing.areas.update(areas)
    return Boundary("top", "y", y_board + board_thickness)


def slice_supports(bottom: float, symmetry: str = "symmetry", x: float = 0.0):
    """Supports of a package slice that leave it free to warp: the ``symmetry`` curve fixed in x
    and one point, the bottom corner on the symmetry line (x, bottom), fixed in y (it removes the
    rigid y translation only). Returns (bcs, points) for :class:`ModelSpec`."""
    bcs = ({"group": symmetry, "fix": ["x"]}, {"group": ANCHOR, "fix": ["y"]})
    return bcs, (NamedPoint(ANCHOR, (x, bottom)),)


def supports(cell: bool, edge: str, bottom: float, x: float = 0.0):
    """The named edge line ``x = x`` and ``bottom`` line, and how the model is held: a cell on
    its edge in x and its bottom in y; a slice as :func:`slice_supports` (it warps freely).

    Returns (boundaries, bcs, points)."""
    boundaries = [Boundary(edge, "x", x), Boundary("bottom", "y", bottom)]
    if cell:
        return boundaries, ({"group": edge, "fix": ["x"]}, {"group": "bottom", "fix": ["y"]}), ()
    bcs, points = slice_supports(bottom, edge, x)
    return boundaries, bcs, points


def model_spec(builder, level: str, analysis: str, drawing: Drawing, materials: dict[str, str], *,
               boundaries: Sequence[Boundary], bcs, points, probes: Sequence[Probe], sizes: MeshSizes,
               curved: set[str] | frozenset[str], zoom, notes: Sequence[str] = (),
               areas: dict[str, float] | None = None, cracks: Sequence["CornerCrack"] = ()) -> ModelSpec:
    """The spec of a builder's drawing: materials of the regions drawn only, the builder's
    parameter values, the drawing's areas unless ``areas`` is given, and the pre-cracks with
    their tips refined (``sizes.tips``)."""
    used = {layer.region for layer in drawing.layers}
    if cracks:
        sizes = replace(sizes, tips=sizes.tips + tuple(p for c in cracks for p in c.refinement(sizes.corner)))
        notes = tuple(notes) + tuple(c.note(sizes.corner) for c in cracks)
    return ModelSpec(structure=builder.cli_name, level=level, analysis=analysis, layers=tuple(drawing.layers),
                     boundaries=tuple(boundaries), materials={r: m for r, m in materials.items() if r in used},
                     bcs=bcs, probes=tuple(probes), sizes=sizes,
                     closed_form_areas=drawing.areas if areas is None else areas,
                     curved_regions=frozenset(curved), zoom=zoom, parameters=parameter_values(builder),
                     notes=tuple(notes), points=points, cracks=tuple(c.crack for c in cracks))


#: pre-crack tip elements: the crack length over this, or the builder's corner size if finer
TIP_ELEMENTS_PER_CRACK = 20
#: smallest pre-crack a builder takes (um): shorter ones need sub-0.05 um elements
MIN_CRACK_UM = 1.0


@dataclass(frozen=True)
class CornerCrack:
    """A builder's pre-crack on a straight stretch of interface: from the corner ``start`` along
    the unit ``direction`` over ``length`` um; its tip lies at start + length direction."""
    name: str
    interface: str
    start: tuple[float, float]
    direction: tuple[float, float]
    length: float

    @property
    def crack(self) -> Crack:
        return Crack(self.name, self.interface, self.start, self.length, self.direction)

    @property
    def tip(self) -> tuple[float, float]:
        norm = math.hypot(*self.direction)
        return (self.start[0] + self.length * self.direction[0] / norm,
                self.start[1] + self.length * self.direction[1] / norm)

    def element_size(self, corner: float) -> float:
        """Tip element size (um, before the mesh-size factor): length / 20, at most ``corner``."""
        return min(self.length / TIP_ELEMENTS_PER_CRACK, corner)

    def refinement(self, corner: float) -> tuple[tuple[float, float, float], ...]:
        """(x, y, size) at the tip and at the mouth: the tip resolved, and the mouth placed within
        half an element where no geometry corner marks it."""
        h = self.element_size(corner)
        return (*self.tip, h), (*self.start, h)

    def note(self, corner: float) -> str:
        x, y = self.tip
        return (f"pre-crack '{self.name}': {self.length:g} um along {self.interface} from ({self.start[0]:.4g}, "
                f"{self.start[1]:.4g}), tip ({x:.4g}, {y:.4g}), tip elements {self.element_size(corner):.3g} um "
                "x mesh factor; faces traction-free")


def check_crack_length(name: str, length: float, room: float, why: str) -> None:
    """A pre-crack length parameter: 0 (no crack) or in [MIN_CRACK_UM, room]."""
    if length > 0 and not MIN_CRACK_UM <= length <= room:
        raise out_of_range(name, length, MIN_CRACK_UM, max(MIN_CRACK_UM, room), why)


def corner_cracks(*cracks: CornerCrack) -> tuple[CornerCrack, ...]:
    """The builder's pre-cracks that are present (length > 0)."""
    return tuple(c for c in cracks if c.length > 0)
