"""The offline audit endpoints over HTTP, in-process: npm's bulk and legacy audits and the
OSV API answered from imported data, in the shapes npm, pnpm, uv and osv-scanner read; and
the npm audits still forwarded while no npm data is imported."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from osv_dumps import MODIFIED, osv_record, write_dump
from scripted import ScriptedUpstream

from wharf.bootstrap import build_app, build_services, default_indexes
from wharf.cli.common import local_admin
from wharf.config.loader import load_settings
from wharf.services.container import Services

UPSTREAM = "http://upstream.test/registry/"
JSON = {"content-type": "application/json"}
BULK = "/npm/-/npm/v1/security/advisories/bulk"
CRITICAL_VECTOR = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"

LEFT_PAD = osv_record(
    "GHSA-lp00-0000-0001", "npm", "left-pad", {"introduced": "0"}, {"fixed": "1.3.0"},
    {"introduced": "2.0.0"}, {"last_affected": "2.0.4"},
    summary="Prototype pollution in left-pad", aliases=["CVE-2026-0001"],
)
LEFT_PAD["database_specific"] = {"severity": "HIGH", "cwe_ids": ["CWE-1321"]}
LEFT_PAD["severity"] = [{"type": "CVSS_V3", "score": CRITICAL_VECTOR}]
EVIL = osv_record("MAL-2026-77", "npm", "@evil/pkg", {"introduced": "0"}, severity=None,
                  summary="")
EVIL["references"] = []
del EVIL["summary"], EVIL["details"]
REQUESTS = osv_record("PYSEC-2026-5", "PyPI", "Requests", {"introduced": "2.0"},
                      {"fixed": "2.31.0"}, severity=None)
WITHDRAWN = osv_record("GHSA-gone", "PyPI", "requests", {"introduced": "0"},
                       withdrawn="2026-01-20T00:00:00Z")


@pytest.fixture
def upstream() -> ScriptedUpstream:
    return ScriptedUpstream()


@pytest.fixture
async def services(tmp_path: Path, upstream: ScriptedUpstream) -> AsyncIterator[Services]:
    settings = load_settings(overrides={"data_dir": str(tmp_path / "data")}, environ={}).settings
    built = await build_services(settings, upstream=upstream)
    await built.indexes.ensure(default_indexes(settings, "http://127.0.0.1:9/simple/", UPSTREAM))
    yield built
    await built.close()


@pytest.fixture
async def client(tmp_path: Path, services: Services) -> AsyncIterator[httpx.AsyncClient]:
    settings = load_settings(overrides={"data_dir": str(tmp_path / "data")}, environ={}).settings
    transport = httpx.ASGITransport(app=build_app(settings, services))
    async with httpx.AsyncClient(transport=transport, base_url="http://wharf.test") as http:
        yield http


async def imported(services: Services, tmp_path: Path, *records: dict[str, Any]) -> None:
    dump = write_dump(tmp_path / "dump.zip", records or [LEFT_PAD, EVIL, REQUESTS, WITHDRAWN])
    await services.advisories.import_dump(dump, local_admin())


async def test_bulk_answers_from_local_data(
    client: httpx.AsyncClient, services: Services, upstream: ScriptedUpstream, tmp_path: Path
) -> None:
    await imported(services, tmp_path)
    query = {"left-pad": ["1.0.0", "1.3.0"], "@evil/pkg": ["0.0.1"], "lodash": ["4.0.0"]}
    response = await client.post(
        BULK, content=gzip.compress(json.dumps(query).encode()),
        headers={"content-type": "application/json", "content-encoding": "gzip"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["x-wharf-advisories"] == "local"
    assert response.json() == {
        "@evil/pkg": [{
            "id": "MAL-2026-77", "url": "http://wharf.test/-/osv/v1/vulns/MAL-2026-77",
            "title": "Malware in @evil/pkg", "severity": "critical",
            "vulnerable_versions": "*", "cwe": [],
            "cvss": {"score": 0.0, "vectorString": None},
        }],
        "left-pad": [{
            "id": "GHSA-lp00-0000-0001", "url": "http://advisories.invalid/GHSA-lp00-0000-0001",
            "title": "Prototype pollution in left-pad", "severity": "high",
            "vulnerable_versions": "<1.3.0 || >=2.0.0 <=2.0.4", "cwe": ["CWE-1321"],
            "cvss": {"score": 9.8, "vectorString": CRITICAL_VECTOR},
        }],
    }
    assert upstream.posted == []  # nothing went upstream


async def test_bulk_leaves_out_versions_nothing_affects(
    client: httpx.AsyncClient, services: Services, tmp_path: Path
) -> None:
    await imported(services, tmp_path)
    response = await client.post(BULK, json={"left-pad": ["1.3.0", "2.0.5"]})
    assert response.json() == {}


@pytest.mark.parametrize("endpoint", ["audits/quick", "audits"])
async def test_legacy_report_for_pnpm_and_npm(
    client: httpx.AsyncClient, services: Services, tmp_path: Path, endpoint: str
) -> None:
    await imported(services, tmp_path)
    # pnpm's tree: importers under the root, packages under them
    tree = {
        "name": None, "version": None, "install": [], "remove": [], "metadata": {},
        "requires": {".": "1.0.0"},
        "dependencies": {".": {
            "version": "1.0.0", "dev": False, "requires": {"left-pad": "1.0.0"},
            "dependencies": {
                "left-pad": {"version": "1.0.0", "dev": False},
                "wrapper": {"version": "3.0.0", "dev": True, "requires": {"left-pad": "2.0.1"},
                            "dependencies": {"left-pad": {"version": "2.0.1", "dev": True}}},
            },
        }},
    }
    response = await client.post(f"/npm/-/npm/v1/security/{endpoint}", json=tree)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["actions"] == []
    assert report["muted"] == []
    assert report["metadata"] == {
        "vulnerabilities": {"info": 0, "low": 0, "moderate": 0, "high": 1, "critical": 0},
        "dependencies": 2, "devDependencies": 2, "optionalDependencies": 0,
        "totalDependencies": 4,
    }
    advisory = report["advisories"]["GHSA-lp00-0000-0001"]
    assert advisory["module_name"] == "left-pad"
    assert advisory["severity"] == "high"
    assert advisory["title"] == "Prototype pollution in left-pad"
    assert advisory["vulnerable_versions"] == "<1.3.0 || >=2.0.0 <=2.0.4"
    assert advisory["patched_versions"] == ">=1.3.0 <2.0.0 || >2.0.4"
    assert advisory["recommendation"] == "Upgrade to version 1.3.0 or later"
    assert advisory["cves"] == ["CVE-2026-0001"]
    assert advisory["github_advisory_id"] == "GHSA-lp00-0000-0001"
    assert advisory["cwe"] == "CWE-1321"
    assert advisory["url"] == "http://advisories.invalid/GHSA-lp00-0000-0001"
    assert advisory["updated"] == MODIFIED
    assert [(f["version"], f["paths"]) for f in advisory["findings"]] == [
        ("1.0.0", [".>left-pad"]), ("2.0.1", [".>wrapper>left-pad"])
    ]


async def test_npm_legacy_tree_paths(
    client: httpx.AsyncClient, services: Services, tmp_path: Path
) -> None:
    await imported(services, tmp_path)
    tree = {"name": "app", "version": "1.0.0", "requires": {"@evil/pkg": "^1.0.0"},
            "dependencies": {"@evil/pkg": {"version": "1.0.0"}}}
    report = (await client.post("/npm/-/npm/v1/security/audits/quick", json=tree)).json()
    advisory = report["advisories"]["MAL-2026-77"]
    assert advisory["severity"] == "critical"
    assert advisory["patched_versions"] == "<0.0.0"
    assert advisory["recommendation"] == "None"
    assert advisory["findings"][0]["paths"] == ["@evil/pkg"]
    assert report["metadata"]["vulnerabilities"]["critical"] == 1


async def test_without_npm_data_the_audits_still_go_upstream(
    client: httpx.AsyncClient, services: Services, upstream: ScriptedUpstream, tmp_path: Path
) -> None:
    await imported(services, tmp_path, REQUESTS)  # Python data only
    upstream.pages[UPSTREAM + "-/npm/v1/security/advisories/bulk"] = (200, JSON, b"{}")
    response = await client.post(BULK, json={"left-pad": ["1.0.0"]})
    assert response.status_code == 200
    assert "x-wharf-advisories" not in response.headers
    assert [url for url, _, _ in upstream.posted] == [
        UPSTREAM + "-/npm/v1/security/advisories/bulk"
    ]


async def test_a_malformed_bulk_query_is_refused(
    client: httpx.AsyncClient, services: Services, tmp_path: Path
) -> None:
    await imported(services, tmp_path)
    response = await client.post(BULK, json={"left-pad": "1.0.0"})
    assert response.status_code == 400
    assert "{name: [versions]}" in response.json()["error"]


# the OSV API


async def test_osv_query(client: httpx.AsyncClient, services: Services, tmp_path: Path) -> None:
    await imported(services, tmp_path)
    query = {"package": {"name": "requests", "ecosystem": "PyPI"}, "version": "2.30.0"}
    response = await client.post("/-/osv/v1/query", json=query)
    assert response.status_code == 200, response.text
    assert response.json() == {"vulns": [REQUESTS]}  # the record as imported

    fixed = {"package": {"name": "requests", "ecosystem": "PyPI"}, "version": "2.31.0"}
    assert (await client.post("/-/osv/v1/query", json=fixed)).json() == {"vulns": []}
    # no version: every record of the package (the withdrawn one left out)
    every = {"package": {"name": "Requests", "ecosystem": "PyPI"}}
    assert (await client.post("/-/osv/v1/query", json=every)).json() == {"vulns": [REQUESTS]}
    commit = {"commit": "6879efc2c1596d11a6a6ad296f80063b558d5e0f"}
    assert (await client.post("/-/osv/v1/query", json=commit)).json() == {"vulns": []}
    go = {"package": {"name": "example.invalid/mod", "ecosystem": "Go"}, "version": "1.0.0"}
    assert (await client.post("/-/osv/v1/query", json=go)).json() == {"vulns": []}


async def test_osv_querybatch_then_vulns(
    client: httpx.AsyncClient, services: Services, tmp_path: Path
) -> None:
    await imported(services, tmp_path)
    queries = {"queries": [
        {"package": {"name": "requests", "ecosystem": "PyPI"}, "version": "2.30.0"},
        {"package": {"name": "requests", "ecosystem": "PyPI"}, "version": "2.31.0"},
        {"package": {"name": "@evil/pkg", "ecosystem": "npm"}, "version": "1.0.0"},
        {"package": {"name": "left-pad", "ecosystem": "npm"}, "version": "2.0.4",
         "page_token": "ignored"},
    ]}
    response = await client.post("/-/osv/v1/querybatch", json=queries)
    assert response.status_code == 200, response.text
    assert response.json() == {"results": [
        {"vulns": [{"id": "PYSEC-2026-5", "modified": MODIFIED}]},
        {"vulns": []},
        {"vulns": [{"id": "MAL-2026-77", "modified": MODIFIED}]},
        {"vulns": [{"id": "GHSA-lp00-0000-0001", "modified": MODIFIED}]},
    ]}
    record = await client.get("/-/osv/v1/vulns/MAL-2026-77")
    assert record.status_code == 200
    assert record.json() == EVIL
    missing = await client.get("/-/osv/v1/vulns/GHSA-none")
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"
    assert "wharf vuln import" in missing.json()["hint"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/-/osv/v1/query", {"version": "1.0"}),
        ("/-/osv/v1/query", {"package": {"ecosystem": "PyPI"}}),
        ("/-/osv/v1/query", {"package": {"name": "x", "ecosystem": "PyPI"}, "version": 1}),
        ("/-/osv/v1/querybatch", {"queries": "x"}),
        ("/-/osv/v1/querybatch", {"queries": ["x"]}),
        ("/-/osv/v1/querybatch", ["not", "an", "object"]),
    ],
)
async def test_osv_malformed_queries(client: httpx.AsyncClient, path: str, body: Any) -> None:
    response = await client.post(path, json=body)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_osv_follows_anonymous_read(tmp_path: Path) -> None:
    settings = load_settings(
        overrides={"data_dir": str(tmp_path), "auth": {"anonymous_read": False}}, environ={}
    ).settings
    built = await build_services(settings)
    try:
        await built.accounts.add_user("alice", "alice's password")
        transport = httpx.ASGITransport(app=build_app(settings, built))
        async with httpx.AsyncClient(transport=transport, base_url="http://wharf.test") as http:
            query = {"package": {"name": "x", "ecosystem": "PyPI"}, "version": "1"}
            refused = await http.post("/-/osv/v1/query", json=query)
            assert refused.status_code == 401
            assert "signed-in users" in refused.json()["message"]
            alice = "Basic " + base64.b64encode(b"alice:alice's password").decode()
            allowed = await http.post("/-/osv/v1/query", json=query,
                                      headers={"authorization": alice})
            assert allowed.status_code == 200
    finally:
        await built.close()
