"""Sweep speed-up: the same 16-point sweep in this process (1 worker, all cores to BLAS) and on a
local Dask cluster of N worker processes (cores shared out), each into a fresh cache.

Points: recessed-PPI axisymmetric cells (recess depth x molding x recess bottom) at the default
mesh, two JEDEC G cycles: each point is a real cycling run of several seconds, so the cluster's
start-up (a few seconds) is part of the measurement but not all of it. Run it on a quiet machine:
another process on one of the cores takes that core from the workers.

    python benchmarks/sweep.py [--workers 2]
"""
from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from studies.evaluate import Point  # noqa: E402
from studies.sweep import run_points  # noqa: E402


MESH_SIZE_FACTOR = 1.0
LOAD = {"profile": "G", "cycles": 2}


def points() -> list[Point]:
    grid = itertools.product((0.0, 0.25, 0.35, 0.5), (True, False), ("flat", "curved"))
    out = []
    for depth, molding, bottom in grid:
        if depth == 0.0 and bottom == "curved":
            depth = 0.8   # a flat pad has no bottom shape: use the deepest recess instead
        out.append(Point("ppi-recess", {"recess_depth_ratio": depth, "molding": molding, "recess_bottom": bottom},
                         "cell", MESH_SIZE_FACTOR, LOAD, f"D1/T1={depth} molding={molding} {bottom}"))
    return out


def timed_sweep(workers: int, local_cluster: bool = True) -> tuple[float, list[dict]]:
    """Wall time of the whole sweep (cluster start-up included) into a fresh cache."""
    with tempfile.TemporaryDirectory(prefix="pkgrel-bench-sweep-") as cache:
        start = time.perf_counter()
        if local_cluster:
            records = run_points(points(), cache, workers=workers, progress=False, local_cluster=True)
        else:
            records = run_points(points(), cache, workers=1, progress=False)
        return time.perf_counter() - start, records


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    n = len(points())
    print(f"{n}-point sweep: recessed-PPI cells, {LOAD['cycles']} JEDEC G cycles, mesh x{MESH_SIZE_FACTOR:g}")
    in_process, reference = timed_sweep(1, local_cluster=False)
    print(f"  in this process (no Dask):  {in_process:7.1f} s   {in_process / n:5.2f} s per point")
    one, _ = timed_sweep(1)
    print(f"  1 local Dask worker:        {one:7.1f} s   {one / n:5.2f} s per point")
    many, records = timed_sweep(args.workers)
    print(f"  {args.workers} local Dask workers:       {many:7.1f} s   {many / n:5.2f} s per point")
    print(f"  speed-up {one / many:.2f} against 1 worker (goal >= 1.7 with 2 workers), "
          f"{in_process / many:.2f} against the in-process run (times include the cluster start-up)")
    failed = [r for r in records if r["status"] != "ok"]
    same = all(abs(a["metrics"]["critical.dW"] - b["metrics"]["critical.dW"]) <= 1e-6 * abs(a["metrics"]["critical.dW"])
               for a, b in zip(reference, records) if a["status"] == b["status"] == "ok")
    print(f"  {len(failed)} failed; dW in process and on the workers agree to 1e-6: {same}")
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
