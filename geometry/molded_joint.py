"""Molded fine-pitch solder joint between two substrates (seed 003, US 9,263,839).

Stack from the bottom: first substrate (die/wafer, Si) / Cu mounting pad / solder joint whose
sidewall meets the pad at less than 20-30 deg from the perpendicular (so the joint is about as
tall as it is wide, 240-260 um) / molding compound around the lower joint, at least about half the
joint height, top flat or concave (rising against the joint) / second substrate with a Cu land.
The solder either stays on the pad top (avoids the pad sidewalls, the patent's preference) or
wets the pad sidewalls; the molding touches the pad sidewalls or leaves a gap.

Levels:
* ``cell``: one joint, axisymmetric (x = r); without the second substrate the joint is a free
  ball (lower barrel + hemispherical top) before attach.
* ``assembly``: generalized plane strain from the package centre (symmetry) to the edge with
  ``joint_count`` joints at ``pitch`` between the two substrates.
"""
from __future__ import annotations

import math

from fea.errors import InputError
from fea.model import Model, Probe

from .meshing import MeshSizes, ModelSpec, mesh_model
from .parameters import format_value, is_cell, out_of_range, param, structure, zero_or_at_least
from .parts import (SLICE_ANALYSIS, SLICE_NOTE, CornerCrack, Drawing, check_crack_length, corner_cracks, joint_row,
                    lands_and_board, model_spec, supports)
from .shapes import VOID, Outline, rect


@structure("molded-joint")
class MoldedJoint:
    """Molded fine-pitch solder joint with a second substrate (US 9,263,839)."""

    pitch: float = param(350.0, range=(150.0, 600.0), doc="joint pitch (cell width = pitch)",
                         source="[0036]: 300-400 um")
    joint_height: float = param(240.0, range=(100.0, 320.0), doc="solder joint height (pad to land)",
                                source="[0036]: 240-260 um")
    joint_width: float = param(240.0, range=(100.0, 320.0), doc="largest joint width",
                               source="[0036]: about equal to the height, 240-260 um")
    sidewall_angle: float = param(20.0, unit="deg", range=(5.0, 30.0),
                                  doc="joint sidewall at the pad, from the pad normal",
                                  source="[0032], claims: < 30 deg, preferably < 20 deg")
    solder_wets_pad_sidewalls: bool = param(False, unit="", doc="solder runs down the pad sidewalls",
                                            source="[0028]: avoided in the preferred embodiment")
    pad_edge_offset: float = param(5.0, range=(0.0, 30.0),
                                   doc="pad edge beyond the solder contact (solder beyond the pad edge if wetting)",
                                   source="[0028]: at or separated from the pad edge; typical value")
    pad_thickness: float = param(10.0, range=(2.0, 30.0), doc="Cu mounting pad thickness", source="typical value")
    molding_height_ratio: float = param(0.5, unit="", range=(0.2, 0.9),
                                        doc="molding height over the joint top height",
                                        source="[0037]: at least about half the joint height")
    molding_touches_pad_sidewalls: bool = param(True, unit="", doc="molding fills around the pad sidewalls "
                                                "(else a gap of gap_width)", source="claim 17")
    gap_width: float = param(5.0, range=(1.0, 20.0), doc="air gap around the pad sidewalls if the molding "
                             "does not touch them", source="typical value")
    concave_molding_top: bool = param(False, unit="", doc="molding top rises against the joint (meniscus)",
                                      source="claim 12")
    meniscus_height: float = param(25.0, range=(5.0, 80.0), doc="height of the concave meniscus",
                                   source="typical value")
    second_substrate: bool = param(True, unit="", doc="second substrate (top package) on the joints",
                                   source="[0035], FIG. 7")
    substrate_thickness: float = param(200.0, range=(50.0, 800.0), doc="first substrate (Si die) thickness",
                                       source="typical value")
    second_substrate_thickness: float = param(300.0, range=(50.0, 1500.0), doc="second substrate (BT) thickness",
                                              source="typical value")
    land_thickness: float = param(15.0, range=(2.0, 30.0), doc="Cu land on the second substrate",
                                  source="typical value")
    solder_material: str = param("sac305", unit="", choices=("sac305", "snpb", "sn"), doc="joint solder",
                                 source="typical value ([0027]: solder)")
    mold_material: str = param("emc", unit="", choices=("emc", "lmc", "underfill"), doc="molding compound",
                               source="typical value ([0031])")
    joint_count: int = param(5, unit="", range=(1, 12), doc="joints in the assembly slice", source="typical value")
    mold_pad_crack: float = param(0.0, range=(0.0, 30.0),
                                  doc="pre-crack on the molding/pad interface of the outer joint from the solder "
                                      "contact edge outward along the pad top (0 = none; tip elements length/20)",
                                  source="typical value (delamination starts at the triple junction)")
    mold_substrate_crack: float = param(0.0, range=(0.0, 150.0),
                                        doc="pre-crack on the molding/substrate interface of the outer joint from "
                                            "the pad corner (or the air gap's edge) outward (0 = none; tip "
                                            "elements length/20)",
                                        source="typical value (delamination starts at the re-entrant corner)")

    # ---- derived geometry ----
    def _barrel(self):
        """Sidewall arc of the attached joint: radius, bulge beyond the contact, contact half-width."""
        th = math.radians(self.sidewall_angle)
        rho = self.joint_height / (2 * math.sin(th))
        bulge = rho * (1 - math.cos(th))
        return rho, bulge, self.joint_width / 2 - bulge

    def _y_base(self) -> float:
        return 0.0 if self.solder_wets_pad_sidewalls else self.pad_thickness

    def _contact(self) -> float:
        return self._barrel()[2]

    def _pad_half(self) -> float:
        a = self._contact()
        return a - self.pad_edge_offset if self.solder_wets_pad_sidewalls else a + self.pad_edge_offset

    def validate(self) -> None:
        rho, bulge, a = self._barrel()
        zero_or_at_least("pad_edge_offset", self.pad_edge_offset, 2.0, 30.0, "a sub-2 um step is not resolved")
        if self.solder_wets_pad_sidewalls and self.pad_edge_offset < 2.0:
            raise out_of_range("pad_edge_offset", self.pad_edge_offset, 2.0, 30.0,
                               "the wetting solder needs a real layer on the pad sidewall")
        if a < 20.0:
            raise out_of_range("joint_width", self.joint_width, 2 * (bulge + 20), 320.0,
                               "the joint must keep a 40 um contact at sidewall_angle = "
                               f"{format_value(self.sidewall_angle)}")
        if self.solder_wets_pad_sidewalls and self.molding_touches_pad_sidewalls:
            raise InputError("molding_touches_pad_sidewalls = true is impossible with "
                             "solder_wets_pad_sidewalls = true (the solder covers them)")
        if self.solder_wets_pad_sidewalls and self._pad_half() < 10:
            raise out_of_range("pad_edge_offset", self.pad_edge_offset, 0.0, a - 10, "the pad would vanish")
        if self.solder_wets_pad_sidewalls and self.joint_height < self.pad_thickness + 40:
            raise out_of_range("joint_height", self.joint_height, self.pad_thickness + 40, 320.0)
        spacing = self.pitch - max(self.joint_width, 2 * self._pad_half() + 2 * self.gap_width)
        if spacing < 20:
            raise out_of_range("pitch", self.pitch, self.pitch - spacing + 20, 600.0,
                               "joints closer than 20 um (the document's spacing is 40-150 um)")
        top = self._y_base() + self.joint_height
        mold = self.molding_height_ratio * top
        if mold < self.pad_thickness + 5:
            raise out_of_range("molding_height_ratio", self.molding_height_ratio,
                               (self.pad_thickness + 5) / top, 0.9, "the molding must cover the pad")
        if not self.second_substrate and self.joint_height - self.joint_width / 2 < 20:
            raise out_of_range("joint_height", self.joint_height, self.joint_width / 2 + 20, 320.0,
                               "a free ball needs its lower barrel below the hemispherical top")
        self._check_cracks()
        if self.concave_molding_top and mold + self.meniscus_height > top - 20:
            raise out_of_range("meniscus_height", self.meniscus_height, 5.0, max(5.0, top - 20 - mold),
                               "the meniscus must stay below the joint top")

    def _check_cracks(self) -> None:
        """Pre-cracks: on an interface that exists, ending before its corner or the cell edge."""
        if self.mold_pad_crack > 0 and self.solder_wets_pad_sidewalls:
            raise InputError("mold_pad_crack needs solder_wets_pad_sidewalls = false (the solder covers the pad)")
        room = self.pad_edge_offset - 1.5
        check_crack_length("mold_pad_crack", self.mold_pad_crack, room,
                           "0 or a crack ending 1.5 um before the pad edge")
        room = self.pitch / 2 - self._substrate_crack_start() - 10.0
        check_crack_length("mold_substrate_crack", self.mold_substrate_crack, room,
                           "0 or a crack ending 10 um before the cell edge")

    def _substrate_crack_start(self) -> float:
        """Where the molding/substrate interface starts, from the joint axis: the pad corner, the
        air gap's edge around the pad, or the foot of the solder that wets the pad sidewalls."""
        if self.solder_wets_pad_sidewalls:
            return self._contact()
        gap = 0.0 if self.molding_touches_pad_sidewalls else self.gap_width
        return self._pad_half() + gap

    def _cracks(self, xo: float):
        """The pre-cracks at the outer joint: molding/pad from the solder contact edge and
        molding/substrate from the pad corner, both outward."""
        return corner_cracks(
            CornerCrack("mold_pad", "mold/pad", (xo + self._contact(), self.pad_thickness), (1.0, 0.0),
                        self.mold_pad_crack),
            CornerCrack("mold_substrate", "mold/substrate", (xo + self._substrate_crack_start(), 0.0), (1.0, 0.0),
                        self.mold_substrate_crack))

    def _wall_x(self, y: float) -> float:
        """Half-width of the joint at height y (attached barrel, or free ball)."""
        yb, H, W = self._y_base(), self.joint_height, self.joint_width
        if self.second_substrate:
            rho, _, _ = self._barrel()
            return W / 2 - rho + math.sqrt(max(rho * rho - (y - yb - H / 2) ** 2, 0.0))
        ym, lo_rho, _ = self._free_ball()
        if y >= ym:
            return math.sqrt(max((W / 2) ** 2 - (y - ym) ** 2, 0.0))
        return W / 2 - lo_rho + math.sqrt(max(lo_rho ** 2 - (y - ym) ** 2, 0.0))

    def _free_ball(self):
        yb, H, W = self._y_base(), self.joint_height, self.joint_width
        ym = yb + H - W / 2
        delta = W / 2 - self._contact()
        rho = (delta ** 2 + (ym - yb) ** 2) / (2 * delta)
        return ym, rho, delta

    def _solder(self, xc: float, half: bool) -> Outline:
        yb, H, W = self._y_base(), self.joint_height, self.joint_width
        a = self._contact()
        if self.second_substrate:
            rho, _, _ = self._barrel()
            c = (xc + W / 2 - rho, yb + H / 2)
            if half:
                return Outline(((xc, yb), (xc + a, yb), (xc + a, yb + H), (xc, yb + H)), ((1, c),))
            cl = (xc - W / 2 + rho, yb + H / 2)
            return Outline(((xc - a, yb), (xc + a, yb), (xc + a, yb + H), (xc - a, yb + H)), ((1, c), (3, cl)))
        ym, rho, _ = self._free_ball()
        c = (xc + W / 2 - rho, ym)
        return Outline(((xc, yb), (xc + a, yb), (xc + W / 2, ym), (xc, ym + W / 2)), ((1, c), (2, (xc, ym))))

    def build(self, level: str = "cell", mesh_size_factor: float = 1.0, library=None) -> Model:
        """The meshed model (materials from ``library``, default the built-in one)."""
        return mesh_model(self.spec(level), mesh_size_factor, library)

    def spec(self, level: str = "cell") -> ModelSpec:
        cell = is_cell(level)
        if not cell and not self.second_substrate:
            raise InputError("second_substrate = false: the assembly slice needs the second substrate")
        H = self.joint_height
        y_top = self._y_base() + H
        a = self._contact()
        centres, width = joint_row(cell, self.pitch, self.joint_count)
        h_mold = self.molding_height_ratio * y_top
        drawing = self._joints(centres, width, cell, h_mold)
        boundaries, bcs, points = supports(cell, "axis" if cell else "symmetry", -self.substrate_thickness)
        top = y_top
        if self.second_substrate:
            boundaries.append(lands_and_board(drawing, centres, y_top, a + self.pad_edge_offset, self.land_thickness,
                                              width, self.second_substrate_thickness, 5, half=cell,
                                              board="second_substrate", land_priority=6))
            top = y_top + self.land_thickness
        materials = {"substrate": "si", "pad": "cu", "solder": self.solder_material, "mold": self.mold_material,
                     "land": "cu", "second_substrate": "bt"}
        xo = centres[-1]
        if cell:
            zoom = (max(0.0, a - 60), min(width, a + 60), -30.0, h_mold + 40)
        else:
            zoom = (max(0.0, xo - self.pitch / 2), xo + self.pitch / 2, -0.15 * H, top + 0.15 * H)
        sizes = MeshSizes(far=(self.pitch / 5 if cell else self.pitch / 3.5), interface=8.0 if cell else 12.0,
                          corner=2.0 if cell else 3.0,
                          region={"pad": self.pad_thickness / 2, "land": self.land_thickness / 2,
                                  "solder": self.joint_width / 16},
                          growth=0.3 if cell else 0.45)
        return model_spec(self, level, "axisymmetric" if cell else SLICE_ANALYSIS, drawing, materials,
                          boundaries=boundaries, bcs=bcs, points=points, probes=self._probes(xo, h_mold),
                          sizes=sizes, curved={"solder", "mold"}, zoom=zoom, notes=() if cell else (SLICE_NOTE,),
                          cracks=self._cracks(xo))

    def _joints(self, centres, width: float, cell: bool, h_mold: float) -> Drawing:
        """Substrate and molding; on every axis the pad, the joint, the air gap around the pad
        (molding off the pad sidewalls) and the concave meniscus."""
        t_sub, t_pad = self.substrate_thickness, self.pad_thickness
        rp = self._pad_half()
        k = 0.5 if cell else 1.0
        drawing = Drawing()
        drawing.add("substrate", rect(0, -t_sub, width, 0), 5)
        drawing.add("mold", rect(0, 0, width, h_mold), 0)
        drawing.areas.update(substrate=width * t_sub, pad=len(centres) * 2 * k * rp * t_pad)
        m = self.meniscus_height
        for xc in centres:
            drawing.add("pad", rect(xc if cell else xc - rp, 0, xc + rp, t_pad), 6)
            drawing.add("solder", self._solder(xc, cell), 3)
            if not self.molding_touches_pad_sidewalls and not self.solder_wets_pad_sidewalls:
                drawing.add(VOID, rect(xc + rp, 0, xc + rp + self.gap_width, t_pad), 2)
                if not cell:
                    drawing.add(VOID, rect(xc - rp - self.gap_width, 0, xc - rp, t_pad), 2)
            if self.concave_molding_top:
                # an arc meeting the flat molding top at about 27 deg (a tangent one would force
                # slivers) and running into the joint wall
                xs = self._wall_x(h_mold + 0.3 * m) + 0.45 * m      # arc foot, from the joint axis
                rad = math.hypot(0.5 * m, m)
                x_in = xs + 0.5 * m - rad                           # arc end, inside the solder
                for s in ([1] if cell else [1, -1]):
                    pts = ((xc, h_mold), (xc + s * xs, h_mold), (xc + s * x_in, h_mold + m), (xc, h_mold + m))
                    drawing.add("mold", Outline(pts, ((1, (xc + s * (xs + 0.5 * m), h_mold + m)),)), 0)
        return drawing

    def _probes(self, xo: float, h_mold: float) -> list[Probe]:
        """Probes at the outermost joint (axis ``xo``)."""
        yb, H, a = self._y_base(), self.joint_height, self._contact()
        return [Probe("solder_pad_edge", (xo + a - 2.0, yb + 1.0), "solder"),
                Probe("solder_land_edge", (xo + a - 2.0, yb + H - 1.0), "solder") if self.second_substrate
                else Probe("solder_centre", (xo + 0.5, yb + H / 2), "solder"),
                Probe("pad_corner_substrate", (xo + self._pad_half(), -0.5), "substrate"),
                Probe("solder_at_mold_top", (xo + self._wall_x(h_mold) - 2.0, h_mold), "solder"),
                Probe("mold_at_joint", (xo + self._wall_x(h_mold / 2) + 2.0, h_mold / 2), "mold")]
