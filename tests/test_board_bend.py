"""Cyclic board bending: the four-point fixture against beam theory, a bend cycling run on an
assembly slice, and the refusal of impossible bend tests."""
import numpy as np
import pytest

from fea.errors import InputError
from geometry import STRUCTURES
from geometry.board_bend import (BendTest, bend_factor, bend_model, board_layer, fixture_spec, isothermal_table,
                                 load_line, package_end)
from studies import board_bend as study
from studies.evaluate import Point, bend_test, evaluate

#: a compact fixture for the coarse slices of the tests: the load lines a board thickness beyond
#: the 2000 um package, the supports 3000 um further (arm / thickness 3.75)
COMPACT = {"support_span": 12000.0, "load_span": 6000.0}
MOLDED = {"solder_material": "sac305", "joint_count": 5, "pitch": 400.0, "joint_width": 250.0,
          "joint_height": 250.0, "second_substrate_thickness": 800.0}


@pytest.mark.parametrize("spans, shear_share", [((110000.0, 75000.0), 2.0e-4), ((12000.0, 4000.0), 1.13e-2)])
def test_the_bare_board_bends_as_a_beam(spans, shear_share):
    """Load-line stiffness of the bare 800 um FR-4 board against beam theory in plane strain
    (E' = E / (1 - nu^2)) within 1 %, on a coarse mesh (four quadratic elements through the
    thickness). With the B113 spans the shear deflection is 0.02 % of the bending; with the stubby
    12/4 mm fixture it is 1.1 %, and the computed stiffness follows Timoshenko, not Euler-Bernoulli."""
    computed, E, nu = study.bare_board_stiffness(*spans)
    t = study.BOARD_THICKNESS
    euler = 1 / study.four_point_compliance(E, nu, t, *spans, shear=False)
    timoshenko = 1 / study.four_point_compliance(E, nu, t, *spans)
    assert euler / timoshenko - 1 == pytest.approx(shear_share, rel=0.02)
    assert computed == pytest.approx(timoshenko, rel=0.01)
    if shear_share > 1e-3:
        assert abs(computed / euler - 1) > 0.005     # the shear term is seen


def test_verify_lines_of_the_fixture_pass():
    checks = study.bare_board_checks()
    assert len(checks) == 2 and all(c.passed for c in checks), [(c.quantity, c.error) for c in checks]


def test_the_fixture_extends_the_board_and_holds_the_slice_by_the_support():
    spec = STRUCTURES["cu-post"](joint_count=5, pitch=400.0).spec("assembly")
    bent = fixture_spec(spec, BendTest(**COMPACT))
    _, layer, (x1, y0, y1) = board_layer(bent)
    assert x1 == COMPACT["load_span"] / 2
    arm = next(l for l in bent.layers if l.region == "board_arm")
    assert max(x for x, _ in arm.shape.points) == COMPACT["support_span"] / 2
    assert bent.materials["board_arm"] == bent.materials["board"] == "fr4"
    groups = [bc["group"] for bc in bent.bcs]
    assert "anchor" not in groups and "bend_support" in groups and "symmetry" in groups
    assert package_end(spec, "board") == pytest.approx(2000.0)


@pytest.mark.parametrize("variant", study.VARIANTS, ids=lambda v: v.structure)
def test_every_structure_of_the_study_mounts_in_the_fixture(variant):
    """Each compare_all slice meshes in the B113 fixture with its load line and support face
    named, the package below the board (the push is -y) and the arm in the board's material."""
    point = study.STUDY.points(quick=True)[[v.label for v in study.VARIANTS].index(variant.label)]
    test = BendTest.from_table(point.load["bend"])
    model = bend_model(point.builder(), "assembly", 4.0, None, test)
    push = load_line(model)
    board = push.group.split("/")[0]
    assert push.value == -test.amplitude and "bend_support" in model.mesh.curves and push.group in model.mesh.curves
    assert model.materials[board + "_arm"].name == model.materials[board].name
    assert ("anchor", "y") not in model.fixed and ("bend_support", "y") in model.fixed


def bend_point(amplitude: float, **bend) -> Point:
    table = {**COMPACT, "amplitude": amplitude, "waveform": "triangle", "cycles": 1, **bend}
    return Point("molded-joint", MOLDED, "assembly", 4.0, {"bend": table})


@pytest.fixture(scope="module")
def bent_records():
    """The molded-joint slice (coarse, compact fixture) through one bend cycle at 20 and 40 um."""
    return {a: evaluate(bend_point(a))[0] for a in (20.0, 40.0)}


def test_a_bend_cycle_dissipates_and_more_bending_dissipates_more(bent_records):
    small, large = (bent_records[a]["metrics"] for a in (20.0, 40.0))
    assert small["critical.dW"] > 0
    assert large["critical.dW"] > 2 * small["critical.dW"]     # inelastic: faster than the load
    assert large["critical.life"] < small["critical.life"]
    # the fixture force is the board's (elastic) response: it doubles with the deflection
    assert large["bend.load_line_force"] == pytest.approx(2 * small["bend.load_line_force"], rel=0.05)
    # plotted at the peak of the (one-sided triangle) cycle
    assert "bend at 1 of its amplitude" in bent_records[40.0]["state"]
    # the record says how the history was stepped (the report's time-step band reads it), and
    # the same load evaluates to the same test
    load = bent_records[40.0]["load"]
    assert load["fixed_steps"] is True
    assert isothermal_table(bend_test(load)) == isothermal_table(bend_test(bend_point(40.0).load))


def test_the_bend_record_has_every_metric_of_the_study(bent_records):
    record = dict(bent_records[40.0])
    metrics = {**record["metrics"], **study.STUDY.derive(record)}
    missing = [m.key for m in study.METRICS if m.key not in metrics]
    assert not missing, missing
    assert study.answer({"molded": {**record, "metrics": metrics}}).startswith("Ranked by outer-joint solder life")


def test_a_positive_amplitude_bends_the_package_side_into_tension():
    """The load line moves towards the package (below the board): the board sags between the load
    lines, its lower face stretched. The waveform is one-sided 0 -> 1 -> 0 and sampled at 16 points
    a period (a sine) with the extremes exact."""
    test = BendTest(**COMPACT, amplitude=30.0, frequency=2.0, cycles=2)
    model = bend_model(STRUCTURES["molded-joint"](**MOLDED), "assembly", 4.0, None, test)
    push = load_line(model)
    assert push.group == "second_substrate/second_substrate_arm" and push.value == -30.0
    assert [bend_factor(model, t) for t in (0.0, 0.25, 0.5, 0.75)] == pytest.approx([0.0, 1.0, 0.0, 1.0])
    assert bend_factor(model, 0.125) == pytest.approx(0.5)
    assert model.stress_free_temperature == 25.0 and model.load["history"][0] == [0.0, 25.0]
    history = model.history()
    assert history.cycles == 2 and history.cycle_window(2) == pytest.approx((0.5, 1.0))


def test_a_reversed_sine_and_a_temperature_profile():
    reversed_sine = BendTest(**COMPACT, ratio=-1.0)
    w = dict(reversed_sine.waveform_points(0.0, 1))
    assert (w[0.25], w[0.5], w[0.75], w[1.0]) == pytest.approx((1.0, 0.0, -1.0, 0.0))
    combined = BendTest(**COMPACT, frequency=1 / 3600, thermal={"profile": "G", "cycles": 2})
    model = bend_model(STRUCTURES["molded-joint"](**MOLDED), "assembly", 4.0, None, combined)
    start = model.history().cycle_window(1)[0]
    assert model.load == {"profile": "G", "cycles": 2}
    assert bend_factor(model, start - 1.0) == 0.0 and bend_factor(model, start + 1800.0) == pytest.approx(1.0)
    with pytest.raises(InputError, match=r"bend frequency = 1 Hz .* lower the frequency"):
        bend_model(STRUCTURES["molded-joint"](**MOLDED), "assembly", 4.0, None,
                   BendTest(**COMPACT, thermal={"profile": "G", "cycles": 2}))


@pytest.mark.parametrize("table, message", [
    ({"amplitude": -5.0}, r"bend amplitude = -5 um is outside \(0, 20000\]"),
    ({"amplitude": 0.0}, r"bend amplitude = 0 um is outside \(0, 20000\]"),
    ({"frequency": 0.0}, r"bend frequency = 0 Hz is outside \(0, 100\]"),
    ({"frequency": -1.0}, r"bend frequency = -1 Hz is outside \(0, 100\]"),
    ({"load_span": 130000.0}, r"bend load_span = 130000 um is outside \(0, 110000\)"),
    ({"waveform": "square"}, r"bend waveform = 'square' is not one of \{sine, triangle\}"),
    ({"ratio": 0.5}, r"bend ratio = 0.5 is not one of \{0, -1\}"),
    ({"cycles": 0}, r"bend cycles = 0 is outside \[1, 100\]"),
    ({"amplitude": "big"}, r"bend amplitude = 'big' is not a finite number"),
    ({"spam": 1}, r"bend: unknown key\(s\) spam; allowed: support_span"),
])
def test_bad_bend_tables_are_one_line_errors(table, message):
    with pytest.raises(InputError, match=message) as error:
        BendTest.from_table(table)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("spans, message", [
    ({"support_span": 3000.0, "load_span": 2000.0},
     r"bend support_span = 3000 um is outside \[7200, 1e\+06\] \(the supports at least two board thicknesses "
     r"beyond the package: the package reaches 2000 um from the centre, the board is 800 um thick\)"),
    ({"support_span": 12000.0, "load_span": 3000.0}, r"bend load_span = 3000 um is outside \[5600, 10400\]"),
    ({"support_span": 12000.0, "load_span": 11000.0}, r"bend load_span = 11000 um is outside \[5600, 10400\]"),
])
def test_a_fixture_shorter_than_the_package_is_refused(spans, message):
    spec = STRUCTURES["molded-joint"](**MOLDED).spec("assembly")
    with pytest.raises(InputError, match=message) as error:
        fixture_spec(spec, BendTest(**spans))
    assert "\n" not in str(error.value)


def test_a_cell_has_no_board_to_bend():
    with pytest.raises(InputError, match="has no board to bend: bending needs an assembly slice"):
        fixture_spec(STRUCTURES["molded-joint"](**MOLDED).spec("cell"), BendTest(**COMPACT))


def test_the_isothermal_history_has_one_cycle_per_period_and_rows_at_the_extremes():
    test = BendTest(frequency=3.0, cycles=4)
    table = isothermal_table(test)
    rows = np.array(table["history"])
    assert rows.shape == (17, 2) and np.all(rows[:, 1] == 25.0)
    times = {t for t, _ in test.waveform_points(0.0, 4)}
    assert set(rows[:, 0]) <= times          # the same instants, the same floats
    from fea.load_history import from_table
    history = from_table(table, 25.0)
    assert history.cycles == 4
    assert [history.cycle_window(c) for c in (1, 4)] == pytest.approx([(0.0, 1 / 3), (1.0, 4 / 3)])


def test_a_bent_slice_round_trips_through_a_model_file(tmp_path):
    """`pkgrel solve` takes a bent slice as written: the load line's history, the support, the
    fixed-step [load] table and the stress-free test temperature read back unchanged."""
    from studies.model_file import read_model, write_model

    model = bend_model(STRUCTURES["molded-joint"](**MOLDED), "assembly", 4.0, None, BendTest(**COMPACT, cycles=1))
    write_model(model, tmp_path / "bent")
    again = read_model(tmp_path / "bent" / "model.toml")
    assert again == model
    assert again.load["fixed_steps"] is True and again.stress_free_temperature == 25.0
