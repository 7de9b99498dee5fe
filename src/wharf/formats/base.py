"""The contract between the format-neutral services and a format (Python, npm).

Services call a format only through these Protocols; only ``wharf.bootstrap`` knows which
concrete formats exist.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from wharf.core.models import Artifact, FileEntry, ProjectStatus
from wharf.core.ports import Upstream, UpstreamReply
from wharf.policy.decisions import VersionScheme

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class FetchStatus(StrEnum):
    OK = "ok"
    NOT_MODIFIED = "not_modified"
    MISSING = "missing"


@dataclass(frozen=True, slots=True)
class UpstreamFetch:
    """One upstream listing request's outcome. ``body`` is set only for ``OK``."""

    status: FetchStatus
    body: Mapping[str, Any] | None = None
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class RemoteFile:
    """Where a proxied file comes from, and what it must hash to."""

    filename: str
    url: str
    sha256: str | None
    size: int | None = None
    metadata_url: str | None = None
    metadata_sha256: str | None = None
    digests: Mapping[str, str] = field(default_factory=dict)
    """Other digests upstream vouches for, by hashlib name, hex (npm: ``sha512``, ``sha1``).
    The proxy checks every one given before it keeps the file."""
    version: str = ""
    """The version the file belongs to, as the listing's entries say."""


@dataclass(frozen=True, slots=True)
class ListingDetails:
    """What a cached upstream listing says besides its files, in neutral terms."""

    display_name: str
    versions: tuple[str, ...]
    status: ProjectStatus = ProjectStatus.ACTIVE
    status_reason: str = ""
    release_metadata: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Per version, format-specific release metadata (npm: the version manifests)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Format-specific project-level data (npm: readme, description, maintainers, …)."""


class UpstreamAdapter(Protocol):
    """A format's upstream protocol: fetch one project's listing, read the cached copy.

    Fetching is two steps, so that the caller decides when the parse happens: a listing
    parses to many times its size in objects (15 MB for pydantic-core's 7 MB page), and a
    worker that parsed every listing the moment it arrived held all of a cold install's at
    once."""

    async def request(
        self,
        upstream: Upstream,
        base_url: str,
        project: str,
        *,
        etag: str | None,
        last_modified: str | None,
    ) -> UpstreamReply | UpstreamFetch:
        """Ask upstream for a project's listing, conditionally when validators are given:
        the 200 reply (its ``url`` the one it came from) for ``parse``, or the outcome when
        there is nothing to parse (not modified, missing).

        Network failures raise ``UpstreamError``; so does an upstream 5xx, so the caller
        can fall back to a stale copy.
        """
        ...

    def parse(self, reply: UpstreamReply, project: str) -> UpstreamFetch:
        """The outcome of a 200 reply from ``request``: the listing in the neutral shape,
        or missing. An unreadable body raises ``UpstreamError``."""
        ...

    def entries(self, body: Mapping[str, Any], index: str) -> list[FileEntry]:
        """The files of a cached listing as local entries (URLs under the index)."""
        ...

    def details(self, body: Mapping[str, Any], project: str) -> ListingDetails:
        """The name, versions, tags and release metadata of a cached listing."""
        ...

    def locate(self, body: Mapping[str, Any], filename: str) -> RemoteFile | None:
        """The upstream source of one file of a cached listing (also ``<file>.metadata``)."""
        ...

    def locate_in_text(self, text: str, project: str, filename: str) -> RemoteFile | None:
        """``locate`` on the stored JSON text of a listing, reading only the file's own entry;
        None when the text does not show the file that way (``locate`` on the decoded
        listing then decides)."""
        ...


class Format(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def upstream(self) -> UpstreamAdapter: ...

    @property
    def osv_ecosystem(self) -> str:
        """The format's ecosystem name in OSV vulnerability records (``PyPI``, ``npm``)."""
        ...

    @property
    def versions(self) -> VersionScheme:
        """The format's version order and range syntax (for the policy rules)."""
        ...

    def licence_of(self, metadata: Mapping[str, Any]) -> str | None:
        """The licence a release's metadata declares (an SPDX expression when it can)."""
        ...

    def version_of(self, project: str, filename: str) -> str | None:
        """The version a file of ``project`` belongs to, read from its name (None when the
        name does not say)."""
        ...

    def normalize(self, name: str) -> str:
        """The canonical form of a project name in this format."""
        ...

    def validate_name(self, name: str) -> list[str]:
        """Problems with a project name as given (empty when valid)."""
        ...

    @property
    def duplicate_hint(self) -> str:
        """What to tell someone who uploads a file that is already there, byte for byte."""
        ...

    def check_addition(self, existing: Sequence[Artifact], new: Artifact) -> list[str]:
        """Problems with adding ``new`` to a project that already holds ``existing``
        (for example a second sdist in one Python release)."""
        ...

