"""The Python upstream protocol: fetch a project's simple page from an upstream index, keep
it in the neutral listing shape (see ``listing``), and read local entries and file sources
back out of the cached copy."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from wharf.core.models import METADATA_SUFFIX, FileEntry, ProjectStatus
from wharf.core.ports import Upstream, UpstreamReply
from wharf.formats import codec
from wharf.formats.base import ListingDetails, RemoteFile, UpstreamFetch
from wharf.formats.python.listing import parse_listing
from wharf.formats.python.media import HTML_V1, JSON_V1, TEXT_HTML
from wharf.formats.wire import entry_in_text, fetched, get_listing, parse_time

_NONE: Mapping[str, Any] = MappingProxyType({})
ACCEPT = f"{JSON_V1}, {HTML_V1};q=0.2, {TEXT_HTML};q=0.01"
_LEGACY_EXTENSIONS = (
    ".whl",
    ".tar.gz",
    ".tar.bz2",
    ".tar.xz",
    ".tgz",
    ".tar",
    ".zip",
    ".egg",
    ".exe",
)


class PythonUpstream:
    """``UpstreamAdapter`` for indexes that speak the simple repository API."""

    async def request(
        self,
        upstream: Upstream,
        base_url: str,
        project: str,
        *,
        etag: str | None,
        last_modified: str | None,
    ) -> UpstreamReply | UpstreamFetch:
        url = f"{base_url.rstrip('/')}/{quote(project, safe='')}/"
        return await get_listing(
            upstream, url, accept=ACCEPT, etag=etag, last_modified=last_modified,
            speaks="a simple index",
        )

    def parse(self, reply: UpstreamReply, project: str) -> UpstreamFetch:
        content_type = reply.headers.get("content-type", "")
        return fetched(reply, parse_listing(reply.body, content_type, reply.url, project))

    def entries(self, body: Mapping[str, Any], index: str) -> list[FileEntry]:
        name = canonicalize_name(str(body.get("name") or ""))
        prefix = f"files/{name}/"
        result: list[FileEntry] = []
        add = result.append
        for item in body.get("files") or ():
            filename = str(item["filename"])
            hashes = item.get("hashes") or _NONE
            sha256 = hashes.get("sha256")
            digests = ({str(k): str(v) for k, v in hashes.items() if k != "sha256"}
                       if len(hashes) > (sha256 is not None) else _NONE)
            metadata = item.get("core-metadata")
            yanked = item.get("yanked")
            requires = item.get("requires-python")
            provenance = item.get("provenance")
            attrs: Mapping[str, Any] = _NONE
            if requires or provenance:
                attrs = {"requires_python": requires} if requires else {}
                if provenance:
                    attrs["provenance"] = provenance
            size = item.get("size")
            # By position, in the field order of FileEntry: this loop runs once per file of
            # every listing a page is built from (tens of thousands for some projects).
            add(FileEntry(
                filename,
                version_from_filename(filename, name),
                prefix + filename,
                sha256,
                size if isinstance(size, int) else None,
                parse_time(item.get("upload-time")),
                None if not yanked else ("" if yanked is True else str(yanked)),
                digests,
                metadata.get("sha256") if isinstance(metadata, dict) else None,
                bool(metadata),
                attrs,
                index,
            ))
        return result

    def versions(self, body: Mapping[str, Any]) -> tuple[str, ...]:
        """Versions the listing names besides its files' (PEP 700; may be file-less)."""
        return tuple(v for v in body.get("versions") or () if isinstance(v, str))

    def project_status(self, body: Mapping[str, Any]) -> tuple[ProjectStatus, str]:
        """The upstream's PEP 792 status marker and reason (active when absent)."""
        marker = body.get("project-status")
        if not isinstance(marker, Mapping):
            return ProjectStatus.ACTIVE, ""
        try:
            status = ProjectStatus(str(marker.get("status")))
        except ValueError:
            return ProjectStatus.ACTIVE, ""
        return status, str(marker.get("reason") or "")

    def details(self, body: Mapping[str, Any], project: str) -> ListingDetails:
        status, reason = self.project_status(body)
        return ListingDetails(
            display_name=str(body.get("name") or project),
            versions=self.versions(body),
            status=status,
            status_reason=reason,
        )

    def locate(self, body: Mapping[str, Any], filename: str) -> RemoteFile | None:
        files = body.get("files") or ()
        name = canonicalize_name(str(body.get("name") or ""))
        for item in files:
            if item.get("filename") == filename:
                return _remote(item, name, filename)
        if filename.endswith(METADATA_SUFFIX):
            wanted = filename.removesuffix(METADATA_SUFFIX)
            for item in files:
                if item.get("filename") == wanted:
                    return _remote(item, name, filename)
        return None

    def locate_in_text(self, text: str, project: str, filename: str) -> RemoteFile | None:
        """The entry found by its ``"filename"`` key (the first key of every entry this
        adapter stores, see ``listing``) and decoded alone: a download from a listing of
        15,000 files reads one entry instead of decoding 7 MB of JSON."""
        wanted = [filename]
        if filename.endswith(METADATA_SUFFIX):
            wanted.append(filename.removesuffix(METADATA_SUFFIX))
        for name in wanted:
            item = _entry_in(text, name)
            if item is not None:
                return _remote(item, canonicalize_name(project), filename)
        return None


def _entry_in(text: str, filename: str) -> Mapping[str, Any] | None:
    return entry_in_text(text, '{"filename":' + codec.dumps(filename).decode("utf-8") + ",")


def _remote(item: Mapping[str, Any], name: str, filename: str) -> RemoteFile | None:
    """The upstream source of ``filename``: the entry's file, or (``<file>.metadata``) its
    core metadata document, when upstream serves one."""
    metadata = item.get("core-metadata")
    metadata_sha256 = metadata.get("sha256") if isinstance(metadata, dict) else None
    if filename != item.get("filename"):
        if not metadata:
            return None
        return RemoteFile(
            filename=filename, url=item["url"] + METADATA_SUFFIX, sha256=metadata_sha256,
            version=version_from_filename(str(item["filename"]), name),
        )
    return RemoteFile(
        filename=filename,
        url=item["url"],
        sha256=(item.get("hashes") or {}).get("sha256"),
        size=item.get("size"),
        metadata_url=item["url"] + METADATA_SUFFIX if metadata else None,
        metadata_sha256=metadata_sha256,
        version=version_from_filename(filename, name),
    )






def version_from_filename(filename: str, project: str = "") -> str:
    """The version a distribution filename names (normalized when it parses), else ""."""
    if filename.endswith(".whl"):
        dashes = filename.count("-")  # name-version(-build)?-python-abi-platform.whl
        if dashes in {4, 5} and (
                version := _normal_version(filename.split("-", 2)[1])) is not None:
            return version
    elif filename.endswith((".tar.gz", ".zip")):
        stem = filename.removesuffix(".tar.gz").removesuffix(".zip")
        name, _, tail = stem.rpartition("-")
        if name and (version := _normal_version(tail)) is not None:
            return version
    stem = next((filename[: -len(e)] for e in _LEGACY_EXTENSIONS if filename.endswith(e)), "")
    parts = stem.split("-")
    for cut in range(1, len(parts)):
        if canonicalize_name("-".join(parts[:cut])) == project:
            rest = parts[cut:]
            candidate = rest[0] if filename.endswith((".egg", ".exe", ".whl")) else "-".join(rest)
            return _normal_version(candidate) or candidate
    return ""


@lru_cache(maxsize=8192)
def _normal_version(text: str) -> str | None:
    try:
        return str(Version(text))
    except InvalidVersion:
        return None
