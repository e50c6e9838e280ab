"""Copper post through a thick polymer layer, with a solder bump on its projection (seed 002,
wafer-scale package with posts that bend; and the bump-in-polymer of seed 001).

Stack from the bottom: Si wafer / passivation with an Al stud under each post / polymer body
(polyimide, silicone elastomer or BCB) whose thickness is the post height / metal post (Cu, Au,
solder or Al) in a straight, tapered (wider at the top, claim 15) or hourglass (narrowest half
way down, claim 16) via, projecting above the polymer / solder bump on the projection.
The seed-001 bump-in-polymer is the same stack with ``post_height`` 10-30 um, no projection (polished
coplanar with the polymer) and no bump.

Levels:
* ``cell``: one post, axisymmetric (x = r).
* ``assembly``: generalized plane strain through a row of posts from the chip centre (symmetry)
  to the edge, the bumps soldered to a board (the posts bend under the board/wafer mismatch; the
  patent's cantilever claim 6). Without a bump the slice has no board (wafer/polymer mismatch only).
"""
from __future__ import annotations

from fea.model import Model, Probe

from .meshing import MeshSizes, ModelSpec, mesh_model
from .parameters import format_value, is_cell, out_of_range, param, structure, zero_or_at_least
from .parts import SLICE_ANALYSIS, SLICE_NOTE, Drawing, joint_row, lands_and_board, model_spec, solder_ball, supports
from .shapes import Outline, ball_between, rect

_POLYMERS = {"polyimide": "polyimide", "silicone": "silicone", "bcb": "bcb"}
#: smallest element (um) of the package slice away from the outer post
INNER_FLOOR_UM = 5.0


@structure("cu-post")
class CuPost:
    """Metal post through a polymer body with a solder bump (seed 002; bump-in-polymer of 001)."""

    post_width: float = param(50.0, range=(10.0, 200.0), doc="post diameter (widest via width)",
                              source="002 claim 32: 10-200 um")
    post_height: float = param(100.0, range=(10.0, 250.0), doc="post height = polymer thickness",
                               source="002 claims 10, 14: 20-250 um; 001 [0009]: bump 10-30 um")
    post_projection: float = param(25.0, range=(0.0, 75.0), doc="post height above the polymer (0: coplanar)",
                                   source="002 claim 24: 10-75 um; 001: polished coplanar")
    post_material: str = param("cu", unit="", choices=("cu", "au", "sac305", "al"), doc="post metal",
                               source="002 claim 14: copper, gold, solder, aluminium")
    polymer_material: str = param("polyimide", unit="", choices=tuple(_POLYMERS), doc="polymer body",
                                  source="002 claims 2, 9: polyimide, silicone elastomer, BCB")
    via_profile: str = param("straight", unit="", choices=("straight", "tapered", "hourglass"),
                             doc="via/post profile", source="002 claims 15-16")
    via_narrowing: float = param(0.7, unit="", range=(0.3, 1.0),
                                 doc="narrowest over widest post width (tapered: bottom; hourglass: middle)",
                                 source="typical value")
    solder_bump: bool = param(True, unit="", doc="solder bump on the post projection",
                              source="002 claim 8(h)")
    bump_height: float = param(30.0, range=(5.0, 150.0), doc="solder bump height above the post",
                               source="typical value")
    solder_material: str = param("sac305", unit="", choices=("sac305", "snpb", "sn"), doc="bump solder",
                                 source="typical value")
    pitch: float = param(150.0, range=(20.0, 1000.0), doc="post pitch (cell width = pitch)",
                         source="typical value")
    passivation_thickness: float = param(1.0, range=(0.3, 3.0), doc="wafer passivation", source="typical value")
    substrate_thickness: float = param(300.0, range=(50.0, 800.0), doc="Si wafer thickness",
                                       source="typical value")
    joint_count: int = param(6, unit="", range=(1, 12), doc="posts in the assembly slice", source="typical value")
    board_thickness: float = param(800.0, range=(100.0, 2500.0), doc="FR-4 board (assembly)",
                                   source="typical value")
    land_thickness: float = param(15.0, range=(5.0, 50.0), doc="Cu board land (assembly)", source="typical value")

    def validate(self) -> None:
        zero_or_at_least("post_projection", self.post_projection, 2.0, 75.0, "a sub-2 um step is not resolved")
        if self.post_width > self.pitch - 10:
            raise out_of_range("post_width", self.post_width, 10.0, self.pitch - 10,
                               f"posts closer than 10 um at pitch = {format_value(self.pitch)}")
        if self.via_profile != "straight" and self.via_narrowing * self.post_width < 5.0:
            raise out_of_range("via_narrowing", self.via_narrowing, 5.0 / self.post_width, 1.0,
                               "the narrowest post section must be at least 5 um")
        if self.solder_bump and self.bump_height > 1.5 * self.post_width:
            raise out_of_range("bump_height", self.bump_height, 5.0, 1.5 * self.post_width,
                               "a bump taller than 1.5 post widths does not stay on the post")

    def build(self, level: str = "cell", mesh_size_factor: float = 1.0, library=None) -> Model:
        """The meshed model (materials from ``library``, default the built-in one)."""
        return mesh_model(self.spec(level), mesh_size_factor, library)

    def _post(self, xc: float, half: bool, y0: float, y1: float, y2: float) -> Outline:
        """Post outline (x = xc centre line), from its base y0 through the polymer top y1 to its top y2."""
        r = self.post_width / 2
        rn = self.via_narrowing * r
        if self.via_profile == "straight":
            right = [(r, y0), (r, y2)]
        elif self.via_profile == "tapered":
            right = [(rn, y0), (r, y1)] + ([(r, y2)] if y2 > y1 else [])
        else:
            right = [(r, y0), (rn, (y0 + y1) / 2), (r, y1)] + ([(r, y2)] if y2 > y1 else [])
        if half:
            pts = [(xc, y0)] + [(xc + x, y) for x, y in right] + [(xc, y2)]
        else:
            pts = [(xc + x, y) for x, y in right] + [(xc - x, y) for x, y in reversed(right)]
        return Outline(tuple(pts))

    def spec(self, level: str = "cell") -> ModelSpec:
        cell = is_cell(level)
        t_sub = self.substrate_thickness
        y2 = self.passivation_thickness + self.post_height + self.post_projection
        centres, width = joint_row(cell, self.pitch, self.joint_count)
        drawing = self._wafer_and_posts(centres, width, cell)
        edge = "axis" if cell else "symmetry"
        boundaries, bcs, points = supports(cell, edge, -t_sub)
        top = y2 + (self.bump_height if self.solder_bump else 0)
        if self.solder_bump and not cell:
            y_land = y2 + self.bump_height
            boundaries.append(lands_and_board(drawing, centres, y_land, self.post_width / 2, self.land_thickness,
                                              width + self.pitch / 2, self.board_thickness, 5))
            top = y_land + self.land_thickness
        materials = {"substrate": "si", "passivation": "sin", "pad": "al", "polymer": _POLYMERS[self.polymer_material],
                     "post": self.post_material, "solder": self.solder_material, "board": "fr4", "land": "cu"}
        return model_spec(self, level, "axisymmetric" if cell else SLICE_ANALYSIS, drawing, materials,
                          boundaries=boundaries, bcs=bcs, points=points, probes=self._probes(centres[-1]),
                          sizes=self._mesh_sizes(cell, centres[-1], -t_sub, top), curved={"solder"},
                          zoom=self._zoom(cell, centres[-1], top),
                          notes=() if cell else (SLICE_NOTE,))

    def _wafer_and_posts(self, centres, width: float, cell: bool) -> Drawing:
        """Wafer, passivation and polymer body; on every axis the Al stud, the post and its bump."""
        t_sub, t_pas = self.substrate_thickness, self.passivation_thickness
        y0, y1 = t_pas, t_pas + self.post_height
        y2 = y1 + self.post_projection
        r_base = self._base_radius()
        k = 0.5 if cell else 1.0   # share of each post in the model
        drawing = Drawing()
        drawing.add("substrate", rect(0, -t_sub, width, 0), 5)
        drawing.add("passivation", rect(0, 0, width, y0), 5)
        drawing.add("polymer", rect(0, y0, width, y1), 4)
        drawing.areas.update(substrate=width * t_sub,
                             passivation=width * t_pas - len(centres) * 2 * k * r_base * t_pas,
                             pad=len(centres) * 2 * k * r_base * t_pas, post=0.0, polymer=width * self.post_height)
        for xc in centres:
            drawing.paint("post", self._post(xc, cell, y0, y1, y2), 6)
            drawing.areas["polymer"] -= self._post(xc, cell, y0, y1, y1).area()
            drawing.add("pad", rect(xc - (0 if cell else r_base), 0, xc + r_base, y0), 6)
            if self.solder_bump:
                bump, area = self._bump(xc, cell, y2)
                drawing.paint("solder", bump, 3, area)
        return drawing

    def _bump(self, xc: float, cell: bool, y2: float):
        """The bump on the post top y2: a free spherical cap (cell) or soldered to the board land
        (assembly). Returns the shape and its area in the model."""
        r, h = self.post_width / 2, self.bump_height
        if cell:
            rad = (r * r + h * h) / (2 * h)
            cy = y2 + h - rad
        else:
            (_, cy), rad = ball_between(xc, y2, r, y2 + h, r)
        return solder_ball(xc, cy, rad, y2, y2 + h, half=cell)

    def _base_radius(self) -> float:
        return self.post_width / 2 * (self.via_narrowing if self.via_profile == "tapered" else 1.0)

    def _probes(self, xo: float) -> list[Probe]:
        """Probes at the outermost post (axis ``xo``)."""
        t_pas = self.passivation_thickness
        y0, y1 = t_pas, t_pas + self.post_height
        r, r_base = self.post_width / 2, self._base_radius()
        probes = [Probe("post_base_corner_polymer", (xo + r_base + 0.5, y0 + 0.5), "polymer"),
                  Probe("post_top_corner_polymer", (xo + r + 0.5, y1 - 0.5), "polymer"),
                  Probe("post_base_centre", (xo + 0.5, y0 + 0.5), "post"),
                  Probe("passivation_at_post_edge", (xo + r_base + 0.5, t_pas / 2), "passivation"),
                  Probe("substrate_under_post_edge", (xo + r_base, -0.5), "substrate")]
        if self.solder_bump:
            probes.append(Probe("solder_post_edge", (xo + 0.9 * r, y1 + self.post_projection + 0.5), "solder"))
        return probes

    def _zoom(self, cell: bool, xo: float, top: float):
        r = self.post_width / 2
        if cell:
            return (0.0, 2.0 * r + 10, -0.1 * self.post_height, top + 10)
        return (max(0.0, xo - self.pitch / 2), xo + self.pitch / 2 + 0.5 * r, -0.2 * self.post_height, top + 20)

    def _mesh_sizes(self, cell: bool, x_outer: float = 0.0, y_bottom: float = 0.0, y_top: float = 0.0) -> MeshSizes:
        """In the package slice only the outer post (the critical one, where the study measures)
        gets the fine sizes; away from it no element is smaller than INNER_FLOOR_UM, which is
        fine enough for the inner posts' share of the slice's stiffness."""
        t_pas = self.passivation_thickness
        hp = min(self.post_height, self.post_width)
        # the detail window of the outer post (its metrics), and a margin
        x0, x1 = x_outer - self.pitch / 2 - 20.0, x_outer + self.pitch / 2 + self.post_width / 4 + 20.0
        focus = () if cell else ((x0, x1, y_bottom - 1.0, y_top + 1.0),)
        return MeshSizes(far=max(self.pitch, self.post_height) / (4 if cell else 3),
                         interface=hp / (12 if cell else 6), corner=min(t_pas, 1.0) * (1 if cell else 2),
                         region={"passivation": max(t_pas, 0.5) * (1 if cell else 2), "pad": max(t_pas, 0.5),
                                 "post": hp / (8 if cell else 5), "solder": self.post_width / 8,
                                 "land": self.land_thickness / 2},
                         growth=0.3 if cell else 0.5, focus=focus, floor=INNER_FLOOR_UM if focus else 0.0,
                         focus_margin=20.0)
