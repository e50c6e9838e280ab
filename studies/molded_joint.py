"""Molded fine-pitch joint (US 9,263,839): how much molding does the joint need, should the solder
wet the pad sidewalls, and does a concave molding top help?

Variants (package slice, five SAC305 joints 240 um tall and wide at 350 um pitch between a Si die
and a BT second substrate, EMC molding, JEDEC G cycles):

* molding height over joint height 0.2 / 0.35 / 0.5 (baseline) / 0.7 ([0037]: at least about half
  the joint height). The unmolded joint (fraction 0) is not a variant: the builder always moulds the
  pad (its lower bound 0.2 keeps the molding above the pad).
* solder wetting the pad sidewalls ([0028] avoids it in the preferred embodiment); the molding then
  cannot touch the pad sidewalls (claim 17), so the fair reference is the next variant:
* solder on the pad top only, molding leaving a 5 um gap around the pad sidewalls (claim 17 off);
* concave molding top, a 25 um meniscus rising against the joint (claim 12).

Metrics: solder dW of the outermost joint in Darveaux layers at the pad neck (die side) and the
board-side land, the fatigue life of the worse one, and the tensile peel along the molding's
interfaces with the solder, the pad and the die, integrated over the detail window (a resultant:
the peel peaks at the triple junctions grow with refinement and are shown for information only).

    python -m studies.molded_joint [--quick] [--workers N] [--out DIR]
"""
from __future__ import annotations

import sys

from .study import Curve, Metric, Study, Variant, main

FRACTIONS = (0.2, 0.35, 0.5, 0.7)
BASELINE = "molding 0.5 of the joint height"
PEEL = {name: f"interface.{name}.peel_tensile_force" for name in ("mold/solder", "mold/pad", "mold/substrate")}

METRICS = (
    Metric("critical.life", "solder fatigue life, outermost joint (energy law)", "cycles", "higher", ".3g"),
    Metric("pad_layer.dW", "solder dW at the pad neck (Darveaux layer)", "MPa/cycle"),
    Metric("land_layer.dW", "solder dW at the land (Darveaux layer)", "MPa/cycle"),
    # tensile peel integrated along each molding interface in the detail window (MPa um = N/m per
    # unit depth): resultants converge under refinement, the peaks at the triple junctions do not
    Metric(PEEL["mold/solder"], "tensile peel resultant, molding on solder", "N/m"),
    Metric(PEEL["mold/pad"], "tensile peel resultant, molding on pad", "N/m"),
    Metric(PEEL["mold/substrate"], "tensile peel resultant, molding on die", "N/m"),
    Metric("interface.mold/solder.peel_max", "peel stress max, molding on solder (mesh-dependent peak)", "MPa",
           "none"),
    Metric("probe_avg.solder_at_mold_top.von_mises", "solder von Mises where it leaves the molding (5 um mean)",
           "MPa"),
)


def variants() -> tuple[Variant, ...]:
    fraction = {f: Variant(BASELINE if f == 0.5 else f"molding {f:g} of the joint height",
                           {"molding_height_ratio": f}, "molding fraction") for f in FRACTIONS}
    return (fraction[0.5],) + tuple(fraction[f] for f in FRACTIONS if f != 0.5) + (
        Variant("solder wets the pad sidewalls", {"molding_height_ratio": 0.5, "solder_wets_pad_sidewalls": True,
                                                  "molding_touches_pad_sidewalls": False}, "pad sidewalls"),
        Variant("solder on pad top, molding gap at the pad sidewalls",
                {"molding_height_ratio": 0.5, "molding_touches_pad_sidewalls": False}, "pad sidewalls"),
        Variant("concave molding top", {"molding_height_ratio": 0.5, "concave_molding_top": True}, "molding top"),
    )


def answer(records: dict) -> str:
    def m(label, key):
        return records.get(label, {}).get("metrics", {}).get(key)

    def dw_range(key):
        values = [c[key] for _, c in curve if key in c]
        return f"{min(values):.3g}-{max(values):.3g}" if values else "n/a"

    lines = []
    curve = sorted((r["parameters"]["molding_height_ratio"], r["metrics"]) for r in records.values()
                   if r.get("label", "").startswith("molding ") and "critical.life" in r["metrics"])
    if len(curve) > 1:
        lives = [c["critical.life"] for _, c in curve]
        best = max(curve, key=lambda c: c[1]["critical.life"])
        pad, land = dw_range("pad_layer.dW"), dw_range("land_layer.dW")
        lines.append(f"At molding heights of {'/'.join(f'{f:g}' for f, _ in curve)} of the joint height the "
                     f"outermost joint lives {'/'.join(f'{n:.0f}' for n in lives)} cycles, a "
                     f"{max(lives) / min(lives) - 1:.0%} spread (best {best[0]:g}); dW is {pad} MPa/cycle at "
                     f"the pad neck and {land} at the land.")
    wet = m("solder wets the pad sidewalls", "critical.life")
    gap = m("solder on pad top, molding gap at the pad sidewalls", "critical.life")
    base, concave = m(BASELINE, "critical.life"), m("concave molding top", "critical.life")
    parts = []
    if wet and gap:
        parts.append(f"solder wetting the pad sidewalls gives {wet:.0f} cycles against {gap:.0f} with the solder "
                     f"kept on the pad top and the same molding gap ({wet / gap - 1:+.0%})")
    if concave and base:
        parts.append(f"a concave molding top changes the life by {concave / base - 1:+.0%} ({concave:.0f} against "
                     f"{base:.0f} cycles)")
    if parts:
        text = "; ".join(parts)
        lines.append(text[0].upper() + text[1:] + ".")
    peel = [(r["metrics"][key], name, label) for label, r in records.items()
            for name, key in PEEL.items() if key in r["metrics"]]
    if peel:
        value, name, label = max(peel)
        solder = sorted((r["metrics"][PEEL["mold/solder"]], label) for label, r in records.items()
                        if PEEL["mold/solder"] in r["metrics"])
        lines.append(f"The largest tensile peel resultant on a molding interface (peel integrated over the detail "
                     f"window) is {value:.3g} N/m on {name} ({label})"
                     + (f"; on the solder it ranges {solder[0][0]:.3g} ({solder[0][1]}) to {solder[-1][0]:.3g} N/m "
                        f"({solder[-1][1]})." if len(solder) > 1 else "."))
    return " ".join(lines) or "No variant was solved."


STUDY = Study(
    name="molded_joint",
    title="Molded fine-pitch joint: molding height, pad-sidewall wetting and molding top",
    question="How high must the molding reach up the joint, should the solder wet the pad sidewalls, and "
             "does a concave molding top help the solder fatigue life and the molding interfaces?",
    structure="molded-joint",
    variants=variants(),
    metrics=METRICS,
    answer=answer,
    curves=(Curve("molding fraction", "molding_height_ratio", "molding height / joint height [-]"),),
    contour="eps_eq_in",
    contour_label="accumulated equivalent inelastic strain [-]",
    contour_regions=("solder", "pad", "land", "mold"),
    interfaces=("mold/solder", "mold/pad", "mold/substrate", "pad/solder"),
    sources=("US 9,263,839 (seed 003): [0028], [0036]-[0037], claims 12, 17",),
)

if __name__ == "__main__":
    sys.exit(main(STUDY))
