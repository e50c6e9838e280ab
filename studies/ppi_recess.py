"""Recessed PPI pad (US 2014/0374899): does the recess that helps ball placement cost or gain
reliability?

Variants from the patent: recess depth D1/T1 = 0 (flat pad), 0.2, 0.35, 0.5, 0.8 ([0014]), a curved
recess bottom (FIG. 13), the joint without liquid molding ([0023]-[0024]), and the prior-art UBM
baseline ([0001]). All on the package slice with five joints soldered to an FR-4 board, JEDEC G
cycles, SAC305 (Anand). The polymer is 10 um thick so that D1/T1 = 0.2 meets the patent's 1.6 um
minimum recess depth.

Every variant carries a 5 um pre-crack on the polymer/PPI interface of the outer joint, from the
recess top corner (on the flat pads: where the corner would be) outward along the polymer top
(``recess_corner_crack``): its energy release rate G and phase angle at the cold and hot extremes
of the last cycle answer whether the recess raises the delamination risk there (G is a fracture
quantity: it converges under refinement). The polymer stress averages at the recess corner are
those of the cracked corner.

    python -m studies.ppi_recess [--quick] [--workers N] [--out DIR]
"""
from __future__ import annotations

import sys

from .compound import CompoundComparison
from .study import Curve, Metric, Study, Variant, main

DEPTHS = (0.0, 0.2, 0.35, 0.5, 0.8)
CRACK_UM = 5.0
CRACK = "crack.recess_corner"
PEAK = "(mesh-dependent peak)"

METRICS = (
    Metric("critical.life", "solder fatigue life, outer joint (energy law)", "cycles", "higher", ".3g"),
    Metric("pad_layer.dW", "solder dW at the pad, outer joint (Darveaux layer)", "MPa/cycle"),
    Metric("land_layer.dW", "solder dW at the board land, outer joint", "MPa/cycle"),
    Metric("probe_avg.pad_edge_polymer.max_principal", "polymer S1 at the pad edge (5 um mean)", "MPa"),
    Metric("probe_avg.recess_corner_polymer.max_principal", "polymer S1 at the recess corner (5 um mean)", "MPa"),
    Metric(f"{CRACK}.G", f"G of a {CRACK_UM:g} um polymer/PPI crack at the recess corner (worse extreme)", "J/m^2"),
    Metric(f"{CRACK}.G_hot", "its G at the hot extreme", "J/m^2"),
    Metric(f"{CRACK}.phase_angle_deg", "its phase angle at 1 um (worse extreme)", "deg", "none", ".3g"),
    Metric(f"{CRACK}.margin", "its toughness margin Gc(psi)/G (typical Gc)", "-", "higher", ".3g"),
    Metric("probe_avg.passivation_under_pad.min_principal", "passivation S3 under the pad edge (0.4 um mean)",
           "MPa", "none"),
    Metric("zone.ppi.von_mises_mean", "PPI (Cu) von Mises, mean over the outer joint's detail window", "MPa"),
    # the peak sits at the PPI's re-entrant corners and grows with refinement: shown, never ranked
    Metric("zone.ppi.von_mises_max", f"PPI (Cu) von Mises max, outer joint {PEAK}", "MPa", "none"),
)


def variants() -> tuple[Variant, ...]:
    depth = tuple(Variant("flat pad (D1/T1 = 0)" if r == 0 else f"recess D1/T1 = {r:g}",
                          {"recess_depth_ratio": r}, "recess depth") for r in DEPTHS)
    return (depth[2],) + depth[:2] + depth[3:] + (
        Variant("curved recess bottom, D1/T1 = 0.35", {"recess_depth_ratio": 0.35, "recess_bottom": "curved"},
                "recess shape"),
        Variant("no molding, D1/T1 = 0.35", {"recess_depth_ratio": 0.35, "molding": False}, "molding"),
        Variant("prior art: flat pad + UBM", {"recess_depth_ratio": 0.0, "prior_art_ubm": True}, "prior art"),
    )


def answer(records: dict) -> str:
    def life(label):
        return records.get(label, {}).get("metrics", {}).get("critical.life")

    flat, recess = life("flat pad (D1/T1 = 0)"), life("recess D1/T1 = 0.35")
    ubm = life("prior art: flat pad + UBM")
    lines = []
    if flat and recess:
        change = recess / flat - 1
        lines.append(f"The D1/T1 = 0.35 recess {'gains' if change > 0 else 'costs'} {abs(change):.0%} of solder "
                     f"fatigue life against the flat pad ({recess:.3g} vs {flat:.3g} cycles to failure, "
                     f"outer joint, JEDEC G).")
    depth = [(r["parameters"]["recess_depth_ratio"], r["metrics"]["critical.life"]) for r in records.values()
             if r.get("label", "").startswith(("recess D1", "flat pad (D1")) and "critical.life" in r["metrics"]]
    if len(depth) > 2:
        best = max(depth, key=lambda d: d[1])
        lines.append(f"Across D1/T1 = {', '.join(f'{d:g}' for d, _ in sorted(depth))} the life ranges "
                     f"{min(n for _, n in depth):.3g}-{max(n for _, n in depth):.3g} cycles; best at D1/T1 = {best[0]:g}.")
    if ubm and recess:
        lines.append(f"The prior-art UBM joint reaches {ubm:.3g} cycles ({ubm / recess - 1:+.0%} against the recess).")
    stress = {label: r["metrics"].get("probe_avg.recess_corner_polymer.max_principal")
              for label, r in records.items()}
    stress = {k: v for k, v in stress.items() if v is not None}
    if stress:
        worst = max(stress, key=stress.get)
        lines.append(f"The polymer at the recess corner sees at most {stress[worst]:.3g} MPa max principal "
                     f"stress ({worst}).")
    lines += crack_sentences(records)
    return " ".join(lines) or "No variant was solved."


def crack_sentences(records: dict) -> list[str]:
    """G of the recess-corner crack: recess against flat pad, curved against flat bottom."""
    def G(label):
        return records.get(label, {}).get("metrics", {}).get(f"{CRACK}.G")

    flat, recess = G("flat pad (D1/T1 = 0)"), G("recess D1/T1 = 0.35")
    curved = G("curved recess bottom, D1/T1 = 0.35")
    lines = []
    if flat and recess:
        lines.append(f"A {CRACK_UM:g} um polymer/PPI crack at the recess corner has G = {recess:.3g} J/m^2 at "
                     f"D1/T1 = 0.35 against {flat:.3g} on the flat pad: the recess "
                     f"{'raises' if recess > flat else 'lowers'} the delamination driving force by "
                     f"{abs(recess / flat - 1):.0%}" + (f" (curved bottom: {curved:.3g} J/m^2)." if curved else "."))
    margins = [r["metrics"][f"{CRACK}.margin"] for r in records.values() if f"{CRACK}.margin" in r.get("metrics", {})]
    if margins:
        lines.append(f"Its smallest toughness margin Gc(psi)/G is {min(margins):.3g} (typical Cu/polymer toughness).")
    return lines


STUDY = Study(
    name="ppi_recess",
    title="Recessed PPI pad: solder fatigue and polymer stress against recess depth",
    question="Does the recess under the PPI pad, which helps ball placement, cost or gain solder-joint "
             "reliability, what does it do to the polymer and passivation at the recess corners, and does it "
             "raise the delamination risk (G of an interface crack) there?",
    structure="ppi-recess",
    variants=variants(),
    metrics=METRICS,
    answer=answer,
    curves=(Curve("recess depth", "recess_depth_ratio", "recess depth D1/T1 [-]"),),
    contour="max_principal",
    contour_label="max principal stress [MPa]",
    contour_regions=("polymer", "passivation", "ppi", "finish", "solder", "mold"),
    interfaces=("polymer/ppi", "finish/solder", "passivation/polymer"),
    base_parameters={"polymer_thickness": 10.0, "recess_corner_crack": CRACK_UM},
    sources=("US 2014/0374899 (seed 000)",),
    # the molded joints: does a viscoelastic liquid molding compound move the recess against the flat pad?
    compound=CompoundComparison(("recess D1/T1 = 0.35", "flat pad (D1/T1 = 0)")),
)

if __name__ == "__main__":
    sys.exit(main(STUDY))
