"""Parametric 2D cross-section builders (gmsh/OpenCASCADE) for the package structures.

``STRUCTURES`` maps the CLI name of every structure to its builder class; each builder is a
frozen dataclass of parameters (um) with ``build(level, mesh_size_factor) -> fea.model.Model``.
gmsh itself is imported only when a builder meshes.
"""
from __future__ import annotations

from .cu_post import CuPost
from .edge_recess_rdl import EdgeRecessRdl
from .fanout_rdl import FanoutRdl
from .molded_joint import MoldedJoint
from .ppi_recess import PpiRecess

#: CLI name -> builder class
STRUCTURES = {
    "ppi-recess": PpiRecess,
    "cu-post": CuPost,
    "molded-joint": MoldedJoint,
    "fanout-rdl": FanoutRdl,
    "edge-recess-rdl": EdgeRecessRdl,
}


def builder(name: str, settings=()):
    """Builder instance for the CLI name ``name`` from ``NAME=VALUE`` strings."""
    from fea.errors import InputError
    from .parameters import from_settings
    if name not in STRUCTURES:
        raise InputError(f"structure {name} is unknown; valid: {', '.join(STRUCTURES)}")
    return from_settings(STRUCTURES[name], settings)
