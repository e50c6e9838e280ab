"""Uniaxial Anand stress-strain curves at a constant strain rate, integrated as an ODE (LSODA),
for material plots: an integration independent of the backward-Euler update in `fea.constitutive`.

At a constant total strain rate, the uniaxial Anand model (Brown, Kim & Anand 1989) is
    sigma      = E (eps - eps_p)
    eps_p_dot  = A exp(-Q/RT) sinh(xi sigma / s)^(1/m)
    s_dot      = h0 |1 - s/s*|^a sign(1 - s/s*) eps_p_dot,   s* = s_hat (eps_p_dot/A exp(Q/RT))^n
and tends to the saturation stress `Anand.saturation_stress(rate, T)`.
"""
from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from fea.constitutive import KELVIN, Anand
from fea.errors import SolverError

_X_MAX = 80.0  # cap on xi*sigma/s: keeps sinh finite during stiff trial steps


def _rhs(anand: Anand, E: float, rate: float, T_K: float):
    arrhenius = np.exp(-anand.Q_over_R / T_K)

    def rhs(t, y):
        eps_p, s = y
        sigma = E * (rate * t - eps_p)
        x = min(anand.xi * abs(sigma) / max(s, 1e-12), _X_MAX)
        ep_dot = anand.A * arrhenius * np.sinh(x) ** (1.0 / anand.m)
        s_star = max(anand.s_hat * (ep_dot / (anand.A * arrhenius)) ** anand.n, 1e-12)
        ratio = 1.0 - s / s_star
        s_dot = anand.h0 * abs(ratio) ** anand.a * np.sign(ratio) * ep_dot
        return [np.sign(sigma) * ep_dot, s_dot]

    return rhs


def stress_strain(anand: Anand, E: float, T_C: float, rate: float, strain_max: float = 0.03,
                  n_points: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """Uniaxial stress (MPa) against total strain at constant strain rate (1/s) and temperature
    (degC), from the initial deformation resistance s0; E in MPa."""
    t_end = strain_max / rate
    t = np.linspace(0.0, t_end, n_points)
    sol = solve_ivp(_rhs(anand, E, rate, T_C + KELVIN), (0.0, t_end), [0.0, anand.s0], method="LSODA",
                    t_eval=t, rtol=1e-8, atol=[1e-12, 1e-8])
    if not sol.success:
        raise SolverError(f"Anand stress-strain integration failed at T = {T_C:g} degC, rate = {rate:g}/s: {sol.message}")
    strain = rate * sol.t
    return strain, E * (strain - sol.y[0])
