"""npm package tarballs (``package/package.json`` and files, tar + gzip) with fixed
timestamps, and the digests a packument lists for them."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Mapping
from typing import Any

NPM_MTIME = 499162500  # npm's own fixed mtime for packed files


def package_json(name: str, version: str, dependencies: Mapping[str, str]) -> dict[str, Any]:
    return {
        "name": name,
        "version": version,
        "description": f"The {name} package.",
        "main": "index.js",
        "license": "MIT",
        "keywords": name.lstrip("@").replace("/", "-").split("-"),
        "repository": {"type": "git", "url": f"git+https://example.invalid/{name}.git"},
        "dependencies": dict(dependencies),
    }


def pack(manifest: Mapping[str, Any], files: Mapping[str, bytes]) -> bytes:
    """The tarball npm would publish: every member under ``package/``."""
    members = {"package/package.json": json.dumps(manifest, indent=2).encode()}
    members.update({f"package/{path}": data for path, data in files.items()})
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for path, data in members.items():
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(data), 0o644, NPM_MTIME
            archive.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, compresslevel=6) as zipped:
        zipped.write(raw.getvalue())
    return out.getvalue()


def dist_fields(data: bytes) -> dict[str, str]:
    """``integrity`` (SRI sha512) and ``shasum`` (sha1 hex), as a packument's ``dist``."""
    return {
        "integrity": "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode(),
        "shasum": hashlib.sha1(data).hexdigest(),  # noqa: S324 - npm's own field
    }


def bare_name(name: str) -> str:
    """``@scope/name`` -> ``name``: the tarball file is ``<bare>-<version>.tgz``."""
    return name.rpartition("/")[2]
