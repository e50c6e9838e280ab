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


from .common import (is_cell, board_with_lands, Boundary, Disk, Intersect, Layer, MeshSizes, ModelSpec, Outline, Probe, disk_slab_area,
                     film, fmt, mesh_model, offset_path, out_of_range, param, parameters, rect, slice_supports,
                     structure)

_ANALYSIS = "generalized_plane_strain"   # a slice of a package, thin compared with the package
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
        e, H, p = self._edges(), self._band(), self.pitch
        rb, r_land = self.ball_diameter / 2, self.land_diameter / 2
        t_r = self.rdl_thickness
        if self.ball_diameter > p - 20:
            raise out_of_range("ball_diameter", self.ball_diameter, 100.0, p - 20, f"balls closer than 20 um at pitch = {fmt(p)}")
        if self.land_diameter > p - 40:
            raise out_of_range("land_diameter", self.land_diameter, 40.0, p - 40, f"lands closer than 40 um at pitch = {fmt(p)}")
        if self.opening_diameter > self.land_diameter - 20:
            raise out_of_range("opening_diameter", self.opening_diameter, 30.0, self.land_diameter - 20,
                               "the solder mask must overlap the land edge by 10 um")
        if self.opening_diameter / 2 > 0.95 * rb:
            raise out_of_range("opening_diameter", self.opening_diameter, 30.0, 1.9 * rb,
                               "the ball must be wider than the opening it wets")
        if self.solder_mask_thickness < self.ni_thickness + 2:
            raise out_of_range("solder_mask_thickness", self.solder_mask_thickness, self.ni_thickness + 2, 60.0,
                               "the Ni layer must stay 2 um below the solder mask top")
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
                                   f"the barrier top must keep 10 um at sidewall_angle = {fmt(self.sidewall_angle)}")
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
                               f"balls at pitch {fmt(p)} in a {fmt(self.chip_width)} um package")
        hi = e["R"] - x0_cell - 20
        if self.support_width > hi:
            raise out_of_range("support_width", self.support_width, 20.0, hi,
                               "the cavity must reach into the one-pitch cell")
        if self.variant == "B" and e["cav"] > e["p1"] - 10:
            raise out_of_range("support_width", self.support_width, e["R"] - e["p1"] + 10, max(e["R"] - e["p1"] + 10, hi),
                               "the deep recess must end in the support body")

    def build(self, level: str = "cell", mesh_size_factor: float = 1.0):
        return mesh_model(self.spec(level), mesh_size_factor)

    def spec(self, level: str = "cell") -> ModelSpec:
        cell = is_cell(level)
        e, H, p = self._edges(), self._band(), self.pitch
        t_si, t_iso, t_r = self.silicon_thickness, self.isolation_thickness, self.rdl_thickness
        t_pas, t_pad = self.passivation_thickness, self.pad_thickness
        a, rb, d = self._seat()
        r_land = self.land_diameter / 2
        x_c = e["ball"]
        centres = [x_c] if cell else [x_c - (self.joint_count - 1 - i) * p for i in range(self.joint_count)]
        x0, xR = (x_c - p / 2 if cell else 0.0), e["R"]
        y_rb = -t_pas - self.recess_overetch   # B: recess bottom
        y_sup = -t_pas - self.support_thickness
        y_bottom = y_sup - self.carrier_thickness

        layers: list[Layer] = []
        areas: dict[str, float] = {}

        def paint(region, shape, priority):
            layers.append(Layer(region, shape, priority))
            areas[region] = areas.get(region, 0.0) + shape.area()
            return shape.area()

        # Si chip (and C's barrier), passivation with the pad, support body, carrier
        paint("chip", Outline(((x0, 0.0), (e["eb"], 0.0), (e["et"], t_si), (x0, t_si))), 6)
        if self.variant == "C":
            paint("chip", Outline(((e["b0b"], 0.0), (e["b1b"], 0.0), (e["b1t"], t_si), (e["b0t"], t_si))), 6)
        x_pas1 = e["p1"] if self.variant == "B" else xR
        pad = paint("pad", rect(e["eb"] - self.pad_under_chip, -t_pad, e["p1"], 0.0), 7)
        paint("passivation", rect(x0, -t_pas, x_pas1, 0.0), 5)
        areas["passivation"] -= pad
        if self.variant == "B":   # the deep recess notches the support body
            sup = Outline(((e["cav"], y_sup), (xR, y_sup), (xR, y_rb), (e["p1"], y_rb), (e["p1"], -t_pas),
                           (e["cav"], -t_pas)))
        else:
            sup = rect(e["cav"], y_sup, xR, -t_pas)
        paint("support", sup, 5)
        paint("carrier", rect(x0, y_bottom, xR, y_sup), 5)

        # the surface the films follow, walking +x from the cell edge to the scribe line
        top = [(x0, t_si), (e["et"], t_si), (e["eb"], 0.0)]
        if self.variant == "A":
            base = top + [(xR, 0.0)]
            iso_paths = [top + [(e["eb"] + self.isolation_overlap, 0.0)]]
        elif self.variant == "B":
            base = top + [(e["p1"], 0.0), (e["p1"], y_rb), (xR, y_rb)]
            iso_paths = [top + [(e["p1"], 0.0)]]
        else:
            barrier = [(e["b0b"], 0.0), (e["b0t"], t_si), (e["b1t"], t_si), (e["b1b"], 0.0), (xR, 0.0)]
            base = top + barrier
            iso_paths = [top + [(e["eb"] + self.isolation_overlap, 0.0)], [(e["p1"] + _GAP, 0.0)] + barrier]
        mask = paint("solder_mask", film(base, H), 2)
        inner = 0.0
        for path in iso_paths:
            inner += paint("oxide", film(path, t_iso), 6)
        # RDL: land under the outermost ball, along the oxide, down the recess wall onto the pad
        iso_top = offset_path(iso_paths[0], (), t_iso)[0]
        x_end = iso_top[-1][0]
        rdl_path = [(x_c - r_land, t_si + t_iso)] + iso_top[1:-1]
        if self.variant == "B":
            rdl_path += [(e["p1"], t_iso), (e["p1"], y_rb), (e["p1"] + self.rdl_bottom_length, y_rb)]
        else:
            rdl_path += [(x_end, t_iso), (x_end, 0.0), (e["p1"], 0.0)]
        rdl = film(rdl_path, t_r)
        inner += paint("rdl", rdl, 7)
        y_land_top = t_si + t_iso + t_r
        y_seat = t_si + H
        for xc in centres[:-1]:
            inner += paint("rdl", rect(xc - r_land, t_si + t_iso, xc + r_land, y_land_top), 7)
        for xc in centres:   # the mask opening: Ni on the land, solder above it
            inner += paint("finish", rect(xc - a, y_land_top, xc + a, y_land_top + self.ni_thickness), 8)
            inner += paint("solder", rect(xc - a, y_land_top + self.ni_thickness, xc + a, y_seat), 8)
        areas["solder_mask"] = mask - inner

        y_land = y_seat + 2 * d
        for xc in centres:
            y_cut = y_seat + d + rb + 1 if cell else y_land
            ball = Intersect(Disk(xc, y_seat + d, rb), rect(xc - rb - 1, y_seat, xc + rb + 1, y_cut))
            layers.append(Layer("solder", ball, 1))
            areas["solder"] += disk_slab_area(xc, rb, y_seat, min(y_cut, y_seat + d + rb), y_seat + d)

        materials = {"chip": "si", "passivation": "sio2", "pad": "al", "support": self.support_material,
                     "carrier": self.carrier_material, "oxide": "sio2", "rdl": "al", "solder_mask": "solder_mask",
                     "finish": "ni", "solder": self.solder_material, "land": "cu", "board": "fr4"}
        boundaries = [Boundary("symmetry", "x", x0), Boundary("bottom", "y", y_bottom)]
        notes = ["generalized plane strain: the slice is thin compared with the package",
                 "the cavity under the chip is empty (no gas pressure)",
                 "only the outermost ball's RDL lies in the section; inner balls sit on their lands"]
        if cell:
            notes.append("cell: window from half a pitch inside the outermost ball; its left edge is held as a symmetry line")
            bcs, points = ({"group": "symmetry", "fix": ["x"]}, {"group": "bottom", "fix": ["y"]}), ()
        else:
            t_l = self.land_thickness
            # the board runs past the package edge
            board, board_areas, board_top = board_with_lands(centres, a, y_land, t_l, xR + p / 2,
                                                       self.board_thickness, 6)
            layers += board
            areas.update(board_areas)
            boundaries.append(board_top)
            bcs, points = slice_supports(y_bottom)   # the slice warps freely

        # probes: midpoints of the films' corner mitres sit inside the films at the recess corners
        def mid(p_, q_):
            return ((p_[0] + q_[0]) / 2, (p_[1] + q_[1]) / 2)

        iso0 = iso_paths[0]
        rdl_top = offset_path(rdl_path, (), t_r)[0]
        probes = [Probe("oxide_recess_top_corner", mid(iso0[1], iso_top[1]), "oxide"),
                  Probe("oxide_recess_bottom_corner", mid(iso0[2], iso_top[2]), "oxide"),
                  Probe("rdl_recess_top_corner", mid(rdl_path[1], rdl_top[1]), "rdl"),
                  Probe("rdl_recess_bottom_corner", mid(rdl_path[2], rdl_top[2]), "rdl"),
                  Probe("chip_recess_bottom_corner", (e["eb"] - 1.0, 0.3), "chip"),
                  Probe("solder_pad_neck", (x_c + a - 2.0, y_seat + 1.0), "solder"),
                  Probe("mask_opening_corner", (x_c + a + 1.0, y_seat - 1.0), "solder_mask")]
        if self.variant == "B":
            probes.append(Probe("rdl_at_pad_sidewall", (e["p1"] + t_r / 2, -t_pad / 2), "rdl"))
        else:
            probes.append(Probe("passivation_at_pad_end", (e["p1"] + 0.5, -t_pad / 2), "passivation"))
        if not cell:
            probes.append(Probe("solder_land_neck", (x_c + a - 2.0, y_land - 1.0), "solder"))

        # detail: the recess bottom, where the films turn onto the pad
        y_low = (y_rb if self.variant == "B" else -t_pas) - 10
        zx1 = min(xR, max(e["p1"], e["b0t"] if self.variant == "C" else e["p1"]) + 30)
        zoom = (e["eb"] - 40, zx1, y_low, max(40.0, 0.5 * (zx1 - e["eb"] + 40) + y_low))
        coarse = 1.0 if cell else 1.5
        films = min(t_iso, t_r, t_pad, t_pas - t_pad if self.variant != "B" else t_pad)
        # thin films get about one element through their thickness, but not below 0.8 um: films
        # run across the whole slice and a finer floor multiplies the element count
        region_sizes = {"oxide": max(t_iso * 1.5, 0.8) * coarse, "rdl": max(t_r / 1.5, 0.8) * coarse,
                        "pad": max(t_pad, 0.8) * coarse, "passivation": max(t_pas, 0.8) * coarse,
                        "solder_mask": self.solder_mask_thickness / 3 * coarse, "finish": self.ni_thickness / 1.5,
                        "support": self.support_thickness / 4, "solder": rb / 8, "land": self.land_thickness / 2}
        sizes = MeshSizes(far=(p / 5 if cell else p / 2.5), interface=max(films * 1.5, 0.8) * coarse,
                          corner=max(films * 0.6, 0.4) * coarse, region=region_sizes, growth=0.3 if cell else 0.5)
        used = {l.region for l in layers}
        return ModelSpec(structure=self.cli_name, level=level, analysis=_ANALYSIS, layers=tuple(layers),
                         boundaries=tuple(boundaries), materials={r: m for r, m in materials.items() if r in used},
                         bcs=bcs, probes=tuple(probes), sizes=sizes, closed_form_areas=areas,
                         curved_regions=frozenset({"solder"}), zoom=zoom,
                         parameters={f.name: getattr(self, f.name) for f in parameters(self)},
                         notes=tuple(notes), points=points)
