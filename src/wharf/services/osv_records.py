"""OSV records read from dumps and turned into ``Advisory`` rows, one per affected package.

OSV publishes one zip per ecosystem (``<ecosystem>/all.zip``: one JSON record per file);
``wharf vuln import`` also takes a directory of JSON files or a single record. Records are
read one at a time, so a dump of hundreds of thousands of files never sits in memory.

Only what the policy and the audit endpoints need is extracted; the record itself is kept
as it came (the OSV API serves it again). Severity comes from the record's words when it
has them (GitHub's ``database_specific.severity``), else from the worst CVSS v3 vector it
carries.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from wharf.core.advisories import Advisory, AffectedRange
from wharf.core.errors import InvalidRequestError
from wharf.formats.base import Format
from wharf.policy.advisories import EVALUATED_KINDS, severity_rank
from wharf.policy.severity import severity_of_vector

MALWARE_PREFIX = "MAL-"
MALWARE_ORIGINS = "malicious-packages-origins"
"""``database_specific`` key of records from the OpenSSF malicious-packages project."""
_WORDS = {"low": "low", "moderate": "moderate", "medium": "moderate", "high": "high",
          "critical": "critical"}
_SUMMARY_CHARACTERS = 200


@dataclass(frozen=True, slots=True)
class RecordFile:
    """One file of a dump: its record, or what was wrong with it."""

    source: str
    record: Mapping[str, Any] | None
    error: str = ""


def read_records(path: Path) -> Iterator[RecordFile]:
    """Every record of a zip dump, of a directory of ``.json`` files (recursively), or of
    one ``.json`` file (a record, or a list of records), one at a time."""
    if path.is_dir():
        for file in sorted(path.rglob("*.json")):
            yield from _parse(str(file.relative_to(path)), file.read_bytes())
    elif path.is_file() and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if not info.is_dir() and info.filename.endswith(".json"):
                    yield from _parse(info.filename, archive.read(info))
    elif path.is_file():
        yield from _parse(path.name, path.read_bytes())
    else:
        raise InvalidRequestError(
            f"{path} is neither a file nor a directory.",
            hint="Give an OSV dump (<ecosystem>/all.zip), a directory of OSV JSON files, "
            "or one OSV JSON record.",
        )


def _parse(source: str, data: bytes) -> Iterator[RecordFile]:
    try:
        document = json.loads(data)
    except ValueError as exc:
        yield RecordFile(source, None, f"not JSON ({exc})")
        return
    for record in document if isinstance(document, list) else [document]:
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            yield RecordFile(source, None, "not an OSV record (no id)")
        else:
            yield RecordFile(source, record)


def advisories_of(
    record: Mapping[str, Any], formats_by_ecosystem: Mapping[str, Format]
) -> tuple[list[Advisory], set[str]]:
    """The advisories of a record, one per package of a known ecosystem (entries for the
    same package merged), and the other ecosystems it names."""
    merged: dict[tuple[str, str], tuple[list[AffectedRange], list[str]]] = {}
    others: set[str] = set()
    worst = _record_severity(record)
    for entry in _dicts(record.get("affected")):
        package = entry.get("package")
        if not isinstance(package, dict):
            continue
        ecosystem = str(package.get("ecosystem", "")).split(":", 1)[0]
        format_ = formats_by_ecosystem.get(ecosystem)
        name = package.get("name")
        if format_ is None:
            if ecosystem:
                others.add(ecosystem)
            continue
        if not isinstance(name, str) or not name:
            continue
        ranges, versions = merged.setdefault((format_.name, format_.normalize(name)), ([], []))
        ranges.extend(_ranges(entry))
        versions.extend(str(v) for v in entry.get("versions") or () if isinstance(v, str))
        worst = _worse(worst, _severity_of(entry.get("severity")))
    template = Advisory(
        id=str(record["id"]),
        format="",
        name="",
        summary=summary_of(record),
        severity=worst,
        malware=is_malware(record),
        ranges=(),
        versions=(),
        aliases=tuple(str(a) for a in record.get("aliases") or () if isinstance(a, str)),
        url=url_of(record),
        withdrawn=_when(record.get("withdrawn")),
        modified=_when(record.get("modified")),
    )
    found = [
        replace(template, format=format_name, name=name, ranges=tuple(ranges),
                versions=tuple(dict.fromkeys(versions)))
        for (format_name, name), (ranges, versions) in merged.items()
    ]
    return found, others


def is_malware(record: Mapping[str, Any]) -> bool:
    specific = record.get("database_specific")
    return str(record.get("id", "")).startswith(MALWARE_PREFIX) or (
        isinstance(specific, dict) and MALWARE_ORIGINS in specific
    )


def summary_of(record: Mapping[str, Any]) -> str:
    """The record's summary, else the first line of its details (shortened)."""
    summary = record.get("summary")
    if isinstance(summary, str) and summary.strip():
        return summary.strip()
    details = record.get("details")
    if not isinstance(details, str) or not details.strip():
        return ""
    first = details.strip().splitlines()[0].strip()
    if len(first) > _SUMMARY_CHARACTERS:
        first = first[: _SUMMARY_CHARACTERS - 1].rstrip() + "…"
    return first


def url_of(record: Mapping[str, Any]) -> str:
    """The first ADVISORY reference, else the first WEB one, else nothing."""
    references = _dicts(record.get("references"))
    for wanted in ("ADVISORY", "WEB"):
        for reference in references:
            if reference.get("type") == wanted and isinstance(reference.get("url"), str):
                return str(reference["url"])
    return ""


def _record_severity(record: Mapping[str, Any]) -> str:
    specific = record.get("database_specific")
    if isinstance(specific, dict):
        words = _WORDS.get(str(specific.get("severity", "")).strip().lower())
        if words:
            return words
    return _severity_of(record.get("severity"))


def _severity_of(entries: object) -> str:
    """The worst severity the CVSS vectors of a ``severity`` list imply."""
    worst = ""
    for entry in _dicts(entries):
        score = entry.get("score")
        if isinstance(score, str):
            worst = _worse(worst, severity_of_vector(score))
    return worst


def _worse(first: str, second: str) -> str:
    return first if severity_rank(first) >= severity_rank(second) else second


def _ranges(entry: Mapping[str, Any]) -> Iterator[AffectedRange]:
    for each in _dicts(entry.get("ranges")):
        kind = str(each.get("type", ""))
        if kind not in EVALUATED_KINDS:
            continue
        events = tuple(
            (str(event), str(value))
            for step in _dicts(each.get("events"))
            for event, value in step.items()
            if isinstance(value, str)
        )
        if events:
            yield AffectedRange(kind, events)


def _when(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _dicts(value: object) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []

