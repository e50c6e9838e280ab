"""Thermal cycling speed: 3 JEDEC G cycles of the default recessed-PPI assembly and molded-joint
assembly, and pkgrel against CalculiX on the same mesh and time steps.

    python benchmarks/cycling.py [--cycles 3] [--skip-ccx]

Part 1 runs each default assembly model as ``pkgrel mesh`` writes it (generalized plane
strain, SAC305 Anand solder, elastic-plastic copper) and prints the time per cycle, Newton
iterations and factorizations. Part 2 runs the same mesh in plane strain with Norton-creep
solder (CalculiX has neither Anand nor generalized plane strain) in pkgrel and in CalculiX
(*VISCO with the same nominal steps; CalculiX may subdivide them), both as whole commands,
and prints the ratio pkgrel / CalculiX.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fea.calculix import ccx_executable, write_cycling_deck
from fea.model_file import load_model

NORTON_SOLDER = ('{ E = 40000.0, nu = 0.35, alpha = 2.2e-5, '
                 'creep = { law = "norton", A = 1e-10, n = 3.0, Q = 0.0 } }')


def mesh(structure: str, out: Path) -> None:
    subprocess.run([sys.executable, "-m", "studies.cli", "mesh", structure, "--level", "assembly",
                    "--no-picture", "--out", str(out)], check=True, stdout=subprocess.DEVNULL)


def cycled(toml: str, cycles: int, plane_strain_norton: bool = False) -> str:
    lines = [line for line in toml.splitlines() if not line.startswith("field")]
    text = "\n".join(lines) + f'\n\n[load]\nprofile = "G"\ncycles = {cycles}\n'
    if plane_strain_norton:
        text = text.replace('"generalized_plane_strain"', '"plane_strain"')
        text = re.sub(r'^("?solder"?\s*=\s*).*$', r"\g<1>" + NORTON_SOLDER, text, flags=re.M)
    return text


def timed(command: list[str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-2000:]}")
    return wall, result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--skip-ccx", action="store_true")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for structure in ("ppi-recess", "molded-joint"):
            case = Path(tmp) / structure
            mesh(structure, case)
            (case / "cycled.toml").write_text(cycled((case / "model.toml").read_text(), args.cycles))
            wall, out = timed([sys.executable, "-m", "studies.cli", "solve", "cycled.toml", "--out", "run"], case)
            stats = re.search(r"(\d+) steps, (\d+) Newton iterations, (\d+) factorizations", out)
            elements = re.search(r"(\d+) elements, (\d+) dofs", out)
            print(f"{structure}: {elements.group(1)} elements, {elements.group(2)} dofs, {args.cycles} cycles "
                  f"in {wall:.1f} s ({wall / args.cycles:.1f} s per cycle incl. cool-down); {stats.group(0)}")
            row = {"structure": structure, "elements": int(elements.group(1)), "pkgrel_s": wall}
            if not args.skip_ccx:
                (case / "peer.toml").write_text(cycled((case / "model.toml").read_text(), args.cycles, True))
                ours, _ = timed([sys.executable, "-m", "studies.cli", "solve", "peer.toml", "--out", "peer"], case)
                model = load_model(case / "peer.toml")
                write_cycling_deck(model.problem, model.history, case / "peer.inp", ["solder"])
                theirs, _ = timed([ccx_executable(), "-i", "peer"], case)
                print(f"  plane strain + Norton, same mesh and steps: pkgrel {ours:.1f} s, CalculiX {theirs:.1f} s, "
                      f"ratio {ours / theirs:.2f}")
                row.update(peer_pkgrel_s=ours, ccx_s=theirs)
            rows.append(row)
    print("\nstructure       elements   pkgrel s (Anand, GPS)   pkgrel s (Norton, PS)   ccx s   ratio")
    for r in rows:
        ratio = f"{r['peer_pkgrel_s'] / r['ccx_s']:.2f}" if "ccx_s" in r else "-"
        print(f"{r['structure']:<14} {r['elements']:>9} {r['pkgrel_s']:>22.1f} "
              f"{r.get('peer_pkgrel_s', float('nan')):>22.1f} {r.get('ccx_s', float('nan')):>7.1f} {ratio:>7}")


if __name__ == "__main__":
    main()
