"""Entry point of the ``wharf`` command."""

from __future__ import annotations

import argparse
import sys

from wharf import __version__
from wharf.cli import (
    accounts,
    audit,
    clientconfig,
    configshow,
    indexes,
    maintenance,
    pins,
    policy,
    serve,
    vulns,
)
from wharf.core.errors import WharfError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wharf",
        description="Wharf: one self-hosted registry for a team's Python and npm packages: "
        "hosting, a caching proxy of the upstream registries, and groups of both.",
    )
    parser.add_argument("--version", action="version", version=f"wharf {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (serve, accounts, indexes, clientconfig, maintenance, pins, policy, audit,
                   vulns, configshow):
        module.register(commands)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        code = args.handler(args)
    except WharfError as error:
        print(f"error: {error.explain()}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)
