"""The simple repository API documents: PEP 503 HTML and PEP 691 JSON (API version 1.4).

This is a hot path: plain string building and a C JSON encoder (``codec``), no template
engine. Output is deterministic (files sorted by version, then filename) so that ETags are stable.

A project page lives at ``<index root>/simple/<project>/``; a file URL relative to the index
root (``files/…``) is therefore written as ``../../files/…``, each path segment
percent-encoded. Absolute URLs (``http://``, ``https://``) are written as they are.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from html import escape
from typing import Any
from urllib.parse import quote

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from wharf.core.models import FileEntry, ProjectPage, ProjectStatus
from wharf.formats import codec
from wharf.formats.python.media import is_json

API_VERSION = "1.4"

_ZERO = Version("0")
_UNRESERVED_PATH = re.compile(r"[A-Za-z0-9_.~/-]*")


# ---------------------------------------------------------------- helpers shared with jsonapi


@lru_cache(maxsize=4096)
def version_key(version: str) -> tuple[int, Version, str]:
    """Sort key: versions that do not parse come first (as strings), the rest by PEP 440."""
    try:
        return (1, Version(version), version)
    except InvalidVersion:
        return (0, _ZERO, version)


_ABSOLUTE = ("http://", "https://")


def is_absolute(url: str) -> bool:
    return url.startswith(_ABSOLUTE)


def quote_path(path: str) -> str:
    """Percent-encode each segment of a ``/``-separated path (``+`` and spaces included)."""
    path = path.lstrip("/")
    return path if _UNRESERVED_PATH.fullmatch(path) else quote(path, safe="/")


def page_url(entry: FileEntry) -> str:
    """The file URL as written on ``<index root>/simple/<project>/``."""
    if is_absolute(entry.url):
        return entry.url
    return "../../" + quote_path(entry.url)


def upload_time(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC (naive datetimes are taken as UTC). Written
    with ``isoformat``, twice as fast as ``strftime``: one call per file of a page."""
    text = moment.isoformat(timespec="microseconds")
    if moment.tzinfo is None:
        return text + "Z"
    if text.endswith("+00:00"):
        return text[:-6] + "Z"
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def core_metadata(entry: FileEntry) -> bool | dict[str, str]:
    """The PEP 658/714 value: false, true (hash unknown) or ``{"sha256": hex}``."""
    if not entry.has_metadata:
        return False
    if entry.metadata_sha256:
        return {"sha256": entry.metadata_sha256}
    return True


def provenance(entry: FileEntry) -> str | None:
    value = entry.attrs.get("provenance")
    return value if isinstance(value, str) and is_absolute(value) else None


def sorted_files(page: ProjectPage) -> list[FileEntry]:
    """The files a page offers, in stable order. A quarantined project offers none (PEP 792).
    Versions are put in order once, then files by their version's place: comparing parsed
    versions for every pair of files cost more than the rest of the page."""
    if page.status == ProjectStatus.QUARANTINED:
        return []
    ordered = sorted({entry.version for entry in page.files}, key=version_key)
    place = {version: n for n, version in enumerate(ordered)}
    return sorted(page.files, key=lambda entry: (place[entry.version], entry.filename))


def all_versions(page: ProjectPage, files: Iterable[FileEntry]) -> list[str]:
    """Every version of the page and of its files (PEP 700), sorted."""
    versions = {v for v in page.versions if v}
    versions.update(entry.version for entry in files if entry.version)
    return sorted(versions, key=version_key)


def dumps(data: Any) -> bytes:
    return codec.dumps(data)


def etag_for(body: bytes) -> str:
    """A strong ETag for a rendered document."""
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


# ---------------------------------------------------------------- project page


def render_project(page: ProjectPage, media_type: str, *, serial: int | None = None) -> bytes:
    """One project's simple page in the negotiated media type (see ``media.negotiate``)."""
    files = sorted_files(page)
    if is_json(media_type):
        return _project_json(page, files, serial)
    return _project_html(page, files, serial)


def _project_json(page: ProjectPage, files: list[FileEntry], serial: int | None) -> bytes:
    meta: dict[str, Any] = {"api-version": API_VERSION}
    if serial is not None:
        meta["_last-serial"] = serial
    document: dict[str, Any] = {
        "meta": meta,
        "name": canonicalize_name(page.name),
        "files": [_file_json(entry) for entry in files],
        "versions": all_versions(page, files),
    }
    if page.status != ProjectStatus.ACTIVE:
        status: dict[str, str] = {"status": page.status.value}
        if page.status_reason:
            status["reason"] = page.status_reason
        document["project-status"] = status
    return dumps(document)


def _file_json(entry: FileEntry) -> dict[str, Any]:
    """One file of the JSON page (``core_metadata``, ``page_url`` and ``provenance`` written
    out: this runs once per file of a page)."""
    url = entry.url
    if not url.startswith(_ABSOLUTE):
        url = "../../" + quote_path(url)
    hashes: dict[str, str] = {"sha256": entry.sha256} if entry.sha256 else {}
    for name, value in entry.digests.items():
        hashes.setdefault(name.lower(), value)
    metadata: bool | dict[str, str] = False
    if entry.has_metadata:
        metadata = {"sha256": entry.metadata_sha256} if entry.metadata_sha256 else True
    attrs = entry.attrs
    item: dict[str, Any] = {
        "filename": entry.filename,
        "url": url,
        "hashes": hashes,
        "requires-python": (attrs.get("requires_python") or None) if attrs else None,
        "yanked": False if entry.yanked is None else (entry.yanked or True),
    }
    if entry.size is not None:
        item["size"] = entry.size
    if entry.uploaded_at is not None:
        item["upload-time"] = upload_time(entry.uploaded_at)
    item["core-metadata"] = metadata
    item["data-dist-info-metadata"] = metadata
    source = attrs.get("provenance") if attrs else None
    item["provenance"] = source if isinstance(source, str) and is_absolute(source) else None
    return item


def _project_html(page: ProjectPage, files: list[FileEntry], serial: int | None) -> bytes:
    title = escape(page.display_name or page.name)
    parts = [
        "<!DOCTYPE html>\n<html>\n  <head>\n",
        '    <meta charset="utf-8">\n',
        f'    <meta name="pypi:repository-version" content="{API_VERSION}">\n',
    ]
    if page.status != ProjectStatus.ACTIVE:
        parts.append(f'    <meta name="pypi:project-status" content="{page.status.value}">\n')
        if page.status_reason:
            reason = escape(page.status_reason)
            parts.append(f'    <meta name="pypi:project-status-reason" content="{reason}">\n')
    parts.append(f"    <title>Links for {title}</title>\n  </head>\n  <body>\n")
    parts.append(f"    <h1>Links for {title}</h1>\n")
    parts.extend(_anchor(entry) for entry in files)
    parts.append("  </body>\n</html>\n")
    if serial is not None:
        parts.append(f"<!--SERIAL {int(serial)}-->\n")
    return "".join(parts).encode("utf-8")


def _anchor(entry: FileEntry) -> str:
    href = page_url(entry)
    if entry.sha256:
        href = f"{href}#sha256={entry.sha256}"
    attrs = [f'<a href="{escape(href)}"']
    requires_python = entry.attrs.get("requires_python")
    if requires_python:
        attrs.append(f' data-requires-python="{escape(str(requires_python))}"')
    if entry.yanked is not None:
        attrs.append(f' data-yanked="{escape(entry.yanked)}"')
    if entry.has_metadata:
        value = f"sha256={entry.metadata_sha256}" if entry.metadata_sha256 else "true"
        attrs.append(f' data-core-metadata="{value}" data-dist-info-metadata="{value}"')
    url = provenance(entry)
    if url is not None:
        attrs.append(f' data-provenance="{escape(url)}"')
    attrs.append(f">{escape(entry.filename)}</a><br>\n")
    return "    " + "".join(attrs)


# ---------------------------------------------------------------- root page


def render_index(
    projects: Sequence[tuple[str, str]], media_type: str, *, serial: int | None = None
) -> bytes:
    """The root page listing ``(normalized, display)`` project names, sorted by normalized."""
    ordered = sorted(projects)
    if is_json(media_type):
        meta: dict[str, Any] = {"api-version": API_VERSION}
        if serial is not None:
            meta["_last-serial"] = serial
        return dumps({"meta": meta, "projects": [{"name": shown} for _, shown in ordered]})
    parts = [
        "<!DOCTYPE html>\n<html>\n  <head>\n",
        '    <meta charset="utf-8">\n',
        f'    <meta name="pypi:repository-version" content="{API_VERSION}">\n',
        "    <title>Simple index</title>\n  </head>\n  <body>\n",
    ]
    parts.extend(
        f'    <a href="{escape(quote(name, safe=""))}/">{escape(shown)}</a><br>\n'
        for name, shown in ordered
    )
    parts.append("  </body>\n</html>\n")
    if serial is not None:
        parts.append(f"<!--SERIAL {int(serial)}-->\n")
    return "".join(parts).encode("utf-8")
