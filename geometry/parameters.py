"""Builder parameters: declaration, checks, conversion from the command line, listing, levels.

A builder is a frozen dataclass decorated with :func:`structure` whose fields are made with
:func:`param`: each field carries its meaning, unit, allowed range or choices and its source,
so range and choice checks, ``NAME=VALUE`` conversion and the docstring parameter table all
come from the same declaration.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from fea.errors import InputError

def param(default: Any, *, doc: str, unit: str = "um", range: tuple[float, float] | None = None,
          choices: Sequence[Any] | None = None, source: str = "typical value") -> Any:
    """A structure parameter: a dataclass field carrying its meaning, unit, allowed range or
    choices, and where the value comes from (document paragraph/claim, or "typical value")."""
    meta = {"doc": doc, "unit": unit, "range": range, "choices": tuple(choices) if choices else None,
            "source": source}
    return field(default=default, metadata=meta)


def parameters(cls_or_obj) -> list[dataclasses.Field]:
    return [f for f in dataclasses.fields(cls_or_obj) if "doc" in f.metadata]


def format_value(value: Any) -> str:
    """Short, exact-enough text of a parameter value for messages and listings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def allowed_text(f: dataclasses.Field) -> str:
    m = f.metadata
    if m["choices"]:
        return "{" + ", ".join(format_value(c) for c in m["choices"]) + "}"
    if m["range"]:
        lo, hi = m["range"]
        return f"[{format_value(lo)}, {format_value(hi)}]"
    return "true or false" if f.type in ("bool", bool) else "any"


def check_parameters(obj) -> None:
    """Type, range and choice checks from the field metadata; one-line InputError on failure."""
    for f in parameters(obj):
        check_value(f, getattr(obj, f.name))


def check_value(f: dataclasses.Field, value: Any) -> None:
    """One parameter value against its field's type, range and choices."""
    m = f.metadata
    kind = _kind(f)
    if kind is bool and not isinstance(value, bool):
        raise InputError(f"{f.name} = {format_value(value)} is not true or false")
    if kind in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"{f.name} = {format_value(value)} is not a number; allowed {allowed_text(f)}")
        if kind is int and int(value) != value:
            raise InputError(f"{f.name} = {format_value(value)} is not a whole number; allowed {allowed_text(f)}")
        if not math.isfinite(value):
            raise InputError(f"{f.name} = {format_value(value)} is not finite; allowed {allowed_text(f)}")
    if m["choices"] and value not in m["choices"]:
        raise InputError(f"{f.name} = {format_value(value)} is not one of {allowed_text(f)}")
    if m["range"]:
        lo, hi = m["range"]
        if not lo <= value <= hi:
            raise InputError(f"{f.name} = {format_value(value)} is outside {allowed_text(f)}")


class OutOfRange(InputError):
    """A derived (cross-parameter) limit: the parameter, its value and the allowed interval,
    so that a caller (scatter sampling) can clip to it."""

    def __init__(self, name: str, value: float, lo: float, hi: float, why: str = ""):
        tail = f" ({why})" if why else ""
        super().__init__(f"{name} = {format_value(value)} is outside [{format_value(lo)}, {format_value(hi)}]{tail}")
        self.name, self.value, self.low, self.high = name, value, lo, hi


def out_of_range(name: str, value: float, lo: float, hi: float, why: str = "") -> OutOfRange:
    """The one-line error for a derived (cross-parameter) limit, e.g. a recess deeper than the polymer."""
    return OutOfRange(name, value, lo, hi, why)


def zero_or_at_least(name: str, value: float, minimum: float, hi: float, why: str) -> None:
    """Refuse a feature too small to mesh sensibly: allowed 0 (absent) or [minimum, hi]."""
    if 0 < value < minimum:
        raise InputError(f"{name} = {format_value(value)} is outside 0 or "
                         f"[{format_value(minimum)}, {format_value(hi)}] ({why})")


def _kind(f: dataclasses.Field) -> type:
    t = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    return {"bool": bool, "int": int, "float": float, "str": str}.get(t, str)


def structure(cli_name: str):
    """Class decorator for a builder: freezes the dataclass, calls ``validate()`` after init
    (range checks first, then the class's own cross checks) and appends the parameter table
    (meaning, unit, allowed range, source) to the docstring."""

    def wrap(cls):
        own_validate = cls.__dict__.get("validate")

        def validate(self) -> None:
            check_parameters(self)
            if own_validate is not None:
                own_validate(self)

        def __post_init__(self) -> None:
            self.validate()

        cls.validate = validate
        cls.__post_init__ = __post_init__
        cls.cli_name = cli_name
        cls = dataclass(frozen=True)(cls)
        rows = []
        for f in parameters(cls):
            m = f.metadata
            unit = f" [{m['unit']}]" if m["unit"] else ""
            rows.append(f"    {f.name}{unit} = {format_value(f.default)}, allowed {allowed_text(f)}: "
                        f"{m['doc']} (source: {m['source']})")
        cls.__doc__ = (cls.__doc__ or "") + "\n\n    Parameters\n    ----------\n" + "\n".join(rows) + "\n"
        return cls

    return wrap


def parse_value(f: dataclasses.Field, text: str) -> Any:
    kind = _kind(f)
    t = text.strip()
    try:
        if kind is bool:
            low = t.lower()
            if low in ("true", "yes", "on", "1"):
                return True
            if low in ("false", "no", "off", "0"):
                return False
            raise ValueError
        if kind is int:
            v = float(t)
            if v != int(v):
                raise ValueError
            return int(v)
        if kind is float:
            return float(t)
    except ValueError:
        raise InputError(f"{f.name} = {t} is not a {kind.__name__}; allowed {allowed_text(f)}") from None
    return t


def from_settings(cls, settings: Iterable[str]):
    """Construct a builder from ``NAME=VALUE`` strings (the CLI's ``--set``), converting types."""
    fields = {f.name: f for f in parameters(cls)}
    values: dict[str, Any] = {}
    for item in settings:
        if "=" not in item:
            raise InputError(f"--set {item}: expected NAME=VALUE")
        name, text = item.split("=", 1)
        name = name.strip().replace("-", "_")
        if name not in fields:
            raise InputError(f"{name} is not a parameter of {cls.cli_name}; valid: {', '.join(fields)}")
        values[name] = parse_value(fields[name], text)
    return cls(**values)


def describe(cls) -> str:
    """Multi-line listing of a builder's parameters (for ``pkgrel list``)."""
    lines = [f"{cls.cli_name}: {(cls.__doc__ or '').strip().splitlines()[0]}"]
    for f in parameters(cls):
        m = f.metadata
        unit = f" {m['unit']}" if m["unit"] else ""
        lines.append(f"  {f.name} = {format_value(f.default)}{unit}  allowed {allowed_text(f)}  -- {m['doc']}"
                     f" [{m['source']}]")
    return "\n".join(lines)


def parameter_values(obj) -> dict[str, Any]:
    """Name -> value of every declared parameter of a builder instance."""
    return {f.name: getattr(obj, f.name) for f in parameters(obj)}


#: cell: one joint; assembly: the package slice on its board; package: the same slice without
#: board and lands (geometry.parts.unattached), for warpage
LEVELS = ("cell", "assembly", "package")


def is_cell(level: str) -> bool:
    """Check a model level and say whether it is the single-joint cell."""
    if level not in LEVELS:
        raise InputError(f"level = {level} is not one of {{{', '.join(LEVELS)}}}")
    return level == "cell"
