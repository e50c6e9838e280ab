"""Verification cases against closed-form solutions (``pkgrel verify`` and the tests).

Every case builds its own gmsh mesh, solves it with pkgrel and returns rows of
(case, quantity, reference, pkgrel, relative error, tolerance).

References
----------
- S. Timoshenko, "Analysis of bi-metal thermostats", J. Opt. Soc. Am. 11 (1925) 233-255:
  curvature of a bimetal strip; plane strain uses E' = E/(1-nu^2), alpha' = (1+nu) alpha.
- Lame solution of concentric cylinders (e.g. Timoshenko & Goodier, Theory of Elasticity,
  3rd ed., sec. 28 and 150): a copper post in a polyimide sleeve under a uniform dT.
- Cantilever tip stiffness F/d = 3 E I / L^3 (seed 002, "F = 3 Y I d / L^3"), with the
  Timoshenko shear term d = F L^3 / (3 E I) + F L / (kappa G A), kappa = 5/6 for a rectangle.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass

import numpy as np

from fea.mesh import Mesh, read_msh
from fea.elasticity import out_of_plane
from fea.model import Model
from fea.thermoelastic import solve

# copper post / polyimide / silicon-like properties (MPa, 1/K) used only as test inputs
COPPER = dict(E=117000.0, nu=0.34, alpha=17.0e-6)
POLYIMIDE = dict(E=3300.0, nu=0.34, alpha=35.0e-6)
SILICON = dict(E=130000.0, nu=0.28, alpha=2.6e-6)
DELTA_T = -100.0  # cool-down by 100 K from the stress-free state


@dataclass(frozen=True)
class Check:
    case: str
    quantity: str
    reference: float
    computed: float
    tolerance: float

    @property
    def error(self) -> float:
        return abs(self.computed - self.reference) / abs(self.reference)

    @property
    def passed(self) -> bool:
        return self.error <= self.tolerance


def isotropic(label: str, E: float, nu: float, alpha: float, stress_free: float = 0.0):
    """An inline material as a model file would give it."""
    import materials

    return materials.from_inline(label, {"E": E, "nu": nu, "alpha": alpha,
                                         "alpha_ref": stress_free, "stress_free": stress_free})


# ----------------------------------------------------------------------------- meshing helper

def gmsh_model(build, size: float, name: str = "verification", save_as=None, min_size: float | None = None) -> Mesh:
    """Run ``build(gmsh)`` (which adds OCC geometry and physical groups), mesh it with
    quadratic triangles of target size ``size`` and return the Mesh; ``save_as`` keeps
    the .msh file. ``min_size``: sizes down to it where ``build`` set a mesh-size field."""
    import gmsh

    gmsh.initialize(interruptible=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.model.add(name)
        build(gmsh)
        gmsh.model.occ.synchronize()
        gmsh.option.setNumber("Mesh.MeshSizeMin", size if min_size is None else min_size)
        gmsh.option.setNumber("Mesh.MeshSizeMax", size)
        gmsh.option.setNumber("Mesh.ElementOrder", 2)
        gmsh.option.setNumber("Mesh.SaveAll", 0)
        gmsh.model.mesh.generate(2)
        if save_as is not None:
            gmsh.write(str(save_as))
            return read_msh(save_as)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, f"{name}.msh")
            gmsh.write(path)
            return read_msh(path)
    finally:
        gmsh.finalize()


def _physical(gmsh, dim: int, tags, name: str):
    gmsh.model.addPhysicalGroup(dim, list(tags), name=name)


def curves_at(gmsh, xmin, ymin, xmax, ymax, eps=1e-7):
    return [t for _, t in gmsh.model.getEntitiesInBoundingBox(xmin - eps, ymin - eps, -eps,
                                                              xmax + eps, ymax + eps, eps, dim=1)]


# ----------------------------------------------------------------------------- bimetal strip

def timoshenko_curvature(E1, nu1, a1, t1, E2, nu2, a2, t2, dT, plane_strain=True):
    """Curvature of a free bimetal strip (layer 1 below layer 2) heated by dT."""
    if plane_strain:
        E1, a1 = E1 / (1 - nu1 ** 2), (1 + nu1) * a1
        E2, a2 = E2 / (1 - nu2 ** 2), (1 + nu2) * a2
    m, n, h = t1 / t2, E1 / E2, t1 + t2
    return (6 * (a2 - a1) * dT * (1 + m) ** 2
            / (h * (3 * (1 + m) ** 2 + (1 + m * n) * (m ** 2 + 1 / (m * n)))))


def bimetal_strip(size_factor: float = 1.0) -> list[Check]:
    """Half of a silicon/copper strip, symmetric at x = 0, cooled by 100 K (plane strain)."""
    t_si, t_cu, half_length = 1.0, 0.5, 40.0
    size = 0.25 * size_factor

    def build(gmsh):
        occ = gmsh.model.occ
        si = occ.addRectangle(0, 0, 0, half_length, t_si)
        cu = occ.addRectangle(0, t_si, 0, half_length, t_cu)
        occ.fragment([(2, si)], [(2, cu)])
        occ.addPoint(0, 0, 0)
        occ.synchronize()
        occ.fragment(gmsh.model.getEntities(2), [(0, p) for _, p in gmsh.model.getEntities(0)])
        occ.synchronize()
        _physical(gmsh, 2, [e for _, e in gmsh.model.getEntitiesInBoundingBox(-1, -1e-6, -1, 1e9, t_si + 1e-6, 1, 2)], "si")
        _physical(gmsh, 2, [e for _, e in gmsh.model.getEntitiesInBoundingBox(-1, t_si - 1e-6, -1, 1e9, 1e9, 1, 2)], "cu")
        _physical(gmsh, 1, curves_at(gmsh, 0, 0, 0, t_si + t_cu), "symmetry")
        _physical(gmsh, 1, curves_at(gmsh, 0, 0, half_length, 0), "bottom")
        origin = [t for _, t in gmsh.model.getEntitiesInBoundingBox(-1e-7, -1e-7, -1e-7, 1e-7, 1e-7, 1e-7, 0)]
        _physical(gmsh, 0, origin, "origin")

    mesh = gmsh_model(build, size, "bimetal")
    model = Model(mesh, "plane_strain",
                            {"si": isotropic("si", **SILICON), "cu": isotropic("cu", **COPPER)},
                            temperature=DELTA_T, fixed=[("symmetry", "x"), ("origin", "y")])
    solution = solve(model)
    # curvature of the bottom line away from the free end: v = v0 + kappa x^2 / 2
    facets = mesh.curves["bottom"]
    from fea.thermoelastic import curve_nodes
    nodes = curve_nodes(mesh, facets)
    x = mesh.mesh.doflocs[0, nodes]
    v = solution.u[2 * nodes + 1]
    central = x < half_length - 8 * (t_si + t_cu)
    coefficients = np.polyfit(x[central], v[central], 2)
    kappa = 2 * coefficients[0]
    # Timoshenko's curvature is positive when the top layer ends up on the convex side, which
    # is v'' < 0 here: compare v'' with its negative
    reference = -timoshenko_curvature(SILICON["E"], SILICON["nu"], SILICON["alpha"], t_si,
                                      COPPER["E"], COPPER["nu"], COPPER["alpha"], t_cu, DELTA_T)
    return [Check("bimetal strip (plane strain)", "curvature 1/um", reference, kappa, 0.005)]


# ----------------------------------------------------------------------------- Lame cylinders

def lame_post_in_sleeve(post: dict, sleeve: dict, a: float, b: float, dT: float, mode: str):
    """Closed-form concentric cylinders: post 0<r<a, sleeve a<r<b, free outer surface.

    mode: plane_strain (eps_zz = 0), generalized_plane_strain (eps_zz = eps0 with zero axial
    force) or plane_stress (sigma_zz = 0). Returns a dict with the interface pressure, the
    constants of u = A r + B / r in each layer and eps0.
    """
    def props(m):
        E, nu = m["E"], m["nu"]
        lam, mu = E * nu / ((1 + nu) * (1 - 2 * nu)), E / (2 * (1 + nu))
        eth = m["alpha"] * dT
        if mode == "plane_stress":
            lam_ps = 2 * lam * mu / (lam + 2 * mu)
            return lam_ps, mu, (2 * lam_ps + 2 * mu) * eth, lam, eth
        return lam, mu, (3 * lam + 2 * mu) * eth, lam, eth

    l1, m1, th1, _, _ = props(post)
    l2, m2, th2, _, _ = props(sleeve)
    gps = mode == "generalized_plane_strain"
    # unknowns: A1, A2, B2 (+ eps0); sigma_rr = 2 (l + m) A - 2 m B / r^2 + l eps0 - th
    n = 4 if gps else 3
    M = np.zeros((n, n))
    rhs = np.zeros(n)
    M[0, :3] = [a, -a, -1 / a]                                   # u continuous at a
    M[1, :3] = [2 * (l1 + m1), -2 * (l2 + m2), 2 * m2 / a ** 2]  # sigma_rr continuous at a
    rhs[1] = th1 - th2
    M[2, :3] = [0, 2 * (l2 + m2), -2 * m2 / b ** 2]              # sigma_rr(b) = 0
    rhs[2] = th2
    if gps:
        M[1, 3] = l1 - l2
        M[2, 3] = l2
        # zero axial force: sum over layers of area * (2 l A + (l + 2 m) eps0 - th)
        area1, area2 = np.pi * a ** 2, np.pi * (b ** 2 - a ** 2)
        M[3] = [area1 * 2 * l1, area2 * 2 * l2, 0, area1 * (l1 + 2 * m1) + area2 * (l2 + 2 * m2)]
        rhs[3] = area1 * th1 + area2 * th2
    c = np.linalg.solve(M, rhs)
    eps0 = c[3] if gps else 0.0
    pressure = -(2 * (l1 + m1) * c[0] + l1 * eps0 - th1)
    return {"pressure": pressure, "A1": c[0], "A2": c[1], "B2": c[2], "eps0": eps0}


POST_RADIUS, SLEEVE_RADIUS = 10.0, 40.0


def _quarter_disk(gmsh):
    occ = gmsh.model.occ
    post = occ.addDisk(0, 0, 0, POST_RADIUS, POST_RADIUS)
    sleeve = occ.addDisk(0, 0, 0, SLEEVE_RADIUS, SLEEVE_RADIUS)
    box = occ.addRectangle(0, 0, 0, 2 * SLEEVE_RADIUS, 2 * SLEEVE_RADIUS)
    occ.intersect([(2, sleeve)], [(2, box)], removeTool=False)
    occ.intersect([(2, post)], [(2, box)])
    occ.synchronize()
    occ.fragment(gmsh.model.getEntities(2), [])
    occ.synchronize()
    small = [e for _, e in gmsh.model.getEntitiesInBoundingBox(-1, -1, -1, POST_RADIUS + 1e-6,
                                                                POST_RADIUS + 1e-6, 1, 2)]
    large = [e for _, e in gmsh.model.getEntities(2) if e not in small]
    _physical(gmsh, 2, small, "post")
    _physical(gmsh, 2, large, "polymer")
    _physical(gmsh, 1, curves_at(gmsh, 0, 0, 0, SLEEVE_RADIUS), "symmetry_x")
    _physical(gmsh, 1, curves_at(gmsh, 0, 0, SLEEVE_RADIUS, 0), "symmetry_y")
    interface = [t for t in curves_at(gmsh, 0, 0, POST_RADIUS, POST_RADIUS)
                 if t not in curves_at(gmsh, 0, 0, 0, SLEEVE_RADIUS) + curves_at(gmsh, 0, 0, SLEEVE_RADIUS, 0)]
    _physical(gmsh, 1, interface, "post/polymer")


def _axisymmetric_cylinder(gmsh):
    occ = gmsh.model.occ
    height = 10.0
    post = occ.addRectangle(0, 0, 0, POST_RADIUS, height)
    sleeve = occ.addRectangle(POST_RADIUS, 0, 0, SLEEVE_RADIUS - POST_RADIUS, height)
    occ.fragment([(2, post)], [(2, sleeve)])
    occ.synchronize()
    _physical(gmsh, 2, [post], "post")
    _physical(gmsh, 2, [sleeve], "polymer")
    _physical(gmsh, 1, curves_at(gmsh, 0, 0, SLEEVE_RADIUS, 0), "bottom")
    _physical(gmsh, 1, curves_at(gmsh, 0, height, SLEEVE_RADIUS, height), "top")
    _physical(gmsh, 1, curves_at(gmsh, 0, 0, 0, height), "axis")


def composite_cylinder(mode: str, size_factor: float = 1.0, return_solution: bool = False):
    """Post-in-sleeve interface pressure, axisymmetric or planar quarter disk."""
    size = 2.0 * size_factor
    post = isotropic("post", **COPPER)
    polymer = isotropic("polymer", **POLYIMIDE)
    if mode == "axisymmetric":
        mesh = gmsh_model(_axisymmetric_cylinder, size, "cylinder_axi")
        # top and bottom held in z: eps_zz = 0, the plane-strain Lame problem
        fixed = [("bottom", "y"), ("top", "y")]
        reference_mode = "plane_strain"
    else:
        mesh = gmsh_model(_quarter_disk, size, "cylinder_disk")
        fixed = [("symmetry_x", "x"), ("symmetry_y", "y")]
        reference_mode = mode
    model = Model(mesh, mode, {"post": post, "polymer": polymer},
                            temperature=DELTA_T, fixed=fixed)
    solution = solve(model)
    from fea.post import Stresses
    stresses = Stresses(solution)
    radial = "rr" if mode == "axisymmetric" else "xx"
    # inside the post the stress is uniform: sigma_rr = sigma_tt = -p
    computed = -stresses.region_mean("post", radial)
    reference = lame_post_in_sleeve(COPPER, POLYIMIDE, POST_RADIUS, SLEEVE_RADIUS, DELTA_T,
                                    reference_mode)
    checks = [Check(f"composite cylinder ({mode})", "interface pressure MPa",
                    reference["pressure"], computed, 0.01)]
    if mode == "generalized_plane_strain":
        checks.append(Check("composite cylinder (generalized_plane_strain)", "out-of-plane strain",
                            reference["eps0"], solution.eps0, 0.01))
    if return_solution:
        return checks, solution, reference
    return checks


def displacement_l2_error(size_factor: float) -> tuple[float, float]:
    """L2 norm of the displacement error of the plane-strain quarter disk, and the mesh size."""
    checks, solution, ref = composite_cylinder("plane_strain", size_factor, return_solution=True)
    x, y = solution.quad_points
    r = np.hypot(x, y)
    region = solution.model.mesh.region_of_element
    post = (region == list(solution.model.mesh.regions).index("post"))[:, None]
    u_r = np.where(post, ref["A1"] * r, ref["A2"] * r + ref["B2"] / r)
    exact = np.array([u_r * x / r, u_r * y / r])
    uh = np.asarray(solution.basis.interpolate(solution.u))
    error = np.sqrt(np.sum(((uh - exact) ** 2).sum(axis=0) * solution.basis.dx))
    norm = np.sqrt(np.sum((exact ** 2).sum(axis=0) * solution.basis.dx))
    return error / norm, 2.0 * size_factor


def mesh_convergence(size_factors=(2.0, 1.0, 0.5)) -> list[Check]:
    """The L2 displacement error of quadratic elements falls as h^3."""
    errors, sizes = zip(*(displacement_l2_error(f) for f in size_factors))
    rate = np.polyfit(np.log(sizes), np.log(errors), 1)[0]
    # 10 % below the asymptotic rate 3 allows for pre-asymptotic meshes
    return [Check("mesh convergence (P2, L2 displacement)", "convergence rate", 3.0, rate, 0.10)]


# ----------------------------------------------------------------------------- cantilever post

def cantilever(length_over_width: float, size_factor: float = 1.0) -> tuple[float, float, float]:
    """Plane-stress post clamped at its root, loaded by a shear traction on its tip.

    Returns (computed stiffness, Euler-Bernoulli 3EI/L^3, Timoshenko shear-corrected)."""
    width = 10.0
    length = width * length_over_width
    E, nu = COPPER["E"], COPPER["nu"]

    def build(gmsh):
        occ = gmsh.model.occ
        post = occ.addRectangle(0, 0, 0, width, length)
        occ.synchronize()
        _physical(gmsh, 2, [post], "post")
        _physical(gmsh, 1, curves_at(gmsh, 0, 0, width, 0), "bottom")
        _physical(gmsh, 1, curves_at(gmsh, 0, length, width, length), "top")

    mesh = gmsh_model(build, width / 6 * size_factor, "cantilever")
    traction = 1.0  # MPa shear on the tip face, force per unit thickness F = traction * width
    model = Model(mesh, "plane_stress", {"post": isotropic("post", E, nu, 0.0)},
                            temperature=0.0, fixed=[("bottom", "x"), ("bottom", "y")],
                            tractions=[("top", (traction, 0.0))])
    solution = solve(model)
    from fea.thermoelastic import curve_nodes
    tip = curve_nodes(mesh, mesh.curves["top"])
    tip_x = mesh.mesh.doflocs[0, tip]
    deflection = np.interp(width / 2, *zip(*sorted(zip(tip_x, solution.u[2 * tip]))))
    force = traction * width
    inertia = width ** 3 / 12  # unit thickness
    bending = 3 * E * inertia / length ** 3
    shear_modulus = E / (2 * (1 + nu))
    timoshenko = 1 / (1 / bending + length / (5 / 6 * shear_modulus * width))
    return force / deflection, bending, timoshenko


def cantilever_checks() -> list[Check]:
    slender, bending, _ = cantilever(20.0)
    stubby, _, timoshenko = cantilever(3.0)
    return [
        Check("slender post L/w = 20 (plane stress)", "tip stiffness 3EI/L^3 N/um", bending, slender, 0.02),
        # a fully clamped 2D root also stops the warping that beam theory lets free; at L/w = 3
        # this stiffens the post by about 1 % (Timoshenko & Goodier sec. 21), hence 2 %
        Check("stubby post L/w = 3, shear-corrected", "tip stiffness N/um", timoshenko, stubby, 0.02),
    ]


# ----------------------------------------------------------------------------- Bauschinger

def shear_cycle(law, E: float, nu: float, gamma_max: float, steps: int = 100, T: float = 25.0):
    """Engineering shear strain 0 -> gamma_max -> -gamma_max at one point of `law` (a
    `fea.constitutive` law), everything else held at zero strain: shear strains and stresses."""
    gammas = np.concatenate([np.linspace(0.0, gamma_max, steps + 1), np.linspace(gamma_max, -gamma_max, 2 * steps + 1)[1:]])
    state = law.initial_state(1)
    taus = [0.0]
    for gamma in gammas[1:]:
        stress, _, state = law.update(np.array([[0.0], [0.0], [0.0], [gamma]]), state, T, T, 1.0, E, nu)
        taus.append(float(stress[3, 0]))
    return gammas, np.array(taus)


def reverse_yield_in_shear(sigma_y: float, H_iso: float, H_kin: float, mu: float, gamma_max: float) -> tuple[float, float]:
    """Closed form of a J2 law with linear isotropic + kinematic hardening in pure shear: the
    forward shear stress at gamma_max and the shear stress at which reversed flow starts.

    In shear q = sqrt(3) tau and p = gamma_p / sqrt(3), so the forward branch is
    tau = (sigma_y + (H_iso + H_kin) p) / sqrt(3) with gamma = tau / mu + sqrt(3) p. The yield
    surface is centred on the back stress sqrt(3) alpha_12 = H_kin p with radius
    sigma_y + H_iso p: reverse yield is one diameter below the forward stress,
    tau_r = tau_f - 2 (sigma_y + H_iso p) / sqrt(3). Pure kinematic hardening keeps the
    diameter 2 sigma_y; isotropic hardening grows it, so the Bauschinger effect disappears."""
    H = H_iso + H_kin
    # gamma_max = tau_f / mu + sqrt(3) p and sqrt(3) tau_f = sigma_y + H p, solved for p
    p = (gamma_max - sigma_y / (np.sqrt(3) * mu)) / (H / (np.sqrt(3) * mu) + np.sqrt(3))
    tau_f = (sigma_y + H * p) / np.sqrt(3)
    return tau_f, tau_f - 2 * (sigma_y + H_iso * p) / np.sqrt(3)


def bauschinger_check(material: str = "cu", T: float = 25.0, gamma_max: float = 0.03) -> list[Check]:
    """The library's J2 law of `material` cycled in shear: the reverse yield stress, read off the
    computed curve as the intersection of the elastic unloading line with the reversed plastic
    branch, against the closed form. Linear hardening makes the radial return exact at any step,
    so 0.1 % is a loose bound on round-off; all-isotropic hardening would reverse at -tau_f,
    15 % of tau_f away for the library Cu at 3 % shear (2 H_kin p / sqrt(3))."""
    import materials

    m = materials.load_library().get(material)
    law = m.law(kind="plastic")
    E, nu = float(m.E(T)), float(m.nu(T))
    mu = E / (2 * (1 + nu))
    steps = 100
    gammas, taus = shear_cycle(law, E, nu, gamma_max, steps, T)
    tau_f = taus[steps]
    # elastic unloading line through the turning point; reversed plastic line through the last two points
    slope = (taus[-1] - taus[-2]) / (gammas[-1] - gammas[-2])
    gamma_r = (taus[-1] - slope * gammas[-1] - tau_f + mu * gamma_max) / (mu - slope)
    computed = tau_f - mu * (gamma_max - gamma_r)
    _, reference = reverse_yield_in_shear(float(law.yield_stress(T)), float(law.isotropic_modulus(T)),
                                          float(law.kinematic_modulus(T)), mu, gamma_max)
    return [Check(f"Bauschinger: library {material}, shear, {T:g} degC", "reverse yield tau MPa",
                  reference, computed, 0.001)]


def constrained_block(size: float = 2.5) -> Mesh:
    """A 20 x 10 um block with its sides named: held in x on both sides and in y at the bottom,
    in plane strain eps_11 = eps_33 = 0 and sigma_22 = 0, a homogeneous biaxial stress state."""
    def build(gmsh):
        occ = gmsh.model.occ
        block = occ.addRectangle(0, 0, 0, 20, 10)
        occ.synchronize()
        gmsh.model.addPhysicalGroup(2, [block], name="solder")
        for name, box in (("left", (0, 0, 0, 10)), ("right", (20, 0, 20, 10)), ("bottom", (0, 0, 20, 0))):
            gmsh.model.addPhysicalGroup(1, curves_at(gmsh, *box), name=name)
    return gmsh_model(build, size, "block")


def plastic_loop_check(E: float = 40000.0, nu: float = 0.35, alpha: float = 20e-6, yield_stress: float = 20.0) -> list[Check]:
    """The constrained block, elastic-perfectly plastic, through two JEDEC G cycles. Stress
    (sigma, 0, sigma) flows along (1, -2, 1): plastic strain (a, -2a, a), equivalent 2a. Each
    165 K swing relaxes 2 sigma_y, so a_range = alpha dT - 2 sigma_y (1 - nu) / E and the loop's
    equivalent inelastic strain range is 2 a_range (a cycle accumulates twice that)."""
    import materials
    from fea.cycling import Cycling, Solver
    from fea.load_history import jedec_history

    block = materials.from_inline("solder", {"E": E, "nu": nu, "alpha": alpha, "alpha_ref": 125.0, "stress_free": 125.0,
                                             "plastic": {"yield": yield_stress, "hardening": 0.0}})
    model = Model(constrained_block(), "plane_strain", {"solder": block},
                  fixed=[("left", "x"), ("right", "x"), ("bottom", "y")])
    cycle = Solver(Cycling(model, jedec_history("G", 2, 125.0, start=25.0))).run().cycles[-1]
    a_range = alpha * 165.0 - 2 * yield_stress * (1 - nu) / E
    return [Check("closed plastic loop (constrained block)", "inelastic strain range", 2 * a_range,
                  cycle["eps_in_range"]["solder"], 0.001),
            Check("closed plastic loop (constrained block)", "accumulated / range", 2.0,
                  cycle["eps_in_accumulated"]["solder"] / cycle["eps_in_range"]["solder"], 0.001)]


def all_checks(quick: bool = False) -> list[Check]:
    checks = bimetal_strip()
    for mode in ("axisymmetric", "plane_strain", "generalized_plane_strain", "plane_stress"):
        checks += composite_cylinder(mode)
    checks += cantilever_checks()
    checks += bauschinger_check()
    checks += plastic_loop_check()
    checks += bending_bimetal() + bending_bimetal(cycled=True)
    checks += process_bilayer() + warpage_strip()[0]
    from .board_bend import bare_board_checks
    checks += bare_board_checks()
    checks.append(viscoelastic_bilayer_check()[0])
    checks += time_step_checks("Norton Si/solder/FR-4 strip, default accuracy vs 16x smaller fixed steps",
                               norton_strip_problem())
    from .crack_verification import crack_checks
    checks += crack_checks()
    if not quick:
        checks += mesh_convergence()
    from fea.calculix import ccx_executable
    if ccx_executable() is not None:
        for analysis in ("axisymmetric", "plane_strain"):
            checks += calculix_comparison(analysis)
    return checks


# ----------------------------------------------------------------------------- bending slice

def timoshenko_beam(layers, dT: float) -> tuple[float, float]:
    """(eps at y = 0, curvature) of a free layered beam along z heated by dT: zero axial force and
    moment of sigma_zz = E_i (eps + k y - alpha_i dT) over layers (y0, y1, E, alpha) of one width."""
    M, rhs = np.zeros((2, 2)), np.zeros(2)
    for y0, y1, E, alpha in layers:
        moments = np.array([y1 - y0, (y1 ** 2 - y0 ** 2) / 2, (y1 ** 3 - y0 ** 3) / 3])
        M += E * np.array([moments[:2], moments[1:]])
        rhs += E * alpha * dT * moments[:2]
    strain, curvature = np.linalg.solve(M, rhs)
    return float(strain), float(curvature)


def bending_bimetal(nu: float = 0.3, cycled: bool = False) -> list[Check]:
    """A free Si / Cu bilayer cross-section (20 x 1.5 um, point supports only) in generalized plane
    strain with bending along x and y, cooled by 100 K: the slice of a long beam along z. With one
    Poisson's ratio the cross-section's in-plane stresses have zero resultant and moment, so the
    out-of-plane strain and curvature are Timoshenko's beam values exactly (with E, not E');
    ``cycled``: the same through a cycling run (elastic, cooled in one ramp)."""
    model = bending_bimetal_model(("x", "y"), nu)
    si, cu = dict(SILICON, nu=nu), dict(COPPER, nu=nu)
    t_si, t_cu = BIMETAL_LAYERS
    strain, curvature = timoshenko_beam([(0.0, t_si, si["E"], si["alpha"]), (t_si, t_si + t_cu, cu["E"], cu["alpha"])],
                                        DELTA_T)
    centre = out_of_plane(model).centre[1]
    if cycled:
        from dataclasses import replace

        from fea.cycling import Cycling, Solver
        u = Solver(Cycling(replace(model, load={"history": [[0.0, 0.0], [100.0, DELTA_T]]}))).run().u
        eps0, k_x, k_y = u[-3:]
        label = "bending slice, cycling run (generalized plane strain)"
    else:
        solution = solve(model)
        eps0, (k_x, k_y) = solution.eps0, solution.curvatures
        label = "bending slice (generalized plane strain)"
    return [Check(label, "out-of-plane strain at centroid", strain + curvature * centre, eps0, 0.005),
            Check(label, "curvature k_y 1/um", curvature, k_y, 0.005),
            # k_x = 0 by symmetry: its size against k_y, as an error of k_y
            Check(label, "k_y + |k_x| 1/um (k_x = 0)", curvature, k_y - abs(k_x) * np.sign(curvature), 1e-6)]


BIMETAL_LAYERS = (1.0, 0.5)   # um: Si below Cu


def process_bilayer(shrinkage: float = 1e-3) -> list[Check]:
    """A Cu layer formed at 150 degC (a process stage, with a cure shrinkage) on a free Si strip
    heated from its stress-free 0 degC, then cooled to 50 degC: the Si expanded freely before,
    so the slice's curvature is Timoshenko's over 150 -> 50 degC with the shrinkage as a free
    strain (exact for one Poisson's ratio, as `bending_bimetal`)."""
    from dataclasses import replace

    from fea.cycling import Cycling, Solver
    dT, (t_si, t_cu) = 50.0 - 150.0, BIMETAL_LAYERS
    load = {"history": [[0.0, 50.0], [10.0, 50.0]],
            "process": [{"stage": "wafer", "temperature": 0.0},
                        {"stage": "Cu deposition", "temperature": 150.0, "forms": ["cu"], "shrinkage": {"cu": shrinkage}}]}
    u = Solver(Cycling(replace(bending_bimetal_model(("x", "y")), load=load))).run().u
    si, cu = dict(SILICON, nu=0.3), dict(COPPER, nu=0.3)
    curvature = timoshenko_beam([(0.0, t_si, si["E"], si["alpha"]),
                                 (t_si, t_si + t_cu, cu["E"], cu["alpha"] - shrinkage / dT)], dT)[1]
    return [Check("layer formed in a process stage (element birth), cure shrinkage 0.1 %", "curvature k_y 1/um",
                  curvature, u[-1], 1e-4)]


def warpage_strip_model(half_length: float, size: float) -> Model:
    """Half of a free Si / Cu strip (x = 0 the symmetry plane, faces 'bottom') in plane strain,
    stress-free at 0 degC."""
    t_si, t_cu = BIMETAL_LAYERS

    def build(gmsh):
        rectangle_regions(gmsh, {"si": (0, 0, half_length, t_si), "cu": (0, t_si, half_length, t_cu)})
        _physical(gmsh, 1, curves_at(gmsh, 0, 0, 0, t_si + t_cu), "symmetry")
        _physical(gmsh, 1, curves_at(gmsh, 0, 0, half_length, 0), "bottom")
        origin = [t for _, t in gmsh.model.getEntitiesInBoundingBox(-1e-7, -1e-7, -1e-7, 1e-7, 1e-7, 1e-7, 0)]
        _physical(gmsh, 0, origin, "origin")

    return Model(gmsh_model(build, size, "warpage_strip"), "plane_strain",
                 {"si": isotropic("si", **SILICON), "cu": isotropic("cu", **COPPER)},
                 fixed=[("symmetry", "x"), ("origin", "y")])


def warpage_strip(length_over_thickness: float = 100.0):
    """A free Si / Cu strip cooled by 100 K in a cycling run with [load] warpage = "bottom": its
    face is w = w0 - kappa x^2 / 2 with Timoshenko's plane-strain curvature, so the signed
    warpage at the half length L is -kappa L^2 / 2; the free end's boundary layer (a few
    thicknesses) changes it by 1.2e-5 at L = 100 h. Returns the check and the run's warpage."""
    from dataclasses import replace

    from fea.cycling import Cycling, Solver
    t_si, t_cu = BIMETAL_LAYERS
    half_length = length_over_thickness * (t_si + t_cu)
    model = replace(warpage_strip_model(half_length, 0.5),
                    load={"history": [[0.0, 0.0], [100.0, -100.0]], "warpage": "bottom"})
    warpage = Solver(Cycling(model)).run().warpage
    kappa = timoshenko_curvature(SILICON["E"], SILICON["nu"], SILICON["alpha"], t_si,
                                 COPPER["E"], COPPER["nu"], COPPER["alpha"], t_cu, -100.0)
    return [Check("warpage of a free bimetal strip (plane strain, L = 100 h)", "signed warpage um",
                  -kappa * half_length ** 2 / 2, warpage["warpage_um"][-1], 1e-3)], warpage


def bending_bimetal_model(bending=("x", "y"), nu: float = 0.3) -> Model:
    """The free Si / Cu bilayer cross-section of `bending_bimetal`, cooled by 100 K."""
    width, (t_si, t_cu) = 20.0, BIMETAL_LAYERS
    si, cu = dict(SILICON, nu=nu), dict(COPPER, nu=nu)

    def build(gmsh):
        occ = gmsh.model.occ
        low, high = occ.addRectangle(-width / 2, 0, 0, width, t_si), occ.addRectangle(-width / 2, t_si, 0, width, t_cu)
        occ.fragment([(2, low)], [(2, high)])
        occ.synchronize()
        box = gmsh.model.getEntitiesInBoundingBox
        _physical(gmsh, 2, [e for _, e in box(-width, -1e-6, -1, width, t_si + 1e-6, 1, 2)], "si")
        _physical(gmsh, 2, [e for _, e in box(-width, t_si - 1e-6, -1, width, 9, 1, 2)], "cu")
        for name, x in (("left", -width / 2), ("right", width / 2)):
            _physical(gmsh, 0, [e for _, e in box(x - 1e-7, -1e-7, -1, x + 1e-7, 1e-7, 1, 0)], name)

    return Model(gmsh_model(build, 0.25, "bending_bimetal"), "generalized_plane_strain",
                 {"si": isotropic("si", **si), "cu": isotropic("cu", **cu)}, temperature=DELTA_T,
                 fixed=[("left", "x"), ("left", "y"), ("right", "y")], bending=tuple(bending))


# ----------------------------------------------------------------------------- viscoelastic bilayer

VE_LAYERS = (1.0, 0.5)        # um: compound below Si
VE_COOL = (175.0, 25.0)       # degC: stress-free (cure) and the hold
VE_MOLD = dict(E=24000.0, nu=0.3, alpha=9.0e-6)
VE_PRONY = ((0.3, 10.0), (0.4, 1000.0))


def viscoelastic_mold(prony=VE_PRONY, **overrides):
    """A viscoelastic compound stress-free at the cure temperature (Arrhenius shift, 150 degC
    reference, Q/R = 10000 K: relaxation times x 2e4 at 25 degC)."""
    import materials

    cure = VE_COOL[0]
    return materials.from_inline("mold", {**VE_MOLD, "alpha_ref": cure, "stress_free": cure, **overrides,
                                          "viscoelastic": {"prony": [list(p) for p in prony], "bulk": "same",
                                                           "shift": {"law": "arrhenius", "reference": 150.0,
                                                                     "Q_over_R": 10000.0}}})


def viscoelastic_bilayer_model(mold) -> Model:
    """Si on the compound, 20 um wide, free (point supports), generalized plane strain with bending
    along x and y, one Poisson's ratio (0.3), so the curvature is Timoshenko's beam value."""
    width, (t_mold, t_si) = 20.0, VE_LAYERS
    cure = VE_COOL[0]

    def build(gmsh):
        rectangle_regions(gmsh, {"mold": (-width / 2, 0, width, t_mold), "si": (-width / 2, t_mold, width, t_si)})
        box = gmsh.model.getEntitiesInBoundingBox
        for name, x in (("left", -width / 2), ("right", width / 2)):
            _physical(gmsh, 0, [e for _, e in box(x - 1e-7, -1e-7, -1, x + 1e-7, 1e-7, 1, 0)], name)

    si = isotropic("si", **dict(SILICON, nu=0.3), stress_free=cure)
    return Model(gmsh_model(build, 0.25, "viscoelastic_bilayer"), "generalized_plane_strain",
                 {"mold": mold, "si": si}, fixed=[("left", "x"), ("left", "y"), ("right", "y")], bending=("x", "y"))


def viscoelastic_bilayer_reference(E_mold: float) -> tuple[float, float]:
    """Timoshenko's (strain at y = 0, curvature) of the bilayer with the compound's modulus E_mold."""
    t_mold, t_si = VE_LAYERS
    return timoshenko_beam([(0.0, t_mold, E_mold, VE_MOLD["alpha"]),
                            (t_mold, t_mold + t_si, SILICON["E"], SILICON["alpha"])], VE_COOL[1] - VE_COOL[0])


def viscoelastic_bilayer_centre() -> float:
    t_mold, t_si = VE_LAYERS
    return (t_mold + t_si) / 2


def viscoelastic_bilayer_check(hold: float = 1e9) -> tuple[Check, float]:
    """The bilayer cooled from cure in 150 s and held ``hold`` s (5e4 times the longest relaxation
    time at 25 degC): the curvature against Timoshenko's with the long-term modulus E g_inf (the
    quasi-elastic limit of a linear viscoelastic solid under a constant load); also returns the
    curvature right after the cool-down (well above: the compound is still nearly glassy)."""
    from dataclasses import replace

    from fea.cycling import Cycling, Solver

    mold = viscoelastic_mold()
    g_inf = 1.0 - sum(g for g, _ in VE_PRONY)
    history = {"history": [[0.0, VE_COOL[0]], [150.0, VE_COOL[1]], [150.0 + hold, VE_COOL[1]]]}
    result = Solver(Cycling(replace(viscoelastic_bilayer_model(mold), load=history))).run()
    early = next(s for s in result.snapshots if s["time"] >= 150.0 - 1e-9)["curvatures"][1]
    _, curvature = viscoelastic_bilayer_reference(VE_MOLD["E"] * g_inf)
    return Check("viscoelastic Si on compound bilayer, long hold (generalized plane strain)",
                 "curvature k_y 1/um (long-term modulus)", curvature, float(result.u[-1]), 0.01), early


# ----------------------------------------------------------------------------- time steps

def refined_history(history, factor: int = 16):
    """The same history with fixed steps ``factor`` times smaller than its segments' own, by the
    error control's own BDF2 (no error control): the time-converged reference. Its error is about
    factor^-2 of BDF2's at the segments' steps; backward Euler's 16x smaller steps still miss the
    converged dW and inelastic strain by about 0.3 % (docs/verification.md#time-steps)."""
    from dataclasses import replace

    return replace(history, accuracy=None, second_order_fixed_steps=True,
                   segments=tuple(replace(s, steps=s.steps * factor) for s in history.segments))


def time_step_checks(label: str, model: Model, history=None, region: str = "solder",
                     tolerance: float = 0.01, factor: int = 16) -> list[Check]:
    """dW and the accumulated equivalent inelastic strain of ``region`` in the last cycle: the
    error-controlled run at the history's accuracy against fixed steps ``factor`` times smaller."""
    from fea.cycling import Cycling, Solver

    history = model.history() if history is None else history
    ours = Solver(Cycling(model, history)).run().cycles[-1]
    reference = Solver(Cycling(model, refined_history(history, factor))).run().cycles[-1]
    case = f"time steps: {label}"
    return [Check(case, f"dW per cycle MPa ({region})", reference["dW"][region], ours["dW"][region], tolerance),
            Check(case, f"d eps_in per cycle ({region})", reference["eps_in_accumulated"][region],
                  ours["eps_in_accumulated"][region], tolerance)]


def rectangle_regions(gmsh, rectangles: dict) -> None:
    """Named regions from rectangles {name: (x, y, width, height)}, fragmented into one conforming mesh."""
    occ = gmsh.model.occ
    tags = {name: occ.addRectangle(x, y, 0, w, h) for name, (x, y, w, h) in rectangles.items()}
    occ.fragment([(2, t) for t in tags.values()], [])
    occ.synchronize()
    for name, tag in tags.items():
        _physical(gmsh, 2, [tag], name)


def stress_free_at_125(label: str, table: dict):
    """An inline material stress-free (and CTE-referenced) at 125 degC."""
    import materials

    return materials.from_inline(label, {"alpha_ref": 125.0, "stress_free": 125.0, **table})


def norton_strip(gmsh):
    """Half of a free Si / solder / FR-4 strip (x = 0 the symmetry plane)."""
    rectangle_regions(gmsh, {"board": (0, 0, 1000, 200), "solder": (0, 200, 1000, 50), "die": (0, 250, 1000, 100)})
    _physical(gmsh, 1, curves_at(gmsh, 0, 0, 0, 350), "symmetry")
    corner = [t for _, t in gmsh.model.getEntitiesInBoundingBox(-1e-7, -1e-7, -1e-7, 1e-7, 1e-7, 1e-7, 0)]
    _physical(gmsh, 0, corner, "anchor")


def norton_strip_problem(size: float = 25.0) -> Model:
    """A user's first cycling case: a Si / solder / FR-4 strip in plane strain with Norton solder (A = 1e-12
    1/(s MPa^5), n = 5, Q = 0), stress-free at 125 degC, cooled to 25 degC and cycled once
    through -40 / 125 degC (JEDEC G) with 900 s ramps and dwells."""
    solder = dict(E=40000.0, nu=0.35, alpha=22e-6, creep={"law": "norton", "A": 1e-12, "n": 5.0, "Q": 0.0})
    mats = {"die": stress_free_at_125("die", SILICON), "solder": stress_free_at_125("solder", solder),
            "board": stress_free_at_125("board", dict(E=20000.0, nu=0.2, alpha=16e-6))}
    return Model(gmsh_model(norton_strip, size, "norton_strip"), "plane_strain", mats,
                 fixed=[("symmetry", "x"), ("anchor", "y")], load={"profile": "G", "cycles": 1})


# ----------------------------------------------------------------------------- CalculiX peer

def post_on_die(gmsh):
    """Copper post through a polyimide layer on a silicon die (x = r for axisymmetry)."""
    occ = gmsh.model.occ
    die = occ.addRectangle(0, 0, 0, 60, 20)
    polymer = occ.addRectangle(0, 20, 0, 60, 15)
    post = occ.addRectangle(0, 20, 0, 10, 25)
    occ.fragment([(2, die), (2, polymer)], [(2, post)])
    occ.synchronize()
    def surfaces_in(*box):
        return [t for _, t in gmsh.model.getEntitiesInBoundingBox(*box, dim=2)]
    _physical(gmsh, 2, surfaces_in(-1, -1, -1, 61, 20 + 1e-6, 1), "die")
    _physical(gmsh, 2, surfaces_in(10 - 1e-6, 20 - 1e-6, -1, 61, 35 + 1e-6, 1), "polymer")
    _physical(gmsh, 2, surfaces_in(-1, 20 - 1e-6, -1, 10 + 1e-6, 45 + 1e-6, 1), "post")
    _physical(gmsh, 1, curves_at(gmsh, 0, 0, 60, 0), "bottom")
    _physical(gmsh, 1, curves_at(gmsh, 0, 0, 0, 45), "axis")
    _physical(gmsh, 1, curves_at(gmsh, 0, 20, 10, 20), "die/post")


# probes inside the regions, at least 3 um from any corner or material boundary
PEER_PROBES = {"die_centre": (30.0, 8.0), "die_under_post": (5.0, 14.0), "post_stem": (5.0, 27.5),
               "post_top": (4.0, 40.0), "polymer_mid": (35.0, 27.5), "polymer_near_post": (16.0, 28.0)}


def peer_problem(analysis: str, size: float = 1.0, save_as=None) -> Model:
    mesh = gmsh_model(post_on_die, size, "post_on_die", save_as)
    materials = {"die": isotropic("die", **SILICON), "polymer": isotropic("polymer", **POLYIMIDE),
                 "post": isotropic("post", **COPPER)}
    fixed = [("bottom", "y")] + ([("axis", "x")] if analysis != "axisymmetric" else [])
    return Model(mesh, analysis, materials, temperature=DELTA_T,
                         stress_free_temperature=0.0, fixed=fixed)


def calculix_comparison(analysis: str, size: float = 1.0) -> list[Check]:
    """pkgrel against CalculiX on the same mesh: stresses at probes away from corners."""
    from fea.calculix import element_node_values, solve_with_ccx
    from fea.post import Stresses, interpolate_element_nodes
    from fea.small_strain import von_mises

    model = peer_problem(analysis, size)
    stresses = Stresses(solve(model))
    peer = solve_with_ccx(model)
    peer_nodal = element_node_values(model, peer.stress)
    points = np.array(list(PEER_PROBES.values())).T
    ours = interpolate_element_nodes(stresses.solution, stresses.nodal, points)
    theirs = interpolate_element_nodes(stresses.solution, peer_nodal, points)
    checks = []
    labels = stresses.labels
    for j, name in enumerate(PEER_PROBES):
        scale = von_mises(theirs[:, j])
        checks.append(Check(f"CalculiX {analysis}: {name}", "von Mises MPa", scale,
                            von_mises(ours[:, j]), 0.01))
        # components are compared relative to the probe's von Mises stress, so that a
        # component near zero does not turn round-off into a large relative error
        worst = int(np.argmax(np.abs(ours[:, j] - theirs[:, j])))
        offset = scale - theirs[worst, j]
        checks.append(Check(f"CalculiX {analysis}: {name}", f"worst s_{labels[worst]} (error / vM)",
                            theirs[worst, j] + offset, ours[worst, j] + offset, 0.01))
    return checks


# ----------------------------------------------------------------------------- cycling peer

def solder_joint(gmsh):
    """A round solder joint: silicon die, Cu pad, solder, Cu land, board (x = r)."""
    rectangle_regions(gmsh, {"die": (0, 0, 60, 20), "pad": (0, 20, 20, 5), "solder": (0, 25, 20, 20),
                             "land": (0, 45, 20, 5), "board": (0, 50, 60, 50)})
    _physical(gmsh, 1, curves_at(gmsh, 0, 0, 60, 0), "bottom")
    _physical(gmsh, 1, curves_at(gmsh, 0, 25, 20, 25), "pad/solder")


def solder_joint_problem(size: float = 2.0) -> Model:
    """Norton-creep solder between plastic copper pads (inline data shared with CalculiX)."""
    copper = dict(E=117000.0, nu=0.34, alpha=17e-6, plastic={"yield": 80.0, "hardening": 1000.0})
    solder = dict(E=40000.0, nu=0.35, alpha=22e-6, creep={"law": "norton", "A": 1e-10, "n": 3.0, "Q": 0.0})
    inline = stress_free_at_125
    mats = {"die": inline("die", SILICON), "board": inline("board", dict(E=20000.0, nu=0.2, alpha=16e-6)),
            "pad": inline("pad", copper), "land": inline("land", copper), "solder": inline("solder", solder)}
    return Model(gmsh_model(solder_joint, size, "solder_joint"), "axisymmetric", mats,
                         fixed=[("bottom", "y")])


def calculix_cycling_comparison(size: float = 2.0) -> list[Check]:
    """One JEDEC G cycle of the solder joint in pkgrel and in CalculiX (*VISCO with Norton
    *CREEP and *PLASTIC): cycle dW and equivalent inelastic strain of solder and pad."""
    import shutil
    import tempfile
    from pathlib import Path

    from fea.calculix import cycle_averages, inelastic_work, run_ccx, write_cycling_deck
    from fea.cycling import Cycling, Solver
    from fea.load_history import jedec_history

    model = solder_joint_problem(size)
    # 10 K steps: CalculiX's dW is sampled at pkgrel's step times, so both share this grid
    history = jedec_history("G", 1, 125.0, start=25.0, ramp_s=600.0, dwell_s=300.0, max_step_K=10.0,
                           accuracy=None)   # the deck's own steps: both programs on the same increments
    ours = Solver(Cycling(model, history)).run().cycles[0]
    t0, t1 = history.cycle_window(1)
    names = list(model.mesh.regions)
    workdir = Path(tempfile.mkdtemp(prefix="pkgrel-ccx-"))
    try:
        write_cycling_deck(model, history, workdir / "joint.inp", ["solder", "pad"], work_regions=("solder",))
        run_ccx(workdir / "joint.inp", threads=2)
        dat = workdir / "joint.dat"
        peer = {name: cycle_averages(dat, names.index(name), t0, t1) for name in ("solder", "pad")}
        peer_work = inelastic_work(dat, names.index("solder"), model.materials["solder"], history, t0, t1)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return [
        Check("CalculiX cycling: solder (Norton creep)", "dW per cycle MPa", peer_work, ours["dW"]["solder"], 0.05),
        Check("CalculiX cycling: solder (Norton creep)", "d eps_in per cycle", peer["solder"]["eps_in_accumulated"],
              ours["eps_in_accumulated"]["solder"], 0.05),
        Check("CalculiX cycling: Cu pad (plasticity)", "d eps_in per cycle", peer["pad"]["eps_in_accumulated"],
              ours["eps_in_accumulated"]["pad"], 0.05),
    ]
