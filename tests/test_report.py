"""studies/report.py: the self-contained HTML report of a design study."""
import base64
import copy
import html
import io
import re

import numpy as np
import pytest

from studies.evaluate import Point, evaluate
from studies.report import coloured_values, contour_limits, load_fields, rank_records, window, write_report
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
    assert embedded == written
    assert all(data.startswith(b"\x89PNG") for data in written)
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
