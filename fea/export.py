"""VTU export for ParaView: region ids, displacement and region-smoothed stress fields.

Nodes on a material boundary are written once per region, so each region carries its own
smoothed stresses and the jump across the boundary stays visible.
"""
from __future__ import annotations

import numpy as np

from .post import Stresses
from .thermoelastic import Solution


def region_split_mesh(solution: Solution, element_nodes: np.ndarray):
    """Points and 6-node cells with nodes duplicated per region.

    Returns (point coordinates (n, 2), cells (nel, 6) into those points, source node of each
    point (n,)); cells keep the element order of the mesh.
    """
    model = solution.problem.model
    coordinates = model.mesh.doflocs
    cells = np.empty((model.n_elements, 6), dtype=np.int64)
    sources = []
    offset = 0
    for elements in model.regions.values():
        nodes, local = np.unique(element_nodes[:, elements].T, return_inverse=True)
        cells[elements] = offset + local.reshape(-1, 6)
        sources.append(nodes)
        offset += nodes.size
    source = np.concatenate(sources)
    return coordinates[:, source].T, cells, source


def write_vtu(path, solution: Solution, stresses: Stresses) -> None:
    import meshio

    points2d, cells, source = region_split_mesh(solution, stresses.element_nodes)
    points = np.column_stack([points2d, np.zeros(len(points2d))])
    u = solution.u.reshape(-1, 2)[source]
    point_data = {"displacement": np.column_stack([u, np.zeros(len(u))])}
    # every element-node value lands on its region's copy of the node (identical within a region)
    for name, values in stresses.nodal_fields().items():
        field = np.empty(len(points))
        field[cells.ravel()] = values.ravel()
        point_data[name] = field
    region_id = solution.problem.model.region_of_element.astype(np.int32)
    mesh = meshio.Mesh(points, [("triangle6", cells)], point_data=point_data,
                       cell_data={"region_id": [region_id]})
    meshio.write(path, mesh, file_format="vtu", binary=True, compression=None)
