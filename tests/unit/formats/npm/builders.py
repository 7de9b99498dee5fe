"""Build real npm tarballs and publish bodies (and broken ones) in memory."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Iterable
from typing import Any

Entry = tarfile.TarInfo | tuple[str, bytes]


def package_json(name: str = "demo", version: str = "1.0.0", **fields: Any) -> bytes:
    """A package.json document."""
    return json.dumps({"name": name, "version": version, **fields}).encode()


def tar_bytes(entries: Iterable[Entry]) -> bytes:
    """An uncompressed tar of ``(name, data)`` files and ready-made TarInfo entries."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for entry in entries:
            if isinstance(entry, tarfile.TarInfo):
                archive.addfile(entry)
            else:
                name, data = entry
                info = tarfile.TarInfo(name)
                info.size = len(data)
                info.mode = 0o644
                archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def pack(entries: Iterable[Entry]) -> bytes:
    """A gzip'd tar of the given entries, names taken as they are."""
    return gzip.compress(tar_bytes(entries), mtime=0)


def make_tarball(files: dict[str, bytes], top: str = "package") -> bytes:
    """A package tarball: every file below ``top``, as npm pack writes it."""
    return pack((f"{top}/{path}" if top else path, data) for path, data in files.items())


def demo_tarball(name: str = "demo", version: str = "1.0.0") -> bytes:
    """A small valid tarball of package ``name`` at ``version``."""
    return make_tarball(
        {"package.json": package_json(name, version), "index.js": b"module.exports = 1\n"}
    )


def link(name: str, target: str, *, hard: bool = False) -> tarfile.TarInfo:
    """A symbolic (or hard) link entry."""
    info = tarfile.TarInfo(name)
    info.type = tarfile.LNKTYPE if hard else tarfile.SYMTYPE
    info.linkname = target
    return info


def special(name: str, kind: bytes) -> tarfile.TarInfo:
    """An entry of another type: a directory, device or fifo."""
    info = tarfile.TarInfo(name)
    info.type = kind
    return info


def integrity_of(data: bytes, algorithm: str = "sha512") -> str:
    """The SRI string of ``data``."""
    return f"{algorithm}-{base64.b64encode(hashlib.new(algorithm, data).digest()).decode()}"


def publish_doc(name: str, version: str, tarball: bytes) -> dict[str, Any]:
    """The JSON document libnpmpublish sends to PUT /<name>."""
    bare = name.rpartition("/")[2]
    manifest = {
        "name": name,
        "version": version,
        "description": "A demo",
        "main": "index.js",
        "readme": "# Demo\n",
        "_id": f"{name}@{version}",
        "_nodeVersion": "22.0.0",
        "_npmVersion": "11.0.0",
        "dist": {
            "integrity": integrity_of(tarball),
            "shasum": hashlib.sha1(tarball).hexdigest(),
            "tarball": f"http://127.0.0.1:4873/{name}/-/{bare}-{version}.tgz",
        },
    }
    return {
        "_id": name,
        "name": name,
        "description": "A demo",
        "dist-tags": {"latest": version},
        "versions": {version: manifest},
        "access": "public",
        "_attachments": {
            f"{name}-{version}.tgz": {
                "content_type": "application/octet-stream",
                "data": base64.b64encode(tarball).decode(),
                "length": len(tarball),
            }
        },
    }


def publish_body(name: str, version: str, tarball: bytes, /, **overrides: Any) -> bytes:
    """The publish body as bytes; ``overrides`` replace top-level fields."""
    return json.dumps({**publish_doc(name, version, tarball), **overrides}).encode()


def encode(doc: dict[str, Any]) -> bytes:
    """A document as a request body."""
    return json.dumps(doc).encode()
