"""The npm half of the corpus: packages with dependencies between them (one scoped, one with
a large tarball, one small), an application that depends on them, a package with a long
history (a large packument) and one with a very long one (10,000 versions by default).

Layout under ``npm/``: ``docs/<name>/full.json`` (the full packument) and
``docs/<name>/abbrev.json`` (``application/vnd.npm.install-v1+json``), with tarball URLs as
``@@BASE@@/<name>/-/<file>.tgz`` (``upstream.render_npm`` fills in the server), tarballs at
``tarballs/<name>/-/<file>.tgz``, and ``project/package.json``.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from wharfbench.names import unique_names, upstream_safe
from wharfbench.tarballs import bare_name, dist_fields, pack, package_json

BASE = "@@BASE@@"


@dataclass
class Package:
    name: str
    versions: list[str]  # oldest first; the real ones have tarballs
    dependencies: dict[str, str] = field(default_factory=dict)
    listed: list[str] = field(default_factory=list)  # versions only listed (no tarball)
    dists: dict[str, dict[str, str]] = field(default_factory=dict)  # real version -> dist
    sizes: dict[str, int] = field(default_factory=dict)  # real version -> tarball bytes


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _graph(names: list[str], rng: random.Random) -> list[Package]:
    packages = []
    for i, name in enumerate(names):
        scoped = f"@{name.split('-')[0]}/{name}" if i in (7, 21) else name
        major, minor = rng.randrange(1, 5), rng.randrange(0, 12)
        count = rng.choice((1, 1, 2, 3))
        versions = [f"{major}.{minor}.{patch}" for patch in range(count)]
        packages.append(Package(scoped, versions))
    for j in range(1, len(packages)):
        parents = {rng.randrange(0, j)} | {i for i in range(j) if rng.random() < 0.04}
        child = packages[j]
        lowest = child.versions[0].rsplit(".", 1)[0]  # "major.minor"
        for i in parents:
            packages[i].dependencies[child.name] = f"^{lowest}.0"
    return packages


def _manifest(package: Package, version: str, deps: dict[str, str]) -> dict[str, Any]:
    manifest = package_json(package.name, version, deps)
    manifest["_id"] = f"{package.name}@{version}"
    manifest["engines"] = {"node": ">=14"}
    return manifest


def _documents(package: Package, rng: random.Random) -> tuple[dict[str, Any], dict[str, Any]]:
    """(full packument, abbreviated packument) as templates."""
    start = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(days=rng.randrange(0, 900))
    bare = bare_name(package.name)
    full_versions: dict[str, Any] = {}
    abbrev_versions: dict[str, Any] = {}
    times: dict[str, str] = {}
    everything = package.listed + package.versions
    for n, version in enumerate(everything):
        real = version in package.dists
        deps = package.dependencies if real else {}
        dist = (package.dists[version] if real else
                dist_fields(hashlib.sha256(f"{package.name}@{version}".encode()).digest()))
        dist_doc = {**dist, "tarball": f"{BASE}/{package.name}/-/{bare}-{version}.tgz"}
        full_versions[version] = {**_manifest(package, version, deps), "dist": dist_doc,
                                  "maintainers": [{"name": "bench", "email": "b@example.invalid"}]}
        abbrev_versions[version] = {"name": package.name, "version": version,
                                    "dependencies": deps, "engines": {"node": ">=14"},
                                    "dist": dist_doc}
        times[version] = _iso(start + timedelta(hours=n))
    modified = times[everything[-1]]
    tags = {"latest": package.versions[-1]}
    full = {"_id": package.name, "name": package.name,
            "description": f"The {package.name} package.", "dist-tags": tags,
            "versions": full_versions,
            "time": {"created": times[everything[0]], "modified": modified, **times},
            "maintainers": [{"name": "bench", "email": "b@example.invalid"}],
            "readme": f"# {package.name}\n\nSynthetic package of the Wharf benchmark.\n",
            "license": "MIT"}
    abbrev = {"name": package.name, "modified": modified, "dist-tags": tags,
              "versions": abbrev_versions}
    return full, abbrev


def _write(root: Path, package: Package, rng: random.Random, payload: dict[str, bytes]) -> None:
    bare = bare_name(package.name)
    out = root / "tarballs" / package.name / "-"
    out.mkdir(parents=True, exist_ok=True)
    for version in package.versions:
        manifest = package_json(package.name, version, package.dependencies)
        files = {"index.js": f"module.exports = {json.dumps(package.name + '@' + version)};\n"
                 .encode(), "README.md": f"# {package.name}\n".encode(), **payload}
        data = pack(manifest, files)
        (out / f"{bare}-{version}.tgz").write_bytes(data)
        package.dists[version] = dist_fields(data)
        package.sizes[version] = len(data)
    full, abbrev = _documents(package, rng)
    docs = root / "docs" / package.name
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "full.json").write_text(json.dumps(full, separators=(",", ":")))
    (docs / "abbrev.json").write_text(json.dumps(abbrev, separators=(",", ":")))


def _history(package: Package, count: int) -> None:
    """``count`` older versions listed before the real ones."""
    major = int(package.versions[0].split(".")[0])
    package.listed = [f"{m}.{n // 25}.{n % 25}" for m in range(major)
                      for n in range(count)][-count:] if major else []
    while len(package.listed) < count:  # major 0 or short: pre-releases of the first one
        package.listed.insert(0, f"{package.versions[0]}-rc.{count - len(package.listed)}")


def build_npm(root: Path, seed: int, size: dict[str, int]) -> dict[str, Any]:
    rng = random.Random(seed + 1)
    names = unique_names(size["npm_graph"] + 1, seed + 1, acceptable=upstream_safe("npm"))
    packages = _graph(names[:-1], rng)
    large_doc, large_file, small_file = packages[3], packages[5], packages[-1]
    _history(large_doc, size["large_packument"] - len(large_doc.versions))
    for package in packages:
        payload: dict[str, bytes] = {}
        if package is large_file:
            payload = {"dist/bundle.bin": rng.randbytes(size["large_tarball"])}
        elif package is small_file:
            payload = {"lib/words.js": b"".join(f"exports.w{i} = {i};\n".encode()
                                                for i in range(900))}
        _write(root, package, rng, payload)
    huge = Package(names[-1], ["1.0.0"])
    _history(huge, size["huge_packument"] - 1)
    _write(root, huge, rng, {})
    roots = [packages[0], *rng.sample(packages[1:], 4)]
    project = root / "project"
    project.mkdir(parents=True, exist_ok=True)
    (project / "package.json").write_text(json.dumps({
        "name": "wharfbench-app", "version": "1.0.0", "private": True,
        "dependencies": {p.name: f"^{p.versions[-1]}" for p in roots}}, indent=2))

    def tarball(package: Package) -> dict[str, Any]:
        version = package.versions[-1]
        return {"name": package.name, "version": version,
                "file": f"{bare_name(package.name)}-{version}.tgz",
                "size": package.sizes[version]}

    return {
        "packages": [p.name for p in packages],
        "tarballs": sum(len(p.versions) for p in packages),
        "small_packument": small_file.name,
        "large_packument": large_doc.name,
        "large_packument_versions": len(large_doc.listed) + len(large_doc.versions),
        "huge_packument": huge.name,
        "huge_packument_versions": len(huge.listed) + len(huge.versions),
        "large_tarball": tarball(large_file),
        "small_tarball": tarball(small_file),
    }
