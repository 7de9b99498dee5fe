"""Size limits and licence lists: properties of a file or a release, not of where it came
from, so they apply to uploads and upstream versions alike."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import ClassVar

from wharf.policy.decisions import Decision, Facts, Mode, Subject, Verdict

SIZE_ID = "size"
LICENCE_ID = "licence"


@dataclass(frozen=True, slots=True)
class SizeRule:
    max_bytes: int
    mode: Mode = Mode.ENFORCE
    id: str = SIZE_ID
    reads_file: ClassVar[bool] = True

    def decide(self, subject: Subject, facts: Facts) -> Decision | None:
        if subject.size is None or subject.size <= self.max_bytes:
            return None
        return Decision(
            Verdict.DENY, self.id,
            f"{subject.filename or subject.name} is {subject.size:,} bytes, over the limit of "
            f"{self.max_bytes:,} bytes (policy.size.max_bytes).",
            hint="Use a smaller file (another wheel, an older version), or ask an "
            "administrator to raise policy.size.max_bytes.",
            mode=self.mode,
        )


@dataclass(frozen=True, slots=True)
class LicenceRule:
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    deny_unknown: bool = False
    mode: Mode = Mode.ENFORCE
    id: str = LICENCE_ID
    reads_file: ClassVar[bool] = False

    def decide(self, subject: Subject, facts: Facts) -> Decision | None:
        if subject.version is None:
            return None
        licence = (subject.licence or "").strip()
        what = f"{subject.name} {subject.version}"
        if not licence:
            if self.allow and self.deny_unknown:
                return self._deny(f"{what} declares no licence, and only "
                                  f"{', '.join(self.allow)} are allowed (policy.licences).")
            return None
        terms = _terms(licence)
        denied = [t for t in terms if _listed(t, self.deny)]
        if denied:
            return self._deny(f"{what} is licensed {licence}; {', '.join(denied)} is refused "
                              "(policy.licences.deny).")
        if self.allow and not any(_listed(t, self.allow) for t in terms):
            return self._deny(f"{what} is licensed {licence}, which is not among the allowed "
                              f"{', '.join(self.allow)} (policy.licences.allow).")
        return None

    def _deny(self, reason: str) -> Decision:
        return Decision(
            Verdict.DENY, self.id, reason,
            hint="Pick a package under an allowed licence, or ask an administrator to "
            "change policy.licences.",
            mode=self.mode,
        )


def _terms(expression: str) -> list[str]:
    """The licence ids of an SPDX expression (``MIT OR Apache-2.0``), or the free text."""
    cleaned = expression.replace("(", " ").replace(")", " ")
    parts = [p for p in cleaned.split() if p.upper() not in ("AND", "OR", "WITH")]
    return parts or [expression]


def _listed(term: str, patterns: tuple[str, ...]) -> bool:
    folded = term.casefold()
    return any(fnmatchcase(folded, p.casefold()) for p in patterns)
