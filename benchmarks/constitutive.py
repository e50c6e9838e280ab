"""Speed of the vectorised constitutive updates: one backward-Euler step of N quadrature points.

    python benchmarks/constitutive.py [--points 100000] [--repeat 5]

Times the SAC305 Anand, Garofalo and Norton updates and the elastic (Hooke) update of the same
random strains in one process, and prints each as a ratio to the elastic one (the cost of the
inelastic integration per point, machine speed divided out), plus the microseconds per point.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import materials  # noqa: E402
from fea import constitutive  # noqa: E402


def best_time(update, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        update()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.points < 1 or args.repeat < 1:
        parser.error("--points and --repeat must be >= 1")
    sac = materials.load_library().get("sac305")
    n = args.points
    rng = np.random.default_rng(3)
    eps = rng.normal(size=(4, n)) * 3e-3
    T = rng.uniform(-40.0, 125.0, n)
    E, nu = np.full(n, 47000.0), 0.36
    laws = {"elastic": constitutive.Elastic(), "anand": sac.law("anand"), "garofalo": sac.law("garofalo"),
            "norton": constitutive.NortonCreep(A=1e-12, n=5.0)}
    seconds = {}
    for name, law in laws.items():
        state = law.initial_state(n)
        stress, tangent, new = law.update(eps, state, T, T, 300.0, E, nu)
        if not (np.all(np.isfinite(stress)) and np.all(np.isfinite(tangent))):
            print(f"{name}: non-finite stress or tangent", file=sys.stderr)
            return 1
        seconds[name] = best_time(lambda: law.update(eps, state, T, T, 300.0, E, nu), args.repeat)
    print(f"one 300 s step of {n} points, best of {args.repeat}:")
    for name, s in seconds.items():
        print(f"  {name:<9} {s:8.4f} s  {1e6 * s / n:7.3f} us/point  {s / seconds['elastic']:7.1f} x elastic")
    return 0


if __name__ == "__main__":
    sys.exit(main())
