"""The Python half of the corpus: a dependency graph of real wheels, one of them large
(incompressible) and one small, a project whose page lists thousands of files, and the
static PEP 503 (HTML) and PEP 691 (JSON) pages that describe them.

Layout under ``python/``: ``simple/index.{html,json}`` (the project list),
``simple/<project>/index.{html,json}``, ``files/<wheel>`` and ``files/<wheel>.metadata``
(PEP 658). File links are relative (``../../files/…``), so any server on any port can serve
the same tree.
"""

from __future__ import annotations

import hashlib
import html
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from wharfbench.names import module_name, unique_names, upstream_safe
from wharfbench.wheels import write_wheel

JSON_V1 = "application/vnd.pypi.simple.v1+json"
PLATFORMS = ("manylinux_2_17_x86_64.manylinux2014_x86_64", "manylinux_2_17_aarch64",
             "macosx_11_0_arm64", "win_amd64")
PYTHONS = ("cp39", "cp310", "cp311", "cp312", "cp313")
COMPACT = (",", ":")  # JSON as registries send it: no spaces


@dataclass
class Listed:
    """One file on a project page (real or only listed)."""

    filename: str
    sha256: str
    size: int
    uploaded: str
    metadata_sha256: str | None = None


@dataclass
class Project:
    name: str
    versions: list[str]
    requires: dict[str, list[str]] = field(default_factory=dict)  # version -> Requires-Dist
    files: list[Listed] = field(default_factory=list)


def _stamp(rng: random.Random) -> str:
    moment = datetime(2023, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(60_000_000))
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _source(name: str, rng: random.Random, lines: int) -> bytes:
    words = ("value", "item", "result", "config", "state", "buffer", "handle", "token")
    body = [f'"""{name}: synthetic module for the Wharf benchmark."""', ""]
    for i in range(lines):
        a, b = rng.choice(words), rng.choice(words)
        body += [f"def {a}_{b}_{i}(x):", f"    return x * {rng.randrange(1000)} + {i}", ""]
    return "\n".join(body).encode()


def _graph(names: list[str], rng: random.Random) -> list[Project]:
    """Each package after the first depends on one before it (so the first reaches all),
    plus a few extra edges; about a third also keep an older release."""
    projects = []
    for name in names:
        major, minor = rng.randrange(1, 6), rng.randrange(0, 20)
        latest = f"{major}.{minor}.{rng.randrange(0, 10)}"
        versions = [f"{major}.{max(0, minor - 1)}.0", latest] if rng.random() < 0.35 else [latest]
        projects.append(Project(name, list(dict.fromkeys(versions))))
    for j in range(1, len(projects)):
        parents = {rng.randrange(0, j)} | {i for i in range(j) if rng.random() < 0.04}
        child = projects[j]
        for i in parents:
            for version in projects[i].versions:
                projects[i].requires.setdefault(version, []).append(
                    f"{child.name}>={child.versions[0]}")
    return projects


def _write_real(project: Project, files_dir: Path, rng: random.Random,
                payload: dict[str, bytes]) -> None:
    for version in project.versions:
        module = module_name(project.name)
        files = {f"{module}/__init__.py": _source(project.name, rng, 6), **payload}
        wheel, metadata = write_wheel(files_dir, project.name, version,
                                      requires=project.requires.get(version, []), files=files)
        (files_dir / f"{wheel.name}.metadata").write_bytes(metadata)
        data = wheel.read_bytes()
        project.files.append(Listed(wheel.name, hashlib.sha256(data).hexdigest(), len(data),
                                    _stamp(rng), hashlib.sha256(metadata).hexdigest()))


def _listed_only(project: Project, count: int, rng: random.Random) -> None:
    """Older releases with a wheel per Python and platform plus an sdist, as a big
    compiled project has: listed on the page, never downloaded (404 upstream)."""
    module = module_name(project.name)
    added = 0
    minor = 0
    while added < count:
        version = f"0.{minor // 10}.{minor % 10}"
        minor += 1
        names = [f"{module}-{version}-{py}-{py}-{plat}.whl" for py in PYTHONS for plat in PLATFORMS]
        names.append(f"{module}-{version}.tar.gz")
        for filename in names[: count - added]:
            digest = hashlib.sha256(filename.encode()).hexdigest()
            project.files.insert(added, Listed(filename, digest, rng.randrange(10**5, 10**7),
                                               _stamp(rng)))
            added += 1
        project.versions.insert(0, version)


def page_json(project: Project) -> dict[str, Any]:
    files = []
    for f in project.files:
        entry: dict[str, Any] = {"filename": f.filename, "url": f"../../files/{f.filename}",
                                 "hashes": {"sha256": f.sha256}, "requires-python": ">=3.8",
                                 "size": f.size, "upload-time": f.uploaded, "yanked": False}
        if f.metadata_sha256:
            entry["core-metadata"] = entry["data-dist-info-metadata"] = {
                "sha256": f.metadata_sha256}
        files.append(entry)
    return {"meta": {"api-version": "1.1"}, "name": project.name,
            "versions": list(dict.fromkeys(project.versions)), "files": files}


def page_html(project: Project) -> str:
    links = []
    for f in project.files:
        extra = (f' data-core-metadata="sha256={f.metadata_sha256}" '
                 f'data-dist-info-metadata="sha256={f.metadata_sha256}"'
                 if f.metadata_sha256 else "")
        links.append(f'<a href="../../files/{f.filename}#sha256={f.sha256}" '
                     f'data-requires-python="{html.escape(">=3.8")}"{extra}>{f.filename}</a><br/>')
    return ("<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" "
            f"content=\"1.1\"><title>Links for {project.name}</title></head><body>"
            f"<h1>Links for {project.name}</h1>\n" + "\n".join(links) + "\n</body></html>\n")


def _write_pages(root: Path, projects: list[Project]) -> None:
    simple = root / "simple"
    for project in projects:
        directory = simple / project.name
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "index.json").write_text(json.dumps(page_json(project), separators=COMPACT))
        (directory / "index.html").write_text(page_html(project))
    names = sorted(p.name for p in projects)
    listing = {"meta": {"api-version": "1.1"}, "projects": [{"name": n} for n in names]}
    (simple / "index.json").write_text(json.dumps(listing, separators=COMPACT))
    anchors = "\n".join(f'<a href="{n}/">{n}</a><br/>' for n in names)
    (simple / "index.html").write_text(
        f"<!DOCTYPE html>\n<html><body>\n{anchors}\n</body></html>\n")


def build_python(root: Path, seed: int, size: dict[str, int]) -> dict[str, Any]:
    """Write the tree; returns its manifest section (which project plays which part)."""
    rng = random.Random(seed)
    names = unique_names(size["graph"], seed, acceptable=upstream_safe("python"))
    projects = _graph(names, rng)
    files_dir = root / "files"
    # Roles: a large wheel in a project with a big page (the "numpy" of the graph), a
    # small one at a leaf; both are installed with the rest.
    big, small = projects[3], projects[-1]
    big.versions = big.versions[-1:]  # one real (large) release; older ones are listed only
    for project in projects:
        payload: dict[str, bytes] = {}
        if project is big:
            payload = {f"{module_name(big.name)}/_data.bin": rng.randbytes(size["large_wheel"])}
        elif project is small:
            payload = {f"{module_name(small.name)}/words.py": _source(small.name, rng, 400)}
        _write_real(project, files_dir, rng, payload)
    _listed_only(big, size["big_page_files"] - len(big.files), rng)
    _write_pages(root, projects)
    roots = [projects[0].name, *(p.name for p in rng.sample(projects[1:], 4))]
    (root / "requirements.txt").write_text("".join(f"{r}\n" for r in roots))
    real = {p.name: [f.filename for f in p.files if f.metadata_sha256] for p in projects}
    return {
        "projects": [p.name for p in projects],
        "requirements": roots,
        "large_page": big.name,
        "large_page_files": len(big.files),
        "small_page": small.name,
        "large_wheel": {"project": big.name, "file": real[big.name][-1],
                        "size": big.files[-1].size},
        "small_wheel": {"project": small.name, "file": real[small.name][-1],
                        "size": small.files[-1].size},
        "wheels": sum(len(v) for v in real.values()),
    }
