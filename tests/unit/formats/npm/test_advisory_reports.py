"""npm's audit shapes from advisories: reading the queries npm and pnpm send, and the
report fields the clients read."""

from __future__ import annotations

from typing import Any

import pytest

from wharf.core.advisories import Advisory, AffectedRange
from wharf.core.errors import InvalidRequestError
from wharf.formats.npm.advisory_reports import (
    bulk_query,
    bulk_report,
    legacy_report,
    read_tree,
    severity_of,
)


def link(id: str) -> str:
    return f"http://wharf.test/-/osv/v1/vulns/{id}"


def advisory(id: str = "GHSA-aaaa-bbbb-cccc", **fields: Any) -> Advisory:
    fields.setdefault("severity", "moderate")
    fields.setdefault("malware", False)
    fields.setdefault("summary", "Bad")
    return Advisory(id=id, format="npm", name="pkg", versions=(),
                    ranges=(AffectedRange("SEMVER", (("introduced", "0"), ("fixed", "2.0.0"))),),
                    **fields)


def test_bulk_query_shape() -> None:
    assert bulk_query({"a": ["1.0.0"], "@s/b": []}) == {"a": ["1.0.0"], "@s/b": []}
    for wrong in ([], {"a": "1.0.0"}, {"a": [1]}):
        with pytest.raises(InvalidRequestError):
            bulk_query(wrong)


def test_read_tree_walks_nested_dependencies() -> None:
    tree = read_tree({
        "name": "app", "requires": {"a": "^1"},
        "dependencies": {
            "a": {"version": "1.0.0", "dependencies": {"b": {"version": "2.0.0", "dev": True}}},
            "b": {"version": "2.0.0"},
            "c": "not a node",
            "linked": {"dependencies": {"d": {"version": "0.1.0"}}},  # no version itself
        },
    })
    assert tree.paths == {
        "a": {"1.0.0": ["a"]},
        "b": {"2.0.0": ["b", "a>b"]},
        "d": {"0.1.0": ["linked>d"]},
    }
    assert (tree.dependencies, tree.dev_dependencies) == (3, 1)
    assert tree.versions() == {"a": ["1.0.0"], "b": ["2.0.0"], "d": ["0.1.0"]}
    with pytest.raises(InvalidRequestError):
        read_tree(["not", "a", "tree"])


@pytest.mark.parametrize(
    ("record", "severity"),
    [
        (advisory(severity="low"), "low"),
        (advisory(severity=""), "high"),  # npm's own assumption for an unknown severity
        (advisory(severity="moderate", malware=True), "critical"),
    ],
)
def test_severity(record: Advisory, severity: str) -> None:
    assert severity_of(record) == severity


def test_bulk_entry_without_a_record_or_url() -> None:
    record = advisory(url="")
    assert bulk_report({"pkg": [(record, ["1.0.0"])], "none": []}, {}, link) == {
        "pkg": [{"id": record.id, "url": link(record.id), "title": "Bad",
                 "severity": "moderate", "vulnerable_versions": "<2.0.0", "cwe": [],
                 "cvss": {"score": 0.0, "vectorString": None}}],
    }


def test_legacy_report_counts_and_keys() -> None:
    tree = read_tree({"dependencies": {"pkg": {"version": "1.0.0"},
                                       "other": {"version": "1.0.0"}}})
    first = advisory("GHSA-1111-1111-1111", aliases=("CVE-1", "GHSA-2222-2222-2222"))
    second = advisory("PYSEC-1", severity="", aliases=("GHSA-3333-3333-3333",))
    report = legacy_report(
        tree, {"pkg": [(first, ["1.0.0"])], "other": [(second, ["1.0.0"])]}, {}, link
    )
    assert sorted(report["advisories"]) == ["GHSA-1111-1111-1111", "PYSEC-1"]
    assert report["metadata"]["vulnerabilities"] == {
        "info": 0, "low": 0, "moderate": 1, "high": 1, "critical": 0
    }
    entry = report["advisories"]["PYSEC-1"]
    assert entry["module_name"] == "other"
    assert entry["github_advisory_id"] == "GHSA-3333-3333-3333"
    assert entry["cves"] == []
    assert report["advisories"]["GHSA-1111-1111-1111"]["cves"] == ["CVE-1"]
    assert entry["findings"] == [{"version": "1.0.0", "paths": ["other"], "dev": False,
                                  "optional": False, "bundled": False}]
