"""Thermal cycling: incremental Newton solution through a temperature history with
viscoplastic solder, plastic metals and elastic everything else.

At every step n -> n+1 find u with

    R(u) = int B^T sigma(eps(u) - eps_th(T_n+1), state_n, dt) dV - f_ext = 0

by Newton's method on the consistent tangent K = int B^T D B dV (fea.operators), with
backtracking line search, automatic step cut-back when a step does not converge and growth
back to the nominal step after easy steps. Factorizations are reused across iterations and
steps while the convergence rate stays good (modified Newton), and refreshed when it does not.

Per cycle the inelastic strain energy density dW and the accumulated equivalent inelastic
strain are volume-averaged over every inelastic region and over thin layers next to named
interfaces (Darveaux's averaging); fatigue lives follow from the material's constants.
"""
from __future__ import annotations

import dataclasses
import itertools
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import scipy.sparse as sp

from . import elasticity, small_strain
from .errors import InputError, SolverError
from .fatigue import SHEAR_PER_EQUIVALENT, constitutive_kind, inelastic_strain_range, lives
from .linsolve import NotPositiveDefinite, factorize
from .load_history import LoadHistory
from .mesh import Mesh
from .model import Layer, Model
from .operators import FreeTangent, StrainOperator
from .constitutive import Elastic
from .thermoelastic import check_constrained, fixed_dofs, make_basis, prescribed_dofs, traction_load
from .small_strain import equivalent_strain as equivalent
from .warpage import surface as warpage_surface, warpage
from .time_integration import MAX_STEP_RATIO, accumulate_from, bdf2_coefficients, bdf2_start, local_error, predictor

CYCLING_ANALYSES = ("plane_strain", "generalized_plane_strain", "axisymmetric")
# plane stress is not cycled, so a free thermal strain enters all three normal components
THERMAL_DIRECTION = small_strain.thermal_direction("plane_strain")
# error control: BDF2's local error ~ dt^3 against an allowed error per step; step-size safety
ERROR_ORDER = 3.0
SAFETY = 0.8
# a step's local error may be this share of the cycle's allowed error (accuracy x its inelastic
# strain): a cycle's errors relax with the stress instead of adding up, and this share keeps the
# measured cycle errors below accuracy (docs/verification.md#time-steps)
STEP_SHARE = 0.25
# the error control's shortest step, as a share of its segment
MIN_STEP_SHARE = 1e-6
# steps between recomputations of the elastic regions' force size (fea.cycling._force_scale)
ELASTIC_FORCE_EVERY = 8
# a step starts with a new factorization when its creep time step is this far from the tangent's
TANGENT_DT_SPAN = 2.0
LINE_SEARCH_STEPS = (1.0, 0.5, 0.25, 0.125, 0.0625, 0.03125)
# stiffness of a region before a process stage forms it (liquid compound, molten solder), as a
# fraction of its modulus: it follows the stack without carrying load (element birth)
UNFORMED_STIFFNESS = 1e-6
UNFORMED_LAW = Elastic()


@dataclass
class Cycling:
    """A model cycled through a load history (default: the model's own ``load``), with its
    averaging layers (default: the model's own) and the Newton settings."""
    model: Model                     # mesh, analysis, materials, supports (its temperature is unused)
    history: LoadHistory | None = None
    layers: Sequence[Layer] | None = None
    # residual norm / element internal-force scale (Abaqus's default is 5e-3); its effect on dW
    # is in docs/performance.md
    tolerance: float = 1e-4
    max_iterations: int = 12
    max_cutbacks: int = 8
    # error control: rejected steps in a row before the run stops (the step budget per segment
    # is the history's max_steps)
    max_rejections: int = 12
    # refactorize when an iteration reduces the residual by less than this factor, or so little
    # that more than two further iterations would be needed
    refactor_ratio: float = 0.5
    stabilised_change: float = 0.05  # |dW_N - dW_N-1| / dW_N below which a cycle is stabilised
    # laws linear at a given step (viscoelastic: sigma = D(dt, T) eps + sigma_h) assembled like the
    # elastic regions, their states updated once per accepted step; False: through the
    # per-iteration constitutive update of the inelastic regions (the same result, slower)
    linear_viscoelastic: bool = True

    def __post_init__(self):
        if self.history is None:
            self.history = self.model.history()
        if self.history is None:
            raise InputError("thermal cycling needs a load history ([load] in the model)")
        if self.layers is None:
            self.layers = tuple(self.model.layers)


@dataclass
class Group:
    """An averaging group: quadrature points of a region (or a layer of it) and their volumes."""

    name: str
    region: str
    points: np.ndarray   # indices into the region's flattened quadrature points
    volume: np.ndarray   # dV of those points


@dataclass
class RegionState:
    name: str
    elements: np.ndarray
    material: object
    law: object             # constitutive law (fea.constitutive)
    stress_free: float
    volume: np.ndarray      # (n,) dV of the region's quadrature points (flattened)
    state: dict
    previous: dict | None = None   # the state one accepted step back (BDF2)
    # process history: a region a stage forms later is absent (UNFORMED_STIFFNESS) until then;
    # from its formation on its mechanical strain is eps - offset - eps_th(T; stress_free), with
    # offset the total strain it was formed in, minus its cure shrinkage
    formed: bool = True
    offset: np.ndarray | None = None
    # solders (materials with an alloy) are liquid above their stress-free temperature, which the
    # library sets at the solidus: absent above it, formed again when they solidify
    melts_at: float | None = None

    @property
    def inelastic(self) -> bool:
        return self.law.inelastic

    @property
    def linear_in_step(self) -> bool:
        """Linear in the strain at a given step (`fea.viscoelastic.Viscoelastic.affine_step`)."""
        return bool(getattr(self.law, "linear_in_step", False))

    @property
    def rate_law(self) -> bool:
        """Integrated in time (BDF2 with error control); rate-independent laws are not."""
        return self.law.rate_dependent


@dataclass
class CyclingResult:
    analysis: str
    steps: list = field(default_factory=list)        # per converged step: t, T, cycle, iterations
    cycles: list = field(default_factory=list)       # per cycle: window, dW, strains per group
    hysteresis: dict = field(default_factory=dict)   # per group: time series of averages
    fatigue: dict = field(default_factory=dict)
    snapshots: list = field(default_factory=list)    # (time, T, u, per-region fields)
    jumps: list = field(default_factory=list)        # cycle jumps: after which cycle, how many skipped
    formations: list = field(default_factory=list)   # process stages: time, temperature, regions formed
    # [load] warpage: per accepted step time, temperature, cycle, signed warpage and coplanarity (um)
    warpage: dict = field(default_factory=dict)
    stats: dict = field(default_factory=dict)
    u: np.ndarray | None = None
    regions: list = field(default_factory=list)
    basis: object = None
    operator: object = None


class StepFailed(Exception):
    pass


def _volume_average(values: np.ndarray, volume: np.ndarray) -> np.ndarray:
    return (values * volume).sum(axis=-1) / volume.sum()


def build_groups(cycling: Cycling, regions: list[RegionState], quad_points: np.ndarray) -> list[Group]:
    """One group per inelastic region, plus one per requested layer."""
    mesh = cycling.model.mesh
    by_name = {r.name: r for r in regions}
    groups = [Group(r.name, r.name, np.arange(r.volume.size), r.volume) for r in regions if r.inelastic]
    for layer in cycling.layers:
        region = by_name.get(layer.region)
        if region is None:
            raise InputError(f"[[layer]] '{layer.name}': region '{layer.region}' is not in the mesh; "
                             f"it has: {', '.join(by_name)}")
        if not layer.thickness > 0:
            raise InputError(f"[[layer]] '{layer.name}': thickness = {layer.thickness} must be > 0 um")
        facets = layer.facets(mesh)
        x = quad_points[:, region.elements].reshape(2, -1)
        distance = distance_to_facets(mesh, facets, x)
        inside = distance <= layer.thickness
        if layer.x_range is not None:
            inside &= (x[0] >= layer.x_range[0]) & (x[0] <= layer.x_range[1])
        points = np.flatnonzero(inside)
        if points.size == 0:
            raise InputError(f"[[layer]] '{layer.name}': no quadrature point of '{layer.region}' lies within "
                             f"{layer.thickness} um of '{layer.interface}'; use a thicker layer or a finer mesh")
        groups.append(Group(layer.name, layer.region, points, region.volume[points]))
    return groups


def distance_to_facets(named: Mesh, facets: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Distance from points (2, n) to the curve made of the facets (each as two chords)."""
    mesh = named.mesh
    ends = mesh.facets[:, facets]
    mid = mesh.nvertices + facets
    p = mesh.doflocs
    starts = np.hstack([p[:, ends[0]], p[:, mid]])
    stops = np.hstack([p[:, mid], p[:, ends[1]]])
    best = np.full(points.shape[1], np.inf)
    for chunk in np.array_split(np.arange(starts.shape[1]), max(1, starts.shape[1] // 256)):
        a, b = starts[:, chunk][:, :, None], stops[:, chunk][:, :, None]
        ab = b - a
        t = np.clip(np.sum((points[:, None, :] - a) * ab, axis=0) / np.maximum(np.sum(ab * ab, axis=0), 1e-300), 0, 1)
        closest = a + ab * t[None]
        best = np.minimum(best, np.hypot(*(points[:, None, :] - closest)).min(axis=0))
    return best


def interface_extent(named: Mesh, facets: np.ndarray, axisymmetric: bool) -> float:
    """Crack path length across interface facets: their diameter if round, else their length."""
    ends = named.mesh.facets[:, facets]
    p = named.mesh.doflocs
    if axisymmetric:
        return 2.0 * float(p[0, ends].max())
    return float(np.hypot(*(p[:, ends[1]] - p[:, ends[0]])).sum())


class Solver:
    """The incremental Newton machinery for one Cycling problem."""

    def __init__(self, cycling: Cycling, method: str = "auto"):
        model = cycling.model
        if model.analysis not in CYCLING_ANALYSES:
            # the laws update a full 3D strain state; plane stress would need eps_33 solved to
            # sigma_33 = 0 inside every law at every point, which they do not do
            raise InputError(f"analysis = '{model.analysis}' cannot be cycled: the inelastic laws take the "
                             f"out-of-plane strain as known, and plane stress leaves it unknown at every point; "
                             f"use one of {', '.join(CYCLING_ANALYSES)}")
        self.cycling = cycling
        self.method = method
        mesh = model.mesh
        missing = [name for name in mesh.regions if name not in model.materials]
        if missing:
            raise InputError(f"region(s) without a material: {', '.join(missing)}")
        self.basis = make_basis(mesh)
        self.operator = StrainOperator(self.basis, model.analysis, elasticity.out_of_plane(model))
        self.quad_points = self.basis.mapping.F(self.basis.X)
        self.nqp = self.quad_points.shape[2]
        fixed = fixed_dofs(model)
        check_constrained(model, fixed)
        self.free = np.ones(self.operator.n, dtype=bool)
        self.free[fixed] = False
        # the residual's norm weighs the out-of-plane resultant int sigma_33 dA (generalized plane
        # strain: the last unknown) by 1 / sqrt(area), which makes it a force like the nodal ones
        # and its relative size that of the mean sigma_33 error; unweighted it is a force times a
        # length and dominates the norm, and Newton iterates on it alone
        # (curvatures: their moments int sigma_33 g dA by 1 / sqrt(int g^2 dA), likewise)
        self.residual_weight = np.ones(int(self.free.sum()))
        n_g = self.operator.G.shape[0]
        if n_g:
            self.residual_weight[-n_g:] = 1.0 / np.sqrt((self.operator.G ** 2 * self.operator.weights).sum(axis=(1, 2)))
        # mechanical loads: each traction's load vector with its time factor, the prescribed
        # displacements' dofs (their values follow their own time factors)
        self.tractions = []
        for curve, value in model.tractions:
            vector = np.zeros(self.operator.n)
            vector[:self.basis.N] = traction_load(dataclasses.replace(model, tractions=[(curve, value)]), self.basis)
            self.tractions.append((model.traction_amplitudes.get(curve), vector))
        self.prescribed, self.u_prescribed = prescribed_dofs(model)
        self._prescribed_vary = any(d.amplitude is not None for d in model.displacements)
        # constant loads are set once, here; only loads with a history of their own change per step
        self._loads_vary = self._prescribed_vary or any(a is not None for a, _ in self.tractions)
        amplitudes = [d.amplitude for d in model.displacements] + list(model.traction_amplitudes.values())
        self.load_times = sorted({t for a in amplitudes if a is not None for t, _ in a.points})
        self._set_external(cycling.history.segments[0].t0)
        self.regions = []
        for name, elements in mesh.regions.items():
            material = model.materials[name]
            # the history starts where every region present is stress-free (the override, or the
            # first process stage); a region formed later gets its stress-free state then
            T0 = cycling.history.stress_free
            law = material.law(analysis=model.analysis)
            volume = self.operator.weights[elements].ravel()
            self.regions.append(RegionState(name, elements, material, law, float(T0), volume,
                                            law.initial_state(volume.size),
                                            formed=name not in cycling.history.formed_later,
                                            melts_at=(float(material.stress_free_temperature)
                                                      if getattr(material, "alloy", "") and cycling.history.formation
                                                      else None)))
        self._properties = {}
        self._elastic_force_squared = 0.0
        surface = cycling.history.warpage_surface
        self.surface = None if surface is None else (surface,) + warpage_surface(mesh, surface)
        self.groups = build_groups(cycling, self.regions, self.quad_points)
        self._split_regions()
        self.factorization = None
        self.definite = True           # Cholesky until a tangent is not positive definite
        self.refactor_next = True
        self.factorized_dt = 1.0       # time step of the tangent in the factorization
        self.force_reference = 0.0
        self.accuracy = cycling.history.accuracy
        self.counters = {"iterations": 0, "factorizations": 0, "cutbacks": 0, "steps": 0, "rejected": 0,
                         "time_error": 0.0, "inelastic_increment": 0.0,
                         "assembly_s": 0.0, "factorization_s": 0.0, "constitutive_s": 0.0}

    # ------------------------------------------------------- linear and nonlinear regions
    def _split_regions(self) -> None:
        """Regions whose law is linear (elastic) have, at a given temperature, the tangent
        sum_r lambda_r(T) K_vol,r + mu_r(T) K_shear,r (D = lambda VOLUMETRIC + mu SHEAR, with
        matrices fixed per mesh) and the internal force K_el(T) u - f_th(T). Only the inelastic
        regions go through the strain operator, the constitutive update and the element tangent
        at every iteration (the elastic ones are most of an assembly model's elements); the
        elastic laws update the states of their regions once a step has converged.

        Viscoelastic regions are linear at a given step too: sigma = D(dt, T) eps + sigma_h with
        D = lambda_t VOLUMETRIC + mu_t SHEAR (`Viscoelastic.affine_step`), so they join the linear
        ones with step-dependent coefficients and the history force int B^T sigma_h dV; their arms
        are updated once per accepted step (`_commit_linear_in_step`)."""
        def stepped_linearly(region):
            return region.linear_in_step and self.cycling.linear_viscoelastic

        self.nonlinear = [r for r in self.regions if r.inelastic and not stepped_linearly(r)]
        self.linear = [r for r in self.regions if not r.inelastic or stepped_linearly(r)]

        def restricted(regions):
            elements = np.concatenate([r.elements for r in regions] or [np.zeros(0, dtype=int)])
            bounds = np.cumsum([0] + [r.elements.size for r in regions])
            return self.operator.restricted(elements), [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]

        self.nonlinear_operator, self.nonlinear_slices = restricted(self.nonlinear)
        self.linear_operator, self.linear_slices = restricted(self.linear)
        linear_ops = [self.operator.restricted(r.elements) for r in self.linear]
        self._linear_ops = linear_ops
        self.pattern = FreeTangent([self.nonlinear_operator] + linear_ops, self.free)
        parts, thermal = [], []
        for k, op in enumerate(linear_ops, start=1):
            shape = (4, 4) + op.weights.shape
            entries = np.stack([op.element_entries(np.broadcast_to(D[:, :, None, None], shape))
                                for D in (small_strain.VOLUMETRIC, small_strain.SHEAR)], axis=1)
            parts.append(self.pattern.combination(k, entries))
            unit = np.broadcast_to(THERMAL_DIRECTION[:, None, None], (4,) + op.weights.shape)
            thermal.append(op.internal_force(unit)[self.free])   # int B^T [1 1 1 0] dV
        self._linear_parts = sp.hstack(parts, format="csr") if parts else None
        self._thermal_parts = np.column_stack(thermal) if thermal else None
        self._linear_cache = (None, None)
        self._coupling_parts = None     # K_el[free, prescribed] parts, built when first needed
        # int B^T VOLUMETRIC offset dV and int B^T SHEAR offset dV of the elastic regions formed
        # in a process stage (their force on the stack is lambda(T), mu(T) times these)
        self._offset_forces = {}

    def _linear_moduli(self, region: RegionState, T_old: float, T_new: float, dt: float):
        """(lambda, mu, sigma_h or None) of a linear region over the step: its elastic Lame
        constants at T_new, or a formed viscoelastic region's step moduli and history stress."""
        E, nu, _ = self._material_at(region, T_new, 1)
        if region.linear_in_step and region.formed:
            return region.law.affine_step(region.state, T_old, T_new, dt, E[0], nu[0])
        lam, mu = small_strain.lame(E, nu)
        return lam[0], mu[0], None

    def _linear_at(self, T_old: float, T_new: float, dt: float):
        """Tangent (upper-triangle data of the free pattern) and thermal (and history) force of
        the linear regions over a step to T_new: thermal stress (3 lambda + 2 mu) eps_th in 11,
        22, 33; a viscoelastic region's history stress sigma_h adds int B^T sigma_h dV."""
        if not self.linear:
            return np.zeros(self.pattern.nnz), np.zeros(self.pattern.n)
        coefficients, thermal = [], []
        force = np.zeros(self.pattern.n)
        for region, op in zip(self.linear, self._linear_ops):
            lam, mu, history = self._linear_moduli(region, T_old, T_new, dt)
            eth = self._material_at(region, T_new, 1)[2][0]
            coefficients += [lam, mu]
            thermal.append((3 * lam + 2 * mu) * eth)
            if history is not None:   # on the right-hand side: f_th - int B^T sigma_h dV
                force = force - op.internal_force(history.reshape((4,) + op.weights.shape))[self.free]
        key = np.array(coefficients)
        if self._linear_cache[0] is None or not np.array_equal(self._linear_cache[0], key):
            self._linear_cache = (key, self._linear_parts @ key)   # dwells: the same temperature
        force = force + self._thermal_parts @ np.array(thermal)
        for k, (volumetric, shear) in self._offset_forces.items():
            lam, mu = coefficients[2 * k], coefficients[2 * k + 1]
            force = force + lam * volumetric + mu * shear
        return self._linear_cache[1], force

    def _linear_states(self, u, T_old: float, T_new: float, dt: float) -> list[dict]:
        """States of the linear regions for the displacement u at the end of a step from T_old to
        T_new (uniform temperatures), from their laws: the elastic ones at T_new, the viscoelastic
        ones stepped from their last accepted state."""
        if not self.linear:
            return []
        eps = self.linear_operator.strain(u)
        return [self._linear_state(region, eps[:, part].reshape(4, -1), T_old, T_new, dt)
                for region, part in zip(self.linear, self.linear_slices)]

    def _linear_state(self, region: RegionState, eps, T_old: float, T_new: float, dt: float) -> dict:
        """One linear region's state for its total strain eps (4, n) at the end of a step."""
        E, nu, eth = self._material_at(region, T_new, 1)     # uniform temperature: one value each
        if not region.formed:
            return {**region.state, "stress": np.zeros_like(eps)}
        eps_mech = eps - THERMAL_DIRECTION[:, None] * eth
        if region.offset is not None:
            eps_mech = eps_mech - region.offset
        if region.linear_in_step:
            return region.law.update(eps_mech, region.state, T_old, T_new, dt, E[0], nu[0])[2]
        return region.law.update(eps_mech, region.state, T_new, T_new, 1.0, E[0], nu[0])[2]

    def _refresh_linear_states(self, u, T: float) -> None:
        """The elastic regions' stress in their states (for snapshots): not kept per iteration
        (the viscoelastic ones' states are the accepted steps', `_commit_linear_in_step`)."""
        for region, state in zip(self.linear, self._linear_states(u, T, T, 1.0)):
            if not region.linear_in_step:
                region.state = state

    def _commit_linear_in_step(self, u, T_old: float, T_new: float, dt: float) -> None:
        """An accepted step: the viscoelastic linear regions' arms move to its end."""
        for region, op in zip(self.linear, self._linear_ops):
            if region.linear_in_step and region.formed:
                state = self._linear_state(region, op.strain(u).reshape(4, -1), T_old, T_new, dt)
                region.previous, region.state = region.state, state

    # ----------------------------------------------------------------- one step
    def _material_at(self, region: RegionState, T: float, n: int | None = None):
        """E, nu and the free thermal strain of a region at the uniform temperature T (for n
        points, default all of the region's); the last temperature's values are kept (dwells,
        iterations and rejected steps ask again for the same one)."""
        n = region.volume.size if n is None else n
        cached = self._properties.get((region.name, n))
        if cached is not None and cached[0] == T:
            return cached[1]
        if region.formed:
            Tn = np.full(n, T)
            E, nu = region.material.E(Tn), region.material.nu(Tn)
            eth = region.material.thermal_strain(Tn, np.full_like(Tn, region.stress_free))
        else:   # absent: follows the stack, no thermal strain (its moduli at its own stress-free state)
            Tn = np.full(n, float(region.material.stress_free_temperature))
            E, nu, eth = UNFORMED_STIFFNESS * region.material.E(Tn), region.material.nu(Tn), np.zeros(n)
        self._properties[(region.name, n)] = (T, (E, nu, eth))
        return E, nu, eth

    def _evaluate(self, u, T_old, T_new, starts, properties, guesses=None):
        """Stress, tangent and trial states of the inelastic regions for the displacement u
        (the stress over nonlinear_operator's elements; the tangent per region, joined only when it
        is factorized: most evaluations' tangents never are); starts: per region the (state, dt) its law
        steps from (the BDF2 start for rate laws); guesses: trial states of an earlier iteration
        of the same step, to start the local solves from."""
        t0 = time.perf_counter()
        eps = self.nonlinear_operator.strain(u)
        stress = np.empty_like(eps)
        tangent = []
        states = []
        for k, (region, part, (E, nu, eth), (start, dt)) in enumerate(
                zip(self.nonlinear, self.nonlinear_slices, properties, starts)):
            n = region.volume.size
            eps_mech = eps[:, part].reshape(4, n) - THERMAL_DIRECTION[:, None] * eth
            if region.offset is not None:
                eps_mech = eps_mech - region.offset
            if region.formed:
                s, D, st = region.law.update(eps_mech, start, np.full(n, T_old),
                                             np.full(n, T_new), dt, E, nu,
                                             guess=None if guesses is None else guesses[k])
            else:   # absent until its process stage: soft and elastic, its state does not move
                s, D, _ = UNFORMED_LAW.update(eps_mech, region.state, T_old, T_new, dt, E, nu)
                st = region.state
            stress[:, part] = s.reshape(4, -1, self.nqp)
            tangent.append(D.reshape(4, 4, -1, self.nqp))
            states.append(st)
        self.counters["constitutive_s"] += time.perf_counter() - t0
        return stress, tangent, states

    def _residual(self, stress, u, linear):
        """Residual on the free unknowns: inelastic internal forces + K_el(T) u - f_th(T) - f_ext."""
        K_data, f_thermal = linear
        free = self.free
        r = (self.nonlinear_operator.internal_force(stress)[free] - self.f_ext[free] - f_thermal
             + self.pattern.matvec(K_data, u[free]))
        # not np.linalg.norm: its BLAS dot can take milliseconds (threads waking) on a busy machine
        weighted = r * self.residual_weight
        return r, float(np.sqrt(np.sum(weighted * weighted)))

    def _force_scale(self, stress, u, T_old: float, T_new: float, dt: float, refresh_elastic: bool = True) -> float:
        """Size of the internal forces of all elements, for the tolerance. The elastic regions'
        part (their strains and stresses: most of the elements) is recomputed only when asked
        and kept otherwise: the reference is the largest size so far, and theirs follows the
        temperature slowly."""
        squared = self.nonlinear_operator.force_scale(stress) ** 2
        if self.linear and not refresh_elastic:
            return float(np.sqrt(squared + self._elastic_force_squared))
        if self.linear:
            elastic = np.concatenate([st["stress"].reshape(4, -1, self.nqp)
                                      for st in self._linear_states(u, T_old, T_new, dt)], axis=1)
            self._elastic_force_squared = float(self.linear_operator.force_scale(elastic) ** 2)
            squared += self._elastic_force_squared
        return float(np.sqrt(squared))

    def _factorize(self, tangent, linear_data):
        t0 = time.perf_counter()
        tangent = np.concatenate(tangent, axis=2) if tangent else np.empty((4, 4, 0, self.nqp))
        data = linear_data + self.pattern.data(0, self.nonlinear_operator.element_entries(tangent))
        self.counters["assembly_s"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        try:
            if self.factorization is None:
                self.factorization = factorize(self.pattern.symmetric(data), self.method, definite=self.definite)
            elif self.factorization.method == "pardiso":
                # same pattern every time: keep the ordering, redo the numbers (upper triangle only)
                self.factorization.refactor(self.pattern.matrix(data))
            else:
                self.factorization.refactor(self.pattern.symmetric(data))
        except NotPositiveDefinite:
            # hardening plasticity and creep have positive definite tangents, and Cholesky is
            # the cheaper factorization; once a tangent is not (softening), keep the pivoting
            # solver for the rest of the run
            self.definite = False
            self.factorization = factorize(self.pattern.symmetric(data), self.method, definite=False)
        self.counters["factorization_s"] += time.perf_counter() - t0
        self.counters["factorizations"] += 1

    def _step_ratio(self, dt: float) -> float:
        """w = dt_n / dt_n-1 of a BDF2 step; 0 (backward Euler) at the start of a run, where the
        step grows too fast for variable-step BDF2 to stay zero-stable, and for fixed steps unless
        the history asks for second-order ones (the time-converged reference)."""
        if len(self.past_times) < 2:
            return 0.0
        if self.accuracy is None and not self.cycling.history.second_order_fixed_steps:
            return 0.0   # fixed steps (accuracy None): backward Euler throughout, as a peer deck's steps
        ratio = dt / (self.past_times[-1] - self.past_times[-2])
        return ratio if ratio <= MAX_STEP_RATIO else 0.0

    def _starts(self, dt: float, ratio: float) -> list:
        """Per inelastic region the (state, dt) its law steps from: the BDF2 start y* and g dt for
        rate laws, the last state and dt for rate-independent ones."""
        gamma = bdf2_coefficients(ratio)[2]
        return [(bdf2_start(r.state, r.previous, ratio), gamma * dt) if r.rate_law and ratio > 0
                else (r.state, dt) for r in self.nonlinear]

    def _set_external(self, t: float) -> None:
        """External forces and prescribed displacements at time t, and the forces' size (for
        the convergence test: a purely mechanical load starts from zero stress)."""
        self.f_ext = sum((vector * (1.0 if amplitude is None else amplitude(t)) for amplitude, vector in self.tractions),
                         np.zeros(self.operator.n))
        if self._prescribed_vary:
            self.u_prescribed = prescribed_dofs(self.cycling.model, t)[1]
        self.external_scale = float(np.sqrt(np.sum((self.f_ext[self.free] * self.residual_weight) ** 2)))

    def _coupling_at(self, T_old: float, T_new: float, dt: float) -> sp.csr_matrix:
        """K_el(T)[free, prescribed] of the elastic regions: their force on the free unknowns from
        the prescribed displacements (the free pattern holds only free x free)."""
        if self._coupling_parts is None:
            self._coupling_parts = []
            for region in self.linear:
                op = self.operator.restricted(region.elements)
                shape = (4, 4) + op.weights.shape
                self._coupling_parts.append([op.tangent(np.broadcast_to(D[:, :, None, None], shape))
                                             [self.free][:, self.prescribed]
                                             for D in (small_strain.VOLUMETRIC, small_strain.SHEAR)])
        total = sp.csr_matrix((int(self.free.sum()), self.prescribed.size))
        for region, (volumetric, shear) in zip(self.linear, self._coupling_parts):
            lam, mu, _ = self._linear_moduli(region, T_old, T_new, dt)
            total = total + lam * volumetric + mu * shear
        return total

    def step(self, u, T_old, T_new, dt, guess=None, ratio: float = 0.0, refresh_elastic: bool = True,
             t_new: float | None = None):
        """Newton iterations for one step from u (or from a predicted guess), with the rate laws'
        BDF2 step ratio; returns (u, states, stress, iterations, residual history) or raises
        StepFailed. The states carry work and strain accumulated from the last state."""
        properties = [self._material_at(r, T_new) for r in self.nonlinear]
        linear = self._linear_at(T_old, T_new, dt)
        if t_new is not None and self._loads_vary:
            self._set_external(t_new)
        if self.prescribed.size and self.linear:
            linear = (linear[0], linear[1] - self._coupling_at(T_old, T_new, dt) @ self.u_prescribed)
        starts = self._starts(dt, ratio)
        tangent_dt = min(d for _, d in starts) if starts else dt
        u = (u if guess is None else guess).copy()
        u[self.prescribed] = self.u_prescribed
        history = []
        try:
            stress, tangent, states = self._evaluate(u, T_old, T_new, starts, properties)
        except SolverError as exc:
            raise StepFailed(str(exc)) from None
        r, norm = self._residual(stress, u, linear)
        # relative to the largest internal forces of the history so far (like Abaqus's
        # time-averaged force), so a step where the stress passes through zero can converge, and
        # to the external forces (a purely mechanical load starts from zero stress)
        self.force_reference = max(self.force_reference,
                                   self._force_scale(stress, u, T_old, T_new, dt, refresh_elastic),
                                   self.external_scale)
        scale = self.force_reference
        fresh_at = None      # the iteration whose du came from a tangent of this step's last iterate
        for iteration in range(self.cycling.max_iterations + 1):
            history.append(norm)
            if norm <= self.cycling.tolerance * max(scale, 1e-30) or norm < 1e-14:
                states = [accumulate_from(r.state, st) if r.rate_law and ratio > 0 and r.formed else st
                          for r, st in zip(self.nonlinear, states)]
                return u, states, stress, iteration, history
            if iteration == self.cycling.max_iterations:
                break
            slow = False
            if len(history) > 1:
                # modified Newton: keep the factorization while it contracts the residual fast
                # enough to converge within two more iterations (each far cheaper than a new one)
                contraction = norm / history[-2]
                remaining = np.log(self.cycling.tolerance * scale / norm)   # < 0: not converged
                to_go = remaining / np.log(contraction) if contraction < 1 else np.inf
                slow = contraction > self.cycling.refactor_ratio or to_go > 2
                if slow and fresh_at == iteration - 1 and iteration >= 4:
                    # the last iteration had a current tangent and the last three contracted too
                    # slowly (their geometric mean) to converge within the iterations left: cut
                    # the step back now instead of iterating to the limit
                    rate = (norm / history[-4]) ** (1 / 3)
                    if rate >= 1 or remaining / np.log(rate) > self.cycling.max_iterations - iteration:
                        break
            # a creep tangent belongs to its time step: one from a long dwell step is far too soft
            # for a short ramp step (the first ramp step after a dwell then fails to converge)
            other_dt = iteration == 0 and not 1 / TANGENT_DT_SPAN <= tangent_dt / self.factorized_dt <= TANGENT_DT_SPAN
            if self.factorization is None or self.refactor_next or slow or other_dt:
                self._factorize(tangent, linear[0])
                self.factorized_dt = tangent_dt
                self.refactor_next = False
                fresh_at = iteration
            du = np.zeros_like(u)
            du[self.free] = self.factorization.solve(-r)
            # backtracking line search on the residual norm (creeping solder near its flow stress
            # is almost perfectly plastic: a full Newton step can overshoot into unloading)
            best = None
            for alpha in LINE_SEARCH_STEPS:
                try:
                    trial = self._evaluate(u + alpha * du, T_old, T_new, starts, properties, states)
                except SolverError:
                    continue
                r_trial, norm_trial = self._residual(trial[0], u + alpha * du, linear)
                if best is None or norm_trial < best[0]:
                    best = (norm_trial, alpha, trial, r_trial)
                if norm_trial < (1.0 - 1e-4 * alpha) * norm:
                    break
            if best is None:
                raise StepFailed("constitutive update failed at every line-search length")
            norm_trial, alpha, trial, r_trial = best
            if norm_trial >= norm:
                self.refactor_next = True  # no descent: the tangent is stale, renew it
            u = u + alpha * du
            stress, tangent, states = trial
            r, norm = r_trial, norm_trial
            self.counters["iterations"] += 1
        self.refactor_next = True
        raise StepFailed("residual history " + ", ".join(f"{h:.3g}" for h in history))

    # ----------------------------------------------------------------- the history
    def run(self, progress: Callable | None = None, snapshot_every_segment: bool = True) -> CyclingResult:
        """Follow the history segment by segment, each to its step times; one summary per cycle
        (cycle 0, the cool-down before the cycles, gets none) and one snapshot per segment."""
        model = self.cycling.model
        result = CyclingResult(model.analysis, regions=self.regions, basis=self.basis, operator=self.operator)
        for g in self.groups:
            result.hysteresis[g.name] = {"time": [], "temperature": [], "stress": [], "eps_in": [],
                                         "w_in": [], "eps_eq_in": []}
        if self.surface is not None:
            result.warpage = {"surface": self.surface[0], "x": self.surface[1].tolist(), "time": [], "temperature": [],
                              "cycle": [], "warpage_um": [], "coplanarity_um": []}
        first = self.cycling.history.segments[0]
        self.u, self.t, self.T = np.zeros(self.operator.n), first.t0, first.T0
        self.u_path = []    # (t, u) of the segment's last accepted steps, for the predictor
        # BDF2 and its error estimate: the last accepted times and inelastic strains
        self.past_times = [first.t0]
        self.past_values = {r.name: [r.state["eps_in"]] for r in self.nonlinear if r.rate_law}
        self.dt_next = (first.t1 - first.t0) / first.steps
        self.first_steps = {}     # (kind, T0, T1) of a segment: the first step it settled on
        self.cycle_rate = None    # mean inelastic strain rate of the last cycle (error control)
        self.formations = []      # process stages: when and at which temperature regions formed
        history = self.cycling.history
        # the period the allowed error refers to: a cycle's, or the whole history's without cycles
        window = history.cycle_window(history.cycles) if history.cycles >= 1 else (first.t0, history.segments[-1].t1)
        self.period = window[1] - window[0]
        start = time.perf_counter()
        self.cycle_ends = []      # (cycle, u, states) at the ends of the last computed cycles (jumps)
        cycles = [(c, list(s)) for c, s in itertools.groupby(history.segments, key=lambda s: s.cycle)]
        k = 0
        while k < len(cycles):
            cycle, segments = cycles[k]
            skip = self._jump_length(result, cycle, history)
            if skip:
                # the loop has stabilised: carry the state over the next ``skip`` cycles
                self._jump(skip, cycles[k + skip][1][0], result)
                k += skip
                continue
            self._run_cycle(cycle, segments, result, progress, snapshot_every_segment)
            self.cycle_ends = (self.cycle_ends + [(cycle, self.u.copy(), [dict(r.state) for r in self.regions])])[-2:]
            k += 1
        while history.stabilise is not None and result.cycles and len(result.cycles) < history.max_cycles \
                and not self._stabilised(result, history.stabilise):
            # one more cycle, the same as the last one: until dW stops changing, or the cap
            last = [s for s in history.segments if s.cycle == history.cycles]
            shift = result.cycles[-1]["t1"] - last[0].t0
            number = result.cycles[-1]["cycle"] + 1
            self._run_cycle(number, [dataclasses.replace(s, t0=s.t0 + shift, t1=s.t1 + shift, cycle=number)
                                     for s in last], result, progress, snapshot_every_segment)
        self._refresh_linear_states(self.u, self.T)
        result.u = self.u
        result.formations = self.formations
        result.stats = dict(self.counters, wall_s=time.perf_counter() - start,
                            dofs=int(self.operator.n), elements=int(model.mesh.n_elements))
        result.fatigue = self._fatigue(result)
        return result

    def _run_cycle(self, cycle: int, segments: list, result: CyclingResult, progress, snapshot: bool) -> None:
        """Follow one cycle's segments; cycle 0 (the cool-down before the cycles) gets no summary."""
        at_start = self._group_totals()
        first = len(next(iter(result.hysteresis.values()))["time"]) if result.hysteresis else 0
        t0, counted = self.t, dict(self.counters)
        for segment in segments:
            # under error control the controller places the steps; else the segment's own times
            # mechanical loads' history points inside the segment are step ends too (their kinks)
            corners = [t for t in self.load_times if segment.t0 < t < segment.t1] + self._phase_times(segment)
            targets = [segment.t1] if self.accuracy is not None else list(segment.times())
            for target in sorted(set(targets + corners)):
                self._advance(segment, target, result, progress)
                self._change_phase(segment)
            if segment.forms:
                self._form(segment.forms, segment.stage, dict(segment.shrinkage))
            if snapshot:
                self._refresh_linear_states(self.u, self.T)
                result.snapshots.append(self._snapshot(self.t, self.T, self.u))
        if cycle >= 1:
            temperatures = [s.T0 for s in segments] + [s.T1 for s in segments]
            delta = {key: self.counters[key] - counted[key]
                     for key in ("steps", "rejected", "cutbacks", "time_error", "inelastic_increment")}
            if delta["inelastic_increment"] > 0:
                self.cycle_rate = delta["inelastic_increment"] / (self.t - t0)
            result.cycles.append({"cycle": cycle, "t0": t0, "t1": self.t, "T_min": min(temperatures),
                                  "T_max": max(temperatures), "steps": delta["steps"], "rejected": delta["rejected"],
                                  # sum of the steps' estimated local errors / the cycle's inelastic strain
                                  "time_error": (delta["time_error"] / delta["inelastic_increment"]
                                                 if delta["inelastic_increment"] > 0 else 0.0),
                                  **self._cycle_damage(at_start, result, first)})

    def _phase_times(self, segment) -> list[float]:
        """Times inside a ramp where it passes a solder's solidus (step ends: the solder melts or
        solidifies there)."""
        times = []
        for region in self.regions:
            T_m = region.melts_at
            if T_m is not None and segment.kind == "ramp" and min(segment.T0, segment.T1) < T_m < max(segment.T0, segment.T1):
                times.append(segment.t0 + (T_m - segment.T0) / (segment.T1 - segment.T0) * (segment.t1 - segment.t0))
        return times

    def _change_phase(self, segment) -> None:
        """Solders melt when a ramp heats them past their solidus and form again (stress-free in
        the stack's strain) when it cools them back to it; a region a process stage has not formed
        yet waits for its stage."""
        later = set(self.cycling.history.formed_later) - {f for entry in self.formations for f in entry["regions"]}
        heating = segment.T1 > segment.T0
        for region in self.regions:
            T_m = region.melts_at
            if T_m is None or region.name in later or segment.kind != "ramp":
                continue
            if region.formed and heating and self.T >= T_m - 1e-9 and segment.T1 > T_m + 1e-9:
                region.formed, region.offset = False, None
                region.state = region.law.initial_state(region.volume.size)
                region.previous = dict(region.state)
                self._forget(region)
                self.formations.append({"stage": "melted", "time": self.t, "temperature": self.T,
                                        "regions": [region.name]})
            elif not region.formed and not heating and self.T <= T_m + 1e-9:
                self._form((region.name,), "solidified", {})

    def _forget(self, region) -> None:
        """Drop what was computed for the region's old phase (properties, the elastic parts)."""
        for key in [key for key in self._properties if key[0] == region.name]:
            del self._properties[key]
        self._offset_forces.pop(next((k for k, r in enumerate(self.linear) if r is region), None), None)
        self._linear_cache = (None, None)
        self.refactor_next = True
        if region.rate_law:   # the BDF2 history of its inelastic strain starts again
            self.past_values[region.name] = [region.state["eps_in"]] * len(self.past_values[region.name])

    def _form(self, names, stage: str, shrinkage: dict) -> None:
        """Regions form now (a process stage, or a solder solidifying): each is stress-free in the
        strain the stack has given it, at the current temperature; a cure shrinkage (a free
        contraction) counts from here on."""
        linear = {r.name: k for k, r in enumerate(self.linear)}
        nonlinear = {r.name: part for r, part in zip(self.nonlinear, self.nonlinear_slices)}
        for region in self.regions:
            if region.name not in names:
                continue
            # the region's strain from the operators the solver already holds
            if region.name in linear:
                op = self._linear_ops[linear[region.name]]
                eps = op.strain(self.u).reshape(4, -1)
            else:
                eps = self.nonlinear_operator.strain(self.u)[:, nonlinear[region.name]].reshape(4, -1)
            region.offset = eps - shrinkage.get(region.name, 0.0) * THERMAL_DIRECTION[:, None]
            region.formed, region.stress_free = True, self.T
            region.state = region.law.initial_state(region.volume.size)
            region.previous = dict(region.state)
            self._forget(region)
            if region.name in linear:
                offset = region.offset.reshape((4,) + op.weights.shape)
                self._offset_forces[linear[region.name]] = tuple(
                    op.internal_force(np.einsum("ij,j...->i...", D, offset))[self.free]
                    for D in (small_strain.VOLUMETRIC, small_strain.SHEAR))
        self.formations.append({"stage": stage, "time": self.t, "temperature": self.T, "regions": list(names)})

    def _jump_length(self, result: CyclingResult, cycle: int, history) -> int:
        """Cycles to skip before ``cycle`` (0: compute it): with [load] cycle_jump = J, J cycles
        after every two computed ones whose dW differ by less than jump_tolerance, keeping the
        last cycle computed."""
        J = history.cycle_jump
        if not J or cycle < 1 or len(self.cycle_ends) < 2 or len(result.cycles) < 2:
            return 0
        (a, _, _), (b, _, _) = self.cycle_ends
        if b != cycle - 1 or a != cycle - 2 or result.cycles[-1]["cycle"] != b:
            return 0          # the last two computed cycles must be consecutive and just before this one
        change = self._last_change(result)
        if change is None or change >= history.jump_tolerance:
            return 0
        return max(0, min(J, history.cycles - cycle))

    def _jump(self, skip: int, next_segment, result: CyclingResult) -> None:
        """Extrapolate every state variable and the displacement linearly over ``skip`` cycles from
        the last two computed ones (Lesne & Savalle 1989's cycle jump for a stabilising loop: the
        change per cycle is held for the skipped cycles), and restart the time integration at the
        start of the next computed cycle (backward Euler first: the step history is not carried)."""
        (_, u_before, states_before), (_, u_last, states_last) = self.cycle_ends
        for region, before, last in zip(self.regions, states_before, states_last):
            region.state = {key: value + skip * (value - before[key]) if isinstance(value, np.ndarray) else value
                            for key, value in last.items()}
            region.previous = None
        self.u = u_last + skip * (u_last - u_before)
        self.t, self.T = next_segment.t0, next_segment.T0
        self.past_times = [self.t]
        self.past_values = {r.name: [r.state["eps_in"]] for r in self.nonlinear if r.rate_law}
        self.u_path = []
        self.cycle_ends = []
        self.counters["jumped_cycles"] = self.counters.get("jumped_cycles", 0) + skip
        result.jumps.append({"after_cycle": result.cycles[-1]["cycle"], "skipped": skip})

    def _stabilised(self, result: CyclingResult, tolerance: float) -> bool:
        change = self._last_change(result)
        return change is not None and change < tolerance

    def _last_change(self, result: CyclingResult) -> float | None:
        """Largest relative change of dW from the cycle before, over the groups whose material has
        fatigue data (all groups if none has)."""
        if len(result.cycles) < 2:
            return None
        by_name = {r.name: r for r in self.regions}
        names = [g.name for g in self.groups if getattr(by_name[g.region].material, "fatigue", None) is not None]
        names = names or [g.name for g in self.groups]
        last, before = result.cycles[-1]["dW"], result.cycles[-2]["dW"]
        changes = [abs(last[n] - before[n]) / abs(last[n]) for n in names if last[n] != 0]
        return max(changes) if changes else None

    def _advance(self, segment, target: float, result: CyclingResult, progress) -> None:
        """Steps along ``segment`` from the current time to ``target``.

        Under error control (the history's ``accuracy``) the controller sizes the steps: a step
        whose estimated local error of the inelastic strain exceeds the allowed error is redone
        shorter, and the next step is sized from the last error (local error ~ dt^3). With fixed
        steps (accuracy None) the step is the whole interval to ``target`` and grows back after
        easy steps. Either way a step whose Newton iterations fail is halved (at most
        max_cutbacks failures in a row)."""
        controlled = self.accuracy is not None
        dt = self.dt_next if controlled else target - self.t
        key = (segment.kind, segment.T0, segment.T1)
        if controlled and self.t == segment.t0 and key in self.first_steps:
            # cycles repeat: start a segment with the step that the same segment of the last cycle
            # settled on (the start of a dwell after a ramp needs a much shorter step than the ramp's)
            dt = min(dt, self.first_steps[key][0])
        failures = rejections = 0
        last_rejection = None
        if self.t == segment.t0:
            self.u_path = [(self.t, self.u)]   # a new segment: the path of the last one does not carry over
        budget = self.counters["steps"] + self.cycling.history.max_steps
        while self.t < target - 1e-9 * max(1.0, abs(target)):
            remaining = target - self.t
            dt = min(dt, remaining, self._largest_step(segment))
            if controlled and dt < remaining < 1.5 * dt:
                dt = 0.5 * remaining          # two equal steps, not a step and a sliver
            T_new = float(segment.temperature(self.t + dt))
            ratio = self._step_ratio(dt)
            # within a segment the displacement moves smoothly in time: extrapolate it
            guess = predictor(*zip(*self.u_path), self.t + dt) if len(self.u_path) > 1 else None
            if guess is None and key in self.first_steps:
                # a segment's first step: the last cycle's first step of it, scaled to this dt
                dt_before, du_before = self.first_steps[key]
                guess = self.u + du_before * (dt / dt_before)
            try:
                refresh = self.t == segment.t0 or self.counters["steps"] % ELASTIC_FORCE_EVERY == 0
                u_new, states, _, iterations, _ = self.step(self.u, self.T, T_new, dt, guess, ratio, refresh,
                                                             t_new=self.t + dt)
            except StepFailed as failure:
                failures += 1
                self.counters["cutbacks"] += 1
                if failures > self.cycling.max_cutbacks:
                    raise SolverError(
                        f"step did not converge at t = {self.t + dt:.6g} s, T = {T_new:.4g} degC after "
                        f"{failures - 1} cut-backs (last dt = {dt:.3g} s): {failure}") from None
                dt *= 0.5
                self.dt_next = dt
                continue
            error, increment = self._time_error(states, self.t + dt, ratio)
            allowed = self._allowed_error(increment, dt, segment.cycle == 0)
            # a step this short resolves nothing more: the error left is the Newton tolerance's
            # noise (a run that starts stress-free allows almost no error at first), accept it
            shortest = MIN_STEP_SHARE * (segment.t1 - segment.t0)
            if controlled and error > allowed and dt > shortest:
                rejections += 1
                self.counters["rejected"] += 1
                if rejections > self.cycling.max_rejections:
                    self._out_of_budget(segment, f"{rejections - 1} rejected steps in a row (last dt = {dt:.3g} s)")
                order = ERROR_ORDER
                if last_rejection is not None:
                    # the error fell less with the step than assumed (creep switching on, a kink
                    # in the history): use the order measured between the two tries
                    (dt_before, ratio_before), ratio_now = last_rejection, error / allowed
                    if dt_before != dt and ratio_now > 0:
                        measured = np.log(ratio_before / ratio_now) / np.log(dt_before / dt)
                        order = float(np.clip(measured, 0.3, ERROR_ORDER))
                last_rejection = (dt, error / allowed)
                dt = max(dt * max(0.1, SAFETY * (allowed / error) ** (1 / order)), shortest)
                self.dt_next = dt
                continue
            if controlled and self.t == segment.t0:
                self.first_steps[key] = (dt, u_new - self.u)
            failures = rejections = 0
            self._commit(states, self.t + dt)
            self._commit_linear_in_step(u_new, self.T, T_new, dt)
            self.u_path = (self.u_path + [(self.t + dt, u_new)])[-3:]
            self.u, self.t, self.T = u_new, self.t + dt, T_new
            self.counters["steps"] += 1
            self.counters["time_error"] += error
            self.counters["inelastic_increment"] += increment
            step = {"time": self.t, "temperature": self.T, "cycle": segment.cycle, "iterations": iterations,
                    "dt": dt, "error": error, "allowed": allowed if controlled else None, "increment": increment}
            result.steps.append(step)
            self._record(result, self.t, self.T, segment.cycle)
            if progress:
                progress(segment, step, self.counters)
            if controlled and self.counters["steps"] > budget:
                self._out_of_budget(segment, f"{self.cycling.history.max_steps} steps ([load] max_steps)")
            if controlled:
                growth = 2.0 if error == 0 else min(2.0, max(0.3, SAFETY * (allowed / error) ** (1 / ERROR_ORDER)))
                dt = self.dt_next = dt * growth
            elif iterations <= 3:
                dt *= 2.0  # grow back after easy steps

    def _largest_step(self, segment) -> float:
        """Ramps: at most the history's temperature step (temperature-dependent properties and
        rate-independent plasticity follow the temperature, not the error estimate)."""
        if segment.kind != "ramp" or segment.T1 == segment.T0:
            return np.inf
        return self.cycling.history.max_step_K * (segment.t1 - segment.t0) / abs(segment.T1 - segment.T0)

    def _time_error(self, states, t_new: float, ratio: float) -> tuple[float, float]:
        """Volume means over the rate-law regions of the estimated local error of the step's
        inelastic strain and of its increment (equivalent strains); (0, increment) for the first
        step of a run, which has no history to estimate from."""
        error = increment = volume = 0.0
        for region, state in zip(self.nonlinear, states):
            if not region.rate_law:
                continue
            total = region.volume.sum()
            increment += equivalent(state["eps_in"] - region.state["eps_in"]) @ region.volume
            # the first step of a run: half its increment (its distance from the constant predictor),
            # so a load applied at once is resolved like any other step
            estimate = local_error(self.past_times, self.past_values[region.name], t_new, state["eps_in"], ratio)
            error += equivalent(estimate) @ region.volume
            volume += total
        return (error / volume, increment / volume) if volume else (0.0, 0.0)

    def _allowed_error(self, increment: float, dt: float, before_cycles: bool = False) -> float:
        """STEP_SHARE x accuracy x the inelastic strain of a cycle (the mean inelastic strain rate
        x the cycle's period): steps are short where creep is fast and long where it is slow. The
        mean rate is the last cycle's, and before a cycle has finished the run's so far (this step
        included). Before the cycles (the cool-down or process that sets their start) the rate is
        at least this step's: from a stress-free start the mean so far lags far behind it and
        would hold the first steps to a share of almost nothing, although the cycles that follow
        shake the start state down."""
        if self.accuracy is None:
            return np.inf
        if self.cycle_rate is not None:
            mean_rate = self.cycle_rate
        else:
            elapsed = self.t + dt - self.cycling.history.segments[0].t0
            mean_rate = (self.counters["inelastic_increment"] + increment) / elapsed
            if before_cycles and self.cycling.history.cycles >= 1:
                mean_rate = max(mean_rate, increment / dt)
        return STEP_SHARE * self.accuracy * mean_rate * self.period + 1e-15

    def _commit(self, states, t_new: float) -> None:
        """Accept a step: the states move one step back (BDF2) and the new ones take their place."""
        for region, state in zip(self.nonlinear, states):
            region.previous, region.state = region.state, state
            if region.rate_law:
                self.past_values[region.name] = (self.past_values[region.name] + [state["eps_in"]])[-3:]
        self.past_times = (self.past_times + [t_new])[-3:]

    def _out_of_budget(self, segment, what: str) -> None:
        raise SolverError(
            f"time steps: [load] accuracy = {self.accuracy:g} needs more than {what} in the {segment.kind} "
            f"from t = {segment.t0:.6g} s to {segment.t1:.6g} s; it reached t = {self.t:.6g} s, "
            f"T = {self.T:.4g} degC after {self.counters['steps']} steps; loosen accuracy (up to 0.1), "
            f"raise max_steps or check the history")

    def _group_totals(self) -> dict:
        by_name = {r.name: r for r in self.regions}
        totals = {}
        for g in self.groups:
            state = by_name[g.region].state
            totals[g.name] = (_volume_average(state["w_in"][g.points], g.volume),
                              _volume_average(state["eps_eq_in"][g.points], g.volume))
        return totals

    def _cycle_damage(self, at_start: dict, result: CyclingResult, first_record: int) -> dict:
        """Per group: dW, the accumulated equivalent inelastic strain, and the ranges of the loop
        (from the record just before the cycle to its end)."""
        at_end = self._group_totals()
        out = {"dW": {}, "eps_in_accumulated": {}, "eps_in_range": {}, "shear_strain_range": {}, "gamma_12_range": {}}
        for name in at_end:
            loop = np.array(result.hysteresis[name]["eps_in"][max(first_record - 1, 0):])
            eq_range, gamma_12 = inelastic_strain_range(loop)
            out["dW"][name] = at_end[name][0] - at_start[name][0]
            out["eps_in_accumulated"][name] = at_end[name][1] - at_start[name][1]
            out["eps_in_range"][name] = eq_range
            out["shear_strain_range"][name] = SHEAR_PER_EQUIVALENT * eq_range
            out["gamma_12_range"][name] = gamma_12
        return out

    def _record(self, result: CyclingResult, t: float, T: float, cycle: int = 0) -> None:
        if self.surface is not None:
            signed, coplanarity = warpage(self.u[self.surface[2]])
            for key, value in (("time", t), ("temperature", T), ("cycle", cycle), ("warpage_um", signed),
                               ("coplanarity_um", coplanarity)):
                result.warpage[key].append(value)
        by_name = {r.name: r for r in self.regions}
        for g in self.groups:
            state = by_name[g.region].state
            h = result.hysteresis[g.name]
            h["time"].append(t)
            h["temperature"].append(T)
            h["stress"].append(_volume_average(state["stress"][:, g.points], g.volume).tolist())
            h["eps_in"].append(_volume_average(state["eps_in"][:, g.points], g.volume).tolist())
            h["w_in"].append(float(_volume_average(state["w_in"][g.points], g.volume)))
            h["eps_eq_in"].append(float(_volume_average(state["eps_eq_in"][g.points], g.volume)))

    def _snapshot(self, t: float, T: float, u: np.ndarray) -> dict:
        nel = self.cycling.model.mesh.n_elements
        fields = {"stress": np.zeros((4, nel, self.nqp)), "eps_in": np.zeros((4, nel, self.nqp)),
                  "eps_eq_in": np.zeros((1, nel, self.nqp)), "w_in": np.zeros((1, nel, self.nqp))}
        for region in self.regions:
            e = region.elements
            fields["stress"][:, e] = region.state["stress"].reshape(4, -1, self.nqp)
            fields["eps_in"][:, e] = region.state["eps_in"].reshape(4, -1, self.nqp)
            fields["eps_eq_in"][0, e] = region.state["eps_eq_in"].reshape(-1, self.nqp)
            fields["w_in"][0, e] = region.state["w_in"].reshape(-1, self.nqp)
        eps0 = float(u[self.basis.N]) if u.size > self.basis.N else 0.0   # generalized plane strain
        return {"time": t, "temperature": T, "u": u[:self.basis.N].copy(), "eps0": eps0,
                "curvatures": tuple(float(c) for c in u[self.basis.N + 1:]), "fields": fields}

    def _fatigue(self, result: CyclingResult) -> dict:
        """Damage inputs and lives from the last cycle, per group."""
        if not result.cycles:
            return {}
        last = result.cycles[-1]
        change = self._last_change(result)
        history = self.cycling.history
        threshold = history.stabilise if history.stabilise is not None else self.cycling.stabilised_change
        period = last["t1"] - last["t0"]
        by_name = {r.name: r for r in self.regions}
        layers = {layer.name: layer for layer in self.cycling.layers}
        model = self.cycling.model
        dimension = "axisymmetric" if model.analysis == "axisymmetric" else "2D"
        out = {}
        for g in self.groups:
            region = by_name[g.region]
            layer = layers.get(g.name)
            damage = {key: last[key][g.name] for key in
                      ("dW", "eps_in_accumulated", "eps_in_range", "shear_strain_range", "gamma_12_range")}
            damage.update(T_mean=0.5 * (last["T_min"] + last["T_max"]), cycles_per_day=86400.0 / period)
            entry = {**damage, "cycle": last["cycle"], "stabilised": change is not None and change < threshold,
                     "dW_change_last_cycle": change, "layer_thickness_um": layer.thickness if layer else None}
            fatigue = getattr(region.material, "fatigue", None)
            if fatigue is not None:
                crack = None
                if layer is not None:
                    crack = layer.crack_length or interface_extent(model.mesh, layer.facets(model.mesh),
                                                                   model.analysis == "axisymmetric")
                entry.update(lives(fatigue, damage, constitutive_kind(region.law), dimension,
                                   layer.thickness if layer else None, layer.joint_height if layer else None, crack))
            out[g.name] = entry
        return out
