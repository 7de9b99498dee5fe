"""Several worker processes on one database; migrations; the SQLite engine settings."""

from __future__ import annotations

import dataclasses
import multiprocessing
import sqlite3
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import anyio
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from wharf.core.errors import ConfigurationError, FileExistsConflict
from wharf.core.models import Artifact, Index, IndexKind
from wharf.db import SqlMetadataStore, open_metadata_store
from wharf.db.engine import WRITE, create_engine_for
from wharf.db.migrate import current_revision, head_revision, upgrade
from wharf.db.tables import metadata

MakeArtifact = Callable[..., Artifact]  # the ``make_artifact`` fixture
T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


# Run in child processes (spawned, so they import this module afresh).


def _report(queue: Any, worker: int, work: Callable[[], Any]) -> None:
    try:
        queue.put((worker, "ok", work()))
    except BaseException:
        queue.put((worker, "error", traceback.format_exc()))
        raise


def _add_artifacts(url: str, artifacts: Sequence[Artifact], barrier: Any) -> list[str]:
    async def run() -> list[str]:
        store = await open_metadata_store(url)
        try:
            barrier.wait()
            outcomes = []
            for artifact in artifacts:
                try:
                    added = await store.add_artifact(
                        artifact, display_name="Demo", release_metadata={}
                    )
                except FileExistsConflict:
                    outcomes.append("conflict")
                else:
                    outcomes.append("created" if added.created else "existing")
            return outcomes
        finally:
            await store.close()

    return anyio.run(run)


def _add_worker(
    url: str, artifacts: Sequence[Artifact], worker: int, barrier: Any, queue: Any
) -> None:
    _report(queue, worker, lambda: _add_artifacts(url, artifacts, barrier))


def _upgrade_worker(url: str, worker: int, barrier: Any, queue: Any) -> None:
    def work() -> str | None:
        engine = create_engine_for(url)
        try:
            barrier.wait()
            upgrade(engine)
            return current_revision(engine)
        finally:
            engine.dispose()

    _report(queue, worker, work)


def _in_processes(target: Callable[..., None], jobs: Sequence[tuple[Any, ...]]) -> list[Any]:
    """Run ``target(*job, worker, barrier, queue)`` in one spawned process per job; the
    workers meet at the barrier so their work overlaps. Returns results in job order."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(jobs), timeout=120)
    queue = context.Queue()
    processes = [
        context.Process(target=target, args=(*job, worker, barrier, queue))
        for worker, job in enumerate(jobs)
    ]
    for process in processes:
        process.start()
    try:
        reports = sorted(queue.get(timeout=180) for _ in processes)
    finally:
        for process in processes:
            process.join(timeout=60)
        queue.close()
        queue.join_thread()
    errors = [detail for _, status, detail in reports if status != "ok"]
    assert errors == []
    assert [process.exitcode for process in processes] == [0] * len(jobs)
    return [result for _, _, result in reports]


def _fresh(database_url: str) -> None:
    """Leave the database without any schema (PostgreSQL; a SQLite test file is new)."""
    if database_url.startswith("sqlite"):
        return
    engine = create_engine_for(database_url)
    try:
        with engine.begin() as connection:
            metadata.drop_all(connection)
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    finally:
        engine.dispose()


async def _store_with_index(url: str) -> SqlMetadataStore:
    store = await open_metadata_store(url)
    await store.create_index(Index("local", "python", IndexKind.HOSTED))
    return store


# processes


async def test_processes_adding_different_files_all_succeed(
    database_url: str, make_artifact: MakeArtifact
) -> None:
    store = await _store_with_index(database_url)
    per_process = 15
    jobs = [
        (
            database_url,
            [
                make_artifact(f"demo-{n % 3}.0-{worker}-{n}.whl", version=f"{n % 3}.0", minutes=n)
                for n in range(per_process)
            ],
        )
        for worker in range(3)
    ]
    try:
        results = await anyio.to_thread.run_sync(_in_processes, _add_worker, jobs)
        assert results == [["created"] * per_process] * 3
        stored = await store.list_artifacts("local", "demo")
        assert len(stored) == 3 * per_process
        assert [r.version for r in await store.list_releases("local", "demo")] == [
            "0.0",
            "1.0",
            "2.0",
        ]
        assert await store.change_serial() >= 3 * per_process
    finally:
        await store.close()


@pytest.mark.parametrize("same_bytes", [True, False], ids=["same-bytes", "other-bytes"])
async def test_processes_racing_on_one_filename_create_it_once(
    database_url: str, make_artifact: MakeArtifact, same_bytes: bool
) -> None:
    store = await _store_with_index(database_url)
    jobs = [
        (
            database_url,
            [
                make_artifact(
                    f"demo-{n}.0.tar.gz",
                    version=f"{n}.0",
                    sha256=(f"{n}" if same_bytes else f"{n}{worker}") * 32,
                )
                for n in range(5)
            ],
        )
        for worker in range(4)
    ]
    try:
        results = await anyio.to_thread.run_sync(_in_processes, _add_worker, jobs)
        loser = "existing" if same_bytes else "conflict"
        for n in range(5):
            outcomes = sorted(result[n] for result in results)
            assert outcomes == sorted(["created"] + [loser] * 3)
        assert len(await store.list_artifacts("local", "demo")) == 5
    finally:
        await store.close()


# migrations


async def test_upgrade_again_is_harmless(database_url: str, make_artifact: MakeArtifact) -> None:
    store = await _store_with_index(database_url)
    artifact = make_artifact("demo-1.0.tar.gz")
    try:
        await store.add_artifact(artifact, display_name="Demo", release_metadata={})
        await anyio.to_thread.run_sync(upgrade, store.engine)
        await anyio.to_thread.run_sync(upgrade, store.engine)
        assert current_revision(store.engine) == head_revision()
        assert await store.list_all_artifacts() == [artifact]
    finally:
        await store.close()
    reopened = await open_metadata_store(database_url)
    try:
        assert await reopened.list_all_artifacts() == [artifact]
    finally:
        await reopened.close()


async def test_processes_upgrading_at_once(database_url: str) -> None:
    _fresh(database_url)
    jobs = [(database_url,)] * 4
    revisions = await anyio.to_thread.run_sync(_in_processes, _upgrade_worker, jobs)
    assert revisions == [head_revision()] * 4
    store = await _store_with_index(database_url)
    try:
        assert await store.change_serial() == 1
    finally:
        await store.close()


async def test_migrations_build_exactly_the_declared_schema(
    metadata_store: SqlMetadataStore,
) -> None:
    with metadata_store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
        tables = set(sa.inspect(connection).get_table_names())
    assert tables == {*metadata.tables, "alembic_version"}


# the SQLite engine


def test_sqlite_connections_are_configured(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'wharf.db'}")
    try:
        with engine.connect() as connection:
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA journal_mode").scalar() == "wal"
            assert pragma("PRAGMA foreign_keys").scalar() == 1
            assert pragma("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert pragma("PRAGMA busy_timeout").scalar() == 30000
    finally:
        engine.dispose()


def test_sqlite_write_transactions_lock_at_begin(tmp_path: Path) -> None:
    """A write transaction holds the write lock before its first statement, so it never has
    to upgrade a read lock (which deadlocks against another process doing the same)."""
    path = tmp_path / "wharf.db"
    engine = create_engine_for(f"sqlite:///{path}")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with engine.connect() as reader, reader.begin():
            other.execute("BEGIN IMMEDIATE")  # a read transaction leaves writers alone
            other.execute("ROLLBACK")
        with engine.connect() as writer:
            writer.execution_options(**{WRITE: True})
            with writer.begin(), pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
    finally:
        other.close()
        engine.dispose()


async def test_sqlite_datetimes_are_stored_as_utc(
    tmp_path: Path, make_artifact: MakeArtifact
) -> None:
    """SQLite keeps no offset: values must be UTC on disk so ``since`` filters compare right."""
    store = await _store_with_index(f"sqlite:///{tmp_path / 'wharf.db'}")
    try:
        local = T0.astimezone(timezone(timedelta(hours=5)))
        artifact = dataclasses.replace(make_artifact("demo-1.0.tar.gz"), uploaded_at=local)
        await store.add_artifact(artifact, display_name="Demo", release_metadata={})
        with store.engine.connect() as connection:
            raw = connection.exec_driver_sql("SELECT uploaded_at FROM artifacts").scalar()
        assert str(raw).startswith("2025-01-01 12:00:00")
    finally:
        await store.close()


def test_unsupported_database_urls_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="mysql") as caught:
        create_engine_for("mysql://wharf:secret@db/wharf")
    assert "secret" not in caught.value.message
    with pytest.raises(ConfigurationError, match="in-memory"):
        create_engine_for("sqlite://")
    with pytest.raises(ConfigurationError, match="parsed"):
        create_engine_for("not a url")


def test_plain_postgresql_urls_use_psycopg() -> None:
    pytest.importorskip("psycopg", reason="needs the psycopg package")
    engine = create_engine_for("postgresql://wharf@127.0.0.1/wharf")
    try:
        assert engine.dialect.driver == "psycopg"
    finally:
        engine.dispose()


async def test_sqlite_writers_queued_in_one_process_leave_connections_for_readers(
    tmp_path: Path,
) -> None:
    """Writers wait for their turn on a lock, holding no pooled connection: with the
    pool's every connection taken by writers parked in SQLite's busy handler, a read
    would wait for the pool instead of answering at once."""
    import threading  # noqa: PLC0415

    store = await open_metadata_store(f"sqlite:///{tmp_path / 'w.db'}")
    release = threading.Event()
    finished: list[str] = []

    def held(connection: sa.Connection) -> None:
        connection.execute(sa.text("SELECT 1"))
        release.wait(10)
        finished.append("held")

    def quick(connection: sa.Connection) -> None:
        connection.execute(sa.text("SELECT 1"))

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(store._write, held)
            await anyio.sleep(0.1)
            for _ in range(10):  # more than the pool holds (4 + 4)
                group.start_soon(store._write, quick)
            await anyio.sleep(0.2)
            assert await store.list_indexes() == []
            assert finished == []  # answered while the first writer still held its turn
            release.set()
    finally:
        release.set()
        await store.close()
