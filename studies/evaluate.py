"""One design point: build a cross-section, solve it (thermoelastic or cycled), extract metrics.

``evaluate(point)`` is what a sweep runs on every worker. It returns plain data (a JSON-able
record) and the bytes of the files a report needs (``mesh.png``, ``result.vtu``, ``fields.npz``),
so a worker on another machine needs no shared file system.

Metric keys in ``record["metrics"]`` (stresses in MPa, lengths in um, energies in MPa = MJ/m^3):

* ``pad_layer.dW``, ``.eps_in_accumulated``, ``.eps_in_range``, ``.shear_strain_range``,
  ``land_layer.*``, ``joint.*``: last-cycle inelastic energy density, accumulated equivalent
  inelastic strain and the loop's inelastic strain range (equivalent, and as engineering shear),
  volume-averaged over a layer of the critical (outermost) joint's solder next to its die-side
  pad / board-side land, of the thickness the solder's life law was fitted with, and over the
  whole critical joint. ``*.N_darveaux``, ``*.N_engelmaier`` (from the shear strain range),
  ``*.N_energy``: cycles to failure, with ``*.LAW_in_calibration`` (1 or 0; the reasons are in
  ``record["fatigue"]``). ``critical.*`` and ``critical.life`` are those of the worse layer.
* ``zone.REGION.von_mises_max|von_mises_mean|max_principal_max|max_principal_mean|min_principal_min``
  over the elements of REGION inside the detail window on the critical joint (``record["zoom"]``).
* ``region.REGION.*``: the whole-region figures of summary.json.
* ``outer_joint.von_mises_max|von_mises_mean|max_principal_max``: solder of the outermost joint.
* ``probe.NAME.COMPONENT`` (smoothed stress at a builder probe), ``probe_avg.NAME.max_principal|
  von_mises|min_principal`` (volume average over the probe's region within the probe's ``radius``,
  default ``AVERAGE_RADIUS``; ``probe_avg.NAME.radius_um`` is that radius), ``probe.NAME.ux|uy``
  (displacement).
* ``interface.A/B.*`` along interface A/B inside the window: ``peel_force`` (integral of the peel
  traction along the interface, MPa um = N/m per unit length of the section), ``peel_tensile_force``
  (of its tensile part only: what pulls the interface open), ``peel_mean`` (arc-length mean), and
  the nodal extremes ``peel_max|peel_min|shear_absmax``. ``record["interfaces"][A/B]`` holds the
  traction along it node by node: ``x``, ``y``, ``segment`` (connected pieces inside the window),
  ``s`` (arc length from the first node of its segment), ``end`` (1 where the interface itself ends:
  a corner, free edge or triple junction, where the traction is singular), ``peel``, ``shear``.

Nodal maxima (``*_max``, ``*_min``, ``shear_absmax``) at re-entrant corners and triple junctions grow
with mesh refinement: they are kept for information, never for ranking. Rank by averages over a
stated size (``probe_avg.*``, ``zone.*_mean``) or by the interface resultants. (A mean peel over a
fixed length from the peel peak was tried and dropped: the peak jumps between the two ends of an
interface as the mesh changes, so that mean moved by 10-40 % between meshes x1 and x0.7.)
* ``warpage_um``: range of the vertical displacement along the ``bottom`` boundary (die back side).
* ``crack.NAME.G`` (J/m^2), ``.phase_angle_deg``, ``.margin`` (Gc(psi) / G), ``.tip_element_um``,
  ``.extension_spread``, ``.min_opening_um`` of a builder's pre-crack (`fea.crack`, VCCT), and for
  cycled points ``.G_cold|G_hot``, ``.phase_angle_cold_deg|phase_angle_hot_deg``,
  ``.margin_cold|margin_hot`` at the extremes of the last cycle (``G`` is the worse of the two).
  G is a fracture quantity: it converges under refinement and may rank designs.
* ``bend.load_line_force``: a bent slice's (load ``{"bend": {...}}``, `geometry.board_bend`) load-line
  force in the plotted state, N per m of section depth (uN/um), along the push.

Stresses are taken at the plotted state: the temperature field of a thermoelastic model, or the
coldest snapshot of the last cycle (of a bent slice: the most bent one).
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fea.errors import InputError
from fea.warpage import surface, warpage

#: default radius (um) of the disk over which probe stresses are averaged: a re-entrant corner is
#: singular, so a nodal value there grows with refinement while a disk average converges. A probe in
#: a thinner layer states its own, smaller radius (``Probe.radius``); ``probe_avg.NAME.radius_um``
#: records the one used.
AVERAGE_RADIUS = 5.0
#: averaging layer of a solder without a life law that states its own: Darveaux's 0.001 in
LAYER_THICKNESS_UM = 25.4
METALS = {"cu", "ni", "al", "au", "ti"}
#: quick previews: coarse mesh and one cycle
QUICK_MESH_FACTOR = 2.0
#: degC where a cycled design point's package process starts: the wafer-level films (passivation,
#: the polyimide / PBO / BCB cures the library puts at 250 degC) are stress-free there; solder
#: (solidus), molding compounds and underfill (cure) form as it cools (their library values)
WAFER_PROCESS_START = 250.0


@dataclass(frozen=True)
class Point:
    """One design point. ``parameters`` override the builder's defaults (typed values)."""
    structure: str
    parameters: dict = field(default_factory=dict)
    level: str = "assembly"
    mesh_size_factor: float = 1.0
    load: dict | None = None          # [load] table, e.g. {"profile": "G", "cycles": 3}; None: thermoelastic
    label: str = ""
    # material files on top of the library, as (file name, TOML text) pairs: plain data, so a
    # worker on another machine needs no shared file system (--materials, calibration, scatter)
    materials: tuple = ()
    # "viscoelastic": the compound regions (library materials with Prony data) take the library's
    # viscoelastic law (`studies.compound.viscoelastic_compounds`); "elastic": E(T) as they are
    compounds: str = "elastic"

    def builder(self):
        from geometry import STRUCTURES
        if self.structure not in STRUCTURES:
            raise InputError(f"structure {self.structure} is unknown; valid: {', '.join(STRUCTURES)}")
        cls = STRUCTURES[self.structure]
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(self.parameters) - names)
        if unknown:
            raise InputError(f"{', '.join(unknown)} is not a parameter of {self.structure}; valid: {', '.join(sorted(names))}")
        return cls(**self.parameters)

    def identity(self) -> dict:
        """Everything that determines the result except the code: resolved parameters included."""
        identity = {"structure": self.structure, "parameters": dataclasses.asdict(self.builder()),
                    "level": self.level, "mesh_size_factor": float(self.mesh_size_factor),
                    "load": self.load}
        if self.materials:
            identity["materials"] = [list(pair) for pair in self.materials]
        if self.compounds != "elastic":
            identity["compounds"] = self.compounds
        return identity

    def library(self):
        """The materials library of this point: the built-in one plus ``materials``."""
        return library_with(tuple(tuple(pair) for pair in self.materials))


def material_files(paths) -> tuple:
    """``--materials`` files as the (file name, text) pairs a Point carries."""
    pairs = []
    for path in paths:
        path = Path(path)
        try:
            pairs.append((path.name, path.read_text()))
        except OSError as exc:
            raise InputError(f"--materials {path}: cannot be read ({exc.strerror})") from None
    return tuple(pairs)


@functools.lru_cache(maxsize=8)
def library_with(files: tuple):
    import materials
    if not files:
        return materials.default_library()
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for k, (name, text) in enumerate(files):
            path = Path(tmp) / f"{k:02d}" / Path(name).name
            path.parent.mkdir()
            path.write_text(text)
            paths.append(path)
        return materials.load_library(paths)


def code_fingerprint() -> str:
    """Hash of the solver, geometry and material sources and data: a code change invalidates caches."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for folder in ("fea", "geometry", "materials"):
        for path in sorted((root / folder).rglob("*")):
            if path.suffix in (".py", ".toml") and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    evaluate_source = Path(__file__).read_bytes()
    digest.update(evaluate_source)
    return digest.hexdigest()[:16]


def point_key(point: Point, fingerprint: str | None = None) -> str:
    text = json.dumps({**point.identity(), "code": fingerprint or code_fingerprint()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


# ---------------------------------------------------------------------------------------------

def evaluate(point: Point) -> tuple[dict, dict[str, bytes]]:
    """Build, solve and measure one point in memory. Raises InputError / SolverError on bad input."""
    from fea.crack import with_cracks
    from studies.analysis import analyse
    from studies.model_file import read_layers

    start = time.perf_counter()
    model = with_cracks(point_model(point))   # the mesh split along the pre-cracks, once
    zoom = model.geometry.zoom
    names = {region: material.name for region, material in model.materials.items()}
    thickness, thickness_source = fitted_layer_thickness(model.materials.get("solder"))
    joint = critical_joint(model.mesh, names, thickness)
    joint["layer_thickness_source"] = thickness_source
    if point.load is not None:
        model.layers = read_layers(joint["layers"], model.mesh)
    analysis = analyse(model)
    files = {"mesh.png": mesh_picture(model)}
    solution, stresses, state = plotted_state(model, analysis)
    metrics = {}
    metrics.update(cycle_metrics(analysis))
    metrics.update(stress_metrics(model, solution, stresses, zoom, joint.get("x_range")))
    metrics.update(bend_metrics(model, stresses))
    metrics.update(crack_metrics(analysis.summary))
    curves = interface_curves(stresses, zoom)
    for name, c in curves.items():
        metrics.update({f"interface.{name}.{k}": v for k, v in interface_metrics(c).items()})
    nodal = plotted_fields(model, analysis, stresses, state)
    files["fields.npz"] = zoomed_fields(model, solution, stresses.element_nodes, nodal, zoom)
    files["result.vtu"] = state_vtu(model, solution, stresses.element_nodes, nodal)
    summary = analysis.summary
    record = {
        "label": point.label,
        **point.identity(),
        "load": stepped_load(point, model),
        "overrides": dict(point.parameters),
        "status": "ok",
        "analysis": summary["analysis"],
        "elements": summary["elements"],
        "dofs": summary["dofs"],
        "materials": names,
        "zoom": list(zoom) if zoom else None,
        "critical_joint": {k: v for k, v in joint.items() if k != "layers"},
        "warnings": [w for w in (joint.get("warning"),) if w],
        "state": state["description"],
        "metrics": {k: float(v) for k, v in metrics.items() if np.isfinite(v)},
        "interfaces": {name: {k: np.round(v, 5).tolist() for k, v in c.items() if k != "weight"}
                       for name, c in curves.items()},
        "hysteresis": hysteresis(analysis),
        "cycles": summary.get("cycles", []),
        "fatigue": summary.get("fatigue", {}),
        "cracks": {name: {k: v for k, v in c.items() if k != "extensions"}
                   for name, c in summary.get("cracks", {}).items()},
        # [load] warpage: the face's signed warpage and coplanarity at every step (fea.warpage)
        "warpage": summary.get("warpage", {}),
        "solver_stats": summary.get("solver_stats", summary.get("timings_s", {})),
        "run_time_s": round(time.perf_counter() - start, 3),
    }
    return record, files


def point_model(point: Point):
    """The point's model with its load: a builder's model and a [load] table, or, for a load
    ``{"bend": {...}}``, the slice in a four-point bend fixture (`geometry.board_bend`)."""
    builder = point.builder()
    test = bend_test(point.load)
    if test is not None:
        from geometry.board_bend import bend_model
        return bend_model(builder, point.level, point.mesh_size_factor, point.library(), test)
    model = builder.build(point.level, point.mesh_size_factor, library=point.library())
    model = compounds_of(point, model)
    if point.load is not None:
        # cycled: each layer stress-free when it forms (docs/process.md), not all at the
        # builder's one stress-free temperature (which the thermoelastic preview keeps)
        load = dict(point.load)
        if "process" not in load and model.stress_free_temperature is not None:
            load.setdefault("process_start", WAFER_PROCESS_START)
            model.stress_free_temperature = None
        model.load = load
    return model


def compounds_of(point: Point, model):
    """The model with the point's compound law: viscoelastic compounds if it asks for them."""
    if point.compounds == "elastic":
        return model
    if point.compounds != "viscoelastic":
        raise InputError(f"compounds = {point.compounds!r} must be \"elastic\" or \"viscoelastic\"")
    from .compound import viscoelastic_compounds
    return viscoelastic_compounds(model, point.library())


#: per-crack numbers of summary.json that become metrics ``crack.NAME.KEY``
CRACK_METRICS = ("G", "phase_angle_deg", "margin", "tip_element_um", "extension_spread", "min_opening_um",
                 "G_cold", "G_hot", "phase_angle_cold_deg", "phase_angle_hot_deg", "margin_cold", "margin_hot")


def crack_metrics(summary: dict) -> dict:
    """``crack.NAME.KEY`` of every crack in summary.json (numbers only: a margin is None where G <= 0)."""
    return {f"crack.{name}.{key}": float(c[key]) for name, c in summary.get("cracks", {}).items()
            for key in CRACK_METRICS if isinstance(c.get(key), (int, float)) and not isinstance(c.get(key), bool)}


#: keys a bend load may carry beside its table: how the history is stepped (as in the table)
BEND_STEPPING = ("fixed_steps", "accuracy")


def bend_test(load: dict | None):
    """The `geometry.board_bend.BendTest` of a bend load ``{"bend": {...}}`` (with its stepping,
    BEND_STEPPING, beside the table or in it), else None."""
    if not isinstance(load, dict) or "bend" not in load:
        return None
    from geometry.board_bend import BendTest
    others = sorted(set(load) - {"bend", *BEND_STEPPING})
    if others:
        raise InputError(f"a bend load is {{'bend': {{...}}}}; got also {', '.join(others)} "
                         f"(a temperature profile goes in the bend table's thermal)")
    if not isinstance(load["bend"], dict):
        raise InputError("bend must be a table")
    return BendTest.from_table({**load["bend"], **{k: load[k] for k in BEND_STEPPING if k in load}})


def stepped_load(point: Point, model) -> dict | None:
    """The point's load as its record states it: a bend load with the stepping of the history it
    ran (fixed steps or an accuracy), which the report's time-step band reads."""
    if bend_test(point.load) is None:
        return point.load
    return {**point.load, **{k: model.load[k] for k in BEND_STEPPING if k in model.load}}


def bend_metrics(model, stresses) -> dict:
    """``bend.load_line_force``: the force (N per m of section depth = uN/um) the load line
    applies to the board in the plotted state, along the push (a resultant: it converges with the
    mesh); none for a model that is not bent."""
    from geometry.board_bend import load_line

    push = load_line(model)
    if push is None:
        return {}
    direction = np.sign(push.value)
    return {"bend.load_line_force": direction * stresses.reaction(push.group, push.component)}


def outer_joint_x_range(mesh) -> tuple[float, float] | None:
    """x-extent of the outermost solder joint (the one furthest from the centre, x = 0)."""
    joints = solder_joints(mesh)
    return joints[-1] if joints else None


def solder_joints(mesh) -> list[tuple[float, float]]:
    """x-extents of the solder joints from the centre outwards: the solder elements' x-intervals
    merged into joints (joints never overlap in x)."""
    if "solder" not in mesh.regions:
        return []
    x = mesh.mesh.p[0, mesh.mesh.t[:, mesh.regions["solder"]]]
    lo, hi = x.min(axis=0), x.max(axis=0)
    order = np.argsort(lo)
    joints = [[lo[order[0]], hi[order[0]]]]
    for k in order[1:]:
        if lo[k] <= joints[-1][1] + 1e-9:
            joints[-1][1] = max(joints[-1][1], hi[k])
        else:
            joints.append([lo[k], hi[k]])
    return [(float(a), float(b)) for a, b in joints]


def fitted_layer_thickness(solder) -> tuple[float, str]:
    """The layer thickness (um) the solder's headline life law was fitted with, and its source."""
    fatigue = getattr(solder, "fatigue", None)
    laws = {"darveaux": fatigue.darveaux, "energy": fatigue.energy, "engelmaier": fatigue.coffin_manson} if fatigue else {}
    for law in (laws[key] for key in HEADLINE_ORDER if laws):
        if law is not None and law.basis.volume_averaging_thickness is not None:
            return law.basis.volume_averaging_thickness, law.basis.thickness_source
    return LAYER_THICKNESS_UM, "Darveaux 2000, ECTC (0.001 in element layer); the solder has no life law of its own"


def critical_joint(mesh, material_names: dict, thickness: float = LAYER_THICKNESS_UM) -> dict:
    """The outermost joint: its solder's die-side and board-side metal interfaces and the
    averaging layers of ``thickness`` um on them (the life law's own: never thinned to fit; a
    joint lower than two layers is reported in ``warning``). material_names: region -> library
    material name."""
    extent = outer_joint_x_range(mesh)
    if extent is None:
        return {"layers": []}
    x0, x1 = extent
    candidates = []
    for name in mesh.curves:
        if "/" not in name:
            continue
        a, b = name.split("/", 1)
        other = b if a == "solder" else a if b == "solder" else None
        if other is None or material_names.get(other) not in METALS:
            continue
        facets = mesh.curves[name]
        mid = mesh.mesh.doflocs[:, mesh.mesh.nvertices + facets]
        inside = (mid[0] >= x0) & (mid[0] <= x1)
        if inside.any():
            candidates.append((float(mid[1, inside].mean()), name))
    if not candidates:
        return {"layers": []}
    candidates.sort()
    pad, land = candidates[0][1], candidates[-1][1]
    height = candidates[-1][0] - candidates[0][0]
    x_range = [x0 - 1e-6, x1 + 1e-6]
    joint_height = round(height, 3) if height > 0 else None
    layers = [{"name": "pad_layer", "region": "solder", "interface": pad, "thickness": thickness,
               "x_range": x_range, "joint_height": joint_height}]
    if land != pad:
        layers.append({"name": "land_layer", "region": "solder", "interface": land,
                       "thickness": thickness, "x_range": x_range, "joint_height": joint_height})
    layers.append({"name": "joint", "region": "solder", "interface": pad, "thickness": 1000.0, "x_range": x_range})
    warning = None
    if joint_height is not None and joint_height < 2 * thickness:
        warning = (f"the outer joint is {joint_height:.4g} um high: too low for two {thickness:g} um layers "
                   f"(the life law's averaging thickness); its lives are outside calibration")
    joints = solder_joints(mesh)
    return {"pad_interface": pad, "land_interface": land if land != pad else None,
            "layer_thickness_um": thickness, "x_range": [x0, x1], "layers": layers, "warning": warning,
            # distance of the outer joint's centre from the neutral point (x = 0: the slices are
            # symmetric about the package centre) and the joints in the slice
            "dnp_um": round(0.5 * (x0 + x1), 3), "joint_count": len(joints),
            "joint_height_um": round(height, 3)}


def mesh_picture(model) -> bytes:
    """mesh.png of a built model: regions by role, mesh edges, the detail window."""
    from geometry.plot import plot_mesh

    buffer = io.BytesIO()
    plot_mesh(model, buffer)
    return buffer.getvalue()


def plotted_state(model, analysis):
    """Solution and stresses to plot and measure: the coldest snapshot of the last cycle, or of a
    bent model the most bent one (the board's package side in most tension)."""
    from geometry.board_bend import bend_factor, load_line
    from studies.analysis import snapshot_solution
    if analysis.cycling is None:
        T = model.temperature
        text = f"{T} degC" if isinstance(T, (int, float)) else "temperature field"
        return analysis.solution, analysis.stresses, {"index": None, "description": f"thermoelastic, {text}"}
    result = analysis.cycling
    cycles = analysis.summary["cycles"]
    last = cycles[-1]["cycle"] if cycles else 0
    t0, t1 = (cycles[-1]["t0"], cycles[-1]["t1"]) if cycles else (-np.inf, np.inf)
    candidates = [k for k, s in enumerate(result.snapshots) if t0 - 1e-9 <= s["time"] <= t1 + 1e-9]
    if load_line(model) is not None:
        def order(k):
            return -bend_factor(model, result.snapshots[k]["time"])
    else:
        def order(k):
            return result.snapshots[k]["temperature"]
    index = min(candidates or range(len(result.snapshots)), key=order)
    solution, stresses = snapshot_solution(model, result, index)
    snap = result.snapshots[index]
    when = (f"t = {snap['time']:.0f} s" if load_line(model) is None else
            f"t = {snap['time']:.4g} s, bend at {bend_factor(model, snap['time']):.3g} of its amplitude")
    return solution, stresses, {"index": index, "description":
                                f"cycle {last}, {when}, T = {snap['temperature']:.1f} degC"}


LIFE_LAWS = ("darveaux", "engelmaier", "energy")
#: which life is the headline one when a solder has several: Darveaux (initiation and growth),
#: then the energy law, then Engelmaier
HEADLINE_ORDER = ("darveaux", "energy", "engelmaier")
DAMAGE = ("dW", "eps_in_accumulated", "eps_in_range", "shear_strain_range")


def cycle_metrics(analysis) -> dict:
    """Damage inputs and lives of the last cycle per group; ``critical.*`` of the worse layer.
    ``*.in_calibration`` is 1 when the headline law's basis matches this run, else 0."""
    out = {}
    fatigue = analysis.summary.get("fatigue", {})
    for group, entry in fatigue.items():
        for key in DAMAGE:
            out[f"{group}.{key}"] = entry[key]
        for law in LIFE_LAWS:
            if law in entry:
                out[f"{group}.N_{law}"] = entry[law]["N_failure"]
                out[f"{group}.{law}_in_calibration"] = float(entry[law]["in_calibration"])
        out[f"{group}.stabilised"] = float(entry["stabilised"])
    layers = [g for g in ("pad_layer", "land_layer") if f"{g}.dW" in out]
    if layers:
        worst = max(layers, key=lambda g: out[f"{g}.dW"])
        for key in DAMAGE:
            out[f"critical.{key}"] = out[f"{worst}.{key}"]
        for law in LIFE_LAWS:
            lives = [out[f"{g}.N_{law}"] for g in layers if f"{g}.N_{law}" in out]
            if lives:
                out[f"critical.N_{law}"] = min(lives)
        life = headline_life({"fatigue": fatigue})
        if life is not None:
            out["critical.life"] = life["N_failure"]
            out["critical.in_calibration"] = float(life["in_calibration"])
    return out


def headline_life(record: dict) -> dict | None:
    """The life behind ``critical.life``: law, value and basis, from the worse layer."""
    fatigue = record.get("fatigue", {})
    layers = [g for g in ("pad_layer", "land_layer") if g in fatigue]
    for law in HEADLINE_ORDER:
        entries = [(fatigue[g][law]["N_failure"], g) for g in layers if law in fatigue[g]]
        if entries:
            life, group = min(entries)
            return {"group": group, "law_key": law, **fatigue[group][law]}
    return None


def stress_metrics(model, solution, stresses, zoom, joint_x_range=None) -> dict:
    from fea import elasticity
    from fea.post import interpolate_element_nodes, invariants

    out = {}
    for region, row in stresses.region_summary().items():
        for k, v in row.items():
            out[f"region.{region}.{k}"] = v
    mesh = model.mesh
    weight = solution.basis.dx * elasticity.volume_weight(solution.quad_points[0], solution.axisymmetric)
    quad = stresses.quadrature
    inv_q = invariants(quad)
    inv_n = invariants(stresses.nodal)
    centroid = mesh.mesh.p[:, mesh.mesh.t].mean(axis=1)
    if zoom is not None:
        x0, x1, y0, y1 = zoom
        in_zoom = (centroid[0] >= x0) & (centroid[0] <= x1) & (centroid[1] >= y0) & (centroid[1] <= y1)
        for region, elements in mesh.regions.items():
            e = elements[in_zoom[elements]]
            if e.size == 0:
                continue
            w = weight[e]
            out[f"zone.{region}.von_mises_max"] = inv_n["von_mises"][e].max()
            out[f"zone.{region}.max_principal_max"] = inv_n["max_principal"][e].max()
            out[f"zone.{region}.min_principal_min"] = inv_n["min_principal"][e].min()
            out[f"zone.{region}.von_mises_mean"] = (inv_q["von_mises"][e] * w).sum() / w.sum()
            out[f"zone.{region}.max_principal_mean"] = (inv_q["max_principal"][e] * w).sum() / w.sum()
    if joint_x_range is not None and "solder" in mesh.regions:
        e = mesh.regions["solder"]
        e = e[(centroid[0, e] >= joint_x_range[0]) & (centroid[0, e] <= joint_x_range[1])]
        w = weight[e]
        out["outer_joint.von_mises_max"] = inv_n["von_mises"][e].max()
        out["outer_joint.von_mises_mean"] = (inv_q["von_mises"][e] * w).sum() / w.sum()
        out["outer_joint.max_principal_max"] = inv_n["max_principal"][e].max()
    element_nodes = stresses.element_nodes
    u_nodes = solution.u.reshape(-1, 2)[element_nodes].transpose(2, 1, 0)   # (2, nel, 6)
    xq = solution.quad_points
    for probe in getattr(model, "probes", []):
        at = np.array(probe.at, dtype=float)[:, None]
        for k, v in stresses.at(at, probe.region).items():
            out[f"probe.{probe.name}.{k}"] = float(v[0])
        u = interpolate_element_nodes(solution, u_nodes, at, probe.region)
        out[f"probe.{probe.name}.ux"], out[f"probe.{probe.name}.uy"] = float(u[0, 0]), float(u[1, 0])
        radius = getattr(probe, "radius", None) or AVERAGE_RADIUS
        averages = disk_average(mesh, xq, weight, inv_q, probe.at, radius, probe.region)
        out.update({f"probe_avg.{probe.name}.{name}": v for name, v in averages.items()})
        if averages:
            out[f"probe_avg.{probe.name}.radius_um"] = float(radius)
    if "bottom" in mesh.curves:
        out["warpage_um"] = warpage(solution.u[surface(mesh, "bottom")[1]])[1]   # the coplanarity
    return out


def disk_average(mesh, xq, weight, quadrature_fields: dict, at, radius: float, region=None) -> dict:
    """Volume averages of ``max_principal``, ``von_mises`` and ``min_principal`` over the quadrature
    points of ``region`` (all regions if None) within ``radius`` um of ``at``: a corner measure that
    converges under refinement where the nodal value there does not. A mesh too coarse to put a
    quadrature point inside the disk averages over the nearest element instead and says so
    (``resolved`` 0): the mesh-convergence table then shows the measure settling as it refines.
    xq: (2, nel, nq) quadrature points; weight: (nel, nq) volume weights."""
    elements = mesh.regions[region] if region else np.arange(mesh.n_elements)
    distance = np.hypot(xq[0, elements] - at[0], xq[1, elements] - at[1])
    near = distance <= radius
    resolved = bool(near.any())
    if not resolved:
        near = np.zeros_like(near)
        near[np.argmin(distance.mean(axis=1))] = True
    w = weight[elements][near]
    averages = {name: float((quadrature_fields[name][elements][near] * w).sum() / w.sum())
                for name in ("max_principal", "von_mises", "min_principal")}
    return {**averages, "resolved": float(resolved)}


def interface_curves(stresses, zoom) -> dict:
    """Peel and shear traction along every interface, the facets whose middle node lies inside the
    detail window. ``weight``: each node's share of the arc length (Simpson's rule on each P2 facet),
    so that sum(weight * f) integrates f along the interface."""
    if zoom is None:
        return {}
    x0, x1, y0, y1 = zoom
    mesh = stresses.solution.model.mesh
    curves = {}
    for name in mesh.curves:
        if "/" not in name:
            continue
        try:
            t = stresses.traction(name)
        except InputError:
            continue
        # traction() lists the nodes facet by facet: (end, middle, end)
        x, y = t["x"].reshape(-1, 3), t["y"].reshape(-1, 3)
        inside = (x[:, 1] >= x0) & (x[:, 1] <= x1) & (y[:, 1] >= y0) & (y[:, 1] <= y1)
        if not inside.any():
            continue
        keep = np.repeat(inside, 3)
        segment = np.repeat(window_segments(t["chain"][::3], inside), 3)[keep]
        s = t["s"][keep]
        starts = {k: s[segment == k].min() for k in np.unique(segment)}
        curves[name] = {"x": t["x"][keep], "y": t["y"][keep], "s": s - np.vectorize(starts.get)(segment),
                        "segment": segment.astype(float), "end": t["end"][keep],
                        "peel": t["normal"][keep], "shear": t["shear"][keep],
                        "weight": simpson_weights(x[inside], y[inside])}
    return curves


def window_segments(chain: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """Segment index of every facet (numbered over the facets inside the window): a new segment
    starts where the curve has a gap (a new chain) or where it left the window and came back."""
    new = np.ones(chain.size, dtype=bool)
    new[1:] = (chain[1:] != chain[:-1]) | ~inside[:-1]
    return np.cumsum(new & inside) - 1


def simpson_weights(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Arc-length quadrature weights of the (end, middle, end) nodes of P2 facets, (nf, 3) -> (3 nf,):
    Simpson's rule, L/6, 4L/6, L/6, with L the two chords' length (the facets are straight)."""
    length = np.hypot(np.diff(x, axis=1), np.diff(y, axis=1)).sum(axis=1)
    return (length[:, None] * np.array([1.0, 4.0, 1.0]) / 6.0).ravel()


def interface_metrics(curve: dict) -> dict:
    """Mesh-independent measures of the peel along one interface segment (resultants and means over
    stated lengths) and, for information only, its nodal extremes, which grow with refinement at a
    singular corner."""
    peel, shear, w = curve["peel"], curve["shear"], curve["weight"]
    return {"peel_force": float(np.sum(w * peel)),
            "peel_tensile_force": float(np.sum(w * np.maximum(peel, 0.0))),
            "peel_mean": float(np.sum(w * peel) / np.sum(w)),
            "peel_max": float(np.max(peel)), "peel_min": float(np.min(peel)),
            "shear_absmax": float(np.max(np.abs(shear)))}


def hysteresis(analysis) -> dict:
    if analysis.cycling is None:
        return {}
    keep = ("pad_layer", "land_layer", "joint")
    out = {}
    for group, series in analysis.summary.get("hysteresis", {}).items():
        if group in keep:
            out[group] = {k: np.round(np.asarray(v, dtype=float), 8).tolist() for k, v in series.items()}
    return out


def plotted_fields(model, analysis, stresses, state) -> dict[str, np.ndarray]:
    """Element-node fields of the plotted state: stresses and invariants, and for cycled runs the
    inelastic strain, eps_eq_in and w_in of that snapshot."""
    from studies.analysis import snapshot_fields
    if analysis.cycling is None:
        return stresses.nodal_fields()
    return snapshot_fields(model, analysis.cycling, state["index"], stresses.element_nodes)


def zoomed_fields(model, solution, element_nodes, nodal: dict, zoom) -> bytes:
    """Region-split linear sub-triangles and nodal fields inside (a margin around) the window."""
    from fea.export import P2_SUBTRIANGLES, region_split_mesh

    mesh = model.mesh
    points, cells, source = region_split_mesh(mesh, element_nodes)
    centroid = mesh.mesh.p[:, mesh.mesh.t].mean(axis=1)
    keep = np.arange(mesh.n_elements)
    if zoom is not None:
        x0, x1, y0, y1 = zoom
        mx, my = 0.15 * (x1 - x0), 0.15 * (y1 - y0)
        keep = np.flatnonzero((centroid[0] >= x0 - mx) & (centroid[0] <= x1 + mx)
                              & (centroid[1] >= y0 - my) & (centroid[1] <= y1 + my))
    triangles = cells[keep][:, P2_SUBTRIANGLES].reshape(-1, 3)
    used, triangles = np.unique(triangles, return_inverse=True)
    triangles = triangles.reshape(-1, 3)
    arrays = {"points": points[used], "triangles": triangles.astype(np.int32),
              "region": np.repeat(mesh.region_of_element[keep], 4).astype(np.int16),
              "region_names": np.array(list(mesh.regions)),
              "displacement": solution.u.reshape(-1, 2)[source[used]]}
    for name, values in nodal.items():
        field_values = np.empty(len(points))
        field_values[cells.ravel()] = values.ravel()
        arrays[name] = field_values[used].astype(np.float32)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def state_vtu(model, solution, element_nodes, nodal: dict) -> bytes:
    from fea.export import write_fields_vtu

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "result.vtu"
        write_fields_vtu(path, model.mesh, element_nodes, solution.u, nodal)
        return path.read_bytes()
