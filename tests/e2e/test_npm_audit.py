"""``npm audit`` through Wharf with the real npm client, and the data ``npm audit
signatures`` verifies (signing keys and registry signatures): upstream's served intact,
Wharf's own on the packages published to it.

A tiny registry on loopback (started by this module) plays the upstream: it serves one
package built with ``npm pack``, signs it with a key of its own (``dist.signatures``,
``/-/npm/v1/keys``) and knows one high-severity advisory for it. Wharf W proxies it; a
project installs the package through W's group; the audits then go through W. A second
project also depends on a private package published to W.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import json
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from . import npm_clients
from .npm_clients import NpmUser, installed, write_package, write_project
from .servers import ADMIN, DeadEndpoint, StartServer, WharfServer

pytestmark = pytest.mark.e2e

NAME = "wharf-e2e-vulnerable"
VERSION = "1.0.0"
ADVISORY_ID = 424242
PRIVATE = "@wharf-e2e/signed-private"


@dataclass
class TinyRegistry:
    """What the tiny upstream serves, and what it was asked."""

    tarball: bytes
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    asked: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""

    @property
    def integrity(self) -> str:
        return "sha512-" + base64.b64encode(hashlib.sha512(self.tarball).digest()).decode()

    @property
    def public_key(self) -> str:
        der = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der).decode()

    @property
    def keyid(self) -> str:
        return "SHA256:" + base64.b64encode(
            hashlib.sha256(base64.b64decode(self.public_key)).digest()
        ).decode().rstrip("=")

    @functools.cached_property
    def packument(self) -> dict[str, Any]:
        """Signed once: ECDSA signatures differ each time they are made."""
        # The registry signs "<name>@<version>:<integrity>" (what npm verifies).
        message = f"{NAME}@{VERSION}:{self.integrity}".encode()
        signature = self.key.sign(message, ec.ECDSA(hashes.SHA256()))
        dist = {
            "tarball": f"{self.url}/{NAME}/-/{NAME}-{VERSION}.tgz",
            "integrity": self.integrity,
            "shasum": hashlib.sha1(self.tarball).hexdigest(),
            "signatures": [{"keyid": self.keyid, "sig": base64.b64encode(signature).decode()}],
        }
        when = "2024-01-01T00:00:00.000Z"
        return {
            "name": NAME,
            "dist-tags": {"latest": VERSION},
            "versions": {VERSION: {"name": NAME, "version": VERSION, "dist": dist}},
            "time": {"created": when, "modified": when, VERSION: when},
        }

    def keys(self) -> dict[str, object]:
        return {"keys": [{"expires": None, "keyid": self.keyid,
                          "keytype": "ecdsa-sha2-nistp256", "scheme": "ecdsa-sha2-nistp256",
                          "key": self.public_key}]}

    def advisories(self, query: dict[str, list[str]]) -> dict[str, object]:
        if VERSION not in query.get(NAME, []):
            return {}
        return {NAME: [{"id": ADVISORY_ID, "url": f"{self.url}/advisories/{ADVISORY_ID}",
                        "title": "Prototype pollution in wharf-e2e-vulnerable",
                        "severity": "high", "vulnerable_versions": "<2.0.0",
                        "cwe": ["CWE-1321"], "cvss": {"score": 7.5, "vectorString": None}}]}


def serve(registry: TinyRegistry) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return None

        def _record(self, body: bytes = b"") -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            registry.asked.append((self.command, self.path, headers, body))

        def _send(self, status: int, document: object = None, raw: bytes | None = None,
                  media: str = "application/json") -> None:
            data = raw if raw is not None else json.dumps(document).encode()
            self.send_response(status)
            self.send_header("content-type", media)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._record()
            if self.path == f"/{NAME}":
                self._send(200, registry.packument)
            elif self.path == f"/{NAME}/-/{NAME}-{VERSION}.tgz":
                self._send(200, raw=registry.tarball, media="application/octet-stream")
            elif self.path == "/-/npm/v1/keys":
                self._send(200, registry.keys())
            else:
                self._send(404, {"error": "not found"})

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            self._record(body)
            if self.path != "/-/npm/v1/security/advisories/bulk":
                self._send(404, {"error": "not found"})
                return
            if self.headers.get("content-encoding") == "gzip":
                body = gzip.decompress(body)
            self._send(200, registry.advisories(json.loads(body)))

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    registry.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@dataclass(frozen=True)
class Setup:
    registry: TinyRegistry
    wharf: WharfServer
    user: NpmUser
    project: Path


@pytest.fixture(scope="module")
def setup(
    start_server: StartServer, dead_upstream: DeadEndpoint,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Setup]:
    tmp = tmp_path_factory.mktemp("npm-audit")
    packer = npm_clients.new_user(tmp / "packer", "http://127.0.0.1:9/")
    source = write_package(tmp / "src", NAME, VERSION)
    packed = packer.run("pack", "--pack-destination", str(tmp), cwd=source)
    assert packed.ok, str(packed)
    registry = TinyRegistry((tmp / f"{NAME}-{VERSION}.tgz").read_bytes())
    tiny = serve(registry)
    try:
        wharf = start_server("npm-audit", upstream=dead_upstream.simple_url,
                             npm_upstream=registry.url + "/")
        wharf.add_user(*ADMIN, admin=True)
        user = npm_clients.new_user(tmp / "home", f"{wharf.url}/npm/")
        login = user.login(*ADMIN)
        assert login.ok, str(login)
        project = write_project(tmp / "app", {NAME: VERSION})
        install = user.run("install", cwd=project)
        assert install.ok, str(install)
        assert installed(project, NAME) is not None
        yield Setup(registry, wharf, user, project)
    finally:
        tiny.shutdown()
        tiny.server_close()


def test_npm_audit_reports_the_upstream_advisory_through_wharf(setup: Setup) -> None:
    setup.registry.asked.clear()
    result = setup.user.run("audit", "--json", "--audit", cwd=setup.project)
    assert not result.ok, "npm audit must fail when a high-severity advisory applies"
    report = json.loads(result.output[result.output.index("{"):])
    vulnerability = report["vulnerabilities"][NAME]
    assert vulnerability["severity"] == "high"
    assert [v["source"] for v in vulnerability["via"]] == [ADVISORY_ID]
    assert report["metadata"]["vulnerabilities"]["high"] == 1

    [(_method, path, headers, body)] = [a for a in setup.registry.asked if a[0] == "POST"]
    assert path == "/-/npm/v1/security/advisories/bulk"
    assert headers.get("content-encoding") == "gzip"  # passed on as npm sent it
    assert json.loads(gzip.decompress(body)) == {NAME: [VERSION]}
    assert "authorization" not in headers  # npm sent its Wharf token; it stays in Wharf
    assert setup.user.token() is not None


def test_signatures_served_by_wharf_verify_with_the_keys_served_by_wharf(setup: Setup) -> None:
    """What ``npm audit signatures`` checks, checked here: the real command first fetches the
    Sigstore TUF root from a public CDN, which a test on loopback cannot reach."""
    registry = f"{setup.wharf.url}/npm"
    keys = httpx.get(f"{registry}/-/npm/v1/keys").json()["keys"]
    assert keys[1:] == setup.registry.keys()["keys"]  # after Wharf's own key
    full = httpx.get(f"{registry}/{NAME}", headers={"accept": "application/json"}).json()
    corgi = httpx.get(
        f"{registry}/{NAME}", headers={"accept": "application/vnd.npm.install-v1+json"}
    ).json()
    upstream = setup.registry.packument["versions"][VERSION]["dist"]  # type: ignore[index]
    for document in (full, corgi):
        dist = document["versions"][VERSION]["dist"]
        assert dist["signatures"] == upstream["signatures"]
        assert dist["integrity"] == setup.registry.integrity
        [signature] = dist["signatures"]
        [key] = [k for k in keys if k["keyid"] == signature["keyid"]]
        public = serialization.load_der_public_key(base64.b64decode(key["key"]))
        assert isinstance(public, ec.EllipticCurvePublicKey)
        # Raises InvalidSignature unless the bytes npm verifies are intact.
        public.verify(base64.b64decode(signature["sig"]),
                      f"{NAME}@{VERSION}:{dist['integrity']}".encode(),
                      ec.ECDSA(hashes.SHA256()))


def test_a_tree_of_private_and_public_packages_has_every_signature_verified(
    setup: Setup, tmp_path: Path
) -> None:
    """The mixed tree ``npm audit signatures`` used to fail on ("missing" signatures for
    the private package, since the registry lists keys): every installed version must now
    carry a registry signature that verifies with a key Wharf serves."""
    published = setup.user.run("publish", cwd=write_package(tmp_path / "src", PRIVATE, "1.0.0"))
    assert published.ok, str(published)
    project = write_project(tmp_path / "mixed", {NAME: VERSION, PRIVATE: "1.0.0"})
    install = setup.user.run("install", cwd=project)
    assert install.ok, str(install)

    registry = f"{setup.wharf.url}/npm"
    keys = httpx.get(f"{registry}/-/npm/v1/keys").json()["keys"]
    assert [k["keyid"] for k in keys][1:] == [setup.registry.keyid]
    lock = json.loads((project / "package-lock.json").read_text())
    installed_versions = {
        location.rpartition("node_modules/")[2]: entry
        for location, entry in lock["packages"].items() if location
    }
    assert set(installed_versions) == {NAME, PRIVATE}
    signers = {}
    for name, entry in installed_versions.items():
        assert entry["resolved"].startswith(registry + "/")
        # npm asks for the full packument when verifying (pacote: verifySignatures).
        document = httpx.get(f"{registry}/{name.replace('/', '%2f')}",
                             headers={"accept": "application/json"}).json()
        manifest = document["versions"][entry["version"]]
        assert manifest["dist"]["integrity"] == entry["integrity"]  # what was installed
        signers[name] = npm_verifies(keys, manifest)
    assert signers == {NAME: setup.registry.keyid, PRIVATE: keys[0]["keyid"]}

    # The real command, once: it first fetches the Sigstore trust root from the internet,
    # which a machine without internet access cannot reach. When it can run, it must pass.
    try:
        audit = setup.user.run("audit", "signatures", cwd=project, timeout=60)
    except subprocess.TimeoutExpired:
        return
    if audit.ok:
        assert "2 packages have verified registry signatures" in audit.output, str(audit)
    else:  # only the trust root's fetch may fail, never a signature
        assert "network request to" in audit.output, str(audit)
        assert "missing" not in audit.output, str(audit)
        assert "invalid" not in audit.output, str(audit)


def npm_verifies(keys: list[dict[str, Any]], manifest: dict[str, Any]) -> str:
    """pacote's check of ``dist.signatures`` (with the keys of ``/-/npm/v1/keys``); the
    keyid that signed. Fails the test where npm would report or throw."""
    dist = manifest["dist"]
    assert dist.get("signatures"), f"{manifest['_id']}: missing registry signature"
    message = f"{manifest['_id']}:{dist['integrity']}".encode()
    assert manifest["_id"] == f"{manifest['name']}@{manifest['version']}"
    for signature in dist["signatures"]:
        [key] = [k for k in keys if k["keyid"] == signature["keyid"]]  # EMISSINGSIGNATUREKEY
        assert key["expires"] is None
        pem = f"-----BEGIN PUBLIC KEY-----\n{key['key']}\n-----END PUBLIC KEY-----"
        public = serialization.load_pem_public_key(pem.encode())
        assert isinstance(public, ec.EllipticCurvePublicKey)
        public.verify(base64.b64decode(signature["sig"]), message, ec.ECDSA(hashes.SHA256()))
    return str(dist["signatures"][0]["keyid"])
