"""Viscoelastic compounds: what they cost against elastic ones on the same mesh and history.

    python benchmarks/viscoelastic.py [--structure molded-joint] [--cycles 3] [--mesh 1.0] [--both-paths]

Builds one default molded assembly (generalized plane strain, SAC305 Anand solder, elastic-plastic
copper), cycles it through the cool-down from 125 degC and ``--cycles`` JEDEC G cycles with its
compounds elastic (the library's E(T) with a step at Tg) and with the library's Prony series and
WLF shift (`studies.compound.viscoelastic_compounds`), in this one process on the same mesh, and
prints both solve times, their ratio (target <= 1.3), steps, Newton iterations and the solder
dW. ``--both-paths`` also runs the viscoelastic compounds through the per-iteration constitutive
update (the nonlinear path) and prints how far its dW and stresses are from the linear-in-step
path's.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fea.cycling import Cycling, Solver
from geometry import STRUCTURES
from studies.compound import viscoelastic_compounds


def solve(model, linear_viscoelastic: bool = True):
    start = time.perf_counter()
    cycling = Cycling(model) if linear_viscoelastic else Cycling(model, linear_viscoelastic=False)
    result = Solver(cycling).run()
    return result, time.perf_counter() - start


def solder_dW(result) -> float:
    return float(result.cycles[-1]["dW"]["solder"])


def line(name: str, result, seconds: float) -> str:
    stats = result.stats
    return (f"{name:<34} {seconds:8.1f} s  steps {stats['steps']:4d}  Newton its {stats['iterations']:4d}  "
            f"factorizations {stats['factorizations']:4d}  solder dW {solder_dW(result):.6g} MPa")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--structure", default="molded-joint", choices=("molded-joint", "fanout-rdl", "ppi-recess"))
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--mesh", type=float, default=1.0, help="mesh size factor")
    parser.add_argument("--both-paths", action="store_true",
                        help="also run the viscoelastic compounds through the nonlinear path and compare")
    args = parser.parse_args()
    elastic = STRUCTURES[args.structure]().build("assembly", args.mesh)
    elastic = replace(elastic, load={"profile": "G", "cycles": args.cycles})
    viscoelastic = viscoelastic_compounds(elastic)
    compounds = sorted({m.name for r, m in viscoelastic.materials.items() if elastic.materials[r] is not m})
    print(f"{args.structure} assembly, {elastic.mesh.n_elements} elements, {args.cycles} JEDEC G cycles; "
          f"viscoelastic compounds: {', '.join(compounds)}")
    result_e, time_e = solve(elastic)
    print(line("elastic compounds", result_e, time_e))
    result_v, time_v = solve(viscoelastic)
    print(line("viscoelastic compounds", result_v, time_v))
    print(f"ratio viscoelastic / elastic: {time_v / time_e:.3f} (target <= 1.3)")
    if args.both_paths:
        result_n, time_n = solve(viscoelastic, linear_viscoelastic=False)
        print(line("viscoelastic, nonlinear path", result_n, time_n))
        print(f"ratio nonlinear path / elastic: {time_n / time_e:.3f}")
        change = abs(solder_dW(result_n) - solder_dW(result_v)) / abs(solder_dW(result_n))
        du = np.abs(result_n.u - result_v.u).max() / np.abs(result_n.u).max()
        print(f"linear-in-step against nonlinear path: solder dW {change:.2e} relative, displacement {du:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
