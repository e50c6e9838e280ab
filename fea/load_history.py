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

Before the cycles, a process sequence (``[load] process``: named stages, each a temperature
reached by a ramp and held) forms the layers one after another: a region named in a stage's
``forms`` is absent (no stiffness) until the stage's temperature is reached and stress-free in
the shape the stack has then, with an optional cure shrinkage from that moment on; the regions no
stage forms are there, stress-free, at the first stage. Without a process and without a
``stress_free`` override, `formation_process` derives one from the materials' own stress-free
temperatures: the stack starts at the highest one and each layer forms as the cool-down passes
its own (materials whose stress-free temperature is at or below the cycles' start, the library's
reference bodies at 25 degC, are there from the start).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .errors import InputError, finite_number, finite_temperature

DWELL_STEP_SPAN = 16.0
#: K/s of a process stage's ramp when it gives none: 10 K/min, a typical oven ramp (cure ovens
#: and reflow cool-down are 1-6 K/s at most; JEDEC J-STD-020 reflow ramps <= 3 K/s)
PROCESS_RATE = 10.0 / 60.0
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
    # process stages: the regions that form (become stress-free) at the segment's end, with
    # their cure shrinkage (linear strain, positive = contraction), and the stage's name
    forms: tuple[str, ...] = ()
    shrinkage: tuple[tuple[str, float], ...] = ()
    stage: str = ""

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
    # fixed steps integrate by backward Euler, as a peer deck's increments; True: by BDF2 (the
    # time-converged reference of the error control, studies.verification.refined_history)
    second_order_fixed_steps: bool = False
    max_steps: int = DEFAULT_MAX_STEPS
    # cycle jumping: skip cycle_jump cycles (extrapolated) after every two computed ones whose dW
    # differ by less than jump_tolerance (relative); 0: compute every cycle
    cycle_jump: int = 0
    jump_tolerance: float = 0.02
    # a named curve whose warpage (fea.warpage) is recorded at every step
    warpage_surface: str | None = None
    # every layer forms at its own temperature (a [load] process, or the one derived from the
    # materials): solders then melt above their stress-free temperature (the solidus). False: one
    # stress-free state for all, a modelling choice, in which nothing melts
    formation: bool = False

    @property
    def formed_later(self) -> tuple[str, ...]:
        """Regions that a process stage forms (absent before it)."""
        return tuple(name for s in self.segments for name in s.forms)

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


@dataclass(frozen=True)
class Stage:
    """One process stage: ``temperature`` (degC) reached by a ramp of ``ramp`` s (default at
    PROCESS_RATE) and held ``hold`` s; the regions in ``forms`` become stress-free when the
    temperature is reached, shrinking by ``shrinkage`` (region -> linear cure strain) from then on."""
    name: str
    temperature: float
    hold: float = 0.0
    ramp: float | None = None
    forms: tuple[str, ...] = ()
    shrinkage: tuple[tuple[str, float], ...] = ()


def process_segments(stages, max_step_K: float) -> list[Segment]:
    """Cycle-0 segments of a process from t = 0 at the first stage's temperature."""
    segments, t, T = [], 0.0, stages[0].temperature
    for k, stage in enumerate(stages):
        if k and stage.temperature != T:
            duration = stage.ramp if stage.ramp is not None else max(abs(stage.temperature - T) / PROCESS_RATE, 1.0)
            segments.append(Segment(t, t + duration, T, stage.temperature,
                                    _steps_for_ramp(stage.temperature - T, max_step_K), 0, "ramp", stage=stage.name))
            t, T = t + duration, stage.temperature
        if k and (stage.forms or stage.shrinkage):
            if not segments:
                raise InputError(f"[load] process stage '{stage.name}' forms regions at the first stage's "
                                 f"temperature without a ramp or hold before it: name them in the first stage")
            segments[-1] = replace(segments[-1], forms=segments[-1].forms + stage.forms,
                                   shrinkage=segments[-1].shrinkage + stage.shrinkage)
        if stage.hold > 0:
            segments.append(Segment(t, t + stage.hold, T, T, 6, 0, "dwell", stage=stage.name))
            t += stage.hold
    return segments


def formation_process(formation: dict, end: float, start: float | None = None,
                      cures: dict | None = None) -> tuple[Stage, ...]:
    """The process a model without one follows: region -> its material's stress-free (formation)
    temperature; the stack starts at the highest (or at ``start``, where everything formed above
    it is stress-free too: wafer-level films made before the package process), and every region
    whose temperature lies between ``end`` (the cycles' start) and that forms as the cool-down
    passes it; ``cures`` (region -> (linear cure shrinkage, post-cure hold s)) gives a compound
    its shrinkage from its formation on and holds the stage at its cure temperature."""
    cures = cures or {}
    top = max(formation.values()) if start is None else start
    later = sorted({T for T in formation.values() if end < T < top}, reverse=True)
    stages = [Stage(f"stress-free at {top:g} degC", top)]
    for T in later:
        names = tuple(sorted(n for n, v in formation.items() if v == T))
        hold = max([cures[n][1] for n in names if n in cures] or [0.0])
        stages.append(Stage(f"{', '.join(names)} formed at {T:g} degC", T, hold=hold, forms=names,
                            shrinkage=tuple((n, cures[n][0]) for n in names if n in cures and cures[n][0])))
    return tuple(stages)


def process_to(process, T: float, max_step_K: float, rate: float) -> list[Segment]:
    """The process's segments from t = 0, then a ramp at ``rate`` K/s to T (none if it ends there)."""
    segments = process_segments(process, max_step_K)
    t, T0 = (segments[-1].t1, segments[-1].T1) if segments else (0.0, process[0].temperature)
    if T0 == T:
        return segments
    return segments + [Segment(t, t + max(abs(T - T0) / rate, 1.0), T0, T, _steps_for_ramp(T - T0, max_step_K), 0, "ramp",
                               stage="cool-down" if T < T0 else "heat-up")]


def reflow_profile(peak: float = 260.0) -> list[tuple[float, float]]:
    """(time s, temperature degC) of a lead-free reflow profile as IPC/JEDEC J-STD-020E
    classifies it (Table 5-2): ramp-up <= 3 K/s (here 1.5 K/s), preheat 150 -> 200 degC in
    60-120 s (90 s), 60-150 s above the 217 degC liquidus (68 s here), 30 s within 5 K of
    the peak, ramp-down <= 6 K/s (3 K/s); JESD22-B112 heats the package along such a profile."""
    rows = [(0.0, 25.0), (83.0, 150.0), (173.0, 200.0)]
    t = rows[-1][0] + (peak - 5.0 - 200.0) / 1.5
    rows += [(t, peak - 5.0), (t + 10.0, peak), (t + 20.0, peak), (t + 30.0, peak - 5.0)]
    t_cool = rows[-1][0] + (peak - 5.0 - 25.0) / 3.0
    return rows + [(t_cool, 25.0)]


def _steps_for_ramp(dT: float, max_step_K: float) -> int:
    return max(2, int(np.ceil(abs(dT) / max_step_K)))


def jedec_history(profile: str, cycles: int, stress_free: float, start: float = 25.0,
                  ramp_s: float = 900.0, dwell_s: float = 900.0, max_step_K: float = 15.0,
                  dwell_steps: int = 6, cooldown_s: float | None = None,
                  accuracy: float | None = DEFAULT_ACCURACY, process=()) -> LoadHistory:
    """Stress-free -> start (cool-down) -> hot extreme, then ``cycles`` JEDEC cycles; with a
    ``process`` (stages), the process and then a ramp to start at the cycles' rate replace the
    cool-down (and the stress-free temperature is the first stage's)."""
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
    if process:
        stress_free = process[0].temperature
        segments = process_to(process, start, max_step_K, rate)
        t = segments[-1].t1 if segments else 0.0
    else:
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
    origin = (f"after a {len(process)}-stage process from {stress_free:g} degC" if process
              else f"from {stress_free:g} degC")
    return LoadHistory(tuple(segments), stress_free,
                       f"JESD22-A104 condition {key} ({low:g}/{high:g} degC), {cycles} cycles, "
                       f"ramps {ramp_s:g} s, dwells {dwell_s:g} s, {origin} via {start:g} degC",
                       accuracy=accuracy, max_step_K=max_step_K)


def table_history(table, stress_free: float, max_step_K: float = 10.0, max_step_s: float = 300.0,
                  cycle_period: float | None = None, accuracy: float | None = DEFAULT_ACCURACY,
                  process=()) -> LoadHistory:
    """A custom history from rows of (time s, temperature degC), starting at the stress-free
    state at time 0 if the table does not. Cycles are counted by ``cycle_period`` if given
    (from the first row), else the whole table is one cycle. With a ``process`` (stages), the
    process comes first and then a ramp at PROCESS_RATE to the table's first temperature."""
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
    if process:
        stress_free = process[0].temperature
        before = process_to(process, rows[0, 1], max_step_K, PROCESS_RATE)
        shift = rows[0, 0] - (before[-1].t1 if before else 0.0)
        segments = [replace(s, t0=s.t0 + shift, t1=s.t1 + shift) for s in before] + segments
    elif rows[0, 1] != stress_free:
        # the cool-down from the stress-free state at the process rate (not in one second: a
        # creeping solder would see an instant 100 K quench)
        duration = max(abs(stress_free - rows[0, 1]) / PROCESS_RATE, 1.0)
        first = Segment(rows[0, 0] - duration, rows[0, 0], stress_free, rows[0, 1],
                        _steps_for_ramp(stress_free - rows[0, 1], max_step_K), 0, "ramp")
        segments.insert(0, first)
    return LoadHistory(tuple(segments), stress_free, f"custom table of {len(rows)} points",
                       accuracy=accuracy, max_step_K=max_step_K)


LOAD_KEYS = ("profile", "cycles", "start", "ramp", "dwell", "history", "cycle_period", "max_step",
             "stabilise", "max_cycles", "accuracy", "max_steps", "fixed_steps", "cycle_jump", "jump_tolerance",
             "process", "process_start", "warpage", "peak")
STAGE_KEYS = ("stage", "temperature", "hold", "ramp", "forms", "shrinkage")
#: |cure shrinkage| allowed (linear strain): epoxy compounds shrink 0.1-0.5 % linear
MAX_SHRINKAGE = 0.05


def parse_process(entries, regions: dict) -> tuple[Stage, ...]:
    """The stages of ``[load] process`` (a list of tables, in time order); ``regions``: region ->
    material name, to resolve the names in ``forms`` (a region, or a material: all its regions)."""
    if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
        raise InputError("[load] process must be a list of stage tables "
                         "({ stage = name, temperature = degC, hold = s, ramp = s, forms = [regions], shrinkage = { region = strain } })")
    stages, formed = [], {}
    for k, entry in enumerate(entries, start=1):
        where = f"[load] process stage {k}"
        unknown = sorted(set(entry) - set(STAGE_KEYS))
        if unknown:
            raise InputError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(STAGE_KEYS)}")
        name = entry.get("stage", f"stage {k}")
        if not isinstance(name, str) or not name.strip():
            raise InputError(f"{where}: stage = {name!r} must be a name")
        where = f"[load] process stage '{name}'"
        if "temperature" not in entry:
            raise InputError(f"{where}: missing temperature (degC)")
        temperature = finite_temperature(entry["temperature"], f"{where} temperature")
        hold = finite_number(entry.get("hold", 0.0), f"{where} hold")
        if not 0.0 <= hold <= 1e6:
            raise InputError(f"{where}: hold = {hold:g} s is outside [0, 1e6]")
        ramp = None if entry.get("ramp") is None else finite_number(entry["ramp"], f"{where} ramp")
        if ramp is not None and not 1.0 <= ramp <= 1e6:
            raise InputError(f"{where}: ramp = {ramp:g} s is outside [1, 1e6]")
        names = entry.get("forms", [])
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise InputError(f"{where}: forms = {names!r} must be a list of region or material names")
        forms = []
        for n in names:
            matched = [n] if n in regions else sorted(r for r, m in regions.items() if m == n)
            if not matched:
                raise InputError(f"{where}: forms names '{n}', which is neither a region nor a material of the "
                                 f"model; regions: {', '.join(sorted(regions))}")
            for region in matched:
                if region in formed:
                    raise InputError(f"{where}: region '{region}' is formed already, in stage '{formed[region]}': "
                                     f"a layer forms once; stages are in time order")
                formed[region] = name
            forms += matched
        shrinkage = entry.get("shrinkage", {})
        if not isinstance(shrinkage, dict):
            raise InputError(f"{where}: shrinkage must be a table region = linear cure strain")
        shrink = []
        for n, value in shrinkage.items():
            strain = finite_number(value, f"{where} shrinkage {n}")
            matched = [n] if n in regions else sorted(r for r, m in regions.items() if m == n)
            if not matched or not set(matched) <= set(forms):
                raise InputError(f"{where}: shrinkage of '{n}', which this stage does not form: a compound "
                                 f"shrinks as it cures, in the stage that forms it")
            if not -MAX_SHRINKAGE <= strain <= MAX_SHRINKAGE:
                raise InputError(f"{where}: shrinkage {n} = {strain:g} is outside [-{MAX_SHRINKAGE:g}, "
                                 f"{MAX_SHRINKAGE:g}] (linear strain, positive = contraction)")
            shrink += [(r, strain) for r in matched]
        if k == 1 and shrink:
            raise InputError(f"{where}: the first stage is the stack's stress-free start; a shrinking layer "
                             f"forms in a later stage")
        stages.append(Stage(name, temperature, hold, ramp, tuple(forms), tuple(shrink)))
    return tuple(stages)


def _number(table: dict, key: str, default: float | None = None) -> float:
    return finite_number(table.get(key, default), f"[load] {key}")


def from_table(table: dict, stress_free: float | None, regions: dict | None = None,
               formation: dict | None = None, cures: dict | None = None) -> LoadHistory:
    """The history a [load] table describes, starting at the stress-free temperature: a JEDEC
    profile ({profile, cycles, start, ramp, dwell, max_step}) or a custom table
    ({history = [[t_s, T_degC], ...], cycle_period, max_step}), either with optional
    {stabilise = relative dW change, max_cycles}, and either after a process ({process = [stages]};
    ``regions``: region -> material name, to resolve the stages' names) or, without one, with
    ``formation`` (region -> stress-free temperature) after the process `formation_process`
    derives from it; with neither, everything is stress-free at ``stress_free``."""
    if not isinstance(table, dict):
        raise InputError("[load] must be a table")
    unknown = sorted(set(table) - set(LOAD_KEYS))
    if unknown:
        raise InputError(f"[load]: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(LOAD_KEYS))}")
    max_step = _number(table, "max_step", 15.0)
    if not 0.5 <= max_step <= 50.0:
        raise InputError(f"[load] max_step = {max_step} K is outside [0.5, 50]")
    process = ()
    if "process" in table:
        if "process_start" in table:
            raise InputError("[load] process_start sets where the derived process starts: give either it or process")
        process = parse_process(table["process"], regions or {})
    elif formation:
        first_row = table.get("history")
        end = (_number(table, "start", 25.0) if "history" not in table or not isinstance(first_row, list) or not first_row
               else finite_number(first_row[0][1], "[load] history row 1 temperature"))
        start = None if "process_start" not in table else finite_temperature(table["process_start"], "[load] process_start")
        if start is not None and not end <= start:
            raise InputError(f"[load] process_start = {start:g} degC must be at or above the cycles' start ({end:g} degC)")
        process = formation_process(formation, end, start, cures)
        if len(process) == 1:
            process, stress_free = (), process[0].temperature   # one stress-free state: the plain cool-down
    history = _history(table, stress_free, max_step, process)
    surface = table.get("warpage")
    if surface is not None and (not isinstance(surface, str) or not surface):
        raise InputError(f"[load] warpage = {surface!r} must name a curve of the mesh (the face whose warpage is "
                         f"recorded, e.g. \"bottom\")")
    history = replace(history, warpage_surface=surface, formation="process" in table or formation is not None)
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


def _history(table: dict, stress_free: float, max_step: float, process=()) -> LoadHistory:
    if "history" in table:
        if "profile" in table:
            raise InputError("[load]: give either profile or history, not both")
        period = None if table.get("cycle_period") is None else _number(table, "cycle_period")
        if period is not None and not period > 0:
            raise InputError(f"[load] cycle_period = {period:g} s must be > 0")
        return table_history(table["history"], stress_free, max_step_K=max_step, cycle_period=period, process=process)
    if "profile" not in table:
        raise InputError("[load]: missing required key 'profile'")
    if str(table["profile"]).lower() == "reflow":
        peak = _number(table, "peak", 260.0)
        if not 200.0 <= peak <= 300.0:
            raise InputError(f"[load] peak = {peak:g} degC is outside [200, 300] (J-STD-020: 245-260 degC lead-free)")
        if "cycles" in table:
            raise InputError("[load] profile = \"reflow\" is one reflow pass: give it without cycles")
        history = table_history(reflow_profile(peak), stress_free, max_step_K=max_step, process=process)
        return replace(history, description=f"J-STD-020 lead-free reflow profile, peak {peak:g} degC")
    if "peak" in table:
        raise InputError("[load] peak is the reflow profile's peak temperature: it needs profile = \"reflow\"")
    cycles = table.get("cycles", 3)
    if isinstance(cycles, bool) or not isinstance(cycles, int):
        raise InputError(f"[load] cycles = {cycles!r} must be a whole number in [1, 100]")
    return jedec_history(table["profile"], cycles, stress_free, start=_number(table, "start", 25.0),
                         ramp_s=_number(table, "ramp", 900.0), dwell_s=_number(table, "dwell", 900.0),
                         max_step_K=max_step, process=process)
