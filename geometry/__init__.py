"""Parametric 2D cross-section builders (gmsh/OpenCASCADE) for the package structures.

``STRUCTURES`` maps the CLI name of every structure to its builder class; each builder is a
frozen dataclass of parameters (um) with ``build(level, mesh_size_factor) -> BuiltModel``.
Builders are imported lazily so that ``import geometry`` does not import gmsh.
"""
from __future__ import annotations

import importlib

# CLI name -> "module:Class"; add new structures here
_REGISTRY = {
    "ppi-recess": "geometry.ppi_recess:PpiRecess",
    "cu-post": "geometry.cu_post:CuPost",
    "molded-joint": "geometry.molded_joint:MoldedJoint",
    "fanout-rdl": "geometry.fanout_rdl:FanoutRdl",
    "edge-recess-rdl": "geometry.edge_recess_rdl:EdgeRecessRdl",
}


def _load(target: str):
    module, cls = target.split(":")
    try:
        return getattr(importlib.import_module(module), cls)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        return None   # a registered module that is not there


class _Structures(dict):
    """Name -> builder class, loaded on first access; a registered module that is missing is absent."""

    def _fill(self):
        if not dict.__len__(self):
            for name, target in _REGISTRY.items():
                cls = _load(target)
                if cls is not None:
                    dict.__setitem__(self, name, cls)

    def __getitem__(self, k):
        self._fill()
        return dict.__getitem__(self, k)

    def __iter__(self):
        self._fill()
        return dict.__iter__(self)

    def __len__(self):
        self._fill()
        return dict.__len__(self)

    def __contains__(self, k):
        self._fill()
        return dict.__contains__(self, k)

    def keys(self):
        self._fill()
        return dict.keys(self)

    def items(self):
        self._fill()
        return dict.items(self)

    def values(self):
        self._fill()
        return dict.values(self)

    def get(self, k, default=None):
        self._fill()
        return dict.get(self, k, default)


STRUCTURES = _Structures()


def builder(name: str, settings=()):
    """Builder instance for the CLI name ``name`` from ``NAME=VALUE`` strings."""
    from fea.errors import InputError
    from .parameters import from_settings
    if name not in STRUCTURES:
        raise InputError(f"structure {name} is unknown; valid: {', '.join(STRUCTURES)}")
    return from_settings(STRUCTURES[name], settings)
