"""Minimum release age: a fresh version waits before anyone installs it.

Most malicious releases are found and taken down within days, so holding new versions back
for a while keeps them out (8 of 10 high-profile attacks in 2025 were live under a week).
The age counts from when the version was published where it comes from (the upstream's
``upload-time`` or ``time`` map), never from when Wharf first saw it: a version first
fetched a month after its release is a month old. A freeze holds back everything published
after a date (incident response), and the fast lane lets through at once the version that
first ships a fix for a known vulnerability of an older one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

from wharf.policy.advisories import delivering_fix
from wharf.policy.decisions import Decision, Facts, Mode, Subject, Verdict, allow_command
from wharf.policy.lists import matches_name

RULE_ID = "cooldown"
FREEZE_ID = "freeze"


def waiver_command(subject: Subject, rule: str) -> str:
    return allow_command(subject.format, subject.name, subject.version, rule)


@dataclass(frozen=True, slots=True)
class CooldownRule:
    min_age: timedelta
    mode: Mode = Mode.ENFORCE
    uploads: bool = False
    deny_unknown: bool = False
    exempt: tuple[str, ...] = ()
    fast_lane: bool = True
    freeze_after: datetime | None = None
    id: str = RULE_ID
    reads_file: ClassVar[bool] = True

    def decide(self, subject: Subject, facts: Facts) -> Decision | None:
        if subject.version is None or (not subject.upstream and not self.uploads):
            return None
        if matches_name(subject.name, self.exempt):
            return None
        published = subject.published_at
        if published is None:
            if not self.deny_unknown:
                return None
            return Decision(
                Verdict.DENY, self.id,
                f"{subject.name} {subject.version} has no trustworthy publish time, and "
                "versions of unknown age are refused (policy.cooldown.unknown_time = deny).",
                hint=f"Let it through with: {waiver_command(subject, self.id)}",
                mode=self.mode,
            )
        if self.freeze_after is not None and published > self.freeze_after:
            return Decision(
                Verdict.DENY, FREEZE_ID,
                f"{subject.name} {subject.version} was published "
                f"{published.isoformat(timespec='minutes')}, after the freeze of "
                f"{self.freeze_after.isoformat(timespec='minutes')} "
                "(policy.cooldown.freeze_after).",
                hint="Use an older version, or let this one through with: "
                f"{waiver_command(subject, FREEZE_ID)}",
                mode=self.mode,
            )
        ready = published + self.min_age
        if ready <= facts.now:
            return None
        if self.fast_lane and delivering_fix(
            subject.version, facts.advisories, subject.versions, facts.scheme
        ) is not None:
            return None
        return Decision(
            Verdict.QUARANTINE, self.id,
            f"{subject.name} {subject.version} was published "
            f"{published.isoformat(timespec='minutes')}; versions younger than "
            f"{describe(self.min_age)} are held back until "
            f"{ready.isoformat(timespec='minutes')} (policy.cooldown.min_age).",
            hint="Use an older version, wait, or let it through now with: "
            f"{waiver_command(subject, self.id)}",
            until=ready,
            mode=self.mode,
        )


def describe(age: timedelta) -> str:
    """``1 day``, ``36 hours``, ``90 minutes``, ``45 seconds``."""
    seconds = int(age.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"
