"""A design study: a question, the variants that answer it, the metrics that decide it.

A study script defines a :class:`Study` and calls :func:`main`; ``run_study`` evaluates every
variant through the sweep runner (cached, parallel on Dask if asked), adds a mesh-convergence
series of the first (baseline) variant, and writes ``report.html``, ``results.csv``,
``results.json`` and one VTU per variant into the output directory.
"""
from __future__ import annotations

import argparse
import csv
import io
import platform
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from fea.errors import InputError, SolverError

from .evaluate import QUICK_MESH_FACTOR, Point

#: JEDEC JESD22-A104 condition G (-40/+125 degC), 15 min ramps and dwells: at least three cycles,
#: more (up to six) until the solder's dW changes by less than 2 % from one cycle to the next, so
#: lives come from a stabilised loop; --quick runs one cycle and says that it is not stabilised
FULL_LOAD = {"profile": "G", "cycles": 3, "stabilise": 0.02, "max_cycles": 6}
QUICK_LOAD = {"profile": "G", "cycles": 1}
#: mesh-size factors of the baseline's convergence series, relative to the study's mesh (the 1.0
#: entry is the baseline itself and is computed once)
FULL_CONVERGENCE = (1.4, 1.0, 0.7)
QUICK_CONVERGENCE = (1.4, 1.0)
JEDEC = "jedec"   # Study.load default: FULL_LOAD, or QUICK_LOAD with --quick


@dataclass(frozen=True)
class Metric:
    """A number read from every point record: ``key`` into ``record["metrics"]``."""
    key: str
    label: str
    unit: str
    better: str = "lower"      # lower | higher | none
    fmt: str = ".4g"
    solved: bool = True        # False: a fact of the geometry (a distance, a count), no numerical band


@dataclass(frozen=True)
class Variant:
    label: str
    parameters: dict = field(default_factory=dict)
    group: str = ""                  # the comparison it belongs to (sweep curves, bar groups)
    structure: str | None = None     # default: the study's structure


@dataclass(frozen=True)
class Curve:
    """Sweep curve: the study's metrics against one parameter over the variants of one group."""
    group: str
    parameter: str
    label: str                       # x-axis label with unit


@dataclass(frozen=True)
class Study:
    name: str
    title: str
    question: str
    structure: str
    variants: tuple[Variant, ...]
    metrics: tuple[Metric, ...]      # the first one ranks the variants
    answer: Callable[[dict], str]    # label -> record (ok records only) -> answer paragraph
    curves: tuple[Curve, ...] = ()
    contour: str = "max_principal"   # field of fields.npz drawn in the contour plots
    contour_label: str = "max principal stress [MPa]"
    contour_regions: tuple[str, ...] = ()   # regions coloured in the contour plots (empty: all)
    interfaces: tuple[str, ...] = ()        # interfaces whose peel/shear is plotted
    base_parameters: dict = field(default_factory=dict)   # applied to every variant
    level: str = "assembly"
    sources: tuple[str, ...] = ()    # the documents the variants come from
    load: dict | str | None = JEDEC  # a [load] table; None: thermoelastic at -40 degC
    quick_load: dict | None = None   # the load of --quick when ``load`` is a table (default: the same)
    mesh_size_factor: float | None = None   # default: 1, or QUICK_MESH_FACTOR with --quick
    # extra metrics computed from an ok record (e.g. a closed-form comparison): record -> {key: value}
    derive: Callable[[dict], dict] | None = None
    # material files on top of the library for every point, as (file name, TOML text) pairs
    materials: tuple = ()
    # variants solved with elastic and with viscoelastic compounds, and the first one's package
    # warpage over a reflow profile (`studies.compound.CompoundComparison`); None: no comparison
    compound: object = None

    def points(self, quick: bool) -> list[Point]:
        factor = self.mesh_size_factor or (QUICK_MESH_FACTOR if quick else 1.0)
        if self.load == JEDEC:
            load = QUICK_LOAD if quick else FULL_LOAD
        else:
            load = self.quick_load if quick and self.quick_load is not None else self.load
        return [Point(v.structure or self.structure, {**self.base_parameters, **v.parameters}, self.level,
                      factor, load, v.label, self.materials) for v in self.variants]

    def convergence_points(self, quick: bool) -> list[Point]:
        base = self.points(quick)[0]
        return [Point(base.structure, base.parameters, base.level, round(f * base.mesh_size_factor, 4),
                      base.load, f"{base.label} (mesh x{f * base.mesh_size_factor:g})", base.materials)
                for f in (QUICK_CONVERGENCE if quick else FULL_CONVERGENCE)]


@dataclass
class StudyRun:
    """What the report writer gets. Records are sweep records (see studies/evaluate.py) with
    ``files`` added: name -> Path of ``mesh.png``, ``fields.npz``, ``result.vtu``."""
    study: Study
    quick: bool
    records: list[dict]              # one per variant, in variant order (failed ones have "error")
    convergence: list[dict]          # the baseline at several mesh sizes, coarse to fine
    metadata: dict
    scatter: dict | None = None      # --scatter: studies.scatter.summarise (per-sample lives, bands, outlive)
    compound: dict | None = None     # Study.compound: studies.compound.summarise (lives, dW, reflow warpage)


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower() or "variant"


def run_study(study: Study, out_dir: str | Path, quick: bool = False, workers: int = 1,
              scheduler: str | None = None, cache_dir: str | Path | None = None, progress: bool = True,
              scatter: dict | None = None) -> StudyRun:
    """``scatter``: {"n": N, "table": [scatter] overrides, "weibull_slope": beta} adds N samples
    around every variant (studies/scatter.py) to the same run_points call."""
    from .sweep import run_points

    out_dir = Path(out_dir)
    cache = Path(cache_dir) if cache_dir else out_dir / "cache"
    started = time.time()
    points = study.points(quick)
    convergence_points = study.convergence_points(quick)
    plan, samples = scatter_samples(study, points, scatter)
    flat_samples = [p for around in samples for p in around]
    compound_points = study.compound.points(study, quick) if study.compound is not None else []
    # the convergence series shares the baseline's middle mesh: the sweep runs each point once
    records = run_points(points + convergence_points + flat_samples + compound_points, cache, workers=workers,
                         scheduler=scheduler, progress=progress)
    compound_records = records[len(records) - len(compound_points):]
    records = records[:len(records) - len(compound_points)]
    if study.derive is not None:
        for record in records:
            if record["status"] == "ok":
                record["metrics"] = {**record["metrics"], **study.derive(record)}
    main_records = records[:len(points)]
    convergence = records[len(points):len(points) + len(convergence_points)]
    convergence.sort(key=lambda r: r.get("elements", 0))
    summary = None
    if plan is not None:
        from .scatter import summarise
        sample_records = records[len(points) + len(convergence_points):]
        summary = summarise(plan, points, main_records,
                            [sample_records[k * plan.n:(k + 1) * plan.n] for k in range(len(points))])
    run = StudyRun(study, quick, main_records, convergence, metadata(study, quick, workers, scheduler,
                                                                    time.time() - started, records + compound_records),
                   summary, compound_summary(study, compound_records))
    write_outputs(run, out_dir)
    return run


def compound_summary(study: Study, records: list[dict]) -> dict | None:
    """The elastic-against-viscoelastic compound numbers (`studies.compound.summarise`), or None."""
    if study.compound is None:
        return None
    from .compound import summarise
    return {**summarise(study.compound, records), "points": [_without_files(r) for r in records]}


def scatter_samples(study: Study, points: list[Point], scatter: dict | None):
    """The scatter plan and, per variant, its sample points (none without ``scatter``)."""
    if not scatter:
        return None, []
    from . import scatter as sc
    if study.load is None:
        raise InputError("--scatter needs cycled points (it compares fatigue lives); drop --thermoelastic")
    tolerances = sc.tolerances_with(scatter.get("table") or {}, points[0].library())
    plan = sc.plan(points, scatter["n"], tolerances, scatter.get("weibull_slope", sc.DEFAULT_WEIBULL_SLOPE))
    return plan, sc.sample_points(points, plan)


def metadata(study: Study, quick: bool, workers: int, scheduler, wall: float, records: list[dict]) -> dict:
    from importlib import metadata as md
    versions = {"python": platform.python_version()}
    for package in ("pkgrel", "scikit-fem", "numpy", "scipy", "gmsh", "meshio", "matplotlib", "dask", "distributed"):
        try:
            versions[package] = md.version(package)
        except md.PackageNotFoundError:
            pass
    return {"study": study.name, "quick": quick, "workers": workers, "scheduler": scheduler,
            "wall_time_s": round(wall, 1), "host": platform.node(), "platform": platform.platform(),
            "date": time.strftime("%Y-%m-%d %H:%M:%S"), "versions": versions,
            "load": study.points(quick)[0].load,
            "compute_time_s": round(sum(r.get("run_time_s", 0.0) for r in records), 1),
            "cached_points": sum(1 for r in records if r.get("cached"))}


def results_table(run: StudyRun) -> tuple[list[str], list[list]]:
    base = run.study.base_parameters
    names = sorted({k for v in run.study.variants for k in {**base, **v.parameters}})
    header = ["label", "structure", "status"] + names + [f"{m.key} [{m.unit}]" for m in run.study.metrics] + [
        "life law", "life source", "alloy fitted", "averaging layer [um]", "in_calibration", "calibration notes",
        "stabilised", "elements", "run_time_s", "error"]
    rows = []
    for variant, record in zip(run.study.variants, run.records):
        metrics = record.get("metrics", {})
        rows.append([variant.label, record.get("structure", variant.structure or run.study.structure),
                     record["status"]] + [{**base, **variant.parameters}.get(n, "") for n in names]
                    + [metrics.get(m.key, "") for m in run.study.metrics] + life_columns(record)
                    + [record.get("elements", ""), record.get("run_time_s", ""), record.get("error", "")])
    return header, rows


def life_columns(record: dict) -> list:
    """What the headline life rests on: law, source, alloy, averaging, calibration, stabilisation."""
    from .evaluate import headline_life
    life = headline_life(record) if record.get("status") == "ok" else None
    if life is None:
        return ["", "", "", "", "", "", ""]
    stabilised = record.get("fatigue", {}).get(life["group"], {}).get("stabilised")
    return [life["law_key"], life["source"], "/".join(life["alloy"]), life["volume_averaging_thickness"] or "",
            life["in_calibration"], "; ".join(life["reasons"]), stabilised]


def write_outputs(run: StudyRun, out_dir: Path) -> None:
    """report.html, results.csv, results.json and variants/*.vtu, staged and moved in at the end."""
    from .analysis import to_json
    from .model_file import publish

    from .report import write_report

    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".study-", dir=out_dir))
    try:
        header, rows = results_table(run)
        buffer = io.StringIO()
        csv.writer(buffer).writerows([header] + rows)
        (staging / "results.csv").write_text(buffer.getvalue())
        (staging / "variants").mkdir()
        for record in run.records:
            vtu = record.get("files", {}).get("result.vtu")
            if vtu is not None:
                shutil.copy(vtu, staging / "variants" / f"{slug(record['label'])}.vtu")
        plain = {"study": run.study.name, "title": run.study.title, "question": run.study.question,
                 "metadata": run.metadata,
                 "metrics": [vars(m) for m in run.study.metrics],
                 "variants": [_without_files(r) for r in run.records],
                 "convergence": [_without_files(r) for r in run.convergence]}
        if run.compound is not None:
            plain["compound"] = run.compound
        if run.scatter is not None:
            from .scatter import scatter_csv
            plain["scatter"] = run.scatter
            (staging / "scatter.csv").write_text(scatter_csv(run.scatter))
        (staging / "results.json").write_text(to_json(plain))
        write_report(run, staging / "report.html")
        publish(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _without_files(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "files"}


# ---------------------------------------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", help="output directory (default: runs/<study>)")
    parser.add_argument("--quick", action="store_true",
                        help=f"preview: mesh x{QUICK_MESH_FACTOR:g} coarser, one cycle")
    parser.add_argument("--workers", type=int, default=1, help="local Dask workers (default 1: in this process)")
    parser.add_argument("--scheduler", help="address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786")
    parser.add_argument("--cache", help="point cache directory (default: OUT/cache)")
    parser.add_argument("--materials", metavar="FILE", action="append", default=[],
                        help="TOML material file adding to or overriding the library for every point "
                             "(repeatable; e.g. a calibrated_materials.toml from pkgrel calibrate)")
    parser.add_argument("--scatter", type=int, default=None, metavar="N",
                        help="N Latin-hypercube samples of the tolerances around every variant (2-1000): "
                             "life bands, outlive probabilities, Weibull curves (docs/scatter.md)")
    parser.add_argument("--scatter-table", metavar="FILE", help="TOML file with a [scatter] table of tolerances")
    parser.add_argument("--weibull-slope", type=float, default=None, metavar="BETA",
                        help="Weibull slope of the failure-probability curves (default 6, typical of solder joints)")


def execute(study: Study, args) -> int:
    out = Path(args.out or f"runs/{study.name}{'-quick' if args.quick else ''}")
    if args.workers < 1 or args.workers > 256:
        raise InputError(f"--workers = {args.workers} is outside [1, 256]")
    scatter = scatter_settings(args)
    if getattr(args, "materials", None):
        from dataclasses import replace

        from .evaluate import material_files
        study = replace(study, materials=material_files(args.materials))
        study.points(args.quick)[0].library()   # a bad file fails here, before anything runs
    print(f"{study.title}\n  {study.question}", file=sys.stderr)
    run = run_study(study, out, quick=args.quick, workers=args.workers, scheduler=args.scheduler,
                    cache_dir=args.cache, scatter=scatter)
    ok = [r for r in run.records if r["status"] == "ok"]
    failed = [r for r in run.records if r["status"] != "ok"]
    print(study.answer({r["label"]: r for r in ok}) if ok else "no variant could be solved")
    for r in failed:
        print(f"  failed: {r['label']}: {r.get('error')}")
    if run.scatter is not None:
        from .scatter import outlive_sentence
        for pair in run.scatter["ranking"]:
            print(f"  scatter: {outlive_sentence(pair)}")
    if run.compound is not None:
        from .compound import sentence
        print(sentence(run.compound))
    print(f"report: {(out / 'report.html').resolve()}")
    if failed:
        # the report is complete for the variants that solved; a script must still see the failures
        print(f"{len(failed)} of {len(run.records)} variants failed (listed above and in the report); "
              "a rerun computes only those", file=sys.stderr)
        return 1
    return 0


def scatter_settings(args) -> dict | None:
    """--scatter / --scatter-table / --weibull-slope checked before anything runs."""
    from . import scatter as sc
    n = getattr(args, "scatter", None)
    table, slope = getattr(args, "scatter_table", None), getattr(args, "weibull_slope", None)
    if n is None:
        if table or slope is not None:
            raise InputError("--scatter-table and --weibull-slope need --scatter N")
        return None
    sc.check_samples(n)
    slope = sc.DEFAULT_WEIBULL_SLOPE if slope is None else slope
    sc.check_weibull_slope(slope)
    return {"n": n, "table": sc.read_table(table) if table else {}, "weibull_slope": slope}


def main(study: Study, argv=None) -> int:
    """Entry point of ``python -m studies.NAME``: same options and errors as ``pkgrel study NAME``."""
    parser = argparse.ArgumentParser(prog=f"python -m studies.{study.name}", description=study.question)
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return execute(study, args)
    except (InputError, SolverError) as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\n{parser.prog}: interrupted; finished points are kept in the cache", file=sys.stderr)
        return 130
