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

Every variant carries pre-cracks at the outer joint: 10 um on the molding/die interface from the
pad corner (or the air gap's edge, or the wetting solder's foot) outward, and 3 um on the
molding/pad interface from the solder contact edge along the pad top (not where the solder covers
the pad). Their energy release rates G at the cold and hot extremes of the last cycle compare the
delamination driving force with and without pad-sidewall contact and with the concave top (G
converges under refinement and may rank); the peel resultants on those interfaces are those of
the cracked interfaces.

    python -m studies.molded_joint [--quick] [--workers N] [--out DIR]
"""
from __future__ import annotations

import sys

from .compound import CompoundComparison
from .study import Curve, Metric, Study, Variant, main

FRACTIONS = (0.2, 0.35, 0.5, 0.7)
#: pre-crack lengths (um) on the molding/die and molding/pad interfaces of the outer joint
CRACKS_UM = {"mold_substrate": 10.0, "mold_pad": 3.0}
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
    Metric("crack.mold_substrate.G", "G of a 10 um molding/die crack at the pad corner (worse extreme)", "J/m^2"),
    Metric("crack.mold_pad.G", "G of a 3 um molding/pad crack at the solder contact edge (worse extreme)",
           "J/m^2"),
    Metric("crack.mold_substrate.phase_angle_deg", "molding/die crack phase angle at 1 um", "deg", "none", ".3g"),
    Metric("crack.mold_substrate.margin", "molding/die crack margin Gc(psi)/G (typical Gc)", "-", "higher", ".3g"),
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


def cracked(variants: tuple[Variant, ...]) -> tuple[Variant, ...]:
    """The variants with the pre-cracks (no molding/pad crack where the solder covers the pad)."""
    def lengths(parameters):
        wets = parameters.get("solder_wets_pad_sidewalls", False)
        return {"mold_substrate_crack": CRACKS_UM["mold_substrate"],
                "mold_pad_crack": 0.0 if wets else CRACKS_UM["mold_pad"]}
    return tuple(Variant(v.label, {**lengths(v.parameters), **v.parameters}, v.group, v.structure) for v in variants)


def crack_sentences(records: dict) -> list[str]:
    """G on the molding/die interface: pad-sidewall contact and concave top against the baseline."""
    def G(label, crack="mold_substrate"):
        return records.get(label, {}).get("metrics", {}).get(f"crack.{crack}.G")

    base, gap = G(BASELINE), G("solder on pad top, molding gap at the pad sidewalls")
    concave, wet = G("concave molding top"), G("solder wets the pad sidewalls")
    parts = [f"{text} {value:.3g}" for text, value in (("with the molding gap at the pad sidewalls", gap),
                                                         ("with the concave top", concave),
                                                         ("with the solder wetting the pad sidewalls", wet))
             if value is not None]
    if base is None:
        return []
    line = (f"A 10 um molding/die crack at the pad corner has G = {base:.3g} J/m^2 with the molding on the pad "
            f"sidewalls" + (f", {', '.join(parts)} J/m^2" if parts else "") + ".")
    pad = G(BASELINE, "mold_pad")
    return [line] + ([f"A 3 um molding/pad crack at the solder contact edge: G = {pad:.3g} J/m^2."] if pad else [])


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
    lines += crack_sentences(records)
    return " ".join(lines) or "No variant was solved."


STUDY = Study(
    name="molded_joint",
    title="Molded fine-pitch joint: molding height, pad-sidewall wetting and molding top",
    question="How high must the molding reach up the joint, should the solder wet the pad sidewalls, and "
             "does a concave molding top help the solder fatigue life and the molding interfaces?",
    structure="molded-joint",
    variants=cracked(variants()),
    metrics=METRICS,
    answer=answer,
    curves=(Curve("molding fraction", "molding_height_ratio", "molding height / joint height [-]"),),
    contour="eps_eq_in",
    contour_label="accumulated equivalent inelastic strain [-]",
    contour_regions=("solder", "pad", "land", "mold"),
    interfaces=("mold/solder", "mold/pad", "mold/substrate", "pad/solder"),
    sources=("US 9,263,839 (seed 003): [0028], [0036]-[0037], claims 12, 17",),
    compound=CompoundComparison((BASELINE,)),
)

if __name__ == "__main__":
    sys.exit(main(STUDY))
