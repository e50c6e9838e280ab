"""How sure is a ranking: Latin-hypercube scatter of tolerances around every variant (``--scatter N``).

A :class:`Tolerance` says how one input scatters: a standard deviation (``normal``) or a uniform
half-range (``uniform``), relative to the nominal value or absolute (in the parameter's unit), and
where that spread comes from. Geometry tolerances name a quantity (``ball_diameter``,
``metal_thickness``, ...) that :data:`GEOMETRY_PARAMETERS` maps onto the builder parameters of each
structure; parameters under one tolerance come from one process step and move together. Material
tolerances are ``MATERIAL.E``, ``MATERIAL.alpha`` for every material in a model and ``MATERIAL.s0``,
``MATERIAL.s_hat`` for Anand solders; they scale the material's whole table by one factor.

The N sample vectors are drawn once (``scipy.stats.qmc.LatinHypercube``, fixed seed) over every
tolerance that applies to any variant, and the same vectors are used around every variant (common
random numbers): sample k of design A and sample k of design B saw the same ball, the same solder
modulus, ... so "A outlives B in 87 % of samples" compares like with like. A sample becomes an
ordinary :class:`~studies.evaluate.Point` (perturbed parameters, plus material override files on
``Point.materials``), so it runs through the sweep runner's cache and Dask paths like any point.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fea.errors import InputError

from .evaluate import Point

MIN_SAMPLES, MAX_SAMPLES = 2, 1000
#: fixed seed: the same sample vectors on every run, so the cache is reused and results reproduce
SEED = 20130613
#: standard-normal draws are truncated here (keeps a relative factor positive at the largest spread)
NORMAL_TRUNCATION = 4.0
MAX_RELATIVE = {"normal": 0.2, "uniform": 0.5}   # 0.2 * 4 sigma: a factor never falls below 0.2
LIFE_METRIC = "critical.life"
BAND = (10.0, 90.0)

#: Weibull slope of solder-joint thermal-cycling failures (the figure only: the lives do not use it)
DEFAULT_WEIBULL_SLOPE = 6.0
WEIBULL_SLOPE_SOURCE = ("typical value: the middle of the slopes 4-10 of SAC and Sn-Pb solder joints in "
                        "accelerated thermal cycling (Weibull fits of board-level tests, e.g. the IPC-9701 "
                        "qualification data; cf. the project brief)")
WEIBULL_SLOPE_RANGE = (0.5, 30.0)


@dataclass(frozen=True)
class Tolerance:
    key: str
    spread: float                 # standard deviation (normal) or half-range (uniform)
    relative: bool                # spread relative to the nominal value, else in the value's unit
    distribution: str = "normal"  # normal | uniform
    source: str = "typical value"

    def deviate(self, u: float) -> float:
        """The standardised deviation of a unit sample u in (0, 1): a truncated standard normal,
        or uniform on [-1, 1]."""
        if self.distribution == "uniform":
            return 2.0 * u - 1.0
        from scipy.stats import norm
        return float(np.clip(norm.ppf(u), -NORMAL_TRUNCATION, NORMAL_TRUNCATION))

    def apply(self, nominal: float, u: float) -> float:
        delta = self.spread * self.deviate(u)
        return nominal * (1.0 + delta) if self.relative else nominal + delta

    def describe(self) -> str:
        kind = "standard deviation" if self.distribution == "normal" else "uniform half-range"
        amount = f"{100 * self.spread:.3g} %" if self.relative else f"{self.spread:.3g} (absolute)"
        return f"{amount} {kind}"


def _geometry(spread, relative, distribution, source, parameters):
    return {"tolerance": (spread, relative, distribution, source), "parameters": parameters}


ALL_BOARDS = ("ppi-recess", "cu-post", "fanout-rdl", "edge-recess-rdl")
#: tolerance name -> default spread and, per structure, the builder parameters it moves
GEOMETRY = {
    "ball_diameter": _geometry(
        10.0, False, "uniform",
        "solder sphere suppliers' tolerance +-10 um for 0.20-0.50 mm spheres before reflow (e.g. Topline BGA "
        "solder ball table)",
        {"ppi-recess": ("ball_diameter",), "fanout-rdl": ("ball_diameter",),
         "edge-recess-rdl": ("ball_diameter",), "molded-joint": ("joint_width",)}),
    "pad_diameter": _geometry(
        0.03, True, "normal",
        "typical value: lithography and etch of wafer-level pads and posts hold a few um on 100-300 um",
        {"ppi-recess": ("pad_diameter",), "fanout-rdl": ("pad_diameter",),
         "edge-recess-rdl": ("land_diameter",), "cu-post": ("post_width",)}),
    "opening_diameter": _geometry(
        0.03, True, "normal", "typical value: as pad_diameter (photo-defined opening)",
        {"ppi-recess": ("ubm_opening_diameter",), "fanout-rdl": ("opening_diameter",),
         "edge-recess-rdl": ("opening_diameter",)}),
    "joint_height": _geometry(
        0.05, True, "normal",
        "typical value: stand-off after reflow follows the solder volume (+-4 % ball diameter is +-12 % volume) "
        "and the pad sizes, spread over the joint's width and height",
        {"molded-joint": ("joint_height",), "cu-post": ("bump_height",)}),
    "polymer_thickness": _geometry(
        0.05, True, "normal",
        "typical value: spin-coated polyimide / PBO / solder-mask thickness uniformity of about +-5 %; the Cu "
        "post height is the polymer thickness",
        {"ppi-recess": ("polymer_thickness", "second_polymer_thickness"), "cu-post": ("post_height",),
         "fanout-rdl": ("insulator_thickness",), "edge-recess-rdl": ("solder_mask_thickness",)}),
    "metal_thickness": _geometry(
        0.07, True, "normal",
        "typical value: within-wafer uniformity of electroplated Cu and sputtered Al films, 5-10 %",
        {"ppi-recess": ("ppi_thickness", "ubm_thickness"), "fanout-rdl": ("rdl_thickness",),
         "edge-recess-rdl": ("rdl_thickness",), "molded-joint": ("pad_thickness",)}),
    "finish_thickness": _geometry(
        0.27, True, "uniform",
        "ENIG / ENEPIG nickel specified as 4-7 um (5.5 um +-27 %), e.g. mypcbstore.de general tolerances",
        {"ppi-recess": ("finish_thickness",), "fanout-rdl": ("finish_thickness",),
         "edge-recess-rdl": ("ni_thickness",)}),
    "land_thickness": _geometry(
        0.10, True, "normal", "typical value: plated board copper (IPC-6012 minimum plus plating spread)",
        {name: ("land_thickness",) for name in ALL_BOARDS + ("molded-joint",)}),
    "die_thickness": _geometry(
        0.03, True, "normal", "typical value: back-grinding holds a few um on 100-300 um dies",
        {"ppi-recess": ("substrate_thickness",), "cu-post": ("substrate_thickness",),
         "molded-joint": ("substrate_thickness",), "fanout-rdl": ("chip_thickness",),
         "edge-recess-rdl": ("silicon_thickness",)}),
    "board_thickness": _geometry(
        0.10, True, "uniform",
        "printed board thickness tolerance +-10 % (IPC-A-600 class 2 standard, e.g. Stevenage Circuits "
        "capabilities)",
        {**{name: ("board_thickness",) for name in ALL_BOARDS}, "molded-joint": ("second_substrate_thickness",)}),
}

#: material property -> (section, key) in a material file and the default relative standard deviation
MATERIAL_PROPERTIES = {
    "E": ("elastic", "E", 0.05, "typical value: moduli of one material from different datasheets and tests "
                               "differ by 5-10 %"),
    "alpha": ("expansion", "alpha", 0.05, "typical value: CTE datasheet and dilatometry spread, 5-10 %"),
    "s0": ("anand", "s0", 0.10, "typical value: Anand s0 fitted to the same SAC305 data by different "
                                "groups differs by 10-30 %"),
    "s_hat": ("anand", "s_hat", 0.10, "typical value: as s0"),
}
ENTRY_KEYS = ("relative", "absolute", "distribution", "source")


# ------------------------------------------------------------------------------- tolerances

def default_tolerances(library) -> dict[str, Tolerance]:
    """Every tolerance with its default spread: geometry ones, and each library material's E, alpha
    (and s0, s_hat for materials with an Anand law)."""
    out = {key: Tolerance(key, *entry["tolerance"]) for key, entry in GEOMETRY.items()}
    for name in library.names():
        for prop in material_properties(library, name):
            _, _, spread, source = MATERIAL_PROPERTIES[prop]
            out[f"{name}.{prop}"] = Tolerance(f"{name}.{prop}", spread, True, "normal", source)
    return out


def material_properties(library, name: str) -> list[str]:
    raw = library.raw(name)
    return [prop for prop, (section, key, _, _) in MATERIAL_PROPERTIES.items()
            if isinstance(raw.get(section), dict) and key in raw[section]]


def read_table(path) -> dict:
    """The ``[scatter]`` table of a TOML file (``--scatter-table``), entries by flat key."""
    from materials.loader import read_toml

    path = Path(path)
    data = read_toml(path, "--scatter-table")
    extra = sorted(set(data) - {"scatter"})
    if extra or not isinstance(data.get("scatter"), dict):
        raise InputError(f"--scatter-table {path.name}: expected one [scatter] table"
                         + (f" (found {', '.join(extra)})" if extra else ""))
    return flatten(data["scatter"])


def flatten(table: dict, prefix: str = "") -> dict:
    """``sac305.E = {relative = 0.05}`` (a nested table in TOML) and ``"sac305.E" = {...}`` alike."""
    out = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value and not set(value) & set(ENTRY_KEYS):
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def tolerances_with(overrides: dict, library) -> dict[str, Tolerance]:
    """Defaults with the ``[scatter]`` overrides applied; unknown keys and bad spreads refused."""
    tolerances = default_tolerances(library)
    aliases = {}
    for key in overrides:
        name, _, prop = key.rpartition(".")
        if name and name in library and prop in MATERIAL_PROPERTIES:
            aliases[key] = f"{library.get(name).name}.{prop}"
    for key, entry in overrides.items():
        canonical = aliases.get(key, key)
        if canonical not in tolerances:
            raise InputError(f"[scatter] {key}: unknown tolerance; valid: {', '.join(GEOMETRY)} or "
                             "MATERIAL.E, MATERIAL.alpha, MATERIAL.s0, MATERIAL.s_hat (s0, s_hat: Anand solders)")
        tolerances[canonical] = parse_entry(canonical, entry, tolerances[canonical])
    return tolerances


def parse_entry(key: str, entry, default: Tolerance) -> Tolerance:
    where = f"[scatter] {key}"
    if not isinstance(entry, dict):
        raise InputError(f"{where}: expected a table like {{relative = 0.03}} or {{absolute = 5.0}}")
    unknown = sorted(set(entry) - set(ENTRY_KEYS))
    if unknown:
        raise InputError(f"{where}: unknown key {unknown[0]}; allowed: {', '.join(ENTRY_KEYS)}")
    amounts = [k for k in ("relative", "absolute") if k in entry]
    if len(amounts) != 1:
        raise InputError(f"{where}: give exactly one of relative or absolute")
    kind = amounts[0]
    if kind == "absolute" and key not in GEOMETRY:
        raise InputError(f"{where}: material properties scatter by a factor; give relative")
    distribution = entry.get("distribution", "normal")
    if distribution not in ("normal", "uniform"):
        raise InputError(f"{where}.distribution = {distribution!r} is not one of {{normal, uniform}}")
    spread = entry[kind]
    if isinstance(spread, bool) or not isinstance(spread, (int, float)) or not math.isfinite(spread):
        raise InputError(f"{where}.{kind} = {spread!r} is not a number")
    high = MAX_RELATIVE[distribution] if kind == "relative" else math.inf
    if not 0.0 <= spread <= high:
        raise InputError(f"{where}.{kind} = {spread:g} is outside [0, {high:g}]")
    source = entry.get("source", "user [scatter] table")
    if not isinstance(source, str):
        raise InputError(f"{where}.source must be a string")
    return Tolerance(key, float(spread), kind == "relative", distribution, source)


# ------------------------------------------------------------------------------- sampling

def unit_samples(n: int, dimensions: int, seed: int = SEED) -> np.ndarray:
    """(n, dimensions) Latin-hypercube points in (0, 1): each of the n equal-probability bins of
    every dimension holds exactly one sample."""
    from scipy.stats import qmc
    if dimensions == 0:
        return np.zeros((n, 0))
    return qmc.LatinHypercube(d=dimensions, rng=seed).random(n)


def model_materials(point: Point) -> list[str]:
    """Library names of the materials of the regions the point's builder draws."""
    spec = point.builder().spec(point.level)
    regions = {layer.region for layer in spec.layers}
    library = point.library()
    return sorted({library.get(spec.materials[r]).name for r in regions if r in spec.materials})


def applicable(point: Point, tolerances: dict[str, Tolerance]) -> list[str]:
    """Tolerance keys (with a spread) that move something in ``point``."""
    from geometry.parameters import parameters
    names = {f.name for f in parameters(point.builder())}
    keys = [key for key, entry in GEOMETRY.items()
            if set(entry["parameters"].get(point.structure, ())) & names]
    library = point.library()
    for material in model_materials(point):
        keys += [f"{material}.{prop}" for prop in material_properties(library, material)]
    return [key for key in keys if key in tolerances and tolerances[key].spread > 0]


@dataclass(frozen=True)
class Plan:
    """The samples of a study: tolerances, the dimensions sampled and the unit sample matrix."""
    n: int
    tolerances: dict
    dimensions: tuple[str, ...]
    unit: np.ndarray              # (n, len(dimensions))
    weibull_slope: float = DEFAULT_WEIBULL_SLOPE

    def column(self, key: str) -> int:
        return self.dimensions.index(key)


def plan(points: list[Point], n: int, tolerances: dict[str, Tolerance],
         weibull_slope: float = DEFAULT_WEIBULL_SLOPE) -> Plan:
    check_samples(n)
    check_weibull_slope(weibull_slope)
    dimensions = sorted({key for point in points for key in applicable(point, tolerances)})
    return Plan(n, tolerances, tuple(dimensions), unit_samples(n, len(dimensions)), weibull_slope)


def check_samples(n) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or not MIN_SAMPLES <= n <= MAX_SAMPLES:
        raise InputError(f"--scatter = {n} is outside [{MIN_SAMPLES}, {MAX_SAMPLES}]")


def check_weibull_slope(beta) -> None:
    lo, hi = WEIBULL_SLOPE_RANGE
    if not (isinstance(beta, (int, float)) and math.isfinite(beta) and lo <= beta <= hi):
        raise InputError(f"--weibull-slope = {beta} is outside [{lo:g}, {hi:g}]")


def sample_point(nominal: Point, plan: Plan, k: int) -> Point:
    """Sample k of ``plan`` around ``nominal``: a Point with the perturbed parameters and material
    files; unchanged inputs are left out, so a zero spread gives the nominal point's identity."""
    keys = applicable(nominal, plan.tolerances)
    u = {key: plan.unit[k, plan.column(key)] for key in keys if key in plan.dimensions}
    parameters = perturbed_parameters(nominal, plan.tolerances, u)
    files = material_files(nominal, plan.tolerances, u, k)
    point = Point(nominal.structure, {**nominal.parameters, **parameters}, nominal.level,
                  nominal.mesh_size_factor, nominal.load, f"{nominal.label} [scatter {k + 1}/{plan.n}]",
                  tuple(nominal.materials) + files)
    return within_derived_limits(point) if parameters else point


def within_derived_limits(point: Point, attempts: int = 8) -> Point:
    """Clip a sample to the builders' cross-parameter limits too (an opening that must stay inside
    its pad, ...): independent tolerances around a nominal design at such a limit would otherwise
    fail half their samples. Any other error leaves the sample to fail and be counted."""
    from geometry.parameters import OutOfRange
    for _ in range(attempts):
        try:
            point.builder().spec(point.level)
            return point
        except OutOfRange as limit:
            if limit.name not in point.parameters:
                return point
            margin = 1e-9 * max(abs(limit.low), abs(limit.high), 1.0)
            value = float(np.clip(point.parameters[limit.name], limit.low + margin, limit.high - margin))
            point = dataclasses.replace(point, parameters={**point.parameters, limit.name: value})
        except InputError:
            return point
    return point


def perturbed_parameters(nominal: Point, tolerances: dict, u: dict) -> dict:
    """Changed builder parameters, each clipped to its allowed range."""
    from geometry.parameters import parameters
    builder = nominal.builder()
    fields = {f.name: f for f in parameters(builder)}
    changed = {}
    for key, entry in GEOMETRY.items():
        if key not in u:
            continue
        for name in entry["parameters"].get(nominal.structure, ()):
            if name not in fields:
                continue
            value = float(getattr(builder, name))
            new = tolerances[key].apply(value, u[key])
            if fields[name].metadata["range"]:
                new = float(np.clip(new, *fields[name].metadata["range"]))
            new = round(new, 6)       # um: a stable cache key, far below any mesh size
            if new != value:
                changed[name] = new
    return changed


def material_factors(material: str, u: dict, tolerances: dict) -> dict[str, float]:
    factors = {}
    for prop in MATERIAL_PROPERTIES:
        key = f"{material}.{prop}"
        if key in u:
            factor = round(tolerances[key].apply(1.0, u[key]), 6)
            if factor != 1.0:
                factors[prop] = factor
    return factors


def material_files(nominal: Point, tolerances: dict, u: dict, k: int) -> tuple:
    """(file name, TOML text) of a material override for every material the sample scales."""
    library = nominal.library()
    files = []
    for material in model_materials(nominal):
        factors = material_factors(material, u, tolerances)
        if factors:
            text = scaled_material_text(library.raw(material), material, factors, k)
            files.append((f"scatter_{material}.toml", text))
    return tuple(files)


def scaled_material_text(raw: dict, name: str, factors: dict[str, float], k: int) -> str:
    """A materials file layered on ``name``: its E / alpha / s0 / s_hat scaled, sources kept."""
    from .model_file import toml_key, toml_value
    sections: dict[str, list[str]] = {}
    for prop, factor in factors.items():
        section, key, _, _ = MATERIAL_PROPERTIES[prop]
        quantity = scaled_quantity(raw[section][key], factor, f"scaled by {factor:.6g} (scatter sample {k + 1})")
        sections.setdefault(section, []).append(f"{toml_key(key)} = {toml_value(quantity)}")
    lines = [f"base = {toml_value(name)}", f"name = {toml_value(name)}"]
    for section, entries in sections.items():
        lines += ["", f"[{section}]", *entries]
    return "\n".join(lines) + "\n"


def scaled_quantity(quantity: dict, factor: float, note: str) -> dict:
    """One value dict of a material file with every value (not the temperatures) times ``factor``."""
    out = dict(quantity)
    for form in ("value", "below_tg", "above_tg"):
        if form in out:
            out[form] = float(out[form]) * factor
    if "table" in out:
        out["table"] = [[float(T), float(v) * factor] for T, v in out["table"]]
    out["source"] = f"{out.get('source', '')}; {note}"
    return out


def sample_points(nominals: list[Point], plan: Plan) -> list[list[Point]]:
    """Per nominal point, its n sample points (the same unit samples around every one)."""
    return [[sample_point(p, plan, k) for k in range(plan.n)] for p in nominals]


def sample_inputs(nominal: Point, plan: Plan, k: int) -> dict:
    """What sample k changed around ``nominal``: parameter values and material factors."""
    keys = applicable(nominal, plan.tolerances)
    u = {key: plan.unit[k, plan.column(key)] for key in keys if key in plan.dimensions}
    inputs = dict(perturbed_parameters(nominal, plan.tolerances, u))
    for material in model_materials(nominal):
        inputs.update({f"{material}.{p}": f for p, f in material_factors(material, u, plan.tolerances).items()})
    return inputs


# ------------------------------------------------------------------------------- statistics

def life_band(lives) -> dict:
    """Median and the 10-90 % band of the finite lives (None where there are none)."""
    finite = np.asarray([v for v in lives if v is not None and math.isfinite(v)], dtype=float)
    if finite.size == 0:
        return {"median": None, "p10": None, "p90": None}
    p10, median, p90 = np.percentile(finite, [BAND[0], 50.0, BAND[1]])
    return {"median": float(median), "p10": float(p10), "p90": float(p90)}


def outlive_fraction(better, worse) -> tuple[float | None, int]:
    """Share of paired samples (both solved) in which ``better`` lives longer, and the pair count."""
    pairs = [(a, b) for a, b in zip(better, worse) if a is not None and b is not None]
    if not pairs:
        return None, 0
    return sum(a > b for a, b in pairs) / len(pairs), len(pairs)


def weibull_eta(median: float, beta: float) -> float:
    """The characteristic life eta of a Weibull distribution with median life N50: F(N50) = 1/2
    in F(N) = 1 - exp(-(N / eta)^beta) gives eta = N50 / ln(2)^(1/beta)."""
    return median / math.log(2.0) ** (1.0 / beta)


def weibull_failure_probability(cycles, median: float, beta: float):
    """F(N) = 1 - exp(-(N / eta)^beta) with eta set so that F(median) = 1/2."""
    return 1.0 - np.exp(-(np.asarray(cycles, dtype=float) / weibull_eta(median, beta)) ** beta)


def life_of(record: dict) -> float | None:
    value = record.get("metrics", {}).get(LIFE_METRIC) if record.get("status") == "ok" else None
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None


def summarise(plan: Plan, nominals: list[Point], nominal_records: list[dict],
              samples: list[list[dict]]) -> dict:
    """Per variant: nominal life, per-sample lives, band, ok / failed; per adjacent pair of the
    nominal ranking: how often the better design outlives the next."""
    variants = []
    for point, record, records in zip(nominals, nominal_records, samples):
        lives = [life_of(r) for r in records]
        variants.append({"label": record.get("label", point.label), "nominal": life_of(record),
                         "lives": lives, **life_band(lives),
                         "ok": sum(v is not None for v in lives), "failed": sum(v is None for v in lives),
                         "errors": sorted({r.get("error", "no life") for r in records if life_of(r) is None}),
                         "inputs": [sample_inputs(point, plan, k) for k in range(plan.n)]})
    ranked = sorted((v for v in variants if v["nominal"] is not None), key=lambda v: -v["nominal"])
    pairs = []
    for a, b in zip(ranked, ranked[1:]):
        fraction, count = outlive_fraction(a["lives"], b["lives"])
        pairs.append({"better": a["label"], "worse": b["label"], "fraction": fraction, "pairs": count})
    return {"samples": plan.n, "seed": SEED, "metric": LIFE_METRIC,
            "weibull_slope": plan.weibull_slope, "weibull_eta": "median life / ln(2)^(1/beta) of each design",
            "tolerances": {key: {**dataclasses.asdict(plan.tolerances[key]), "text": plan.tolerances[key].describe()}
                           for key in plan.dimensions},
            "variants": variants, "ranking": pairs}


def outlive_sentence(pair: dict) -> str:
    if pair["fraction"] is None:
        return f"{pair['better']} vs {pair['worse']}: no sample solved for both."
    return (f"{pair['better']} outlives {pair['worse']} in {100 * pair['fraction']:.0f} % of samples "
            f"({pair['pairs']} paired samples).")


def scatter_csv(summary: dict) -> str:
    """One row per variant and sample: life, status and the inputs the sample changed."""
    names = sorted({name for v in summary["variants"] for inputs in v["inputs"] for name in inputs})
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["variant", "sample", "status", f"{LIFE_METRIC} [cycles]"] + names)
    for v in summary["variants"]:
        for k, (life, inputs) in enumerate(zip(v["lives"], v["inputs"])):
            writer.writerow([v["label"], k + 1, "ok" if life is not None else "failed",
                             "" if life is None else life] + [inputs.get(n, "") for n in names])
    return buffer.getvalue()


def weibull_figure(summary: dict):
    """F(N) of each design from its median life (solid) and from its 10 % and 90 % lives (band)."""
    from matplotlib.figure import Figure

    beta = summary["weibull_slope"]
    fig = Figure(figsize=(8.0, 4.6), layout="constrained")
    ax = fig.subplots()
    solved = [v for v in summary["variants"] if v["median"] is not None]
    if not solved:
        return fig
    lo = min(v["p10"] for v in solved) / 3.0
    hi = max(v["p90"] for v in solved) * 1.6
    cycles = np.geomspace(lo, hi, 300)
    for k, v in enumerate(solved):
        color = f"C{k % 10}"
        ax.fill_between(cycles, 100 * weibull_failure_probability(cycles, v["p90"], beta),
                        100 * weibull_failure_probability(cycles, v["p10"], beta), color=color, alpha=0.15, lw=0)
        ax.plot(cycles, 100 * weibull_failure_probability(cycles, v["median"], beta), color=color, lw=1.6,
                label=v["label"])
    ax.set_xscale("log")
    ax.set_xlabel("cycles N")
    ax.set_ylabel("failure probability F(N) [%]")
    ax.set_ylim(0, 100)
    ax.set_title(f"Weibull failure probability, slope beta = {beta:g}")
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc="upper left", fontsize=8)
    return fig
