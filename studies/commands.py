"""`pkgrel solve`, `pkgrel verify`, `pkgrel list` and `pkgrel mesh`."""
from __future__ import annotations

import argparse
import sys


def register(subparsers) -> None:
    from materials.commands import add_materials_option

    solve = subparsers.add_parser("solve", help="solve a model file (thermoelastic CTE mismatch)",
                                  description="Solve MODEL.toml; write DIR/summary.json and DIR/result.vtu.")
    solve.add_argument("model", help="model file (.toml)")
    solve.add_argument("--out", required=True, help="output directory")
    add_materials_option(solve)
    solve.add_argument("--solver", default="auto", choices=["auto", "pardiso", "superlu", "amg"],
                       help="sparse solver (default: PARDISO if available, else SuperLU)")
    solve.set_defaults(func=run_solve)

    verify = subparsers.add_parser("verify", help="check this installation against closed-form solutions")
    verify.add_argument("--quick", action="store_true", help="skip the mesh-convergence study")
    verify.set_defaults(func=run_verify)

    structures = subparsers.add_parser("list", help="list the structures and their parameters (defaults, ranges)")
    structures.add_argument("structure", nargs="?", help="only this structure")
    structures.set_defaults(func=run_list)

    mesh = subparsers.add_parser("mesh", help="mesh a structure: DIR/model.msh, DIR/model.toml, DIR/mesh.png")
    mesh.add_argument("structure", help="structure name (see `pkgrel list`)")
    mesh.add_argument("--set", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                      help="set a parameter (repeatable)")
    mesh.add_argument("--level", choices=("cell", "assembly", "package"), default="cell",
                      help="single-joint cell, package slice on its board (centre to edge), or the slice without board (warpage)")
    mesh.add_argument("--mesh-size-factor", type=float, default=1.0,
                      help="scale all element sizes (0.5 = twice as fine)")
    mesh.add_argument("--no-picture", action="store_true", help="skip mesh.png")
    mesh.add_argument("--out", required=True, metavar="DIR", help="output directory")
    mesh.set_defaults(func=run_mesh)


class CyclingProgress:
    """One status line per step on a terminal (overwritten), one line per segment otherwise."""

    def __init__(self, history, stream=None):
        self.stream = stream or sys.stderr
        self.cycles = history.cycles
        self.cap = history.max_cycles if history.stabilise is not None else None
        self.tty = self.stream.isatty()
        self.last_segment = None

    def __call__(self, segment, step, counters):
        t = step["time"]
        if segment.cycle == 0:
            phase = "cool-down"
        elif self.cap is not None and segment.cycle > self.cycles:
            phase = f"cycle {segment.cycle} (to stabilise, at most {self.cap})"
        else:
            phase = f"cycle {segment.cycle}/{self.cycles}"
        # under error control: the step, its estimated error / the allowed one, the rejected steps
        control = ("" if step["allowed"] is None else
                   f"  dt {step['dt']:7.1f} s  error/allowed {step['error'] / step['allowed']:4.2f}"
                   f"  rejected {counters['rejected']}")
        line = (f"{phase:<12} {segment.kind:<5} step {counters['steps']:4d}  t = {t:9.1f} s  "
                f"T = {step['temperature']:7.2f} degC{control}  Newton its {step['iterations']}"
                f"  factorizations {counters['factorizations']}  cut-backs {counters['cutbacks']}")
        if self.tty:
            self.stream.write("\r" + line)
        elif segment is not self.last_segment and t >= segment.t1 - 1e-9 * max(1.0, abs(segment.t1)):
            self.stream.write(line + "\n")
        if t >= segment.t1 - 1e-9 * max(1.0, abs(segment.t1)):
            self.last_segment = segment
            if self.tty:
                self.stream.write("\n")
        self.stream.flush()


def print_cracks(summary: dict) -> None:
    """One line per crack: G, phase angle, tip, margin; cycled: G at the cold and hot extremes."""
    for name, crack in summary.get("cracks", {}).items():
        extremes = (f" (cold {crack['G_cold']:.4g}, hot {crack['G_hot']:.4g})" if "G_cold" in crack else "")
        margin = f", margin Gc/G = {crack['margin']:.3g}" if crack.get("margin") is not None else ""
        print(f"  crack {name}: G = {crack['G']:.4g} J/m^2{extremes}, psi = {crack['phase_angle_deg']:.1f} deg at "
              f"{crack['reference_length_um']:g} um, tip at ({crack['tip'][0]:.4g}, {crack['tip'][1]:.4g}){margin}")


def run_solve(args) -> int:
    from .analysis import run
    from .model_file import read_model

    model = read_model(args.model, args.materials)
    history = model.history()
    progress = CyclingProgress(history) if history is not None else None
    summary = run(model, args.out, args.solver, progress)
    if history is not None:
        return print_cycling(args, summary)
    t = summary["timings_s"]
    print(f"{args.model}: {summary['analysis']}, {summary['elements']} elements, "
          f"{summary['dofs']} dofs, solved in {t['total']:.2f} s ({summary['solver']})")
    width = max([len(n) for n in summary["regions"]] + [6])
    print(f"  {'region':<{width}}  {'vM max':>10}  {'vM mean':>10}  {'S1 max':>10}  MPa")
    for name, row in summary["regions"].items():
        print(f"  {name:<{width}}  {row['von_mises_max']:10.2f}  {row['von_mises_mean']:10.2f}"
              f"  {row['max_principal_max']:10.2f}")
    for name, probe in summary["probes"].items():
        comps = "  ".join(f"{k}={probe[k]:.3f}" for k in summary["stress_components"])
        print(f"  probe {name}: {comps}  von_mises={probe['von_mises']:.3f}")
    print_cracks(summary)
    print(f"wrote {args.out}/summary.json and {args.out}/result.vtu")
    return 0


def run_verify(args) -> int:
    from .verification import all_checks

    checks = all_checks(quick=args.quick)
    header = f"{'case':<46} {'quantity':<28} {'reference':>13} {'pkgrel':>13} {'error':>9} {'limit':>7}"
    print(header)
    print("-" * len(header))
    for c in checks:
        print(f"{c.case:<46} {c.quantity:<28} {c.reference:13.6g} {c.computed:13.6g} "
              f"{c.error:9.2e} {c.tolerance:7.1%} {'ok' if c.passed else 'FAIL'}")
    failed = [c for c in checks if not c.passed]
    print(f"{len(checks) - len(failed)} passed, {len(failed)} failed")
    sys.stdout.flush()
    return 1 if failed else 0


def print_cycling(args, summary) -> int:
    stats = summary["solver_stats"]
    print(f"{args.model}: {summary['analysis']}, {summary['elements']} elements, {summary['dofs']} dofs; "
          f"{summary['load']['description']}")
    print(f"  {stats['steps']} steps, {stats['iterations']} Newton iterations, "
          f"{stats['factorizations']} factorizations, {stats['cutbacks']} cut-backs, {stats['total_s']:.1f} s")
    accuracy = summary["load"].get("accuracy")
    if accuracy is not None and summary["cycles"]:
        last = summary["cycles"][-1]
        print(f"  time steps: accuracy {accuracy:g}; last cycle {last['steps']} steps, {last['rejected']} rejected, "
              f"estimated error bound {last['time_error']:.2%} of its inelastic strain")
    names = list(summary["cycles"][0]["dW"]) if summary["cycles"] else []
    if names:
        width = max(len(n) for n in names + ["group"])
        print(f"  {'group':<{width}}  " + "  ".join(f"dW c{c['cycle']:<2} MPa" for c in summary["cycles"]))
        for name in names:
            print(f"  {name:<{width}}  " + "  ".join(f"{c['dW'][name]:11.4g}" for c in summary["cycles"]))
    for name, entry in summary["fatigue"].items():
        state = "stabilised" if entry["stabilised"] else "not yet stabilised"
        print(f"  {name}: dW = {entry['dW']:.4g} MPa, inelastic strain range {entry['eps_in_range']:.4g} "
              f"(shear {entry['shear_strain_range']:.4g}), accumulated {entry['eps_in_accumulated']:.4g} ({state})")
        for law in ("darveaux", "engelmaier", "energy"):
            if law in entry:
                life = entry[law]
                basis = "in calibration" if life["in_calibration"] else "outside calibration: " + "; ".join(life["reasons"])
                print(f"      {law} N = {life['N_failure']:.4g} ({basis}; {life['source']})")
    print_cracks(summary)
    print(f"wrote {args.out}/summary.json, {args.out}/result.vtu and {args.out}/result.pvd")
    return 0


def run_list(args: argparse.Namespace) -> int:
    from fea.errors import InputError
    from geometry import STRUCTURES
    from geometry.parameters import describe

    names = [args.structure] if args.structure else list(STRUCTURES)
    for name in names:
        if name not in STRUCTURES:
            raise InputError(f"structure {name} is unknown; valid: {', '.join(STRUCTURES)}")
        print(describe(STRUCTURES[name]))
        print()
    return 0


def run_mesh(args: argparse.Namespace) -> int:
    from geometry import builder

    from .model_file import write_model

    model = builder(args.structure, args.settings).build(level=args.level, mesh_size_factor=args.mesh_size_factor)
    out = write_model(model, args.out, picture=not args.no_picture)
    info = model.geometry
    print(f"{args.structure} ({args.level}, {model.analysis}): {model.mesh.n_elements} quadratic triangles, "
          f"min quality {info.min_quality:.2f}; regions {', '.join(model.mesh.regions)}")
    print(f"wrote {out / 'model.msh'}, {out / 'model.toml'}" + ("" if args.no_picture else f", {out / 'mesh.png'}"))
    return 0
