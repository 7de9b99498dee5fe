"""The plain data every policy rule speaks (DESIGN.md section 7).

A rule looks at a ``Subject`` (a project, a version or one file, at one of four moments) and
the ``Facts`` at hand, and says nothing (no opinion) or gives a ``Decision``: allow, deny, or
quarantine until a time, with its rule id, a reason a person can read and what to do next.
Rules never do I/O: whatever they need (the clock, vulnerability records, the names to
compare with, the format's version order) arrives in ``Facts``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from wharf.core.models import Waiver

if TYPE_CHECKING:
    from wharf.policy.advisories import Advisory


class Moment(StrEnum):
    """When a rule runs."""

    PUBLISH = "publish"
    """An upload to a hosted index."""
    INGEST = "ingest"
    """A proxy about to fetch something from upstream that it has not seen."""
    LISTING = "listing"
    """A page, packument or JSON document about to list the version."""
    DOWNLOAD = "download"
    """A file about to be sent (a lockfile install never reads the listing)."""


class Verdict(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    QUARANTINE = "quarantine"


class Mode(StrEnum):
    """How a configured rule acts: ``warn`` logs and audits the would-be decision and
    serves anyway; ``off`` does not run the rule at all."""

    ENFORCE = "enforce"
    WARN = "warn"
    OFF = "off"


class Subject(NamedTuple):
    """What is being decided on. ``version`` is None for a decision about a whole name
    (the first fetch of an upstream name, a requirement without a pin).

    A named tuple: a page's screening makes one per file it judges (tens of thousands for
    a big project), and a named tuple is built in a fifth of a frozen dataclass's time."""

    format: str
    source: str
    """The index the name, version or file comes from (a group's member, not the group)."""
    name: str
    """Normalised in the format's own way."""
    moment: Moment
    version: str | None = None
    filename: str | None = None
    size: int | None = None
    published_at: datetime | None = None
    """When the version was published where it comes from: the upstream's own publish time
    (PEP 700 ``upload-time``, the npm ``time`` map) for proxied versions, never when Wharf
    first saw it; the upload time for the team's own uploads. None when unknown."""
    upstream: bool = False
    """True for what comes from an upstream registry, False for the team's own uploads."""
    licence: str | None = None
    actor: str | None = None
    yanked: bool = False
    """The file is yanked where it comes from (PEP 592)."""
    withdrawn: bool = False
    """Upstream no longer offers the cached file, and no administrator pinned it."""
    quarantined: bool = False
    """The project is quarantined where it comes from (PEP 792)."""
    versions: tuple[str, ...] = ()
    """Every version of the name known at the time, oldest first where the order is known
    (the fast lane asks which version first delivered a fix)."""


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    rule: str
    reason: str
    hint: str = ""
    until: datetime | None = None
    """For a quarantine: when the subject stops being held (None: until someone acts)."""
    mode: Mode = Mode.ENFORCE

    @property
    def blocks(self) -> bool:
        """True when the subject must be hidden or refused now."""
        return self.verdict is not Verdict.ALLOW and self.mode is Mode.ENFORCE

    @property
    def warns(self) -> bool:
        """True for a refusal that a rule in ``warn`` mode would have made."""
        return self.verdict is not Verdict.ALLOW and self.mode is Mode.WARN


ALLOWED = Decision(Verdict.ALLOW, "", "")


def allow_command(
    fmt: str, name: str, version: str | None, rule: str, *, lasting: str = ""
) -> str:
    """The ``wharf policy allow`` command that lets ``name`` (at ``version``, or every
    version) through ``rule``: what a refusal's hint tells an administrator to run."""
    separator = "==" if fmt == "python" else "@"
    spec = f"{name}{separator}{version}" if version else name
    extra = f" {lasting}" if lasting else ""
    return f"wharf policy allow {fmt} '{spec}' --rule {rule}{extra} --reason '...'"


class VersionScheme(Protocol):
    """A format's version order and range syntax, so rules stay format-neutral."""

    def key(self, version: str) -> Any:
        """A sort key ordering versions oldest to newest (total: odd strings sort first)."""
        ...

    def stable(self, version: str) -> bool:
        """True for a final release (not a pre-release, not an unreadable string)."""
        ...

    def in_range(self, version: str, spec: str) -> bool:
        """True when ``version`` satisfies ``spec`` (PEP 440 specifiers for Python, a semver
        range for npm). False for a version the scheme cannot read."""
        ...

    def valid_range(self, spec: str) -> str | None:
        """None when ``spec`` is a range this scheme reads, else what is wrong with it."""
        ...


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything a rule may consult besides the subject."""

    now: datetime
    scheme: VersionScheme
    advisories: Sequence[Advisory] = ()
    """The vulnerability and malware records of the subject's name."""
    waivers: Sequence[Waiver] = ()
    """Break-glass exceptions for the subject's name."""
    private_names: frozenset[str] = frozenset()
    """Names the team hosts itself (normalised), for the lookalike check."""


class Rule(Protocol):
    """One configured rule."""

    @property
    def id(self) -> str: ...

    @property
    def mode(self) -> Mode: ...

    @property
    def reads_file(self) -> bool:
        """True when the rule looks at what differs between the files of one version: the
        file's name, size, publish time, yanked or withdrawn state, or the moment. A rule
        that does not decides a file as it decides the file's version, so screening a page
        judges each file with these rules only (``RuleSet.judge_file``)."""
        ...

    def decide(self, subject: Subject, facts: Facts) -> Decision | None:
        """A decision, or None when the rule has nothing to say about ``subject``."""
        ...
