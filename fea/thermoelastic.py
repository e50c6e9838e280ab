"""Thermoelastic CTE-mismatch solve of a 2D cross-section.

    find u:  int eps(v) : C(T) : eps(u) dV = int eps(v) : C(T) : eps_th(T, T0) dV   for all v

with u = 0 on the fixed curves (and u_r = 0 on the axis in axisymmetry). The temperature T is
uniform or a field of (x, y), evaluated at the quadrature points; every material has its own
stress-free temperature T0 unless the model overrides it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from skfem import Basis, ElementTriP2, ElementVector

from . import elasticity
from .errors import InputError, SolverError, check_temperatures
from .linsolve import factorize
from .expressions import compile_expression
from .mesh import Mesh
from .model import Model

# 3-point rule (degree 2): exact for the P2 stiffness and thermal load of a straight-sided element
# with uniform properties (the strains are linear), the rule Abaqus integrates CPE6 / CAX6 with;
# the 6-point rule changed no solder dW (4 digits, ppi-recess cycling) and cost twice the
# constitutive updates (docs/performance.md)
QUADRATURE_ORDER = 2
COMPONENTS = {"x": 0, "y": 1}


@dataclass
class Solution:
    model: Model
    basis: Basis
    u: np.ndarray                       # nodal displacements, interleaved (x, y) per P2 node
    eps0: float                         # uniform out-of-plane strain (generalized plane strain)
    quad_points: np.ndarray             # (2, nel, nqp) coordinates of the quadrature points
    temperature: np.ndarray             # (nel, nqp) degC
    lam: np.ndarray                     # (nel, nqp) Lame lambda as used by the analysis
    mu: np.ndarray
    thermal_strain: np.ndarray          # (nel, nqp)
    timings: dict = field(default_factory=dict)
    solver_method: str = ""
    curvatures: tuple[float, ...] = ()  # generalized plane strain with bending: 1/um per direction

    @property
    def out_of_plane_strain(self) -> np.ndarray | float:
        """eps_33 at the quadrature points from the out-of-plane unknowns (0 unless generalized)."""
        spec = elasticity.out_of_plane(self.model)
        if spec is None:
            return 0.0
        return spec.strain((self.eps0, *self.curvatures), self.quad_points)

    @property
    def axisymmetric(self) -> bool:
        return self.model.analysis == "axisymmetric"

    @property
    def n_dofs(self) -> int:
        spec = elasticity.out_of_plane(self.model)
        return self.u.size + (0 if spec is None else spec.count)


def make_basis(mesh: Mesh) -> Basis:
    return Basis(mesh.mesh, ElementVector(ElementTriP2()), intorder=QUADRATURE_ORDER)


def material_fields(model: Model, quad_points: np.ndarray):
    """Temperature, Lame parameters and thermal strain at every quadrature point."""
    mesh = model.mesh
    temperature = evaluate_temperature(model.temperature, quad_points)
    missing = [name for name in mesh.regions if name not in model.materials]
    if missing:
        raise InputError(f"region(s) without a material: {', '.join(missing)}; add them to "
                         "[materials] (regions of the mesh: " + ", ".join(mesh.regions) + ")")
    unassigned = np.flatnonzero(mesh.region_of_element < 0)
    if unassigned.size:
        raise InputError(f"{unassigned.size} element(s) belong to no physical surface; every "
                         "surface of the mesh needs a named physical group")
    lam = np.empty_like(temperature)
    mu = np.empty_like(temperature)
    eth = np.empty_like(temperature)
    for name, elements in mesh.regions.items():
        material = model.materials[name]
        T = temperature[elements]
        T0 = (model.stress_free_temperature if model.stress_free_temperature is not None
              else material.stress_free_temperature)
        E, nu = material.E(T), material.nu(T)
        lam[elements], mu[elements] = elasticity.moduli(E, nu, model.analysis)
        eth[elements] = material.thermal_strain(T, np.full_like(T, T0))
    return temperature, lam, mu, eth


def evaluate_temperature(temperature, quad_points: np.ndarray) -> np.ndarray:
    """A uniform temperature, an expression of x and y, or a function f(x, y) at the points."""
    x, y = quad_points
    if isinstance(temperature, str):
        temperature = compile_expression(temperature, "[temperature] field")
    if callable(temperature):
        values = np.asarray(temperature(x, y), dtype=float) * np.ones_like(x)
    else:
        values = np.full_like(x, float(temperature))
    check_temperatures(values, "[temperature] field")
    return values


def node_dofs(nodes: np.ndarray, component: int) -> np.ndarray:
    """Vector-P2 dofs of scalar-P2 nodes (skfem interleaves x and y)."""
    return 2 * np.asarray(nodes) + component


def curve_nodes(mesh: Mesh, facets: np.ndarray) -> np.ndarray:
    """Scalar-P2 node indices (corners and mid-edge nodes) on the given facets."""
    n_vertices = mesh.mesh.nvertices
    return np.unique(np.concatenate([mesh.mesh.facets[:, facets].ravel(), n_vertices + facets]))


def p2_node_coordinates(mesh: Mesh) -> np.ndarray:
    """(2, n_nodes) coordinates of the scalar-P2 nodes: vertices, then mid-edge nodes."""
    return mesh.mesh.doflocs


def group_dofs(mesh: Mesh, group: str, component: str) -> np.ndarray:
    """The dofs of one displacement component on every node of a named curve or point."""
    if component not in COMPONENTS:
        raise InputError(f"bc on '{group}': fix = '{component}' must be one of x, y")
    kind, entities = mesh.require_group(group, "bc")
    nodes = curve_nodes(mesh, entities) if kind == "curve" else entities
    return node_dofs(nodes, COMPONENTS[component])


def prescribed_dofs(model: Model, t: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Dofs with a prescribed non-zero displacement and their values (um) at time t (None: the
    values themselves). A dof fixed at zero, or prescribed twice with different values, is refused."""
    if not model.displacements:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    zero = np.concatenate([group_dofs(model.mesh, g, c) for g, c in model.fixed] or [np.zeros(0, dtype=np.int64)])
    dofs, values = [], []
    for d in model.displacements:
        found = group_dofs(model.mesh, d.group, d.component)
        if np.isin(found, zero).any():
            raise InputError(f"bc on '{d.group}': {d.component} is both fixed at zero and prescribed "
                             f"value = {d.value:g} um; give one of them")
        dofs.append(found)
        values.append(np.full(found.size, d.at(t)))
    dofs, values = np.concatenate(dofs), np.concatenate(values)
    order = np.argsort(dofs, kind="stable")
    shared = dofs[order][1:] == dofs[order][:-1]
    if np.any(shared & (values[order][1:] != values[order][:-1])):
        raise InputError("bc: two prescribed displacements with different values share nodes; "
                         "give each node one value")
    unique, first = np.unique(dofs, return_index=True)
    return unique, values[first]


def fixed_dofs(model: Model) -> np.ndarray:
    """Every dof with a Dirichlet condition: fixed at zero, prescribed, or on the axis."""
    mesh = model.mesh
    fixed = [group_dofs(mesh, curve, component) for curve, component in model.fixed]
    fixed.append(prescribed_dofs(model)[0])
    if model.analysis == "axisymmetric":
        fixed.append(node_dofs(axis_nodes(mesh), 0))
    return np.unique(np.concatenate(fixed)) if fixed else np.array([], dtype=np.int64)


def axis_nodes(mesh: Mesh) -> np.ndarray:
    """P2 nodes on the symmetry axis x = 0 (u_r = 0 there by symmetry)."""
    x = p2_node_coordinates(mesh)[0]
    size = np.ptp(mesh.mesh.p, axis=1).max()
    if x.min() < -1e-9 * size:
        raise InputError(f"axisymmetric mesh {mesh.source} has nodes at x < 0 (min x = {x.min():.4g}); "
                         "x is the radius and must be >= 0")
    return np.flatnonzero(np.abs(x) <= 1e-9 * size)


def rigid_body_modes(mesh: Mesh, analysis: str) -> np.ndarray:
    """Displacement modes with zero strain: (n_dofs, n_modes)."""
    x, y = p2_node_coordinates(mesh)
    n = x.size
    modes = []
    if analysis != "axisymmetric":  # a radial translation strains the hoop direction
        tx = np.zeros(2 * n)
        tx[0::2] = 1.0
        modes.append(tx)
    ty = np.zeros(2 * n)
    ty[1::2] = 1.0
    modes.append(ty)
    if analysis != "axisymmetric":
        rot = np.zeros(2 * n)
        rot[0::2], rot[1::2] = -(y - y.mean()), x - x.mean()
        modes.append(rot)
    return np.array(modes).T


def check_constrained(model: Model, fixed: np.ndarray) -> None:
    """The supports must stop every rigid-body motion, else the stiffness is singular."""
    modes = rigid_body_modes(model.mesh, model.analysis)
    names = ["x translation", "y translation", "rotation"]
    if model.analysis == "axisymmetric":
        names = ["z (y) translation"]
    restrained = modes[fixed]
    if restrained.size == 0:
        free = names
    else:
        s, vt = np.linalg.svd(restrained / np.abs(modes).max(axis=0), full_matrices=True)[1:]
        rank = int(np.sum(s > 1e-8 * max(s.max(), 1e-300)))
        if rank == modes.shape[1]:
            return
        null = vt[rank:]
        free = [names[i] for i in range(len(names)) if np.any(np.abs(null[:, i]) > 1e-6)]
    raise InputError("model is not fully constrained: rigid-body motion left free ("
                     + ", ".join(free) + "); add [[bc]] entries that fix it "
                     "(e.g. group = \"bottom\", fix = [\"y\"])")


def assemble(model: Model, basis: Basis, lam, mu, eth):
    """Stiffness and thermal load; generalized plane strain adds the bordered eps_0 row."""
    forms = elasticity.forms_for(model.analysis)
    K = forms.stiffness.assemble(basis, lam=lam, mu=mu)
    f = forms.thermal_load.assemble(basis, lam=lam, mu=mu, eth=eth)
    spec = elasticity.out_of_plane(model)
    if spec is not None:
        # the bordered rows of the out-of-plane unknowns (the uniform strain and curvatures)
        modes = spec.modes(basis.mapping.F(basis.X))
        columns = sp.csr_matrix(np.column_stack([forms.out_of_plane_coupling.assemble(basis, lam=lam, mu=mu, g=g)
                                                 for g in modes]))
        block = np.array([[forms.out_of_plane_stiffness.assemble(basis, lam=lam, mu=mu, g=g, h=h) for h in modes]
                          for g in modes])
        K = sp.bmat([[K, columns], [columns.T, sp.csr_matrix(block)]], format="csr")
        f = np.append(f, [forms.out_of_plane_thermal_load.assemble(basis, lam=lam, mu=mu, eth=eth, g=g)
                          for g in modes])
    f[:basis.N] += traction_load(model, basis)
    return K, f


def traction_load(model: Model, basis: Basis, t: float | None = None) -> np.ndarray:
    """int t . v dS over the loaded curves (dS = 2 pi r ds in axisymmetry), each traction times
    its amplitude at time t in a cycling run (None: the tractions as given)."""
    from skfem import FacetBasis, LinearForm

    axisymmetric = model.analysis == "axisymmetric"

    @LinearForm
    def surface_traction(v, w):
        return (w.tx * v[0] + w.ty * v[1]) * elasticity.volume_weight(w.x[0], axisymmetric)

    load = np.zeros(basis.N)
    for curve, (tx, ty) in model.tractions:
        facets = model.mesh.require_curve(curve, "traction")
        facet_basis = FacetBasis(model.mesh.mesh, basis.elem, facets=facets,
                                 intorder=QUADRATURE_ORDER)
        amplitude = model.traction_amplitudes.get(curve)
        factor = 1.0 if amplitude is None or t is None else amplitude(t)
        load += factor * surface_traction.assemble(facet_basis, tx=float(tx), ty=float(ty))
    return load


def solve_linear(K, f, free, dofs, values, method: str):
    """x with the prescribed values at ``dofs`` and K x = f at the free dofs; the factorization."""
    solver = factorize(K[free][:, free], method)
    x = np.zeros(K.shape[0])
    x[dofs] = values
    x[free] = solver.solve(f[free] - K[free][:, dofs] @ values)
    return x, solver


#: active-set iterations of the crack-face contact before it is refused as not settling
CONTACT_ITERATIONS = 30


def with_face_contact(model: Model, K, f, free, dofs, values, method: str, x, solver, timings: dict):
    """Frictionless contact of the faces of cracks with ``contact``: penalty springs on the node
    pairs whose normal gap is negative, re-solved until the closed set no longer changes (a linear
    problem: the set settles in a few passes). The closed pairs per crack go into ``timings``."""
    from .crack import CONTACT_PENALTY, contact_pairs, contact_stiffness, normal_gap

    cracks = [c for c in model.cracks if c.contact]
    if not cracks:
        return x, solver
    pairs = [contact_pairs(model.mesh, c) for c in cracks]
    penalty = CONTACT_PENALTY * float(K.diagonal().max())
    active = [np.zeros(p.upper.size, dtype=bool) for p in pairs]
    for iteration in range(CONTACT_ITERATIONS):
        # closed: the faces overlap (an active spring then holds them at a penetration of its
        # force / penalty); a spring that pulls the faces together is released
        closed = [normal_gap(p, x) < 0 for p in pairs]
        if all(np.array_equal(a, c) for a, c in zip(active, closed)):
            break
        active = closed
        K_c = sum(contact_stiffness(p, a, penalty, K.shape[0]) for p, a in zip(pairs, active))
        x, solver = solve_linear(K + K_c, f, free, dofs, values, method)
    else:
        raise SolverError(f"crack-face contact did not settle in {CONTACT_ITERATIONS} active-set passes")
    timings["contact_iterations"] = iteration
    timings["contact_closed_pairs"] = int(sum(a.sum() for a in active))
    return x, solver


def solve(model: Model, method: str = "auto") -> Solution:
    """Assemble and solve; return the displacement solution and the fields used."""
    elasticity.check_analysis(model.analysis)
    timings = {}
    t0 = time.perf_counter()
    basis = make_basis(model.mesh)
    quad_points = basis.mapping.F(basis.X)
    fixed = fixed_dofs(model)
    check_constrained(model, fixed)
    temperature, lam, mu, eth = material_fields(model, quad_points)
    timings["setup"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    K, f = assemble(model, basis, lam, mu, eth)
    timings["assembly"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    free = np.ones(K.shape[0], dtype=bool)
    free[fixed] = False
    dofs, values = prescribed_dofs(model)
    x, solver = solve_linear(K, f, free, dofs, values, method)
    x, solver = with_face_contact(model, K, f, free, dofs, values, method, x, solver, timings)
    if not np.all(np.isfinite(x)):
        raise SolverError("linear solve produced non-finite displacements; check supports "
                          "and materials")
    timings["solve"] = time.perf_counter() - t0

    n_u = basis.N
    eps0 = float(x[n_u]) if model.analysis == "generalized_plane_strain" else 0.0
    return Solution(model, basis, x[:n_u], eps0, quad_points, temperature, lam, mu, eth,
                    timings, solver.method, tuple(float(c) for c in x[n_u + 1:]))
