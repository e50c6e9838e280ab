"""The headline ranking: the five interconnect structures at comparable joint size and pitch,
through the same JEDEC G cycles.

Every structure is built as a package slice (centre to edge, soldered to its board or second
substrate) with SAC305 joints of about 250 um at a 400 um pitch, five joints where the structure
allows it; the die / package widths, and so the outer joint's distance from the neutral point,
are each structure's own (they are part of the design). The ranking is by the solder fatigue life
of the outermost joint (Syed's energy law for SAC305, from the dW of a Darveaux layer at the
worse of its two interfaces).

    python -m studies.compare_all [--quick] [--workers N] [--out DIR]
"""
from __future__ import annotations

import sys

from .study import Metric, Study, Variant, main

SOLDER = {"solder_material": "sac305"}

VARIANTS = (
    Variant("recessed PPI pad + liquid molding (US 2014/0374899)", {**SOLDER}, "structure", "ppi-recess"),
    Variant("Cu post through polyimide + bump (seed 002)",
            {**SOLDER, "post_width": 150.0, "pitch": 400.0, "bump_height": 100.0, "joint_count": 5},
            "structure", "cu-post"),
    Variant("molded fine-pitch joint (US 9,263,839)",
            {**SOLDER, "joint_width": 250.0, "joint_height": 250.0, "pitch": 400.0}, "structure", "molded-joint"),
    Variant("fan-out RDL, ball over the fan-out (US 2018/0158746)",
            {**SOLDER, "ball_diameter": 250.0, "pad_diameter": 220.0, "opening_diameter": 200.0, "pitch": 400.0,
             "ball_edge_distance": 100.0, "bump_edge_distance": 50.0},
            "structure", "fanout-rdl"),
    Variant("edge-recess RDL CSP, variant B (US 9,230,927)",
            {**SOLDER, "variant": "B", "ball_diameter": 250.0, "pitch": 400.0}, "structure", "edge-recess-rdl"),
)

METRICS = (
    Metric("critical.life", "solder fatigue life, outer joint (energy law)", "cycles", "higher", ".3g"),
    Metric("critical.dW", "solder dW, worse interface of the outer joint", "MPa/cycle"),
    Metric("pad_layer.dW", "solder dW at the die-side pad", "MPa/cycle"),
    Metric("land_layer.dW", "solder dW at the board-side land", "MPa/cycle"),
    Metric("joint.eps_in_range", "equivalent inelastic strain range, outer joint", "-", "lower", ".3g"),
    Metric("outer_joint.von_mises_mean", "solder von Mises mean at -40 degC, outer joint", "MPa"),
    Metric("warpage_um", "die warpage at -40 degC (slice)", "um", "none", ".3g"),
)


def answer(records: dict) -> str:
    ranked = sorted(((r["metrics"]["critical.life"], label) for label, r in records.items()
                     if "critical.life" in r["metrics"]), reverse=True)
    if not ranked:
        return "No structure produced a fatigue life."
    best, worst = ranked[0], ranked[-1]
    order = "; ".join(f"{k + 1}. {label} ({life:.3g})" for k, (life, label) in enumerate(ranked))
    return (f"Ranked by outer-joint solder life under JEDEC G (cycles to failure): {order}. "
            f"The best lives {best[0] / worst[0]:.1f}x as long as the worst.")


STUDY = Study(
    name="compare_all",
    title="Five package interconnect structures under the same thermal cycle",
    question="At comparable joint size (about 250 um SAC305) and pitch (400 um), which of the five "
             "interconnect structures gives the longest solder-joint fatigue life under JEDEC G cycling?",
    structure="ppi-recess",
    variants=VARIANTS,
    metrics=METRICS,
    answer=answer,
    contour="eps_eq_in",
    contour_label="accumulated equivalent inelastic strain [-]",
    contour_regions=("solder",),
    interfaces=(),
    sources=("US 2014/0374899", "seed 002", "US 9,263,839", "US 2018/0158746", "US 9,230,927"),
)

if __name__ == "__main__":
    sys.exit(main(STUDY))
