"""Sweep speed-up: the same 16-point sweep on a local Dask cluster of 1 worker and of N workers,
each worker on its share of the cores (cores / N, so the one-worker baseline gets what each of
the N workers gets: one core of two for N = 2, as Dask's own LocalCluster gives every worker one
BLAS thread), and in this process with MKL threads on every core (what `pkgrel sweep` does
without --workers). Every run goes into a fresh cache; cluster start-up is part of every time.

Points: recessed-PPI designs (recess depth x molding x recess bottom) at what `pkgrel sweep` runs
by default: the assembly cross-section, mesh x1, three JEDEC G cycles (about 25-35 s per point,
about 20 minutes for the three runs). `--level cell --cycles 2` is the short variant (about 4 s
per point). Run it on a quiet machine: another process on one of the cores takes that core from
the workers.

    python benchmarks/sweep.py [--workers 2] [--level assembly|cell] [--cycles 3]
"""
from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from studies.evaluate import Point  # noqa: E402
from studies.study import FULL_LOAD  # noqa: E402
from studies.sweep import run_points, threads_per_worker  # noqa: E402


def points(level: str = "assembly", cycles: int = FULL_LOAD["cycles"], mesh_size_factor: float = 1.0) -> list[Point]:
    load = {**FULL_LOAD, "cycles": cycles}
    grid = itertools.product((0.0, 0.25, 0.35, 0.5), (True, False), ("flat", "curved"))
    out = []
    for depth, molding, bottom in grid:
        if depth == 0.0 and bottom == "curved":
            depth = 0.8   # a flat pad has no bottom shape: use the deepest recess instead
        out.append(Point("ppi-recess", {"recess_depth_ratio": depth, "molding": molding, "recess_bottom": bottom},
                         level, mesh_size_factor, load, f"D1/T1={depth} molding={molding} {bottom}"))
    return out


def timed_sweep(sweep: list[Point], workers: int | None, blas_threads: int | None = None
                ) -> tuple[float, list[dict]]:
    """Wall time of the whole sweep (cluster start-up included) into a fresh cache;
    workers=None: in this process, no Dask."""
    with tempfile.TemporaryDirectory(prefix="pkgrel-bench-sweep-") as cache:
        start = time.perf_counter()
        if workers is None:
            records = run_points(sweep, cache, workers=1, progress=False)
        else:
            records = run_points(sweep, cache, workers=workers, progress=False, local_cluster=True,
                                 blas_threads=blas_threads)
        return time.perf_counter() - start, records


# Newton stops at a residual of 1e-4 of the element force scale; one versus two MKL threads round
# differently, so the iterates differ within that tolerance (tightening it 10x moved dW by 4e-4)
DW_TOLERANCE = 1e-3


def dW_difference(a: list[dict], b: list[dict]) -> float:
    """Largest relative difference of the critical dW between two runs of the same points."""
    return max((abs(x["metrics"]["critical.dW"] - y["metrics"]["critical.dW"]) / abs(x["metrics"]["critical.dW"])
                for x, y in zip(a, b) if x["status"] == y["status"] == "ok"), default=0.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--level", choices=("assembly", "cell"), default="assembly")
    parser.add_argument("--cycles", type=int, default=FULL_LOAD["cycles"])
    parser.add_argument("--mesh-size-factor", type=float, default=1.0)
    args = parser.parse_args()
    if args.workers < 2:
        parser.error(f"--workers {args.workers}: the speed-up needs at least 2 workers")
    sweep = points(args.level, args.cycles, args.mesh_size_factor)
    n, cores = len(sweep), os.cpu_count() or 1
    share = threads_per_worker(args.workers)
    print(f"{n}-point sweep: recessed-PPI {args.level} models, {args.cycles} JEDEC G cycles, "
          f"mesh x{args.mesh_size_factor:g}; {cores} cores, {share} per worker", flush=True)
    threaded, threaded_records = timed_sweep(sweep, None)
    print(f"  this process, MKL on {cores} cores:   {threaded:7.1f} s   {threaded / n:5.2f} s per point", flush=True)
    one, one_records = timed_sweep(sweep, 1, share)
    print(f"  1 local Dask worker ({share} core):    {one:7.1f} s   {one / n:5.2f} s per point", flush=True)
    many, records = timed_sweep(sweep, args.workers, share)
    print(f"  {args.workers} local Dask workers ({share} core each): {many:7.1f} s   {many / n:5.2f} s per point")
    print(f"  speed-up {one / many:.2f} against 1 worker (goal >= 1.7 with 2 workers; "
          f"parallel efficiency {one / many / args.workers:.0%})")
    print(f"  speed-up {threaded / many:.2f} against this process with MKL threads on all {cores} cores")
    failed = [r for r in threaded_records + one_records + records if r["status"] != "ok"]
    difference = max(dW_difference(one_records, records), dW_difference(threaded_records, records))
    same = difference <= DW_TOLERANCE
    print(f"  {len(failed)} failed; largest relative dW difference between the runs {difference:.1e} "
          f"(solver tolerance: {DW_TOLERANCE:g})")
    return 0 if not failed and same else 1


if __name__ == "__main__":
    sys.exit(main())
