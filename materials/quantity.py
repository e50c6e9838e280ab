"""Temperature-dependent material values: a constant or a table over temperature, with units
and source, and the secant thermal-expansion helpers.

Out-of-range policy: a table is evaluated by linear interpolation inside its range only. A
temperature outside the range raises `InputError` naming material, property, T and the range,
unless the data says ``extrapolate = "constant"``, in which case the end values are held.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fea.errors import InputError

# slack on table ends so that round-off at exactly the end temperature is not an error
_T_TOL = 1e-9


@dataclass(frozen=True)
class Quantity:
    """One material value in project units (MPa, 1/K, degC, um, s)."""

    owner: str = field(compare=False)   # material name, for error messages only
    name: str             # dotted key, e.g. "elastic.E"
    unit: str             # project unit after conversion
    source: str
    value: float | None = None                  # constant ...
    temps: tuple[float, ...] = ()               # ... or a table T (degC, strictly increasing)
    values: tuple[float, ...] = ()              # ... and values
    extrapolate: bool = False                   # hold end values outside the table range

    @property
    def is_table(self) -> bool:
        return self.value is None

    def __call__(self, T) -> np.ndarray:
        T = np.asarray(T, dtype=float)
        if not self.is_table:
            return np.full(T.shape, self.value)
        self.check_range(T)
        return np.interp(T, self.temps, self.values)

    def check_range(self, T) -> None:
        if self.extrapolate or not self.is_table:
            return
        T = np.asarray(T, dtype=float)
        if T.size == 0:
            return
        lo, hi = self.temps[0], self.temps[-1]
        bad = T[(T < lo - _T_TOL) | (T > hi + _T_TOL)]
        if bad.size:
            raise InputError(
                f"material '{self.owner}': {self.name} needs T = {float(bad.flat[0]):g} degC, outside "
                f"its table range [{lo:g}, {hi:g}] degC (extend the table or set extrapolate = \"constant\")"
            )

    def at25(self) -> float:
        """Value at 25 degC, for summaries (end value if 25 degC is outside the table)."""
        if not self.is_table:
            return float(self.value)
        return float(np.interp(25.0, self.temps, self.values))

    def to_dict(self) -> dict:
        out: dict = {"unit": self.unit, "source": self.source}
        if self.is_table:
            out["table"] = [[t, v] for t, v in zip(self.temps, self.values)]
            if self.extrapolate:
                out["extrapolate"] = "constant"
        else:
            out["value"] = self.value
        return out


def secant_from_instantaneous(T, alpha_inst, T_ref: float) -> np.ndarray:
    """Secant CTE about T_ref at the nodes T of a piecewise-linear instantaneous CTE curve.

    alpha_s(T) = (1/(T - T_ref)) * integral_{T_ref}^{T} alpha_inst dT'; at T = T_ref the limit
    alpha_inst(T_ref). Exact for the piecewise-linear curve (trapezoid rule on each segment).
    """
    T = np.asarray(T, dtype=float)
    a = np.asarray(alpha_inst, dtype=float)
    return _secant_eval(T, T, a, T_ref)


def _strain_integral(Tq: np.ndarray, T: np.ndarray, a: np.ndarray) -> np.ndarray:
    """integral_{T[0]}^{Tq} alpha dT for piecewise-linear alpha(T); constant beyond the ends."""
    cum = np.concatenate([[0.0], np.cumsum(0.5 * (a[1:] + a[:-1]) * np.diff(T))])
    Tc = np.clip(Tq, T[0], T[-1])
    i = np.clip(np.searchsorted(T, Tc, side="right") - 1, 0, len(T) - 2)
    dT = Tc - T[i]
    slope = (a[i + 1] - a[i]) / (T[i + 1] - T[i])
    inside = cum[i] + a[i] * dT + 0.5 * slope * dT**2
    # beyond the ends the curve is held constant (callers check ranges first when required)
    return inside + np.where(Tq < T[0], a[0] * (Tq - T[0]), 0.0) + np.where(Tq > T[-1], a[-1] * (Tq - T[-1]), 0.0)


def _secant_eval(Tq: np.ndarray, T: np.ndarray, a: np.ndarray, T_ref: float) -> np.ndarray:
    Tq = np.asarray(Tq, dtype=float)
    strain = _strain_integral(Tq, T, a) - _strain_integral(np.asarray(T_ref, dtype=float), T, a)
    dT = Tq - T_ref
    near = np.abs(dT) < 1e-6
    a_ref = np.interp(T_ref, T, a)
    return np.where(near, a_ref, strain / np.where(near, 1.0, dT))


@dataclass(frozen=True)
class Expansion:
    """Thermal expansion: a secant CTE about `reference_temperature`.

    Stored either as a secant quantity directly, or as an instantaneous (tangent) CTE curve that
    is integrated exactly on evaluation (`kind` says which was given).
    """

    alpha: Quantity              # as given (secant or instantaneous)
    kind: str                    # "secant" or "instantaneous"
    reference_temperature: float # degC

    def secant(self, T) -> np.ndarray:
        T = np.asarray(T, dtype=float)
        if self.kind == "secant":
            return self.alpha(T)
        q = self.alpha
        if not q.is_table:
            return np.full(T.shape, q.value)
        q.check_range(T)
        return _secant_eval(T, np.asarray(q.temps), np.asarray(q.values), self.reference_temperature)

    def to_dict(self) -> dict:
        out = self.alpha.to_dict()
        out["kind"] = self.kind
        out["reference_temperature"] = self.reference_temperature
        return out
