"""A model as the solvers take it: mesh, analysis, materials, supports, loads, probes and layers.

Plain data: a builder (`geometry`) or a model file (`studies.model_file`) makes one, the
thermoelastic solve (`fea.thermoelastic.solve`) and thermal cycling (`fea.cycling`) take it as
it is, and `studies.model_file.write_model` writes it back as ``model.msh`` + ``model.toml``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np

from .errors import InputError
from .mesh import Mesh


@dataclass(frozen=True)
class Probe:
    """A named point (um) where stresses are read; ``region`` picks the side of a material boundary.
    ``radius`` (um): the disk its stresses are averaged over (default: the studies' own), smaller
    than the thinnest layer at the probe."""
    name: str
    at: tuple[float, float]
    region: str | None = None
    radius: float | None = None


@dataclass(frozen=True)
class Layer:
    """Darveaux averaging layer: the part of ``region`` within ``thickness`` um of ``interface``."""

    name: str
    region: str
    interface: str
    thickness: float
    crack_length: float | None = None  # um; default: the interface's extent (diameter if round)
    # (x0, x1) um: keep only the interface facets and quadrature points in this band (one joint
    # of an assembly, where every joint's interface carries the same name)
    x_range: tuple[float, float] | None = None
    # um: height of the joint the layer lies in; a joint lower than two layers cannot hold the
    # layer its life law was fitted with, and its lives are marked outside calibration
    joint_height: float | None = None

    def facets(self, mesh: Mesh) -> np.ndarray:
        facets = mesh.require_curve(self.interface, f"[[layer]] '{self.name}'")
        if self.x_range is None:
            return facets
        x = mesh.mesh.doflocs[0, mesh.mesh.nvertices + facets]
        kept = facets[(x >= self.x_range[0]) & (x <= self.x_range[1])]
        if kept.size == 0:
            raise InputError(f"[[layer]] '{self.name}': no facet of '{self.interface}' lies in x_range = "
                             f"[{self.x_range[0]}, {self.x_range[1]}] um")
        return kept


@dataclass(frozen=True)
class Amplitude:
    """The time factor of a mechanical load: linear between (t s, factor) points and held at the
    first and last factor outside them (a displacement ramped on and held: [[0, 0], [10, 1]])."""
    points: tuple[tuple[float, float], ...]

    def __post_init__(self):
        times = [t for t, _ in self.points]
        if len(times) < 1 or any(not np.isfinite(v) for point in self.points for v in point):
            raise InputError(f"load history {list(self.points)}: needs finite [t_s, factor] pairs")
        if any(b <= a for a, b in zip(times, times[1:])):
            raise InputError(f"load history {list(self.points)}: times must increase")

    def __call__(self, t: float) -> float:
        times, factors = zip(*self.points)
        return float(np.interp(t, times, factors))


@dataclass(frozen=True)
class Displacement:
    """A prescribed displacement: ``component`` ("x" or "y") of every node of the curve or point
    ``group`` is ``value`` um, times ``amplitude(t)`` in a cycling run if given."""
    group: str
    component: str
    value: float
    amplitude: Amplitude | None = None

    def at(self, t: float | None = None) -> float:
        """The displacement at time t (um); None or no amplitude: the value itself."""
        return self.value if self.amplitude is None or t is None else self.value * self.amplitude(t)


@dataclass(frozen=True)
class Toughness:
    """Interface toughness against the phase angle (Hutchinson & Suo 1992, Adv. Appl. Mech. 29,
    63-191, their mode-dependent toughness): Gc(psi) = G_Ic [1 + tan^2((1 - lambda) psi)], with
    G_Ic the mode-I toughness (J/m^2 = MPa um) and lambda in [0, 1] how weakly the toughness
    rises with mode II (1: not at all, an ideally brittle interface; 0: only the opening counts,
    Gc = G_Ic / cos^2 psi). ``source`` says where the values come from."""
    G_Ic: float
    lam: float
    source: str = ""

    def __post_init__(self):
        if not (np.isfinite(self.G_Ic) and self.G_Ic > 0):
            raise InputError(f"toughness G_Ic = {self.G_Ic!r} J/m^2 must be a finite number > 0")
        if not (np.isfinite(self.lam) and 0.0 <= self.lam <= 1.0):
            raise InputError(f"toughness lambda = {self.lam!r} must lie in [0, 1]")

    def at(self, phase_angle_deg: float) -> float:
        """Gc at the phase angle psi (degrees), J/m^2. A crack pressed shut (|psi| > 90 deg, K1 < 0)
        counts as pure mode II (psi = +-90 deg); (1 - lambda) psi is capped at +-89.9 deg (with
        lambda = 0 a pure mode II crack's toughness is unbounded)."""
        psi = np.radians(np.clip(phase_angle_deg, -90.0, 90.0))
        angle = np.clip((1 - self.lam) * psi, -np.radians(89.9), np.radians(89.9))
        return float(self.G_Ic * (1 + np.tan(angle) ** 2))


@dataclass(frozen=True)
class Crack:
    """A pre-crack along a named interface curve between two regions: from ``start`` (x, y) um,
    its mouth (a free edge, or an interior point where the crack is closed), ``length`` um along
    the interface (``direction``, a vector, picks the way when ``start`` is inside the curve).
    The phase angle is reported at ``reference_length`` um (Rice 1988). ``toughness``: the
    interface's Gc(psi) (`Toughness`); None takes the library's value for the material pair, if any.
    ``contact``: the faces touch without friction where they would interpenetrate (thermoelastic
    solves; `fea.crack.contact_pairs`), else they are traction-free."""
    name: str
    interface: str
    start: tuple[float, float]
    length: float
    direction: tuple[float, float] | None = None
    reference_length: float = 1.0
    toughness: Toughness | None = None
    contact: bool = False


@dataclass(eq=False)
class Model:
    """Everything a solve needs.

    mesh: the meshed cross-section with its named regions, curves and points.
    analysis: plane_strain | generalized_plane_strain | plane_stress | axisymmetric.
    materials: region name -> material (E(T), nu(T), thermal_strain(T, T0),
        stress_free_temperature, law(); see :mod:`materials`).
    temperature: the thermoelastic load: a uniform temperature (degC), an expression of x and y
        (text, see `fea.expressions`) or a function f(x, y); unused when ``load`` is given.
    stress_free_temperature: overrides every material's own stress-free temperature (degC).
    fixed: (group, component) pairs, component "x" or "y": zero displacement on a named curve
        or point.
    displacements: prescribed non-zero displacements (`Displacement`), each with an optional
        time factor for cycling runs.
    tractions: (curve, (t_x, t_y)) pairs: uniform surface traction (MPa).
    traction_amplitudes: curve -> `Amplitude`: the time factor of that curve's traction in a
        cycling run (default: constant).
    bending: generalized plane strain only: the directions ("x", "y") along which the out-of-plane
        strain may vary linearly, so that the slice can bend out of its plane
        (`fea.elasticity.OutOfPlane`); () keeps it uniform.
    probes: points where stresses are reported.
    load: the [load] table of a thermal-cycling history (e.g. {"profile": "G", "cycles": 3});
        None for a thermoelastic solve.
    layers: Darveaux averaging layers of a cycled model.
    title: free text for reports.
    cracks: interface pre-cracks (`Crack`); `fea.crack.with_cracks` splits the mesh along them.
    geometry: what a builder knows beyond the model (structure, level, parameters, detail
        window, closed-form areas, notes); not part of the model's identity.
    """

    mesh: Mesh
    analysis: str
    materials: Mapping[str, object]
    temperature: float | str | Callable = 25.0
    stress_free_temperature: float | None = None
    fixed: Sequence[tuple[str, str]] = ()
    tractions: Sequence[tuple[str, tuple[float, float]]] = ()
    probes: Sequence[Probe] = ()
    load: dict | None = None
    layers: Sequence[Layer] = ()
    title: str = ""
    geometry: object = field(default=None, compare=False)
    displacements: Sequence[Displacement] = ()
    traction_amplitudes: Mapping[str, Amplitude] = field(default_factory=dict)
    bending: tuple[str, ...] = ()
    cracks: Sequence[Crack] = ()

    def __eq__(self, other) -> bool:
        """The same mesh, materials, supports, loads, probes and layers (the temperature only
        counts without a load history, which sets the temperature itself)."""
        if not isinstance(other, Model):
            return NotImplemented

        def key(model: Model) -> tuple:
            return (model.mesh, model.analysis, dict(model.materials),
                    model.temperature if model.load is None else None, model.stress_free_temperature,
                    tuple(model.fixed), tuple((g, tuple(v)) for g, v in model.tractions), tuple(model.probes),
                    tuple(model.displacements), dict(model.traction_amplitudes), tuple(model.bending),
                    model.load, tuple(model.layers), model.title, tuple(model.cracks))

        return key(self) == key(other)

    def start_temperature(self) -> float:
        """Where a load history starts: the stress-free state (the highest material one unless
        the model overrides it, or the first stage of a ``[load] process``)."""
        if self.stress_free_temperature is not None:
            return float(self.stress_free_temperature)
        return max(float(m.stress_free_temperature) for m in self.materials.values())

    def history(self):
        """The load history of ``load`` (a `fea.load_history.LoadHistory`), or None. Without a
        ``stress_free`` override every region forms at its material's stress-free temperature
        (``[load] process`` stages, or the process derived from those temperatures)."""
        from .load_history import from_table
        if self.load is None:
            return None
        regions = {name: getattr(material, "name", name) for name, material in self.materials.items()}
        if self.stress_free_temperature is not None:
            if isinstance(self.load, dict) and "process" in self.load:
                raise InputError("[load] process sets each layer's stress-free state as it forms: give it "
                                 "without [temperature] stress_free (which makes every material stress-free at once)")
            return from_table(self.load, self.start_temperature(), regions)
        formation = {name: float(material.stress_free_temperature) for name, material in self.materials.items()}
        cures = {name: (m.cure.shrinkage, m.cure.hold) for name, m in self.materials.items()
                 if getattr(m, "cure", None) is not None}
        return from_table(self.load, self.start_temperature(), regions, formation, cures)
