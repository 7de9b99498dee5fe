"""Contract of ``MetadataStore`` for policy waivers and batched audit events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from wharf.core.errors import NotFoundError
from wharf.core.models import AuditEvent, Waiver
from wharf.db import SqlMetadataStore

AT = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def waiver(name: str, version: str | None, rules: tuple[str, ...] = ()) -> Waiver:
    return Waiver("npm", name, version, rules, "hotfix", "admin", AT, AT + timedelta(days=1))


async def test_waivers_round_trip_in_order_and_are_removed(
    metadata_store: SqlMetadataStore,
) -> None:
    first = await metadata_store.add_waiver(waiver("@corp/ui", "2.0.0", ("cooldown",)))
    second = await metadata_store.add_waiver(waiver("left-pad", None))
    assert first.id is not None
    assert second.id is not None
    assert first.id != second.id
    listed = await metadata_store.list_waivers()
    assert [(w.name, w.version, w.rules) for w in listed] == [
        ("@corp/ui", "2.0.0", ("cooldown",)), ("left-pad", None, ())]
    assert listed[0].expires_at == AT + timedelta(days=1)
    assert listed[0].created_at == AT
    removed = await metadata_store.remove_waiver(first.id)
    assert removed.name == "@corp/ui"
    assert [w.name for w in await metadata_store.list_waivers()] == ["left-pad"]
    with pytest.raises(NotFoundError):
        await metadata_store.remove_waiver(first.id)


async def test_audit_events_are_added_in_one_batch_and_found_by_actor(
    metadata_store: SqlMetadataStore,
) -> None:
    events = [
        AuditEvent(at=AT + timedelta(seconds=n), action="artifact.download",
                   actor="alice" if n % 2 else None, index="npm", project="left-pad",
                   version="1.3.0", filename="left-pad-1.3.0.tgz", address="127.0.0.1",
                   user_agent="npm/11", detail={})
        for n in range(5)
    ]
    await metadata_store.add_audit_events(events)
    await metadata_store.add_audit_events([])
    found = await metadata_store.list_audit_events(action="artifact.download",
                                                   project="left-pad", version="1.3.0")
    assert len(found) == 5
    assert found[0].at == AT + timedelta(seconds=4)  # newest first
    alice = await metadata_store.list_audit_events(actor="alice")
    assert [e.at for e in alice] == [AT + timedelta(seconds=3), AT + timedelta(seconds=1)]
