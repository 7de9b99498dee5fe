"""``wharf audit``: read the audit trail. ``wharf audit downloads NAME==VERSION`` answers
"who pulled this?" after a takedown; ``wharf audit log`` lists any events."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from wharf.cli.common import add_settings_options, run
from wharf.cli.specs import parse_time, split_spec
from wharf.core.models import AuditEvent
from wharf.services.auditing import COUNT
from wharf.services.container import Services

if TYPE_CHECKING:
    Commands = argparse._SubParsersAction[argparse.ArgumentParser]


def register(commands: Commands) -> None:
    audit = commands.add_parser("audit", help="read the audit trail").add_subparsers(
        dest="verb", required=True, metavar="{downloads,log}")
    downloads = audit.add_parser(
        "downloads", help="who downloaded a package (or one version of it)",
        description="Example: wharf audit downloads requests==2.32.0 --since 2026-11-01; "
        "wharf audit downloads left-pad@1.3.0. Lists every download: when, who, which "
        "token, from which address and client.",
    )
    downloads.add_argument("spec", help="NAME, NAME==VERSION (Python) or NAME@VERSION (npm)")
    downloads.set_defaults(handler=list_downloads)
    log = audit.add_parser("log", help="list audit events, newest first")
    log.add_argument("--action", help="an action or dotted prefix: policy, artifact.upload, …")
    log.add_argument("--project", help="only this package")
    log.set_defaults(handler=list_events)
    for parser in (downloads, log):
        parser.add_argument("--since", help="only events at or after this date (ISO 8601)")
        parser.add_argument("--index", help="only this index")
        parser.add_argument("--limit", type=int, default=1000, help="at most this many")
        parser.add_argument("--json", action="store_true", help="one JSON object per line")
        add_settings_options(parser)


def list_downloads(args: argparse.Namespace) -> int:
    name, version = split_spec(args.spec)

    async def work(s: Services) -> list[AuditEvent]:
        names = {fmt.normalize(name) for fmt in s.formats.values()}
        found: list[AuditEvent] = []
        for each in sorted(names):
            found += await s.audit.query(
                action="artifact.download", index=args.index, project=each, version=version,
                since=parse_time(args.since) if args.since else None, limit=args.limit,
            )
        return sorted(found, key=lambda e: e.at, reverse=True)[: args.limit]

    events = run(args, work)
    show(events, args.json)
    if not args.json:
        total = sum(int(e.detail.get(COUNT, 1)) for e in events)
        print(f"{total} download(s) of {args.spec}")
    return 0


def list_events(args: argparse.Namespace) -> int:
    async def work(s: Services) -> list[AuditEvent]:
        return await s.audit.query(
            action=args.action, index=args.index, project=args.project,
            since=parse_time(args.since) if args.since else None, limit=args.limit,
        )

    events = run(args, work)
    show(events, args.json)
    return 0


def show(events: list[AuditEvent], as_json: bool) -> None:
    for event in events:
        if as_json:
            print(json.dumps({
                "at": event.at.isoformat(), "action": event.action, "actor": event.actor,
                "token": event.token_id, "index": event.index, "project": event.project,
                "version": event.version, "filename": event.filename,
                "address": event.address, "user_agent": event.user_agent,
                "detail": dict(event.detail),
            }))
            continue
        who = event.actor or "anonymous"
        token = f" token {event.token_id}" if event.token_id else ""
        what = " ".join(p for p in (event.index, event.filename or event.project,
                                    event.version if not event.filename else None) if p)
        times = event.detail.get(COUNT) if event.action == "artifact.download" else None
        if times is not None:
            detail = f"  {times} times within a second"
        else:
            detail = f"  {dict(event.detail)}" if event.detail else ""
        print(f"{event.at.isoformat(timespec='seconds')}  {event.action}  {what}  {who}{token}"
              f"  from {event.address or '-'}  {event.user_agent or '-'}{detail}")
