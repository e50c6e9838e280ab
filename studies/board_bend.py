"""The five interconnect structures under the same cyclic four-point board bend.

Reliability labs cycle boards mechanically as well as thermally (JESD22-B113 cyclic bend for
handheld products: four-point bend, support span 110 mm, load span 75 mm, 1-3 Hz). Every variant
is the compare_all package slice (five SAC305 joints of about 250 um at a 400 um pitch, the outer
one 1800 um from the centre, an 800 um board; see `studies.compare_all`) with its board extended to
the fixture's supports and bent by the load lines (`geometry.board_bend`): one-sided 1 Hz sine
cycles of 2 mm at 25 degC, where the slice is stress-free, so the ranking is by what the bending
alone does to the joints. The bare 800 um FR-4 board bent so has a surface strain of 1.06e-3
between the load lines (beam theory); the package stiffens the board under it.

The first cycle carries the first loading from zero (its inelastic work is several times a
repeated cycle's), so the lives come from the last of at least three cycles (up to six, until the
solder's dW changes by less than 2 % per cycle); --quick runs two on the coarse mesh. The ranking
is by the outer joint's solder life (the energy law on the dW of a Darveaux layer at the worse of
its two interfaces), as in compare_all: volume averages, never a peak at a corner.

`bare_board_checks` is the fixture's verification (`pkgrel verify`): the bare board's load-line
stiffness against Euler-Bernoulli / Timoshenko beam theory.

    python -m studies.board_bend [--quick] [--workers N] [--out DIR]
"""
from __future__ import annotations

import dataclasses
import sys

from .compare_all import JOINT_METRICS, NORMALISATION_METRICS, VARIANTS, interconnect_facts
from .study import Metric, Study, main

#: JESD22-B113 fixture, 1 Hz one-sided sine of 2 mm at the load lines, 25 degC
BEND = {"support_span": 110000.0, "load_span": 75000.0, "amplitude": 2000.0, "frequency": 1.0,
        "waveform": "sine", "ratio": 0.0, "temperature": 25.0}
FULL_BEND = {"bend": {**BEND, "cycles": 3, "stabilise": 0.02, "max_cycles": 6}}
QUICK_BEND = {"bend": {**BEND, "cycles": 2}}
#: the bare board of the verification: FR-4, as thick as the variants' boards
BOARD_THICKNESS = 800.0

METRICS = JOINT_METRICS + (
    Metric("outer_joint.von_mises_mean", "solder von Mises mean at the peak bend, outer joint", "MPa"),
    Metric("bend.load_line_force", "load-line force at the peak bend, per m of section depth", "N/m", "none", ".4g"),
) + NORMALISATION_METRICS


def answer(records: dict) -> str:
    ranked = sorted(((r["metrics"]["critical.life"], label) for label, r in records.items()
                     if "critical.life" in r["metrics"]), reverse=True)
    if not ranked:
        return "No structure produced a fatigue life."
    order = "; ".join(f"{k + 1}. {label} ({life:.3g})" for k, (life, label) in enumerate(ranked))
    return (f"Ranked by outer-joint solder life under the cyclic bend (cycles to failure; "
            f"{BEND['amplitude'] / 1000:g} mm at {BEND['frequency']:g} Hz in the JESD22-B113 fixture, "
            f"{BEND['temperature']:g} degC): {order}. The best lives {ranked[0][0] / ranked[-1][0]:.1f}x as long "
            f"as the worst.")


STUDY = Study(
    name="board_bend",
    title="Five package interconnect structures under the same cyclic board bend",
    question="At the compare_all package (five 250 um SAC305 joints at 400 um pitch, the outer one 1800 um "
             "from the centre, an 800 um board), which interconnect structure gives the longest solder-joint "
             "fatigue life when the board is bent cyclically in a JESD22-B113 four-point fixture (2 mm, 1 Hz, "
             "25 degC)?",
    structure="ppi-recess",
    variants=VARIANTS,
    metrics=METRICS,
    answer=answer,
    derive=interconnect_facts,
    contour="eps_eq_in",
    contour_label="accumulated equivalent inelastic strain [-]",
    contour_regions=("solder",),
    load=FULL_BEND,
    quick_load=QUICK_BEND,
    sources=("JESD22-B113", "US 2014/0374899", "seed 002", "US 9,263,839", "US 2018/0158746", "US 9,230,927"),
)


# ------------------------------------------------------------------------------- verification

def four_point_compliance(E: float, nu: float, thickness: float, support_span: float, load_span: float,
                          shear: bool = True) -> float:
    """Load-line deflection per load-line force (um per uN/um) of a plane-strain beam in four-point
    bending: delta / P = a^2 (3 l + 2 a) / (6 E' I) (+ a / (kappa G t)), arm a = (S - l) / 2,
    E' = E / (1 - nu^2), I = t^3 / 12, kappa = 5/6, G = E / (2 (1 + nu))."""
    arm = (support_span - load_span) / 2
    bending = arm ** 2 * (3 * load_span + 2 * arm) / (6 * E / (1 - nu ** 2) * thickness ** 3 / 12)
    return bending + (arm / (5 / 6 * E / (2 * (1 + nu)) * thickness) if shear else 0.0)


def bare_board_stiffness(support_span: float, load_span: float, thickness: float = BOARD_THICKNESS,
                         size: float | None = None, deflection: float = 100.0) -> tuple[float, float, float]:
    """The bare FR-4 board in the bend fixture, its load line pushed ``deflection`` um (a linear
    solve at the stress-free 25 degC): (load-line force / deflection, E and nu at 25 degC).
    ``size``: the element size (default a quarter of the thickness)."""
    import numpy as np

    from fea.model import Displacement
    from fea.post import Stresses
    from fea.thermoelastic import solve
    from geometry.board_bend import BendTest, bare_board_spec, load_line_of
    from geometry.meshing import mesh_model

    test = BendTest(support_span=support_span, load_span=load_span)
    model = mesh_model(bare_board_spec(thickness, test, size or thickness / 4))
    model = dataclasses.replace(model, temperature=25.0, stress_free_temperature=25.0,
                                displacements=(Displacement(load_line_of("board"), "y", -deflection),))
    force = -Stresses(solve(model)).reaction(load_line_of("board"), "y")
    fr4 = model.materials["board"]
    at = np.array([25.0])
    return force / deflection, float(fr4.E(at)[0]), float(fr4.nu(at)[0])


def bare_board_checks():
    """The fixture against beam theory: the JESD22-B113 spans (arm / thickness 22: shear adds 0.02 %)
    against Euler-Bernoulli, and a stubby fixture (arm / thickness 5: shear adds 1.1 %) against
    Timoshenko; measured 0.01 % and 0.13 % with four quadratic elements through the thickness."""
    from .verification import Check

    b113, E, nu = bare_board_stiffness(BEND["support_span"], BEND["load_span"])
    stubby, _, _ = bare_board_stiffness(12000.0, 4000.0)
    case = f"bare {BOARD_THICKNESS:g} um FR-4 board, four-point bend (generalized plane strain)"
    return [Check(f"{case}, B113 spans 110/75 mm", "load-line stiffness N/m per um (Euler-Bernoulli)",
                  1 / four_point_compliance(E, nu, BOARD_THICKNESS, BEND["support_span"], BEND["load_span"], False),
                  b113, 0.01),
            Check(f"{case}, spans 12/4 mm", "load-line stiffness N/m per um (Timoshenko, shear-corrected)",
                  1 / four_point_compliance(E, nu, BOARD_THICKNESS, 12000.0, 4000.0), stubby, 0.01)]


if __name__ == "__main__":
    sys.exit(main(STUDY))
