"""Inelastic and fatigue model parameters, as small frozen dataclasses in project units
(MPa, degC, um, s; absolute temperature in K where a law needs it)."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .quantity import Quantity

R_GAS = 8.314462618  # J/(mol K)
KELVIN = 273.15


def _kelvin(T_C):
    return np.asarray(T_C, dtype=float) + KELVIN


@dataclass(frozen=True)
class Plasticity:
    """Rate-independent von Mises plasticity with isotropic bilinear hardening:
    sigma_y(T) + H(T) * eps_p, where H is the plastic tangent modulus (MPa)."""

    yield_stress: Quantity
    hardening_modulus: Quantity
    source: str

    def to_dict(self) -> dict:
        return {"yield_stress": self.yield_stress.to_dict(),
                "hardening_modulus": self.hardening_modulus.to_dict(), "source": self.source}


@dataclass(frozen=True)
class Norton:
    """Steady-state creep eps_dot = A * sigma^n * exp(-Q/(R T)); A in 1/(s MPa^n), Q in J/mol."""

    A: float
    n: float
    Q: float
    source: str

    def rate(self, sigma, T_C) -> np.ndarray:
        return self.A * np.abs(sigma) ** self.n * np.exp(-self.Q / (R_GAS * _kelvin(T_C)))

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Garofalo:
    """Hyperbolic-sine creep eps_dot = C1 * sinh(C2 sigma)^C3 * exp(-C4 / T);
    C1 in 1/s, C2 in 1/MPa, C3 dimensionless, C4 = Q/R in K."""

    C1: float
    C2: float
    C3: float
    C4: float
    source: str

    def rate(self, sigma, T_C) -> np.ndarray:
        return self.C1 * np.sinh(self.C2 * np.abs(sigma)) ** self.C3 * np.exp(-self.C4 / _kelvin(T_C))

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Creep:
    norton: Norton | None
    garofalo: Garofalo | None

    def to_dict(self) -> dict:
        return {k: v.to_dict() for k, v in (("norton", self.norton), ("garofalo", self.garofalo)) if v}


@dataclass(frozen=True)
class Anand:
    """Anand (1985) viscoplasticity, uniaxial form of Brown, Kim & Anand (1989):
    eps_p_dot = A exp(-Q/RT) sinh(xi sigma / s)^(1/m),
    s_dot = h0 |1 - s/s*|^a sign(1 - s/s*) eps_p_dot,  s* = s_hat (eps_p_dot/A exp(Q/RT))^n.
    s0, h0, s_hat in MPa; Q_over_R in K; A in 1/s."""

    s0: float
    Q_over_R: float
    A: float
    xi: float
    m: float
    h0: float
    s_hat: float
    n: float
    a: float
    source: str

    def saturation_stress(self, rate, T_C) -> np.ndarray:
        """Steady-state stress at constant inelastic strain rate and temperature:
        sigma* = (s_hat/xi) z^n asinh(z^m), z = (rate/A) exp(Q/(R T))  (Brown, Kim & Anand 1989)."""
        z = np.asarray(rate, dtype=float) / self.A * np.exp(self.Q_over_R / _kelvin(T_C))
        return self.s_hat / self.xi * z**self.n * np.arcsinh(z**self.m)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Darveaux:
    """Darveaux crack initiation and growth: N0 = K1 dW^K2, da/dN = K3 dW^K4, with dW the
    inelastic strain energy density per cycle (MPa) volume-averaged over a layer of thickness
    `volume_averaging_thickness` (um) at the pad interface. K1 in cycles/MPa^K2, K3 in
    um/(cycle MPa^K4)."""

    K1: float
    K2: float
    K3: float
    K4: float
    volume_averaging_thickness: float
    source: str

    def cycles_to_failure(self, dW, crack_length_um) -> np.ndarray:
        dW = np.asarray(dW, dtype=float)
        return self.K1 * dW**self.K2 + crack_length_um / (self.K3 * dW**self.K4)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class CoffinManson:
    """Engelmaier's modified Coffin-Manson: N_f = 0.5 (d_gamma / (2 eps_f))^(1/c),
    c = c0 + c1 * T_sj + c2 * ln(1 + f), T_sj mean solder-joint temperature (degC), f cycles/day.
    A plain Coffin-Manson law is the case c1 = c2 = 0."""

    eps_f: float
    c0: float
    c1: float
    c2: float
    source: str

    def exponent(self, T_mean_C, cycles_per_day) -> float:
        return self.c0 + self.c1 * T_mean_C + self.c2 * np.log1p(cycles_per_day)

    def cycles_to_failure(self, d_gamma, T_mean_C, cycles_per_day) -> np.ndarray:
        c = self.exponent(T_mean_C, cycles_per_day)
        return 0.5 * (np.asarray(d_gamma, dtype=float) / (2.0 * self.eps_f)) ** (1.0 / c)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class EnergyLaw:
    """Energy-based life without a separate growth phase (Morrow type, as in Syed 2004):
    N_f = C * dW^k, dW the inelastic strain energy density per cycle (MPa); C in cycles/MPa^k."""

    C: float
    k: float
    source: str

    def cycles_to_failure(self, dW) -> np.ndarray:
        return self.C * np.asarray(dW, dtype=float) ** self.k

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Fatigue:
    darveaux: Darveaux | None
    coffin_manson: CoffinManson | None
    energy: EnergyLaw | None = None

    def to_dict(self) -> dict:
        return {k: v.to_dict() for k, v in (("darveaux", self.darveaux), ("coffin_manson", self.coffin_manson),
                                             ("energy", self.energy)) if v}
