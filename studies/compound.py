"""Elastic against viscoelastic molding compounds in a design study.

The library's compounds (emc, lmc, underfill) are elastic in every study, with a step in E(T) at
Tg. Their Prony series and WLF shift (materials/data, docs/viscoelasticity.md) make them linear
viscoelastic: `viscoelastic_compounds` gives a model whose compound regions take
``{ base = NAME, viscoelastic = "library" }``. A study with a `CompoundComparison` solves its
compared variants both ways:

* the assembly under the study's cycles: how much the critical joint's solder life and dW move;
* the package (the assembly without board or second substrate, `geometry` level "package")
  through its derived process from ``process_start`` and a J-STD-020 reflow profile, with the
  warpage of its ``bottom`` face recorded at every step (`fea.warpage`): the curve over the
  profile, heating and cooling, that engineers hold against shadow-moire data.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

#: a reflow warpage run: the package through its derived process from 250 degC (the polyimide
#: cure; every other layer forms as the cool-down passes its stress-free temperature), then one
#: J-STD-020 lead-free reflow pass (peak 260 degC), the bottom face's warpage at every step
REFLOW_LOAD = {"profile": "reflow", "warpage": "bottom", "process_start": 250.0}


def is_compound(material) -> bool:
    """A library material with viscoelastic data (the molding compounds and the underfill)."""
    return getattr(material, "viscoelastic", None) is not None


def viscoelastic_twin(material, library=None):
    """The material with its library Prony series and shift as its law:
    ``{ base = NAME, viscoelastic = "library" }``."""
    from materials import default_library, from_inline
    return from_inline(material.name, {"base": material.name, "viscoelastic": "library"},
                       library or default_library())


def viscoelastic_compounds(model, library=None):
    """The model with every compound region viscoelastic (the other regions' materials as they are)."""
    twins = {}
    materials = {}
    for region, material in model.materials.items():
        if is_compound(material):
            twins.setdefault(material.name, viscoelastic_twin(material, library))
            materials[region] = twins[material.name]
        else:
            materials[region] = material
    return replace(model, materials=materials)


@dataclass(frozen=True)
class CompoundComparison:
    """Variants (labels of the study's, the first one's package also through a reflow profile)
    solved with elastic and with viscoelastic compounds."""
    variants: tuple[str, ...]
    reflow_load: dict | None = None            # default REFLOW_LOAD

    def assembly_points(self, study, quick: bool) -> list:
        """Per compared variant its study point (elastic compounds) and the viscoelastic twin."""
        by_label = {p.label: p for p in study.points(quick)}
        missing = [label for label in self.variants if label not in by_label]
        if missing:
            raise ValueError(f"compound comparison: {', '.join(missing)} is not a variant of {study.name}")
        return [replace(by_label[label], label=f"{label} ({compounds} compounds)", compounds=compounds)
                for label in self.variants for compounds in ("elastic", "viscoelastic")]

    def package_points(self, study, quick: bool) -> list:
        """The first compared variant's package through the reflow profile, both compounds."""
        base = next(p for p in study.points(quick) if p.label == self.variants[0])
        load = dict(self.reflow_load or REFLOW_LOAD)
        return [replace(base, level="package", load=load, compounds=compounds,
                        label=f"{base.label}, package, reflow ({compounds} compounds)")
                for compounds in ("elastic", "viscoelastic")]

    def points(self, study, quick: bool) -> list:
        return self.assembly_points(study, quick) + self.package_points(study, quick)


# ---------------------------------------------------------------------------- the numbers

COMPOUNDS = ("elastic", "viscoelastic")
#: the sign convention of `fea.warpage`, as the report states it
SIGN = ("positive: the package edge above its centre, toward the balls (concave seen from the balls, a "
        "'smile' in a dead-bug shadow-moire view); negative: the edge below the centre (convex, 'cry')")


def summarise(comparison: CompoundComparison, records: list[dict]) -> dict:
    """The comparison's numbers from its records (in `CompoundComparison.points` order): per
    variant the critical joint's life and dW with both compounds and their relative change; the
    package's reflow warpage curves and warpage at 25 degC before, at the peak and after."""
    n = 2 * len(comparison.variants)
    assembly, package = records[:n], records[n:n + 2]
    variants = []
    for label, pair in zip(comparison.variants, zip(assembly[::2], assembly[1::2])):
        entry = {"label": label}
        for compounds, record in zip(COMPOUNDS, pair):
            entry[compounds] = _life_and_dW(record)
        for key in ("life", "dW"):
            a, b = entry["elastic"].get(key), entry["viscoelastic"].get(key)
            entry[f"{key}_change"] = b / a - 1.0 if a and b is not None else None
        variants.append(entry)
    warpage = {"label": comparison.variants[0], "sign": SIGN, "curves": {}, "values": {}, "errors": {}}
    for compounds, record in zip(COMPOUNDS, package):
        curve = reflow_curve(record.get("warpage") or {}) if record.get("status") == "ok" else None
        if curve is None:
            warpage["errors"][compounds] = record.get("error", "no warpage recorded")
            continue
        warpage["curves"][compounds] = curve
        warpage["values"][compounds] = curve_values(curve)
    if len(warpage["values"]) == 2:
        e, v = warpage["values"]["elastic"], warpage["values"]["viscoelastic"]
        warpage["change_um"] = {key: v[key] - e[key] for key in ("before", "peak", "after")}
    return {"variants": variants, "warpage": warpage}


def _life_and_dW(record: dict) -> dict:
    if record.get("status") != "ok":
        return {"error": record.get("error", "not solved")}
    metrics = record["metrics"]
    return {"life": metrics.get("critical.life"), "dW": metrics.get("critical.dW")}


def reflow_curve(warpage: dict) -> dict | None:
    """The reflow pass of a recorded warpage history (its cycle 1, from the last step before it:
    the package at the end of its process): time, temperature and warpage of the heating branch
    (up to the first step at the peak temperature) and of the cooling branch (from the last)."""
    cycle = np.asarray(warpage.get("cycle", []))
    if not np.any(cycle >= 1):
        return None
    keep = np.flatnonzero(cycle >= 1)
    if keep[0] > 0:
        keep = np.concatenate([[keep[0] - 1], keep])
    t, T, w = (np.asarray(warpage[key], dtype=float)[keep] for key in ("time", "temperature", "warpage_um"))
    at_peak = np.flatnonzero(T >= T.max() - 1e-9)
    heat, cool = slice(0, at_peak[0] + 1), slice(at_peak[-1], None)
    return {"surface": warpage.get("surface"),
            "heating": {"time": t[heat].tolist(), "temperature": T[heat].tolist(), "warpage_um": w[heat].tolist()},
            "cooling": {"time": t[cool].tolist(), "temperature": T[cool].tolist(), "warpage_um": w[cool].tolist()}}


def curve_values(curve: dict) -> dict:
    """Warpage (um) at the start of the pass (25 degC, after the process), at the peak and at its end."""
    heat, cool = curve["heating"], curve["cooling"]
    return {"before": heat["warpage_um"][0], "peak": heat["warpage_um"][-1], "after": cool["warpage_um"][-1],
            "T_before": heat["temperature"][0], "T_peak": heat["temperature"][-1], "T_after": cool["temperature"][-1]}


def sentence(summary: dict) -> str:
    """How much the lives and the warpage move with viscoelastic compounds, in words."""
    parts = []
    for entry in summary["variants"]:
        e, v = entry["elastic"], entry["viscoelastic"]
        if entry.get("life_change") is not None:
            dW = (f"; dW {e['dW']:.4g} -> {v['dW']:.4g} MPa/cycle ({entry['dW_change']:+.2%})"
                  if entry.get("dW_change") is not None else "")
            parts.append(f"{entry['label']}: solder life {e['life']:.4g} -> {v['life']:.4g} cycles "
                         f"({entry['life_change']:+.2%}){dW}")
    text = ("With viscoelastic compounds (library Prony series and WLF shift) instead of elastic ones: "
            + "; ".join(parts) + "." if parts else "")
    warpage = summary["warpage"]
    change = warpage.get("change_um")
    if change is not None:
        e, v = warpage["values"]["elastic"], warpage["values"]["viscoelastic"]
        text += (f" Package warpage through the reflow profile ({warpage['label']}): at "
                 f"{e['T_before']:.0f} degC before reflow {e['before']:+.3g} -> {v['before']:+.3g} um "
                 f"({change['before']:+.3g} um), at the {e['T_peak']:.0f} degC peak {e['peak']:+.3g} -> "
                 f"{v['peak']:+.3g} um ({change['peak']:+.3g} um), at {e['T_after']:.0f} degC after reflow "
                 f"{e['after']:+.3g} -> {v['after']:+.3g} um ({change['after']:+.3g} um).")
    return text.strip()


# ---------------------------------------------------------------------------- the report

BRANCH_STYLE = {"heating": "-", "cooling": "--"}


def warpage_figure(warpage: dict):
    """Warpage against temperature (left) and time (right) over the reflow profile, heating
    (solid) and cooling (dashed), elastic and viscoelastic compounds; the sign convention under it."""
    from matplotlib.figure import Figure

    from .report import WIDTH, wrapped

    fig = Figure(figsize=(WIDTH, 5.2), layout="constrained")
    by_temperature, by_time = fig.subplots(1, 2)
    t0 = min(c["heating"]["time"][0] for c in warpage["curves"].values())
    for k, (compounds, curve) in enumerate(warpage["curves"].items()):
        for branch, style in BRANCH_STYLE.items():
            b = curve[branch]
            label = f"{compounds} compounds, {branch}"
            by_temperature.plot(b["temperature"], b["warpage_um"], style, color=f"C{k}", lw=1.5, label=label)
            by_time.plot(np.asarray(b["time"]) - t0, b["warpage_um"], style, color=f"C{k}", lw=1.5)
    for ax in (by_temperature, by_time):
        ax.axhline(0.0, color="#888", lw=0.8)
        ax.set_ylabel("signed warpage [um]")
        ax.grid(alpha=0.3)
    by_temperature.set_xlabel("temperature [degC]")
    by_time.set_xlabel("time from the start of the reflow pass [s]")
    by_temperature.set_title("warpage against temperature")
    by_time.set_title("warpage over the profile")
    fig.legend(loc="outside lower center", ncols=2, frameon=False)
    fig.suptitle(wrapped(f"Sign: {warpage['sign']}", WIDTH, 10), fontsize=10)
    return fig


def compound_section(run, out) -> str:
    """The report section: the numbers, a table per compared variant and the warpage figure."""
    summary = getattr(run, "compound", None)
    if not summary:
        return ""
    from .report import esc, figure_html, fmt, table_html

    header = ["variant", "life, elastic [cycles]", "life, viscoelastic [cycles]", "life change",
              "dW, elastic [MPa/cycle]", "dW, viscoelastic [MPa/cycle]", "dW change"]
    rows = []
    for entry in summary["variants"]:
        e, v = entry["elastic"], entry["viscoelastic"]
        rows.append([esc(entry["label"]), esc(fmt(e.get("life"), ".4g")), esc(fmt(v.get("life"), ".4g")),
                     esc(_percent(entry.get("life_change"))), esc(fmt(e.get("dW"), ".4g")),
                     esc(fmt(v.get("dW"), ".4g")), esc(_percent(entry.get("dW_change")))])
    parts = ["<h2>Compounds: elastic or viscoelastic</h2>",
             f"<p>{esc(sentence(summary))}</p>",
             table_html(header, rows, numeric={1, 2, 3, 4, 5, 6}),
             '<p class="note">Life and dW of the critical joint (worse Darveaux layer), the study\'s cycles, '
             "the same mesh; elastic: the library's E(T) with its step at Tg; viscoelastic: its Prony series "
             "and WLF shift (typical values, docs/viscoelasticity.md).</p>"]
    warpage = summary["warpage"]
    if warpage["curves"]:
        uri = out.save(warpage_figure(warpage), "warpage_reflow.png")
        parts.append(figure_html(uri, "warpage over the reflow profile",
                                 f"{warpage['label']}: the package without its board, through its process "
                                 f"and a J-STD-020 lead-free reflow profile; signed warpage of the "
                                 f"{warpage['curves'][next(iter(warpage['curves']))]['surface']} face "
                                 f"(coplanarity with the sign of the edge against the centre). Sign: "
                                 f"{warpage['sign']}."))
        header = ["compounds", "before reflow [um]", "at the peak [um]", "after reflow [um]"]
        rows = [[esc(c), *(esc(f"{warpage['values'][c][key]:+.4g}") for key in ("before", "peak", "after"))]
                for c in warpage["values"]]
        parts.append(table_html(header, rows, numeric={1, 2, 3}))
    for compounds, error in warpage["errors"].items():
        parts.append(f'<p class="warn">Reflow warpage with {esc(compounds)} compounds: {esc(error)}</p>')
    return "\n".join(parts)


def _percent(value) -> str:
    return "" if value is None else f"{value:+.2%}"


def compound_note(run) -> str:
    """The comparison's numbers under the answer ("" without a comparison)."""
    summary = getattr(run, "compound", None)
    text = sentence(summary) if summary else ""
    if not text:
        return ""
    from .report import esc
    return f'<p><b>Compounds:</b> {esc(text)} (section "Compounds: elastic or viscoelastic").</p>'
