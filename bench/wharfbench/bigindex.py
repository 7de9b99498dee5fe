"""The index of 100,000 projects (``--smoke``: 1,000): realistic names in a hosted index
``big``, seeded before the server starts, in this process, through Wharf's own store layer
(``wharf.bootstrap.build_services``, then ``MetadataStore.add_artifact`` for each file: the
store has no batch write, so this is one transaction per file, a few run concurrently).

Seeding 100,000 takes minutes, so the seeded data directory is kept under the work
directory, keyed by the names, the Wharf version and its database schema, and copied for
each run; the results say how long the seeding took and whether it was reused. Files are
metadata only (no blobs): only pages are measured here.

For nginx the same listing is written as static pages (the limit for the root page).
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import importlib.util
import json
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from wharfbench.names import module_name, unique_names
from wharfbench.procs import log
from wharfbench.pycorpus import Listed, Project, page_html, page_json

INDEX = "big"
RELEASES = 12  # of the measured project (every other project has one wheel)
_DEAD = "http://127.0.0.1:9/"  # the seeding process never asks an upstream


@dataclass(frozen=True)
class BigIndex:
    names: list[str]
    project: str  # the project whose page is measured

    @classmethod
    def make(cls, count: int, seed: int) -> BigIndex:
        names = unique_names(count, seed + 2)
        return cls(names, names[count // 2])

    def files(self, name: str) -> list[tuple[str, str]]:
        """(version, filename) of a project's files."""
        module = module_name(name)
        if name != self.project:
            return [("1.0.0", f"{module}-1.0.0-py3-none-any.whl")]
        found = []
        for n in range(RELEASES):
            version = f"1.{n}.0"
            found += [(version, f"{module}-{version}-py3-none-any.whl"),
                      (version, f"{module}-{version}.tar.gz")]
        return found


def _fake_sha(filename: str) -> str:
    return hashlib.sha256(filename.encode()).hexdigest()


def _schema_fingerprint() -> str:
    """Changes when Wharf's tables or migrations change (a cached seed would not fit)."""
    spec = importlib.util.find_spec("wharf")
    digest = hashlib.sha256()
    if spec and spec.submodule_search_locations:
        db = Path(next(iter(spec.submodule_search_locations))) / "db"
        for path in sorted([db / "tables.py", *db.glob("migrations/**/*.py")]):
            if path.is_file():
                digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


async def _seed(data: Path, big: BigIndex, concurrency: int = 8) -> None:
    from wharf.bootstrap import build_services, prepare  # noqa: PLC0415
    from wharf.config.loader import load_settings  # noqa: PLC0415
    from wharf.core.models import Artifact, Index, IndexKind  # noqa: PLC0415

    environ = {"WHARF_DATA_DIR": str(data), "WHARF_PYPI_UPSTREAM": f"{_DEAD}simple/",
               "WHARF_NPM_UPSTREAM": _DEAD, "HOME": str(data.parent)}
    settings = load_settings(environ=environ).settings
    await prepare(settings)
    services = await build_services(settings)
    try:
        await services.indexes.ensure([Index(INDEX, "python", IndexKind.HOSTED,
                                             description="wharfbench: 100,000 projects")])
        when = datetime(2024, 6, 1, tzinfo=UTC)
        gate = asyncio.Semaphore(concurrency)

        async def add(name: str, version: str, filename: str, n: int) -> None:
            wheel = filename.endswith(".whl")
            artifact = Artifact(
                index=INDEX, project=name, version=version, filename=filename,
                sha256=_fake_sha(filename), size=4096 + n % 50_000,
                uploaded_at=when + timedelta(seconds=n),
                kind="bdist_wheel" if wheel else "sdist",
                attrs={"packagetype": "bdist_wheel" if wheel else "sdist",
                       "python_version": "py3" if wheel else "source",
                       "requires_python": ">=3.8"},
                uploader="wharfbench")
            metadata = {"name": name, "version": version, "summary": f"The {name} library.",
                        "requires_python": ">=3.8"}
            async with gate:
                await services.store.add_artifact(artifact, display_name=name,
                                                  release_metadata=metadata)

        jobs = [(name, version, filename) for name in big.names
                for version, filename in big.files(name)]
        began = time.perf_counter()
        for start in range(0, len(jobs), 2000):  # bounded number of pending tasks
            await asyncio.gather(*(add(*job, start + i)
                                   for i, job in enumerate(jobs[start:start + 2000])))
            if (start // 2000) % 10 == 9:
                log(f"    seeded {start + 2000:,} of {len(jobs):,} files "
                    f"({time.perf_counter() - began:.0f} s)")
    finally:
        await services.close()


def seeded_template(work: Path, big: BigIndex) -> dict[str, Any]:
    """A data directory holding the seeded index (built once, then reused): its path, the
    seconds the seeding took and whether this run reused it."""
    from wharf import __version__  # noqa: PLC0415

    key = hashlib.sha256(json.dumps([big.names[:50], len(big.names), big.project, __version__,
                                     _schema_fingerprint()]).encode()).hexdigest()[:12]
    root = work / "bigindex" / f"{len(big.names)}-{key}"
    done = root / "seed.json"
    if done.is_file():
        return {**json.loads(done.read_text()), "data": str(root / "data"), "reused": True}
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    started = time.perf_counter()
    asyncio.run(_seed(root / "data", big))
    info = {"seed_s": round(time.perf_counter() - started, 1), "projects": len(big.names),
            "files": sum(len(big.files(n)) for n in big.names),
            "wharf": __version__, "seeded_at": datetime.now(UTC).isoformat(timespec="seconds")}
    done.write_text(json.dumps(info))
    return {**info, "data": str(root / "data"), "reused": False}


def write_static(www: Path, big: BigIndex) -> None:
    """The same index as static pages (root and the measured project) for nginx."""
    root = www / INDEX / "simple"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    names = sorted(big.names)  # as an index lists them
    listing = {"meta": {"api-version": "1.1"}, "projects": [{"name": n} for n in names]}
    anchors = "".join(f'<a href="{n}/">{n}</a>\n' for n in names)
    pages = {root / "index.json": json.dumps(listing, separators=(",", ":")).encode(),
             root / "index.html": f"<!DOCTYPE html>\n<html><body>\n{anchors}</body></html>\n"
             .encode()}
    project = Project(big.project, [], files=[
        Listed(f, _fake_sha(f), 4096, "2024-06-01T00:00:00Z") for _v, f in big.files(big.project)])
    project.versions = list(dict.fromkeys(v for v, _f in big.files(big.project)))
    pages[root / big.project / "index.json"] = json.dumps(page_json(project),
                                                          separators=(",", ":")).encode()
    pages[root / big.project / "index.html"] = page_html(project).encode()
    for path, data in pages.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.with_name(path.name + ".gz").write_bytes(gzip.compress(data, 6, mtime=0))
