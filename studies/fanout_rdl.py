"""Fan-out RDL across the chip edge (US 2018/0158746): what do the RDL thickness, the insulating
layers, the mold material and the ball position do to the RDL where it crosses the chip edge, to
the solder ball's fatigue life and to the package warpage?

Variants (package slice from the centre to the edge of a 6 mm package with a 4 mm chip, four
300 um SAC305 balls at 500 um pitch on an FR-4 board, BT carrier, JEDEC G cycles):

* baseline: one 15 um Cu RDL level under a 30 um polyimide insulating layer, EMC mold, the critical
  ball over the fan-out molding 140 um beyond the chip edge;
* RDL thickness 8 / 15 / 25 um ([0149]: 5-100 um, preferably 10-30 um);
* insulating layer of BCB instead of polyimide, and two RDL levels (the lower one under a polyimide
  insulating layer, the upper under the solder mask; [0153], [0181]-[0185]);
* mold body of polyimide or BCB instead of epoxy molding compound ([0124]);
* the critical ball over the chip (fan-in) instead of over the fan-out molding ([0155], FIG. 6M);
  its trace does not cross the chip edge, so it has no RDL-over-chip-edge probe.

The variants whose trace crosses the chip edge carry a 10 um pre-crack on the molding/RDL interface
from the chip edge outward under the trace (``chip_edge_crack``): its energy release rate G and
phase angle at the cold and hot extremes of the last cycle (G converges under refinement).

    python -m studies.fanout_rdl [--quick] [--workers N] [--out DIR]
"""
from __future__ import annotations

import sys

from .compound import CompoundComparison
from .crack_report import range_sentence
from .study import Curve, Metric, Study, Variant, main

BASE = {"rdl_thickness": 15.0, "rdl_levels": 1, "insulator_material": "polyimide", "mold_material": "emc",
        "ball_location": "fanout"}
BASELINE = "RDL 15 um, polyimide, EMC, ball over fan-out"
EDGE = "probe_avg.rdl_over_chip_edge.von_mises"
CRACK_UM = 10.0     # molding/RDL pre-crack at the chip edge

METRICS = (
    Metric("critical.life", "solder fatigue life, critical ball (energy law)", "cycles", "higher", ".3g"),
    Metric("critical.dW", "solder dW, worse interface of the critical ball", "MPa/cycle"),
    Metric(EDGE, "RDL von Mises over the chip edge (5 um mean)", "MPa"),
    Metric("zone.rdl.von_mises_mean", "RDL von Mises, mean over the detail window", "MPa"),
    # the peak sits at the RDL's re-entrant corners and grows with refinement: shown, never ranked
    Metric("zone.rdl.von_mises_max", "RDL von Mises max in the detail window (mesh-dependent peak)", "MPa", "none"),
    Metric("probe_avg.mold_at_chip_corner.max_principal", "mold S1 at the chip corner (5 um mean)", "MPa"),
    Metric("warpage_um", "warpage of the package bottom at -40 degC", "um", "none", ".3g"),
    Metric("crack.chip_edge.G", "G of a 10 um molding/RDL crack at the chip edge (worse extreme)", "J/m^2"),
    Metric("crack.chip_edge.phase_angle_deg", "its phase angle at 1 um", "deg", "none", ".3g"),
    Metric("crack.chip_edge.margin", "its toughness margin Gc(psi)/G (typical Gc)", "-", "higher", ".3g"),
)


def variants() -> tuple[Variant, ...]:
    def v(label, group, **changes):
        parameters = {**BASE, **changes}
        crack = CRACK_UM if parameters["ball_location"] == "fanout" else 0.0
        return Variant(label, {"chip_edge_crack": crack, **parameters}, group)

    return (
        v(BASELINE, "RDL thickness"),
        v("RDL 8 um", "RDL thickness", rdl_thickness=8.0),
        v("RDL 25 um", "RDL thickness", rdl_thickness=25.0),
        v("BCB insulating layer", "insulating layer", insulator_material="bcb"),
        v("two RDL levels", "insulating layer", rdl_levels=2),
        v("polyimide mold body", "mold", mold_material="polyimide"),
        v("BCB mold body", "mold", mold_material="bcb"),
        v("ball over the chip (fan-in)", "ball location", ball_location="chip"),
    )


def answer(records: dict) -> str:
    def m(label, key):
        return records.get(label, {}).get("metrics", {}).get(key)

    lines = []
    edge = m(BASELINE, EDGE)
    thickness = sorted((r["parameters"]["rdl_thickness"], r["metrics"][EDGE]) for label, r in records.items()
                       if label.startswith("RDL ") and EDGE in r["metrics"])
    everywhere = {label: r["metrics"][EDGE] for label, r in records.items() if EDGE in r["metrics"]}
    if edge is not None:
        worst = max(everywhere, key=everywhere.get)
        lines.append(f"Where the baseline RDL crosses the chip edge it carries {edge:.3g} MPa von Mises (5 um mean"
                     + ("; " + ", ".join(f"{s:.3g} MPa at {t:g} um" for t, s in thickness) + " of RDL thickness"
                        if len(thickness) > 1 else "") + ")"
                     + (f"; the most, {everywhere[worst]:.3g} MPa, with the {worst}." if worst != BASELINE else "."))
    life = {label: r["metrics"]["critical.life"] for label, r in records.items() if "critical.life" in r["metrics"]}
    base = life.get(BASELINE)
    if base and len(life) > 1:
        best, worst = max(life, key=life.get), min(life, key=life.get)
        lines.append(f"Ball life is {base:.3g} cycles in the baseline and ranges {life[worst]:.3g} ({worst}) to "
                     f"{life[best]:.3g} ({best}).")
    fanin = life.get("ball over the chip (fan-in)")
    if fanin and base:
        lines.append(f"Moving the critical ball over the chip changes its life by {fanin / base - 1:+.0%}.")
    warp = {label: r["metrics"]["warpage_um"] for label, r in records.items() if "warpage_um" in r["metrics"]}
    if warp:
        lo, hi = min(warp, key=warp.get), max(warp, key=warp.get)
        lines.append(f"Warpage at -40 degC spans {warp[lo]:.3g} um ({lo}) to {warp[hi]:.3g} um ({hi}).")
    lines += range_sentence(records, "chip_edge", f"A {CRACK_UM:g} um molding/RDL crack at the chip edge")
    return " ".join(lines) or "No variant was solved."


STUDY = Study(
    name="fanout_rdl",
    title="Fan-out RDL across the chip edge: RDL stress, ball life and warpage",
    question="How do the RDL thickness, the insulating layers, the mold material and the ball position (over "
             "the fan-out or over the chip) change the RDL stress above the chip edge, the solder-ball life "
             "and the package warpage?",
    structure="fanout-rdl",
    variants=variants(),
    metrics=METRICS,
    answer=answer,
    curves=(Curve("RDL thickness", "rdl_thickness", "RDL thickness [um]"),),
    contour="von_mises",
    contour_label="von Mises stress [MPa]",
    contour_regions=("rdl", "bump", "insulator", "solder_mask", "mold", "chip", "finish"),
    interfaces=("insulator/rdl", "mold/rdl", "chip/mold", "finish/solder"),
    sources=("US 2018/0158746 (seed 001): [0124], [0149], [0153], [0155], [0181]-[0185]",),
    compound=CompoundComparison((BASELINE,)),
)

if __name__ == "__main__":
    sys.exit(main(STUDY))
