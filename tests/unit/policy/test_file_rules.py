"""Which rules tell one file of a version from another (``reads_file``), and the promise
screening builds on: once a version passes, ``judge_file`` (only those rules) decides each
of its files exactly as ``judge`` (every rule) would."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest

from wharf.core.models import Waiver
from wharf.policy.cooldown import CooldownRule
from wharf.policy.decisions import Facts, Mode, Moment, Rule, Subject
from wharf.policy.engine import PASSED, RuleSet
from wharf.policy.limits import LicenceRule, SizeRule
from wharf.policy.lists import PackageListRule
from wharf.policy.typosquat import TyposquatRule
from wharf.policy.upstream_state import UpstreamStateRule
from wharf.policy.vulnerable import MalwareRule, VulnerabilityRule

from .advisory_fixtures import SCHEME, advisory, span

NOW = datetime(2026, 11, 21, tzinfo=UTC)
ADVISORIES = (
    advisory(span(("introduced", "0"), ("fixed", "2.0")), severity="high", id="GHSA-1"),
    advisory(span(("introduced", "3.0"), ("fixed", "3.1")), id="MAL-2026-1"),
)
VERSION_RULES: list[Rule] = [
    VulnerabilityRule(Mode.ENFORCE, "high"),
    VulnerabilityRule(Mode.WARN, "low"),
    MalwareRule(Mode.ENFORCE),
    LicenceRule(deny=("GPL-*",)),
    LicenceRule(allow=("MIT",), deny_unknown=True, mode=Mode.WARN),
    PackageListRule("no-lib", "deny", ("lib",), ""),
    PackageListRule("no-old", "deny", ("*",), ">=0", format="python"),
    TyposquatRule({"python": frozenset({"requests", "numpy"})}),
]
FILE_RULES: list[Rule] = [
    CooldownRule(timedelta(days=1)),
    CooldownRule(timedelta(days=7), mode=Mode.WARN, freeze_after=NOW - timedelta(days=3)),
    SizeRule(1000),
    UpstreamStateRule(),
    UpstreamStateRule(Mode.WARN),
]


def version_subject(name: str, version: str, licence: str | None, upstream: bool) -> Subject:
    return Subject("python", "pypi-remote", name, Moment.LISTING, version,
                   published_at=NOW - timedelta(days=10), upstream=upstream, licence=licence,
                   versions=("1.0", "2.0", "3.0"))


def file_variants(listing: Subject) -> list[Subject]:
    """The same version's files, differing in what files may differ in."""
    variants = []
    for moment, size, age, yanked, withdrawn in itertools.product(
        (Moment.LISTING, Moment.DOWNLOAD), (None, 10, 5000), (None, 0.5, 5, 20), (False, True),
        (False, True),
    ):
        published = None if age is None else NOW - timedelta(days=age)
        variants.append(listing._replace(
            moment=moment, filename=f"{listing.name}-{listing.version}-{size}-{age}.whl",
            size=size, published_at=published, yanked=yanked, withdrawn=withdrawn))
    return variants


SUBJECTS = [
    version_subject(name, version, licence, upstream)
    for name, version, licence, upstream in itertools.product(
        ("lib", "demo", "reqeusts"), ("1.0", "3.0", "4.0"), (None, "MIT", "GPL-3.0"),
        (True, False))
]


def facts(*waivers: Waiver) -> Facts:
    return Facts(now=NOW, scheme=SCHEME, advisories=ADVISORIES, waivers=waivers)


@pytest.mark.parametrize("rule", VERSION_RULES, ids=lambda r: f"{type(r).__name__}")
def test_a_rule_that_does_not_read_files_decides_each_file_as_its_version(rule: Rule) -> None:
    assert rule.reads_file is False
    for listing in SUBJECTS:
        expected = rule.decide(listing, facts())
        for subject in file_variants(listing):
            assert rule.decide(subject, facts()) == expected, subject


@pytest.mark.parametrize("rule", FILE_RULES, ids=lambda r: f"{type(r).__name__}")
def test_the_rules_that_read_files_say_so(rule: Rule) -> None:
    assert rule.reads_file is True
    listing = version_subject("demo", "4.0", "MIT", True)
    decisions = {rule.decide(subject, facts()) for subject in file_variants(listing)}
    assert len(decisions) > 1  # some file of the version is decided otherwise


def test_judge_file_runs_only_the_rules_that_read_files() -> None:
    rules = RuleSet(rules=(PackageListRule("no-lib", "deny", ("lib",), ""), SizeRule(1000)))
    listing = version_subject("lib", "1.0", None, True)
    small = listing._replace(moment=Moment.DOWNLOAD, filename="lib-1.0.whl", size=10)
    assert rules.judge(small, facts()).blocks  # the deny entry, a version rule
    assert rules.judge_file(small, facts()) is PASSED
    big = small._replace(size=5000)
    assert rules.judge_file(big, facts()).decision.rule == "size"
    assert RuleSet(rules=VERSION_RULES[:3]).judge_file(big, facts()) is PASSED


def test_judge_file_agrees_with_judge_whenever_the_version_passes() -> None:
    rng = random.Random(7)
    waivers = [
        Waiver("python", "demo", "4.0", ("size",), "big on purpose", "admin", NOW, None),
        Waiver("python", "lib", None, (), "ours", "admin", NOW, NOW + timedelta(days=1)),
    ]
    checked = 0
    for _ in range(300):
        rules = rng.sample(VERSION_RULES + FILE_RULES, rng.randint(1, 8))
        allows = (PackageListRule("ok", "allow", ("demo",), "<2"),) if rng.random() < 0.3 else ()
        allowlist = ((PackageListRule("only", "allowlist", ("demo", "lib")),)
                     if rng.random() < 0.3 else ())
        ruleset = RuleSet(rules=tuple(rules), allows=allows, allowlist=allowlist)
        given = facts(*rng.sample(waivers, rng.randint(0, 2)))
        for listing in rng.sample(SUBJECTS, 6):
            if ruleset.judge(listing, given).blocks:
                continue
            for subject in file_variants(listing):
                full, narrow = ruleset.judge(subject, given), ruleset.judge_file(subject, given)
                assert full.blocks == narrow.blocks, (rules, subject)
                if full.blocks:
                    assert full.decision == narrow.decision
                checked += 1
    assert checked > 1000
