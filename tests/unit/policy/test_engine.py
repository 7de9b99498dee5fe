"""The engine: allow entries beat every rule, waivers silence the rules they name (until
they expire), the first blocking decision wins, warn-mode decisions are collected; and the
deny/allowlist entries, size and licence rules, and upstream state, table-driven."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from wharf.core.models import Waiver
from wharf.formats.npm.scheme import NpmVersions
from wharf.formats.python.scheme import PythonVersions
from wharf.policy.cooldown import CooldownRule
from wharf.policy.decisions import Facts, Mode, Moment, Subject, Verdict
from wharf.policy.engine import RuleSet
from wharf.policy.limits import LicenceRule, SizeRule
from wharf.policy.lists import PackageListRule, matches_name
from wharf.policy.upstream_state import UpstreamStateRule

NOW = datetime(2026, 11, 21, tzinfo=UTC)


def npm(name: str = "lib", version: str | None = "1.2.0", **kw: object) -> Subject:
    values: dict[str, object] = {"published_at": NOW - timedelta(hours=1), "upstream": True}
    values.update(kw)
    return Subject("npm", "npm-remote", name, Moment.LISTING, version=version, **values)  # type: ignore[arg-type]


def py(name: str = "lib", version: str | None = "1.2", **kw: object) -> Subject:
    return Subject("python", "pypi-remote", name, Moment.LISTING, version=version, **kw)  # type: ignore[arg-type]


def facts(*waivers: Waiver, scheme: object = None) -> Facts:
    return Facts(now=NOW, scheme=scheme or NpmVersions(), waivers=waivers)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "patterns", "expected"),
    [
        ("@corp/ui", ("@corp/*",), True),
        ("@corp/ui", ("*",), True),
        ("@corp/ui", ("corp*",), False),  # an unscoped pattern never reaches into a scope
        ("corp-ui", ("corp-*",), True),
        ("left-pad", ("left-pad",), True),
        ("left-pad-2", ("left-pad",), False),
    ],
)
def test_name_patterns(name: str, patterns: tuple[str, ...], expected: bool) -> None:
    assert matches_name(name, patterns) is expected


@pytest.mark.parametrize(
    ("subject", "versions", "scheme", "denied"),
    [
        (npm(version="1.2.0"), ">=1.1.0 <2", NpmVersions(), True),
        (npm(version="2.0.0"), ">=1.1.0 <2", NpmVersions(), False),
        (npm(version="1.3.0-beta.1"), "^1.2.0", NpmVersions(), True),  # prereleases too
        (npm(version=None), ">=1.1.0", NpmVersions(), False),  # a name with good versions
        (npm(version=None), "", NpmVersions(), True),
        (py(version="1.2"), ">=1.0,<1.5", PythonVersions(), True),
        (py(version="1.5"), ">=1.0,<1.5", PythonVersions(), False),
        (py(version="1.5rc1"), ">=1.5.dev0", PythonVersions(), True),
    ],
)
def test_deny_entries_by_version_range(
    subject: Subject, versions: str, scheme: object, denied: bool
) -> None:
    entry = PackageListRule("no-lib", "deny", ("lib",), versions, reason="CVE in our use")
    decision = entry.decide(subject, facts(scheme=scheme))
    assert (decision is not None and decision.verdict is Verdict.DENY) is denied
    if decision is not None:
        assert "no-lib" in decision.reason
        assert "CVE in our use" in decision.reason


def test_allow_entries_beat_every_other_rule() -> None:
    rules = RuleSet(
        rules=(CooldownRule(timedelta(days=1)),),
        allows=(PackageListRule("trusted", "allow", ("@corp/*",)),),
    )
    assert not rules.judge(npm("@corp/ui"), facts()).blocks
    assert rules.judge(npm("@other/ui"), facts()).blocks


def test_an_allowlist_refuses_what_it_does_not_name() -> None:
    rules = RuleSet(rules=(), allowlist=(PackageListRule("approved", "allowlist", ("lib",),
                                                          "<2"),))
    assert not rules.judge(npm(version="1.2.0"), facts()).blocks
    refused = rules.judge(npm(version="2.0.0"), facts())
    assert refused.blocks
    assert "not on the allow list" in refused.decision.reason
    assert rules.judge(npm("other"), facts()).blocks
    # An entry without a format covers both formats; one limited to npm leaves Python be.
    assert rules.judge(py("other"), facts(scheme=PythonVersions())).blocks
    limited = RuleSet(rules=(), allowlist=(PackageListRule("approved", "allowlist", ("lib",),
                                                            format="npm"),))
    assert not limited.judge(py("other"), facts(scheme=PythonVersions())).blocks


def waiver(rules: tuple[str, ...] = (), version: str | None = "1.2.0",
           expires: datetime | None = None) -> Waiver:
    return Waiver("npm", "lib", version, rules, "hotfix", "admin", NOW, expires)


@pytest.mark.parametrize(
    ("given", "blocked"),
    [
        (waiver(), False),
        (waiver(("cooldown",)), False),
        (waiver(("vulnerability",)), True),  # names another rule
        (waiver(version="1.1.0"), True),  # another version
        (waiver(version=None), False),  # every version
        (waiver(expires=NOW), True),  # expired at this very second
        (waiver(expires=NOW + timedelta(seconds=1)), False),
    ],
)
def test_waivers(given: Waiver, blocked: bool) -> None:
    rules = RuleSet(rules=(CooldownRule(timedelta(days=1)),))
    judgement = rules.judge(npm(), facts(given))
    assert judgement.blocks is blocked
    assert bool(judgement.waived) is not blocked


def test_first_blocking_decision_wins_and_warnings_are_collected() -> None:
    rules = RuleSet(rules=(
        SizeRule(10, Mode.WARN),
        PackageListRule("no-lib", "deny", ("lib",)),
        CooldownRule(timedelta(days=1)),
    ))
    judgement = rules.judge(npm(size=100, filename="lib-1.2.0.tgz"), facts())
    assert judgement.decision.rule == "no-lib"
    assert [w.rule for w in judgement.warnings] == ["size"]


@pytest.mark.parametrize(
    ("size", "limit", "denied"), [(100, 100, False), (101, 100, True), (None, 1, False)]
)
def test_size_limit(size: int | None, limit: int, denied: bool) -> None:
    decision = SizeRule(limit).decide(npm(size=size, filename="lib-1.2.0.tgz"), facts())
    assert (decision is not None) is denied


@pytest.mark.parametrize(
    ("licence", "allow", "deny", "deny_unknown", "denied"),
    [
        ("MIT", (), ("GPL-*",), False, False),
        ("GPL-3.0-only", (), ("GPL-*",), False, True),
        ("MIT OR GPL-3.0-only", (), ("GPL-*",), False, True),
        ("MIT", ("MIT", "Apache-2.0"), (), False, False),
        ("(Apache-2.0 AND BSD-3-Clause)", ("Apache-2.0",), (), False, False),
        ("AGPL-3.0", ("MIT",), (), False, True),
        (None, ("MIT",), (), False, False),
        (None, ("MIT",), (), True, True),
        ("mit", ("MIT",), (), False, False),  # case does not matter
    ],
)
def test_licence_lists(
    licence: str | None, allow: tuple[str, ...], deny: tuple[str, ...], deny_unknown: bool,
    denied: bool,
) -> None:
    decision = LicenceRule(allow, deny, deny_unknown).decide(npm(licence=licence), facts())
    assert (decision is not None) is denied


@pytest.mark.parametrize(
    ("subject", "denied"),
    [
        (npm(quarantined=True), True),
        (npm(quarantined=True, upstream=False), False),  # a hosted project: the team's call
        (npm(yanked=True, filename="lib-1.2.0.tgz"), False),  # listing: shown as yanked
        (Subject("npm", "r", "lib", Moment.DOWNLOAD, version="1.2.0", filename="f.tgz",
                 yanked=True, upstream=True), True),
        (Subject("npm", "r", "lib", Moment.DOWNLOAD, version="1.2.0", filename="f.tgz",
                 withdrawn=True, upstream=True), True),
        (Subject("npm", "r", "lib", Moment.DOWNLOAD, version="1.2.0", filename="f.tgz",
                 upstream=True), False),
    ],
)
def test_upstream_state(subject: Subject, denied: bool) -> None:
    decision = UpstreamStateRule().decide(subject, facts())
    assert (decision is not None) is denied
