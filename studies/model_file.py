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

A thermoelastic model may hold interface pre-cracks (`fea.crack`: G and phase angle in summary.json):

```toml
[[crack]]
name = "corner"
interface = "film/substrate"   # a physical curve between two regions
start = [0.0, 0.0]             # um, on the interface: the crack mouth
length = 20.0                  # um along the interface
reference_length = 1.0         # um, optional: where the phase angle is stated (default 1)
direction = [1.0, 0.0]         # optional: the way along the interface when start is inside it
```
"""
from __future__ import annotations

import math
import os
import shutil
import tempfile
from pathlib import Path

from fea import elasticity
from fea.errors import InputError, finite_number, finite_temperature, shown
from fea.expressions import compile_expression
from fea.mesh import read_msh
from fea.viscoelastic import Viscoelastic
from fea.model import Amplitude, Crack, Displacement, Layer, Model, Probe, Toughness

TOP_LEVEL_KEYS = {"mesh", "analysis", "title", "materials", "temperature", "bc", "traction", "probe",
                  "load", "layer", "bending", "crack"}


def _require(table: dict, key: str, where: str):
    if key not in table:
        raise InputError(f"{where}: missing required key '{key}'")
    return table[key]


def _check_keys(table: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise InputError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")


_number = finite_number


def _string(value, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{where} = {shown(value)} must be a non-empty string")
    return value


def _table(value, where: str) -> dict:
    if not isinstance(value, dict):
        raise InputError(f"{where} must be a table ({where} section or {{ key = value, ... }}), "
                         f"not {shown(value)}")
    return value


def _entries(data: dict, key: str) -> list[dict]:
    """The [[key]] sections of a model file (an array of tables)."""
    entries = data.get(key, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise InputError(f"{key} must be written as [[{key}]] sections (an array of tables), "
                         f"not {shown(entries)}")
    return entries


def _pair(value, where: str, what: str) -> tuple[float, float]:
    """[a, b] of finite numbers; ``what`` names them, e.g. "[x, y] in um"."""
    if not isinstance(value, list) or len(value) != 2:
        raise InputError(f"{where} = {shown(value)} must be {what}")
    return _number(value[0], f"{where}[0]"), _number(value[1], f"{where}[1]")


def _amplitude(value, where: str, cycled: bool) -> Amplitude:
    """A load's own history: [[t_s, factor], ...] with increasing times, for cycling runs."""
    if not cycled:
        raise InputError(f"{where} history needs a [load] history (a thermoelastic solve takes the value itself)")
    if not isinstance(value, list) or not value:
        raise InputError(f"{where} history = {shown(value)} must be [[t_s, factor], ...]")
    points = tuple(_pair(row, f"{where} history[{k}]", "[t_s, factor]") for k, row in enumerate(value))
    try:
        return Amplitude(points)
    except InputError as exc:
        raise InputError(f"{where} {exc}") from None


def check_load_numbers(table) -> None:
    """Type and finiteness of the numbers of a [load] table (fea.load_history checks the ranges
    and the structure), so that nan, inf or text never reaches the history's arithmetic."""
    table = _table(table, "[load]")
    for key, value in table.items():
        if key == "profile":
            continue
        if key == "history":
            if not isinstance(value, list):
                raise InputError(f"[load] history = {shown(value)} must be a table of "
                                 f"[time_s, temperature_degC] rows")
            for k, row in enumerate(value, start=1):
                if not isinstance(row, list) or len(row) != 2:
                    raise InputError(f"[load] history row {k} = {shown(row)} must be [time_s, temperature_degC]")
                _number(row[0], f"[load] history row {k} time")
                finite_temperature(row[1], f"[load] history row {k} temperature")
        elif key in ("cycles", "start", "ramp", "dwell", "cycle_period", "max_step", "stabilise",
                     "max_cycles", "accuracy"):
            value = _number(value, f"[load] {key}")
            if key == "start":
                finite_temperature(value, "[load] start")
            if key == "cycle_period" and not value > 0:
                raise InputError(f"[load] cycle_period = {value:g} s must be > 0")


def read_model(path: str | os.PathLike, material_files=()) -> Model:
    """Read and validate a model file; the mesh and materials are loaded, nothing is solved."""
    import materials
    from materials.loader import read_toml

    path = Path(path)
    data = read_toml(path, "model file")
    _check_keys(data, TOP_LEVEL_KEYS, f"model file '{path.name}'")

    mesh_name = _string(_require(data, "mesh", f"model file '{path.name}'"), "mesh")
    analysis = elasticity.check_analysis(_string(_require(data, "analysis", f"model file '{path.name}'"),
                                                 "analysis"))
    title = data.get("title", "")
    if not isinstance(title, str):
        raise InputError(f"title = {shown(title)} must be a string")
    mesh = read_msh(path.parent / mesh_name)

    library = materials.load_library(material_files)
    material_table = _table(_require(data, "materials", f"model file '{path.name}'"), "[materials]")
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
    temperature_table = _table(data.get("temperature", {}) if cycled else _require(
        data, "temperature", f"model file '{path.name}'"), "[temperature]")
    _check_keys(temperature_table, {"stress_free", "field"}, "[temperature]")
    if cycled:
        if "field" in temperature_table:
            raise InputError("[temperature] field is not used with a [load] history (the history "
                             "sets a uniform temperature); remove it")
        field = 25.0
    else:
        field_value = _require(temperature_table, "field", "[temperature]")
        if isinstance(field_value, str):
            compile_expression(field_value, "[temperature] field")   # refuse bad text now
            field = field_value
        else:
            field = finite_temperature(field_value, "[temperature] field")
    stress_free = temperature_table.get("stress_free")
    if stress_free is not None:
        stress_free = finite_temperature(stress_free, "[temperature] stress_free")

    fixed, displacements = [], []
    for k, bc in enumerate(_entries(data, "bc")):
        where = f"[[bc]] #{k + 1}"
        _check_keys(bc, {"group", "fix", "value", "history"}, where)
        group = _string(_require(bc, "group", where), f"{where} group")
        mesh.require_group(group, where)
        components = _require(bc, "fix", where)
        if isinstance(components, str):
            components = [components]
        if not isinstance(components, list) or not components:
            raise InputError(f"{where} on '{group}': fix = {shown(components)} must be \"x\", \"y\" "
                             f"or a list of them")
        values = bc.get("value", 0.0)
        values = values if isinstance(values, list) else [values] * len(components)
        if len(values) != len(components):
            raise InputError(f"{where} on '{group}': value = {shown(bc['value'])} needs one displacement (um) "
                             f"per fixed component {shown(components)}")
        amplitude = _amplitude(bc["history"], where, cycled) if "history" in bc else None
        for c, value in zip(components, values):
            if c not in ("x", "y"):
                raise InputError(f"{where} on '{group}': fix = {shown(c)} must be one of x, y")
            value = _number(value, f"{where} value")
            if value == 0.0 and amplitude is None:
                fixed.append((group, c))
            else:
                displacements.append(Displacement(group, c, value, amplitude))

    tractions, traction_amplitudes = [], {}
    for k, tr in enumerate(_entries(data, "traction")):
        where = f"[[traction]] #{k + 1}"
        _check_keys(tr, {"group", "value", "history"}, where)
        group = _string(_require(tr, "group", where), f"{where} group")
        mesh.require_curve(group, where)
        value = _pair(_require(tr, "value", where), f"{where} value", "[t_x, t_y] in MPa")
        if group in traction_amplitudes or any(g == group for g, _ in tractions):
            raise InputError(f"{where}: '{group}' has a traction already; give one [[traction]] per curve")
        tractions.append((group, value))
        if "history" in tr:
            traction_amplitudes[group] = _amplitude(tr["history"], where, cycled)

    probes = []
    for k, pr in enumerate(_entries(data, "probe")):
        where = f"[[probe]] #{k + 1}"
        _check_keys(pr, {"name", "at", "region", "radius"}, where)
        name = _string(_require(pr, "name", where), f"{where} name")
        at = _pair(_require(pr, "at", where), f"{where} '{name}' at", "[x, y] in um")
        region = pr.get("region")
        if region is not None:
            mesh.require_region(_string(region, f"{where} region"), where)
        radius = pr.get("radius")
        if radius is not None:
            radius = _number(radius, f"{where} radius")
            if not 0 < radius <= 1000:
                raise InputError(f"{where} '{name}': radius = {radius:g} um is outside (0, 1000]")
        probes.append(Probe(name, at, region, radius))
    if len({p.name for p in probes}) != len(probes):
        raise InputError("[[probe]]: probe names must be unique")

    bending = data.get("bending", [])
    if not isinstance(bending, list) or not all(isinstance(d, str) for d in bending):
        raise InputError(f"bending = {shown(bending)} must be a list of directions out of [\"x\", \"y\"]")
    model = Model(mesh, analysis, assigned, field, stress_free, tuple(fixed), tuple(tractions),
                  tuple(probes), title=title, displacements=tuple(displacements),
                  traction_amplitudes=traction_amplitudes, bending=tuple(bending))
    elasticity.out_of_plane(model)   # refuse bending outside generalized plane strain now
    if cycled:
        check_load_numbers(data["load"])
        model.load = data["load"]
        check_load_temperatures(model.materials, model.history())   # refuse a bad [load] table now
        model.layers = read_layers(_entries(data, "layer"), mesh)
    elif "layer" in data:
        raise InputError("[[layer]] needs a [load] history (layers average the cycled inelastic energy)")
    if "crack" in data:
        from fea.crack import with_cracks

        model.cracks = read_cracks(_entries(data, "crack"))
        model = with_cracks(model)   # refuse a bad crack now
    return model


def read_cracks(entries: list) -> tuple[Crack, ...]:
    """[[crack]] entries (plain dicts) as Cracks; `fea.crack` checks them against the mesh."""
    cracks = []
    for k, entry in enumerate(entries):
        where = f"[[crack]] #{k + 1}"
        _check_keys(entry, {"name", "interface", "start", "length", "direction", "reference_length", "toughness",
                            "contact"}, where)
        name = _string(_require(entry, "name", where), f"{where} name")
        interface = _string(_require(entry, "interface", where), f"{where} interface")
        start = _pair(_require(entry, "start", where), f"{where} '{name}' start", "[x, y] in um")
        length = _number(_require(entry, "length", where), f"{where} '{name}' length")
        direction = entry.get("direction")
        if direction is not None:
            direction = _pair(direction, f"{where} '{name}' direction", "[dx, dy]")
        reference = _number(entry.get("reference_length", 1.0), f"{where} '{name}' reference_length")
        toughness = entry.get("toughness")
        if toughness is not None:
            toughness = read_toughness(toughness, f"{where} '{name}' toughness")
        contact = entry.get("contact", False)
        if not isinstance(contact, bool):
            raise InputError(f"{where} '{name}' contact = {contact!r}: allowed true or false")
        cracks.append(Crack(name, interface, start, length, direction, reference, toughness, contact))
    return tuple(cracks)


def read_toughness(table, where: str) -> Toughness:
    """toughness = { G_Ic = J/m^2, lambda = [0, 1], source = "..." } (Hutchinson & Suo's Gc(psi))."""
    if not isinstance(table, dict):
        raise InputError(f"{where}: expected {{ G_Ic = ..., lambda = ..., source = \"...\" }}")
    _check_keys(table, {"G_Ic", "lambda", "source"}, where)
    G_Ic = _number(_require(table, "G_Ic", where), f"{where} G_Ic")
    lam = _number(_require(table, "lambda", where), f"{where} lambda")
    source = _string(table.get("source", "model file"), f"{where} source")
    try:
        return Toughness(G_Ic, lam, source)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None


def check_load_temperatures(materials_by_region: dict, history) -> None:
    """Refuse a viscoelastic shift function that has a pole inside the history's temperature range."""
    temperatures = [T for s in history.segments for T in (s.T0, s.T1)]
    for region, material in materials_by_region.items():
        law = material.law()
        if isinstance(law, Viscoelastic):
            try:
                law.check_temperatures(min(temperatures), max(temperatures))
            except InputError as exc:
                raise InputError(f"[materials] {region}: {exc}") from None


def read_layers(entries: list, mesh) -> tuple[Layer, ...]:
    """[[layer]] entries (plain dicts) as Layers on ``mesh``."""
    layers = []
    for k, entry in enumerate(entries):
        where = f"[[layer]] #{k + 1}"
        _check_keys(entry, {"name", "region", "interface", "thickness", "crack_length", "x_range", "joint_height"},
                    where)
        name = _string(_require(entry, "name", where), f"{where} name")
        region = _string(_require(entry, "region", where), f"{where} region")
        mesh.require_region(region, where)
        interface = _string(_require(entry, "interface", where), f"{where} interface")
        mesh.require_curve(interface, where)
        thickness = _number(_require(entry, "thickness", where), f"{where} thickness")
        if not 0 < thickness <= 1000:
            raise InputError(f"{where} '{name}': thickness = {thickness:g} um is outside (0, 1000]")
        crack = entry.get("crack_length")
        if crack is not None:
            crack = _number(crack, f"{where} crack_length")
            if not crack > 0:
                raise InputError(f"{where} '{name}': crack_length = {crack:g} um must be > 0")
        x_range = entry.get("x_range")
        if x_range is not None:
            x_range = _pair(x_range, f"{where} '{name}' x_range", "[x0, x1] in um")
            if not x_range[0] < x_range[1]:
                raise InputError(f"{where} '{name}': x_range = {list(x_range)} needs x0 < x1")
        height = entry.get("joint_height")
        if height is not None:
            height = _number(height, f"{where} joint_height")
            if not height > 0:
                raise InputError(f"{where} '{name}': joint_height = {height:g} um must be > 0")
        layers.append(Layer(name, region, interface, thickness, crack, x_range, height))
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
    if model.bending:
        lines.append(f"bending = {toml_value(list(model.bending))}")
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
    for d in model.displacements:
        lines += ["", "[[bc]]", f"group = {toml_value(d.group)}", f"fix = {toml_value([d.component])}",
                  f"value = {toml_value(float(d.value))}"]
        if d.amplitude is not None:
            lines.append(f"history = {toml_value([list(p) for p in d.amplitude.points])}")
    for group, value in model.tractions:
        lines += ["", "[[traction]]", f"group = {toml_value(group)}", f"value = {toml_value([float(v) for v in value])}"]
        if group in model.traction_amplitudes:
            lines.append(f"history = {toml_value([list(p) for p in model.traction_amplitudes[group].points])}")
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
    for crack in model.cracks:
        lines += ["", "[[crack]]"] + [f"{k} = {toml_value(crack_value(v))}"
                                     for k, v in vars(crack).items() if v is not None]
    return "\n".join(lines) + "\n"


def crack_value(value):
    """A [[crack]] field as plain TOML data (a Toughness as its inline table)."""
    if isinstance(value, Toughness):
        return {"G_Ic": float(value.G_Ic), "lambda": float(value.lam), "source": value.source}
    return list(value) if isinstance(value, tuple) else value


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
