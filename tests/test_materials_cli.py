"""`pkgrel materials` command line."""
from __future__ import annotations

import json

import pytest

import materials
from studies.cli import main


def test_table_lists_every_material_with_its_values(capsys):
    assert main(["materials"]) == 0
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    assert lines[0].split()[:2] == ["name", "E@25C"]
    lib = materials.load_library()
    assert len(lines) == 1 + len(lib.names())
    cu_line = next(line for line in lines if line.startswith("cu "))
    assert "117000" in cu_line and "0.34" in cu_line and "plastic" in cu_line


def test_json_is_the_same_data(capsys):
    assert main(["materials", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    lib = materials.load_library()
    assert [d["name"] for d in data] == lib.names()
    sac = next(d for d in data if d["name"] == "sac305")
    assert sac["E_25C_MPa"] == pytest.approx(float(lib.get("sac305").E(25.0)))
    assert "anand" in sac["models"] and sac["anand"]["s_hat"] == pytest.approx(30.2)
    assert sac["source"]


def test_one_material_as_json(capsys):
    assert main(["materials", "Copper", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["name"] == "cu" and data["alpha"]["kind"] == "instantaneous"


def test_plot_of_a_solder_writes_a_png(tmp_path, capsys):
    out = tmp_path / "sac.png"
    assert main(["materials", "sac305", "--plot", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 20000   # three panels with curves, not an empty canvas


def test_plot_of_a_tg_material(tmp_path):
    out = tmp_path / "emc.png"
    assert main(["materials", "emc", "--plot", str(out)]) == 0
    assert out.stat().st_size > 10000


def test_unknown_name_exits_2_with_one_line(capsys):
    assert main(["materials", "cuu"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("pkgrel: error: unknown material 'cuu'; close matches: cu")


def test_plot_without_name_is_an_input_error(capsys, tmp_path):
    assert main(["materials", "--plot", str(tmp_path / "x.png")]) == 2
    assert "--plot needs a material NAME" in capsys.readouterr().err


def test_user_materials_file_appears_in_the_table(tmp_path, capsys):
    path = tmp_path / "extra.toml"
    path.write_text('name = "stiff-cu"\nbase = "cu"\n[elastic]\nE = { value = 150.0, unit = "GPa", source = "test" }\n')
    assert main(["materials", "--materials", str(path)]) == 0
    assert any(line.startswith("stiff-cu ") and "150000" in line for line in capsys.readouterr().out.splitlines())


def test_bad_user_materials_file_exits_2(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text('name = "b"\nbase = "cu"\n[elastic]\nnu = { value = 0.7, unit = "-", source = "x" }\n')
    assert main(["materials", "--materials", str(path)]) == 2
    assert capsys.readouterr().err.strip() == "pkgrel: error: bad.toml: elastic.nu = 0.7 is outside (-1, 0.5)"
