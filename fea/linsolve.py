"""Sparse symmetric positive definite solves with a reusable factorization.

``factorize(K)`` returns an object whose ``solve(b)`` can be called many times (time stepping,
several load cases) without refactorizing. The default method is chosen by measurement
(benchmarks/linear.py, README "Performance"): MKL PARDISO through pypardiso in its symmetric
positive definite mode, with SuperLU as the fallback when pypardiso is not installed.
"""
from __future__ import annotations

import ctypes
import os

import numpy as np
import scipy.sparse as sp

from .errors import InputError, SolverError

METHODS = ("auto", "pardiso", "superlu", "amg")


def factorize(K: sp.spmatrix, method: str = "auto", rigid_body_modes: np.ndarray | None = None,
              definite: bool = True):
    """Factorize the symmetric matrix K (CSR/CSC); return an object with ``solve(b)``.

    definite=False allows an indefinite K (the consistent tangent of a softening material):
    PARDISO then uses Bunch-Kaufman pivoting instead of Cholesky."""
    if method not in METHODS:
        raise ValueError(f"solver method '{method}' is not one of {', '.join(METHODS)}")
    if method == "auto":
        method = "pardiso" if _have_pardiso() else "superlu"
    missing = unavailable(method)
    if missing:
        raise InputError(missing)
    if method == "pardiso":
        return PardisoFactorization(K, definite)
    if method == "superlu":
        return SuperLUFactorization(K)
    return AMGSolver(K, rigid_body_modes)


def _point_pypardiso_at_mkl() -> None:
    """pypardiso searches sys.prefix recursively for libmkl_rt on every solver it creates
    (about 0.5 s each); the pip package 'mkl' puts it in sys.prefix/lib, so look there once."""
    import glob
    import site
    import sys

    # MKL's OpenMP threads otherwise keep spinning after every solve and steal the cores from
    # the numpy work between solves (docs/performance.md, solver settings)
    os.environ.setdefault("KMP_BLOCKTIME", "0")
    if os.environ.get("PYPARDISO_MKL_RT"):
        return
    for prefix in (sys.prefix, site.USER_BASE):
        found = sorted(glob.glob(os.path.join(prefix, "lib", "libmkl_rt.so*")), key=len)
        if found:
            os.environ["PYPARDISO_MKL_RT"] = found[0]
            return


def _have_pardiso() -> bool:
    _point_pypardiso_at_mkl()
    try:
        import pypardiso  # noqa: F401
    except Exception:  # MKL missing or broken: fall back silently, SuperLU is exact too
        return False
    return True


def unavailable(method: str) -> str | None:
    """Why solver ``method`` cannot run in this installation (one line), or None if it can.
    amg needs pyamg, which pkgrel does not install (pip install pyamg, or the extra
    pip install 'pkgrel[amg]'); pardiso needs pypardiso and its MKL (a pkgrel dependency)."""
    if method == "amg":
        try:
            import pyamg  # noqa: F401
        except ImportError:
            return ("solver 'amg' needs pyamg, which pkgrel does not install: pip install pyamg "
                    "(or pip install 'pkgrel[amg]'); or choose auto, pardiso or superlu")
    if method == "pardiso" and not _have_pardiso():
        return ("solver 'pardiso' needs pypardiso and MKL, which cannot be imported here "
                "(pip install pypardiso); or choose auto or superlu")
    return None


class NotPositiveDefinite(SolverError):
    """A Cholesky factorization (definite=True) met a zero or negative pivot."""


class PardisoFactorization:
    """MKL PARDISO on the upper triangle: real symmetric positive definite (mtype 2) or
    symmetric indefinite (mtype -2)."""

    method = "pardiso"

    def __init__(self, K, definite: bool = True):
        _point_pypardiso_at_mkl()
        from pypardiso import PyPardisoSolver

        upper = sp.triu(K, format="csr")
        upper.sort_indices()
        if not np.diff(upper.indptr).all():
            raise SolverError("stiffness matrix has an empty row: a degree of freedom has no stiffness")
        self._solver = PyPardisoSolver(mtype=2 if definite else -2)
        self._matrix, self._one_based = upper, None
        self._solver.set_phase(12)
        self._call(np.zeros(K.shape[0]))
        # the first call fills in MKL's defaults, which ask for two iterative-refinement steps on
        # every solve; a direct solution of these systems is accurate to round-off without them
        # (iparm(8), 1-based, is the refinement-step count)
        self._solver.iparm[7] = 0
        self.n = K.shape[0]

    def _call(self, b):
        """One PARDISO phase on the matrix and right-hand side b. MKL is called here rather than
        through pypardiso's _call_pardiso, which converts the matrix's index arrays to one-based
        copies on every call (1.5 ms of a 12 ms solve on 78,755 dofs); ours are made once per
        pattern (the pattern never changes between refactorizations)."""
        solver, A = self._solver, self._matrix
        if self._one_based is None:
            self._one_based = (np.ascontiguousarray(A.indptr, dtype=np.int32) + 1,
                               np.ascontiguousarray(A.indices, dtype=np.int32) + 1)
        ia, ja = self._one_based
        b = np.asfortranarray(b, dtype=np.float64)
        data = np.ascontiguousarray(A.data, dtype=np.float64)
        x = np.zeros_like(b)
        error = ctypes.c_int32(0)
        int_p, double_p = ctypes.POINTER(ctypes.c_int32), ctypes.POINTER(ctypes.c_double)
        solver._mkl_pardiso(solver.pt.ctypes.data_as(ctypes.POINTER(solver._pt_type[0])),
                            ctypes.byref(ctypes.c_int32(1)), ctypes.byref(ctypes.c_int32(1)),
                            ctypes.byref(ctypes.c_int32(solver.mtype)), ctypes.byref(ctypes.c_int32(solver.phase)),
                            ctypes.byref(ctypes.c_int32(A.shape[0])), data.ctypes.data_as(double_p),
                            ia.ctypes.data_as(int_p), ja.ctypes.data_as(int_p), solver.perm.ctypes.data_as(int_p),
                            ctypes.byref(ctypes.c_int32(1 if b.ndim == 1 else b.shape[1])),
                            solver.iparm.ctypes.data_as(int_p), ctypes.byref(ctypes.c_int32(solver.msglvl)),
                            b.ctypes.data_as(double_p), x.ctypes.data_as(double_p), ctypes.byref(error))
        if error.value == -4 and solver.mtype == 2:
            raise NotPositiveDefinite("PARDISO Cholesky met a zero or negative pivot: the model is "
                                      "probably not fully constrained or has a region without stiffness")
        if error.value != 0:
            raise SolverError(f"PARDISO failed (error {error.value}); the model is probably not fully "
                              "constrained or has a region without stiffness")
        return np.ascontiguousarray(x)

    def solve(self, b):
        self._solver.set_phase(33)
        return self._call(b)

    def refactor(self, upper) -> None:
        """New values, same sparsity pattern: numerical factorization only (phase 22), reusing
        the fill-reducing ordering and symbolic analysis of the first factorization. ``upper`` is
        the upper triangle as a CSR matrix with sorted indices (operators.FreeTangent.matrix)."""
        if upper.nnz != self._matrix.nnz or not np.array_equal(upper.indices, self._matrix.indices):
            raise ValueError("refactor needs the same sparsity pattern")
        self._matrix = upper
        self._solver.set_phase(22)
        self._call(np.zeros(self.n))

    def __del__(self):
        try:
            self._solver.free_memory(everything=True)
        except Exception:
            pass


class SuperLUFactorization:
    method = "superlu"

    def __init__(self, K):
        from scipy.sparse.linalg import splu

        try:
            self._lu = splu(sp.csc_matrix(K), permc_spec="MMD_AT_PLUS_A")
        except RuntimeError as exc:
            raise SolverError(f"SuperLU failed ({exc}); the model is probably not fully "
                              "constrained") from None
        self.n = K.shape[0]

    def solve(self, b):
        return self._lu.solve(np.asarray(b, dtype=np.float64))

    def refactor(self, K) -> None:
        self.__init__(K)


class AMGSolver:
    """pyamg smoothed aggregation with rigid-body near-null space, as a CG preconditioner."""

    method = "amg"

    def __init__(self, K, rigid_body_modes=None, tol=1e-10):
        import pyamg

        self._K = sp.csr_matrix(K)
        B = rigid_body_modes if rigid_body_modes is not None else None
        self._ml = pyamg.smoothed_aggregation_solver(self._K, B=B, symmetry="symmetric",
                                                     max_coarse=500)
        self._tol = tol
        self.n = K.shape[0]
        self._B = rigid_body_modes

    def refactor(self, K) -> None:
        self.__init__(K, self._B, self._tol)

    def solve(self, b):
        from scipy.sparse.linalg import cg

        M = self._ml.aspreconditioner(cycle="V")
        x, info = cg(self._K, b, rtol=self._tol, M=M, maxiter=2000)
        if info != 0:
            raise SolverError(f"AMG-preconditioned CG did not converge in {info} iterations")
        return x
