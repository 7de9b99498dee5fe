"""PEP 691 content negotiation."""

from __future__ import annotations

import pytest

from wharf.formats.python import media
from wharf.formats.python.media import (
    HTML_LATEST,
    HTML_V1,
    JSON_LATEST,
    JSON_V1,
    TEXT_HTML,
    is_json,
    negotiate,
)

PIP_ACCEPT = f"{JSON_V1}, {HTML_V1}; q=0.1, {TEXT_HTML}; q=0.01"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, TEXT_HTML),
        ("", TEXT_HTML),
        ("*/*", TEXT_HTML),
        (PIP_ACCEPT, JSON_V1),
        (BROWSER_ACCEPT, TEXT_HTML),
        (HTML_V1, HTML_V1),
        (JSON_LATEST, JSON_V1),
        (HTML_LATEST, HTML_V1),
        ("Application/Vnd.PyPI.Simple.V1+JSON", JSON_V1),
        # q-values beat the server's preference
        (f"{JSON_V1};q=0.1, {TEXT_HTML}", TEXT_HTML),
        (f"{TEXT_HTML};q=0.5, {HTML_V1};q=0.9", HTML_V1),
        # the most specific range decides: q=0 on JSON excludes it despite */*
        (f"{JSON_V1};q=0, */*", TEXT_HTML),
        (f"*/*;q=0.1, {JSON_V1}", JSON_V1),
        # subtype wildcards
        ("application/*", JSON_V1),
        ("text/*", TEXT_HTML),
        ("application/*;q=0.2, text/*;q=0.9", TEXT_HTML),
        # malformed q is ignored, q above 1 is clamped
        (f"{JSON_V1};q=abc, {TEXT_HTML};q=0.5", TEXT_HTML),
        (f"{JSON_V1};q=5, {HTML_V1}", JSON_V1),
        # nothing acceptable
        ("application/json", None),
        ("image/png, text/plain", None),
        (f"{JSON_V1};q=0", None),
        ("garbage", None),
    ],
)
def test_negotiate_accept(accept: str | None, expected: str | None) -> None:
    assert negotiate(accept) == expected


@pytest.mark.parametrize(
    ("accept", "format_param", "expected"),
    [
        (TEXT_HTML, JSON_V1, JSON_V1),
        (PIP_ACCEPT, TEXT_HTML, TEXT_HTML),
        (None, JSON_LATEST, JSON_V1),
        (None, HTML_LATEST, HTML_V1),
        (None, "application/vnd.pypi.simple.v1 json", JSON_V1),
        (PIP_ACCEPT, "application/json", None),
        (PIP_ACCEPT, "", JSON_V1),
        (PIP_ACCEPT, None, JSON_V1),
    ],
)
def test_format_parameter_wins(
    accept: str | None, format_param: str | None, expected: str | None
) -> None:
    assert negotiate(accept, format_param) == expected


def test_results_are_cached_per_accept_string() -> None:
    header = f"{JSON_V1};q=0.7, {TEXT_HTML};q=0.3"
    negotiate(header)
    before = media._negotiate_accept.cache_info().hits
    assert negotiate(header) == JSON_V1
    assert media._negotiate_accept.cache_info().hits == before + 1


def test_is_json() -> None:
    assert is_json(JSON_V1)
    assert not is_json(HTML_V1)
    assert not is_json(TEXT_HTML)
