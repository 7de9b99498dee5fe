"""Which versions an OSV record affects, its fixes, and the cooldown's fast lane."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from wharf.policy.advisories import (
    SEMVER,
    Advisory,
    affects,
    affects_every_version,
    delivering_fix,
    fixed_versions,
    fixes_after,
)

from .advisory_fixtures import SCHEME, advisory, span

WHEN = datetime(2026, 3, 1, tzinfo=UTC)

INTRO_0_FIXED_2 = advisory(span(("introduced", "0"), ("fixed", "2.0")))
INTRO_1_FIXED_1_5 = advisory(span(("introduced", "1.0"), ("fixed", "1.5")))
LAST_AFFECTED = advisory(span(("introduced", "1.0"), ("last_affected", "1.4")))
LIMITED = advisory(span(("introduced", "1.0"), ("limit", "1.3")))
UNLIMITED = advisory(span(("introduced", "1.0"), ("limit", "*")))
TWO_LINES = advisory(
    span(("introduced", "1.0"), ("fixed", "1.2.5")),
    span(("introduced", "2.0"), ("fixed", "2.0.3")),
)
ONE_RANGE_TWO_LINES = advisory(
    # events out of version order: evaluation sorts them
    span(("introduced", "2.0"), ("fixed", "2.0.3"), ("introduced", "1.0"), ("fixed", "1.2.5"))
)
EXPLICIT = advisory(versions=("1.1", "1.3"))
SEMVER_RANGE = advisory(span(("introduced", "0"), ("fixed", "1.10"), kind=SEMVER))
GIT_RANGE = advisory(span(("introduced", "0"), ("fixed", "abc123"), kind="GIT"))
NEVER_FIXED = advisory(span(("introduced", "0")))
WITHDRAWN = advisory(span(("introduced", "0")), withdrawn=WHEN)
MALWARE_EVERYWHERE = advisory(id="MAL-2026-1", malware=True)
MALWARE_RANGED = advisory(span(("introduced", "1.1"), ("fixed", "1.2")), malware=True)
EMPTY_VULNERABILITY = advisory()


@pytest.mark.parametrize(
    ("record", "version", "expected"),
    [
        (INTRO_0_FIXED_2, "0.1", True),
        (INTRO_0_FIXED_2, "1.9.9", True),
        (INTRO_0_FIXED_2, "2.0", False),
        (INTRO_0_FIXED_2, "2.0.0", False),  # equal in order to the fix
        (INTRO_0_FIXED_2, "3.0", False),
        (INTRO_1_FIXED_1_5, "0.9", False),
        (INTRO_1_FIXED_1_5, "1.0", True),
        (INTRO_1_FIXED_1_5, "1.4.9", True),
        (INTRO_1_FIXED_1_5, "1.5", False),
        (LAST_AFFECTED, "1.4", True),
        (LAST_AFFECTED, "1.4.1", False),
        (LIMITED, "1.2", True),
        (LIMITED, "1.3", False),
        (LIMITED, "0.5", False),
        (UNLIMITED, "9.0", True),
        (TWO_LINES, "1.2.4", True),
        (TWO_LINES, "1.2.5", False),
        (TWO_LINES, "1.9", False),
        (TWO_LINES, "2.0.2", True),
        (TWO_LINES, "2.0.3", False),
        (ONE_RANGE_TWO_LINES, "1.2.4", True),
        (ONE_RANGE_TWO_LINES, "1.9", False),
        (ONE_RANGE_TWO_LINES, "2.0.1", True),
        (ONE_RANGE_TWO_LINES, "2.1", False),
        (EXPLICIT, "1.1", True),
        (EXPLICIT, "1.2", False),
        (EXPLICIT, "1.3.0", True),  # the scheme's order decides equality
        (SEMVER_RANGE, "1.9", True),
        (SEMVER_RANGE, "1.10", False),
        (GIT_RANGE, "1.0", False),  # commits cannot be compared with versions
        (NEVER_FIXED, "100.0", True),
        (WITHDRAWN, "1.0", False),
        (MALWARE_EVERYWHERE, "1.0", True),
        (MALWARE_EVERYWHERE, "0.0.1", True),
        (MALWARE_RANGED, "1.1.5", True),
        (MALWARE_RANGED, "1.2", False),
        (EMPTY_VULNERABILITY, "1.0", False),  # a vulnerability must say what it affects
    ],
)
def test_affects(record: Advisory, version: str, expected: bool) -> None:
    assert affects(record, version, SCHEME) is expected


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (MALWARE_EVERYWHERE, True),
        (NEVER_FIXED, True),
        (MALWARE_RANGED, False),
        (INTRO_0_FIXED_2, False),
        (EMPTY_VULNERABILITY, False),
        (WITHDRAWN, False),
        (advisory(malware=True, withdrawn=WHEN), False),
    ],
)
def test_affects_every_version(record: Advisory, expected: bool) -> None:
    assert affects_every_version(record) is expected


def test_fixed_versions_in_record_order_each_once() -> None:
    record = advisory(
        span(("introduced", "2.0"), ("fixed", "2.0.3")),
        span(("introduced", "1.0"), ("fixed", "1.2.5"), ("fixed", "2.0.3")),
    )
    assert fixed_versions(record) == ("2.0.3", "1.2.5")
    assert fixed_versions(LAST_AFFECTED) == ()


def test_fixes_after_lists_upgrades_in_version_order() -> None:
    assert fixes_after([TWO_LINES, INTRO_0_FIXED_2], "1.0", SCHEME) == ("1.2.5", "2.0", "2.0.3")
    assert fixes_after([TWO_LINES], "2.0.1", SCHEME) == ("2.0.3",)


KNOWN = ("1.0", "1.1", "1.2", "1.3", "2.0", "2.1", "2.2")


@pytest.mark.parametrize(
    ("version", "records", "expected"),
    [
        # fixed in 2.0, which is published: 2.0 delivers it, 2.1 does not
        ("2.0", [INTRO_0_FIXED_2], INTRO_0_FIXED_2),
        ("2.1", [INTRO_0_FIXED_2], None),
        # fixed in 1.2.5, never published as such: the first version after it delivers
        ("1.3", [TWO_LINES], TWO_LINES),
        ("2.1", [TWO_LINES], TWO_LINES),  # 2.0.3 unpublished, 2.1 first after it
        ("2.2", [TWO_LINES], None),
        # a version still affected never passes, whatever it fixes
        ("2.0", [INTRO_0_FIXED_2, advisory(span(("introduced", "2.0")), id="GHSA-2")], None),
        ("2.0", [INTRO_0_FIXED_2, MALWARE_EVERYWHERE], None),
        # malware records and withdrawn records fix nothing
        ("1.2", [MALWARE_RANGED], None),
        ("2.0", [advisory(span(("introduced", "0"), ("fixed", "2.0")), withdrawn=WHEN)], None),
        # no fixed event, no fast lane
        ("1.5", [LAST_AFFECTED], None),
        ("1.0", [], None),
    ],
)
def test_delivering_fix(version: str, records: list[Advisory], expected: Advisory | None) -> None:
    assert delivering_fix(version, records, KNOWN, SCHEME) == expected


def test_delivering_fix_needs_the_version_among_the_known_ones() -> None:
    # without the versions known, nothing says 2.1 is the first after the fix
    assert delivering_fix("2.1", [INTRO_0_FIXED_2], ("1.0", "2.0"), SCHEME) is None
    # a version equal in order to a known one counts as it
    assert delivering_fix("2.0.0", [INTRO_0_FIXED_2], KNOWN, SCHEME) == INTRO_0_FIXED_2
