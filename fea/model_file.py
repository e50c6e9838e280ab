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

TOP_LEVEL_KEYS = {"mesh", "analysis", "title", "materials", "temperature", "bc", "traction", "probe"}


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

    temperature_table = _require(data, "temperature", f"model file '{path.name}'")
    _check_keys(temperature_table, {"stress_free", "field"}, "[temperature]")
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
    return Model(path, problem, probes, str(data.get("title", "")))


def summarize(model: Model, solution, stresses, run_time: float) -> dict:
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
        "timings_s": {**{k: round(v, 4) for k, v in solution.timings.items()},
                      "total": round(run_time, 4)},
    }
    if problem.analysis == "generalized_plane_strain":
        summary["out_of_plane_strain"] = solution.eps0
    return summary


def run(model: Model, out_dir: str | os.PathLike, method: str = "auto") -> dict:
    """Solve a model and write DIR/summary.json and DIR/result.vtu (all or nothing)."""
    from .export import write_vtu
    from .post import Stresses

    start = time.perf_counter()
    solution = solve(model.problem, method)
    stresses = Stresses(solution)
    summary = summarize(model, solution, stresses, 0.0)
    out_dir = Path(out_dir)
    staging = Path(tempfile.mkdtemp(prefix=".pkgrel-", dir=_existing_parent(out_dir)))
    try:
        write_vtu(staging / "result.vtu", solution, stresses)
        summary["timings_s"]["total"] = round(time.perf_counter() - start, 4)
        (staging / "summary.json").write_text(json.dumps(summary, indent=2))
        publish(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return summary


def _existing_parent(path: Path) -> Path:
    parent = path.resolve().parent
    while not parent.exists():
        parent = parent.parent
    return parent


def publish(staging: Path, out_dir: Path) -> None:
    """Move finished files from a staging directory into out_dir (created if needed)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for item in staging.iterdir():
        os.replace(item, out_dir / item.name)
