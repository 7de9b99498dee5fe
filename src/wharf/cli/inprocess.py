"""One server process, no supervisor: what ``wharf serve`` runs with one worker.

With several workers the ASGI server's supervisor forks them and restarts any that die;
with one, that supervisor is a second Python process (27 MB resident, measured) that only
waits. Here the server runs in this process, on its event loop (granian's embedded
server: the same HTTP core and ASGI bridge its workers run, started from a running
loop). A process that dies is restarted by whatever runs Wharf (systemd, a container
runtime), as with any single-process server.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from granian.constants import Interfaces
from granian.server.embed import Server

from wharf.cli.workers import BACKLOG

EXPERIMENTAL = "Embedded server is experimental"


def serve(host: str, port: int, loop: str) -> int:
    """Serve until SIGINT or SIGTERM; ``loop`` is ``uvloop`` or ``asyncio``."""
    if loop == "uvloop":
        import uvloop  # noqa: PLC0415

        uvloop.run(_serve(host, port))
    else:
        asyncio.run(_serve(host, port))
    return 0


async def _serve(host: str, port: int) -> None:
    from wharf.cli.worker_app import open_app  # noqa: PLC0415 (after the loop exists)

    app = await open_app()
    server = Server(app, address=host, port=port, interface=Interfaces.ASGI,
                    websockets=False, log_access=False, backlog=BACKLOG)
    # Granian flags this way of starting it; Wharf's end-to-end tests run every client
    # against it, so the warning would only alarm whoever reads the log.
    logging.getLogger("_granian").addFilter(_not_experimental)
    running = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        running.add_signal_handler(signum, server.stop)
    await server.serve()


def _not_experimental(record: logging.LogRecord) -> bool:
    return EXPERIMENTAL not in record.getMessage()
