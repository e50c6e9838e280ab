"""studies/scatter.py: --scatter N, Latin-hypercube tolerances around every variant."""
import csv
import json
import math
import subprocess
import sys

import numpy as np
import pytest
from scipy.stats import norm

from fea.errors import InputError
from studies import scatter as sc
from studies import sweep
from studies.evaluate import Point, point_key
from studies.study import Metric, Study, Variant, run_study

CELL = Point("ppi-recess", {}, level="cell", mesh_size_factor=2.0, load={"profile": "G", "cycles": 1},
             label="baseline")
FLAT = Point("ppi-recess", {"recess_depth_ratio": 0.0}, level="cell", mesh_size_factor=2.0,
             load={"profile": "G", "cycles": 1}, label="flat")


def library():
    return CELL.library()


def zero_spread() -> dict:
    return {key: sc.Tolerance(key, 0.0, t.relative, t.distribution)
            for key, t in sc.default_tolerances(library()).items()}


# ------------------------------------------------------------------------------ sampling

def test_zero_spread_samples_are_the_nominal_point():
    """Nothing moves, so every sample has the nominal identity and cache key: it costs nothing."""
    plan = sc.plan([CELL, FLAT], 4, zero_spread())
    assert plan.dimensions == ()
    for nominal, samples in zip([CELL, FLAT], sc.sample_points([CELL, FLAT], plan)):
        assert len(samples) == 4
        for sample in samples:
            assert sample.parameters == nominal.parameters and sample.materials == nominal.materials
            assert sample.identity() == nominal.identity()
            assert point_key(sample, "code") == point_key(nominal, "code")


def test_latin_hypercube_puts_one_sample_in_every_bin():
    n, d = 37, 6
    unit = sc.unit_samples(n, d)
    assert unit.shape == (n, d) and ((unit > 0) & (unit < 1)).all()
    for column in unit.T:
        assert sorted(np.floor(column * n).astype(int)) == list(range(n))
    assert np.array_equal(unit, sc.unit_samples(n, d)), "the seed is fixed"


def test_samples_are_clipped_to_the_parameter_range():
    """fanout-rdl's ball (300 um, allowed [250, 1200]) with +-100 um uniform: a third of the samples
    would fall below 250 um and are clipped to it."""
    from geometry.fanout_rdl import FanoutRdl
    tolerances = {**zero_spread(), "ball_diameter": sc.Tolerance("ball_diameter", 100.0, False, "uniform")}
    nominal = Point("fanout-rdl", {}, level="cell", load={"profile": "G", "cycles": 1}, label="ball")
    plan = sc.plan([nominal], 30, tolerances)
    assert plan.dimensions == ("ball_diameter",)
    balls = [p.parameters.get("ball_diameter", 300.0) for p in sc.sample_points([nominal], plan)[0]]
    low, high = FanoutRdl.__dataclass_fields__["ball_diameter"].metadata["range"]
    assert min(balls) == low and all(low <= b <= high for b in balls)
    assert max(balls) > 390.0            # the top bin of 30 reaches within 100/15 um of +100
    # u < 0.25 clips: bins 0-6 of 30 always, bin 7 when its draw falls in its lower half
    assert 7 <= sum(b == low for b in balls) <= 8


def test_samples_respect_cross_parameter_limits():
    """compare_all's fan-out ball sits at a builder limit (opening 200 um = pad 220 um - 2 x 10 um
    overlap): independent pad and opening scatter would break it in about half the samples; the
    sample is clipped to the limit instead, so every sample builds."""
    tolerances = {**zero_spread(), "pad_diameter": sc.Tolerance("pad_diameter", 0.03, True),
                  "opening_diameter": sc.Tolerance("opening_diameter", 0.03, True)}
    nominal = Point("fanout-rdl", {"ball_diameter": 250.0, "pad_diameter": 220.0, "opening_diameter": 200.0},
                    level="cell", load={"profile": "G", "cycles": 1}, label="fan-out")
    samples = sc.sample_points([nominal], sc.plan([nominal], 20, tolerances))[0]
    for sample in samples:
        sample.builder().spec(sample.level)          # raises InputError if a limit is broken
    gaps = [s.parameters["pad_diameter"] - s.parameters["opening_diameter"] for s in samples]
    # clipped samples sit at the limit, inside it by the 1e-5 relative margin (0.002 um here)
    assert min(gaps) == pytest.approx(20.0, abs=0.005) and max(gaps) > 20.5


def test_material_samples_are_override_files_with_sources():
    tolerances = {**zero_spread(), "sac305.E": sc.Tolerance("sac305.E", 0.05, True),
                  "cu.alpha": sc.Tolerance("cu.alpha", 0.05, True)}
    plan = sc.plan([CELL], 3, tolerances)
    assert plan.dimensions == ("cu.alpha", "sac305.E")
    sample = sc.sample_point(CELL, plan, 1)
    assert [name for name, _ in sample.materials] == ["scatter_cu.toml", "scatter_sac305.toml"]
    factor = sc.Tolerance("", 0.05, True).apply(1.0, plan.unit[1, plan.column("sac305.E")])
    scaled, base = sample.library().raw("sac305"), library().raw("sac305")
    for (T, e), (T0, e0) in zip(scaled["elastic"]["E"]["table"], base["elastic"]["E"]["table"]):
        assert T == T0 and e == pytest.approx(e0 * factor, rel=1e-6)
    assert "(scatter sample 2)" in scaled["elastic"]["E"]["source"]
    assert scaled["anand"] == base["anand"], "only the scaled quantity changes"
    assert sample.library().raw("cu")["expansion"]["alpha"] != library().raw("cu")["expansion"]["alpha"]


def test_common_random_numbers_across_variants():
    """Sample k of every variant sees the same solder modulus factor."""
    tolerances = {**zero_spread(), "sac305.E": sc.Tolerance("sac305.E", 0.05, True)}
    plan = sc.plan([CELL, FLAT], 5, tolerances)
    a, b = sc.sample_points([CELL, FLAT], plan)
    for pa, pb in zip(a, b):
        assert pa.materials == pb.materials


# ------------------------------------------------------------------------------ statistics

def test_band_of_a_linear_metric_matches_its_known_variance():
    """y = sum a_i x_i of normal inputs x_i = m_i (1 + s_i z_i) is normal with
    sd = sqrt(sum (a_i m_i s_i)^2): its 10 % / 90 % quantiles are y0 -+ 1.2816 sd.
    Tolerance: 3 standard errors of an iid sample quantile, sqrt(q (1 - q) / n) / pdf(z_q) sd
    = 0.121 sd at n = 200 (LHS is more accurate than iid for additive functions: Stein 1987)."""
    n = 200
    nominal = np.array([250.0, 200.0, 7.5])
    spreads = np.array([0.04, 0.03, 0.05])
    weights = np.array([2.0, -1.0, 30.0])
    tolerances = [sc.Tolerance(f"x{i}", s, True) for i, s in enumerate(spreads)]
    unit = sc.unit_samples(n, len(tolerances))
    y = [sum(w * t.apply(m, u) for w, t, m, u in zip(weights, tolerances, nominal, row)) for row in unit]
    band = sc.life_band(y)
    y0 = float(weights @ nominal)
    sd = float(np.sqrt(np.sum((weights * nominal * spreads) ** 2)))
    z90 = norm.ppf(0.9)
    tolerance = 3 * math.sqrt(0.1 * 0.9 / n) / norm.pdf(z90) * sd
    assert band["median"] == pytest.approx(y0, abs=tolerance)
    assert band["p10"] == pytest.approx(y0 - z90 * sd, abs=tolerance)
    assert band["p90"] == pytest.approx(y0 + z90 * sd, abs=tolerance)


def test_uniform_tolerance_spans_its_half_range():
    t = sc.Tolerance("ball_diameter", 10.0, False, "uniform")
    values = [t.apply(250.0, u) for u in sc.unit_samples(50, 1)[:, 0]]
    # one sample per bin of width 20/50 um: the extremes lie within one bin of 240 and 260
    assert 240.0 <= min(values) <= 240.4 and 259.6 <= max(values) <= 260.0


@pytest.mark.parametrize("shared", [0.0, 0.3])
def test_outlive_probability_matches_the_closed_form(shared):
    """ln N_A = mu_A + s z0 and ln N_B = mu_B + c z0 + t z1 (c = s: common random numbers cancel
    z0): P(N_A > N_B) = Phi((mu_A - mu_B) / sqrt((s - c)^2 + t^2)). Tolerance: 3 binomial standard
    errors sqrt(p (1 - p) / n) (LHS is never worse than iid sampling beyond n/(n-1): Owen 1997)."""
    n = 1000
    mu_a, mu_b, s, t = math.log(5000.0), math.log(4200.0), 0.3, 0.25
    z = norm.ppf(sc.unit_samples(n, 2))
    life_a = np.exp(mu_a + s * z[:, 0])
    life_b = np.exp(mu_b + shared * z[:, 0] + t * z[:, 1])
    fraction, pairs = sc.outlive_fraction(list(life_a), list(life_b))
    expected = norm.cdf((mu_a - mu_b) / math.hypot(s - shared, t))
    assert pairs == n
    assert fraction == pytest.approx(expected, abs=3 * math.sqrt(expected * (1 - expected) / n))


def test_outlive_fraction_counts_only_pairs_that_both_solved():
    assert sc.outlive_fraction([3.0, None, 1.0, 5.0], [2.0, 9.0, 2.0, None]) == (0.5, 2)
    assert sc.outlive_fraction([None], [1.0]) == (None, 0)


def test_weibull_curve_is_half_at_the_median_and_one_minus_1_over_e_at_eta():
    beta, median = 6.0, 4000.0
    eta = median / math.log(2.0) ** (1 / beta)
    assert sc.weibull_failure_probability(median, median, beta) == pytest.approx(0.5, abs=1e-12)
    assert sc.weibull_failure_probability(eta, median, beta) == pytest.approx(1 - math.exp(-1), abs=1e-12)


# ------------------------------------------------------------------------------ tables and bad input

def test_scatter_table_overrides_and_refusals(tmp_path):
    table = tmp_path / "scatter.toml"
    table.write_text('[scatter]\n"ball_diameter" = {relative = 0.03, source = "our balls"}\n'
                     'sac.E = {relative = 0.08, distribution = "uniform"}\n')
    tolerances = sc.tolerances_with(sc.read_table(table), library())
    assert tolerances["ball_diameter"] == sc.Tolerance("ball_diameter", 0.03, True, "normal", "our balls")
    assert tolerances["sac305.E"].spread == 0.08 and tolerances["sac305.E"].distribution == "uniform"
    for entry, message in [({"balldiameter": {"relative": 0.03}}, "balldiameter: unknown tolerance"),
                           ({"ball_diameter": {"relative": -0.1}}, "ball_diameter.relative = -0.1 is outside [0, 0.2]"),
                           ({"si.s0": {"relative": 0.1}}, "si.s0: unknown tolerance"),
                           ({"cu.E": {"absolute": 1000.0}}, "give relative"),
                           ({"cu.E": {"relative": 0.1, "sigma": 2}}, "unknown key sigma")]:
        with pytest.raises(InputError, match=message.replace(".", r"\.").replace("[", r"\[")):
            sc.tolerances_with(entry, library())


def pkgrel(*args, cwd):
    return subprocess.run([sys.executable, "-m", "studies.cli", *args], capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize("args, message", [
    (["--scatter", "1"], "--scatter = 1 is outside [2, 1000]"),
    (["--scatter", "1001"], "--scatter = 1001 is outside [2, 1000]"),
    (["--scatter", "4", "--weibull-slope", "-2"], "--weibull-slope = -2.0 is outside"),
    (["--scatter", "4", "--scatter-table", "TABLE"], "[scatter] board: unknown tolerance"),
])
def test_bad_scatter_input_is_one_line_and_exit_2(tmp_path, args, message):
    (tmp_path / "table.toml").write_text("[scatter]\nboard = {relative = 0.1}\n")
    args = [str(tmp_path / "table.toml") if a == "TABLE" else a for a in args]
    out = tmp_path / "out"
    result = pkgrel("sweep", "ppi-recess", "--level", "cell", "--quick", "--vary", "recess_depth_ratio=0.35",
                    *args, "--out", str(out), cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) <= 3
    assert not out.exists() or not any(out.iterdir())


# ------------------------------------------------------------------------------ end to end

def synthetic_evaluate(point):
    """A stand-in for the FEA: life grows with the ball and falls with the solder modulus."""
    builder = point.builder()
    modulus = point.library().raw("sac305")["elastic"]["E"]["table"][1][1]
    life = 3000.0 * (builder.ball_diameter / 250.0) ** 2 * (47000.0 / modulus) * (1 + builder.recess_depth_ratio)
    record = {"label": point.label, **point.identity(), "overrides": dict(point.parameters), "status": "ok",
              "analysis": "axisymmetric", "elements": 100, "dofs": 400, "materials": {"solder": "sac305"},
              "metrics": {"critical.life": life, "critical.dW": 1.0 / life}, "run_time_s": 0.0}
    return record, {}


def small_study() -> Study:
    variants = (Variant("recess 0.35", {"recess_depth_ratio": 0.35}), Variant("flat pad", {"recess_depth_ratio": 0.0}))
    metrics = (Metric("critical.life", "life", "cycles", "higher", ".3g"),)
    return Study("scatter_check", "Scatter check", "Which pad lives longer?", "ppi-recess", variants, metrics,
                 answer=lambda records: "see the table", level="cell")


def test_scatter_run_writes_section_csv_and_json(tmp_path, monkeypatch):
    """The same run path as a study (one run_points call, cache), FEA replaced by a closed form."""
    monkeypatch.setattr(sweep, "evaluate", synthetic_evaluate)
    n = 8
    run = run_study(small_study(), tmp_path / "out", quick=True, progress=False,
                    scatter={"n": n, "table": {"ball_diameter": {"relative": 0.04}}, "weibull_slope": 6.0})
    summary = run.scatter
    assert [len(v["lives"]) for v in summary["variants"]] == [n, n]
    assert all(v["ok"] == n and v["failed"] == 0 for v in summary["variants"])
    # the recess multiplies every sample's life by 1.35 over the flat pad's same sample
    recess, flat = summary["variants"]
    assert np.allclose(np.array(recess["lives"]) / np.array(flat["lives"]), 1.35)
    assert summary["ranking"] == [{"better": "recess 0.35", "worse": "flat pad", "fraction": 1.0, "pairs": n}]
    assert recess["p10"] < recess["median"] < recess["p90"]
    out = tmp_path / "out"
    html = (out / "report.html").read_text()
    assert "Scatter of the tolerances" in html and "recess 0.35 outlives flat pad in 100 % of samples" in html
    assert "scatter_weibull.png" in {p.name for p in (out / "figures").iterdir()}
    rows = list(csv.DictReader((out / "scatter.csv").open()))
    assert len(rows) == 2 * n and {r["status"] for r in rows} == {"ok"}
    assert {float(r["ball_diameter"]) for r in rows if r["ball_diameter"]} and "sac305.E" in rows[0]
    data = json.loads((out / "results.json").read_text())
    assert data["scatter"]["variants"][0]["lives"] == recess["lives"]
    assert data["scatter"]["tolerances"]["ball_diameter"]["source"] == "user [scatter] table"


@pytest.mark.slow
def test_scatter_sweep_end_to_end(tmp_path):
    """pkgrel sweep --scatter 2 on a quick PPI cell: the real FEA through the CLI (~40 s)."""
    out = tmp_path / "sweep"
    result = pkgrel("sweep", "ppi-recess", "--level", "cell", "--quick", "--vary", "recess_depth_ratio=0.35,0",
                    "--scatter", "2", "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "samples" in result.stdout
    rows = list(csv.DictReader((out / "scatter.csv").open()))
    assert len(rows) == 4 and all(float(r["critical.life [cycles]"]) > 0 for r in rows)
    assert "Scatter of the tolerances" in (out / "report.html").read_text()
