"""Cyclic board bending: an assembly slice in a four-point bend fixture (JESD22-B113 style).

The fixture. A slice runs from the package centre line x = 0 (its symmetry plane, which is the
fixture's too) outwards, with the board on the joints. For a bend test the board is extended to
the support line x_S = support_span / 2 and cut at the load line x_L = load_span / 2 into the
``board`` and the ``board_arm`` beyond it:

* load line: the board's cross-section at x_L (the interface ``board/board_arm``) moves by
  v = -s a w(t) (a: the amplitude in um; w: the waveform, at most 1; s = +1 when the package
  hangs below the board), so a positive amplitude bends the board's package side into tension,
  as JESD22-B113 loads a board mounted components down;
* support: the board's end face at x_S is held at v = 0;
* the symmetry plane x = 0 is held at u = 0 as in every slice; with the support it stops every
  rigid-body motion, so the slice's ``anchor`` point is released.

Cross-sections, not anvil points: a point force on a 2D section has a logarithmically unbounded
displacement under it (its stiffness falls as the mesh refines), while a prescribed section
displacement is the beam deflection itself. The anvils' contact stresses are left out: they die
out within about a board thickness (Saint-Venant), and the load lines are at least one board
thickness beyond the package.

Beam theory of the bare board (per unit depth, plane strain: E' = E / (1 - nu^2), I = t^3 / 12,
arm a = x_S - x_L, load P per load line): the moment between the load lines is M = P a, the
curvature there M / (E' I), and the load line moves relative to the supports by

    delta = P a^2 (3 l + 2 a) / (6 E' I) + P a / (kappa G t),   l = load_span, kappa = 5/6

(the second term is Timoshenko's shear deflection of the two arms; `studies.board_bend` checks it).

The load. w(t) is a sine or a triangle at ``frequency``, one-sided (``ratio`` 0: 0 -> 1 -> 0, as
the standard cycles) or fully reversed (``ratio`` -1: 0 -> 1 -> 0 -> -1 -> 0), from the first
cycle on; the piecewise-linear `fea.model.Amplitude` samples it at SAMPLES_PER_PERIOD per period
(the extremes exactly), each sample a fixed time step. Isothermal at ``temperature``, where the assembly is stress-free: the
bending starts from an unstressed slice (the reflow's residual stresses taken as relaxed), and
every bend cycle is a damage cycle. Or combined with a temperature profile (``thermal``: a [load]
table, with its cool-down from the builder's stress-free state): the bending runs from the start
of the profile's first cycle, and its cycles are the damage cycles.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from fea.errors import InputError, finite_number
from fea.model import Amplitude, Displacement, Model

from .meshing import MeshSizes, ModelSpec, mesh_model
from .parameters import format_value
from .parts import ANCHOR, SLICE_ANALYSIS
from .shapes import VOID, Boundary, Cut, Disk, Intersect, Layer, Outline, Union, rect

#: the regions a builder's ``lands_and_board`` paints as the board (or second substrate)
BOARD_REGIONS = ("board", "second_substrate")
#: name of the board's end face at the support line
SUPPORT = "bend_support"
#: waveform samples per period (the extremes and zeros among them). Each is a time step: a bend
#: history runs with fixed backward-Euler steps (under error control the first loading from the
#: stress-free state allows an error below the Newton tolerance's noise, and the steps collapse).
#: The dW of a repeated cycle moves by 1.6 % from 64 to 128 samples (coarse molded-joint slice,
#: B113 fixture, 2 mm), by 3.2 % from 32
SAMPLES_PER_PERIOD = 64
#: most waveform samples of a combined bend and temperature history (each one is a time step)
MAX_SAMPLES = 20000
WAVEFORMS = ("sine", "triangle")
RATIOS = (0.0, -1.0)
#: keys of a bend table, and (LOAD_OPTIONS) the solver keys it passes on to its [load] table as they are
BEND_KEYS = ("support_span", "load_span", "amplitude", "frequency", "waveform", "ratio", "cycles",
             "temperature", "thermal")
LOAD_OPTIONS = ("stabilise", "max_cycles", "accuracy", "max_steps", "fixed_steps")


def arm_of(board: str) -> str:
    """Region name of the board beyond the load line."""
    return f"{board}_arm"


def load_line_of(board: str) -> str:
    """The load line: the interface between the board and its arm (names in alphabetical order)."""
    return "/".join(sorted((board, arm_of(board))))


@dataclass(frozen=True)
class BendTest:
    """A four-point cyclic bend test (um, Hz, degC, s). Defaults: the JESD22-B113 fixture (support
    span 110 mm, load span 75 mm), 1 Hz (the standard allows 1-3 Hz), a sine from 0 to 2 mm,
    isothermal at 25 degC, three cycles."""
    support_span: float = 110000.0
    load_span: float = 75000.0
    amplitude: float = 2000.0
    frequency: float = 1.0
    waveform: str = "sine"
    ratio: float = 0.0
    cycles: int = 3
    temperature: float = 25.0
    thermal: dict | None = None
    load_options: tuple[tuple[str, object], ...] = ()

    def __post_init__(self):
        check_range("amplitude", self.amplitude, 0.0, 20000.0, "um", "the load lines' displacement from the "
                    "supports", open_low=True)
        check_range("frequency", self.frequency, 0.0, 100.0, "Hz", "", open_low=True)
        check_range("support_span", self.support_span, 0.0, 1e6, "um", "", open_low=True)
        check_range("load_span", self.load_span, 0.0, self.support_span, "um",
                    f"inside the support span {format_value(self.support_span)} um", open_low=True, open_high=True)
        if self.waveform not in WAVEFORMS:
            raise InputError(f"bend waveform = {self.waveform!r} is not one of {{{', '.join(WAVEFORMS)}}}")
        if self.ratio not in RATIOS:
            raise InputError(f"bend ratio = {format_value(self.ratio)} is not one of {{0, -1}} (the lowest "
                             f"over the highest displacement: 0 one-sided, -1 fully reversed)")
        if isinstance(self.cycles, bool) or not isinstance(self.cycles, int) or not 1 <= self.cycles <= 100:
            raise InputError(f"bend cycles = {self.cycles!r} is outside [1, 100] (a whole number)")
        check_range("temperature", self.temperature, -65.0, 150.0, "degC", "the JESD22-A104 range")
        if self.thermal is not None and not isinstance(self.thermal, dict):
            raise InputError("bend thermal must be a [load] table of a temperature profile")

    @classmethod
    def from_table(cls, table: dict) -> "BendTest":
        """A bend test from a table of BEND_KEYS (and LOAD_OPTIONS for the [load] table)."""
        if not isinstance(table, dict):
            raise InputError("bend must be a table of " + ", ".join(BEND_KEYS))
        unknown = sorted(set(table) - set(BEND_KEYS) - set(LOAD_OPTIONS))
        if unknown:
            raise InputError(f"bend: unknown key(s) {', '.join(unknown)}; allowed: "
                             f"{', '.join(BEND_KEYS + LOAD_OPTIONS)}")
        if "thermal" in table and ({"temperature", "cycles"} & set(table) or set(LOAD_OPTIONS) & set(table)):
            raise InputError("bend: with thermal (a temperature profile) its [load] table sets the temperature, "
                             "the cycles and the solver options; give them there")
        values = {k: table[k] for k in BEND_KEYS if k in table}
        for key in ("support_span", "load_span", "amplitude", "frequency", "ratio", "temperature"):
            if key in values:
                values[key] = finite_number(values[key], f"bend {key}")
        options = tuple((k, table[k]) for k in LOAD_OPTIONS if k in table)
        return cls(**values, load_options=options)

    @property
    def period(self) -> float:
        return 1.0 / self.frequency

    def waveform_points(self, start: float, periods: int) -> tuple[tuple[float, float], ...]:
        """(t, w) samples of ``periods`` periods of the waveform from ``start`` (s)."""
        phases, values = self._one_period()
        points = [(self.time_at(start, c, phase), float(w)) for c in range(periods)
                  for phase, w in zip(phases[:-1], values[:-1])]
        return tuple(points + [(self.time_at(start, periods, 0.0), 0.0)])

    def time_at(self, start: float, cycle: int, phase: float) -> float:
        """The time of ``phase`` (0..1) into cycle ``cycle`` (from 0) after ``start``: one formula for
        the waveform's samples and the history's rows, so that equal instants are equal floats."""
        return float(start + self.period * (cycle + phase))

    def _one_period(self) -> tuple[np.ndarray, np.ndarray]:
        """Phase (0..1) and w of one period's samples, both ends included."""
        phase = np.linspace(0.0, 1.0, SAMPLES_PER_PERIOD + 1)
        if self.waveform == "triangle":
            corners = ([0.0, 0.5, 1.0], [0.0, 1.0, 0.0]) if self.ratio == 0.0 else \
                ([0.0, 0.25, 0.5, 0.75, 1.0], [0.0, 1.0, 0.0, -1.0, 0.0])
            return phase, np.interp(phase, *corners)
        if self.ratio == 0.0:
            w = 0.5 * (1.0 - np.cos(2 * np.pi * phase))
        else:
            w = np.sin(2 * np.pi * phase)
        return phase, np.round(w, 15)


def check_range(name: str, value: float, lo: float, hi: float, unit: str, why: str = "", *,
                open_low: bool = False, open_high: bool = False) -> None:
    """One-line InputError naming the bend parameter, its value and the allowed interval."""
    below = value <= lo if open_low else value < lo
    above = value >= hi if open_high else value > hi
    if below or above or not math.isfinite(value):
        interval = f"{'(' if open_low else '['}{format_value(lo)}, {format_value(hi)}{')' if open_high else ']'}"
        tail = f" ({why})" if why else ""
        raise InputError(f"bend {name} = {format_value(value)} {unit} is outside {interval}{tail}")


# ------------------------------------------------------------------------------------ geometry

def x_extent(shape) -> float:
    """Largest x a shape reaches (an upper bound for arcs)."""
    if isinstance(shape, Outline):
        n = len(shape.points)
        tips = [centre[0] + math.dist(shape.points[i], centre) for i, centre in shape.arcs
                if arc_passes_east(shape.points[i], shape.points[(i + 1) % n], centre)]
        return max([x for x, _ in shape.points] + tips)
    if isinstance(shape, Disk):
        return shape.cx + shape.r
    if isinstance(shape, Cut):
        return x_extent(shape.base)
    if isinstance(shape, Intersect):
        return min(x_extent(shape.a), x_extent(shape.b))
    if isinstance(shape, Union):
        return max(x_extent(s) for s in shape.parts)
    raise TypeError(f"unknown shape {shape!r}")


def arc_passes_east(p, q, centre) -> bool:
    """Whether the shorter circular arc from p to q about ``centre`` passes through the point due
    east of the centre (where it reaches its largest x)."""
    (ax, ay), (bx, by) = (p[0] - centre[0], p[1] - centre[1]), (q[0] - centre[0], q[1] - centre[1])
    turn = ax * by - ay * bx                 # the arc's sense: counter-clockwise if > 0
    # east = (1, 0): between a and b in the arc's sense, on the arc's side of the chord
    return (-ay) * turn >= 0 and by * turn >= 0 and ax + bx > 0


def board_layer(spec: ModelSpec) -> tuple[int, Layer, tuple[float, float, float]]:
    """The board's layer in a slice's spec: its index, the layer and the board's (x1, y0, y1)."""
    for k, layer in enumerate(spec.layers if spec.level == "assembly" else ()):
        if layer.region in BOARD_REGIONS and isinstance(layer.shape, Outline) and len(layer.shape.points) == 4:
            xs, ys = zip(*layer.shape.points)
            if min(xs) == 0.0:
                return k, layer, (max(xs), min(ys), max(ys))
    raise InputError(f"{spec.structure} ({spec.level}) has no board to bend: bending needs an assembly slice "
                     f"with a board (level = assembly), centre to edge")


def package_end(spec: ModelSpec, board: str) -> float:
    """How far (um from the centre line) the package reaches: every layer but the board and its lands."""
    return max((x_extent(layer.shape) for layer in spec.layers if layer.region not in (board, "land", VOID)),
               default=0.0)


def check_fixture(test: BendTest, package: float, thickness: float) -> None:
    """The supports at least two board thicknesses and the load lines at least one beyond the
    package; the supports at least a board thickness beyond the load lines."""
    reach = f"the package reaches {format_value(package)} um from the centre, the board is {format_value(thickness)} um thick"
    check_range("support_span", test.support_span, 2 * (package + 2 * thickness), 1e6, "um",
                f"the supports at least two board thicknesses beyond the package: {reach}")
    check_range("load_span", test.load_span, 2 * (package + thickness), test.support_span - 2 * thickness, "um",
                f"the load lines at least a board thickness beyond the package and inside the supports: {reach}")


def fixture_spec(spec: ModelSpec, test: BendTest) -> ModelSpec:
    """The slice's spec with its board reaching the supports and cut at the load lines, held by
    the symmetry plane and the support face (the anchor released)."""
    k, layer, (_, y0, y1) = board_layer(spec)
    board = layer.region
    taken = {l.region for l in spec.layers} | {b.name for b in spec.boundaries}
    if {arm_of(board), SUPPORT} & taken:
        raise RuntimeError(f"{spec.structure} already names a region or boundary {arm_of(board)} or {SUPPORT}")
    check_fixture(test, package_end(spec, board), y1 - y0)
    x_load, x_support = test.load_span / 2, test.support_span / 2
    layers = list(spec.layers)
    layers[k] = Layer(board, rect(0.0, y0, x_load, y1), layer.priority)
    layers.insert(k + 1, Layer(arm_of(board), rect(x_load, y0, x_support, y1), layer.priority))
    areas = dict(spec.closed_form_areas)
    if board in areas:
        areas[board] = x_load * (y1 - y0)
        areas[arm_of(board)] = (x_support - x_load) * (y1 - y0)
    bcs = tuple(bc for bc in spec.bcs if bc["group"] != ANCHOR) + ({"group": SUPPORT, "fix": ["y"]},)
    # the load line is a section, not a material interface: mesh it at the far-field size
    sizes = dataclasses.replace(spec.sizes, interfaces={**spec.sizes.interfaces, load_line_of(board): spec.sizes.far})
    note = (f"four-point bend: board extended to the supports at x = {format_value(x_support)} um, load line at "
            f"x = {format_value(x_load)} um (cross-sections of the board, anvil contact left out)")
    return dataclasses.replace(spec, layers=tuple(layers), materials={**spec.materials, arm_of(board): spec.materials[board]},
                               boundaries=spec.boundaries + (Boundary(SUPPORT, "x", x_support),), bcs=bcs,
                               sizes=sizes, closed_form_areas=areas, notes=spec.notes + (note,))


def bare_board_spec(thickness: float, test: BendTest, size: float, material: str = "fr4") -> ModelSpec:
    """A bare board in the bend fixture (the verification of the fixture against beam theory):
    elements of ``size`` um; the board's lower face at y = 0."""
    board = rect(0.0, 0.0, test.support_span / 2, thickness)
    spec = ModelSpec(structure="bare-board", level="assembly", analysis=SLICE_ANALYSIS,
                     layers=(Layer("board", board, 1),), boundaries=(Boundary("symmetry", "x", 0.0),),
                     materials={"board": material}, bcs=({"group": "symmetry", "fix": ["x"]},), probes=(),
                     sizes=MeshSizes(far=size, interface=size, corner=size),
                     closed_form_areas={"board": board.area()})
    return fixture_spec(spec, test)


# ------------------------------------------------------------------------------------ the load

def package_side(model: Model, board: str) -> float:
    """+1 when the package lies below the board (y under its lower face), -1 above."""
    mesh = model.mesh.mesh
    y_board = mesh.p[1, mesh.t[:, model.mesh.regions[board]]].mean()
    others = np.concatenate([e for r, e in model.mesh.regions.items() if r not in (board, arm_of(board))] or [[]])
    if others.size == 0:
        return 1.0
    return 1.0 if mesh.p[1, mesh.t[:, others.astype(int)]].mean() < y_board else -1.0


def bent(model: Model, test: BendTest) -> Model:
    """A fixture model (from `fixture_spec`) with the load line's displacement history and the
    temperature history of the test."""
    board = next(r for r in BOARD_REGIONS if arm_of(r) in model.mesh.regions)
    if test.thermal is None:
        load, start, stress_free = isothermal_table(test), 0.0, test.temperature
        periods = max(test.cycles, int(dict(test.load_options).get("max_cycles", test.cycles)))
    else:
        thermal = dataclasses.replace(model, load=dict(test.thermal))
        history = thermal.history()
        start, end = history.cycle_window(1)[0], history.segments[-1].t1
        repeats = (history.max_cycles - history.cycles) if history.stabilise is not None else 0
        end += repeats * (history.cycle_window(history.cycles)[1] - history.cycle_window(history.cycles)[0])
        periods = math.ceil((end - start) * test.frequency - 1e-9)
        load, stress_free = dict(test.thermal), model.stress_free_temperature
        samples = periods * len(test._one_period()[0])
        if samples > MAX_SAMPLES:
            raise InputError(f"bend frequency = {format_value(test.frequency)} Hz over the temperature profile's "
                             f"{format_value(end - start)} s is {periods} bend cycles ({samples} waveform samples, "
                             f"each a time step; at most {MAX_SAMPLES}): lower the frequency (e.g. one bend per "
                             f"temperature cycle)")
    amplitude = Amplitude(test.waveform_points(start, periods))
    push = Displacement(load_line_of(board), "y", -package_side(model, board) * test.amplitude, amplitude)
    return dataclasses.replace(model, displacements=tuple(model.displacements) + (push,), load=load,
                               stress_free_temperature=stress_free)


def isothermal_table(test: BendTest) -> dict:
    """The [load] table of an isothermal bend test: the test temperature held, one row per quarter
    period (history segments end at the waveform's extremes, where the snapshots are taken)."""
    rows = [[test.time_at(0.0, c, q / 4), float(test.temperature)] for c in range(test.cycles) for q in range(4)]
    rows.append([test.time_at(0.0, test.cycles, 0.0), float(test.temperature)])
    # cycles are counted as floor(t / cycle_period): a hair under the period keeps every row time
    # k P / 4, rounded in floating point, inside its own cycle
    options = dict(test.load_options)
    if "accuracy" not in options and "max_steps" not in options:
        options.setdefault("fixed_steps", True)     # see SAMPLES_PER_PERIOD
    return {"history": rows, "cycle_period": test.period * (1 - 1e-9), **options}


def bend_model(builder, level: str, mesh_size_factor: float, library, test: BendTest) -> Model:
    """A builder's slice in the bend fixture, meshed, with the test's load."""
    return bent(mesh_model(fixture_spec(builder.spec(level), test), mesh_size_factor, library), test)


def load_line(model: Model) -> Displacement | None:
    """The load line's prescribed displacement of a bent model, or None."""
    lines = {load_line_of(b) for b in BOARD_REGIONS}
    return next((d for d in model.displacements if d.group in lines and d.amplitude is not None), None)


def bend_factor(model: Model, t: float) -> float:
    """w(t) of a bent model: the load line's displacement over its amplitude (0 without bending)."""
    push = load_line(model)
    return 0.0 if push is None else push.amplitude(t)
