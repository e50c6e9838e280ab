"""Model files (TOML + gmsh .msh): `read_model` reads and validates one into a `fea.model.Model`,
`write_model` writes a model back (solving is `studies.analysis`).

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

import math
import os
import shutil
import tempfile
from pathlib import Path

from fea import elasticity
from fea.errors import InputError
from fea.expressions import compile_expression
from fea.mesh import read_msh
from fea.model import Layer, Model, Probe

TOP_LEVEL_KEYS = {"mesh", "analysis", "title", "materials", "temperature", "bc", "traction", "probe",
                  "load", "layer"}


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


def read_model(path: str | os.PathLike, material_files=()) -> Model:
    """Read and validate a model file; the mesh and materials are loaded, nothing is solved."""
    import materials
    from materials.loader import read_toml

    path = Path(path)
    data = read_toml(path, "model file")
    _check_keys(data, TOP_LEVEL_KEYS, f"model file '{path.name}'")

    mesh_name = _require(data, "mesh", f"model file '{path.name}'")
    analysis = elasticity.check_analysis(_require(data, "analysis", f"model file '{path.name}'"))
    mesh = read_msh(path.parent / mesh_name)

    library = materials.load_library(material_files)
    material_table = _require(data, "materials", f"model file '{path.name}'")
    assigned = {}
    for region, spec in material_table.items():
        mesh.require_region(region, "[materials]")
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
            compile_expression(field_value, "[temperature] field")   # refuse bad text now
            temperature = field_value
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
        mesh.require_group(group, where)
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
        mesh.require_curve(group, where)
        value = _require(tr, "value", where)
        if not isinstance(value, list) or len(value) != 2:
            raise InputError(f"{where}: value must be [t_x, t_y] in MPa")
        tractions.append((group, (_number(value[0], where), _number(value[1], where))))

    probes = []
    for k, pr in enumerate(data.get("probe", [])):
        where = f"[[probe]] #{k + 1}"
        _check_keys(pr, {"name", "at", "region", "radius"}, where)
        name = str(_require(pr, "name", where))
        at = _require(pr, "at", where)
        if not isinstance(at, list) or len(at) != 2:
            raise InputError(f"{where} '{name}': at must be [x, y] in um")
        region = pr.get("region")
        if region is not None:
            mesh.require_region(region, where)
        radius = pr.get("radius")
        if radius is not None and not 0 < _number(radius, f"{where} radius") <= 1000:
            raise InputError(f"{where} '{name}': radius = {radius} um is outside (0, 1000]")
        probes.append(Probe(name, (_number(at[0], where), _number(at[1], where)), region,
                            None if radius is None else float(radius)))
    if len({p.name for p in probes}) != len(probes):
        raise InputError("[[probe]]: probe names must be unique")

    model = Model(mesh, analysis, assigned, temperature, stress_free, tuple(fixed), tuple(tractions),
                  tuple(probes), title=str(data.get("title", "")))
    if cycled:
        model.load = data["load"]
        model.history()   # refuse a bad [load] table now
        model.layers = read_layers(data.get("layer", []), mesh)
    elif "layer" in data:
        raise InputError("[[layer]] needs a [load] history (layers average the cycled inelastic energy)")
    return model


def read_layers(entries: list, mesh) -> tuple[Layer, ...]:
    """[[layer]] entries (plain dicts) as Layers on ``mesh``."""
    layers = []
    for k, entry in enumerate(entries):
        where = f"[[layer]] #{k + 1}"
        _check_keys(entry, {"name", "region", "interface", "thickness", "crack_length", "x_range", "joint_height"},
                    where)
        name = str(_require(entry, "name", where))
        region = _require(entry, "region", where)
        mesh.require_region(region, where)
        interface = _require(entry, "interface", where)
        mesh.require_curve(interface, where)
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
        height = entry.get("joint_height")
        if height is not None and not _number(height, f"{where} joint_height") > 0:
            raise InputError(f"{where} '{name}': joint_height = {height} um must be > 0")
        layers.append(Layer(name, region, interface, thickness,
                            None if crack is None else _number(crack, f"{where} crack_length"), x_range,
                            None if height is None else float(height)))
    if len({layer.name for layer in layers}) != len(layers):
        raise InputError("[[layer]]: layer names must be unique")
    return tuple(layers)




# ---------------------------------------------------------------------------------- writing

def toml_value(value) -> str:
    """TOML text of a number, boolean, string, list or (inline) table."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InputError(f"cannot write the non-finite number {value!r} to a model file")
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise InputError(f"cannot write {type(value).__name__} {value!r} to a model file")


def toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else toml_value(key)


def material_entry(material) -> str | dict:
    """What [materials] holds for a material: its library name, or the inline table it came from."""
    inline = getattr(material, "inline", None)
    return inline if inline is not None else material.name


def model_toml(model: Model, mesh_file: str = "model.msh") -> str:
    """The model file of ``model`` (with the mesh in ``mesh_file`` next to it)."""
    if callable(model.temperature):
        raise InputError("a model whose temperature is a Python function cannot be written to a "
                         "model file; give a number or an expression of x and y")
    lines = []
    info = model.geometry
    if info is not None:
        lines.append(f"# pkgrel model: {info.structure} ({info.level}) written by `pkgrel mesh`")
        lines.append("# parameters: " + ", ".join(f"{k}={toml_value(v)}" for k, v in info.parameters.items()))
        lines += [f"# {note}" for note in info.notes]
    lines += [f"mesh = {toml_value(mesh_file)}", f"analysis = {toml_value(model.analysis)}"]
    if model.title:
        lines.append(f"title = {toml_value(model.title)}")
    lines += ["", "[materials]"]
    lines += [f"{toml_value(region)} = {toml_value(material_entry(m))}" for region, m in model.materials.items()]
    temperature = {}
    if model.stress_free_temperature is not None:
        temperature["stress_free"] = float(model.stress_free_temperature)
    if model.load is None:
        temperature["field"] = model.temperature
    if temperature:
        lines += ["", "[temperature]"] + [f"{k} = {toml_value(v)}" for k, v in temperature.items()]
    groups = {}
    for group, component in model.fixed:
        groups.setdefault(group, []).append(component)
    for group, components in groups.items():
        lines += ["", "[[bc]]", f"group = {toml_value(group)}", f"fix = {toml_value(components)}"]
    for group, value in model.tractions:
        lines += ["", "[[traction]]", f"group = {toml_value(group)}", f"value = {toml_value([float(v) for v in value])}"]
    for probe in model.probes:
        lines += ["", "[[probe]]", f"name = {toml_value(probe.name)}", f"at = {toml_value([float(v) for v in probe.at])}"]
        if probe.region is not None:
            lines.append(f"region = {toml_value(probe.region)}")
        if probe.radius is not None:
            lines.append(f"radius = {toml_value(float(probe.radius))}")
    if model.load is not None:
        lines += ["", "[load]"] + [f"{k} = {toml_value(v)}" for k, v in model.load.items()]
    for layer in model.layers:
        lines += ["", "[[layer]]"] + [f"{k} = {toml_value(v)}" for k, v in vars(layer).items() if v is not None]
    return "\n".join(lines) + "\n"


def write_model(model: Model, out_dir: str | os.PathLike, picture: bool = False) -> Path:
    """Write ``model.msh`` and ``model.toml`` (and with ``picture`` the builder's ``mesh.png``)
    into out_dir, all or nothing: a failure leaves out_dir as it was."""
    if model.mesh.msh is None:
        raise InputError("this model's mesh was not read from MSH content and cannot be written")
    out = Path(out_dir)
    staging = Path(tempfile.mkdtemp(prefix=".pkgrel-", dir=existing_parent(out)))
    try:
        (staging / "model.msh").write_bytes(model.mesh.msh)
        (staging / "model.toml").write_text(model_toml(model))
        if picture:
            from geometry.plot import plot_mesh
            plot_mesh(model, staging / "mesh.png")
        publish(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out


def existing_parent(path: Path) -> Path:
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
