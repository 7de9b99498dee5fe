"""Transactions for the store: each public method is one transaction in a worker thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from functools import partial
from typing import TypeVar

import anyio.to_thread
import sqlalchemy as sa

from wharf.db.engine import WRITE
from wharf.db.tables import change_serial

T = TypeVar("T")

# Concurrent writers (other processes, or other PostgreSQL sessions) can both find a row
# missing and both insert it; the loser's unique constraint fails. Likewise a delete fails on a
# foreign key when another transaction just added a child row. The loser starts over in a new
# transaction, whose reads see the winner's rows. (SQLite writers are serialised by BEGIN
# IMMEDIATE, so there this only matters for PostgreSQL.)
_ATTEMPTS = 4


class StoreBase:
    """Owns the engine and runs synchronous transaction bodies off the event loop."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        self._writer: AbstractContextManager[object] = (
            threading.Lock() if engine.dialect.name == "sqlite" else nullcontext())
        """SQLite takes one writer at a time: the threads of this process queue on a lock
        for it, woken the moment it is free, instead of in SQLite's busy handler, which
        polls with sleeps of up to 100 ms (a cold install of 42 projects spent 1.4 s of
        its threads' time there). Other processes still meet the busy handler."""

    @property
    def engine(self) -> sa.Engine:
        return self._engine

    async def _read(self, body: Callable[[sa.Connection], T]) -> T:
        return await anyio.to_thread.run_sync(partial(self._run, body, write=False))

    async def _write(self, body: Callable[[sa.Connection], T]) -> T:
        """Run ``body`` in a write transaction, starting over after a lost race."""
        return await anyio.to_thread.run_sync(partial(self._run, body, write=True))

    def _run(self, body: Callable[[sa.Connection], T], *, write: bool) -> T:
        for attempt in range(_ATTEMPTS):
            try:
                if not write:
                    with self._engine.connect() as connection, connection.begin():
                        return body(connection)
                # The lock first: a writer waiting for its turn holds no pooled connection.
                with self._writer, self._engine.connect() as connection:
                    connection.execution_options(**{WRITE: True})
                    with connection.begin():
                        return body(connection)
            except sa.exc.IntegrityError:
                if not write or attempt == _ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def change_serial(self) -> int:
        def body(connection: sa.Connection) -> int:
            value = connection.execute(
                sa.select(change_serial.c.value).where(change_serial.c.id == 1)
            ).scalar_one()
            return int(value)

        return await self._read(body)

    async def close(self) -> None:
        await anyio.to_thread.run_sync(self._engine.dispose)


_BUMP = (
    sa.update(change_serial)
    .where(change_serial.c.id == 1)
    .values(value=change_serial.c.value + 1)
)


def bump_serial(connection: sa.Connection) -> None:
    """Record a change to the catalogue; call inside the write transaction that makes it."""
    connection.execute(_BUMP)


def utc_now() -> datetime:
    return datetime.now(UTC)
