"""Viscoelastic data of a material: the inline model-file form and the library-file section, read
into `fea.viscoelastic.Viscoelastic`, and the rule that ties the Prony series to E.

Inline (a model file's [materials]; times in s, temperatures in degC):

    viscoelastic = { prony = [[0.3, 10.0], [0.4, 1000.0]], bulk = "same",
                     shift = { law = "wlf", reference = 150.0, C1 = 17.4, C2 = 51.6 } }
    viscoelastic = "library"      # with base = "<library material>": the library's data

Library file (the same keys, each value with its unit and source):

    [viscoelastic]
    prony = { value = [[0.3, 10.0], ...], unit = "s", source = "..." }   # [weight, relaxation time]
    bulk = { value = "same", unit = "-", source = "..." }
    [viscoelastic.shift]
    law = "wlf"
    reference = { value = 150.0, unit = "degC", source = "..." }
    C1 = { value = 17.4, unit = "-", source = "..." }
    C2 = { value = 51.6, unit = "K", source = "..." }                  # arrhenius: Q_over_R (K)

E and the Prony series. With viscoelasticity E is the glassy (instantaneous) modulus and the
temperature dependence comes through the shift. A constant E is that modulus; an E(T) that steps
at Tg (below_tg / above_tg data, for the elastic analyses) gives its glassy plateau (the largest
value), and the long-term modulus E_glassy (1 - sum of weights) must match its rubbery plateau
(the smallest value) within RUBBERY_TOLERANCE, so both descriptions of the material agree.
"""
from __future__ import annotations

import numpy as np

from fea.errors import InputError, finite_number, shown
from fea.viscoelastic import WLF, Arrhenius, Viscoelastic, check_prony

SHIFT_LAWS = {"wlf": ("reference", "C1", "C2"), "arrhenius": ("reference", "Q_over_R")}
INLINE_KEYS = ("prony", "bulk", "shift", "source")
#: relative mismatch allowed between E_glassy (1 - sum g) and the rubbery plateau of a tabulated E
RUBBERY_TOLERANCE = 0.10
#: units of relaxation times in library files
TIME_UNITS = {"s": 1.0, "min": 60.0, "h": 3600.0}


def _prony(raw, where: str, factor: float = 1.0) -> tuple[tuple[float, ...], tuple[float, ...]]:
    if not isinstance(raw, list) or not raw or not all(isinstance(r, list) and len(r) == 2 for r in raw):
        raise InputError(f"{where} = {shown(raw)} must be a list of [weight, relaxation time s] pairs")
    weights = tuple(finite_number(g, f"{where} weight") for g, _ in raw)
    times = tuple(finite_number(t, f"{where} relaxation time") * factor for _, t in raw)
    check_prony(weights, times, where)
    return weights, times


def _shift(values: dict, law, where: str):
    """A shift function from {law, reference, C1, C2 | Q_over_R} with numeric values."""
    if not isinstance(law, str) or law not in SHIFT_LAWS:
        raise InputError(f"{where}.law = {shown(law)} must be \"wlf\" or \"arrhenius\"")
    allowed = SHIFT_LAWS[law]
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise InputError(f"{where}.{unknown[0]} is not a {law} parameter (allowed: law, {', '.join(allowed)})")
    missing = [k for k in allowed if k not in values]
    if missing:
        raise InputError(f"{where} ({law}) needs '{missing[0]}'")
    v = {k: finite_number(values[k], f"{where}.{k}") for k in allowed}
    if law == "wlf":
        for k in ("C1", "C2"):
            if not v[k] > 0:
                raise InputError(f"{where}.{k} = {v[k]:g} must be > 0")
        return WLF(v["reference"], v["C1"], v["C2"])
    if not v["Q_over_R"] > 0:
        raise InputError(f"{where}.Q_over_R = {v['Q_over_R']:g} K must be > 0")
    return Arrhenius(v["reference"], v["Q_over_R"])


def _bulk(value, where: str) -> str:
    if value not in ("same", "elastic"):
        raise InputError(f"{where} = {shown(value)} must be \"same\" (bulk relaxes with the shear weights) "
                         f"or \"elastic\" (only shear relaxes)")
    return value


def inline_viscoelastic(label: str, table) -> Viscoelastic:
    """The inline form {prony, bulk = "same", shift = {law, reference, ...}}."""
    where = f"material '{label}': viscoelastic"
    if not isinstance(table, dict):
        raise InputError(f"{where} must be a table {{prony = [[weight, tau_s], ...], bulk, shift = {{...}}}} "
                         f"or \"library\"")
    unknown = sorted(set(table) - set(INLINE_KEYS))
    if unknown:
        raise InputError(f"{where}.{unknown[0]} is not known (allowed: {', '.join(INLINE_KEYS)})")
    for key in ("prony", "shift"):
        if key not in table:
            raise InputError(f"{where} needs '{key}'")
    if not isinstance(table["shift"], dict):
        raise InputError(f"{where}.shift must be a table {{law = \"wlf\" | \"arrhenius\", reference, ...}}")
    weights, times = _prony(table["prony"], f"{where}.prony")
    shift = dict(table["shift"])
    law = shift.pop("law", None)
    return Viscoelastic(weights, times, _shift(shift, law, f"{where}.shift"),
                        _bulk(table.get("bulk", "same"), f"{where}.bulk"),
                        source=str(table.get("source", "inline value in the model file")))


def library_viscoelastic(raw, ctx, quantity, spec) -> Viscoelastic:
    """The [viscoelastic] section of a data file; quantity(raw, Spec, ctx, key) and spec(unit, check)
    are the loader's readers of {value, unit, source} values."""
    if not isinstance(raw, dict):
        raise ctx.fail("[viscoelastic] must be a section")
    unknown = sorted(set(raw) - {"prony", "bulk", "shift"})
    if unknown:
        raise ctx.fail(f"unknown key 'viscoelastic.{unknown[0]}' (allowed: prony, bulk, shift)")
    for key in ("prony", "shift"):
        if key not in raw:
            raise ctx.fail(f"missing key 'viscoelastic.{key}'")
    prony = raw["prony"]
    if not isinstance(prony, dict) or set(prony) - {"value", "unit", "source", "note"} or "value" not in prony:
        raise ctx.fail("viscoelastic.prony must be { value = [[weight, tau], ...], unit = \"s\", source = \"...\" }")
    if prony.get("unit") not in TIME_UNITS:
        raise ctx.fail(f"viscoelastic.prony: unit {prony.get('unit')!r} is not allowed (expected one of: "
                       f"{', '.join(TIME_UNITS)})")
    sources = [_source(prony, ctx, "viscoelastic.prony")]
    try:
        weights, times = _prony(prony["value"], "viscoelastic.prony", TIME_UNITS[prony["unit"]])
    except InputError as exc:
        raise ctx.fail(str(exc)) from None
    bulk = raw.get("bulk", {"value": "same", "unit": "-", "source": "default"})
    if not isinstance(bulk, dict) or "value" not in bulk or bulk.get("unit") != "-" \
            or set(bulk) - {"value", "unit", "source", "note"}:
        raise ctx.fail("viscoelastic.bulk must be { value = \"same\" | \"elastic\", unit = \"-\", source = \"...\" }")
    sources.append(_source(bulk, ctx, "viscoelastic.bulk"))
    shift_raw = raw["shift"]
    if not isinstance(shift_raw, dict):
        raise ctx.fail("[viscoelastic.shift] must be a section")
    law = shift_raw.get("law")
    units = {"reference": "degC", "C1": "-", "C2": "K", "Q_over_R": "K"}
    values = {}
    for key, value in shift_raw.items():
        if key == "law":
            continue
        if key not in units:
            raise ctx.fail(f"unknown key 'viscoelastic.shift.{key}' (allowed: law, {', '.join(units)})")
        q = quantity(value, spec(units[key]), ctx, f"viscoelastic.shift.{key}")
        values[key] = q.value
        sources.append(q.source)
    try:
        shift = _shift(values, law, "viscoelastic.shift")
        bulk_mode = _bulk(bulk["value"], "viscoelastic.bulk")
    except InputError as exc:
        raise ctx.fail(str(exc)) from None
    unique = list(dict.fromkeys(s for s in sources if s))
    return Viscoelastic(weights, times, shift, bulk_mode, source="; ".join(unique))


def _source(raw: dict, ctx, key: str) -> str:
    source = raw.get("source")
    if not isinstance(source, str) or not source.strip():
        raise ctx.fail(f"{key}: missing source (paper, handbook or datasheet)")
    return source.strip()


def glassy_modulus(elastic_modulus) -> float:
    """The glassy modulus a material's E data stands for: the constant, or a table's largest value."""
    if not elastic_modulus.is_table:
        return float(elastic_modulus.value)
    return float(max(elastic_modulus.values))


def check_consistent(label: str, elastic_modulus, law: Viscoelastic) -> None:
    """A tabulated E(T) (a Tg step) and the Prony series must agree on the rubbery modulus."""
    if not elastic_modulus.is_table:
        return
    glassy, rubbery = glassy_modulus(elastic_modulus), float(min(elastic_modulus.values))
    long_term = glassy * law.long_term_fraction
    if abs(long_term - rubbery) > RUBBERY_TOLERANCE * rubbery:
        raise InputError(
            f"material '{label}': viscoelastic long-term modulus E_glassy (1 - sum of weights) = {glassy:g} x "
            f"{law.long_term_fraction:.4g} = {long_term:.4g} MPa does not match the rubbery E = {rubbery:g} MPa "
            f"of the E(T) data within {RUBBERY_TOLERANCE:.0%} (sum of weights should be about "
            f"{1 - rubbery / glassy:.4g}, or give a constant E: the glassy modulus)")


def with_glassy_modulus(law: Viscoelastic, elastic_modulus) -> Viscoelastic:
    """The law with its glassy modulus taken from the material's E data (`glassy_modulus`)."""
    from dataclasses import replace

    return replace(law, glassy_modulus=glassy_modulus(elastic_modulus))


def relaxation_curve(law: Viscoelastic, decades: float = 2.0, points: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """(t, E(t)) of the master curve at the reference temperature, from decades below the shortest
    relaxation time to decades above the longest."""
    t = np.logspace(np.log10(min(law.times)) - decades, np.log10(max(law.times)) + decades, points)
    return t, law.relaxation_modulus(t)
