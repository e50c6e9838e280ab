"""Small-strain isotropic algebra on 4-vectors: the one home of Hooke's law and its relatives.

Strains and stresses are 4-vectors ``[11, 22, 33, 12]`` (1 = x or r, 2 = y or z, 3 = out of
plane or hoop). The shear entry of a strain is the engineering strain gamma_12 = 2 eps_12, the
shear entry of a stress is sigma_12, so ``inner(sigma, eps)`` is sigma : eps. Arrays carry the
points in their trailing axes: (4, ...) for vectors, (4, 4, ...) for stiffness matrices.

    sigma = lambda tr(eps) I + 2 mu eps = D eps,   D = lambda VOLUMETRIC + mu SHEAR

The laws are written once, component by component in plain arithmetic (``_lame``,
``_hooke``, ``_deviator``, ``_equivalent``), so the same source serves numpy arrays here and single
points in the compiled kernels (`fea.jit`, the ``*_point`` versions).
"""
from __future__ import annotations

import numpy as np

from . import jit

#: the identity tensor as a 4-vector: the direction of a free thermal (or any isotropic) strain
IDENTITY = np.array([1.0, 1.0, 1.0, 0.0])
#: D = lambda VOLUMETRIC + mu SHEAR on [11, 22, 33, gamma_12]
VOLUMETRIC = np.outer(IDENTITY, IDENTITY)
SHEAR = np.diag([2.0, 2.0, 2.0, 1.0])
#: d(deviatoric stress) / d(engineering strain) = 2 mu DEVIATORIC (shear: s_12 = mu gamma_12)
DEVIATORIC = np.array([[2.0, -1.0, -1.0, 0.0],
                       [-1.0, 2.0, -1.0, 0.0],
                       [-1.0, -1.0, 2.0, 0.0],
                       [0.0, 0.0, 0.0, 1.5]]) / 3.0
#: tensor strain -> engineering strain (the shear entry doubles)
TO_ENGINEERING = np.array([1.0, 1.0, 1.0, 2.0])


def _lame(E, nu):
    return E * nu / ((1 + nu) * (1 - 2 * nu)), E / (2 * (1 + nu))


def _hooke(e0, e1, e2, e3, lam, mu):
    tr = e0 + e1 + e2
    return lam * tr + 2 * mu * e0, lam * tr + 2 * mu * e1, lam * tr + 2 * mu * e2, mu * e3


def _deviator(s0, s1, s2, s3):
    mean = (s0 + s1 + s2) / 3.0
    return s0 - mean, s1 - mean, s2 - mean, s3


def _equivalent(d0, d1, d2, d3):
    """sqrt(3/2 d : d) of a deviatoric stress 4-vector (the shear entry counts twice)."""
    return np.sqrt(1.5 * (d0 ** 2 + d1 ** 2 + d2 ** 2 + 2 * d3 ** 2))


lame_point, hooke_point, deviator_point, equivalent_point = (jit.serial(f) for f in (_lame, _hooke, _deviator, _equivalent))


def lame(E, nu):
    """Lame constants (lambda, mu) of 3D isotropic elasticity."""
    return _lame(np.asarray(E, dtype=float), np.asarray(nu, dtype=float))


def plane_stress_lambda(lam, mu):
    """The lambda that enters the in-plane stress law when sigma_33 = 0 is eliminated."""
    return 2 * lam * mu / (lam + 2 * mu)


def stress(eps, lam, mu) -> np.ndarray:
    """Hooke's law sigma = lambda tr(eps) I + 2 mu eps (engineering shear in, sigma_12 out)."""
    return np.stack(_hooke(eps[0], eps[1], eps[2], eps[3], lam, mu))


def stiffness(lam, mu) -> np.ndarray:
    """The matrix D (4, 4, *shape of lambda) of Hooke's law, d sigma = D d eps."""
    lam, mu = np.asarray(lam, dtype=float), np.asarray(mu, dtype=float)
    return VOLUMETRIC.reshape((4, 4) + (1,) * lam.ndim) * lam + SHEAR.reshape((4, 4) + (1,) * mu.ndim) * mu


def inner(sigma, eps):
    """sigma : eps of a stress and an engineering strain 4-vector (sigma_12 gamma_12 = 2 sigma_12 eps_12)."""
    return sigma[0] * eps[0] + sigma[1] * eps[1] + sigma[2] * eps[2] + sigma[3] * eps[3]


def deviator(sigma):
    """Deviatoric part s = sigma - tr(sigma)/3 I."""
    return np.stack(_deviator(sigma[0], sigma[1], sigma[2], sigma[3]))


def von_mises(sigma):
    """Equivalent stress sqrt(3/2 s : s) (the shear entry counts twice in s : s)."""
    return _equivalent(*_deviator(sigma[0], sigma[1], sigma[2], sigma[3]))


def equivalent_strain(d_eps):
    """sqrt(2/3 d : d) of a deviatoric (inelastic) engineering strain 4-vector (tensor shear gamma / 2)."""
    return np.sqrt(2.0 / 3.0 * (d_eps[0] ** 2 + d_eps[1] ** 2 + d_eps[2] ** 2 + 0.5 * d_eps[3] ** 2))


def thermal_direction(analysis: str) -> np.ndarray:
    """Which strain components a free thermal expansion enters: all three normal ones, except in
    plane stress, where eps_33 is free and not part of the 2D strain vector."""
    if analysis == "plane_stress":
        return np.array([1.0, 1.0, 0.0, 0.0])
    return IDENTITY
