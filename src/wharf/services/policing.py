"""Applying the policy at its four moments (DESIGN.md section 7).

- **listing**: ``screen`` judges every version and file of a page once per page version;
  what is refused is left out (npm's ``latest`` moves to the newest allowed version), and
  the page expires when the first held-back version comes of age;
- **download**: the same screening records, per file, the refusal to give; a download
  looks it up (``ReadService`` keeps the verdicts with the page's change token), so a
  lockfile install that never reads the listing is still stopped;
- **ingest**: ``admit`` judges an upstream name before the proxy first asks upstream for it;
- **publish**: ``check_publish`` judges an upload before anything is stored.

Rules in ``warn`` mode are logged and audited but do not block; every refusal of a
download, an upload or a name is audited.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from wharf.core.errors import PolicyDeniedError, QuarantinedError
from wharf.core.models import (
    FileEntry,
    Index,
    IndexKind,
    Principal,
    ProjectPage,
    ProjectStatus,
    Waiver,
)
from wharf.core.ports import ChangeStamps, Clock, MetadataStore
from wharf.formats.base import Format
from wharf.policy.advisories import Advisory
from wharf.policy.decisions import Decision, Facts, Moment, Subject, Verdict
from wharf.policy.engine import PASSED, Judgement, RuleSet, RuleSource
from wharf.services.auditing import AuditService, Client
from wharf.services.indexes import IndexService
from wharf.services.stamping import INDEXES, POLICY, index_key

log = logging.getLogger("wharf.policy")
CACHED_NAMES = 4096
SYSTEM = Principal()


@dataclass(frozen=True, slots=True)
class Screening:
    """What the policy made of one page."""

    page: ProjectPage
    """What may be listed."""
    expires_at: datetime | None = None
    """When a held-back version comes of age (the page must be screened again)."""
    refusals: Mapping[str, Judgement] = field(default_factory=dict)
    """Per filename, the refusal a download of it gets."""
    hidden: Mapping[str, Decision] = field(default_factory=dict)
    """Per version left out of the listing, why."""
    warnings: tuple[Decision, ...] = ()


def refusal(judgement: Judgement) -> PolicyDeniedError:
    """The error a refused subject answers with: the rule, the reason, what to do."""
    decision = judgement.decision
    message = f"Refused by policy rule '{decision.rule}': {decision.reason}"
    if decision.verdict is Verdict.QUARANTINE:
        return QuarantinedError(message, rule=decision.rule, until=decision.until,
                                hint=decision.hint)
    return PolicyDeniedError(message, rule=decision.rule, hint=decision.hint)


class PolicyService:
    def __init__(
        self,
        book: RuleSource,
        store: MetadataStore,
        stamps: ChangeStamps,
        clock: Clock,
        formats: Mapping[str, Format],
        indexes: IndexService,
        audit: AuditService,
    ) -> None:
        self.book = book
        self._store = store
        self._stamps = stamps
        self._clock = clock
        self._formats = formats
        self._indexes = indexes
        self._audit = audit
        self._advisories: OrderedDict[tuple[str, str], tuple[int, list[Advisory]]] = (
            OrderedDict())
        self._waivers: tuple[int, list[Waiver]] | None = None
        self._private: dict[str, tuple[tuple[int, ...], frozenset[str]]] = {}

    def token(self) -> tuple[str, int]:
        """Changes whenever any decision may change (settings, waivers, vulnerability data)."""
        return (self.book.fingerprint, self._stamps.stamp(POLICY))

    def changed(self) -> None:
        """Record that waivers or vulnerability data changed (every worker re-screens)."""
        self._stamps.bump(POLICY)

    # -- the facts -------------------------------------------------------------------------

    async def facts(self, fmt: str, name: str, *, upstream: bool) -> Facts:
        return Facts(
            now=self._clock.now(),
            scheme=self._formats[fmt].versions,
            advisories=await self._advisories_of(fmt, name),
            waivers=[w for w in await self.waivers() if w.format == fmt and w.name == name],
            private_names=await self._private_names(fmt) if upstream else frozenset(),
        )

    async def waivers(self) -> list[Waiver]:
        stamp = self._stamps.stamp(POLICY)
        if self._waivers is None or self._waivers[0] != stamp:
            self._waivers = (stamp, await self._store.list_waivers())
        return self._waivers[1]

    async def _advisories_of(self, fmt: str, name: str) -> list[Advisory]:
        stamp = self._stamps.stamp(POLICY)
        key = (fmt, name)
        held = self._advisories.get(key)
        if held is not None and held[0] == stamp:
            self._advisories.move_to_end(key)
            return held[1]
        found = (await self._store.advisories_for(fmt, [name])).get(name, [])
        self._advisories[key] = (stamp, found)
        if len(self._advisories) > CACHED_NAMES:
            self._advisories.popitem(last=False)
        return found

    async def _private_names(self, fmt: str) -> frozenset[str]:
        """The names the team hosts in any index of the format (lookalikes of them from
        upstream are refused)."""
        hosted = [i for i in await self._indexes.list_all()
                  if i.format == fmt and i.kind is IndexKind.HOSTED]
        token = (self._stamps.stamp(INDEXES),
                 *(self._stamps.stamp(index_key(i.name)) for i in hosted))
        held = self._private.get(fmt)
        if held is not None and held[0] == token:
            return held[1]
        names: set[str] = set()
        for index in hosted:
            names.update(p.name for p in await self._store.list_projects(index.name))
        self._private[fmt] = (token, frozenset(names))
        return self._private[fmt][1]

    # -- the four moments ------------------------------------------------------------------

    async def admit(self, index: Index, project: str) -> None:
        """Ingest: may the proxy ``index`` ask upstream for ``project`` for the first time?"""
        subject = Subject(index.format, index.name, project, Moment.INGEST, upstream=True)
        judgement = self.book.rules_for((index.name,)).judge(
            subject, await self.facts(index.format, project, upstream=True))
        await self._settle(judgement, subject, SYSTEM, None)

    async def check_publish(
        self, index: Index, project: str, version: str, filename: str, size: int,
        metadata: Mapping[str, object], principal: Principal, client: Client,
    ) -> None:
        fmt = self._formats[index.format]
        subject = Subject(
            index.format, index.name, project, Moment.PUBLISH, version=version,
            filename=filename, size=size, published_at=self._clock.now(),
            licence=fmt.licence_of(metadata), actor=principal.user,
        )
        judgement = self.book.rules_for((index.name,)).judge(
            subject, await self.facts(index.format, project, upstream=False))
        await self._settle(judgement, subject, principal, client)

    async def check_download(
        self, judgement: Judgement | None, index: Index, project: str, filename: str,
        principal: Principal, client: Client | None,
    ) -> None:
        """Refuse a download the screening refused (audited); note warnings."""
        if judgement is None or judgement is PASSED:
            return
        subject = Subject(index.format, index.name, project, Moment.DOWNLOAD,
                          filename=filename)
        await self._settle(judgement, subject, principal, client)

    async def check_size(
        self, index: Index, project: str, filename: str, size: int,
        principal: Principal, client: Client | None,
    ) -> None:
        """Judge a file whose size only became known when it was opened (npm listings give
        no tarball size; upstream says it when the download starts)."""
        subject = Subject(index.format, index.name, project, Moment.DOWNLOAD,
                          filename=filename, size=size)
        judgement = self.book.rules_for((index.name,)).judge(
            subject, await self.facts(index.format, project, upstream=False))
        await self._settle(judgement, subject, principal, client)

    async def _settle(
        self, judgement: Judgement, subject: Subject, principal: Principal,
        client: Client | None,
    ) -> None:
        for warning in judgement.warnings:
            log.warning("policy would refuse %s %s (%s, warn mode): %s", subject.name,
                        subject.version or "", warning.rule, warning.reason)
            await self._note("policy.warn", warning, subject, principal, client)
        for waived in judgement.waived:
            await self._note("policy.waived", waived, subject, principal, client)
        if judgement.blocks:
            await self._note("policy.deny", judgement.decision, subject, principal, client)
            raise refusal(judgement)

    async def _note(
        self, action: str, decision: Decision, subject: Subject, principal: Principal,
        client: Client | None,
    ) -> None:
        await self._audit.note(self._audit.event(
            action, principal, client, index=subject.source, project=subject.name,
            version=subject.version, filename=subject.filename, rule=decision.rule,
            reason=decision.reason, moment=subject.moment.value,
        ))

    # -- listings --------------------------------------------------------------------------

    async def screen(self, index: Index, page: ProjectPage) -> Screening:
        """``page`` as the policy lets ``index`` list it, and the download refusals."""
        fmt = self._formats[index.format]
        sources = await self._sources(index, page)
        upstream = any(i.kind is IndexKind.PROXY for i in sources.values())
        facts = await self.facts(index.format, page.name, upstream=upstream)
        by_version: dict[str, list[FileEntry]] = {}
        for entry in page.files:
            by_version.setdefault(entry.version, []).append(entry)
        listed = dict.fromkeys((*page.versions, *by_version))  # HTML pages list no versions
        ordered = tuple(sorted(listed, key=fmt.versions.key))
        screener = _Screener(self.book, fmt, index, page, sources, facts, ordered)
        for version in listed:
            screener.judge_version(version, by_version.get(version, []))
        screening = screener.result()
        if screening.hidden or screening.warnings:
            await self._report(index, page.name, screening)
        return screening

    async def _sources(self, index: Index, page: ProjectPage) -> dict[str, Index]:
        names = {entry.source or index.name for entry in page.files} | {index.name}
        found: dict[str, Index] = {}
        for name in names:
            member = index if name == index.name else await self._indexes.find(name)
            if member is not None:
                found[name] = member
        return found

    async def _report(self, index: Index, project: str, screening: Screening) -> None:
        hidden = dict(list(screening.hidden.items())[:100])
        if hidden:
            await self._audit.note(self._audit.event(
                "policy.hide", SYSTEM, None, index=index.name, project=project,
                hidden={v: d.rule for v, d in hidden.items()}, count=len(screening.hidden),
            ))
        for warning in screening.warnings[:20]:
            log.warning("policy would hide %s in %s (%s, warn mode): %s", project,
                        index.name, warning.rule, warning.reason)
        if screening.warnings:
            await self._audit.note(self._audit.event(
                "policy.warn", SYSTEM, None, index=index.name, project=project,
                moment=Moment.LISTING.value,
                warnings=[{"rule": w.rule, "reason": w.reason} for w in screening.warnings[:50]],
            ))


class _Screener:
    """One page's screening, version by version."""

    def __init__(
        self, book: RuleSource, fmt: Format, index: Index, page: ProjectPage,
        sources: Mapping[str, Index], facts: Facts, ordered: tuple[str, ...],
    ) -> None:
        self._book = book
        self._index = index
        self._page = page
        self._sources = sources
        self._facts = facts
        self._ordered = ordered
        self._fmt = fmt
        self.kept_files: list[FileEntry] = []
        self.hidden: dict[str, Decision] = {}
        self.refusals: dict[str, Judgement] = {}
        self.warnings: list[Decision] = []
        self.expires_at: datetime | None = None

    def _rules(self, source: str) -> RuleSet:
        """The rules for what comes from ``source`` (the book keeps each chain's)."""
        chain = (source,) if source == self._index.name else (source, self._index.name)
        return self._book.rules_for(chain)

    def _version_subject(self, version: str, source: str, files: Sequence[FileEntry]) -> Subject:
        """The listing subject of a version; its files' subjects differ only in their own
        fields (``_file_subject``)."""
        member = self._sources.get(source, self._index)
        upstream = member.kind is IndexKind.PROXY
        times = [e.uploaded_at for e in files if e.uploaded_at is not None]
        metadata = self._page.release_metadata.get(version) or {}
        return Subject(
            format=self._index.format, source=source, name=self._page.name,
            moment=Moment.LISTING, version=version, published_at=min(times) if times else None,
            upstream=upstream, licence=self._fmt.licence_of(metadata),
            quarantined=upstream and self._page.status is ProjectStatus.QUARANTINED,
            versions=self._ordered,
        )

    def _file_subject(self, listing: Subject, entry: FileEntry, moment: Moment) -> Subject:
        source = entry.source or self._index.name
        upstream = self._sources.get(source, self._index).kind is IndexKind.PROXY
        # By position, in Subject's field order: one per file of every version listed.
        return Subject(
            listing.format, source, listing.name, moment, listing.version, entry.filename,
            entry.size, entry.uploaded_at or listing.published_at, upstream, listing.licence,
            None, entry.yanked is not None, False,
            upstream and self._page.status is ProjectStatus.QUARANTINED, listing.versions,
        )

    def _judge(self, subject: Subject) -> Judgement:
        return self._noted(self._rules(subject.source).judge(subject, self._facts))

    def _judge_file(self, subject: Subject) -> Judgement:
        return self._noted(self._rules(subject.source).judge_file(subject, self._facts))

    def _noted(self, judgement: Judgement) -> Judgement:
        if judgement is PASSED:
            return judgement
        self.warnings.extend(judgement.warnings)
        decision = judgement.decision
        if decision.blocks and decision.until is not None:
            self.expires_at = (decision.until if self.expires_at is None
                               else min(self.expires_at, decision.until))
        return judgement

    def judge_version(self, version: str, files: list[FileEntry]) -> None:
        source = files[0].source if files and files[0].source else self._index.name
        subject = self._version_subject(version, source, files)
        listed = self._judge(subject)
        if listed.blocks:
            self.hidden[version] = listed.decision
            for entry in files:
                self.refusals[entry.filename] = listed
            return
        if not self._rules(source).file_rules and all(
                (e.source or self._index.name) == source for e in files):
            self.kept_files.extend(files)  # no rule tells one file of a version from another
            return
        kept = []
        for entry in files:
            # A file from another member than its version's first file (a group that trusts
            # upstream for a hosted name) was not judged with that member's rules yet.
            judge = (self._judge_file if (entry.source or self._index.name) == source
                     else self._judge)
            fetched = judge(self._file_subject(subject, entry, Moment.DOWNLOAD))
            if not fetched.blocks:
                kept.append(entry)
                continue
            self.refusals[entry.filename] = fetched
            shown = judge(self._file_subject(subject, entry, Moment.LISTING))
            if not shown.blocks:
                kept.append(entry)
        if files and not kept:
            self.hidden[version] = self.refusals[files[0].filename].decision
            return
        self.kept_files.extend(kept)

    def result(self) -> Screening:
        page = self._page
        if not self.hidden and len(self.kept_files) == len(page.files):
            return Screening(page, self.expires_at, self.refusals, {}, tuple(self.warnings))
        versions = tuple(v for v in page.versions if v not in self.hidden)
        page = replace(
            page,
            files=tuple(self.kept_files),
            versions=versions,
            release_metadata={v: m for v, m in page.release_metadata.items()
                              if v not in self.hidden},
            tags=retag(page.tags, versions, self._fmt),
        )
        return Screening(page, self.expires_at, self.refusals, self.hidden,
                         tuple(self.warnings))


def retag(tags: Mapping[str, str], allowed: Iterable[str], fmt: Format) -> dict[str, str]:
    """Tags moved off versions the listing leaves out: ``latest`` to the newest allowed
    stable version (the newest of any when none is stable), other tags dropped."""
    kept = set(allowed)
    result = {tag: version for tag, version in tags.items() if version in kept}
    if "latest" in tags and "latest" not in result and kept:
        scheme = fmt.versions
        stable = [v for v in kept if scheme.stable(v)]
        result["latest"] = max(stable or kept, key=scheme.key)
    return result
