"""``wharf policy``: see the rules in force, grant and revoke break-glass waivers, and check
a lockfile against the policy without a running server."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from wharf.cli.common import add_settings_options, local_admin, run, settings_from
from wharf.cli.configshow import lookup
from wharf.cli.specs import parse_expiry, split_spec
from wharf.config.loader import env_name, iter_keys
from wharf.core.models import Index, Waiver
from wharf.formats.lockfiles import read_lockfile
from wharf.services.container import Services
from wharf.services.lockcheck import EntryCheck

if TYPE_CHECKING:
    Commands = argparse._SubParsersAction[argparse.ArgumentParser]


def register(commands: Commands) -> None:
    policy = commands.add_parser("policy", help="the supply-chain policy").add_subparsers(
        dest="verb", required=True, metavar="{show,allow,waivers,revoke,check}")
    show = policy.add_parser("show", help="every policy setting, its value and source, and "
                             "the rules in force for each index")
    show.set_defaults(handler=show_policy)
    allow = policy.add_parser(
        "allow", help="break glass: let a package (or one version) through some rules",
        description="Examples: wharf policy allow npm left-pad@1.3.0 --rule cooldown --for 7d "
        "--reason 'hotfix needed today'; wharf policy allow python requests==2.32.0 --rule "
        "vulnerability --until 2026-12-31 --reason 'not reachable in our use'. Audited.",
    )
    allow.add_argument("format", choices=("python", "npm"))
    allow.add_argument("spec", help="NAME, NAME==VERSION (Python) or NAME@VERSION (npm)")
    allow.add_argument("--rule", action="append", default=[],
                       help="a rule id to waive (repeatable); default: every rule")
    allow.add_argument("--until", help="when the waiver ends (ISO 8601 date or time)")
    allow.add_argument("--for", dest="lasting", help="how long it lasts: 12h, 7d, 2w")
    allow.add_argument("--reason", required=True, help="why (kept in the audit log)")
    allow.set_defaults(handler=grant)
    waivers = policy.add_parser("waivers", help="list the waivers")
    waivers.add_argument("--all", action="store_true", help="expired ones too")
    waivers.set_defaults(handler=list_waivers)
    revoke = policy.add_parser("revoke", help="remove a waiver")
    revoke.add_argument("id", type=int, help="the waiver's number, as `waivers` lists it")
    revoke.set_defaults(handler=revoke_waiver)
    check = policy.add_parser(
        "check", help="list every lockfile entry the policy would refuse (no server needed)",
        description="Reads requirements*.txt, uv.lock, poetry.lock, package-lock.json, "
        "pnpm-lock.yaml or yarn.lock and judges each entry as a download through the "
        "default groups. Exit status 1 when any entry would be refused, 0 otherwise. "
        "Version rules use what this Wharf holds or has cached; entries without that data, "
        "or without a pinned version, are judged by name and said so.",
    )
    check.add_argument("files", nargs="+", type=Path, help="lockfiles or requirement files")
    check.add_argument("--python-index", default="pypi", help="Python index clients use")
    check.add_argument("--npm-index", default="npm", help="npm index clients use")
    check.add_argument("--verbose", "-v", action="store_true",
                       help="also list the entries that pass, and what was not judged")
    check.set_defaults(handler=check_lockfiles)
    for parser in (show, allow, waivers, revoke, check):
        add_settings_options(parser)


def describe(waiver: Waiver) -> str:
    what = f"{waiver.name} {waiver.version}" if waiver.version else f"{waiver.name} (all versions)"
    rules = ", ".join(waiver.rules) if waiver.rules else "every rule"
    until = waiver.expires_at.isoformat(timespec="minutes") if waiver.expires_at else "never"
    return (f"#{waiver.id}  {waiver.format}  {what}  {rules}  until {until}  "
            f"by {waiver.created_by}: {waiver.reason}")


def show_policy(args: argparse.Namespace) -> int:
    loaded = settings_from(args)
    print(f"# configuration file: {loaded.config_file or 'none'}")
    for key in iter_keys():
        if key.startswith("policy.") and key not in ("policy.rules", "policy.overrides"):
            source = loaded.sources.get(key, "default")
            value = lookup(loaded.settings, key)
            print(f"{key} = {value!r}    # {source}; {env_name(key)}")
    policy = loaded.settings.policy
    for entry in policy.rules:
        print(f"[[policy.rules]] {entry.model_dump(exclude_defaults=True)}")
    for override in policy.overrides:
        print(f"[[policy.overrides]] {override.model_dump(exclude_none=True)}")

    async def work(s: Services) -> tuple[list[Index], list[Waiver]]:
        return await s.indexes.list_all(), await s.waivers.list(local_admin(),
                                                                  active_only=True)

    indexes, waivers = run(args, work)
    print("\n# rules in force, per index (in the order they run)")
    from wharf.bootstrap import rule_book  # noqa: PLC0415

    book = rule_book(loaded.settings)
    for index in indexes:
        rules = book.rules_for((index.name,))
        names = [f"{r.id} ({r.mode})" for r in rules.rules]
        names += [f"{r.id} (allow)" for r in rules.allows]
        names += [f"{r.id} (allowlist)" for r in rules.allowlist]
        print(f"{index.name}: {', '.join(names) or 'none'}")
    print(f"dependency-confusion guard: {book.confusion} (groups)")
    print(f"\n# active waivers: {len(waivers)}")
    for waiver in waivers:
        print(describe(waiver))
    return 0


def grant(args: argparse.Namespace) -> int:
    name, version = split_spec(args.spec)
    expires = parse_expiry(args.until, args.lasting)

    async def work(s: Services) -> Waiver:
        return await s.waivers.allow(local_admin(), args.format, name, version,
                                     rules=args.rule, expires_at=expires, reason=args.reason)

    print("allowed: " + describe(run(args, work)))
    return 0


def list_waivers(args: argparse.Namespace) -> int:
    async def work(s: Services) -> list[Waiver]:
        return await s.waivers.list(local_admin(), active_only=not args.all)

    found = run(args, work)
    for waiver in found:
        print(describe(waiver))
    print(f"{len(found)} waiver(s)")
    return 0


def revoke_waiver(args: argparse.Namespace) -> int:
    async def work(s: Services) -> Waiver:
        return await s.waivers.revoke(local_admin(), args.id)

    print("revoked: " + describe(run(args, work)))
    return 0


def check_lockfiles(args: argparse.Namespace) -> int:
    entries = [entry for path in args.files for entry in read_lockfile(path)]
    through = {"python": args.python_index, "npm": args.npm_index}
    from wharf.bootstrap import prepare  # noqa: PLC0415

    asyncio.run(prepare(settings_from(args).settings))  # a fresh data directory works too

    async def work(s: Services) -> list[EntryCheck]:
        return await s.lockcheck.check(entries, through)

    results = run(args, work)
    refused = [r for r in results if r.judgement.blocks]
    for result in results:
        entry = result.entry
        what = f"{entry.name} {entry.version or '(any version)'}"
        if result.judgement.blocks:
            decision = result.judgement.decision
            print(f"REFUSED  {entry.where}  {what}  [{decision.rule}] {decision.reason}")
            if decision.hint:
                print(f"         {decision.hint}")
        elif args.verbose:
            print(f"ok       {entry.where}  {what}  (from {result.index})")
        for warning in result.judgement.warnings:
            print(f"WARN     {entry.where}  {what}  [{warning.rule}] {warning.reason}")
        if args.verbose or result.judgement.blocks:
            for note in result.notes:
                print(f"         note: {note}")
    unknown = sum(1 for r in results if r.notes)
    more = "; -v lists them" if unknown and not args.verbose else ""
    print(f"{len(results)} entries: {len(refused)} refused, {len(results) - len(refused)} "
          f"allowed ({unknown} judged without full data{more})")
    return 1 if refused else 0
