"""Following what upstream says about its own releases: a yanked file (PEP 592) or a
withdrawn one (unpublished, removed) is not downloaded again, and a project upstream
quarantined (PEP 792) is neither listed nor downloaded. Only upstream subjects: a yank in a
hosted index is the team's own decision, and pip's rules for yanked files apply to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wharf.policy.decisions import (
    Decision,
    Facts,
    Mode,
    Moment,
    Subject,
    Verdict,
    allow_command,
)
from wharf.policy.withdrawals import RULE_ID


@dataclass(frozen=True, slots=True)
class UpstreamStateRule:
    mode: Mode = Mode.ENFORCE
    id: str = RULE_ID
    reads_file: ClassVar[bool] = True

    def decide(self, subject: Subject, facts: Facts) -> Decision | None:
        if not subject.upstream:
            return None
        if subject.quarantined:
            return Decision(
                Verdict.DENY, self.id,
                f"Upstream has quarantined the project '{subject.name}' (PEP 792): it is "
                "suspected of being malicious or compromised.",
                hint="Do not install it; when upstream lifts the quarantine it is served again.",
                mode=self.mode,
            )
        if subject.moment is not Moment.DOWNLOAD or subject.filename is None:
            return None
        if subject.withdrawn or subject.yanked:
            how = "withdrew" if subject.withdrawn else "yanked"
            return Decision(
                Verdict.DENY, self.id,
                f"Upstream {how} '{subject.filename}'; it is not downloaded again.",
                hint="Move to another version. To keep serving this file for now, an "
                "administrator can run: "
                f"{allow_command(subject.format, subject.name, None, self.id)}",
                mode=self.mode,
            )
        return None
