"""The report section on interface pre-cracks: the energy release rate G and the phase angle psi
of every design's pre-cracks on one scale each (at the cold and hot extremes of the last cycle for
cycled points), and a table with the interface toughness Gc(psi) and the margin Gc / G.

G comes from the virtual crack closure technique (`fea.crack`); it is a fracture quantity that
converges under mesh refinement, unlike the stress peak at the uncracked corner, so it may rank
designs. With inelastic material at the tip a cycled G is the closure value of the stress state at
that instant, not a path-independent J.
"""
from __future__ import annotations

import numpy as np

#: the states of a cycled point, as summary.json names them, and how they are drawn
STATES = (("cold", "#1f77b4", "cold extreme"), ("hot", "#d62728", "hot extreme"))


def crack_rows(records: list[dict]) -> list[tuple[str, str, dict]]:
    """(variant label, crack name, crack entry) of every crack of every record that has one."""
    return [(r["label"], name, c) for r in records for name, c in (r.get("cracks") or {}).items()]


def states_of(entry: dict) -> list[tuple[str, float, float, str, str]]:
    """(state, G, psi, colour, legend) per state of one crack: cold and hot of a cycled point, or
    the one thermoelastic state."""
    if "G_cold" in entry:
        return [(state, entry[f"G_{state}"], entry[f"phase_angle_{state}_deg"], colour, legend)
                for state, colour, legend in STATES if f"G_{state}" in entry]
    return [("state", entry["G"], entry["phase_angle_deg"], "#7f7f7f", "thermoelastic state")]


def crack_figure(rows: list[tuple[str, str, dict]]):
    """G (left) and phase angle (right) per design and crack, one scale each."""
    from matplotlib.figure import Figure

    from .report import WIDTH, wrapped

    labels = [wrapped(f"{label}: {name}", 3.0, 9) for label, name, _ in rows]
    lines = sum(text.count("\n") + 1 for text in labels)
    fig = Figure(figsize=(WIDTH, 0.32 * lines + 1.8), layout="constrained")
    g_ax, psi_ax = fig.subplots(1, 2, sharey=True)
    y = np.arange(len(rows))
    seen = set()
    for i, (_, _, entry) in enumerate(rows):
        states = states_of(entry)
        height = 0.8 / len(states)
        for k, (state, G, psi, colour, legend) in enumerate(states):
            offset = (k - (len(states) - 1) / 2) * height
            g_ax.barh(i + offset, G, height=height, color=colour, label=None if legend in seen else legend)
            psi_ax.plot(psi, i + offset, "o", color=colour, ms=5)
            seen.add(legend)
    g_ax.set_yticks(y, labels)
    g_ax.invert_yaxis()
    g_ax.set_xlabel("energy release rate G [J/m$^2$]")
    g_ax.set_title(wrapped("G (VCCT), one scale for every design", 0.3 * WIDTH, 11))
    g_ax.axvline(0.0, color="k", lw=0.6)
    g_ax.grid(axis="x", alpha=0.3)
    for edge in (-90.0, 90.0):
        psi_ax.axvline(edge, color="#888", lw=0.8, ls="--")
    psi_ax.set_xlim(-180.0, 180.0)
    psi_ax.set_xticks(np.arange(-180, 181, 45))
    psi_ax.set_xlabel("phase angle psi at 1 um [deg]")
    psi_ax.set_title(wrapped("phase angle (outside +-90 deg: faces shut)", 0.3 * WIDTH, 11))
    psi_ax.grid(axis="x", alpha=0.3)
    fig.legend(loc="outside lower center", ncols=max(len(seen), 1), frameon=False)
    return fig


def crack_table(rows: list[tuple[str, str, dict]]) -> str:
    from .report import esc, fmt, table_html

    header = ["variant", "crack", "interface materials", "length [um]", "tip element [um]", "state",
              "G [J/m^2]", "psi [deg]", "Gc(psi) [J/m^2]", "margin Gc/G", "faces", "toughness source"]
    cells = []
    for label, name, entry in rows:
        toughness = entry.get("toughness") or {}
        for state, G, psi, _, legend in states_of(entry):
            margin = entry.get(f"margin_{state}", entry.get("margin") if state == "state" else None)
            opening = entry.get("min_opening_um", 0.0)
            inelastic = entry.get(f"inelastic_at_tip_{state}")
            faces = "pressed shut (no contact modelled)" if abs(psi) > 90 or opening < 0 else "open"
            if inelastic:
                faces += "; inelastic at the tip"
            Gc = toughness.get("G_Ic") and _toughness_at(toughness, psi)
            cells.append([esc(label), esc(name), esc("/".join(entry.get("materials", []))),
                          esc(fmt(entry.get("length_um"), ".3g")), esc(fmt(entry.get("tip_element_um"), ".2g")),
                          esc(legend), esc(fmt(G, ".3g")), esc(fmt(psi, ".3g")), esc(fmt(Gc, ".3g")),
                          esc(fmt(margin, ".3g")), esc(faces),
                          esc((toughness.get("source") or "none: no margin")
                              + (" (typical)" if toughness.get("typical") else ""))])
    return table_html(header, cells, numeric={3, 4, 6, 7, 8, 9})


def _toughness_at(toughness: dict, psi: float) -> float:
    from fea.model import Toughness
    return Toughness(toughness["G_Ic"], toughness["lambda"]).at(psi)


def crack_section(run, out) -> str:
    """The report section, or "" when no solved variant has a pre-crack."""
    from .report import esc, figure_html, ok_records

    rows = crack_rows(ok_records(run))
    if not rows:
        return ""
    uri = out.save(crack_figure(rows), "cracks.png")
    note = next((entry["note"] for _, _, entry in rows if "note" in entry), "")
    return ("<h2>Interface cracks: energy release rate and phase angle</h2>\n"
            + figure_html(uri, "G and phase angle per design",
                          "Energy release rate G and phase angle psi (Rice 1988, at 1 um) of each design's "
                          "pre-crack by the virtual crack closure technique (fea/crack.py), "
                          + ("at the cold and hot extremes of the last cycle; " if note else "")
                          + "G converges under mesh refinement and may rank designs. The crack faces are "
                          "traction-free: where they would close (|psi| > 90 deg, K1 < 0) they interpenetrate "
                          "and the G there is that of interpenetrating faces, not of faces in contact (not modelled).")
            + crack_table(rows)
            + (f'<p class="note">{esc(note[0].upper() + note[1:])}. The margin is Gc(psi) / G with '
               "Gc = G_Ic [1 + tan^2((1 - lambda) psi)] (Hutchinson &amp; Suo 1992); a closed crack counts as "
               "mode II; the library's interface toughness values are typical (materials/data/interfaces/"
               "toughness.toml): they rank designs on one interface, they do not pass or fail one.</p>"
               if note else ""))


def range_sentence(records: dict, crack: str, what: str) -> list[str]:
    """One sentence on a crack's G across the variants that have it: the range, the extremes' labels
    and the smallest toughness margin ([] if no variant has it)."""
    G = {label: r["metrics"][f"crack.{crack}.G"] for label, r in records.items()
         if f"crack.{crack}.G" in r.get("metrics", {})}
    if not G:
        return []
    lo, hi = min(G, key=G.get), max(G, key=G.get)
    margins = [r["metrics"][f"crack.{crack}.margin"] for r in records.values()
               if f"crack.{crack}.margin" in r.get("metrics", {})]
    text = (f"{what}: G = {G[lo]:.3g} J/m^2 ({lo}) to {G[hi]:.3g} J/m^2 ({hi})" if len(G) > 1 else
            f"{what}: G = {G[lo]:.3g} J/m^2 ({lo})")
    return [text + (f", smallest toughness margin Gc/G {min(margins):.3g} (typical toughness)." if margins else ".")]
