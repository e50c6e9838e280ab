import os
import textwrap

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

# Property tests draw the same examples on every run (CI and developers alike), so a green run
# stays green; set HYPOTHESIS_PROFILE=explore to search new examples.
from hypothesis import settings  # noqa: E402

settings.register_profile("repeatable", derandomize=True, deadline=None, database=None)
settings.register_profile("explore", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


def write_two_layer_msh(path, order=2, size=1.0, three_d=False):
    """A 20 x 10 um block: 'die' (y < 5) under 'film' (y > 5), curves bottom/left/top."""
    import gmsh

    gmsh.initialize(interruptible=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        occ = gmsh.model.occ
        if three_d:
            box = occ.addBox(0, 0, 0, 1, 1, 1)
            occ.synchronize()
            gmsh.model.addPhysicalGroup(3, [box], name="die")
            gmsh.option.setNumber("Mesh.MeshSizeMax", 0.5)
            gmsh.model.mesh.generate(3)
        else:
            die = occ.addRectangle(0, 0, 0, 20, 5)
            film = occ.addRectangle(0, 5, 0, 20, 5)
            occ.fragment([(2, die)], [(2, film)])
            occ.synchronize()
            gmsh.model.addPhysicalGroup(2, [die], name="die")
            gmsh.model.addPhysicalGroup(2, [film], name="film")
            def curves(*box):
                return [t for _, t in gmsh.model.getEntitiesInBoundingBox(*box, dim=1)]
            e = 1e-6
            gmsh.model.addPhysicalGroup(1, curves(-e, -e, -e, 20 + e, e, e), name="bottom")
            gmsh.model.addPhysicalGroup(1, curves(-e, -e, -e, e, 10 + e, e), name="left")
            gmsh.model.addPhysicalGroup(1, curves(-e, 10 - e, -e, 20 + e, 10 + e, e), name="top")
            gmsh.model.addPhysicalGroup(1, curves(-e, 5 - e, -e, 20 + e, 5 + e, e), name="die/film")
            gmsh.option.setNumber("Mesh.MeshSizeMax", size)
            gmsh.option.setNumber("Mesh.ElementOrder", order)
            gmsh.model.mesh.generate(2)
        gmsh.option.setNumber("Mesh.SaveAll", 0)
        gmsh.write(str(path))
    finally:
        gmsh.finalize()


MODEL = """\
mesh = "part.msh"
analysis = "{analysis}"
[materials]
die = {{ E = 130000.0, nu = 0.28, alpha = 2.6e-6 }}
film = "cu"
[temperature]
stress_free = 125.0
field = {field}
[[bc]]
group = "bottom"
fix = ["y"]
[[bc]]
group = "left"
fix = ["x"]
[[probe]]
name = "die_centre"
at = [10.0, 2.5]
[[probe]]
name = "film_centre"
at = [10.0, 7.5]
"""


@pytest.fixture(scope="session")
def two_layer_mesh(tmp_path_factory):
    path = tmp_path_factory.mktemp("mesh") / "part.msh"
    write_two_layer_msh(path)
    return path


@pytest.fixture
def model_dir(tmp_path, two_layer_mesh):
    """A directory with part.msh and a function writing model.toml (with overrides)."""
    import shutil

    shutil.copy(two_layer_mesh, tmp_path / "part.msh")

    def write(analysis="plane_strain", field="-40.0", text=None):
        body = text if text is not None else MODEL.format(analysis=analysis, field=field)
        (tmp_path / "model.toml").write_text(textwrap.dedent(body))
        return tmp_path / "model.toml"

    write.dir = tmp_path
    return write
