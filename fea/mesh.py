"""Read a 2D gmsh cross-section (quadratic, curved triangles, physical groups) into scikit-fem.

Plain data out: a :class:`Mesh` holds the skfem ``MeshTri2`` (curved isoparametric P2
geometry), the elements of every named region (physical surface) and the facets of every named
curve (physical curve: interfaces ``a/b`` and boundaries such as ``bottom`` or ``axis``).
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import InputError

# gmsh cell types meshio reports that make a mesh 3D
_VOLUME_CELLS = {"tetra", "tetra10", "hexahedron", "hexahedron20", "hexahedron27",
                 "wedge", "wedge15", "pyramid", "pyramid13"}


@dataclass(eq=False)
class Mesh:
    """A meshed cross-section: skfem mesh plus named regions and curves.

    Attributes
    ----------
    mesh : skfem.MeshTri2 with curved quadratic geometry (coordinates in um).
    regions : region name -> element indices (physical surfaces).
    curves : curve name -> facet indices (physical curves), in chain order along the curve.
    points : point name -> mesh vertex indices (physical points), for point supports.
    source : where the mesh came from (for messages and metadata).
    """

    mesh: object
    regions: dict[str, np.ndarray]
    curves: dict[str, np.ndarray]
    points: dict[str, np.ndarray] = field(default_factory=dict)
    source: str = "<memory>"
    msh: bytes | None = field(default=None, repr=False)   # the MSH file content, when read from one
    _region_of_element: np.ndarray | None = field(default=None, repr=False)

    def __eq__(self, other) -> bool:
        """Same nodes, elements and named groups (where the mesh came from does not count)."""
        if not isinstance(other, Mesh):
            return NotImplemented

        def same(a: dict, b: dict) -> bool:
            return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)

        return (np.array_equal(self.mesh.doflocs, other.mesh.doflocs) and np.array_equal(self.mesh.t, other.mesh.t)
                and same(self.regions, other.regions) and same(self.curves, other.curves)
                and same(self.points, other.points))

    @property
    def n_elements(self) -> int:
        return self.mesh.t.shape[1]

    @property
    def region_of_element(self) -> np.ndarray:
        """Index into ``list(self.regions)`` for every element (-1 if in no region)."""
        if self._region_of_element is None:
            ids = np.full(self.n_elements, -1, dtype=np.int64)
            for k, elements in enumerate(self.regions.values()):
                ids[elements] = k
            self._region_of_element = ids
        return self._region_of_element

    def region_names(self) -> list[str]:
        return list(self.regions)

    def require_region(self, name: str, what: str) -> np.ndarray:
        if name not in self.regions:
            raise InputError(f"{what}: region '{name}' is not a physical surface of the mesh "
                             f"{self.source}; it has: {', '.join(self.regions) or 'none'}")
        return self.regions[name]

    def require_group(self, name: str, what: str) -> tuple[str, np.ndarray]:
        """A boundary group by name: ("curve", facets) or ("point", vertices)."""
        if name in self.curves:
            return "curve", self.curves[name]
        if name in self.points:
            return "point", self.points[name]
        raise InputError(f"{what}: group '{name}' is not a physical curve or point of the mesh "
                         f"{self.source}; it has: {', '.join([*self.curves, *self.points]) or 'none'}")

    def locate(self, points: np.ndarray, region: str | None = None, what: str = "probe"):
        """Element and local coordinates of each point (2, n); optionally only within a region.
        A point outside the mesh (or the region) is a one-line InputError."""
        points = np.asarray(points, dtype=float).reshape(2, -1)
        mesh = self.mesh
        candidates = self.require_region(region, what) if region is not None else np.arange(self.n_elements)
        corners = mesh.p[:, mesh.t[:, candidates]]  # (2, 3, nc)
        elements = np.empty(points.shape[1], dtype=np.int64)
        local = np.empty((2, points.shape[1]))
        where = f" region '{region}'" if region else ""
        for j in range(points.shape[1]):
            k = _containing(corners, points[:, j])
            local_j = None if k < 0 else _local_coordinates(mesh, candidates[k], points[:, j])
            if local_j is None:
                raise InputError(f"{what} point ({points[0, j]:.6g}, {points[1, j]:.6g}) is outside the mesh{where}")
            elements[j], local[:, j] = candidates[k], local_j
        return elements, local

    def region_at(self, point) -> str | None:
        """Name of the region containing ``point`` (x, y); None outside the mesh."""
        try:
            elements, _ = self.locate(np.asarray(point, dtype=float)[:, None])
        except InputError:
            return None
        k = self.region_of_element[elements[0]]
        return list(self.regions)[k] if k >= 0 else None

    def region_areas(self) -> dict[str, float]:
        """Exact area of every region: det J of a curved 6-node triangle is quadratic, so the
        three-point edge-midpoint rule (weights 1/6) integrates it exactly."""
        dets = _jacobians(self.mesh.doflocs, element_nodes(self.mesh).T, _EDGE_MIDPOINTS)
        return {name: float(dets[elements].sum() / 6.0) for name, elements in self.regions.items()}

    def jacobian_ratio(self) -> float:
        """Smallest min(det J) / max(det J) over the six nodes of any element (< 0: inverted)."""
        dets = _jacobians(self.mesh.doflocs, element_nodes(self.mesh).T, _NODES)
        return float(np.min(dets.min(axis=1) / dets.max(axis=1)))

    def require_curve(self, name: str, what: str) -> np.ndarray:
        if name not in self.curves:
            raise InputError(f"{what}: curve '{name}' is not a physical curve of the mesh "
                             f"{self.source}; it has: {', '.join(self.curves) or 'none'}")
        return self.curves[name]


def read_msh(source: str | os.PathLike | bytes) -> Mesh:
    """Read gmsh MSH content with 6-node triangles and physical groups: a file path, or the
    bytes of a file (what a builder produces). The mesh keeps those bytes for writing it back."""
    import meshio

    def parse(path: Path, name: str):
        try:
            return meshio.read(path, file_format="gmsh")
        except Exception as exc:  # meshio raises many types for malformed files
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InputError(f"mesh file '{name}' could not be read as gmsh .msh: {first}") from None

    if isinstance(source, bytes):
        content, name = source, "<memory>"
        with tempfile.TemporaryDirectory() as tmp:   # meshio reads files only
            (Path(tmp) / "mesh.msh").write_bytes(content)
            raw = parse(Path(tmp) / "mesh.msh", name)
    else:
        path = Path(source)
        if not path.is_file():
            raise InputError(f"mesh file '{path}' does not exist")
        content, name = path.read_bytes(), str(path)
        raw = parse(path, name)
    mesh = from_meshio(raw, source=name)
    mesh.msh = content
    return mesh


def from_meshio(raw, source: str = "<memory>") -> Mesh:
    """Convert a meshio mesh read from gmsh (with ``gmsh:physical`` data) to a Mesh."""
    from skfem import MeshTri2

    kinds = {block.type for block in raw.cells}
    volume = kinds & _VOLUME_CELLS
    if volume:
        raise InputError(f"mesh {source} is not 2D: it has {', '.join(sorted(volume))} cells; "
                         "pkgrel needs a 2D cross-section in the x-y plane")
    if raw.points.shape[1] > 2 and np.ptp(raw.points[:, 2]) > 1e-9 * max(1.0, np.ptp(raw.points[:, :2])):
        raise InputError(f"mesh {source} is not 2D: its nodes do not lie in one plane z = const")
    if "triangle6" not in kinds:
        found = ", ".join(sorted(kinds)) or "no cells"
        hint = " (gmsh: Mesh.ElementOrder = 2)" if "triangle" in kinds else ""
        raise InputError(f"mesh {source} has no 6-node triangles ({found}); pkgrel needs "
                         f"quadratic triangles{hint}")
    if kinds & {"triangle", "quad", "quad8", "quad9"}:
        raise InputError(f"mesh {source} mixes element types ({', '.join(sorted(kinds))}); "
                         "only 6-node triangles are supported")

    names = _physical_names(raw)
    tags = raw.cell_data.get("gmsh:physical")
    if tags is None:
        raise InputError(f"mesh {source} has no physical groups; name the regions and curves "
                         "with gmsh physical groups")

    triangles, tri_tags, lines, line_tags, vertices, vertex_tags = [], [], [], [], [], []
    for block, block_tags in zip(raw.cells, tags):
        if block.type == "triangle6":
            triangles.append(block.data)
            tri_tags.append(block_tags)
        elif block.type == "line3":
            lines.append(block.data)
            line_tags.append(block_tags)
        elif block.type == "vertex":
            vertices.append(block.data[:, 0])
            vertex_tags.append(block_tags)
    t6 = np.concatenate(triangles).astype(np.int64)
    tri_tags = np.concatenate(tri_tags)

    points = np.ascontiguousarray(raw.points[:, :2].T, dtype=np.float64)
    _check_jacobians(points, t6, source)
    mesh = MeshTri2(points, np.ascontiguousarray(t6.T))

    regions = {}
    for tag in np.unique(tri_tags):
        name = names.get((2, int(tag)), f"surface_{int(tag)}")
        regions[name] = np.flatnonzero(tri_tags == tag)

    renumber = _vertex_renumbering(t6)
    curves = {}
    if lines:
        l3 = np.concatenate(lines).astype(np.int64)
        l_tags = np.concatenate(line_tags)
        facet_index = _facet_lookup(mesh, renumber)
        ends = np.sort(l3[:, :2], axis=1)
        facets = facet_index(ends[:, 0], ends[:, 1])
        if np.any(facets < 0):
            raise InputError(f"mesh {source}: some physical-curve elements are not edges of the "
                             "triangles (curves must be meshed conformally with the surfaces)")
        for tag in np.unique(l_tags):
            name = names.get((1, int(tag)), f"curve_{int(tag)}")
            curves[name] = chain_facets(mesh, facets[l_tags == tag])
    points_by_name = {}
    if vertices:
        nodes = np.concatenate(vertices).astype(np.int64)
        v_tags = np.concatenate(vertex_tags)
        on_mesh = np.where(nodes < renumber.size, renumber[np.minimum(nodes, renumber.size - 1)], -1)
        if np.any(on_mesh < 0):
            raise InputError(f"mesh {source}: a physical point is not a corner node of the triangles")
        for tag in np.unique(v_tags):
            name = names.get((0, int(tag)), f"point_{int(tag)}")
            points_by_name[name] = on_mesh[v_tags == tag]
    return Mesh(mesh=mesh, regions=regions, curves=curves, points=points_by_name, source=source)


def _physical_names(raw) -> dict[tuple[int, int], str]:
    return {(int(dim), int(tag)): name for name, (tag, dim) in
            ((n, tuple(v[:2])) for n, v in raw.field_data.items())}


def _vertex_renumbering(t6: np.ndarray) -> np.ndarray:
    """gmsh node number -> skfem vertex index (-1 for mid-edge nodes).

    skfem's MeshTri2 numbers the corner nodes 0..nv-1 in increasing input order.
    """
    corner_nodes = np.unique(t6[:, :3])
    renumber = np.full(int(t6.max()) + 1, -1, dtype=np.int64)
    renumber[corner_nodes] = np.arange(corner_nodes.size)
    return renumber


def _facet_lookup(mesh, renumber: np.ndarray):
    """Map a pair of gmsh vertex-node numbers to the skfem facet index."""
    facets = np.sort(mesh.facets, axis=0)
    nv = mesh.p.shape[1]
    key = facets[0].astype(np.int64) * nv + facets[1]
    order = np.argsort(key)
    sorted_key = key[order]

    def lookup(a, b):
        ra, rb = renumber[a], renumber[b]
        lo, hi = np.minimum(ra, rb), np.maximum(ra, rb)
        k = lo * nv + hi
        pos = np.clip(np.searchsorted(sorted_key, k), 0, sorted_key.size - 1)
        found = (sorted_key[pos] == k) & (ra >= 0) & (rb >= 0)
        return np.where(found, order[pos], -1)

    return lookup


def chain_facets(mesh, facets: np.ndarray) -> np.ndarray:
    """Order facets so that consecutive ones share a vertex (one or more open/closed chains)."""
    facets = np.asarray(facets)
    if facets.size <= 1:
        return facets
    ends = mesh.facets[:, facets]
    by_vertex: dict[int, list[int]] = {}
    for k in range(facets.size):
        for v in ends[:, k]:
            by_vertex.setdefault(int(v), []).append(k)
    unused = set(range(facets.size))
    ordered = []
    # start chains at curve ends (vertices used once), then close loops
    starts = [v for v, ks in by_vertex.items() if len(ks) == 1]
    starts.sort(key=lambda v: (mesh.p[0, v], mesh.p[1, v]))
    while unused:
        start = next((v for v in starts if any(k in unused for k in by_vertex[v])), None)
        if start is None:
            start = int(ends[0, min(unused)])
        vertex = start
        while True:
            nxt = next((k for k in by_vertex[vertex] if k in unused), None)
            if nxt is None:
                break
            unused.remove(nxt)
            ordered.append(nxt)
            a, b = ends[:, nxt]
            vertex = int(b if a == vertex else a)
    return facets[np.array(ordered)]


def _check_jacobians(points: np.ndarray, t6: np.ndarray, source: str) -> None:
    """Reject elements whose Jacobian is non-positive somewhere inside (folded or degenerate).

    The check uses the gmsh node order: a valid element has one sign of det J at its six
    nodes and at the centroid, and counter-clockwise gmsh elements are positive.
    """
    x = points[0][t6]
    y = points[1][t6]
    # reference points: corners, mid-edges and centroid of the unit triangle
    ref = np.array([[0, 0], [1, 0], [0, 1], [.5, 0], [.5, .5], [0, .5], [1 / 3, 1 / 3]])
    dets = []
    for xi, eta in ref:
        dN = _p2_shape_gradients(xi, eta)  # (6, 2)
        jxx, jxy = x @ dN[:, 0], x @ dN[:, 1]
        jyx, jyy = y @ dN[:, 0], y @ dN[:, 1]
        dets.append(jxx * jyy - jxy * jyx)
    dets = np.array(dets)
    scale = np.max(np.abs(dets), axis=0)
    bad = np.flatnonzero((np.min(dets, axis=0) <= 1e-12 * scale) & (np.max(dets, axis=0) >= -1e-12 * scale)
                         | (scale == 0))
    if bad.size:
        e = bad[0]
        cx, cy = x[e, :3].mean(), y[e, :3].mean()
        raise InputError(f"mesh {source}: {bad.size} element(s) have a non-positive Jacobian "
                         f"(first near x = {cx:.4g}, y = {cy:.4g}); remesh with smaller curved "
                         "elements or fix the geometry")


def _p2_shape_gradients(xi: float, eta: float) -> np.ndarray:
    """Gradients of the 6 quadratic triangle shape functions (gmsh node order) at (xi, eta)."""
    l0 = 1 - xi - eta
    return np.array([
        [-(4 * l0 - 1), -(4 * l0 - 1)],
        [4 * xi - 1, 0.0],
        [0.0, 4 * eta - 1],
        [4 * (l0 - xi), -4 * xi],
        [4 * eta, 4 * xi],
        [-4 * eta, 4 * (l0 - eta)],
    ])


# reference points of the 6-node triangle: its nodes (skfem = gmsh order) and edge midpoints
_NODES = np.array([[0, 0], [1, 0], [0, 1], [0.5, 0], [0.5, 0.5], [0, 0.5]], dtype=float)
_EDGE_MIDPOINTS = np.array([[0.5, 0.0], [0.5, 0.5], [0.0, 0.5]])


def element_nodes(mesh) -> np.ndarray:
    """(6, nel) scalar P2 node indices of every element of a skfem MeshTri2 (corners, then
    mid-edge nodes: the gmsh order)."""
    return np.vstack([mesh.t, mesh.nvertices + mesh.t2f])


def _jacobians(xy: np.ndarray, nodes: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """det J of the 6-node triangles (nel, 6) with node coordinates xy (2, n) at reference points
    -> (nel, len(reference))."""
    x, y = xy[0][nodes], xy[1][nodes]
    out = []
    for xi, eta in reference:
        dN = _p2_shape_gradients(xi, eta)
        out.append((x @ dN[:, 0]) * (y @ dN[:, 1]) - (x @ dN[:, 1]) * (y @ dN[:, 0]))
    return np.stack(out, axis=1)


def _local_coordinates(mesh, element: int, point: np.ndarray, tolerance: float = 1e-10):
    """Local coordinates of a point in a curved P2 element by Newton's method, relative to the
    element's size (an absolute tolerance in um fails to round-off at x ~ 1e3 um); None if it
    does not converge or lands clearly outside the element."""
    from skfem import ElementTriP2

    nodes = mesh.doflocs[:, element_nodes(mesh)[:, element]]          # (2, 6)
    origin = nodes[:, :1]
    nodes, target = nodes - origin, point - origin[:, 0]
    size = np.abs(nodes).max()
    element_type = ElementTriP2()
    xi = np.array([[1 / 3], [1 / 3]])
    for _ in range(30):
        values = [element_type.lbasis(xi, i) for i in range(6)]
        x = sum(nodes[:, [i]] * v[0] for i, v in enumerate(values))[:, 0]
        J = sum(np.outer(nodes[:, i], v[1][:, 0]) for i, v in enumerate(values))
        step = np.linalg.solve(J, target - x)
        xi = xi + step[:, None]
        if np.abs(step).max() < tolerance and np.abs(target - x).max() < 1e-9 * size:
            l1, l2 = xi[:, 0]
            return xi[:, 0] if min(l1, l2, 1 - l1 - l2) > -1e-3 else None
    return None


def _containing(corners: np.ndarray, point: np.ndarray) -> int:
    """Index of the (straight-sided approximation of the) triangle containing point, or the
    nearest one when the point lies just outside every straight triangle (curved edges)."""
    a, b, c = corners[:, 0], corners[:, 1], corners[:, 2]
    v0, v1 = b - a, c - a
    det = v0[0] * v1[1] - v0[1] * v1[0]
    d = point[:, None] - a
    l1 = (d[0] * v1[1] - d[1] * v1[0]) / det
    l2 = (v0[0] * d[1] - v0[1] * d[0]) / det
    l0 = 1 - l1 - l2
    worst = np.minimum(np.minimum(l0, l1), l2)
    best = int(np.argmax(worst))
    if worst[best] >= -1e-6:
        return best
    centroid = corners.mean(axis=1)
    distance = np.hypot(*(centroid - point[:, None]))
    nearest = int(np.argmin(distance))
    return nearest if distance[nearest] <= 2 * np.sqrt(np.abs(det[nearest])) else -1
