"""``wharf serve``: prepare the data directory, then run the ASGI server's workers."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from wharf.cli.common import add_settings_options, settings_from
from wharf.config.loader import env_name


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "serve", help="run the registry",
        description="Start Wharf. With no configuration it uses SQLite and local files in "
        "the data directory and creates the default indexes (pypi-local, pypi-remote, pypi).",
    )
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default 8080)")
    parser.add_argument("--workers", type=int, help="worker processes (default: CPU cores)")
    parser.add_argument("--pypi-upstream", help="upstream simple index URL of pypi-remote")
    add_settings_options(parser)
    parser.set_defaults(handler=serve)


def serve(args: argparse.Namespace) -> int:
    from wharf.bootstrap import prepare  # noqa: PLC0415
    from wharf.cli.workers import become_server  # noqa: PLC0415

    overrides = {
        "server.host": args.host,
        "server.port": args.port,
        "server.workers": args.workers,
        "pypi.upstream": args.pypi_upstream,
    }
    loaded = settings_from(args, **overrides)
    settings = loaded.settings
    created = asyncio.run(prepare(settings))
    # Workers rebuild the same settings from the environment.
    os.environ[env_name("data_dir")] = str(settings.data_dir)
    if args.config:
        os.environ["WHARF_CONFIG"] = str(args.config)
    for key, value in overrides.items():
        if value is not None:
            os.environ[env_name(key)] = str(value)
    workers = settings.server.workers or os.cpu_count() or 1
    url = f"http://{settings.server.host}:{settings.server.port}"
    for index in created:
        print(f"created index {index.name} ({index.kind}"
              + (f" of {index.upstream}" if index.upstream else "") + ")", file=sys.stderr)
    print(f"Wharf serving {settings.data_dir} at {url}/ with {workers} worker(s)\n"
          f"  pip install --index-url {url}/simple/ NAME\n"
          f"  twine upload --repository-url {url}/pypi/ dist/*", file=sys.stderr, flush=True)
    become_server(settings.server.host, settings.server.port, workers)
    return 0  # not reached: the process is now the server
