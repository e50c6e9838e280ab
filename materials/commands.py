"""`pkgrel materials`: list, inspect and plot library materials."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from fea.errors import InputError

PLOT_T = (-65.0, 150.0)          # degC range of the E and CTE panels
ANAND_T = (-40.0, 25.0, 125.0)   # degC, JEDEC condition G extremes and room temperature
ANAND_RATES = (1e-3, 1e-5)       # 1/s
ANAND_STRAIN = 0.03


def register(subparsers) -> None:
    p = subparsers.add_parser("materials", help="list library materials, or show / plot one",
                              description="List the materials library (name, E and CTE at 25 degC, nu, "
                                          "models, source), or show one material.")
    p.add_argument("name", nargs="?", help="material name or alias (omit to list all)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--plot", metavar="FILE.png", help="draw E(T), CTE(T) and, for solders, Anand curves, for "
                                                      "viscoelastic polymers the relaxation master curve and shift "
                                                      "factor (needs NAME)")
    add_materials_option(p)
    p.set_defaults(func=run)


def add_materials_option(parser) -> None:
    """`--materials FILE` (repeatable): user material files that add to or override the library."""
    parser.add_argument("--materials", metavar="FILE", action="append", default=[],
                        help="TOML material file adding to or overriding the library (repeatable)")


def run(args) -> int:
    import materials

    lib = materials.load_library(args.materials)
    if args.plot and not args.name:
        raise InputError("--plot needs a material NAME (e.g. `pkgrel materials sac305 --plot sac305.png`)")
    mats = [lib.get(args.name)] if args.name else lib.materials()
    if args.json:
        data = [m.to_dict() for m in mats]
        print(json.dumps(data[0] if args.name else data, indent=2))
    else:
        print(format_table(mats))
        if args.name:
            print(format_details(mats[0]))
    if args.plot:
        plot_material(mats[0], Path(args.plot))
        print(f"wrote {args.plot}")
    return 0


def _cte25(mat) -> str:
    try:
        return f"{float(mat.alpha_secant(np.array(25.0))) * 1e6:.2f}"
    except InputError:
        return "n/a"


def summary_row(mat) -> list[str]:
    src = mat.sources()[0]
    return [mat.name, f"{mat.elastic_modulus.at25():.6g}", f"{mat.poisson_ratio.at25():.3g}",
            _cte25(mat), ",".join(mat.models()) or "-", src if len(src) <= 70 else src[:67] + "..."]


def format_table(mats) -> str:
    head = ["name", "E@25C MPa", "nu", "CTE@25C ppm/K", "models", "source (E)"]
    rows = [head] + [summary_row(m) for m in mats]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head) - 1)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1] for r in rows]
    return "\n".join(lines)


def format_details(mat) -> str:
    lines = [f"\n{mat.name}: {mat.description}",
             f"  aliases: {', '.join(mat.aliases) or '-'}",
             f"  stress-free temperature: {mat.stress_free_temperature:g} degC",
             f"  secant CTE reference temperature: {mat.alpha_ref:g} degC ({mat.expansion.kind} data)"]
    if mat.tg is not None:
        lines.append(f"  Tg: {mat.tg:g} degC")
    lines.append("  sources:")
    lines += [f"    - {s}" for s in mat.sources()]
    return "\n".join(lines)


def _plot_range(q, lo: float, hi: float) -> np.ndarray:
    if q.is_table and not q.extrapolate:
        lo, hi = max(lo, q.temps[0]), min(hi, q.temps[-1])
    return np.linspace(lo, hi, 200)


def plot_material(mat, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .anand import stress_strain

    # at least the JEDEC range; wider to show Tg and the stress-free temperature
    lo = PLOT_T[0]
    hi = max(PLOT_T[1], mat.stress_free_temperature, (mat.tg + 40.0) if mat.tg is not None else lo)
    viscoelastic = mat.law("viscoelastic") if "viscoelastic" in mat.models() else None
    panels = 2 + bool(mat.anand) + 2 * bool(viscoelastic)
    fig, axes = plt.subplots(1, panels, figsize=(5.0 * panels, 4.2), constrained_layout=True)
    T = _plot_range(mat.elastic_modulus, lo, hi)
    axes[0].plot(T, mat.E(T) / 1e3, color="C0")
    axes[0].set(xlabel="T (degC)", ylabel="E (GPa)", title=f"{mat.name}: Young's modulus")
    T = _plot_range(mat.expansion.alpha, lo, hi)
    axes[1].plot(T, mat.alpha_secant(T) * 1e6, color="C1", label=f"secant about {mat.alpha_ref:g} degC")
    if mat.expansion.kind == "instantaneous":
        axes[1].plot(T, mat.expansion.alpha(T) * 1e6, "--", color="C2", label="instantaneous (data)")
    axes[1].set(xlabel="T (degC)", ylabel="CTE (ppm/K)", title=f"{mat.name}: thermal expansion")
    axes[1].legend(fontsize=8)
    for ax in axes[:2]:
        if mat.tg is not None:
            ax.axvline(mat.tg, color="grey", lw=0.8, ls=":")
            ax.annotate(f"Tg {mat.tg:g} degC", (mat.tg, 0.02), xycoords=("data", "axes fraction"),
                        ha="right", fontsize=8, color="grey")
        ax.grid(alpha=0.3)
    if mat.anand:
        ax = axes[2]
        for i, T_C in enumerate(ANAND_T):
            for rate, style in zip(ANAND_RATES, ("-", "--")):
                strain, stress = stress_strain(mat.anand, float(mat.E(np.array(T_C))), T_C, rate, ANAND_STRAIN)
                ax.plot(strain * 100, stress, style, color=f"C{i}", label=f"{T_C:g} degC, {rate:g}/s")
        ax.set(xlabel="strain (%)", ylabel="stress (MPa)", title=f"{mat.name}: Anand, constant strain rate")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    if viscoelastic:
        _plot_viscoelastic(mat, viscoelastic, axes[-2], axes[-1], lo, hi)
    try:
        fig.savefig(path, dpi=120)
    except (OSError, ValueError) as exc:
        raise InputError(f"--plot: cannot write '{path}' ({exc})") from None
    finally:
        plt.close(fig)


def _plot_viscoelastic(mat, law, curve_ax, shift_ax, lo: float, hi: float) -> None:
    """The relaxation modulus master curve E(t) at the shift's reference temperature (with its
    glassy and long-term limits) and log10 a_T(T) over the plotted temperatures."""
    from .viscoelastic import relaxation_curve

    t, E = relaxation_curve(law)
    reference = law.shift.reference
    curve_ax.semilogx(t, E / 1e3, color="C3")
    for value, label in ((law.glassy_modulus, "glassy E"), (law.glassy_modulus * law.long_term_fraction,
                                                           "long-term E (1 - sum g)")):
        curve_ax.axhline(value / 1e3, color="grey", lw=0.8, ls=":")
        curve_ax.annotate(label, (t[0], value / 1e3), fontsize=8, color="grey", va="bottom")
    curve_ax.set(xlabel="reduced time t / a_T (s)", ylabel="E(t) (GPa)",
                 title=f"{mat.name}: relaxation master curve at {reference:g} degC")
    pole = reference - law.shift.C2 if law.shift.law == "wlf" else None
    start = lo if pole is None else max(lo, pole + 1.0)
    T = np.linspace(start, hi, 200)
    shift_ax.plot(T, law.shift.log10_shift(T), color="C4", label=f"{law.shift.law.upper()}, Tref {reference:g} degC")
    shift_ax.axvline(reference, color="grey", lw=0.8, ls=":")
    shift_ax.set(xlabel="T (degC)", ylabel="log10 a_T", title=f"{mat.name}: shift factor")
    shift_ax.legend(fontsize=8)
    for ax in (curve_ax, shift_ax):
        ax.grid(alpha=0.3)
