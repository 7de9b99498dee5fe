"""OSV ranges as npm semver ranges: what they say, and that npm's own range matching agrees
with the policy's reading of the record for every version around the bounds."""

from __future__ import annotations

import nodesemver
import pytest

from wharf.core.advisories import Advisory, AffectedRange
from wharf.formats.npm.advisory_ranges import patched_versions, vulnerable_versions
from wharf.formats.npm.scheme import NpmVersions
from wharf.policy.advisories import affects


def advisory(*ranges: tuple[tuple[str, str], ...], versions: tuple[str, ...] = (),
             malware: bool = False) -> Advisory:
    return Advisory(
        id="GHSA-x", format="npm", name="pkg", summary="", severity="high", malware=malware,
        ranges=tuple(AffectedRange("SEMVER", events) for events in ranges), versions=versions,
    )


CASES = [
    (advisory((("introduced", "0"), ("fixed", "1.3.0"))), "<1.3.0", ">=1.3.0"),
    (advisory((("introduced", "1.0.0"), ("fixed", "1.2.0"))),
     ">=1.0.0 <1.2.0", "<1.0.0 || >=1.2.0"),
    (advisory((("introduced", "0"),)), "*", "<0.0.0"),
    (advisory((("introduced", "1.0.0"), ("last_affected", "1.4.0"))),
     ">=1.0.0 <=1.4.0", "<1.0.0 || >1.4.0"),
    (advisory((("introduced", "0"), ("limit", "2.0.0"))), "<2.0.0", ">=2.0.0"),
    (advisory((("introduced", "0"), ("fixed", "1.5.0"), ("limit", "1.2.0"))), "<1.2.0",
     ">=1.2.0"),
    # one range, events out of order; two lines of fixes
    (advisory((("introduced", "2.0.0"), ("fixed", "2.0.3"), ("introduced", "0"),
                ("fixed", "1.2.5"))),
     "<1.2.5 || >=2.0.0 <2.0.3", ">=1.2.5 <2.0.0 || >=2.0.3"),
    # two ranges that overlap
    (advisory((("introduced", "0"), ("fixed", "1.5.0")),
              (("introduced", "1.0.0"), ("fixed", "2.0.0"))),
     "<1.5.0 || >=1.0.0 <2.0.0", ">=2.0.0"),
    (advisory(versions=("1.0.1", "1.0.2")), "1.0.1 || 1.0.2", "<0.0.0"),
    (advisory((("introduced", "0"), ("fixed", "1.0.0")), versions=("1.0.5",)),
     "<1.0.0 || 1.0.5", ">=1.0.0"),
    (advisory(malware=True), "*", "<0.0.0"),
]

SAMPLES = ["0.0.1", "0.9.0", "1.0.0", "1.0.1", "1.0.2", "1.0.5", "1.1.0", "1.2.0", "1.2.4",
           "1.2.5", "1.3.0", "1.4.0", "1.4.1", "1.5.0", "1.9.9", "2.0.0", "2.0.2", "2.0.3",
           "2.1.0", "3.0.0"]
"""Release versions only: the Python port of npm's semver reads prereleases at a bound
differently from npm itself (it has ``1.3.0-beta.1`` outside ``<1.3.0``)."""


@pytest.mark.parametrize(("record", "vulnerable", "patched"), CASES)
def test_ranges(record: Advisory, vulnerable: str, patched: str) -> None:
    assert vulnerable_versions(record) == vulnerable
    assert patched_versions(record) == patched


@pytest.mark.parametrize(("record", "vulnerable", "patched"), CASES)
def test_npm_reads_the_ranges_as_the_policy_reads_the_record(
    record: Advisory, vulnerable: str, patched: str
) -> None:
    scheme = NpmVersions()
    for version in SAMPLES:
        affected = affects(record, version, scheme)
        assert nodesemver.satisfies(version, vulnerable, include_prerelease=True) == affected, (
            version
        )
        if patched != "<0.0.0" and not record.versions:
            assert nodesemver.satisfies(version, patched, include_prerelease=True) != affected, (
                version
            )
