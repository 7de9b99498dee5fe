"""File URLs on upstream pages resolve exactly as ``urljoin`` would, memo or not."""

from __future__ import annotations

import itertools
import random
from urllib.parse import quote, urljoin

import pytest

from wharf.formats.python.listing import _Resolver, parse_listing
from wharf.formats.python.simple import quote_path

BASES = ["http://h/simple/numpy/", "http://h/simple/numpy", "https://h/a/b/c/", "http://h/"]
SEGMENTS = ["..", ".", "a", "b.whl", "", "x y", "%2F", "...", "a.b", "c:d", "q?x=1"]


@pytest.mark.parametrize("base", BASES)
def test_every_reference_resolves_as_urljoin_does(base: str) -> None:
    resolve = _Resolver(base)  # one resolver: its memo is shared across references
    rng = random.Random(5)
    references = ["/".join(rng.choice(SEGMENTS) for _ in range(rng.randint(1, 6)))
                  for _ in range(20_000)]
    references += ["../../packages/ab/cd/x.whl", "x.whl", "./x.whl", "/abs/x.whl", "a//b.whl"]
    for reference in references:
        assert resolve(reference) == urljoin(base, reference), reference


def test_pages_that_give_each_file_its_own_directory_resolve_every_file() -> None:
    files = [
        {"filename": f"demo-{n}.tar.gz",
         "url": f"../../packages/{n:02x}/{n:02x}/d{n}/demo-{n}.tar.gz", "hashes": {}}
        for n in range(50)
    ]
    page = b'{"meta": {"api-version": "1.1"}, "name": "demo", "files": ' + (
        str(files).replace("'", '"').encode()) + b"}"
    body = parse_listing(page, "application/vnd.pypi.simple.v1+json",
                         "http://up.test/simple/demo/", "demo")
    assert [f["url"] for f in body["files"]] == [
        f"http://up.test/packages/{n:02x}/{n:02x}/d{n}/demo-{n}.tar.gz" for n in range(50)
    ]


def test_paths_are_quoted_segment_by_segment() -> None:
    alphabet = "ab/+ %~._-\u00e9?#&=:"
    for length in range(4):
        for chars in itertools.product(alphabet, repeat=length):
            path = "".join(chars)
            expected = "/".join(quote(s, safe="") for s in path.lstrip("/").split("/"))
            assert quote_path(path) == expected, path
