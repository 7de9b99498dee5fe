"""npm's security endpoints over HTTP, in-process, with a scripted upstream: audits, keys and
attestations forwarded through the group, provenance kept and served for hosted versions,
and what an index without an upstream answers."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from scripted import ScriptedUpstream

from wharf.bootstrap import build_app, build_services, default_indexes
from wharf.config.loader import load_settings
from wharf.core.models import AUTHENTICATED, Acl, Index, IndexKind
from wharf.formats.npm.format import NpmFormat
from wharf.formats.npm.signing import load_or_create, verify
from wharf.services.container import Services

UPSTREAM = "http://upstream.test/registry/"
SLSA = "https://slsa.dev/provenance/v1"
JSON = {"content-type": "application/json"}
ALICE = {"authorization": "Basic " + base64.b64encode(b"alice:alice's password").decode()}
ADVISORY = {"left-pad": [{"id": 1179, "url": "http://127.0.0.1:9/advisories/1179",
                          "title": "Remote code execution", "severity": "high",
                          "vulnerable_versions": "<2.0.0", "cwe": ["CWE-94"],
                          "cvss": {"score": 8.1}}]}


def tarball(name: str, version: str) -> bytes:
    manifest = json.dumps({"name": name, "version": version}).encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo("package/package.json")
        info.size = len(manifest)
        archive.addfile(info, io.BytesIO(manifest))
    return gzip.compress(buffer.getvalue(), mtime=0)


def sri(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def bundle(name: str, version: str, about: bytes) -> dict[str, Any]:
    """A sigstore bundle as npm publish --provenance attaches it (unsigned in this test)."""
    subject = "pkg:npm/" + name.replace("@", "%40", 1) + "@" + version
    statement = {"_type": "https://in-toto.io/Statement/v1", "predicateType": SLSA,
                 "subject": [{"name": subject,
                              "digest": {"sha512": hashlib.sha512(about).hexdigest()}}],
                 "predicate": {}}
    return {
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {"tlogEntries": [{"integratedTime": "1700000000"}]},
        "dsseEnvelope": {"payload": base64.b64encode(json.dumps(statement).encode()).decode(),
                         "payloadType": "application/vnd.in-toto+json",
                         "signatures": [{"sig": "MEUCIQ==", "keyid": ""}]},
    }


def publish_body(name: str, version: str, data: bytes, provenance: Any = None) -> bytes:
    attachments: dict[str, Any] = {
        f"{name}-{version}.tgz": {"content_type": "application/octet-stream",
                                  "data": base64.b64encode(data).decode(), "length": len(data)}
    }
    if provenance is not None:
        text = json.dumps(provenance)
        attachments[f"{name}-{version}.sigstore"] = {
            "content_type": provenance["mediaType"], "data": text, "length": len(text)
        }
    manifest = {"name": name, "version": version, "_id": f"{name}@{version}",
                "dist": {"integrity": sri(data),
                         "shasum": hashlib.sha1(data).hexdigest()}}
    return json.dumps({"_id": name, "name": name, "dist-tags": {"latest": version},
                       "versions": {version: manifest}, "access": "public",
                       "_attachments": attachments}).encode()


def upstream_packument() -> bytes:
    data = tarball("left-pad", "1.0.0")
    dist = {"tarball": UPSTREAM + "left-pad/-/left-pad-1.0.0.tgz", "integrity": sri(data),
            "signatures": [{"keyid": "SHA256:upstream-key", "sig": "MEUCIQDupstream"}],
            "attestations": {"url": UPSTREAM + "-/npm/v1/attestations/left-pad@1.0.0",
                             "provenance": {"predicateType": SLSA}}}
    return json.dumps({"name": "left-pad", "dist-tags": {"latest": "1.0.0"},
                       "versions": {"1.0.0": {"name": "left-pad", "version": "1.0.0",
                                              "dist": dist}},
                       "time": {"created": "2024-01-01T00:00:00.000Z",
                                "modified": "2024-01-01T00:00:00.000Z",
                                "1.0.0": "2024-01-01T00:00:00.000Z"}}).encode()


@pytest.fixture
def upstream() -> ScriptedUpstream:
    return ScriptedUpstream()


@pytest.fixture
async def services(tmp_path: Path, upstream: ScriptedUpstream) -> AsyncIterator[Services]:
    settings = load_settings(overrides={"data_dir": str(tmp_path)}, environ={}).settings
    built = await build_services(settings, upstream=upstream)
    await built.indexes.ensure(default_indexes(settings, "http://127.0.0.1:9/simple/", UPSTREAM))
    await built.indexes.create(Index("solo", "npm", IndexKind.HOSTED))
    await built.accounts.add_user("alice", "alice's password", admin=True)
    yield built
    await built.close()


@pytest.fixture
async def client(tmp_path: Path, services: Services) -> AsyncIterator[httpx.AsyncClient]:
    settings = load_settings(overrides={"data_dir": str(tmp_path)}, environ={}).settings
    transport = httpx.ASGITransport(app=build_app(settings, services))
    async with httpx.AsyncClient(transport=transport, base_url="http://wharf.test") as http:
        yield http


async def test_bulk_advisories_go_through_the_group_as_npm_sent_them(
    client: httpx.AsyncClient, upstream: ScriptedUpstream
) -> None:
    upstream.pages[UPSTREAM + "-/npm/v1/security/advisories/bulk"] = (
        200, JSON, json.dumps(ADVISORY).encode()
    )
    query = gzip.compress(json.dumps({"left-pad": ["1.0.0"]}).encode())
    headers = {**ALICE, "content-type": "application/json", "content-encoding": "gzip",
               "npm-command": "audit"}
    response = await client.post("/npm/-/npm/v1/security/advisories/bulk", content=query,
                                 headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == ADVISORY
    [(url, sent, body)] = upstream.posted
    assert url == UPSTREAM + "-/npm/v1/security/advisories/bulk"
    assert body == query  # still gzip'd: decoded by the upstream, not by Wharf
    assert sent["content-encoding"] == "gzip"
    assert sent["content-type"] == "application/json"
    assert sent["npm-command"] == "audit"
    assert "authorization" not in {name.lower() for name in sent}


@pytest.mark.parametrize("endpoint", ["audits/quick", "audits"])
async def test_legacy_audits_are_forwarded(
    client: httpx.AsyncClient, upstream: ScriptedUpstream, endpoint: str
) -> None:
    report = {"advisories": {"1179": {"module_name": "left-pad", "severity": "high"}},
              "metadata": {"vulnerabilities": {"high": 1}}}
    upstream.pages[UPSTREAM + f"-/npm/v1/security/{endpoint}"] = (
        200, JSON, json.dumps(report).encode()
    )
    tree = {"name": "app", "version": "1.0.0", "requires": {"left-pad": "^1.0.0"},
            "dependencies": {"left-pad": {"version": "1.0.0"}}}
    response = await client.post(f"/npm-remote/-/npm/v1/security/{endpoint}", json=tree)
    assert response.status_code == 200
    assert response.json() == report
    assert json.loads(upstream.posted[0][2]) == tree


UPSTREAM_KEYS = {"keys": [{"expires": None, "keyid": "SHA256:upstream-key",
                           "keytype": "ecdsa-sha2-nistp256", "scheme": "ecdsa-sha2-nistp256",
                           "key": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE"}]}


def wharf_key(services: Services) -> dict[str, Any]:
    npm = services.formats["npm"]
    assert isinstance(npm, NpmFormat)
    assert npm.signer is not None
    return npm.signer.public_key_entry()


async def test_signing_keys_are_wharfs_then_the_upstreams(
    client: httpx.AsyncClient, services: Services, upstream: ScriptedUpstream, tmp_path: Path
) -> None:
    upstream.pages[UPSTREAM + "-/npm/v1/keys"] = (200, JSON, json.dumps(UPSTREAM_KEYS).encode())
    response = await client.get("/npm/-/npm/v1/keys")
    assert response.status_code == 200
    assert response.json() == {"keys": [wharf_key(services), *UPSTREAM_KEYS["keys"]]}
    assert "x-wharf-partial" not in response.headers
    # The key Wharf lists is the one in the data directory.
    key_file = tmp_path / "keys" / "npm-signing.pem"
    assert load_or_create(key_file).keyid == wharf_key(services)["keyid"]


async def test_an_upstream_without_keys_adds_none(
    client: httpx.AsyncClient, services: Services, upstream: ScriptedUpstream
) -> None:
    response = await client.get("/npm-remote/-/npm/v1/keys")  # the scripted upstream: 404
    assert response.status_code == 200
    assert response.json() == {"keys": [wharf_key(services)]}
    assert "x-wharf-partial" not in response.headers


async def test_hosted_and_proxied_versions_verify_with_the_keys_served(
    client: httpx.AsyncClient, services: Services, upstream: ScriptedUpstream
) -> None:
    """A mixed tree as ``npm audit signatures`` sees it through the group."""
    upstream.pages[UPSTREAM + "-/npm/v1/keys"] = (200, JSON, json.dumps(UPSTREAM_KEYS).encode())
    upstream.pages[UPSTREAM + "left-pad"] = (200, JSON, upstream_packument())
    data = tarball("@acme/demo", "1.0.0")
    body = json.loads(publish_body("@acme/demo", "1.0.0", data))
    claimed = [{"keyid": "SHA256:client", "sig": "MEUCIQDclient"}]
    body["versions"]["1.0.0"]["dist"]["signatures"] = claimed
    published = await client.put("/npm/@acme%2fdemo", headers={**ALICE, **JSON},
                                 content=json.dumps(body).encode())
    assert published.status_code == 201, published.text

    keys = (await client.get("/npm/-/npm/v1/keys")).json()["keys"]
    for accept in ("application/json", "application/vnd.npm.install-v1+json"):
        document = (await client.get("/npm/@acme%2fdemo", headers={"accept": accept})).json()
        dist = document["versions"]["1.0.0"]["dist"]
        assert dist["integrity"] == sri(data)
        [signature] = dist["signatures"]  # Wharf's; the client's claim was not kept
        assert signature["keyid"] == wharf_key(services)["keyid"]
        assert verify(keys, "@acme/demo", "1.0.0", dist["integrity"], signature)
        proxied = (await client.get("/npm/left-pad", headers={"accept": accept})).json()
        upstream_dist = json.loads(upstream_packument())["versions"]["1.0.0"]["dist"]
        assert proxied["versions"]["1.0.0"]["dist"]["signatures"] == upstream_dist["signatures"]
        assert {s["keyid"] for s in upstream_dist["signatures"]} <= {k["keyid"] for k in keys}
    for path in ("/npm/@acme%2fdemo/1.0.0", "/npm-local/@acme%2fdemo/latest"):
        single = await client.get(path)
        assert single.status_code == 200, single.text
        dist = single.json()["dist"]
        assert verify(keys, "@acme/demo", "1.0.0", dist["integrity"], dist["signatures"][0])
        again = await client.get(path, headers={"if-none-match": single.headers["etag"]})
        assert again.status_code == 304  # rendered once, served from the page cache
    missing = await client.get("/npm/@acme%2fdemo/9.9.9")
    assert missing.status_code == 404
    assert "no version or tag '9.9.9'" in missing.json()["error"]


async def test_a_proxied_version_keeps_upstream_signatures_and_attestations(
    client: httpx.AsyncClient, upstream: ScriptedUpstream
) -> None:
    upstream.pages[UPSTREAM + "left-pad"] = (200, JSON, upstream_packument())
    attested = {"attestations": [{"predicateType": SLSA, "bundle": {"mediaType": "m"}}]}
    upstream.pages[UPSTREAM + "-/npm/v1/attestations/left-pad@1.0.0"] = (
        200, JSON, json.dumps(attested).encode()
    )
    expected = json.loads(upstream_packument())["versions"]["1.0.0"]["dist"]
    for accept in ("application/json", "application/vnd.npm.install-v1+json"):
        document = (await client.get("/npm/left-pad", headers={"accept": accept})).json()
        dist = document["versions"]["1.0.0"]["dist"]
        assert dist["signatures"] == expected["signatures"]
        assert dist["attestations"] == expected["attestations"]
        assert dist["tarball"] == "http://wharf.test/npm/left-pad/-/left-pad-1.0.0.tgz"
    # pacote asks the configured registry for the path of dist.attestations.url
    response = await client.get("/npm/-/npm/v1/attestations/left-pad@1.0.0")
    assert response.status_code == 200
    assert response.json() == attested
    missing = await client.get("/npm/-/npm/v1/attestations/left-pad@9.9.9")
    assert missing.status_code == 404
    assert "no version 9.9.9" in missing.json()["error"]


async def test_scoped_attestations_reach_upstream_escaped(
    client: httpx.AsyncClient, upstream: ScriptedUpstream
) -> None:
    document = json.loads(upstream_packument())
    document["name"] = "@up/pad"
    document["versions"]["1.0.0"]["name"] = "@up/pad"
    upstream.pages[UPSTREAM + "@up%2fpad"] = (200, JSON, json.dumps(document).encode())
    upstream.pages[UPSTREAM + "-/npm/v1/attestations/@up%2fpad@1.0.0"] = (
        200, JSON, b'{"attestations": []}'
    )
    for path in ("/npm/-/npm/v1/attestations/@up%2fpad@1.0.0",
                 "/npm/-/npm/v1/attestations/@up/pad@1.0.0"):
        response = await client.get(path)
        assert response.status_code == 200, response.text
        assert response.json() == {"attestations": []}


async def test_a_hosted_version_published_with_provenance_serves_it(
    client: httpx.AsyncClient, services: Services, upstream: ScriptedUpstream
) -> None:
    data = tarball("@acme/demo", "1.0.0")
    provenance = bundle("@acme/demo", "1.0.0", data)
    published = await client.put("/npm/@acme%2fdemo", headers={**ALICE, **JSON},
                                 content=publish_body("@acme/demo", "1.0.0", data, provenance))
    assert published.status_code == 201, published.text

    artifact = await services.store.get_artifact("npm-local", "@acme/demo-1.0.0.tgz")
    assert artifact is not None
    assert artifact.attrs["provenance"] == SLSA
    assert artifact.metadata_sha256 is not None
    assert json.loads(await services.blobs.read_bytes(artifact.metadata_sha256)) == provenance

    document = (await client.get("/npm/@acme%2fdemo")).json()
    attestations = document["versions"]["1.0.0"]["dist"]["attestations"]
    url = "http://wharf.test/npm/-/npm/v1/attestations/@acme%2fdemo@1.0.0"
    assert attestations == {"url": url, "provenance": {"predicateType": SLSA}}
    expected = {"attestations": [{"predicateType": SLSA, "bundle": provenance}]}
    assert (await client.get(url)).json() == expected
    # pacote: the configured registry (http://wharf.test/npm) + the URL's path
    rerooted = await client.get("/npm" + urlsplit(url).path)
    assert rerooted.status_code == 200, rerooted.text
    assert rerooted.json() == expected
    assert not any("attestations" in url for url, _ in upstream.requests)


async def test_provenance_about_other_bytes_refuses_the_publish(
    client: httpx.AsyncClient, services: Services
) -> None:
    data = tarball("demo", "1.0.0")
    tampered = bundle("demo", "1.0.0", tarball("demo", "1.0.1"))
    response = await client.put("/npm-local/demo", headers={**ALICE, **JSON},
                                content=publish_body("demo", "1.0.0", data, tampered))
    assert response.status_code == 400
    assert "sha512" in response.json()["error"]
    assert "does not match the tarball" in response.json()["error"]
    assert await services.store.get_project("npm-local", "demo") is None


async def test_an_index_without_upstream_answers_nothing_known(
    client: httpx.AsyncClient, services: Services, upstream: ScriptedUpstream
) -> None:
    bulk = await client.post("/solo/-/npm/v1/security/advisories/bulk",
                             content=gzip.compress(b'{"demo": ["1.0.0"]}'),
                             headers={"content-encoding": "gzip", **JSON})
    assert (bulk.status_code, bulk.json()) == (200, {})
    quick = await client.post("/solo/-/npm/v1/security/audits/quick", json={"name": "app"})
    assert quick.json()["advisories"] == {}
    assert quick.json()["metadata"]["vulnerabilities"]["critical"] == 0
    keys = await client.get("/solo/-/npm/v1/keys")
    assert keys.json() == {"keys": [wharf_key(services)]}  # signs what is published here
    unknown = await client.get("/solo/-/npm/v1/attestations/demo@1.0.0")
    assert unknown.status_code == 404
    assert "error" in unknown.json()

    data = tarball("plain", "1.0.0")
    published = await client.put("/solo/plain", headers={**ALICE, **JSON},
                                 content=publish_body("plain", "1.0.0", data))
    assert published.status_code == 201, published.text
    document = (await client.get("/solo/plain")).json()
    assert "attestations" not in document["versions"]["1.0.0"]["dist"]
    [signature] = document["versions"]["1.0.0"]["dist"]["signatures"]
    assert verify(keys.json()["keys"], "plain", "1.0.0", sri(data), signature)
    none = await client.get("/solo/-/npm/v1/attestations/plain@1.0.0")
    assert none.status_code == 404
    assert "without provenance" in none.json()["error"]
    assert upstream.requests == []


async def test_upstream_down_is_a_clear_server_error(
    client: httpx.AsyncClient, services: Services, upstream: ScriptedUpstream
) -> None:
    upstream.down = True
    bulk = await client.post("/npm/-/npm/v1/security/advisories/bulk", json={"x": ["1.0.0"]})
    assert bulk.status_code == 502
    assert "cannot reach" in bulk.json()["error"]
    assert "upstream registry" in bulk.json()["error"]  # the hint says what to check
    # Keys: Wharf's own still verify what is hosted here; the header says what is missing.
    unreachable = await client.get("/npm/-/npm/v1/keys")
    assert unreachable.status_code == 200
    assert unreachable.json() == {"keys": [wharf_key(services)]}
    assert "cannot reach" in unreachable.headers["x-wharf-partial"]
    upstream.down = False
    for status, reply in ((503, b"maintenance"), (200, b"<html>not json</html>"),
                          (200, b'{"keys": "none"}')):
        upstream.pages[UPSTREAM + "-/npm/v1/keys"] = (status, {}, reply)
        keys = await client.get("/npm/-/npm/v1/keys")
        assert keys.status_code == 200
        assert keys.json() == {"keys": [wharf_key(services)]}
        assert f"answered {status}" in keys.headers["x-wharf-partial"]


async def test_reading_rights_apply_to_forwarded_queries(
    client: httpx.AsyncClient, services: Services, upstream: ScriptedUpstream
) -> None:
    group = await services.indexes.get("npm")
    await services.indexes.update(replace(group, acl=Acl(read=(AUTHENTICATED,))))
    refused = await client.post("/npm/-/npm/v1/security/advisories/bulk", json={"x": ["1"]})
    assert refused.status_code == 401
    assert upstream.posted == []
    visibility = await client.get("/npm/-/package/@acme%2fdemo/visibility", headers=ALICE)
    assert visibility.json() == {"public": False}
    assert (await client.get("/npm-local/-/package/demo/visibility")).json() == {"public": True}


async def test_audit_queries_never_name_hosted_packages_upstream(
    client: httpx.AsyncClient, upstream: ScriptedUpstream
) -> None:
    """A private package's name stays inside: bulk and legacy queries reach upstream
    without it (gzip'd as they came), and the public names still get their advisories."""
    published = await client.put(
        "/npm/@acme%2fsecret", headers={**ALICE, "content-type": "application/json"},
        content=publish_body("@acme/secret", "1.0.0", tarball("@acme/secret", "1.0.0")),
    )
    assert published.status_code in (200, 201), published.text
    upstream.pages[UPSTREAM + "-/npm/v1/security/advisories/bulk"] = (
        200, JSON, json.dumps(ADVISORY).encode()
    )
    query = {"left-pad": ["1.0.0"], "@acme/secret": ["1.0.0"]}
    headers = {**ALICE, "content-type": "application/json", "content-encoding": "gzip"}
    response = await client.post("/npm/-/npm/v1/security/advisories/bulk", headers=headers,
                                 content=gzip.compress(json.dumps(query).encode()))
    assert response.status_code == 200, response.text
    assert response.json() == ADVISORY
    [(_, sent, body)] = upstream.posted
    assert sent["content-encoding"] == "gzip"
    assert json.loads(gzip.decompress(body)) == {"left-pad": ["1.0.0"]}

    upstream.pages[UPSTREAM + "-/npm/v1/security/audits/quick"] = (200, JSON, b"{}")
    tree = {
        "name": "app", "version": "1.0.0",
        "requires": {"left-pad": "^1.0.0", "@acme/secret": "^1.0.0"},
        "dependencies": {
            "left-pad": {"version": "1.0.0"},
            "@acme/secret": {"version": "1.0.0", "requires": {"left-pad": "^1.0.0"}},
        },
    }
    response = await client.post("/npm/-/npm/v1/security/audits/quick", headers=ALICE,
                                 content=json.dumps(tree).encode())
    assert response.status_code == 200, response.text
    sent_tree = json.loads(upstream.posted[-1][2])
    assert "@acme/secret" not in json.dumps(sent_tree)
    assert sent_tree["dependencies"] == {"left-pad": {"version": "1.0.0"}}


async def test_a_malformed_audit_query_is_refused_with_a_reason(client: httpx.AsyncClient) -> None:
    headers = {**ALICE, "content-encoding": "gzip"}
    response = await client.post("/npm/-/npm/v1/security/advisories/bulk", headers=headers,
                                 content=b"not gzip at all")
    assert response.status_code == 400
    assert "not valid gzip" in response.json()["error"]
