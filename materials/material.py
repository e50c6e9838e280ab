"""A material as the solver sees it: E(T), nu(T), secant CTE, stress-free temperature and
optional inelastic / fatigue models."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fea.constitutive import Anand
from fea.viscoelastic import Viscoelastic

from .laws import law_of
from .models import Creep, Cure, Fatigue, Plasticity
from .quantity import Expansion, Quantity


@dataclass(frozen=True)
class Material:
    name: str
    aliases: tuple[str, ...]
    description: str
    elastic_modulus: Quantity          # MPa
    poisson_ratio: Quantity            # -
    expansion: Expansion               # secant CTE about expansion.reference_temperature
    stress_free_temperature: float     # degC
    stress_free_source: str
    tg: float | None = None            # degC
    tg_source: str = ""
    plasticity: Plasticity | None = None
    creep: Creep | None = None
    anand: Anand | None = None
    fatigue: Fatigue | None = None
    cure: Cure | None = None            # compounds: cure shrinkage and post-cure hold
    # library Prony series and shift (the law only when asked for: `law("viscoelastic")`, or an
    # inline material's viscoelastic = "library"); inline data lives in `extra`
    viscoelastic: Viscoelastic | None = None
    origin: str = ""                   # data file, or "inline"
    alloy: str = ""                    # solders: the alloy (life laws must be fitted on it)
    # model-file extras not yet interpreted (inline `creep = {...}`, `plastic = {...}`)
    extra: dict = field(default_factory=dict, compare=False, hash=False)
    # the model-file table an inline material was made from (written back as it was given)
    inline: dict | None = field(default=None, compare=False, hash=False)

    def E(self, T) -> np.ndarray:
        return self.elastic_modulus(T)

    def nu(self, T) -> np.ndarray:
        return self.poisson_ratio(T)

    @property
    def alpha_ref(self) -> float:
        return self.expansion.reference_temperature

    def alpha_secant(self, T) -> np.ndarray:
        return self.expansion.secant(T)

    def thermal_strain(self, T, T0) -> np.ndarray:
        """Free thermal strain from the stress-free temperature T0 to T with a secant CTE about
        alpha_ref: alpha(T) (T - Tref) - alpha(T0) (T0 - Tref). This is the small-strain
        convention of Abaqus and CalculiX (*EXPANSION, ZERO=Tref), so peer runs agree."""
        T = np.asarray(T, dtype=float)
        T0 = np.asarray(T0, dtype=float)
        Tr = self.alpha_ref
        a, a0 = self.alpha_secant(T), self.alpha_secant(T0)
        return a * (T - Tr) - a0 * (T0 - Tr)

    def law(self, kind: str | None = None, analysis: str | None = None):
        """The constitutive law of this material (`materials.laws.law_of`)."""
        return law_of(self, kind, analysis)

    def models(self) -> list[str]:
        """Names of the optional models present, for summaries."""
        out = []
        if self.tg is not None:
            out.append("Tg")
        if self.plasticity:
            out.append("plastic")
        if self.creep and self.creep.norton:
            out.append("norton")
        if self.creep and self.creep.garofalo:
            out.append("garofalo")
        if self.anand:
            out.append("anand")
        if self.viscoelastic or "viscoelastic" in self.extra:
            out.append("viscoelastic")
        if self.fatigue and self.fatigue.darveaux:
            out.append("darveaux")
        if self.fatigue and self.fatigue.coffin_manson:
            out.append("coffin-manson")
        if self.fatigue and self.fatigue.energy:
            out.append("energy-life")
        return out

    def sources(self) -> list[str]:
        """Distinct sources of every value, in order of first use."""
        found = [self.elastic_modulus.source, self.poisson_ratio.source,
                 self.expansion.alpha.source, self.stress_free_source, self.tg_source]
        if self.plasticity:
            found += [self.plasticity.yield_stress.source, self.plasticity.hardening_modulus.source]
            if self.plasticity.kinematic_fraction is not None:
                found.append(self.plasticity.kinematic_fraction.source)
        for model in (self.creep and self.creep.norton, self.creep and self.creep.garofalo,
                      self.anand, self.viscoelastic, self.fatigue and self.fatigue.darveaux,
                      self.fatigue and self.fatigue.coffin_manson, self.fatigue and self.fatigue.energy):
            if model:
                found += model.source.split("; ")
        out: list[str] = []
        for s in found:
            if s and s not in out:
                out.append(s)
        return out

    @property
    def source(self) -> str:
        return "; ".join(self.sources())

    def to_dict(self) -> dict:
        out = {
            "name": self.name,
            "aliases": list(self.aliases),
            "description": self.description,
            "E": self.elastic_modulus.to_dict(),
            "nu": self.poisson_ratio.to_dict(),
            "alpha": self.expansion.to_dict(),
            "E_25C_MPa": self.elastic_modulus.at25(),
            "nu_25C": self.poisson_ratio.at25(),
            "alpha_secant_25C_per_K": float(self.alpha_secant(np.array(25.0)))
            if _covers(self.expansion.alpha, 25.0) else None,
            "stress_free_temperature": self.stress_free_temperature,
            "alloy": self.alloy or None,
            "tg": self.tg,
            "models": self.models(),
            "source": self.source,
            "origin": self.origin,
        }
        for key in ("plasticity", "creep", "anand", "viscoelastic", "fatigue"):
            model = getattr(self, key)
            out[key] = model.to_dict() if model else None
        if self.extra:
            out["extra"] = self.extra
        return out


def _covers(q: Quantity, T: float) -> bool:
    return not q.is_table or q.extrapolate or q.temps[0] <= T <= q.temps[-1]
