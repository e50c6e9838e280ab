"""Read a 2D gmsh cross-section (quadratic, curved triangles, physical groups) into scikit-fem.

Plain data out: a :class:`MeshModel` holds the skfem ``MeshTri2`` (curved isoparametric P2
geometry), the elements of every named region (physical surface) and the facets of every named
curve (physical curve: interfaces ``a/b`` and boundaries such as ``bottom`` or ``axis``).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import InputError

# gmsh cell types meshio reports that make a mesh 3D
_VOLUME_CELLS = {"tetra", "tetra10", "hexahedron", "hexahedron20", "hexahedron27",
                 "wedge", "wedge15", "pyramid", "pyramid13"}


@dataclass
class MeshModel:
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
    _region_of_element: np.ndarray | None = field(default=None, repr=False)

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

    def require_curve(self, name: str, what: str) -> np.ndarray:
        if name not in self.curves:
            raise InputError(f"{what}: curve '{name}' is not a physical curve of the mesh "
                             f"{self.source}; it has: {', '.join(self.curves) or 'none'}")
        return self.curves[name]


def read_msh(path: str | os.PathLike) -> MeshModel:
    """Read a gmsh ``.msh`` file with 6-node triangles and physical groups."""
    import meshio

    path = Path(path)
    if not path.is_file():
        raise InputError(f"mesh file '{path}' does not exist")
    try:
        raw = meshio.read(path, file_format="gmsh")
    except Exception as exc:  # meshio raises many types for malformed files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"mesh file '{path}' could not be read as gmsh .msh: {first}") from None
    return from_meshio(raw, source=str(path))


def from_meshio(raw, source: str = "<memory>") -> MeshModel:
    """Convert a meshio mesh read from gmsh (with ``gmsh:physical`` data) to a MeshModel."""
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
    return MeshModel(mesh=mesh, regions=regions, curves=curves, points=points_by_name, source=source)


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
