"""The audit trail's buffer: ``note`` writes at once until the server starts the flusher,
then in batches (one transaction per second, or per full buffer), and everything still
buffered is written when the flusher stops; ``query`` sees buffered events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import anyio
import pytest

from wharf.core.models import AuditEvent, Principal
from wharf.services import auditing
from wharf.services.auditing import AuditService, Client


class Clock:
    def now(self) -> datetime:
        return datetime(2026, 11, 21, tzinfo=UTC)


class Store:
    def __init__(self) -> None:
        self.batches: list[list[AuditEvent]] = []

    async def add_audit_event(self, event: AuditEvent) -> None:
        self.batches.append([event])

    async def add_audit_events(self, events: Sequence[AuditEvent]) -> None:
        self.batches.append(list(events))

    async def list_audit_events(self, **query: Any) -> list[AuditEvent]:
        return [e for batch in self.batches for e in batch]


def service() -> tuple[AuditService, Store]:
    store = Store()
    return AuditService(store, Clock()), store  # type: ignore[arg-type]


async def download(audit: AuditService, n: int) -> None:
    await audit.note(audit.event("artifact.download", Principal(user="alice"),
                                 Client("10.0.0.1", "pip/25"), project="demo",
                                 version=str(n)))


async def test_without_the_flusher_every_note_is_written_at_once() -> None:
    audit, store = service()
    await download(audit, 1)
    await download(audit, 2)
    assert [len(b) for b in store.batches] == [1, 1]
    assert store.batches[0][0].address == "10.0.0.1"
    assert store.batches[0][0].user_agent == "pip/25"


async def test_with_the_flusher_notes_are_written_in_batches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(auditing, "FLUSH_SECONDS", 0.05)
    audit, store = service()
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(audit.run_flusher)
        await anyio.sleep(0)
        for n in range(3):
            await download(audit, n)
        assert store.batches == []
        assert len(await audit.query()) == 3  # a query writes what is buffered first
        await download(audit, 4)
        with anyio.fail_after(5):
            while sum(len(b) for b in store.batches) < 4:
                await anyio.sleep(0.01)
        await download(audit, 5)
        tasks.cancel_scope.cancel()
    assert [e.version for b in store.batches for e in b] == ["0", "1", "2", "4", "5"]


async def test_a_full_buffer_is_written_without_waiting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(auditing, "FLUSH_SECONDS", 3600)
    monkeypatch.setattr(auditing, "FLUSH_EVENTS", 10)
    audit, store = service()
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(audit.run_flusher)
        await anyio.sleep(0)
        for n in range(10):
            await download(audit, n)
        assert [len(b) for b in store.batches] == [10]
        tasks.cancel_scope.cancel()


async def test_repeats_within_a_batch_are_one_event_with_their_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(auditing, "FLUSH_SECONDS", 3600)
    audit, store = service()
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(audit.run_flusher)
        await anyio.sleep(0)
        for _ in range(5):
            await download(audit, 1)
        await download(audit, 2)
        await audit.note(audit.event("artifact.download", Principal(user="bob"),
                                     Client("10.0.0.1", "pip/25"), project="demo",
                                     version="1"))
        await audit.note(audit.event("policy.refused", Principal(), None, project="demo",
                                     rule="cooldown"))
        await audit.note(audit.event("policy.refused", Principal(), None, project="demo",
                                     rule="cooldown"))
        await audit.flush()
        for _ in range(2):
            await download(audit, 1)  # a new batch counts afresh
        tasks.cancel_scope.cancel()
    first, second = store.batches
    assert [(e.actor, e.version, dict(e.detail)) for e in first] == [
        ("alice", "1", {"count": 5}),
        ("alice", "2", {}),
        ("bob", "1", {}),
        (None, None, {"rule": "cooldown"}),  # events with detail are never merged
        (None, None, {"rule": "cooldown"}),
    ]
    assert [dict(e.detail) for e in second] == [{"count": 2}]


async def test_a_recurring_event_counts_repeats_like_note_without_building_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A replayed download's noter keeps the same trail as ``note`` (one row per caller,
    file and client in a batch, with its count), and builds an event only for the first
    of each: a replay of a small file is answered in tens of microseconds."""
    audit, store = service()
    audit._buffered = True  # as under the server's flusher
    built: list[str | None] = []
    original = audit.event

    def counted(*args: Any, **kwargs: Any) -> AuditEvent:
        event = original(*args, **kwargs)
        built.append(event.address)
        return event

    monkeypatch.setattr(audit, "event", counted)
    noter = audit.recurring("artifact.download", Principal(user="alice"), index="pypi",
                            project="demo", version="1.0", filename="demo-1.0.tar.gz")
    for address in ["10.0.0.1", "10.0.0.1", "10.0.0.2", "10.0.0.1"]:
        await noter(Client(address, "pip/25"))
    await audit.note(original("artifact.download", Principal(user="alice"),
                              Client("10.0.0.2", "pip/25"), index="pypi", project="demo",
                              version="1.0", filename="demo-1.0.tar.gz"))
    await noter(None)
    await audit.flush()

    assert built == ["10.0.0.1", "10.0.0.2", "local"]
    [batch] = store.batches
    assert [(e.address, e.detail) for e in batch] == [
        ("10.0.0.1", {"count": 3}), ("10.0.0.2", {"count": 2}), ("local", {})]
    assert {(e.actor, e.index, e.project, e.version, e.filename) for e in batch} == {
        ("alice", "pypi", "demo", "1.0", "demo-1.0.tar.gz")}
