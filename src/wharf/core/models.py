"""Plain data shared by every layer. No behaviour beyond small derived properties."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple

_EMPTY: Mapping[str, Any] = MappingProxyType({})
"""The shared empty mapping of defaults that cannot be a factory (named tuple fields)."""

ANONYMOUS = ":anonymous:"
AUTHENTICATED = ":authenticated:"


class IndexKind(StrEnum):
    HOSTED = "hosted"
    PROXY = "proxy"
    GROUP = "group"


class Action(StrEnum):
    """What a principal may be allowed to do on an index."""

    READ = "read"
    UPLOAD = "upload"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Acl:
    """Who may read from and upload to an index.

    Entries are user names or the two pseudo-principals ``:anonymous:`` (everyone) and
    ``:authenticated:`` (any signed-in user). Administrators may always do everything.
    """

    read: tuple[str, ...] = (ANONYMOUS,)
    upload: tuple[str, ...] = (AUTHENTICATED,)


@dataclass(frozen=True, slots=True)
class PackageRule:
    """Who may read, publish and unpublish the packages of an index whose normalised names
    match ``pattern`` (fnmatch: ``@corp/*``, ``corp-*``). A list left None keeps the
    index's ACL for that action; the first matching rule of an index wins, and a group
    applies its own rules, then its members'.

    ``unpublish`` names who may remove any release of a matching package; without it,
    publishers remove only what they uploaded (and administrators anything).
    """

    pattern: str
    read: tuple[str, ...] | None = None
    upload: tuple[str, ...] | None = None
    unpublish: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Index:
    """A named collection of packages of one format."""

    name: str
    format: str
    kind: IndexKind
    upstream: str | None = None
    """Proxy indexes: the upstream base URL (for Python, the simple index URL)."""
    members: tuple[str, ...] = ()
    """Group indexes: member index names, asked in this order."""
    trust_upstream: tuple[str, ...] = ()
    """Group indexes: name patterns (fnmatch on normalised names) whose upstream releases may
    merge with hosted ones. Empty: a hosted name always hides the upstream name."""
    acl: Acl = field(default_factory=Acl)
    package_rules: tuple[PackageRule, ...] = ()
    description: str = ""
    created_at: datetime | None = None


class ProjectStatus(StrEnum):
    """PEP 792 project status markers (meaningful to both formats)."""

    ACTIVE = "active"
    ARCHIVED = "archived"
    QUARANTINED = "quarantined"
    DEPRECATED = "deprecated"


@dataclass(frozen=True, slots=True)
class Project:
    index: str
    name: str
    """Normalised name (the format decides how to normalise)."""
    display_name: str
    created_at: datetime
    status: ProjectStatus = ProjectStatus.ACTIVE
    status_reason: str = ""


@dataclass(frozen=True, slots=True)
class Release:
    index: str
    project: str
    version: str
    created_at: datetime
    yanked: bool = False
    yanked_reason: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)
    """Format-specific release metadata as JSON-able data (for Python: core metadata fields)."""


class Origin(StrEnum):
    UPLOADED = "uploaded"
    CACHED = "cached"


@dataclass(frozen=True, slots=True)
class Artifact:
    """One stored file of a release. Its bytes live in the blob store under ``sha256``."""

    index: str
    project: str
    version: str
    filename: str
    sha256: str
    size: int
    uploaded_at: datetime
    kind: str
    """Format-specific file kind, e.g. ``bdist_wheel`` or ``sdist``."""
    digests: Mapping[str, str] = field(default_factory=dict)
    """Other digests by hashlib name (``md5``, ``blake2b_256``), hex."""
    metadata_sha256: str | None = None
    """sha256 of an extracted metadata document kept as its own blob (PEP 658), if any."""
    attrs: Mapping[str, Any] = field(default_factory=dict)
    """Format-specific JSON-able attributes (``requires_python``, ``python_version``, …)."""
    origin: Origin = Origin.UPLOADED
    uploader: str | None = None
    withdrawn_at: datetime | None = None
    """Cached files: when upstream stopped listing the file (yanked away, unpublished,
    removed). A withdrawn file stays stored for audit but is not served unless pinned."""
    pinned_by: str | None = None
    """Who allowed a withdrawn cached file to be served anyway (an administrator)."""


METADATA_SUFFIX = ".metadata"
"""A file's metadata document is served under the file's name with this suffix (PEP 658)."""


class FileEntry(NamedTuple):
    """One file as an index page lists it: from a hosted artifact or an upstream listing.

    A named tuple rather than a frozen dataclass: a page of a big upstream project lists
    tens of thousands, built afresh for every page build, and a named tuple is built in a
    quarter of the time (0.35 against 1.4 microseconds, arguments by position)."""

    filename: str
    version: str
    url: str
    """Where the client fetches it, relative to the index root (``files/…``) or absolute."""
    sha256: str | None
    size: int | None = None
    uploaded_at: datetime | None = None
    yanked: str | None = None
    """None when not yanked, else the reason (possibly empty)."""
    digests: Mapping[str, str] = _EMPTY
    metadata_sha256: str | None = None
    has_metadata: bool = False
    """True when a metadata document is available (``metadata_sha256`` may still be unknown)."""
    attrs: Mapping[str, Any] = _EMPTY
    source: str = ""
    """Name of the index that holds the file (group pages list several)."""


@dataclass(frozen=True, slots=True)
class ProjectPage:
    """What an index knows of one project, ready for a format to render."""

    index: str
    name: str
    display_name: str
    files: tuple[FileEntry, ...]
    versions: tuple[str, ...] = ()
    status: ProjectStatus = ProjectStatus.ACTIVE
    status_reason: str = ""
    stale: bool = False
    """True when built from a cached upstream copy that could not be revalidated."""
    release_metadata: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Per version, the format-specific release metadata."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Release tags (npm dist-tags): tag name -> version."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Format-specific project-level data from upstream (npm: readme, description, …)."""


@dataclass(frozen=True, slots=True)
class UpstreamDocument:
    """A proxy index's cached copy of one upstream project listing.

    ``found`` false is a negative cache entry. ``body`` is JSON-able data in the format's own
    neutral shape (the format writes and reads it; services only store it).
    """

    index: str
    project: str
    fetched_at: datetime
    """When the copy was last fetched or confirmed fresh (304) upstream."""
    found: bool
    body: Mapping[str, Any] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class UpstreamText:
    """A cached upstream listing as stored, its body the undecoded JSON text: enough to find
    one entry of a listing of thousands without building them all."""

    fetched_at: datetime
    found: bool
    text: str


@dataclass(frozen=True, slots=True)
class User:
    name: str
    password_hash: str
    """An argon2 hash, or an imported htpasswd hash (bcrypt, ``{SHA}``, ``$apr1$``)."""
    is_admin: bool = False
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Token:
    """An API token. Only the hash of the secret is kept; ``id`` is public."""

    id: str
    user: str
    secret_hash: str
    actions: tuple[Action, ...]
    indexes: tuple[str, ...] = ()
    """Index names the token is limited to; empty means every index."""
    expires_at: datetime | None = None
    created_at: datetime | None = None
    description: str = ""
    revoked: bool = False
    last_used_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking. ``user`` is None for an anonymous request."""

    user: str | None = None
    is_admin: bool = False
    token: Token | None = None

    @property
    def authenticated(self) -> bool:
        return self.user is not None


@dataclass(frozen=True, slots=True)
class AuditEvent:
    at: datetime
    action: str
    """Dotted verb, e.g. ``artifact.upload``, ``release.yank``, ``user.add``."""
    actor: str | None = None
    token_id: str | None = None
    index: str | None = None
    project: str | None = None
    version: str | None = None
    filename: str | None = None
    address: str | None = None
    user_agent: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Waiver:
    """A break-glass exception to the policy (``wharf policy allow``): lets ``name`` (at
    ``version``, or every version when None) of a format through the rules named (every
    rule when empty) until ``expires_at``."""

    format: str
    name: str
    version: str | None
    rules: tuple[str, ...]
    reason: str
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    id: int | None = None

    def covers(self, fmt: str, name: str, version: str | None, rule: str, now: datetime) -> bool:
        if self.expires_at is not None and self.expires_at <= now:
            return False
        if self.format != fmt or self.name != name:
            return False
        if self.version is not None and self.version != version:
            return False
        return not self.rules or rule in self.rules
