"""The vulnerability and malware rules: what they deny, and what they tell the user."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from wharf.policy.advisories import Advisory
from wharf.policy.decisions import Facts, Mode, Moment, Subject, Verdict, allow_command
from wharf.policy.vulnerable import MalwareRule, VulnerabilityRule

from .advisory_fixtures import SCHEME, advisory, span

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def subject(version: str | None, *, format: str = "python", name: str = "demo") -> Subject:
    return Subject(format=format, source="pypi-remote", name=name, moment=Moment.DOWNLOAD,
                   version=version, upstream=True)


def facts(*records: Advisory) -> Facts:
    return Facts(now=NOW, scheme=SCHEME, advisories=records)


def fixed_in_2(severity: str, id: str = "GHSA-1") -> Advisory:
    return advisory(span(("introduced", "0"), ("fixed", "2.0")), severity=severity, id=id)


@pytest.mark.parametrize(
    ("threshold", "severity", "denied"),
    [
        ("high", "critical", True),
        ("high", "high", True),
        ("high", "moderate", False),
        ("high", "low", False),
        ("high", "", True),  # unknown severity counts
        ("low", "low", True),
        ("low", "moderate", True),
        ("critical", "high", False),
        ("critical", "critical", True),
        ("moderate", "moderate", True),
    ],
)
def test_severity_threshold(threshold: str, severity: str, denied: bool) -> None:
    rule = VulnerabilityRule(Mode.ENFORCE, threshold)
    decision = rule.decide(subject("1.0"), facts(fixed_in_2(severity)))
    assert (decision is not None) is denied
    if decision is not None:
        assert decision.verdict is Verdict.DENY
        assert decision.rule == "vulnerability"


def test_vulnerability_reason_names_ids_summary_and_fix() -> None:
    rule = VulnerabilityRule(Mode.ENFORCE, "high")
    decision = rule.decide(subject("1.0"), facts(fixed_in_2("critical")))
    assert decision is not None
    assert decision.blocks
    assert decision.reason == (
        "demo 1.0 has a known vulnerability (critical severity): GHSA-1 (Bad things); "
        "fixed in 2.0."
    )
    assert decision.hint.startswith("Upgrade to a fixed version (2.0 or later)")
    assert "wharf policy allow python 'demo==1.0' --rule vulnerability --until DATE" in (
        decision.hint
    )


def test_vulnerability_reason_counts_beyond_three_and_lists_every_fix() -> None:
    records = [fixed_in_2("high", id=f"GHSA-{n}") for n in range(1, 5)]
    records.append(advisory(span(("introduced", "0"), ("fixed", "1.5")), id="PYSEC-9"))
    decision = VulnerabilityRule(Mode.WARN, "high").decide(subject("1.0"), facts(*records))
    assert decision is not None
    assert decision.warns
    assert not decision.blocks
    assert "GHSA-1, GHSA-2, GHSA-3 and 2 more (Bad things)" in decision.reason
    assert decision.reason.endswith("fixed in 1.5, 2.0.")


def test_vulnerability_without_a_fix_says_so() -> None:
    record = advisory(span(("introduced", "0")), summary="")
    decision = VulnerabilityRule(Mode.ENFORCE, "high").decide(
        subject("3.0", format="npm", name="@corp/left"), facts(record)
    )
    assert decision is not None
    assert decision.reason == "@corp/left 3.0 has a known vulnerability (high severity): GHSA-1."
    assert decision.hint.startswith("No fixed version is known yet")
    assert "wharf policy allow npm '@corp/left@3.0' --rule vulnerability" in decision.hint


@pytest.mark.parametrize(
    ("version", "records"),
    [
        ("2.0", [fixed_in_2("critical")]),  # the fixed version
        (None, [fixed_in_2("critical")]),  # a whole name: nothing to say
        ("1.0", [advisory(malware=True, id="MAL-1")]),  # malware is the other rule's
        ("1.0", [advisory(span(("introduced", "0")), withdrawn=NOW)]),
        ("1.0", []),
    ],
)
def test_vulnerability_rule_says_nothing(version: str | None, records: list[Advisory]) -> None:
    assert VulnerabilityRule(Mode.ENFORCE, "low").decide(subject(version), facts(*records)) is None


MALWARE_EVERYWHERE = advisory(id="MAL-2026-7", malware=True, summary="Steals tokens")
MALWARE_FROM_ZERO = advisory(span(("introduced", "0")), id="MAL-2026-8", malware=True)
MALWARE_ONE_VERSION = advisory(versions=("1.3",), id="MAL-2026-9", malware=True)


@pytest.mark.parametrize(
    ("version", "record", "denied"),
    [
        ("1.0", MALWARE_EVERYWHERE, True),
        (None, MALWARE_EVERYWHERE, True),
        (None, MALWARE_FROM_ZERO, True),
        ("5.0", MALWARE_FROM_ZERO, True),
        ("1.3", MALWARE_ONE_VERSION, True),
        ("1.2", MALWARE_ONE_VERSION, False),
        (None, MALWARE_ONE_VERSION, False),  # the name itself is not malicious
        ("1.0", advisory(malware=True, withdrawn=NOW), False),
        ("1.0", fixed_in_2("critical"), False),  # a vulnerability is not malware
    ],
)
def test_malware_rule(version: str | None, record: Advisory, denied: bool) -> None:
    decision = MalwareRule(Mode.ENFORCE).decide(subject(version), facts(record))
    assert (decision is not None) is denied
    if decision is not None:
        assert decision.rule == "malware"
        assert decision.blocks
        assert record.id in decision.reason


def test_malware_reason_and_hint() -> None:
    decision = MalwareRule(Mode.ENFORCE).decide(
        subject("1.0", format="npm", name="evil"), facts(MALWARE_EVERYWHERE)
    )
    assert decision is not None
    assert decision.reason == "evil 1.0 is reported as malicious: MAL-2026-7 (Steals tokens)."
    assert "compromised" in decision.hint
    assert "wharf policy allow npm 'evil@1.0' --rule malware" in decision.hint
    whole = MalwareRule(Mode.ENFORCE).decide(subject(None), facts(MALWARE_EVERYWHERE))
    assert whole is not None
    assert whole.reason.startswith("demo (every version) is reported as malicious")


def test_allow_command_per_format() -> None:
    assert allow_command("python", "demo", "1.0", "vulnerability", lasting="--until DATE") == (
        "wharf policy allow python 'demo==1.0' --rule vulnerability --until DATE --reason '...'"
    )
    assert allow_command("npm", "@a/b", "1.0.0", "malware").startswith(
        "wharf policy allow npm '@a/b@1.0.0' --rule malware"
    )
    assert allow_command("npm", "evil", None, "malware").startswith(
        "wharf policy allow npm 'evil' --rule malware"
    )
