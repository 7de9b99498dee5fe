"""Running an index's rules over one subject.

The rules run in order; an ``allow`` entry that covers the subject ends the run at once
(an explicit decision beats every automatic one); a waiver for the subject silences the
rules it names; the first decision that blocks wins. Decisions of rules in ``warn`` mode
are collected, so the caller can log and audit them while serving the subject anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from wharf.policy.decisions import ALLOWED, Decision, Facts, Mode, Rule, Subject, Verdict
from wharf.policy.lists import PackageListRule, allowlisted, outside_allowlist


@dataclass(frozen=True, slots=True)
class Judgement:
    decision: Decision
    """The blocking decision, or ``ALLOWED``."""
    warnings: tuple[Decision, ...] = ()
    """What rules in ``warn`` mode would have refused."""
    waived: tuple[Decision, ...] = ()
    """What a waiver let through."""

    @property
    def blocks(self) -> bool:
        return self.decision.blocks


PASSED = Judgement(ALLOWED)


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The rules in force for what one index serves (its own settings, a group's on top)."""

    rules: tuple[Rule, ...]
    allows: tuple[PackageListRule, ...] = ()
    allowlist: tuple[PackageListRule, ...] = ()
    fingerprint: str = ""
    """Changes whenever the rules do: part of every cached page's key."""
    file_rules: tuple[Rule, ...] = field(init=False, repr=False, compare=False)
    """The rules that read what differs between the files of one version."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "file_rules", tuple(r for r in self.rules if r.reads_file))

    def judge(self, subject: Subject, facts: Facts) -> Judgement:
        if any(entry.covers(subject, facts) for entry in self.allows):
            return PASSED
        warnings: list[Decision] = []
        waived: list[Decision] = []
        if self.allowlist and not allowlisted(subject, facts, self.allowlist):
            verdict = self._settle(outside_allowlist(subject, self.allowlist), subject,
                                   facts, warnings, waived)
            if verdict is not None:
                return Judgement(verdict, tuple(warnings), tuple(waived))
        return self._run(self.rules, subject, facts, warnings, waived)

    def judge_file(self, subject: Subject, facts: Facts) -> Judgement:
        """``judge`` for a file whose version ``judge`` let through: the other rules (and
        the allow list) decide a file as they decided its version, so only the rules that
        read the file's own fields are run."""
        if not self.file_rules or any(entry.covers(subject, facts) for entry in self.allows):
            return PASSED
        return self._run(self.file_rules, subject, facts, [], [])

    def _run(
        self, rules: tuple[Rule, ...], subject: Subject, facts: Facts,
        warnings: list[Decision], waived: list[Decision],
    ) -> Judgement:
        """The first blocking decision of ``rules`` (after waivers), with what warned or
        was waived on the way."""
        for rule in rules:
            decision = rule.decide(subject, facts)
            if decision is None or decision.verdict is Verdict.ALLOW:
                continue
            verdict = self._settle(decision, subject, facts, warnings, waived)
            if verdict is not None:
                return Judgement(verdict, tuple(warnings), tuple(waived))
        return Judgement(ALLOWED, tuple(warnings), tuple(waived)) if (
            warnings or waived) else PASSED

    @staticmethod
    def _settle(
        decision: Decision, subject: Subject, facts: Facts,
        warnings: list[Decision], waived: list[Decision],
    ) -> Decision | None:
        """The decision if it blocks; else None, after noting it as a warning or waived."""
        if any(w.covers(subject.format, subject.name, subject.version, decision.rule, facts.now)
               for w in facts.waivers):
            waived.append(decision)
            return None
        if decision.blocks:
            return decision
        if decision.warns:
            warnings.append(decision)
        return None


class RuleSource(Protocol):
    """Where the rules in force come from (the composition root builds it from the
    settings)."""

    @property
    def fingerprint(self) -> str:
        """Changes whenever the configured rules do."""
        ...

    @property
    def confusion(self) -> Mode: ...

    def prepare(self) -> None:
        """Build what the rules look names up in (blocking), before the first request."""
        ...

    def rules_for(self, chain: tuple[str, ...]) -> RuleSet:
        """The rules for what ``chain[0]`` serves when read through the rest of ``chain``
        (a group)."""
        ...

    def withdrawals_for(self, index: str) -> Mode: ...
