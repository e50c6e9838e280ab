"""Thermal cycling: speed and time-step accuracy on the default assemblies, and pkgrel against
CalculiX on the same mesh and time steps.

    python benchmarks/cycling.py [--cycles 3] [--skip-ccx] [--skip-reference] [--skip-time-steps]
                                 [--time-step-cycles 2] [--time-step-mesh 1.0] [--cetol 1e-3]
                                 [--ccx-threads 2] [--ccx-timeout 1800] [--structures ppi-recess molded-joint]

Part 1 runs each default assembly model as ``pkgrel mesh`` writes it (generalized plane
strain, SAC305 Anand solder, elastic-plastic copper) as whole commands: pkgrel at
REFERENCE_COMMIT (the code when the speed target was set, unpacked from this checkout's git
history; ``--skip-reference`` leaves it out), today's pkgrel with the history's fixed steps
(``[load] fixed_steps = true``: 15 K ramp steps, 6 steps per dwell, backward Euler, the
reference's stepping) and with the default error control, and prints the times, the ratios,
Newton iterations, factorizations and the last-cycle solder dW of each.

Before anything is timed, one short run compiles (or loads from their cache) today's compiled
kernels (fea/jit.py), as any earlier run on the machine would have.

Part 2 (the time-step accuracy check) runs the five default assemblies (Anand SAC305; edge-recess-rdl
with a SAC305 ball instead of its default elastic Sn), ppi-recess with Sn-Pb and the Norton
Si / solder / FR-4 strip at the default accuracy and with fixed steps 16x smaller (BDF2), and prints
the last cycle's solder dW and accumulated inelastic strain of both and their difference.

Part 3 runs the same mesh in plane strain with Norton-creep solder (CalculiX has neither Anand
nor generalized plane strain) in pkgrel and in CalculiX (*VISCO with the same nominal steps;
CalculiX may subdivide them), both as whole commands, and prints the ratio pkgrel / CalculiX
together with both programs' last-cycle solder equivalent inelastic strain (volume average),
so the accuracy behind the two times can be compared.

Part 4 (``--bending``) runs the five default assemblies with a uniform out-of-plane strain (the
builders' generalized plane strain) and with ``bending = ["y"]``, and prints the solder dW of both.

CalculiX's creep tolerance CETOL (the largest allowed difference between the creep strain
increments from the rates at the start and the end of an increment) sets how finely it
subdivides the steps; fea.calculix writes 1e-4, which --cetol replaces. Default 1e-3: on the
ppi-recess assembly CalculiX's last-cycle solder strain is the same at CETOL 1e-3 and 5e-3
(0.0077009, 2.5 % above pkgrel's 0.0075058), so at 1e-3 its increments are set by the deck's
maximum increments (pkgrel's ramp steps, dwells 4x finer) rather than by CETOL; 1e-4
subdivides them further (1810 s in an earlier measurement with 10 K ramp steps, against 852 s
at 1e-3 now). A CalculiX run longer than --ccx-timeout is stopped and reported.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
# every timed command starts from the caller's environment: importing fea here sets
# OPENBLAS_NUM_THREADS=1 for this process (fea/__init__.py), which would otherwise be handed to
# the reference code's runs too (the reference would then run faster than it does for a user)
CALLER_ENVIRONMENT = dict(os.environ)

from fea.calculix import ccx_executable, cycle_averages, write_cycling_deck
from studies.model_file import read_model

#: pkgrel when the speed target of part 1 was set (before error control and BDF2): its whole
#: command on the same model is the reference time
REFERENCE_COMMIT = "0d005cc"
NORTON_SOLDER = ('{ E = 40000.0, nu = 0.35, alpha = 2.2e-5, '
                 'creep = { law = "norton", A = 1e-10, n = 3.0, Q = 0.0 } }')


def mesh(structure: str, out: Path) -> None:
    subprocess.run([sys.executable, "-m", "studies.cli", "mesh", structure, "--level", "assembly",
                    "--no-picture", "--out", str(out)], check=True, stdout=subprocess.DEVNULL)


def cycled(toml: str, cycles: int, plane_strain_norton: bool = False, fixed_steps: bool = False) -> str:
    lines = [line for line in toml.splitlines() if not line.startswith("field")]
    text = "\n".join(lines) + f'\n\n[load]\nprofile = "G"\ncycles = {cycles}\n'
    if fixed_steps or plane_strain_norton:
        text += "fixed_steps = true\n"   # the peer deck's increments are the history's own steps
    if plane_strain_norton:
        text = text.replace('"generalized_plane_strain"', '"plane_strain"')
        text = re.sub(r'^("?solder"?\s*=\s*).*$', r"\g<1>" + NORTON_SOLDER, text, flags=re.M)
    return text


def isotropic_metals(case: Path) -> list[str]:
    """Material files that give the library's Cu and Al isotropic hardening only: the CalculiX
    export refuses kinematic hardening (unverified there), so the peer run uses none on both sides."""
    paths = []
    for metal in ("cu", "al"):
        path = case / f"{metal}_isotropic.toml"
        path.write_text(f'base = "{metal}"\nname = "{metal}"\n[plasticity]\nkinematic_fraction = '
                        '{ value = 0.0, unit = "-", source = "peer comparison: isotropic hardening only" }\n')
        paths.append(str(path))
    return paths


def timed(command: list[str], cwd: Path, code: Path = None) -> tuple[float, str]:
    env = dict(CALLER_ENVIRONMENT) if code is None else dict(CALLER_ENVIRONMENT, PYTHONPATH=str(code))
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-2000:]}")
    return wall, result.stdout


def run_ccx(case: Path, deck: str, threads: int, timeout: float) -> tuple[float, bool]:
    """Whole ccx run on case/deck.inp; (wall s, finished). A run past the timeout is killed."""
    env = dict(CALLER_ENVIRONMENT, OMP_NUM_THREADS=str(threads), CCX_NPROC_EQUATION_SOLVER=str(threads))
    start = time.perf_counter()
    with open(case / f"{deck}.log", "w") as log:
        process = subprocess.Popen([ccx_executable(), "-i", deck], cwd=case, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            return time.perf_counter() - start, False
    wall = time.perf_counter() - start
    if process.returncode != 0 or "*ERROR" in (case / f"{deck}.log").read_text(errors="replace"):
        raise SystemExit(f"ccx failed on {case / deck}.inp; see {case / deck}.log")
    return wall, True


def last_cycle_strain(case: Path, run_dir: str, deck: str, model) -> tuple[float, float]:
    """Solder equivalent inelastic strain accumulated in the last cycle, volume-averaged:
    pkgrel's (summary.json) and CalculiX's (PEEQ printed at the step ends)."""
    summary = json.loads((case / run_dir / "summary.json").read_text())
    cycle = summary["cycles"][-1]
    t0, t1 = model.history().cycle_window(cycle["cycle"])
    theirs = cycle_averages(case / f"{deck}.dat", list(model.mesh.regions).index("solder"), t0, t1)
    return cycle["eps_in_accumulated"]["solder"], theirs["eps_in_accumulated"]


def solve(case: Path, toml: str, run_dir: str, extra: list[str] = (), code: Path | None = None) -> tuple[float, str, dict]:
    """Whole ``pkgrel solve`` of case/toml (by the pkgrel in ``code``, default this one):
    (wall s, stdout, summary)."""
    wall, out = timed([sys.executable, "-m", "studies.cli", "solve", toml, "--out", run_dir, *extra], case,
                      code or REPO)
    return wall, out, json.loads((case / run_dir / "summary.json").read_text())


def warm_kernels(tmp: Path) -> None:
    """One short run (a PPI cell, one G cycle) before anything is timed: today's compiled kernels
    (fea/jit.py) are compiled on the first run after their source changed and cached; the timed
    runs then measure the cached kernels, as every later run on the machine would."""
    case = tmp / "warm-up"
    subprocess.run([sys.executable, "-m", "studies.cli", "mesh", "ppi-recess", "--level", "cell", "--no-picture",
                    "--out", str(case)], check=True, stdout=subprocess.DEVNULL)
    (case / "cycled.toml").write_text(cycled((case / "model.toml").read_text(), 1))
    seconds, _, _ = solve(case, "cycled.toml", "run")
    print(f"(warm-up: a PPI cell, 1 G cycle, {seconds:.1f} s, including any compilation of the kernels)")


def reference_code(tmp: Path) -> Path | None:
    """pkgrel as it was when the speed target was set (REFERENCE_COMMIT), unpacked from this
    checkout's git history; None (and why) if there is no history to take it from."""
    target = tmp / "reference-code"
    archive = subprocess.run(["git", "-C", str(REPO), "archive", REFERENCE_COMMIT], capture_output=True)
    if archive.returncode != 0:
        print(f"(no reference run: git archive {REFERENCE_COMMIT} failed: {archive.stderr.decode().strip()[:200]})")
        return None
    target.mkdir()
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


def speed(structure: str, case: Path, cycles: int, reference: Path | None) -> dict:
    """Part 1: the same model as whole commands: pkgrel at REFERENCE_COMMIT, today's fixed steps
    and today's default error control."""
    (case / "fixed.toml").write_text(cycled((case / "model.toml").read_text(), cycles, fixed_steps=True))
    (case / "cycled.toml").write_text(cycled((case / "model.toml").read_text(), cycles))
    runs = []
    if reference is not None:
        # the reference code reads the same model file (its default steps are the fixed ones)
        runs.append((f"{REFERENCE_COMMIT} (ref)",) + solve(case, "cycled.toml", "reference", code=reference))
    runs.append(("fixed steps",) + solve(case, "fixed.toml", "fixed"))
    runs.append(("error control",) + solve(case, "cycled.toml", "run"))
    elements = re.search(r"(\d+) elements, (\d+) dofs", runs[-1][2])
    print(f"{structure}: {elements.group(1)} elements, {elements.group(2)} dofs, {cycles} G cycles")
    for label, seconds, _, summary in runs:
        st, last = summary["solver_stats"], summary["cycles"][-1]
        print(f"  {label:<16} {seconds:6.1f} s  {st['steps']:4d} steps ({st.get('rejected', 0)} rejected), "
              f"{st['iterations']} Newton iterations, {st['factorizations']} factorizations; "
              f"last-cycle solder dW {last['dW']['solder']:.5g} MPa, eps_in {last['eps_in_accumulated']['solder']:.5g}")
    wall, fixed_s = runs[-1][1], runs[-2][1]
    row = {"structure": structure, "elements": int(elements.group(1)), "pkgrel_s": wall, "fixed_s": fixed_s}
    print(f"  error control / fixed steps: {wall / fixed_s:.2f} of the time")
    if reference is not None:
        row["reference_s"] = runs[0][1]
        print(f"  error control / {REFERENCE_COMMIT}: {wall / runs[0][1]:.2f} of the time (target <= 0.5)")
    return row


def time_steps(cycles: int, mesh_factor: float) -> None:
    """Part 2: the default accuracy against fixed steps 16x smaller."""
    from dataclasses import replace

    from geometry import STRUCTURES
    from studies.verification import norton_strip_problem, time_step_checks

    cases = [(name, dict(solder_material="sac305") if name == "edge-recess-rdl" else {})
             for name in ("ppi-recess", "cu-post", "molded-joint", "fanout-rdl", "edge-recess-rdl")]
    cases.append(("ppi-recess", dict(solder_material="snpb")))
    print(f"\ntime steps: default accuracy against fixed steps 16x smaller (BDF2), last of {cycles} G cycles "
          f"(mesh size factor {mesh_factor:g}), solder")
    print(f"{'case':<34} {'dW ref MPa':>11} {'dW':>11} {'error':>8} {'eps_in ref':>11} {'eps_in':>11} {'error':>8} {'s':>6}")
    runs = [(f"{name} {' '.join(f'{k}={v}' for k, v in params.items())}".strip(),
             lambda name=name, params=params: replace(STRUCTURES[name](**params).build("assembly", mesh_factor),
                                                      load={"profile": "G", "cycles": cycles}))
            for name, params in cases]
    runs.append(("Norton Si/solder/FR-4 strip (1 cycle)", norton_strip_problem))
    for label, build in runs:
        start = time.perf_counter()
        dW, eps = time_step_checks(label, build())
        print(f"{label:<34} {dW.reference:11.5g} {dW.computed:11.5g} {dW.computed / dW.reference - 1:+8.2%} "
              f"{eps.reference:11.5g} {eps.computed:11.5g} {eps.computed / eps.reference - 1:+8.2%} "
              f"{time.perf_counter() - start:6.0f}", flush=True)


def bending(cycles: int, mesh_factor: float) -> None:
    """Part 4 (--bending): solder dW of the default assemblies with a uniform out-of-plane strain
    (the builders' idealisation) and with the slice free to bend along y."""
    from dataclasses import replace

    from fea.cycling import Cycling, Solver
    from geometry import STRUCTURES

    print(f"\nslice idealisation: last of {cycles} G cycles, solder dW, uniform eps_zz -> bending along y")
    for name in ("ppi-recess", "cu-post", "molded-joint", "fanout-rdl", "edge-recess-rdl"):
        params = {"solder_material": "sac305"} if name == "edge-recess-rdl" else {}
        model = replace(STRUCTURES[name](**params).build("assembly", mesh_factor), load={"profile": "G", "cycles": cycles})
        runs = [Solver(Cycling(replace(model, bending=b))).run() for b in ((), ("y",))]
        a, b = (r.cycles[-1]["dW"]["solder"] for r in runs)
        print(f"{name:<16} {a:.5g} -> {b:.5g} MPa ({b / a - 1:+.1%}), k_y = {runs[1].u[-1]:.3g} 1/um", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--skip-ccx", action="store_true")
    parser.add_argument("--skip-reference", action="store_true",
                        help=f"skip part 1's run of pkgrel at {REFERENCE_COMMIT} (the speed target's reference)")
    parser.add_argument("--skip-time-steps", action="store_true", help="skip part 2 (the longest part)")
    parser.add_argument("--time-step-cycles", type=int, default=2, help="G cycles of part 2 (default 2)")
    parser.add_argument("--time-step-mesh", type=float, default=1.0,
                        help="part 2's mesh size factor (default 1: the default assemblies)")
    parser.add_argument("--cetol", type=float, default=1e-3,
                        help="CalculiX *VISCO creep tolerance CETOL (default 1e-3; fea.calculix writes 1e-4)")
    parser.add_argument("--ccx-threads", type=int, default=2, help="CalculiX threads (default 2)")
    parser.add_argument("--ccx-timeout", type=float, default=1800.0,
                        help="stop a CalculiX run after this many seconds (default 1800)")
    parser.add_argument("--structures", nargs="+", default=["ppi-recess", "molded-joint"])
    parser.add_argument("--bending", action="store_true",
                        help="also part 4: the five assemblies with and without out-of-plane bending")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        reference = None if args.skip_reference else reference_code(Path(tmp))
        warm_kernels(Path(tmp))
        for structure in args.structures:
            case = Path(tmp) / structure
            mesh(structure, case)
            row = speed(structure, case, args.cycles, reference)
            if not args.skip_ccx:
                (case / "peer.toml").write_text(cycled((case / "model.toml").read_text(), args.cycles, True))
                metals = isotropic_metals(case)
                ours, _, _ = solve(case, "peer.toml", "peer", [arg for path in metals for arg in ("--materials", path)])
                model = read_model(case / "peer.toml", metals)
                write_cycling_deck(model, model.history(), case / "peer.inp", ["solder"])
                deck = (case / "peer.inp").read_text()
                (case / "peer.inp").write_text(re.sub(r"\*VISCO, CETOL=[0-9.eE+-]+", f"*VISCO, CETOL={args.cetol:g}", deck))
                theirs, finished = run_ccx(case, "peer", args.ccx_threads, args.ccx_timeout)
                if finished:
                    mine, peer = last_cycle_strain(case, "peer", "peer", model)
                    print(f"  plane strain + Norton, same mesh and steps: pkgrel {ours:.1f} s, CalculiX {theirs:.1f} s "
                          f"(CETOL {args.cetol:g}, {args.ccx_threads} threads), ratio {ours / theirs:.3f}")
                    print(f"  last-cycle solder equivalent inelastic strain: pkgrel {mine:.5g}, CalculiX {peer:.5g} "
                          f"({100 * (mine / peer - 1):+.1f} %)")
                    row.update(peer_pkgrel_s=ours, ccx_s=theirs)
                else:
                    print(f"  plane strain + Norton: pkgrel {ours:.1f} s; CalculiX (CETOL {args.cetol:g}) stopped "
                          f"after {theirs:.0f} s (--ccx-timeout), ratio < {ours / theirs:.2f}")
                    row.update(peer_pkgrel_s=ours, ccx_stopped_s=theirs)
            rows.append(row)
    print(f"\nstructure       elements   {REFERENCE_COMMIT} s   fixed steps s   error control s   ratio to ref   "
          "pkgrel s (Norton, PS)   ccx s   ratio")
    for r in rows:
        ratio = (f"{r['peer_pkgrel_s'] / r['ccx_s']:.2f}" if "ccx_s" in r else
                 f"<{r['peer_pkgrel_s'] / r['ccx_stopped_s']:.2f}" if "ccx_stopped_s" in r else "-")
        reference_s = r.get("reference_s", float("nan"))
        print(f"{r['structure']:<14} {r['elements']:>9} {reference_s:>11.1f} {r['fixed_s']:>15.1f} "
              f"{r['pkgrel_s']:>17.1f} {r['pkgrel_s'] / reference_s:>14.2f} {r.get('peer_pkgrel_s', float('nan')):>23.1f} "
              f"{r.get('ccx_s', float('nan')):>7.1f} {ratio:>7}")
    if not args.skip_time_steps:
        time_steps(args.time_step_cycles, args.time_step_mesh)
    if args.bending:
        bending(args.cycles, args.time_step_mesh)


if __name__ == "__main__":
    main()
