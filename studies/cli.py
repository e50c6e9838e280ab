"""The `pkgrel` command line.

Each command module registers its sub-commands (``register(subparsers)``) and imports its heavy
dependencies lazily, so that ``pkgrel --help`` stays fast.
"""
from __future__ import annotations

import argparse
import sys

from fea.errors import InputError, SolverError

def build_parser() -> argparse.ArgumentParser:
    from materials import commands as material_commands

    from . import calibrate, commands, sweep

    parser = argparse.ArgumentParser(prog="pkgrel", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (commands, material_commands, sweep, calibrate):
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.func(args)
    except (InputError, SolverError) as exc:
        # one line whatever the user's text held (a name or an expression with a line break)
        message = str(exc).replace("\r", "\\r").replace("\n", "\\n")
        print(f"pkgrel: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("pkgrel: interrupted; no results written (sweeps keep finished points in their cache)", file=sys.stderr)
        return 130
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
