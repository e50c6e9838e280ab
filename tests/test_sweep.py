"""Sweeps: caching by content hash, resume after interruption, failed points recorded, Dask
execution (a real scheduler and two worker processes on 127.0.0.1), and the CLI."""
from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys

import pytest

from fea.errors import SolverError
from studies import sweep
from studies.evaluate import Point
from studies.sweep import run_points

# cheap points: one axisymmetric cell, coarse mesh, thermoelastic (about 1 s each)
CELL = dict(level="cell", mesh_size_factor=2.0, load=None)


def cell_points(n=2):
    return [Point("cu-post", {"post_height": h}, label=f"h={h}", **CELL) for h in (60.0, 80.0, 100.0, 120.0)[:n]]


def test_rerun_reuses_cached_points_and_a_code_change_invalidates_them(tmp_path, monkeypatch):
    points = cell_points(2)
    first = run_points(points, tmp_path, progress=False)
    assert [r["status"] for r in first] == ["ok", "ok"]
    assert not any(r.get("cached") for r in first)
    # the two heights give different results: the key separates them
    assert first[0]["metrics"]["region.post.von_mises_max"] != first[1]["metrics"]["region.post.von_mises_max"]

    def boom(point):
        raise AssertionError("a cached point was evaluated again")
    monkeypatch.setattr(sweep, "evaluate", boom)
    second = run_points(points, tmp_path, progress=False)
    assert all(r["cached"] for r in second)
    assert [r["metrics"] for r in second] == [r["metrics"] for r in first]
    assert all(r["files"]["result.vtu"].is_file() for r in second)

    # same parameters given explicitly = same resolved builder = same key
    default_height = Point("cu-post", {"post_height": 60.0, "post_width": 50.0}, label="explicit", **CELL)
    assert run_points([default_height], tmp_path, progress=False)[0]["cached"]

    # a change of the solver source changes the fingerprint: nothing is reused
    monkeypatch.setattr(sweep, "code_fingerprint", lambda: "another-version")
    rerun = run_points(points[:1], tmp_path, progress=False)[0]
    assert not rerun.get("cached") and "evaluated again" in rerun["error"]


def test_failed_points_are_recorded_and_the_sweep_goes_on(tmp_path, monkeypatch):
    real = sweep.evaluate

    def flaky(point):
        if point.parameters.get("post_height") == 80.0:
            raise SolverError("step at t = 10 s did not converge")
        return real(point)
    monkeypatch.setattr(sweep, "evaluate", flaky)
    invalid = Point("ppi-recess", {"recess_depth_ratio": 0.1}, label="too shallow", **CELL)
    records = run_points(cell_points(3) + [invalid], tmp_path, progress=False)
    assert [r["status"] for r in records] == ["ok", "failed", "ok", "failed"]
    assert "did not converge" in records[1]["error"]
    assert "recess_depth_ratio" in records[3]["error"] and "1.6" in records[3]["error"]
    error_files = list(tmp_path.glob("*/error.json"))
    assert len(error_files) == 1 and "did not converge" in json.loads(error_files[0].read_text())["error"]
    # failures are retried on the next run (here the solver now converges)
    monkeypatch.setattr(sweep, "evaluate", real)
    again = run_points(cell_points(3), tmp_path, progress=False)
    assert [r["status"] for r in again] == ["ok", "ok", "ok"]
    assert [bool(r.get("cached")) for r in again] == [True, False, True]


def test_an_interrupted_sweep_resumes_where_it_stopped(tmp_path, monkeypatch):
    real = sweep.evaluate
    calls = []

    def interrupted(point):
        calls.append(point.label)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(point)
    monkeypatch.setattr(sweep, "evaluate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_points(cell_points(3), tmp_path, progress=False)
    finished = list(tmp_path.glob("*/record.json"))
    assert len(finished) == 1                       # the first point is kept, nothing half-written
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    calls.clear()
    monkeypatch.setattr(sweep, "evaluate", lambda p: (calls.append(p.label), real(p))[1])
    records = run_points(cell_points(3), tmp_path, progress=False)
    assert calls == ["h=80.0", "h=100.0"]
    assert [r["status"] for r in records] == ["ok"] * 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """A real `dask scheduler` and two `dask worker` processes on 127.0.0.1."""
    pytest.importorskip("distributed")   # installed by .ci/install with the project
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = tmp_path_factory.mktemp("dask")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    scheduler_cmd = [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                     "--port", str(port), "--dashboard-address", ":0", "--no-show"]
    processes = [subprocess.Popen(scheduler_cmd, stdout=open(logs / "scheduler.log", "w"),
                                  stderr=subprocess.STDOUT, env=env)]
    from distributed import Client
    try:
        for k in range(2):
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                 "--nworkers", "1", "--host", "127.0.0.1", "--no-dashboard", "--memory-limit", "0"],
                stdout=open(logs / f"worker{k}.log", "w"), stderr=subprocess.STDOUT, env=env))
        client = Client(address, timeout=60)
        client.wait_for_workers(2, timeout=120)
        client.close()
        yield address
    finally:
        for p in reversed(processes):
            p.terminate()
        for p in processes:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def test_sweep_runs_on_a_dask_cluster(dask_cluster, tmp_path):
    points = cell_points(4)
    remote = run_points(points, tmp_path / "remote", scheduler=dask_cluster, progress=False)
    assert [r["status"] for r in remote] == ["ok"] * 4
    workers = {r["worker"] for r in remote}
    assert len(workers) == 2, workers                 # both worker processes took points
    assert not any(w.endswith(f":{os.getpid()}") for w in workers)
    # the same numbers as in this process
    local = run_points(points[:2], tmp_path / "local", progress=False)
    for a, b in zip(remote, local):
        assert a["metrics"]["probe.post_base_centre.von_mises"] == pytest.approx(
            b["metrics"]["probe.post_base_centre.von_mises"], rel=1e-9)
        assert a["metrics"]["region.post.von_mises_max"] == pytest.approx(b["metrics"]["region.post.von_mises_max"],
                                                                          rel=1e-9)
    # results were written by the client: the cache is complete and reusable
    assert all(r["cached"] for r in run_points(points, tmp_path / "remote", progress=False))


def test_local_dask_workers(tmp_path):
    pytest.importorskip("distributed")
    records = run_points(cell_points(2), tmp_path, workers=2, progress=False)
    assert [r["status"] for r in records] == ["ok", "ok"]
    assert all(not r["worker"].endswith(f":{os.getpid()}") for r in records)


def test_unreachable_scheduler_is_a_clear_error(tmp_path):
    from fea.errors import InputError
    with pytest.raises(InputError, match="--scheduler tcp://127.0.0.1:1"):
        run_points(cell_points(1), tmp_path, scheduler="tcp://127.0.0.1:1", progress=False)


def pkgrel(*args, cwd):
    return subprocess.run([sys.executable, "-m", "studies.cli", *args], capture_output=True, text=True, cwd=cwd)


def test_sweep_command_writes_results_and_report(tmp_path):
    out = tmp_path / "sweep"
    result = pkgrel("sweep", "cu-post", "--level", "cell", "--thermoelastic", "--quick",
                    "--vary", "post_height=60,100", "--vary", "polymer_material=polyimide,silicone",
                    "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "report:" in result.stdout
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert len(rows) == 4 and {r["status"] for r in rows} == {"ok"}
    assert {(r["post_height"], r["polymer_material"]) for r in rows} == {
        ("60.0", "polyimide"), ("60.0", "silicone"), ("100.0", "polyimide"), ("100.0", "silicone")}
    assert (out / "report.html").is_file()
    assert len(list((out / "variants").glob("*.vtu"))) == 4
    data = json.loads((out / "results.json").read_text())
    assert len(data["variants"]) == 4 and len(data["convergence"]) == 2
    # rerun: everything from the cache
    again = pkgrel("sweep", "cu-post", "--level", "cell", "--thermoelastic", "--quick",
                   "--vary", "post_height=60,100", "--vary", "polymer_material=polyimide,silicone",
                   "--out", str(out), cwd=tmp_path)
    assert again.returncode == 0 and "cached 5" in again.stderr


@pytest.mark.parametrize("args, message", [
    (["--vary", "post_hight=60,100"], "post_hight: not a parameter of cu-post"),
    (["--vary", "post_height=sixty"], "post_height"),
    (["--vary", "post_height=600"], "post_height"),
    (["--workers", "0", "--vary", "post_height=60"], "--workers = 0"),
])
def test_sweep_command_bad_input(tmp_path, args, message):
    out = tmp_path / "bad"
    result = pkgrel("sweep", "cu-post", "--level", "cell", "--thermoelastic", "--quick", *args, "--out", str(out),
                    cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) <= 3
    assert not (out / "report.html").exists() and not (out / "results.csv").exists()


def test_the_critical_joint_is_the_outermost_one(tmp_path):
    """Darveaux layers are placed on the last of the five molded joints (centre 4.5 pitches out)."""
    from geometry import STRUCTURES
    from studies.evaluate import critical_joint

    builder = STRUCTURES["molded-joint"]()
    model = builder.build("assembly", 2.0)
    joint = critical_joint(model.mesh, {region: m.name for region, m in model.materials.items()})
    centre = (builder.joint_count - 0.5) * builder.pitch
    x0, x1 = joint["x_range"]
    assert 0.5 * (x0 + x1) == pytest.approx(centre, abs=1.0)
    assert x1 - x0 == pytest.approx(builder.joint_width, rel=0.01)
    assert (joint["pad_interface"], joint["land_interface"]) == ("pad/solder", "land/solder")
    assert [layer["name"] for layer in joint["layers"]] == ["pad_layer", "land_layer", "joint"]


@pytest.mark.parametrize("x_range, message", [("[1.0]", "x_range = [1.0] must be [x0, x1] in um"),
                                              ("[2.0, 1.0]", "needs x0 < x1")])
def test_layer_x_range_is_checked(tmp_path, x_range, message):
    from fea.errors import InputError
    from geometry import STRUCTURES
    from studies.model_file import read_model, write_model

    model = STRUCTURES["cu-post"]().build("cell", 2.0)
    model.load = {"profile": "G", "cycles": 1}
    write_model(model, tmp_path)
    text = (tmp_path / "model.toml").read_text() + (
        '\n[[layer]]\nname = "l"\nregion = "solder"\n'
        f'interface = "post/solder"\nthickness = 5.0\nx_range = {x_range}\n')
    (tmp_path / "model.toml").write_text(text)
    with pytest.raises(InputError, match=message.replace("[", r"\[")):
        read_model(tmp_path / "model.toml")


def test_sweep_command_with_a_failed_point_reports_the_rest_and_exits_1(tmp_path):
    # recess_depth_ratio = 0.1 is inside the parameter's range but too shallow for the default
    # polymer (the builder's D1 >= 1.6 um rule): that point fails, the other one is reported
    out = tmp_path / "partial"
    result = pkgrel("sweep", "ppi-recess", "--level", "cell", "--thermoelastic", "--quick",
                    "--vary", "recess_depth_ratio=0.1,0.5", "--out", str(out), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "1 of 2 variants failed" in result.stderr
    assert "failed: recess_depth_ratio=0.1" in result.stdout and "1.6 um minimum" in result.stdout
    rows = {r["label"]: r for r in csv.DictReader((out / "results.csv").open())}
    assert rows["recess_depth_ratio=0.1"]["status"] == "failed" and rows["recess_depth_ratio=0.5"]["status"] == "ok"
    assert (out / "report.html").is_file()


REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGE_FAULTS = """
import resource, numpy as np
from studies.sweep import restore_malloc_thresholds

def faults():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(200):
        a = np.ones(2**17)      # 1 MiB, freed again at once, like the solver's temporaries
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

frozen = faults()
changed = restore_malloc_thresholds()
print(changed, frozen, faults())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc tuning")
def test_dask_workers_malloc_trim_setting_is_undone():
    # Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536, which freezes glibc's mmap
    # threshold: every 1 MiB temporary is a fresh mapping and faults in its 256 pages again
    env = {**os.environ, "MALLOC_TRIM_THRESHOLD_": "65536"}
    out = subprocess.run([sys.executable, "-c", PAGE_FAULTS], env=env, capture_output=True, text=True,
                         check=True, cwd=REPO).stdout.split()
    assert out[0] == "True"
    frozen, restored = int(out[1]), int(out[2])
    assert frozen > 200 * 200          # ~256 faults per allocation
    assert restored < frozen / 20      # the heap keeps the freed MiB and reuses it
    env.pop("MALLOC_TRIM_THRESHOLD_")
    out = subprocess.run([sys.executable, "-c", PAGE_FAULTS], env=env, capture_output=True, text=True,
                         check=True, cwd=REPO).stdout.split()
    assert out[0] == "False"           # nothing to undo without the variable


def test_sweep_question_is_grammatical():
    one = sweep.sweep_study("ppi-recess", {}, [("recess_depth_ratio", [0.2, 0.5])], "cell", True)
    assert one.question.startswith("How does recess_depth_ratio change the ppi-recess joint's ")
    two = sweep.sweep_study("ppi-recess", {}, [("recess_depth_ratio", [0.2, 0.5]), ("molding", [True, False])],
                            "cell", True)
    assert two.question.startswith("How do recess_depth_ratio and molding change ")
    assert sweep.sweep_question(["a", "b", "c"]) == "How do a, b and c change"
