"""Vulnerability and malware records, and which versions they affect (OSV semantics).

Records arrive from OSV dumps (``wharf vuln import``), one ``Advisory`` per affected package
(the plain data lives in ``wharf.core.advisories`` and is re-exported here). Which versions
a record affects follows the OSV schema: an explicit list of versions, or ranges of events
(``introduced``, ``fixed``, ``last_affected``, ``limit``) read in the format's own version
order, so the same rules serve PEP 440 and semver alike.

The fast lane of the cooldown lives here too: the version that first ships a fix for a
known vulnerability should reach users at once, not after the minimum release age, because
holding it back keeps the vulnerable version in use. Only that first fixed version passes;
later ones wait like any other.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from wharf.core.advisories import Advisory, AffectedRange

if TYPE_CHECKING:
    from wharf.policy.decisions import VersionScheme

__all__ = [
    "ECOSYSTEM",
    "SEMVER",
    "SEVERITIES",
    "Advisory",
    "AffectedRange",
    "affects",
    "affects_every_version",
    "delivering_fix",
    "fixed_versions",
    "fixes_after",
    "severity_rank",
]

ECOSYSTEM = "ECOSYSTEM"
SEMVER = "SEMVER"
EVALUATED_KINDS = frozenset((ECOSYSTEM, SEMVER))
"""Range kinds read in version order (``GIT`` ranges name commits, which packages lack)."""

SEVERITIES = ("low", "moderate", "high", "critical")
"""Known severities, lowest first; ``""`` is unknown."""

INTRODUCED = "introduced"
FIXED = "fixed"
LAST_AFFECTED = "last_affected"
LIMIT = "limit"
_START = "0"
"""``introduced: "0"``: affected from the very first version."""
_NO_LIMIT = "*"


def affects(advisory: Advisory, version: str, scheme: VersionScheme) -> bool:
    """True when ``advisory`` covers ``version``. A withdrawn record covers nothing; a
    malware record that names no range and no version covers every version."""
    if advisory.withdrawn is not None:
        return False
    if affects_every_version(advisory):
        return True
    if version in advisory.versions:
        return True
    key = _key(scheme, version)
    if any(_key(scheme, listed) == key for listed in advisory.versions):
        return True
    return any(_in_range(each, key, scheme) for each in advisory.ranges)


def affects_every_version(advisory: Advisory) -> bool:
    """True for a record that covers every version of its package, whatever is published
    later: a malware report without ranges or versions, or a range introduced at the start
    that nothing ever fixes or bounds."""
    if advisory.withdrawn is not None:
        return False
    if advisory.malware and not advisory.ranges and not advisory.versions:
        return True
    return any(
        each.kind in EVALUATED_KINDS
        and each.events
        and all(event == INTRODUCED and value == _START for event, value in each.events)
        for each in advisory.ranges
    )


def fixed_versions(advisory: Advisory) -> tuple[str, ...]:
    """The versions the record says fix it, in record order, each once."""
    found: dict[str, None] = {}
    for each in advisory.ranges:
        for event, value in each.events:
            if event == FIXED:
                found.setdefault(value, None)
    return tuple(found)


def fixes_after(
    advisories: Iterable[Advisory], version: str, scheme: VersionScheme
) -> tuple[str, ...]:
    """The fixed versions above ``version`` of these records, lowest first, each once:
    what a user of ``version`` can upgrade to."""
    key = _key(scheme, version)
    later = {
        fixed
        for advisory in advisories
        for fixed in fixed_versions(advisory)
        if _key(scheme, fixed) > key
    }
    return tuple(sorted(later, key=lambda each: _key(scheme, each)))


def delivering_fix(
    version: str,
    advisories: Sequence[Advisory],
    known_versions: Iterable[str],
    scheme: VersionScheme,
) -> Advisory | None:
    """The vulnerability whose fix ``version`` first ships, or None.

    ``version`` delivers a fix when some ``fixed`` event names a version f and ``version``
    is the lowest of ``known_versions`` at or above f, and no record (malware included)
    affects ``version`` itself.
    """
    if any(affects(advisory, version, scheme) for advisory in advisories):
        return None
    key = _key(scheme, version)
    known = [(_key(scheme, each), each) for each in known_versions]
    for advisory in advisories:
        if advisory.malware or advisory.withdrawn is not None:
            continue
        for fixed in fixed_versions(advisory):
            floor = _key(scheme, fixed)
            candidates = [each_key for each_key, _ in known if each_key >= floor]
            if candidates and min(candidates) == key:
                return advisory
    return None


def severity_rank(severity: str) -> int:
    """Position of a severity in ``SEVERITIES``; -1 for unknown."""
    try:
        return SEVERITIES.index(severity)
    except ValueError:
        return -1


def _in_range(affected: AffectedRange, key: Any, scheme: VersionScheme) -> bool:
    """The OSV evaluation of one range: walk the events in version order; the last
    ``introduced`` at or below the version opens, a later ``fixed`` at or below it (or a
    ``last_affected`` below it) closes. ``limit`` events bound the whole range above."""
    if affected.kind not in EVALUATED_KINDS:
        return False
    limits = [value for event, value in affected.events if event == LIMIT]
    if limits and not any(
        value == _NO_LIMIT or key < _key(scheme, value) for value in limits
    ):
        return False
    ordered = sorted(
        (
            (position, event, value)
            for position, (event, value) in enumerate(affected.events)
            if event in (INTRODUCED, FIXED, LAST_AFFECTED)
        ),
        key=lambda item: _event_order(item[1], item[2], item[0], scheme),
    )
    affected_now = False
    for _, event, value in ordered:
        if event == INTRODUCED:
            if value == _START or key >= _key(scheme, value):
                affected_now = True
        elif event == FIXED:
            if key >= _key(scheme, value):
                affected_now = False
        elif key > _key(scheme, value):
            affected_now = False
    return affected_now


def _event_order(
    event: str, value: str, position: int, scheme: VersionScheme
) -> tuple[int, Any, int]:
    """Sort key of an event: ``introduced: "0"`` before everything, then version order,
    record order among equal versions."""
    if event == INTRODUCED and value == _START:
        return (0, (), position)
    return (1, _key(scheme, value), position)


def _key(scheme: VersionScheme, version: str) -> Any:
    """The scheme's sort key; keys of one scheme compare with each other. OSV bounds are
    compared by precedence, so versions of equal precedence (PEP 440 ``2.0`` and ``2.0.0``)
    must have equal keys: a key that breaks such ties by the version string would put
    ``2.0`` below a ``fixed: 2.0.0`` bound."""
    return scheme.key(version)
