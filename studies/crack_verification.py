"""Verification of interface-crack energy release rates and phase angles (`fea.crack`) against
closed forms, for ``pkgrel verify`` and the tests.

References
----------
- H. Tada, P. C. Paris, G. R. Irwin, The Stress Analysis of Cracks Handbook, 3rd ed. (2000):
  centre crack in a strip under tension, K = sigma sqrt(pi a) (1 - 0.025 l^2 + 0.06 l^4)
  sqrt(sec(pi l / 2)), l = a / b (0.1 % for any l, p. 2.1); single edge crack,
  K = sigma sqrt(pi a) F(a/W), F = sqrt(2 / (pi l) tan(pi l / 2)) (0.752 + 2.02 l + 0.37 (1 -
  sin(pi l / 2))^3) / cos(pi l / 2), l = a / W (0.5 % for any l, p. 2.10); both for a strip long
  against its width.
- J. R. Rice, G. C. Sih, J. Appl. Mech. 32 (1965) 418-423 and J. R. Rice, J. Appl. Mech. 55
  (1988) 98-103: a crack of length 2a on the interface of two half-planes under remote sigma_yy:
  K = sigma (1 + 2 i eps) sqrt(pi a) (2 a)^(-i eps), so psi at L = 2a is atan(2 eps).
- Z. Suo, J. W. Hutchinson, Int. J. Fract. 43 (1990) 1-18; Hutchinson & Suo, Adv. Appl. Mech.
  29 (1992): a film of thickness h with the mismatch stress sigma delaminating from its substrate
  reaches the steady state G_ss = (1 - nu^2) sigma^2 h / (2 E) (plane strain) once the crack is
  several h long.
G = K^2 / E' (E' = E / (1 - nu^2), plane strain) for a crack in one material and |K|^2 /
(E* cosh^2(pi eps)) on an interface.
"""
from __future__ import annotations

import numpy as np

from fea.crack import with_cracks
from fea.model import Crack, Model
from fea.thermoelastic import solve

from .verification import Check, curves_at, gmsh_model, isotropic

STIFF = dict(E=100000.0, nu=0.3, alpha=1e-6)
COMPLIANT = dict(E=10000.0, nu=0.3, alpha=1e-6)
SIGMA = 10.0   # MPa, remote tension


def plane_strain_modulus(E: float, nu: float) -> float:
    return E / (1 - nu ** 2)


def tada_centre_crack(a: float, b: float) -> float:
    """K / (sigma sqrt(pi a)) of a centre crack 2a in a strip of width 2b (Tada, 0.1 %)."""
    l = a / b
    return (1 - 0.025 * l ** 2 + 0.06 * l ** 4) * np.sqrt(1 / np.cos(np.pi * l / 2))


def tada_edge_crack(a: float, width: float) -> float:
    """K / (sigma sqrt(pi a)) of a single edge crack a in a strip of width W (Tada, 0.5 %)."""
    l = a / width
    angle = np.pi * l / 2
    return (np.sqrt(np.tan(angle) / angle) * (0.752 + 2.02 * l + 0.37 * (1 - np.sin(angle)) ** 3)
            / np.cos(angle))


def dundurs_eps(top: dict, bottom: dict) -> float:
    """Oscillation index of the plane-strain interface, material 1 on top."""
    def shear_and_kappa(m):
        return m["E"] / (2 * (1 + m["nu"])), 3 - 4 * m["nu"]
    (mu1, k1), (mu2, k2) = shear_and_kappa(top), shear_and_kappa(bottom)
    beta = (mu1 * (k2 - 1) - mu2 * (k1 - 1)) / (mu1 * (k2 + 1) + mu2 * (k1 + 1))
    return float(np.log((1 - beta) / (1 + beta)) / (2 * np.pi))


def rice_sih(a: float, top: dict, bottom: dict, sigma: float = SIGMA, L: float | None = None):
    """(G, psi in degrees at L, default 2a) of a crack 2a on a bimaterial interface under sigma_yy."""
    eps = dundurs_eps(top, bottom)
    L = 2 * a if L is None else L
    K = sigma * (1 + 2j * eps) * np.sqrt(np.pi * a) * (2 * a) ** (-1j * eps)
    E_star = 2 / (1 / plane_strain_modulus(top["E"], top["nu"]) + 1 / plane_strain_modulus(bottom["E"], bottom["nu"]))
    G = abs(K) ** 2 / (E_star * np.cosh(np.pi * eps) ** 2)
    return float(G), float(np.degrees(np.angle(K * L ** (1j * eps))))


# ----------------------------------------------------------------------------- meshes

def refine_near(gmsh, point: tuple[float, float], tip_size: float, far_size: float, radius: float) -> None:
    """A mesh-size field: ``tip_size`` within 4 tip sizes of ``point``, growing to ``far_size``
    at ``radius``."""
    field = gmsh.model.mesh.field
    tip = [t for _, t in gmsh.model.getEntitiesInBoundingBox(point[0] - 1e-7, point[1] - 1e-7, -1,
                                                              point[0] + 1e-7, point[1] + 1e-7, 1, 0)]
    distance = field.add("Distance")
    field.setNumbers(distance, "PointsList", tip)
    threshold = field.add("Threshold")
    field.setNumber(threshold, "InField", distance)
    field.setNumber(threshold, "SizeMin", tip_size)
    field.setNumber(threshold, "SizeMax", far_size)
    field.setNumber(threshold, "DistMin", 4 * tip_size)
    field.setNumber(threshold, "DistMax", radius)
    field.setAsBackgroundMesh(threshold)
    for option in ("Mesh.MeshSizeExtendFromBoundary", "Mesh.MeshSizeFromPoints", "Mesh.MeshSizeFromCurvature"):
        gmsh.option.setNumber(option, 0)


def cracked_strip(width: float, heights: tuple[float, float], tip: float, tip_size: float, far_size: float,
                  name: str, x0: float = 0.0):
    """Regions 'top' (0 < y < h_top) and 'bottom' (-h_bottom < y < 0) of a strip x0 < x < x0 + W,
    the interface 'top/bottom' with a vertex at x = tip; curves 'upper_edge', 'lower_edge', 'left',
    'right_upper' and 'right_lower' (the right edge above and below the interface); points
    'left_low' (x0, -h_bottom), 'right_low' (x0 + W, -h_bottom) and 'right_high' (x0 + W, h_top)."""
    high, low = heights
    left, right = x0, x0 + width

    def build(gmsh):
        occ = gmsh.model.occ
        top = occ.addRectangle(left, 0, 0, width, high)
        bottom = occ.addRectangle(left, -low, 0, width, low)
        occ.fragment([(2, top), (2, bottom)], [(0, occ.addPoint(tip, 0, 0))])
        occ.synchronize()
        box = gmsh.model.getEntitiesInBoundingBox
        gmsh.model.addPhysicalGroup(2, [t for _, t in box(left - 1, -1e-6, -1, right + 1, high + 1, 1, 2)], name="top")
        gmsh.model.addPhysicalGroup(2, [t for _, t in box(left - 1, -low - 1, -1, right + 1, 1e-6, 1, 2)], name="bottom")
        for label, xy in (("upper_edge", (left, high, right, high)), ("lower_edge", (left, -low, right, -low)),
                          ("left", (left, -low, left, high)), ("right_upper", (right, 0, right, high)),
                          ("right_lower", (right, -low, right, 0)), ("top/bottom", (left, 0, right, 0))):
            gmsh.model.addPhysicalGroup(1, curves_at(gmsh, *xy, eps=1e-5), name=label)
        for label, (x, y) in (("left_low", (left, -low)), ("right_low", (right, -low)), ("right_high", (right, high))):
            gmsh.model.addPhysicalGroup(0, [t for _, t in box(x - 1e-7, y - 1e-7, -1, x + 1e-7, y + 1e-7, 1, 0)], name=label)
        refine_near(gmsh, (tip, 0.0), tip_size, far_size, radius=0.5 * min(width, high, low))

    return gmsh_model(build, far_size, name, min_size=tip_size)


def compatible_stress(top: dict, bottom: dict, sigma: float = SIGMA) -> float:
    """sigma_xx in the bottom material (zero in the top) that makes both strain alike along the
    interface under sigma_yy = sigma (plane strain): the remote state of Rice & Sih's plane."""
    def poisson_strain(m):
        return m["nu"] * (1 + m["nu"]) * sigma / m["E"]
    return (poisson_strain(bottom) - poisson_strain(top)) * bottom["E"] / (1 - bottom["nu"] ** 2)


def strip_model(mesh, top: dict, bottom: dict, crack: Crack, fixed, side_stress: float = 0.0) -> Model:
    """The strip under sigma_yy = SIGMA on its upper and lower edges (and ``side_stress``
    sigma_xx on the lower half of its right edge), plane strain, no thermal load."""
    tractions = [("upper_edge", (0.0, SIGMA)), ("lower_edge", (0.0, -SIGMA))]
    if side_stress:
        tractions.append(("right_lower", (side_stress, 0.0)))
    model = Model(mesh, "plane_strain", {"top": isotropic("top", **top), "bottom": isotropic("bottom", **bottom)},
                  temperature=0.0, fixed=fixed, tractions=tractions, cracks=(crack,))
    return with_cracks(model)


def crack_result(model: Model) -> dict:
    from fea.crack import crack_results
    from fea.post import quadrature_stress

    solution = solve(model)
    return crack_results(solution, quadrature_stress(solution))[model.cracks[0].name]


# ----------------------------------------------------------------------------- cases

def centre_crack(size_factor: float = 1.0, a: float = 10.0) -> tuple[dict, float]:
    """Half of a homogeneous strip (width 2b = 10 a, height 2h = 30 a: long enough for Tada's
    infinite strip) with a centre crack 2a, symmetric about x = 0: (result, Tada's G)."""
    b, h = 5 * a, 15 * a
    mesh = cracked_strip(b, (h, h), a, a / 40 * size_factor, a / 2 * size_factor, "centre_crack")
    model = strip_model(mesh, STIFF, STIFF, Crack("centre", "top/bottom", (0.0, 0.0), a, reference_length=a),
                        fixed=[("left", "x"), ("left_low", "y")])
    K = SIGMA * np.sqrt(np.pi * a) * tada_centre_crack(a, b)
    return crack_result(model), K ** 2 / plane_strain_modulus(STIFF["E"], STIFF["nu"])


def edge_crack(size_factor: float = 1.0, a: float = 10.0) -> tuple[dict, float]:
    """A homogeneous strip (width W = 3.33 a, height 2h = 4 W) with an edge crack a from x = 0:
    (result, Tada's G)."""
    width = a / 0.3
    mesh = cracked_strip(width, (2 * width, 2 * width), a, a / 40 * size_factor, a / 2 * size_factor, "edge_crack")
    model = strip_model(mesh, STIFF, STIFF, Crack("edge", "top/bottom", (0.0, 0.0), a, reference_length=a),
                        fixed=[("right_low", "x"), ("right_low", "y"), ("right_high", "x")])
    K = SIGMA * np.sqrt(np.pi * a) * tada_edge_crack(a, width)
    return crack_result(model), K ** 2 / plane_strain_modulus(STIFF["E"], STIFF["nu"])


def interface_crack(size_factor: float = 1.0, a: float = 10.0) -> tuple[dict, tuple[float, float]]:
    """A centre crack 2a on the interface of a stiff (top) and a compliant (bottom) half of a
    strip 40 a wide and high (half model about x = 0) under Rice & Sih's remote state (sigma_yy and
    the compatible sigma_xx, which alone leaves the faces free and adds no K; without it the free
    side's Poisson mismatch lowers G by 11 %): (result with psi at L = 2a, Rice-Sih (G, psi))."""
    b = h = 20 * a
    mesh = cracked_strip(b, (h, h), a, a / 40 * size_factor, 2 * a * size_factor, "interface_crack")
    model = strip_model(mesh, STIFF, COMPLIANT, Crack("interface", "top/bottom", (0.0, 0.0), a, reference_length=2 * a),
                        fixed=[("left", "x"), ("left_low", "y")], side_stress=compatible_stress(STIFF, COMPLIANT))
    return crack_result(model), rice_sih(a, STIFF, COMPLIANT)


FILM = dict(E=117000.0, nu=0.34, alpha=17e-6)        # copper-like film
SUBSTRATE = dict(E=130000.0, nu=0.28, alpha=0.0)     # silicon-like, no thermal strain
DELTA_T = -100.0


def film_delamination(size_factor: float = 1.0, h: float = 1.0, analysis: str = "plane_strain") -> tuple[dict, float]:
    """A film h thick on a substrate 3 h thick clamped at its bottom, cooled by 100 K, with a
    crack 10 h long along the interface from the film's free edge; the far end (30 h) is a
    symmetry plane. Ahead of the tip the film is bonded to an unstrained substrate (sigma =
    -E alpha dT / (1 - nu), biaxial in plane strain), behind it free: (result, G_ss). The tip
    must lie several substrate thicknesses from the mouth and the far end for this steady state
    (with a 10 h substrate the same crack gives 5 % less). ``axisymmetric``: the same strip as
    the rim of a disc of radius 10^4 h, cracked from the rim inwards: the free film's hoop strain
    u_r / r relaxes its hoop stress by about crack length / radius (1.3 % at a radius of 1000 h,
    0.1 % here), so G_ss holds there too."""
    width, length = 30 * h, 10 * h
    x0 = 0.0 if analysis != "axisymmetric" else 1e4 * h - width
    mouth, tip = (x0, x0 + length) if analysis != "axisymmetric" else (x0 + width, x0 + width - length)
    far_end = "left" if analysis == "axisymmetric" else "right"
    mesh = cracked_strip(width, (h, 3 * h), tip, h / 20 * size_factor, h / 2 * size_factor, "film_delamination", x0)
    fixed = [("lower_edge", "x"), ("lower_edge", "y")]
    fixed += [("left", "x")] if far_end == "left" else [("right_upper", "x"), ("right_lower", "x")]
    model = Model(mesh, analysis, {"top": isotropic("top", **FILM), "bottom": isotropic("bottom", **SUBSTRATE)},
                  temperature=DELTA_T, fixed=fixed,
                  cracks=(Crack("film", "top/bottom", (mouth, 0.0), length, reference_length=h),))
    sigma = -FILM["E"] * FILM["alpha"] * DELTA_T / (1 - FILM["nu"])
    return crack_result(with_cracks(model)), (1 - FILM["nu"] ** 2) * sigma ** 2 * h / (2 * FILM["E"])


def crack_checks() -> list[Check]:
    """The `pkgrel verify` rows: G of the four cases and the interface crack's phase angle
    (its 2 degree limit written as a fraction of Rice-Sih's angle)."""
    centre, G_centre = centre_crack()
    edge, G_edge = edge_crack()
    interface, (G_interface, psi) = interface_crack()
    film, G_film = film_delamination()
    rim, G_rim = film_delamination(analysis="axisymmetric")
    return [Check("crack: centre crack, plate in tension (Tada)", "G J/m^2", G_centre, centre["G"], 0.01),
            Check("crack: edge crack, plate in tension (Tada)", "G J/m^2", G_edge, edge["G"], 0.01),
            Check("crack: interface crack, E1/E2 = 10 (Rice-Sih)", "G J/m^2", G_interface, interface["G"], 0.02),
            Check("crack: interface crack, E1/E2 = 10 (Rice-Sih)", "psi deg at L = 2a (2 deg)", psi,
                  interface["phase_angle_deg"], 2.0 / abs(psi)),
            Check("crack: film delamination, cooled 100 K", "G_ss J/m^2", G_film, film["G"], 0.01),
            Check("crack: film delamination, disc rim (axisymmetric)", "G_ss J/m^2", G_rim, rim["G"], 0.01)]
