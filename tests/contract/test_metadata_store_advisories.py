"""Contract of ``MetadataStore`` for vulnerability and malware records (OSV)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from wharf.core.advisories import Advisory, AffectedRange
from wharf.db import SqlMetadataStore

MODIFIED = datetime(2026, 2, 1, 12, 30, tzinfo=UTC)
WITHDRAWN = datetime(2026, 3, 1, tzinfo=UTC)


def advisory(
    id: str, name: str, *, format: str = "python", summary: str = "Bad", **fields: Any
) -> Advisory:
    fields.setdefault("severity", "high")
    fields.setdefault("malware", False)
    fields.setdefault("ranges", (AffectedRange("ECOSYSTEM", (("introduced", "0"),)),))
    fields.setdefault("versions", ())
    return Advisory(id=id, format=format, name=name, summary=summary, **fields)


def record(id: str, **extra: Any) -> dict[str, Any]:
    return {"id": id, "modified": "2026-02-01T12:30:00Z", **extra}


async def test_round_trip_keeps_every_field(metadata_store: SqlMetadataStore) -> None:
    full = advisory(
        "GHSA-aaaa", "requests", summary="Leaks headers", severity="moderate",
        ranges=(
            AffectedRange("ECOSYSTEM", (("introduced", "0"), ("fixed", "2.31.0"))),
            AffectedRange("SEMVER", (("introduced", "3.0.0"), ("last_affected", "3.1.0"))),
        ),
        versions=("2.30.0", "2.29.0"), aliases=("CVE-2023-1", "PYSEC-2023-7"),
        url="http://advisories.invalid/GHSA-aaaa", withdrawn=WITHDRAWN, modified=MODIFIED,
    )
    malware = advisory("MAL-2026-1", "reqeusts", malware=True, ranges=(), severity="")
    await metadata_store.replace_advisories(
        "python",
        [(full, record("GHSA-aaaa", summary="Leaks headers")), (malware, record("MAL-2026-1"))],
        ecosystem_complete=False,
    )

    found = await metadata_store.advisories_for("python", ["requests", "reqeusts", "nothing"])
    assert found == {"requests": [full], "reqeusts": [malware]}
    assert await metadata_store.advisory_record("GHSA-aaaa") == record(
        "GHSA-aaaa", summary="Leaks headers"
    )
    assert await metadata_store.advisory_record("GHSA-none") is None
    assert await metadata_store.count_advisories("python") == 2
    assert await metadata_store.count_advisories("npm") == 0


async def test_a_record_affecting_several_packages_is_one_row_each(
    metadata_store: SqlMetadataStore,
) -> None:
    shared = record("GHSA-both")
    await metadata_store.replace_advisories(
        "npm",
        [(advisory("GHSA-both", "left", format="npm"), shared),
         (advisory("GHSA-both", "right", format="npm"), shared)],
        ecosystem_complete=False,
    )
    found = await metadata_store.advisories_for("npm", ["left", "right"])
    assert [a.id for a in found["left"]] == ["GHSA-both"]
    assert [a.id for a in found["right"]] == ["GHSA-both"]
    assert await metadata_store.advisory_records(["GHSA-both", "GHSA-x"]) == {"GHSA-both": shared}
    assert await metadata_store.count_advisories("npm") == 2


async def test_replacing_updates_in_place_and_keeps_the_rest(
    metadata_store: SqlMetadataStore,
) -> None:
    await metadata_store.replace_advisories(
        "python",
        [(advisory("GHSA-1", "alpha"), record("GHSA-1")),
         (advisory("GHSA-2", "beta"), record("GHSA-2"))],
        ecosystem_complete=False,
    )
    changed = advisory("GHSA-1", "alpha", summary="Worse than thought", severity="critical")
    await metadata_store.replace_advisories(
        "python", [(changed, record("GHSA-1", summary="worse"))], ecosystem_complete=False
    )
    found = await metadata_store.advisories_for("python", ["alpha", "beta"])
    assert found["alpha"] == [changed]
    assert [a.id for a in found["beta"]] == ["GHSA-2"]
    assert await metadata_store.advisory_record("GHSA-1") == record("GHSA-1", summary="worse")


async def test_a_whole_ecosystem_import_drops_what_it_no_longer_holds(
    metadata_store: SqlMetadataStore,
) -> None:
    await metadata_store.replace_advisories(
        "python",
        [(advisory("GHSA-1", "alpha"), record("GHSA-1")),
         (advisory("GHSA-2", "beta"), record("GHSA-2"))],
        ecosystem_complete=False,
    )
    await metadata_store.replace_advisories(
        "npm", [(advisory("GHSA-3", "gamma", format="npm"), record("GHSA-3"))],
        ecosystem_complete=False,
    )
    await metadata_store.replace_advisories(
        "python", [(advisory("GHSA-2", "beta"), record("GHSA-2"))], ecosystem_complete=True
    )
    assert await metadata_store.advisories_for("python", ["alpha"]) == {}
    assert list(await metadata_store.advisories_for("python", ["beta"])) == ["beta"]
    assert list(await metadata_store.advisories_for("npm", ["gamma"])) == ["gamma"]  # untouched


async def test_prune_keeps_only_the_named_rows(metadata_store: SqlMetadataStore) -> None:
    await metadata_store.replace_advisories(
        "npm",
        [(advisory(f"GHSA-{n}", f"pkg-{n}", format="npm"), record(f"GHSA-{n}"))
         for n in range(5)],
        ecosystem_complete=False,
    )
    gone = await metadata_store.prune_advisories("npm", {("GHSA-1", "pkg-1"), ("GHSA-3", "x")})
    assert gone == 4
    assert await metadata_store.count_advisories("npm") == 1


async def test_large_batches_and_many_names(metadata_store: SqlMetadataStore) -> None:
    """More rows and names than one statement carries."""
    batch = [
        (advisory(f"MAL-{n}", f"evil-{n}", format="npm", malware=True), record(f"MAL-{n}"))
        for n in range(1203)
    ]
    await metadata_store.replace_advisories("npm", batch, ecosystem_complete=False)
    await metadata_store.replace_advisories("npm", batch[:700], ecosystem_complete=False)
    assert await metadata_store.count_advisories("npm") == 1203
    names = [f"evil-{n}" for n in range(0, 1203, 1)]
    found = await metadata_store.advisories_for("npm", names)
    assert len(found) == 1203
    assert len(await metadata_store.advisory_records([f"MAL-{n}" for n in range(1203)])) == 1203
    await metadata_store.replace_advisories("npm", batch[:600], ecosystem_complete=True)
    assert await metadata_store.count_advisories("npm") == 600


async def test_records_of_another_format_are_refused(metadata_store: SqlMetadataStore) -> None:
    with pytest.raises(ValueError, match="npm record"):
        await metadata_store.replace_advisories(
            "python", [(advisory("GHSA-1", "x", format="npm"), record("GHSA-1"))],
            ecosystem_complete=False,
        )
    assert await metadata_store.count_advisories("python") == 0
