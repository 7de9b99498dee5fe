"""``wharf user …`` and ``wharf token …``: work on the data directory, server running or not."""

from __future__ import annotations

import argparse
import getpass
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from wharf.cli.common import add_settings_options, run
from wharf.core.errors import InvalidRequestError
from wharf.core.models import Action
from wharf.services.container import Services

if TYPE_CHECKING:
    Commands = argparse._SubParsersAction[argparse.ArgumentParser]


def register(commands: Commands) -> None:
    user = commands.add_parser("user", help="manage users").add_subparsers(
        dest="verb", required=True, metavar="{add,list,passwd,delete,import-htpasswd}"
    )
    add = user.add_parser("add", help="add a user (password from stdin, or asked for)")
    add.add_argument("name")
    add.add_argument("--admin", action="store_true", help="make the user an administrator")
    add.set_defaults(handler=add_user)
    listing = user.add_parser("list", help="list users")
    listing.set_defaults(handler=list_users)
    passwd = user.add_parser("passwd", help="set a user's password")
    passwd.add_argument("name")
    passwd.set_defaults(handler=set_password)
    delete = user.add_parser("delete", help="delete a user and revoke their tokens")
    delete.add_argument("name")
    delete.set_defaults(handler=delete_user)
    imp = user.add_parser("import-htpasswd", help="import users from an htpasswd file "
                          "(bcrypt, {SHA} and apr1-md5 entries)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--replace", action="store_true", help="replace existing users' passwords")
    imp.set_defaults(handler=import_htpasswd)

    token = commands.add_parser("token", help="manage API tokens").add_subparsers(
        dest="verb", required=True, metavar="{create,list,revoke}"
    )
    create = token.add_parser("create", help="create a token; its secret is printed once")
    create.add_argument("--user", required=True)
    create.add_argument("--action", action="append", choices=[a.value for a in Action],
                        help="allowed action (repeatable; default read and upload)")
    create.add_argument("--index", action="append", default=[],
                        help="limit to this index (repeatable; default every index)")
    create.add_argument("--expires", help="lifetime like 30d, 12h, or a date (YYYY-MM-DD)")
    create.add_argument("--description", default="")
    create.set_defaults(handler=create_token)
    tlist = token.add_parser("list", help="list tokens (never their secrets)")
    tlist.add_argument("--user")
    tlist.set_defaults(handler=list_tokens)
    revoke = token.add_parser("revoke", help="revoke a token by id")
    revoke.add_argument("token_id")
    revoke.set_defaults(handler=revoke_token)
    for parser in (add, listing, passwd, delete, imp, create, tlist, revoke):
        add_settings_options(parser)


def read_password(confirm: bool = True) -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("Password: ")
    if confirm and getpass.getpass("Repeat password: ") != password:
        raise InvalidRequestError("The passwords do not match.")
    return password


def add_user(args: argparse.Namespace) -> int:
    password = read_password()

    async def work(s: Services) -> None:
        await s.accounts.add_user(args.name, password, admin=args.admin)

    run(args, work)
    print(f"added {'administrator' if args.admin else 'user'} {args.name}")
    return 0


def list_users(args: argparse.Namespace) -> int:
    async def work(s: Services) -> None:
        for user in await s.accounts.list_users():
            print(f"{user.name}{'  (admin)' if user.is_admin else ''}")

    run(args, work)
    return 0


def set_password(args: argparse.Namespace) -> int:
    password = read_password()

    async def work(s: Services) -> None:
        await s.accounts.set_password(args.name, password)

    run(args, work)
    print(f"password of {args.name} changed")
    return 0


def delete_user(args: argparse.Namespace) -> int:
    async def work(s: Services) -> None:
        await s.accounts.delete_user(args.name)

    run(args, work)
    print(f"deleted user {args.name}")
    return 0


def import_htpasswd(args: argparse.Namespace) -> int:
    text = args.file.read_text(encoding="utf-8")

    async def work(s: Services) -> list[str]:
        return await s.accounts.import_htpasswd(text, replace_existing=args.replace)

    names = run(args, work)
    print(f"imported {len(names)} user(s): {', '.join(names) or '-'}")
    return 0


def parse_expiry(value: str | None) -> datetime | None:
    if not value:
        return None
    match = re.fullmatch(r"(\d+)([dhm])", value)
    if match:
        unit = {"d": "days", "h": "hours", "m": "minutes"}[match.group(2)]
        return datetime.now(UTC) + timedelta(**{unit: int(match.group(1))})
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidRequestError(
            f"Cannot read the expiry '{value}'.", hint="Use 30d, 12h, 90m or YYYY-MM-DD."
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def create_token(args: argparse.Namespace) -> int:
    actions = [Action(a) for a in (args.action or ["read", "upload"])]
    expires = parse_expiry(args.expires)

    async def work(s: Services) -> str:
        token, secret = await s.accounts.create_token(
            args.user, actions, indexes=args.index, expires_at=expires,
            description=args.description,
        )
        print(f"token {token.id} for {token.user}: "
              f"{', '.join(a.value for a in token.actions)} on "
              f"{', '.join(token.indexes) or 'every index'}"
              + (f", expires {token.expires_at:%Y-%m-%d %H:%M} UTC" if token.expires_at else ""),
              file=sys.stderr)
        return secret

    print(run(args, work))
    return 0


def list_tokens(args: argparse.Namespace) -> int:
    async def work(s: Services) -> None:
        for t in await s.accounts.list_tokens(args.user):
            state = "revoked" if t.revoked else (
                f"expires {t.expires_at:%Y-%m-%d}" if t.expires_at else "no expiry")
            print(f"{t.id}  {t.user}  {','.join(a.value for a in t.actions)}  "
                  f"{','.join(t.indexes) or '*'}  {state}  {t.description}")

    run(args, work)
    return 0


def revoke_token(args: argparse.Namespace) -> int:
    async def work(s: Services) -> None:
        await s.accounts.revoke_token(args.token_id)

    run(args, work)
    print(f"revoked token {args.token_id}")
    return 0
