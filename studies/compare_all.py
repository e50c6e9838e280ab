"""The headline ranking: the five interconnect structures at the same joint size, pitch, joint
count, outer-joint distance from the neutral point and board, through the same JEDEC G cycles.

The thermal-mismatch shear on a joint grows with its distance from the package's neutral point
(DNP), so a ranking of structures at their own die widths would mix interconnect design with
package size. Every variant is therefore a package slice (centre to edge) with five SAC305 joints
of about 250 um at a 400 um pitch, the outer one at DNP = 4.5 pitches = 1800 um, on an 800 um
board, with each structure's own die stack and interconnect (those are the design):

- ppi-recess, cu-post, molded-joint place the joints at (i + 1/2) pitch from the centre
  (`geometry.parts.joint_row`): five joints at 400 um put the outer one at 1800 um.
- fanout-rdl places the critical ball over the fan-out, `ball_edge_distance` (100 um) beyond the
  chip edge, and the others inward at the pitch: a 3400 um chip puts it at 1800 um; the 4000 um
  molded body ends where the other dies do (2000 um).
- edge-recess-rdl places the outer ball `ball_edge_distance` (170 um) inside the top edge of the
  sloped recess, which is `recess_width` (90 um) + 150 um / tan(75 deg) (40.2 um) inside the
  scribe line: a 4200 um chip puts it at 1799.8 um (the chip cannot be made smaller with these
  films: the ball land must clear the recess edge).
- molded-joint is soldered between two substrates by design (US 9,263,839): its "board" is the
  builder's BT second substrate, not FR-4. It is normalised to the same 800 um thickness; BT
  (about 15 ppm/K) and FR-4 (about 16-18 ppm/K in plane) differ a little in CTE and stiffness,
  which stays part of that structure's result.

The report's table lists each variant's DNP, joint count and Darveaux layer thickness (read from
the critical joint the evaluation found) so that the normalisation can be checked. The ranking is
by the solder fatigue life of the outermost joint (Syed's energy law for SAC305, from the dW of a
Darveaux layer at the worse of its two interfaces).

    python -m studies.compare_all [--quick] [--workers N] [--out DIR]
"""
from __future__ import annotations

import sys

from .study import Metric, Study, Variant, main

SOLDER = {"solder_material": "sac305"}
#: the same package footprint for all: joint count and pitch (outer joint at 4.5 pitches =
#: 1800 um from the centre for the joint_row builders) and the FR-4 board
ROW = {"joint_count": 5, "pitch": 400.0}
BOARD = {"board_thickness": 800.0}
DNP_UM = 1800.0

VARIANTS = (
    Variant("recessed PPI pad + liquid molding (US 2014/0374899)", {**SOLDER, **ROW, **BOARD},
            "structure", "ppi-recess"),
    Variant("Cu post through polyimide + bump (seed 002)",
            {**SOLDER, **ROW, **BOARD, "post_width": 150.0, "bump_height": 100.0}, "structure", "cu-post"),
    Variant("molded fine-pitch joint (US 9,263,839)",
            {**SOLDER, **ROW, "joint_width": 250.0, "joint_height": 250.0,
             "second_substrate_thickness": BOARD["board_thickness"]}, "structure", "molded-joint"),
    Variant("fan-out RDL, ball over the fan-out (US 2018/0158746)",
            {**SOLDER, **ROW, **BOARD, "ball_diameter": 250.0, "pad_diameter": 220.0, "opening_diameter": 200.0,
             "ball_edge_distance": 100.0, "bump_edge_distance": 50.0,
             # outer ball at chip_width / 2 + ball_edge_distance = DNP_UM
             "chip_width": 2 * (DNP_UM - 100.0), "package_width": 4000.0},
            "structure", "fanout-rdl"),
    Variant("edge-recess RDL CSP, variant B (US 9,230,927)",
            # outer ball at chip_width / 2 - recess_width - 150 / tan(75 deg) - ball_edge_distance
            {**SOLDER, **ROW, **BOARD, "variant": "B", "ball_diameter": 250.0, "chip_width": 4200.0},
            "structure", "edge-recess-rdl"),
)

#: the outer joint's damage, in every study of the five slices (compare_all, board_bend)
JOINT_METRICS = (
    Metric("critical.life", "solder fatigue life, outer joint (energy law)", "cycles", "higher", ".3g"),
    Metric("critical.dW", "solder dW, worse interface of the outer joint", "MPa/cycle"),
    Metric("pad_layer.dW", "solder dW at the die-side pad", "MPa/cycle"),
    Metric("land_layer.dW", "solder dW at the board-side land", "MPa/cycle"),
    Metric("joint.eps_in_range", "equivalent inelastic strain range, outer joint", "-", "lower", ".3g"),
)
#: the normalisation, read back from the evaluated geometry (interconnect_facts)
NORMALISATION_METRICS = (
    Metric("outer_joint.dnp_um", "outer joint distance from the neutral point", "um", "none", ".4g", solved=False),
    Metric("outer_joint.joint_count", "joints in the slice", "-", "none", ".3g", solved=False),
    Metric("outer_joint.layer_thickness_um", "Darveaux layer thickness, outer joint", "um", "none", ".3g",
           solved=False),
)
METRICS = JOINT_METRICS + (
    Metric("outer_joint.von_mises_mean", "solder von Mises mean at -40 degC, outer joint", "MPa"),
    Metric("warpage_um", "die warpage at -40 degC (slice)", "um", "none", ".3g"),
) + NORMALISATION_METRICS

#: critical_joint key -> metric name
FACTS = {"dnp_um": "outer_joint.dnp_um", "joint_count": "outer_joint.joint_count",
         "layer_thickness_um": "outer_joint.layer_thickness_um"}


def interconnect_facts(record: dict) -> dict:
    """The outer joint's DNP, the joint count and the layer thickness as table entries."""
    joint = record.get("critical_joint") or {}
    return {metric: joint[key] for key, metric in FACTS.items() if joint.get(key) is not None}


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
    question="At the same joint size (about 250 um SAC305), pitch (400 um), joint count (5), outer-joint "
             "distance from the neutral point (1800 um) and board (800 um), which of the five interconnect "
             "structures gives the longest solder-joint fatigue life under JEDEC G cycling?",
    structure="ppi-recess",
    variants=VARIANTS,
    metrics=METRICS,
    answer=answer,
    derive=interconnect_facts,
    contour="eps_eq_in",
    contour_label="accumulated equivalent inelastic strain [-]",
    contour_regions=("solder",),
    interfaces=(),
    sources=("US 2014/0374899", "seed 002", "US 9,263,839", "US 2018/0158746", "US 9,230,927"),
)

if __name__ == "__main__":
    sys.exit(main(STUDY))
