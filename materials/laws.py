"""Which constitutive law a material gets: its library data (Anand, Garofalo, Norton, plasticity)
or the inline creep / plastic tables of a model file, as `fea.constitutive` laws."""
from __future__ import annotations

import numpy as np

from fea.constitutive import Anand, Elastic, GarofaloCreep, J2Plasticity, NortonCreep
from fea.errors import InputError, finite_number, shown
from fea.viscoelastic import Viscoelastic

from .quantity import Quantity
from .viscoelastic import inline_viscoelastic, with_glassy_modulus

KINDS = ("elastic", "plastic", "norton", "garofalo", "creep", "anand", "viscoelastic")


def _inline_function(label: str, key: str, raw) -> Quantity:
    """An inline number or [[T_degC, value], ...] table (MPa) as a Quantity."""
    where = f"material '{label}': plastic.{key}"
    if not isinstance(raw, list):
        value = finite_number(raw, where)
        if value < 0:
            raise InputError(f"{where} = {shown(raw)} must not be negative")
        return Quantity(owner=label, name=f"plastic.{key}", unit="MPa", source="inline", value=value)
    if not all(isinstance(row, list) and len(row) == 2 for row in raw):
        raise InputError(f"{where} = {shown(raw)} must be a number or a table [[T_degC, value], ...] "
                         f"with increasing temperatures")
    rows = np.array([[finite_number(T, f"{where} table temperature"), finite_number(v, f"{where} table value")]
                     for T, v in raw]).reshape(-1, 2)
    if rows.shape[0] < 1 or np.any(np.diff(rows[:, 0]) <= 0):
        raise InputError(f"{where} = {shown(raw)} must be a number or a table [[T_degC, value], ...] "
                         f"with increasing temperatures")
    if np.any(rows[:, 1] < 0):
        raise InputError(f"{where} = {shown(raw)} must not be negative")
    return Quantity(owner=label, name=f"plastic.{key}", unit="MPa", source="inline",
                    temps=tuple(rows[:, 0]), values=tuple(rows[:, 1]))


def _inline_number(label: str, group: str, table: dict, key: str, default=None, positive=True) -> float:
    if key not in table:
        if default is None:
            raise InputError(f"material '{label}': {group} needs '{key}'")
        return default
    value = finite_number(table[key], f"material '{label}': {group}.{key}")
    if (positive and not value > 0) or (not positive and value < 0):
        raise InputError(f"material '{label}': {group}.{key} = {table[key]!r} must be a "
                         f"{'positive' if positive else 'non-negative'} number")
    return value


def inline_creep(label: str, table: dict):
    """creep = {law = "norton", A, n, Q = 0} or {law = "garofalo", C1, C2, C3, C4}."""
    law = table.get("law", "norton")
    allowed = {"norton": ("law", "A", "n", "Q"), "garofalo": ("law", "C1", "C2", "C3", "C4")}
    if not isinstance(law, str) or law not in allowed:
        raise InputError(f"material '{label}': creep.law = {law!r} must be \"norton\" or \"garofalo\"")
    unknown = sorted(set(table) - set(allowed[law]))
    if unknown:
        raise InputError(f"material '{label}': creep.{unknown[0]} is not a {law} parameter "
                         f"(allowed: {', '.join(allowed[law])})")
    if law == "norton":
        return NortonCreep(A=_inline_number(label, "creep", table, "A"),
                           n=_inline_number(label, "creep", table, "n"),
                           Q=_inline_number(label, "creep", table, "Q", 0.0, positive=False))
    return GarofaloCreep(*(_inline_number(label, "creep", table, k) for k in ("C1", "C2", "C3", "C4")))


def inline_plastic(label: str, table: dict) -> J2Plasticity:
    """plastic = {yield, hardening, kinematic = fraction of hardening} or {..., kinematic_modulus}."""
    keys = ("yield", "hardening", "kinematic", "kinematic_modulus")
    unknown = sorted(set(table) - set(keys))
    if unknown:
        raise InputError(f"material '{label}': plastic.{unknown[0]} is not known (allowed: {', '.join(keys)})")
    if "yield" not in table:
        raise InputError(f"material '{label}': plastic needs 'yield' (MPa)")
    if "kinematic" in table and "kinematic_modulus" in table:
        raise InputError(f"material '{label}': give plastic.kinematic (fraction) or "
                         f"plastic.kinematic_modulus (MPa), not both")
    sigma_y = _inline_function(label, "yield", table["yield"])
    H = _inline_function(label, "hardening", table.get("hardening", 0.0))
    if "kinematic_modulus" in table:
        return J2Plasticity(sigma_y, H, _inline_number(label, "plastic", table, "kinematic_modulus", positive=False))
    f = _inline_number(label, "plastic", table, "kinematic", 0.0, positive=False)
    if f > 1:
        raise InputError(f"material '{label}': plastic.kinematic = {f!r} must be a fraction in [0, 1] "
                         f"(use kinematic_modulus for a modulus in MPa)")
    return J2Plasticity(sigma_y, lambda T: (1 - f) * H(T), lambda T: f * H(T))


def law_of(material, kind: str | None = None, analysis: str | None = None):
    """The constitutive law of a material.

    kind None picks the richest model the data holds: inline model-file creep / plastic /
    viscoelastic tables first (the user wrote them for this model), then Anand, Garofalo, Norton,
    plasticity, else elastic; a library material's viscoelastic data is used only when asked for.
    kind = 'anand', 'garofalo', 'norton', 'creep' (Garofalo or Norton), 'plastic', 'viscoelastic'
    or 'elastic' asks for one; missing data is an InputError. With `analysis` given, plane stress
    with an inelastic model is refused.
    """
    if kind is not None and kind not in KINDS:
        raise InputError(f"constitutive law kind = {kind!r} is not one of {', '.join(KINDS)}")
    extra = getattr(material, "extra", None) or {}
    creep = material.creep
    candidates = {
        "inline_creep": (("creep", "norton", "garofalo"),
                         lambda: inline_creep(material.name, extra["creep"]) if "creep" in extra else None),
        "inline_plastic": (("plastic",),
                           lambda: inline_plastic(material.name, extra["plastic"]) if "plastic" in extra else None),
        "inline_viscoelastic": (("viscoelastic",), lambda: _inline_viscoelastic(material, extra)),
        # library data: a law only when asked for by name (the studies' compounds stay elastic)
        "viscoelastic": (("viscoelastic",), lambda: kind == "viscoelastic" and material.viscoelastic and
                         with_glassy_modulus(material.viscoelastic, material.elastic_modulus)),
        "anand": (("anand",), lambda: material.anand),
        "garofalo": (("garofalo", "creep"),
                     lambda: creep and creep.garofalo),
        "norton": (("norton", "creep"), lambda: creep and creep.norton),
        "plastic": (("plastic",), lambda: material.plasticity and J2Plasticity.from_plasticity(
            material.plasticity, material.plasticity.kinematic_share)),
    }
    law = None
    if kind != "elastic":
        for kinds, build in candidates.values():
            if kind is None or kind in kinds:
                law = build()
                if law and (kind is None or kind in _kinds_of(law)):
                    break
                law = None
        if law is None and kind is not None:
            raise InputError(f"material '{material.name}' has no {kind} data "
                             f"(it has: {', '.join(material.models()) or 'elastic only'})")
    law = law or Elastic()
    if analysis is not None:
        law.check_analysis(analysis)
    return law


def _inline_viscoelastic(material, extra: dict):
    """An inline viscoelastic table (or "library": the base's data) as a law with the material's
    glassy modulus."""
    raw = extra.get("viscoelastic")
    if raw is None:
        return None
    law = material.viscoelastic if raw == "library" else inline_viscoelastic(material.name, raw)
    return with_glassy_modulus(law, material.elastic_modulus)


def _kinds_of(law) -> tuple[str, ...]:
    return {Viscoelastic: ("viscoelastic",), Anand: ("anand",), GarofaloCreep: ("garofalo", "creep"), NortonCreep: ("norton", "creep"),
            J2Plasticity: ("plastic",), Elastic: ("elastic",)}[type(law)]
