"""A tiny version scheme and advisory builder for the pure advisory tests."""

from __future__ import annotations

from datetime import datetime

from wharf.policy.advisories import ECOSYSTEM, Advisory, AffectedRange


class DottedScheme:
    """Versions as dotted integers ("1.2.10" > "1.2.9", "2.0.0" == "2.0", as PEP 440 has
    it); anything else sorts first."""

    def key(self, version: str) -> object:
        try:
            parts = [int(part) for part in version.split(".")]
        except ValueError:
            return (0, (), version)
        while len(parts) > 1 and parts[-1] == 0:
            parts.pop()
        return (1, tuple(parts), "")

    def in_range(self, version: str, spec: str) -> bool:
        return False

    def valid_range(self, spec: str) -> str | None:
        return None


SCHEME = DottedScheme()


def span(*events: tuple[str, str], kind: str = ECOSYSTEM) -> AffectedRange:
    return AffectedRange(kind, tuple(events))


def advisory(
    *ranges: AffectedRange,
    id: str = "GHSA-1",
    versions: tuple[str, ...] = (),
    severity: str = "high",
    malware: bool = False,
    summary: str = "Bad things",
    withdrawn: datetime | None = None,
) -> Advisory:
    return Advisory(
        id=id, format="python", name="demo", summary=summary, severity=severity,
        malware=malware, ranges=ranges, versions=versions, withdrawn=withdrawn,
    )
