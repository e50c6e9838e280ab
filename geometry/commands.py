"""`pkgrel list` and `pkgrel mesh`: the structures, their parameters, and meshing one of them."""
from __future__ import annotations

import argparse


def register(subparsers) -> None:
    p = subparsers.add_parser("list", help="list the structures and their parameters (defaults, ranges)")
    p.add_argument("structure", nargs="?", help="only this structure")
    p.set_defaults(func=_list)

    p = subparsers.add_parser("mesh", help="mesh a structure: DIR/model.msh, DIR/model.toml, DIR/mesh.png")
    p.add_argument("structure", help="structure name (see `pkgrel list`)")
    p.add_argument("--set", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                   help="set a parameter (repeatable)")
    p.add_argument("--level", choices=("cell", "assembly"), default="cell",
                   help="single-joint cell or package slice (centre to edge, with board)")
    p.add_argument("--mesh-size-factor", type=float, default=1.0,
                   help="scale all element sizes (0.5 = twice as fine)")
    p.add_argument("--no-picture", action="store_true", help="skip mesh.png")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.set_defaults(func=_mesh)


def _list(args: argparse.Namespace) -> int:
    from fea.errors import InputError
    from . import STRUCTURES
    from .common import describe
    names = [args.structure] if args.structure else list(STRUCTURES)
    for name in names:
        if name not in STRUCTURES:
            raise InputError(f"structure {name} is unknown; valid: {', '.join(STRUCTURES)}")
        print(describe(STRUCTURES[name]))
        print()
    return 0


def _mesh(args: argparse.Namespace) -> int:
    from . import builder
    b = builder(args.structure, args.settings)
    model = b.build(level=args.level, mesh_size_factor=args.mesh_size_factor)
    out = model.write(args.out, picture=not args.no_picture)
    print(f"{args.structure} ({args.level}, {model.analysis}): {model.n_elements} quadratic triangles, "
          f"min quality {model.min_quality:.2f}; regions {', '.join(model.regions)}")
    print(f"wrote {out / 'model.msh'}, {out / 'model.toml'}" + ("" if args.no_picture else f", {out / 'mesh.png'}"))
    return 0
