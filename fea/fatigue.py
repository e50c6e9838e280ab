"""Damage inputs of a closed cycle and the solder fatigue lives they give.

Per cycle and averaging group (a layer next to an interface, or a whole region):

    dW                  = closed-loop integral of sigma : d eps_in   (inelastic energy density, MPa)
    eps_in_accumulated  = sum of sqrt(2/3 d eps_in : d eps_in)       (grows with every step)
    eps_in_range        = max over two instants of sqrt(2/3 (eps_in(t1) - eps_in(t2)) : (...))
    shear_strain_range  = sqrt(3) eps_in_range                       (engineering shear, exact in pure shear)

A closed loop that goes out and back accumulates twice its range. Engelmaier / Coffin-Manson
take the range; Darveaux and the energy law take dW. Every life carries what its constants
were fitted on and whether this damage input matches it (``in_calibration`` and ``reasons``).
"""
from __future__ import annotations

import numpy as np

from .small_strain import equivalent_strain

#: engineering shear strain per unit equivalent strain (von Mises: gamma = sqrt(3) eps_eq in pure shear)
SHEAR_PER_EQUIVALENT = np.sqrt(3.0)
#: the solder law a damage input came from, by constitutive class (fea.constitutive)
CONSTITUTIVE_KIND = {"Anand": "anand", "GarofaloCreep": "garofalo", "NortonCreep": "norton",
                     "J2Plasticity": "plastic"}


def inelastic_strain_range(eps_in: np.ndarray) -> tuple[float, float]:
    """(equivalent range, range of the in-plane engineering shear component) of a loop:
    eps_in (instants, 4) of averaged inelastic strain (engineering shear in the last entry)."""
    eps_in = np.asarray(eps_in, dtype=float)
    if len(eps_in) < 2:
        return 0.0, 0.0
    difference = eps_in[:, None, :] - eps_in[None, :, :]          # every pair of instants
    return float(equivalent_strain(np.moveaxis(difference, -1, 0)).max()), float(np.ptp(eps_in[:, 3]))


def constitutive_kind(law) -> str:
    return CONSTITUTIVE_KIND.get(type(law).__name__, type(law).__name__.lower())


def _applicability(law, constitutive: str, dimension: str, layer_thickness_um, joint_height_um) -> dict:
    reasons = law.basis.reasons(constitutive, dimension, layer_thickness_um, joint_height_um)
    return {"law": type(law).__name__, "source": law.source, **law.constants(), **law.basis.to_dict(),
            "in_calibration": not reasons, "reasons": reasons}


def lives(fatigue, damage: dict, constitutive: str, dimension: str = "2D",
          layer_thickness_um: float | None = None, joint_height_um: float | None = None,
          crack_length_um: float | None = None) -> dict:
    """The lives a material's fatigue data (materials.models.Fatigue) gives for one group's
    damage inputs (dW, shear_strain_range, T_mean, cycles_per_day), each with its applicability.
    Darveaux needs a crack length (the interface the layer lies on)."""
    out = {}
    dW = damage["dW"]
    if dW <= 0:
        return out
    if fatigue.darveaux is not None and crack_length_um is not None:
        d = fatigue.darveaux
        out["darveaux"] = {"N_failure": float(d.cycles_to_failure(dW, crack_length_um)),
                           "N0": float(d.initiation(dW)), "da_dN_um": float(d.growth_rate(dW)),
                           "crack_length_um": crack_length_um,
                           **_applicability(d, constitutive, dimension, layer_thickness_um, joint_height_um)}
    if fatigue.coffin_manson is not None and damage["shear_strain_range"] > 0:
        cm = fatigue.coffin_manson
        d_gamma, T_mean, f = damage["shear_strain_range"], damage["T_mean"], damage["cycles_per_day"]
        out["engelmaier"] = {"N_failure": float(cm.cycles_to_failure(d_gamma, T_mean, f)), "d_gamma": d_gamma,
                             "exponent_c": float(cm.exponent(T_mean, f)), "T_mean": T_mean, "cycles_per_day": f,
                             **_applicability(cm, constitutive, dimension, layer_thickness_um, joint_height_um)}
    if fatigue.energy is not None:
        out["energy"] = {"N_failure": float(fatigue.energy.cycles_to_failure(dW)),
                         **_applicability(fatigue.energy, constitutive, dimension, layer_thickness_um, joint_height_um)}
    return out
