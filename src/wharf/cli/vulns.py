"""``wharf vuln import`` and ``wharf vuln show``: vulnerability and malware data from OSV
dumps, imported offline."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from wharf.cli.common import add_settings_options, local_admin, run
from wharf.core.advisories import Advisory
from wharf.policy.advisories import affects, fixes_after
from wharf.services.advisories import ImportReport
from wharf.services.container import Services

if TYPE_CHECKING:
    Commands = argparse._SubParsersAction[argparse.ArgumentParser]

_ERRORS_SHOWN = 20


def register(commands: Commands) -> None:
    vuln = commands.add_parser(
        "vuln", help="vulnerability and malware data (OSV)"
    ).add_subparsers(dest="verb", required=True, metavar="{import,show}")
    load = vuln.add_parser(
        "import", help="import OSV dumps, directories of OSV records or single records",
        description="Download OSV's per-ecosystem dumps (PyPI/all.zip, npm/all.zip) where "
        "the network allows, then: wharf vuln import PyPI-all.zip npm-all.zip. A file named "
        "*all.zip holds a whole ecosystem and replaces its data; anything else adds to it. "
        "The import is recorded in the audit log.",
    )
    load.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    whole = load.add_mutually_exclusive_group()
    whole.add_argument("--complete", dest="complete", action="store_true", default=None,
                       help="the files hold whole ecosystems: drop records they do not hold")
    whole.add_argument("--partial", dest="complete", action="store_false",
                       help="only add and update records, even from an all.zip")
    load.set_defaults(handler=import_dumps)
    show = vuln.add_parser(
        "show", help="list the advisories of a package",
        description="Example: wharf vuln show python requests 2.30.0 marks the advisories "
        "that affect 2.30.0.",
    )
    show.add_argument("format", choices=["python", "npm"])
    show.add_argument("name")
    show.add_argument("version", nargs="?")
    show.set_defaults(handler=show_advisories)
    for parser in (load, show):
        add_settings_options(parser)


def import_dumps(args: argparse.Namespace) -> int:
    async def work(s: Services) -> list[ImportReport]:
        return [
            await s.advisories.import_dump(path, local_admin(), complete=args.complete)
            for path in args.paths
        ]

    reports = run(args, work)
    for report in reports:
        print(describe(report))
    if not any(report.imported for report in reports):
        print("error: nothing was imported: no record names a Python or npm package.")
        return 1
    return 0


def describe(report: ImportReport) -> str:
    """The report as a few lines a person reads after an import."""
    stored = ", ".join(f"{fmt} {count}" for fmt, count in sorted(report.stored.items()))
    lines = [
        f"{report.source}: {report.records} record(s) read; stored: {stored or 'none'} "
        f"({report.malware} malware)"
    ]
    if report.skipped:
        others = ", ".join(
            f"{name} {count}" for name, count in sorted(report.other_ecosystems.items())
        )
        lines.append(f"  skipped {report.skipped} record(s) of other ecosystems ({others})")
    if report.complete:
        if report.errors:
            lines.append("  whole-ecosystem dump, but some files could not be read: nothing "
                         "was removed")
        else:
            pruned = ", ".join(f"{fmt} {n}" for fmt, n in sorted(report.pruned.items()))
            lines.append(f"  whole-ecosystem dump: removed records it no longer holds "
                         f"({pruned or 'none'})")
    if report.errors:
        lines.append(f"  {len(report.errors)} file(s) could not be read:")
        lines += [f"    {error}" for error in report.errors[:_ERRORS_SHOWN]]
        if len(report.errors) > _ERRORS_SHOWN:
            lines.append(f"    ... and {len(report.errors) - _ERRORS_SHOWN} more")
    return "\n".join(lines)


def show_advisories(args: argparse.Namespace) -> int:
    async def work(s: Services) -> tuple[list[Advisory], list[bool], list[str]]:
        found = await s.advisories.for_name(args.format, args.name)
        scheme = s.formats[args.format].versions
        marks = [args.version is not None and affects(a, args.version, scheme) for a in found]
        fixes = [", ".join(fixes_after([a], args.version or "0", scheme)) for a in found]
        return found, marks, fixes

    found, marks, fixes = run(args, work)
    affected = sum(marks)
    summary = f"{args.format} {args.name}: {len(found)} advisory(ies)"
    if args.version is not None:
        summary += f", {affected} affecting {args.version}"
    print(summary)
    for advisory, mark, fixed in zip(found, marks, fixes, strict=True):
        kind = "malware" if advisory.malware else advisory.severity or "unknown"
        flags = "*" if mark else " "
        state = " (withdrawn)" if advisory.withdrawn else ""
        line = f" {flags} {advisory.id}  {kind}{state}  {advisory.summary}"
        if fixed:
            line += f"  [fixed in {fixed}]"
        if advisory.url:
            line += f"  {advisory.url}"
        print(line)
    if args.version is not None and affected:
        print(f"(* affects {args.version})")
    return 0
