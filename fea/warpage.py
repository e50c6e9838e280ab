"""Package warpage: the out-of-flatness of a surface of an unattached package slice.

Shadow-moire and digital-image-correlation ovens (JEDEC JESD22-B112, JEITA ED-7306) measure the
height of a package face over a reflow profile and report its coplanarity (highest minus lowest
point) with a sign for the direction of curvature. In a half slice (centre at x = 0, the symmetry
plane, to the package edge) the face is a curve: its heights are w(x) = u_y at its nodes.

    coplanarity = max w - min w                       (um)
    warpage     = sign(w(edge) - w(centre)) coplanarity

Sign: positive when the edge lies above the centre in +y, which in pkgrel's cross-sections (the
documents' orientation: balls and board on top) is the side of the balls: positive is concave
seen from the balls (a 'smile' in a dead-bug shadow-moire view), negative convex ('cry').
"""
from __future__ import annotations

import numpy as np

from .mesh import Mesh
from .thermoelastic import COMPONENTS, curve_nodes, node_dofs


def surface(mesh: Mesh, curve: str) -> tuple[np.ndarray, np.ndarray]:
    """(x of the nodes, their u_y dofs) of a named curve, ordered by x."""
    facets = mesh.require_curve(curve, "[load] warpage")
    nodes = curve_nodes(mesh, facets)
    x = mesh.mesh.doflocs[0, nodes]
    order = np.argsort(x, kind="stable")
    return x[order], node_dofs(nodes[order], COMPONENTS["y"])


def warpage(heights: np.ndarray) -> tuple[float, float]:
    """(signed warpage, coplanarity) um of heights ordered from the centre to the edge."""
    coplanarity = float(heights.max() - heights.min())
    return float(np.sign(heights[-1] - heights[0])) * coplanarity, coplanarity
