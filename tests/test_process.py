"""Process history: layers that form in stages (element birth with the strain of the stack they
form on) against Timoshenko's layered beam, the derived process of a model without one, and the
refusals of a bad process."""
from __future__ import annotations

from dataclasses import replace

import pytest

from fea.cycling import Cycling, Solver
from fea.errors import InputError
from fea.load_history import formation_process
from studies.verification import (BIMETAL_LAYERS, COPPER, SILICON, bending_bimetal_model, isotropic,
                                  process_bilayer, timoshenko_beam)

T_SI, T_CU = BIMETAL_LAYERS
# one Poisson's ratio, as bending_bimetal_model's: the beam values are then exact for the slice
SI, CU = dict(SILICON, nu=0.3), dict(COPPER, nu=0.3)
LAYERS = [(0.0, T_SI, SI["E"], SI["alpha"]), (T_SI, T_SI + T_CU, CU["E"], CU["alpha"])]


def bend(model, load):
    """(out-of-plane strain at y = 0, curvature k_y) at the end of a cycling run of ``load``."""
    result = Solver(Cycling(replace(model, load=load))).run()
    eps0, _, k_y = result.u[-3:]
    return eps0, k_y, result


def held_at(T):
    return {"history": [[0.0, T], [10.0, T]]}


def test_a_layer_formed_at_its_stage_bends_the_stack_from_then_on_with_its_cure_shrinkage():
    """studies.verification.process_bilayer: Cu formed at 150 degC on a free Si strip heated from
    0 degC, shrinking 0.1 %, cooled to 50 degC: Timoshenko over 150 -> 50 degC with the shrinkage
    as a free strain within 1e-4 (measured 6e-7: the absent layer's 1e-6 stiffness while the Si
    heats). Formed at the start instead (the old all-stress-free state): Timoshenko over 0 -> 50."""
    (check,) = process_bilayer()
    assert check.passed, check
    load = {**held_at(50.0), "process": [{"stage": "wafer", "temperature": 0.0}]}
    everything = bend(bending_bimetal_model(("x", "y")), load)[1]
    assert everything == pytest.approx(timoshenko_beam(LAYERS, 50.0)[1], rel=1e-4)


def test_without_a_process_each_layer_forms_as_the_cool_down_passes_its_stress_free_temperature():
    """Si stress-free at 250 degC and Cu at 150 degC, no process given: the derived process starts
    at 250 degC with the Si alone (free: no stress) and forms the Cu at 150 degC, so at 25 degC
    the curvature is Timoshenko's over 150 -> 25 degC, not over 250 -> 25 degC. A material at or
    below the cycles' start (the library's 25 degC reference bodies) is there from the start."""
    stages = formation_process({"si": 25.0, "pi": 250.0, "mold": 175.0, "solder": 217.0}, 25.0)
    assert [(s.temperature, s.forms) for s in stages] == [(250.0, ()), (217.0, ("solder",)), (175.0, ("mold",))]
    # a compound's library cure: its shrinkage from formation on, its post-cure hold at the stage
    cured = formation_process({"si": 25.0, "mold": 175.0}, 25.0, start=250.0, cures={"mold": (0.001, 14400.0)})
    assert (cured[1].temperature, cured[1].shrinkage, cured[1].hold) == (175.0, (("mold", 0.001),), 14400.0)
    mats = {"si": isotropic("si", **SI, stress_free=250.0), "cu": isotropic("cu", **CU, stress_free=150.0)}
    _, k_y, result = bend(replace(bending_bimetal_model(("x", "y")), materials=mats), held_at(25.0))
    assert [(f["regions"], f["temperature"]) for f in result.formations] == [(["cu"], 150.0)]
    assert k_y == pytest.approx(timoshenko_beam(LAYERS, 25.0 - 150.0)[1], rel=1e-4)


def test_a_region_present_from_the_start_is_stress_free_at_the_first_stage_not_at_its_own():
    """Si with the library's 25 degC reference state under Cu stress-free at 217 degC: the stack
    starts at 217 degC stress-free everywhere (no 192 K jump of the Si's thermal strain in the
    first step), so held at 217 degC nothing bends."""
    mats = {"si": isotropic("si", **SI, stress_free=25.0), "cu": isotropic("cu", **CU, stress_free=217.0)}
    _, k_y, _ = bend(replace(bending_bimetal_model(("x", "y")), materials=mats), held_at(217.0))
    assert abs(k_y) < 1e-9 * abs(timoshenko_beam(LAYERS, 100.0)[1])


@pytest.mark.parametrize("process,message", [
    ([{"stage": "a", "temperature": 0.0}, {"stage": "b", "temperature": 100.0, "forms": ["glue"]}],
     "neither a region nor a material"),
    ([{"stage": "a", "temperature": 0.0}, {"stage": "b", "temperature": 100.0, "forms": ["cu"]},
      {"stage": "c", "temperature": 50.0, "forms": ["cu"]}], "formed already, in stage 'b'"),
    ([{"stage": "a", "temperature": 0.0}, {"stage": "b", "temperature": 100.0, "shrinkage": {"cu": 0.01}}],
     "which this stage does not form"),
    ([{"stage": "a", "temperature": 0.0}, {"stage": "b", "temperature": 100.0, "forms": ["cu"],
                                           "shrinkage": {"cu": 0.2}}], "outside [-0.05, 0.05]"),
    ([{"stage": "a", "temperature": 0.0, "hold": -5.0}], "hold = -5 s is outside"),
    ([{"stage": "a"}], "missing temperature"),
    ([{"stage": "a", "temperature": 0.0, "time": 3.0}], "unknown key(s) time"),
    ([], "must be a list of stage tables"),
])
def test_a_bad_process_is_one_clear_error(process, message):
    model = replace(bending_bimetal_model(("x", "y")), load={**held_at(25.0), "process": process})
    with pytest.raises(InputError) as error:
        model.history()
    assert message in str(error.value) and "\n" not in str(error.value)


def test_a_process_with_a_stress_free_override_is_refused_and_the_cli_writes_nothing(tmp_path, capsys):
    from studies.cli import main
    from studies.model_file import write_model

    model = replace(bending_bimetal_model(("x", "y")), load=held_at(25.0))
    write_model(model, tmp_path)
    text = (tmp_path / "model.toml").read_text()
    (tmp_path / "model.toml").write_text(text + 'process = [{ stage = "a", temperature = 0.0 }, '
                                         '{ stage = "b", temperature = 100.0, forms = ["cu", "cu"] }]\n')
    out = tmp_path / "out"
    code = main(["solve", str(tmp_path / "model.toml"), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "formed already" in err and err.count("\n") == 1 and not out.exists(), err
    with pytest.raises(InputError, match="without \\[temperature\\] stress_free"):
        replace(model, stress_free_temperature=125.0,
                load={**held_at(25.0), "process": [{"stage": "a", "temperature": 0.0}]}).history()
