"""User material files and inline materials: overrides and one-line validation errors."""
from __future__ import annotations

import numpy as np
import pytest

import materials
from fea.errors import InputError

GOOD = """
name = "mymat"
aliases = ["my material"]
stress_free_temperature = { value = 150.0, unit = "degC", source = "test" }
[elastic]
E = { value = 10.0, unit = "GPa", source = "test" }
nu = { value = 0.3, unit = "-", source = "test" }
[expansion]
alpha = { value = 20.0, unit = "ppm/K", kind = "secant", reference_temperature = 25.0, source = "test" }
"""


def write(tmp_path, text, name="mymat.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_user_file_adds_a_material_in_project_units(tmp_path):
    lib = materials.load_library([write(tmp_path, GOOD)])
    mat = lib.get("My Material")
    assert mat.E(np.array(80.0)) == pytest.approx(10000.0)
    assert mat.alpha_secant(np.array(80.0)) == pytest.approx(20e-6)
    assert mat.stress_free_temperature == 150.0
    assert "cu" in lib  # built-ins still there


def test_user_file_overrides_a_builtin_by_alias(tmp_path):
    text = GOOD.replace('name = "mymat"', 'name = "my-copper"').replace('["my material"]', '["copper"]')
    lib = materials.load_library([write(tmp_path, text)])
    assert lib.get("copper").name == "my-copper"
    assert "cu" not in lib                      # the replaced material is gone under every key
    assert lib.get("my-copper").E(np.array(25.0)) == pytest.approx(10000.0)


def test_user_file_with_base_overrides_only_the_keys_given(tmp_path):
    text = """
name = "hard-cu"
base = "cu"
[elastic]
E = { value = 130.0, unit = "GPa", source = "my measurement" }
"""
    lib = materials.load_library([write(tmp_path, text, "hard.toml")])
    hard, cu = lib.get("hard-cu"), lib.get("cu")
    T = np.array([-40.0, 125.0])
    np.testing.assert_allclose(hard.E(T), 130000.0)
    np.testing.assert_allclose(hard.alpha_secant(T), cu.alpha_secant(T))
    assert hard.plasticity == cu.plasticity
    assert lib.get("copper").name == "cu"       # a new name does not take the base's aliases


BAD_CASES = [
    # (replace this, with this, message must match)
    ('nu = { value = 0.3,', 'nu = { value = 0.6,', r"mymat\.toml: elastic\.nu = 0\.6 is outside \(-1, 0\.5\)"),
    ('nu = { value = 0.3,', 'nu = { value = -1.0,', r"elastic\.nu = -1\.0 is outside \(-1, 0\.5\)"),
    ('E = { value = 10.0,', 'E = { value = -5.0,', r"elastic\.E = -5\.0 must be > 0"),
    ('E = { value = 10.0,', 'E = { value = 0.0,', r"elastic\.E = 0\.0 must be > 0"),
    ('E = { value = 10.0, unit = "GPa",', 'E = { value = 10.0,', r"elastic\.E: missing unit"),
    ('unit = "GPa"', 'unit = "furlong"', r"elastic\.E: unit 'furlong' is not allowed"),
    ('E = { value = 10.0, unit = "GPa", source = "test" }', 'E = { value = 10.0, unit = "GPa" }',
     r"elastic\.E: missing source"),
    ('[elastic]', '[elastic]\nEE = { value = 1.0, unit = "MPa", source = "x" }', r"unknown key 'elastic\.EE'"),
    ('name = "mymat"', 'name = "mymat"\ncolour = "red"', r"unknown key 'colour'"),
    ('E = { value = 10.0,', 'E = { value = 10.0, valu = 3,', r"unknown key 'elastic\.E\.valu'"),
    ('E = { value = 10.0,', 'E = { table = [[25.0, 10.0], [25.0, 9.0]],',
     r"elastic\.E: table temperatures must be strictly increasing \(got 25 after 25 degC\)"),
    ('E = { value = 10.0,', 'E = { table = [[100.0, 10.0], [25.0, 9.0]],', r"strictly increasing"),
    ('E = { value = 10.0,', 'E = { table = [[25.0, 10.0]],', r"elastic\.E: table must be a list of at least two"),
    ('E = { value = 10.0,', 'E = { table = [[25.0, 10.0], [80.0, -1.0]],', r"elastic\.E = -1\.0 at T = 80 degC must be > 0"),
    ('E = { value = 10.0,', 'E = { value = "ten",', r"elastic\.E = 'ten' is not a finite number"),
    ('value = 20.0, unit = "ppm/K"', 'value = 20.0, unit = "1/K"', r"expansion\.alpha = 20\.0 is outside \(-1e-3, 1e-3\) 1/K"),
    ('kind = "secant", reference_temperature = 25.0,', 'kind = "secant",',
     r"expansion\.alpha: missing reference_temperature"),
    ('kind = "secant"', 'kind = "tangent"', r"expansion\.alpha: kind = 'tangent' must be"),
    ('E = { value = 10.0,', 'E = { value = 10.0, table = [[0.0, 1.0], [1.0, 2.0]],', r"give exactly one of value, table"),
    ('E = { value = 10.0,', 'E = { below_tg = 10.0, above_tg = 1.0,', r"below_tg/above_tg need a \[glass_transition\]"),
    ('[expansion]\n', '', r"unknown key 'alpha'|missing section|must be"),
    ('stress_free_temperature = { value = 150.0, unit = "degC", source = "test" }', '',
     r"missing key 'stress_free_temperature'"),
]


@pytest.mark.parametrize("old,new,message", BAD_CASES, ids=[c[2][:40] for c in BAD_CASES])
def test_bad_user_file_gives_one_clear_line(tmp_path, old, new, message):
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(InputError, match=message) as info:
        materials.load_library([path])
    assert "\n" not in str(info.value)


def test_bad_model_parameters_are_rejected(tmp_path):
    anand = GOOD + '[anand]\ns0 = { value = 1.0, unit = "MPa", source = "x" }\n'
    with pytest.raises(InputError, match=r"missing key 'anand\.Q_over_R'"):
        materials.load_library([write(tmp_path, anand)])
    table_param = GOOD + '[creep.norton]\nA = { table = [[0.0, 1.0], [1.0, 2.0]], unit = "1/(s*MPa^n)", source = "x" }\n'
    with pytest.raises(InputError, match=r"creep\.norton\.A: must be a single value"):
        materials.load_library([write(tmp_path, table_param)])
    unknown_model = GOOD + '[creep.perzyna]\nA = { value = 1.0, unit = "1/s", source = "x" }\n'
    with pytest.raises(InputError, match=r"unknown key 'creep\.perzyna'"):
        materials.load_library([write(tmp_path, unknown_model)])


def test_invalid_toml_and_missing_file_are_one_line(tmp_path):
    with pytest.raises(InputError, match=r"bad\.toml: not valid TOML"):
        materials.load_library([write(tmp_path, "name = \n", "bad.toml")])
    with pytest.raises(InputError, match=r"materials file '.*nothere\.toml' does not exist"):
        materials.load_library([tmp_path / "nothere.toml"])


def test_unknown_base_suggests_close_matches(tmp_path):
    with pytest.raises(InputError, match=r"base: unknown material 'cuu'; close matches: cu"):
        materials.load_library([write(tmp_path, 'name = "x"\nbase = "cuu"\n', "x.toml")])


# ------------------------------------------------------------------ inline materials

@pytest.fixture(scope="module")
def lib():
    return materials.load_library()


def test_inline_material_with_constants(lib):
    mat = materials.from_inline("body", {"E": 210000.0, "nu": 0.3, "alpha": 2.3e-4}, library=lib)
    T = np.array([[-40.0, 125.0]])
    np.testing.assert_allclose(mat.E(T), 210000.0)
    assert mat.E(T).shape == T.shape
    assert mat.alpha_ref == 25.0 and mat.name == "body"
    assert mat.thermal_strain(np.array(125.0), 25.0) == pytest.approx(2.3e-4 * 100.0)


def test_inline_tables_and_reference_temperature(lib):
    mat = materials.from_inline("pad", {"E": [[-50.0, 100.0], [150.0, 80.0]], "nu": 0.3,
                                        "alpha": [[-50.0, 10e-6], [150.0, 12e-6]], "alpha_ref": 20.0,
                                        "stress_free": 180.0}, library=lib)
    assert mat.E(np.array(50.0)) == pytest.approx(90.0)
    assert mat.alpha_secant(np.array(50.0)) == pytest.approx(11e-6)   # inline alpha is secant
    assert mat.alpha_ref == 20.0 and mat.stress_free_temperature == 180.0
    with pytest.raises(InputError, match=r"material 'pad': E needs T = 200"):
        mat.E(np.array(200.0))


def test_inline_base_overrides_keys_and_keeps_the_rest(lib):
    creep = {"law": "norton", "A": 1e-12, "n": 5.0}   # checked on reading, kept as written
    mat = materials.from_inline("post", {"base": "Copper", "E": 100000.0, "creep": creep}, library=lib)
    cu = lib.get("cu")
    assert mat.E(np.array(25.0)) == pytest.approx(100000.0)
    assert mat.alpha_secant(np.array(80.0)) == pytest.approx(float(cu.alpha_secant(np.array(80.0))))
    assert mat.plasticity == cu.plasticity
    assert mat.extra == {"creep": creep}
    with pytest.raises(InputError, match=r"^material 'post': plasticity\.yield_stress needs T = 400"):
        mat.plasticity.yield_stress(np.array(400.0))


INLINE_BAD = [
    ({"E": 210000.0, "nu": 0.6, "alpha": 1e-5}, r"^material 'body': nu = 0\.6 is outside \(-1, 0\.5\)$"),
    ({"E": -1.0, "nu": 0.3, "alpha": 1e-5}, r"^material 'body': E = -1\.0 must be > 0$"),
    ({"E": 1.0, "nu": 0.3, "alpha": 17.0}, r"^material 'body': alpha = 17\.0 is outside"),
    ({"E": 1.0, "nu": 0.3}, r"^material 'body': missing key 'alpha'"),
    ({"E": 1.0, "nu": 0.3, "alpha": 1e-5, "Young": 3}, r"^material 'body': unknown key 'Young'"),
    ({"E": [[0.0, 1.0], [-10.0, 2.0]], "nu": 0.3, "alpha": 1e-5}, r"E: table temperatures must be strictly increasing"),
    ({"E": [[0.0, 1.0]], "nu": 0.3, "alpha": 1e-5}, r"E: table must be a list of at least two"),
    ({"base": "coper"}, r"^material 'body': base: unknown material 'coper'; close matches: "),
    ({"E": 1.0, "nu": 0.3, "alpha": 1e-5, "creep": 3}, r"creep must be a table"),
    ({"E": True, "nu": 0.3, "alpha": 1e-5}, r"E = True is not a finite number"),
]


@pytest.mark.parametrize("table,message", INLINE_BAD, ids=[m[1][:40] for m in INLINE_BAD])
def test_inline_errors_name_the_label(lib, table, message):
    with pytest.raises(InputError, match=message):
        materials.from_inline("body", table, library=lib)
