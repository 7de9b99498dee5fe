"""The minimum release age, its exemptions, the freeze and the fast lane, table-driven with
an injected clock (boundaries at the exact second)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from wharf.formats.npm.scheme import NpmVersions
from wharf.formats.python.scheme import PythonVersions
from wharf.policy.advisories import Advisory, AffectedRange
from wharf.policy.cooldown import CooldownRule
from wharf.policy.decisions import Facts, Mode, Moment, Subject, Verdict

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def subject(version: str | None = "2.0.0", *, age: timedelta | None = timedelta(hours=1),
            upstream: bool = True, name: str = "lib", fmt: str = "npm",
            versions: tuple[str, ...] = ("1.0.0", "2.0.0")) -> Subject:
    return Subject(fmt, "npm-remote", name, Moment.LISTING, version=version,
                   published_at=NOW - age if age is not None else None, upstream=upstream,
                   versions=versions)


def facts(*advisories: Advisory, scheme: object = None) -> Facts:
    return Facts(now=NOW, scheme=scheme or NpmVersions(), advisories=advisories)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("age", "verdict"),
    [
        (timedelta(hours=1), Verdict.QUARANTINE),
        (DAY - timedelta(seconds=1), Verdict.QUARANTINE),
        (DAY, None),  # exactly old enough
        (DAY + timedelta(seconds=1), None),
        (timedelta(days=400), None),
        (timedelta(seconds=0), Verdict.QUARANTINE),
    ],
)
def test_age_is_counted_from_the_publish_time(age: timedelta, verdict: Verdict | None) -> None:
    decision = CooldownRule(DAY).decide(subject(age=age), facts())
    assert (decision.verdict if decision else None) is verdict
    if decision is not None:
        assert decision.until == NOW - age + DAY
        assert decision.rule == "cooldown"
        assert "lib 2.0.0" in decision.reason
        assert "1 day" in decision.reason
        assert "wharf policy allow npm 'lib@2.0.0'" in decision.hint


def test_the_teams_own_uploads_are_not_held_unless_configured() -> None:
    fresh = subject(upstream=False)
    assert CooldownRule(DAY).decide(fresh, facts()) is None
    held = CooldownRule(DAY, uploads=True).decide(fresh, facts())
    assert held is not None
    assert held.verdict is Verdict.QUARANTINE


@pytest.mark.parametrize(("deny_unknown", "verdict"), [(False, None), (True, Verdict.DENY)])
def test_unknown_publish_time_is_treated_as_configured(
    deny_unknown: bool, verdict: Verdict | None
) -> None:
    decision = CooldownRule(DAY, deny_unknown=deny_unknown).decide(subject(age=None), facts())
    assert (decision.verdict if decision else None) is verdict


@pytest.mark.parametrize(
    ("name", "exempt", "held"),
    [
        ("@corp/ui", ("@corp/*",), False),
        ("@other/ui", ("@corp/*",), True),
        ("corp-tools", ("corp-*",), False),
        ("lib", (), True),
    ],
)
def test_exempt_name_patterns(name: str, exempt: tuple[str, ...], held: bool) -> None:
    decision = CooldownRule(DAY, exempt=exempt).decide(subject(name=name), facts())
    assert (decision is not None) is held


def test_a_name_alone_is_never_held() -> None:
    assert CooldownRule(DAY).decide(subject(version=None), facts()) is None


@pytest.mark.parametrize(
    ("age", "verdict", "rule"),
    [
        (timedelta(days=30), Verdict.DENY, "freeze"),  # after the freeze, however old
        (timedelta(days=40), None, None),  # before the freeze and old enough
    ],
)
def test_freeze_refuses_everything_published_after_it(
    age: timedelta, verdict: Verdict | None, rule: str | None
) -> None:
    freeze = NOW - timedelta(days=35)
    decision = CooldownRule(DAY, freeze_after=freeze).decide(subject(age=age), facts())
    assert (decision.verdict if decision else None) is verdict
    assert (decision.rule if decision else None) == rule


def vulnerable_below(fixed: str) -> Advisory:
    return Advisory(
        id="GHSA-test-0001", format="npm", name="lib", summary="prototype pollution",
        severity="high", malware=False,
        ranges=(AffectedRange("SEMVER", (("introduced", "0"), ("fixed", fixed))),),
        versions=(),
    )


@pytest.mark.parametrize(
    ("version", "versions", "fast_lane", "held"),
    [
        ("2.0.0", ("1.0.0", "2.0.0"), True, False),  # the first version with the fix
        ("2.0.1", ("1.0.0", "2.0.0", "2.0.1"), True, True),  # a later one waits
        ("2.0.0", ("1.0.0", "2.0.0"), False, True),  # fast lane off
        ("1.0.0", ("1.0.0",), True, True),  # still vulnerable: no fast lane
    ],
)
def test_fast_lane_lets_the_fixing_version_through(
    version: str, versions: tuple[str, ...], fast_lane: bool, held: bool
) -> None:
    rule = CooldownRule(DAY, fast_lane=fast_lane)
    decision = rule.decide(subject(version, versions=versions), facts(vulnerable_below("2.0.0")))
    assert (decision is not None) is held


def test_python_versions_use_pep_440_order_in_the_fast_lane() -> None:
    advisory = Advisory(
        id="PYSEC-1", format="python", name="lib", summary="", severity="", malware=False,
        ranges=(AffectedRange("ECOSYSTEM", (("introduced", "0"), ("fixed", "1.10"))),),
        versions=())
    rule = CooldownRule(DAY)
    fresh = subject("1.10", fmt="python", versions=("1.9", "1.10"))
    assert rule.decide(fresh, facts(advisory, scheme=PythonVersions())) is None


def test_warn_mode_is_carried_in_the_decision() -> None:
    decision = CooldownRule(DAY, Mode.WARN).decide(subject(), facts())
    assert decision is not None
    assert decision.warns
    assert not decision.blocks
