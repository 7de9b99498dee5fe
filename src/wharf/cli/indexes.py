"""``wharf index …`` and ``wharf release …``/``wharf project …``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from wharf.cli.common import add_settings_options, local_admin, run
from wharf.core.models import ANONYMOUS, AUTHENTICATED, Acl, Index, IndexKind, PackageRule
from wharf.services.container import Services

if TYPE_CHECKING:
    Commands = argparse._SubParsersAction[argparse.ArgumentParser]


def register(commands: Commands) -> None:
    index = commands.add_parser("index", help="manage indexes").add_subparsers(
        dest="verb", required=True, metavar="{create,list,show,delete}"
    )
    create = index.add_parser(
        "create", help="create a hosted, proxy or group index",
        description="Examples: wharf index create team --kind hosted; "
        "wharf index create mirror --kind proxy --upstream URL; "
        "wharf index create all --kind group --member team --member mirror",
    )
    create.add_argument("name")
    create.add_argument("--format", default="python", help="python (default)")
    create.add_argument("--kind", choices=[k.value for k in IndexKind], default="hosted")
    create.add_argument("--upstream", help="proxy: the upstream index URL")
    create.add_argument("--member", action="append", default=[], help="group: member, in order")
    create.add_argument("--trust-upstream", action="append", default=[], metavar="PATTERN",
                        help="group: names whose upstream releases may mix with hosted ones")
    create.add_argument("--read", action="append", metavar="WHO",
                        help=f"who may read: user names, {ANONYMOUS} or {AUTHENTICATED}")
    create.add_argument("--upload", action="append", metavar="WHO", help="who may upload")
    create.add_argument("--description", default="")
    create.set_defaults(handler=create_index)
    listing = index.add_parser("list", help="list indexes")
    listing.set_defaults(handler=list_indexes)
    show = index.add_parser("show", help="show one index")
    show.add_argument("name")
    show.set_defaults(handler=show_index)
    delete = index.add_parser("delete", help="delete an index and everything in it")
    delete.add_argument("name")
    delete.set_defaults(handler=delete_index)

    rule = index.add_parser(
        "rule", help="who may read, publish and unpublish packages matching a pattern",
    ).add_subparsers(dest="rule_verb", required=True, metavar="{add,remove}")
    add_rule = rule.add_parser(
        "add", help="add a package rule, or replace the one with the same pattern",
        description="Example: wharf index rule add npm-local '@corp/*' --read :authenticated: "
        "--upload alice --upload bob --unpublish alice. An option left out keeps the "
        "index's ACL for that action; the first matching rule wins, and groups apply the "
        "rules of their members.",
    )
    add_rule.add_argument("name", help="the index")
    add_rule.add_argument("pattern", help="package name pattern (fnmatch), e.g. '@corp/*'")
    for action, text in (("read", "who may read"), ("upload", "who may publish"),
                         ("unpublish", "who may unpublish any release")):
        add_rule.add_argument(f"--{action}", action="append", metavar="WHO",
                              help=f"{text}: user names, {ANONYMOUS} or {AUTHENTICATED}")
    add_rule.set_defaults(handler=add_package_rule)
    remove_rule = rule.add_parser("remove", help="remove the rule for a pattern")
    remove_rule.add_argument("name", help="the index")
    remove_rule.add_argument("pattern")
    remove_rule.set_defaults(handler=remove_package_rule)

    release = commands.add_parser("release", help="yank, unyank or delete a release")
    verbs = release.add_subparsers(dest="verb", required=True, metavar="{yank,unyank,delete}")
    parsers = []
    for verb, text in (("yank", "mark a release yanked (PEP 592)"),
                       ("unyank", "undo a yank"), ("delete", "delete a release's files")):
        parser = verbs.add_parser(verb, help=text)
        parser.add_argument("index")
        parser.add_argument("project")
        parser.add_argument("version")
        if verb == "yank":
            parser.add_argument("--reason", default="")
        parser.set_defaults(handler=manage_release)
        parsers.append(parser)
    project = commands.add_parser("project", help="delete a project").add_subparsers(
        dest="verb", required=True, metavar="{delete}")
    pdelete = project.add_parser("delete", help="delete a project with all its releases")
    pdelete.add_argument("index")
    pdelete.add_argument("project")
    pdelete.set_defaults(handler=delete_project)
    for parser in (create, listing, show, delete, add_rule, remove_rule, pdelete, *parsers):
        add_settings_options(parser)


def describe(index: Index) -> str:
    parts = [f"{index.name}  {index.format} {index.kind.value}"]
    if index.upstream:
        parts.append(f"upstream {index.upstream}")
    if index.members:
        parts.append("members " + ", ".join(index.members))
    if index.trust_upstream:
        parts.append("trusts upstream for " + ", ".join(index.trust_upstream))
    parts.append(f"read: {', '.join(index.acl.read)}; upload: {', '.join(index.acl.upload)}")
    lines = ["  ".join(parts)]
    lines += [f"  rule {describe_rule(rule)}" for rule in index.package_rules]
    return "\n".join(lines)


def describe_rule(rule: PackageRule) -> str:
    said = [
        f"{action}: {', '.join(who)}"
        for action in ("read", "upload", "unpublish")
        if (who := getattr(rule, action)) is not None
    ]
    return f"'{rule.pattern}'  " + ("; ".join(said) or "(the index's ACL)")


def add_package_rule(args: argparse.Namespace) -> int:
    rule = PackageRule(
        args.pattern,
        read=tuple(args.read) if args.read else None,
        upload=tuple(args.upload) if args.upload else None,
        unpublish=tuple(args.unpublish) if args.unpublish else None,
    )

    async def work(s: Services) -> Index:
        return await s.indexes.set_package_rule(args.name, rule)

    print(describe(run(args, work)))
    return 0


def remove_package_rule(args: argparse.Namespace) -> int:
    async def work(s: Services) -> Index:
        return await s.indexes.remove_package_rule(args.name, args.pattern)

    print(describe(run(args, work)))
    return 0


def create_index(args: argparse.Namespace) -> int:
    default = Acl()
    index = Index(
        name=args.name, format=args.format, kind=IndexKind(args.kind),
        upstream=args.upstream, members=tuple(args.member),
        trust_upstream=tuple(args.trust_upstream),
        acl=Acl(tuple(args.read or default.read), tuple(args.upload or default.upload)),
        description=args.description,
    )

    async def work(s: Services) -> Index:
        return await s.indexes.create(index)

    print("created " + describe(run(args, work)))
    return 0


def list_indexes(args: argparse.Namespace) -> int:
    async def work(s: Services) -> list[Index]:
        return await s.indexes.list_all()

    for index in run(args, work):
        print(describe(index))
    return 0


def show_index(args: argparse.Namespace) -> int:
    async def work(s: Services) -> Index:
        return await s.indexes.get(args.name)

    print(describe(run(args, work)))
    return 0


def delete_index(args: argparse.Namespace) -> int:
    async def work(s: Services) -> None:
        await s.indexes.delete(args.name)

    run(args, work)
    print(f"deleted index {args.name} (run `wharf gc` to free the space of its files)")
    return 0


def manage_release(args: argparse.Namespace) -> int:
    async def work(s: Services) -> str:
        if args.verb == "delete":
            removed = await s.releases.delete_release(
                args.index, args.project, args.version, local_admin())
            return f"deleted {args.project} {args.version}: " + ", ".join(
                a.filename for a in removed)
        await s.releases.yank(args.index, args.project, args.version, local_admin(),
                              reason=getattr(args, "reason", ""), yanked=args.verb == "yank")
        return f"{args.verb}ed {args.project} {args.version} in {args.index}"

    print(run(args, work))
    return 0


def delete_project(args: argparse.Namespace) -> int:
    async def work(s: Services) -> int:
        return len(await s.releases.delete_project(args.index, args.project, local_admin()))

    count = run(args, work)
    print(f"deleted project {args.project} ({count} file(s))")
    return 0
