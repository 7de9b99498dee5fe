"""The typosquat guard against the real popular lists: squats of the past are refused, real
names are not, and the false alarms left among the popular names themselves stay rare."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from wharf.formats.npm import popular as npm_popular
from wharf.formats.npm.scheme import NpmVersions
from wharf.formats.python import popular as python_popular
from wharf.formats.python.scheme import PythonVersions
from wharf.policy.decisions import (
    Decision,
    Facts,
    Mode,
    Moment,
    Rule,
    Subject,
    Verdict,
    VersionScheme,
)
from wharf.policy.lookalikes import Lookalikes, one_edit_apart, skeleton
from wharf.policy.typosquat import RULE_ID, TyposquatRule, popular_lookalikes

POPULAR = {"python": python_popular.popular_names(), "npm": npm_popular.popular_names()}
PROMINENT = {"python": python_popular.prominent_names(), "npm": npm_popular.prominent_names()}
RULE = TyposquatRule(POPULAR, prominent=PROMINENT)
HOSTED = frozenset({"corp-auth", "corp-billing-client", "@corp/auth"})
SCHEMES: dict[str, VersionScheme] = {"python": PythonVersions(), "npm": NpmVersions()}


def judge(
    format: str,
    name: str,
    *,
    rule: TyposquatRule = RULE,
    upstream: bool = True,
    hosted: frozenset[str] = frozenset(),
    moment: Moment = Moment.INGEST,
) -> Decision | None:
    subject = Subject(format, "remote", name, moment, upstream=upstream)
    facts = Facts(now=datetime(2026, 4, 1, tzinfo=UTC), scheme=SCHEMES[format],
                  private_names=hosted)
    return rule.decide(subject, facts)


@pytest.mark.parametrize(
    ("format", "name", "imitated", "how"),
    [
        ("python", "reqeusts", "requests", "two letters swapped"),
        ("python", "python3-dateutil", "python-dateutil", "'3' added"),
        ("python", "colourama", "colorama", "'u' added"),
        ("python", "djanga", "django", "'a' in place of 'o'"),
        ("python", "urlib3", "urllib3", "'l' left out"),
        ("python", "jeilyfish", "jellyfish", "'i' in place of the look-alike 'l'"),
        ("python", "djang0", "django", "'0' in place of the look-alike 'o'"),
        ("python", "pythondateutil", "python-dateutil", "'-' left out"),
        ("python", "setup-tools", "setuptools", "'-' added"),
        ("python", "request", "requests", "'s' left out"),
        ("python", "tensorfow", "tensorflow", "'l' left out"),
        ("python", "rnatplotlib", "matplotlib", "look-alike characters"),
        ("npm", "crossenv", "cross-env", "'-' left out"),
        ("npm", "electorn", "electron", "two letters swapped"),
        ("npm", "loadsh", "lodash", "two letters swapped"),
        ("npm", "mongose", "mongoose", "'o' left out"),
        ("npm", "jquerry", "jquery", "'r' added"),
        ("npm", "discrod.js", "discord.js", "two letters swapped"),
        ("npm", "coffe-script", "coffee-script", "'e' left out"),
        ("npm", "@babeI/core", "@babel/core", "the scope '@babeI' in place of '@babel'"),
        ("npm", "@bable/core", "@babel/core", "the scope '@bable' in place of '@babel'"),
        ("npm", "babelcore", "babel-core", "'-' left out"),
        ("npm", "types-node", "@types/node", "its scope '@types' made part of the name"),
        ("npm", "lodash_merge", "lodash.merge", "'_' in place of '.'"),
        ("npm", "lodashmerge", "lodash.merge", "'.' left out"),
        ("npm", "jsonstream", "JSONStream", "the same letters in other capitals"),
        ("npm", "rnoment", "moment", "look-alike characters"),
    ],
)
def test_squats_of_the_past_are_refused(format: str, name: str, imitated: str, how: str) -> None:
    decision = judge(format, name)
    assert decision is not None
    assert decision.verdict is Verdict.DENY
    assert decision.rule == RULE_ID
    assert decision.blocks
    assert decision.reason == f"{name!r} looks like the popular {imitated!r} ({how})."


def test_a_refusal_says_how_to_let_a_genuine_name_through() -> None:
    decision = judge("python", "reqeusts")
    assert decision is not None
    assert decision.reason == "'reqeusts' looks like the popular 'requests' (two letters swapped)."
    assert "policy.typosquat.allow" in decision.hint
    assert "wharf.toml" in decision.hint
    assert "wharf policy allow python 'reqeusts' --rule typosquat --reason" in decision.hint


@pytest.mark.parametrize(
    ("format", "name"),
    [
        # popular names close to each other are each other's neighbours, never squats
        ("python", "scipy"), ("python", "scapy"), ("python", "typer"), ("python", "hyper"),
        ("python", "pyyaml"), ("python", "pyaml"), ("python", "markdown2"),
        ("python", "grequests"), ("python", "djongo"), ("python", "requests-toolbelt"),
        ("python", "nvidia-cudnn-cu11"), ("python", "psycopg2-binary"),
        ("npm", "react"), ("npm", "preact"), ("npm", "camel-case"), ("npm", "camelcase"),
        ("npm", "babel-core"), ("npm", "@babel/core"), ("npm", "JSONStream"),
        ("npm", "eslint"), ("npm", "tslint"), ("npm", "colors"), ("npm", "lodash.merge"),
    ],
)
def test_popular_names_pass(format: str, name: str) -> None:
    assert name in POPULAR[format]
    assert judge(format, name) is None


def test_no_popular_name_is_ever_refused() -> None:
    rule = TyposquatRule(POPULAR, prominent=PROMINENT)
    refused = [
        (format, name)
        for format, names in POPULAR.items()
        for name in names
        if judge(format, name, rule=rule) is not None
    ]
    assert refused == []


@pytest.mark.parametrize(
    ("format", "name"),
    [
        # new names of a project's own: a word added, not a letter
        ("python", "wharf-registry"), ("python", "acme-billing-client"),
        ("python", "django-wharf-storage"), ("python", "pandas-wharf-extension"),
        ("python", "requests-ratelimiter-plus"),
        # a version number is a project's lineage, not a typo
        ("python", "colorama2"), ("python", "python-dateutil2"), ("python", "nvidia-cudnn-cu14"),
        # a letter put in front makes another word (grequests, preact, ipytest)
        ("python", "crequests"),
        # too short to judge: short names collide by nature
        ("python", "nmpy"), ("python", "sixx"),
        ("npm", "wharf-client"), ("npm", "express-wharf-middleware"), ("npm", "chalk5"),
        ("npm", "vite-plugin-wharf"), ("npm", "@acme/billing"), ("npm", "@wharf/cli"),
        # only a scope's owner publishes in it, so nothing there imitates anyone
        ("npm", "@types/nodee"), ("npm", "@babel/corex"),
    ],
)
def test_plausible_new_names_pass(format: str, name: str) -> None:
    assert name not in POPULAR[format]
    assert judge(format, name) is None


@pytest.mark.parametrize(
    ("format", "name", "imitated", "how"),
    [
        ("python", "corp-auht", "corp-auth", "two letters swapped"),
        ("python", "corp-billing-cilent", "corp-billing-client", "two letters swapped"),
        ("python", "corpauth", "corp-auth", "'-' left out"),
        ("npm", "@corp/auht", "@corp/auth", "two letters swapped"),
        ("npm", "@c0rp/auth", "@corp/auth", "the scope '@c0rp' in place of '@corp'"),
        ("npm", "corp-auth-", "corp-auth", "'-' added"),
    ],
)
def test_lookalikes_of_hosted_names_are_refused(
    format: str, name: str, imitated: str, how: str
) -> None:
    decision = judge(format, name, hosted=HOSTED)
    assert decision is not None
    assert decision.reason == (
        f"{name!r} looks like {imitated!r}, a name this registry hosts ({how})."
    )


def test_a_hosted_name_itself_is_left_to_the_confusion_guard() -> None:
    assert judge("python", "corp-auth", hosted=HOSTED) is None
    assert judge("npm", "@corp/auth", hosted=HOSTED) is None


def test_hosted_names_are_read_at_each_decision() -> None:
    rule = TyposquatRule(POPULAR, prominent=PROMINENT)
    assert judge("python", "corp-auht", rule=rule) is None
    assert judge("python", "corp-auht", rule=rule, hosted=HOSTED) is not None
    assert judge("python", "corp-auht", rule=rule) is None


def test_the_teams_own_uploads_are_never_judged() -> None:
    assert judge("python", "reqeusts", upstream=False, moment=Moment.PUBLISH) is None
    assert judge("python", "corp-auht", upstream=False, hosted=HOSTED) is None


@pytest.mark.parametrize("moment", list(Moment))
def test_every_moment_is_judged(moment: Moment) -> None:
    assert judge("npm", "electorn", moment=moment) is not None


def test_the_allow_list_lets_genuine_lookalikes_through() -> None:
    rule = TyposquatRule(POPULAR, ("reqeusts", "@c0rp/*"), prominent=PROMINENT)
    assert judge("python", "reqeusts", rule=rule) is None
    assert judge("npm", "@c0rp/auth", rule=rule, hosted=HOSTED) is None
    assert judge("python", "colourama", rule=rule) is not None
    assert judge("npm", "c0rp-auth", rule=rule, hosted=HOSTED) is not None


def test_warn_mode_is_carried_in_the_decision() -> None:
    rule = TyposquatRule(POPULAR, (), Mode.WARN, prominent=PROMINENT)
    decision = judge("python", "reqeusts", rule=rule)
    assert decision is not None
    assert decision.mode is Mode.WARN
    assert decision.warns
    assert not decision.blocks


def test_the_rule_speaks_the_rule_protocol() -> None:
    rule: Rule = TyposquatRule(POPULAR)
    assert rule.id == "typosquat"
    assert rule.mode is Mode.ENFORCE


def test_a_format_without_popular_names_is_judged_against_hosted_names_only() -> None:
    rule = TyposquatRule({"npm": POPULAR["npm"]})
    assert judge("python", "reqeusts", rule=rule) is None
    assert judge("python", "corp-auht", rule=rule, hosted=HOSTED) is not None


def test_without_prominent_names_any_one_edit_counts() -> None:
    """Without the most popular names given apart, a letter left out of any popular name
    counts: event-stream is popular, but not among the first 1,000."""
    rule = TyposquatRule(POPULAR)
    assert judge("npm", "event-steam", rule=rule) is not None
    assert judge("npm", "event-steam") is None


@pytest.mark.parametrize(
    ("left", "right", "apart"),
    [
        ("requests", "reqeusts", True), ("requests", "request", True),
        ("requests", "requestss", True), ("requests", "requezts", True),
        ("requests", "requests", False), ("requests", "rqeuests", True),
        ("requests", "qerusets", False), ("abcd", "badc", False), ("ab", "ba", True),
        ("abc", "abcde", False), ("", "a", True),
    ],
)
def test_one_edit_apart(left: str, right: str, apart: bool) -> None:
    assert one_edit_apart(left, right) is apart
    assert one_edit_apart(right, left) is apart


@pytest.mark.parametrize(
    ("name", "reads"),
    [
        ("@babeI/core", "babelcore"), ("babel-core", "babelcore"), ("rnoment", "moment"),
        ("vvebpack", "webpack"), ("c1ick", "dlck"), ("click", "dlck"), ("5ix", "slx"),
        ("Lodash.Merge", "lodashmerge"),
    ],
)
def test_skeleton(name: str, reads: str) -> None:
    assert skeleton(name) == reads


def _owned_by_others(name: str, scopes: Counter[str]) -> bool:
    scope = name.partition("/")[0] if name.startswith("@") else ""
    return scopes[scope] > 1


@pytest.mark.parametrize(
    ("format", "ranked", "held_out", "production"),
    [
        # measured on the 2026-04 / 2025-12 lists: 62 (0.44%) and 129 (0.86%) for Python,
        # 70 (0.50%) and 246 (1.63%) for npm (mostly legacy unscoped twins of scoped names,
        # babel-core for @babel/core, and separator twins such as is-stream/isstream)
        ("python", python_popular.ranked_names(), 0.01, 0.015),
        ("npm", npm_popular.ranked_names(), 0.01, 0.02),
    ],
)
def test_false_alarms_among_popular_names_are_rare(
    format: str, ranked: tuple[str, ...], held_out: float, production: float
) -> None:
    """Popular names are real projects, so the ones flagged when judged as new measure the
    false alarms: names ranked after 1,000 against the first 1,000, then each name against
    all the others (the configuration in production)."""
    top, rest = Lookalikes(ranked[:1000]), ranked[1000:]
    flagged = [n for n in rest if not top.owns_scope(n) and top.imitated_by(n) is not None]
    assert len(flagged) / len(rest) < held_out

    every = popular_lookalikes(POPULAR[format], PROMINENT[format])
    scopes = Counter(name.partition("/")[0] for name in ranked if name.startswith("@"))
    flagged = [
        name
        for name in ranked  # imitated_by never finds a name imitating itself
        if not _owned_by_others(name, scopes) and every.imitated_by(name) is not None
    ]
    assert len(flagged) / len(ranked) < production
