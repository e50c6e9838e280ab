"""Model files (TOML): read, validate, solve and write ``summary.json`` + ``result.vtu``.

```toml
mesh = "part.msh"              # relative to the model file
analysis = "axisymmetric"      # plane_strain | generalized_plane_strain | plane_stress | axisymmetric
[materials]                    # physical surface name -> library name or inline table
body = { E = 210000.0, nu = 0.3, alpha = 2.3e-4 }
[temperature]
stress_free = 0.0              # degC; overrides the materials' own stress-free temperature
field = "x + y"                # a number, or an expression of x and y
[[bc]]
group = "bottom"               # physical curve (or point) name
fix = ["y"]                    # any of "x", "y"
[[traction]]
group = "top"                  # physical curve name
value = [0.0, -1.0]            # MPa
[[probe]]
name = "A"
at = [1.0, 0.0]
region = "body"                # optional: which side of a material boundary to read
```

Thermal cycling adds a load history and, optionally, Darveaux averaging layers:

```toml
[load]
profile = "G"                  # JESD22-A104 condition (A B C G J K N), or history = [[t_s, T_degC], ...]
cycles = 3
start = 25.0                   # degC reached after the cool-down from the stress-free state
ramp = 900.0                   # s per ramp (optional)
dwell = 900.0                  # s per dwell (optional)
[[layer]]
name = "solder_pad_layer"
region = "solder"
interface = "ppi/solder"
thickness = 25.0               # um
```
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import elasticity
from .errors import InputError
from .expressions import compile_expression
from .mesh import read_msh
from .thermoelastic import Thermoelastic, solve

TOP_LEVEL_KEYS = {"mesh", "analysis", "title", "materials", "temperature", "bc", "traction", "probe",
                  "load", "layer"}
LOAD_KEYS = {"profile", "cycles", "start", "ramp", "dwell", "history", "cycle_period", "max_step"}


@dataclass(frozen=True)
class Probe:
    name: str
    at: tuple[float, float]
    region: str | None = None


@dataclass
class Model:
    path: Path
    problem: Thermoelastic
    probes: list[Probe] = field(default_factory=list)
    title: str = ""
    history: object = None          # fea.load_history.LoadHistory when the model is cycled
    layers: list = field(default_factory=list)


def _require(table: dict, key: str, where: str):
    if key not in table:
        raise InputError(f"{where}: missing required key '{key}'")
    return table[key]


def _check_keys(table: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise InputError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")


def _number(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{where}: expected a number, got {value!r}")
    return float(value)


def load_model(path: str | os.PathLike, material_files=()) -> Model:
    """Read and validate a model file; the mesh and materials are loaded, nothing is solved."""
    import materials

    path = Path(path)
    if not path.is_file():
        raise InputError(f"model file '{path}' does not exist")
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"model file '{path}' is not valid TOML: {exc}") from None
    _check_keys(data, TOP_LEVEL_KEYS, f"model file '{path.name}'")

    mesh_name = _require(data, "mesh", f"model file '{path.name}'")
    analysis = elasticity.check_analysis(_require(data, "analysis", f"model file '{path.name}'"))
    model = read_msh(path.parent / mesh_name)

    library = materials.load_library(material_files)
    material_table = _require(data, "materials", f"model file '{path.name}'")
    assigned = {}
    for region, spec in material_table.items():
        model.require_region(region, "[materials]")
        if isinstance(spec, str):
            assigned[region] = library.get(spec)
        elif isinstance(spec, dict):
            assigned[region] = materials.from_inline(region, spec, library=library)
        else:
            raise InputError(f"[materials] {region}: expected a material name or an inline table")

    cycled = "load" in data
    temperature_table = data.get("temperature", {}) if cycled else _require(
        data, "temperature", f"model file '{path.name}'")
    _check_keys(temperature_table, {"stress_free", "field"}, "[temperature]")
    if cycled:
        if "field" in temperature_table:
            raise InputError("[temperature] field is not used with a [load] history (the history "
                             "sets a uniform temperature); remove it")
        temperature = 25.0
    else:
        field_value = _require(temperature_table, "field", "[temperature]")
        if isinstance(field_value, str):
            temperature = compile_expression(field_value, "[temperature] field")
        else:
            temperature = _number(field_value, "[temperature] field")
    stress_free = temperature_table.get("stress_free")
    if stress_free is not None:
        stress_free = _number(stress_free, "[temperature] stress_free")

    fixed = []
    for k, bc in enumerate(data.get("bc", [])):
        where = f"[[bc]] #{k + 1}"
        _check_keys(bc, {"group", "fix"}, where)
        group = _require(bc, "group", where)
        model.require_group(group, where)
        components = _require(bc, "fix", where)
        if isinstance(components, str):
            components = [components]
        for c in components:
            if c not in ("x", "y"):
                raise InputError(f"{where} on '{group}': fix = '{c}' must be one of x, y")
            fixed.append((group, c))

    tractions = []
    for k, tr in enumerate(data.get("traction", [])):
        where = f"[[traction]] #{k + 1}"
        _check_keys(tr, {"group", "value"}, where)
        group = _require(tr, "group", where)
        model.require_curve(group, where)
        value = _require(tr, "value", where)
        if not isinstance(value, list) or len(value) != 2:
            raise InputError(f"{where}: value must be [t_x, t_y] in MPa")
        tractions.append((group, (_number(value[0], where), _number(value[1], where))))

    probes = []
    for k, pr in enumerate(data.get("probe", [])):
        where = f"[[probe]] #{k + 1}"
        _check_keys(pr, {"name", "at", "region"}, where)
        name = str(_require(pr, "name", where))
        at = _require(pr, "at", where)
        if not isinstance(at, list) or len(at) != 2:
            raise InputError(f"{where} '{name}': at must be [x, y] in um")
        region = pr.get("region")
        if region is not None:
            model.require_region(region, where)
        probes.append(Probe(name, (_number(at[0], where), _number(at[1], where)), region))
    if len({p.name for p in probes}) != len(probes):
        raise InputError("[[probe]]: probe names must be unique")

    problem = Thermoelastic(model, analysis, assigned, temperature, stress_free, fixed, tractions)
    result = Model(path, problem, probes, str(data.get("title", "")))
    if cycled:
        start_temperature = (stress_free if stress_free is not None
                             else max(m.stress_free_temperature for m in assigned.values()))
        result.history = load_history(data["load"], start_temperature)
        result.layers = read_layers(data.get("layer", []), model)
    elif "layer" in data:
        raise InputError("[[layer]] needs a [load] history (layers average the cycled inelastic energy)")
    return result


def load_history(table: dict, stress_free: float):
    """The [load] section as a LoadHistory starting at the stress-free temperature."""
    from .load_history import jedec_history, table_history

    if not isinstance(table, dict):
        raise InputError("[load] must be a table")
    _check_keys(table, LOAD_KEYS, "[load]")
    max_step = _number(table.get("max_step", 15.0), "[load] max_step")
    if not 0.5 <= max_step <= 50.0:
        raise InputError(f"[load] max_step = {max_step} K is outside [0.5, 50]")
    if "history" in table:
        if "profile" in table:
            raise InputError("[load]: give either profile or history, not both")
        period = table.get("cycle_period")
        return table_history(table["history"], stress_free, max_step_K=max_step,
                             cycle_period=None if period is None else _number(period, "[load] cycle_period"))
    profile = _require(table, "profile", "[load]")
    cycles = table.get("cycles", 3)
    if isinstance(cycles, bool) or not isinstance(cycles, int):
        raise InputError(f"[load] cycles = {cycles!r} must be a whole number in [1, 100]")
    return jedec_history(profile, cycles, stress_free,
                         start=_number(table.get("start", 25.0), "[load] start"),
                         ramp_s=_number(table.get("ramp", 900.0), "[load] ramp"),
                         dwell_s=_number(table.get("dwell", 900.0), "[load] dwell"),
                         max_step_K=max_step)


def read_layers(entries: list, model) -> list:
    from .cycling import Layer

    layers = []
    for k, entry in enumerate(entries):
        where = f"[[layer]] #{k + 1}"
        _check_keys(entry, {"name", "region", "interface", "thickness", "crack_length", "x_range"}, where)
        name = str(_require(entry, "name", where))
        region = _require(entry, "region", where)
        model.require_region(region, where)
        interface = _require(entry, "interface", where)
        model.require_curve(interface, where)
        thickness = _number(_require(entry, "thickness", where), f"{where} thickness")
        if not 0 < thickness <= 1000:
            raise InputError(f"{where} '{name}': thickness = {thickness} um is outside (0, 1000]")
        crack = entry.get("crack_length")
        x_range = entry.get("x_range")
        if x_range is not None:
            if not (isinstance(x_range, list) and len(x_range) == 2):
                raise InputError(f"{where} '{name}': x_range must be [x0, x1] in um")
            x_range = tuple(_number(v, f"{where} x_range") for v in x_range)
            if not x_range[0] < x_range[1]:
                raise InputError(f"{where} '{name}': x_range = {list(x_range)} needs x0 < x1")
        layers.append(Layer(name, region, interface, thickness,
                            None if crack is None else _number(crack, f"{where} crack_length"), x_range))
    if len({layer.name for layer in layers}) != len(layers):
        raise InputError("[[layer]]: layer names must be unique")
    return layers


def summarize(model: Model, solution, stresses) -> dict:
    problem = model.problem
    probes = {}
    if model.probes:
        points = np.array([p.at for p in model.probes]).T
        for probe, point in zip(model.probes, points.T):
            values = stresses.at(point[:, None], probe.region)
            probes[probe.name] = {"at": list(probe.at), **{k: float(v[0]) for k, v in values.items()}}
    summary = {
        "title": model.title,
        "analysis": problem.analysis,
        "units": {"length": "um", "stress": "MPa", "temperature": "degC"},
        "dofs": int(solution.n_dofs),
        "elements": int(problem.model.n_elements),
        "nodes": int(problem.model.mesh.doflocs.shape[1]),
        "stress_components": list(stresses.labels),
        "probes": probes,
        "regions": stresses.region_summary(),
        "region_ids": {name: k for k, name in enumerate(problem.model.regions)},
        "solver": solution.solver_method,
        "timings_s": {k: round(v, 4) for k, v in solution.timings.items()},
    }
    if problem.analysis == "generalized_plane_strain":
        summary["out_of_plane_strain"] = solution.eps0
    return summary


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
    from .post import Stresses

    if model.history is not None:
        return _analyse_cycling(model, method, progress)
    start = time.perf_counter()
    solution = solve(model.problem, method)
    stresses = Stresses(solution)
    summary = summarize(model, solution, stresses)
    summary["timings_s"]["total"] = round(time.perf_counter() - start, 4)
    return Analysis(summary, solution, stresses)


def run(model: Model, out_dir: str | os.PathLike, method: str = "auto", progress=None) -> dict:
    """Solve a model and write DIR/summary.json and DIR/result.vtu (all or nothing); cycled
    models also get result.pvd with one VTU per history segment."""
    from .export import write_vtu

    start = time.perf_counter()
    analysis = analyse(model, method, progress)
    out_dir = Path(out_dir)
    staging = Path(tempfile.mkdtemp(prefix=".pkgrel-", dir=_existing_parent(out_dir)))
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


def _existing_parent(path: Path) -> Path:
    parent = path.resolve().parent
    while not parent.exists():
        parent = parent.parent
    return parent


def publish(staging: Path, out_dir: Path) -> None:
    """Move finished files from a staging directory into out_dir (created if needed)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for item in staging.iterdir():
        target = out_dir / item.name
        if target.is_dir() and item.is_dir():
            shutil.rmtree(target)
        os.replace(item, target)


def snapshot_solution(model: Model, result, index: int = -1, method: str = ""):
    """Solution and Stresses of cycling snapshot ``index`` (e.g. the coldest state of a cycle)."""
    from .post import Stresses
    from .thermoelastic import Solution

    basis, snap = result.basis, result.snapshots[index]
    quad_points = basis.mapping.F(basis.X)
    solution = Solution(model.problem, basis, snap["u"], snap["eps0"], quad_points,
                        np.full(quad_points.shape[1:], snap["temperature"]), None, None, None, {}, method)
    return solution, Stresses(solution, given=snap["fields"]["stress"])


def _analyse_cycling(model: Model, method: str, progress) -> Analysis:
    from .cycling import Cycling, Solver

    result = Solver(Cycling(model.problem, model.history, model.layers), method).run(progress)
    solution, stresses = snapshot_solution(model, result, -1, method)
    summary = summarize(model, solution, stresses)
    summary.pop("timings_s")
    summary.update({
        "load": {"description": model.history.description, "table": model.history.table().tolist()},
        "cycles": result.cycles,
        "fatigue": result.fatigue,
        "hysteresis": result.hysteresis,
        "solver_stats": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in result.stats.items()},
        "layers": [vars(layer) for layer in model.layers],
    })
    return Analysis(summary, solution, stresses, result)


def snapshot_fields(model: Model, result, index: int, element_nodes: np.ndarray) -> dict[str, np.ndarray]:
    """Region-smoothed element-node fields of cycling snapshot ``index``: stress components and
    invariants, inelastic strain components, eps_eq_in, w_in and the temperature."""
    from .post import component_labels, invariants, smooth_by_region

    snap = result.snapshots[index]
    fields = snap["fields"]
    smoothed = smooth_by_region(result.basis, model.problem.model.regions, np.concatenate(
        [fields["stress"], fields["eps_in"], fields["eps_eq_in"], fields["w_in"]]), element_nodes)
    labels = component_labels(model.problem.analysis)
    nodal = {f"s_{c}": smoothed[i] for i, c in enumerate(labels)}
    nodal.update(invariants(smoothed[:4]))
    nodal.update({f"eps_in_{c}": smoothed[4 + i] for i, c in enumerate(labels)})
    nodal["eps_eq_in"], nodal["w_in"] = smoothed[8], smoothed[9]
    nodal["temperature"] = np.full_like(smoothed[8], snap["temperature"])
    return nodal


def _write_cycling_steps(model: Model, analysis: Analysis, staging: Path) -> None:
    """result.pvd with one VTU per history segment, and result.vtu = the final state."""
    from .export import write_fields_vtu, write_pvd

    result = analysis.cycling
    element_nodes = analysis.stresses.element_nodes
    (staging / "steps").mkdir()
    entries = []
    for k, snap in enumerate(result.snapshots):
        name = f"steps/step_{k:04d}.vtu"
        write_fields_vtu(staging / name, model.problem.model, element_nodes, snap["u"],
                         snapshot_fields(model, result, k, element_nodes))
        entries.append((snap["time"], name))
    write_pvd(staging / "result.pvd", entries)
    shutil.copy(staging / entries[-1][1], staging / "result.vtu")
