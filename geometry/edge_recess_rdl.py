"""Edge-recess RDL chip-scale package (seed 004, US 9,230,927): the Al redistribution line runs from
the ball on the chip's upper surface down a sloped through-silicon recess at the chip edge to a
conducting pad on the chip's lower surface.

Stack from the bottom (the document's orientation; the board of the assembly lies on the balls):
carrier substrate (glass) / support body (dam) with a cavity under the chip / passivation with the
Al conducting pad at the chip edge / Si chip with the edge recess / isolation oxide (conformal, CVD)
/ Al RDL (conformal, sputtered) / Ni interfacial layer under the ball / solder mask ("solder
layer" 170) over everything / Sn ball. Variants (column 5-13 of the description):

* ``A`` (FIGS. 1-12): the recess stops on the pad; the RDL lies on the pad top.
* ``B`` (FIGS. 13-22, claims 15-16): the recess goes through the passivation into the support
  body, lower than the pad; the oxide covers the pad top and the RDL contacts the pad sidewall.
* ``C`` (FIGS. 23-32, claim 17): a Si barrier separates the conducting recess (RDL on the pad top)
  from the scribe recess; the oxide covers the scribe recess.

The document gives no dimensions: every size is a typical value for this kind of wafer-level CSP.
The solder mask is a conformal band over the recessed surface (brush coating, [0032]); the RDL
and oxide are painted over it.

Levels:
* ``cell``: generalized plane strain window from half a pitch inside the outermost ball to the
  scribe line; its left edge is held as a symmetry line (a sub-model idealisation), the ball is free.
* ``assembly``: generalized plane strain from the package centre (symmetry, x = 0) to the scribe
  line with ``joint_count`` balls at ``pitch`` soldered to Cu lands on an FR-4 board.
"""
from __future__ import annotations

import math

from fea.model import Model, Probe

from .meshing import MeshSizes, ModelSpec, mesh_model

#: smallest element (um) of the package slice away from the joints and the recess
FILM_FLOOR_UM = 6.0
from .parameters import format_value, is_cell, out_of_range, param, structure
from .parts import (SLICE_ANALYSIS, SLICE_NOTE, CornerCrack, Drawing, check_ball_seat, check_crack_length,
                    corner_cracks, lands_and_board, model_spec, solder_ball, supports)
from .shapes import Outline, film, offset_path, rect

#: radii (um) of the stress averages at the films' recess corners (see _probes): below the thinnest
#: RDL (1 um) and the oxide (1.5 um); the oxide's S1 is a small difference of large principal
#: stresses and needs the larger disk to move < 5 % between meshes x1 and x0.7 (0.5 um: 6 %)
FILM_PROBE_RADIUS = {"rdl": 0.5, "oxide": 1.0}

_GAP = 5.0   # C: bare pad between the RDL end and the oxide of the scribe side (lithography gap), um


@structure("edge-recess-rdl")
class EdgeRecessRdl:
    """Edge-recess RDL wafer-level CSP (US 9,230,927) - cell or package slice."""

    variant: str = param("A", unit="", choices=("A", "B", "C"),
                         doc="A: RDL on the pad top; B: on the pad sidewall (deep recess); C: barrier + scribe recess",
                         source="FIGS. 1-12 / 13-22 (claims 15-16) / 23-32 (claim 17)")
    chip_width: float = param(3000.0, range=(600.0, 20000.0), doc="package width at the scribe lines",
                              source="typical value")
    silicon_thickness: float = param(150.0, range=(30.0, 500.0), doc="Si chip thickness (recess depth)",
                                     source="typical value")
    sidewall_angle: float = param(75.0, unit="deg", range=(45.0, 90.0),
                                  doc="recess sidewall angle from the chip surface", source="typical value")
    recess_width: float = param(90.0, range=(20.0, 400.0),
                                doc="recess bottom width: Si edge to the scribe line (C: to the barrier)",
                                source="typical value")
    barrier_width: float = param(100.0, range=(10.0, 400.0), doc="C: Si barrier width at its base",
                                 source="typical value ([0046] barrier 526)")
    scribe_width: float = param(50.0, range=(20.0, 400.0), doc="C: scribe recess bottom, barrier to scribe line",
                                source="typical value")
    recess_overetch: float = param(10.0, range=(2.0, 100.0),
                                   doc="B: recess bottom below the passivation, into the support body",
                                   source="typical value ([0036]: lower than the pad sidewall)")
    rdl_bottom_length: float = param(15.0, range=(3.0, 200.0), doc="B: RDL run on the recess bottom",
                                     source="typical value")
    passivation_thickness: float = param(2.0, range=(0.5, 5.0), doc="passivation (SiO2) under the chip",
                                         source="typical value ([0034] passivation 316)")
    pad_thickness: float = param(1.0, range=(0.5, 4.0), doc="Al conducting pad thickness", source="typical value")
    pad_under_chip: float = param(20.0, range=(5.0, 200.0), doc="pad length under the Si", source="typical value")
    pad_exposed: float = param(35.0, range=(5.0, 300.0), doc="pad length beyond the Si edge (recess bottom)",
                               source="typical value")
    isolation_thickness: float = param(1.5, range=(0.5, 5.0), doc="isolation oxide (CVD SiO2) thickness",
                                       source="typical value ([0027] isolation layer 130)")
    isolation_overlap: float = param(5.0, range=(1.0, 50.0), doc="A, C: oxide run on the recess bottom/pad",
                                     source="typical value ([0027] opening 132)")
    rdl_thickness: float = param(2.0, range=(1.0, 10.0), doc="Al RDL thickness",
                                 source="typical value (claim 9: aluminium)")
    ni_thickness: float = param(3.0, range=(0.5, 10.0), doc="Ni interfacial layer under the ball",
                                source="typical value (claims 6, 8: nickel)")
    solder_mask_thickness: float = param(15.0, range=(5.0, 60.0), doc="solder mask over the RDL",
                                         source="typical value ([0032] solder layer 170)")
    ball_diameter: float = param(250.0, range=(100.0, 600.0), doc="Sn ball diameter", source="typical value")
    land_diameter: float = param(240.0, range=(40.0, 600.0), doc="RDL land under the ball", source="typical value")
    opening_diameter: float = param(200.0, range=(30.0, 560.0), doc="solder mask opening", source="typical value")
    solder_material: str = param("sn", unit="", choices=("sn", "sac305", "snpb"), doc="ball alloy",
                                 source="claim 5: tin")
    pitch: float = param(400.0, range=(150.0, 1500.0), doc="ball pitch", source="typical value")
    ball_edge_distance: float = param(170.0, range=(20.0, 5000.0),
                                      doc="outermost ball axis to the Si top edge of the recess", source="typical value")
    support_width: float = param(250.0, range=(20.0, 3000.0), doc="support body (dam) width from the scribe line",
                                 source="typical value ([0034] support body 440, cavity)")
    support_thickness: float = param(40.0, range=(10.0, 200.0), doc="support body (cavity) height",
                                     source="typical value")
    support_material: str = param("polyimide", unit="", choices=("polyimide", "bcb", "solder_mask"),
                                  doc="support body (dam) polymer", source="typical value")
    carrier_thickness: float = param(400.0, range=(100.0, 1000.0), doc="carrier substrate thickness",
                                     source="typical value ([0034] carrier 450)")
    carrier_material: str = param("glass", unit="", choices=("glass", "si"), doc="carrier substrate",
                                  source="typical value")
    joint_count: int = param(3, unit="", range=(1, 12), doc="balls in the assembly slice", source="typical value")
    board_thickness: float = param(800.0, range=(100.0, 2500.0), doc="FR-4 board (assembly)",
                                   source="typical value")
    land_thickness: float = param(20.0, range=(5.0, 50.0), doc="Cu board land (assembly)", source="typical value")
    recess_corner_crack: float = param(0.0, range=(0.0, 200.0),
                                       doc="pre-crack on the Si/isolation-oxide interface from the recess bottom "
                                           "corner up the sidewall (0 = none; tip elements length/20)",
                                       source="typical value (delamination starts at the re-entrant corner)")

    # ---- derived dimensions (um), x from the package centre ----
    def _run(self) -> float:
        """Horizontal run of a sloped recess sidewall."""
        return self.silicon_thickness / math.tan(math.radians(self.sidewall_angle))

    def _band(self) -> float:
        """Oxide + RDL + solder mask: the thickness of the solder-mask band over the Si."""
        return self.isolation_thickness + self.rdl_thickness + self.solder_mask_thickness

    def _edges(self) -> dict[str, float]:
        """x of the scribe line (R), Si bottom/top edges (eb, et), pad end (p1), barrier feet/tops."""
        e = {"R": self.chip_width / 2}
        if self.variant == "C":
            e["b1b"] = e["R"] - self.scribe_width
            e["b0b"] = e["b1b"] - self.barrier_width
            e["b0t"], e["b1t"] = e["b0b"] + self._run(), e["b1b"] - self._run()
            e["eb"] = e["b0b"] - self.recess_width
        else:
            e["eb"] = e["R"] - self.recess_width
        e["et"] = e["eb"] - self._run()
        e["p1"] = e["eb"] + self.pad_exposed
        e["ball"] = e["et"] - self.ball_edge_distance
        e["cav"] = e["R"] - self.support_width
        return e

    def _seat(self):
        a, rb = self.opening_diameter / 2, self.ball_diameter / 2
        return a, rb, math.sqrt(rb * rb - a * a)

    def validate(self) -> None:
        self._check_joint()
        self._check_recess()
        self._check_layout()
        self._check_crack()

    def _sidewall(self) -> tuple[float, tuple[float, float]]:
        """Length of the recess sidewall and its unit direction from the bottom corner up."""
        e = self._edges()
        dx, dy = e["et"] - e["eb"], self.silicon_thickness
        length = math.hypot(dx, dy)
        return length, (dx / length, dy / length)

    def _check_crack(self) -> None:
        room = self._sidewall()[0] - 10.0
        check_crack_length("recess_corner_crack", self.recess_corner_crack, room,
                           "0 or a crack ending 10 um below the recess top edge")

    def _cracks(self):
        """The pre-crack between the Si and the isolation oxide, from the recess bottom corner up."""
        return corner_cracks(CornerCrack("recess_corner", "chip/oxide", (self._edges()["eb"], 0.0),
                                         self._sidewall()[1], self.recess_corner_crack))

    def _check_joint(self) -> None:
        """Ball, land, mask opening and Ni layer."""
        check_ball_seat(self, "land", "solder mask")
        if self.solder_mask_thickness < self.ni_thickness + 2:
            raise out_of_range("solder_mask_thickness", self.solder_mask_thickness, self.ni_thickness + 2, 60.0,
                               "the Ni layer must stay 2 um below the solder mask top")

    def _check_recess(self) -> None:
        """Pad, recess, barrier and the films in them."""
        H, t_r = self._band(), self.rdl_thickness
        if self.pad_thickness > self.passivation_thickness - 0.5:
            raise out_of_range("pad_thickness", self.pad_thickness, 0.5, max(0.5, self.passivation_thickness - 0.5),
                               "the pad sits in the passivation")
        if self.variant == "B" and self.recess_overetch > self.support_thickness - 5:
            raise out_of_range("recess_overetch", self.recess_overetch, 2.0, max(2.0, self.support_thickness - 5),
                               "the deep recess must stop 5 um inside the support body")
        if self.variant == "C":
            top = self.barrier_width - 2 * self._run()
            if top < 10:
                raise out_of_range("barrier_width", self.barrier_width, 2 * self._run() + 10, 400.0,
                                   "the barrier top must keep 10 um at sidewall_angle = "
                                   f"{format_value(self.sidewall_angle)}")
            if self.scribe_width < H + 10:
                raise out_of_range("scribe_width", self.scribe_width, H + 10, 400.0,
                                   "the scribe recess must hold the oxide and solder mask")
        if self.variant == "B":
            lo = t_r + 3
            if self.pad_exposed < lo:
                raise out_of_range("pad_exposed", self.pad_exposed, lo, 300.0, "the oxide must cover a real pad top")
            room = self.recess_width - self.pad_exposed - H - 5
            if self.rdl_bottom_length > room:
                raise out_of_range("rdl_bottom_length", self.rdl_bottom_length, 3.0, max(3.0, room),
                                   "the RDL and solder mask must fit on the recess bottom")
            if self.rdl_bottom_length < t_r + 3:
                raise out_of_range("rdl_bottom_length", self.rdl_bottom_length, t_r + 3, max(t_r + 3, room),
                                   "the RDL foot must be longer than it is thick")
        else:
            lo = self.isolation_overlap + t_r + 3
            if self.pad_exposed < lo:
                raise out_of_range("pad_exposed", self.pad_exposed, lo, 300.0,
                                   "the RDL must reach the pad beyond the oxide edge")
            hi = self.recess_width - (H + 5 if self.variant == "A" else _GAP + H + 5)
            if self.pad_exposed > hi:
                raise out_of_range("pad_exposed", self.pad_exposed, lo, max(lo, hi),
                                   "the pad and RDL must end inside the recess, under the solder mask")
        if self.variant == "C" and self.recess_width < 2 * H + 10:
            raise out_of_range("recess_width", self.recess_width, 2 * H + 10, 400.0,
                               "the conducting recess must hold the films of both walls")

    def _check_layout(self) -> None:
        """The balls, the one-pitch cell and the cavity in the package."""
        e, H, p = self._edges(), self._band(), self.pitch
        r_land = self.land_diameter / 2
        if self.ball_edge_distance < r_land + H + 10:
            raise out_of_range("ball_edge_distance", self.ball_edge_distance, r_land + H + 10, 5000.0,
                               "the ball land must end before the recess edge")
        x0_cell = e["ball"] - p / 2
        if x0_cell < 0:
            raise out_of_range("chip_width", self.chip_width, self.chip_width - 2 * x0_cell, 20000.0,
                               "the outermost ball and its cell must fit in the package")
        n_fit = int(math.floor((e["ball"] - r_land - 10) / p + 1e-9)) + 1
        if self.joint_count > n_fit:
            raise out_of_range("joint_count", self.joint_count, 1, n_fit,
                               f"balls at pitch {format_value(p)} in a {format_value(self.chip_width)} um package")
        hi = e["R"] - x0_cell - 20
        if self.support_width > hi:
            raise out_of_range("support_width", self.support_width, 20.0, hi,
                               "the cavity must reach into the one-pitch cell")
        if self.variant == "B" and e["cav"] > e["p1"] - 10:
            raise out_of_range("support_width", self.support_width, e["R"] - e["p1"] + 10, max(e["R"] - e["p1"] + 10, hi),
                               "the deep recess must end in the support body")

    def build(self, level: str = "cell", mesh_size_factor: float = 1.0, library=None) -> Model:
        """The meshed model (materials from ``library``, default the built-in one)."""
        return mesh_model(self.spec(level), mesh_size_factor, library)

    def spec(self, level: str = "cell") -> ModelSpec:
        cell = is_cell(level)
        p, x_c = self.pitch, self._edges()["ball"]
        a, rb, d = self._seat()
        centres = [x_c] if cell else [x_c - (self.joint_count - 1 - i) * p for i in range(self.joint_count)]
        x0 = x_c - p / 2 if cell else 0.0
        drawing = Drawing()
        y_bottom = self._body(drawing, x0)
        self._films(drawing, x0, centres)
        y_seat = self.silicon_thickness + self._band()
        y_land = y_seat + 2 * d
        for xc in centres:
            ball, area = solder_ball(xc, y_seat + d, rb, y_seat, None if cell else y_land)
            drawing.paint("solder", ball, 1, area)
        boundaries, bcs, points = supports(cell, "symmetry", y_bottom, x0)
        notes = [SLICE_NOTE, "the cavity under the chip is empty (no gas pressure)",
                 "only the outermost ball's RDL lies in the section; inner balls sit on their lands"]
        if cell:
            notes.append("cell: window from half a pitch inside the outermost ball; its left edge is held as a "
                         "symmetry line")
        else:   # the board runs past the package edge
            boundaries.append(lands_and_board(drawing, centres, y_land, a, self.land_thickness,
                                              self._edges()["R"] + p / 2, self.board_thickness, 6))
        materials = {"chip": "si", "passivation": "sio2", "pad": "al", "support": self.support_material,
                     "carrier": self.carrier_material, "oxide": "sio2", "rdl": "al", "solder_mask": "solder_mask",
                     "finish": "ni", "solder": self.solder_material, "land": "cu", "board": "fr4"}
        return model_spec(self, level, SLICE_ANALYSIS, drawing, materials, boundaries=boundaries, bcs=bcs,
                          points=points, probes=self._probes(cell, x0, y_seat, y_land),
                          sizes=self._mesh_sizes(cell, centres, rb, y_land),
                          curved={"solder"}, zoom=self._zoom(), notes=notes, cracks=self._cracks())

    def _body(self, drawing: Drawing, x0: float) -> float:
        """Si chip (and C's barrier), passivation with the pad, support body and carrier; returns
        the model's bottom."""
        e, t_si, t_pas = self._edges(), self.silicon_thickness, self.passivation_thickness
        xR = e["R"]
        y_rb = -t_pas - self.recess_overetch   # B: recess bottom
        y_sup = -t_pas - self.support_thickness
        drawing.paint("chip", Outline(((x0, 0.0), (e["eb"], 0.0), (e["et"], t_si), (x0, t_si))), 6)
        if self.variant == "C":
            drawing.paint("chip", Outline(((e["b0b"], 0.0), (e["b1b"], 0.0), (e["b1t"], t_si), (e["b0t"], t_si))), 6)
        x_pas1 = e["p1"] if self.variant == "B" else xR
        pad = drawing.paint("pad", rect(e["eb"] - self.pad_under_chip, -self.pad_thickness, e["p1"], 0.0), 7)
        drawing.paint("passivation", rect(x0, -t_pas, x_pas1, 0.0), 5)
        drawing.areas["passivation"] -= pad
        if self.variant == "B":   # the deep recess notches the support body
            sup = Outline(((e["cav"], y_sup), (xR, y_sup), (xR, y_rb), (e["p1"], y_rb), (e["p1"], -t_pas),
                           (e["cav"], -t_pas)))
        else:
            sup = rect(e["cav"], y_sup, xR, -t_pas)
        drawing.paint("support", sup, 5)
        y_bottom = y_sup - self.carrier_thickness
        drawing.paint("carrier", rect(x0, y_bottom, xR, y_sup), 5)
        return y_bottom

    def _surface(self, x0: float):
        """The surface the films follow, walking +x from the cell edge to the scribe line, and
        the paths the isolation oxide covers. Returns (surface, oxide paths)."""
        e, t_si = self._edges(), self.silicon_thickness
        xR = e["R"]
        top = [(x0, t_si), (e["et"], t_si), (e["eb"], 0.0)]
        if self.variant == "A":
            return top + [(xR, 0.0)], [top + [(e["eb"] + self.isolation_overlap, 0.0)]]
        if self.variant == "B":
            y_rb = -self.passivation_thickness - self.recess_overetch
            return top + [(e["p1"], 0.0), (e["p1"], y_rb), (xR, y_rb)], [top + [(e["p1"], 0.0)]]
        barrier = [(e["b0b"], 0.0), (e["b0t"], t_si), (e["b1t"], t_si), (e["b1b"], 0.0), (xR, 0.0)]
        return top + barrier, [top + [(e["eb"] + self.isolation_overlap, 0.0)], [(e["p1"] + _GAP, 0.0)] + barrier]

    def _rdl_path(self, x_c: float, iso_top) -> list:
        """The RDL's bottom: from the land under the outermost ball along the oxide top
        ``iso_top``, down the recess wall onto the pad (B: down the pad sidewall into the recess)."""
        e, t_iso = self._edges(), self.isolation_thickness
        x_end = iso_top[-1][0]
        path = [(x_c - self.land_diameter / 2, self.silicon_thickness + t_iso)] + iso_top[1:-1]
        if self.variant == "B":
            y_rb = -self.passivation_thickness - self.recess_overetch
            return path + [(e["p1"], t_iso), (e["p1"], y_rb), (e["p1"] + self.rdl_bottom_length, y_rb)]
        return path + [(x_end, t_iso), (x_end, 0.0), (e["p1"], 0.0)]

    def _films(self, drawing: Drawing, x0: float, centres) -> None:
        """Solder-mask band, oxide, RDL with the ball lands, and in every mask opening the Ni
        layer on the land with solder above it; the mask keeps what the others leave."""
        t_si, t_iso, t_r = self.silicon_thickness, self.isolation_thickness, self.rdl_thickness
        a, r_land = self.opening_diameter / 2, self.land_diameter / 2
        base, iso_paths = self._surface(x0)
        mask = drawing.paint("solder_mask", film(base, self._band()), 2)
        inner = 0.0
        for path in iso_paths:
            inner += drawing.paint("oxide", film(path, t_iso), 6)
        iso_top = offset_path(iso_paths[0], (), t_iso)[0]
        inner += drawing.paint("rdl", film(self._rdl_path(centres[-1], iso_top), t_r), 7)
        y_land_top = t_si + t_iso + t_r
        y_seat = t_si + self._band()
        for xc in centres[:-1]:
            inner += drawing.paint("rdl", rect(xc - r_land, t_si + t_iso, xc + r_land, y_land_top), 7)
        for xc in centres:
            inner += drawing.paint("finish", rect(xc - a, y_land_top, xc + a, y_land_top + self.ni_thickness), 8)
            inner += drawing.paint("solder", rect(xc - a, y_land_top + self.ni_thickness, xc + a, y_seat), 8)
        drawing.areas["solder_mask"] = mask - inner

    def _probes(self, cell: bool, x0: float, y_seat: float, y_land: float) -> list[Probe]:
        """Probes in the films' corners at the recess (midpoints of their corner mitres sit inside
        the films), at the critical joint and at the pad end."""
        e, t_r, t_pad = self._edges(), self.rdl_thickness, self.pad_thickness
        x_c, a = e["ball"], self.opening_diameter / 2

        def mid(p_, q_):
            return ((p_[0] + q_[0]) / 2, (p_[1] + q_[1]) / 2)

        iso0 = self._surface(x0)[1][0]
        iso_top = offset_path(iso0, (), self.isolation_thickness)[0]
        rdl_path = self._rdl_path(x_c, iso_top)
        rdl_top = offset_path(rdl_path, (), t_r)[0]
        # film corners average over a disk thinner than the film, not the default 5 um, which would
        # average the whole film
        r = FILM_PROBE_RADIUS
        probes = [Probe("oxide_recess_top_corner", mid(iso0[1], iso_top[1]), "oxide", r["oxide"]),
                  Probe("oxide_recess_bottom_corner", mid(iso0[2], iso_top[2]), "oxide", r["oxide"]),
                  Probe("rdl_recess_top_corner", mid(rdl_path[1], rdl_top[1]), "rdl", r["rdl"]),
                  Probe("rdl_recess_bottom_corner", mid(rdl_path[2], rdl_top[2]), "rdl", r["rdl"]),
                  Probe("chip_recess_bottom_corner", (e["eb"] - 1.0, 0.3), "chip"),
                  Probe("solder_pad_neck", (x_c + a - 2.0, y_seat + 1.0), "solder"),
                  Probe("mask_opening_corner", (x_c + a + 1.0, y_seat - 1.0), "solder_mask")]
        if self.variant == "B":
            probes.append(Probe("rdl_at_pad_sidewall", (e["p1"] + t_r / 2, -t_pad / 2), "rdl"))
        else:
            probes.append(Probe("passivation_at_pad_end", (e["p1"] + 0.5, -t_pad / 2), "passivation"))
        if not cell:
            probes.append(Probe("solder_land_neck", (x_c + a - 2.0, y_land - 1.0), "solder"))
        return probes

    def _zoom(self):
        """Detail window: the recess bottom, where the films turn onto the pad."""
        e = self._edges()
        y_low = (-self.passivation_thickness - self.recess_overetch if self.variant == "B"
                 else -self.passivation_thickness) - 10
        zx1 = min(e["R"], max(e["p1"], e["b0t"] if self.variant == "C" else e["p1"]) + 30)
        return (e["eb"] - 40, zx1, y_low, max(40.0, 0.5 * (zx1 - e["eb"] + 40) + y_low))

    def _mesh_sizes(self, cell: bool, centres=(), rb: float = 0.0, y_land: float = 0.0) -> MeshSizes:
        """Thin films get about one element through their thickness, but not below 0.8 um. In the
        package slice the films run across the whole chip: away from the outer joint and the recess
        (the focus box) no element is smaller than FILM_FLOOR_UM, so a film there is one element
        thick, stretched along it, and the inner joints, which only carry the slice, are meshed
        at that size too."""
        t_iso, t_r = self.isolation_thickness, self.rdl_thickness
        t_pas, t_pad = self.passivation_thickness, self.pad_thickness
        coarse = 1.0 if cell else 1.5
        films = min(t_iso, t_r, t_pad, t_pas - t_pad if self.variant != "B" else t_pad)
        region_sizes = {"oxide": max(t_iso * 1.5, 0.8) * coarse, "rdl": max(t_r / 1.5, 0.8) * coarse,
                        "pad": max(t_pad, 0.8) * coarse, "passivation": max(t_pas, 0.8) * coarse,
                        "solder_mask": self.solder_mask_thickness / 3 * coarse, "finish": self.ni_thickness / 1.5,
                        "support": self.support_thickness / 4, "solder": self.ball_diameter / 2 / 8,
                        "land": self.land_thickness / 2}
        focus = ()
        if not cell:
            y0, y1 = -self.passivation_thickness - self.support_thickness - 1.0, y_land + self.land_thickness + 1.0
            # the critical (outer) ball to the chip edge; the inner balls only carry the slice
            focus = ((centres[-1] - rb - 30.0, self._edges()["R"] + 30.0, y0, y1),)
        return MeshSizes(far=(self.pitch / 5 if cell else self.pitch / 2.5), interface=max(films * 1.5, 0.8) * coarse,
                         corner=max(films * 0.6, 0.4) * coarse, region=region_sizes, growth=0.3 if cell else 0.5,
                         focus=focus, floor=FILM_FLOOR_UM if focus else 0.0, focus_margin=20.0)
