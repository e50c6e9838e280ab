"""Temperature load histories: cool-down from the stress-free state, then JEDEC cycles.

JESD22-A104 (Temperature Cycling) names its conditions by letter; the ones here are
A (-55/+85), B (-55/+125), C (-65/+150), G (-40/+125), J (0/+100), K (0/+125), N (-40/+85) degC.
Ramp and dwell times are parameters (defaults: 15 min ramps, 15 min dwells, one cycle per hour,
a common choice for board-level tests; the standard asks for dwells of at least 1 min and
ramps of at most 15 K/min for most conditions). Ramps are split into steps of at most 15 K
(the effect of the step size on dW is in docs/performance.md).

A history is a list of segments, each a straight line in (time, temperature) split into steps.
Cycles start at the beginning of the hot dwell, so every cycle is the same sequence
hot dwell -> ramp down -> cold dwell -> ramp up.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .errors import InputError, finite_number

DWELL_STEP_SPAN = 16.0
#: [load] accuracy when none is given: the target relative error of a cycle's dW and inelastic
#: strain (measured against steps 16x smaller in docs/verification.md#time-steps)
DEFAULT_ACCURACY = 0.01
#: [load] max_steps when none is given: the error control's step budget per history segment
DEFAULT_MAX_STEPS = 2000
JEDEC_CONDITIONS = {"A": (-55.0, 85.0), "B": (-55.0, 125.0), "C": (-65.0, 150.0),
                    "G": (-40.0, 125.0), "J": (0.0, 100.0), "K": (0.0, 125.0), "N": (-40.0, 85.0)}


@dataclass(frozen=True)
class Segment:
    """One straight piece of the history: from (t0, T0) to (t1, T1) in ``steps`` steps."""

    t0: float
    t1: float
    T0: float
    T1: float
    steps: int
    cycle: int          # 0 = preload (cool-down / process), 1..N = temperature cycles
    kind: str           # "ramp" or "dwell"

    def times(self) -> np.ndarray:
        if self.kind == "dwell":
            # creep relaxes fastest at the start of a dwell: grow the steps geometrically, the
            # last one DWELL_STEP_SPAN times the first
            fractions = np.geomspace(1.0, DWELL_STEP_SPAN, self.steps) if self.steps > 1 else np.ones(1)
            return self.t0 + (self.t1 - self.t0) * np.cumsum(fractions) / fractions.sum()
        return np.linspace(self.t0, self.t1, self.steps + 1)[1:]

    def temperature(self, t) -> np.ndarray:
        if self.t1 == self.t0:
            return np.full_like(np.asarray(t, float), self.T1)
        return self.T0 + (self.T1 - self.T0) * (np.asarray(t, float) - self.t0) / (self.t1 - self.t0)


@dataclass(frozen=True)
class LoadHistory:
    """Segments from the stress-free state on. With ``stabilise`` (a relative dW change), the
    solver repeats the last cycle until the solder's dW changes by less than that from one cycle
    to the next, or ``max_cycles`` cycles have run."""
    segments: tuple[Segment, ...]
    stress_free: float
    description: str = ""
    stabilise: float | None = None
    max_cycles: int = 10
    # error control: the target relative error of a cycle's dW and inelastic strain (None: the
    # segments' own fixed steps), with at most max_steps steps per segment; ramps never step more
    # than max_step_K
    accuracy: float | None = None
    max_step_K: float = 15.0
    max_steps: int = DEFAULT_MAX_STEPS
    # cycle jumping: skip cycle_jump cycles (extrapolated) after every two computed ones whose dW
    # differ by less than jump_tolerance (relative); 0: compute every cycle
    cycle_jump: int = 0
    jump_tolerance: float = 0.02

    @property
    def cycles(self) -> int:
        return max(s.cycle for s in self.segments)

    def cycle_window(self, cycle: int) -> tuple[float, float]:
        parts = [s for s in self.segments if s.cycle == cycle]
        return parts[0].t0, parts[-1].t1

    def table(self) -> np.ndarray:
        """(time s, temperature degC) at the segment ends, starting at the stress-free state."""
        rows = [(self.segments[0].t0, self.segments[0].T0)]
        rows += [(s.t1, s.T1) for s in self.segments]
        return np.array(rows)


def _steps_for_ramp(dT: float, max_step_K: float) -> int:
    return max(2, int(np.ceil(abs(dT) / max_step_K)))


def jedec_history(profile: str, cycles: int, stress_free: float, start: float = 25.0,
                  ramp_s: float = 900.0, dwell_s: float = 900.0, max_step_K: float = 15.0,
                  dwell_steps: int = 6, cooldown_s: float | None = None,
                  accuracy: float | None = DEFAULT_ACCURACY) -> LoadHistory:
    """Stress-free -> start (cool-down) -> hot extreme, then ``cycles`` JEDEC cycles."""
    key = str(profile).upper()
    if key not in JEDEC_CONDITIONS:
        raise InputError(f"[load] profile = '{profile}' is not a JESD22-A104 condition; "
                         f"choose one of {', '.join(JEDEC_CONDITIONS)}")
    if not isinstance(cycles, int) or not 1 <= cycles <= 100:
        raise InputError(f"[load] cycles = {cycles} is outside [1, 100]")
    for name, value in (("ramp", ramp_s), ("dwell", dwell_s)):
        if not 1.0 <= value <= 86400.0:
            raise InputError(f"[load] {name} = {value} s is outside [1, 86400]")
    low, high = JEDEC_CONDITIONS[key]
    rate = (high - low) / ramp_s
    segments = []
    t = 0.0
    cooldown_s = abs(stress_free - start) / rate if cooldown_s is None else cooldown_s
    if start != stress_free:
        segments.append(Segment(t, t + max(cooldown_s, 1.0), stress_free, start,
                                _steps_for_ramp(stress_free - start, max_step_K), 0, "ramp"))
        t = segments[-1].t1
    to_hot = max(abs(high - start) / rate, 1.0)
    segments.append(Segment(t, t + to_hot, start, high, _steps_for_ramp(high - start, max_step_K), 0, "ramp"))
    t = segments[-1].t1
    n_ramp = _steps_for_ramp(high - low, max_step_K)
    for cycle in range(1, cycles + 1):
        for T0, T1, duration, kind, steps in ((high, high, dwell_s, "dwell", dwell_steps),
                                              (high, low, ramp_s, "ramp", n_ramp),
                                              (low, low, dwell_s, "dwell", dwell_steps),
                                              (low, high, ramp_s, "ramp", n_ramp)):
            segments.append(Segment(t, t + duration, T0, T1, steps, cycle, kind))
            t += duration
    return LoadHistory(tuple(segments), stress_free,
                       f"JESD22-A104 condition {key} ({low:g}/{high:g} degC), {cycles} cycles, "
                       f"ramps {ramp_s:g} s, dwells {dwell_s:g} s, from {stress_free:g} degC via {start:g} degC",
                       accuracy=accuracy, max_step_K=max_step_K)


def table_history(table, stress_free: float, max_step_K: float = 10.0, max_step_s: float = 300.0,
                  cycle_period: float | None = None, accuracy: float | None = DEFAULT_ACCURACY) -> LoadHistory:
    """A custom history from rows of (time s, temperature degC), starting at the stress-free
    state at time 0 if the table does not. Cycles are counted by ``cycle_period`` if given
    (from the first row), else the whole table is one cycle."""
    rows = np.asarray(table, dtype=float)
    if rows.ndim != 2 or rows.shape[1] != 2 or len(rows) < 2:
        raise InputError("[load] history must be a table of at least two [time_s, temperature_degC] rows")
    if np.any(np.diff(rows[:, 0]) <= 0):
        raise InputError("[load] history times must increase strictly")
    if not np.all(np.isfinite(rows)):
        raise InputError("[load] history has non-finite values")
    segments = []
    for (t0, T0), (t1, T1) in zip(rows[:-1], rows[1:]):
        kind = "dwell" if T0 == T1 else "ramp"
        steps = (max(2, int(np.ceil((t1 - t0) / max_step_s))) if kind == "dwell"
                 else max(_steps_for_ramp(T1 - T0, max_step_K), int(np.ceil((t1 - t0) / (4 * max_step_s)))))
        cycle = 1 if cycle_period is None else int((t0 - rows[0, 0]) // cycle_period) + 1
        segments.append(Segment(t0, t1, T0, T1, min(steps, 50) if kind == "dwell" else steps, cycle, kind))
    if rows[0, 1] != stress_free:
        first = Segment(rows[0, 0] - 1.0, rows[0, 0], stress_free, rows[0, 1],
                        _steps_for_ramp(stress_free - rows[0, 1], max_step_K), 0, "ramp")
        segments.insert(0, first)
    return LoadHistory(tuple(segments), stress_free, f"custom table of {len(rows)} points",
                       accuracy=accuracy, max_step_K=max_step_K)


LOAD_KEYS = ("profile", "cycles", "start", "ramp", "dwell", "history", "cycle_period", "max_step",
             "stabilise", "max_cycles", "accuracy", "max_steps", "fixed_steps", "cycle_jump", "jump_tolerance")


def _number(table: dict, key: str, default: float | None = None) -> float:
    return finite_number(table.get(key, default), f"[load] {key}")


def from_table(table: dict, stress_free: float) -> LoadHistory:
    """The history a [load] table describes, starting at the stress-free temperature: a JEDEC
    profile ({profile, cycles, start, ramp, dwell, max_step}) or a custom table
    ({history = [[t_s, T_degC], ...], cycle_period, max_step}), either with optional
    {stabilise = relative dW change, max_cycles}."""
    if not isinstance(table, dict):
        raise InputError("[load] must be a table")
    unknown = sorted(set(table) - set(LOAD_KEYS))
    if unknown:
        raise InputError(f"[load]: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(LOAD_KEYS))}")
    max_step = _number(table, "max_step", 15.0)
    if not 0.5 <= max_step <= 50.0:
        raise InputError(f"[load] max_step = {max_step} K is outside [0.5, 50]")
    history = _history(table, stress_free, max_step)
    accuracy = _number(table, "accuracy", DEFAULT_ACCURACY)
    if not 0.0 < accuracy < 0.1:
        raise InputError(f"[load] accuracy = {accuracy:g} is outside (0, 0.1): the target relative error of a "
                         f"cycle's dW and inelastic strain from the time steps (default {DEFAULT_ACCURACY:g})")
    budget = table.get("max_steps", DEFAULT_MAX_STEPS)
    if isinstance(budget, bool) or not isinstance(budget, int) or not 1 <= budget <= 1_000_000:
        raise InputError(f"[load] max_steps = {budget!r} must be a whole number in [1, 1000000]: the time steps "
                         f"one segment of the history may take (default {DEFAULT_MAX_STEPS})")
    fixed = table.get("fixed_steps", False)
    if not isinstance(fixed, bool):
        raise InputError(f"[load] fixed_steps = {fixed!r} must be true or false")
    if fixed and ("accuracy" in table or "max_steps" in table):
        raise InputError("[load] fixed_steps = true takes the segments' own steps: give it without accuracy and max_steps")
    # fixed steps: the segments' own (max_step K ramps, geometric dwells), backward Euler, as a
    # peer deck's increments
    history = replace(history, accuracy=None if fixed else accuracy, max_steps=budget)
    jump = table.get("cycle_jump", 0)
    if isinstance(jump, bool) or not isinstance(jump, int) or not 0 <= jump <= 1000:
        raise InputError(f"[load] cycle_jump = {jump!r} must be a whole number in [0, 1000]: the cycles skipped "
                         f"(extrapolated) after every two computed ones once the loop has stabilised")
    jump_tolerance = _number(table, "jump_tolerance", 0.02)
    if not 0.0 < jump_tolerance < 0.5:
        raise InputError(f"[load] jump_tolerance = {jump_tolerance:g} is outside (0, 0.5): the relative dW change "
                         f"between two computed cycles below which cycles are skipped")
    if jump and "stabilise" in table:
        raise InputError("[load] cycle_jump and stabilise do not go together: stabilise repeats the last cycle "
                         "until dW settles, cycle_jump skips cycles of a long history once it has")
    history = replace(history, cycle_jump=jump, jump_tolerance=jump_tolerance)
    if "stabilise" not in table:
        if "max_cycles" in table:
            raise InputError("[load] max_cycles needs stabilise (the dW change that ends the cycling)")
        return history
    tolerance = _number(table, "stabilise")
    if not 0.0 < tolerance < 0.5:
        raise InputError(f"[load] stabilise = {tolerance} is outside (0, 0.5): the relative dW change per cycle")
    cap = table.get("max_cycles", 10)
    if isinstance(cap, bool) or not isinstance(cap, int) or not history.cycles <= cap <= 100:
        raise InputError(f"[load] max_cycles = {cap!r} must be a whole number in [{history.cycles}, 100] "
                         f"(at least the {history.cycles} cycles of the history)")
    return replace(history, stabilise=tolerance, max_cycles=cap)


def _history(table: dict, stress_free: float, max_step: float) -> LoadHistory:
    if "history" in table:
        if "profile" in table:
            raise InputError("[load]: give either profile or history, not both")
        period = None if table.get("cycle_period") is None else _number(table, "cycle_period")
        if period is not None and not period > 0:
            raise InputError(f"[load] cycle_period = {period:g} s must be > 0")
        return table_history(table["history"], stress_free, max_step_K=max_step, cycle_period=period)
    if "profile" not in table:
        raise InputError("[load]: missing required key 'profile'")
    cycles = table.get("cycles", 3)
    if isinstance(cycles, bool) or not isinstance(cycles, int):
        raise InputError(f"[load] cycles = {cycles!r} must be a whole number in [1, 100]")
    return jedec_history(table["profile"], cycles, stress_free, start=_number(table, "start", 25.0),
                         ramp_s=_number(table, "ramp", 900.0), dwell_s=_number(table, "dwell", 900.0),
                         max_step_K=max_step)
