"""OSV records read from dumps and mapped to advisories: ecosystems, names, ranges, severity,
malware, and files that are not records."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from wharf.core.advisories import AffectedRange
from wharf.core.errors import InvalidRequestError
from wharf.formats.npm.format import NpmFormat
from wharf.formats.python.format import PythonFormat
from wharf.services.osv_records import (
    advisories_of,
    read_records,
    summary_of,
    url_of,
)

FORMATS = {"PyPI": PythonFormat(), "npm": NpmFormat()}
CRITICAL_VECTOR = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"


def affected(ecosystem: str, name: str, *events: dict[str, str], **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"package": {"ecosystem": ecosystem, "name": name}, **extra}
    if events:
        entry["ranges"] = [{"type": "ECOSYSTEM", "events": list(events)}]
    return entry


def test_a_github_advisory() -> None:
    record = {
        "id": "GHSA-j8r2-6x86-q33q", "modified": "2024-05-20T10:00:00.123456789Z",
        "summary": "Unintended leak of Proxy-Authorization header",
        "aliases": ["CVE-2023-32681", "PYSEC-2023-74"],
        "database_specific": {"severity": "MODERATE", "cwe_ids": ["CWE-200"]},
        "severity": [{"type": "CVSS_V3", "score": CRITICAL_VECTOR}],
        "references": [{"type": "WEB", "url": "http://example.invalid/web"},
                       {"type": "ADVISORY", "url": "http://example.invalid/advisory"}],
        "affected": [affected("PyPI", "Requests", {"introduced": "2.3.0"},
                              {"fixed": "2.31.0"}, versions=["2.30.0"])],
    }
    [found], others = advisories_of(record, FORMATS)
    assert others == set()
    assert found.id == "GHSA-j8r2-6x86-q33q"
    assert (found.format, found.name) == ("python", "requests")  # PEP 503 name
    assert found.severity == "moderate"  # the words win over the vector
    assert not found.malware
    assert found.ranges == (
        AffectedRange("ECOSYSTEM", (("introduced", "2.3.0"), ("fixed", "2.31.0"))),
    )
    assert found.versions == ("2.30.0",)
    assert found.aliases == ("CVE-2023-32681", "PYSEC-2023-74")
    assert found.url == "http://example.invalid/advisory"
    assert found.modified == datetime(2024, 5, 20, 10, 0, 0, 123456, tzinfo=UTC)
    assert found.withdrawn is None


def test_severity_from_the_worst_vector_when_no_words() -> None:
    record = {
        "id": "PYSEC-1",
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N"}],
        "affected": [affected("PyPI", "demo", {"introduced": "0"},
                              severity=[{"type": "CVSS_V3", "score": CRITICAL_VECTOR}])],
    }
    [found], _ = advisories_of(record, FORMATS)
    assert found.severity == "critical"
    unknown = {"id": "PYSEC-2", "affected": [affected("PyPI", "demo", {"introduced": "0"})]}
    assert advisories_of(unknown, FORMATS)[0][0].severity == ""


def test_one_advisory_per_package_entries_merged() -> None:
    record = {
        "id": "GHSA-multi",
        "affected": [
            affected("npm", "left", {"introduced": "0"}, {"fixed": "1.2.0"}),
            affected("npm", "left", {"introduced": "2.0.0"}, {"fixed": "2.0.5"},
                     versions=["2.0.1"]),
            affected("npm", "@scope/Right", {"introduced": "0"}),
            affected("Go", "example.invalid/module", {"introduced": "0"}),
            affected("Debian:12", "left", {"introduced": "0"}),
            {"package": {"ecosystem": "npm"}},  # no name
        ],
    }
    found, others = advisories_of(record, FORMATS)
    by_name = {advisory.name: advisory for advisory in found}
    assert sorted(by_name) == ["@scope/Right", "left"]  # npm names keep their case
    assert len(by_name["left"].ranges) == 2
    assert by_name["left"].versions == ("2.0.1",)
    assert others == {"Go", "Debian"}


def test_git_ranges_are_left_out() -> None:
    record = {"id": "OSV-1", "affected": [{
        "package": {"ecosystem": "PyPI", "name": "demo"},
        "ranges": [{"type": "GIT", "repo": "x", "events": [{"introduced": "abc"}]},
                   {"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.0.0"}]}],
    }]}
    [found], _ = advisories_of(record, FORMATS)
    assert found.ranges == (AffectedRange("SEMVER", (("introduced", "0"), ("fixed", "1.0.0"))),)


@pytest.mark.parametrize(
    ("record", "malware"),
    [
        ({"id": "MAL-2024-1"}, True),
        ({"id": "GHSA-x", "database_specific": {"malicious-packages-origins": []}}, True),
        ({"id": "GHSA-y", "database_specific": {"severity": "HIGH"}}, False),
    ],
)
def test_malware(record: dict[str, Any], malware: bool) -> None:
    record = {**record, "affected": [affected("npm", "evil")]}
    [found], _ = advisories_of(record, FORMATS)
    assert found.malware is malware
    assert found.ranges == ()


def test_withdrawn_and_summary_from_details() -> None:
    record = {"id": "PYSEC-9", "withdrawn": "2024-01-02T03:04:05Z",
              "details": "First line explains.\nMore text.",
              "affected": [affected("PyPI", "demo", {"introduced": "0"})]}
    [found], _ = advisories_of(record, FORMATS)
    assert found.withdrawn == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert found.summary == "First line explains."
    assert summary_of({"details": "x" * 500}).endswith("…")
    assert summary_of({}) == ""
    assert url_of({"references": [{"type": "PACKAGE", "url": "u"}]}) == ""


def write_json(path: Path, document: object) -> None:
    path.write_text(json.dumps(document))


def test_read_records_from_zip_directory_and_file(tmp_path: Path) -> None:
    dump = tmp_path / "all.zip"
    with zipfile.ZipFile(dump, "w") as archive:
        archive.writestr("GHSA-1.json", json.dumps({"id": "GHSA-1"}))
        archive.writestr("broken.json", "{not json")
        archive.writestr("README.txt", "ignored")
        archive.writestr("nested/", "")
        archive.writestr("nested/no-id.json", json.dumps({"summary": "x"}))
    read = list(read_records(dump))
    assert [(r.source, r.record is not None) for r in read] == [
        ("GHSA-1.json", True), ("broken.json", False), ("nested/no-id.json", False)
    ]
    assert read[1].error.startswith("not JSON")
    assert read[2].error == "not an OSV record (no id)"

    folder = tmp_path / "records"
    (folder / "sub").mkdir(parents=True)
    write_json(folder / "b.json", {"id": "B"})
    write_json(folder / "sub" / "a.json", [{"id": "A1"}, {"id": "A2"}])
    assert [r.record["id"] for r in read_records(folder) if r.record] == ["B", "A1", "A2"]

    single = tmp_path / "one.json"
    write_json(single, {"id": "ONE"})
    assert [r.record for r in read_records(single)] == [{"id": "ONE"}]

    with pytest.raises(InvalidRequestError, match="neither a file nor a directory"):
        list(read_records(tmp_path / "missing.zip"))
