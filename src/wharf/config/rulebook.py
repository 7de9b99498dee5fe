"""From ``[policy]`` settings to the rules in force for what an index serves.

Settings apply to every index; an ``[[policy.overrides]]`` entry changes some of them for
the indexes it names. A version is judged by the rules of the index it comes from, with
those of the group it is read through on top (so a group inherits its members' rules and
can tighten or relax them for itself).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TypeVar

from pydantic import BaseModel

from wharf.config.policy import PackageRuleSettings, PolicySettings, duration_seconds
from wharf.policy.cooldown import CooldownRule
from wharf.policy.decisions import Mode, Rule
from wharf.policy.engine import RuleSet
from wharf.policy.limits import LicenceRule, SizeRule
from wharf.policy.lists import ALLOW, ALLOWLIST, DENY, PackageListRule
from wharf.policy.typosquat import TyposquatRule, popular_lookalikes
from wharf.policy.upstream_state import UpstreamStateRule
from wharf.policy.vulnerable import MalwareRule, VulnerabilityRule

SectionT = TypeVar("SectionT", bound=BaseModel)


class PopularNames(Mapping[str, frozenset[str]]):
    """Each format's popular names, loaded the first time a rule asks (they are only needed
    when an upstream name is judged for the first time)."""

    def __init__(self, loaders: Mapping[str, Callable[[], frozenset[str]]]) -> None:
        self._loaders = loaders

    def __getitem__(self, fmt: str) -> frozenset[str]:
        loader = self._loaders.get(fmt)
        return loader() if loader is not None else frozenset()

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaders)

    def __len__(self) -> int:
        return len(self._loaders)


class RuleBook:
    def __init__(
        self,
        settings: PolicySettings,
        popular: Mapping[str, frozenset[str]],
        prominent: Mapping[str, frozenset[str]] | None = None,
    ) -> None:
        self.settings = settings
        self._popular = popular
        self._prominent = prominent
        self.fingerprint = hashlib.sha256(
            settings.model_dump_json().encode()).hexdigest()[:16]
        self.rules_for = cache(self._build)

    def prepare(self) -> None:
        """Build the popular-name index of every format now (blocking, about 0.25 s each):
        a worker does it as it starts, not on the first upstream name a client asks for.
        Nothing is built when the typosquat rule is off everywhere."""
        p = self.settings
        modes = {p.typosquat.mode} | {o.typosquat.mode for o in p.overrides
                                      if o.typosquat is not None and "mode" in
                                      o.typosquat.model_fields_set}
        if modes == {Mode.OFF.value}:
            return
        for fmt in self._popular:
            popular = self._popular[fmt]
            if popular:
                prominent = self._prominent.get(fmt) if self._prominent is not None else None
                popular_lookalikes(popular, prominent)

    @property
    def confusion(self) -> Mode:
        return Mode(self.settings.confusion.mode)

    def withdrawals_for(self, index: str) -> Mode:
        return Mode(self._merged(self.settings.withdrawals, "withdrawals", (index,)).mode)

    def _merged(self, section: SectionT, name: str, chain: tuple[str, ...]) -> SectionT:
        """Section ``name`` for what comes from ``chain[0]`` read through the rest of
        ``chain``: the defaults, then each override naming one of them, in order."""
        for index in chain:
            for override in self.settings.overrides:
                changed = getattr(override, name)
                if index in override.indexes and changed is not None:
                    section = section.model_copy(update=changed.model_dump(exclude_unset=True))
        return section

    def _build(self, chain: tuple[str, ...]) -> RuleSet:
        p = self.settings
        cooldown = self._merged(p.cooldown, "cooldown", chain)
        typo = self._merged(p.typosquat, "typosquat", chain)
        vulns = self._merged(p.vulnerabilities, "vulnerabilities", chain)
        size = self._merged(p.size, "size", chain)
        licences = self._merged(p.licences, "licences", chain)
        withdrawals = self._merged(p.withdrawals, "withdrawals", chain)
        entries = [self._entry(n, e) for n, e in enumerate(p.rules)
                   if not e.indexes or any(i in e.indexes for i in chain)]
        entries = [e for e in entries if e.mode is not Mode.OFF]
        rules: list[Rule] = [e for e in entries if e.action == DENY]
        rules += [
            MalwareRule(Mode(vulns.malware)),
            UpstreamStateRule(Mode(withdrawals.mode)),
            TyposquatRule(self._popular, typo.allow, Mode(typo.mode), prominent=self._prominent),
            VulnerabilityRule(Mode(vulns.mode), vulns.severity),
        ]
        if size.max_bytes:
            rules.append(SizeRule(size.max_bytes, Mode(size.mode)))
        if licences.allow or licences.deny:
            rules.append(LicenceRule(licences.allow, licences.deny,
                                     licences.unknown == "deny", Mode(licences.mode)))
        rules.append(CooldownRule(
            timedelta(seconds=duration_seconds(cooldown.min_age)),
            Mode(cooldown.mode),
            uploads=cooldown.uploads,
            deny_unknown=cooldown.unknown_time == "deny",
            exempt=cooldown.exempt,
            fast_lane=cooldown.fast_lane,
            freeze_after=_utc(cooldown.freeze_after),
        ))
        return RuleSet(
            rules=tuple(r for r in rules if r.mode is not Mode.OFF),
            allows=tuple(e for e in entries if e.action == ALLOW),
            allowlist=tuple(e for e in entries if e.action == ALLOWLIST),
            fingerprint=self.fingerprint,
        )

    @staticmethod
    def _entry(position: int, entry: PackageRuleSettings) -> PackageListRule:
        return PackageListRule(
            id=entry.id or f"{entry.action}-{position + 1}",
            action=entry.action,
            packages=entry.packages,
            versions=entry.versions,
            format=entry.format,
            mode=Mode(entry.mode),
            reason=entry.reason,
        )


def _utc(value: datetime | None) -> datetime | None:
    """A naive time from the configuration is taken as UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
