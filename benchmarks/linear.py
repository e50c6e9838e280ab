"""Linear thermoelastic solve: pkgrel against CalculiX on the same >= 100k-DOF meshes.

    python benchmarks/linear.py [--size 0.33] [--solvers pardiso,superlu,amg]

For a plane-strain and an axisymmetric model of a copper post through polyimide on a silicon
die it prints mesh / assembly / solve times of pkgrel in this process, then times both whole
commands (``pkgrel solve`` and ``ccx``, file I/O included) as child processes and prints the
ratio pkgrel / CalculiX and both peak memories (maximum RSS of each child, measured by GNU
time so that the fork of this process does not count).

By default it times PARDISO, and amg too where pyamg is installed: pyamg is optional, not a
pkgrel dependency (pip install pyamg, or pip install 'pkgrel[amg]'). A solver asked for with
--solvers that cannot run here stops the script at once with what it needs. Without CalculiX
(``ccx`` on the PATH) the comparison is skipped and pkgrel is timed alone.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fea.calculix import ccx_executable, write_deck
from fea.linsolve import METHODS, unavailable
from fea.thermoelastic import solve
from studies.verification import peer_problem


def model_toml(analysis: str) -> str:
    fixed = '[[bc]]\ngroup = "bottom"\nfix = ["y"]\n'
    if analysis != "axisymmetric":
        fixed += '[[bc]]\ngroup = "axis"\nfix = ["x"]\n'
    return f'''mesh = "model.msh"
analysis = "{analysis}"
[materials]
die = {{ E = 130000.0, nu = 0.28, alpha = 2.6e-6, alpha_ref = 0.0 }}
polymer = {{ E = 3300.0, nu = 0.34, alpha = 35.0e-6, alpha_ref = 0.0 }}
post = {{ E = 117000.0, nu = 0.34, alpha = 17.0e-6, alpha_ref = 0.0 }}
[temperature]
stress_free = 0.0
field = -100.0
{fixed}[[probe]]
name = "post_stem"
at = [5.0, 27.5]
'''


def run_child(command: list[str], cwd: Path, threads: int = 2) -> tuple[float, float]:
    """Wall time (s) and peak RSS (MB) of a command, measured by /usr/bin/time."""
    report = cwd / "time.txt"
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    start = time.perf_counter()
    result = subprocess.run(["/usr/bin/time", "-o", str(report), "-f", "%M", *command], cwd=cwd,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {result.stderr.decode()[-500:]}")
    return wall, int(report.read_text().split()[-1]) / 1024.0


def benchmark(analysis: str, size: float, solvers: list[str], workdir: Path) -> dict:
    print(f"\n== {analysis}, element size {size} um")
    case = workdir / analysis
    case.mkdir()
    t0 = time.perf_counter()
    problem = peer_problem(analysis, size, save_as=case / "model.msh")
    mesh_time = time.perf_counter() - t0
    dofs = 2 * problem.mesh.mesh.doflocs.shape[1]
    print(f"mesh: {problem.mesh.n_elements} elements, {dofs} dofs, gmsh + read {mesh_time:.2f} s")

    # whole commands first, as children of a still small process
    (case / "model.toml").write_text(model_toml(analysis))
    write_deck(problem, case / "peer.inp")
    ours_wall, ours_rss = run_child([sys.executable, "-m", "studies.cli", "solve", "model.toml",
                                     "--out", "out"], case)
    print(f"whole command: pkgrel solve {ours_wall:.2f} s, {ours_rss:.0f} MB peak RSS")
    ccx_wall = ccx_rss = float("nan")
    if ccx_executable() is None:
        print("               ccx: not on the PATH, comparison skipped (Debian/Ubuntu: apt install calculix-ccx)")
    else:
        ccx = {threads: run_child([ccx_executable(), "-i", "peer"], case, threads) for threads in (1, 2)}
        for threads, (wall, rss) in ccx.items():
            print(f"               ccx ({threads} thread{'s' if threads > 1 else ''}) {wall:.2f} s, {rss:.0f} MB")
        ccx_wall, ccx_rss = min(ccx.values())
        print(f"ratio pkgrel / CalculiX (time, faster ccx run): {ours_wall / ccx_wall:.2f}   "
              f"memory ratio: {ours_rss / ccx_rss:.2f}")

    for method in solvers:
        solution = solve(problem, method)
        t = solution.timings
        print(f"pkgrel in-process [{method:8s}] setup {t['setup']:.2f} s, assembly {t['assembly']:.2f} s, "
              f"solve {t['solve']:.2f} s")
    return {"analysis": analysis, "dofs": dofs, "pkgrel_s": ours_wall, "ccx_s": ccx_wall,
            "pkgrel_mb": ours_rss, "ccx_mb": ccx_rss}


def default_solvers() -> list[str]:
    """PARDISO (SuperLU where MKL is missing), and amg where its optional pyamg is installed."""
    solvers = ["pardiso" if unavailable("pardiso") is None else "superlu"]
    if unavailable("amg") is None:
        solvers.append("amg")
    else:
        print("amg not timed: it needs pyamg, which pkgrel does not install "
              "(pip install pyamg, or pip install 'pkgrel[amg]')")
    return solvers


def chosen_solvers(text: str | None) -> list[str]:
    if text is None:
        return default_solvers()
    solvers = [s.strip() for s in text.split(",") if s.strip()]
    for method in solvers:
        if method not in METHODS:
            raise SystemExit(f"--solvers: '{method}' is not one of {', '.join(METHODS)}")
        missing = unavailable(method)
        if missing:
            raise SystemExit(f"--solvers: {missing}")
    return solvers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=float, default=0.45, help="element size in um (0.45: ~100k dofs)")
    parser.add_argument("--solvers", default=None,
                        help="in-process solvers to time, comma-separated, from "
                             f"{', '.join(METHODS)} (default: pardiso, and amg if pyamg is installed; "
                             "superlu takes minutes at this size; amg needs pyamg)")
    args = parser.parse_args()
    solvers = chosen_solvers(args.solvers)
    with tempfile.TemporaryDirectory() as tmp:
        rows = [benchmark(a, args.size, solvers, Path(tmp))
                for a in ("plane_strain", "axisymmetric")]
    print("\nanalysis        dofs    pkgrel s   ccx s   ratio   pkgrel MB   ccx MB")
    for r in rows:
        print(f"{r['analysis']:<14} {r['dofs']:>7} {r['pkgrel_s']:9.2f} {r['ccx_s']:7.2f} "
              f"{r['pkgrel_s'] / r['ccx_s']:7.2f} {r['pkgrel_mb']:11.0f} {r['ccx_mb']:8.0f}")


if __name__ == "__main__":
    main()
