"""The strain-operator assembly of the nonlinear solver equals the skfem weak forms."""
import numpy as np
import pytest

from studies import verification as v
from fea.load_history import JEDEC_CONDITIONS, jedec_history, table_history
from fea.errors import InputError
from fea.operators import FreeTangent, StrainOperator
from fea.small_strain import stiffness
from fea.thermoelastic import assemble, make_basis, material_fields


@pytest.mark.parametrize("analysis,bending", [("plane_strain", ()), ("generalized_plane_strain", ()),
                                              ("generalized_plane_strain", ("x", "y")), ("axisymmetric", ())])
def test_operator_tangent_and_force_equal_the_weak_forms(analysis, bending):
    from fea.elasticity import out_of_plane

    problem = v.peer_problem("plane_strain" if analysis != "axisymmetric" else analysis, 2.0)
    problem.analysis = analysis
    problem.bending = bending
    basis = make_basis(problem.mesh)
    T, lam, mu, eth = material_fields(problem, basis.mapping.F(basis.X))
    K, f = assemble(problem, basis, lam, mu, eth)
    op = StrainOperator(basis, analysis, out_of_plane(problem))
    D = stiffness(lam, mu)
    np.testing.assert_allclose(op.tangent(D).toarray(), K.toarray(), atol=1e-10 * abs(K).max())
    thermal_stress = np.einsum("abeq,beq->aeq", D, np.array([eth, eth, eth, 0 * eth]))
    np.testing.assert_allclose(op.internal_force(thermal_stress), f, atol=1e-10 * abs(f).max())
    # strain of a solution vector: uniform expansion u = eps * x gives eps in-plane (and hoop)
    x = basis.doflocs
    u = np.where(np.arange(basis.N) % 2 == 0, 1e-3 * x[0], 1e-3 * x[1])
    u = np.append(u, [2e-3] + [0.0] * len(bending)) if analysis == "generalized_plane_strain" else u
    eps = op.strain(u)
    np.testing.assert_allclose(eps[0], 1e-3, rtol=1e-9)
    np.testing.assert_allclose(eps[1], 1e-3, rtol=1e-9)
    expected_33 = {"plane_strain": 0.0, "generalized_plane_strain": 2e-3, "axisymmetric": 1e-3}[analysis]
    np.testing.assert_allclose(eps[2], expected_33, atol=1e-12)
    if bending:
        # a curvature along y: eps_33 grows linearly with y - y_c
        u[-1] = 1e-4
        x = basis.mapping.F(basis.X)
        np.testing.assert_allclose(op.strain(u)[2], 2e-3 + 1e-4 * (x[1] - out_of_plane(problem).centre[1]), atol=1e-12)
    np.testing.assert_allclose(eps[3], 0.0, atol=1e-12)


@pytest.mark.parametrize("analysis,bending", [("plane_strain", ()), ("generalized_plane_strain", ()),
                                              ("generalized_plane_strain", ("y",))])
def test_free_tangent_of_element_subsets_is_the_free_block_of_the_full_tangent(analysis, bending):
    from fea.elasticity import out_of_plane

    problem = v.peer_problem("plane_strain", 2.0)
    problem.analysis = analysis
    problem.bending = bending
    basis = make_basis(problem.mesh)
    op = StrainOperator(basis, analysis, out_of_plane(problem))
    rng = np.random.default_rng(5)
    nel, nqp = op.weights.shape
    A = rng.normal(size=(4, 4, nel, nqp))
    D = A + A.transpose(1, 0, 2, 3)                 # any symmetric tangent
    free = rng.random(op.n) > 0.1
    free[-1] = True
    parts = np.array_split(rng.permutation(nel), 3)
    subsets = [op.restricted(np.sort(p)) for p in parts]
    pattern = FreeTangent(subsets, free)
    data = sum(pattern.data(k, sub.element_entries(D[:, :, sub.elements])) for k, sub in enumerate(subsets))
    K = op.tangent(D)[free][:, free].toarray()
    np.testing.assert_allclose(pattern.matrix(data).toarray(), np.triu(K), atol=1e-12 * np.abs(K).max())
    np.testing.assert_allclose(pattern.symmetric(data).toarray(), K, atol=1e-12 * np.abs(K).max())
    x = rng.normal(size=pattern.n)
    np.testing.assert_allclose(pattern.matvec(data, x), K @ x, atol=1e-10 * np.abs(K @ x).max())
    # strains and forces of the subsets add up to those of the whole
    u = rng.normal(size=op.n)
    stress = rng.normal(size=(4, nel, nqp))
    np.testing.assert_allclose(sum(sub.internal_force(stress[:, sub.elements]) for sub in subsets),
                               op.internal_force(stress), atol=1e-10 * np.abs(op.internal_force(stress)).max())
    for sub in subsets:
        np.testing.assert_allclose(sub.strain(u), op.strain(u)[:, sub.elements], rtol=1e-12, atol=1e-14)


def test_jedec_history_shape():
    h = jedec_history("G", cycles=2, stress_free=125.0, start=25.0, ramp_s=900.0, dwell_s=600.0)
    low, high = JEDEC_CONDITIONS["G"]
    table = h.table()
    assert table[0, 1] == 125.0 and h.cycles == 2
    for cycle in (1, 2):
        t0, t1 = h.cycle_window(cycle)
        np.testing.assert_allclose(t1 - t0, 2 * 900.0 + 2 * 600.0)
        temps = [s.T1 for s in h.segments if s.cycle == cycle]
        assert min(temps) == low and max(temps) == high
    for segment in h.segments:
        times = segment.times()
        assert np.all(np.diff(times) > 0) and np.isclose(times[-1], segment.t1)
        if segment.kind == "ramp":  # steps no larger than 15 K
            assert abs(segment.T1 - segment.T0) / segment.steps <= 15.0 + 1e-9


@pytest.mark.parametrize("kwargs,message", [
    ({"profile": "Z"}, "JESD22-A104"),
    ({"cycles": 0}, "cycles"),
    ({"ramp_s": 0.0}, "ramp"),
])
def test_bad_histories(kwargs, message):
    args = dict(profile="G", cycles=1, stress_free=125.0)
    args.update(kwargs)
    with pytest.raises(InputError, match=message):
        jedec_history(**args)


def test_table_history():
    h = table_history([[0, 25], [600, 125], [1200, 125], [1800, -40]], stress_free=150.0)
    assert h.segments[0].T0 == 150.0 and h.segments[-1].T1 == -40.0
    with pytest.raises(InputError, match="increase"):
        table_history([[0, 25], [0, 30]], 25.0)


def test_three_point_rule_integrates_straight_p2_elements_exactly():
    """The solver's 3-point rule (degree 2) against the 6-point rule (degree 4) on a mesh of
    straight-sided P2 triangles with piecewise-uniform properties: the stiffness and the thermal
    load agree to round-off in plane strain, as the strains are linear in each element (in
    axisymmetry, with 1/r in the hoop strain, neither rule is exact)."""
    from skfem import Basis, ElementTriP2, ElementVector

    from fea import thermoelastic

    problem = v.peer_problem("plane_strain", 2.0)
    assert thermoelastic.QUADRATURE_ORDER == 2
    results = []
    for order in (2, 4):
        basis = Basis(problem.mesh.mesh, ElementVector(ElementTriP2()), intorder=order)
        T, lam, mu, eth = material_fields(problem, basis.mapping.F(basis.X))
        results.append(assemble(problem, basis, lam, mu, eth))
    (K3, f3), (K6, f6) = results
    np.testing.assert_allclose(K3.toarray(), K6.toarray(), atol=1e-12 * abs(K6).max())
    np.testing.assert_allclose(f3, f6, atol=1e-12 * abs(f6).max())


def test_stresses_at_three_points_extrapolate_linear_fields_exactly():
    """Nodal recovery from the 3 quadrature points of an element reproduces a linear field at
    the six P2 nodes (and from 6 points a quadratic one)."""
    from skfem import ElementTriP2
    from skfem.quadrature import get_quadrature
    from skfem.refdom import RefTri

    from fea.post import _extrapolation_matrix

    nodes = ElementTriP2().doflocs.T
    for order, field in ((2, lambda x, y: 3.0 + 2.0 * x - 5.0 * y),
                         (4, lambda x, y: 1.0 + x - y + 4.0 * x * y - 2.0 * y * y)):
        X, _ = get_quadrature(RefTri, order)
        np.testing.assert_allclose(_extrapolation_matrix(X) @ field(*X), field(*nodes), atol=1e-12)


@pytest.mark.parametrize("numpy_first", [False, True])
def test_openblas_runs_on_one_thread_after_fea_is_imported(numpy_first):
    """OpenBLAS's idle threads busy-wait and take the cores from PARDISO and the compiled kernels:
    fea puts it on one thread, whether numpy was loaded before it or not (a user's setting wins)."""
    import os
    import subprocess
    import sys

    script = ("import ctypes, glob, os, numpy\n" if numpy_first else "") + (
        "import fea, numpy, ctypes, glob, os\n"
        "lib = glob.glob(os.path.join(os.path.dirname(numpy.__file__) + '.libs', '*openblas*.so'))\n"
        "print(ctypes.CDLL(lib[0]).scipy_openblas_get_num_threads64_() if lib else 'none')\n")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "1"     # ('none': this numpy has no bundled OpenBLAS, which pip's wheels have)
    env["OPENBLAS_NUM_THREADS"] = "2"
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "2"
