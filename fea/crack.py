"""Interface cracks: split a mesh along an interface, then the energy release rate G and the
phase angle psi at the crack tip by the virtual crack closure technique (VCCT).

The crack in the mesh
---------------------
A crack runs along a named interface curve between two regions, from ``start`` (its mouth)
over ``length`` um. Its tip is the interface vertex nearest to that arc length. The P2 nodes on
the crack facets (vertices and mid-edge nodes) are duplicated for the elements on the upper side
(left of the direction of growth: material 1 below), except the tip and a mouth inside the mesh
(a closed crack end): the two faces are separate surfaces. The faces are traction-free; contact
is not modelled, and a solution whose faces interpenetrate says so (``min_opening_um`` < 0).

Energy release rate
-------------------
Rybicki & Kanninen (1977), Eng. Fract. Mech. 9, 931-938; for quadratic elements without
quarter-point nodes Raju (1987), Eng. Fract. Mech. 28, 251-274. Closing the crack over an
extension Delta (the first n element edges ahead of the tip) takes the work of the nodal forces
F_a that hold the interface nodes at x_a < Delta together, through the openings those nodes get
when the tip has moved by Delta, which in self-similar growth are the face openings at the
distance Delta - x_a behind the tip:

    G = Re[ sum_a F_a conj(delta(Delta - x_a)) ] / (2 A),    Q = sum_a F_a delta(Delta - x_a) / (2 A)

in complex notation F = F_y + i F_x, delta = delta_y + i delta_x in the crack-tip frame (x along
growth, y into material 1), A = Delta (2 pi int r ds in axisymmetry). F_a is the force the upper
side's elements carry at node a, int B_a^T sigma dV with the full stress, so the thermal strain,
the out-of-plane strain and the axisymmetric hoop term enter G exactly as in the solve.

Phase angle
-----------
The interface-crack field (Rice 1988, J. Appl. Mech. 55, 98-103; Hutchinson & Suo 1992,
Adv. Appl. Mech. 29, 63-191):

    sigma_yy + i sigma_xy = K r^(i eps) / sqrt(2 pi r)                                 ahead
    delta_y + i delta_x  = 8 K r^(i eps) sqrt(r / (2 pi)) / ((1 + 2 i eps) cosh(pi eps) E*)   behind
    G = |K|^2 / (E* cosh^2(pi eps)),   1/E* = (1/E1' + 1/E2') / 2,
    eps = ln((1 - beta) / (1 + beta)) / (2 pi)    (Dundurs' beta)

Put into the closure sums, Q = (positive) K^2 Delta^(2 i eps) Z(eps) with
Z = B(1/2 + i eps, 3/2 + i eps) / (1 + 2 i eps), so the phase at the extension length is
psi_Delta = arg(K Delta^(i eps)) = (arg Q - arg Z) / 2 (K or -K from the sign of the opening),
and at the reference length L it is psi_L = psi_Delta + eps ln(L / Delta): K L^(i eps) =
|K| e^(i psi_L) = K1 + i K2 (Rice 1988). For eps = 0 this is tan^2 psi = G_II / G_I.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .errors import InputError
from .mesh import Mesh, element_nodes
from .model import Crack, Model

#: virtual extensions, in element edges ahead of the tip: G and psi are their mean, and their
#: spread shows the element-size (domain) independence
EXTENSIONS = (1, 2, 3)
FACES = "traction-free (no contact)"
CONTACT_FACES = "frictionless contact where closed (penalty, active set)"
#: contact penalty: this times the largest diagonal entry of the stiffness per closed node pair
CONTACT_PENALTY = 1e4


def face_curves(name: str) -> tuple[str, str, str]:
    """Names of the curves a split mesh keeps for a crack: upper face, lower face (both from
    the tip to the mouth) and the interface facets ahead of the tip (from the tip on)."""
    return f"{name}:upper_face", f"{name}:lower_face", f"{name}:ahead"


# ---------------------------------------------------------------------------- tracing

@dataclass(frozen=True)
class CrackPath:
    """A crack on the unsplit mesh: its vertices and facets from the mouth to the tip, the
    interface facets ahead of the tip, and whether the mouth is open (on the mesh boundary)."""
    crack: Crack
    vertices: tuple[int, ...]
    facets: tuple[int, ...]
    ahead: tuple[int, ...]
    mouth_open: bool
    length: float


def where(crack: Crack) -> str:
    return f"[[crack]] '{crack.name}'"


def interface_facets(mesh: Mesh, crack: Crack) -> np.ndarray:
    """The facets of the crack's interface; refused unless every one lies between two regions."""
    facets = mesh.require_curve(crack.interface, where(crack))
    sides = mesh.mesh.f2t[:, facets]
    regions = mesh.region_of_element
    between = (sides[1] >= 0) & (regions[sides[0]] != regions[np.maximum(sides[1], 0)])
    if not between.all():
        interfaces = [name for name, f in mesh.curves.items() if _between_regions(mesh, f)]
        raise InputError(f"{where(crack)}: interface = '{crack.interface}' is not an interface between two regions "
                         f"({int((~between).sum())} of its {facets.size} facets are not); allowed: "
                         f"{', '.join(interfaces) or 'none in this mesh'}")
    return facets


def _between_regions(mesh: Mesh, facets: np.ndarray) -> bool:
    sides = mesh.mesh.f2t[:, facets]
    regions = mesh.region_of_element
    return bool(facets.size and (sides[1] >= 0).all() and (regions[sides[0]] != regions[sides[1]]).all())


def facet_length(mesh, facet: int) -> float:
    """Length of a (curved) P2 facet as the two chords through its mid-edge node."""
    a, b = mesh.facets[:, facet]
    points = mesh.doflocs[:, [a, mesh.nvertices + facet, b]]
    return float(np.hypot(*np.diff(points, axis=1)).sum())


def distance_to_facets(mesh, facets: np.ndarray, point: np.ndarray) -> float:
    """Distance from a point to the chords (vertex, mid-edge node, vertex) of the facets."""
    ends = mesh.facets[:, facets]
    middle = mesh.doflocs[:, mesh.nvertices + facets]
    best = np.inf
    for p, q in ((mesh.doflocs[:, ends[0]], middle), (middle, mesh.doflocs[:, ends[1]])):
        d = q - p
        t = np.clip(((point[:, None] - p) * d).sum(axis=0) / np.maximum((d * d).sum(axis=0), 1e-300), 0, 1)
        best = min(best, float(np.hypot(*(p + t * d - point[:, None])).min()))
    return best


def trace(mesh: Mesh, crack: Crack) -> CrackPath:
    """Walk the interface from the vertex at ``start`` over ``length`` um; refuse a start off
    the interface and a length that leaves no interface ahead of the tip."""
    skm = mesh.mesh
    facets = interface_facets(mesh, crack)
    start = np.asarray(crack.start, dtype=float)
    tolerance = 0.05 * crack.length
    off = distance_to_facets(skm, facets, start)
    if off > tolerance:
        raise InputError(f"{where(crack)}: start = [{start[0]:g}, {start[1]:g}] is {off:.3g} um from the interface "
                         f"'{crack.interface}'; allowed: on it, within {tolerance:.3g} um (5 % of length)")
    by_vertex: dict[int, list[int]] = {}
    for f in facets:
        for v in skm.facets[:, f]:
            by_vertex.setdefault(int(v), []).append(int(f))
    vertices = np.array(list(by_vertex))
    vertex = int(vertices[np.argmin(np.hypot(*(skm.p[:, vertices] - start[:, None])))])
    facet = first_facet(skm, crack, by_vertex[vertex], vertex)
    heading = unit(skm.p[:, other_end(skm, facet, vertex)] - skm.p[:, vertex])
    # arc length from the start point itself: the vertex may lie a little before or after it
    path_vertices, path_facets, s = [vertex], [], -float(np.dot(start - skm.p[:, vertex], heading))
    while facet is not None:
        step = facet_length(skm, facet)
        if s + step / 2 > crack.length:
            break
        s += step
        path_facets.append(facet)
        vertex = other_end(skm, facet, vertex)
        path_vertices.append(vertex)
        facet = next_facet(by_vertex, facet, vertex, path_vertices)
    available = s + sum(facet_length(skm, f) for f in _walk(skm, by_vertex, facet, vertex, path_vertices))
    if facet is None or not path_facets:
        if crack.length > available:
            raise InputError(f"{where(crack)}: length = {crack.length:g} um is longer than the interface "
                             f"'{crack.interface}' from start ({available:.4g} um); allowed: (0, {available:.4g}) um "
                             "leaving at least one element ahead of the tip")
        if not path_facets:
            raise InputError(f"{where(crack)}: length = {crack.length:g} um is shorter than half the element at start "
                             f"({facet_length(skm, facet) / 2:.3g} um); allowed: up to {available:.4g} um")
        raise InputError(f"{where(crack)}: length = {crack.length:g} um reaches the end of the interface "
                         f"'{crack.interface}' ({available:.4g} um from start); allowed: shorter by at least "
                         "one element, so that the tip has interface ahead")
    ahead = _walk(skm, by_vertex, facet, vertex, path_vertices)[:max(EXTENSIONS) + 1]
    boundary = set(skm.facets[:, skm.boundary_facets()].ravel().tolist())
    return CrackPath(crack, tuple(path_vertices), tuple(path_facets), tuple(ahead),
                     path_vertices[0] in boundary, s)


def first_facet(skm, crack: Crack, candidates: list[int], vertex: int) -> int:
    """The interface facet the crack leaves its start along."""
    if len(candidates) == 1:
        return candidates[0]
    if len(candidates) > 2:
        raise InputError(f"{where(crack)}: the interface '{crack.interface}' branches at start; "
                         "start the crack where it runs one way")
    if crack.direction is None:
        x, y = skm.p[:, vertex]
        raise InputError(f"{where(crack)}: start lies inside the interface '{crack.interface}' (vertex at "
                         f"[{x:.4g}, {y:.4g}]); give direction = [dx, dy], the way the crack runs")
    direction = np.asarray(crack.direction, dtype=float)
    heading = [float(np.dot(skm.p[:, other_end(skm, f, vertex)] - skm.p[:, vertex], direction)) for f in candidates]
    return candidates[int(np.argmax(heading))]


def other_end(skm, facet: int, vertex: int) -> int:
    a, b = skm.facets[:, facet]
    return int(b if a == vertex else a)


def next_facet(by_vertex, facet: int, vertex: int, visited) -> int | None:
    """The interface facet after ``facet`` at ``vertex`` (None at an end, a branch or a loop)."""
    onward = [f for f in by_vertex[vertex] if f != facet]
    return onward[0] if len(onward) == 1 else None


def _walk(skm, by_vertex, facet, vertex, visited) -> list[int]:
    """Facets along the interface from ``facet`` on (it leaves ``vertex``), until an end."""
    out, seen = [], set(visited)
    while facet is not None and facet not in out:
        out.append(facet)
        vertex = other_end(skm, facet, vertex)
        if vertex in seen:
            break
        seen.add(vertex)
        facet = next_facet(by_vertex, facet, vertex, seen)
    return out


def check_apart(paths: list[CrackPath]) -> None:
    """Cracks may not cross, touch or lie in another's closure extension."""
    for i, a in enumerate(paths):
        for b in paths[i + 1:]:
            if set(a.vertices) & set(b.vertices) or set(a.facets) & set(b.ahead) or set(b.facets) & set(a.ahead):
                raise InputError(f"[[crack]] '{a.crack.name}' and '{b.crack.name}' cross or touch (or one lies within "
                                 f"{max(EXTENSIONS) + 1} elements ahead of the other's tip); allowed: cracks apart")


# ---------------------------------------------------------------------------- splitting

def upper_element(skm, facet: int, a: int, b: int) -> int:
    """Of the two elements of facet (a -> b), the one to its left (opposite corner on +normal side)."""
    d = skm.p[:, b] - skm.p[:, a]
    for e in skm.f2t[:, facet]:
        if e < 0:
            continue
        c = [v for v in skm.t[:, e] if v != a and v != b][0]
        r = skm.p[:, c] - skm.p[:, a]
        if d[0] * r[1] - d[1] * r[0] > 0:
            return int(e)
    raise InputError(f"facet {facet} has no element on its left")


def fan(skm, vertex: int, seed: int, cut: set[int]) -> set[int]:
    """Elements around ``vertex`` reachable from ``seed`` through facets at the vertex not in ``cut``."""
    around = set(np.flatnonzero((skm.t == vertex).any(axis=0)).tolist())
    reached, todo = {seed}, [seed]
    while todo:
        e = todo.pop()
        for f in skm.t2f[:, e]:
            if f in cut or vertex not in skm.facets[:, f]:
                continue
            for n in skm.f2t[:, f]:
                if n >= 0 and n in around and n not in reached:
                    reached.add(int(n))
                    todo.append(int(n))
    return reached


def split(mesh: Mesh, paths: list[CrackPath]) -> Mesh:
    """A new Mesh with the crack faces separated (see the module docstring)."""
    from skfem import MeshTri2

    skm = mesh.mesh
    nodes = element_nodes(skm).copy()
    locations, count = [skm.doflocs], skm.doflocs.shape[1]
    upper_of, lower_of = {}, {}
    for path in paths:
        cut = set(path.facets)
        chain = list(zip(path.vertices[:-1], path.vertices[1:], path.facets))
        for a, b, f in chain:
            upper_of[f] = upper_element(skm, f, a, b)
            lower_of[f] = int([e for e in skm.f2t[:, f] if e != upper_of[f]][0])
        split_vertices = path.vertices[:-1] if path.mouth_open else path.vertices[1:-1]
        for v in split_vertices:
            f = next(f for a, b, f in chain if v in (a, b))
            for e in fan(skm, v, upper_of[f], cut):
                nodes[:3, e][nodes[:3, e] == v] = count
            locations.append(skm.doflocs[:, [v]])
            count += 1
        for f in path.facets:
            e = upper_of[f]
            nodes[3:, e][nodes[3:, e] == skm.nvertices + f] = count
            locations.append(skm.doflocs[:, [skm.nvertices + f]])
            count += 1
    cracked = MeshTri2(np.hstack(locations), nodes)

    def renumbered(facets, side=None):
        out = []
        for f in facets:
            e = (side or {}).get(f, lower_of.get(f, skm.f2t[0, f]))
            local = int(np.flatnonzero(skm.t2f[:, e] == f)[0])
            out.append(int(cracked.t2f[local, e]))
        return np.array(out, dtype=np.int64)

    curves = {name: renumbered(facets) for name, facets in mesh.curves.items()}
    for path in paths:
        upper, lower, ahead = face_curves(path.crack.name)
        from_tip = path.facets[::-1]
        curves[upper] = renumbered(from_tip, upper_of)
        curves[lower] = renumbered(from_tip, lower_of)
        curves[ahead] = renumbered(path.ahead)
    return Mesh(cracked, dict(mesh.regions), curves, dict(mesh.points), mesh.source, mesh.msh)


def is_split(mesh: Mesh, crack: Crack) -> bool:
    return all(name in mesh.curves for name in face_curves(crack.name))


def with_cracks(model: Model) -> Model:
    """The model with its mesh split along its cracks (the model itself if already split or
    uncracked); bad cracks are one-line InputErrors."""
    if not model.cracks or all(is_split(model.mesh, c) for c in model.cracks):
        return model
    if model.load is not None and any(c.contact for c in model.cracks):
        raise InputError("[[crack]] contact = true: face contact is modelled in thermoelastic solves; "
                         "remove [load] or contact (cycled faces are traction-free)")
    names = [c.name for c in model.cracks]
    if len(set(names)) != len(names):
        raise InputError("[[crack]]: crack names must be unique")
    for crack in model.cracks:
        check_crack(crack, model.mesh)
    paths = [trace(model.mesh, c) for c in model.cracks]
    check_apart(paths)
    return replace(model, mesh=split(model.mesh, paths))


def check_crack(crack: Crack, mesh: Mesh) -> None:
    if not crack.name or any(ch in crack.name for ch in "/:"):
        raise InputError(f"[[crack]] name = {crack.name!r}: allowed a non-empty name without '/' or ':'")
    clash = [n for n in face_curves(crack.name) if n in mesh.curves]
    if clash:
        raise InputError(f"{where(crack)}: the mesh already has a curve '{clash[0]}'; rename the crack")
    if not crack.length > 0:
        raise InputError(f"{where(crack)}: length = {crack.length:g} um must be > 0")
    if not crack.reference_length > 0:
        raise InputError(f"{where(crack)}: reference_length = {crack.reference_length:g} um must be > 0")
    if crack.direction is not None and not np.hypot(*crack.direction) > 0:
        raise InputError(f"{where(crack)}: direction = {list(crack.direction)} must be a non-zero vector")


# ---------------------------------------------------------------------------- closure

@dataclass(frozen=True)
class Front:
    """A crack tip on the split mesh: node chains with arc lengths from the tip (vertex, mid,
    vertex, ...), the crack-tip frame, and the elements of either side at the tip."""
    tip: int
    upper: np.ndarray        # upper-face P2 nodes from the tip
    lower: np.ndarray        # lower-face P2 nodes, the same places
    behind: np.ndarray       # their arc lengths (um)
    ahead: np.ndarray        # interface P2 nodes from the tip on
    forward: np.ndarray      # their arc lengths (um)
    frame: np.ndarray        # rows e_x (growth), e_y (into material 1)
    upper_elements: np.ndarray   # upper-side elements at the ahead vertices
    upper_tip: int           # element of material 1 at the tip
    lower_tip: int           # element of material 2 at the tip


def chain_nodes(skm, facets, first_vertex: int) -> tuple[np.ndarray, np.ndarray]:
    """P2 nodes along a chain of facets from ``first_vertex`` and their arc lengths."""
    nodes, vertex = [first_vertex], first_vertex
    for f in facets:
        vertex = other_end(skm, f, vertex)
        nodes += [skm.nvertices + f, vertex]
    nodes = np.array(nodes)
    steps = np.hypot(*np.diff(skm.doflocs[:, nodes], axis=1))
    return nodes, np.concatenate([[0.0], np.cumsum(steps)])


def crack_front(mesh: Mesh, crack: Crack) -> Front:
    skm = mesh.mesh
    upper_name, lower_name, ahead_name = face_curves(crack.name)
    upper_faces, lower_faces, ahead = (mesh.curves[n] for n in (upper_name, lower_name, ahead_name))
    tip = _shared_vertex(skm, upper_faces[0], ahead[0])
    upper, behind = chain_nodes(skm, upper_faces, tip)
    lower, _ = chain_nodes(skm, lower_faces, tip)
    forward_nodes, forward = chain_nodes(skm, ahead, tip)
    growth = unit(skm.p[:, forward_nodes[2]] - skm.p[:, tip]) + unit(skm.p[:, tip] - skm.p[:, upper[2]])
    e_x = unit(growth)
    frame = np.array([e_x, [-e_x[1], e_x[0]]])
    cut = set(ahead.tolist()) | {int(upper_faces[0]), int(lower_faces[0])}
    elements, upper_tip = set(), None
    for k, f in enumerate(ahead):
        a = int(forward_nodes[2 * k])
        seed = upper_element(skm, f, a, int(forward_nodes[2 * k + 2]))
        upper_tip = seed if upper_tip is None else upper_tip
        elements |= fan(skm, a, seed, cut)
    lower_tip = int(skm.f2t[0, lower_faces[0]])
    return Front(tip, upper, lower, behind, forward_nodes, forward, frame, np.array(sorted(elements)),
                 upper_tip, lower_tip)


def _shared_vertex(skm, f, g) -> int:
    return int((set(skm.facets[:, f].tolist()) & set(skm.facets[:, g].tolist())).pop())


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.hypot(*v)


def tip_moduli(solution, element: int) -> tuple[float, float]:
    """Lame (lambda, mu) of the element at the tip as the analysis uses them: the solve's own, or
    for a cycling snapshot (no moduli kept) the material's E(T), nu(T) at the snapshot's temperature."""
    from . import elasticity

    if solution.lam is not None:
        return float(solution.lam[element].mean()), float(solution.mu[element].mean())
    mesh = solution.model.mesh
    region = list(mesh.regions)[mesh.region_of_element[element]]
    material = solution.model.materials[region]
    T = np.asarray(solution.temperature[element], dtype=float)
    lam, mu = elasticity.moduli(material.E(T), material.nu(T), solution.model.analysis)
    return float(np.mean(lam)), float(np.mean(mu))


def upper_side_forces(solution, stress: np.ndarray, elements: np.ndarray) -> np.ndarray:
    """(2, n_nodes) nodal forces int B^T sigma dV of the given elements (upper side)."""
    from skfem import Basis, ElementTriP2, ElementVector, LinearForm

    from . import elasticity
    from .small_strain import inner
    from .thermoelastic import QUADRATURE_ORDER

    axisymmetric = solution.axisymmetric
    basis = Basis(solution.basis.mesh, ElementVector(ElementTriP2()), elements=elements,
                  intorder=QUADRATURE_ORDER)

    @LinearForm
    def internal_force(v, w):
        r = np.asarray(w.x[0])
        sigma = (w.s11, w.s22, w.s33, w.s12)
        return inner(sigma, elasticity.strain(v, r, axisymmetric)) * elasticity.volume_weight(r, axisymmetric)

    s = stress[:, elements]
    f = internal_force.assemble(basis, s11=s[0], s22=s[1], s33=s[2], s12=s[3])
    return np.vstack([f[0::2], f[1::2]])


def opening(front: Front, u: np.ndarray, frame: np.ndarray) -> np.ndarray:
    """Complex opening delta_y + i delta_x (upper minus lower face) at the face nodes."""
    jump = frame @ (u[:, front.upper] - u[:, front.lower])
    return jump[1] + 1j * jump[0]


def opening_at(front: Front, delta: np.ndarray, s: float) -> complex:
    """The face opening at arc length s behind the tip (quadratic along each face facet)."""
    k = min(int(np.searchsorted(front.behind[2::2], s)), (front.behind.size - 1) // 2 - 1)
    nodes = front.behind[2 * k:2 * k + 3]
    values = delta[2 * k:2 * k + 3]
    weights = [np.prod([(s - nodes[j]) / (nodes[i] - nodes[j]) for j in range(3) if j != i]) for i in range(3)]
    return complex(np.dot(weights, values))


def closure_area(front: Front, skm, n: int, axisymmetric: bool) -> float:
    """Crack area advanced by n element edges: Delta, or 2 pi int r ds (Simpson per edge)."""
    s = front.forward[:2 * n + 1]
    if not axisymmetric:
        return float(s[-1])
    r = skm.doflocs[0, front.ahead[:2 * n + 1]]
    return float(sum(2 * np.pi * (s[2 * k + 2] - s[2 * k]) * (r[2 * k] + 4 * r[2 * k + 1] + r[2 * k + 2]) / 6
                     for k in range(n)))


def oscillation_index(lam1, mu1, lam2, mu2) -> float:
    """eps = ln((1 - beta) / (1 + beta)) / (2 pi) with Dundurs' beta (kappa = (lam + 3 mu) /
    (lam + mu) with the 2D lambda: 3 - 4 nu in plane strain, (3 - nu) / (1 + nu) in plane stress)."""
    k1, k2 = (lam1 + 3 * mu1) / (lam1 + mu1), (lam2 + 3 * mu2) / (lam2 + mu2)
    beta = (mu1 * (k2 - 1) - mu2 * (k1 - 1)) / (mu1 * (k2 + 1) + mu2 * (k1 + 1))
    return float(np.log((1 - beta) / (1 + beta)) / (2 * np.pi))


def plane_modulus(lam, mu) -> float:
    """E' = 4 mu (lam + mu) / (lam + 2 mu): E / (1 - nu^2) in plane strain, E in plane stress."""
    return float(4 * mu * (lam + mu) / (lam + 2 * mu))


def closure_phase_offset(eps: float) -> float:
    """arg Z(eps), Z = B(1/2 + i eps, 3/2 + i eps) / (1 + 2 i eps): the phase the closure sum Q
    adds to 2 psi_Delta."""
    from scipy.special import loggamma

    a, b = 0.5 + 1j * eps, 1.5 + 1j * eps
    log_z = loggamma(a) + loggamma(b) - loggamma(a + b) - np.log(1 + 2j * eps)
    return float(np.imag(log_z))


def phase_at_extension(Q: complex, eps: float, delta_first: complex, s_first: float, extension: float) -> float:
    """psi_Delta = (arg Q - arg Z) / 2, on the branch (K or -K) that opens the faces as computed."""
    psi = (np.angle(Q) - closure_phase_offset(eps)) / 2
    predicted = np.exp(1j * psi) * (s_first / extension) ** (1j * eps) / (1 + 2j * eps)
    if (predicted * np.conj(delta_first)).real < 0:
        psi += np.pi
    return float(psi)


def wrap(angle: float) -> float:
    """An angle in (-pi, pi]."""
    return float(-((np.pi - angle) % (2 * np.pi)) + np.pi)


def crack_results(solution, stress: np.ndarray) -> dict[str, dict]:
    """G, phase angle, tip and the extension check of every crack of a solved model."""
    return {crack.name: tip_result(solution, stress, crack) for crack in solution.model.cracks}


def tip_result(solution, stress: np.ndarray, crack: Crack) -> dict:
    mesh = solution.model.mesh
    skm = mesh.mesh
    front = crack_front(mesh, crack)
    u = np.vstack([solution.u[0::2], solution.u[1::2]])
    forces = -(front.frame @ upper_side_forces(solution, stress, front.upper_elements)[:, front.ahead])
    F = forces[1] + 1j * forces[0]
    delta = opening(front, u, front.frame)
    moduli = [tip_moduli(solution, e) for e in (front.upper_tip, front.lower_tip)]
    eps = oscillation_index(*moduli[0], *moduli[1])
    E_star = 2 / sum(1 / plane_modulus(*m) for m in moduli)
    L = crack.reference_length
    rows = []
    n_max = min((front.forward.size - 1) // 2, (front.behind.size - 1) // 2)
    for n in EXTENSIONS:
        if n > n_max:
            break
        extension = front.forward[2 * n]
        pairs = [(F[a], opening_at(front, delta, extension - front.forward[a])) for a in range(2 * n)]
        area = 2 * closure_area(front, skm, n, solution.axisymmetric)
        G = sum((f * np.conj(d)).real for f, d in pairs) / area
        Q = sum(f * d for f, d in pairs) / area
        psi = wrap(phase_at_extension(Q, eps, delta[1], front.behind[1], extension) + eps * np.log(L / extension))
        rows.append({"extension_um": float(extension), "G": float(G), "phase_angle_deg": float(np.degrees(psi))})
    G = float(np.mean([r["G"] for r in rows]))
    psi_deg = float(np.mean([r["phase_angle_deg"] for r in rows]))
    modulus_K = np.cosh(np.pi * eps) * np.sqrt(max(G, 0.0) * E_star)
    psi = np.radians(psi_deg)
    regions = list(mesh.regions)
    return {
        "G": G,                                           # MPa um = J/m^2
        "phase_angle_deg": psi_deg,
        "reference_length_um": L,
        "K1": float(modulus_K * np.cos(psi)), "K2": float(modulus_K * np.sin(psi)),   # MPa um^0.5 at L
        "tip": skm.p[:, front.tip].tolist(),
        "length_um": float(front.behind[-1]),
        "tip_element_um": float(front.forward[2]),
        "oscillation_index": eps,
        "materials": [regions[mesh.region_of_element[e]] for e in (front.upper_tip, front.lower_tip)],
        "extensions": rows,
        "extension_spread": float(max(abs(r["G"] - G) for r in rows) / abs(G)) if G else 0.0,
        "min_opening_um": float(delta.real[1:].min()),
        "faces": CONTACT_FACES if crack.contact else FACES,
    }


# ---------------------------------------------------------------------------- toughness, cycles

def with_margin(result: dict, toughness, typical: bool, basis: str) -> dict:
    """The crack result with the interface toughness Gc at its phase angle and the margin
    Gc(psi) / G (> 1: the crack does not grow; None where G <= 0, a closed or unloaded crack)."""
    Gc = toughness.at(result["phase_angle_deg"])
    G = result["G"]
    return {**result, "toughness": {"G_Ic": toughness.G_Ic, "lambda": toughness.lam, "Gc": Gc,
                                    "law": "Gc = G_Ic [1 + tan^2((1 - lambda) psi)] (Hutchinson & Suo 1992)",
                                    "source": toughness.source, "typical": typical, "basis": basis},
            "margin": Gc / G if G > 0 else None}


#: what a G from a cycling snapshot is, said in summary.json and the docs
CYCLING_NOTE = ("VCCT closure value of the stress state at that instant (nodal forces ahead of the tip times "
                "the face openings behind it, elastic moduli at the tip for the phase angle); with inelastic "
                "material at the tip (inelastic_at_tip) it is not a path-independent J and depends on the "
                "history, but it converges with the mesh as the closure of the current state")


def extreme_snapshots(result) -> dict[str, int]:
    """Indices of the coldest and hottest snapshots of the last cycle (the first of equal ones,
    i.e. the end of the ramp, before the dwell relaxes the stresses)."""
    cycles = result.cycles
    t0, t1 = (cycles[-1]["t0"], cycles[-1]["t1"]) if cycles else (-np.inf, np.inf)
    snapshots = result.snapshots
    inside = [k for k, s in enumerate(snapshots) if t0 - 1e-9 <= s["time"] <= t1 + 1e-9] or list(range(len(snapshots)))
    return {"cold": min(inside, key=lambda k: snapshots[k]["temperature"]),
            "hot": max(inside, key=lambda k: snapshots[k]["temperature"])}


def inelastic_at_tip(mesh: Mesh, crack: Crack, snapshot: dict) -> bool:
    """Whether the elements at the tip carry inelastic strain in a cycling snapshot."""
    front = crack_front(mesh, crack)
    eps = snapshot["fields"]["eps_eq_in"][0]
    return bool(np.any(eps[[front.upper_tip, front.lower_tip]] > 0))


def cycle_extremes(by_state: dict[str, dict]) -> dict:
    """One crack's entry of a cycling run from its results at the cold and hot extremes: the
    worse extreme's fields, plus G, phase angle and margin at each."""
    worse = max(by_state, key=lambda state: by_state[state]["G"])
    out = {**by_state[worse], "state": worse, "note": CYCLING_NOTE}
    for state, r in by_state.items():
        out[f"G_{state}"] = r["G"]
        out[f"phase_angle_{state}_deg"] = r["phase_angle_deg"]
        out[f"temperature_{state}"] = r.get("temperature")
        out[f"inelastic_at_tip_{state}"] = r.get("inelastic_at_tip")
        if "margin" in r:
            out[f"margin_{state}"] = r["margin"]
    margins = [r["margin"] for r in by_state.values() if r.get("margin") is not None]
    if "margin" in out:
        out["margin"] = min(margins) if margins else None
    return out


# ---------------------------------------------------------------------------- face contact

@dataclass(frozen=True)
class ContactPairs:
    """Node pairs facing each other across the crack faces (upper, lower P2 nodes, tip and a closed
    mouth excluded) and the face normal into material 1 at each."""
    upper: np.ndarray
    lower: np.ndarray
    normal: np.ndarray       # (2, n)


def contact_pairs(mesh: Mesh, crack: Crack) -> ContactPairs:
    """The crack's facing node pairs with the local face normal (the chain's tangent turned by
    90 degrees: the chain runs from the tip to the mouth, against the growth)."""
    front = crack_front(mesh, crack)
    points = mesh.mesh.doflocs[:, front.upper]
    tangent = np.gradient(points, front.behind, axis=1)
    tangent /= np.hypot(*tangent)
    separate = front.upper != front.lower
    return ContactPairs(front.upper[separate], front.lower[separate],
                        np.array([tangent[1], -tangent[0]])[:, separate])


def normal_gap(pairs: ContactPairs, u: np.ndarray) -> np.ndarray:
    """Opening n . (u_upper - u_lower) of every pair (u interleaved x, y per node)."""
    jump = np.vstack([u[2 * pairs.upper] - u[2 * pairs.lower], u[2 * pairs.upper + 1] - u[2 * pairs.lower + 1]])
    return (pairs.normal * jump).sum(axis=0)


def contact_stiffness(pairs: ContactPairs, active: np.ndarray, penalty: float, size: int):
    """Penalty springs k b b^T along the normal of the closed pairs, b = n at the upper node's
    dofs and -n at the lower node's: frictionless (no tangential stiffness)."""
    import scipy.sparse as sp

    rows, values = [], []
    for k in np.flatnonzero(active):
        n = pairs.normal[:, k]
        dofs = [2 * pairs.upper[k], 2 * pairs.upper[k] + 1, 2 * pairs.lower[k], 2 * pairs.lower[k] + 1]
        b = np.array([n[0], n[1], -n[0], -n[1]])
        rows.append(dofs)
        values.append(penalty * np.outer(b, b))
    if not rows:
        return sp.csr_matrix((size, size))
    rows = np.array(rows)
    i = np.repeat(rows, 4, axis=1).ravel()
    j = np.tile(rows, (1, 4)).ravel()
    return sp.csr_matrix((np.array(values).ravel(), (i, j)), shape=(size, size))
