"""``wharf config show``: every setting, its value and where the value came from."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from wharf.cli.common import add_settings_options, settings_from
from wharf.config.loader import env_name, iter_keys

if TYPE_CHECKING:
    Commands = argparse._SubParsersAction[argparse.ArgumentParser]


def register(commands: Commands) -> None:
    config = commands.add_parser("config", help="inspect the configuration").add_subparsers(
        dest="verb", required=True, metavar="{show}")
    show = config.add_parser("show", help="print the effective settings and their sources")
    add_settings_options(show)
    show.set_defaults(handler=show_settings)


def lookup(settings: Any, key: str) -> Any:
    value = settings
    for part in key.split("."):
        value = getattr(value, part)
    return value


def show_settings(args: argparse.Namespace) -> int:
    loaded = settings_from(args)
    print(f"# configuration file: {loaded.config_file or 'none'}")
    for key in iter_keys():
        value = lookup(loaded.settings, key)
        source = loaded.sources.get(key, "default")
        print(f"{key} = {value!r}    # {source}; {env_name(key)}")
    if not loaded.settings.pypi.upstream:
        from wharf.config.upstreams import discover_pypi_upstream  # noqa: PLC0415

        url, origin = discover_pypi_upstream()
        print(f"# pypi.upstream when empty: {url} ({origin})")
    return 0
