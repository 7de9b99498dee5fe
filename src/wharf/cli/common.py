"""What every command shares: global options, settings, services on the data directory,
and errors printed as one clear line."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from wharf.config.loader import LoadedSettings, load_settings
from wharf.core.errors import WharfError
from wharf.core.models import Principal
from wharf.services.container import Services

T = TypeVar("T")


def add_settings_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, help="data directory (WHARF_DATA_DIR)")
    parser.add_argument(
        "--config", type=Path, help="configuration file (default: DATA_DIR/wharf.toml)"
    )


def settings_from(args: argparse.Namespace, **overrides: Any) -> LoadedSettings:
    values = {"data_dir": getattr(args, "data_dir", None), **overrides}
    return load_settings(overrides=values, config_file=getattr(args, "config", None))


@asynccontextmanager
async def open_services(args: argparse.Namespace) -> AsyncIterator[Services]:
    from wharf.bootstrap import build_services  # noqa: PLC0415 - keeps --help fast

    services = await build_services(settings_from(args).settings)
    try:
        yield services
    finally:
        await services.close()


def local_admin() -> Principal:
    """Whoever can write the data directory administers it."""
    return Principal(user=f"cli:{getpass.getuser()}", is_admin=True)


def run(args: argparse.Namespace, work: Callable[[Services], Awaitable[T]]) -> T:
    async def main() -> T:
        async with open_services(args) as services:
            return await work(services)

    return asyncio.run(main())


def fail(error: WharfError) -> int:
    print(f"error: {error.explain()}", file=sys.stderr)
    return 1
