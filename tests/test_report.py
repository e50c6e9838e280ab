"""studies/report.py: the self-contained HTML report of a design study."""
import base64
import copy
import html
import io
import importlib
import re

import numpy as np
import pytest

from studies.evaluate import Point, evaluate
from studies.report import (coloured_values, contour_limits, load_fields, rank_records, screen_png, window,
                            write_report)
from studies.study import Curve, Metric, Study, StudyRun, Variant

LABELS = ("thin pad", "mid pad", "thick pad")
LIVES = (900.0, 1500.0, 1200.0)          # ranked higher-is-better: mid, thick, thin
SCALES = (1.0, 2.0, 1.5)                 # the contour field of each variant is the baseline's times this
ERROR = "gmsh could not mesh <pad> & solder"


@pytest.fixture(scope="module")
def point():
    """One real, small thermoelastic point (about 1 s)."""
    return evaluate(Point("molded-joint", {}, level="cell", mesh_size_factor=2.0, load=None, label="base"))


def _loop(scale: float) -> dict:
    """A closed stress / inelastic-strain loop shaped like a pad-layer history (4-vectors)."""
    t = np.linspace(0.0, 2.0 * np.pi, 40)
    stress = np.zeros((t.size, 4))
    eps = np.zeros((t.size, 4))
    stress[:, 3], eps[:, 3] = 10.0 * scale * np.sin(t), 1e-3 * scale * np.sin(t - 0.6)
    stress[:, 0], eps[:, 0] = 20.0 * scale * np.cos(t), 5e-4 * scale * np.cos(t - 0.6)
    return {"pad_layer": {"time": (t * 100).tolist(), "temperature": (42.5 + 82.5 * np.cos(t)).tolist(),
                          "stress": stress.tolist(), "eps_in": eps.tolist(),
                          "w_in": np.linspace(0, 0.1, t.size).tolist(),
                          "eps_eq_in": np.linspace(0, 1e-3, t.size).tolist()}}


def _study(better: str = "higher") -> Study:
    variants = tuple(Variant(label, {"pad_thickness": 5.0 * (k + 1)}, group="pad")
                     for k, label in enumerate(LABELS))
    variants += (Variant("broken", {"pad_thickness": -1.0}, group="pad"),)
    metrics = (Metric("life", "fatigue life", "cycles", better, ".1f"),
               Metric("zone.solder.von_mises_max", "solder von Mises in the window", "MPa", "lower", ".2f"))
    return Study("pads", "Pad thickness study", "Which pad thickness gives the longest solder life?",
                 "molded-joint", variants, metrics,
                 answer=lambda recs: f"The answer: {max(recs, key=lambda k: recs[k]['metrics']['life'])} lives longest.",
                 curves=(Curve("pad", "pad_thickness", "pad thickness [um]"),),
                 contour="von_mises", contour_label="von Mises stress [MPa]", contour_regions=("solder", "pad"),
                 interfaces=("pad/solder", "not/there"), level="cell", sources=("a made-up patent",))


def _run(tmp_path, point, better: str = "higher", hysteresis: bool = True) -> StudyRun:
    base, files = point
    fields = dict(np.load(io.BytesIO(files["fields.npz"])))
    records = []
    for k, label in enumerate(LABELS):
        folder = tmp_path / "points" / f"p{k}"
        folder.mkdir(parents=True)
        scaled = {**fields, "von_mises": fields["von_mises"] * SCALES[k]}
        np.savez(folder / "fields.npz", **scaled)
        (folder / "mesh.png").write_bytes(files["mesh.png"])
        record = copy.deepcopy(base)
        record["label"] = label
        record["parameters"]["pad_thickness"] = 5.0 * (k + 1)
        record["metrics"]["life"] = LIVES[k]
        record["metrics"]["zone.solder.von_mises_max"] *= SCALES[k]
        record["hysteresis"] = _loop(SCALES[k]) if hysteresis else {}
        record["files"] = {"fields.npz": folder / "fields.npz", "mesh.png": folder / "mesh.png"}
        records.append(record)
    records.append({"label": "broken", "structure": "molded-joint", "parameters": {"pad_thickness": -1.0},
                    "status": "failed", "error": ERROR})
    convergence = []
    for factor, elements in ((2.8, 600), (2.0, base["elements"])):
        record = copy.deepcopy(base)
        record.update(label=f"thin pad (mesh x{factor:g})", mesh_size_factor=factor, elements=elements)
        record["metrics"]["life"] = 1000.0 * factor
        convergence.append(record)
    metadata = {"study": "pads", "quick": True, "workers": 1, "wall_time_s": 3.2, "compute_time_s": 4.0,
                "date": "2025-01-01 12:00:00", "load": None, "cached_points": 1, "host": "test",
                "versions": {"python": "3"}}
    return StudyRun(_study(better), True, records, convergence, metadata)


def _ranking_table(text: str) -> str:
    return text[text.index("<table>"):text.index("</table>")]


def test_report_is_self_contained_and_answers_first(tmp_path, point):
    run = _run(tmp_path, point)
    path = tmp_path / "out" / "report.html"
    write_report(run, path)
    text = path.read_text()

    first_img = text.index("<img")
    assert text.index(html.escape(run.study.question)) < first_img
    assert text.index("The answer: mid pad lives longest.") < first_img
    assert _ranking_table(text) and text.index("<table>") < first_img

    # ranking, higher is better: mid (1500), thick (1200), thin (900), then the failed one
    table = _ranking_table(text)
    positions = [table.index(f"<td>{label}</td>") for label in ("mid pad", "thick pad", "thin pad", "broken")]
    assert positions == sorted(positions)
    assert "1500.0" in table and "cycles" in table
    assert html.escape(ERROR) in text and ERROR not in text     # escaped, shown

    # offline: every image is an embedded PNG, nothing is fetched
    sources = re.findall(r'<img src="([^"]*)"', text)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert not re.search(r"<(script|link)\b|\bhref=|url\(|@import", text)

    # one contour image per solved variant, and every embedded figure is also written as a PNG
    assert len(re.findall(r'alt="contour ', text)) == len(LABELS)
    figures = path.parent / "figures"
    assert len(list(figures.glob("contour_*.png"))) == len(LABELS)
    written = {p.read_bytes() for p in figures.glob("*.png")}
    embedded = {base64.b64decode(s.split(",", 1)[1]) for s in sources}
    # the page embeds screen copies (at most SCREEN_WIDTH_PX wide, 256 colours) of the files, which
    # keep the full resolution
    copies = {screen_png(data) for data in written} | {screen_png(data, flat=True) for data in written}
    assert embedded <= copies and len(embedded) == len(written)
    assert all(data.startswith(b"\x89PNG") for data in written | embedded)
    assert sum(map(len, embedded)) < 0.7 * sum(map(len, written))
    for name in ("metrics.png", "hysteresis.png", "convergence.png", "interface_pad_solder.png"):
        assert (figures / name).is_file()
    assert "not/there" in text                        # an interface no record has is named, not drawn

    # materials: the library's sources of the materials the records use
    import materials
    lib = materials.load_library()
    for name in set(point[0]["materials"].values()):
        assert html.escape(lib.get(name).sources()[0]) in text

    # convergence table: change relative to the finest mesh
    assert "+40.00%" in text and "reference" in text


def test_ranking_follows_better(point, tmp_path):
    run = _run(tmp_path, point, better="lower")
    order = [r["label"] for r in rank_records(run.study, run.records)]
    assert order == ["thin pad", "thick pad", "mid pad", "broken"]
    run = _run(tmp_path / "b", point, better="higher")
    assert [r["label"] for r in rank_records(run.study, run.records)] == ["mid pad", "thick pad", "thin pad", "broken"]
    run = _run(tmp_path / "c", point, better="none")
    assert [r["label"] for r in rank_records(run.study, run.records)] == list(LABELS) + ["broken"]
    # a record without the ranking metric goes after the ranked ones, before the failed ones
    run = _run(tmp_path / "d", point, better="higher")
    del run.records[1]["metrics"]["life"]
    assert [r["label"] for r in rank_records(run.study, run.records)] == ["thick pad", "thin pad", "mid pad", "broken"]


def test_contour_scale_is_common_and_robust(point, tmp_path):
    run = _run(tmp_path, point)
    study = run.study
    loaded = [(r, load_fields(r, study.contour)) for r in run.records[:len(LABELS)]]
    samples = [coloured_values(f, study.contour_regions, window(r, f)) for r, f in loaded]
    assert all(s.size > 10 for s in samples)
    lo, hi = contour_limits(samples)
    everything = np.concatenate(samples)
    assert (lo, hi) == pytest.approx(tuple(np.percentile(everything, (1, 99))))
    # one scale for all: it covers the strongest variant (x2) too, not only the first one
    first_lo, first_hi = contour_limits(samples[:1])
    assert hi > first_hi * 1.2
    # a singular corner (one huge nodal value) does not move the scale
    spiked = [np.append(samples[0], 1e6)] + samples[1:]
    assert contour_limits(spiked) == pytest.approx((lo, hi), rel=0.05)
    assert contour_limits([]) is None
    # only the coloured regions count: the substrate's values are not sampled
    fields = loaded[0][1]
    solder_pad = coloured_values(fields, ("solder", "pad"), window(loaded[0][0], fields))
    every_region = coloured_values(fields, (), window(loaded[0][0], fields))
    assert every_region.size > solder_pad.size
    # the report states the limits it used
    path = tmp_path / "out" / "report.html"
    write_report(run, path)
    assert f"{lo:.4g} to {hi:.4g}" in path.read_text()


def test_report_without_any_solved_variant(point, tmp_path):
    run = _run(tmp_path, point, hysteresis=False)
    run.records = [r if r["status"] != "ok" else {"label": r["label"], "status": "failed", "error": "solver diverged"}
                   for r in run.records]
    run.convergence = []
    path = tmp_path / "report.html"
    write_report(run, path)
    text = path.read_text()
    assert "No variant could be solved" in text and "solver diverged" in text and ERROR.split()[0] in text
    assert "<img" not in text


# ------------------------------------------------------------------ mesh convergence of the metrics

def _convergence_run(tmp_path, ranking_values, peak_values) -> StudyRun:
    """A synthetic baseline series x1.4, x1, x0.7 (coarse to fine) with a ranking metric and an
    informational nodal peak; no solving."""
    metrics = (Metric("probe_avg.corner.max_principal", "corner S1 (1 um mean)", "MPa", "lower", ".4g"),
               Metric("zone.pad.von_mises_max", "pad von Mises max (mesh-dependent peak)", "MPa", "none", ".4g"))
    study = Study("pads", "Pads", "Which pad?", "molded-joint", (Variant("base"),), metrics,
                  answer=lambda recs: "", level="cell")
    series = [{"label": f"base (mesh x{f:g})", "status": "ok", "mesh_size_factor": f, "elements": n, "dofs": 2 * n,
               "metrics": {metrics[0].key: a, metrics[1].key: b}}
              for f, n, a, b in zip((1.4, 1.0, 0.7), (1000, 2000, 4000), ranking_values, peak_values)]
    return StudyRun(study, False, [], series[::-1], {})   # any order: the section sorts coarse to fine


def test_convergence_table_lists_every_metric_and_flags_the_moving_ones(tmp_path):
    from studies.report import CONVERGENCE_TOLERANCE, FLAG, Figures, convergence_section, unconverged_metrics

    # the average moves 1 % from x1 to x0.7, the peak 10 %: (second finest - finest) / finest
    run = _convergence_run(tmp_path, (103.0, 101.0, 100.0), (80.0, 90.0, 100.0))
    assert unconverged_metrics(run) == {"zone.pad.von_mises_max": pytest.approx(-0.10)}
    text = convergence_section(run, Figures(tmp_path))
    table = text[text.index("<table>"):text.index("</table>")]
    rows = table.split("<tr")[2:]
    assert len(rows) == 2
    # every mesh of the series, coarse to fine, as columns; each value with its change to the finest
    assert table.index("x1.4") < table.index("x1<") < table.index("x0.7")
    assert all(v in rows[0] for v in ("103 (+3.00%)", "101 (+1.00%)", "100 (reference)"))
    assert all(v in rows[1] for v in ("80 (-20.00%)", "90 (-10.00%)", "100 (reference)"))
    # only the peak is flagged, in its row and in a sentence that names it
    assert FLAG not in rows[0] and FLAG in rows[1] and 'class="flagged"' in rows[1]
    sentence = text[:text.index("<table>")]
    assert "pad von Mises max" in sentence and f"more than {CONVERGENCE_TOLERANCE:.0%}" in sentence
    assert "corner S1" not in sentence and "RANKING IS NOT MESH-CONVERGED" not in text


def test_convergence_section_warns_loudly_when_the_ranking_metric_moves(tmp_path):
    from studies.report import Figures, convergence_section, unconverged_metrics

    # the ranking metric moves 6 % between the two finest meshes (just over the 5 % tolerance), the
    # peak 4 % (under it)
    run = _convergence_run(tmp_path, (120.0, 106.0, 100.0), (90.0, 96.0, 100.0))
    assert set(unconverged_metrics(run)) == {"probe_avg.corner.max_principal"}
    text = convergence_section(run, Figures(tmp_path))
    assert "RANKING IS NOT MESH-CONVERGED" in text and "+6.0%" in text


def test_how_sure_lists_each_life_with_its_calibration_basis(tmp_path, point):
    run = _run(tmp_path, point)
    basis = {"law": "EnergyLaw", "source": "Syed 2004", "C": 526.3, "k": -1.0, "alloy": ["sac305"],
             "model_dimension": "3D", "constitutive": "garofalo", "basis": "BGA", "volume_averaging_thickness": 25.4}
    for k, record in enumerate(run.records[:3]):
        inside = k == 1
        reasons = [] if inside else ["constants fitted on 3D models; this run's model is 2D"]
        record["fatigue"] = {"pad_layer": {"stabilised": inside, "energy": {
            "N_failure": LIVES[k], **basis, "in_calibration": inside, "reasons": reasons}}}
        record["cycles"] = [{"cycle": 1}]
        record["critical_joint"] = {"layer_thickness_um": 25.4}
    write_report(run, tmp_path / "report.html")
    text = (tmp_path / "report.html").read_text()
    section = text[text.index("<h2>How sure is this</h2>"):]
    basis_table = section[section.index("Calibration basis"):section.index("Mesh convergence")]
    assert basis_table.count('<tr class="flagged">') == 2          # the two variants outside calibration
    assert "this run&#x27;s model is 2D (thin pad, thick pad)" in basis_table
    assert "no (1 cycle)" in basis_table and "Syed 2004" in basis_table
    assert "not from a stabilised loop" in text                      # a quick run says so


def test_time_step_band_is_the_accuracy_the_error_control_held():
    from studies.report import time_step_error

    cycles = [{"cycle": 1, "time_error": 0.03}]          # the bound: 5-10x the measured error
    assert time_step_error({"cycles": cycles, "load": {"profile": "G"}}) == 0.01
    assert time_step_error({"cycles": cycles, "load": {"profile": "G", "accuracy": 0.004}}) == 0.004
    assert time_step_error({"cycles": cycles, "load": {"profile": "G", "fixed_steps": True}}) == 0.03
    assert time_step_error({"cycles": [], "load": None}) is None


def test_how_sure_states_the_slices_idealisation(tmp_path, point):
    from studies.report import idealisation_section

    run = _run(tmp_path, point)
    cell = idealisation_section(run)
    assert "Model idealisation" in cell and "uniform out-of-plane strain" not in cell
    run.records[0]["analysis"] = "generalized_plane_strain"
    text = idealisation_section(run)
    assert "generalized_plane_strain" in text and "uniform out-of-plane strain" in text and "+28 %" in text


# ------------------------------------------------------------------ figures a reviewer reads at a glance

from contextlib import contextmanager  # noqa: E402

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.text import Text  # noqa: E402


@contextmanager
def _drawn_texts():
    """Record every Text artist matplotlib actually draws (titles, suptitle, axis and tick labels,
    legend entries, annotations, colourbar labels), with its window extent at draw time."""
    drawn = []
    original = Text.draw

    def draw(self, renderer):
        original(self, renderer)
        if self.get_visible() and self.get_text().strip():
            drawn.append((self.get_text(), Text.get_window_extent(self, renderer)))

    Text.draw = draw
    try:
        yield drawn
    finally:
        Text.draw = original


def layout_problems(fig, dpi) -> list[str]:
    """Texts of a figure, drawn at ``dpi``, that overlap another text or leave the canvas (1 px slack)."""
    fig.set_dpi(dpi)
    with _drawn_texts() as drawn:
        FigureCanvasAgg(fig).draw()
    width, height = fig.bbox.width, fig.bbox.height
    problems = [f"{text!r} leaves the canvas ({box.x0:.0f}..{box.x1:.0f} x {box.y0:.0f}..{box.y1:.0f} "
                f"in {width:.0f} x {height:.0f} px)"
                for text, box in drawn
                if box.x0 < -1 or box.y0 < -1 or box.x1 > width + 1 or box.y1 > height + 1]
    for i, (text_a, a) in enumerate(drawn):
        for text_b, b in drawn[i + 1:]:
            overlap_x = min(a.x1, b.x1) - max(a.x0, b.x0)
            overlap_y = min(a.y1, b.y1) - max(a.y0, b.y0)
            if overlap_x > 1 and overlap_y > 1:
                problems.append(f"{text_a!r} overlaps {text_b!r} ({overlap_x:.0f} x {overlap_y:.0f} px)")
    return problems


#: metric values of the synthetic study runs: the magnitudes real metrics have (lives, dW, strains,
#: stresses, forces), so tick labels and offset texts are as wide as in a real report
MAGNITUDES = (3542.0, 0.0123, 1.2e-5, 87.5, -15.2, 2.4e5, 0.43)


def _study_run(tmp_path, point, study, every_contour: bool = True) -> StudyRun:
    """A real study's variants, metrics, curves and interfaces on the real quick point's fields,
    interfaces and mesh picture; metric values of realistic magnitudes with a 3 % wiggle."""
    base, files = point
    folder = tmp_path / "point"
    folder.mkdir(parents=True, exist_ok=True)
    fields = dict(np.load(io.BytesIO(files["fields.npz"])))
    fields.setdefault(study.contour, fields["von_mises"])     # a cycled field the thermoelastic point lacks
    np.savez(folder / "fields.npz", **fields)
    (folder / "mesh.png").write_bytes(files["mesh.png"])

    def record(label, parameters, k, mesh_factor=2.0):
        r = copy.deepcopy(base)
        wiggle = 1.0 + 0.03 * ((-1) ** k) * (k % 3)
        r.update(label=label, parameters=parameters, mesh_size_factor=mesh_factor,
                 metrics={m.key: MAGNITUDES[i % len(MAGNITUDES)] * wiggle for i, m in enumerate(study.metrics)},
                 hysteresis=_loop(1.0 + 0.1 * k), cycles=[{"cycle": 1, "time_error": 0.01}],
                 files={"fields.npz": folder / "fields.npz", "mesh.png": folder / "mesh.png"})
        return r

    records = [record(v.label, {**study.base_parameters, **v.parameters}, k) for k, v in enumerate(study.variants)]
    if not every_contour:
        # the contours differ only in their titles: draw the first and the longest-labelled one
        longest = max(records, key=lambda r: len(r["label"]))
        for r in records[1:]:
            if r is not longest:
                r["files"] = {"mesh.png": folder / "mesh.png"}
    convergence = [record(f"{study.variants[0].label} (mesh x{f:g})", records[0]["parameters"], k, f)
                   for k, f in enumerate((2.8, 2.0))]
    metadata = {"study": study.name, "quick": True, "workers": 1, "load": None}
    return StudyRun(study, True, records, convergence, metadata)


def _report_figures(run, path, monkeypatch) -> list:
    """Write the report and return (name, Figure) of every figure it made (not rendered to PNG:
    the layout check draws them itself)."""
    from studies import report

    made = []
    monkeypatch.setattr(report.Figures, "save", lambda self, fig, name: made.append((name, fig)) or "data:,")
    monkeypatch.setattr(report.Figures, "copy", lambda self, source, name: "data:,")   # a mesh picture's PNG
    write_report(run, path)
    return made


def _study_layout_problems(name, point, tmp_path, monkeypatch, every_contour=True) -> dict:
    """Figure name -> layout problems, for every figure of one study's report and its Weibull plot."""
    from studies.report import DPI
    from studies.scatter import weibull_figure

    study = importlib.import_module(f"studies.{name}").STUDY
    run = _study_run(tmp_path / name, point, study, every_contour)
    problems = {f"{name}/{figure}": layout_problems(fig, DPI)
                for figure, fig in _report_figures(run, tmp_path / name / "report.html", monkeypatch)}
    summary = {"weibull_slope": 6.0, "variants": [{"label": v.label, "median": 3000.0 + 100 * k,
                                                   "p10": 2500.0, "p90": 3600.0}
                                                  for k, v in enumerate(study.variants)]}
    problems[f"{name}/scatter_weibull.png"] = layout_problems(weibull_figure(summary), DPI)
    return problems


def _assert_laid_out(problems: dict) -> None:
    bad = {k: v for k, v in problems.items() if v}
    assert not bad, "\n".join(f"{k}: {p}" for k, v in bad.items() for p in v[:3])


def test_report_figures_are_laid_out_without_overlapping_text(point, tmp_path, monkeypatch):
    """Every kind of figure of the molded-joint study's report (its metrics, sweep curve, variants,
    interfaces, on the real quick point) and of compare_all's (the longest variant labels), the
    Weibull plots and the mesh picture: no text box overlaps another and none leaves the canvas,
    at the size the report embeds them. Fails on a sweep-curve figure with the metric's whole label
    as its y label (19 texts of molded_joint's ran into the next panel or off the canvas) and on
    unwrapped contour titles."""
    from geometry import STRUCTURES
    from geometry.plot import DPI as MESH_DPI
    from geometry.plot import mesh_figure

    # the contours differ only in their titles: the first and the longest-titled of each study
    problems = _study_layout_problems("molded_joint", point, tmp_path, monkeypatch, every_contour=False)
    problems.update(_study_layout_problems("compare_all", point, tmp_path, monkeypatch, every_contour=False))
    kinds = {re.match(r"[a-z]+(_weibull)?", k.split("/")[1]).group() for k in problems}
    assert kinds == {"metrics", "curve", "contour", "interface", "hysteresis", "convergence", "scatter_weibull"}
    problems["mesh.png"] = layout_problems(mesh_figure(STRUCTURES["molded-joint"]().build("cell", 2.0)), MESH_DPI)
    _assert_laid_out(problems)


@pytest.mark.slow
def test_every_study_report_figure_is_laid_out(point, tmp_path, monkeypatch):
    """As above for every study (every contour) and every structure's assembly mesh picture."""
    from geometry import STRUCTURES
    from geometry.plot import DPI as MESH_DPI
    from geometry.plot import mesh_figure
    from studies.sweep import STUDIES

    problems = {}
    for name in STUDIES:
        problems.update(_study_layout_problems(name, point, tmp_path, monkeypatch))
    for structure, builder in STRUCTURES.items():
        problems[f"{structure}/mesh.png"] = layout_problems(mesh_figure(builder().build("assembly", 2.0)), MESH_DPI)
    _assert_laid_out(problems)


def test_screen_copies_are_narrow_palette_pngs():
    from PIL import Image

    from studies.report import SCREEN_WIDTH_PX

    fig = __import__("matplotlib.figure", fromlist=["Figure"]).Figure(figsize=(14, 6))
    ax = fig.subplots()
    ax.imshow(np.linspace(0, 1, 400 * 300).reshape(300, 400), cmap="viridis")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=130)                 # 1820 px, like a mesh picture
    full = buffer.getvalue()
    small = screen_png(full)
    image = Image.open(io.BytesIO(small))
    assert image.width == SCREEN_WIDTH_PX and image.mode == "P" and len(small) < len(full) / 2
    assert screen_png(small) == small or len(screen_png(small)) <= len(small)   # never grows


# ------------------------------------------------------------------ interfaces along their segments

def _two_segment_curve():
    """An interface in two pieces with a 200 um gap between them (mold/solder on either side of a
    joint): facets of 10 um, nodes facet by facet, the second piece listed from its outer end; the
    outer ends are where the interface ends."""
    x = np.concatenate([np.repeat(np.arange(1375.0, 1475.0, 10.0), 3) + np.tile([0, 5, 10], 10),
                        (np.repeat(np.arange(1675.0, 1775.0, 10.0), 3) + np.tile([0, 5, 10], 10))[::-1]])
    segment = np.repeat([0.0, 1.0], 30)
    s = np.where(segment == 0, x - 1375.0, 1775.0 - x)
    end = np.zeros(60)
    end[[0, 29, 30, 59]] = 1.0
    peel = 10.0 + 0.0 * x
    peel[[0, 29, 30, 59]] = 500.0                                 # singular corner values
    return {"x": x.tolist(), "y": [30.0] * 60, "s": s.tolist(), "segment": segment.tolist(), "end": end.tolist(),
            "peel": peel.tolist(), "shear": (peel / 2).tolist()}


def test_interface_plot_draws_each_segment_along_its_arc_length_without_singular_ends():
    from studies.report import interface_figure, interface_segments

    curve = _two_segment_curve()
    parts = interface_segments(curve)
    assert [p["x"][0] for p in parts] == [1375.0, 1675.0] and all(p["s"][0] == 0 for p in parts)
    fig = interface_figure("mold/solder", [{"label": "base", "interfaces": {"mold/solder": curve}}])
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 4                                         # a row of peel / shear per segment
    # each segment runs from its end nearer the centre, named in its panels' titles
    assert "(x, y) = (1375, 30) um" in axes[0].get_title() and "(x, y) = (1675, 30) um" in axes[2].get_title()
    for ax in axes:
        data = [line for line in ax.get_lines() if len(line.get_xdata()) > 2]
        assert len(data) == 1                                     # one line per segment and variant
        s, value = data[0].get_xdata(), data[0].get_ydata()
        assert s.max() <= 100.0                                   # nothing drawn across the gap
        assert np.abs(value).max() < 100.0                        # the singular end values are not drawn
        marks = [line for line in ax.get_lines() if line.get_linestyle() == ":"]
        assert sorted(float(line.get_xdata()[0]) for line in marks) == [0.0, 100.0]
    assert layout_problems(fig, 100) == []


def test_traction_splits_a_curve_with_a_gap_into_chains():
    from fea.post import chain_arc_length, orient_chains

    # facets (start, middle, end) of two chains: 0-1-2 | 5-6-7, the second chain's first facet backwards
    f_nodes = np.array([[0, 1, 6, 6], [10, 11, 12, 13], [1, 2, 5, 7]])
    chain = orient_chains(f_nodes)
    assert chain.tolist() == [0, 0, 1, 1]
    assert f_nodes[:, 2].tolist() == [5, 12, 6] and f_nodes[2, 1] == 2
    p = {0: 0.0, 1: 1.0, 2: 2.0, 5: 10.0, 6: 11.0, 7: 12.0}
    x = lambda row: np.array([[p.get(n, 0.0) for n in row], [0.0] * 4])   # noqa: E731
    mid = np.array([[0.5, 1.5, 10.5, 11.5], [0.0] * 4])
    s = chain_arc_length(x(f_nodes[0]), mid, x(f_nodes[2]), chain)
    assert s.tolist() == [0.0, 0.5, 1.0, 1.0, 1.5, 2.0, 0.0, 0.5, 1.0, 1.0, 1.5, 2.0]


def test_window_splits_segments_where_the_curve_leaves_it():
    from studies.evaluate import window_segments

    inside = np.array([1, 1, 0, 1, 1, 1, 0], bool)
    segments = window_segments(np.array([0, 0, 0, 0, 1, 1, 1]), inside)
    assert segments[inside].tolist() == [0, 0, 1, 2, 2]


# ------------------------------------------------------------------ numerical uncertainty bands

def test_ranking_and_sweep_show_the_numerical_uncertainty_band(point, tmp_path):
    """molded_joint's lives over molding 0.2-0.7 (3542 / 3527 / 3438 / 3530, a 3 % wiggle) with the
    baseline moving 2 % between the two finest meshes and a 1 % time-step error: the table gives
    every value its band (2.2 %), marks the ranks it cannot tell apart and says so; the sweep curve
    shades the band."""
    from studies.molded_joint import STUDY
    from studies.report import ranking_table, sweep_figure

    run = _study_run(tmp_path, point, STUDY)
    lives = dict(zip(("molding 0.5 of the joint height", "molding 0.2 of the joint height",
                      "molding 0.35 of the joint height", "molding 0.7 of the joint height"), (3542, 3527, 3438, 3530)))
    for record in run.records:
        record["metrics"]["critical.life"] = lives.get(record["label"], 2000.0)
    run.convergence[0]["metrics"]["critical.life"] = 3542 * 1.02       # the coarser mesh, 2 % off
    run.convergence[1]["metrics"]["critical.life"] = 3542
    table = ranking_table(run)
    assert "3.54e+03 <span class=\"band\">&plusmn;2.2%</span>" in table
    assert "2 (~1)" in table and "3 (~2)" in table and "4 (~3)" in table and "5 (~4)" not in table
    assert "Within their numerical uncertainty" in table and "Their order is not a result" in table
    # the answer says so too, naming the four it cannot tell apart
    from studies.report import summary_section
    answer = summary_section(run)
    answer = answer[answer.index('class="answer"'):answer.index("</div>")]
    assert "the 4 leading variants are not told apart" in answer and all(label in answer for label in lives)
    curve = STUDY.curves[0]
    fig = sweep_figure(STUDY.metrics, curve, [r for r in run.records if r["label"] in lives],
                       {"critical.life": 0.02})
    shaded = [c for c in fig.axes[0].collections if len(c.get_paths())]
    assert shaded, "the life panel has no band"
    band = shaded[0].get_paths()[0].vertices[:, 1]
    assert band.max() == pytest.approx(3542 * (1 + np.hypot(0.02, 0.01)), rel=1e-6)


def test_contents_line_names_every_structure_of_a_multi_structure_study(point, tmp_path, monkeypatch):
    from studies.compare_all import STUDY

    run = _study_run(tmp_path, point, STUDY)
    _report_figures(run, tmp_path / "report.html", monkeypatch)
    text = (tmp_path / "report.html").read_text()
    assert ("Structures: ppi-recess, cu-post, molded-joint, fanout-rdl, edge-recess-rdl, level: assembly"
            in text)
    # a fact of the geometry (the outer joint's distance from the neutral point) carries no band
    from studies.report import value_with_band
    fact = next(m for m in STUDY.metrics if m.key == "outer_joint.dnp_um")
    assert "band" not in value_with_band(run.records[0], fact, {fact.key: 0.01})
    assert "band" in value_with_band(run.records[0], STUDY.metrics[0], {})      # the time-step error


def test_interface_corner_is_marked_and_its_elements_not_drawn():
    """An interface that turns a right angle (the PPI over a recess edge): the line breaks at the
    corner, the element on either side is not drawn, and the corner is marked like a singular end."""
    from matplotlib.figure import Figure

    from studies.report import draw_segment, interface_segments

    along = np.repeat(np.arange(0.0, 100.0, 10.0), 3) + np.tile([0, 5, 10], 10)
    x = np.concatenate([along, np.full(30, 100.0)])
    y = np.concatenate([np.zeros(30), along])
    peel = np.full(60, 10.0)
    peel[28:32] = 900.0                                            # the corner's nodal values
    curve = {"x": x + 500.0, "y": y, "s": np.concatenate([along, 100.0 + along]), "end": np.zeros(60),
             "peel": peel, "shear": peel}
    ax = Figure().subplots()
    draw_segment(ax, interface_segments(curve)[0], "peel", "C0")
    lines = [line for line in ax.get_lines() if line.get_linestyle() != ":"]
    assert len(lines) == 2 and all(np.abs(line.get_ydata()).max() < 100.0 for line in lines)
    assert lines[0].get_xdata().max() == 90.0 and lines[1].get_xdata().min() == 110.0
    assert [float(line.get_xdata()[0]) for line in ax.get_lines() if line.get_linestyle() == ":"] == [100.0]
