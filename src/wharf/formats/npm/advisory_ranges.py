"""OSV ranges written as npm semver ranges, for the audit responses.

npm and pnpm do not trust a registry's verdict per version: they test every installed
version against the advisory's ``vulnerable_versions`` themselves (with prereleases
included). So the range must say exactly what the OSV record says: each ``introduced`` ..
``fixed`` span becomes ``>=A <B`` (``<=B`` for ``last_affected``), spans join with ``||``,
a ``limit`` caps them all, and explicitly listed versions are added one by one.
``patched_versions`` (shown by pnpm, used by ``pnpm audit --fix``) is the complement, or
``<0.0.0`` (npm's "no patch") when nothing fixes the advisory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wharf.core.advisories import Advisory, AffectedRange
from wharf.formats.npm.versions import sort_key

EVERY_VERSION = "*"
NO_PATCH = "<0.0.0"
_START = "0"


@dataclass(frozen=True, slots=True)
class Span:
    """Versions from ``low`` (inclusive; None: from the first) up to ``high`` (None: no
    end), ``high`` itself included when ``through``."""

    low: str | None
    high: str | None
    through: bool = False

    def npm(self) -> str:
        parts = []
        if self.low is not None:
            parts.append(f">={self.low}")
        if self.high is not None:
            parts.append(f"{'<=' if self.through else '<'}{self.high}")
        return " ".join(parts) or EVERY_VERSION


def spans(advisory: Advisory) -> list[Span]:
    """The affected spans of every range, in version order (overlaps left as they are)."""
    found = [span for each in advisory.ranges for span in _range_spans(each)]
    return sorted(found, key=lambda span: _low_key(span.low))


def vulnerable_versions(advisory: Advisory) -> str:
    """The npm range of every affected version; ``*`` for a record naming no range or
    version (a malware report covers every version)."""
    parts = [span.npm() for span in spans(advisory)]
    parts += [version for version in advisory.versions if version not in parts]
    return " || ".join(dict.fromkeys(parts)) or EVERY_VERSION


def patched_versions(advisory: Advisory) -> str:
    """The npm range of the versions no span covers, or ``<0.0.0`` when the last span has
    no end (nothing fixes it) or the record has no spans."""
    covered = spans(advisory)
    if not covered or any(span.high is None for span in covered):
        return NO_PATCH
    gaps: list[str] = []
    edge: Span | None = None
    for span in covered:
        if edge is not None and _key(span.low) <= _key(edge.high):
            if _key(span.high) > _key(edge.high):
                edge = span  # overlapping spans: keep the later end
            continue
        if span.low is not None:
            gaps.append(_after(edge) + f"<{span.low}")
        edge = span
    assert edge is not None
    gaps.append(_after(edge).strip())
    return " || ".join(gap for gap in gaps if gap) or NO_PATCH


def _after(span: Span | None) -> str:
    """The lower bound of the gap after ``span`` (with a trailing space), none at start."""
    if span is None or span.high is None:
        return ""
    return f"{'>' if span.through else '>='}{span.high} "


def _range_spans(affected: AffectedRange) -> list[Span]:
    """OSV's walk over one range's events in version order: ``introduced`` opens a span,
    ``fixed`` or ``last_affected`` closes it, and the highest ``limit`` caps every span."""
    limits = [value for event, value in affected.events if event == "limit" and value != "*"]
    cap = max(limits, key=sort_key) if limits else None
    ordered = sorted(
        ((event, value) for event, value in affected.events if event != "limit"),
        key=lambda item: (0, ()) if item == ("introduced", _START) else (1, sort_key(item[1])),
    )
    found: list[Span] = []
    opened: str | None = None
    is_open = False
    for event, value in ordered:
        if event == "introduced" and not is_open:
            opened, is_open = (None if value == _START else value), True
        elif event in ("fixed", "last_affected") and is_open:
            found.append(Span(opened, value, through=event == "last_affected"))
            is_open = False
    if is_open:
        found.append(Span(opened, None))
    if cap is None:
        return found
    return [_capped(span, cap) for span in found if span.low is None or _key(span.low) < _key(cap)]


def _capped(span: Span, cap: str) -> Span:
    if span.high is not None and _key(span.high) < _key(cap):
        return span
    return Span(span.low, cap)


def _key(version: str | None) -> Any:
    return sort_key(version or "")


def _low_key(version: str | None) -> Any:
    return (0,) if version is None else (1, sort_key(version))
