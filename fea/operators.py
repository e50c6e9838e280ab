"""Strain operator for nonlinear (incremental) solves.

The weak form of equilibrium with a general material tangent D (4 x 4 at every quadrature
point) is assembled element by element from the strain of each local basis function:

    eps(u)   = sum_i B_i u_i                    (B_i = eps(phi_i), from elasticity.strain)
    f_int_i  = sum_q w_q  B_i(q) . sigma(q)
    K_ij     = sum_q w_q  B_i(q) . D(q) . B_j(q)

with w_q = |J| weight (times 2 pi r in axisymmetry). B, the weights and the sparse pattern
are computed once per mesh, so each Newton iteration is a few array contractions. For
generalized plane strain the uniform out-of-plane strain eps_0 is one more unknown, coupled
through the column D e_3.

`StrainOperator.restricted(elements)` is the same operator on a subset of the elements (the
inelastic regions of a cycling model), and `FreeTangent` assembles the upper triangle of
K[free][:, free] from several such element sets into one fixed CSR pattern, the form the
sparse factorization takes, without building the full matrix first.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from skfem import Basis

from . import elasticity


@dataclass
class StrainOperator:
    basis: Basis
    analysis: str
    # generalized plane strain: the out-of-plane unknowns (default: one uniform strain)
    out_of_plane: elasticity.OutOfPlane | None = None

    def __post_init__(self):
        axisymmetric = self.analysis == "axisymmetric"
        r = self.basis.mapping.F(self.basis.X)[0]
        # B: (4, n_local, nel, nqp) strain of every local basis function
        self.B = np.array([np.array(elasticity.strain(phi[0], r, axisymmetric))
                           for phi in self.basis.basis]).transpose(1, 0, 2, 3)
        self.weights = self.basis.dx * elasticity.volume_weight(r, axisymmetric)
        self.element_dofs = self.basis.element_dofs  # (n_local, nel)
        # the same numbers laid out for batched matrix products: (nel, nqp * 4, n_local)
        nloc, nel = self.element_dofs.shape
        self._B_rows = np.ascontiguousarray(self.B.transpose(2, 3, 0, 1).reshape(nel, -1, nloc))
        self.n_u = self.basis.N
        self.generalized = self.analysis == "generalized_plane_strain"
        if self.generalized and self.out_of_plane is None:
            self.out_of_plane = elasticity.OutOfPlane()
        # G: (n_g, nel, nqp) the out-of-plane modes g_j at the quadrature points (eps_33 = sum c_j g_j)
        self.G = (np.array(self.out_of_plane.modes(self.basis.mapping.F(self.basis.X)))
                  if self.generalized else np.zeros((0,) + r.shape))
        self.n = self.n_u + self.G.shape[0]
        self.elements = np.arange(nel)
        self._slot = None

    def restricted(self, elements: np.ndarray) -> "StrainOperator":
        """The operator on a subset of the elements: strains of those elements, their internal
        forces and tangent (still over all unknowns)."""
        sub = copy.copy(self)
        sub.elements = self.elements[elements]
        sub.B = self.B[:, :, elements]
        sub.weights = self.weights[elements]
        sub.G = self.G[:, elements]
        sub.element_dofs = self.element_dofs[:, elements]
        sub._B_rows = np.ascontiguousarray(self._B_rows[elements])
        sub._slot = None
        return sub

    def entry_coordinates(self) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of every entry `element_entries` returns."""
        nloc, nel = self.element_dofs.shape
        dofs = self.element_dofs.T                                          # (nel, n_local)
        rows = np.repeat(dofs[:, :, None], nloc, axis=2).ravel()
        cols = np.repeat(dofs[:, None, :], nloc, axis=1).ravel()
        if self.generalized:
            # per out-of-plane unknown its column and row, then their block (the order of element_entries)
            extra = self.n_u + np.arange(self.G.shape[0])
            local = self.element_dofs.ravel()
            rows = np.concatenate([rows] + [local] * extra.size + [np.full(local.size, e) for e in extra]
                                  + [np.repeat(extra, extra.size)])
            cols = np.concatenate([cols] + [np.full(local.size, e) for e in extra] + [local] * extra.size
                                  + [np.tile(extra, extra.size)])
        return rows, cols

    def _pattern(self) -> None:
        """CSR pattern of the tangent and where each element entry lands in it."""
        rows, cols = self.entry_coordinates()
        key = rows.astype(np.int64) * self.n + cols
        unique, self._slot = np.unique(key, return_inverse=True)
        indptr = np.searchsorted(unique // self.n, np.arange(self.n + 1))
        self._indices = (unique % self.n).astype(np.int32)
        self._indptr = indptr.astype(np.int32)
        self._nnz = unique.size

    def strain(self, u: np.ndarray) -> np.ndarray:
        """Total strain (4, nel, nqp) of the unknown vector (u, and eps_0 last if generalized)."""
        local = u[self.element_dofs].T[:, :, None]  # (nel, n_local, 1)
        nel, nqp = self.weights.shape
        eps = np.matmul(self._B_rows, local).reshape(nel, nqp, 4).transpose(2, 0, 1)
        for j, g in enumerate(self.G):
            eps[2] += u[self.n_u + j] * g
        return eps

    def internal_force(self, stress: np.ndarray) -> np.ndarray:
        """f_int = int B^T sigma dV (and int sigma_33 g_j dV for the out-of-plane unknowns)."""
        nel, nqp = self.weights.shape
        weighted = (stress * self.weights).transpose(1, 2, 0).reshape(nel, nqp * 4, 1)
        local = np.matmul(self._B_rows.transpose(0, 2, 1), weighted)[:, :, 0]  # (nel, n_local)
        f = np.bincount(self.element_dofs.T.ravel(), weights=local.ravel(), minlength=self.n)
        for j, g in enumerate(self.G):
            f[self.n_u + j] = np.sum(stress[2] * g * self.weights)
        return f

    def force_scale(self, stress: np.ndarray) -> float:
        """sqrt(sum_e |f_e|^2) of the element force vectors before assembly: the size of the
        internal forces without the cancellation between neighbours (a uniform stress has
        zero assembled force at interior nodes)."""
        nel, nqp = self.weights.shape
        weighted = (stress * self.weights).transpose(1, 2, 0).reshape(nel, nqp * 4, 1)
        local = np.matmul(self._B_rows.transpose(0, 2, 1), weighted)
        return float(np.sqrt(np.sum(local ** 2)))

    def element_entries(self, D: np.ndarray) -> np.ndarray:
        """The element stiffness entries int B_i^T D B_j dV (and the eps_0 couplings), in the
        order of `entry_coordinates`, for a tangent D of shape (4, 4, nel, nqp)."""
        nel, nqp = self.weights.shape
        Dw = (D * self.weights).transpose(2, 3, 0, 1)                        # (nel, nqp, 4, 4)
        nloc = self._B_rows.shape[2]
        B = self._B_rows.reshape(nel, nqp, 4, nloc)                          # (nel, nqp, 4, n_local)
        DB = np.matmul(Dw, B)                                                # (nel, nqp, 4, n_local)
        Ke = np.matmul(self._B_rows.transpose(0, 2, 1), DB.reshape(nel, nqp * 4, nloc))
        if not self.generalized:
            return Ke.ravel()
        # int (D e3) . B_i g_j dV (symmetric D): (n_local, nel) per out-of-plane unknown j
        columns = [(DB[:, :, 2, :] * g[:, :, None]).sum(axis=1).T.ravel() for g in self.G]
        block = [np.sum(D[2, 2] * g * h * self.weights) for g in self.G for h in self.G]
        return np.concatenate([Ke.ravel()] + columns + columns + [np.array(block)])

    def tangent(self, D: np.ndarray) -> sp.csr_matrix:
        """K = int B^T D B dV for a tangent D of shape (4, 4, nel, nqp)."""
        if self._slot is None:
            self._pattern()
        data = np.bincount(self._slot, weights=self.element_entries(D), minlength=self._nnz)
        return sp.csr_matrix((data, self._indices, self._indptr), shape=(self.n, self.n))


class FreeTangent:
    """The upper triangle of K[free][:, free] in one fixed CSR pattern, assembled from the element
    entries of several element sets (`StrainOperator.restricted`); entries on fixed unknowns and
    below the diagonal are dropped. `data(k, entries)` maps the entries of operator k into the
    pattern's data array, `matrix(data)` wraps it as a CSR matrix of size n_free, and
    `matvec(data, x)` multiplies the symmetric matrix it stands for."""

    def __init__(self, operators: list[StrainOperator], free: np.ndarray):
        n = operators[0].n
        index = np.full(n, -1, dtype=np.int64)
        index[free] = np.arange(int(np.count_nonzero(free)))
        self.n = int(np.count_nonzero(free))
        keys = []
        for op in operators:
            rows, cols = op.entry_coordinates()
            r, c = index[rows], index[cols]
            kept = (r >= 0) & (c >= 0) & (r <= c)
            keys.append((kept, r[kept] * self.n + c[kept]))
        # sorted unique keys by a sort (numpy 2.4's np.unique hashes first: 0.7 s here, the sort 0.05 s)
        every = np.sort(np.concatenate([key for _, key in keys]))
        unique = every[np.concatenate(([True], every[1:] != every[:-1]))]
        self.nnz = unique.size
        self._slots = []
        for kept, key in keys:
            slot = np.full(kept.size, self.nnz, dtype=np.int64)   # dropped entries: one spare bin
            slot[kept] = np.searchsorted(unique, key)
            self._slots.append(slot)
        self.indices = (unique % self.n).astype(np.int32)
        self.indptr = np.searchsorted(unique // self.n, np.arange(self.n + 1)).astype(np.int32)
        self.diagonal_slots = np.searchsorted(unique, np.arange(self.n, dtype=np.int64) * (self.n + 1))
        # the full symmetric matrix with the same explicit entries (zeros included): its data is
        # data[_mirror] in the pattern (_full_indices, _full_indptr)
        row = np.repeat(np.arange(self.n), np.diff(self.indptr))
        off = row != self.indices
        ids = np.arange(1, self.nnz + 1, dtype=float)
        full = sp.csr_matrix((np.concatenate([ids, ids[off]]),
                              (np.concatenate([row, self.indices[off]]), np.concatenate([self.indices, row[off]]))),
                             shape=(self.n, self.n))
        full.sort_indices()
        self._mirror = full.data.astype(np.int64) - 1
        self._full_indices, self._full_indptr = full.indices, full.indptr

    def data(self, k: int, entries: np.ndarray) -> np.ndarray:
        return np.bincount(self._slots[k], weights=entries, minlength=self.nnz + 1)[:self.nnz]

    def combination(self, k: int, entries: np.ndarray) -> sp.csr_matrix:
        """(nnz, columns) matrix whose product with coefficients sums the columns of `entries`
        (n_entries, columns) into the pattern: precomputed parts scaled per step."""
        columns = entries.shape[1]
        slot = np.repeat(self._slots[k], columns)
        col = np.tile(np.arange(columns), self._slots[k].size)
        m = sp.csr_matrix((entries.ravel(), (slot, col)), shape=(self.nnz + 1, columns))
        return m[:self.nnz]

    def matrix(self, data: np.ndarray) -> sp.csr_matrix:
        return sp.csr_matrix((data, self.indices, self.indptr), shape=(self.n, self.n))

    def symmetric(self, data: np.ndarray) -> sp.csr_matrix:
        """The full symmetric matrix (both triangles) whose upper triangle is `data`."""
        return sp.csr_matrix((data[self._mirror], self._full_indices, self._full_indptr), shape=(self.n, self.n))

    def matvec(self, data: np.ndarray, x: np.ndarray) -> np.ndarray:
        """K x for the symmetric K whose upper triangle is `data`."""
        upper = self.matrix(data)
        return upper @ x + upper.T @ x - data[self.diagonal_slots] * x


def isotropic_tangent(lam: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Hooke's law C : e = lambda tr(e) I + 2 mu e as a 4 x 4 matrix on [11, 22, 33, gamma_12]."""
    D = np.zeros((4, 4) + np.shape(lam))
    for a in range(3):
        for b in range(3):
            D[a, b] = lam
        D[a, a] = lam + 2 * mu
    D[3, 3] = mu
    return D
