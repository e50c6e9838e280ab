"""Edge-recess RDL chip-scale package (US 9,230,927): which way of bringing the Al redistribution
line down the through-silicon recess onto the chip's pad (variants A, B, C), which recess sidewall
angle and which metal thickness keep the metal line and the isolation oxide at the recess corners,
and the solder ball, least stressed?

Variants (package slice from the centre to the scribe line of a 3 mm CSP, 150 um Si, three 250 um
SAC305 balls at 400 um pitch on an FR-4 board, glass carrier on a polyimide dam, JEDEC G cycles; the
document gives no dimensions, so all are the builder's typical values):

* variant A, the recess stops on the pad, RDL on the pad top (FIGS. 1-12): the baseline;
* variant B, the recess goes through the passivation into the support body, RDL on the pad
  sidewall (FIGS. 13-22, claims 15-16);
* variant C, a Si barrier between the conducting recess and the scribe recess (FIGS. 23-32, claim 17);
* recess sidewall angle 60 / 75 / 90 deg from the chip surface (variant A);
* Al RDL thickness 1 / 2 / 4 um (variant A; claim 9: aluminium).

The ball is SAC305 (Sn-3.0Ag-0.5Cu, 96.5 % tin) rather than the claim's pure tin: the library's
pure Sn is elastic only (no creep, no fatigue law), so it would give no solder dW or life.

The variants are ranked by the maximum principal stress of the Al RDL at its worse recess corner
(tension opens cracks in the metal line). The line's von Mises stress is no ranking measure: at
-40 degC it sits at aluminium's yield stress at both corners in every variant; the line's
equivalent plastic strain range per cycle (a whole-line average) is reported instead. Metal-line
and oxide stresses are volume averages over a 0.5 um (RDL) and 1 um (oxide) disk (the builder's
``FILM_PROBE_RADIUS``, below the thinnest film of the study, the 1 um RDL, and the 1.5 um oxide; a
5 um disk would average the whole film) at the recess top corner (where the films turn from the chip top down the sidewall) and the bottom
corner (where they turn onto the pad): the corners are re-entrant, so peak values would grow with
refinement, while these averages move by under 3 % between meshes x1 and x0.7 (assembly).

Every variant carries a 5 um pre-crack between the Si and the isolation oxide from the recess
bottom corner up the sidewall (``recess_corner_crack``): its energy release rate G and phase angle
at the cold and hot extremes of the last cycle (a fracture quantity: it converges under
refinement). The oxide's bottom-corner stress average is that of the cracked corner.

    python -m studies.edge_recess_rdl [--quick] [--workers N] [--out DIR]
"""
from __future__ import annotations

import sys

from .crack_report import range_sentence
from .study import Curve, Metric, Study, Variant, main

BASE = {"variant": "A", "sidewall_angle": 75.0, "rdl_thickness": 2.0}
BASELINE = "variant A (RDL on the pad top)"
TOP, BOTTOM = ("probe_avg.rdl_recess_top_corner.max_principal",
               "probe_avg.rdl_recess_bottom_corner.max_principal")
OXIDE = ("probe_avg.oxide_recess_top_corner.max_principal", "probe_avg.oxide_recess_bottom_corner.max_principal")
CORNER = "rdl.corner_max_principal"
STRAIN = "rdl.eps_in_range"
CRACK_UM = 5.0      # Si/oxide pre-crack at the recess bottom corner

METRICS = (
    Metric(CORNER, "Al RDL S1 at the worse recess corner (0.5 um mean)", "MPa"),
    Metric(TOP, "Al RDL S1 at the recess top corner (0.5 um mean)", "MPa"),
    Metric(BOTTOM, "Al RDL S1 at the recess bottom corner (0.5 um mean)", "MPa"),
    Metric(STRAIN, "Al RDL equivalent plastic strain range per cycle (whole line)", "-", "lower", ".3g"),
    Metric(OXIDE[0], "oxide S1 at the recess top corner (1 um mean)", "MPa"),
    Metric(OXIDE[1], "oxide S1 at the recess bottom corner (1 um mean)", "MPa"),
    Metric("critical.life", "solder fatigue life, outermost ball (energy law)", "cycles", "higher", ".3g"),
    Metric("critical.dW", "solder dW, worse interface of the outermost ball", "MPa/cycle"),
    Metric("crack.recess_corner.G", "G of a 5 um Si/oxide crack at the recess bottom corner (worse extreme)",
           "J/m^2"),
    Metric("crack.recess_corner.phase_angle_deg", "its phase angle at 1 um", "deg", "none", ".3g"),
    Metric("crack.recess_corner.margin", "its toughness margin Gc(psi)/G (typical Gc)", "-", "higher", ".3g"),
)


def worse_corner(record: dict) -> dict:
    """The ranking metric: the RDL's worse recess corner."""
    metrics = record.get("metrics", {})
    values = [metrics[k] for k in (TOP, BOTTOM) if k in metrics]
    return {CORNER: max(values)} if values else {}


def variants() -> tuple[Variant, ...]:
    def v(label, group, **changes):
        return Variant(label, {**BASE, **changes}, group)

    return (
        v(BASELINE, "variant"),
        v("variant B (RDL on the pad sidewall)", "variant", variant="B"),
        v("variant C (barrier + scribe recess)", "variant", variant="C"),
        v("sidewall 60 deg", "sidewall angle", sidewall_angle=60.0),
        v("sidewall 75 deg (variant A)", "sidewall angle"),
        v("sidewall 90 deg", "sidewall angle", sidewall_angle=90.0),
        v("RDL 1 um", "metal thickness", rdl_thickness=1.0),
        v("RDL 2 um (variant A)", "metal thickness"),
        v("RDL 4 um", "metal thickness", rdl_thickness=4.0),
    )


def answer(records: dict) -> str:
    def m(label, key):
        return records.get(label, {}).get("metrics", {}).get(key)

    def short(label):
        return label.split(" (")[0]

    lines = []
    metal = sorted((m(label, CORNER), label) for label in records
                   if label.startswith("variant ") and m(label, CORNER) is not None)
    if metal:
        parts = ", ".join(f"{short(label)} {m(label, TOP):.3g}/{m(label, BOTTOM):.3g}" for _, label in metal
                          if m(label, TOP) is not None and m(label, BOTTOM) is not None)
        strain = ", ".join(f"{short(label)} {m(label, STRAIN):.2g}" for _, label in metal
                           if m(label, STRAIN) is not None)
        lines.append(f"Al RDL max principal stress at the recess top/bottom corners (0.5 um mean, MPa): {parts}, so "
                     f"{short(metal[0][1])} loads the metal line least"
                     + (f" (plastic strain range per cycle {strain})." if strain else "."))
    oxide = [(max(v for v in (m(label, k) for k in OXIDE) if v is not None), label) for label in records
             if any(m(label, k) is not None for k in OXIDE)]
    if oxide:
        worst, best = max(oxide), min(oxide)
        lines.append(f"The isolation oxide's corner tension peaks at {worst[0]:.3g} MPa ({worst[1]}), lowest "
                     f"{best[0]:.3g} MPa ({best[1]}).")
    curves = []
    for prefix, key, unit in (("sidewall", "sidewall_angle", " deg"), ("RDL ", "rdl_thickness", " um")):
        series = sorted((r["parameters"][key], r["metrics"][CORNER]) for label, r in records.items()
                        if label.startswith(prefix) and CORNER in r["metrics"])
        if len(series) > 1:
            curves.append(f"against {'sidewall angle' if prefix == 'sidewall' else 'RDL thickness'} "
                          + ", ".join(f"{s:.3g} MPa at {x:g}{unit}" for x, s in series))
    if curves:
        lines.append("Worse-corner RDL S1 " + "; ".join(curves) + ".")
    life = {label: r["metrics"]["critical.life"] for label, r in records.items() if "critical.life" in r["metrics"]}
    if life:
        best, worst = max(life, key=life.get), min(life, key=life.get)
        lines.append(f"Ball life ranges {life[worst]:.3g} ({worst}) to {life[best]:.3g} cycles ({best})"
                     + (": the recess design barely matters to the ball." if life[best] < 1.1 * life[worst]
                        else "."))
    lines += range_sentence(records, "recess_corner", f"A {CRACK_UM:g} um Si/oxide crack up the recess sidewall")
    return " ".join(lines) or "No variant was solved."


STUDY = Study(
    name="edge_recess_rdl",
    title="Edge-recess RDL CSP: metal line and oxide at the recess corners, ball life",
    question="Which recess design (variant A, B or C), sidewall angle and Al RDL thickness keep the metal "
             "line and the isolation oxide at the recess corners least stressed, and what do they do to the "
             "solder ball's fatigue life?",
    structure="edge-recess-rdl",
    variants=variants(),
    metrics=METRICS,
    answer=answer,
    base_parameters={"solder_material": "sac305", "recess_corner_crack": CRACK_UM},
    curves=(Curve("sidewall angle", "sidewall_angle", "recess sidewall angle [deg]"),
            Curve("metal thickness", "rdl_thickness", "Al RDL thickness [um]")),
    contour="max_principal",
    contour_label="max principal stress [MPa]",
    contour_regions=("rdl", "oxide", "pad", "passivation", "chip", "solder_mask"),
    interfaces=("oxide/rdl", "pad/rdl", "chip/oxide"),
    derive=worse_corner,
    sources=("US 9,230,927 (seed 004): FIGS. 1-12 (A), 13-22 and claims 15-16 (B), 23-32 and claim 17 (C), "
             "claim 9",),
)

if __name__ == "__main__":
    sys.exit(main(STUDY))
