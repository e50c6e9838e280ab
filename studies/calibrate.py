"""`pkgrel calibrate DATA.toml --out DIR`: fit a solder life law to measured test-vehicle lives.

Reliability teams do not trust published fatigue constants as they stand (they were fitted with
another alloy, creep model, averaging volume or 3D model): they fit them to their own thermal-
cycling test vehicles. This command evaluates every vehicle of DATA through the sweep runner
(cached in DIR/cache, --workers / --scheduler as in sweeps), takes the damage input of each
vehicle's critical Darveaux layer and fits the chosen law by least squares in ln(life):

* energy      N = C dW^k                              (fits ln C and k)
* darveaux    N = K1 dW^K2 + a / (K3 dW^K4)            (fits ln K1, K2, ln K3, K4; a = crack length)
* engelmaier  N = 0.5 (d_gamma / (2 eps_f))^(1/c),   c = c0 + c1 T_mean + c2 ln(1 + f)
                                                      (fits ln eps_f, and c0 with >= 2 strain ranges)

Outputs, published together: ``calibrated_materials.toml`` (a --materials override of the solder
with the fitted constants and their basis), ``calibration.json`` and ``report.html``. The DATA
format is in docs/calibration.md.
"""
from __future__ import annotations

import math
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fea.errors import InputError, SolverError

LAWS = ("energy", "darveaux", "engelmaier")
#: the [fatigue.<section>] of a material file that holds each law's constants
SECTION = {"energy": "energy", "darveaux": "darveaux", "engelmaier": "coffin_manson"}
CONSTANTS = {"energy": ("C", "k"), "darveaux": ("K1", "K2", "K3", "K4"),
             "engelmaier": ("eps_f", "c0", "c1", "c2")}
EQUATION = {"energy": "N = C dW^k",
            "darveaux": "N = K1 dW^K2 + a / (K3 dW^K4)",
            "engelmaier": "N = 0.5 (d_gamma / (2 eps_f))^(1/c), c = c0 + c1 T_mean + c2 ln(1 + f)"}
UNITS = {"C": "cycles/MPa^k", "k": "-", "K1": "cycles/MPa^K2", "K2": "-", "K3": "um/(cycle*MPa^K4)",
         "K4": "-", "eps_f": "-", "c0": "-", "c1": "1/degC", "c2": "-"}
#: positive scale constants are fitted as their logarithm (a multiplicative uncertainty)
LOG_FITTED = {"C", "K1", "K3", "eps_f"}
#: fewest vehicles a law can be fitted to (energy: C alone with the library's k)
MIN_VEHICLES = {"energy": 1, "darveaux": 4, "engelmaier": 1}
LIFE_KINDS = ("eta", "N63", "N50")
LEVELS = ("assembly", "cell")
TOP_KEYS = {"law", "material", "vehicle"}
VEHICLE_KEYS = {"name", "structure", "level", "parameters", "load", "life", "life_kind", "weibull_slope"}
#: Weibull slopes accepted for N50 -> eta (solder joints: typically 4-10)
WEIBULL_SLOPE_RANGE = (0.1, 100.0)
LAYERS = ("pad_layer", "land_layer")
CONFIDENCE = 0.95
#: damage inputs closer than this in ln are one value (cannot separate an exponent)
DISTINCT_LN = 1e-6
OUTPUTS = ("calibrated_materials.toml", "calibration.json", "report.html")


# ------------------------------------------------------------------------------- the data file

@dataclass(frozen=True)
class Vehicle:
    """One test vehicle: a design point and its measured characteristic life."""
    name: str
    structure: str
    level: str
    parameters: dict
    load: dict
    life: float              # as measured
    life_kind: str           # eta | N63 | N50
    weibull_slope: float | None
    eta: float               # Weibull characteristic life (63.2 % failed), cycles


@dataclass(frozen=True)
class CalibrationData:
    law: str
    material: str | None     # None: the solder of the first vehicle
    vehicles: tuple[Vehicle, ...]
    source: str              # the data file's name, for sources and reports


def characteristic_life(life: float, kind: str, slope: float | None) -> float:
    """Weibull eta from a measured life: F(N) = 1 - exp(-(N / eta)^beta), so N63 is eta itself
    and F(N50) = 1/2 gives eta = N50 / ln(2)^(1/beta)."""
    if kind == "N50":
        from .scatter import weibull_eta
        return weibull_eta(life, slope)
    return life


def read_data(path) -> CalibrationData:
    """Read and check DATA.toml; every problem is one InputError line naming key and vehicle."""
    from materials.loader import read_toml

    path = Path(path)
    data = read_toml(path, "calibration data")
    where = path.name
    unknown = sorted(set(data) - TOP_KEYS)
    if unknown:
        raise InputError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(TOP_KEYS))}")
    law = data.get("law")
    if law not in LAWS:
        raise InputError(f"{where}: law = {law!r} must be one of {', '.join(LAWS)}")
    material = data.get("material")
    if material is not None and (not isinstance(material, str) or not material.strip()):
        raise InputError(f"{where}: material = {material!r} must be the name of a library material")
    entries = data.get("vehicle", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise InputError(f"{where}: vehicle must be an array of tables ([[vehicle]])")
    vehicles = tuple(read_vehicle(entry, k, where) for k, entry in enumerate(entries))
    names = [v.name for v in vehicles]
    for name in names:
        if names.count(name) > 1:
            raise InputError(f"{where} vehicle {name}: name is used twice; vehicle names must be unique")
    if len(vehicles) < MIN_VEHICLES[law]:
        need = MIN_VEHICLES[law]
        raise InputError(f"{where}: law = {law} needs at least {need} vehicle{'s' if need > 1 else ''} "
                         f"([[vehicle]] tables), got {len(vehicles)}")
    return CalibrationData(law, material.strip() if material else None, vehicles, path.name)


def read_vehicle(entry: dict, index: int, where: str) -> Vehicle:
    from fea.load_history import from_table
    from geometry import STRUCTURES

    from .study import FULL_LOAD

    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"{where} vehicle #{index + 1}: missing key 'name' (a non-empty string)")
    at = f"{where} vehicle {name}"
    unknown = sorted(set(entry) - VEHICLE_KEYS)
    if unknown:
        raise InputError(f"{at}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(VEHICLE_KEYS))}")
    structure = entry.get("structure")
    if structure not in STRUCTURES:
        raise InputError(f"{at}: structure = {structure!r} is unknown; valid: {', '.join(STRUCTURES)}")
    level = entry.get("level", "assembly")
    if level not in LEVELS:
        raise InputError(f"{at}: level = {level!r} must be one of {', '.join(LEVELS)}")
    parameters = entry.get("parameters", {})
    load = entry.get("load", FULL_LOAD)
    for key, table in (("parameters", parameters), ("load", load)):
        if not isinstance(table, dict):
            raise InputError(f"{at}: {key} must be a table, e.g. {key} = {{ ... }}")
    life = positive_number(entry, "life", at, "the measured characteristic life in cycles")
    kind = entry.get("life_kind", "eta")
    if kind not in LIFE_KINDS:
        raise InputError(f"{at}: life_kind = {kind!r} must be one of {', '.join(LIFE_KINDS)}")
    slope = None
    if "weibull_slope" in entry or kind == "N50":
        if "weibull_slope" not in entry:
            raise InputError(f"{at}: life_kind = N50 needs weibull_slope (the Weibull slope beta, "
                             f"in [{WEIBULL_SLOPE_RANGE[0]:g}, {WEIBULL_SLOPE_RANGE[1]:g}])")
        slope = positive_number(entry, "weibull_slope", at, "the Weibull slope beta")
        if not WEIBULL_SLOPE_RANGE[0] <= slope <= WEIBULL_SLOPE_RANGE[1]:
            raise InputError(f"{at}: weibull_slope = {slope:g} is outside "
                             f"[{WEIBULL_SLOPE_RANGE[0]:g}, {WEIBULL_SLOPE_RANGE[1]:g}]")
    vehicle = Vehicle(name.strip(), structure, level, dict(parameters), dict(load), life, kind, slope,
                      characteristic_life(life, kind, slope))
    try:   # impossible geometry and bad load tables now, before anything is solved or written
        point_of(vehicle).builder()
        from_table(vehicle.load, stress_free=25.0)
    except InputError as exc:
        raise InputError(f"{at}: {exc}") from None
    return vehicle


def positive_number(entry: dict, key: str, at: str, meaning: str) -> float:
    if key not in entry:
        raise InputError(f"{at}: missing key '{key}' ({meaning}, > 0)")
    value = entry[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise InputError(f"{at}: {key} = {value!r} must be a number > 0 ({meaning})")
    return float(value)


def point_of(vehicle: Vehicle, quick: bool = False, materials: tuple = ()):
    """The design point of a vehicle; --quick as in sweeps: coarse mesh, the quick cycle count."""
    from .evaluate import QUICK_MESH_FACTOR, Point
    from .study import QUICK_LOAD

    load = {**vehicle.load, "cycles": QUICK_LOAD["cycles"]} if quick else vehicle.load
    return Point(vehicle.structure, vehicle.parameters, vehicle.level,
                 QUICK_MESH_FACTOR if quick else 1.0, load, vehicle.name, materials)


# ------------------------------------------------------------------------------- damage inputs

@dataclass(frozen=True)
class Damage:
    """The damage input of one vehicle: its critical layer's cycle figures."""
    group: str                 # pad_layer | land_layer
    dW: float                  # MPa, inelastic energy density of the last cycle
    shear_strain_range: float  # engineering shear strain range of the loop
    T_mean: float              # degC
    cycles_per_day: float
    crack_length_um: float | None
    layer_thickness_um: float | None
    stabilised: bool | None


def critical_layer(fatigue: dict, law: str, vehicle: str) -> str:
    """The layer next to the pad or the land that the law sees as worse."""
    key = "shear_strain_range" if law == "engelmaier" else "dW"
    layers = [g for g in LAYERS if g in fatigue]
    if not layers:
        raise InputError(f"vehicle {vehicle}: its run has no pad or land layer results (the vehicle "
                         "needs a solder joint and a cycled load)")
    missing = [g for g in layers if not isinstance(fatigue[g].get(key), (int, float))]
    if missing:
        raise InputError(f"vehicle {vehicle}: the run's {missing[0]} has no '{key}' (the law = {law} "
                         "input; this pkgrel's cycle results predate it)")
    return max(layers, key=lambda g: fatigue[g][key])


def damage_of(record: dict, law: str, point=None) -> Damage:
    """Damage input of an evaluated vehicle (a sweep record). ``point`` rebuilds the mesh when the
    record holds no Darveaux crack length (a solder without Darveaux constants)."""
    fatigue = record.get("fatigue") or {}
    vehicle = record.get("label", "?")
    group = critical_layer(fatigue, law, vehicle)
    entry = fatigue[group]
    engelmaier = entry.get("engelmaier", {})
    crack = entry.get("darveaux", {}).get("crack_length_um")
    if crack is None and law == "darveaux" and point is not None:
        crack = interface_extent_of(point, record, group)
    thickness = entry.get("layer_thickness_um", (record.get("critical_joint") or {}).get("layer_thickness_um"))
    return Damage(group, float(entry["dW"]), float(entry.get("shear_strain_range", math.nan)),
                  float(entry.get("T_mean", engelmaier.get("T_mean", math.nan))),
                  float(entry.get("cycles_per_day", engelmaier.get("cycles_per_day", math.nan))),
                  None if crack is None else float(crack),
                  None if thickness is None else float(thickness),
                  None if entry.get("stabilised") is None else bool(entry["stabilised"]))


def interface_extent_of(point, record: dict, group: str) -> float:
    """Crack length as the solver takes it by default: the critical interface's extent on the
    outer joint (its diameter in a round cell)."""
    from fea.cycling import interface_extent
    from fea.model import Layer

    joint = record["critical_joint"]
    interface = joint["pad_interface"] if group == "pad_layer" else joint["land_interface"]
    x0, x1 = joint["x_range"]
    model = point.builder().build(point.level, point.mesh_size_factor, library=point.library())
    layer = Layer(group, "solder", interface, joint["layer_thickness_um"], None, (x0 - 1e-6, x1 + 1e-6))
    return interface_extent(model.mesh, layer.facets(model.mesh), model.analysis == "axisymmetric")


def law_inputs(damages: list[Damage]) -> dict[str, np.ndarray]:
    """Per-vehicle arrays the life laws take."""
    return {"dW": np.array([d.dW for d in damages]),
            "a": np.array([np.nan if d.crack_length_um is None else d.crack_length_um for d in damages]),
            "d_gamma": np.array([d.shear_strain_range for d in damages]),
            "T_mean": np.array([d.T_mean for d in damages]),
            "f": np.array([d.cycles_per_day for d in damages])}


# ------------------------------------------------------------------------------- the laws and fits

def ln_life(law: str, c: dict, x: dict) -> np.ndarray:
    """ln N of each vehicle under ``law`` with constants ``c`` and inputs ``x`` (law_inputs),
    from the library's own life laws (materials.models)."""
    from materials.models import CoffinManson, Darveaux, EnergyLaw
    if law == "energy":
        return np.log(EnergyLaw(c["C"], c["k"], "fit", None).cycles_to_failure(x["dW"]))
    if law == "darveaux":
        model = Darveaux(c["K1"], c["K2"], c["K3"], c["K4"], "fit", None)
        return np.log(model.cycles_to_failure(x["dW"], x["a"]))
    model = CoffinManson(c["eps_f"], c["c0"], c["c1"], c["c2"], "fit", None)
    return np.log(model.cycles_to_failure(x["d_gamma"], x["T_mean"], x["f"]))


def damage_key(law: str) -> str:
    return "d_gamma" if law == "engelmaier" else "dW"


def distinct_count(values: np.ndarray) -> int:
    return len(np.unique(np.round(np.log(values) / DISTINCT_LN)))


def fitted_constants(law: str, x: dict) -> tuple[tuple[str, ...], list[str]]:
    """Which constants the data can determine, and what to tell the user about the others."""
    distinct = distinct_count(x[damage_key(law)])
    if law == "energy":
        if distinct >= 2:
            return ("C", "k"), []
        return ("C",), ["one distinct dW: the exponent k is not identifiable; kept the library's k, "
                        "fitted C only"]
    if law == "darveaux":
        if distinct < 4:
            raise InputError(f"law = darveaux: K1-K4 need at least 4 vehicles with distinct dW, got {distinct}")
        return ("K1", "K2", "K3", "K4"), []
    if distinct >= 2:
        return ("eps_f", "c0"), [f"{distinct} distinct strain ranges: fitted eps_f and c0; c1, c2 kept from the library"]
    return ("eps_f",), ["one distinct strain range: fitted eps_f only; c0, c1, c2 kept from the library"]


@dataclass
class Fit:
    law: str
    constants: dict[str, float]                  # every constant of the law, fitted or kept
    fitted: tuple[str, ...]
    intervals: dict[str, tuple[float, float] | None]   # 95 % intervals of the fitted constants
    ln_predicted: np.ndarray
    ln_measured: np.ndarray
    notes: list[str] = field(default_factory=list)

    @property
    def kept(self) -> tuple[str, ...]:
        return tuple(n for n in CONSTANTS[self.law] if n not in self.fitted)

    @property
    def residuals(self) -> np.ndarray:
        """ln(measured / predicted) per vehicle."""
        return self.ln_measured - self.ln_predicted

    @property
    def rms(self) -> float:
        return float(np.sqrt(np.mean(self.residuals ** 2)))


def fit_law(law: str, x: dict, eta, start: dict, fitted: tuple[str, ...]) -> Fit:
    """Least squares in ln N over the ``fitted`` constants, the others held at ``start``; 95 %
    intervals from the Jacobian of the log-life residuals (t with n - p degrees of freedom)."""
    from scipy.optimize import least_squares

    ln_measured = np.log(np.asarray(eta, dtype=float))

    def constants(theta) -> dict:
        values = dict(start)
        for name, t in zip(fitted, theta):
            values[name] = math.exp(t) if name in LOG_FITTED else float(t)
        return values

    def residuals(theta) -> np.ndarray:
        return ln_life(law, constants(theta), x) - ln_measured

    theta0 = [math.log(start[n]) if n in LOG_FITTED else start[n] for n in fitted]
    # Levenberg-Marquardt needs n >= p (checked by the callers); tight tolerances because the
    # synthetic-data tests ask for 1 % on constants that the data may determine weakly
    solution = least_squares(residuals, theta0, method="lm", x_scale="jac", xtol=1e-15, ftol=1e-15,
                             gtol=1e-15, max_nfev=20000)
    values = constants(solution.x)
    fit = Fit(law, values, tuple(fitted), {}, ln_life(law, values, x), ln_measured)
    fit.intervals, note = confidence_intervals(solution.x, solution.jac, solution.fun, fitted)
    if note:
        fit.notes.append(note)
    return fit


def confidence_intervals(theta, jacobian, residuals, names) -> tuple[dict, str | None]:
    """95 % intervals: covariance s^2 (J^T J)^-1 with s^2 = SSR / (n - p)."""
    from scipy.stats import t as student

    n, p = jacobian.shape
    if n == p:
        return ({name: None for name in names},
                f"n = p = {p}: the fit passes through every vehicle; no degrees of freedom are left for intervals")
    normal = jacobian.T @ jacobian
    if np.linalg.cond(normal) > 1e14:
        return ({name: None for name in names},
                "the data cannot separate the fitted constants (singular Jacobian): no intervals")
    s2 = float(residuals @ residuals) / (n - p)
    half = student.ppf(0.5 + CONFIDENCE / 2, n - p) * np.sqrt(np.diag(np.linalg.inv(normal)) * s2)
    intervals = {}
    for name, t, h in zip(names, theta, half):
        low, high = t - h, t + h
        intervals[name] = (math.exp(low), math.exp(high)) if name in LOG_FITTED else (low, high)
    return intervals, None


def calibrate(law: str, x: dict, eta, reference: dict) -> Fit:
    """Fit ``law`` to vehicles with inputs ``x`` and characteristic lives ``eta``; constants the
    data cannot determine stay at ``reference`` (the library's), which also starts the fit."""
    fitted, notes = fitted_constants(law, x)
    missing = [n for n in CONSTANTS[law] if n not in reference]
    if missing:
        raise InputError(f"law = {law}: no library constants to start from or keep ({', '.join(missing)})")
    if law == "darveaux" and not np.all(np.isfinite(x["a"])):
        raise InputError("law = darveaux: a vehicle has no crack length")
    fit = fit_law(law, x, eta, reference, fitted)
    fit.notes[:0] = notes
    return fit


def reference_constants(library, material: str, law: str) -> tuple[dict, dict, str]:
    """The law's constants and sources to start from / keep: the material's own, else those of the
    first library material that has the law (said in the returned note)."""
    section = SECTION[law]
    candidates = [library.get(material)] + [m for m in library.materials() if m.name != library.get(material).name]
    for mat in candidates:
        data = getattr(mat.fatigue, section, None) if mat.fatigue else None
        if data is not None:
            values = {n: float(getattr(data, n)) for n in CONSTANTS[law]}
            note = "" if mat is candidates[0] else (
                f"{candidates[0].name} has no [fatigue.{section}] in the library: the fit starts from "
                f"{mat.name}'s constants and keeps those it does not fit")
            return values, {n: f"{data.source} ({mat.name}, kept)" for n in CONSTANTS[law]}, note
    return {}, {}, f"no library material has [fatigue.{section}]"


# ------------------------------------------------------------------------------- the command

def register(subparsers) -> None:
    from materials.commands import add_materials_option

    p = subparsers.add_parser(
        "calibrate", help="fit a solder life law to measured test-vehicle lives",
        description="Evaluate the test vehicles of DATA.toml (cached, parallel), fit the law's constants "
                    "by least squares in log life and write DIR/calibrated_materials.toml, "
                    "DIR/calibration.json and DIR/report.html (docs/calibration.md).")
    p.add_argument("data", help="calibration data file (TOML: law, [[vehicle]] with measured lives)")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--quick", action="store_true", help="preview: coarse mesh, one cycle (as in sweeps)")
    p.add_argument("--workers", type=int, default=1, help="local Dask workers (default 1: in this process)")
    p.add_argument("--scheduler", help="address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786")
    add_materials_option(p)
    p.set_defaults(func=run_calibrate_command)


def run_calibrate_command(args) -> int:
    from .evaluate import material_files
    from .sweep import run_points

    data = read_data(args.data)
    if not 1 <= args.workers <= 256:
        raise InputError(f"--workers = {args.workers} is outside [1, 256]")
    files = material_files(args.materials)
    points = [point_of(v, args.quick, files) for v in data.vehicles]
    library = points[0].library()
    if data.material is not None:
        library.get(data.material)   # an unknown name stops here, before anything is written
    out = Path(args.out)
    started = time.time()
    records = run_points(points, out / "cache", workers=args.workers, scheduler=args.scheduler)
    for record in records:
        if record["status"] != "ok":
            error = SolverError if record.get("kind") == "SolverError" else InputError
            raise error(f"vehicle {record['label']}: {record.get('error', 'failed')}")
    material = solder_of(data, records, library)
    damages = [damage_of(r, data.law, p) for r, p in zip(records, points)]
    reference, sources, note = reference_constants(library, material, data.law)
    fit = calibrate(data.law, law_inputs(damages), [v.eta for v in data.vehicles], reference)
    if note:
        fit.notes.insert(0, note)
    result = Calibration(data, material, fit, damages, sources, args.quick, library,
                         time.strftime("%Y-%m-%d"), round(time.time() - started, 1))
    write_outputs(result, out)
    for line in fit.notes:
        print(f"pkgrel calibrate: note: {line}", file=sys.stderr)
    print(result.summary_line())
    print(f"report: {(out / 'report.html').resolve()}")
    return 0


def solder_of(data: CalibrationData, records: list[dict], library) -> str:
    """The material whose law is fitted: DATA's ``material`` or the first vehicle's solder; every
    vehicle's solder must be it."""
    solders = [(r.get("materials") or {}).get("solder") for r in records]
    material = library.get(data.material or solders[0] or "?").name
    for vehicle, solder in zip(data.vehicles, solders):
        if solder is None or library.get(solder).name != material:
            raise InputError(f"{data.source} vehicle {vehicle.name}: its solder is {solder}, not {material} "
                             "(all vehicles must share the calibrated solder)")
    return material


# ------------------------------------------------------------------------------- outputs

@dataclass
class Calibration:
    data: CalibrationData
    material: str
    fit: Fit
    damages: list[Damage]
    sources: dict[str, str]      # kept constants' library sources
    quick: bool
    library: object
    date: str
    wall_time_s: float

    def source(self) -> str:
        return (f"pkgrel calibrate on {self.data.source} ({len(self.damages)} vehicles, {self.date}), "
                f"rms log-life residual {self.fit.rms:.2f}")

    def constant_source(self, name: str) -> str:
        return self.source() if name in self.fit.fitted else self.sources.get(name, "library (kept)")

    def layer_thickness(self) -> float | None:
        values = [d.layer_thickness_um for d in self.damages if d.layer_thickness_um is not None]
        return float(np.mean(values)) if values else None

    def basis(self) -> str:
        vehicles = ", ".join(f"{v.name} {v.structure} {v.level}" for v in self.data.vehicles)
        quick = "; quick preview (coarse mesh, one cycle)" if self.quick else ""
        return (f"{len(self.damages)} test vehicles ({vehicles}); {damage_key(self.fit.law)} of the critical "
                f"Darveaux layer, 2D {self.constitutive()} runs{quick}")

    def constitutive(self) -> str:
        from fea.constitutive import Anand, GarofaloCreep, NortonCreep
        law = self.library.get(self.material).law()
        return {Anand: "anand", GarofaloCreep: "garofalo", NortonCreep: "norton"}.get(type(law), "closed-form")

    def summary_line(self) -> str:
        values = ", ".join(f"{n} = {self.fit.constants[n]:.4g}" for n in self.fit.fitted)
        return (f"{self.fit.law} law for {self.material} from {len(self.damages)} vehicles: {values} "
                f"(rms ln-life residual {self.fit.rms:.2f})")


def materials_toml(cal: Calibration) -> str:
    """A --materials override file: the solder with its [fatigue.<section>] replaced."""
    from .model_file import toml_value

    section = SECTION[cal.fit.law]
    lines = [f"# pkgrel calibrate: {EQUATION[cal.fit.law]} fitted to {cal.data.source} ({cal.date})",
             f"# use with --materials; fitted: {', '.join(cal.fit.fitted)}; kept: {', '.join(cal.fit.kept) or 'none'}",
             f"base = {toml_value(cal.material)}", f"name = {toml_value(cal.material)}", "",
             f"[fatigue.{section}]"]
    for name in CONSTANTS[cal.fit.law]:
        quantity = {"value": float(cal.fit.constants[name]), "unit": UNITS[name], "source": cal.constant_source(name)}
        lines.append(f"{name} = {toml_value(quantity)}")
    basis = {"alloy": cal.material, "model_dimension": "2D", "constitutive": cal.constitutive(),
             "basis": cal.basis()}
    lines += [f"{key} = {toml_value(value)}" for key, value in basis.items()]
    thickness = cal.layer_thickness()
    if thickness is not None:
        quantity = {"value": thickness, "unit": "um",
                    "source": f"layer the calibration runs averaged dW over (pkgrel calibrate on "
                              f"{cal.data.source}, {cal.date})"}
        lines.append(f"volume_averaging_thickness = {toml_value(quantity)}")
    return "\n".join(lines) + "\n"


def calibration_json(cal: Calibration) -> dict:
    fit = cal.fit
    constants = {}
    for name in CONSTANTS[fit.law]:
        interval = fit.intervals.get(name)
        constants[name] = {"value": fit.constants[name], "unit": UNITS[name], "fitted": name in fit.fitted,
                           "interval_95": list(interval) if interval else None, "source": cal.constant_source(name)}
    vehicles = []
    for v, d, ln_n, r in zip(cal.data.vehicles, cal.damages, fit.ln_predicted, fit.residuals):
        vehicles.append({"name": v.name, "structure": v.structure, "level": v.level, "parameters": v.parameters,
                         "load": v.load, "critical_layer": d.group,
                         "damage_input": damage_summary(fit.law, d), "stabilised": d.stabilised,
                         "measured_life": v.life, "life_kind": v.life_kind, "weibull_slope": v.weibull_slope,
                         "eta": v.eta, "predicted_life": float(np.exp(ln_n)), "residual_ln": float(r)})
    return {"law": fit.law, "equation": EQUATION[fit.law], "material": cal.material, "data": cal.data.source,
            "date": cal.date, "quick": cal.quick, "constants": constants, "fitted": list(fit.fitted),
            "kept": list(fit.kept), "rms_log_residual": fit.rms,
            "degrees_of_freedom": len(cal.damages) - len(fit.fitted), "confidence": CONFIDENCE,
            "volume_averaging_thickness_um": cal.layer_thickness(), "notes": fit.notes,
            "vehicles": vehicles, "wall_time_s": cal.wall_time_s}


def damage_summary(law: str, d: Damage) -> dict:
    if law == "engelmaier":
        return {"shear_strain_range": d.shear_strain_range, "T_mean": d.T_mean, "cycles_per_day": d.cycles_per_day}
    summary = {"dW": d.dW, "layer_thickness_um": d.layer_thickness_um}
    if law == "darveaux":
        summary["crack_length_um"] = d.crack_length_um
    return summary


def write_outputs(cal: Calibration, out: Path) -> None:
    """The three outputs, staged next to DIR and published together."""
    from .analysis import to_json
    from .model_file import publish

    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".calibrate-", dir=out))
    try:
        (staging / "calibrated_materials.toml").write_text(materials_toml(cal))
        (staging / "calibration.json").write_text(to_json(calibration_json(cal)))
        (staging / "report.html").write_text(report_html(cal), encoding="utf-8")
        publish(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# ------------------------------------------------------------------------------- report page

def parity_figure(cal: Calibration):
    """Predicted against measured life on log axes with the 1:1 line and the factor-2 band, and the
    ln residuals against the damage input."""
    from matplotlib.figure import Figure

    fit = cal.fit
    measured, predicted = np.exp(fit.ln_measured), np.exp(fit.ln_predicted)
    fig = Figure(figsize=(11.0, 4.6), layout="constrained")
    parity, scatter = fig.subplots(1, 2)
    low, high = 0.5 * min(measured.min(), predicted.min()), 2.0 * max(measured.max(), predicted.max())
    line = np.array([low, high])
    parity.fill_between(line, line / 2, line * 2, color="#d9d9d9", label="factor 2")
    parity.plot(line, line, "k-", lw=1, label="1:1")
    parity.plot(measured, predicted, "o", color="#d62728", label="vehicles")
    for v, m, p in zip(cal.data.vehicles, measured, predicted):
        parity.annotate(v.name, (m, p), textcoords="offset points", xytext=(4, 4), fontsize=8)
    parity.set(xscale="log", yscale="log", xlim=(low, high), ylim=(low, high), aspect="equal",
               xlabel="measured characteristic life eta [cycles]", ylabel="predicted life [cycles]",
               title="Parity")
    parity.legend(loc="upper left")
    parity.grid(alpha=0.3, which="both")
    key = damage_key(fit.law)
    damage = [d.shear_strain_range if key == "d_gamma" else d.dW for d in cal.damages]
    scatter.axhline(0.0, color="k", lw=1)
    scatter.axhspan(-math.log(2), math.log(2), color="#d9d9d9")
    scatter.plot(damage, fit.residuals, "o", color="#d62728")
    # a log axis only over a decade or more (a narrow span gets unreadable log tick labels)
    scatter.set(xscale="log" if max(damage) > 10 * min(damage) else "linear", xlabel="shear strain range [-]" if key == "d_gamma" else "dW [MPa per cycle]",
                ylabel="ln(measured / predicted)", title="Residuals (grey: within a factor 2)")
    scatter.grid(alpha=0.3)
    return fig


def cycles(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def report_html(cal: Calibration) -> str:
    import io

    from matplotlib import rc_context

    from .report import CSS, DPI, STYLE, data_uri, esc, figure_html, fmt, table_html

    fit = cal.fit
    with rc_context(STYLE):
        buffer = io.BytesIO()
        parity_figure(cal).savefig(buffer, format="png", dpi=DPI)
    title = f"Calibration of the {fit.law} law for {cal.material}"
    parts = [f"<h1>{esc(title)}</h1>",
             f'<p class="question">{esc(EQUATION[fit.law])}, fitted by least squares in ln N to '
             f'{len(cal.damages)} test vehicles of {esc(cal.data.source)}.</p>',
             f'<div class="answer">{esc(cal.summary_line())}</div>']
    parts += [f'<p class="warn">{esc(note)}</p>' for note in fit.notes]
    if cal.quick:
        parts.append('<p class="warn">Quick preview: coarse mesh and one thermal cycle (not stabilised); '
                     'calibrate on full runs before using the constants.</p>')
    rows = []
    for name in CONSTANTS[fit.law]:
        interval = fit.intervals.get(name)
        band = f"{fmt(interval[0])} to {fmt(interval[1])}" if interval else ("n/a" if name in fit.fitted else "")
        rows.append([esc(name), esc(fmt(fit.constants[name])), esc(band), esc(UNITS[name]),
                     "fitted" if name in fit.fitted else "kept", esc(cal.constant_source(name))])
    parts += ["<h2>Constants</h2>",
              table_html(["constant", "value", f"{CONFIDENCE:.0%} interval", "unit", "", "source"], rows,
                         numeric={1}),
              f'<p class="note">Intervals from the Jacobian of the ln-life residuals, t-distribution with '
              f'{len(cal.damages) - len(fit.fitted)} degrees of freedom; rms ln-life residual {fit.rms:.2f}. '
              f'Written to calibrated_materials.toml (use it with --materials).</p>',
              "<h2>Predicted against measured</h2>",
              figure_html(data_uri(buffer.getvalue()), "parity and residual plots",
                          "Left: each vehicle's predicted life against its measured eta, 1:1 line and the "
                          "factor-2 band. Right: ln residuals against the damage input.")]
    header = ["vehicle", "structure", "level", "critical layer", "damage input", "measured", "eta",
              "predicted", "ln residual"]
    rows = []
    for v, d, ln_n, r in zip(cal.data.vehicles, cal.damages, fit.ln_predicted, fit.residuals):
        damage = ", ".join(f"{k} = {fmt(val)}" for k, val in damage_summary(fit.law, d).items())
        rows.append([esc(v.name), esc(v.structure), esc(v.level), esc(d.group), esc(damage),
                     esc(f"{cycles(v.life)} ({v.life_kind})"), esc(cycles(v.eta)), esc(cycles(math.exp(ln_n))),
                     esc(f"{r:+.3f}")])
    parts += ["<h2>Vehicles</h2>", table_html(header, rows, numeric={6, 7, 8}),
              f'<p class="note">Basis: {esc(cal.basis())}. Date {esc(cal.date)}, wall time '
              f'{cal.wall_time_s:g} s.</p>']
    return (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{esc(title)}</title>\n"
            f"<style>{CSS}</style>\n</head>\n<body>\n" + "\n".join(parts) + "\n</body>\n</html>\n")
