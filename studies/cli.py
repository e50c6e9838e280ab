"""The `pkgrel` command line.

Each package registers its own sub-commands (``register(subparsers)``) and imports its heavy
dependencies lazily, so that ``pkgrel --help`` stays fast.
"""
from __future__ import annotations

import argparse
import sys

from fea.errors import InputError, SolverError

# package modules that provide ``register(subparsers)``
_COMMAND_MODULES = ("fea.commands", "materials.commands", "geometry.commands", "studies.sweep")


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = argparse.ArgumentParser(prog="pkgrel", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a package not written yet
            if exc.name != name:
                raise
            continue
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.func(args)
    except (InputError, SolverError) as exc:
        print(f"pkgrel: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("pkgrel: interrupted; no results written (sweeps keep finished points in their cache)", file=sys.stderr)
        return 130
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
