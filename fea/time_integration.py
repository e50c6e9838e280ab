"""Time integration of the rate laws' internal variables: variable-step BDF2 and its local error.

A rate law of `fea.constitutive` integrates its internal variables y (inelastic strain, Anand's
resistance s) by backward Euler, y_n+1 = y_n + dt f(y_n+1). The two-step backward
differentiation formula with the step ratio w = dt_n / dt_n-1,

    y_n+1 = a y_n - b y_n-1 + g dt f(y_n+1),
    a = (1 + w)^2 / (1 + 2w),   b = w^2 / (1 + 2w),   g = (1 + w) / (1 + 2w),

is that same backward-Euler update started from y* = a y_n - b y_n-1 with the step g dt, so
every rate law becomes second-order accurate unchanged, with its consistent tangent (at g dt).
w = 0 is backward Euler (the first step of a run). BDF2 is A- and L-stable, so creep that
relaxes within a long dwell step damps out instead of oscillating, and variable steps stay
zero-stable for w < 1 + sqrt(2) (Eckert, Baaser, Gross & Scherf 2004, Comput. Mech. 34:377,
use BDF2 with step control for elasto-plasticity the same way).

Local error (Milne's device). The quadratic through the last three accepted values, carried to
t_n+1, misses the exact value by D h^3 y''' with D = (h + 0)(h + k1)(h + k1 + k2) / (6 h^3) for the
steps h, k1 = t_n - t_n-1, k2 = t_n-1 - t_n-2; BDF2 misses it by |C| h^3 y''' with

    C(w) = 1/6 - 1/(6 w (1 + 2w)) - (1 + w) / (2 (1 + 2w))        (-2/9 for equal steps)

(Taylor expansion of the formula). So the error of the step is |C| / (|C| + D) times the
distance between the BDF2 value and the predictor (2/11 of it for equal steps).
"""
from __future__ import annotations

import numpy as np

from .small_strain import equivalent_strain, inner

#: internal variables that follow a rate equation (the rest of a state is derived or a guess)
RATE_VARIABLES = ("eps_in", "s")
#: above this step ratio variable-step BDF2 loses zero-stability (1 + sqrt 2): restart with BE
MAX_STEP_RATIO = 2.4


def bdf2_coefficients(step_ratio: float) -> tuple[float, float, float]:
    """(a, b, g) of y_n+1 = a y_n - b y_n-1 + g dt f_n+1 for w = dt_n / dt_n-1 (0: backward Euler)."""
    w = step_ratio
    return (1 + w) ** 2 / (1 + 2 * w), w ** 2 / (1 + 2 * w), (1 + w) / (1 + 2 * w)


def bdf2_start(state: dict, previous: dict, step_ratio: float) -> dict:
    """The state a backward-Euler update starts from to take a BDF2 step: y* = a y_n - b y_n-1
    for the rate variables, the rest (stress, accumulated work and strain, guesses) from y_n."""
    a, b, _ = bdf2_coefficients(step_ratio)
    start = dict(state)
    for key in RATE_VARIABLES:
        if key in state:
            start[key] = a * state[key] - b * previous[key]
    return start


def accumulate_from(state: dict, new: dict) -> dict:
    """``new`` with the accumulated equivalent inelastic strain and the trapezoidal work counted
    from ``state`` (the law counted them from the BDF2 start y*, which is not a state it passed)."""
    step = new["eps_in"] - state["eps_in"]
    work = inner(0.5 * (state["stress"] + new["stress"]), step)
    return {**new, "eps_eq_in": state["eps_eq_in"] + equivalent_strain(step), "w_in": state["w_in"] + work}


def error_constant(step_ratio: float) -> float:
    """|C(w)| of BDF2's local error C h^3 y''' (2/9 for equal steps)."""
    w = step_ratio
    return abs(1 / 6 - 1 / (6 * w * (1 + 2 * w)) - (1 + w) / (2 * (1 + 2 * w)))


def predictor(times: list[float], values: list[np.ndarray], t: float) -> np.ndarray:
    """Lagrange polynomial through (times, values) evaluated at t (extrapolation)."""
    out = np.zeros_like(values[-1])
    for i, (ti, yi) in enumerate(zip(times, values)):
        weight = 1.0
        for j, tj in enumerate(times):
            if j != i:
                weight *= (t - tj) / (ti - tj)
        out += weight * yi
    return out


def local_error(times: list[float], values: list[np.ndarray], t_new: float, y_new: np.ndarray,
                step_ratio: float) -> np.ndarray:
    """Estimated local error of a BDF2 step to (t_new, y_new) from the last three accepted
    (times, values); with two, of the first-order step (half its distance from the line through
    them, as for backward Euler)."""
    distance = y_new - predictor(times, values, t_new)
    if len(times) < 3 or step_ratio == 0:
        return 0.5 * distance
    h = t_new - times[-1]
    k1, k2 = times[-1] - times[-2], times[-2] - times[-3]
    C = error_constant(step_ratio)
    D = h * (h + k1) * (h + k1 + k2) / (6 * h ** 3)
    return C / (C + D) * distance
