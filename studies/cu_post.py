"""Copper post through a thick polymer (seed 002, wafer-scale package with posts that bend; the
bump-in-polymer of seed 001): how do the post's width, height and metal and the polymer around it
set the post-root stress, the polymer/passivation peel stress and the solder life of the outermost
bump, and does the post really bend like the free cantilever of claim 6?

Variants (package slice, chip centre to edge, six posts at 150 um pitch, 30 um SAC305 bumps on a
25 um projection, soldered to an FR-4 board, JEDEC G cycles):

* baseline: Cu post 50 um wide, 100 um tall, in polyimide;
* post width 25 / 50 / 100 um (seed 002 claim 32: 10-200 um);
* post height = polymer thickness 50 / 100 / 200 um (claims 10, 14: 20-250 um);
* post metal Au and Al (claim 14: copper, gold, solder, aluminium);
* polymer BCB and silicone elastomer (claims 2, 9: polyimide, silicone elastomer, BCB).

The baseline appears once more in the post-height group (same point, computed once) so that both
sweep curves pass through it.

Cantilever check (the ``derive`` hook, metrics ``cantilever.*``), at the plotted state (coldest
point of the last cycle), for the outermost post:

* F: lateral force per unit depth (uN/um) that the bump puts on the post top, the shear traction
  integrated along the post/solder interface (F_x = integral of s_xy dx over the post top);
* delta_fe: the post's lateral tip deflection relative to its root, the width-averaged u_x on the
  post top minus that on the post base, with the rigid rotation of the wafer under the post (the
  slope of u_y along the Si surface in the detail window) taken out: delta = u_x(tip) - u_x(root)
  + theta * L;
* delta_beam = F L^3 / (3 E I): a free cantilever clamped at the post base, loaded at its top by F,
  length L = post height + projection, plane slice I = w^3 / 12 per unit depth, E of the post metal
  from the materials library at 25 degC. Assumptions: Euler-Bernoulli (no shear deflection, which
  adds about 2 (1 + nu) w^2 / (4 k L^2), ~13 % for the 50 x 125 um baseline; no plane-strain
  E' = E / (1 - nu^2), which would lower delta_beam by ~11 % for Cu), a rigid clamp (the Al stud,
  passivation and Si under the root are compliant), straight post (tapered/hourglass use the widest
  width), no load from the polymer: the polymer's restraint and its own thermal push are exactly
  what the ratio measures;
* ratio = delta_fe / delta_beam: 1 for a post that bends freely under the bump force as claim 6
  assumes, near 0 for a post held by the polymer around it, above 1 for a post the polymer drags;
* F_polymer, delta_beam_loaded, ratio_loaded: the polymer's net lateral pull on the post walls (the
  peel traction on the two walls, a distributed load q(a), a from the root) and the same cantilever
  loaded by F and q: delta = [F L^3 / 3 + integral of q a^2 (3 L - a) / 6 da] / (E I). ratio_loaded
  near 1 says the post bends as a beam under the loads the FE model finds; what remains is shear
  deflection and root compliance. (Straight posts only.)

    python -m studies.cu_post [--quick] [--workers N] [--out DIR]
"""
from __future__ import annotations

import functools
import sys

import numpy as np

from .study import Curve, Metric, Study, Variant, main

BASE = {"post_width": 50.0, "post_height": 100.0, "post_material": "cu", "polymer_material": "polyimide"}
BASELINE = "Cu post 50 x 100 um in polyimide"
PEEL = "interface.passivation/polymer.peel_tensile_force"

METRICS = (
    Metric("critical.life", "solder fatigue life, outermost bump (energy law)", "cycles", "higher", ".3g"),
    Metric("critical.dW", "solder dW, worse interface of the outermost bump", "MPa/cycle"),
    Metric("probe_avg.post_base_centre.von_mises", "post root von Mises, base centre (5 um mean)", "MPa"),
    # the tensile peel integrated along the interface in the detail window (MPa um = N/m per unit
    # depth): it converges under refinement; the peak at the post-edge corner does not
    Metric(PEEL, "tensile peel resultant, polymer on passivation (detail window)", "N/m"),
    Metric("interface.passivation/polymer.peel_max", "peel stress max, polymer on passivation (mesh-dependent peak)",
           "MPa", "none"),
    Metric("cantilever.delta_fe", "post tip deflection relative to its root (FE)", "um", "none", ".3g"),
    Metric("cantilever.delta_beam", "free-cantilever tip deflection F L^3 / 3EI", "um", "none", ".3g"),
    Metric("cantilever.ratio", "FE over free-cantilever deflection (bump force only)", "-", "none", ".3g"),
    Metric("cantilever.ratio_loaded", "FE over cantilever loaded by bump and polymer", "-", "none", ".3g"),
)


def variants() -> tuple[Variant, ...]:
    def v(label, group, **changes):
        return Variant(label, {**BASE, **changes}, group)

    return (
        v(BASELINE, "post width"),
        v("post width 25 um", "post width", post_width=25.0),
        v("post width 100 um", "post width", post_width=100.0),
        v("post height 50 um", "post height", post_height=50.0),
        v("post height 100 um (baseline)", "post height"),
        v("post height 200 um", "post height", post_height=200.0),
        v("Au post", "post metal", post_material="au"),
        v("Al post", "post metal", post_material="al"),
        v("BCB polymer", "polymer", polymer_material="bcb"),
        v("silicone elastomer polymer", "polymer", polymer_material="silicone"),
    )


@functools.lru_cache(maxsize=None)
def _modulus(material: str) -> float:
    from materials import load_library
    return float(load_library().get(material).E(25.0))


def _width_mean(x: np.ndarray, values: np.ndarray) -> float:
    order = np.argsort(x)
    x, values = x[order], values[order]
    if x[-1] - x[0] <= 0:
        return float(values.mean())
    return float(np.trapezoid(values, x) / (x[-1] - x[0]))


def cantilever(record: dict) -> dict:
    """Lateral force, FE tip deflection and free-cantilever deflection of the outermost post."""
    p = record.get("parameters") or {}
    path = (record.get("files") or {}).get("fields.npz")
    if path is None or not p.get("solder_bump", False):
        return {}
    try:
        data = np.load(path)
    except OSError:
        return {}
    names = [str(n) for n in data["region_names"]]
    if "post" not in names or "substrate" not in names:
        return {}
    r = p["post_width"] / 2
    xo = (p["joint_count"] - 0.5) * p["pitch"]
    y0 = p["passivation_thickness"]
    y2 = y0 + p["post_height"] + p["post_projection"]
    L = y2 - y0
    tol = 1e-3
    pts, u, tri, reg = data["points"], data["displacement"], data["triangles"], data["region"]

    def nodes(region):
        return np.unique(tri[reg == names.index(region)].ravel())

    post = nodes("post")
    x, y = pts[post, 0], pts[post, 1]
    on_post = np.abs(x - xo) <= r + tol
    base = post[on_post & (np.abs(y - y0) < tol)]
    tip = post[on_post & (np.abs(y - y2) < tol)]
    si = nodes("substrate")
    si = si[np.abs(pts[si, 1]) < tol]
    if base.size < 3 or tip.size < 3 or si.size < 3:
        return {}
    theta = float(np.polyfit(pts[si, 0], u[si, 1], 1)[0])   # rigid rotation of the wafer under the post
    delta_fe = _width_mean(pts[tip, 0], u[tip, 0]) - _width_mean(pts[base, 0], u[base, 0]) + theta * L
    out = {"cantilever.delta_fe": delta_fe, "cantilever.root_rotation": theta}
    curve = record.get("interfaces", {}).get("post/solder") or record.get("interfaces", {}).get("solder/post")
    if curve is None:
        return out
    cx, cy, shear = (np.asarray(curve[k], dtype=float) for k in ("x", "y", "shear"))
    top = (np.abs(cx - xo) <= r + tol) & (np.abs(cy - y2) < 0.01 * L + tol)
    if top.sum() < 3:
        return out
    order = np.argsort(cx[top])
    force = float(np.trapezoid(shear[top][order], cx[top][order]))   # s_xy on the post top: force on the post
    E = _modulus(record.get("materials", {}).get("post", p.get("post_material", "cu")))
    EI = E * (2 * r) ** 3 / 12
    delta_beam = force * L ** 3 / (3 * EI)
    out.update({"cantilever.F": force, "cantilever.delta_beam": delta_beam,
                "cantilever.root_bending_stress": 6 * force * L / (2 * r) ** 2})
    if abs(delta_beam) > 1e-12:
        out["cantilever.ratio"] = delta_fe / delta_beam
    # the polymer's pull on the (straight) post walls as a distributed load q(a), a from the root:
    # tip deflection of a cantilever under q is the integral of q a^2 (3L - a) / (6 EI)
    walls = record.get("interfaces", {}).get("polymer/post") or record.get("interfaces", {}).get("post/polymer")
    if walls is None or p.get("via_profile") != "straight":
        return out
    wx, wy, peel = (np.asarray(walls[k], dtype=float) for k in ("x", "y", "peel"))
    f_polymer, d_polymer = 0.0, 0.0
    for side in (1.0, -1.0):   # the wall's peel pulls the post towards the polymer on that side
        on = np.abs(wx - (xo + side * r)) < tol
        if on.sum() < 3:
            return out
        order = np.argsort(wy[on])
        a, q = wy[on][order] - y0, side * peel[on][order]
        f_polymer += float(np.trapezoid(q, a))
        d_polymer += float(np.trapezoid(q * a ** 2 * (3 * L - a) / 6, a)) / EI
    loaded = delta_beam + d_polymer
    out.update({"cantilever.F_polymer": f_polymer, "cantilever.delta_beam_loaded": loaded})
    if abs(loaded) > 1e-12:
        out["cantilever.ratio_loaded"] = delta_fe / loaded
    return out


def answer(records: dict) -> str:
    def spread(key):
        values = {label: r["metrics"][key] for label, r in records.items() if key in r["metrics"]}
        if not values:
            return None
        return min(values, key=values.get), max(values, key=values.get), values

    lines = []
    life = spread("critical.life")
    if life:
        worst, best, values = life
        base = values.get(BASELINE)
        lines.append(f"Outermost-bump solder life ranges {values[worst]:.3g} ({worst}) to {values[best]:.3g} cycles "
                     f"({best})" + (f"; the baseline Cu post reaches {base:.3g}." if base else "."))
    root, peel = spread("probe_avg.post_base_centre.von_mises"), spread(PEEL)
    if root and peel:
        lines.append(f"Post-root von Mises (5 um mean) spans {root[2][root[0]]:.3g}-{root[2][root[1]]:.3g} MPa "
                     f"(highest: {root[1]}) and the tensile peel pulling the polymer off the passivation "
                     f"(integrated over the detail window) spans {peel[2][peel[0]]:.3g}-{peel[2][peel[1]]:.3g} N/m "
                     f"(highest: {peel[1]}).")
    b = records.get(BASELINE, {}).get("metrics", {})
    if "cantilever.ratio" in b:
        ratio = b["cantilever.ratio"]
        if abs(ratio) < 0.8:
            verdict = "the polyimide restrains it below free-cantilever bending"
        elif abs(ratio) <= 1.25:
            verdict = "it bends about like the free cantilever of claim 6"
        else:
            verdict = "it bends more than a free cantilever, so the polyimide drags the post rather than restrains it"
        lines.append(f"The baseline post tip moves {b['cantilever.delta_fe']:.3g} um relative to its root against "
                     f"{b['cantilever.delta_beam']:.3g} um for a free cantilever under the bump's lateral force "
                     f"alone ({b.get('cantilever.F', float('nan')):.3g} uN/um), {ratio:.2g} times: {verdict}.")
    extra = []
    if "cantilever.ratio_loaded" in b and b.get("cantilever.F"):
        shape = sorted(((r["parameters"]["post_height"] + r["parameters"]["post_projection"])
                        / r["parameters"]["post_width"], r["metrics"]["cantilever.ratio_loaded"])
                       for r in records.values() if "cantilever.ratio_loaded" in r["metrics"])
        (stubby, r_stubby), (slender, r_slender) = shape[0], shape[-1]
        extra.append(f"the polyimide pulls the post walls with {b['cantilever.F_polymer'] / b['cantilever.F']:.2g} "
                     f"times the bump force, and a cantilever under both loads predicts "
                     f"{b['cantilever.delta_beam_loaded']:.3g} um (FE/beam {b['cantilever.ratio_loaded']:.2g}; "
                     + (f"{r_stubby:.2g} for the stubbiest post, L/w = {stubby:.2g}, {r_slender:.2g} for the most "
                        f"slender, L/w = {slender:.2g}: shear deflection and root compliance, which the beam ignores, "
                        f"grow as the post gets stubbier)" if len(shape) > 2 else
                        "the rest is shear deflection and root compliance)"))
    soft = records.get("silicone elastomer polymer", {}).get("metrics", {})
    if "cantilever.ratio" in soft:
        extra.append(f"in silicone elastomer, which pulls {abs(soft.get('cantilever.F_polymer', 0.0)):.2g} uN/um, "
                     f"FE/free cantilever is {soft['cantilever.ratio']:.2g}")
    if extra:
        text = "; ".join(extra)
        lines.append(text[0].upper() + text[1:] + ".")
    return " ".join(lines) or "No variant was solved."


STUDY = Study(
    name="cu_post",
    title="Cu post through polymer: post stress, polymer peel, bump life and cantilever bending",
    question="How do post width, post height, post metal and the polymer (polyimide, BCB, silicone) change "
             "the post-root stress, the polymer/passivation peel stress and the outermost bump's solder life, "
             "and how close is the embedded post to the free cantilever of the patent's claim 6?",
    structure="cu-post",
    variants=variants(),
    metrics=METRICS,
    answer=answer,
    curves=(Curve("post width", "post_width", "post width [um]"),
            Curve("post height", "post_height", "post height = polymer thickness [um]")),
    contour="von_mises",
    contour_label="von Mises stress [MPa]",
    contour_regions=("post", "pad", "passivation", "polymer", "solder", "substrate"),
    interfaces=("passivation/polymer", "polymer/post", "post/solder", "pad/post"),
    sources=("seed 002 (wafer-scale package with posts that bend, claims 2, 6, 9, 10, 14, 32)",
             "US 2018/0158746 (seed 001), bump in polymer"),
    derive=cantilever,
)

if __name__ == "__main__":
    sys.exit(main(STUDY))
