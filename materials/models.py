"""Plasticity, creep and fatigue data of a material, as small frozen dataclasses in project units
(MPa, degC, um, s; absolute temperature in K where a law needs it). The rate laws (Norton,
Garofalo, Anand) are the constitutive laws of `fea.constitutive` themselves, with their source."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from fea.constitutive import GarofaloCreep, NortonCreep

from .quantity import Quantity


@dataclass(frozen=True)
class Plasticity:
    """Rate-independent von Mises plasticity with bilinear hardening: the uniaxial plastic modulus
    H(T) (MPa) is split into an isotropic part (1 - f) H, which grows the yield stress
    sigma_y(T) + (1 - f) H p with the accumulated plastic strain p, and a linear kinematic part
    f H, which moves the yield surface (back stress f H eps_p uniaxially, the Bauschinger
    effect). f = kinematic_fraction; without one the hardening is all isotropic."""

    yield_stress: Quantity
    hardening_modulus: Quantity
    source: str
    kinematic_fraction: Quantity | None = None

    @property
    def kinematic_share(self) -> float:
        return self.kinematic_fraction.value if self.kinematic_fraction is not None else 0.0

    def to_dict(self) -> dict:
        out = {"yield_stress": self.yield_stress.to_dict(),
               "hardening_modulus": self.hardening_modulus.to_dict(), "source": self.source}
        if self.kinematic_fraction is not None:
            out["kinematic_fraction"] = self.kinematic_fraction.to_dict()
        return out


@dataclass(frozen=True)
class Creep:
    """Steady-state creep data: a Norton and / or a Garofalo law with their sources."""
    norton: NortonCreep | None
    garofalo: GarofaloCreep | None

    def to_dict(self) -> dict:
        return {k: v.to_dict() for k, v in (("norton", self.norton), ("garofalo", self.garofalo)) if v}


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
