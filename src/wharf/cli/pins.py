"""``wharf withdrawn``, ``wharf pin`` and ``wharf unpin``: cached files upstream withdrew."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from wharf.cli.common import add_settings_options, local_admin, run
from wharf.core.models import Artifact
from wharf.services.container import Services

if TYPE_CHECKING:
    Commands = argparse._SubParsersAction[argparse.ArgumentParser]


def register(commands: Commands) -> None:
    listing = commands.add_parser(
        "withdrawn", help="list cached files that upstream withdrew",
        description="Cached files that upstream no longer offers are kept for audit but not "
        "served, unless pinned. This lists them with their pin.",
    )
    listing.add_argument("index", nargs="?", help="only this proxy index")
    listing.set_defaults(handler=list_withdrawn)
    pin = commands.add_parser(
        "pin", help="keep serving a cached file that upstream withdrew",
        description="Example: wharf pin npm-remote left-pad-1.3.0.tgz --reason 'until we "
        "move off it'. The pin is recorded in the audit log.",
    )
    unpin = commands.add_parser("unpin", help="stop serving a withdrawn cached file")
    for parser in (pin, unpin):
        parser.add_argument("index", help="the proxy index that cached the file")
        parser.add_argument("filename", help="the file name, as `wharf withdrawn` lists it")
        parser.add_argument("--reason", default="", help="why (kept in the audit log)")
        parser.set_defaults(handler=change_pin)
    for parser in (listing, pin, unpin):
        add_settings_options(parser)


def describe(artifact: Artifact) -> str:
    when = artifact.withdrawn_at.isoformat(timespec="seconds") if artifact.withdrawn_at else "-"
    pinned = f"pinned by {artifact.pinned_by}" if artifact.pinned_by else "not served"
    return f"{artifact.index}  {artifact.filename}  withdrawn {when}  {pinned}"


def list_withdrawn(args: argparse.Namespace) -> int:
    async def work(s: Services) -> list[Artifact]:
        return await s.pins.withdrawn(local_admin(), args.index)

    found = run(args, work)
    for artifact in found:
        print(describe(artifact))
    print(f"{len(found)} withdrawn file(s)")
    return 0


def change_pin(args: argparse.Namespace) -> int:
    async def work(s: Services) -> Artifact:
        return await s.pins.pin(args.index, args.filename, local_admin(),
                                pinned=args.command == "pin", reason=args.reason)

    artifact = run(args, work)
    state = "pinned: served again" if artifact.pinned_by else "unpinned"
    print(f"{artifact.index}/{artifact.filename} {state}")
    return 0
