"""VTU export for ParaView: region ids, displacement and region-smoothed stress fields.

Nodes on a material boundary are written once per region, so each region carries its own
smoothed stresses and the jump across the boundary stays visible.
"""
from __future__ import annotations

import numpy as np

from .post import Stresses
from .thermoelastic import Solution


def region_split_mesh(mesh, element_nodes: np.ndarray):
    """Points and 6-node cells with nodes duplicated per region.

    Returns (point coordinates (n, 2), cells (nel, 6) into those points, source node of each
    point (n,)); cells keep the element order of the mesh.
    """
    coordinates = mesh.mesh.doflocs
    cells = np.empty((mesh.n_elements, 6), dtype=np.int64)
    sources = []
    offset = 0
    for elements in mesh.regions.values():
        nodes, local = np.unique(element_nodes[:, elements].T, return_inverse=True)
        cells[elements] = offset + local.reshape(-1, 6)
        sources.append(nodes)
        offset += nodes.size
    source = np.concatenate(sources)
    return coordinates[:, source].T, cells, source


#: a P2 triangle (corners 0 1 2, mid-nodes 3 4 5 on edges 01 12 20) as four linear triangles
P2_SUBTRIANGLES = np.array([[0, 3, 5], [3, 1, 4], [5, 4, 2], [3, 4, 5]])


def plot_field(stresses: Stresses, name: str = "von_mises", ax=None, cmap: str = "viridis"):
    """Draw a region-smoothed stress field on the mesh (a component such as ``s_xx`` or an
    invariant: ``von_mises``, ``max_principal``, ``min_principal``); returns matplotlib's
    mappable, for a colour bar. Each region keeps its own nodal values (no blur across
    material boundaries)."""
    import matplotlib.pyplot as plt
    from matplotlib.tri import Triangulation

    fields = stresses.nodal_fields()
    if name not in fields:
        from .errors import InputError
        raise InputError(f"field = '{name}' is not one of {', '.join(fields)}")
    points, cells, _ = region_split_mesh(stresses.solution.model.mesh, stresses.element_nodes)
    values = np.empty(len(points))
    values[cells.ravel()] = fields[name].ravel()
    triangulation = Triangulation(points[:, 0], points[:, 1], cells[:, P2_SUBTRIANGLES].reshape(-1, 3))
    ax = ax if ax is not None else plt.gca()
    ax.set_aspect("equal")
    return ax.tripcolor(triangulation, values, shading="gouraud", cmap=cmap)


def write_vtu(path, solution: Solution, stresses: Stresses) -> None:
    """The thermoelastic result: displacement and region-smoothed stresses."""
    write_fields_vtu(path, solution.model.mesh, stresses.element_nodes, solution.u,
                     stresses.nodal_fields())


def write_fields_vtu(path, mesh, element_nodes: np.ndarray, u: np.ndarray,
                     nodal_fields: dict[str, np.ndarray]) -> None:
    """Write element-node fields (each (nel, 6) or (nel, 6, k)) with region-split nodes."""
    import meshio

    points2d, cells, source = region_split_mesh(mesh, element_nodes)
    points = np.column_stack([points2d, np.zeros(len(points2d))])
    displacement = u.reshape(-1, 2)[source]
    point_data = {"displacement": np.column_stack([displacement, np.zeros(len(displacement))])}
    # every element-node value lands on its region's copy of the node (identical within a region)
    for name, values in nodal_fields.items():
        field = np.empty((len(points),) + values.shape[2:])
        field[cells.ravel()] = values.reshape((-1,) + values.shape[2:])
        point_data[name] = field
    region_id = mesh.region_of_element.astype(np.int32)
    mesh = meshio.Mesh(points, [("triangle6", cells)], point_data=point_data,
                       cell_data={"region_id": [region_id]})
    meshio.write(path, mesh, file_format="vtu", binary=True, compression=None)


def write_pvd(path, entries: list[tuple[float, str]]) -> None:
    """A ParaView collection: (time, relative VTU file name) pairs, for animation."""
    rows = "\n".join(f'    <DataSet timestep="{t:.6g}" part="0" file="{name}"/>' for t, name in entries)
    path.write_text('<?xml version="1.0"?>\n<VTKFile type="Collection" version="0.1">\n'
                    f"  <Collection>\n{rows}\n  </Collection>\n</VTKFile>\n")
