"""Reading and validating material data files (TOML) and inline model-file materials.

Every bad value gives one `InputError` line naming the file (or inline label), the key and the
allowed range. Values are converted to project units (MPa, 1/K, degC, um, s) on loading.
"""
from __future__ import annotations

import difflib
import functools
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from fea.errors import TEMPERATURE_RANGE, InputError, finite_number

from .laws import inline_creep, inline_plastic
from .material import Material
from fea.constitutive import Anand, GarofaloCreep, NortonCreep

from .models import DIMENSIONS, Basis, CoffinManson, Creep, Cure, Darveaux, EnergyLaw, Fatigue, Plasticity
from .quantity import Expansion, Quantity
from .viscoelastic import check_consistent, inline_viscoelastic, library_viscoelastic

DATA_DIR = Path(__file__).parent / "data"

# unit kind -> {accepted unit: factor to the project unit}; the first entry is the project unit
UNITS: dict[str, dict[str, float]] = {
    "stress": {"MPa": 1.0, "GPa": 1e3, "kPa": 1e-3, "Pa": 1e-6, "psi": 6.894757293168e-3, "ksi": 6.894757293168},
    "cte": {"1/K": 1.0, "ppm/K": 1e-6},
    "degC": {"degC": 1.0},
    "K": {"K": 1.0},
    "-": {"-": 1.0},
    "um": {"um": 1.0, "mm": 1e3},
    "s": {"s": 1.0, "min": 60.0, "h": 3600.0},
    "J/mol": {"J/mol": 1.0, "kJ/mol": 1e3},
    "1/s": {"1/s": 1.0},
    "1/MPa": {"1/MPa": 1.0},
    "1/degC": {"1/degC": 1.0},
    # units whose exponent depends on another constant: stated in the project unit only
    "1/(s*MPa^n)": {"1/(s*MPa^n)": 1.0},
    "cycles/MPa^K2": {"cycles/MPa^K2": 1.0},
    "cycles/MPa^k": {"cycles/MPa^k": 1.0},
    "um/(cycle*MPa^K4)": {"um/(cycle*MPa^K4)": 1.0},
}


def _positive(x: float) -> str | None:
    return None if x > 0 else "must be > 0"


def _non_negative(x: float) -> str | None:
    return None if x >= 0 else "must be >= 0"


def _poisson(x: float) -> str | None:
    return None if -1.0 < x < 0.5 else "is outside (-1, 0.5)"


def _cte(x: float) -> str | None:
    # catches ppm/K values given as 1/K (17 instead of 17e-6)
    return None if abs(x) < 1e-3 else "is outside (-1e-3, 1e-3) 1/K (give 1/K, or unit = \"ppm/K\")"


def _unit_exponent(x: float) -> str | None:
    return None if 0 < x <= 1 else "is outside (0, 1]"


def _shrinkage(x: float) -> str | None:
    return None if 0 <= x <= 0.05 else "is outside [0, 0.05] (linear strain)"


def _fraction(x: float) -> str | None:
    return None if 0 <= x <= 1 else "is outside [0, 1]"


def _any(x: float) -> str | None:
    return None


def _temperature(x: float) -> str | None:
    lo, hi = TEMPERATURE_RANGE
    return None if lo <= x <= hi else f"degC is outside [{lo:g}, {hi:g}] degC"


@dataclass(frozen=True)
class Spec:
    unit: str                                   # unit kind, key of UNITS
    check: Callable[[float], str | None] = _any
    table: bool = False                         # may be a table over temperature
    required: bool = True


SECTIONS: dict[str, dict[str, Spec]] = {
    "elastic": {"E": Spec("stress", _positive, table=True), "nu": Spec("-", _poisson, table=True)},
    "expansion": {"alpha": Spec("cte", _cte, table=True)},
    "glass_transition": {"Tg": Spec("degC", _temperature), "width": Spec("K", _positive, required=False)},
    # a compound's cure: the linear chemical shrinkage from its formation on, and how long it is
    # held at its cure (stress-free) temperature after forming (post-cure), for derived processes
    "cure": {"shrinkage": Spec("-", _shrinkage), "hold": Spec("s", _non_negative, required=False)},
    "plasticity": {"yield_stress": Spec("stress", _positive, table=True),
                   "hardening_modulus": Spec("stress", _non_negative, table=True),
                   # share of the hardening that is kinematic (the rest isotropic); default 0
                   "kinematic_fraction": Spec("-", _fraction, required=False)},
    "creep.norton": {"A": Spec("1/(s*MPa^n)", _positive), "n": Spec("-", _positive),
                     "Q": Spec("J/mol", _non_negative)},
    "creep.garofalo": {"C1": Spec("1/s", _positive), "C2": Spec("1/MPa", _positive),
                       "C3": Spec("-", _positive), "C4": Spec("K", _non_negative)},
    "anand": {"s0": Spec("stress", _positive), "Q_over_R": Spec("K", _positive), "A": Spec("1/s", _positive),
              "xi": Spec("-", _positive), "m": Spec("-", _unit_exponent), "h0": Spec("stress", _positive),
              "s_hat": Spec("stress", _positive), "n": Spec("-", _positive), "a": Spec("-", _positive)},
    "fatigue.darveaux": {"K1": Spec("cycles/MPa^K2", _positive), "K2": Spec("-"),
                         "K3": Spec("um/(cycle*MPa^K4)", _positive), "K4": Spec("-"),
                         "volume_averaging_thickness": Spec("um", _positive)},
    "fatigue.coffin_manson": {"eps_f": Spec("-", _positive), "c0": Spec("-"),
                              "c1": Spec("1/degC", required=False), "c2": Spec("-", required=False),
                              "volume_averaging_thickness": Spec("um", _positive, required=False)},
    "fatigue.energy": {"C": Spec("cycles/MPa^k", _positive), "k": Spec("-"),
                       "volume_averaging_thickness": Spec("um", _positive, required=False)},
}
#: the words every life law states about what it was fitted on (materials.models.Basis)
BASIS_KEYS = ("alloy", "model_dimension", "constitutive", "basis")
CONSTITUTIVE_KINDS = ("anand", "garofalo", "norton", "plastic", "closed-form")
GROUPS = {"creep": ("norton", "garofalo"), "fatigue": ("darveaux", "coffin_manson", "energy")}
TOP_KEYS = ("name", "aliases", "description", "alloy", "base", "stress_free_temperature", "viscoelastic") + tuple(
    s for s in list(SECTIONS) + list(GROUPS) if "." not in s)
REQUIRED_SECTIONS = ("elastic", "expansion")
QUANTITY_KEYS = ("value", "table", "below_tg", "above_tg", "unit", "source", "note", "extrapolate")
ALPHA_KEYS = ("kind", "reference_temperature")
DEFAULT_TG_WIDTH = 10.0  # K: transition width when a file gives below/above-Tg values only


class _Ctx:
    """Where values come from, for error messages: a file name or an inline label."""

    def __init__(self, prefix: str, owner: str, dotted: bool = True):
        self.prefix, self.owner, self.dotted = prefix, owner, dotted

    def key(self, section: str, key: str) -> str:
        return f"{section}.{key}" if self.dotted and section else key

    def fail(self, message: str) -> InputError:
        return InputError(f"{self.prefix}: {message}")


def _number(x, ctx: _Ctx, key: str) -> float:
    return finite_number(x, f"{ctx.prefix}: {key}")


def _check_keys(raw: dict, allowed, ctx: _Ctx, where: str) -> None:
    for k in raw:
        if k not in allowed:
            at = f"{where}.{k}" if where else k
            raise ctx.fail(f"unknown key '{at}' (allowed: {', '.join(allowed)})")


def _table(rows, ctx: _Ctx, key: str, check, factor: float) -> tuple[tuple[float, ...], tuple[float, ...]]:
    if not isinstance(rows, list) or len(rows) < 2:
        raise ctx.fail(f"{key}: table must be a list of at least two [T_degC, value] pairs")
    temps, values = [], []
    for row in rows:
        if not isinstance(row, list) or len(row) != 2:
            raise ctx.fail(f"{key}: table row {row!r} is not a [T_degC, value] pair")
        T = _number(row[0], ctx, f"{key} table temperature")
        v = _number(row[1], ctx, key) * factor
        if temps and T <= temps[-1]:
            raise ctx.fail(f"{key}: table temperatures must be strictly increasing (got {T:g} after {temps[-1]:g} degC)")
        problem = check(v)
        if problem:
            raise ctx.fail(f"{key} = {row[1]!r} at T = {T:g} degC {problem}")
        temps.append(T)
        values.append(v)
    return tuple(temps), tuple(values)


def _quantity(raw, spec: Spec, ctx: _Ctx, key: str, tg: tuple[float, float] | None = None,
              extra_keys: tuple[str, ...] = ()) -> Quantity:
    """One value dict {value | table | below_tg+above_tg, unit, source} -> Quantity in project units."""
    if not isinstance(raw, dict):
        raise ctx.fail(f"{key} must be a table like {{ value = ..., unit = \"{spec.unit}\", source = \"...\" }}")
    _check_keys(raw, QUANTITY_KEYS + extra_keys, ctx, key)
    if "unit" not in raw:
        raise ctx.fail(f"{key}: missing unit (expected one of: {', '.join(UNITS[spec.unit])})")
    if not isinstance(raw["unit"], str) or raw["unit"] not in UNITS[spec.unit]:
        raise ctx.fail(f"{key}: unit {raw['unit']!r} is not allowed (expected one of: {', '.join(UNITS[spec.unit])})")
    source = raw.get("source")
    if not isinstance(source, str) or not source.strip():
        raise ctx.fail(f"{key}: missing source (paper, handbook or datasheet)")
    factor = UNITS[spec.unit][raw["unit"]]
    project_unit = next(iter(UNITS[spec.unit]))
    forms = [f for f in ("value", "table", "below_tg") if f in raw]
    if len(forms) != 1 or ("below_tg" in raw) != ("above_tg" in raw):
        raise ctx.fail(f"{key}: give exactly one of value, table, or below_tg and above_tg")
    extrapolate = raw.get("extrapolate", "error")
    if extrapolate not in ("error", "constant"):
        raise ctx.fail(f"{key}: extrapolate = {extrapolate!r} must be \"error\" or \"constant\"")
    common = dict(owner=ctx.owner, name=key, unit=project_unit, source=source.strip())
    if "value" in raw:
        v = _number(raw["value"], ctx, key) * factor
        problem = spec.check(v)
        if problem:
            raise ctx.fail(f"{key} = {raw['value']!r} {problem}")
        return Quantity(value=v, **common)
    if not spec.table:
        raise ctx.fail(f"{key}: must be a single value (no temperature table)")
    if "table" in raw:
        temps, values = _table(raw["table"], ctx, key, spec.check, factor)
        return Quantity(temps=temps, values=values, extrapolate=extrapolate == "constant", **common)
    # below/above Tg: a linear transition over the Tg width, plateaus held beyond it
    if tg is None:
        raise ctx.fail(f"{key}: below_tg/above_tg need a [glass_transition] section with Tg")
    Tg, width = tg
    rows = [[Tg - width / 2, raw["below_tg"]], [Tg + width / 2, raw["above_tg"]]]
    temps, values = _table(rows, ctx, key, spec.check, factor)
    return Quantity(temps=temps, values=values, extrapolate=True, **common)


def _section(raw: dict, name: str, ctx: _Ctx, tg=None) -> dict[str, Quantity]:
    specs = SECTIONS[name]
    if not isinstance(raw, dict):
        raise ctx.fail(f"[{name}] must be a section")
    _check_keys(raw, tuple(specs), ctx, name)
    out = {}
    for key, spec in specs.items():
        if key not in raw:
            if spec.required:
                raise ctx.fail(f"missing key '{ctx.key(name, key)}'")
            continue
        extra = ALPHA_KEYS if key == "alpha" else ()
        out[key] = _quantity(raw[key], spec, ctx, ctx.key(name, key), tg, extra)
    return out


def _sources(qs: dict[str, Quantity]) -> str:
    out: list[str] = []
    for q in qs.values():
        if q.source not in out:
            out.append(q.source)
    return "; ".join(out)


def _scalars(qs: dict[str, Quantity]) -> dict[str, float]:
    return {k: q.value for k, q in qs.items()}


def _expansion(raw_alpha: dict, q: Quantity, ctx: _Ctx, key: str) -> Expansion:
    kind = raw_alpha.get("kind", "secant")
    if kind not in ("secant", "instantaneous"):
        raise ctx.fail(f"{key}: kind = {kind!r} must be \"secant\" or \"instantaneous\"")
    if "reference_temperature" not in raw_alpha:
        raise ctx.fail(f"{key}: missing reference_temperature (degC) of the secant CTE")
    Tref = _number(raw_alpha["reference_temperature"], ctx, f"{key}.reference_temperature")
    if q.is_table and not q.extrapolate and not q.temps[0] <= Tref <= q.temps[-1]:
        raise ctx.fail(f"{key}: reference_temperature {Tref:g} degC is outside the table range "
                       f"[{q.temps[0]:g}, {q.temps[-1]:g}] degC")
    return Expansion(alpha=q, kind=kind, reference_temperature=Tref)


def _optional_models(raw: dict, ctx: _Ctx) -> dict:
    out: dict = {}
    if "cure" in raw:
        qs = _section(raw["cure"], "cure", ctx)
        out["cure"] = Cure(qs["shrinkage"].value, qs["hold"].value if "hold" in qs else 0.0, _sources(qs))
    if "plasticity" in raw:
        qs = _section(raw["plasticity"], "plasticity", ctx)
        out["plasticity"] = Plasticity(qs["yield_stress"], qs["hardening_modulus"], _sources(qs),
                                       qs.get("kinematic_fraction"))
    for group, members in GROUPS.items():
        if group not in raw:
            continue
        if not isinstance(raw[group], dict):
            raise ctx.fail(f"[{group}] must be a section")
        _check_keys(raw[group], members, ctx, group)
        built = {}
        for member in members:
            if member in raw[group]:
                values = raw[group][member]
                if group == "fatigue" and isinstance(values, dict):
                    values = {k: v for k, v in values.items() if k not in BASIS_KEYS}
                qs = _section(values, f"{group}.{member}", ctx)
                built[member] = (qs, _sources(qs))
        out[group] = built
    creep = out.pop("creep", {})
    if creep:
        out["creep"] = Creep(
            norton=NortonCreep(**_scalars(creep["norton"][0]), source=creep["norton"][1]) if "norton" in creep else None,
            garofalo=GarofaloCreep(**_scalars(creep["garofalo"][0]), source=creep["garofalo"][1]) if "garofalo" in creep else None)
    fatigue = out.pop("fatigue", {})
    if fatigue:
        laws = {}
        for member, cls, defaults in (("darveaux", Darveaux, {}), ("coffin_manson", CoffinManson, {"c1": 0.0, "c2": 0.0}),
                                      ("energy", EnergyLaw, {})):
            if member not in fatigue:
                continue
            qs, _ = fatigue[member]
            basis = _basis(raw["fatigue"][member], qs, ctx, f"fatigue.{member}")
            source = _sources({k: q for k, q in qs.items() if k != "volume_averaging_thickness"})
            values = {k: v for k, v in _scalars(qs).items() if k != "volume_averaging_thickness"}
            laws[member] = cls(**{**defaults, **values}, source=source, basis=basis)
        out["fatigue"] = Fatigue(darveaux=laws.get("darveaux"), coffin_manson=laws.get("coffin_manson"),
                                 energy=laws.get("energy"))
    if "anand" in raw:
        qs = _section(raw["anand"], "anand", ctx)
        out["anand"] = Anand(**_scalars(qs), source=_sources(qs))
    return out


def _basis(raw: dict, qs: dict[str, Quantity], ctx: _Ctx, section: str) -> Basis:
    """The basis words of a life law's section (alloy, model_dimension, constitutive, basis)."""
    missing = [k for k in BASIS_KEYS if k not in raw]
    if missing:
        raise ctx.fail(f"[{section}] needs {', '.join(missing)}: what its constants were fitted on "
                       f"(alloy = \"sac305\", model_dimension = \"2D\" | \"3D\" | \"analytical\", "
                       f"constitutive = {' | '.join(CONSTITUTIVE_KINDS)}, basis = \"...\")")
    alloys = [raw["alloy"]] if isinstance(raw["alloy"], str) else raw["alloy"]
    alloys = _strings(alloys, ctx, ctx.key(section, "alloy"))
    for key, allowed in (("model_dimension", DIMENSIONS), ("constitutive", CONSTITUTIVE_KINDS)):
        if raw[key] not in allowed:
            raise ctx.fail(f"{ctx.key(section, key)} = {raw[key]!r}: choose one of {', '.join(allowed)}")
    if not isinstance(raw["basis"], str) or not raw["basis"].strip():
        raise ctx.fail(f"{ctx.key(section, 'basis')} must be a non-empty string")
    thickness = qs.get("volume_averaging_thickness")
    return Basis(tuple(a.lower() for a in alloys), raw["model_dimension"], raw["constitutive"], raw["basis"].strip(),
                 thickness.value if thickness else None, thickness.source if thickness else "")


def _strings(raw, ctx: _Ctx, key: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(a, str) and a.strip() for a in raw):
        raise ctx.fail(f"{key} must be a list of non-empty strings")
    return tuple(a.strip() for a in raw)


def build_material(raw: dict, ctx: _Ctx, origin: str) -> Material:
    """Validate one parsed data file and build the Material."""
    _check_keys(raw, TOP_KEYS, ctx, "")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ctx.fail("missing key 'name' (a non-empty string)")
    ctx.owner = name
    for section in REQUIRED_SECTIONS:
        if section not in raw:
            raise ctx.fail(f"missing section [{section}]")
    if "stress_free_temperature" not in raw:
        raise ctx.fail("missing key 'stress_free_temperature'")
    tg = tg_source = None
    if "glass_transition" in raw:
        gt = _section(raw["glass_transition"], "glass_transition", ctx)
        width = gt["width"].value if "width" in gt else DEFAULT_TG_WIDTH
        tg, tg_source = gt["Tg"].value, gt["Tg"].source
        tg_pair = (tg, width)
    else:
        tg_pair = None
    elastic = _section(raw["elastic"], "elastic", ctx, tg_pair)
    expansion = _section(raw["expansion"], "expansion", ctx, tg_pair)
    alpha_key = ctx.key("expansion", "alpha")
    sft = _quantity(raw["stress_free_temperature"], Spec("degC", _temperature), ctx, "stress_free_temperature")
    alloy = raw.get("alloy", "")
    if not isinstance(alloy, str):
        raise ctx.fail("alloy must be a string (the alloy a solder is, e.g. \"sac305\")")
    material = Material(
        name=name.strip(),
        aliases=_strings(raw.get("aliases", []), ctx, "aliases"),
        description=str(raw.get("description", "")),
        elastic_modulus=elastic["E"],
        poisson_ratio=elastic["nu"],
        expansion=_expansion(raw["expansion"]["alpha"], expansion["alpha"], ctx, alpha_key),
        stress_free_temperature=sft.value,
        stress_free_source=sft.source,
        tg=tg,
        tg_source=tg_source or "",
        origin=origin,
        alloy=alloy.strip().lower(),
        viscoelastic=_viscoelastic_section(raw, ctx, elastic["E"]),
        **_optional_models(raw, ctx),
    )
    _check_life_laws_fit(material, ctx)
    return material


def _viscoelastic_section(raw: dict, ctx: _Ctx, E: Quantity):
    """[viscoelastic] of a data file (materials.viscoelastic), consistent with the E(T) data."""
    if "viscoelastic" not in raw:
        return None
    law = library_viscoelastic(raw["viscoelastic"], ctx, _quantity, Spec)
    try:
        check_consistent(ctx.owner, E, law)
    except InputError as exc:
        raise ctx.fail(str(exc)) from None
    return law


def _check_life_laws_fit(material: Material, ctx: _Ctx) -> None:
    """A life law fitted on another alloy is refused: Sn-Pb constants give no SAC305 life."""
    for member, law in material.fatigue.laws().items() if material.fatigue else ():
        if not law.basis.fits(material):
            raise ctx.fail(f"[fatigue.{member}] was fitted on {', '.join(law.basis.alloys)}, not on "
                           f"{material.alloy or material.name}: supply constants fitted on this alloy "
                           f"(and say so with alloy = \"{material.alloy or material.name}\")")


def read_toml(path, what: str = "materials file") -> dict:
    """A TOML file as a dict; a missing, unreadable or malformed file is one InputError line
    (``what`` names the file's role: "materials file", "model file", "calibration data", ...)."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise InputError(f"{what} '{path}' does not exist") from None
    except OSError as exc:
        raise InputError(f"{what} '{path}' cannot be read ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path.name}: not valid TOML ({exc})") from None


def _merge(base: dict, over: dict, sections=None) -> dict:
    """User file on top of a base material: sections (and the members of groups, such as
    [fatigue.energy]) merge key by key, a value dict replaces."""
    sections = SECTIONS.keys() | GROUPS.keys() if sections is None else sections
    out = dict(base)
    for k, v in over.items():
        if k in out and isinstance(v, dict) and isinstance(out[k], dict) and k in sections:
            out[k] = _merge(out[k], v, GROUPS.get(k, ()))
        else:
            out[k] = v
    return out


class Library:
    """Materials by case-insensitive name or alias."""

    def __init__(self) -> None:
        self._by_name: dict[str, Material] = {}
        self._raw: dict[str, dict] = {}
        self._keys: dict[str, str] = {}   # lower-case name or alias -> name

    def add(self, mat: Material, raw: dict, override: bool, where: str) -> None:
        keys = [k.lower() for k in (mat.name, *mat.aliases)]
        clashes = {self._keys[k] for k in keys if k in self._keys}
        if clashes and not override:
            raise InputError(f"{where}: name or alias of '{mat.name}' is already used by '{sorted(clashes)[0]}'")
        for old in clashes:
            self._remove(old)
        self._by_name[mat.name] = mat
        self._raw[mat.name] = raw
        for k in keys:
            self._keys[k] = mat.name

    def _remove(self, name: str) -> None:
        self._by_name.pop(name)
        self._raw.pop(name)
        self._keys = {k: v for k, v in self._keys.items() if v != name}

    def names(self) -> list[str]:
        return sorted(self._by_name, key=str.lower)

    def materials(self) -> list[Material]:
        return [self._by_name[n] for n in self.names()]

    def __contains__(self, name: str) -> bool:
        return isinstance(name, str) and name.strip().lower() in self._keys

    def get(self, name: str) -> Material:
        key = str(name).strip().lower()
        if key in self._keys:
            return self._by_name[self._keys[key]]
        close = []
        for k in difflib.get_close_matches(key, list(self._keys), n=5):
            if self._keys[k] not in close:
                close.append(self._keys[k])
        hint = f"close matches: {', '.join(close[:3])}" if close else "no close match"
        raise InputError(f"unknown material '{name}'; {hint} (see `pkgrel materials`)")

    def raw(self, name: str) -> dict:
        return self._raw[self.get(name).name]


def load_file(path: Path, library: Library | None = None) -> tuple[Material, dict]:
    raw = read_toml(path)
    ctx = _Ctx(path.name, owner=path.stem)
    if "base" in raw:
        if library is None:
            raise ctx.fail("key 'base' is only allowed in user material files")
        if not isinstance(raw["base"], str):
            raise ctx.fail("base must be the name of a library material")
        try:
            base_raw = library.raw(raw["base"])
        except InputError as exc:
            raise ctx.fail(f"base: {exc}") from None
        over = {k: v for k, v in raw.items() if k != "base"}
        if "aliases" not in over and str(over.get("name", "")).lower() != str(base_raw["name"]).lower():
            over["aliases"] = []   # a new name does not take over the base's aliases
        raw = _merge(base_raw, over)
    return build_material(raw, ctx, origin=str(path)), raw


@functools.lru_cache(maxsize=1)
def default_library() -> Library:
    """The built-in library, read once per process (do not modify it: `load_library` gives a
    library of your own)."""
    return load_library()


def load_library(extra_files=()) -> Library:
    """Built-in materials, then user files in order; a user material replaces any material
    whose name or alias it shares."""
    lib = Library()
    for path in sorted(DATA_DIR.glob("*.toml")):
        mat, raw = load_file(path)
        lib.add(mat, raw, override=False, where=path.name)
    for f in extra_files:
        path = Path(f)
        mat, raw = load_file(path, lib)
        lib.add(mat, raw, override=True, where=path.name)
    return lib


# ---------------------------------------------------------------- inline materials

INLINE_KEYS = ("E", "nu", "alpha", "alpha_ref", "stress_free", "base", "extrapolate", "creep", "plastic",
               "viscoelastic")
INLINE_SOURCE = "inline value in the model file"


def _inline_quantity(label: str, key: str, raw, spec: Spec, extrapolate: str) -> Quantity:
    """Inline value: a number or [[T_degC, v], ...] in implied project units."""
    ctx = _Ctx(f"material '{label}'", owner=label, dotted=False)
    unit = next(iter(UNITS[spec.unit]))
    if isinstance(raw, list):
        q = {"table": raw, "unit": unit, "source": INLINE_SOURCE, "extrapolate": extrapolate}
    else:
        q = {"value": raw, "unit": unit, "source": INLINE_SOURCE}
    return _quantity(q, spec, ctx, key)


def _owned_by(mat: Material, label: str) -> Material:
    """The base material's tables, relabelled so that range errors name the inline material."""
    def own(q: Quantity) -> Quantity:
        return replace(q, owner=label)

    plasticity = mat.plasticity and replace(mat.plasticity, yield_stress=own(mat.plasticity.yield_stress),
                                            hardening_modulus=own(mat.plasticity.hardening_modulus))
    return replace(mat, elastic_modulus=own(mat.elastic_modulus), poisson_ratio=own(mat.poisson_ratio),
                   expansion=replace(mat.expansion, alpha=own(mat.expansion.alpha)), plasticity=plasticity)


def _inline_viscoelastic(label: str, raw, base: Material | None, E: Quantity):
    """viscoelastic = {...} (checked now, kept as given) or "library" (the base material's data)."""
    if raw == "library":
        if base is None or base.viscoelastic is None:
            raise InputError(f"material '{label}': viscoelastic = \"library\" needs base = a library material "
                             f"with viscoelastic data ({'none given' if base is None else base.name + ' has none'})")
        check_consistent(label, E, base.viscoelastic)
        return raw
    check_consistent(label, E, inline_viscoelastic(label, raw))
    return dict(raw)


def from_inline(label: str, table: dict, library: Library | None = None) -> Material:
    """Material defined in a model file, e.g. {E = 210000.0, nu = 0.3, alpha = 2.3e-4};
    `base = "cu"` starts from a library material and overrides the keys given."""
    ctx = _Ctx(f"material '{label}'", owner=label, dotted=False)
    if not isinstance(table, dict):
        raise ctx.fail("must be a table like {E = ..., nu = ..., alpha = ...} or {base = \"cu\", ...}")
    _check_keys(table, INLINE_KEYS, ctx, "")
    extrapolate = table.get("extrapolate", "error")
    if extrapolate not in ("error", "constant"):
        raise ctx.fail(f"extrapolate = {extrapolate!r} must be \"error\" or \"constant\"")
    base = None
    if "base" in table:
        if library is None:
            from . import load_library as _load  # noqa: PLC0415 (default library on demand)
            library = _load()
        try:
            base = library.get(table["base"])
        except InputError as exc:
            raise ctx.fail(f"base: {exc}") from None
    else:
        missing = [k for k in ("E", "nu", "alpha") if k not in table]
        if missing:
            raise ctx.fail(f"missing key '{missing[0]}' (give E, nu and alpha, or base = \"<library material>\")")
    if "alpha_ref" in table and "alpha" not in table:
        raise ctx.fail("alpha_ref needs alpha (the secant CTE it refers to)")
    for key in ("creep", "plastic"):
        if key in table and not isinstance(table[key], dict):
            raise ctx.fail(f"{key} must be a table {{...}}")

    fields: dict = {}
    if "E" in table:
        fields["elastic_modulus"] = _inline_quantity(label, "E", table["E"], SECTIONS["elastic"]["E"], extrapolate)
    if "nu" in table:
        fields["poisson_ratio"] = _inline_quantity(label, "nu", table["nu"], SECTIONS["elastic"]["nu"], extrapolate)
    if "alpha" in table:
        q = _inline_quantity(label, "alpha", table["alpha"], SECTIONS["expansion"]["alpha"], extrapolate)
        ref = _number(table.get("alpha_ref", 25.0), ctx, "alpha_ref")
        fields["expansion"] = _expansion({"reference_temperature": ref}, q, ctx, "alpha")
    if "stress_free" in table:
        T0 = _number(table["stress_free"], ctx, "stress_free")
        problem = _temperature(T0)
        if problem:
            raise ctx.fail(f"stress_free = {T0:g} {problem}")
        fields["stress_free_temperature"] = T0
        fields["stress_free_source"] = INLINE_SOURCE
    extra = {k: dict(table[k]) for k in ("creep", "plastic") if k in table}
    # refuse bad inline creep / plastic tables now, not when a cycling run first asks for the law
    if "creep" in extra:
        inline_creep(label, extra["creep"])
    if "plastic" in extra:
        inline_plastic(label, extra["plastic"])
    if "viscoelastic" in table:
        extra["viscoelastic"] = _inline_viscoelastic(label, table["viscoelastic"], base,
                                                     fields.get("elastic_modulus") or (base and base.elastic_modulus))

    if base is not None:
        base = _owned_by(base, label)
        return replace(base, name=label, aliases=(), origin=f"inline (base {base.name})",
                       description=f"{base.description} (inline overrides: {', '.join(sorted(table))})",
                       extra=extra, inline=dict(table), **fields)
    return Material(name=label, aliases=(), description="inline material",
                    stress_free_temperature=fields.pop("stress_free_temperature", 25.0),
                    stress_free_source=fields.pop("stress_free_source", "default 25 degC (no stress_free given)"),
                    origin="inline", extra=extra, inline=dict(table), **fields)
