"""Materials library: data files, interpolation, secant CTE, Anand saturation, validation."""
from __future__ import annotations

import math
import tomllib

import numpy as np
import pytest

import materials
from fea.errors import InputError
from materials.anand import stress_strain
from materials.loader import SECTIONS, UNITS

REQUIRED = ["si", "sio2", "sin", "al", "cu", "ti", "ni", "au", "sac305", "sn62pb36ag2", "sn", "polyimide",
            "pbo", "bcb", "silicone", "emc", "lmc", "underfill", "solder_mask", "fr4", "bt", "glass"]


@pytest.fixture(scope="module")
def lib():
    return materials.load_library()


# ------------------------------------------------------------------ data files

@pytest.mark.parametrize("path", sorted(materials.DATA_DIR.glob("*.toml")), ids=lambda p: p.stem)
def test_every_data_file_loads_validates_and_is_named_after_its_file(path, lib):
    mat = lib.get(path.stem)
    assert mat.name == path.stem
    T = np.linspace(-55.0, 150.0, 12)   # the JEDEC range must be covered by every table
    assert np.all(mat.E(T) > 0)
    assert np.all((mat.nu(T) > -1) & (mat.nu(T) < 0.5))
    assert np.all((mat.alpha_secant(T) > 0) & (mat.alpha_secant(T) < 1e-3))
    mat.E(np.array(mat.stress_free_temperature))          # stress-free T inside the data
    mat.alpha_secant(np.array(mat.stress_free_temperature))
    assert mat.source
    assert "unit" in mat.to_dict()["E"]


def test_every_value_in_every_file_has_unit_and_source():
    def walk(node, where):
        if isinstance(node, dict) and ("value" in node or "table" in node or "below_tg" in node):
            assert node.get("unit") and node.get("source"), where
            return 1
        if isinstance(node, dict):
            return sum(walk(v, f"{where}.{k}") for k, v in node.items())
        return 0

    for path in materials.DATA_DIR.glob("*.toml"):
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
        assert walk(raw, path.stem) >= 4, path.name


def test_library_has_the_required_materials(lib):
    missing = [n for n in REQUIRED if n not in lib]
    assert not missing


def test_solders_have_viscoplastic_and_fatigue_models(lib):
    sac, snpb = lib.get("sac305"), lib.get("snpb")
    assert sac.anand and sac.creep.garofalo and sac.fatigue.energy
    assert snpb.anand and snpb.fatigue.darveaux and snpb.fatigue.coffin_manson
    assert snpb.fatigue.darveaux.basis.volume_averaging_thickness == pytest.approx(25.4)


def test_tg_materials_soften_above_tg(lib):
    for name in ("emc", "underfill", "solder_mask", "fr4", "bt"):
        mat = lib.get(name)
        assert mat.tg is not None, name
        below, above = mat.tg - 20.0, mat.tg + 20.0
        assert mat.E(np.array(above)) < 0.7 * mat.E(np.array(below)), name
        assert mat.expansion.alpha(np.array(above)) > mat.expansion.alpha(np.array(below)), name


# ------------------------------------------------------------------ lookup

def test_lookup_is_case_insensitive_and_accepts_aliases(lib):
    assert lib.get("CU").name == "cu"
    assert lib.get("Copper").name == "cu"
    assert lib.get(" silicon ").name == "si"


def test_unknown_name_suggests_close_matches(lib):
    with pytest.raises(InputError, match=r"unknown material 'cuu'; close matches: cu.*pkgrel materials"):
        lib.get("cuu")


def test_names_are_sorted_material_names(lib):
    names = lib.names()
    assert names == sorted(names, key=str.lower)
    assert "cu" in names and "copper" not in names


# ------------------------------------------------------------------ tables

def _table_file(tmp_path, E_rows, extrapolate=None, name="tab"):
    extra = f', extrapolate = "{extrapolate}"' if extrapolate else ""
    text = f"""
name = "{name}"
stress_free_temperature = {{ value = 25.0, unit = "degC", source = "test" }}
[elastic]
E = {{ table = {E_rows}, unit = "GPa", source = "test"{extra} }}
nu = {{ value = 0.3, unit = "-", source = "test" }}
[expansion]
alpha = {{ value = 10.0, unit = "ppm/K", kind = "secant", reference_temperature = 25.0, source = "test" }}
"""
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return path


def test_table_interpolates_linearly_and_converts_units(tmp_path):
    path = _table_file(tmp_path, "[[-50.0, 100.0], [50.0, 80.0], [150.0, 40.0]]")
    mat = materials.load_library([path]).get("tab")
    T = np.array([[-50.0, 0.0], [100.0, 150.0]])
    expected = np.array([[100e3, 90e3], [60e3, 40e3]])  # hand interpolation, GPa -> MPa
    np.testing.assert_allclose(mat.E(T), expected, rtol=1e-12)
    assert mat.E(T).shape == T.shape


def test_temperature_outside_table_is_an_error_naming_material_property_and_range(tmp_path):
    mat = materials.load_library([_table_file(tmp_path, "[[-50.0, 100.0], [150.0, 40.0]]")]).get("tab")
    with pytest.raises(InputError, match=r"'tab'.*elastic\.E.*T = 200.*\[-50, 150\]"):
        mat.E(np.array([0.0, 200.0]))


def test_constant_extrapolation_when_the_file_says_so(tmp_path):
    path = _table_file(tmp_path, "[[-50.0, 100.0], [150.0, 40.0]]", extrapolate="constant")
    mat = materials.load_library([path]).get("tab")
    np.testing.assert_allclose(mat.E(np.array([-100.0, 300.0])), [100e3, 40e3])


# ------------------------------------------------------------------ secant CTE

def test_secant_from_instantaneous_matches_hand_integration():
    # alpha_inst(T) = a0 + a1 T (linear, so the piecewise-linear table is exact):
    # secant about Tr: a0 + a1 (T + Tr) / 2
    a0, a1, Tr = 10e-6, 0.02e-6, 25.0
    T = np.array([-65.0, -20.0, 25.0, 60.0, 150.0])
    got = materials.secant_from_instantaneous(T, a0 + a1 * T, Tr)
    np.testing.assert_allclose(got, a0 + a1 * (T + Tr) / 2, rtol=1e-12)


def test_secant_of_a_curved_instantaneous_cte_converges_to_the_exact_integral():
    # alpha_inst = b exp(T/c): integral from Tr to T is b c (exp(T/c) - exp(Tr/c))
    b, c, Tr = 5e-6, 200.0, 25.0
    T = np.linspace(-65.0, 150.0, 2001)
    got = materials.secant_from_instantaneous(T, b * np.exp(T / c), Tr)
    exact = b * c * (np.exp(T / c) - np.exp(Tr / c)) / np.where(T == Tr, 1.0, T - Tr)
    mask = np.abs(T - Tr) > 1.0
    np.testing.assert_allclose(got[mask], exact[mask], rtol=1e-6)


def test_material_secant_between_nodes_is_exact_for_instantaneous_data(lib):
    si = lib.get("si")
    q = si.expansion.alpha
    T = np.array([-33.0, 47.5, 133.0])
    # hand integration of the piecewise-linear table with a fine trapezoid rule
    fine = np.linspace(25.0, 1.0, 1)
    for Tq in T:
        fine = np.linspace(25.0, Tq, 20001)
        alpha = np.interp(fine, q.temps, q.values)
        integral = np.sum(0.5 * (alpha[1:] + alpha[:-1]) * np.diff(fine))
        assert si.alpha_secant(np.array(Tq)) == pytest.approx(integral / (Tq - 25.0), rel=1e-7)


def test_thermal_strain_is_the_integral_of_the_instantaneous_cte(lib):
    cu = lib.get("cu")
    q = cu.expansion.alpha
    T0, T = 217.0, -40.0
    fine = np.linspace(T0, T, 40001)
    alpha = np.interp(fine, q.temps, q.values)
    integral = np.sum(0.5 * (alpha[1:] + alpha[:-1]) * np.diff(fine))
    # small-strain secant form (Abaqus/CalculiX convention): the plain integral from T0 to T
    assert cu.thermal_strain(np.array(T), T0) == pytest.approx(integral, rel=1e-7)
    assert cu.thermal_strain(np.array(T0), T0) == pytest.approx(0.0, abs=1e-15)


def test_below_and_above_tg_values_make_a_steep_transition(lib):
    emc = lib.get("emc")
    Tg = emc.tg
    E_below, E_above = emc.E(np.array([Tg - 30.0, Tg + 30.0]))
    assert emc.E(np.array(Tg)) == pytest.approx(0.5 * (E_below + E_above))
    # secant CTE above Tg mixes alpha1 up to Tg and alpha2 beyond it
    a1, a2 = emc.expansion.alpha(np.array([Tg - 30.0, Tg + 30.0]))
    T = Tg + 50.0
    Tr = emc.alpha_ref
    expected = (a1 * (Tg - Tr) + a2 * (T - Tg)) / (T - Tr)  # the linear ramp over the width is symmetric
    assert emc.alpha_secant(np.array(T)) == pytest.approx(expected, rel=1e-9)


# ------------------------------------------------------------------ Anand

def _brown_kim_anand_saturation(s_hat, xi, n, m, A, Q_over_R, rate, T_K):
    """sigma* = (s_hat/xi) z^n asinh(z^m), z = (rate/A) exp(Q/(R T))  (Brown, Kim & Anand 1989,
    Int. J. Plasticity 5:95, eq. for the steady-state stress; also Wang et al. 2001, J. Electron.
    Packag. 123:247)."""
    z = rate / A * math.exp(Q_over_R / T_K)
    return s_hat / xi * z**n * math.asinh(z**m)


# published parameter sets (see the source strings in the data files)
PUBLISHED = {
    # Motalab et al. 2012 SAC305: s_hat MPa, xi, n, m, A 1/s, Q/R K
    "sac305": dict(s_hat=30.2, xi=4.0, n=0.01, m=0.25, A=3501.0, Q_over_R=9320.0),
    # Darveaux 2000 62Sn36Pb2Ag, s_hat published as 2000 psi (1 psi = 6.894757e-3 MPa)
    "sn62pb36ag2": dict(s_hat=2000 * 6.894757293168e-3, xi=1.5, n=0.07, m=0.303, A=4.0e6, Q_over_R=9400.0),
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
@pytest.mark.parametrize("T_C,rate", [(-40.0, 1e-3), (25.0, 1e-5), (125.0, 1e-4)])
def test_anand_saturation_stress_matches_published_parameters(lib, name, T_C, rate):
    expected = _brown_kim_anand_saturation(**PUBLISHED[name], rate=rate, T_K=T_C + 273.15)
    got = float(lib.get(name).anand.saturation_stress(rate, T_C))
    assert got == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("name", ["sac305", "sn62pb36ag2"])
def test_anand_integration_saturates_at_the_closed_form_stress(lib, name):
    mat = lib.get(name)
    for T_C, rate in [(-40.0, 1e-3), (125.0, 1e-5)]:
        # large strain: the approach to s* is algebraic, slow for small h0 (Sn-Pb)
        strain, stress = stress_strain(mat.anand, float(mat.E(np.array(T_C))), T_C, rate, 2.0, 20)
        target = float(mat.anand.saturation_stress(rate, T_C))
        assert stress[-1] == pytest.approx(target, rel=2e-4)
        assert abs(stress[-1] - target) < abs(stress[5] - target)   # converging, not just passing by


def test_anand_faster_and_colder_is_stronger(lib):
    anand = lib.get("sac305").anand
    assert anand.saturation_stress(1e-3, 25.0) > anand.saturation_stress(1e-5, 25.0)
    assert anand.saturation_stress(1e-4, -40.0) > anand.saturation_stress(1e-4, 125.0)


# ------------------------------------------------------------------ fatigue and creep helpers

def test_darveaux_life_is_initiation_plus_growth(lib):
    dv = lib.get("sn62pb36ag2").fatigue.darveaux
    dW, a = 0.2, 300.0
    expected = dv.K1 * dW**dv.K2 + a / (dv.K3 * dW**dv.K4)
    assert dv.cycles_to_failure(dW, a) == pytest.approx(expected)
    assert dv.cycles_to_failure(0.4, a) < dv.cycles_to_failure(0.2, a)


def test_engelmaier_exponent_and_life(lib):
    cm = lib.get("snpb").fatigue.coffin_manson
    c = cm.c0 + cm.c1 * 50.0 + cm.c2 * math.log(1 + 24.0)
    assert cm.exponent(50.0, 24.0) == pytest.approx(c)
    assert cm.cycles_to_failure(0.01, 50.0, 24.0) == pytest.approx(0.5 * (0.01 / (2 * cm.eps_f)) ** (1 / c))


def test_darveaux_constants_are_the_published_psi_inch_values_converted(lib):
    dv = lib.get("sn62pb36ag2").fatigue.darveaux
    psi = 145.0377377  # psi per MPa
    dW_MPa = 0.3
    N0_psi = 22400 * (dW_MPa * psi) ** -1.52                 # published: cycles, dW in psi
    dadN_um = 5.86e-7 * (dW_MPa * psi) ** 0.98 * 25400.0     # published: in/cycle -> um/cycle
    assert dv.K1 * dW_MPa**dv.K2 == pytest.approx(N0_psi, rel=1e-4)
    assert dv.K3 * dW_MPa**dv.K4 == pytest.approx(dadN_um, rel=1e-4)


def test_garofalo_rate_rises_with_stress_and_temperature(lib):
    g = lib.get("sac305").creep.garofalo
    assert g.rate(20.0, 125.0) > g.rate(10.0, 125.0) > g.rate(10.0, 25.0) > 0


def test_schema_units_are_known():
    for section in SECTIONS.values():
        for spec in section.values():
            assert spec.unit in UNITS
