"""Constitutive laws at quadrature points for incremental thermomechanical analysis.

Every law maps the mechanical strain at the end of a time step to the stress, the consistent
algorithmic tangent and the new internal state, for N points at once (numpy, no loops over points):

    stress, tangent, new_state = law.update(eps_mech, state, T_old, T_new, dt, E, nu)

Conventions (as in `fea.small_strain`): 4-vectors ``[11, 22, 33, 12]``; strain entry 12 is the
engineering shear strain gamma_12, stress entry 12 is sigma_12; arrays have shape (4, N) and the
tangent (4, 4, N). The 33 strain is known in plane strain, generalized plane strain and
axisymmetry, so one 3D-isotropic update serves all three; plane stress (sigma_33 = 0 would need
a local condensation) is refused for inelastic models (`check_analysis`).

Inelastic models are von Mises (J2) with flow along the deviatoric stress, integrated by backward
Euler. With isotropic elasticity the implicit update is a radial return: the stress lies on the
line from the elastic trial stress towards the hydrostatic axis, and only the equivalent inelastic
strain increment dp is unknown (Simo & Hughes 1998, Computational Inelasticity, ch. 3):

    q = q_trial - 3 mu dp,      q = flow stress(dp / dt, T_new, internal state)

For the rate-dependent laws the scalar equation is solved for u = ln(dp) with a bracketed,
safeguarded Newton method, with the laws written in their inverse (flow stress from rate) form,
which contains no sinh or power of the stress that could overflow at large time steps.
Temperature-dependent parameters are taken at T_new (fully implicit); E and nu are the caller's
values at T_new. T_old is part of the interface but not needed by these laws.

Laws: Elastic, J2Plasticity, NortonCreep, GarofaloCreep, Anand (the rate laws carry their
parameters' source, so the materials library stores them as they are); `Material.law()` in
`materials` picks one for a material; `uniaxial_drive` runs points in uniaxial stress for
curves and checks.

Internal state (a dict of arrays; `update` returns a new dict and never writes into the old one):
    eps_in     (4, N)  inelastic strain, engineering shear
    eps_eq_in  (N,)    accumulated equivalent inelastic strain, sum of sqrt(2/3 d_eps_in : d_eps_in)
    w_in       (N,)    accumulated inelastic work density (MPa = MJ/m^3), trapezoidal in stress
    stress     (4, N)  stress at the end of the last step (needed by the trapezoidal work)
    alpha      (4, N)  back stress (deviatoric, stress convention)   -- J2Plasticity only
    s          (N,)    Anand deformation resistance (MPa)             -- Anand only
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Callable

import numpy as np

from .errors import InputError, SolverError
from . import jit, small_strain
from .jit import prange
from .small_strain import DEVIATORIC, SHEAR, TO_ENGINEERING, VOLUMETRIC, lame, stiffness

#: gas constant J/(mol K) and the offset of the absolute temperature scale (K at 0 degC)
R_GAS = 8.314462618
KELVIN = 273.15


@jit.serial
def _asinh_exp_point(w):
    """asinh(exp(w)) without overflow, w + ln(1 + sqrt(1 + exp(-2w))) for w > 0, and its slope
    d/dw = 1 / sqrt(1 + exp(-2w)) (between 0 and 1), with one exponential."""
    e_neg = np.exp(-abs(w))            # exp(-w) for w > 0, exp(w) for w <= 0: never overflows
    root = np.sqrt(1.0 + e_neg * e_neg)
    if w > 0:
        return w + np.log1p(root), 1.0 / root
    return np.arcsinh(e_neg), e_neg / root


@jit.parallel
def _asinh_exp_points(w, value, slope):
    for i in prange(w.size):
        value[i], slope[i] = _asinh_exp_point(w[i])


def _asinh_exp_and_slope(w):
    """asinh(exp(w)) and its slope at every point of w."""
    w = np.asarray(w, dtype=float)
    flat = np.ascontiguousarray(w).ravel()
    value, slope = np.empty_like(flat), np.empty_like(flat)
    _asinh_exp_points(flat, value, slope)
    return value.reshape(w.shape), slope.reshape(w.shape)


def _as_points(x, n):
    return np.broadcast_to(np.asarray(x, dtype=float), (n,))


def _as_function(value) -> Callable:
    """A temperature function from a number or any callable of T (degC)."""
    if callable(value):
        return value
    v = float(value)
    return lambda T: np.full(np.shape(T), v)


def _kelvin(T_C):
    return np.asarray(T_C, dtype=float) + KELVIN


# ---------------------------------------------------------------- common radial-return algebra

def _inelastic_base_state(n: int) -> dict:
    return {"eps_in": np.zeros((4, n)), "eps_eq_in": np.zeros(n), "w_in": np.zeros(n),
            "stress": np.zeros((4, n))}


def _radial_return(state: dict, sigma_trial, direction, q_trial, dp, ddp_dq, lam, mu):
    """Stress, tangent and the base part of the new state of a J2 radial return.

    direction: deviatoric stress-like 4-vector the flow follows (trial deviator, or trial
    deviator minus back stress) with equivalent value q_trial; dp the equivalent inelastic strain
    increment; ddp_dq = d dp / d q_trial from the scalar consistency equation.

        sigma = sigma_trial - 3 mu dp n,   n = direction / q_trial
        d_eps_in = 3/2 dp n (tensor),      sqrt(2/3 d_eps_in : d_eps_in) = dp
        C = D - 6 mu^2 (dp/q) I_dev + 9 mu^2 (dp/q - ddp_dq) n (x) n
    using d direction / d eps = 2 mu I_dev and d q_trial / d eps = 3 mu n. The state gains
    d_eps_in, dp and the trapezoidal work (sigma_old + sigma)/2 : d_eps_in.
    """
    n = q_trial.size
    stress, tangent = np.empty((4, n)), np.empty((4, 4, n))
    eps_in, eps_eq_in, w_in = np.empty((4, n)), np.empty(n), np.empty(n)
    f = np.ascontiguousarray
    _return_points(f(sigma_trial), f(direction), f(q_trial, dtype=float), f(dp, dtype=float),
                   f(ddp_dq, dtype=float), f(lam, dtype=float), f(mu, dtype=float), f(state["eps_in"]),
                   f(state["eps_eq_in"]), f(state["w_in"]), f(state["stress"]), stress, tangent, eps_in,
                   eps_eq_in, w_in)
    return stress, tangent, {"eps_in": eps_in, "eps_eq_in": eps_eq_in, "w_in": w_in, "stress": stress}


@jit.parallel
def _trial_points(eps_mech, eps_in, E, nu, back, sigma, direction, q, lam, mu):
    """`_Inelastic._trial` point by point (back: (4, 0) without a back stress)."""
    for p in prange(eps_mech.shape[1]):
        lam[p], mu[p] = small_strain.lame_point(E[p], nu[p])
        s0, s1, s2, s3 = small_strain.hooke_point(eps_mech[0, p] - eps_in[0, p], eps_mech[1, p] - eps_in[1, p],
                                                  eps_mech[2, p] - eps_in[2, p], eps_mech[3, p] - eps_in[3, p],
                                                  lam[p], mu[p])
        sigma[0, p], sigma[1, p], sigma[2, p], sigma[3, p] = s0, s1, s2, s3
        d0, d1, d2, d3 = small_strain.deviator_point(s0, s1, s2, s3)
        if back.shape[1] > 0:
            d0, d1, d2, d3 = d0 - back[0, p], d1 - back[1, p], d2 - back[2, p], d3 - back[3, p]
        direction[0, p], direction[1, p], direction[2, p], direction[3, p] = d0, d1, d2, d3
        q[p] = small_strain.equivalent_point(d0, d1, d2, d3)


@jit.parallel
def _return_points(sigma_trial, direction, q_trial, dp, ddp_dq, lam, mu, eps_in_old, eps_eq_old, w_old,
                   stress_old, stress, tangent, eps_in, eps_eq_in, w_in):
    """`_radial_return` point by point."""
    for p in prange(q_trial.size):
        q = q_trial[p] if q_trial[p] > 0 else 1.0
        ratio = dp[p] / q
        softening = 6.0 * mu[p] ** 2 * ratio
        flow = 9.0 * mu[p] ** 2 * (ratio - ddp_dq[p])
        work = 0.0
        for a in range(4):
            n_a = direction[a, p] / q
            stress[a, p] = sigma_trial[a, p] - 3.0 * mu[p] * dp[p] * n_a
            d_eps = 1.5 * dp[p] * n_a * TO_ENGINEERING[a]     # engineering shear
            eps_in[a, p] = eps_in_old[a, p] + d_eps
            work += 0.5 * (stress_old[a, p] + stress[a, p]) * d_eps
            for b in range(4):
                tangent[a, b, p] = (lam[p] * VOLUMETRIC[a, b] + mu[p] * SHEAR[a, b] - softening * DEVIATORIC[a, b]
                                    + flow * n_a * direction[b, p] / q)
        eps_eq_in[p] = eps_eq_old[p] + dp[p]
        w_in[p] = w_old[p] + work


def _fail(what: str, bad: np.ndarray, residual: np.ndarray, T: np.ndarray, iterations: int):
    raise SolverError(
        f"{what}: local iteration did not converge in {iterations} iterations at {int(bad.size)} "
        f"point(s); max residual {float(np.max(np.abs(residual))):.3g}, "
        f"T = {float(np.min(T)):g}..{float(np.max(T)):g} degC")


# residual tolerance of the local equations, relative to the trial stress: far below what the
# global Newton iteration can resolve, and above round-off of the stress differences
_LOCAL_RTOL = 1e-12
_U_RANGE = 60.0        # bracket for ln(dp): dp down to e^-60 ~ 1e-26 of its elastic bound
_Q_FLOOR = 1e-10       # MPa: below this trial stress no creep is worth resolving (dp = 0)


def _solve_rate_equation(q_trial, three_mu, flow_stress, T, max_iterations, what, u_guess=None):
    """Backward-Euler consistency of a rate-dependent J2 model, for dp >= 0:

        r(u) = q_trial - 3 mu dp - q_flow(dp) = 0,   u = ln dp,

    where q_flow(u, idx) -> (q_flow, d q_flow / du) is the flow law in inverse form at points idx.
    r is positive at dp -> 0 and negative at dp = q_trial / (3 mu) (no stress left), so the root is
    bracketed; Newton steps in u that leave the bracket are replaced by bisection. For the creep laws
    r is concave and decreasing in u, so Newton from the upper end never overshoots.
    u_guess (optional, per point): a start inside the bracket, e.g. the last step's rate; the
    bracket is narrowed by its residual sign, so a poor guess costs iterations, never safety.
    Returns dp and ddp_dq = d dp / d q_trial = -dp / (dr/du).
    """
    n = q_trial.size
    dp = np.zeros(n)
    ddp_dq = np.zeros(n)
    act = np.flatnonzero(q_trial > _Q_FLOOR)
    if act.size == 0:
        return dp, ddp_dq
    qt, tm = q_trial[act], three_mu[act]

    def residual(u, idx):
        q_flow, dq_du = flow_stress(u, act[idx])
        e_u = np.exp(u)
        return qt[idx] - tm[idx] * e_u - q_flow, -tm[idx] * e_u - dq_du

    hi = np.log(qt / tm)
    lo = hi - _U_RANGE
    every = np.arange(act.size)
    r_lo, _ = residual(lo, every)
    negligible = r_lo <= 0          # even dp ~ 1e-26 dp_max over-relaxes: creep is nil here
    u = hi.copy()
    if u_guess is not None:
        guess = u_guess[act]
        inside = np.isfinite(guess) & (guess > lo) & (guess < hi)
        u[inside] = guess[inside]
    r, drdu = residual(u, every)
    started_inside = u < hi
    lo = np.where(started_inside & (r > 0), u, lo)
    hi = np.where(started_inside & (r <= 0), u, hi)
    todo = every[~negligible]
    for _ in range(max_iterations):
        done = (np.abs(r[todo]) <= _LOCAL_RTOL * qt[todo]) | (hi[todo] - lo[todo] < 1e-14)
        todo = todo[~done]
        if todo.size == 0:
            break
        step = -r[todo] / drdu[todo]
        u_new = u[todo] + step
        outside = ~((u_new > lo[todo]) & (u_new < hi[todo])) | ~np.isfinite(u_new)
        u_new = np.where(outside, 0.5 * (lo[todo] + hi[todo]), u_new)
        r_new, drdu_new = residual(u_new, todo)
        u[todo], r[todo], drdu[todo] = u_new, r_new, drdu_new
        below = r_new > 0           # root lies above u_new
        lo[todo] = np.where(below, u_new, lo[todo])
        hi[todo] = np.where(below, hi[todo], u_new)
    else:
        _fail(what, act[todo], r[todo] / qt[todo], T[act[todo]], max_iterations)
    ok = ~negligible
    dp[act[ok]] = np.exp(u[ok])
    ddp_dq[act[ok]] = -np.exp(u[ok]) / drdu[ok]
    return dp, ddp_dq


# ---------------------------------------------------------------- models

def _check_step(dt):
    if not dt > 0:
        raise InputError(f"time step dt = {dt!r} s must be > 0 for a rate-dependent model")


@dataclass(frozen=True)
class Elastic:
    """Linear isotropic elasticity: sigma = D(E, nu) eps_mech; nothing inelastic happens."""

    inelastic = False
    rate_dependent = False

    def initial_state(self, n_points: int) -> dict:
        return _inelastic_base_state(n_points)

    def check_analysis(self, analysis: str) -> None:
        return None

    def update(self, eps_mech, state, T_old, T_new, dt, E, nu, guess=None):
        eps_mech = np.asarray(eps_mech, dtype=float)
        lam, mu = lame(_as_points(E, eps_mech.shape[1]), _as_points(nu, eps_mech.shape[1]))
        stress = small_strain.stress(eps_mech, lam, mu)
        return stress, stiffness(lam, mu), {**state, "stress": stress}


class _Inelastic:
    """Shared parts of the J2 models: the state, plane-stress refusal, trial stress."""

    inelastic = True
    rate_dependent = False   # rate laws: their internal variables follow rate equations in time

    def check_analysis(self, analysis: str) -> None:
        if analysis == "plane_stress":
            raise InputError(f"analysis = 'plane_stress' is not supported with the inelastic model "
                             f"'{type(self).__name__}' (use plane_strain, generalized_plane_strain "
                             f"or axisymmetric)")

    def initial_state(self, n_points: int) -> dict:
        return _inelastic_base_state(n_points)

    @staticmethod
    def _trial(eps_mech, state, E, nu, back=None):
        """The elastic trial: stress D (eps_mech - eps_in), the flow direction (its deviator,
        less the back stress if given), its equivalent value, and lambda, mu."""
        f = np.ascontiguousarray
        eps_mech = f(eps_mech, dtype=float)
        n = eps_mech.shape[1]
        sigma, direction = np.empty((4, n)), np.empty((4, n))
        q, lam, mu = np.empty(n), np.empty(n), np.empty(n)
        _trial_points(eps_mech, f(state["eps_in"]), f(_as_points(E, n)), f(_as_points(nu, n)),
                      np.zeros((4, 0)) if back is None else f(back), sigma, direction, q, lam, mu)
        return sigma, direction, q, lam, mu


@dataclass(frozen=True)
class J2Plasticity(_Inelastic):
    """Rate-independent von Mises plasticity with linear isotropic and linear kinematic
    (Prager/Ziegler) hardening and a temperature-dependent yield stress:

        f = sqrt(3/2 (s - alpha):(s - alpha)) - (sigma_y(T) + H_iso(T) p) <= 0
        d alpha = 2/3 H_kin d eps_p          (uniaxial: back stress H_kin eps_p)

    so the uniaxial plastic modulus d sigma / d eps_p is H_iso + H_kin. Radial return with the
    consistent tangent (Simo & Taylor 1985, CMAME 48:101; Simo & Hughes 1998, sec. 3.3).
    yield_stress, isotropic_modulus, kinematic_modulus: numbers or callables of T (degC), MPa.
    """

    yield_stress: Callable
    isotropic_modulus: Callable
    kinematic_modulus: Callable = field(default=0.0)

    def __post_init__(self):
        for name in ("yield_stress", "isotropic_modulus", "kinematic_modulus"):
            object.__setattr__(self, name, _as_function(getattr(self, name)))

    @classmethod
    def from_plasticity(cls, plasticity, kinematic_fraction: float = 0.0) -> "J2Plasticity":
        """From `materials.models.Plasticity`; a fraction of its hardening modulus may be kinematic."""
        if not 0.0 <= kinematic_fraction <= 1.0:
            raise InputError(f"kinematic = {kinematic_fraction!r} must be a fraction in [0, 1]")
        H = plasticity.hardening_modulus
        return cls(plasticity.yield_stress,
                   lambda T: (1.0 - kinematic_fraction) * H(T),
                   lambda T: kinematic_fraction * H(T))

    def initial_state(self, n_points: int) -> dict:
        return {**_inelastic_base_state(n_points), "alpha": np.zeros((4, n_points))}

    def update(self, eps_mech, state, T_old, T_new, dt, E, nu, guess=None):
        sigma_trial, relative, q_trial, lam, mu = self._trial(eps_mech, state, E, nu, back=state["alpha"])
        T_new = _as_points(T_new, sigma_trial.shape[1])
        H_iso, H_kin = self.isotropic_modulus(T_new), self.kinematic_modulus(T_new)
        overstress = q_trial - (self.yield_stress(T_new) + H_iso * state["eps_eq_in"])
        plastic = overstress > 0
        # linear hardening makes the consistency condition linear in dp
        stiffness = 3 * mu + H_iso + H_kin
        dp = np.where(plastic, overstress / stiffness, 0.0)
        ddp_dq = np.where(plastic, 1.0 / stiffness, 0.0)
        stress, tangent, new = _radial_return(state, sigma_trial, relative, q_trial, dp, ddp_dq, lam, mu)
        safe_q = np.where(q_trial > 0, q_trial, 1.0)
        new["alpha"] = state["alpha"] + H_kin * dp * relative / safe_q
        return stress, tangent, new


@dataclass(frozen=True)
class _RateModel(_Inelastic):
    """Backward-Euler J2 flow with eps_eq_dot = rate(q, T); subclasses give the inverse law."""

    rate_dependent = True

    def to_dict(self) -> dict:
        """The law's parameters and their source (not the solver settings)."""
        return {f.name: getattr(self, f.name) for f in fields(self)
                if f.name not in ("max_iterations", "coupled_iterations")}

    def initial_state(self, n_points: int) -> dict:
        # log_rate: ln of the last step's equivalent inelastic strain rate (start guess)
        return {**_inelastic_base_state(n_points), "log_rate": np.full(n_points, -np.inf)}

    def _flow_stress(self, log_rate, T_K, state, dt, idx, extra):
        """Flow stress and its derivative with respect to ln(rate) at points idx; `extra` is a
        per-update scratch dict (Anand keeps its resistance s there)."""
        raise NotImplementedError

    def update(self, eps_mech, state, T_old, T_new, dt, E, nu, guess=None):
        _check_step(dt)
        sigma_trial, s_trial, q_trial, lam, mu = self._trial(eps_mech, state, E, nu)
        n = sigma_trial.shape[1]
        T_new = _as_points(T_new, n)
        T_K = _kelvin(T_new)
        # a guess (the trial state of the previous global iteration of the same step) starts the
        # local solves close to their solution; the state's last-step rate otherwise
        start = state if guess is None else guess
        extra = {"start": start}

        def flow_stress(u, idx):
            return self._flow_stress(u - np.log(dt), T_K[idx], state, dt, idx, extra)

        # warm start from the last step's inelastic rate: the consistency equation then
        # converges in a few iterations instead of a search from the elastic bound
        u_guess = start["log_rate"] + np.log(dt)
        dp, ddp_dq = self._consistency(q_trial, 3 * mu * np.ones(n), flow_stress, T_new, T_K, dt,
                                       state, start, u_guess, extra)
        stress, tangent, new = _radial_return(state, sigma_trial, s_trial, q_trial, dp, ddp_dq, lam, mu)
        with np.errstate(divide="ignore"):
            new["log_rate"] = np.where(dp > 0, np.log(np.where(dp > 0, dp, 1.0) / dt), -np.inf)
        self._finish_state(new, state, dp, extra)
        return stress, tangent, new

    def _consistency(self, q_trial, three_mu, flow_stress, T, T_K, dt, state, start, u_guess, extra):
        """dp and d dp / d q_trial of every point (the bracketed scalar solve)."""
        return _solve_rate_equation(q_trial, three_mu, flow_stress, T, self.max_iterations,
                                    type(self).__name__, u_guess)

    def _finish_state(self, new, state, dp, extra):
        return None


@dataclass(frozen=True)
class NortonCreep(_RateModel):
    """Norton power-law creep, eps_eq_dot = A q^n exp(-Q / (R T)); A in 1/(s MPa^n), Q in J/mol,
    T absolute. Inverse form: q = (rate exp(Q/RT) / A)^(1/n)."""

    A: float
    n: float
    Q: float = 0.0
    source: str = ""
    max_iterations: int = 100

    def rate(self, q, T_C):
        return self.A * np.abs(q) ** self.n * np.exp(-self.Q / (R_GAS * _kelvin(T_C)))

    def _flow_stress(self, log_rate, T_K, state, dt, idx, extra):
        q = np.exp((log_rate - np.log(self.A) + self.Q / (R_GAS * T_K)) / self.n)
        return q, q / self.n


@dataclass(frozen=True)
class GarofaloCreep(_RateModel):
    """Garofalo hyperbolic-sine creep (Garofalo 1963, Trans. AIME 227:351),
    eps_eq_dot = C1 sinh(C2 q)^C3 exp(-C4 / T); C1 in 1/s, C2 in 1/MPa, C4 = Q/R in K.
    Inverse form: q = asinh((rate exp(C4/T) / C1)^(1/C3)) / C2."""

    C1: float
    C2: float
    C3: float
    C4: float
    source: str = ""
    max_iterations: int = 100

    def rate(self, q, T_C):
        return self.C1 * np.sinh(self.C2 * np.abs(q)) ** self.C3 * np.exp(-self.C4 / _kelvin(T_C))

    def _flow_stress(self, log_rate, T_K, state, dt, idx, extra):
        w = (log_rate - np.log(self.C1) + self.C4 / T_K) / self.C3
        asinh_term, slope = _asinh_exp_and_slope(w)
        return asinh_term / self.C2, slope / (self.C2 * self.C3)


@dataclass(frozen=True)
class Anand(_RateModel):
    """Anand viscoplasticity (Anand 1985, J. Eng. Mater. Technol. 104:12; Brown, Kim & Anand 1989,
    Int. J. Plasticity 5:95) in J2 form, q the von Mises stress and p the equivalent inelastic strain:

        p_dot = A exp(-Q/(R T)) sinh(xi q / s)^(1/m)
        s_dot = h0 |1 - s/s*|^a sign(1 - s/s*) p_dot,   s* = s_hat (p_dot exp(Q/(R T)) / A)^n

    Backward Euler in (dp, s): for a trial dp the s equation is solved exactly (it is monotone in
    s and bracketed by s_old and s*), and the outer consistency equation
    q_trial - 3 mu dp = (s/xi) asinh(z^m), z = (dp/dt) exp(Q/RT) / A, is solved for ln dp.
    The tangent accounts for s(dp) through ds/ddp. s0, h0, s_hat in MPa; Q_over_R in K; A in 1/s.
    """

    s0: float
    Q_over_R: float
    A: float
    xi: float
    m: float
    h0: float
    s_hat: float
    n: float
    a: float
    source: str = ""
    max_iterations: int = 100

    def saturation_stress(self, rate, T_C):
        """sigma* = (s_hat/xi) z^n asinh(z^m), z = (rate/A) exp(Q/(R T)) (Brown, Kim & Anand 1989)."""
        z = np.asarray(rate, dtype=float) / self.A * np.exp(self.Q_over_R / _kelvin(T_C))
        return self.s_hat / self.xi * z**self.n * np.arcsinh(z**self.m)

    def initial_state(self, n_points: int) -> dict:
        return {**super().initial_state(n_points), "s": np.full(n_points, float(self.s0))}

    def _evolution(self, s, s_old, s_star, dp):
        """Residual of the implicit s update and its derivative in s, with g = 1 - s/s*, and
        B(g), dB/dg at every point (`_anand_evolution`)."""
        out = np.empty((4, np.size(s)))
        f = np.ascontiguousarray
        _anand_evolution_points(f(s, dtype=float), f(s_old, dtype=float), f(s_star, dtype=float),
                                f(dp, dtype=float), self.h0, self.a, out)
        return out[0], out[1], out[2], out[3]

    def _resistance(self, dp, s_star, s_old, s_guess, T):
        """Solve s - s_old = h0 dp |1 - s/s*|^a sign(1 - s/s*) for s (bracketed Newton).
        The left side grows and the right side falls with s, so the root is unique and lies
        between s_old and s*."""
        lo, hi = np.minimum(s_old, s_star), np.maximum(s_old, s_star)
        s = np.where((s_guess > lo) & (s_guess < hi), s_guess, s_old)
        todo = np.arange(s.size)
        for _ in range(self.max_iterations):
            phi, dphi, _, _ = self._evolution(s[todo], s_old[todo], s_star[todo], dp[todo])
            done = (np.abs(phi) <= _LOCAL_RTOL * hi[todo]) | (hi[todo] - lo[todo] <= 1e-15 * hi[todo])
            phi, dphi, todo = phi[~done], dphi[~done], todo[~done]
            if todo.size == 0:
                return s
            lo[todo] = np.where(phi < 0, s[todo], lo[todo])
            hi[todo] = np.where(phi < 0, hi[todo], s[todo])
            s_new = s[todo] - phi / dphi
            inside = (s_new >= lo[todo]) & (s_new <= hi[todo])
            s[todo] = np.where(inside, s_new, 0.5 * (lo[todo] + hi[todo]))
        _fail("Anand deformation resistance", todo, phi / hi[todo], T[todo], self.max_iterations)

    def _flow_stress(self, log_rate, T_K, state, dt, idx, extra):
        log_z = log_rate - np.log(self.A) + self.Q_over_R / T_K
        dp = np.exp(log_rate) * dt
        s_star = self.s_hat * np.exp(self.n * log_z)
        s_old = state["s"][idx]
        cache = extra.setdefault("s", extra["start"]["s"].copy())
        s = self._resistance(dp, s_star, s_old, cache[idx], T_K - KELVIN)
        cache[idx] = s
        _, dphi_ds, B, dB_dg = self._evolution(s, s_old, s_star, dp)
        # d phi / d dp at fixed s, through dp itself and through s*(dp): ds*/ddp = n s*/dp
        dphi_ddp = -self.h0 * (B + dB_dg * self.n * s / s_star)
        ds_du = -dp * dphi_ddp / dphi_ds
        w = self.m * log_z
        asinh_term, slope = _asinh_exp_and_slope(w)
        q = s / self.xi * asinh_term
        dq_du = ds_du / self.xi * asinh_term + s / self.xi * self.m * slope
        return q, dq_du

    # Newton iterations on the coupled (ln dp, s) equations before the bracketed solve takes over
    coupled_iterations: int = 8

    def _consistency(self, q_trial, three_mu, flow_stress, T, T_K, dt, state, start, u_guess, extra):
        """dp and d dp / d q_trial of every point: Newton's method on both backward-Euler equations
        at once from the guess (the last rate and resistance), and for the points it does not
        settle the bracketed nested solve of `_solve_rate_equation`."""
        cache = extra.setdefault("s", start["s"].copy())
        dp, ddp_dq, solved = self._coupled_newton(q_trial, three_mu, T_K, dt, state["s"], u_guess, cache)
        rest = np.flatnonzero(~solved)
        if rest.size:
            def flow_rest(u, j):
                return flow_stress(u, rest[j])
            dp[rest], ddp_dq[rest] = _solve_rate_equation(q_trial[rest], three_mu[rest], flow_rest, T[rest],
                                                          self.max_iterations, type(self).__name__, u_guess[rest])
        return dp, ddp_dq

    def _coupled_newton(self, q_trial, three_mu, T_K, dt, s_old, u_guess, s_cache):
        """Newton's method on (r, phi) = 0 from the guess (`_anand_coupled_newton`): one
        evaluation of the laws per iteration instead of an inner s solve per outer one. Solved
        points get their s in s_cache. Returns dp, d dp / d q_trial (along s(dp)) and the mask of
        solved points."""
        n = q_trial.size
        dp, ddp_dq, solved = np.empty(n), np.empty(n), np.empty(n, dtype=np.bool_)
        f = np.ascontiguousarray
        _anand_coupled_newton(f(q_trial, dtype=float), f(three_mu, dtype=float), f(T_K, dtype=float), float(dt),
                              f(s_old, dtype=float), f(u_guess, dtype=float), s_cache,
                              (self.A, self.Q_over_R, self.xi, self.m, self.h0, self.s_hat, self.n, self.a),
                              self.coupled_iterations, dp, ddp_dq, solved)
        return dp, ddp_dq, solved

    def _finish_state(self, new, state, dp, extra):
        # the outer solver evaluated every point last at its converged dp; where dp = 0 the
        # resistance does not move (s_dot is proportional to p_dot)
        new["s"] = np.where(dp > 0, extra["s"], state["s"]) if "s" in extra else state["s"]


@jit.serial
def _anand_evolution(s, s_old, s_star, dp, h0, a):
    """The implicit resistance update phi = s - s_old - h0 dp B(g) = 0, g = 1 - s/s*,
    B = |g|^a sign(g): phi, d phi / d s, B and dB/dg."""
    g = 1.0 - s / s_star
    # |g|^(a-1) once (B = |g| |g|^(a-1) sign g); for a < 1 it is infinite at g = 0, hence the floor
    power = abs(g) ** (a - 1.0) if a >= 1 else max(abs(g), 1e-300) ** (a - 1.0)
    B = abs(g) * power * np.sign(g)
    return s - s_old - h0 * dp * B, 1.0 + h0 * dp * a * power / s_star, B, a * power


@jit.parallel
def _anand_evolution_points(s, s_old, s_star, dp, h0, a, out):
    for i in prange(s.size):
        out[0, i], out[1, i], out[2, i], out[3, i] = _anand_evolution(s[i], s_old[i], s_star[i], dp[i], h0, a)


@jit.parallel
def _anand_coupled_newton(q_trial, three_mu, T_K, dt, s_old, u_guess, s_cache, constants, iterations,
                          dp, ddp_dq, solved):
    """Anand's two backward-Euler equations in u = ln dp and s at every point,

        r   = q_trial - 3 mu e^u - (s / xi) asinh(z^m)       (consistency)
        phi = s - s_old - h0 e^u B(1 - s / s*)                (resistance)

    with ln z = u - ln dt - ln A + Q/(R T) and s* = s_hat z^n, by Newton's method on both at once
    from the guess (the last rate and resistance). A point is solved when both residuals are
    below _LOCAL_RTOL of their scales (q_trial; max(s_old, s*)) within `iterations`; a point
    without a usable guess, or whose iterate leaves the bracket of ln dp or makes s <= 0, is left
    unsolved (for the bracketed solve)."""
    A, Q_over_R, xi, m, h0, s_hat, n, a = constants
    for i in prange(q_trial.size):
        dp[i], ddp_dq[i], solved[i] = 0.0, 0.0, False
        if not q_trial[i] > _Q_FLOOR:
            continue
        hi = np.log(q_trial[i] / three_mu[i])      # dp below its elastic bound q_trial / 3 mu
        u = u_guess[i]
        if not (np.isfinite(u) and hi - _U_RANGE < u < hi):
            continue
        s = s_cache[i]
        shift = -np.log(dt) - np.log(A) + Q_over_R / T_K[i]
        for _ in range(iterations):
            e_u = np.exp(u)
            log_z = u + shift
            s_star = s_hat * np.exp(n * log_z)
            phi, dphi_ds, B, dB_dg = _anand_evolution(s, s_old[i], s_star, e_u, h0, a)
            dphi_du = -h0 * e_u * (B + dB_dg * n * s / s_star)
            asinh_term, slope = _asinh_exp_point(m * log_z)
            r = q_trial[i] - three_mu[i] * e_u - s / xi * asinh_term
            dr_du = -three_mu[i] * e_u - s / xi * m * slope
            dr_ds = -asinh_term / xi
            if abs(r) <= _LOCAL_RTOL * q_trial[i] and abs(phi) <= _LOCAL_RTOL * max(s_old[i], s_star):
                along_s = dr_du - dr_ds * dphi_du / dphi_ds       # dr/du with s = s(u)
                dp[i], ddp_dq[i], solved[i] = e_u, -e_u / along_s, True
                s_cache[i] = s
                break
            det = dr_du * dphi_ds - dr_ds * dphi_du
            u_next = u + (dr_ds * phi - r * dphi_ds) / det
            s_next = s + (dphi_du * r - dr_du * phi) / det
            if not (np.isfinite(u_next) and np.isfinite(s_next) and hi - _U_RANGE < u_next < hi and s_next > 0):
                break
            u, s = u_next, s_next


# ---------------------------------------------------------------- single-point uniaxial driver

@dataclass(frozen=True)
class UniaxialResponse:
    """History of a uniaxial-stress drive; index 0 is the initial stress-free state.
    strain, stress, eps_in: (steps + 1, 4, N); w_in, eps_eq_in: (steps + 1, N)."""

    time: np.ndarray
    temperature: np.ndarray
    strain: np.ndarray
    stress: np.ndarray
    eps_in: np.ndarray
    w_in: np.ndarray
    eps_eq_in: np.ndarray
    state: dict


def _history(values, steps: int, n: int, name: str) -> np.ndarray:
    a = np.asarray(values, dtype=float)
    if a.ndim == 1:
        a = a[:, None]
    if a.shape[0] != steps:
        raise InputError(f"{name} has {a.shape[0]} entries, expected one per time ({steps})")
    return np.broadcast_to(a, (steps, n))


def uniaxial_drive(model, strain_history, T_history, times, E, nu, tolerance: float = 1e-9,
                   max_iterations: int = 30) -> UniaxialResponse:
    """Drive points in uniaxial stress: eps_11 follows `strain_history` (mechanical strain,
    first entry 0 at the stress-free start), gamma_12 = 0, and the lateral strains eps_22, eps_33
    are found by Newton's method on sigma_22 = sigma_33 = 0 with the model's tangent.

    strain_history, T_history: (steps + 1,) or (steps + 1, N) for N independent points;
    times: (steps + 1,) in s; E, nu: numbers, (N,) arrays or callables of T (degC), e.g.
    material.E. Converged when |sigma_22|, |sigma_33| <= tolerance * max(1, |sigma_11|) MPa.
    """
    times = np.asarray(times, dtype=float)
    steps = times.size
    eps11 = np.asarray(strain_history, dtype=float)
    n = 1 if eps11.ndim == 1 else eps11.shape[1]
    eps11 = _history(eps11, steps, n, "strain_history")
    T = _history(T_history, steps, n, "T_history")
    if np.any(eps11[0] != 0):
        raise InputError("strain_history[0] must be 0: the drive starts from the stress-free state")

    def at(prop, Tk):
        return _as_points(prop(Tk) if callable(prop) else prop, n)

    state = model.initial_state(n)
    eps = np.zeros((4, n))
    out = {k: [np.zeros((4, n))] for k in ("strain", "stress", "eps_in")}
    out["w_in"], out["eps_eq_in"] = [np.zeros(n)], [np.zeros(n)]
    for k in range(1, steps):
        E_k, nu_k = at(E, T[k]), at(nu, T[k])
        trial = eps.copy()
        trial[0] = eps11[k]
        trial[1:3] -= nu_k * (eps11[k] - eps11[k - 1])      # elastic guess for the lateral strains
        for _ in range(max_iterations):
            stress, tangent, new = model.update(trial, state, T[k - 1], T[k], times[k] - times[k - 1], E_k, nu_k)
            lateral = stress[1:3]
            if np.all(np.abs(lateral) <= tolerance * np.maximum(1.0, np.abs(stress[0]))):
                break
            K = np.moveaxis(tangent[1:3, 1:3], 2, 0)
            trial[1:3] -= np.linalg.solve(K, np.moveaxis(lateral, 1, 0)[..., None])[..., 0].T
        else:
            raise SolverError(f"uniaxial drive: lateral stresses did not vanish in {max_iterations} "
                              f"iterations at step {k} (max |sigma_lateral| = {np.max(np.abs(lateral)):.3g} MPa)")
        eps, state = trial, new
        for key, value in (("strain", eps), ("stress", stress), ("eps_in", state["eps_in"]),
                           ("w_in", state["w_in"]), ("eps_eq_in", state["eps_eq_in"])):
            out[key].append(value)
    return UniaxialResponse(time=times, temperature=np.asarray(T), state=state,
                            **{k: np.array(v) for k, v in out.items()})
