"""Exceptions that the command line turns into one clear line and a non-zero exit, and the one
check of a number a user wrote (model files, material files, inline tables)."""
from __future__ import annotations

import math


class InputError(ValueError):
    """Bad user input: the message is one line naming the parameter, its value and the allowed range."""


class SolverError(RuntimeError):
    """The numerical solution failed (singular system, no convergence); the message says where."""


def shown(value, limit: int = 60) -> str:
    """repr of a user's value for a one-line message, shortened if long."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def finite_number(value, name: str) -> float:
    """``value`` as a float if it is a finite int or float; anything else (true/false, text, a
    list or table, nan, inf) is an InputError naming ``name``."""
    if not isinstance(value, bool) and isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:   # an int beyond float range
            number = math.inf
        if math.isfinite(number):
            return number
    raise InputError(f"{name} = {shown(value)} is not a finite number")


#: temperatures a model may hold, degC: above absolute zero and below 5000 degC, hotter than any
#: solid survives (tungsten, the highest-melting metal, melts at 3422 degC)
TEMPERATURE_RANGE = (-273.15, 5000.0)


def check_temperatures(values, name: str) -> None:
    """Refuse temperatures (degC, a number or an array) outside TEMPERATURE_RANGE, or not finite,
    naming ``name``."""
    import numpy as np

    values = np.asarray(values, dtype=float)
    lo, hi = TEMPERATURE_RANGE
    bad = ~np.isfinite(values) | (values < lo) | (values > hi)
    if np.any(bad):
        worst = values[bad].ravel()[0]
        if not math.isfinite(worst):
            raise InputError(f"{name} = {worst} is not a finite number")
        if values.ndim == 0:
            raise InputError(f"{name} = {worst:g} degC is outside [{lo:g}, {hi:g}] degC")
        raise InputError(f"{name} is outside [{lo:g}, {hi:g}] degC at {int(bad.sum())} of {values.size} "
                         f"points (for example {worst:g} degC)")


def finite_temperature(value, name: str) -> float:
    """A user's temperature (degC): a finite number in TEMPERATURE_RANGE."""
    number = finite_number(value, name)
    check_temperatures(number, name)
    return number
