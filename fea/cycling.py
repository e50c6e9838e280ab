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

import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import scipy.sparse as sp

from . import constitutive
from .errors import InputError, SolverError
from .linsolve import NotPositiveDefinite, factorize
from .load_history import LoadHistory
from .operators import FreeTangent, StrainOperator
from .thermoelastic import (Thermoelastic, check_constrained, fixed_dofs, make_basis,
                            traction_load)

CYCLING_ANALYSES = ("plane_strain", "generalized_plane_strain", "axisymmetric")
THERMAL_DIRECTION = np.array([1.0, 1.0, 1.0, 0.0])
LINE_SEARCH_STEPS = (1.0, 0.5, 0.25, 0.125, 0.0625, 0.03125)


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

    def facets(self, model) -> np.ndarray:
        facets = model.require_curve(self.interface, f"[[layer]] '{self.name}'")
        if self.x_range is None:
            return facets
        x = model.mesh.doflocs[0, model.mesh.nvertices + facets]
        kept = facets[(x >= self.x_range[0]) & (x <= self.x_range[1])]
        if kept.size == 0:
            raise InputError(f"[[layer]] '{self.name}': no facet of '{self.interface}' lies in x_range = "
                             f"[{self.x_range[0]}, {self.x_range[1]}] um")
        return kept


@dataclass
class Cycling:
    problem: Thermoelastic          # mesh, analysis, materials, supports (its temperature is unused)
    history: LoadHistory
    layers: Sequence[Layer] = ()
    # residual norm / element internal-force scale; 1e-4 moves dW by 4e-4 relative from 1e-5
    # (molded-joint assembly) and saves a fifth of the iterations (Abaqus default: 5e-3)
    tolerance: float = 1e-4
    max_iterations: int = 12
    max_cutbacks: int = 8
    # refactorize when an iteration reduces the residual by less than this factor
    refactor_ratio: float = 0.01  # measured best of 0.25 ... 0 (molded-joint cycle: 11 % faster)
    stabilised_change: float = 0.05  # |dW_N - dW_N-1| / dW_N below which a cycle is stabilised


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
    model: object
    stress_free: float
    volume: np.ndarray      # (n,) dV of the region's quadrature points (flattened)
    state: dict

    @property
    def inelastic(self) -> bool:
        return not isinstance(self.model, constitutive.Elastic)


@dataclass
class CyclingResult:
    analysis: str
    steps: list = field(default_factory=list)        # per converged step: t, T, cycle, iterations
    cycles: list = field(default_factory=list)       # per cycle: dW and d_eps_in per group
    hysteresis: dict = field(default_factory=dict)   # per group: time series of averages
    fatigue: dict = field(default_factory=dict)
    snapshots: list = field(default_factory=list)    # (time, T, u, per-region fields)
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
    model = cycling.problem.model
    by_name = {r.name: r for r in regions}
    groups = [Group(r.name, r.name, np.arange(r.volume.size), r.volume) for r in regions if r.inelastic]
    for layer in cycling.layers:
        region = by_name.get(layer.region)
        if region is None:
            raise InputError(f"[[layer]] '{layer.name}': region '{layer.region}' is not in the mesh; "
                             f"it has: {', '.join(by_name)}")
        if not layer.thickness > 0:
            raise InputError(f"[[layer]] '{layer.name}': thickness = {layer.thickness} must be > 0 um")
        facets = layer.facets(model)
        x = quad_points[:, region.elements].reshape(2, -1)
        distance = distance_to_facets(model, facets, x)
        inside = distance <= layer.thickness
        if layer.x_range is not None:
            inside &= (x[0] >= layer.x_range[0]) & (x[0] <= layer.x_range[1])
        points = np.flatnonzero(inside)
        if points.size == 0:
            raise InputError(f"[[layer]] '{layer.name}': no quadrature point of '{layer.region}' lies within "
                             f"{layer.thickness} um of '{layer.interface}'; use a thicker layer or a finer mesh")
        groups.append(Group(layer.name, layer.region, points, region.volume[points]))
    return groups


def distance_to_facets(model, facets: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Distance from points (2, n) to the curve made of the facets (each as two chords)."""
    mesh = model.mesh
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


def interface_extent(model, facets: np.ndarray, axisymmetric: bool) -> float:
    """Crack path length across interface facets: their diameter if round, else their length."""
    ends = model.mesh.facets[:, facets]
    p = model.mesh.doflocs
    if axisymmetric:
        return 2.0 * float(p[0, ends].max())
    return float(np.hypot(*(p[:, ends[1]] - p[:, ends[0]])).sum())


class Solver:
    """The incremental Newton machinery for one Cycling problem."""

    def __init__(self, cycling: Cycling, method: str = "auto"):
        problem = cycling.problem
        if problem.analysis not in CYCLING_ANALYSES:
            raise InputError(f"analysis = '{problem.analysis}' cannot be cycled with inelastic "
                             f"materials; use one of {', '.join(CYCLING_ANALYSES)}")
        self.cycling = cycling
        self.method = method
        model = problem.model
        missing = [name for name in model.regions if name not in problem.materials]
        if missing:
            raise InputError(f"region(s) without a material: {', '.join(missing)}")
        self.basis = make_basis(model)
        self.operator = StrainOperator(self.basis, problem.analysis)
        self.quad_points = self.basis.mapping.F(self.basis.X)
        self.nqp = self.quad_points.shape[2]
        fixed = fixed_dofs(problem)
        check_constrained(problem, fixed)
        self.free = np.ones(self.operator.n, dtype=bool)
        self.free[fixed] = False
        self.f_ext = np.zeros(self.operator.n)
        self.f_ext[:self.basis.N] = traction_load(problem, self.basis)
        self.regions = []
        for name, elements in model.regions.items():
            material = problem.materials[name]
            T0 = (problem.stress_free_temperature if problem.stress_free_temperature is not None
                  else material.stress_free_temperature)
            rmodel = constitutive.from_material(material, analysis=problem.analysis)
            volume = self.operator.weights[elements].ravel()
            self.regions.append(RegionState(name, elements, material, rmodel, float(T0), volume,
                                            rmodel.initial_state(volume.size)))
        self.groups = build_groups(cycling, self.regions, self.quad_points)
        self._split_regions()
        self.factorization = None
        self.definite = True           # Cholesky until a tangent is not positive definite
        self.refactor_next = True
        self.factorized_dt = 1.0       # time step of the tangent in the factorization
        self.force_reference = 0.0
        self.counters = {"iterations": 0, "factorizations": 0, "cutbacks": 0, "steps": 0,
                         "assembly_s": 0.0, "factorization_s": 0.0, "constitutive_s": 0.0}

    # ------------------------------------------------------- linear and nonlinear regions
    def _split_regions(self) -> None:
        """Elastic regions are linear in u at a given temperature: their tangent is
        sum_r lambda_r(T) K_lambda_r + mu_r(T) K_mu_r with matrices fixed per mesh, and their
        internal force K_el(T) u - f_th(T). Only the inelastic regions go through the strain
        operator, the constitutive update and the element tangent at every iteration (the
        elastic ones are three quarters of an assembly model's elements)."""
        self.nonlinear = [r for r in self.regions if r.inelastic]
        self.linear = [r for r in self.regions if not r.inelastic]

        def restricted(regions):
            elements = np.concatenate([r.elements for r in regions] or [np.zeros(0, dtype=int)])
            bounds = np.cumsum([0] + [r.elements.size for r in regions])
            return self.operator.restricted(elements), [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]

        self.nonlinear_operator, self.nonlinear_slices = restricted(self.nonlinear)
        self.linear_operator, self.linear_slices = restricted(self.linear)
        linear_ops = [self.operator.restricted(r.elements) for r in self.linear]
        self.pattern = FreeTangent([self.nonlinear_operator] + linear_ops, self.free)
        volumetric = np.zeros((4, 4))
        volumetric[:3, :3] = 1.0                       # D = lambda volumetric + mu shear
        shear = np.diag([2.0, 2.0, 2.0, 1.0])
        parts, thermal = [], []
        for k, op in enumerate(linear_ops, start=1):
            shape = (4, 4) + op.weights.shape
            entries = np.stack([op.element_entries(np.broadcast_to(D[:, :, None, None], shape))
                                for D in (volumetric, shear)], axis=1)
            parts.append(self.pattern.combination(k, entries))
            unit = np.broadcast_to(THERMAL_DIRECTION[:, None, None], (4,) + op.weights.shape)
            thermal.append(op.internal_force(unit)[self.free])   # int B^T [1 1 1 0] dV
        self._linear_parts = sp.hstack(parts, format="csr") if parts else None
        self._thermal_parts = np.column_stack(thermal) if thermal else None
        self._linear_cache = (None, None)

    def _linear_at(self, T: float):
        """Tangent (upper-triangle data of the free pattern) and thermal force of the elastic
        regions at temperature T: thermal stress (3 lambda + 2 mu) eps_th in 11, 22, 33."""
        if not self.linear:
            return np.zeros(self.pattern.nnz), np.zeros(self.pattern.n)
        coefficients, thermal = [], []
        for region in self.linear:
            E, nu, eth = self._material_at(region, T, 1)
            lam, mu = constitutive.lame(E, nu)
            coefficients += [lam[0], mu[0]]
            thermal.append((3 * lam[0] + 2 * mu[0]) * eth[0])
        key = np.array(coefficients)
        if self._linear_cache[0] is None or not np.array_equal(self._linear_cache[0], key):
            self._linear_cache = (key, self._linear_parts @ key)   # dwells: the same temperature
        return self._linear_cache[1], self._thermal_parts @ np.array(thermal)

    def _linear_stress(self, u, T: float) -> np.ndarray:
        """Stress (4, n_elements, nqp) of the elastic regions' elements (linear_operator order)."""
        eps = self.linear_operator.strain(u)
        stress = np.empty_like(eps)
        for region, part in zip(self.linear, self.linear_slices):
            E, nu, eth = self._material_at(region, T, 1)
            lam, mu = constitutive.lame(E, nu)
            stress[:, part] = constitutive.hooke(eps[:, part] - THERMAL_DIRECTION[:, None, None] * eth[0],
                                                 lam[0], mu[0])
        return stress

    def _refresh_linear_states(self, u, T: float) -> None:
        """The elastic regions' stress in their states (for snapshots): not kept per iteration."""
        if not self.linear:
            return
        stress = self._linear_stress(u, T)
        for region, part in zip(self.linear, self.linear_slices):
            region.state = {**region.state, "stress": stress[:, part].reshape(4, -1)}

    # ----------------------------------------------------------------- one step
    def _material_at(self, region: RegionState, T: float, n: int | None = None):
        Tn = np.full(region.volume.size if n is None else n, T)
        E, nu = region.material.E(Tn), region.material.nu(Tn)
        eth = region.material.thermal_strain(Tn, np.full_like(Tn, region.stress_free))
        return E, nu, eth

    def _evaluate(self, u, T_old, T_new, dt, properties, guesses=None):
        """Stress, tangent and trial states of the inelastic regions for the displacement u
        (arrays over nonlinear_operator's elements); guesses: trial states of an earlier
        iteration of the same step, to start the local solves from."""
        t0 = time.perf_counter()
        eps = self.nonlinear_operator.strain(u)
        stress = np.empty_like(eps)
        tangent = np.empty((4, 4) + eps.shape[1:])
        states = []
        for k, (region, part, (E, nu, eth)) in enumerate(zip(self.nonlinear, self.nonlinear_slices, properties)):
            n = region.volume.size
            eps_mech = eps[:, part].reshape(4, n) - THERMAL_DIRECTION[:, None] * eth
            s, D, st = region.model.update(eps_mech, region.state, np.full(n, T_old),
                                           np.full(n, T_new), dt, E, nu,
                                           guess=None if guesses is None else guesses[k])
            stress[:, part] = s.reshape(4, -1, self.nqp)
            tangent[:, :, part] = D.reshape(4, 4, -1, self.nqp)
            states.append(st)
        self.counters["constitutive_s"] += time.perf_counter() - t0
        return stress, tangent, states

    def _residual(self, stress, u, linear):
        """Residual on the free unknowns: inelastic internal forces + K_el(T) u - f_th(T) - f_ext."""
        K_data, f_thermal = linear
        free = self.free
        r = (self.nonlinear_operator.internal_force(stress)[free] - self.f_ext[free] - f_thermal
             + self.pattern.matvec(K_data, u[free]))
        # not np.linalg.norm: its BLAS dot took milliseconds (threads waking) on a busy machine
        return r, float(np.sqrt(np.sum(r * r)))

    def _force_scale(self, stress, u, T: float) -> float:
        """Size of the internal forces of all elements, for the tolerance."""
        squared = self.nonlinear_operator.force_scale(stress) ** 2
        if self.linear:
            squared += self.linear_operator.force_scale(self._linear_stress(u, T)) ** 2
        return float(np.sqrt(squared))

    def _factorize(self, tangent, linear_data):
        t0 = time.perf_counter()
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
            # the tangents of hardening plasticity and creep are positive definite, and Cholesky
            # refactors 1.8x faster than Bunch-Kaufman (PPI cell, one thread: 20 -> 11 ms); keep
            # the pivoting solver for the rest of the run once a tangent is not (softening)
            self.definite = False
            self.factorization = factorize(self.pattern.symmetric(data), self.method, definite=False)
        self.counters["factorization_s"] += time.perf_counter() - t0
        self.counters["factorizations"] += 1

    def step(self, u, T_old, T_new, dt, guess=None):
        """Newton iterations for one step from u (or from a predicted guess); returns
        (u, states, stress, iterations, residual history) or raises StepFailed."""
        properties = [self._material_at(r, T_new) for r in self.nonlinear]
        linear = self._linear_at(T_new)
        u = (u if guess is None else guess).copy()
        history = []
        try:
            stress, tangent, states = self._evaluate(u, T_old, T_new, dt, properties)
        except SolverError as exc:
            raise StepFailed(str(exc)) from None
        r, norm = self._residual(stress, u, linear)
        # relative to the largest internal forces of the history so far (like Abaqus's
        # time-averaged force), so a step where the stress passes through zero can converge
        self.force_reference = max(self.force_reference, self._force_scale(stress, u, T_new))
        scale = self.force_reference
        for iteration in range(self.cycling.max_iterations + 1):
            history.append(norm)
            if norm <= self.cycling.tolerance * max(scale, 1e-30) or norm < 1e-14:
                return u, states, stress, iteration, history
            if iteration == self.cycling.max_iterations:
                break
            slow = len(history) > 1 and norm > self.cycling.refactor_ratio * history[-2]
            # a creep tangent belongs to its time step: one from a long dwell step is far too soft
            # for a short ramp step (the first ramp step after a dwell then fails to converge)
            other_dt = iteration == 0 and not 0.5 <= dt / self.factorized_dt <= 2.0
            if self.factorization is None or self.refactor_next or slow or other_dt:
                self._factorize(tangent, linear[0])
                self.factorized_dt = dt
                self.refactor_next = False
            du = np.zeros_like(u)
            du[self.free] = self.factorization.solve(-r)
            # backtracking line search on the residual norm (creeping solder near its flow stress
            # is almost perfectly plastic: a full Newton step can overshoot into unloading)
            best = None
            for alpha in LINE_SEARCH_STEPS:
                try:
                    trial = self._evaluate(u + alpha * du, T_old, T_new, dt, properties, states)
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
        cycling = self.cycling
        history = cycling.history
        result = CyclingResult(cycling.problem.analysis, regions=self.regions, basis=self.basis,
                               operator=self.operator)
        for g in self.groups:
            result.hysteresis[g.name] = {"time": [], "temperature": [], "stress": [], "eps_in": [],
                                         "w_in": [], "eps_eq_in": []}
        u = np.zeros(self.operator.n)
        rate = None  # du/dt of the last step, for the predictor on ramps
        t = history.segments[0].t0
        T = history.segments[0].T0
        cycle_start = {}
        start = time.perf_counter()
        for segment in history.segments:
            if segment.cycle not in cycle_start:
                cycle_start[segment.cycle] = self._group_totals()
            for target in segment.times():
                dt = target - t
                cuts = 0
                while t < target - 1e-9 * max(1.0, abs(target)):
                    dt = min(dt, target - t)
                    T_new = float(segment.temperature(t + dt))
                    # on a ramp the displacement grows almost linearly: extrapolate it
                    guess = u + rate * dt if rate is not None and segment.kind == "ramp" else None
                    try:
                        u_new, states, stress, iterations, residuals = self.step(u, T, T_new, dt, guess)
                    except StepFailed as failure:
                        cuts += 1
                        self.counters["cutbacks"] += 1
                        if cuts > cycling.max_cutbacks:
                            raise SolverError(
                                f"step did not converge at t = {t + dt:.6g} s, T = {T_new:.4g} degC after "
                                f"{cuts - 1} cut-backs (last dt = {dt:.3g} s): {failure}") from None
                        dt *= 0.5
                        continue
                    for region, st in zip(self.nonlinear, states):
                        region.state = st
                    rate = (u_new - u) / dt if segment.kind == "ramp" else None
                    u, t, T = u_new, t + dt, T_new
                    self.counters["steps"] += 1
                    result.steps.append({"time": t, "temperature": T, "cycle": segment.cycle,
                                         "iterations": iterations, "dt": dt})
                    self._record(result, t, T)
                    if progress:
                        progress(segment, t, T, iterations, self.counters)
                    if iterations <= 3:
                        dt *= 2.0  # grow back after easy steps
            if segment.cycle >= 1 and (segment is history.segments[-1]
                                       or history.segments[history.segments.index(segment) + 1].cycle != segment.cycle):
                result.cycles.append(self._cycle_summary(segment.cycle, cycle_start[segment.cycle]))
            if snapshot_every_segment:
                self._refresh_linear_states(u, T)
                result.snapshots.append(self._snapshot(t, T, u))
        self._refresh_linear_states(u, T)
        result.u = u
        result.stats = dict(self.counters, wall_s=time.perf_counter() - start,
                            dofs=int(self.operator.n), elements=int(cycling.problem.model.n_elements))
        result.fatigue = self._fatigue(result)
        return result

    def _group_totals(self) -> dict:
        by_name = {r.name: r for r in self.regions}
        totals = {}
        for g in self.groups:
            state = by_name[g.region].state
            totals[g.name] = (_volume_average(state["w_in"][g.points], g.volume),
                              _volume_average(state["eps_eq_in"][g.points], g.volume))
        return totals

    def _cycle_summary(self, cycle: int, at_start: dict) -> dict:
        at_end = self._group_totals()
        return {"cycle": cycle,
                "dW": {name: at_end[name][0] - at_start[name][0] for name in at_end},
                "d_eps_in": {name: at_end[name][1] - at_start[name][1] for name in at_end}}

    def _record(self, result: CyclingResult, t: float, T: float) -> None:
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
        nel = self.cycling.problem.model.n_elements
        fields = {"stress": np.zeros((4, nel, self.nqp)), "eps_in": np.zeros((4, nel, self.nqp)),
                  "eps_eq_in": np.zeros((1, nel, self.nqp)), "w_in": np.zeros((1, nel, self.nqp))}
        for region in self.regions:
            e = region.elements
            fields["stress"][:, e] = region.state["stress"].reshape(4, -1, self.nqp)
            fields["eps_in"][:, e] = region.state["eps_in"].reshape(4, -1, self.nqp)
            fields["eps_eq_in"][0, e] = region.state["eps_eq_in"].reshape(-1, self.nqp)
            fields["w_in"][0, e] = region.state["w_in"].reshape(-1, self.nqp)
        eps0 = float(u[self.basis.N]) if u.size > self.basis.N else 0.0   # generalized plane strain
        return {"time": t, "temperature": T, "u": u[:self.basis.N].copy(), "eps0": eps0, "fields": fields}

    def _fatigue(self, result: CyclingResult) -> dict:
        """Lives from the last cycle's dW and inelastic strain, per group with fatigue data."""
        if not result.cycles:
            return {}
        last = result.cycles[-1]
        previous = result.cycles[-2] if len(result.cycles) > 1 else None
        history = self.cycling.history
        period = np.diff(history.cycle_window(last["cycle"]))[0]
        temps = [s.T1 for s in history.segments if s.cycle == last["cycle"]]
        T_mean = 0.5 * (max(temps) + min(temps))
        by_name = {r.name: r for r in self.regions}
        layers = {layer.name: layer for layer in self.cycling.layers}
        model = self.cycling.problem.model
        axisymmetric = self.cycling.problem.analysis == "axisymmetric"
        out = {}
        for g in self.groups:
            material = by_name[g.region].material
            dW, d_eps = last["dW"][g.name], last["d_eps_in"][g.name]
            change = (abs(dW - previous["dW"][g.name]) / abs(dW)
                      if previous is not None and dW != 0 else None)
            entry = {"dW": dW, "d_eps_in": d_eps, "cycle": last["cycle"],
                     "stabilised": change is not None and change < self.cycling.stabilised_change,
                     "dW_change_last_cycle": change}
            fatigue = getattr(material, "fatigue", None)
            if fatigue is not None and dW > 0:
                if fatigue.darveaux is not None and g.name in layers:
                    layer = layers[g.name]
                    crack = layer.crack_length or interface_extent(model, layer.facets(model), axisymmetric)
                    d = fatigue.darveaux
                    n0 = d.K1 * dW ** d.K2
                    entry["darveaux"] = {"N0": n0, "da_dN_um": d.K3 * dW ** d.K4, "crack_length_um": crack,
                                         "N_failure": float(d.cycles_to_failure(dW, crack)),
                                         "fitted_layer_thickness_um": d.volume_averaging_thickness,
                                         "source": d.source}
                if fatigue.coffin_manson is not None and d_eps > 0:
                    cm = fatigue.coffin_manson
                    d_gamma = np.sqrt(3.0) * d_eps  # equivalent strain -> engineering shear
                    entry["engelmaier"] = {"d_gamma": d_gamma, "T_mean": T_mean,
                                           "cycles_per_day": 86400.0 / period,
                                           "N_failure": float(cm.cycles_to_failure(d_gamma, T_mean, 86400.0 / period)),
                                           "source": cm.source}
                if fatigue.energy is not None:
                    entry["energy"] = {"N_failure": float(fatigue.energy.cycles_to_failure(dW)),
                                       "source": fatigue.energy.source}
            out[g.name] = entry
        return out

