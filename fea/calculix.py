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
from .mesh import element_nodes
from .model import Model
from .thermoelastic import evaluate_temperature, fixed_dofs

ELEMENT_TYPES = {"plane_strain": "CPE6", "plane_stress": "CPS6", "axisymmetric": "CAX6"}


def ccx_executable() -> str | None:
    return shutil.which("ccx")


def element_connectivity(model: Model) -> np.ndarray:
    """(nel, 6) P2 node indices in CalculiX order, counter-clockwise."""
    mesh = model.mesh.mesh
    nodes = element_nodes(mesh).T.copy()
    p = mesh.doflocs
    a, b, c = (p[:, nodes[:, i]] for i in range(3))
    signed = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    clockwise = signed < 0
    # mirror the node order: swap corners 2 and 3 and the mid-edge nodes 4 and 6
    nodes[clockwise] = nodes[clockwise][:, [0, 2, 1, 5, 4, 3]]
    return nodes


def _single_stress_free_temperature(model: Model) -> float:
    if model.stress_free_temperature is not None:
        return float(model.stress_free_temperature)
    values = {float(m.stress_free_temperature) for m in model.materials.values()}
    if len(values) != 1:
        raise InputError("CalculiX export needs one stress-free temperature for all materials; "
                         "set [temperature] stress_free")
    return values.pop()


def _model_lines(model: Model, t_range: np.ndarray, inelastic: bool = False) -> list[str]:
    """Nodes, elements (one ELSET per region), materials, sections and supports."""
    if model.analysis not in ELEMENT_TYPES:
        raise InputError(f"CalculiX export supports {', '.join(ELEMENT_TYPES)}, not {model.analysis}")
    if model.tractions or model.displacements:
        raise InputError("CalculiX export of surface tractions and prescribed displacements is not supported")
    coordinates = model.mesh.mesh.doflocs
    connectivity = element_connectivity(model) + 1
    element_type = ELEMENT_TYPES[model.analysis]
    lines = ["*HEADING", "pkgrel peer run", "*NODE, NSET=NALL"]
    lines += [f"{k + 1}, {x:.15g}, {y:.15g}" for k, (x, y) in enumerate(coordinates.T)]
    for r, (name, elements) in enumerate(model.mesh.regions.items()):
        lines.append(f"*ELEMENT, TYPE={element_type}, ELSET=R{r}")
        lines += [f"{e + 1}, " + ", ".join(str(n) for n in connectivity[e]) for e in elements]
    for r, (name, elements) in enumerate(model.mesh.regions.items()):
        material = model.materials[name]
        lines += [f"** region {name}", f"*MATERIAL, NAME=M{r}", "*ELASTIC"]
        E, nu = material.E(t_range), material.nu(t_range)
        lines += [f"{e:.10g}, {n:.10g}, {t:.10g}" for e, n, t in zip(E, nu, t_range)]
        lines.append(f"*EXPANSION, ZERO={material.alpha_ref:.10g}")
        alpha = material.alpha_secant(t_range)
        lines += [f"{a:.10g}, {t:.10g}" for a, t in zip(alpha, t_range)]
        if inelastic:
            lines += _inelastic_lines(material, t_range)
        section = f"*SOLID SECTION, ELSET=R{r}, MATERIAL=M{r}"
        lines += [section, "1."] if element_type != "CAX6" else [section]
    lines.append("*BOUNDARY")
    for dof in fixed_dofs(model):
        node, component = divmod(int(dof), 2)
        lines.append(f"{node + 1}, {component + 1}, {component + 1}")
    return lines


def _inelastic_lines(material, t_range: np.ndarray) -> list[str]:
    """*PLASTIC (isotropic linear hardening) and *CREEP, LAW=NORTON for the models CalculiX
    shares with pkgrel; anything else is refused rather than silently changed."""
    from . import constitutive

    law = material.law()
    if isinstance(law, constitutive.Elastic):
        return []
    if isinstance(law, constitutive.J2Plasticity):
        if np.any(law.kinematic_modulus(t_range) != 0):
            # HARDENING=KINEMATIC / COMBINED decks were tried on the solder-joint cycle: the pad's
            # plastic strain per cycle differs from pkgrel's (closed-form-verified) one by 4-6 %,
            # against 0.2 % with isotropic hardening, so kinematic hardening is not exported
            raise InputError(f"CalculiX export: material '{material.name}' has kinematic hardening, which the "
                             f"peer export does not share; give it plastic = {{..., kinematic = 0}} for a peer run")
        lines = ["*PLASTIC"]
        for T in t_range:
            y = float(law.yield_stress(np.array([T]))[0])
            H = float(law.isotropic_modulus(np.array([T]))[0])
            lines += [f"{y:.10g}, 0., {T:.10g}", f"{y + H:.10g}, 1., {T:.10g}"]
        return lines
    if isinstance(law, constitutive.NortonCreep):
        # eps_dot = A q^n exp(-Q/RT): CalculiX's Norton law A q^n t^m with A tabulated over T
        lines = ["*CREEP, LAW=NORTON"]
        for T in t_range:
            A = law.A * np.exp(-law.Q / (8.314462618 * (T + 273.15)))
            lines.append(f"{A:.10g}, {law.n:.10g}, 0., {T:.10g}")
        return lines
    raise InputError(f"CalculiX export: material '{material.name}' uses {type(law).__name__}, "
                     "which CalculiX does not share; use Norton creep or linear-hardening plasticity")


def write_deck(model: Model, path: str | os.PathLike, n_table_points: int = 5) -> None:
    """Write a CalculiX input deck for the thermoelastic model."""
    coordinates = model.mesh.mesh.doflocs
    node_temperature = evaluate_temperature(model.temperature, coordinates[:, :, None])[:, 0]
    T0 = _single_stress_free_temperature(model)
    t_range = np.linspace(min(node_temperature.min(), T0), max(node_temperature.max(), T0),
                          n_table_points)
    lines = _model_lines(model, t_range)
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


def solve_with_ccx(model: Model, workdir: str | os.PathLike | None = None,
                   threads: int = 1) -> CcxResult:
    """Write the deck, run ccx and read back nodal results (in pkgrel's node numbering)."""
    owned = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="pkgrel-ccx-") if owned else workdir)
    try:
        deck = workdir / "peer.inp"
        write_deck(model, deck)
        wall, rss = run_ccx(deck, threads)
        n_nodes = model.mesh.mesh.doflocs.shape[1]
        displacement, stress = read_frd(workdir / "peer.frd", n_nodes)
        return CcxResult(displacement, stress, wall, rss)
    finally:
        if owned:
            shutil.rmtree(workdir, ignore_errors=True)


def element_node_values(model: Model, nodal: np.ndarray) -> np.ndarray:
    """Scatter nodal values (n_nodes, k) to pkgrel's element-node layout (k, nel, 6)."""
    nodes = element_nodes(model.mesh.mesh)
    return np.transpose(nodal[nodes.T], (2, 0, 1))


def write_cycling_deck(model: Model, history, path, report_regions: list[str],
                       dwell_refinement: int = 4, work_regions: tuple[str, ...] = ()) -> list[tuple[int, float]]:
    """A CalculiX deck for a load history: one *VISCO step per history segment with fixed
    increments (ramps as pkgrel's nominal steps, dwells ``dwell_refinement`` times finer and
    uniform), printing the internal energy, volume and equivalent plastic strain of the
    report regions at the end of every step, and for ``work_regions`` the stress and plastic
    strain at every pkgrel step time (for the inelastic work). Returns (step, end time) pairs."""
    T0 = history.stress_free
    temps = [T0] + [s.T1 for s in history.segments]
    t_range = np.linspace(min(temps), max(temps), 5)
    lines = _model_lines(model, t_range, inelastic=True)
    names = list(model.mesh.regions)
    lines += ["*INITIAL CONDITIONS, TYPE=TEMPERATURE", f"NALL, {T0:.10g}"]
    for k, segment in enumerate(history.segments):  # time points belong before the first step
        lines += [f"*TIME POINTS, NAME=END{k + 1}", f"{segment.t1 - segment.t0:.10g}",
                  f"*TIME POINTS, NAME=SUB{k + 1}"]
        lines += [f"{t - segment.t0:.10g}" for t in segment.times()]
    # the temperature follows the history table in total time (1.0 x amplitude), so ramps are
    # ramps whatever the step's default amplitude is
    lines += ["*AMPLITUDE, NAME=HISTORY, TIME=TOTAL TIME"]
    lines += [f"{t - history.segments[0].t0:.10g}, {T:.10g}" for t, T in history.table()]
    steps = []
    for k, segment in enumerate(history.segments):
        n = segment.steps * (dwell_refinement if segment.kind == "dwell" else 1)
        duration = segment.t1 - segment.t0
        dt = duration / n
        # CalculiX adapts the increments (creep tolerance CETOL) up to pkgrel's nominal step and
        # reports at the step end through a time point
        lines += ["*STEP, INC=100000", "*VISCO, CETOL=1e-4",
                  f"{dt:.10g}, {duration:.10g}, {dt * 1e-6:.10g}, {dt:.10g}",
                  "*TEMPERATURE, AMPLITUDE=HISTORY", "NALL, 1.0"]
        for name in report_regions:
            r = names.index(name)
            lines += [f"*EL PRINT, ELSET=R{r}, TOTALS=ONLY, TIME POINTS=END{k + 1}", "ELSE, EVOL",
                      f"*EL PRINT, ELSET=R{r}, TIME POINTS=END{k + 1}", "PEEQ, EVOL"]
        for name in work_regions:
            lines += [f"*EL PRINT, ELSET=R{names.index(name)}, TIME POINTS=SUB{k + 1}", "S, ME"]
        lines.append("*END STEP")
        steps.append((k + 1, segment.t1))
    Path(path).write_text("\n".join(lines) + "\n")
    return steps


def read_dat_history(path) -> dict:
    """Per printed time: total internal energy, total volume and element-averaged PEEQ per set."""
    out: dict = {}
    current = None
    with open(path) as handle:
        for line in handle:
            text = line.strip()
            if not text:
                continue
            lower = text.lower()
            if "for set " in lower and " and time " in lower:
                quantity = lower.split("for set ")[0].split("(")[0].strip()
                set_name = text[lower.index("for set ") + 8:].split()[0]
                time_value = float(text.split(" and time ")[1].split()[0])
                current = (quantity, set_name.upper(), time_value)
                out.setdefault((set_name.upper(), time_value), {}).setdefault(quantity, [])
                continue
            if current is None:
                continue
            parts = text.split()
            try:
                values = [float(p) for p in parts]
            except ValueError:
                current = None
                continue
            out[(current[1], current[2])][current[0]].append(values)
    return out


def cycle_averages(dat_path, region_index: int, t_start: float, t_end: float) -> dict:
    """Volume averages over a region of the internal-energy and PEEQ increments between two
    printed times: CalculiX's counterparts of pkgrel's dW and eps_in_accumulated."""
    data = read_dat_history(dat_path)
    key = f"R{region_index}"

    def at(t):
        match = [k for k in data if k[0] == key and abs(k[1] - t) <= 1e-4 * max(1.0, abs(t))]
        if not match:
            raise SolverError(f"{dat_path}: no results for set {key} at t = {t:g}")
        return data[match[0]]

    def averages(block):
        energy = block["total internal energy"][0][0]
        volume = block["total volume"][0][0]
        peeq = np.array(block["equivalent plastic strain"])
        per_element = {}
        for element, _, value in peeq:
            per_element.setdefault(int(element), []).append(value)
        volumes = {int(e): v for e, v in block["volume"]}
        mean_peeq = sum(np.mean(v) * volumes[e] for e, v in per_element.items()) / sum(volumes.values())
        return energy / volume, mean_peeq

    w0, p0 = averages(at(t_start))
    w1, p1 = averages(at(t_end))
    return {"dW": w1 - w0, "eps_in_accumulated": p1 - p0}


def inelastic_work(dat_path, region_index: int, material, history, t_start: float, t_end: float) -> float:
    """Volume-averaged inelastic work density (MPa) between two times from CalculiX's stresses
    and mechanical strains at pkgrel's step times: eps_p = ME - C(T)^-1 sigma, and
    dW = sum 0.5 (sigma_k + sigma_k+1) : (eps_p,k+1 - eps_p,k), as pkgrel integrates it."""
    data = read_dat_history(dat_path)
    key = f"R{region_index}"
    times = sorted(t for (name, t), block in data.items()
                   if name == key and "stresses" in block and t_start - 1e-6 <= t <= t_end + 1e-6)
    segments = history.segments
    offset = segments[0].t0
    volumes = None
    previous = None
    total = None
    for t in times:
        block = data[(key, t)]
        rows = np.array(block["stresses"])
        strain = np.array(block["mechanical strains"])
        elements = rows[:, 0].astype(int)
        sigma = rows[:, 2:8]
        T = float(np.interp(t + offset, *history.table().T))
        E, nu = float(material.E(np.array([T]))[0]), float(material.nu(np.array([T]))[0])
        trace = sigma[:, :3].sum(axis=1, keepdims=True)
        elastic = ((1 + nu) * sigma - nu * np.hstack([trace.repeat(3, axis=1), np.zeros((len(sigma), 3))])) / E
        plastic = strain[:, 2:8] - elastic
        if previous is not None:
            s_mid = 0.5 * (sigma + previous[0])
            d_p = plastic - previous[1]
            # tensor shear components count twice in sigma : eps
            work = (s_mid[:, :3] * d_p[:, :3]).sum(axis=1) + 2 * (s_mid[:, 3:] * d_p[:, 3:]).sum(axis=1)
            total = work if total is None else total + work
        previous = (sigma, plastic)
    if total is None:
        raise SolverError(f"{dat_path}: no stress output for set {key} between t = {t_start:g} and {t_end:g}")
    end_blocks = [block for (name, t), block in data.items() if name == key and "volume" in block]
    volumes = {int(e): v for e, v in end_blocks[0]["volume"]}
    per_element = {}
    for e, w in zip(elements, total):
        per_element.setdefault(int(e), []).append(w)
    return float(sum(np.mean(w) * volumes[e] for e, w in per_element.items()) / sum(volumes.values()))
