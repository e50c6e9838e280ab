"""Whole runs of a model: solve it (thermoelastic, or cycled through its load history),
post-process, and write ``summary.json`` + ``result.vtu`` (and for cycled models ``result.pvd``
with one VTU per history segment), all or nothing."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fea.cycling import Cycling, Solver
from fea.export import write_fields_vtu, write_pvd, write_vtu
from fea.model import Model
from fea.post import Stresses, component_labels, invariants, smooth_by_region
from fea.thermoelastic import Solution, solve

from .model_file import existing_parent, publish


def summarize(model: Model, solution, stresses) -> dict:
    """What summary.json holds for a solved model (without the cycling part)."""
    probes = {}
    if model.probes:
        points = np.array([p.at for p in model.probes]).T
        for probe, point in zip(model.probes, points.T):
            values = stresses.at(point[:, None], probe.region)
            probes[probe.name] = {"at": list(probe.at), **{k: float(v[0]) for k, v in values.items()}}
    summary = {
        "title": model.title,
        "analysis": model.analysis,
        "units": {"length": "um", "stress": "MPa", "temperature": "degC"},
        "dofs": int(solution.n_dofs),
        "elements": int(model.mesh.n_elements),
        "nodes": int(model.mesh.mesh.doflocs.shape[1]),
        "stress_components": list(stresses.labels),
        "probes": probes,
        "regions": stresses.region_summary(),
        "region_ids": {name: k for k, name in enumerate(model.mesh.regions)},
        "solver": solution.solver_method,
        "timings_s": {k: round(v, 4) for k, v in solution.timings.items()},
    }
    if model.cracks and solution.lam is not None:
        summary["cracks"] = cracks_with_toughness(model, solution, stresses)
    if model.analysis == "generalized_plane_strain":
        summary["out_of_plane_strain"] = solution.eps0     # at the area centroid with bending
        if model.bending:
            summary["out_of_plane_curvature"] = dict(zip(model.bending, solution.curvatures))   # 1/um
    return summary


def cracks_with_toughness(model: Model, solution, stresses) -> dict[str, dict]:
    """G and phase angle of every crack (`fea.crack`), with the interface toughness and the margin
    Gc(psi) / G where the crack gives one or the library has its material pair."""
    from fea.crack import crack_results, with_margin
    from materials.toughness import interface_toughness

    out = {}
    for crack, (name, result) in zip(model.cracks, crack_results(solution, stresses.quadrature).items()):
        if crack.toughness is not None:
            out[name] = with_margin(result, crack.toughness, False, "model file")
            continue
        pair = [getattr(model.materials[region], "name", region) for region in result["materials"]]
        found = interface_toughness(*pair)
        out[name] = with_margin(result, found[0], found[1], f"library ({pair[0]}/{pair[1]})") if found else \
            {**result, "toughness": None, "margin": None}
    return out


def cycling_cracks(model: Model, result, method: str = "") -> dict[str, dict]:
    """Every crack's G, phase angle and margin at the cold and hot extremes of the last cycle, by the
    same VCCT on those snapshots (`fea.crack.cycle_extremes` says what such a G is)."""
    from fea.crack import cycle_extremes, extreme_snapshots, inelastic_at_tip

    by_state: dict[str, dict[str, dict]] = {}
    for state, index in extreme_snapshots(result).items():
        solution, stresses = snapshot_solution(model, result, index, method)
        snap = result.snapshots[index]
        for name, r in cracks_with_toughness(model, solution, stresses).items():
            crack = next(c for c in model.cracks if c.name == name)
            by_state.setdefault(name, {})[state] = {**r, "temperature": float(snap["temperature"]),
                                                    "time": float(snap["time"]),
                                                    "inelastic_at_tip": inelastic_at_tip(model.mesh, crack, snap)}
    return {name: cycle_extremes(states) for name, states in by_state.items()}


@dataclass
class Analysis:
    """A solved model in memory: what summary.json holds, the (final) solution and its stresses,
    and for cycled models the whole cycling result (snapshots, hysteresis, fatigue)."""
    summary: dict
    solution: object
    stresses: object
    cycling: object = None


def analyse(model: Model, method: str = "auto", progress=None) -> Analysis:
    """Solve a model (thermoelastic, or cycled through its [load] history) without writing."""
    from fea.crack import with_cracks

    model = with_cracks(model)
    if model.load is not None:
        return _analyse_cycling(model, method, progress)
    start = time.perf_counter()
    solution = solve(model, method)
    stresses = Stresses(solution)
    summary = summarize(model, solution, stresses)
    summary["timings_s"]["total"] = round(time.perf_counter() - start, 4)
    return Analysis(summary, solution, stresses)


def run(model: Model, out_dir: str | os.PathLike, method: str = "auto", progress=None) -> dict:
    """Solve a model and write DIR/summary.json and DIR/result.vtu (all or nothing); cycled
    models also get result.pvd with one VTU per history segment."""
    start = time.perf_counter()
    analysis = analyse(model, method, progress)
    out_dir = Path(out_dir)
    staging = Path(tempfile.mkdtemp(prefix=".pkgrel-", dir=existing_parent(out_dir)))
    try:
        if analysis.cycling is None:
            write_vtu(staging / "result.vtu", analysis.solution, analysis.stresses)
        else:
            _write_cycling_steps(model, analysis, staging)
            analysis.summary["solver_stats"]["total_s"] = round(time.perf_counter() - start, 4)
        (staging / "summary.json").write_text(to_json(analysis.summary))
        publish(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return analysis.summary


def to_json(data) -> str:
    """JSON text of plain data that may hold numpy scalars and arrays."""
    def plain(value):
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, np.ndarray):
            return value.tolist()
        raise TypeError(f"cannot write {type(value).__name__} to JSON")
    return json.dumps(data, indent=2, default=plain)


def snapshot_solution(model: Model, result, index: int = -1, method: str = ""):
    """Solution and Stresses of cycling snapshot ``index`` (e.g. the coldest state of a cycle)."""
    basis, snap = result.basis, result.snapshots[index]
    quad_points = basis.mapping.F(basis.X)
    solution = Solution(model, basis, snap["u"], snap["eps0"], quad_points,
                        np.full(quad_points.shape[1:], snap["temperature"]), None, None, None, {}, method,
                        snap.get("curvatures", ()))
    return solution, Stresses(solution, given=snap["fields"]["stress"])


def _analyse_cycling(model: Model, method: str, progress) -> Analysis:
    history = model.history()
    result = Solver(Cycling(model, history), method).run(progress)
    solution, stresses = snapshot_solution(model, result, -1, method)
    summary = summarize(model, solution, stresses)
    summary.pop("timings_s")
    summary.update({
        "load": {"description": history.description, "table": history.table().tolist(),
                 "accuracy": history.accuracy},
        # every accepted step: its size, the estimated local error of the inelastic strain (volume
        # mean) and the allowed one (None: fixed steps)
        "steps": {key: [step[key] for step in result.steps]
                  for key in ("time", "temperature", "dt", "error", "allowed", "iterations")},
        "cycles": result.cycles,
        "cycle_jumps": result.jumps,          # [load] cycle_jump: after which cycle, how many skipped
        # process stages: when, at which temperature, which regions formed (stress-free then)
        "process": {"stress_free_start": history.stress_free,
                    "formed": [{k: (float(v) if k in ("time", "temperature") else v) for k, v in f.items()}
                               for f in result.formations]},
        "fatigue": result.fatigue,
        "hysteresis": result.hysteresis,
        # [load] warpage: the face's signed warpage and coplanarity (um) at every step (fea.warpage)
        **({"warpage": result.warpage} if result.warpage else {}),
        "solver_stats": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in result.stats.items()},
        "layers": [vars(layer) for layer in model.layers],
    })
    if model.cracks:
        summary["cracks"] = cycling_cracks(model, result, method)
    return Analysis(summary, solution, stresses, result)


def snapshot_fields(model: Model, result, index: int, element_nodes: np.ndarray) -> dict[str, np.ndarray]:
    """Region-smoothed element-node fields of cycling snapshot ``index``: stress components and
    invariants, inelastic strain components, eps_eq_in, w_in and the temperature."""
    snap = result.snapshots[index]
    fields = snap["fields"]
    smoothed = smooth_by_region(result.basis, model.mesh.regions, np.concatenate(
        [fields["stress"], fields["eps_in"], fields["eps_eq_in"], fields["w_in"]]), element_nodes)
    labels = component_labels(model.analysis)
    nodal = {f"s_{c}": smoothed[i] for i, c in enumerate(labels)}
    nodal.update(invariants(smoothed[:4]))
    nodal.update({f"eps_in_{c}": smoothed[4 + i] for i, c in enumerate(labels)})
    nodal["eps_eq_in"], nodal["w_in"] = smoothed[8], smoothed[9]
    nodal["temperature"] = np.full_like(smoothed[8], snap["temperature"])
    return nodal


def _write_cycling_steps(model: Model, analysis: Analysis, staging: Path) -> None:
    """result.pvd with one VTU per history segment, and result.vtu = the final state."""
    result = analysis.cycling
    element_nodes = analysis.stresses.element_nodes
    (staging / "steps").mkdir()
    entries = []
    for k, snap in enumerate(result.snapshots):
        name = f"steps/step_{k:04d}.vtu"
        write_fields_vtu(staging / name, model.mesh, element_nodes, snap["u"],
                         snapshot_fields(model, result, k, element_nodes))
        entries.append((snap["time"], name))
    write_pvd(staging / "result.pvd", entries)
    shutil.copy(staging / entries[-1][1], staging / "result.vtu")
