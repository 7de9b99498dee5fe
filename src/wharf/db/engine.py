"""Engines for the two supported databases, configured for several worker processes.

SQLite: WAL journal (readers never block the writer), ``synchronous=NORMAL``, foreign keys
on, a 30 s busy timeout. SQLAlchemy emits BEGIN itself (the driver's own transaction handling
is switched off) so that a connection marked with the ``WRITE`` execution option starts with
``BEGIN IMMEDIATE``: a writer takes the write lock up front instead of upgrading a read lock
later, which is what makes two processes deadlock into ``SQLITE_BUSY``.

PostgreSQL: the psycopg 3 driver and a normal connection pool.

JSON columns go through the C codec of ``wharf.formats.codec``: the cached upstream
listings are the biggest values (5 MB of JSON for a project of 15,000 files), written once
per fetch and read back for page builds and first downloads.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url

from wharf.core.errors import ConfigurationError
from wharf.formats import codec

WRITE = "wharf_write"
"""Execution option: set it on a connection before ``begin()`` to start a write transaction."""

BUSY_TIMEOUT_SECONDS = 30.0

SQLITE_POOL = 4
"""Connections a process keeps (and as many more under a burst). Each holds its own page
cache; SQLite takes one writer at a time, and a read of an indexed row takes well under a
millisecond, so more connections buy little but memory: with 30 (the former 10 + 20), a
burst of cold requests left a worker some 60 MB bigger for good."""

SQLITE_CACHE_KIB = 1024
"""Page cache per connection (SQLite's default is 2,000 KiB)."""


def _to_json(value: Any) -> str:
    return codec.dumps(value).decode("utf-8")


_JSON_CODEC: dict[str, Any] = {"json_serializer": _to_json, "json_deserializer": codec.loads}

_URL_HINT = "Use sqlite:///path/to/wharf.db or postgresql+psycopg://user@host/database."


def create_engine_for(url: str) -> sa.Engine:
    """An engine for a ``sqlite:///path`` or ``postgresql+psycopg://`` URL."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError as exc:
        raise ConfigurationError("The database URL cannot be parsed.", hint=_URL_HINT) from exc
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return sa.create_engine(parsed, pool_pre_ping=True, pool_size=10, max_overflow=20,
                                **_JSON_CODEC)
    raise ConfigurationError(
        f"Unsupported database URL {parsed.render_as_string(hide_password=True)!r}.",
        hint=_URL_HINT,
    )


def _sqlite_engine(url: URL) -> sa.Engine:
    if not url.database or url.database == ":memory:" or url.query.get("mode") == "memory":
        raise ConfigurationError(
            "An in-memory SQLite database cannot be shared by worker threads and processes.",
            hint="Give a file path: sqlite:///path/to/wharf.db.",
        )
    if not url.database.startswith("file:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url,
        connect_args={"timeout": BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
        pool_size=SQLITE_POOL,
        max_overflow=SQLITE_POOL,
        **_JSON_CODEC,
    )
    event.listen(engine, "connect", _on_sqlite_connect)
    event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from the sqlite3 module; ``_on_sqlite_begin`` emits BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        _ensure_wal(cursor)
    finally:
        cursor.close()


def _ensure_wal(cursor: Any) -> None:
    """Switch the file to WAL once. Switching needs a moment alone with the file, and the busy
    handler does not always cover it, so retry for a while when another process holds it."""
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    while True:
        try:
            mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
            if str(mode).lower() in ("wal", "memory"):
                return
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _on_sqlite_begin(connection: sa.Connection) -> None:
    # Straight to the driver: through SQLAlchemy's execution (events, a cursor result) the
    # BEGIN cost a fifth of a one-row read's transaction.
    statement = "BEGIN IMMEDIATE" if connection.get_execution_options().get(WRITE) else "BEGIN"
    connection.connection.driver_connection.execute(statement)  # type: ignore[union-attr]
