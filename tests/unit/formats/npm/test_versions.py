"""npm version precedence: semver order, prereleases, legacy strings, the implied latest."""

from __future__ import annotations

import random
from functools import cmp_to_key

import pytest
from semver import Version

from wharf.formats.npm.versions import highest, is_prerelease, sort_key


def test_sorts_by_semver_precedence_not_by_string() -> None:
    given = ["1.10.0", "1.2.0", "1.2.0-rc.1", "0.9.9", "1.2.0-alpha.10", "1.2.0-alpha.2", "2.0.0"]
    assert sorted(given, key=sort_key) == [
        "0.9.9",
        "1.2.0-alpha.2",
        "1.2.0-alpha.10",
        "1.2.0-rc.1",
        "1.2.0",
        "1.10.0",
        "2.0.0",
    ]


def test_legacy_strings_sort_before_valid_versions_by_string() -> None:
    given = ["0.0.1", "v1.0.0", "1.0", "0.0.0-0", "01.2.3"]
    assert sorted(given, key=sort_key) == ["01.2.3", "1.0", "v1.0.0", "0.0.0-0", "0.0.1"]


def test_build_metadata_ties_break_by_string_for_a_total_order() -> None:
    assert sorted(["1.0.0+b", "1.0.0+a", "1.0.0"], key=sort_key) == ["1.0.0", "1.0.0+a", "1.0.0+b"]


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("1.0.0-rc.1", True),
        ("1.0.0-0", True),
        ("1.0.0", False),
        ("1.0.0+build", False),
        ("1.0beta", False),
    ],
)
def test_is_prerelease(version: str, expected: bool) -> None:
    assert is_prerelease(version) is expected


def test_highest_prefers_stable_versions() -> None:
    assert highest(["1.0.0", "2.0.0-beta.1", "1.5.0"]) == "1.5.0"
    assert highest(["1.0.0", "2.0.0-beta.1"], include_prerelease=True) == "2.0.0-beta.1"


def test_highest_falls_back_to_prereleases_then_legacy() -> None:
    assert highest(["1.0.0-alpha", "1.0.0-beta"]) == "1.0.0-beta"
    assert highest(["1.0", "0.1"]) == "1.0"
    assert highest(["1.0", "0.0.1-pre"]) == "0.0.1-pre"
    assert highest([]) is None


def test_the_key_orders_as_semver_compares() -> None:
    """The tuple key agrees with semver's own comparison on every pair (ties broken by the
    string, as semver ties versions that differ only in build metadata)."""
    rng = random.Random(11)
    words = ["alpha", "beta", "rc", "0", "1", "2", "10", "x-y", "a1", "1a", "next"]

    def version() -> str:
        core = ".".join(str(rng.choice([0, 1, 2, 10, 11])) for _ in range(3))
        if rng.random() < 0.6:
            core += "-" + ".".join(rng.choice(words) for _ in range(rng.randint(1, 3)))
        if rng.random() < 0.2:
            core += "+build." + str(rng.randint(0, 3))
        return core

    versions = list({version() for _ in range(3000)})
    by_semver = sorted(versions, key=cmp_to_key(
        lambda a, b: Version.parse(a).compare(b) or (a > b) - (a < b)))
    assert sorted(versions, key=sort_key) == by_semver
