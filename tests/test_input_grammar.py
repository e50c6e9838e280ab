"""Every model file a user can write: `pkgrel solve` either solves it (exit 0, all outputs) or
refuses it (exit 2, one line on stderr naming what is wrong, --out untouched), never a traceback.

Model files are drawn from a grammar: each entry (analysis, the two materials, the temperature
field, the stress-free temperature, supports, traction, probe, a user material file given with
--materials, and entries that must be refused here, such as [load] or [[layer]] tables) is drawn
from its valid or its broken forms. A file whose entries are all valid must solve; a file with a
broken entry must be refused, and when exactly one entry is broken the line names it. A second
test puts each of the (over 200) broken forms alone into one valid file. The solves are thermoelastic
on the 494-element block of conftest.py (about 0.05 s each): both tests take about 20 s.
"""
import contextlib
import io
import json
import math
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from studies.cli import main

EXAMPLES = 120
ANALYSES = ("plane_strain", "generalized_plane_strain", "plane_stress", "axisymmetric")


# ------------------------------------------------------------------------------ TOML text

def toml(value) -> str:
    """TOML text of a value, non-finite floats and any string included (JSON string escapes
    are TOML basic-string escapes)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml(v)}" for k, v in value.items()) + " }"
    raise TypeError(value)


def material_text(material: dict) -> str:
    """A material file: every section as an inline table."""
    return "".join(f"{k} = {toml(v)}\n" for k, v in material.items())


def model_text(entries: dict, mesh: Path) -> str:
    """A model file from the drawn entries: each is (where it goes, its content)."""
    top = {"mesh": str(mesh), "analysis": entries["analysis"]}
    if "title" in entries:
        top["title"] = entries["title"]
    lines = [f"{k} = {toml(v)}" for k, v in top.items()]
    lines += ["[materials]", f"die = {toml(entries['die'])}", f"film = {toml(entries['film'])}"]
    temperature = {}
    if "stress_free" in entries:
        temperature["stress_free"] = entries["stress_free"]
    if "load" not in entries:
        temperature["field"] = entries["field"]
    lines += ["[temperature]"] + [f"{k} = {toml(v)}" for k, v in temperature.items()]
    for section in ("bc", "traction", "probe", "layer"):
        for table in entries.get(section, []):
            lines += [f"[[{section}]]"] + [f"{k} = {toml(v)}" for k, v in table.items()]
    if "load" in entries:
        lines += ["[load]"] + [f"{k} = {toml(v)}" for k, v in entries["load"].items()]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------ the grammar
# Each entry: valid forms, and broken forms as (value, what the error line must name).

NOT_FINITE = (math.nan, math.inf, -math.inf)
NOT_NUMBERS = ("25", True, [1.0], {"value": 1.0})
temperatures = st.one_of(st.floats(-60.0, 250.0), st.integers(-60, 250))


def broken(values, marker: str) -> list[tuple[object, str]]:
    return [(v, marker) for v in values]


def quantity(value, unit: str, **more) -> dict:
    return {"value": value, "unit": unit, "source": "test", **more}


def material_file(E=100.0, nu=0.3, alpha=17.0, T0=150.0, **more) -> dict:
    """A user material file "mymat" (E in GPa, alpha in ppm/K)."""
    return {"name": "mymat", "stress_free_temperature": quantity(T0, "degC"),
            "elastic": {"E": quantity(E, "GPa"), "nu": quantity(nu, "-")},
            "expansion": {"alpha": quantity(alpha, "ppm/K", kind="secant", reference_temperature=25.0)}, **more}


def material_file_broken():
    good = material_file()
    cases = ([material_file(E=v) for v in NOT_FINITE + NOT_NUMBERS + (-1.0,)]
             + [material_file(nu=v) for v in NOT_FINITE + (0.5,)]
             + [material_file(alpha=v) for v in NOT_FINITE + ("17",)]
             + [material_file(T0=v) for v in NOT_FINITE + ("hot", -300.0, 1e5)]
             + [{**good, "elastic": {**good["elastic"], "E": {"table": [[0.0, 100.0], [100.0, v]],
                                                              "unit": "GPa", "source": "test"}}}
                for v in NOT_FINITE + ("x",)]
             + [{**good, "elastic": {**good["elastic"], "E": {"table": [[math.nan, 100.0], [100.0, 90.0]],
                                                              "unit": "GPa", "source": "test"}}}]
             + [{**good, "elastic": {**good["elastic"], "E": quantity(100.0, ["GPa"])}}]
             + [{**good, "expansion": {"alpha": quantity(17.0, "ppm/K", reference_temperature=v)}}
                for v in NOT_FINITE + ("room",)]
             + [{**good, "glass_transition": {"Tg": quantity(v, "degC")}} for v in NOT_FINITE + (1e4,)]
             + [{**good, "creep": {"norton": {"A": quantity(v, "1/(s*MPa^n)"), "n": quantity(5.0, "-"),
                                              "Q": quantity(0.0, "J/mol")}}} for v in NOT_FINITE + (0.0,)]
             + [{**good, "name": 5}, {**good, "aliases": [5]}, {**good, "base": 5}, {**good, "colour": "red"}])
    return broken(cases, "mine.toml")


def inline_die_valid():
    E = st.floats(1e3, 4e5)
    return st.fixed_dictionaries(
        {"E": st.one_of(E, E.map(lambda e: [[-100.0, e], [400.0, 0.8 * e]])),
         "nu": st.floats(0.0, 0.49), "alpha": st.floats(1e-7, 5e-5)},
        optional={"stress_free": temperatures,
                  "creep": st.just({"law": "norton", "A": 1e-12, "n": 5.0}),
                  "plastic": st.just({"yield": [[-100.0, 300.0], [400.0, 200.0]], "hardening": 10.0})})


def inline_die_broken():
    base = {"E": 130000.0, "nu": 0.28, "alpha": 2.6e-6}
    changes = ([{"E": v} for v in NOT_FINITE + NOT_NUMBERS + (-5.0, 0.0)]
               + [{"nu": v} for v in NOT_FINITE + (0.6, -1.5, "0.3")]
               + [{"alpha": v} for v in NOT_FINITE + (17.0,)]
               + [{"E": [[0.0, 1e5], [0.0, 2e5]]}, {"E": [[0.0, math.nan], [10.0, 1e5]]},
                  {"E": [[0.0, 1e5], ["hot", 1e5]]}]
               + [{"stress_free": v} for v in NOT_FINITE + (-300.0, 1e6, "hot")]
               + [{"alpha_ref": v} for v in NOT_FINITE]
               + [{"creep": {"law": "norton", "A": v, "n": 5.0}} for v in NOT_FINITE + (-1.0, "1e-12")]
               + [{"creep": {"law": "norton", "A": 1e-12, "n": 5.0, "Q": v}} for v in (math.nan, math.inf, -1.0)]
               + [{"creep": {"law": ["norton"]}}, {"creep": 3}]
               + [{"plastic": {"yield": v}}
                  for v in NOT_FINITE + (-1.0, [[0.0, math.inf], [1.0, 1.0]], [[0.0, 1.0], [1.0, "x"]])]
               + [{"Young": 3.0}])
    return broken([{**base, **change} for change in changes], "material 'die'")


SUPPORTS = [{"group": "bottom", "fix": ["y"]}, {"group": "left", "fix": "x"}]
ENTRIES = {
    "analysis": (st.sampled_from(ANALYSES),
                 broken(["3d", "", "Plane_Strain"], "analysis = '") + broken([5, ["plane_strain"], math.nan], "analysis")),
    "die": (inline_die_valid(), inline_die_broken()),
    "film": (st.sampled_from(["cu", "Copper", {"base": "cu", "E": 100000.0}]),
             broken(["coper"], "unknown material 'coper'") + broken([5, [1.0]], "[materials] film")
             + broken([{"base": "cu", "E": math.nan}, {"base": "cu", "nu": math.inf}], "material 'film'")),
    "field": (st.one_of(temperatures,
                        st.sampled_from(["125.0 - 10.0 * y", "25 + 0.5 * x", "-40 + 0 * sqrt(x*x + y*y)",
                                         "100 * exp(-y / 10) + log(1 + x)", "2 ** 6 - sin(x) * cos(y)"])),
              # ("25" is an expression, a valid field)
              broken(list(NOT_FINITE) + [v for v in NOT_NUMBERS if v != "25"] + [-300.0, 6000.0, 1e300, "10 ** 10 ** 10", "1/0",
                     "0 ** -1", "(-1) ** 0.5", "log(0 * x)", "exp(1000)", "x +* 2", "__import__('os')",
                     "x\ny", "abs(x)", "-" * 300 + "1", "(" * 300 + "1" + ")" * 300, "x - 1000",
                     "1" + "0" * 400, "y" * 1001], "[temperature] field")),
    "stress_free": (temperatures,
                    broken(list(NOT_FINITE + NOT_NUMBERS) + [-274.0, 1e4], "[temperature] stress_free")),
    "bc": (st.one_of(st.just(SUPPORTS),
                     st.floats(-0.5, 0.5).map(lambda v: SUPPORTS + [{"group": "top", "fix": ["y"], "value": v}])),
           broken([[{"group": "floor", "fix": ["y"]}], [{"group": "bottom", "fix": ["z"]}],
                   [{"group": "bottom", "fix": 5}], [{"group": "bottom", "fix": []}],
                   [{"group": 5, "fix": ["y"]}], [{"group": "bottom"}],
                   [{"group": "bottom", "fix": ["y"], "fixed": ["x"]}]]
                  + [SUPPORTS + [{"group": "top", "fix": ["y"], "value": v}]   # ([1.0]: one value per component)
                     for v in NOT_FINITE + ("25", True, [math.nan], {"value": 1.0})]
                  + [SUPPORTS + [{"group": "top", "fix": ["y"], "value": [0.1, 0.2]}],
                     SUPPORTS + [{"group": "top", "fix": ["y"], "value": 0.1, "history": [[0.0, 0.0], [1.0, 1.0]]}]],
                  "[[bc]]")),
    "traction": (st.lists(st.fixed_dictionaries({"group": st.just("top"),
                                                 "value": st.lists(st.floats(-5.0, 5.0), min_size=2, max_size=2)}),
                          max_size=1),
                 broken([[{"group": "top", "value": [v, 0.0]}] for v in NOT_FINITE + NOT_NUMBERS]
                        + [[{"group": "top", "value": [1.0]}], [{"group": "top", "value": "down"}],
                           [{"group": "nowhere", "value": [0.0, 1.0]}],
                           [{"group": "top", "value": [0.0, 1.0]}, {"group": "top", "value": [1.0, 0.0]}],
                           [{"group": "top", "value": [0.0, 1.0], "history": [[0.0, 0.0], [1.0, 1.0]]}]],
                        "[[traction]]")),
    "probe": (st.lists(st.fixed_dictionaries({"name": st.just("A"), "at": st.just([10.0, 2.5])},
                                             optional={"region": st.just("die"), "radius": st.floats(0.1, 2.0)}),
                       max_size=1),
              broken([[{"name": "A", "at": [v, 2.5]}] for v in NOT_FINITE + NOT_NUMBERS]
                               + [[{"name": "A", "at": [10.0]}], [{"name": 5, "at": [10.0, 2.5]}]]
                               + [[{"name": "A", "at": [10.0, 2.5], "radius": v}] for v in NOT_FINITE + (-1.0, "big")]
                               + [[{"name": "A", "at": [10.0, 2.5], "region": "nope"}],
                                  [{"name": "A", "at": [10.0, 2.5]}, {"name": "A", "at": [10.0, 7.5]}]],
                     "[[probe]]")
              + broken([[{"name": "A", "at": [10.0, 70.0]}], [{"name": "A", "at": [10.0, 7.5], "region": "die"}]],
                       "is outside the mesh")),
    # entries that are only ever broken here (a valid [load] would start a cycling run)
    "title": (st.sampled_from(["", "a block", "two\nlines"]), broken([5, [1], {"a": 1}], "title")),
    "load": (None, broken([{"profile": "G", "start": v} for v in NOT_FINITE + ("cold", -500.0)]
                          + [{"profile": "G", "ramp": v} for v in NOT_FINITE + (0.0,)]
                          + [{"profile": "G", "cycles": v} for v in (math.nan, "three", 2.5, 0, True)]
                          + [{"history": h} for h in ([[0.0, 25.0], [10.0, math.nan]], [[0.0, 25.0], [10.0, "hot"]],
                                                      [[0.0, 25.0], [math.inf, 30.0]], [[0.0, 25.0], [10.0]], "hot",
                                                      [[0.0, 25.0], [10.0, 1e5]], [[10.0, 25.0], [0.0, 30.0]])]
                          + [{"history": [[0.0, 25.0], [10.0, 30.0]], "cycle_period": v}
                             for v in (0.0, -5.0, math.nan, "hour")]
                          + [{"profile": "Z"}, {"profile": "G", "accuracy": math.inf}, {"profile": "G", "extra": 1}],
                          "[load]")),
    "material_file": (st.builds(material_file, E=st.floats(1.0, 400.0), nu=st.floats(0.0, 0.49),
                                alpha=st.floats(0.5, 30.0), T0=temperatures),
                      material_file_broken()),
    "layer": (None, broken([[{"name": "L", "region": "die", "interface": "die/film", "thickness": 1.0}]],
                           "[[layer]]")),
}
OPTIONAL = ("stress_free", "title", "load", "layer", "material_file")   # absent unless drawn


@st.composite
def model_entries(draw):
    """(entries, names of the broken ones, the marker each broken entry's line must hold)."""
    broken_names = draw(st.sets(st.sampled_from(sorted(ENTRIES)), max_size=2))
    entries, markers = {}, {}
    for name, (valid, bad) in ENTRIES.items():
        if name in broken_names:
            entries[name], markers[name] = draw(st.sampled_from(bad))
        elif name not in OPTIONAL or (valid is not None and draw(st.booleans())):
            entries[name] = draw(valid)
    if "material_file" in entries and "film" not in markers:
        entries["film"] = "mymat"   # a valid user material is used, not only read
    return entries, markers


def run_cli(model: Path, out: Path, material_files=()) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    extra = [arg for path in material_files for arg in ("--materials", str(path))]
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["solve", str(model), "--out", str(out), *extra])   # an exception here fails the test
    return code, stdout.getvalue(), stderr.getvalue()


def refuse_non_finite(text):
    raise AssertionError(f"summary.json holds {text}")


def check_outcome(entries: dict, markers: dict, out_exists: bool, mesh: Path) -> bool:
    """Write the model (and material file), solve it, check the outcome; True if it solved."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model = tmp / "model.toml"
        model.write_text(model_text(entries, mesh))
        material_files = []
        if "material_file" in entries:
            material_files.append(tmp / "mine.toml")
            material_files[0].write_text(material_text(entries["material_file"]))
        out = tmp / "out"
        if out_exists:
            out.mkdir()
            (out / "keep.txt").write_text("earlier results")
        code, stdout, stderr = run_cli(model, out, material_files)
        if not markers:
            assert code == 0, (stderr, model.read_text())
            assert stderr == ""
            summary = json.loads((out / "summary.json").read_text(), parse_constant=refuse_non_finite)
            assert summary["dofs"] > 0 and summary["analysis"] == entries["analysis"]
            assert (out / "result.vtu").stat().st_size > 0
            assert "wrote" in stdout
            return True
        assert code == 2, (code, stdout, stderr, model.read_text())
        assert stderr.startswith("pkgrel: error: ") and stderr.count("\n") == 1, stderr
        assert "Traceback" not in stderr and stdout == ""
        if len(markers) == 1:
            (marker,) = markers.values()
            assert marker in stderr, (marker, stderr)
        if out_exists:
            assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
            assert (out / "keep.txt").read_text() == "earlier results"
        else:
            assert not out.exists()
        return False


def test_every_model_file_solves_or_is_refused_in_one_line(two_layer_mesh):
    seen = {"solved": 0, "refused": 0, "out existed": 0}

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    @given(model_entries(), st.booleans())
    def run(drawn, out_exists):
        entries, markers = drawn
        seen["solved" if check_outcome(entries, markers, out_exists, two_layer_mesh) else "refused"] += 1
        seen["out existed"] += out_exists

    run()
    # the grammar reaches both outcomes, with and without an earlier --out
    assert seen["solved"] >= 10 and seen["refused"] >= 40 and seen["out existed"] >= 10, seen


#: one valid model file (plane strain, -40 degC from 125 degC) that every broken form is put into
BASELINE = {"analysis": "plane_strain", "die": {"E": 130000.0, "nu": 0.28, "alpha": 2.6e-6}, "film": "cu",
            "field": -40.0, "stress_free": 125.0,
            "bc": SUPPORTS,
            "probe": [{"name": "A", "at": [10.0, 2.5]}]}


def test_each_broken_form_alone_is_refused_naming_its_entry(two_layer_mesh):
    """Every broken form of the grammar, each in the otherwise valid baseline (which solves)."""
    assert check_outcome(BASELINE, {}, False, two_layer_mesh)
    count = 0
    for name, (_, forms) in ENTRIES.items():
        for k, (value, marker) in enumerate(forms):
            try:
                check_outcome({**BASELINE, name: value}, {name: marker}, k % 2 == 1, two_layer_mesh)
            except AssertionError as exc:
                raise AssertionError(f"broken {name} = {value!r}: {exc}") from None
            count += 1
    assert count == sum(len(forms) for _, forms in ENTRIES.values()) > 200


def test_overflowing_expression_is_one_line(model_dir, capsys):
    """The issue's case: `10 ** 10 ** 10` (a Python float overflow) is a one-line error."""
    from conftest import MODEL

    model = model_dir(text=MODEL.format(analysis="plane_strain", field='"10 ** 10 ** 10"'))
    out = model_dir.dir / "out"
    code = main(["solve", str(model), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "[temperature] field: '10 ** 10 ** 10' is not finite" in err
    assert not out.exists()
