"""OSV records and dumps for the tests: the shape OSV publishes (one JSON file per record in
``<ecosystem>/all.zip``)."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

MODIFIED = "2026-01-15T08:00:00Z"


def osv_record(
    id: str,
    ecosystem: str,
    name: str,
    *events: dict[str, str],
    severity: str | None = "HIGH",
    summary: str = "",
    versions: Iterable[str] = (),
    **extra: Any,
) -> dict[str, Any]:
    """One OSV record affecting one package; ``events`` make one ECOSYSTEM range."""
    affected: dict[str, Any] = {"package": {"ecosystem": ecosystem, "name": name}}
    if events:
        affected["ranges"] = [{"type": "ECOSYSTEM", "events": list(events)}]
    if versions:
        affected["versions"] = list(versions)
    record: dict[str, Any] = {
        "schema_version": "1.6.0",
        "id": id,
        "modified": MODIFIED,
        "published": MODIFIED,
        "summary": summary or f"Problem {id} in {name}",
        "details": f"Details of {id}.",
        "affected": [affected],
        "references": [{"type": "ADVISORY", "url": f"http://advisories.invalid/{id}"}],
        **extra,
    }
    if severity is not None:
        record["database_specific"] = {"severity": severity, "cwe_ids": ["CWE-79"]}
    return record


def write_dump(path: Path, records: Iterable[dict[str, Any]], *, junk: bool = False) -> Path:
    """A zip of one JSON file per record; ``junk`` adds a file that is not JSON."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for record in records:
            archive.writestr(f"{record['id']}.json", json.dumps(record))
        if junk:
            archive.writestr("broken.json", "{")
    return path
