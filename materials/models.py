"""Plasticity, creep and fatigue data of a material, as small frozen dataclasses in project units
(MPa, degC, um, s; absolute temperature in K where a law needs it). The rate laws (Norton,
Garofalo, Anand) are the constitutive laws of `fea.constitutive` themselves, with their source."""
from __future__ import annotations

from dataclasses import dataclass

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


DIMENSIONS = ("2D", "3D", "analytical")


@dataclass(frozen=True)
class Basis:
    """What a life law's constants were fitted on: the alloy (or alloys), the kind of model the
    damage input came from, the solder law that produced it, and the volume over which it was
    averaged. A life computed any other way is outside the calibration; `reasons` says how."""

    alloys: tuple[str, ...]            # lower-case alloy names (material names or aliases)
    model_dimension: str               # "2D" | "3D" | "analytical" (a closed-form damage input)
    constitutive: str                  # solder law of the fit: anand | garofalo | norton | closed-form
    description: str                   # what was fitted, in words
    volume_averaging_thickness: float | None = None   # um; None: not a layer average
    thickness_source: str = ""

    def fits(self, material) -> bool:
        names = {material.name.lower(), *(a.lower() for a in material.aliases)}
        if material.alloy:
            names.add(material.alloy.lower())
        return bool(names & set(self.alloys))

    def reasons(self, constitutive: str, dimension: str, layer_thickness_um: float | None,
                joint_height_um: float | None = None) -> list[str]:
        """Why a life from this damage input is outside the calibration (empty: inside)."""
        if self.model_dimension == "analytical":
            return [f"constants fitted on a closed-form (whole-joint) damage input; this is a {dimension} FE average"]
        out = []
        if self.model_dimension != dimension:
            out.append(f"constants fitted on {self.model_dimension} models; this run's model is {dimension}")
        if self.constitutive != constitutive:
            out.append(f"constants fitted on dW / strain from a {self.constitutive} solder law; this run uses {constitutive}")
        fitted = self.volume_averaging_thickness
        if fitted is not None:
            if layer_thickness_um is None:
                out.append(f"averaged over the whole region; constants fitted with a {fitted:g} um layer")
            elif abs(layer_thickness_um - fitted) > 1e-6 * fitted:
                out.append(f"averaged over {layer_thickness_um:g} um; constants fitted with a {fitted:g} um layer")
            elif joint_height_um is not None and joint_height_um < 2.0 * fitted:
                out.append(f"the joint ({joint_height_um:.4g} um high) cannot hold two {fitted:g} um layers")
        return out

    def to_dict(self) -> dict:
        return {"alloy": list(self.alloys), "model_dimension": self.model_dimension,
                "constitutive": self.constitutive, "basis": self.description,
                "volume_averaging_thickness": self.volume_averaging_thickness}


@dataclass(frozen=True)
class Darveaux:
    """Darveaux crack initiation and growth: N0 = K1 dW^K2, da/dN = K3 dW^K4, with dW the
    inelastic strain energy density per cycle (MPa) volume-averaged over a layer of the
    basis's thickness (um) at the pad interface. K1 in cycles/MPa^K2, K3 in um/(cycle MPa^K4)."""

    K1: float
    K2: float
    K3: float
    K4: float
    source: str
    basis: Basis

    def initiation(self, dW) -> np.ndarray:
        """N0 = K1 dW^K2, cycles to crack initiation."""
        return self.K1 * np.asarray(dW, dtype=float) ** self.K2

    def growth_rate(self, dW) -> np.ndarray:
        """da/dN = K3 dW^K4, um per cycle."""
        return self.K3 * np.asarray(dW, dtype=float) ** self.K4

    def cycles_to_failure(self, dW, crack_length_um) -> np.ndarray:
        return self.initiation(dW) + crack_length_um / self.growth_rate(dW)

    def constants(self) -> dict:
        return {"K1": self.K1, "K2": self.K2, "K3": self.K3, "K4": self.K4}

    def to_dict(self) -> dict:
        return {**self.constants(), "source": self.source, **self.basis.to_dict()}


@dataclass(frozen=True)
class CoffinManson:
    """Engelmaier's modified Coffin-Manson: N_f = 0.5 (d_gamma / (2 eps_f))^(1/c),
    c = c0 + c1 * T_sj + c2 * ln(1 + f), with d_gamma the cyclic inelastic shear strain *range*,
    T_sj the mean solder-joint temperature (degC) and f cycles/day. A plain Coffin-Manson law is
    the case c1 = c2 = 0."""

    eps_f: float
    c0: float
    c1: float
    c2: float
    source: str
    basis: Basis

    def exponent(self, T_mean_C, cycles_per_day) -> float:
        return self.c0 + self.c1 * T_mean_C + self.c2 * np.log1p(cycles_per_day)

    def cycles_to_failure(self, d_gamma, T_mean_C, cycles_per_day) -> np.ndarray:
        c = self.exponent(T_mean_C, cycles_per_day)
        return 0.5 * (np.asarray(d_gamma, dtype=float) / (2.0 * self.eps_f)) ** (1.0 / c)

    def constants(self) -> dict:
        return {"eps_f": self.eps_f, "c0": self.c0, "c1": self.c1, "c2": self.c2}

    def to_dict(self) -> dict:
        return {**self.constants(), "source": self.source, **self.basis.to_dict()}


@dataclass(frozen=True)
class EnergyLaw:
    """Energy-based life without a separate growth phase (Morrow type, as in Syed 2004):
    N_f = C * dW^k, dW the inelastic strain energy density per cycle (MPa); C in cycles/MPa^k."""

    C: float
    k: float
    source: str
    basis: Basis

    def cycles_to_failure(self, dW) -> np.ndarray:
        return self.C * np.asarray(dW, dtype=float) ** self.k

    def constants(self) -> dict:
        return {"C": self.C, "k": self.k}

    def to_dict(self) -> dict:
        return {**self.constants(), "source": self.source, **self.basis.to_dict()}


@dataclass(frozen=True)
class Fatigue:
    darveaux: Darveaux | None
    coffin_manson: CoffinManson | None
    energy: EnergyLaw | None = None

    def laws(self) -> dict:
        """The laws present, by section name."""
        return {k: v for k, v in (("darveaux", self.darveaux), ("coffin_manson", self.coffin_manson),
                                  ("energy", self.energy)) if v}

    def to_dict(self) -> dict:
        return {k: v.to_dict() for k, v in self.laws().items()}


@dataclass(frozen=True)
class Cure:
    """How a compound forms: its linear chemical (cure) shrinkage from its formation on (positive
    = contraction) and the post-cure hold (s) at its cure temperature, with their sources."""
    shrinkage: float
    hold: float
    source: str
