"""Allow and deny entries by name pattern and version range (``[[policy.rules]]``).

``deny`` refuses what matches. ``allow`` lets what matches through every other rule (an
explicit decision by whoever wrote the configuration beats any automatic one). An
``allowlist`` entry turns its indexes into allow-list mode: what matches no allowlist entry
is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import ClassVar

from wharf.policy.decisions import Decision, Facts, Mode, Subject, Verdict

DENY = "deny"
ALLOW = "allow"
ALLOWLIST = "allowlist"


def matches_name(name: str, patterns: tuple[str, ...]) -> bool:
    """True when a normalised name matches a glob; ``@corp/*`` covers a scope, and a
    pattern without a scope never matches a scoped name by accident of ``*``."""
    for pattern in patterns:
        if name.startswith("@") != pattern.startswith("@") and pattern not in ("*", "**"):
            continue
        if fnmatchcase(name, pattern.replace("**", "*")):
            return True
    return False


@dataclass(frozen=True, slots=True)
class PackageListRule:
    """One ``[[policy.rules]]`` entry, already limited to the indexes it applies to."""

    id: str
    action: str
    packages: tuple[str, ...]
    versions: str = ""
    format: str = ""
    mode: Mode = Mode.ENFORCE
    reason: str = ""
    reads_file: ClassVar[bool] = False

    def covers(self, subject: Subject, facts: Facts) -> bool:
        """True when the entry's format, names and (for a versioned subject) range match.
        A name-only subject matches a ranged entry only for an allowlist (it may still
        have allowed versions)."""
        if self.format and self.format != subject.format:
            return False
        if not matches_name(subject.name, self.packages):
            return False
        if not self.versions:
            return True
        if subject.version is None:
            return self.action == ALLOWLIST
        return facts.scheme.in_range(subject.version, self.versions)

    def decide(self, subject: Subject, facts: Facts) -> Decision | None:
        if self.action != DENY or not self.covers(subject, facts):
            return None
        if subject.version is None and self.versions:
            return None  # only some versions are refused; the name itself is fine
        what = f"{subject.name} {subject.version}" if subject.version else subject.name
        because = f": {self.reason}" if self.reason else ""
        return Decision(
            Verdict.DENY, self.id,
            f"'{what}' is refused by the deny rule '{self.id}' "
            f"({', '.join(self.packages)}{' ' + self.versions if self.versions else ''})"
            f"{because}.",
            hint="Pick another version or package, or ask an administrator to change "
            "[[policy.rules]] in wharf.toml.",
            mode=self.mode,
        )


def allowlisted(subject: Subject, facts: Facts, entries: tuple[PackageListRule, ...]) -> bool:
    """True when an allowlist entry covers the subject (or none exists for its format)."""
    relevant = [e for e in entries if not e.format or e.format == subject.format]
    return not relevant or any(e.covers(subject, facts) for e in relevant)


def outside_allowlist(subject: Subject, entries: tuple[PackageListRule, ...]) -> Decision:
    first = entries[0]
    what = f"{subject.name} {subject.version}" if subject.version else subject.name
    return Decision(
        Verdict.DENY, first.id,
        f"'{what}' is not on the allow list of '{subject.source}'.",
        hint="Ask an administrator to add it to an allowlist entry of [[policy.rules]] in "
        "wharf.toml.",
        mode=first.mode,
    )
