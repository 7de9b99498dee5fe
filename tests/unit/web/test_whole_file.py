"""Which file requests count as downloads in the audit trail: a HEAD or a read from the
end of a wheel (uv fetching its metadata) does not; a whole or resumed GET does."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from wharf.web.kit import fetches_whole_file


def request(method: str, headers: dict[str, str]) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": method, "headers": raw, "path": "/"})


@pytest.mark.parametrize(
    ("method", "headers", "counted"),
    [
        ("GET", {}, True),
        ("HEAD", {}, False),
        ("GET", {"Range": "bytes=-8192"}, False),
        ("GET", {"Range": "bytes=1000-2000"}, False),
        ("GET", {"Range": "bytes=0-"}, True),
        ("GET", {"Range": "Bytes = 0-1023"}, True),
    ],
)
def test_what_counts_as_a_download(method: str, headers: dict[str, str], counted: bool) -> None:
    assert fetches_whole_file(request(method, headers)) is counted
