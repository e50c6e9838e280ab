"""Mechanical loads: prescribed displacements and tractions, with their own time
factors, in thermoelastic solves and cycling runs, from the stress-free state."""
import dataclasses

import numpy as np
import pytest

import materials
from fea.cycling import Cycling, Solver
from fea.errors import InputError
from fea.model import Amplitude, Displacement, Model
from fea.thermoelastic import solve
from studies import verification as v

LENGTH, RADIUS, E, NU = 100.0, 10.0, 40000.0, 0.35
A, N = 1e-12, 5.0      # Norton: eps_dot = A sigma^n (1/s, MPa)


def bar_mesh(save_as=None):
    """An axisymmetric bar (x = r) with named bottom and top ends (``save_as``: keep the .msh)."""
    def bar(gmsh):
        v.rectangle_regions(gmsh, {"bar": (0, 0, RADIUS, LENGTH)})
        v._physical(gmsh, 1, v.curves_at(gmsh, 0, 0, RADIUS, 0), "bottom")
        v._physical(gmsh, 1, v.curves_at(gmsh, 0, LENGTH, RADIUS, LENGTH), "top")
    return v.gmsh_model(bar, 5.0, "bar", save_as=save_as)


@pytest.fixture(scope="module")
def mesh():
    return bar_mesh()


def rod(creep=True):
    table = {"E": E, "nu": NU, "alpha": 2e-5, "alpha_ref": 125.0, "stress_free": 125.0}
    if creep:
        table["creep"] = {"law": "norton", "A": A, "n": N, "Q": 0.0}
    return materials.from_inline("bar", table)


def held(duration):
    """A constant temperature at the stress-free one: no thermal load at all."""
    return {"history": [[0.0, 125.0], [duration, 125.0]]}


def test_a_traction_alone_creeps_a_bar_at_its_stress_free_temperature(mesh):
    """An axisymmetric Norton bar under an axial traction, held at its stress-free temperature (no
    thermal force at all), creeps at A sigma^n: eps_in(t) = A sigma^n t within 1 % (the elastic
    strain is not in eps_in; the rate is constant, so backward Euler and BDF2 are exact up to the
    Newton tolerance)."""
    sigma, duration = 20.0, 1000.0
    model = Model(mesh, "axisymmetric", {"bar": rod()}, fixed=[("bottom", "y")],
                  tractions=[("top", (0.0, sigma))], load=held(duration))
    result = Solver(Cycling(model)).run()
    assert result.cycles[-1]["eps_in_accumulated"]["bar"] == pytest.approx(A * sigma ** N * duration, rel=0.01)
    stress = result.regions[0].state["stress"]
    assert np.allclose(stress[1], sigma, rtol=1e-3)     # sigma_zz = the traction everywhere


def test_a_prescribed_displacement_relaxes_a_norton_bar_as_the_closed_form(mesh):
    """An axisymmetric Norton bar stretched by 0.1 % at once (ramped in 1 ms) and held: uniaxial
    relaxation d sigma / dt = -E A sigma^n, sigma(t) = (sigma0^(1-n) + (n-1) E A t)^(1/(1-n)), here
    from 40 to 15.72 MPa in 100 s (a relaxation time of about 10 s)."""
    strain, duration = 1e-3, 100.0
    pull = Displacement("top", "y", strain * LENGTH, Amplitude(((0.0, 0.0), (1e-3, 1.0))))
    model = Model(mesh, "axisymmetric", {"bar": rod()}, fixed=[("bottom", "y")], displacements=[pull],
                  load={**held(duration), "accuracy": 0.001})
    result = Solver(Cycling(model, tolerance=1e-7)).run()
    sigma0 = E * strain
    exact = (sigma0 ** (1 - N) + (N - 1) * E * A * duration) ** (1 / (1 - N))
    stress = result.regions[0].state["stress"][1]
    assert stress.mean() == pytest.approx(exact, rel=0.005)
    assert np.ptp(stress) < 1e-4 * exact                     # homogeneous, as the closed form


def test_a_prescribed_displacement_in_a_thermoelastic_solve_is_the_uniaxial_stress(mesh):
    model = Model(mesh, "axisymmetric", {"bar": rod(creep=False)}, temperature=125.0, fixed=[("bottom", "y")],
                  displacements=[Displacement("top", "y", 0.2)])
    solution = solve(model)
    top = np.isclose(solution.basis.doflocs[1], LENGTH) & (np.arange(solution.basis.N) % 2 == 1)
    assert np.allclose(solution.u[top], 0.2)
    # sigma_zz = E delta / L everywhere: a linear displacement field, which P2 elements hold exactly
    from fea.post import Stresses
    zz = Stresses(solution).quadrature[1]
    assert np.allclose(zz, E * 0.2 / LENGTH, rtol=1e-9)


@pytest.mark.parametrize("load", ["traction", "displacement"])
def test_an_elastic_cycling_run_under_a_mechanical_load_is_the_thermoelastic_solve(mesh, load):
    """No temperature change, elastic material: the cycling run's last state is the linear solve
    of the same mechanical load (the traction or displacement at its last factor)."""
    kwargs = ({"tractions": [("top", (0.0, 12.0))], "traction_amplitudes": {"top": Amplitude(((0.0, 0.0), (50.0, 1.0)))}}
              if load == "traction" else
              {"displacements": [Displacement("top", "y", 0.05, Amplitude(((0.0, 0.0), (50.0, 1.0))))]})
    elastic = Model(mesh, "axisymmetric", {"bar": rod(creep=False)}, temperature=125.0, fixed=[("bottom", "y")],
                    **kwargs)
    linear = solve(elastic).u
    cycled = Solver(Cycling(dataclasses.replace(elastic, load=held(100.0)))).run()
    assert np.allclose(cycled.u[:linear.size], linear, rtol=0, atol=1e-6 * np.abs(linear).max())


def test_a_zero_fixed_and_a_prescribed_value_on_the_same_nodes_are_refused(mesh):
    model = Model(mesh, "axisymmetric", {"bar": rod(creep=False)}, temperature=125.0,
                  fixed=[("bottom", "y"), ("top", "y")], displacements=[Displacement("top", "y", 0.2)])
    with pytest.raises(InputError, match="both fixed at zero and prescribed"):
        solve(model)


def test_amplitude_is_linear_between_points_and_held_outside():
    amplitude = Amplitude(((10.0, 0.0), (20.0, 2.0)))
    assert [amplitude(t) for t in (0.0, 15.0, 20.0, 99.0)] == [0.0, 1.0, 2.0, 2.0]
    with pytest.raises(InputError, match="times must increase"):
        Amplitude(((0.0, 0.0), (0.0, 1.0)))


CYCLED_BAR = """
mesh = "bar.msh"
analysis = "axisymmetric"
[materials]
bar = {{ E = 40000.0, nu = 0.35, alpha = 2e-5, stress_free = 125.0, creep = {{ law = "norton", A = 1e-12, n = 5.0, Q = 0.0 }} }}
[[bc]]
group = "bottom"
fix = ["y"]
{loads}
[load]
history = [[0.0, 125.0], [100.0, 125.0]]
"""


@pytest.fixture
def bar_dir(tmp_path):
    bar_mesh(save_as=tmp_path / "bar.msh")
    return tmp_path


def test_model_file_loads_with_their_own_histories_solve_and_round_trip(bar_dir, capsys):
    import json
    from studies.cli import main
    from studies.model_file import read_model, write_model

    loads = ('[[bc]]\ngroup = "top"\nfix = ["y"]\nvalue = 0.1\nhistory = [[0.0, 0.0], [0.001, 1.0]]\n')
    (bar_dir / "model.toml").write_text(CYCLED_BAR.format(loads=loads))
    model = read_model(bar_dir / "model.toml")
    assert model.displacements[0].at(50.0) == 0.1 and model.displacements[0].at(0.0) == 0.0
    write_model(model, bar_dir / "again")
    assert read_model(bar_dir / "again" / "model.toml") == model
    assert main(["solve", str(bar_dir / "model.toml"), "--out", str(bar_dir / "out")]) == 0
    summary = json.loads((bar_dir / "out" / "summary.json").read_text())
    assert summary["cycles"][-1]["eps_in_accumulated"]["bar"] > 0     # it relaxed


@pytest.mark.parametrize("loads,message", [
    ('[[bc]]\ngroup = "top"\nfix = ["x", "y"]\nvalue = [0.1]\n', "one displacement (um) per fixed component"),
    ('[[bc]]\ngroup = "top"\nfix = ["y"]\nvalue = 0.1\nhistory = [[1.0, 0.0], [0.5, 1.0]]\n', "times must increase"),
    ('[[bc]]\ngroup = "top"\nfix = ["y"]\nvalue = "a lot"\n', "value"),
    ('[[traction]]\ngroup = "top"\nvalue = [0.0, 1.0]\nhistory = 3\n', "history = 3 must be"),
    ('[[bc]]\ngroup = "bottom"\nfix = ["y"]\nvalue = 0.1\n', "both fixed at zero and prescribed"),
])
def test_model_file_mechanical_load_errors(bar_dir, capsys, loads, message):
    from studies.cli import main
    (bar_dir / "model.toml").write_text(CYCLED_BAR.format(loads=loads))
    out = bar_dir / "out"
    code = main(["solve", str(bar_dir / "model.toml"), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1 and not out.exists(), err
