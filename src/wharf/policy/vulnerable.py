"""Known-vulnerable and malicious versions (DESIGN.md section 7), from imported OSV data.

Two rules, because they deserve different defaults: a vulnerable version may be what a team
runs today and is usually warned about, while a package reported as malicious must never be
installed. Both read ``Facts.advisories``, which the caller limits to the subject's name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from wharf.policy.advisories import (
    SEVERITIES,
    Advisory,
    affects,
    affects_every_version,
    fixes_after,
    severity_rank,
)
from wharf.policy.decisions import Decision, Facts, Mode, Rule, Subject, Verdict, allow_command

VULNERABILITY = "vulnerability"
MALWARE = "malware"
_NAMED = 3
"""Advisory ids named in a reason before the rest are counted."""


@dataclass(frozen=True, slots=True)
class VulnerabilityRule:
    """Denies a version affected by a vulnerability of ``severity`` or worse (a record of
    unknown severity counts: it may be anything)."""

    mode: Mode
    severity: str

    reads_file: ClassVar[bool] = False

    @property
    def id(self) -> str:
        return VULNERABILITY

    def decide(self, subject: Subject, facts: Facts) -> Decision | None:
        version = subject.version
        if version is None:
            return None
        floor = severity_rank(self.severity)
        found = [
            advisory
            for advisory in facts.advisories
            if not advisory.malware
            and (advisory.severity == "" or severity_rank(advisory.severity) >= floor)
            and affects(advisory, version, facts.scheme)
        ]
        if not found:
            return None
        fixes = fixes_after(found, version, facts.scheme)
        worst = _worst(found)
        known = "a known vulnerability" if len(found) == 1 else "known vulnerabilities"
        reason = f"{subject.name} {version} has {known} ({worst}): {_summary(found)}"
        if fixes:
            reason += f"; fixed in {', '.join(fixes)}"
        upgrade = (
            f"Upgrade to a fixed version ({fixes[0]} or later)"
            if fixes
            else "No fixed version is known yet: remove or replace the dependency"
        )
        waive = allow_command(subject.format, subject.name, version, VULNERABILITY,
                              lasting="--until DATE")
        hint = f"{upgrade}, or waive the rule for this version: {waive}"
        return Decision(Verdict.DENY, VULNERABILITY, reason + ".", hint, mode=self.mode)


@dataclass(frozen=True, slots=True)
class MalwareRule:
    """Denies a version reported as malicious; for a whole name (no version), denies it
    only when a report covers every version."""

    mode: Mode

    reads_file: ClassVar[bool] = False

    @property
    def id(self) -> str:
        return MALWARE

    def decide(self, subject: Subject, facts: Facts) -> Decision | None:
        version = subject.version
        reports = [advisory for advisory in facts.advisories if advisory.malware]
        if version is None:
            found = [advisory for advisory in reports if affects_every_version(advisory)]
            what = f"{subject.name} (every version)"
        else:
            found = [advisory for advisory in reports if affects(advisory, version, facts.scheme)]
            what = f"{subject.name} {version}"
        if not found:
            return None
        reason = f"{what} is reported as malicious: {_summary(found)}."
        waive = allow_command(subject.format, subject.name, version, MALWARE,
                              lasting="--until DATE")
        hint = (
            "Remove it from your dependencies and treat any machine that installed it as "
            f"compromised. If the report is wrong, an administrator can waive it: {waive}"
        )
        return Decision(Verdict.DENY, MALWARE, reason, hint, mode=self.mode)


def _summary(found: Sequence[Advisory]) -> str:
    """The ids (the first few, then how many more) and the first record's summary."""
    ids = ", ".join(advisory.id for advisory in found[:_NAMED])
    if len(found) > _NAMED:
        ids += f" and {len(found) - _NAMED} more"
    first = found[0].summary.strip().rstrip(".")
    return f"{ids} ({first})" if first else ids


def _worst(found: Sequence[Advisory]) -> str:
    """The highest severity among the records, in words."""
    rank = max(severity_rank(advisory.severity) for advisory in found)
    return "unknown severity" if rank < 0 else f"{SEVERITIES[rank]} severity"


if TYPE_CHECKING:

    def _implement_the_protocol(mode: Mode) -> tuple[Rule, Rule]:
        return VulnerabilityRule(mode, "high"), MalwareRule(mode)  # mypy checks both
