"""Stress recovery: quadrature-point stresses, invariants, region-wise smoothing, probes,
region statistics and interface tractions.

Nodal values are smoothed within each region only: every element's quadrature values are
extrapolated to its six nodes and averaged over the elements of the same region that share
the node, so a stress jump at a material boundary is kept, never blurred.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from skfem import ElementTriP2

from . import elasticity, small_strain
from .errors import InputError
from .mesh import element_nodes
from .thermoelastic import Solution

PLANAR_LABELS = ("xx", "yy", "zz", "xy")
AXISYMMETRIC_LABELS = ("rr", "zz", "tt", "rz")  # zz is axial (y); tt is the hoop stress


def component_labels(analysis: str) -> tuple[str, ...]:
    return AXISYMMETRIC_LABELS if analysis == "axisymmetric" else PLANAR_LABELS


def quadrature_stress(solution: Solution) -> np.ndarray:
    """Stress 4-vector [11, 22, 33, 12] at every quadrature point, shape (4, nel, nqp)."""
    analysis = solution.model.analysis
    u = solution.basis.interpolate(solution.u)
    eps = list(elasticity.strain(u, solution.quad_points[0], solution.axisymmetric))
    eps[2] = eps[2] + solution.out_of_plane_strain
    direction = small_strain.thermal_direction(analysis)
    mechanical = [e - d * solution.thermal_strain for e, d in zip(eps, direction)]
    sigma = small_strain.stress(mechanical, solution.lam, solution.mu)
    if analysis == "plane_stress":
        sigma[2] = 0.0
    return sigma


def principal(s: np.ndarray) -> np.ndarray:
    """Principal stresses sorted (max, mid, min); the out-of-plane/hoop stress is one of them."""
    s11, s22, s33, s12 = s
    centre = 0.5 * (s11 + s22)
    radius = np.sqrt((0.5 * (s11 - s22)) ** 2 + s12 ** 2)
    return -np.sort(-np.array([centre + radius, centre - radius, s33]), axis=0)


def invariants(s: np.ndarray) -> dict[str, np.ndarray]:
    p = principal(s)
    return {"von_mises": small_strain.von_mises(s), "max_principal": p[0], "min_principal": p[2]}


def _extrapolation_matrix(X: np.ndarray) -> np.ndarray:
    """Maps values at the quadrature points X (2, nqp) to the 6 P2 nodes: the least-squares
    polynomial of the highest degree the points determine (quadratic from six or more points,
    linear from three, as Abaqus extrapolates a 6-node triangle), evaluated at the nodes."""
    quadratic = X.shape[1] >= 6

    def monomials(x, y):
        columns = [np.ones_like(x), x, y] + ([x * x, x * y, y * y] if quadratic else [])
        return np.stack(columns, axis=1)

    nodes = ElementTriP2().doflocs.T                              # (2, 6) reference coordinates
    return monomials(*nodes) @ np.linalg.pinv(monomials(*X))       # (6, nqp)


@dataclass
class Stresses:
    """Recovered stress of a solution, with region-smoothed nodal values.

    ``given`` replaces the thermoelastic stress recovery with quadrature stresses computed
    elsewhere (the state at the end of a cycling history)."""

    solution: Solution
    given: np.ndarray | None = None

    @cached_property
    def labels(self) -> tuple[str, ...]:
        return component_labels(self.solution.model.analysis)

    @cached_property
    def quadrature(self) -> np.ndarray:
        return self.given if self.given is not None else quadrature_stress(self.solution)

    @cached_property
    def element_nodes(self) -> np.ndarray:
        """(6, nel) scalar P2 node indices of every element (gmsh node order)."""
        return element_nodes(self.solution.basis.mesh)

    @cached_property
    def nodal(self) -> np.ndarray:
        """Region-smoothed stress at the element nodes, shape (4, nel, 6)."""
        return smooth_by_region(self.solution.basis, self.solution.model.mesh.regions,
                                self.quadrature, self.element_nodes)

    def nodal_fields(self) -> dict[str, np.ndarray]:
        """Named region-smoothed fields at element nodes, each (nel, 6)."""
        fields = {f"s_{label}": self.nodal[k] for k, label in enumerate(self.labels)}
        fields.update(invariants(self.nodal))
        return fields

    def at(self, points: np.ndarray, region: str | None = None) -> dict[str, np.ndarray]:
        """Smoothed stress components and invariants at arbitrary points (2, n)."""
        values = interpolate_element_nodes(self.solution, self.nodal, points, region)
        out = {label: values[k] for k, label in enumerate(self.labels)}
        out.update(invariants(values))
        return out

    def region_summary(self) -> dict[str, dict[str, float]]:
        sol = self.solution
        mesh = sol.model.mesh
        dx = sol.basis.dx
        weight = dx * elasticity.volume_weight(sol.quad_points[0], sol.axisymmetric)
        vm_q = small_strain.von_mises(self.quadrature)
        inv_nodes = invariants(self.nodal)
        summary = {}
        for name, elements in mesh.regions.items():
            w = weight[elements]
            row = {"area": float(dx[elements].sum())}
            if sol.axisymmetric:
                row["volume"] = float(w.sum())
            row.update({
                "von_mises_max": float(inv_nodes["von_mises"][elements].max()),
                "von_mises_mean": float((vm_q[elements] * w).sum() / w.sum()),
                "max_principal_max": float(inv_nodes["max_principal"][elements].max()),
                "min_principal_min": float(inv_nodes["min_principal"][elements].min()),
            })
            summary[name] = row
        return summary

    def region_mean(self, region: str, field: str) -> float:
        """Volume-weighted mean of a component label or invariant over a region."""
        sol = self.solution
        elements = sol.model.mesh.require_region(region, "region mean")
        q = self.quadrature[:, elements]
        values = (q[self.labels.index(field)] if field in self.labels else invariants(q)[field])
        w = (sol.basis.dx * elasticity.volume_weight(sol.quad_points[0], sol.axisymmetric))[elements]
        return float((values * w).sum() / w.sum())

    def traction(self, curve: str) -> dict[str, np.ndarray]:
        """Normal (peel) and shear traction along a named curve.

        For an interface ``a/b`` the normal points out of region ``a`` into ``b`` and the
        traction is taken from each side's smoothed stress (``*_a``, ``*_b``) and averaged
        (``normal``, ``shear``). The shear direction is the normal turned clockwise by 90 deg.
        Points are the curve's P2 nodes facet by facet in chain order; ``chain`` numbers the
        connected pieces of the curve, ``s`` is the arc length from the first node of its piece
        (no length is counted across a gap) and ``end`` is 1 at a node where the curve ends.
        """
        return interface_traction(self, curve)

    def reaction(self, group: str, component: str) -> float:
        """The support's force on a named curve or point in direction ``component`` ("x", "y")."""
        return reaction_force(self, group, component)


def reaction_force(stresses: Stresses, group: str, component: str) -> float:
    """The force a support applies to the nodes of a named curve or point, in direction
    ``component``: the sum over their dofs of the internal force f_int = int B^T sigma dV. At
    equilibrium f_int = f_ext + R at every dof, so on supported nodes without an external load
    f_int is the reaction R. In uN per um of section depth (= N/m) in the planar analyses; in
    axisymmetry in uN, over the whole ring."""
    from .operators import StrainOperator
    from .thermoelastic import group_dofs

    solution = stresses.solution
    model = solution.model
    operator = StrainOperator(solution.basis, model.analysis, elasticity.out_of_plane(model))
    internal = operator.internal_force(stresses.quadrature)
    return float(internal[group_dofs(model.mesh, group, component)].sum())


def smooth_by_region(basis, regions: dict, values: np.ndarray, element_nodes: np.ndarray) -> np.ndarray:
    """Extrapolate (k, nel, nqp) quadrature values to nodes and average within each region."""
    E = _extrapolation_matrix(basis.X)
    per_element = np.einsum("iq,keq->kei", E, values)  # (k, nel, 6)
    out = np.empty_like(per_element)
    n_nodes = int(element_nodes.max()) + 1
    for elements in regions.values():
        nodes = element_nodes[:, elements].T.ravel()  # (nel_r*6,)
        count = np.bincount(nodes, minlength=n_nodes)
        for k in range(values.shape[0]):
            total = np.bincount(nodes, weights=per_element[k, elements].ravel(), minlength=n_nodes)
            out[k, elements] = (total / np.maximum(count, 1))[element_nodes[:, elements].T]
    return out


def interpolate_element_nodes(solution: Solution, nodal: np.ndarray, points, region=None) -> np.ndarray:
    """Evaluate element-node values (k, nel, 6) at points (2, n) with the P2 shape functions."""
    elements, local = solution.model.mesh.locate(np.asarray(points, float), region)
    N = np.array([ElementTriP2().lbasis(local, i)[0] for i in range(6)])  # (6, n)
    return np.einsum("kni,in->kn", nodal[:, elements, :], N)


def interface_traction(stresses: Stresses, curve: str) -> dict[str, np.ndarray]:
    solution = stresses.solution
    named = solution.model.mesh
    mesh = named.mesh
    facets = named.require_curve(curve, "traction")
    names = list(named.regions)
    region_id = named.region_of_element
    side_names = curve.split("/") if "/" in curve else []
    wanted = [names.index(n) for n in side_names if n in names]
    n_vertices = mesh.nvertices
    element_nodes = stresses.element_nodes
    xy_nodes = mesh.doflocs

    # facet -> its three P2 nodes in curve order (end, middle, end)
    ends = mesh.facets[:, facets]
    f_nodes = np.vstack([ends[0], n_vertices + facets, ends[1]])  # (3, nf)
    chain = orient_chains(f_nodes)

    p0, pm, p1 = (xy_nodes[:, f_nodes[i]] for i in range(3))
    tangents = np.stack([-1.5 * p0 + 2 * pm - 0.5 * p1, 0.5 * (p1 - p0), 0.5 * p0 - 2 * pm + 1.5 * p1])
    tangents /= np.linalg.norm(tangents, axis=1, keepdims=True)  # (3, 2, nf)

    sides = {}
    for side_index, side_label in ((0, "a"), (1, "b")):
        elements = np.full(facets.size, -1)
        for k, f in enumerate(facets):
            for e in mesh.f2t[:, f]:
                if e < 0:
                    continue
                if wanted:
                    if side_index < len(wanted) and region_id[e] == wanted[side_index]:
                        elements[k] = e
                elif side_index == 0 and elements[k] < 0:
                    elements[k] = e
        if np.any(elements < 0):
            continue
        centroid = mesh.p[:, mesh.t[:, elements]].mean(axis=1)  # (2, nf)
        normals = np.stack([tangents[:, 1], -tangents[:, 0]], axis=1)  # clockwise turn
        outward = np.sign(np.sum(normals[1] * (pm - centroid), axis=0))
        if side_index == 1:
            outward = -outward  # keep the normal pointing from a into b
        normals *= outward[None, None, :]
        s = np.empty((4, 3, facets.size))
        for i in range(3):
            local = np.argmax(element_nodes[:, elements] == f_nodes[i][None, :], axis=0)
            s[:, i] = stresses.nodal[:, elements, local]
        nx, ny = normals[:, 0], normals[:, 1]
        tx, ty = ny, -nx
        t_x = s[0] * nx + s[3] * ny
        t_y = s[3] * nx + s[1] * ny
        sides[side_label] = (t_x * nx + t_y * ny, t_x * tx + t_y * ty)
    if not sides:
        raise InputError(f"traction: curve '{curve}' does not border its named regions")

    points = np.stack([p0, pm, p1], axis=1).transpose(0, 2, 1).reshape(2, -1)  # facet by facet
    # a vertex that only one facet of the curve uses is where the interface ends: at a free edge,
    # a corner or a triple junction, where the traction is singular
    uses = np.bincount(ends.ravel(), minlength=n_vertices)
    curve_end = np.stack([uses[f_nodes[0]] == 1, np.zeros(facets.size, bool), uses[f_nodes[2]] == 1])
    out = {"x": points[0], "y": points[1], "s": chain_arc_length(p0, pm, p1, chain),
           "chain": np.repeat(chain, 3), "end": curve_end.T.ravel().astype(float)}
    normal_parts, shear_parts = [], []
    for label, (tn, ts) in sides.items():
        out[f"normal_{label}"] = tn.T.ravel()
        out[f"shear_{label}"] = ts.T.ravel()
        normal_parts.append(out[f"normal_{label}"])
        shear_parts.append(out[f"shear_{label}"])
    out["normal"] = np.mean(normal_parts, axis=0)
    out["shear"] = np.mean(shear_parts, axis=0)
    return out


def orient_chains(f_nodes: np.ndarray) -> np.ndarray:
    """Turn facets (3, nf) of a curve in chain order (fea.mesh.chain_facets) so that each starts
    where the one before ended, in place; returns the chain index of every facet (a facet that
    shares no vertex with the one before starts a new chain: the curve has a gap there)."""
    chain = np.zeros(f_nodes.shape[1], dtype=int)
    for k in range(1, f_nodes.shape[1]):
        first_of_chain = k == 1 or chain[k - 1] != chain[k - 2]
        touching = (f_nodes[0, k], f_nodes[2, k])
        if first_of_chain and f_nodes[2, k - 1] not in touching and f_nodes[0, k - 1] in touching:
            f_nodes[:, k - 1] = f_nodes[::-1, k - 1]     # a chain's first facet pointed backwards
        if f_nodes[2, k - 1] in touching:
            if f_nodes[2, k] == f_nodes[2, k - 1]:
                f_nodes[:, k] = f_nodes[::-1, k]
            chain[k] = chain[k - 1]
        else:
            chain[k] = chain[k - 1] + 1
    return chain


def chain_arc_length(p0: np.ndarray, pm: np.ndarray, p1: np.ndarray, chain: np.ndarray) -> np.ndarray:
    """Arc length at the (end, middle, end) nodes of every facet, facet by facet, restarting at 0 on
    each chain."""
    first, second = np.hypot(*(pm - p0)), np.hypot(*(p1 - pm))
    start = np.zeros(chain.size)
    for k in range(1, chain.size):
        start[k] = 0.0 if chain[k] != chain[k - 1] else start[k - 1] + first[k - 1] + second[k - 1]
    return np.stack([start, start + first, start + first + second]).T.ravel()
