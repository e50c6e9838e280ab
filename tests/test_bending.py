"""Generalized plane strain that can bend: out-of-plane curvature unknowns with zero
net force and moments, against the closed-form layered beam."""
import numpy as np
import pytest

from fea.errors import InputError
from studies import verification as v


@pytest.mark.parametrize("cycled", [False, True])
def test_bending_slice_is_timoshenkos_beam(cycled):
    """Equal Poisson's ratios: exact (the cross-section's in-plane stresses have zero resultant and
    moment), so the 0.5 % limit of `pkgrel verify` holds to round-off here."""
    checks = v.bending_bimetal(cycled=cycled)
    assert all(c.passed for c in checks)
    assert max(c.error for c in checks) < 1e-8


def test_uniform_out_of_plane_strain_leaves_a_moment_and_bending_removes_it():
    """Without the curvature unknowns the slice cannot bend out of its plane: int sigma_33 y dA
    is not zero; with them it is (to round-off), and the uniform part is still force-free."""
    from fea.post import Stresses
    from fea.thermoelastic import solve

    moments = {}
    for bending in ((), ("y",)):
        model = v.bending_bimetal_model(bending)
        solution = solve(model)
        zz = Stresses(solution).quadrature[2]
        dA = solution.basis.dx
        y = solution.quad_points[1]
        force_scale = np.sum(np.abs(zz) * dA)
        moments[bending] = (np.sum(zz * dA) / force_scale, np.sum(zz * (y - y.mean()) * dA) / (force_scale * np.ptp(y)))
    assert abs(moments[()][0]) < 1e-10 and abs(moments[("y",)][0]) < 1e-10
    assert abs(moments[()][1]) > 0.05
    assert abs(moments[("y",)][1]) < 1e-10


def test_bending_is_refused_outside_generalized_plane_strain():
    from dataclasses import replace

    from fea.thermoelastic import solve

    model = v.bending_bimetal_model(("y",))
    with pytest.raises(InputError, match="needs analysis = 'generalized_plane_strain'"):
        solve(replace(model, analysis="plane_strain"))
    with pytest.raises(InputError, match="distinct directions"):
        solve(replace(model, bending=("z",)))


def test_bending_in_a_model_file_round_trips_and_bad_entries_are_one_line(tmp_path, capsys):
    from studies.cli import main
    from studies.model_file import read_model, write_model

    model = v.bending_bimetal_model(("y",))
    write_model(model, tmp_path / "a")
    text = (tmp_path / "a" / "model.toml").read_text()
    assert 'bending = ["y"]' in text
    assert read_model(tmp_path / "a" / "model.toml") == model
    assert main(["solve", str(tmp_path / "a" / "model.toml"), "--out", str(tmp_path / "run")]) == 0
    capsys.readouterr()
    import json
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["out_of_plane_curvature"]["y"] < 0          # Cu on top shrinks more: concave down
    for bad, message in (('bending = "y"', "must be a list"), ('bending = ["y", "y"]', "distinct")):
        (tmp_path / "a" / "model.toml").write_text(text.replace('bending = ["y"]', bad))
        code = main(["solve", str(tmp_path / "a" / "model.toml"), "--out", str(tmp_path / "bad")])
        err = capsys.readouterr().err
        assert code == 2 and message in err and err.count("\n") == 1 and not (tmp_path / "bad").exists()
