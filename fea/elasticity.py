"""Weak forms of small-strain thermoelasticity for 2D cross-sections.

Strains and stresses are 4-vectors ``[11, 22, 33, 12]`` where 1 = x (or r), 2 = y (or z) and
3 is the out-of-plane direction (the hoop direction in axisymmetry); the shear entry of a strain
is the engineering strain gamma_12.

    plane_strain              eps_33 = 0
    generalized_plane_strain  eps_33 = eps_0 + k_x (x - x_c) + k_y (y - y_c): a uniform unknown and,
                              with ``bending``, curvatures (rotations of the bounding planes),
                              with zero net force int sigma_33 dA and moments int sigma_33 (x, y) dA
    plane_stress              sigma_33 = 0  (lambda replaced by 2 lambda mu / (lambda + 2 mu))
    axisymmetric              eps_33 = u_r / r, integrals weighted by 2 pi r

The weak form is  int eps(v) : C : eps(u) dV = int eps(v) : C : eps_th dV  with
C : e = lambda tr(e) I + 2 mu e (`fea.small_strain`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from skfem import BilinearForm, Functional, LinearForm

from . import small_strain
from .errors import InputError
from .small_strain import inner, stress

ANALYSES = ("plane_strain", "generalized_plane_strain", "plane_stress", "axisymmetric")


def check_analysis(analysis: str) -> str:
    if analysis not in ANALYSES:
        raise InputError(f"analysis = '{analysis}' is not one of {', '.join(ANALYSES)}")
    return analysis


def moduli(E, nu, analysis: str):
    """Lame parameters (lambda, mu) as they enter the 2D stress law of ``analysis``."""
    lam, mu = small_strain.lame(E, nu)
    if analysis == "plane_stress":
        lam = small_strain.plane_stress_lambda(lam, mu)
    return lam, mu


def strain(u, r, axisymmetric: bool):
    """Small strain 4-vector of a displacement field u (skfem DiscreteField); r = x coordinate."""
    grad = u.grad
    e33 = np.asarray(u)[0] / r if axisymmetric else 0.0 * grad[0, 0]
    return (grad[0, 0], grad[1, 1], e33, grad[0, 1] + grad[1, 0])


BENDING_DIRECTIONS = ("x", "y")


@dataclass(frozen=True)
class OutOfPlane:
    """The out-of-plane strain of generalized plane strain, eps_33 = sum_j c_j g_j(x, y), with the
    modes g = 1 and, per bending direction d, (x_d - centre_d) about the area centroid: the
    uniform strain, then the curvatures (1/um). ``bending`` ("x", "y" or both): the directions
    eps_33 varies along. A half model with a symmetry plane x = 0 bends along y only (a k_x is
    odd in x, zero for the whole slice, and not zero over half of it)."""
    bending: tuple[str, ...] = ()
    centre: tuple[float, float] = (0.0, 0.0)

    @property
    def count(self) -> int:
        return 1 + len(self.bending)

    def modes(self, x: np.ndarray) -> list[np.ndarray]:
        """g_j at points x (2, ...)."""
        axis = {"x": 0, "y": 1}
        return [np.ones_like(x[0])] + [x[axis[d]] - self.centre[axis[d]] for d in self.bending]

    def strain(self, coefficients, x: np.ndarray) -> np.ndarray:
        """eps_33 at points x for the unknowns c_j."""
        return sum(c * g for c, g in zip(coefficients, self.modes(x)))


def out_of_plane(model) -> OutOfPlane | None:
    """The model's out-of-plane unknowns (None unless generalized plane strain)."""
    bending = tuple(model.bending)
    if bending and model.analysis != "generalized_plane_strain":
        raise InputError(f"bending = {list(bending)} needs analysis = 'generalized_plane_strain', not '{model.analysis}'")
    if any(d not in BENDING_DIRECTIONS for d in bending) or len(set(bending)) != len(bending):
        raise InputError(f"bending = {list(bending)} must list distinct directions out of {list(BENDING_DIRECTIONS)}")
    if model.analysis != "generalized_plane_strain":
        return None
    if not bending:
        return OutOfPlane()
    mesh = model.mesh.mesh
    corners = mesh.p[:, mesh.t[:3]]                                  # (2, 3, nel)
    area = 0.5 * np.abs((corners[0, 1] - corners[0, 0]) * (corners[1, 2] - corners[1, 0])
                        - (corners[0, 2] - corners[0, 0]) * (corners[1, 1] - corners[1, 0]))
    centre = (corners.mean(axis=1) * area).sum(axis=1) / area.sum()
    return OutOfPlane(bending, (float(centre[0]), float(centre[1])))


def volume_weight(r, axisymmetric: bool):
    """dV = 2 pi r dA in axisymmetry, dA (unit thickness) in plane analyses."""
    return 2 * np.pi * r if axisymmetric else 1.0


@dataclass(frozen=True)
class Forms:
    """The forms of one analysis type (closures over its kinematics)."""

    analysis: str
    stiffness: BilinearForm
    thermal_load: LinearForm
    # generalized plane strain only: coupling of eps_0 with u, its diagonal entry and load
    out_of_plane_coupling: LinearForm
    out_of_plane_stiffness: Functional
    out_of_plane_thermal_load: Functional


def forms_for(analysis: str) -> Forms:
    check_analysis(analysis)
    axisymmetric = analysis == "axisymmetric"
    direction = small_strain.thermal_direction(analysis)

    # skfem hands coefficients over as DiscreteField; arithmetic on plain ndarray views
    # avoids a copy per operation
    def eps(u, w):
        return strain(u, np.asarray(w.x[0]), axisymmetric)

    def lam_mu(w):
        return np.asarray(w.lam), np.asarray(w.mu)

    def dV(w):
        return volume_weight(np.asarray(w.x[0]), axisymmetric)

    def thermal_strain(w):
        return tuple(d * np.asarray(w.eth) for d in direction)

    @BilinearForm
    def stiffness(u, v, w):
        return inner(eps(v, w), stress(eps(u, w), *lam_mu(w))) * dV(w)

    @LinearForm
    def thermal_load(v, w):
        return inner(eps(v, w), stress(thermal_strain(w), *lam_mu(w))) * dV(w)

    # generalized plane strain, per out-of-plane mode g (w.g) and pair of modes (w.g, w.h)
    @LinearForm
    def out_of_plane_coupling(v, w):
        # eps(v) : C : g e_3  =  lambda (eps_11 + eps_22)(v) g
        e = eps(v, w)
        return np.asarray(w.lam) * (e[0] + e[1]) * np.asarray(w.g) * dV(w)

    @Functional
    def out_of_plane_stiffness(w):
        return (w.lam + 2 * w.mu) * w.g * w.h * dV(w)

    @Functional
    def out_of_plane_thermal_load(w):
        return (3 * w.lam + 2 * w.mu) * w.eth * w.g * dV(w)

    return Forms(analysis, stiffness, thermal_load, out_of_plane_coupling,
                 out_of_plane_stiffness, out_of_plane_thermal_load)
