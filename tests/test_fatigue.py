"""Damage inputs and lives: the inelastic strain range of a closed loop against its closed form,
Engelmaier's life from it, stabilisation of the cycles, and what every life says of its basis."""
import dataclasses

import numpy as np
import pytest

import materials
from fea.cycling import Cycling, Solver
from fea.errors import InputError
from fea.fatigue import inelastic_strain_range
from fea.load_history import from_table, jedec_history
from fea.model import Model
from materials.models import Basis, CoffinManson, Fatigue
from tests.test_cycling import ALPHA, E, NU, block_model, solder

YIELD = 20.0   # MPa, elastic-perfectly plastic
ENGELMAIER = dict(eps_f=0.325, c0=-0.442, c1=-6.0e-4, c2=1.74e-2)   # IPC-SM-785 Sn-Pb values


def perfectly_plastic_block(fatigue=None):
    block = solder(plastic={"yield": YIELD, "hardening": 0.0})
    if fatigue is not None:
        block = dataclasses.replace(block, fatigue=fatigue, alloy="test-alloy")
    return Model(block_model(), "plane_strain", {"solder": block},
                 fixed=[("left", "x"), ("right", "x"), ("bottom", "y")])


def engelmaier(basis_dimension="analytical"):
    basis = Basis(("test-alloy",), basis_dimension, "closed-form", "hand-made for the test")
    return Fatigue(darveaux=None, coffin_manson=CoffinManson(**ENGELMAIER, source="test", basis=basis))


def test_inelastic_strain_range_of_a_loop_is_its_peak_to_peak_distance():
    # out along a deviatoric direction and back: range = the distance out, accumulated = twice it
    direction = np.array([1.0, -2.0, 1.0, 0.0])
    path = np.outer(np.r_[np.linspace(0, 1, 11), np.linspace(1, 0, 11)[1:]], 1e-3 * direction)
    eq_range, gamma = inelastic_strain_range(path)
    np.testing.assert_allclose(eq_range, 2e-3, rtol=1e-12)       # sqrt(2/3 (1 + 4 + 1)) 1e-3
    assert gamma == 0.0
    shear = np.outer([0.0, 1.0, -1.0], [0, 0, 0, 3e-3])               # gamma_12 from 0 to 3e-3 to -3e-3
    eq_range, gamma = inelastic_strain_range(shear)
    np.testing.assert_allclose(gamma, 6e-3, rtol=1e-12)
    np.testing.assert_allclose(np.sqrt(3.0) * eq_range, 6e-3, rtol=1e-12)   # pure shear: gamma = sqrt(3) eps_eq


def test_a_constrained_block_cycles_through_its_closed_form_loop_and_engelmaier_life():
    """eps_11 = eps_33 = 0, sigma_22 = 0: sigma_11 = sigma_33 = sigma, von Mises |sigma|, plastic
    strain (a, -2a, a) with equivalent 2a. Elastic-perfectly plastic: once the loop is open, each
    swing of dT relaxes 2 sigma_y, so a_range = alpha dT - 2 sigma_y (1 - nu) / E, the equivalent
    range is 2 a_range and a cycle accumulates twice that."""
    history = jedec_history("G", 2, 125.0, start=25.0)
    result = Solver(Cycling(perfectly_plastic_block(engelmaier()), history)).run()
    a_range = ALPHA * 165.0 - 2 * YIELD * (1 - NU) / E
    cycle = result.cycles[-1]
    # rate-independent plasticity of a homogeneous state: exact but for the Newton tolerance
    np.testing.assert_allclose(cycle["eps_in_range"]["solder"], 2 * a_range, rtol=1e-3)
    np.testing.assert_allclose(cycle["eps_in_accumulated"]["solder"], 4 * a_range, rtol=1e-3)
    np.testing.assert_allclose(cycle["shear_strain_range"]["solder"], np.sqrt(3) * 2 * a_range, rtol=1e-3)
    # Engelmaier by hand: T_mean 42.5 degC, 24 cycles/day (15 min ramps and dwells)
    c = ENGELMAIER["c0"] + ENGELMAIER["c1"] * 42.5 + ENGELMAIER["c2"] * np.log(1 + 24.0)
    by_hand = 0.5 * (np.sqrt(3) * 2 * a_range / (2 * ENGELMAIER["eps_f"])) ** (1 / c)
    life = result.fatigue["solder"]["engelmaier"]
    np.testing.assert_allclose(life["N_failure"], by_hand, rtol=0.01)
    # the accumulated strain would have given a life several times shorter (1/c ~ -2.2)
    assert by_hand / (0.5 * (np.sqrt(3) * 4 * a_range / (2 * ENGELMAIER["eps_f"])) ** (1 / c)) > 4
    # a region average of an FE model is not Engelmaier's closed-form strain
    assert life["in_calibration"] is False and life["reasons"] == [
        "constants fitted on a closed-form (whole-joint) damage input; this is a 2D FE average"]


def test_cycles_run_until_dW_stabilises_or_the_cap():
    creep = solder(creep={"law": "norton", "A": 1e-12, "n": 3.0, "Q": 0.0})
    model = Model(block_model(), "plane_strain", {"solder": creep},
                  fixed=[("left", "x"), ("right", "x"), ("bottom", "y")])
    history = from_table({"profile": "G", "cycles": 1, "stabilise": 0.01, "max_cycles": 8}, 125.0)
    result = Solver(Cycling(model, history)).run()
    dW = [c["dW"]["solder"] for c in result.cycles]
    assert 2 <= len(dW) <= 8
    change = abs(dW[-1] - dW[-2]) / dW[-1]
    assert change < 0.01 or len(dW) == 8
    assert result.fatigue["solder"]["stabilised"] == (change < 0.01)
    # the extra cycles are copies of the last one, one period later
    windows = [(c["t0"], c["t1"]) for c in result.cycles]
    np.testing.assert_allclose(np.diff([w[0] for w in windows]), 3600.0)
    capped = from_table({"profile": "G", "cycles": 1, "stabilise": 1e-6, "max_cycles": 2}, 125.0)
    assert len(Solver(Cycling(model, capped)).run().cycles) == 2


@pytest.mark.parametrize("table,message", [
    ({"profile": "G", "stabilise": 0.7}, "stabilise"),
    ({"profile": "G", "cycles": 3, "stabilise": 0.02, "max_cycles": 2}, "max_cycles"),
    ({"profile": "G", "max_cycles": 5}, "needs stabilise"),
])
def test_bad_stabilisation_settings_are_refused(table, message):
    with pytest.raises(InputError, match=message):
        from_table(table, 125.0)


SNPB_DARVEAUX = '''
[fatigue.darveaux]
K1 = { value = 11.609, unit = "cycles/MPa^K2", source = "Darveaux 2000" }
K2 = { value = -1.52, unit = "-", source = "Darveaux 2000" }
K3 = { value = 1.9543, unit = "um/(cycle*MPa^K4)", source = "Darveaux 2000" }
K4 = { value = 0.98, unit = "-", source = "Darveaux 2000" }
volume_averaging_thickness = { value = 25.4, unit = "um", source = "Darveaux 2000" }
'''
BASIS = 'model_dimension = "3D"\nconstitutive = "anand"\nbasis = "BGA test vehicles"\n'


def test_sn_pb_darveaux_constants_are_refused_for_sac305(tmp_path):
    path = tmp_path / "sac_darveaux.toml"
    path.write_text('base = "sac305"\nname = "sac305"\n' + SNPB_DARVEAUX + 'alloy = "sn62pb36ag2"\n' + BASIS)
    with pytest.raises(InputError, match="fitted on sn62pb36ag2, not on sac305"):
        materials.load_library([path])
    path.write_text('base = "sac305"\nname = "sac305"\n' + SNPB_DARVEAUX + BASIS)
    with pytest.raises(InputError, match="needs alloy"):
        materials.load_library([path])
    # constants the user fitted on SAC305 are taken, and a renamed variant inherits the alloy
    path.write_text('base = "sac305"\nname = "sac305_aged"\n' + SNPB_DARVEAUX + 'alloy = "sac305"\n' + BASIS)
    aged = materials.load_library([path]).get("sac305_aged")
    assert aged.fatigue.darveaux.basis.alloys == ("sac305",) and aged.fatigue.energy is not None


def test_library_lives_state_their_basis():
    sac = materials.default_library().get("sac305").fatigue.energy
    assert sac.basis.volume_averaging_thickness == 25.4
    reasons = sac.basis.reasons("anand", "2D", 25.4)
    assert any("3D" in r for r in reasons) and any("garofalo" in r for r in reasons)
    assert sac.basis.reasons("garofalo", "3D", 25.4) == []
    assert any("12.7 um" in r for r in sac.basis.reasons("garofalo", "3D", 12.7))
    assert any("cannot hold" in r for r in sac.basis.reasons("garofalo", "3D", 25.4, joint_height_um=40.0))


def test_joints_of_any_height_average_over_the_law_s_own_layer(tmp_path):
    """The layer is the thickness the life law was fitted with, whatever the joint height; a joint
    too low for two such layers is reported and its lives are outside calibration."""
    from geometry import STRUCTURES
    from studies.evaluate import critical_joint, fitted_layer_thickness

    def joint(height, library=None):
        model = STRUCTURES["molded-joint"](joint_height=height).build("cell", 2.0, library=library)
        names = {region: m.name for region, m in model.materials.items()}
        thickness, _ = fitted_layer_thickness(model.materials["solder"])
        return critical_joint(model.mesh, names, thickness)

    low, high = joint(120.0), joint(300.0)
    assert low["joint_height_um"] == pytest.approx(120.0) and high["joint_height_um"] == pytest.approx(300.0)
    assert low["layer_thickness_um"] == high["layer_thickness_um"] == 25.4    # Syed's layer, not 15 % of the joint
    assert [layer["thickness"] for layer in low["layers"][:2]] == [25.4, 25.4]
    assert low["warning"] is None
    # a law fitted with 70 um layers: a 120 um joint cannot hold two of them
    path = tmp_path / "thick_layer.toml"
    path.write_text('base = "sac305"\nname = "sac305"\n[fatigue.energy]\n'
                    'volume_averaging_thickness = { value = 70.0, unit = "um", source = "test" }\n')
    thick = joint(120.0, materials.load_library([path]))
    assert thick["layer_thickness_um"] == 70.0 and "too low for two 70 um layers" in thick["warning"]
    reasons = materials.load_library([path]).get("sac305").fatigue.energy.basis.reasons(
        "garofalo", "3D", 70.0, joint_height_um=thick["joint_height_um"])
    assert reasons == ["the joint (120 um high) cannot hold two 70 um layers"]
