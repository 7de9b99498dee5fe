"""The server process ``wharf serve`` becomes once the data directory is ready: the ASGI
server's supervisor, which forks the workers and restarts any that die; or, with one
worker (the default on up to three cores), the one process that serves
(``wharf.cli.inprocess``), without a supervisor beside it.

``wharf serve`` replaces itself with this module (``exec``) rather than starting the
server in the process that prepared the data directory: preparing imports the migration
tool, the whole command line and every service, and a forked worker would inherit all of
it (about 60 MB per process, counted again in every worker). This module imports nothing
of Wharf's; each worker builds the application itself after the fork
(``wharf.cli.worker_app:create_app``, reading the ``WHARF_*`` environment ``serve`` set).

The supervisor also sets glibc's malloc up to give memory back (``MALLOC_ENV``, unless
the environment already says otherwise): two arenas per process instead of one per thread
(the server's runtime threads, the database thread pool), where freed memory scatters and
is rarely returned; and a fixed threshold above which a block is its own mapping, returned
to the system when freed. By default glibc raises that threshold after freeing a big block,
so the next big page build (tens of MB of JSON for a large project) lands on the heap for
good, and a worker that once built one keeps its peak size.

Workers run on uvloop (``event_loop``): on 2 cores, wrk with 16 connections, it answered a
trivial ASGI app at 61,000 req/s against 45,000 on the standard loop, and Wharf's warm
pages and files (replayed from the response memo) at 38,000 and 33,000 req/s against
31,000 and 25,000.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys

BACKLOG = 1024
"""Connections the kernel queues before the server accepts them, and (granian derives it)
requests the server runs at once: granian's supervisor defaults to this, its embedded server
to 128, and 16 uv installs started together, each opening dozens of connections,
overflowed it: dropped connection attempts were retried by the clients after seconds,
and the 16 installs took 33 s instead of 3."""

MALLOC_ENV = {
    "MALLOC_ARENA_MAX": "2",
    "MALLOC_MMAP_THRESHOLD_": str(128 << 10),
    "MALLOC_TRIM_THRESHOLD_": str(256 << 10),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="wharf-workers")
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, required=True)
    args = parser.parse_args(argv)

    if args.workers == 1:
        from wharf.cli.inprocess import serve  # noqa: PLC0415

        return serve(args.host, args.port, event_loop())

    from granian.constants import Interfaces, Loops  # noqa: PLC0415
    from granian.server import Server  # noqa: PLC0415

    Server(
        "wharf.cli.worker_app:create_app",
        address=args.host,
        port=args.port,
        interface=Interfaces.ASGI,
        workers=args.workers,
        loop=Loops(event_loop()),
        factory=True,
        websockets=False,
        log_access=False,
        respawn_failed_workers=True,
        backlog=BACKLOG,
    ).serve()
    return 0


def event_loop() -> str:
    """The event loop workers run: uvloop where it is installed (a dependency, except on
    Windows, which it does not support), else the standard one."""
    return "uvloop" if importlib.util.find_spec("uvloop") is not None else "asyncio"


def exec_argv(host: str, port: int, workers: int) -> list[str]:
    """The command line that runs this module with ``sys.executable``."""
    return [sys.executable, "-m", "wharf.cli.workers", "--host", host, "--port", str(port),
            "--workers", str(workers)]


def become_server(host: str, port: int, workers: int) -> None:
    """Replace the current process with the server (never returns)."""
    for name, value in MALLOC_ENV.items():
        os.environ.setdefault(name, value)
    sys.stdout.flush()
    sys.stderr.flush()
    argv = exec_argv(host, port, workers)
    os.execv(argv[0], argv)  # noqa: S606 (our own interpreter and module, no shell)


if __name__ == "__main__":
    raise SystemExit(main())
