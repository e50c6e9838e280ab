"""Recessed post-passivation-interconnect (PPI) pad with a solder ball (seed 000, US 2014/0374899).

Stack from the bottom: Si substrate / passivation (SiO2 + SiN, one region) / polymer (polyimide or
PBO, thickness T1) with a recess of depth D1 under the ball / conformal Cu PPI pad (Ti seed
counted as part of the PPI, [0018]) / optional ENEPIG finish / solder ball / optional liquid
molding compound around the lower ball ([0023]-[0024]). The Al pad and the PPI via are offset
from the ball (FIG. 9: the PPI line routes from the via to the pad) and so are not in the
axisymmetric cell about the ball axis.

Levels:
* ``cell``: one joint, axisymmetric about the ball axis (x = r); with 2-5 recesses per pad the
  recesses are strips (FIG. 18/19) and the cell is a generalized-plane-strain slice across them,
  symmetric about the pad centre.
* ``assembly``: generalized plane strain from the package centre (symmetry, x = 0) to the die
  edge with ``joint_count`` joints at ``pitch``, soldered to a board (FR-4) with Cu lands.

Prior-art baseline ([0001]): flat PPI pad covered by a second polymer layer whose opening holds a
UBM, the ball on the UBM (``prior_art_ubm = true``, needs ``recess_depth_ratio = 0``).
"""
from __future__ import annotations

import math

from fea.errors import InputError
from fea.model import Model, Probe

from .meshing import MeshSizes, ModelSpec, mesh_model
from .parameters import format_value, is_cell, out_of_range, param, structure
from .parts import (SLICE_ANALYSIS, SLICE_NOTE, CornerCrack, Drawing, check_crack_length, corner_cracks, joint_row,
                    lands_and_board, model_spec, solder_ball, supports)
from .shapes import Cut, Outline, film, offset_path, rect



@structure("ppi-recess")
class PpiRecess:
    """Recessed PPI pad with solder ball (US 2014/0374899) - cell or package slice."""

    recess_depth_ratio: float = param(0.35, unit="", range=(0.0, 0.8),
                                      doc="recess depth D1 over polymer thickness T1 (0 = flat pad)",
                                      source="[0014]: D1/T1 0.2-0.8 (claims 0.2-0.5)")
    polymer_thickness: float = param(7.5, range=(3.0, 30.0), doc="polymer layer thickness T1",
                                     source="typical value (polyimide/PBO 5-10 um)")
    polymer_material: str = param("polyimide", unit="", choices=("polyimide", "pbo"),
                                  doc="polymer layer material", source="[0011]")
    recess_bottom: str = param("flat", unit="", choices=("flat", "curved"),
                               doc="recess bottom: flat, or curved (a smooth spherical bowl)",
                               source="[0027], FIG. 13")
    recess_count: int = param(1, unit="", range=(1, 5),
                              doc="recesses under one pad; 2-5 are strips (plane-strain cell)",
                              source="[0028]-[0029], FIGS. 16-19")
    recess_width: float = param(120.0, range=(10.0, 500.0),
                                doc="recess width (diameter for one recess) at the polymer top",
                                source="typical value")
    recess_spacing: float = param(20.0, range=(5.0, 200.0),
                                  doc="polymer between neighbouring recesses (recess_count > 1)",
                                  source="typical value")
    recess_sidewall_angle: float = param(70.0, unit="deg", range=(45.0, 90.0),
                                         doc="flat-bottom recess sidewall angle from the surface",
                                         source="typical value ([0019]: slanted sidewalls)")
    ppi_thickness: float = param(5.0, range=(1.0, 15.0), doc="conformal Cu PPI thickness (with seed)",
                                 source="typical value ([0019]: conformal)")
    pad_diameter: float = param(200.0, range=(40.0, 900.0), doc="PPI pad diameter (width)",
                                source="typical value")
    finish: bool = param(True, unit="", doc="ENEPIG finish on the PPI pad", source="[0020]")
    finish_thickness: float = param(3.0, range=(0.5, 8.0), doc="ENEPIG thickness (Ni-dominated)",
                                    source="typical value")
    ball_diameter: float = param(250.0, range=(60.0, 1000.0), doc="solder ball diameter",
                                 source="typical value (0.4 mm pitch WLCSP)")
    solder_material: str = param("sac305", unit="", choices=("sac305", "snpb", "sn"),
                                 doc="solder alloy", source="typical value")
    molding: bool = param(True, unit="", doc="liquid molding compound around the lower ball",
                          source="[0023]-[0024]")
    molding_height_ratio: float = param(0.5, unit="", range=(0.1, 0.8),
                                        doc="molding height over ball height (above the polymer)",
                                        source="typical value ([0024]: ball top above molding)")
    passivation_thickness: float = param(1.0, range=(0.2, 3.0), doc="SiO2 + SiN passivation",
                                         source="typical value ([0010])")
    substrate_thickness: float = param(100.0, range=(20.0, 800.0), doc="Si substrate (die) thickness",
                                       source="typical value")
    pitch: float = param(400.0, range=(100.0, 1500.0), doc="ball pitch (cell width = pitch)",
                         source="typical value")
    prior_art_ubm: bool = param(False, unit="", doc="prior-art baseline: flat pad + second polymer + UBM",
                                source="[0001]")
    second_polymer_thickness: float = param(7.5, range=(3.0, 30.0),
                                            doc="second polymer over the PPI (baseline only)",
                                            source="typical value")
    ubm_opening_diameter: float = param(150.0, range=(20.0, 800.0),
                                        doc="opening in the second polymer (baseline only)",
                                        source="typical value")
    ubm_thickness: float = param(5.0, range=(1.0, 15.0), doc="Cu UBM thickness (baseline only)",
                                 source="typical value")
    joint_count: int = param(5, unit="", range=(1, 12), doc="joints in the assembly slice",
                             source="typical value")
    board_thickness: float = param(800.0, range=(100.0, 2500.0), doc="FR-4 board (assembly only)",
                                   source="typical value")
    land_thickness: float = param(20.0, range=(5.0, 50.0), doc="Cu board land (assembly only)",
                                  source="typical value")
    recess_corner_crack: float = param(0.0, range=(0.0, 50.0),
                                       doc="pre-crack on the polymer/PPI interface of the outer joint from the "
                                           "recess top corner (flat pad: where it would be) outward along the "
                                           "polymer top (0 = none; tip elements length/20)",
                                       source="typical value (delamination starts at the re-entrant corner)")

    def validate(self) -> None:
        d1 = self.recess_depth
        if 0 < d1 < 1.6:
            raise InputError(f"recess_depth_ratio = {format_value(self.recess_depth_ratio)} gives "
                             f"D1 = {format_value(d1)} um, "
                             f"below the 1.6 um minimum of [0014]; allowed 0 or "
                             f"[{format_value(1.6 / self.polymer_thickness)}, 0.8] for polymer_thickness = "
                             f"{format_value(self.polymer_thickness)}")
        if self.prior_art_ubm and d1 > 0:
            raise InputError(f"recess_depth_ratio = {format_value(self.recess_depth_ratio)} must be 0 with "
                             "prior_art_ubm = true (the baseline pad is flat)")
        if self.pad_diameter > 0.95 * self.ball_diameter:
            raise out_of_range("pad_diameter", self.pad_diameter, 40.0, 0.95 * self.ball_diameter,
                               "the ball must be wider than the pad it wets")
        if self.ball_diameter > self.pitch - 20:
            raise out_of_range("ball_diameter", self.ball_diameter, 60.0, self.pitch - 20,
                               "balls closer than 20 um at this pitch")
        if d1 > 0:
            span = self.recess_count * self.recess_width + (self.recess_count - 1) * self.recess_spacing
            limit = self.pad_diameter - 4 * self.ppi_thickness
            if span > limit:
                lo = 10.0
                hi = (limit - (self.recess_count - 1) * self.recess_spacing) / self.recess_count
                raise out_of_range("recess_width", self.recess_width, lo, max(lo, hi),
                                   f"{self.recess_count} recess(es) must fit on the pad")
            # the films must leave a recess (the ball seats in it, [0022]) with a real bottom
            fill = self._coating()
            r_top = self.recess_width / 2
            need = fill / math.tan(math.radians(max(self.recess_sidewall_angle, 45)) / 2) + fill + 1.0
            if self.recess_bottom == "flat" and self._bottom_half_width() < 0.5 or r_top < need:
                raise out_of_range("recess_width", self.recess_width, 2 * max(need, self._run() + 1.0), 500.0,
                                   "the PPI and finish must not fill the recess")
        if self.prior_art_ubm:
            r_open = self.ubm_opening_diameter / 2
            if not (2 * self.ubm_thickness + 5 <= r_open <= self.pad_diameter / 2 - 10):
                raise out_of_range("ubm_opening_diameter", self.ubm_opening_diameter,
                                   4 * self.ubm_thickness + 10, self.pad_diameter - 20,
                                   "the UBM opening must sit inside the PPI pad")
        room = self.pad_diameter / 2 - self.recess_width / 2 - 5.0
        check_crack_length("recess_corner_crack", self.recess_corner_crack, room,
                           "0 or a crack ending 5 um before the PPI pad edge")
        mold = self._mold_height()
        if self.molding and mold < self._stack_above_polymer() + 3.0:
            raise out_of_range("molding_height_ratio", self.molding_height_ratio,
                               (self._stack_above_polymer() + 3.0) / self._ball_top_above_polymer(), 0.8,
                               "the molding must cover the pad stack")

    # ---- derived dimensions (um) ----
    @property
    def recess_depth(self) -> float:
        return self.recess_depth_ratio * self.polymer_thickness

    def _coating(self) -> float:
        return self.ppi_thickness + (self.finish_thickness if self.finish else 0.0)

    def _run(self) -> float:
        """Horizontal run of a flat-bottom recess sidewall."""
        return self.recess_depth / math.tan(math.radians(self.recess_sidewall_angle))

    def _bottom_half_width(self) -> float:
        return self.recess_width / 2 - self._run()

    def _stack_above_polymer(self) -> float:
        if self.prior_art_ubm:
            return self.ppi_thickness + self.second_polymer_thickness + self.ubm_thickness
        return self._coating()

    def _ball_geometry(self):
        a = self.pad_diameter / 2 if not self.prior_art_ubm else self.pad_diameter / 2 - 5.0
        rb = self.ball_diameter / 2
        return a, rb, math.sqrt(rb * rb - a * a)

    def _ball_top_above_polymer(self) -> float:
        a, rb, d = self._ball_geometry()
        return self._stack_above_polymer() + d + rb

    def _mold_height(self) -> float:
        return self.molding_height_ratio * self._ball_top_above_polymer()

    # ---- geometry ----
    def _pad_profile(self, xc: float, half: bool, y_top: float):
        """Polymer top surface under one pad, from the pad's left end (or its centre if ``half``)
        to its right end, walking +x: points and arcs (recesses cut into the surface)."""
        r_pad = self.pad_diameter / 2
        d1 = self.recess_depth
        pts = [] if half else [(xc - r_pad, y_top)]
        arcs = []
        if d1 > 0:
            n, w, s = self.recess_count, self.recess_width, self.recess_spacing
            centres = [xc + (i - (n - 1) / 2) * (w + s) for i in range(n)]
            rt, rb = w / 2, self._bottom_half_width()
            bowl_r = (rt * rt + d1 * d1) / (2 * d1)
            for c in centres:
                if half and c < xc - 1e-9:
                    continue
                centred = half and abs(c - xc) < 1e-9
                if self.recess_bottom == "flat":
                    if centred:
                        pts += [(xc, y_top - d1), (c + rb, y_top - d1), (c + rt, y_top)]
                    else:
                        pts += [(c - rt, y_top), (c - rb, y_top - d1), (c + rb, y_top - d1), (c + rt, y_top)]
                else:
                    centre = (c, y_top - d1 + bowl_r)
                    if centred:
                        arcs.append((len(pts), centre))
                        pts += [(xc, y_top - d1), (c + rt, y_top)]
                    else:
                        arcs.append((len(pts), centre))
                        pts += [(c - rt, y_top), (c + rt, y_top)]
            if half and not pts:
                pts = [(xc, y_top)]
            elif half and pts[0][0] > xc + 1e-9:
                pts.insert(0, (xc, y_top))
                arcs = [(i + 1, c) for i, c in arcs]
        elif half:
            pts = [(xc, y_top)]
        pts.append((xc + r_pad, y_top))
        return pts, arcs

    def build(self, level: str = "cell", mesh_size_factor: float = 1.0, library=None) -> Model:
        """The meshed model (materials from ``library``, default the built-in one)."""
        return mesh_model(self.spec(level), mesh_size_factor, library)

    def spec(self, level: str = "cell") -> ModelSpec:
        cell = is_cell(level)
        centres, width = joint_row(cell, self.pitch, self.joint_count)
        y_top = self.passivation_thickness + self.polymer_thickness
        y_seat = y_top + self._stack_above_polymer()   # plane the ball is cut at
        a, rb, d = self._ball_geometry()
        drawing, curved = self._die_and_polymer(centres, width, cell)
        drawing.areas.update(ppi=0.0, solder=0.0)
        if self.finish and not self.prior_art_ubm:
            drawing.areas["finish"] = 0.0
        if self.prior_art_ubm:
            drawing.areas.update(second_polymer=0.0, ubm=0.0)
        for xc in centres:
            self._joint(drawing, curved, xc, cell, y_seat)
        y_ball_top = y_seat + d + rb   # top of the solder: the free ball's top or the land plane
        if self.molding:
            drawing.add("mold", rect(0, y_top, width, y_top + self._mold_height()), 0)
            drawing.areas["mold"] = None   # bounded by the curved ball: checked through the total
            curved.add("mold")
        analysis = "axisymmetric" if cell and self.recess_count == 1 else SLICE_ANALYSIS
        boundaries, bcs, points = supports(cell, "axis" if analysis == "axisymmetric" else "symmetry",
                                           -self.substrate_thickness)
        if not cell:
            y_ball_top = y_seat + 2 * d
            boundaries.append(lands_and_board(drawing, centres, y_ball_top, a, self.land_thickness,
                                              width + self.pitch / 2, self.board_thickness, 5,
                                              board_first=True))
        materials = {"substrate": "si", "passivation": "sin", "polymer": self.polymer_material,
                     "ppi": "cu", "finish": "ni", "solder": self.solder_material, "mold": "lmc",
                     "second_polymer": self.polymer_material, "ubm": "cu", "board": "fr4", "land": "cu"}
        notes = ["passivation = SiO2 + SiN stack modelled as one SiN region",
                 "finish = ENEPIG modelled as Ni (Pd and Au are < 0.2 um)"]
        if analysis != "axisymmetric":
            notes.append(SLICE_NOTE)
        return model_spec(self, level, analysis, drawing, materials, boundaries=boundaries, bcs=bcs,
                          points=points, probes=self._probes(centres[-1], y_seat),
                          sizes=self._mesh_sizes(cell, centres, y_ball_top), curved=curved | {"solder", "mold"},
                          zoom=self._zoom(cell, centres[-1], y_seat, y_ball_top), notes=notes,
                          areas={k: v for k, v in drawing.areas.items() if v is not None},
                          cracks=self._cracks(centres[-1]))

    def _recess_edge(self, xo: float) -> float:
        """x of the outermost recess's top corner of the joint on axis ``xo`` (flat pad: where the
        single recess's corner would be)."""
        n = self.recess_count if self.recess_depth > 0 else 1
        return xo + (n - 1) / 2 * (self.recess_width + self.recess_spacing) + self.recess_width / 2

    def _cracks(self, xo: float):
        """The pre-crack at the outer joint's recess corner, outward on the polymer top."""
        y_top = self.passivation_thickness + self.polymer_thickness
        return corner_cracks(CornerCrack("recess_corner", "polymer/ppi", (self._recess_edge(xo), y_top), (1.0, 0.0),
                                         self.recess_corner_crack))

    def _die_and_polymer(self, centres, width: float, half: bool) -> tuple[Drawing, set[str]]:
        """Substrate, passivation and the polymer whose top follows every pad profile."""
        t_sub, t_pas = self.substrate_thickness, self.passivation_thickness
        y_top = t_pas + self.polymer_thickness
        drawing = Drawing()
        drawing.add("substrate", rect(0, -t_sub, width, 0), 5)
        drawing.add("passivation", rect(0, 0, width, t_pas), 5)
        drawing.areas.update(substrate=width * t_sub, passivation=width * t_pas)
        top_pts, top_arcs = [], []
        for xc in centres:
            p, arcs_ = self._pad_profile(xc, half, y_top)
            top_arcs += [(len(top_pts) + i, c) for i, c in arcs_]
            top_pts += p
        if top_pts[-1][0] < width:
            top_pts.append((width, y_top))
        if top_pts[0][0] > 0:
            top_pts.insert(0, (0.0, y_top))
            top_arcs = [(i + 1, c) for i, c in top_arcs]
        # outline: (0, t_pas) -> (width, t_pas) -> top profile reversed
        n = len(top_pts)
        polymer = Outline(((0.0, t_pas), (width, t_pas)) + tuple(reversed(top_pts)),
                          tuple((2 + (n - 2 - i), c) for i, c in top_arcs))
        drawing.paint("polymer", polymer, 5)
        return drawing, ({"polymer"} if top_arcs else set())

    def _joint(self, drawing: Drawing, curved: set[str], xc: float, half: bool, y_seat: float) -> None:
        """The films on one pad (PPI, finish or the baseline's second polymer and UBM) and the
        solder: the truncated ball plus whatever is left of the seat below the cut plane."""
        y_top = self.passivation_thickness + self.polymer_thickness
        a, rb, d = self._ball_geometry()
        p, arcs_ = self._pad_profile(xc, half, y_top)
        drawing.paint("ppi", film(p, self.ppi_thickness, arcs_), 6)
        coat_pts, coat_arcs = offset_path(p, arcs_, self.ppi_thickness)
        if self.finish and not self.prior_art_ubm:
            drawing.paint("finish", film(coat_pts, self.finish_thickness, coat_arcs), 7)
            coat_pts, coat_arcs = offset_path(coat_pts, coat_arcs, self.finish_thickness)
        if arcs_:
            curved.update({"ppi", "finish", "solder"})
        if self.prior_art_ubm:
            coat_pts, coat_arcs = self._ubm_layers(drawing, xc, half, y_top)
        ball, area = solder_ball(xc, y_seat + d, rb, y_seat, None if half else y_seat + 2 * d,
                                 half=half, margin=0.0)
        drawing.paint("solder", ball, 1, area)
        y_low = min(y for _, y in coat_pts)
        if y_low < y_seat - 1e-9:
            drawing.add("solder", rect(xc if half else xc - a, y_low - 1.0, xc + a, y_seat), 1)
            seat = Outline(tuple(coat_pts) + ((coat_pts[0][0], y_seat),) if half else tuple(coat_pts),
                           tuple(coat_arcs))
            drawing.areas["solder"] += seat.area()

    def _probes(self, xo: float, y_seat: float) -> list[Probe]:
        """Probes at the outermost joint (axis ``xo``)."""
        a, _, d = self._ball_geometry()
        t_pas, t1 = self.passivation_thickness, self.polymer_thickness
        y_top = t_pas + t1
        r_pad = self.pad_diameter / 2
        probes = [Probe("pad_edge_polymer", (xo + r_pad + 1.0, y_top - 0.5), "polymer"),
                  Probe("solder_pad_edge", (xo + a - 3.0, y_seat + 1.0), "solder"),
                  Probe("solder_centre", (xo + 0.5, y_seat + d), "solder"),
                  # a disk inside the 1 um passivation, not the default 5 um
                  Probe("passivation_under_pad", (xo + r_pad, t_pas / 2), "passivation", 0.4),
                  Probe("substrate_under_pad_edge", (xo + r_pad, -1.0), "substrate")]
        if self.recess_depth > 0:
            pitch = self.recess_width + self.recess_spacing
            x_edge = xo + (self.recess_count - 1) / 2 * pitch + self.recess_width / 2
            x_mid = xo + (0.0 if self.recess_count % 2 else pitch / 2)
            below = min(0.5, (t1 - self.recess_depth) / 2)
            probes += [Probe("recess_corner_polymer", (x_edge + 1.0, y_top - 0.5), "polymer"),
                       Probe("polymer_under_recess", (x_mid + 0.5, y_top - self.recess_depth - below), "polymer")]
        return probes

    def _zoom(self, cell: bool, xo: float, y_seat: float, y_ball_top: float):
        """Detail window: the recessed pad (cell) or the outermost joint (assembly)."""
        rb = self.ball_diameter / 2
        if cell:
            y_top = self.passivation_thickness + self.polymer_thickness
            return (0.0, 1.2 * (self.pad_diameter / 2), y_top - 2.5 * self.polymer_thickness, y_seat + 0.35 * rb)
        return (max(0.0, xo - 1.15 * rb), xo + 1.15 * rb, -0.1 * rb, y_ball_top + 0.1 * rb)

    def _mesh_sizes(self, cell: bool, centres, y_ball_top: float) -> MeshSizes:
        """Cell: 3 elements through the polymer, the recess step resolved. Assembly (thin films
        across the whole die, kept under about 20k elements): films with about one element
        through their thickness, finer along the solder/pad and solder/land interfaces (the
        joints' fatigue sites) than along the others, 2 um at interface corners; outside a box
        around every pad (x within a + 30 um of the joint axis) nothing is finer than 8 um."""
        t_pas, t1 = self.passivation_thickness, self.polymer_thickness
        a, rb, _ = self._ball_geometry()
        step = self.recess_depth if self.recess_depth > 0 else t1
        if cell:
            region_sizes = {"passivation": max(t_pas, 0.4), "polymer": t1 / 3,
                            "ppi": self.ppi_thickness / 2, "finish": self.finish_thickness / 1.5,
                            "ubm": self.ubm_thickness / 2, "second_polymer": self.second_polymer_thickness / 3,
                            "solder": rb / 8}
            return MeshSizes(far=rb / 3, interface=min(t1 / 3, 3.0, step / 1.5),
                             corner=min(t_pas, 1.0, step / 3), region=region_sizes, growth=0.3)
        region_sizes = {"passivation": max(t_pas, 0.4) * 3, "polymer": t1, "ppi": self.ppi_thickness,
                        "finish": self.finish_thickness, "ubm": self.ubm_thickness,
                        "second_polymer": self.second_polymer_thickness,
                        "land": self.land_thickness / 2, "solder": rb / 8}
        fine = min(t1 / 3 * 2, 6.0, step / 1.5 * 2)
        joint_interfaces = {"finish/solder": fine, "land/solder": fine, "solder/ubm": fine, "ppi/solder": fine}
        focus = tuple((xc - a - 30.0, xc + a + 30.0, -self.substrate_thickness - 1.0,
                       y_ball_top + self.board_thickness + 100.0) for xc in centres)
        return MeshSizes(far=self.pitch / 3, interface=6.0, corner=2.0, region=region_sizes, growth=0.5,
                         interfaces=joint_interfaces, focus=focus, floor=8.0, focus_margin=20.0)

    def _ubm_layers(self, drawing: Drawing, xc: float, half: bool, y_top: float):
        """Prior-art baseline: second polymer over the flat PPI, opening, conformal UBM. Returns
        the UBM's top surface (points, arcs)."""
        t2, t_ubm = self.second_polymer_thickness, self.ubm_thickness
        y_ppi = y_top + self.ppi_thickness
        y2 = y_ppi + t2
        r_open = self.ubm_opening_diameter / 2
        run = t2 / math.tan(math.radians(self.recess_sidewall_angle))
        r_ubm, _, _ = self._ball_geometry()
        xs = (lambda v: xc + v)
        if half:
            prof = [(xc, y_ppi), (xs(r_open - run), y_ppi), (xs(r_open), y2), (xs(r_ubm), y2)]
        else:
            prof = [(xs(-r_ubm), y2), (xs(-r_open), y2), (xs(-r_open + run), y_ppi),
                    (xs(r_open - run), y_ppi), (xs(r_open), y2), (xs(r_ubm), y2)]
        # second polymer: a slab over the polymer, minus the opening (the PPI carves its own place)
        x0 = xc if half else xc - self.pitch / 2
        x1 = xc + self.pitch / 2
        hole = [(xc if half else xs(-r_open + run), y_ppi), (xs(r_open - run), y_ppi), (xs(r_open), y2)] + \
               ([(xc, y2)] if half else [(xs(-r_open), y2)])
        slab = rect(x0, y_top, x1, y2)
        drawing.add("second_polymer", Cut(slab, Outline(tuple(hole))), 4)
        r_pad = self.pad_diameter / 2
        ppi_in_slab = (r_pad if half else 2 * r_pad) * self.ppi_thickness
        drawing.areas["second_polymer"] += (x1 - x0) * (y2 - y_top) - Outline(tuple(hole)).area() - ppi_in_slab
        drawing.paint("ubm", film(prof, t_ubm), 7)
        return offset_path(prof, (), t_ubm)
