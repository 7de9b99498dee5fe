"""The served tree of a static site (the upstream, and nginx as the limit): the corpus'
Python pages and files, and its npm documents rendered with this site's own URL (npm needs
absolute tarball URLs). Pages and packuments get a ``.gz`` twin, so a static server can
answer ``Accept-Encoding: gzip`` without compressing on every request.

Layout: ``simple/<project>/index.{json,html}``, ``files/<wheel>``,
``npm/<name>/full.json`` (``application/json``), ``npm/<name>/abbrev.npmv1``
(``application/vnd.npm.install-v1+json``: its own extension, so a static server can type it
by name) and ``npm/<name>/-/<file>.tgz``.
"""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

BASE = "@@BASE@@"


def _gzip_twin(path: Path, data: bytes) -> None:
    path.with_name(path.name + ".gz").write_bytes(gzip.compress(data, 6, mtime=0))


def ensure_python_twins(corpus_root: Path) -> None:
    """``index.json.gz`` / ``index.html.gz`` beside every page (once per corpus)."""
    marker = corpus_root / "python" / ".gz-done"
    if marker.exists():
        return
    for page in (corpus_root / "python" / "simple").rglob("index.*"):
        if page.suffix in (".json", ".html"):
            _gzip_twin(page, page.read_bytes())
    marker.write_text("ok\n")


def render(www: Path, corpus_root: Path, base_url: str) -> Path:
    """Fill ``www`` for a site reachable at ``base_url`` (``http://127.0.0.1:PORT``)."""
    shutil.rmtree(www, ignore_errors=True)
    www.mkdir(parents=True)
    ensure_python_twins(corpus_root)
    os.symlink(corpus_root / "python" / "simple", www / "simple")
    os.symlink(corpus_root / "python" / "files", www / "files")
    docs = corpus_root / "npm" / "docs"
    npm_base = base_url.rstrip("/") + "/npm"
    for full in docs.rglob("full.json"):
        source = full.parent
        name = str(source.relative_to(docs))
        target = www / "npm" / name
        target.mkdir(parents=True)
        for document, served in (("full.json", "full.json"), ("abbrev.json", "abbrev.npmv1")):
            data = (source / document).read_bytes().replace(BASE.encode(), npm_base.encode())
            (target / served).write_bytes(data)
            _gzip_twin(target / served, data)
        os.symlink(corpus_root / "npm" / "tarballs" / name / "-", target / "-")
    return www
