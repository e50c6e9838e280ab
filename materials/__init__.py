"""Materials library: one TOML data file per material (materials/data/), validated on loading,
with temperature-dependent elastic and secant-expansion data, optional plasticity, creep, Anand
and fatigue constants, each value with its unit and source.

    import materials
    lib = materials.load_library(["my_materials.toml"])
    cu = lib.get("copper")
    cu.E(T), cu.nu(T), cu.alpha_secant(T), cu.thermal_strain(T, T0)
"""
from .loader import DATA_DIR, Library, default_library, from_inline, load_library
from .material import Material
from .models import CoffinManson, Creep, Darveaux, EnergyLaw, Fatigue, Plasticity
from .quantity import Expansion, Quantity, secant_from_instantaneous

__all__ = [
    "DATA_DIR", "Library", "default_library", "from_inline", "load_library", "Material", "CoffinManson",
    "Creep", "Darveaux", "EnergyLaw", "Fatigue", "Plasticity", "Expansion", "Quantity",
    "secant_from_instantaneous",
]
