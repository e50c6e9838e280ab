"""The HTML report of a design study: one self-contained file, figures embedded as PNG data URIs.

``write_report(run, path)`` writes ``path`` and every figure as a PNG into ``path.parent /
"figures"`` (full resolution); the page embeds screen copies (``screen_png``: at most
SCREEN_WIDTH_PX wide, 256 colours). Sections, in order: the question and the answer with the ranked
variants, metric bar charts, sweep curves, stress contours of the critical zone on one colour scale,
interface peel and shear along each connected segment, interface cracks (G and phase angle per
design on one scale, toughness margins; studies/crack_report.py), hysteresis loops, elastic against
viscoelastic compounds (lives, reflow warpage; studies/compound.py), geometry pictures, how
sure is this (calibration basis, mesh convergence, scatter), materials, run metadata.

Every value in the ranked table, bar charts and sweep curves carries its numerical uncertainty band
(``uncertainty``: the baseline's change between the two finest meshes and the variant's time-step
error, root sum of squares); neighbours in the ranking whose bands overlap are marked, and the
answer says when the leading variants are among them. Figure texts are wrapped to their panels
(``wrapped``) so that none overlaps another or leaves the canvas (tests/test_report.py checks it
from matplotlib's own text extents).
"""
from __future__ import annotations

import base64
import html
import io
import math
import textwrap
from pathlib import Path

import numpy as np
from matplotlib import rc_context
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.tri import Triangulation

from fea.load_history import DEFAULT_ACCURACY
from .compound import compound_note, compound_section
from .crack_report import crack_section
from .study import slug

DPI = 100
WIDTH = 11.0                      # inches: 1100 px figures
#: embedded copies are at most this wide: the page is at most 1200 px wide (CSS), so wider pixels
#: are never shown; the full-resolution files stay in figures/
SCREEN_WIDTH_PX = 1150
STYLE = {"font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10, "legend.fontsize": 9,
         "xtick.labelsize": 9, "ytick.labelsize": 9, "figure.titlesize": 12}
#: percentiles of the common contour colour scale
CONTOUR_PERCENTILES = (1.0, 99.0)
#: one sequential colour map (a diverging one would saturate barely negative values)
CMAP = "viridis"
GREY = "#d9d9d9"
HIGHLIGHT, PLAIN = "#d62728", "#7f9fbf"

CSS = """
body { font-family: sans-serif; max-width: 1200px; margin: 1.5em auto; padding: 0 1em; color: #222;
       line-height: 1.4; }
h1 { margin-bottom: 0.2em; }
h2 { border-bottom: 1px solid #bbb; margin-top: 2em; }
.question { font-size: 1.1em; font-style: italic; }
.answer { background: #eef5e9; border-left: 5px solid #4a8a2a; padding: 0.6em 1em; font-size: 1.1em; }
.note { color: #555; font-size: 0.92em; }
.warn { background: #fff4d6; border-left: 5px solid #d9a400; padding: 0.4em 1em; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.92em; }
.wide { overflow-x: auto; }          /* a table wider than the page scrolls inside it */
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; vertical-align: top; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.band { color: #777; font-size: 0.85em; white-space: nowrap; }
tr.best td { background: #fde8e8; font-weight: bold; }
tr.flagged td { background: #fff4d6; }
tr.failed td { color: #a00; }
figure { margin: 1em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #444; font-size: 0.92em; }
ul.sources { margin: 0; padding-left: 1.2em; }
"""


def write_report(run, path: Path) -> None:
    """Write the study's HTML report to ``path`` and its figures to ``path.parent / "figures"``."""
    path = Path(path)
    figures = path.parent / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    out = Figures(figures)
    with rc_context(STYLE):
        body = [summary_section(run),
                metrics_section(run, out),
                curves_section(run, out),
                contours_section(run, out),
                interfaces_section(run, out),
                crack_section(run, out),
                hysteresis_section(run, out),
                compound_section(run, out),
                geometry_section(run, out),
                how_sure_section(run, out),
                materials_section(run),
                metadata_section(run)]
    title = esc(run.study.title)
    page = (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n"
            f"<style>{CSS}</style>\n</head>\n<body>\n" + "\n".join(b for b in body if b) + "\n</body>\n</html>\n")
    path.write_text(page, encoding="utf-8")


# --------------------------------------------------------------------------------- helpers

def esc(value) -> str:
    return html.escape(str(value))


def ok_records(run) -> list[dict]:
    return [r for r in run.records if r.get("status") == "ok"]


def metric_value(record: dict, key: str) -> float | None:
    value = record.get("metrics", {}).get(key)
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None


def fmt(value, spec: str = ".4g") -> str:
    if value is None:
        return "n/a"
    try:
        return format(value, spec)
    except (TypeError, ValueError):
        return str(value)


def metric_header(metric) -> str:
    return f"{metric.label} [{metric.unit}]" if metric.unit else metric.label


def rank_records(study, records: list[dict]) -> list[dict]:
    """Ok records ordered best first by the study's first metric (``better`` lower / higher; 'none'
    keeps the variant order); records without that metric follow, failed records come last."""
    metric = study.metrics[0]
    ok = [r for r in records if r.get("status") == "ok"]
    valued = [r for r in ok if metric_value(r, metric.key) is not None]
    missing = [r for r in ok if metric_value(r, metric.key) is None]
    if metric.better in ("lower", "higher"):
        valued.sort(key=lambda r: metric_value(r, metric.key), reverse=metric.better == "higher")
    return valued + missing + [r for r in records if r.get("status") != "ok"]


def best_index(values: list[float | None], better: str) -> int | None:
    known = [(v, i) for i, v in enumerate(values) if v is not None]
    if not known or better not in ("lower", "higher"):
        return None
    return (min(known) if better == "lower" else max(known))[1]


def parameters_text(parameters: dict) -> str:
    return ", ".join(f"{k} = {v}" for k, v in parameters.items()) or "(baseline)"


def variant_of(run, record: dict):
    for variant in run.study.variants:
        if variant.label == record.get("label"):
            return variant
    return None


def coordinate_names(records: list[dict]) -> tuple[str, str]:
    return ("r", "z") if any(r.get("analysis") == "axisymmetric" for r in records) else ("x", "y")


class Figures:
    """Saves figures as PNG into the figures folder (full resolution) and returns their screen
    copies (screen_png) as data URIs."""

    def __init__(self, folder: Path):
        self.folder = folder

    def save(self, fig: Figure, name: str) -> str:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=DPI)
        data = buffer.getvalue()
        (self.folder / name).write_bytes(data)
        return data_uri(screen_png(data))

    def copy(self, source: Path, name: str) -> str:
        """A mesh picture: flat region colours and thin lines, which an octree palette keeps at half
        the size of a median-cut one (molded joint: 89 kB against 189 kB)."""
        data = Path(source).read_bytes()
        (self.folder / name).write_bytes(data)
        return data_uri(screen_png(data, flat=True))


def screen_png(png: bytes, width: int = SCREEN_WIDTH_PX, flat: bool = False) -> bytes:
    """The copy of a PNG the page embeds: at most ``width`` px wide and reduced to a 256-colour
    palette without dithering (dithering adds noise that compresses badly), by median cut, which
    keeps the contours' colour gradients smooth, or for ``flat`` pictures by the smaller octree,
    which bands gradients. 2-8x smaller than the full-resolution file; the original if that is
    smaller."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    if image.width > width:
        image = image.resize((width, round(image.height * width / image.width)), Image.Resampling.LANCZOS)
    method = Image.Quantize.FASTOCTREE if flat else Image.Quantize.MEDIANCUT
    buffer = io.BytesIO()
    image.quantize(256, method=method, dither=Image.Dither.NONE).save(buffer, "PNG", optimize=True)
    return min(buffer.getvalue(), png, key=len)


def wrapped(text, inches: float, points: float = 10.0) -> str:
    """``text`` broken into lines that fit ``inches`` at a font of ``points`` (DejaVu Sans averages
    about 0.6 em a character)."""
    return textwrap.fill(str(text), max(10, int(inches * 72 / (0.6 * points))))


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def figure_html(uri: str, alt: str, caption: str = "") -> str:
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return f'<figure><img src="{uri}" alt="{esc(alt)}">{cap}</figure>'


def table_html(header: list[str], rows: list[list[str]], classes: list[str] | None = None,
               numeric: set[int] = frozenset()) -> str:
    """A table of already escaped cell texts; a short row's last cell spans the remaining columns."""
    head = "".join(f"<th>{h}</th>" for h in header)
    lines = [f'<div class="wide"><table>\n<tr>{head}</tr>']
    for k, row in enumerate(rows):
        cls = f' class="{classes[k]}"' if classes and classes[k] else ""
        cells = [f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>" for i, c in enumerate(row[:-1])]
        span = len(header) - len(row) + 1
        last = len(row) - 1
        attrs = (f' colspan="{span}"' if span > 1 else "") + (' class="num"' if span == 1 and last in numeric else "")
        cells.append(f"<td{attrs}>{row[-1]}</td>")
        lines.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return "\n".join(lines) + "\n</table></div>"


# --------------------------------------------------------------------------------- 1. summary

def answer_text(run) -> str:
    ok = ok_records(run)
    if not ok:
        return "No variant could be solved, so the study has no answer."
    try:
        return run.study.answer({r["label"]: r for r in ok})
    except Exception as exc:     # a study's answer function must not cost the whole report
        return f"The answer could not be formed ({type(exc).__name__}: {exc}); see the ranked table."


def tie_note(run) -> str:
    """A sentence for the answer when the leading variants lie within each other's numerical
    uncertainty, so the reader does not take the first of them for a winner."""
    ties = ranked_ties(run)
    leading = [ties[0][0]] if ties and ties[0][0] is rank_records(run.study, run.records)[0] else []
    for a, b in ties:
        if leading and a is leading[-1]:
            leading.append(b)
    if not leading:
        return ""
    names = ", ".join(r["label"] for r in leading)
    return (f" Within the numerical uncertainty (mesh and time step), the {len(leading)} leading variants "
            f"are not told apart by {run.study.metrics[0].label}: {names}.")


def summary_section(run) -> str:
    study = run.study
    parts = [f"<h1>{esc(study.title)}</h1>",
             f'<p class="question"><b>Question:</b> {esc(study.question)}</p>',
             f'<div class="answer"><b>Answer:</b> {esc(answer_text(run))}{esc(tie_note(run))}</div>']
    parts.append(compound_note(run))
    if run.quick:
        parts.append('<p class="warn">Quick preview: coarse mesh and one thermal cycle, so the lives are '
                     'not from a stabilised loop (the first cycle carries the transient from the stress-free '
                     'state). Use a full run for decisions.</p>')
    parts.append(ranking_table(run))
    n_ok, n = len(ok_records(run)), len(run.records)
    structures = list(dict.fromkeys(v.structure or study.structure for v in study.variants))
    compounds = "compounds (elastic against viscoelastic), " if getattr(run, "compound", None) else ""
    parts.append(f'<p class="note">{n_ok} of {n} variants solved. '
                 f'Structure{"s" if len(structures) > 1 else ""}: {esc(", ".join(structures))}, '
                 f'level: {esc(study.level)}. Contents: metrics, sweep curves, contours, interfaces, '
                 f'hysteresis, {compounds}geometry, how sure is this (calibration basis, mesh convergence, scatter), '
                 f'materials, run metadata.</p>')
    return "\n".join(parts)


def ranking_table(run) -> str:
    """The variants best first, each metric with its numerical uncertainty band; a rank that the
    band cannot tell from the one above reads "2 (~1)" and is named in a sentence below."""
    study = run.study
    first = study.metrics[0]
    ranked = rank_records(study, run.records)
    mesh = mesh_uncertainty(run)
    ties = ranked_ties(run)
    tied_below = {id(b) for _, b in ties}
    header = ["rank", "variant", "group", "parameters"] + [esc(metric_header(m)) for m in study.metrics]
    rows, classes = [], []
    rank = 0
    for record in ranked:
        variant = variant_of(run, record)
        group = variant.group if variant else ""
        params = variant.parameters if variant else record.get("overrides", {})
        cells = [None, esc(record.get("label", "")), esc(group), esc(parameters_text(params))]
        if record.get("status") == "ok":
            ranked_here = metric_value(record, first.key) is not None and first.better != "none"
            rank += ranked_here
            cells[0] = str(rank) if ranked_here else "-"
            cells[0] += f" (~{rank - 1})" if ranked_here and id(record) in tied_below else ""
            cells += [value_with_band(record, m, mesh) for m in study.metrics]
            classes.append("best" if ranked_here and rank == 1 else "")
        else:
            cells[0] = "-"
            cells.append(f"<b>failed:</b> {esc(record.get('error', 'unknown error'))}")
            classes.append("failed")
        rows.append(cells)
    order = {"lower": "lowest first", "higher": "highest first", "none": "not ranked: variant order"}
    caption = (f'<p class="note">Ranked by {esc(first.label)} ({order.get(first.better, first.better)}); '
               f'the best variant is highlighted. {esc(BAND_TEXT)}</p>')
    if ties:
        pairs = "; ".join(f"{esc(a['label'])} and {esc(b['label'])} ({esc(difference_text(a, b, first, mesh))})"
                          for a, b in ties)
        caption += (f'<p class="warn">Within their numerical uncertainty: {pairs}. Their order is not a '
                    f'result of this run.</p>')
    numeric = set(range(4, 4 + len(study.metrics)))
    return table_html(header, rows, classes, numeric) + caption


def ranked_ties(run) -> list[tuple[dict, dict]]:
    """Pairs of neighbours in the ranking whose ranking metric the numerical uncertainty cannot
    tell apart (their bands overlap), best first."""
    first = run.study.metrics[0]
    if first.better == "none":
        return []
    mesh = mesh_uncertainty(run)
    ranked = [r for r in rank_records(run.study, run.records)
              if r.get("status") == "ok" and metric_value(r, first.key) is not None]
    return [(a, b) for a, b in zip(ranked, ranked[1:]) if indistinguishable(a, b, first, mesh)]


def value_with_band(record: dict, metric, mesh: dict) -> str:
    value = metric_value(record, metric.key)
    band = uncertainty(record, metric, mesh)
    text = esc(fmt(value, metric.fmt))
    return text + (f' <span class="band">&plusmn;{band:.1%}</span>' if value is not None and band else "")


def difference_text(a: dict, b: dict, metric, mesh: dict) -> str:
    va, vb = metric_value(a, metric.key), metric_value(b, metric.key)
    return (f"{fmt(va, metric.fmt)} vs {fmt(vb, metric.fmt)}: {abs(va - vb) / max(abs(va), abs(vb)):.1%} apart, "
            f"bands \u00b1{uncertainty(a, metric, mesh):.1%} and \u00b1{uncertainty(b, metric, mesh):.1%}")


# --------------------------------------------------------------------------------- 2. metric bars

def metrics_section(run, out: Figures) -> str:
    ok = ok_records(run)
    if not ok:
        return ""
    uri = out.save(metric_bars_figure(run.study.metrics, ok, mesh_uncertainty(run)), "metrics.png")
    return ("<h2>Metrics across variants</h2>\n"
            + figure_html(uri, "metric bar charts", "Each metric across the solved variants; the best "
                          "(by the metric's own sense, lower or higher) in red; whiskers: the numerical "
                          "uncertainty band (mesh and time step, as in the table)."))


def metric_bars_figure(metrics, records: list[dict], mesh: dict | None = None) -> Figure:
    ncols = 1 if len(metrics) == 1 else 2
    nrows = math.ceil(len(metrics) / ncols)
    labels = [wrapped(r["label"], 2.6, 9) for r in records]      # y tick labels: at most 2.6 in wide
    lines = sum(label.count("\n") + 1 for label in labels)
    panel_h = 0.3 * lines + 1.4
    fig = Figure(figsize=(WIDTH, panel_h * nrows + 0.3), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    y = np.arange(len(records))
    for k, ax in enumerate(axes.flat):
        if k >= len(metrics):
            ax.set_visible(False)
            continue
        metric = metrics[k]
        values = [metric_value(r, metric.key) for r in records]
        best = best_index(values, metric.better)
        heights = [v if v is not None else 0.0 for v in values]
        colors = [HIGHLIGHT if i == best else PLAIN for i in range(len(values))]
        bands = [abs(h) * (uncertainty(r, metric, mesh or {}) or 0.0) for h, r in zip(heights, records)]
        ax.barh(y, heights, color=colors, xerr=bands if any(bands) else None, ecolor="#444", capsize=2)
        for i, v in enumerate(values):
            # the value stands clear of its whisker
            tip = heights[i] + (bands[i] if heights[i] >= 0 else -bands[i])
            ax.annotate(fmt(v, metric.fmt), (tip, i), xytext=(3 if heights[i] >= 0 else -3, 0),
                        textcoords="offset points", va="center", ha="left" if heights[i] >= 0 else "right",
                        fontsize=9)
        ax.set_yticks(y, labels if k % ncols == 0 else [""] * len(y))
        ax.invert_yaxis()
        ax.set_xlabel(f"[{metric.unit}]" + (f"  ({metric.better} is better)" if metric.better != "none" else ""))
        ax.set_title(wrapped(metric.label, 0.75 * WIDTH / ncols, 11))
        ax.margins(x=0.22)
        ax.axvline(0.0, color="k", lw=0.6)
        ax.grid(axis="x", alpha=0.3)
    return fig


# --------------------------------------------------------------------------------- 3. sweep curves

def curves_section(run, out: Figures) -> str:
    parts = []
    mesh = mesh_uncertainty(run)
    for k, curve in enumerate(run.study.curves):
        pairs = [(v, r) for v, r in zip(run.study.variants, run.records)
                 if v.group == curve.group and r.get("status") == "ok" and curve.parameter in r.get("parameters", {})]
        if not pairs:
            parts.append(f'<p class="note">Sweep {esc(curve.group)} / {esc(curve.parameter)}: no solved variant.</p>')
            continue
        fig = sweep_figure(run.study.metrics, curve, [r for _, r in pairs], mesh)
        uri = out.save(fig, f"curve_{k:02d}_{slug(curve.group)}_{slug(curve.parameter)}.png")
        parts.append(figure_html(uri, f"sweep {curve.group}",
                                 f"Group '{curve.group}': the study metrics against {curve.label} "
                                 f"({len(pairs)} solved variants). Shaded: the numerical uncertainty band "
                                 "(mesh and time step, as in the table); a change inside it is not a trend."))
    return "<h2>Sweep curves</h2>\n" + "\n".join(parts) if parts else ""


#: sweep panels per row; the metric's name is the panel title, its unit the y label
SWEEP_COLUMNS = 3
BAND_COLOUR, BAND_ALPHA = "C0", 0.2


def sweep_figure(metrics, curve, records: list[dict], mesh: dict | None = None) -> Figure:
    xs = [r["parameters"][curve.parameter] for r in records]
    numeric = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in xs)
    order = sorted(range(len(xs)), key=lambda i: xs[i]) if numeric else list(range(len(xs)))
    positions = [xs[i] for i in order] if numeric else list(range(len(xs)))
    ncols = min(SWEEP_COLUMNS, len(metrics))
    nrows = math.ceil(len(metrics) / ncols)
    panel = WIDTH / ncols                                     # inches per panel, labels included
    fig = Figure(figsize=(WIDTH, 3.4 * nrows + 0.9), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    banded = False
    for k, ax in enumerate(axes.flat):
        if k >= len(metrics):
            ax.set_visible(False)
            continue
        metric = metrics[k]
        ys = np.array([np.nan if v is None else v for v in (metric_value(records[i], metric.key) for i in order)])
        bands = np.array([uncertainty(records[i], metric, mesh or {}) or 0.0 for i in order]) * np.abs(ys)
        if np.any(bands > 0):
            banded = True
            ax.fill_between(positions, ys - bands, ys + bands, color=BAND_COLOUR, alpha=BAND_ALPHA, lw=0)
        ax.plot(positions, ys, "o-", color="C0")
        if not numeric:
            ax.set_xticks(positions, [wrapped(xs[i], panel / len(xs) - 0.1, 9) for i in order])
        ax.set_xlabel(wrapped(curve.label, panel - 0.6))
        ax.set_ylabel(f"[{metric.unit}]" if metric.unit else "")
        ax.set_title(wrapped(metric.label, panel - 0.4, 11))
        ax.grid(alpha=0.3)
    fig.suptitle(wrapped(f"{curve.group}: metrics against {curve.label}", WIDTH - 1.0, 12))
    if banded:
        fig.legend(handles=[Patch(color=BAND_COLOUR, alpha=BAND_ALPHA, label=BAND_LEGEND)],
                   loc="outside lower center", frameon=False)
    return fig


BAND_LEGEND = ("numerical uncertainty band (mesh and time step): a change inside it is not a trend")


# --------------------------------------------------------------------------------- 4. contours

def load_fields(record: dict, field: str) -> dict | None:
    """The zoomed fields of a record (points, triangles, region, region_names, values), or None."""
    path = record.get("files", {}).get("fields.npz")
    if record.get("status") != "ok" or path is None or not Path(path).is_file():
        return None
    with np.load(path) as data:
        if field not in data.files:
            return None
        return {"points": data["points"], "triangles": data["triangles"], "region": data["region"],
                "region_names": [str(n) for n in data["region_names"]],
                "values": data[field].astype(float)}


def window(record: dict, fields: dict) -> tuple[float, float, float, float]:
    zoom = record.get("zoom")
    if zoom:
        return tuple(float(v) for v in zoom)
    p = fields["points"]
    return float(p[:, 0].min()), float(p[:, 0].max()), float(p[:, 1].min()), float(p[:, 1].max())


def coloured_mask(fields: dict, regions) -> np.ndarray:
    """Triangles of the coloured regions (all regions when ``regions`` is empty)."""
    if not regions:
        return np.ones(len(fields["triangles"]), dtype=bool)
    wanted = [i for i, name in enumerate(fields["region_names"]) if name in set(regions)]
    return np.isin(fields["region"], wanted)


def coloured_values(fields: dict, regions, box) -> np.ndarray:
    """Nodal values of the coloured triangles whose centroid lies in the window ``box``."""
    x0, x1, y0, y1 = box
    tri = fields["triangles"]
    c = fields["points"][tri].mean(axis=1)
    keep = coloured_mask(fields, regions) & (c[:, 0] >= x0) & (c[:, 0] <= x1) & (c[:, 1] >= y0) & (c[:, 1] <= y1)
    values = fields["values"][np.unique(tri[keep])]
    return values[np.isfinite(values)]


def contour_limits(samples: list[np.ndarray], percentiles=CONTOUR_PERCENTILES) -> tuple[float, float] | None:
    """One robust colour scale for all variants: the given percentiles of all samples together
    (singular corners then cannot wash out the scale). None when there is no value."""
    values = np.concatenate([np.asarray(s, dtype=float).ravel() for s in samples]) if samples else np.empty(0)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None
    lo, hi = (float(v) for v in np.percentile(values, percentiles))
    if hi <= lo:
        pad = max(abs(lo) * 0.01, 1e-12)
        lo, hi = lo - pad, hi + pad
    return lo, hi


def region_outlines(fields: dict) -> np.ndarray:
    """Segments (k, 2, 2) of the region boundaries: nodes are split per region, so an edge used by
    one triangle only is a region boundary (or the cut edge of the zoomed data)."""
    tri = fields["triangles"]
    edges = np.sort(np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]]), axis=1)
    unique, counts = np.unique(edges, axis=0, return_counts=True)
    return fields["points"][unique[counts == 1]]


def contour_figure(record: dict, fields: dict, study, limits, extend: str) -> Figure:
    x0, x1, y0, y1 = window(record, fields)
    aspect = (y1 - y0) / max(x1 - x0, 1e-9)
    axes_width = 7.5 if aspect <= 0.9 else max(3.5, 7.0 / aspect)     # inches; tall windows get narrow
    height = float(np.clip(axes_width * aspect + 1.1, 3.0, 8.5))
    fig = Figure(figsize=(axes_width + 2.0, height), layout="constrained")
    ax = fig.subplots()
    points, tri = fields["points"], fields["triangles"]
    coloured = coloured_mask(fields, study.contour_regions)
    grey = tri[~coloured]
    if len(grey):
        ax.add_collection(PolyCollection(points[grey], facecolors=GREY, edgecolors=GREY, linewidths=0.3))
    norm, cmap = Normalize(*limits), CMAP
    mappable = None
    for region in np.unique(fields["region"][coloured]):
        subset = tri[coloured & (fields["region"] == region)]
        triangulation = Triangulation(points[:, 0], points[:, 1], subset)
        mappable = ax.tripcolor(triangulation, fields["values"], shading="gouraud", cmap=cmap, norm=norm)
    ax.add_collection(LineCollection(region_outlines(fields), colors="k", linewidths=0.4, alpha=0.6))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    names = coordinate_names([record])
    ax.set_xlabel(f"{names[0]} [um]")
    ax.set_ylabel(f"{names[1]} [um]")
    ax.set_title(wrapped(f"{record['label']}: {study.contour_label}", axes_width + 1.5, 11)
                 + f"\n{record.get('state', '')}")
    if mappable is not None:
        fig.colorbar(mappable, ax=ax, label=wrapped(study.contour_label, 0.8 * height), extend=extend, shrink=0.9)
    return fig


def contours_section(run, out: Figures) -> str:
    study = run.study
    loaded = [(r, load_fields(r, study.contour)) for r in ok_records(run)]
    available = [(r, f) for r, f in loaded if f is not None]
    missing = [r["label"] for r, f in loaded if f is None]
    if not available:
        return ("<h2>Contours</h2>\n<p class=\"note\">No variant has the field "
                f"{esc(study.contour)} to draw.</p>") if loaded else ""
    samples = [coloured_values(f, study.contour_regions, window(r, f)) for r, f in available]
    limits = contour_limits(samples)
    if limits is None:
        return "<h2>Contours</h2>\n<p class=\"note\">No finite values to draw.</p>"
    every = np.concatenate(samples)
    below, above = every.min() < limits[0], every.max() > limits[1]
    extend = {(True, True): "both", (True, False): "min", (False, True): "max"}.get((below, above), "neither")
    regions = ", ".join(study.contour_regions) if study.contour_regions else "all regions"
    caption_scale = (f"One colour scale for all variants: from the {CONTOUR_PERCENTILES[0]:g}% to the "
                     f"{CONTOUR_PERCENTILES[1]:g}% percentile of {study.contour_label} over the coloured "
                     f"regions ({regions}) in every variant's detail window, {limits[0]:.4g} to {limits[1]:.4g}; "
                     f"values beyond are clipped (pointed colourbar ends) so that singular corners do not wash "
                     f"out the scale (all values: {every.min():.4g} to {every.max():.4g}).")
    grey = "" if not study.contour_regions else " Other regions in light grey."
    parts = ["<h2>Contours in the critical zone</h2>",
             f'<p class="note">{esc(caption_scale + grey)} Thin black lines: material boundaries. '
             "Detail window on the critical (outermost) joint.</p>"]
    for k, (record, fields) in enumerate(available):
        fig = contour_figure(record, fields, study, limits, extend)
        uri = out.save(fig, f"contour_{k:02d}_{slug(record['label'])}.png")
        parts.append(figure_html(uri, f"contour {record['label']}",
                                 f"{record['label']}: {study.contour_label}, {record.get('state', '')}."))
    if missing:
        parts.append(f'<p class="note">No {esc(study.contour)} field for: {esc(", ".join(missing))}.</p>')
    return "\n".join(parts)


# --------------------------------------------------------------------------------- 5. interfaces

def interfaces_section(run, out: Figures) -> str:
    ok = ok_records(run)
    parts = []
    for name in run.study.interfaces:
        having = [r for r in ok if name in r.get("interfaces", {})]
        if not having:
            parts.append(f'<p class="note">Interface {esc(name)}: not in any solved variant\'s detail window.</p>')
            continue
        uri = out.save(interface_figure(name, having), f"interface_{slug(name)}.png")
        parts.append(figure_html(uri, f"interface {name}",
                                 f"Peel (normal, positive = opening, normal out of '{name.split('/')[0]}') "
                                 f"and shear traction along {name} inside the detail window, at the plotted "
                                 "state, against the arc length s along each connected segment from the end "
                                 "its panel names; a gap in the interface (where another material lies "
                                 "between) starts a new segment. Dotted, in the variant's colour: a singular point, "
                                 "an end where the interface meets a free edge or a third material, or a corner "
                                 f"where it turns by more than {CORNER_DEGREES:g} degrees; the traction there "
                                 "grows with mesh refinement, so the element next to it is not drawn and no "
                                 "peak there is read as data."))
    if not parts:
        return ""
    return "<h2>Stresses along interfaces</h2>\n" + "\n".join(parts)


def interface_segments(curve: dict) -> list[dict]:
    """The connected segments of one record's interface (arrays x, y, s, peel, shear, end per
    segment), each running from its lower end if it is steeper than 45 degrees, else from its end
    nearer the centre (so both sides of a joint read the same way), ordered by where they start
    (x, then y). A record without segment numbers is one segment."""
    n = len(curve["s"])
    ids = np.asarray(curve.get("segment", np.zeros(n)), float).astype(int)
    arrays = {k: np.asarray(curve[k], float) for k in ("x", "y", "s", "peel", "shear")}
    arrays["end"] = np.asarray(curve.get("end", np.zeros(n)), float) > 0
    segments = []
    for k in np.unique(ids):
        part = {key: a[ids == k] for key, a in arrays.items()}
        along = np.argsort(part["s"], kind="stable")
        part = {key: a[along] for key, a in part.items()}
        coordinate = part["y"] if np.ptp(part["y"]) > np.ptp(part["x"]) else part["x"]
        if coordinate[-1] < coordinate[0]:
            part = {key: a[::-1] for key, a in part.items()}
            part["s"] = part["s"][0] - part["s"]
        segments.append(part)
    return sorted(segments, key=lambda part: (part["x"][0], part["y"][0]))


def singular_ends(segment: dict) -> tuple[bool, bool]:
    """Whether a segment starts / finishes where the interface itself ends (a corner, free edge or
    triple junction: singular), not where the detail window cuts it or on the slices' symmetry
    line x = 0 (the package centre; the axis of an axisymmetric model)."""
    def singular(i):
        return bool(segment["end"][i]) and abs(segment["x"][i]) > 1e-6
    return singular(0), singular(-1)


#: nodes of one P2 facet: a singular end's element (end, middle and far node) is not drawn
FACET_NODES = 3
#: an interface that turns by more than this between two facets has a corner there (a re-entrant
#: bi-material corner, e.g. at a recess edge): singular like an end; a curved interface turns by a
#: few degrees a facet
CORNER_DEGREES = 30.0


def interface_figure(name: str, records: list[dict]) -> Figure:
    """One row of peel / shear panels per connected segment of the interface, one line per variant
    against the arc length from the segment's start (named in the row's title)."""
    segments = [interface_segments(r["interfaces"][name]) for r in records]
    nrows = max(len(parts) for parts in segments)
    labels = [r["label"] for r in records]
    legend_rows = math.ceil((len(records) + 1) / legend_columns(labels + [SINGULAR_LEGEND]))
    fig = Figure(figsize=(WIDTH, 3.0 * nrows + 0.8 + 0.22 * legend_rows), layout="constrained")
    axes = fig.subplots(nrows, 2, squeeze=False)
    names = coordinate_names(records)
    for row in range(nrows):
        named = next(parts[row] for parts in segments if len(parts) > row)
        for col, key in enumerate(("peel", "shear")):
            ax = axes[row, col]
            for k, parts in enumerate(segments):
                if len(parts) > row:
                    draw_segment(ax, parts[row], key, f"C{k % 10}")
            start = (f"s from ({names[0]}, {names[1]}) = ({fmt(named['x'][0], '.4g')}, "
                     f"{fmt(named['y'][0], '.4g')}) um")
            where = start if nrows == 1 else f"segment {row + 1} of {nrows}, {start}"
            ax.set_title(wrapped(f"{key}, {where}", WIDTH / 2 - 0.4, 11))
            ax.set_xlabel("arc length s along the segment [um]")
            ax.set_ylabel(f"{key} stress [MPa]")
            ax.axhline(0.0, color="k", lw=0.6)
            ax.grid(alpha=0.3)
    handles = [Line2D([], [], color=f"C{k % 10}", lw=1.3, label=label) for k, label in enumerate(labels)]
    handles.append(Line2D([], [], color="k", ls=":", lw=1.0, label=SINGULAR_LEGEND))
    fig.suptitle(f"Tractions along {name}")
    fig.legend(handles=handles, loc="outside lower center", ncols=legend_columns(labels + [SINGULAR_LEGEND]),
               frameon=False)
    return fig


SINGULAR_LEGEND = "dotted: singular end or corner (not drawn)"


def corner_facets(segment: dict) -> list[int]:
    """Facets after which the segment turns by more than CORNER_DEGREES (nodes facet by facet)."""
    x, y = segment["x"].reshape(-1, FACET_NODES), segment["y"].reshape(-1, FACET_NODES)
    heading = np.degrees(np.arctan2(y[:, -1] - y[:, 0], x[:, -1] - x[:, 0]))
    turn = np.abs((np.diff(heading) + 180.0) % 360.0 - 180.0)
    return [int(k) for k in np.flatnonzero(turn > CORNER_DEGREES)]


def draw_segment(ax, segment: dict, key: str, colour: str) -> None:
    """One segment's traction, broken at its corners; the element next to a singular point (a
    singular end or a corner) is not drawn, the point is marked."""
    starts, finishes = singular_ends(segment)
    facets = len(segment["s"]) // FACET_NODES
    corners = corner_facets(segment)
    bounds = [0] + [k + 1 for k in corners] + [facets]            # pieces of whole facets
    for k, (first, last) in enumerate(zip(bounds[:-1], bounds[1:])):
        first += 1 if (k > 0 or starts) else 0
        last -= 1 if (k < len(corners) or finishes) else 0
        keep = slice(first * FACET_NODES, last * FACET_NODES)
        ax.plot(segment["s"][keep], segment[key][keep], color=colour, lw=1.3)
    marks = [segment["s"][(k + 1) * FACET_NODES] for k in corners]
    marks += [segment["s"][0]] if starts else []
    marks += [segment["s"][-1]] if finishes else []
    for at in marks:
        ax.axvline(at, color=colour, ls=":", lw=1.0)


def legend_columns(labels: list[str], inches: float = WIDTH) -> int:
    """As many legend columns as fit across a figure ``inches`` wide at the legend font size (9 pt:
    about 13 characters an inch)."""
    return max(1, min(len(labels), int(13 * inches) // (max(len(str(t)) for t in labels) + 6)))


# --------------------------------------------------------------------------------- 6. hysteresis

HYSTERESIS_GROUP = "pad_layer"


def hysteresis_section(run, out: Figures) -> str:
    having = [r for r in ok_records(run) if HYSTERESIS_GROUP in (r.get("hysteresis") or {})]
    if not having:
        return ""
    uri = out.save(hysteresis_figure(having), "hysteresis.png")
    return ("<h2>Hysteresis loops</h2>\n"
            + figure_html(uri, "hysteresis loops",
                          "Stress against inelastic strain, volume averages over the die-side (pad) Darveaux "
                          "layer of the critical joint's solder, whole load history. The area enclosed by a "
                          "loop is the inelastic work per cycle that drives the energy-based life."))


def hysteresis_figure(records: list[dict]) -> Figure:
    from fea.post import component_labels

    rows = math.ceil(len(records) / legend_columns([r["label"] for r in records]))
    fig = Figure(figsize=(WIDTH, 4.6 + 0.22 * rows), layout="constrained")
    axes = fig.subplots(1, 2)
    labels = component_labels(records[0].get("analysis", ""))
    # (component index, strain label, stress label): the engineering shear first, then the first normal one
    panels = ((3, rf"inelastic shear strain $\gamma^{{in}}_{{{labels[3]}}}$ [%]", rf"$\sigma_{{{labels[3]}}}$ [MPa]"),
              (0, rf"inelastic strain $\varepsilon^{{in}}_{{{labels[0]}}}$ [%]", rf"$\sigma_{{{labels[0]}}}$ [MPa]"))
    for k, record in enumerate(records):
        h = record["hysteresis"][HYSTERESIS_GROUP]
        stress = np.asarray(h["stress"], float)
        strain = np.asarray(h["eps_in"], float)
        if stress.ndim != 2 or strain.shape != stress.shape:
            continue
        for ax, (i, _, _) in zip(axes, panels):
            ax.plot(strain[:, i] * 100.0, stress[:, i], color=f"C{k % 10}", lw=1.3,
                    label=record["label"] if i == 3 else None)
            ax.plot(strain[-1, i] * 100.0, stress[-1, i], "o", color=f"C{k % 10}", ms=4)
    for ax, (_, xlabel, ylabel) in zip(axes, panels):
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
    axes[0].set_title("shear (dot: end of history)")
    axes[1].set_title(f"normal {labels[0]}")
    fig.legend(loc="outside lower center", ncols=legend_columns([r["label"] for r in records]), frameon=False)
    return fig


# --------------------------------------------------------------------------------- 7. geometry

def geometry_section(run, out: Figures) -> str:
    parts = []
    for k, record in enumerate(ok_records(run)):
        png = record.get("files", {}).get("mesh.png")
        if png is None or not Path(png).is_file():
            continue
        uri = out.copy(png, f"geometry_{k:02d}_{slug(record['label'])}.png")
        parts.append(figure_html(uri, f"geometry {record['label']}",
                                 f"{record['label']}: {record.get('structure', '')}, "
                                 f"{record.get('elements', '?')} quadratic triangles; a red box marks the "
                                 "detail window of the contour plots."))
    return "<h2>Geometry and mesh</h2>\n" + "\n".join(parts) if parts else ""


# --------------------------------------------------------------------------------- 8. convergence

def convergence_rows(run) -> tuple[list[dict], dict | None]:
    """Convergence records coarse to fine and the finest solved one (the reference)."""
    records = sorted(run.convergence, key=lambda r: (r.get("elements") or 0, -r.get("mesh_size_factor", 0)))
    ok = [r for r in records if r.get("status") == "ok"]
    return records, (ok[-1] if ok else None)


def relative_change(value, reference) -> float | None:
    if value is None or reference is None or reference == 0:
        return None
    return (value - reference) / abs(reference)


#: a study metric that moves more than this between the two finest meshes is flagged: it measures
#: the mesh (a nodal peak at a singular corner) at least as much as the design
CONVERGENCE_TOLERANCE = 0.05
FLAG = "\u26a0"


def finest_change(records: list[dict], key: str) -> float | None:
    """Relative change of a metric on the second-finest solved mesh against the finest (records coarse
    to fine), as in the table's "change to finest"; None without two values."""
    values = [metric_value(r, key) for r in records if r.get("status") == "ok"]
    values = [v for v in values if v is not None]
    return relative_change(values[-2], values[-1]) if len(values) >= 2 else None


def unconverged_metrics(run) -> dict:
    """Metric key -> change between the two finest meshes, for the metrics that move more than
    CONVERGENCE_TOLERANCE."""
    records, _ = convergence_rows(run)
    changes = {m.key: finest_change(records, m.key) for m in run.study.metrics}
    return {k: c for k, c in changes.items() if c is not None and abs(c) > CONVERGENCE_TOLERANCE}


#: what a band is, in the words of the report
BAND_TEXT = ("\u00b1: numerical uncertainty, the baseline's change of the metric between the two finest meshes "
             "and the variant's estimated time-step error of its last cycle, root sum of squares (facts of the "
             "geometry, such as distances and counts, carry none); two values whose bands overlap are not "
             "told apart by this run.")


def mesh_uncertainty(run) -> dict:
    """Metric key -> relative change of the baseline between the two finest meshes: the estimate of
    the metric's discretisation error, taken to hold for every variant (they share the mesh sizes)."""
    records, _ = convergence_rows(run)
    changes = {m.key: finest_change(records, m.key) for m in run.study.metrics}
    return {k: abs(c) for k, c in changes.items() if c is not None}


def time_step_error(record: dict) -> float | None:
    """The time-step uncertainty of a cycled record, relative: under error control the accuracy the
    run held (the target error of a cycle's dW and inelastic strain; measured errors against steps
    16x smaller are 0.0-0.54 % in dW and 0.12-0.53 % in the inelastic strain at the default 0.01,
    docs/verification.md#time-steps); with fixed steps the last cycle's ``time_error``, the sum of
    the steps' estimated local errors (an upper bound).
    None for a run that did not cycle."""
    cycles = record.get("cycles") or []
    if not cycles:
        return None
    load = record.get("load") or {}
    if not load.get("fixed_steps"):
        return float(load.get("accuracy", DEFAULT_ACCURACY))
    error = cycles[-1].get("time_error")
    return float(error) if isinstance(error, (int, float)) and error > 0 else None


def uncertainty(record: dict, metric, mesh: dict) -> float | None:
    """Relative numerical uncertainty of one metric of one record: mesh and time step are independent
    sources, so root sum of squares; None when neither is known or the metric is a fact of the
    geometry (``Metric.solved`` false)."""
    if not metric.solved:
        return None
    parts = [u for u in (mesh.get(metric.key), time_step_error(record)) if u is not None]
    return math.hypot(*parts) if parts else None


def indistinguishable(a: dict, b: dict, metric, mesh: dict) -> bool:
    """Whether two records' values of a metric lie within each other's bands (the bands overlap)."""
    key = metric.key
    va, vb = metric_value(a, key), metric_value(b, key)
    ua, ub = uncertainty(a, metric, mesh), uncertainty(b, metric, mesh)
    if None in (va, vb) or (ua is None and ub is None):
        return False
    return abs(va - vb) <= (ua or 0.0) * abs(va) + (ub or 0.0) * abs(vb)


def convergence_section(run, out: Figures) -> str:
    """Every study metric at every mesh of the baseline's series, the change between the two finest
    meshes, and a flag (and a sentence; a loud warning if it ranks the variants) on metrics that
    move more than CONVERGENCE_TOLERANCE."""
    if not run.convergence:
        return ""
    metrics = run.study.metrics
    records, finest = convergence_rows(run)
    flagged = unconverged_metrics(run)
    header = ["metric"] + [f"mesh x{esc(fmt(r.get('mesh_size_factor'), 'g'))}<br>{esc(r.get('elements', '?'))} "
                           "elements" for r in records] + ["change, two finest meshes", ""]
    rows, classes = [], []
    for m in metrics:
        row = [esc(metric_header(m)) + ("" if m.better == "none" else f" <i>(ranks: {esc(m.better)} is better)</i>")]
        reference = metric_value(finest, m.key) if finest else None
        for record in records:
            value = metric_value(record, m.key)
            change = "reference" if record is finest else fmt(relative_change(value, reference), "+.2%")
            row.append(f"{esc(fmt(value, m.fmt))} ({esc(change)})" if record.get("status") == "ok"
                       else f"failed: {esc(record.get('error', ''))}")
        row.append(esc(fmt(finest_change(records, m.key), "+.2%")))
        row.append(f"{FLAG} moves &gt; {CONVERGENCE_TOLERANCE:.0%}" if m.key in flagged else "")
        rows.append(row)
        classes.append("flagged" if m.key in flagged else "")
    parts = ["<h3>Mesh convergence</h3>",
             f'<p class="note">The baseline variant at every mesh of its series (the factor multiplies every '
             f'element size), coarse to fine, each with its change to the finest solved mesh, and that change for '
             f'the second-finest mesh (the two finest meshes) in its own column. A metric '
             f'that moves more than {CONVERGENCE_TOLERANCE:.0%} there is flagged {FLAG}: it partly measures the '
             f'mesh.</p>']
    if flagged:
        names = ", ".join(f"{esc(m.label)} ({flagged[m.key]:+.1%})" for m in metrics if m.key in flagged)
        parts.append(f'<p class="warn">{FLAG} {len(flagged)} of {len(metrics)} metrics move more than '
                     f'{CONVERGENCE_TOLERANCE:.0%} between the two finest meshes: {names}.</p>')
        ranking = [m for m in metrics if m.key in flagged and m.better != "none"]
        if metrics[0].key in flagged:
            parts.append(f'<p class="warn"><b>{FLAG} THE RANKING IS NOT MESH-CONVERGED: the ranking metric, '
                         f'{esc(metrics[0].label)}, moves {flagged[metrics[0].key]:+.1%} between the two finest '
                         f'meshes, so the order of the variants partly measures the mesh.</b></p>')
        elif ranking:
            parts.append(f'<p class="warn"><b>{FLAG} Best markers use unconverged metrics: '
                         f'{", ".join(esc(m.label) for m in ranking)}.</b></p>')
    parts.append(table_html(header, rows, classes, set(range(1, len(header) - 1))))
    ok = [r for r in records if r.get("status") == "ok"]
    if len(ok) >= 2:
        uri = out.save(convergence_figure(metrics, ok, finest), "convergence.png")
        parts.append(figure_html(uri, "mesh convergence", "Each metric relative to its value on the finest mesh."))
    return "\n".join(parts)


def convergence_figure(metrics, records: list[dict], finest: dict) -> Figure:
    columns = legend_columns([m.label for m in metrics], 8.0)
    # the axes keep their height however many rows the legend below them takes
    fig = Figure(figsize=(8.0, 3.6 + 0.22 * math.ceil(len(metrics) / columns)), layout="constrained")
    ax = fig.subplots()
    elements = [r.get("elements", 0) for r in records]
    for k, m in enumerate(metrics):
        ref = metric_value(finest, m.key)
        changes = [relative_change(metric_value(r, m.key), ref) for r in records]
        ax.plot(elements, [np.nan if c is None else 100.0 * c for c in changes], "o-", color=f"C{k % 10}",
                label=m.label)
    ax.axhline(0.0, color="k", lw=0.6)
    ax.set_xlabel("elements (quadratic triangles)")
    ax.set_ylabel("change to finest mesh [%]")
    ax.set_title("Mesh convergence of the baseline")
    ax.grid(alpha=0.3)
    fig.legend(loc="outside lower center", ncols=columns, frameon=False)
    return fig


def scatter_section(run, out: Figures) -> str:
    """Scatter of the tolerances (part of "How sure is this"): each variant's life band over the --scatter samples, how often
    each design outlives the next one of the nominal ranking, and Weibull failure curves."""
    summary = getattr(run, "scatter", None)
    if not summary:
        return ""
    from .scatter import BAND, outlive_sentence, weibull_figure

    header = ["variant", "nominal life [cycles]", "median [cycles]", f"{BAND[0]:g} % [cycles]",
              f"{BAND[1]:g} % [cycles]", "samples ok / failed"]
    rows = [[esc(v["label"])] + [esc(fmt(v[k], ".3g")) for k in ("nominal", "median", "p10", "p90")]
            + [f"{v['ok']} / {v['failed']}"] for v in summary["variants"]]
    sentences = "".join(f"<li>{esc(outlive_sentence(p))}</li>" for p in summary["ranking"])
    tolerances = "; ".join(f"{k}: {t['text']}" for k, t in summary["tolerances"].items()) or "none"
    failures = sorted({e for v in summary["variants"] for e in v["errors"]})
    parts = ["<h3>Scatter of the tolerances</h3>",
             f'<p class="note">{summary["samples"]} Latin-hypercube samples of the tolerances (seed '
             f'{summary["seed"]}), the same samples around every variant, so the designs are compared sample '
             f'by sample. Life: {esc(summary["metric"])}. Tolerances: {esc(tolerances)} '
             "(sources in docs/scatter.md and results.json).</p>",
             table_html(header, rows, numeric={1, 2, 3, 4, 5})]
    if sentences:
        parts.append(f"<ul>{sentences}</ul>")
    if failures:
        parts.append(f'<p class="warn">Samples without a life: {esc("; ".join(failures[:5]))}</p>')
    uri = out.save(weibull_figure(summary), "scatter_weibull.png")
    parts.append(figure_html(uri, "Weibull failure probability",
                             f"F(N) = 1 - exp(-(N/eta)^beta), beta = {summary['weibull_slope']:g}, eta = median "
                             f"life / ln(2)^(1/beta) of each design (solid); the band uses its {BAND[0]:g} % and "
                             f"{BAND[1]:g} % sample lives instead of the median."))
    return "\n".join(parts)


# --------------------------------------------------------------------------------- 9. materials

def used_materials(run) -> dict[str, list[str]]:
    """Library material name -> regions using it, over every record."""
    used: dict[str, list[str]] = {}
    for record in list(run.records) + list(run.convergence):
        for region, name in (record.get("materials") or {}).items():
            if isinstance(name, str):
                regions = used.setdefault(name, [])
                if region not in regions:
                    regions.append(region)
    return used


#: what the assembly slices' generalized plane strain leaves out, measured (docs/verification.md#bending-slices)
SLICE_IDEALISATION = (
    "The assembly slices are generalized plane strain with a uniform out-of-plane strain: they warp "
    "in their plane, not out of it. Letting them bend out of their plane as well (model file "
    "<code>bending = [\"y\"]</code>) moves the default assemblies' solder dW by +28 % (ppi-recess), "
    "-8.6 % (cu-post), -18.6 % (molded-joint), -2.6 % (fanout-rdl) and -7.8 % (edge-recess-rdl): more than the mesh and time-step bands, and with "
    "different signs, so compare structures with this idealisation in mind; variants of one "
    "structure share it.")


def idealisation_section(run) -> str:
    """Which 2D idealisation the records use, and for slices what it leaves out."""
    analyses = sorted({r.get("analysis") for r in run.records if r.get("analysis")})
    if not analyses:
        return ""
    text = f"<h3>Model idealisation</h3>\n<p>Analyses: {esc(', '.join(analyses))}."
    if "generalized_plane_strain" in analyses:
        text += " " + SLICE_IDEALISATION
    return text + "</p>"


def how_sure_section(run, out: Figures) -> str:
    """What the ranking rests on: the life laws' calibration basis, mesh convergence, the 2D
    idealisation, scatter."""
    parts = [calibration_section(run), convergence_section(run, out), idealisation_section(run),
             scatter_section(run, out)]
    body = "\n".join(p for p in parts if p)
    return "<h2>How sure is this</h2>\n" + body if body else ""


def calibration_section(run) -> str:
    """Per variant: the headline life's law, source and basis, and whether this run is inside it."""
    from .evaluate import headline_life
    rows, classes, reasons = [], [], {}
    for record in ok_records(run):
        life = headline_life(record)
        if life is None:
            continue
        entry = record.get("fatigue", {}).get(life["group"], {})
        cycles = record.get("cycles", [])
        stabilised = "yes" if entry.get("stabilised") else f"no ({len(cycles)} cycle{'s' if len(cycles) != 1 else ''})"
        inside = "yes" if life["in_calibration"] else "no"
        rows.append([esc(record["label"]), esc(life["law_key"]), esc("/".join(life["alloy"])),
                     esc(f"{life['model_dimension']}, {life['constitutive']}"),
                     esc(fmt(life["volume_averaging_thickness"], ".3g") if life["volume_averaging_thickness"] else "-"),
                     esc(fmt(record.get("critical_joint", {}).get("layer_thickness_um"), ".3g")),
                     stabilised, inside])
        classes.append("" if life["in_calibration"] else "flagged")
        for reason in life["reasons"]:
            reasons.setdefault(reason, []).append(record["label"])
        for warning in record.get("warnings", []):
            reasons.setdefault(warning, []).append(record["label"])
    if not rows:
        return ""
    header = ["variant", "life law", "fitted on alloy", "fitted with (model, solder law)", "fitted layer [um]",
              "layer used [um]", "stabilised", "in calibration"]
    parts = ["<h3>Calibration basis of the lives</h3>",
             '<p class="note">Each life comes from a law whose constants were fitted on some alloy, model type, '
             'solder law and averaging volume; a life computed another way is outside that calibration and '
             'should be compared between variants, not read as cycles to failure. Fit your own constants '
             'with <code>pkgrel calibrate</code> (docs/calibration.md).</p>',
             table_html(header, rows, classes=classes)]
    if reasons:
        items = "".join(f"<li>{esc(reason)} ({esc(', '.join(labels)) if len(labels) < len(rows) else 'all variants'})</li>"
                        for reason, labels in reasons.items())
        parts.append(f'<p class="warn">Outside calibration because:</p><ul>{items}</ul>')
    sources = sorted({headline_life(r)["source"] for r in ok_records(run) if headline_life(r)})
    parts.append(f'<p class="note">Constants: {esc("; ".join(sources))}.</p>')
    return "\n".join(parts)


def materials_section(run) -> str:
    used = used_materials(run)
    if not used:
        return ""
    import materials
    from fea.errors import InputError
    from materials.commands import summary_row

    library = materials.load_library()
    header = ["material", "regions", "E at 25 degC [MPa]", "nu", "CTE at 25 degC [ppm/K]", "models", "sources"]
    rows = []
    for name in sorted(used):
        regions = esc(", ".join(used[name]))
        try:
            mat = library.get(name)
        except InputError as exc:
            rows.append([esc(name), regions, "", "", "", "", esc(f"not in the library: {exc}")])
            continue
        row = summary_row(mat)   # name, E, nu, CTE, models, (shortened) source
        sources = "<ul class=\"sources\">" + "".join(f"<li>{esc(s)}</li>" for s in mat.sources()) + "</ul>"
        rows.append([esc(row[0]), regions, esc(row[1]), esc(row[2]), esc(row[3]), esc(row[4]), sources])
    return ("<h2>Materials</h2>\n" + table_html(header, rows, numeric={2, 3, 4})
            + '<p class="note">From the pkgrel materials library (<code>pkgrel materials NAME</code> shows '
              "the temperature dependence); CTE is the secant value about the material's reference "
              "temperature.</p>")


# --------------------------------------------------------------------------------- 10. metadata

def metadata_section(run) -> str:
    md = run.metadata or {}
    versions = md.get("versions", {})
    load = md.get("load")
    items = [("study", md.get("study", run.study.name)), ("date", md.get("date")), ("host", md.get("host")),
             ("platform", md.get("platform")), ("quick preview", "yes" if run.quick else "no"),
             ("workers", md.get("workers")),
             ("scheduler", md.get("scheduler") or "in process / local"),
             ("wall time [s]", md.get("wall_time_s")), ("compute time, sum over points [s]", md.get("compute_time_s")),
             ("points reused from the cache", md.get("cached_points")),
             ("load profile", ", ".join(f"{k} = {v}" for k, v in load.items()) if isinstance(load, dict) else load),
             ("versions", ", ".join(f"{k} {v}" for k, v in versions.items())),
             ("sources of the variants", "; ".join(run.study.sources) or None)]
    rows = [[esc(k), esc(v)] for k, v in items if v is not None]
    header = ["series", "point", "structure", "status", "analysis", "mesh size factor", "elements", "dofs",
              "run time [s]", "cached", "plotted state"]
    variant_rows = []
    series = [("variant", r) for r in run.records] + [("convergence", r) for r in run.convergence]
    for kind, record in series:
        variant_rows.append([kind, esc(record.get("label", "")), esc(record.get("structure", "")),
                             esc(record.get("status", "")), esc(record.get("analysis", "")),
                             esc(fmt(record.get("mesh_size_factor"), "g")), esc(record.get("elements", "")),
                             esc(record.get("dofs", "")), esc(fmt(record.get("run_time_s"), ".1f")),
                             "yes" if record.get("cached") else "", esc(record.get("state", ""))])
    return ("<h2>Run metadata</h2>\n" + table_html(["item", "value"], rows)
            + "\n<h3>Points</h3>\n" + table_html(header, variant_rows, numeric={5, 6, 7, 8}))
