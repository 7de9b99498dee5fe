"""``wharf fsck`` and ``wharf gc``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from wharf.cli.common import add_settings_options, run
from wharf.services.container import Services
from wharf.services.maintenance import FsckReport, GcReport

if TYPE_CHECKING:
    Commands = argparse._SubParsersAction[argparse.ArgumentParser]


def register(commands: Commands) -> None:
    fsck = commands.add_parser(
        "fsck", help="check that metadata and stored files agree",
        description="Lists files whose bytes are missing (exit status 1) and stored blobs "
        "nothing refers to (left by interrupted uploads; `wharf gc` removes them).",
    )
    fsck.set_defaults(handler=check)
    gc = commands.add_parser("gc", help="remove stored blobs nothing refers to")
    gc.add_argument("--dry-run", action="store_true", help="only list what would go")
    gc.add_argument("--grace", type=float, default=3600.0,
                    help="keep blobs younger than this many seconds (default 3600)")
    gc.set_defaults(handler=collect)
    for parser in (fsck, gc):
        add_settings_options(parser)


def check(args: argparse.Namespace) -> int:
    async def work(s: Services) -> FsckReport:
        return await s.maintenance.fsck()

    report = run(args, work)
    for artifact, sha in report.missing:
        print(f"missing blob {sha} for {artifact.index}/{artifact.filename}")
    for sha in report.unreferenced:
        print(f"unreferenced blob {sha}")
    print(f"{len(report.missing)} missing, {len(report.unreferenced)} unreferenced")
    return 0 if report.healthy else 1


def collect(args: argparse.Namespace) -> int:
    async def work(s: Services) -> GcReport:
        return await s.maintenance.gc(dry_run=args.dry_run, grace_seconds=args.grace)

    report = run(args, work)
    for sha in report.blobs:
        print(("would remove " if args.dry_run else "removed ") + sha)
    print(f"{len(report.blobs)} blob(s) {'to remove' if args.dry_run else 'removed'}, "
          f"{report.temporaries} temporary file(s) removed")
    return 0
