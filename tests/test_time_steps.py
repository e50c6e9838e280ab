"""Error-controlled time steps: BDF2 and its error estimate against closed forms, and
the default accuracy against the same runs with fixed steps 16x smaller."""
from dataclasses import replace

import numpy as np
import pytest

from fea.cycling import Cycling, Solver
from fea.time_integration import bdf2_coefficients, local_error
from geometry import STRUCTURES
from studies import verification as v

RATE = 3.0   # y' = -RATE y, y(0) = 1: the closed form exp(-RATE t)


def bdf2_step(y_now, y_before, ratio, dt):
    """One BDF2 step of y' = -RATE y as a rate law takes it: backward Euler from y* with g dt."""
    a, b, g = bdf2_coefficients(ratio)
    return (a * y_now - b * y_before) / (1.0 + RATE * g * dt)


def integrate(times):
    """BDF2 along ``times`` (backward Euler for the first step), as fea.cycling steps a rate law."""
    y = [1.0, bdf2_step(1.0, 1.0, 0.0, times[1] - times[0])]
    for k in range(2, len(times)):
        ratio = (times[k] - times[k - 1]) / (times[k - 1] - times[k - 2])
        y.append(bdf2_step(y[-1], y[-2], ratio, times[k] - times[k - 1]))
    return np.array(y)


@pytest.mark.parametrize("pattern", ["equal", "alternating"])
def test_bdf2_is_second_order_with_equal_and_varying_steps(pattern):
    errors = []
    for n in (40, 80, 160):
        steps = np.ones(n) if pattern == "equal" else np.tile([1.0, 1.8], n // 2)   # ratios 1.8 and 1/1.8
        times = np.concatenate([[0.0], np.cumsum(steps / steps.sum())])
        errors.append(abs(integrate(times)[-1] - np.exp(-RATE)))
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    # second order: the error falls 4x per halving (the first backward-Euler step is O(dt^2) too)
    assert np.all(np.abs(orders - 2.0) < 0.1), orders


@pytest.mark.parametrize("ratio", [1.0, 0.5, 2.0])
def test_milne_estimate_matches_the_true_local_error(ratio):
    """From exact past values, the estimated local error of one BDF2 step is its actual error
    to leading order (within 10 % at h = 0.01 / RATE)."""
    h = 0.01 / RATE
    times = [0.0, h / ratio, 2 * h / ratio]       # two earlier steps of h / ratio: w = ratio
    values = [np.array([np.exp(-RATE * t)]) for t in times]
    t_new = times[-1] + h
    y_new = bdf2_step(values[-1], values[-2], ratio, h)
    actual = y_new - np.exp(-RATE * t_new)
    estimate = local_error(times, values, t_new, y_new, ratio)
    assert estimate[0] / actual[0] == pytest.approx(1.0, abs=0.1)


def test_error_control_meets_the_default_accuracy_on_the_norton_strip():
    """A first-cycling case: Si / Norton solder / FR-4 in plane strain, one G cycle with 900 s dwells.
    The history's own fixed steps miss dW by more than 1 %; the default accuracy does not."""
    model = v.norton_strip_problem()
    checks = v.time_step_checks("Norton strip", model)
    assert all(c.passed for c in checks), [(c.quantity, c.error) for c in checks]
    fixed = Solver(Cycling(model, replace(model.history(), accuracy=None))).run().cycles[-1]
    assert abs(fixed["dW"]["solder"] / checks[0].reference - 1.0) > 0.01


# edge-recess-rdl's default ball is pure Sn (elastic): the comparison is of SAC305 Anand solder
ASSEMBLIES = {"ppi-recess": {}, "cu-post": {}, "molded-joint": {}, "fanout-rdl": {},
              "edge-recess-rdl": {"solder_material": "sac305"}}


@pytest.mark.parametrize("structure", ASSEMBLIES)
def test_default_accuracy_on_the_default_assemblies(structure):
    """Anand SAC305 solder, the default assembly at a 4x coarser mesh, one G cycle: dW and the
    inelastic strain within 1 % of fixed steps 16x smaller (measured 0.1-0.7 %)."""
    model = STRUCTURES[structure](**ASSEMBLIES[structure]).build("assembly", 4.0)
    model = replace(model, load={"profile": "G", "cycles": 1})
    checks = v.time_step_checks(structure, model)
    assert all(c.passed for c in checks), [(c.quantity, c.error) for c in checks]


def test_cycle_jumping_against_the_full_run():
    """[load] cycle_jump = 3: a 12-cycle history of the strip with an elastic-plastic Cu board,
    two cycles computed, three skipped (extrapolated), and so on, against the full run: 6 of the 12
    cycles computed. The solder's loop changes by 0.1-0.2 % per cycle: its last-cycle dW and its
    accumulated inelastic strain stay within 0.5 % (its dW: 0.07 %). The Cu's dW falls
    by 0.4-1.6 % per cycle, faster as it goes, and a jump holds the last computed change: its
    last-cycle dW within 1 % (0.7 %), its accumulated plastic strain within 5 % (2.9 % high)."""
    import materials

    model = v.norton_strip_problem()
    copper = materials.from_inline("cu", {"E": 117000.0, "nu": 0.34, "alpha": 17e-6, "alpha_ref": 125.0,
                                          "stress_free": 125.0, "plastic": {"yield": 80.0, "hardening": 1000.0}})
    model = replace(model, materials={**model.materials, "board": copper})
    full = Solver(Cycling(replace(model, load={"profile": "G", "cycles": 12}))).run()
    jumped = Solver(Cycling(replace(model, load={"profile": "G", "cycles": 12, "cycle_jump": 3}))).run()
    assert jumped.stats["jumped_cycles"] == 6 and [c["cycle"] for c in jumped.cycles] == [1, 2, 6, 7, 11, 12]

    def accumulated(result, name):
        region = next(r for r in result.regions if r.name == name)
        return float(region.state["eps_eq_in"] @ region.volume / region.volume.sum())

    for name, dW_tolerance, strain_tolerance in (("solder", 0.005, 0.005), ("board", 0.01, 0.05)):
        assert jumped.cycles[-1]["dW"][name] == pytest.approx(full.cycles[-1]["dW"][name], rel=dW_tolerance)
        assert accumulated(jumped, name) == pytest.approx(accumulated(full, name), rel=strain_tolerance)


def test_cycle_jump_settings_are_checked():
    from fea.errors import InputError
    from fea.load_history import from_table

    for table, message in (({"profile": "G", "cycle_jump": -1}, "cycle_jump = -1"),
                           ({"profile": "G", "cycle_jump": 2, "jump_tolerance": 0.7}, "jump_tolerance = 0.7"),
                           ({"profile": "G", "cycle_jump": 2, "stabilise": 0.02}, "do not go together")):
        with pytest.raises(InputError, match=message):
            from_table(table, 125.0)
