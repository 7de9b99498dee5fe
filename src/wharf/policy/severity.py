"""Severity of a record from its CVSS vector, when the record states none in words.

GitHub's advisories say LOW / MODERATE / HIGH / CRITICAL; many other OSV records (the
Python advisory database, for one) carry only a CVSS vector. The CVSS v3 base score is a
published formula (FIRST, CVSS v3.1 specification, section 7), computed here from the
vector's base metrics. CVSS v4 scores come from a large lookup table rather than a formula,
so a v4-only vector leaves the severity unknown (and the vulnerability rule counts unknown
severity as matching, the safe side).
"""

from __future__ import annotations

import math

_ATTACK_VECTOR = {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2}
_ATTACK_COMPLEXITY = {"L": 0.77, "H": 0.44}
_PRIVILEGES = {"N": (0.85, 0.85), "L": (0.62, 0.68), "H": (0.27, 0.5)}
"""Privileges required: (scope unchanged, scope changed)."""
_USER_INTERACTION = {"N": 0.85, "R": 0.62}
_IMPACT = {"H": 0.56, "L": 0.22, "N": 0.0}
_BASE_METRICS = ("AV", "AC", "PR", "UI", "S", "C", "I", "A")


def cvss3_base_score(vector: str) -> float | None:
    """The base score (0.0 to 10.0) of a ``CVSS:3.0/…`` or ``CVSS:3.1/…`` vector; None for
    anything else or a vector missing a base metric."""
    parts = vector.strip().split("/")
    if not parts or parts[0] not in ("CVSS:3.0", "CVSS:3.1"):
        return None
    metrics = dict(part.split(":", 1) for part in parts[1:] if ":" in part)
    try:
        scope_changed = {"U": False, "C": True}[metrics["S"]]
        exploitability = (
            8.22
            * _ATTACK_VECTOR[metrics["AV"]]
            * _ATTACK_COMPLEXITY[metrics["AC"]]
            * _PRIVILEGES[metrics["PR"]][scope_changed]
            * _USER_INTERACTION[metrics["UI"]]
        )
        confidentiality, integrity, availability = (
            _IMPACT[metrics[name]] for name in ("C", "I", "A")
        )
    except KeyError:
        return None
    base = 1 - (1 - confidentiality) * (1 - integrity) * (1 - availability)
    impact = _impact(base, scope_changed=scope_changed)
    if impact <= 0:
        return 0.0
    total = impact + exploitability
    return _round_up(min(1.08 * total if scope_changed else total, 10.0))


def severity_of_score(score: float) -> str:
    """The words for a score, in npm's vocabulary (CVSS "medium" is npm's "moderate")."""
    if score < 4.0:
        return "low"
    if score < 7.0:
        return "moderate"
    if score < 9.0:
        return "high"
    return "critical"


def severity_of_vector(vector: str) -> str:
    """The severity a CVSS vector implies; ``""`` when it cannot be scored here."""
    score = cvss3_base_score(vector)
    return "" if score is None else severity_of_score(score)


def _impact(base: float, *, scope_changed: bool) -> float:
    """The impact sub-score from the combined impact of confidentiality, integrity and
    availability (a changed scope weighs more, and saturates)."""
    if scope_changed:
        return 7.52 * (base - 0.029) - 3.25 * (base - 0.02) ** 15
    return 6.42 * base


def _round_up(value: float) -> float:
    """CVSS v3.1 Roundup: the smallest number of one decimal at or above ``value``, immune
    to floating-point noise (4.000000001 stays 4.0)."""
    scaled = round(value * 100_000)
    if scaled % 10_000 == 0:
        return scaled / 100_000
    return (math.floor(scaled / 10_000) + 1) / 10.0
