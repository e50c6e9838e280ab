"""Parameter sweeps: many design points, cached, in parallel on one machine or a Dask cluster.

``run_points(points, cache_dir)`` evaluates each :class:`~studies.evaluate.Point` once: a point's
results live in ``cache_dir/<key>/`` where the key hashes the resolved builder parameters, level,
mesh size, load and the source of the solver, geometry and materials, so a rerun reuses finished
points and an interrupted sweep resumes. A point that fails is recorded (``error.json``) and the
sweep goes on; failed points are tried again on the next run.

Execution: in this process (``workers=1``), on a local Dask cluster (``workers=N``, one process
per worker, the machine's cores shared out as BLAS threads) or on a running Dask cluster
(``scheduler="tcp://host:8786"``). Workers return plain data and file bytes; only this process
writes to the cache, so workers need no shared file system.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from fea.errors import InputError, SolverError

from .evaluate import Point, code_fingerprint, evaluate, point_key

RECORD = "record.json"
ERROR = "error.json"


# glibc reads MALLOC_TRIM_THRESHOLD_ at start-up, and setting it also freezes the mmap threshold
# at 128 kB: every large numpy temporary is then mmap'd and unmapped again (page faults on every
# use). Explicit thresholds restore what the adaptive default reaches for these arrays.
MMAP_THRESHOLD_BYTES = 32 * 2**20    # glibc's upper limit for its adaptive mmap threshold
TRIM_THRESHOLD_BYTES = 64 * 2**20    # twice that, as glibc's adaptive rule keeps it


def restore_malloc_thresholds() -> bool:
    """Undo MALLOC_TRIM_THRESHOLD_ in this process (Dask's nanny sets 65536 in every worker it
    starts, which slows the solver down: docs/performance.md).
    Returns whether anything was changed (only on glibc, only when the variable is set)."""
    if "MALLOC_TRIM_THRESHOLD_" not in os.environ or not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:   # not glibc (musl): nothing to undo
        return False
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
                and libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))


def evaluate_safely(point: Point) -> tuple[str, dict, dict]:
    """Run one point; never raises for a bad point: ("ok", record, files) or ("failed", info, {})."""
    start = time.perf_counter()
    restore_malloc_thresholds()
    try:
        record, files = evaluate(point)
        record["worker"] = f"{platform.node()}:{os.getpid()}"
        return "ok", record, files
    except (InputError, SolverError) as exc:
        return "failed", {"error": str(exc), "kind": type(exc).__name__,
                          "run_time_s": round(time.perf_counter() - start, 3)}, {}
    except Exception as exc:   # a bug or a gmsh failure: keep the sweep going, keep the traceback
        return "failed", {"error": f"{type(exc).__name__}: {exc}", "kind": type(exc).__name__,
                          "traceback": traceback.format_exc(),
                          "run_time_s": round(time.perf_counter() - start, 3)}, {}


def _identity(point: Point) -> dict:
    return {"structure": point.structure, "parameters": point.parameters, "level": point.level,
            "mesh_size_factor": point.mesh_size_factor, "load": point.load}


def cached(directory: Path) -> dict | None:
    path = directory / RECORD
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None          # a damaged entry is recomputed
    record["files"] = {p.name: p for p in directory.iterdir() if p.name not in (RECORD, ERROR)}
    return record


def store(directory: Path, status: str, record: dict, files: dict[str, bytes]) -> dict:
    """Write a point's results atomically (temporary sibling directory, then rename)."""
    from .analysis import to_json

    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        for name, data in files.items():
            (tmp / name).write_bytes(data)
        (tmp / (RECORD if status == "ok" else ERROR)).write_text(to_json(record))
        if directory.exists():
            shutil.rmtree(directory)
        os.replace(tmp, directory)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    record = dict(record)
    record["files"] = {name: directory / name for name in files}
    return record


class Progress:
    """A one-line progress bar on stderr (redrawn on a terminal, one line per point otherwise)."""

    def __init__(self, total: int, enabled: bool = True, stream=None):
        self.total, self.enabled = total, enabled
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.done = self.failed = self.reused = 0
        self.start = time.perf_counter()

    def update(self, record: dict, reused: bool = False) -> None:
        self.done += 1
        self.failed += record["status"] != "ok"
        self.reused += reused
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.start
        computed = self.done - self.reused
        eta = elapsed / computed * (self.total - self.done) if computed else 0.0
        width = 24
        filled = int(width * self.done / max(self.total, 1))
        status = "cached" if reused else record["status"]
        line = (f"[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}  failed {self.failed}  "
                f"cached {self.reused}  {elapsed:6.0f} s  eta {eta:5.0f} s  {status}: {record.get('label', '')}")
        self.stream.write(("\r" + line[:150].ljust(150)) if self.tty else line + "\n")
        if self.tty and self.done == self.total:
            self.stream.write("\n")
        self.stream.flush()


def run_points(points: list[Point], cache_dir: str | Path, workers: int = 1, scheduler: str | None = None,
               progress: bool = True, local_cluster: bool | None = None,
               blas_threads: int | None = None) -> list[dict]:
    """Records for ``points`` in order (``status`` "ok" or "failed"; ``files`` maps names to Paths;
    ``cached`` is True for reused points). Duplicate points are computed once. One worker runs in
    this process unless ``local_cluster`` asks for a one-worker Dask cluster (benchmarks).
    ``blas_threads``: MKL / OpenMP threads of each local worker (default: the cores shared out
    between the workers)."""
    cache_dir = Path(cache_dir)
    fingerprint = code_fingerprint()
    keys, records, todo = [], {}, {}
    for point in points:
        try:
            key = point_key(point, fingerprint)
        except InputError as exc:   # invalid parameters: no need to start a worker
            text = json.dumps(_identity(point), sort_keys=True, default=str)
            key = "invalid-" + hashlib.sha256(text.encode()).hexdigest()[:20]
            records[key] = {"label": point.label, **_identity(point), "status": "failed", "error": str(exc)}
        keys.append(key)
        if key in records or key in todo:
            continue
        hit = cached(cache_dir / key)
        if hit is not None:
            records[key] = {**hit, "label": point.label, "key": key, "cached": True}
        else:
            todo[key] = point
    bar = Progress(len(set(keys)), progress)
    for key, record in records.items():
        bar.update(record, reused=record.get("cached", False))

    def finish(key: str, outcome: tuple[str, dict, dict]) -> None:
        status, data, files = outcome
        record = {"label": todo[key].label, **_identity(todo[key]), **data, "status": status, "key": key}
        records[key] = store(cache_dir / key, status, record, files)
        bar.update(records[key])

    if todo:
        if workers <= 1 and scheduler is None and not local_cluster:
            for key, point in todo.items():
                finish(key, evaluate_safely(point))
        else:
            _run_on_dask(todo, finish, workers, scheduler, blas_threads)
    return [dict(records[key], label=point.label) for key, point in zip(keys, points)]


def threads_per_worker(workers: int) -> int:
    """BLAS threads of each of ``workers`` local workers: the cores shared out."""
    return max(1, (os.cpu_count() or 1) // workers)


def _run_on_dask(todo: dict[str, Point], finish, workers: int, scheduler: str | None,
                 blas_threads: int | None = None) -> None:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise InputError("--workers / --scheduler need Dask: pip install 'dask[distributed]'") from None
    import dask

    cluster = None
    if scheduler is None:
        threads = str(blas_threads or threads_per_worker(workers))
        # replaces Dask's default pre-spawn environment, so no MALLOC_TRIM_THRESHOLD_ either
        # (see restore_malloc_thresholds, which covers workers started by `dask worker`)
        # (the compiled kernels' threads too; OpenBLAS on one thread as in fea/__init__.py: its
        # idle threads busy-wait and take the cores from the solver)
        environ = {"OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads, "NUMBA_NUM_THREADS": threads,
                   "OPENBLAS_NUM_THREADS": "1"}
        # (env= as well: the nanny reads pre-spawn-environ once per process, so a second cluster
        # would inherit the first one's thread counts)
        with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None, memory_limit=0, env=environ)
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout=20)
        except (OSError, TimeoutError) as exc:
            raise InputError(f"--scheduler {scheduler}: cannot connect to a Dask scheduler ({exc})") from None
    try:
        futures = {client.submit(evaluate_safely, point, key=f"pkgrel-{key}", pure=False): key
                   for key, point in todo.items()}
        for future in as_completed(futures):
            key = futures[future]
            try:
                outcome = future.result()
            except Exception as exc:   # the worker died (out of memory, killed)
                outcome = ("failed", {"error": f"worker lost: {type(exc).__name__}: {exc}"}, {})
            finish(key, outcome)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# ---------------------------------------------------------------- command line: pkgrel sweep / study

def register(subparsers) -> None:
    from .study import add_arguments

    sweep = subparsers.add_parser(
        "sweep", help="run a parameter sweep of one structure (cached, parallel)",
        description="Evaluate every combination of the --vary values; write DIR/results.csv, results.json "
                    "and report.html; finished points are cached in DIR/cache and reused.")
    sweep.add_argument("structure", help="structure name (pkgrel list)")
    sweep.add_argument("--vary", action="append", default=[], metavar="NAME=V1,V2,...",
                       help="parameter values to sweep (repeat for a grid)")
    sweep.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                       help="fixed parameter value for every point")
    sweep.add_argument("--level", default="assembly", choices=["cell", "assembly"])
    sweep.add_argument("--thermoelastic", action="store_true",
                       help="linear CTE-mismatch solve at -40 degC instead of temperature cycles")
    sweep.add_argument("--cycles", type=int, default=None, help="JEDEC G cycles (default 3; 1 with --quick)")
    sweep.add_argument("--mesh-size-factor", type=float, default=None,
                       help="mesh size multiplier (default 1; 2 with --quick)")
    add_arguments(sweep)
    sweep.set_defaults(func=run_sweep_command)

    study = subparsers.add_parser("study", help="run a design study and write its report",
                                  description="Run a design study (see studies/*.py) and write report.html.")
    study.add_argument("name", help=f"study: {', '.join(STUDIES)}")
    add_arguments(study)
    study.set_defaults(func=run_study_command)


STUDIES = ("compare_all", "ppi_recess", "cu_post", "molded_joint", "fanout_rdl", "edge_recess_rdl", "board_bend")


def load_study(name: str):
    import importlib
    name = name.replace("-", "_")
    if name not in STUDIES:
        raise InputError(f"study {name} is unknown; valid: {', '.join(STUDIES)}")
    return importlib.import_module(f"studies.{name}").STUDY


def run_study_command(args) -> int:
    from .study import execute
    return execute(load_study(args.name), args)


def parse_vary(structure: str, vary: list[str], fixed: list[str]) -> tuple[dict, list[tuple[str, list]]]:
    """Typed fixed values and (name, values) axes from NAME=V1,V2 strings, checked against the builder."""
    from geometry import STRUCTURES
    from geometry.parameters import check_value, parameters, parse_value

    if structure not in STRUCTURES:
        raise InputError(f"structure {structure} is unknown; valid: {', '.join(STRUCTURES)}")
    fields = {f.name: f for f in parameters(STRUCTURES[structure])}

    def field_of(name: str, option: str):
        name = name.strip().replace("-", "_")
        if name not in fields:
            raise InputError(f"{option} {name}: not a parameter of {structure}; valid: {', '.join(fields)}")
        return fields[name]

    base = {}
    for item in fixed:
        if "=" not in item:
            raise InputError(f"--set {item}: expected NAME=VALUE")
        name, text = item.split("=", 1)
        f = field_of(name, "--set")
        base[f.name] = parse_value(f, text)
        check_value(f, base[f.name])
    axes = []
    for item in vary:
        if "=" not in item:
            raise InputError(f"--vary {item}: expected NAME=V1,V2,...")
        name, text = item.split("=", 1)
        f = field_of(name, "--vary")
        values = [parse_value(f, v.strip()) for v in text.split(",") if v.strip()]
        for value in values:
            check_value(f, value)
        if not values:
            raise InputError(f"--vary {item}: give at least one value")
        axes.append((f.name, values))
    if not axes:
        raise InputError("give at least one --vary NAME=V1,V2,...")
    return base, axes


def sweep_study(structure: str, base: dict, axes: list[tuple[str, list]], level: str, thermoelastic: bool):
    """A Study whose variants are the grid of the sweep axes (the report writer then works as for
    any study)."""
    import itertools

    from .study import Curve, Metric, Study, Variant

    variants = []
    for combo in itertools.product(*[values for _, values in axes]):
        params = dict(zip([name for name, _ in axes], combo))
        label = ", ".join(f"{k}={v}" for k, v in params.items())
        group = ", ".join(f"{k}={v}" for k, v in list(params.items())[1:]) or "sweep"
        variants.append(Variant(label, params, group))
    if thermoelastic:
        metrics = (Metric("zone.solder.von_mises_mean", "solder von Mises (joint mean)", "MPa"),
                   Metric("warpage_um", "warpage", "um", "none"))
    else:
        metrics = (Metric("critical.dW", "solder dW, critical layer", "MPa/cycle"),
                   Metric("critical.life", "life (critical layer)", "cycles", "higher", ".3g"),
                   Metric("joint.eps_in_range", "joint inelastic strain range (peak to peak)", "-", "lower", ".3g"),
                   Metric("warpage_um", "warpage", "um", "none"))
    metrics += crack_metrics(structure, base, variants, level)
    groups = sorted({v.group for v in variants})
    curves = tuple(Curve(g, axes[0][0], axes[0][0]) for g in groups) if isinstance(axes[0][1][0], (int, float)) \
        and not isinstance(axes[0][1][0], bool) else ()
    names = " x ".join(name for name, _ in axes)

    def answer(records: dict) -> str:
        key = metrics[0].key
        ranked = sorted((r["metrics"][key], label) for label, r in records.items() if key in r["metrics"])
        if not ranked:
            return f"No point produced {metrics[0].label}."
        return (f"Lowest {metrics[0].label}: {ranked[0][1]} ({ranked[0][0]:.4g} {metrics[0].unit}); highest: "
                f"{ranked[-1][1]} ({ranked[-1][0]:.4g} {metrics[0].unit}), over {len(ranked)} points.")

    return Study(name=f"sweep_{structure}", title=f"Sweep of {structure}: {names}",
                 question=f"{sweep_question([name for name, _ in axes])} the {structure} joint's "
                          f"{metrics[0].label}?",
                 structure=structure, variants=tuple(variants), metrics=metrics, answer=answer,
                 curves=curves, base_parameters=base, level=level)


def crack_metrics(structure: str, base: dict, variants, level: str) -> tuple:
    """G, phase angle and margin of every builder pre-crack some point of the sweep has (a crack
    length parameter set > 0): a fracture quantity, mesh-convergent, so it may rank."""
    from geometry import STRUCTURES

    from .study import Metric

    names = []
    for variant in variants:
        try:
            cracks = STRUCTURES[structure](**{**base, **variant.parameters}).spec(level).cracks
        except InputError:
            continue      # an impossible point fails on its own, as without cracks
        names += [crack.name for crack in cracks if crack.name not in names]
    return tuple(metric for name in names for metric in (
        Metric(f"crack.{name}.G", f"G of the pre-crack {name} (worse extreme)", "J/m^2"),
        Metric(f"crack.{name}.phase_angle_deg", f"phase angle of {name} at 1 um", "deg", "none", ".3g"),
        Metric(f"crack.{name}.margin", f"toughness margin Gc(psi)/G of {name}", "-", "higher", ".3g")))


def sweep_question(names: list[str]) -> str:
    """"How does a change" for one swept parameter, "How do a and b change" for more."""
    if len(names) == 1:
        return f"How does {names[0]} change"
    return f"How do {', '.join(names[:-1])} and {names[-1]} change"


def run_sweep_command(args) -> int:
    from dataclasses import replace

    from .evaluate import QUICK_MESH_FACTOR
    from .study import FULL_LOAD, QUICK_LOAD, execute

    base, axes = parse_vary(args.structure, args.vary, args.set)
    study = sweep_study(args.structure, base, axes, args.level, args.thermoelastic)
    if args.cycles is not None and not 1 <= args.cycles <= 100:
        raise InputError(f"--cycles = {args.cycles} is outside [1, 100]")
    if args.mesh_size_factor is not None and not 0.2 <= args.mesh_size_factor <= 5.0:
        raise InputError(f"--mesh-size-factor = {args.mesh_size_factor} is outside [0.2, 5]")
    load = None if args.thermoelastic else {**(QUICK_LOAD if args.quick else FULL_LOAD),
                                            **({"cycles": args.cycles} if args.cycles else {})}
    if load is not None and "max_cycles" in load:
        load["max_cycles"] = max(load["max_cycles"], load["cycles"])
    factor = args.mesh_size_factor or (QUICK_MESH_FACTOR if args.quick else 1.0)
    study = replace(study, load=load, mesh_size_factor=factor)
    if not args.out:
        args.out = f"runs/sweep-{args.structure}"
    return execute(study, args)
