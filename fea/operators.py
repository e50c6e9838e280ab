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

from . import elasticity, jit
from .jit import prange


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
        self._dofs = np.ascontiguousarray(self.element_dofs.T, dtype=np.int64)   # (nel, n_local)
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
        sub._dofs = np.ascontiguousarray(self._dofs[elements])
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
        nel, nqp = self.weights.shape
        eps = np.empty((4, nel, nqp))
        _strains(self._B_rows, self._dofs, np.ascontiguousarray(u, dtype=float), eps)
        for j, g in enumerate(self.G):
            eps[2] += u[self.n_u + j] * g
        return eps

    def _element_forces(self, stress: np.ndarray) -> np.ndarray:
        """f_e = int_e B^T sigma dV of every element before assembly, (nel, n_local)."""
        local = np.empty(self._dofs.shape)
        _element_forces(self._B_rows, np.ascontiguousarray(stress, dtype=float), self.weights, local)
        return local

    def internal_force(self, stress: np.ndarray) -> np.ndarray:
        """f_int = int B^T sigma dV (and int sigma_33 g_j dV for the out-of-plane unknowns)."""
        f = np.bincount(self._dofs.ravel(), weights=self._element_forces(stress).ravel(), minlength=self.n)
        for j, g in enumerate(self.G):
            f[self.n_u + j] = np.sum(stress[2] * g * self.weights)
        return f

    def force_scale(self, stress: np.ndarray) -> float:
        """sqrt(sum_e |f_e|^2) of the element force vectors before assembly: the size of the
        internal forces without the cancellation between neighbours (a uniform stress has
        zero assembled force at interior nodes)."""
        return float(np.sqrt(np.sum(self._element_forces(stress) ** 2)))

    def element_entries(self, D: np.ndarray) -> np.ndarray:
        """The element stiffness entries int B_i^T D B_j dV (and the eps_0 couplings), in the
        order of `entry_coordinates`, for a tangent D of shape (4, 4, nel, nqp)."""
        nel, nqp = self.weights.shape
        nloc = self._dofs.shape[1]
        D = np.ascontiguousarray(D, dtype=float)
        Ke = np.empty((nel, nloc, nloc))
        # int (D e3) . B_i g_j dV (symmetric D): (n_g, n_local, nel), the order of entry_coordinates
        columns = np.empty((self.G.shape[0], nloc, nel))
        _element_stiffness(self._B_rows, D, self.weights, np.ascontiguousarray(self.G), Ke, columns)
        if not self.generalized:
            return Ke.ravel()
        block = [np.sum(D[2, 2] * g * h * self.weights) for g in self.G for h in self.G]
        return np.concatenate([Ke.ravel()] + [c.ravel() for c in columns] * 2 + [np.array(block)])

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
        self._gathers = {}
        self._chunks = None

    def data(self, k: int, entries: np.ndarray) -> np.ndarray:
        if k not in self._gathers:
            # per pattern entry the element entries that sum into it (sorted by slot, then
            # summed slot by slot: parallel without two threads adding into one entry)
            order = np.argsort(self._slots[k], kind="stable")
            starts = np.searchsorted(self._slots[k][order], np.arange(self.nnz + 1))
            self._gathers[k] = (order, starts)
        order, starts = self._gathers[k]
        data = np.empty(self.nnz)
        _gather_sum(order, starts, np.ascontiguousarray(entries, dtype=float), data)
        return data

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
        """K x for the symmetric K whose upper triangle is `data`, each entry read once (the
        product is memory-bound: against the full matrix row by row, 3.2 -> 2.0 ms per product
        in a cycling run of the recessed-PPI assembly)."""
        chunks = jit.threads_in_use()
        if self._chunks is None or self._chunks[0].size != chunks + 1:
            # rows in chunks of about equal entries, one per thread, each with its partial sum
            bounds = np.searchsorted(self.indptr, np.linspace(0, self.nnz, chunks + 1)).astype(np.int64)
            bounds[0], bounds[-1] = 0, self.n
            self._chunks = (bounds, np.empty((chunks, self.n)))
        y = np.empty(self.n)
        _symmetric_matvec(self.indptr, self.indices, np.ascontiguousarray(data, dtype=float),
                          np.ascontiguousarray(x, dtype=float), *self._chunks, y)
        return y


# ---------------------------------------------------------------- compiled loops (fea.jit)

@jit.parallel
def _strains(B_rows, dofs, u, eps):
    """eps[c, e, q] = sum_i B_i(q)[c] u_i over the element's local unknowns."""
    nel, rows, nloc = B_rows.shape
    for e in prange(nel):
        for row in range(rows):
            acc = 0.0
            for i in range(nloc):
                acc += B_rows[e, row, i] * u[dofs[e, i]]
            eps[row % 4, e, row // 4] = acc


@jit.parallel
def _element_forces(B_rows, stress, weights, local):
    """local[e, i] = sum_q w_q B_i(q) . sigma(q)."""
    nel, rows, nloc = B_rows.shape
    for e in prange(nel):
        for i in range(nloc):
            local[e, i] = 0.0
        for row in range(rows):
            s = stress[row % 4, e, row // 4] * weights[e, row // 4]
            for i in range(nloc):
                local[e, i] += B_rows[e, row, i] * s


@jit.parallel
def _element_stiffness(B_rows, D, weights, G, Ke, columns):
    """Ke[e, i, j] = sum_q w_q B_i . D B_j, and columns[g, i, e] = sum_q w_q (D B_i)[2] g(q)."""
    nel, rows, nloc = B_rows.shape
    nqp = rows // 4
    n_g = G.shape[0]
    for e in prange(nel):
        DB = np.empty((4, nloc))
        for i in range(nloc):
            for j in range(nloc):
                Ke[e, i, j] = 0.0
            for g in range(n_g):
                columns[g, i, e] = 0.0
        for q in range(nqp):
            w = weights[e, q]
            for a in range(4):
                for j in range(nloc):
                    acc = 0.0
                    for b in range(4):
                        acc += D[a, b, e, q] * B_rows[e, 4 * q + b, j]
                    DB[a, j] = w * acc
            for i in range(nloc):
                for j in range(nloc):
                    acc = 0.0
                    for a in range(4):
                        acc += B_rows[e, 4 * q + a, i] * DB[a, j]
                    Ke[e, i, j] += acc
            for g in range(n_g):
                for i in range(nloc):
                    columns[g, i, e] += DB[2, i] * G[g, e, q]


@jit.parallel
def _gather_sum(order, starts, values, out):
    for slot in prange(out.size):
        acc = 0.0
        for k in range(starts[slot], starts[slot + 1]):
            acc += values[order[k]]
        out[slot] = acc


@jit.parallel
def _symmetric_matvec(indptr, indices, data, x, bounds, partial, y):
    """y = K x from the upper triangle alone (each entry read once): the rows in chunks, each
    chunk adds its rows' products and their mirror images into its own partial vector."""
    chunks = bounds.size - 1
    for c in prange(chunks):
        out = partial[c]
        for i in range(out.size):
            out[i] = 0.0
        for i in range(bounds[c], bounds[c + 1]):
            acc = 0.0
            xi = x[i]
            for k in range(indptr[i], indptr[i + 1]):
                j = indices[k]
                a = data[k]
                acc += a * x[j]
                if j != i:
                    out[j] += a * xi
            out[i] += acc
    for i in prange(y.size):
        acc = 0.0
        for c in range(chunks):
            acc += partial[c, i]
        y[i] = acc


def isotropic_tangent(lam: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Hooke's law C : e = lambda tr(e) I + 2 mu e as a 4 x 4 matrix on [11, 22, 33, gamma_12]."""
    D = np.zeros((4, 4) + np.shape(lam))
    for a in range(3):
        for b in range(3):
            D[a, b] = lam
        D[a, a] = lam + 2 * mu
    D[3, 3] = mu
    return D
