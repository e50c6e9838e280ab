"""Thermal cycling: the incremental Newton solver against closed forms and its own energy balance."""
import json

import numpy as np
import pytest

from studies import verification as v
from fea.cycling import Cycling, Solver
from fea.errors import InputError
from fea.load_history import jedec_history, table_history
from fea.model import Layer, Model
from studies.cli import main


def block_model():
    """A 20 x 10 um block, held in x on both sides and in y at the bottom: eps_11 = 0 and
    (plane strain) eps_33 = 0, sigma_22 = 0: a homogeneous biaxial stress state."""
    return v.constrained_block()


E, NU, ALPHA = 40000.0, 0.35, 20e-6
NORTON = {"law": "norton", "A": 1e-12, "n": 3.0, "Q": 0.0}


def solder(**extra):
    import materials
    return materials.from_inline("solder", {"E": E, "nu": NU, "alpha": ALPHA, "alpha_ref": 125.0,
                                            "stress_free": 125.0, **extra})


def test_norton_relaxation_of_a_constrained_block_matches_closed_form():
    model = block_model()
    problem = Model(model, "plane_strain", {"solder": solder(creep=NORTON)},
                            fixed=[("left", "x"), ("right", "x"), ("bottom", "y")])
    # quench to 25 degC in 1 s, then hold for 2 hours
    history = table_history([[0.0, 125.0], [1.0, 25.0], [7201.0, 25.0]], 125.0, max_step_s=150.0)
    result = Solver(Cycling(problem, history)).run()
    h = result.hysteresis["solder"]
    t = np.array(h["time"])
    s11 = np.array([s[0] for s in h["stress"]])
    s33 = np.array([s[2] for s in h["stress"]])
    np.testing.assert_allclose(s11, s33, rtol=1e-6)       # equi-biaxial in 1-3
    # sigma_22 = 0 holds to the Newton tolerance (1e-4 of the element force scale)
    assert np.abs([s[1] for s in h["stress"]]).max() < 1e-3 * s11.max()
    # d sigma/dt = -E/(2(1-nu)) A sigma^n, from the stress reached at the end of the quench
    k = np.flatnonzero(np.isclose(t, 1.0))[0]
    modulus = E / (2 * (1 - NU))
    exact = (s11[k] ** (1 - NORTON["n"]) + (NORTON["n"] - 1) * modulus * NORTON["A"] * (t[k:] - 1.0)) ** (
        1 / (1 - NORTON["n"]))
    assert s11[-1] < 0.6 * s11[k]                           # a real relaxation
    # backward Euler over ~50 growing steps: 1 % of the initial stress
    np.testing.assert_allclose(s11[k:], exact, atol=0.01 * s11[k])


def test_elastic_cycling_reproduces_the_lame_pressure():
    # with elastic materials the Newton path must land on the linear solution at every step
    problem = v.peer_problem("plane_strain", 2.0)
    problem.stress_free_temperature = 125.0
    history = jedec_history("G", 1, 125.0, start=25.0)
    solver = Solver(Cycling(problem, history))
    result = solver.run()
    from fea.post import Stresses
    from fea.thermoelastic import solve
    cold = next(s for s in result.snapshots if s["temperature"] == -40.0)
    problem.temperature = -40.0
    linear = Stresses(solve(problem)).quadrature
    cycled = cold["fields"]["stress"]
    np.testing.assert_allclose(cycled, linear, atol=1e-4 * np.abs(linear).max())
    assert result.stats["iterations"] <= 2 * result.stats["steps"]  # linear: Newton in one go


def test_kinematic_plasticity_cycles_dissipate_the_loop_area_and_stabilise():
    model = block_model()
    plastic = solder(plastic={"yield": 20.0, "hardening": 2000.0, "kinematic": 1.0})
    problem = Model(model, "generalized_plane_strain", {"solder": plastic},
                            fixed=[("left", "x"), ("right", "x"), ("bottom", "y")])
    history = jedec_history("G", 3, 125.0, start=25.0, ramp_s=600.0, dwell_s=60.0)
    result = Solver(Cycling(problem, history)).run()
    dW = [c["dW"]["solder"] for c in result.cycles]
    assert dW[0] > 0
    # pure kinematic hardening: identical cycles from the first one on
    np.testing.assert_allclose(dW, dW[0], rtol=1e-3)
    assert result.fatigue["solder"]["stabilised"]
    # energy balance: dW of the last cycle = closed-loop integral of sigma : d eps_in
    h = result.hysteresis["solder"]
    t0, t1 = history.cycle_window(3)
    t = np.array(h["time"])
    window = (t >= t0 - 1e-9) & (t <= t1 + 1e-9)
    s = np.array(h["stress"])[window]
    e = np.array(h["eps_in"])[window]
    loop = np.sum(0.5 * (s[1:] + s[:-1]) * np.diff(e, axis=0) * np.array([1, 1, 1, 1]))
    np.testing.assert_allclose(loop, dW[-1], rtol=1e-6)


def test_layer_selects_points_near_the_interface():
    problem = v.peer_problem("axisymmetric", 1.0)
    problem.materials["post"] = solder(creep=NORTON)
    problem.stress_free_temperature = 125.0
    history = jedec_history("J", 1, 125.0, start=25.0, ramp_s=300.0, dwell_s=120.0)
    solver = Solver(Cycling(problem, history, [Layer("post_root", "post", "die/post", 2.0)]))
    group = next(g for g in solver.groups if g.name == "post_root")
    region = next(r for r in solver.regions if r.name == "post")
    y = solver.quad_points[1][region.elements].ravel()[group.points]
    assert y.min() >= 20.0 - 1e-9 and y.max() <= 22.0 + 1e-9
    with pytest.raises(InputError, match="no quadrature point"):
        Solver(Cycling(problem, history, [Layer("thin", "post", "die/post", 1e-6)]))


CYCLED_MODEL = """\
mesh = "part.msh"
analysis = "{analysis}"
[materials]
die = {{ E = 130000.0, nu = 0.28, alpha = 2.6e-6 }}
film = {{ E = 40000.0, nu = 0.35, alpha = 2.0e-5, creep = {{ law = "norton", A = 1e-9, n = 3.0, Q = 0.0 }} }}
[temperature]
stress_free = 125.0
[load]
profile = "J"
cycles = 2
ramp = 300.0
dwell = 120.0
[[layer]]
name = "film_base"
region = "film"
interface = "die/film"
thickness = 1.0
[[bc]]
group = "bottom"
fix = ["y"]
[[bc]]
group = "left"
fix = ["x"]
[[probe]]
name = "film_centre"
at = [10.0, 7.5]
"""


def test_cli_cycling_writes_cycles_fatigue_and_time_series(model_dir, capsys):
    out = model_dir.dir / "out"
    code = main(["solve", str(model_dir(text=CYCLED_MODEL.format(analysis="plane_strain"))), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    summary = json.loads((out / "summary.json").read_text())
    assert [c["cycle"] for c in summary["cycles"]] == [1, 2]
    for c in summary["cycles"]:
        assert c["dW"]["film"] > 0 and c["dW"]["film_base"] > 0 and c["eps_in_accumulated"]["film"] > 0
        # a path between two states is at least as long as their distance
        assert 0 < c["eps_in_range"]["film"] <= c["eps_in_accumulated"]["film"] * (1 + 1e-12)
    assert "film_base" in summary["fatigue"]
    assert summary["solver_stats"]["factorizations"] <= summary["solver_stats"]["iterations"]
    pvd = (out / "result.pvd").read_text()
    assert pvd.count("<DataSet") == len(list((out / "steps").glob("*.vtu"))) > 4
    import meshio
    final = meshio.read(out / "result.vtu")
    assert {"eps_eq_in", "w_in", "s_xx", "eps_in_xx", "temperature"} <= set(final.point_data)
    assert "cycle 2/2" in captured.err  # progress
    # error control: the progress line and summary.json show the steps, their errors, rejections
    assert "error/allowed" in captured.err and "rejected" in captured.err
    steps = summary["steps"]
    assert len(steps["dt"]) == summary["solver_stats"]["steps"] > 0
    assert all(e <= a for e, a in zip(steps["error"], steps["allowed"]))   # only accepted steps
    assert np.allclose(np.cumsum(steps["dt"]), np.array(steps["time"]) - steps["time"][0] + steps["dt"][0])
    assert all("rejected" in c and c["time_error"] >= 0 for c in summary["cycles"])


@pytest.mark.parametrize("old,new,message", [
    ('profile = "J"', 'profile = "Q"', "JESD22-A104"),
    ("cycles = 2", "cycles = 0", "cycles"),
    ('interface = "die/film"', 'interface = "nowhere"', "nowhere"),
    ("thickness = 1.0", "thickness = -1.0", "thickness"),
    ("[temperature]\n", '[temperature]\nfield = "x"\n', "field"),
    ("cycles = 2", "cycles = 2\naccuracy = 0.1", "accuracy = 0.1 is outside (0, 0.1)"),
    ("cycles = 2", "cycles = 2\naccuracy = 0", "accuracy = 0 is outside (0, 0.1)"),
    ("cycles = 2", "cycles = 2\nmax_steps = 2.5", "max_steps"),
    # a step budget the error control runs out of: where it stopped (time, temperature, step)
    ("cycles = 2", "cycles = 2\naccuracy = 1e-4\nmax_steps = 3", "more than 3 steps ([load] max_steps)"),
])
def test_cycling_bad_input(model_dir, capsys, old, new, message):
    text = CYCLED_MODEL.format(analysis="plane_strain")
    assert old in text
    out = model_dir.dir / "out"
    code = main(["solve", str(model_dir(text=text.replace(old, new))), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1 and not out.exists()


def test_plane_stress_with_creep_is_refused(model_dir, capsys):
    out = model_dir.dir / "out"
    code = main(["solve", str(model_dir(text=CYCLED_MODEL.format(analysis="plane_stress"))), "--out", str(out)])
    assert code == 2 and "plane_stress" in capsys.readouterr().err and not out.exists()


def test_interrupt_leaves_no_results(model_dir, capsys, monkeypatch):
    from fea import cycling

    calls = {"n": 0}
    original = cycling.Solver.step

    def interrupted(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(cycling.Solver, "step", interrupted)
    out = model_dir.dir / "out"
    code = main(["solve", str(model_dir(text=CYCLED_MODEL.format(analysis="plane_strain"))), "--out", str(out)])
    assert code == 130 and "interrupted" in capsys.readouterr().err
    assert not out.exists()
    assert not list(model_dir.dir.glob(".pkgrel-*"))


def test_calculix_agrees_on_one_cycle_of_a_solder_joint():
    # Norton-creep solder between plastic Cu pads, one JEDEC G cycle: pkgrel's dW and
    # equivalent inelastic strain against CalculiX's *VISCO step on the same mesh (5 %)
    for check in v.calculix_cycling_comparison():
        assert check.passed, f"{check.case} {check.quantity}: {check.computed:.5g} vs {check.reference:.5g}"


def test_cholesky_refusal_falls_back_to_the_pivoting_factorization(monkeypatch):
    """A tangent PARDISO's Cholesky refuses (zero or negative pivot) switches the run to
    Bunch-Kaufman; the answer is the same as with Cholesky throughout."""
    import scipy.sparse as sp

    import fea.cycling
    from fea.linsolve import NotPositiveDefinite, factorize

    n = 50
    spd = sp.diags([-np.ones(n - 1), 2.0 * np.ones(n), -np.ones(n - 1)], [-1, 0, 1], format="csr")
    indefinite = (spd - sp.diags(np.r_[np.zeros(n - 1), 5.0])).tocsr()
    with pytest.raises(NotPositiveDefinite):
        factorize(indefinite, "pardiso", definite=True)
    x = factorize(indefinite, "pardiso", definite=False).solve(np.ones(n))
    np.testing.assert_allclose(indefinite @ x, np.ones(n), atol=1e-10)

    model = block_model()
    plastic = solder(plastic={"yield": 20.0, "hardening": 2000.0, "kinematic": 1.0})
    problem = Model(model, "generalized_plane_strain", {"solder": plastic},
                            fixed=[("left", "x"), ("right", "x"), ("bottom", "y")])
    history = jedec_history("G", 1, 125.0, start=25.0, ramp_s=600.0, dwell_s=60.0)
    cholesky = Solver(Cycling(problem, history), "pardiso")
    reference = cholesky.run()
    assert cholesky.definite    # hardening plasticity: every tangent is positive definite

    def refuse_cholesky(K, method="auto", definite=True, **kwargs):
        if definite:
            raise NotPositiveDefinite("test: Cholesky refused")
        return factorize(K, method, definite=definite, **kwargs)

    monkeypatch.setattr(fea.cycling, "factorize", refuse_cholesky)
    pivoting = Solver(Cycling(problem, history), "pardiso")
    result = pivoting.run()
    assert not pivoting.definite
    np.testing.assert_allclose(result.cycles[0]["dW"]["solder"], reference.cycles[0]["dW"]["solder"], rtol=1e-8)


@pytest.mark.parametrize("stiffer, converges", [(1.5, True), (3.0, False)])
def test_a_step_that_cannot_converge_in_the_iterations_left_is_given_up_early(monkeypatch, stiffer, converges):
    """With its tangent ``stiffer`` times too stiff, Newton on a linear (elastic) step contracts the
    residual by 1 - 1/stiffer per iteration whatever the factorization's age: at 1/3 it reaches the
    tolerance (1e-4 of the force scale) within the 12 iterations allowed; at 2/3 it would need
    about 17, so the step fails after four iterations (the three whose mean contraction the rule
    measures, each from a current tangent, after the first) instead of running to the limit."""
    from fea.cycling import StepFailed

    problem = Model(block_model(), "plane_strain", {"solder": solder()},
                    fixed=[("left", "x"), ("right", "x"), ("bottom", "y")])
    history = table_history([[0.0, 125.0], [1.0, 25.0]], 125.0)
    exact = Solver._factorize
    monkeypatch.setattr(Solver, "_factorize", lambda self, tangent, linear_data:
                        exact(self, [stiffer * part for part in tangent], stiffer * linear_data))
    solver = Solver(Cycling(problem, history))
    u0 = np.zeros(solver.operator.n)
    if converges:
        iterations = solver.step(u0, 125.0, 25.0, 1.0)[3]
        assert 6 <= iterations <= solver.cycling.max_iterations
    else:
        with pytest.raises(StepFailed):
            solver.step(u0, 125.0, 25.0, 1.0)
        assert solver.counters["iterations"] == 4 < solver.cycling.max_iterations
