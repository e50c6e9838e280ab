"""Interface toughness per material pair (``data/interfaces/toughness.toml``): G_Ic and lambda of
Hutchinson & Suo's Gc(psi) = G_Ic [1 + tan^2((1 - lambda) psi)] (`fea.model.Toughness`), each with
its source; values no source gives are labelled typical."""
from __future__ import annotations

import functools
import tomllib
from pathlib import Path

from fea.errors import InputError
from fea.model import Toughness

TOUGHNESS_FILE = Path(__file__).parent / "data" / "interfaces" / "toughness.toml"


def pair_key(a: str, b: str) -> tuple[str, str]:
    return tuple(sorted((a.lower(), b.lower())))


@functools.lru_cache(maxsize=1)
def toughness_table() -> dict[tuple[str, str], tuple[Toughness, bool]]:
    """(material, material) -> (Toughness, typical) from the data file, checked on loading."""
    data = tomllib.loads(TOUGHNESS_FILE.read_text())
    table = {}
    for k, entry in enumerate(data.get("interface", [])):
        where = f"{TOUGHNESS_FILE.name} [[interface]] #{k + 1}"
        missing = {"materials", "G_Ic", "lambda", "source"} - set(entry)
        if missing:
            raise InputError(f"{where}: missing {', '.join(sorted(missing))}")
        pair = entry["materials"]
        if len(pair) != 2:
            raise InputError(f"{where}: materials must name two materials")
        table[pair_key(*pair)] = (Toughness(float(entry["G_Ic"]), float(entry["lambda"]), entry["source"]),
                                  bool(entry.get("typical", False)))
    return table


def interface_toughness(a: str, b: str) -> tuple[Toughness, bool] | None:
    """The library's (Toughness, typical) of the interface between materials ``a`` and ``b``."""
    return toughness_table().get(pair_key(a, b))
