"""CVSS v3 base scores (checked against FIRST's published examples) and their words."""

from __future__ import annotations

import pytest

from wharf.policy.severity import cvss3_base_score, severity_of_score, severity_of_vector


@pytest.mark.parametrize(
    ("vector", "score"),
    [
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
        ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", 5.5),
        ("CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H", 5.9),
        ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9),
        ("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
        # temporal metrics after the base ones are ignored
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O", 9.8),
    ],
)
def test_base_scores(vector: str, score: float) -> None:
    assert cvss3_base_score(vector) == score


@pytest.mark.parametrize(
    "vector",
    [
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        "AV:N/AC:L/Au:N/C:P/I:P/A:P",  # CVSS v2
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",  # no availability metric
        "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "",
    ],
)
def test_unscorable_vectors(vector: str) -> None:
    assert cvss3_base_score(vector) is None
    assert severity_of_vector(vector) == ""


@pytest.mark.parametrize(
    ("score", "words"),
    [(0.0, "low"), (3.9, "low"), (4.0, "moderate"), (6.9, "moderate"), (7.0, "high"),
     (8.9, "high"), (9.0, "critical"), (10.0, "critical")],
)
def test_words(score: float, words: str) -> None:
    assert severity_of_score(score) == words


def test_severity_of_vector() -> None:
    assert severity_of_vector("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H") == "critical"
    assert severity_of_vector("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N") == "moderate"
