"""Fan-out chip package: Cu redistribution line (RDL) from a chip bump across the chip edge onto
the molding, solder ball on the RDL (seed 001, US 2018/0158746).

Stack from the bottom (the document's orientation; the board of the assembly lies on the balls):
optional carrier (substrate 48: BGA laminate, glass-fibre epoxy or glass, [0122]) / glue (polyimide
or epoxy, [0120]) / chip (Si) face up in a polymer body (molding, [0123]-[0124]: epoxy molding,
polyimide or BCB) whose top is polished flat with the Cu bump tops ([0126]) / one to three Cu RDL
levels ([0149] metal layer 58, [0181] metal layer 72), each under an insulating layer ([0153]
insulating layer 62; the last level under the solder mask 76 of [0185]), upper levels joined by
filled vias stacked under the ball / Ni (Au) finish in the opening ([0155]) / tin-containing ball
([0155], [0187]).

The section plane holds one RDL trace, the critical one: from the bump near the chip edge to the
ball nearest the chip edge on the side ``ball_location`` says (over the fan-out molding: the trace
crosses the chip edge; over the chip: fan-in). The other balls sit on their stacked pads; their
traces run out of the plane.

Levels:
* ``cell``: generalized plane strain window one pitch wide centred on the critical ball, cut out
  of the package slice; its left edge is held as a symmetry line (a sub-model idealisation) and
  the ball is free (no board).
* ``assembly``: generalized plane strain from the package centre (symmetry, x = 0) to the package
  edge with ``joint_count`` balls at ``pitch`` soldered to Cu lands on an FR-4 board.
"""
from __future__ import annotations

import functools
import math

from fea.errors import InputError
from fea.model import Model, Probe

from .meshing import MeshSizes, ModelSpec, mesh_model
from .parameters import format_value, is_cell, out_of_range, param, structure
from .parts import (SLICE_ANALYSIS, SLICE_NOTE, CornerCrack, Drawing, check_ball_seat, check_crack_length,
                    corner_cracks, lands_and_board, model_spec, solder_ball, supports)
from .shapes import rect



@structure("fanout-rdl")
class FanoutRdl:
    """Fan-out RDL across the chip edge with a solder ball (US 2018/0158746) - cell or package slice."""

    package_width: float = param(6000.0, range=(500.0, 30000.0), doc="package (molded body) width",
                                 source="typical value")
    chip_width: float = param(4000.0, range=(200.0, 25000.0), doc="chip width", source="typical value")
    chip_thickness: float = param(200.0, range=(50.0, 800.0), doc="chip (Si) thickness",
                                  source="typical value ([0123]: molding 250-1000 um thick before polishing)")
    bump_height: float = param(20.0, range=(10.0, 30.0), doc="Cu bump height, polished flush with the molding",
                               source="[0126]: t6 10-30 um")
    bump_width: float = param(60.0, range=(10.0, 200.0), doc="Cu bump width", source="typical value")
    bump_edge_distance: float = param(60.0, range=(10.0, 2000.0),
                                      doc="critical bump axis to the chip edge", source="typical value")
    mold_material: str = param("emc", unit="", choices=("emc", "polyimide", "bcb"),
                               doc="polymer body around the chip", source="[0124]: epoxy molding, polyimide or BCB")
    rdl_thickness: float = param(15.0, range=(5.0, 100.0), doc="Cu RDL thickness (each level)",
                                 source="[0149]: 5-100 um, preferably 10-30 um")
    rdl_levels: int = param(1, unit="", range=(1, 3), doc="RDL levels (upper ones joined by stacked vias)",
                            source="[0153]-[0187]: circuit layers 60 and 74; 3 levels typical value")
    insulator_thickness: float = param(30.0, range=(15.0, 150.0),
                                       doc="insulating layer over each RDL level (and solder mask)",
                                       source="[0153]: 15-150 um; [0185] solder mask 15-150 um")
    insulator_material: str = param("polyimide", unit="", choices=("polyimide", "pbo", "bcb", "solder_mask"),
                                    doc="insulating layers under the top one",
                                    source="typical value ([0153]: epoxy resin)")
    ball_location: str = param("fanout", unit="", choices=("fanout", "chip"),
                               doc="critical ball over the fan-out molding or over the chip",
                               source="[0155], FIG. 6M (fan-out); fan-in typical value")
    ball_edge_distance: float = param(140.0, range=(0.0, 5000.0),
                                      doc="chip edge to the critical ball axis", source="typical value")
    ball_diameter: float = param(300.0, range=(250.0, 1200.0), doc="tin-containing ball diameter",
                                 source="[0155]: 0.25-1.2 mm")
    pad_diameter: float = param(280.0, range=(60.0, 1200.0), doc="RDL pad width under the ball",
                                source="typical value")
    opening_diameter: float = param(240.0, range=(40.0, 1100.0), doc="opening in the top insulating layer",
                                    source="typical value ([0155] opening 62a)")
    finish: bool = param(True, unit="", doc="Ni/Au finish on the pad in the opening", source="[0155]")
    finish_thickness: float = param(3.0, range=(0.5, 5.0), doc="Ni finish thickness (Au neglected)",
                                    source="[0155]: Ni 0.05-5 um, Au 0.05-2 um")
    solder_material: str = param("sac305", unit="", choices=("sac305", "snpb", "sn"), doc="ball alloy",
                                 source="[0156]: Sn-Pb, Sn-Ag or Sn-Ag-Cu")
    pitch: float = param(500.0, range=(270.0, 2000.0), doc="ball pitch (cell width)", source="typical value")
    carrier: bool = param(True, unit="", doc="carrier substrate under the chip and molding",
                          source="[0122]; off: carrier removed")
    carrier_thickness: float = param(500.0, range=(200.0, 2000.0), doc="carrier thickness",
                                     source="[0122]: 200-2000 um")
    carrier_material: str = param("bt", unit="", choices=("bt", "fr4", "glass"), doc="carrier material",
                                  source="[0122]: BGA substrate, glass-fibre epoxy or glass")
    glue_thickness: float = param(20.0, range=(1.0, 50.0), doc="glue between carrier and chip/molding",
                                  source="[0120]: 1-50 um")
    glue_material: str = param("polyimide", unit="", choices=("polyimide", "underfill"),
                               doc="glue (epoxy resin modelled as the library's filled epoxy 'underfill')",
                               source="[0120]: polyimide or epoxy resin")
    joint_count: int = param(4, unit="", range=(1, 12), doc="balls in the assembly slice", source="typical value")
    board_thickness: float = param(800.0, range=(100.0, 2500.0), doc="FR-4 board (assembly)",
                                   source="typical value")
    land_thickness: float = param(20.0, range=(5.0, 50.0), doc="Cu board land (assembly)", source="typical value")
    chip_edge_crack: float = param(0.0, range=(0.0, 200.0),
                                   doc="pre-crack on the molding/RDL interface from the chip edge outward under "
                                       "the trace (ball_location = fanout; 0 = none; tip elements length/20)",
                                   source="typical value (delamination starts at the chip-edge triple junction)")

    # ---- derived dimensions (um) ----
    def _x_ball(self) -> float:
        """Critical ball axis, from the package centre."""
        a_c = self.chip_width / 2
        return a_c + self.ball_edge_distance if self.ball_location == "fanout" else a_c - self.ball_edge_distance

    def _x_bump(self) -> float:
        return self.chip_width / 2 - self.bump_edge_distance

    def _seat(self):
        """Ball contact half-width a, radius rb, centre height d above the seat plane."""
        a, rb = self.opening_diameter / 2, self.ball_diameter / 2
        return a, rb, math.sqrt(rb * rb - a * a)

    def _ball_range(self):
        """How many balls fit inward and outward of the critical one."""
        rb, p = self.ball_diameter / 2, self.pitch
        x_c, a_p = self._x_ball(), self.package_width / 2
        inward = int(math.floor((x_c - rb - 10.0) / p + 1e-9))
        outward = int(math.floor((a_p - 10.0 - rb - x_c) / p + 1e-9))
        return max(inward, 0), max(outward, 0)

    def _centres(self) -> list[float]:
        inward, _ = self._ball_range()
        k = min(inward, self.joint_count - 1)
        return [self._x_ball() + (i - k) * self.pitch for i in range(self.joint_count)]

    def validate(self) -> None:
        a_c, a_p, p = self.chip_width / 2, self.package_width / 2, self.pitch
        rb = self.ball_diameter / 2
        T, t_r = self.insulator_thickness, self.rdl_thickness
        if self.chip_width > self.package_width - 100:
            raise out_of_range("chip_width", self.chip_width, 200.0, self.package_width - 100,
                               "the molding must surround the chip by at least 50 um")
        if t_r > T - 5:
            raise out_of_range("rdl_thickness", t_r, 5.0, T - 5, "the insulating layer must cover the RDL by 5 um")
        if self.finish and t_r + self.finish_thickness > T - 2:
            raise out_of_range("finish_thickness", self.finish_thickness, 0.5, max(0.5, T - 2 - t_r),
                               "the finish must stay 2 um below the top of the opening")
        check_ball_seat(self, "pad", "insulating layer")
        if self.bump_edge_distance < self.bump_width / 2 + 10 or self.bump_edge_distance > a_c - self.bump_width / 2:
            raise out_of_range("bump_edge_distance", self.bump_edge_distance, self.bump_width / 2 + 10,
                               max(self.bump_width / 2 + 10, a_c - self.bump_width / 2), "the bump must sit on the chip")
        # the critical ball lies inside the package on the requested side of the chip edge
        lo = 0.0
        hi = a_p - a_c - rb - 10 if self.ball_location == "fanout" else a_c - rb - 10
        if not lo <= self.ball_edge_distance <= hi:
            raise out_of_range("ball_edge_distance", self.ball_edge_distance, lo, max(lo, hi),
                               f"the ball must sit over the {'molding' if self.ball_location == 'fanout' else 'chip'}"
                               " inside the package")
        # the cell window (one pitch about the ball) keeps the chip edge and the bump clear of its edges
        if self.ball_edge_distance > p / 2 - 20:
            raise out_of_range("ball_edge_distance", self.ball_edge_distance, lo, max(lo, p / 2 - 20),
                               "the chip edge must lie inside the one-pitch cell around the ball")
        span = abs(self._x_bump() - self._x_ball()) + self.bump_width / 2
        if span > p / 2 - 10:
            raise out_of_range("bump_edge_distance", self.bump_edge_distance, self.bump_width / 2 + 10,
                               max(self.bump_width / 2 + 10, self.bump_edge_distance - (span - p / 2 + 10)),
                               "the bump must lie inside the one-pitch cell around the ball")
        self._check_crack()
        inward, outward = self._ball_range()
        if self.joint_count > inward + outward + 1:
            raise out_of_range("joint_count", self.joint_count, 1, inward + outward + 1,
                               f"balls at pitch {format_value(p)} in a {format_value(self.package_width)} um package")

    def _check_crack(self) -> None:
        if self.chip_edge_crack > 0 and self.ball_location != "fanout":
            raise InputError("chip_edge_crack needs ball_location = fanout (the trace crosses the chip edge)")
        room = self._x_ball() + self.pad_diameter / 2 - self.chip_width / 2 - 10.0
        check_crack_length("chip_edge_crack", self.chip_edge_crack, room,
                           "0 or a crack ending 10 um before the RDL pad's end")

    def _cracks(self):
        """The pre-crack under the trace at the chip edge, outward on the molding."""
        return corner_cracks(CornerCrack("chip_edge", "mold/rdl", (self.chip_width / 2, 0.0), (1.0, 0.0),
                                         self.chip_edge_crack))

    def build(self, level: str = "cell", mesh_size_factor: float = 1.0, library=None) -> Model:
        """The meshed model (materials from ``library``, default the built-in one)."""
        return mesh_model(self.spec(level), mesh_size_factor, library)

    def spec(self, level: str = "cell") -> ModelSpec:
        cell = is_cell(level)
        p, L, T = self.pitch, self.rdl_levels, self.insulator_thickness
        a_p = self.package_width / 2
        a, rb, d = self._seat()
        x_c = self._x_ball()
        centres = [x_c] if cell else self._centres()
        x0, x1 = (x_c - p / 2, x_c + p / 2) if cell else (0.0, a_p)
        drawing = Drawing()
        y_bottom = self._package(drawing, x0, x1)
        top = self._rdl_levels(drawing, x0, x1, centres)
        # balls: free (cell) or soldered to a land on the board (assembly)
        y_seat = L * T
        y_land = y_seat + 2 * d
        for xc in centres:
            ball, area = solder_ball(xc, y_seat + d, rb, y_seat, None if cell else y_land)
            drawing.paint("solder", ball, 1, area)
        boundaries, bcs, points = supports(cell, "symmetry", y_bottom, x0)
        notes = [SLICE_NOTE, "finish = Ni/Au modelled as Ni (Au is < 2 um)",
                 "only the critical RDL trace (bump to ball) lies in the section; other balls sit on stacked pads"]
        y_top_model = y_seat + d + rb
        if cell:
            notes.append("cell: one-pitch window of the package slice; its left edge is held as a symmetry line")
        else:   # the board runs past the package edge
            boundaries.append(lands_and_board(drawing, centres, y_land, a, self.land_thickness, a_p + p / 2,
                                              self.board_thickness, 6))
            y_top_model = y_land + self.land_thickness
        materials = {"chip": "si", "bump": "cu", "mold": self.mold_material, "glue": self.glue_material,
                     "carrier": self.carrier_material, "rdl": "cu", "insulator": self.insulator_material,
                     "solder_mask": "solder_mask", "finish": "ni", "solder": self.solder_material,
                     "land": "cu", "board": "fr4"}
        return model_spec(self, level, SLICE_ANALYSIS, drawing, materials, boundaries=boundaries, bcs=bcs,
                          points=points, probes=self._probes(cell, top, y_seat, y_land), sizes=self._mesh_sizes(cell),
                          curved={"solder"}, zoom=self._zoom(x0, x1, y_top_model), notes=notes,
                          cracks=self._cracks())

    @staticmethod
    def _paint_rect(drawing: Drawing, x0: float, x1: float, region: str, xa: float, ya: float, xb: float,
                    yb: float, priority: int) -> float:
        """A rectangle clipped to the model's x range [x0, x1]; returns its area, counted for ``region``."""
        xa, xb = max(xa, x0), min(xb, x1)
        if xb - xa <= 1e-9:
            return 0.0
        return drawing.paint(region, rect(xa, ya, xb, yb), priority, (xb - xa) * (yb - ya))

    def _package(self, drawing: Drawing, x0: float, x1: float) -> float:
        """Chip and bump under the polished plane y = 0, molding around them, glue and carrier
        below; returns the model's bottom."""
        a_c, a_p = self.chip_width / 2, self.package_width / 2
        t_b, w_b, x_b = self.bump_height, self.bump_width, self._x_bump()
        y_back = -t_b - self.chip_thickness
        chip = self._paint_rect(drawing, x0, x1, "chip", 0.0, y_back, a_c, -t_b, 6)
        bump = self._paint_rect(drawing, x0, x1, "bump", x_b - w_b / 2, -t_b, x_b + w_b / 2, 0.0, 6)
        self._paint_rect(drawing, x0, x1, "mold", 0.0, y_back, a_p, 0.0, 2)
        drawing.areas["mold"] -= chip + bump
        if not self.carrier:
            return y_back
        t_g, t_c = self.glue_thickness, self.carrier_thickness
        self._paint_rect(drawing, x0, x1, "glue", 0.0, y_back - t_g, a_p, y_back, 5)
        self._paint_rect(drawing, x0, x1, "carrier", 0.0, y_back - t_g - t_c, a_p, y_back - t_g, 5)
        return y_back - t_g - t_c

    def _rdl_levels(self, drawing: Drawing, x0: float, x1: float, centres) -> str:
        """RDL level k on y = k T under insulating layer k; the top layer holds the openings with
        the finish and the solder that fills them. Returns the top layer's region."""
        L, T, t_r = self.rdl_levels, self.insulator_thickness, self.rdl_thickness
        a_p, r_pad, w_b = self.package_width / 2, self.pad_diameter / 2, self.bump_width
        x_c, x_b = self._x_ball(), self._x_bump()
        a, _, _ = self._seat()
        paint = functools.partial(self._paint_rect, drawing, x0, x1)
        r_via = r_pad / 2
        top = "insulator" if L == 1 else "solder_mask"
        for k in range(L):
            y_k = k * T
            region = top if k == L - 1 else "insulator"
            paint(region, 0.0, y_k, a_p, y_k + T, 3)
            metal = 0.0
            for xc in centres:
                if k == 0 and xc == x_c:   # the critical trace: bump to ball pad
                    lo, hi = min(x_b - w_b / 2, xc - r_pad), max(x_b + w_b / 2, xc + r_pad)
                    metal += paint("rdl", lo, y_k, hi, y_k + t_r, 7)
                else:
                    metal += paint("rdl", xc - r_pad, y_k, xc + r_pad, y_k + t_r, 7)
                if k + 1 < L:              # filled via up to the next level
                    metal += paint("rdl", xc - r_via, y_k + t_r, xc + r_via, y_k + T, 7)
            drawing.areas[region] -= metal
        opening = 0.0
        y_fin = (L - 1) * T + t_r
        y_fin_top = y_fin + self.finish_thickness if self.finish else y_fin
        for xc in centres:
            if self.finish:
                opening += paint("finish", xc - a, y_fin, xc + a, y_fin_top, 8)
            opening += paint("solder", xc - a, y_fin_top, xc + a, L * T, 8)
        drawing.areas[top] -= opening
        return top

    def _probes(self, cell: bool, top: str, y_seat: float, y_land: float) -> list[Probe]:
        """Probes at the chip corner, the bump, the critical joint and where the trace crosses the chip edge."""
        a_c, t_b, t_r, T = self.chip_width / 2, self.bump_height, self.rdl_thickness, self.insulator_thickness
        x_c, x_b = self._x_ball(), self._x_bump()
        a, _, _ = self._seat()
        probes = [Probe("mold_at_chip_corner", (a_c + 0.5, -t_b + 0.5), "mold"),
                  Probe("chip_corner", (a_c - 0.5, -t_b - 0.5), "chip"),
                  Probe("rdl_at_bump_edge", (x_b + self.bump_width / 2, t_r / 2), "rdl"),
                  Probe("solder_pad_neck", (x_c + a - 2.0, y_seat + 1.0), "solder"),
                  Probe("opening_corner_" + top, (x_c + a + 1.0, y_seat - 1.0), top)]
        if self.ball_location == "fanout":
            probes.append(Probe("rdl_over_chip_edge", (a_c, t_r / 2), "rdl"))
        else:
            probes.append(Probe("insulator_over_chip_edge", (a_c, t_r + 0.5 * (T - t_r)),
                                top if self.rdl_levels == 1 else "insulator"))
        if not cell:
            probes.append(Probe("solder_land_neck", (x_c + a - 2.0, y_land - 1.0), "solder"))
        return probes

    def _zoom(self, x0: float, x1: float, y_top_model: float):
        """Detail window: the chip edge, the trace and the critical joint."""
        a_c, rb = self.chip_width / 2, self.ball_diameter / 2
        x_c = self._x_ball()
        zx0 = max(x0, min(a_c, self._x_bump() - self.bump_width / 2, x_c - rb) - 60)
        zx1 = min(x1, max(a_c, x_c + rb) + 60)
        return (zx0, zx1, -self.bump_height - 0.25 * (zx1 - zx0), y_top_model + 20)

    def _mesh_sizes(self, cell: bool) -> MeshSizes:
        T, t_r, t_b = self.insulator_thickness, self.rdl_thickness, self.bump_height
        coarse = 1.0 if cell else 1.6
        step = min(t_r, t_b, T - t_r)
        region_sizes = {"rdl": t_r / 2, "insulator": T / 3 * coarse, "solder_mask": T / 3 * coarse,
                        "bump": min(t_b, self.bump_width) / 3, "finish": self.finish_thickness / 1.5,
                        "glue": max(self.glue_thickness / 2, 1.0) * coarse, "solder": self.ball_diameter / 2 / 8,
                        "land": self.land_thickness / 2}
        return MeshSizes(far=(self.pitch / 5 if cell else self.pitch / 2.5), interface=min(step / 1.5, 8.0) * coarse,
                         corner=min(1.5, step / 4) * coarse, region=region_sizes, growth=0.3 if cell else 0.5)
