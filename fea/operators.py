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
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from skfem import Basis

from . import elasticity


@dataclass
class StrainOperator:
    basis: Basis
    analysis: str

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
        self.n = self.n_u + (1 if self.generalized else 0)
        self._pattern()

    def _pattern(self) -> None:
        """CSR pattern of the tangent and where each element entry lands in it."""
        nloc, nel = self.element_dofs.shape
        rows = np.repeat(self.element_dofs[:, None, :], nloc, axis=1).ravel()
        cols = np.repeat(self.element_dofs[None, :, :], nloc, axis=0).ravel()
        if self.generalized:
            e0 = self.n_u
            extra_rows = np.concatenate([self.element_dofs.ravel(), np.full(self.element_dofs.size, e0), [e0]])
            extra_cols = np.concatenate([np.full(self.element_dofs.size, e0), self.element_dofs.ravel(), [e0]])
            rows = np.concatenate([rows, extra_rows])
            cols = np.concatenate([cols, extra_cols])
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
        if self.generalized:
            eps[2] += u[self.n_u]
        return eps

    def internal_force(self, stress: np.ndarray) -> np.ndarray:
        """f_int = int B^T sigma dV (and int sigma_33 dV for eps_0)."""
        weighted = (stress * self.weights).transpose(1, 2, 0).reshape(self.weights.shape[0], -1, 1)
        local = np.matmul(self._B_rows.transpose(0, 2, 1), weighted)[:, :, 0]  # (nel, n_local)
        f = np.bincount(self.element_dofs.T.ravel(), weights=local.ravel(), minlength=self.n)
        if self.generalized:
            f[self.n_u] = np.sum(stress[2] * self.weights)
        return f

    def force_scale(self, stress: np.ndarray) -> float:
        """sqrt(sum_e |f_e|^2) of the element force vectors before assembly: the size of the
        internal forces without the cancellation between neighbours (a uniform stress has
        zero assembled force at interior nodes)."""
        weighted = (stress * self.weights).transpose(1, 2, 0).reshape(self.weights.shape[0], -1, 1)
        local = np.matmul(self._B_rows.transpose(0, 2, 1), weighted)
        return float(np.sqrt(np.sum(local ** 2)))

    def tangent(self, D: np.ndarray) -> sp.csr_matrix:
        """K = int B^T D B dV for a tangent D of shape (4, 4, nel, nqp)."""
        nel, nqp = self.weights.shape
        Dw = (D * self.weights).transpose(2, 3, 0, 1)                        # (nel, nqp, 4, 4)
        B = self._B_rows.reshape(nel, nqp, 4, -1)                            # (nel, nqp, 4, n_local)
        DB = np.matmul(Dw, B)                                                # (nel, nqp, 4, n_local)
        Ke = np.matmul(self._B_rows.transpose(0, 2, 1), DB.reshape(nel, nqp * 4, -1))
        parts = [Ke.transpose(1, 2, 0).ravel()]
        if self.generalized:
            column = DB[:, :, 2, :].sum(axis=1).T  # int (D e3) . B_i dV, symmetric D: (n_local, nel)
            parts += [column.ravel(), column.ravel(), [np.sum(D[2, 2] * self.weights)]]
        data = np.bincount(self._slot, weights=np.concatenate(parts), minlength=self._nnz)
        return sp.csr_matrix((data, self._indices, self._indptr), shape=(self.n, self.n))


def isotropic_tangent(lam: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Hooke's law C : e = lambda tr(e) I + 2 mu e as a 4 x 4 matrix on [11, 22, 33, gamma_12]."""
    D = np.zeros((4, 4) + np.shape(lam))
    for a in range(3):
        for b in range(3):
            D[a, b] = lam
        D[a, a] = lam + 2 * mu
    D[3, 3] = mu
    return D
