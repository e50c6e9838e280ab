"""Linear viscoelasticity: a generalized Maxwell (Prony series) solid, thermorheologically simple.

Shear and bulk relaxation moduli (weights g_i: fractions of the instantaneous, glassy modulus):

    G(xi) = G0 (g_inf + sum_i g_i exp(-xi / tau_i)),   g_inf = 1 - sum_i g_i
    K(xi) = K0 (g_inf + sum_i g_i exp(-xi / tau_i))    (bulk = "same"),   K = K0  (bulk = "elastic")

with G0, K0 from the glassy modulus E0 and nu. Time enters through the reduced time
xi(t) = int_0^t dt' / a_T(T(t')), the shift factor a_T of a WLF or Arrhenius law about a reference
temperature (relaxation times at T are a_T tau_i). The stress is the hereditary integral

    s(t) = int_0^t 2 G(xi(t) - xi(t')) de/dt' dt',   p(t) = int_0^t K(xi(t) - xi(t')) d tr(eps)/dt' dt'

(e the strain deviator, p the mean stress). Each Maxwell arm i carries its own stress; for a
strain linear in reduced time over a step of reduced length dxi (exact for a constant strain rate
at constant temperature) the integral over the step is closed-form, and the arms follow the
exponential-integrator recursion (Taylor, Pister & Goudreau 1970, Int. J. Numer. Meth. Eng. 2:45;
Simo & Hughes 1998, Computational Inelasticity, sec. 10.3):

    S_i(n+1) = exp(-x_i) S_i(n) + g_i phi(x_i) 2 G0 de,   x_i = dxi / tau_i,
    phi(x)   = (1 - exp(-x)) / x                       (-> 1 for x -> 0: the glassy response)
    s(n+1)   = g_inf 2 G0 e(n+1) + sum_i S_i(n+1)

and the same for the mean stress with K0 and tr(eps). The consistent tangent is isotropic,
mu = G0 (g_inf + sum_i g_i phi(x_i)), K = K0 (...), symmetric and positive definite.

Reduced time over a step. The load history's temperature is linear in time within a step, so
dxi = dt int_0^1 ds / a_T(T_old + s (T_new - T_old)); this is integrated by 8-point Gauss-Legendre
(log a_T is smooth wherever the WLF law has no pole: the rule is exact for polynomials of degree 15
and matches adaptive quadrature to 5e-10 on 15 K steps about the WLF reference temperature, where
1/a_T changes by 3-7 decades in one step; the average of 1/a_T at the step ends is 2.5-6 times too
large on those steps).

Modulus and temperature. E passed to `update` (or the law's own ``glassy_modulus``) is the
instantaneous, glassy modulus; the temperature dependence of the response comes through the shift
alone: at a load time t the material is glassy where t << a_T tau_i and rubbery (E g_inf) where
t >> a_T tau_i, which is the step at Tg that an elastic model puts into E(T).

State (as the inelastic laws of `fea.constitutive`, with the strain not recovered at once as the
"inelastic" strain, so that dW of a closed cycle is the energy the arms dissipate):
    strain   (4, N)     mechanical strain at the end of the last step
    arm_dev  (m, 4, N)  deviatoric stress of every Maxwell arm (stress convention)
    arm_mean (m, N)     mean stress of every arm (bulk = "same"; zeros otherwise)
    eps_in   (4, N)     eps - C0^-1 sigma, the viscous strain (C0 the glassy stiffness)
    eps_eq_in, w_in, stress: as in `fea.constitutive`
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import InputError
from .small_strain import IDENTITY, equivalent_strain, inner, lame, stiffness

KELVIN = 273.15
BULK_MODES = ("same", "elastic")
#: Gauss-Legendre rule on [0, 1] for the reduced-time increment of a step
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(8)
_NODES, _WEIGHTS = 0.5 * (_NODES + 1.0), 0.5 * _WEIGHTS


# ---------------------------------------------------------------- shift functions

@dataclass(frozen=True)
class WLF:
    """Williams-Landel-Ferry shift: log10 a_T = -C1 (T - Tref) / (C2 + T - Tref); the law has a pole
    at T = Tref - C2 and holds only above it."""

    reference: float
    C1: float
    C2: float
    law = "wlf"

    def log10_shift(self, T):
        dT = np.asarray(T, dtype=float) - self.reference
        return -self.C1 * dT / (self.C2 + dT)

    def check_temperatures(self, T_min: float, T_max: float) -> None:
        pole = self.reference - self.C2
        if T_min <= pole:
            raise InputError(f"viscoelastic shift: WLF has its pole at Tref - C2 = {pole:g} degC, inside the load's "
                             f"temperature range [{T_min:g}, {T_max:g}] degC (C2 must be > {self.reference - T_min:g} K "
                             f"for reference = {self.reference:g} degC, or use law = \"arrhenius\")")

    def to_dict(self) -> dict:
        return {"law": self.law, "reference": self.reference, "C1": self.C1, "C2": self.C2}


@dataclass(frozen=True)
class Arrhenius:
    """Arrhenius shift: ln a_T = Q_over_R (1 / T - 1 / Tref), absolute temperatures."""

    reference: float
    Q_over_R: float
    law = "arrhenius"

    def log10_shift(self, T):
        T_K = np.asarray(T, dtype=float) + KELVIN
        return self.Q_over_R * (1.0 / T_K - 1.0 / (self.reference + KELVIN)) / np.log(10.0)

    def check_temperatures(self, T_min: float, T_max: float) -> None:
        return None

    def to_dict(self) -> dict:
        return {"law": self.law, "reference": self.reference, "Q_over_R": self.Q_over_R}


def reduced_time_increment(shift, T_old, T_new, dt):
    """dxi = int dt / a_T over a step with T linear in time from T_old to T_new (Gauss-Legendre)."""
    T_old, T_new = np.asarray(T_old, dtype=float), np.asarray(T_new, dtype=float)
    if np.array_equal(T_old, T_new):
        return dt * 10.0 ** -shift.log10_shift(T_new)
    T = T_old[None] + _NODES.reshape((-1,) + (1,) * T_old.ndim) * (T_new - T_old)[None]
    return dt * np.tensordot(_WEIGHTS, 10.0 ** -shift.log10_shift(T), axes=1)


def _phi(x):
    """(1 - exp(-x)) / x, 1 at x = 0."""
    small = x < 1e-8
    safe = np.where(small, 1.0, x)
    return np.where(small, 1.0 - 0.5 * x, -np.expm1(-safe) / safe)


# ---------------------------------------------------------------- the law

def _deviator_strain(eps):
    """Deviatoric part of an engineering strain 4-vector (shear entry stays gamma_12)."""
    mean = (eps[0] + eps[1] + eps[2]) / 3.0
    return eps - mean * IDENTITY[:, None]


@dataclass(frozen=True)
class Viscoelastic:
    """Generalized Maxwell solid with Prony weights g_i (fractions of the glassy modulus, each >= 0,
    sum < 1) and relaxation times tau_i (s, at the shift's reference temperature).

    bulk: "same" (the bulk modulus relaxes with the shear weights) or "elastic" (only shear relaxes).
    glassy_modulus: the instantaneous E (MPa); None takes the E the caller passes to `update`.
    """

    weights: tuple[float, ...]
    times: tuple[float, ...]
    shift: WLF | Arrhenius
    bulk: str = "same"
    glassy_modulus: float | None = None
    source: str = ""

    inelastic = True          # has a viscous strain and dissipates (dW): its region is an averaging group
    rate_dependent = False    # integrated exactly over a step: no BDF2 start, no error estimate
    # at a given step linear in the strain (`affine_step`): the cycling solver can assemble it
    # like an elastic region, with step-dependent moduli and a history force
    linear_in_step = True

    def __post_init__(self):
        object.__setattr__(self, "weights", tuple(float(w) for w in self.weights))
        object.__setattr__(self, "times", tuple(float(t) for t in self.times))
        check_prony(self.weights, self.times)
        if self.bulk not in BULK_MODES:
            raise InputError(f"viscoelastic.bulk = {self.bulk!r} must be \"same\" or \"elastic\"")

    @property
    def long_term_fraction(self) -> float:
        """g_inf = 1 - sum g_i: the rubbery modulus over the glassy one."""
        return 1.0 - sum(self.weights)

    def relaxation_modulus(self, t, E0: float | None = None, T: float | None = None):
        """E(t) = E0 (g_inf + sum g_i exp(-t / (a_T tau_i))) at temperature T (default: the reference)."""
        E0 = self.glassy_modulus if E0 is None else E0
        t = np.asarray(t, dtype=float)
        a_T = 1.0 if T is None else 10.0 ** self.shift.log10_shift(T)
        out = np.full(t.shape, self.long_term_fraction)
        for g, tau in zip(self.weights, self.times):
            out = out + g * np.exp(-t / (a_T * tau))
        return E0 * out

    def to_dict(self) -> dict:
        return {"prony": [[g, tau] for g, tau in zip(self.weights, self.times)], "bulk": self.bulk,
                "shift": self.shift.to_dict(), "glassy_modulus": self.glassy_modulus,
                "long_term_fraction": self.long_term_fraction, "source": self.source}

    def check_analysis(self, analysis: str) -> None:
        if analysis == "plane_stress":
            raise InputError("analysis = 'plane_stress' is not supported with a viscoelastic material "
                             "(use plane_strain, generalized_plane_strain or axisymmetric)")

    def check_temperatures(self, T_min: float, T_max: float) -> None:
        self.shift.check_temperatures(T_min, T_max)

    def initial_state(self, n_points: int) -> dict:
        m = len(self.weights)
        zeros = np.zeros((4, n_points))
        return {"strain": zeros, "arm_dev": np.zeros((m, 4, n_points)), "arm_mean": np.zeros((m, n_points)),
                "eps_in": zeros, "eps_eq_in": np.zeros(n_points), "w_in": np.zeros(n_points), "stress": zeros}

    def update(self, eps_mech, state, T_old, T_new, dt, E, nu, guess=None):
        eps = np.asarray(eps_mech, dtype=float)
        n = eps.shape[1]
        T_low = float(min(np.min(T_old), np.min(T_new)))
        self.shift.check_temperatures(T_low, float(max(np.max(T_old), np.max(T_new))))
        E0 = np.broadcast_to(np.asarray(E if self.glassy_modulus is None else self.glassy_modulus, float), (n,))
        lam0, G0 = lame(E0, np.broadcast_to(np.asarray(nu, float), (n,)))
        K0 = lam0 + 2.0 * G0 / 3.0
        g = np.array(self.weights)[:, None]
        x = np.broadcast_to(reduced_time_increment(self.shift, T_old, T_new, dt), (n,))[None] / \
            np.array(self.times)[:, None]
        decay, phi = np.exp(-x), _phi(x)                                        # (m, n)
        g_inf = self.long_term_fraction
        # deviatoric part: the long-term spring plus the arms
        e_new, de = _deviator_strain(eps), _deviator_strain(eps - state["strain"])
        two_G_de = G0 * de * _SHEAR_FACTOR[:, None]                             # 2 G0 de, shear G0 gamma
        arm_dev = decay[:, None] * state["arm_dev"] + (g * phi)[:, None] * two_G_de[None]
        s = g_inf * G0 * e_new * _SHEAR_FACTOR[:, None] + arm_dev.sum(axis=0)
        # mean stress
        trace, d_trace = eps[0] + eps[1] + eps[2], (eps - state["strain"])[:3].sum(axis=0)
        if self.bulk == "same":
            arm_mean = decay * state["arm_mean"] + g * phi * K0 * d_trace
            p = g_inf * K0 * trace + arm_mean.sum(axis=0)
            K_t = K0 * (g_inf + (g * phi).sum(axis=0))
        else:
            arm_mean, p, K_t = state["arm_mean"], K0 * trace, K0
        stress = s + p * IDENTITY[:, None]
        G_t = G0 * (g_inf + (g * phi).sum(axis=0))
        tangent = stiffness(K_t - 2.0 * G_t / 3.0, G_t)
        eps_in = eps - _glassy_compliance(stress, G0, K0)
        d_eps_in = eps_in - state["eps_in"]
        new = {"strain": eps, "arm_dev": arm_dev, "arm_mean": arm_mean, "eps_in": eps_in, "stress": stress,
               "eps_eq_in": state["eps_eq_in"] + equivalent_strain(d_eps_in),
               "w_in": state["w_in"] + inner(0.5 * (state["stress"] + stress), d_eps_in)}
        return stress, tangent, new

    def affine_step(self, state, T_old: float, T_new: float, dt: float, E: float, nu: float):
        """The step from ``state`` as an affine law of the strain at its end, for a region at one
        uniform temperature: sigma = lambda_t tr(eps) I + mu_t (2 eps, gamma_12) + sigma_h, with

            mu_t = G0 (g_inf + sum g_i phi_i),  K_t = K0 (g_inf + sum g_i phi_i)   (bulk = "elastic": K0)
            sigma_h = sum_i exp(-x_i) S_i(n) - (sum g_i phi_i) 2 G0 e(n) + (the same for the mean stress) I

        (the arms' decayed stresses less their glassy response to the strain they had: the
        recursion of `update` with the strain increment written out). Returns (lambda_t, mu_t,
        sigma_h (4, N)); `update` at the converged strain then gives the new state."""
        self.shift.check_temperatures(min(T_old, T_new), max(T_old, T_new))
        E0 = float(E if self.glassy_modulus is None else self.glassy_modulus)
        lam0, G0 = (float(v) for v in lame(E0, nu))
        K0 = lam0 + 2.0 * G0 / 3.0
        x = float(reduced_time_increment(self.shift, T_old, T_new, dt)) / np.array(self.times)
        decay, glassy_share = np.exp(-x), np.array(self.weights) * _phi(x)       # (m,)
        relaxed = self.long_term_fraction + glassy_share.sum()
        strain = state["strain"]
        history = np.tensordot(decay, state["arm_dev"], axes=1) \
            - glassy_share.sum() * G0 * _deviator_strain(strain) * _SHEAR_FACTOR[:, None]
        K_t = K0
        if self.bulk == "same":
            K_t = K0 * relaxed
            mean = decay @ state["arm_mean"] - glassy_share.sum() * K0 * strain[:3].sum(axis=0)
            history = history + mean * IDENTITY[:, None]
        mu_t = G0 * relaxed
        return K_t - 2.0 * mu_t / 3.0, mu_t, history


#: 2 G e on [11, 22, 33, gamma_12]: 2 G e_ii for the normal entries, G gamma_12 for the shear
_SHEAR_FACTOR = np.array([2.0, 2.0, 2.0, 1.0])


def _glassy_compliance(stress, G0, K0):
    """C0^-1 sigma: the strain the glassy solid would take at this stress (engineering shear)."""
    mean = (stress[0] + stress[1] + stress[2]) / 3.0
    dev = stress - mean * IDENTITY[:, None]
    return dev / (G0 * _SHEAR_FACTOR[:, None]) + (mean / (3.0 * K0)) * IDENTITY[:, None]


def check_prony(weights, times, where: str = "viscoelastic.prony") -> None:
    """Weights >= 0 summing below 1 (a positive long-term modulus), times > 0; one InputError line."""
    if len(weights) == 0 or len(weights) != len(times):
        raise InputError(f"{where} must be a non-empty list of [weight, relaxation time s] pairs")
    for k, (g, tau) in enumerate(zip(weights, times)):
        if not np.isfinite(g) or g < 0:
            raise InputError(f"{where}[{k}] weight = {g:g} must be >= 0 (a fraction of the glassy modulus)")
        if not np.isfinite(tau) or tau <= 0:
            raise InputError(f"{where}[{k}] relaxation time = {tau:g} s must be > 0")
    total = float(sum(weights))
    if not total < 1.0:
        raise InputError(f"{where} weights sum to {total:g}; the sum must be < 1 (the long-term modulus "
                         f"E (1 - sum) must stay positive)")
