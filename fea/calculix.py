"""CalculiX (ccx) as a peer solver: write the same mesh, materials and load as an input deck,
run ``ccx`` and read its nodal results back.

Element types: CPE6 (plane strain), CPS6 (plane stress), CAX6 (axisymmetric, x = r, y = z).
Thermal strain uses ``*EXPANSION, ZERO=T_ref`` with ``*INITIAL CONDITIONS`` at the stress-free
temperature, the same secant convention as pkgrel. CalculiX has no 2D generalized plane strain
element, so that analysis is not exported.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import InputError, SolverError
from .post import p2_element_nodes
from .thermoelastic import Thermoelastic, evaluate_temperature, fixed_dofs

ELEMENT_TYPES = {"plane_strain": "CPE6", "plane_stress": "CPS6", "axisymmetric": "CAX6"}


def ccx_executable() -> str | None:
    return shutil.which("ccx")


def element_connectivity(problem: Thermoelastic) -> np.ndarray:
    """(nel, 6) P2 node indices in CalculiX order, counter-clockwise."""
    mesh = problem.model.mesh
    nodes = p2_element_nodes(mesh).T.copy()
    p = mesh.doflocs
    a, b, c = (p[:, nodes[:, i]] for i in range(3))
    signed = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    clockwise = signed < 0
    # mirror the node order: swap corners 2 and 3 and the mid-edge nodes 4 and 6
    nodes[clockwise] = nodes[clockwise][:, [0, 2, 1, 5, 4, 3]]
    return nodes


def _single_stress_free_temperature(problem: Thermoelastic) -> float:
    if problem.stress_free_temperature is not None:
        return float(problem.stress_free_temperature)
    values = {float(m.stress_free_temperature) for m in problem.materials.values()}
    if len(values) != 1:
        raise InputError("CalculiX export needs one stress-free temperature for all materials; "
                         "set [temperature] stress_free")
    return values.pop()


def write_deck(problem: Thermoelastic, path: str | os.PathLike, n_table_points: int = 5) -> None:
    """Write a CalculiX input deck for the thermoelastic problem."""
    if problem.analysis not in ELEMENT_TYPES:
        raise InputError(f"CalculiX export supports {', '.join(ELEMENT_TYPES)}, not {problem.analysis}")
    if problem.tractions:
        raise InputError("CalculiX export of surface tractions is not supported")
    mesh = problem.model.mesh
    coordinates = mesh.doflocs
    node_temperature = evaluate_temperature(problem.temperature, coordinates[:, :, None])[:, 0]
    T0 = _single_stress_free_temperature(problem)
    t_range = np.linspace(min(node_temperature.min(), T0), max(node_temperature.max(), T0),
                          n_table_points)
    connectivity = element_connectivity(problem) + 1
    element_type = ELEMENT_TYPES[problem.analysis]

    lines = ["*HEADING", "pkgrel peer run", "*NODE, NSET=NALL"]
    lines += [f"{k + 1}, {x:.15g}, {y:.15g}" for k, (x, y) in enumerate(coordinates.T)]
    for r, (name, elements) in enumerate(problem.model.regions.items()):
        lines.append(f"*ELEMENT, TYPE={element_type}, ELSET=R{r}")
        lines += [f"{e + 1}, " + ", ".join(str(n) for n in connectivity[e]) for e in elements]
    for r, (name, elements) in enumerate(problem.model.regions.items()):
        material = problem.materials[name]
        lines += [f"** region {name}", f"*MATERIAL, NAME=M{r}", "*ELASTIC"]
        E, nu = material.E(t_range), material.nu(t_range)
        lines += [f"{e:.10g}, {n:.10g}, {t:.10g}" for e, n, t in zip(E, nu, t_range)]
        lines.append(f"*EXPANSION, ZERO={material.alpha_ref:.10g}")
        alpha = material.alpha_secant(t_range)
        lines += [f"{a:.10g}, {t:.10g}" for a, t in zip(alpha, t_range)]
        section = f"*SOLID SECTION, ELSET=R{r}, MATERIAL=M{r}"
        lines += [section, "1."] if element_type != "CAX6" else [section]
    lines.append("*BOUNDARY")
    for dof in fixed_dofs(problem):
        node, component = divmod(int(dof), 2)
        lines.append(f"{node + 1}, {component + 1}, {component + 1}")
    lines += ["*INITIAL CONDITIONS, TYPE=TEMPERATURE", f"NALL, {T0:.10g}",
              "*STEP", "*STATIC", "*TEMPERATURE"]
    lines += [f"{k + 1}, {t:.10g}" for k, t in enumerate(node_temperature)]
    lines += ["*NODE FILE", "U", "*EL FILE", "S", "*END STEP", ""]
    Path(path).write_text("\n".join(lines))


@dataclass
class CcxResult:
    displacement: np.ndarray   # (n_nodes, 2)
    stress: np.ndarray         # (n_nodes, 4): 11, 22, 33, 12 (ccx nodal averages)
    wall_time: float
    peak_rss_mb: float


def run_ccx(deck: str | os.PathLike, threads: int = 1) -> tuple[float, float]:
    """Run ccx on ``deck`` (.inp); return (wall time s, peak RSS MB) of the ccx process."""
    exe = ccx_executable()
    if exe is None:
        raise SolverError("CalculiX 'ccx' is not installed (Debian package calculix-ccx)")
    deck = Path(deck)
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), CCX_NPROC_EQUATION_SOLVER=str(threads))
    start = time.perf_counter()
    process = subprocess.Popen([exe, "-i", deck.stem], cwd=deck.parent, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = process.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0 or "*ERROR" in output:
        tail = [line for line in output.splitlines() if "ERROR" in line][:1] or output.splitlines()[-1:]
        raise SolverError(f"ccx failed on {deck.name}: {tail[0] if tail else 'no output'}")
    return wall, usage.ru_maxrss / 1024.0


def read_frd(path: str | os.PathLike, n_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodal displacement (n, 2) and stress (n, 4) from a CalculiX .frd results file."""
    displacement = np.full((n_nodes, 2), np.nan)
    stress = np.full((n_nodes, 4), np.nan)
    block = None
    with open(path) as handle:
        for line in handle:
            if line.startswith(" -4"):
                name = line.split()[1]
                block = {"DISP": "disp", "STRESS": "stress"}.get(name)
            elif line.startswith(" -3"):
                block = None
            elif block and line.startswith(" -1"):
                node = int(line[3:13]) - 1
                values = [float(line[13 + 12 * k: 25 + 12 * k]) for k in range((len(line.rstrip()) - 13) // 12)]
                if node >= n_nodes:
                    continue  # expanded 3D nodes, if any
                if block == "disp":
                    displacement[node] = values[:2]
                else:
                    # ccx order: SXX SYY SZZ SXY SYZ SZX
                    stress[node] = [values[0], values[1], values[2], values[3]]
    if np.isnan(stress).any() or np.isnan(displacement).any():
        raise SolverError(f"{path}: results missing for some nodes")
    return displacement, stress


def solve_with_ccx(problem: Thermoelastic, workdir: str | os.PathLike | None = None,
                   threads: int = 1) -> CcxResult:
    """Write the deck, run ccx and read back nodal results (in pkgrel's node numbering)."""
    owned = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="pkgrel-ccx-") if owned else workdir)
    try:
        deck = workdir / "peer.inp"
        write_deck(problem, deck)
        wall, rss = run_ccx(deck, threads)
        n_nodes = problem.model.mesh.doflocs.shape[1]
        displacement, stress = read_frd(workdir / "peer.frd", n_nodes)
        return CcxResult(displacement, stress, wall, rss)
    finally:
        if owned:
            shutil.rmtree(workdir, ignore_errors=True)


def element_node_values(problem: Thermoelastic, nodal: np.ndarray) -> np.ndarray:
    """Scatter nodal values (n_nodes, k) to pkgrel's element-node layout (k, nel, 6)."""
    mesh = problem.model.mesh
    element_nodes = p2_element_nodes(mesh)
    return np.transpose(nodal[element_nodes.T], (2, 0, 1))
