"""Fixtures for the metadata-store contract tests, run on every available backend.

SQLite (a fresh file per test) always runs. PostgreSQL runs when ``WHARF_TEST_POSTGRES_URL``
points at a server, e.g. ``postgresql+psycopg://user:password@127.0.0.1:5432/postgres``: the
suite creates its own database there for the run (so the user needs CREATEDB), empties it
before every test and drops it at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from wharf.core.models import Artifact, Index, IndexKind, Origin
from wharf.db import SqlMetadataStore, open_metadata_store
from wharf.db.engine import create_engine_for
from wharf.db.migrate import upgrade
from wharf.db.tables import change_serial, metadata

POSTGRES_ENV = "WHARF_TEST_POSTGRES_URL"
T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of its own for this test run, on the server ``WHARF_TEST_POSTGRES_URL``
    names; dropped afterwards."""
    admin_url = os.environ.get(POSTGRES_ENV)
    if not admin_url:
        pytest.skip(f"PostgreSQL backend not tested: set {POSTGRES_ENV} to a server URL")
    pytest.importorskip("psycopg", reason="PostgreSQL backend needs the psycopg package")
    name = f"wharf_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine_for(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = sa.make_url(admin_url).set(database=name)
        yield url.render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


def _empty_postgres(url: str) -> None:
    engine = create_engine_for(url)
    try:
        upgrade(engine)
        names = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
        with engine.begin() as connection:
            connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            connection.execute(sa.insert(change_serial).values(id=1, value=0))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database on each backend (a new SQLite file, or the run's
    PostgreSQL database emptied)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'wharf.db'}"
    url: str = request.getfixturevalue("postgres_url")
    _empty_postgres(url)
    return url


@pytest.fixture
async def metadata_store(database_url: str) -> AsyncIterator[SqlMetadataStore]:
    store = await open_metadata_store(database_url)
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
async def hosted(metadata_store: SqlMetadataStore) -> str:
    """A hosted Python index named ``local``."""
    await metadata_store.create_index(Index("local", "python", IndexKind.HOSTED))
    return "local"


MakeArtifact = Callable[..., Artifact]


def build_artifact(
    filename: str,
    *,
    index: str = "local",
    project: str = "demo",
    version: str = "1.0",
    sha256: str | None = None,
    minutes: int = 0,
    **fields: Any,
) -> Artifact:
    """An artifact with sensible defaults; ``sha256`` defaults to one derived from the name,
    ``minutes`` offsets ``uploaded_at`` from a fixed instant."""
    digest = sha256 or uuid.uuid5(uuid.NAMESPACE_URL, filename).hex * 2
    fields.setdefault("size", 123)
    fields.setdefault("kind", "sdist")
    fields.setdefault("origin", Origin.UPLOADED)
    return Artifact(
        index=index,
        project=project,
        version=version,
        filename=filename,
        sha256=digest,
        uploaded_at=T0 + timedelta(minutes=minutes),
        **fields,
    )


@pytest.fixture
def make_artifact() -> MakeArtifact:
    return build_artifact
