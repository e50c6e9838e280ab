"""pkgrel calibrate: the log-life fits recover known constants, the data file is checked before
anything runs, the command writes loadable outputs, and end to end on real cell runs."""
from __future__ import annotations

import json
import math
import textwrap

import numpy as np
import pytest

import materials
from studies import calibrate as cal
from studies import sweep
from studies.cli import main

# Noise-free data from the law itself: the least-squares minimum is the truth with zero residual,
# and the solver's tolerances (1e-15) leave errors far below this (1 % is what the issue asks).
EXACT = 1e-6


def sn_pb():
    return materials.default_library().get("sn62pb36ag2").fatigue


def energy_lives(dW, C=500.0, k=-1.1):
    return C * dW ** k


def darveaux_lives(dW, a, K1, K2, K3, K4):
    """Darveaux 2000: initiation N0 = K1 dW^K2, then a crack of length a at da/dN = K3 dW^K4."""
    return K1 * dW ** K2 + a / (K3 * dW ** K4)


def engelmaier_lives(d_gamma, T_mean, f, eps_f, c0, c1, c2):
    c = c0 + c1 * T_mean + c2 * math.log(1.0 + f)
    return 0.5 * (d_gamma / (2.0 * eps_f)) ** (1.0 / c)


def darveaux_truth() -> dict:
    d = sn_pb().darveaux
    return {"K1": d.K1, "K2": d.K2, "K3": d.K3, "K4": d.K4}


def engelmaier_truth() -> dict:
    cm = sn_pb().coffin_manson
    return {"eps_f": 0.325, "c0": cm.c0, "c1": cm.c1, "c2": cm.c2}


# ------------------------------------------------------------------------------- the fits alone

def test_energy_law_is_recovered_from_lives_of_known_constants():
    dW = np.geomspace(0.05, 2.0, 6)
    fit = cal.calibrate("energy", {"dW": dW}, energy_lives(dW), {"C": 526.3, "k": -1.0})
    assert fit.fitted == ("C", "k")
    assert fit.constants["C"] == pytest.approx(500.0, rel=EXACT)
    assert fit.constants["k"] == pytest.approx(-1.1, rel=EXACT)
    assert fit.rms < EXACT


def test_darveaux_constants_are_recovered_from_a_start_away_from_them():
    truth = darveaux_truth()
    # dW from 0.02 to 5 MPa: initiation matters at the low end, crack growth at the high end
    dW, a = np.geomspace(0.02, 5.0, 6), np.linspace(150.0, 300.0, 6)
    start = {"K1": 3 * truth["K1"], "K2": truth["K2"] + 0.3, "K3": truth["K3"] / 2, "K4": truth["K4"] - 0.2}
    fit = cal.calibrate("darveaux", {"dW": dW, "a": a}, darveaux_lives(dW, a, **truth), start)
    for name, value in truth.items():
        assert fit.constants[name] == pytest.approx(value, rel=EXACT), name


def test_engelmaier_eps_f_and_c0_are_recovered_and_c1_c2_kept():
    truth = engelmaier_truth()
    x = {"d_gamma": np.geomspace(0.005, 0.05, 5), "T_mean": np.full(5, 42.5), "f": np.full(5, 24.0)}
    lives = [engelmaier_lives(g, 42.5, 24.0, **truth) for g in x["d_gamma"]]
    start = {**truth, "eps_f": 0.2, "c0": -0.5}
    fit = cal.calibrate("engelmaier", x, lives, start)
    assert fit.fitted == ("eps_f", "c0") and fit.kept == ("c1", "c2")
    assert fit.constants["eps_f"] == pytest.approx(0.325, rel=EXACT)
    assert fit.constants["c0"] == pytest.approx(truth["c0"], rel=EXACT)
    assert any("fitted eps_f and c0" in note for note in fit.notes)


def test_one_strain_range_fits_eps_f_only():
    truth = engelmaier_truth()
    x = {"d_gamma": np.full(3, 0.02), "T_mean": np.full(3, 42.5), "f": np.full(3, 24.0)}
    lives = [engelmaier_lives(0.02, 42.5, 24.0, **truth)] * 3
    fit = cal.calibrate("engelmaier", x, lives, {**truth, "eps_f": 0.1})
    assert fit.fitted == ("eps_f",)
    assert fit.constants["eps_f"] == pytest.approx(0.325, rel=EXACT)
    assert fit.constants["c0"] == truth["c0"]


def noisy_vehicles(law: str, rng, n: int = 12, scatter: float = 0.03):
    """Truth, inputs and lives with multiplicative log-normal scatter (3 %: small against the
    scatter of real test vehicles, so the linearised intervals apply)."""
    noise = np.exp(rng.normal(0.0, scatter, n))
    if law == "energy":
        truth, x = {"C": 500.0, "k": -1.1}, {"dW": np.geomspace(0.05, 2.0, n)}
        lives = energy_lives(x["dW"])
    elif law == "darveaux":
        truth, x = darveaux_truth(), {"dW": np.geomspace(0.02, 5.0, n), "a": np.linspace(150, 300, n)}
        lives = darveaux_lives(x["dW"], x["a"], **truth)
    else:
        truth = engelmaier_truth()
        x = {"d_gamma": np.geomspace(0.005, 0.05, n), "T_mean": np.full(n, 42.5), "f": np.full(n, 24.0)}
        lives = np.array([engelmaier_lives(g, 42.5, 24.0, **truth) for g in x["d_gamma"]])
    return truth, x, lives * noise


@pytest.mark.parametrize("law", cal.LAWS)
def test_95_percent_intervals_contain_the_truth_in_about_95_percent_of_noisy_data_sets(law):
    draws = 100
    covered = {}
    for seed in range(draws):   # fixed seeds: the same data sets on every run
        truth, x, lives = noisy_vehicles(law, np.random.default_rng(seed))
        fit = cal.calibrate(law, x, lives, truth)
        for name in fit.fitted:
            low, high = fit.intervals[name]
            covered[name] = covered.get(name, 0) + (low < truth[name] < high)
    assert set(covered) == set(cal.CONSTANTS[law][:len(covered)])
    for name, count in covered.items():
        # a linear law: 95 +- 2.2 % (binomial, 100 draws); Darveaux's law is nonlinear in K1-K4 and
        # its Jacobian intervals cover less (measured 85-94 %), hence 80 %. Never all 100: an
        # interval inflated to be safe would contain the truth every time.
        assert 0.80 * draws <= count < draws, (name, count)


def test_one_vehicle_keeps_the_library_exponent_and_says_so():
    dW, reference = np.array([0.4]), {"C": 526.3, "k": -1.0}
    fit = cal.calibrate("energy", {"dW": dW}, [1200.0], reference)
    assert fit.fitted == ("C",) and fit.constants["k"] == -1.0
    assert fit.constants["C"] == pytest.approx(1200.0 / 0.4 ** -1.0, rel=EXACT)   # N = C dW^k solved for C
    assert fit.intervals["C"] is None
    assert any("not identifiable" in note for note in fit.notes)


def test_as_many_vehicles_as_constants_fit_exactly_without_intervals():
    dW = np.array([0.2, 0.8])
    fit = cal.calibrate("energy", {"dW": dW}, energy_lives(dW), {"C": 526.3, "k": -1.0})
    assert fit.constants["k"] == pytest.approx(-1.1, rel=EXACT)
    assert fit.intervals == {"C": None, "k": None}
    assert any("n = p = 2" in note for note in fit.notes)


def test_darveaux_refuses_fewer_than_four_distinct_dW():
    x = {"dW": np.array([0.1, 0.1, 0.5, 1.0, 1.0]), "a": np.full(5, 200.0)}
    with pytest.raises(cal.InputError, match="at least 4 vehicles with distinct dW, got 3"):
        cal.calibrate("darveaux", x, np.full(5, 1000.0), darveaux_truth())


def test_n50_is_converted_to_the_weibull_characteristic_life():
    eta = cal.characteristic_life(1000.0, "N50", 6.0)
    # half the population has failed at N50 on the Weibull curve of that eta
    assert 1.0 - math.exp(-(1000.0 / eta) ** 6.0) == pytest.approx(0.5, rel=1e-12)
    assert cal.characteristic_life(1000.0, "N63", None) == 1000.0


def layer(dW, shear_range):
    return {"dW": dW, "shear_strain_range": shear_range, "eps_in_range": shear_range / math.sqrt(3),
            "T_mean": 42.5, "cycles_per_day": 24.0, "layer_thickness_um": 25.4, "stabilised": True}


def test_the_critical_layer_is_the_worse_for_the_law():
    record = {"label": "TV1", "fatigue": {"pad_layer": layer(0.5, 0.03), "land_layer": layer(0.8, 0.02),
                                          "joint": layer(2.0, 0.1)}}
    assert cal.damage_of(record, "energy").group == "land_layer"
    assert cal.damage_of(record, "energy").dW == 0.8
    assert cal.damage_of(record, "engelmaier").group == "pad_layer"
    assert cal.damage_of(record, "engelmaier").shear_strain_range == 0.03


# ------------------------------------------------------------------------------- the data file

TWO_VEHICLES = """\
law = "energy"
material = "sac305"
[[vehicle]]
name = "TV1"
structure = "ppi-recess"
level = "cell"
parameters = { recess_depth_ratio = 0.35 }
load = { profile = "G", cycles = 1 }
life = 1200.0
[[vehicle]]
name = "TV2"
structure = "ppi-recess"
level = "cell"
parameters = { recess_depth_ratio = 0.6 }
load = { profile = "G", cycles = 1 }
life = 900.0
life_kind = "N50"
weibull_slope = 6.0
"""

MALFORMED = {
    "missing life": (('life = 1200.0\n', ''), "vehicle TV1: missing key 'life'"),
    "unknown structure": (('structure = "ppi-recess"\nlevel = "cell"\nparameters = { recess_depth_ratio = 0.35 }',
                           'structure = "ppi-pad"\nlevel = "cell"'), "vehicle TV1: structure = 'ppi-pad' is unknown"),
    "negative life": (('life = 1200.0', 'life = -1200.0'), "vehicle TV1: life = -1200.0 must be a number > 0"),
    "N50 without slope": (('weibull_slope = 6.0\n', ''), "vehicle TV2: life_kind = N50 needs weibull_slope"),
    "unknown law": (('law = "energy"', 'law = "morrow"'), "law = 'morrow' must be one of energy, darveaux"),
    "too few vehicles": (('law = "energy"', 'law = "darveaux"'), "law = darveaux needs at least 4 vehicles"),
    "impossible geometry": (("recess_depth_ratio = 0.6", "recess_depth_ratio = 0.2"),
                            "vehicle TV2: recess_depth_ratio = 0.2"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_data_is_one_line_exit_2_and_nothing_written(case, tmp_path, capsys, monkeypatch):
    (old, new), message = MALFORMED[case]
    assert old in TWO_VEHICLES
    data = tmp_path / "data.toml"
    data.write_text(TWO_VEHICLES.replace(old, new, 1))
    monkeypatch.setattr(sweep, "run_points", lambda *a, **k: pytest.fail("bad data reached the solver"))
    out = tmp_path / "out"
    assert main(["calibrate", str(data), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err, err
    assert not out.exists()


# ------------------------------------------------------------------------------- the command

def synthetic_records(dWs, thickness=25.4):
    """Sweep records as run_points returns them, with the critical layer's dW given."""
    records = []
    for k, dW in enumerate(dWs):
        records.append({"status": "ok", "label": f"TV{k + 1}", "materials": {"solder": "sac305"},
                        "fatigue": {"pad_layer": {**layer(dW, 0.02), "layer_thickness_um": thickness},
                                    "land_layer": {**layer(0.5 * dW, 0.01), "layer_thickness_um": thickness}},
                        "critical_joint": {"layer_thickness_um": thickness}})
    return records


def vehicles_toml(lives) -> str:
    blocks = ['law = "energy"']
    for k, life in enumerate(lives):
        blocks.append(textwrap.dedent(f"""\
            [[vehicle]]
            name = "TV{k + 1}"
            structure = "ppi-recess"
            level = "cell"
            parameters = {{ recess_depth_ratio = {0.3 + 0.1 * k} }}
            life = {life!r}"""))
    return "\n".join(blocks) + "\n"


def test_command_writes_the_fit_a_loadable_override_and_the_report(tmp_path, monkeypatch, capsys):
    dWs = [0.1, 0.25, 0.6, 1.2]
    data = tmp_path / "data.toml"
    data.write_text(vehicles_toml([float(energy_lives(dW)) for dW in dWs]))
    monkeypatch.setattr(sweep, "run_points", lambda points, cache, **kw: synthetic_records(dWs)[:len(points)])
    out = tmp_path / "out"
    assert main(["calibrate", str(data), "--out", str(out)]) == 0
    result = json.loads((out / "calibration.json").read_text())
    assert result["constants"]["C"]["value"] == pytest.approx(500.0, rel=EXACT)
    assert result["constants"]["k"]["value"] == pytest.approx(-1.1, rel=EXACT)
    assert result["fitted"] == ["C", "k"] and result["degrees_of_freedom"] == 2
    assert [v["critical_layer"] for v in result["vehicles"]] == ["pad_layer"] * 4
    assert all(abs(v["residual_ln"]) < EXACT for v in result["vehicles"])
    page = (out / "report.html").read_text()
    assert "data:image/png;base64," in page and "95% interval" in page
    assert not list(out.glob(".calibrate-*"))   # the staging directory is gone

    path = out / "calibrated_materials.toml"
    text = path.read_text()
    assert 'base = "sac305"' in text and 'alloy = "sac305"' in text and 'model_dimension = "2D"' in text
    solder = materials.load_library([path]).get("sac305")
    assert solder.fatigue.energy.C == pytest.approx(500.0, rel=EXACT)
    assert solder.fatigue.energy.k == pytest.approx(-1.1, rel=EXACT)
    assert "pkgrel calibrate on data.toml (4 vehicles" in solder.fatigue.energy.source
    assert main(["materials", "sac305", "--materials", str(path)]) == 0


def test_one_vehicle_says_in_one_line_that_the_exponent_is_kept(tmp_path, monkeypatch, capsys):
    data = tmp_path / "data.toml"
    data.write_text(vehicles_toml([1200.0]))
    monkeypatch.setattr(sweep, "run_points", lambda points, cache, **kw: synthetic_records([0.4]))
    assert main(["calibrate", str(data), "--out", str(tmp_path / "out")]) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if "not identifiable" in line]
    assert len(notes) == 1
    result = json.loads((tmp_path / "out" / "calibration.json").read_text())
    assert result["kept"] == ["k"] and result["constants"]["k"]["value"] == -1.0   # SAC305: Syed 2004
    assert "not identifiable" in (tmp_path / "out" / "report.html").read_text()


# ------------------------------------------------------------------------------- end to end

@pytest.mark.slow   # two cycled cells, about 25 s; test_command_writes_... is the fast version
def test_end_to_end_recovers_an_energy_law_from_cell_runs(tmp_path):
    """Two ppi-recess cells (--quick): lives from N = 500 dW^-1.1 on the runs' own dW, then the
    command (reusing the cached runs) recovers C and k."""
    data = tmp_path / "data.toml"
    data.write_text(vehicles_toml([1.0, 1.0]))
    out = tmp_path / "out"
    points = [cal.point_of(v, quick=True) for v in cal.read_data(data).vehicles]
    records = sweep.run_points(points, out / "cache", progress=False)
    assert [r["status"] for r in records] == ["ok", "ok"], [r.get("error") for r in records]
    dWs = [cal.damage_of(r, "energy").dW for r in records]
    assert dWs[0] != pytest.approx(dWs[1], rel=1e-3)   # two distinct damage inputs: k is identifiable
    data.write_text(vehicles_toml([float(energy_lives(dW)) for dW in dWs]))
    assert main(["calibrate", str(data), "--out", str(out), "--quick"]) == 0
    result = json.loads((out / "calibration.json").read_text())
    assert result["constants"]["C"]["value"] == pytest.approx(500.0, rel=0.01)
    assert result["constants"]["k"]["value"] == pytest.approx(-1.1, rel=0.01)
    assert result["quick"] is True
    solder = materials.load_library([out / "calibrated_materials.toml"]).get("sac305")
    assert solder.fatigue.energy.C == pytest.approx(500.0, rel=0.01)


def test_darveaux_crack_length_without_darveaux_constants_is_the_pad_interface_diameter():
    """SAC305 has no Darveaux constants, so its records hold no crack length: the fit takes the
    interface's extent as the solver would, here the diameter of the round cell's pad."""
    from studies.evaluate import critical_joint

    vehicle = cal.Vehicle("TV1", "ppi-recess", "cell", {"pad_diameter": 160.0}, {"profile": "G"},
                          1000.0, "eta", None, 1000.0)
    point = cal.point_of(vehicle, quick=True)
    model = point.builder().build(point.level, point.mesh_size_factor, library=point.library())
    joint = critical_joint(model.mesh, {region: m.name for region, m in model.materials.items()})
    record = {"label": "TV1", "fatigue": {"pad_layer": layer(0.05, 0.002)},
              "critical_joint": {k: v for k, v in joint.items() if k != "layers"}}
    assert cal.damage_of(record, "darveaux", point).crack_length_um == pytest.approx(160.0, rel=1e-9)


def test_darveaux_and_engelmaier_fits_through_the_command_load_as_sac305_overrides(tmp_path, monkeypatch):
    """SAC305 has neither law in the library: the fits start from (and keep) the Sn-Pb constants,
    say so, and the written sections are complete enough for the loader."""
    truth_d, truth_e = darveaux_truth(), engelmaier_truth()
    dWs, ranges, a = np.geomspace(0.05, 2.0, 5), np.geomspace(0.004, 0.04, 5), 200.0
    records = synthetic_records(dWs)
    for record, d_gamma in zip(records, ranges):
        record["fatigue"]["pad_layer"]["shear_strain_range"] = float(d_gamma)
        record["fatigue"]["land_layer"]["shear_strain_range"] = float(0.5 * d_gamma)
        record["fatigue"]["pad_layer"]["darveaux"] = {"crack_length_um": a}
    monkeypatch.setattr(sweep, "run_points", lambda points, cache, **kw: records)
    for law, lives, recovered in (
            ("darveaux", darveaux_lives(dWs, a, **truth_d), truth_d),
            ("engelmaier", [engelmaier_lives(g, 42.5, 24.0, **truth_e) for g in ranges],
             {"eps_f": 0.325, "c0": truth_e["c0"]})):
        data = tmp_path / f"{law}.toml"
        data.write_text(vehicles_toml([float(n) for n in lives]).replace('law = "energy"', f'law = "{law}"'))
        out = tmp_path / law
        assert main(["calibrate", str(data), "--out", str(out)]) == 0
        result = json.loads((out / "calibration.json").read_text())
        for name, value in recovered.items():
            assert result["constants"][name]["value"] == pytest.approx(value, rel=EXACT), (law, name)
        assert any("sn62pb36ag2" in note for note in result["notes"])
        solder = materials.load_library([out / "calibrated_materials.toml"]).get("sac305")
        section = solder.fatigue.darveaux if law == "darveaux" else solder.fatigue.coffin_manson
        assert getattr(section, "K4" if law == "darveaux" else "eps_f") == pytest.approx(
            truth_d["K4"] if law == "darveaux" else 0.325, rel=EXACT)
