"""Choosing the abbreviated or the full packument from the Accept header."""

from __future__ import annotations

import pytest

from wharf.formats.npm.media import ABBREVIATED, wants_abbreviated

NPM = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*"


@pytest.mark.parametrize(
    "accept",
    [
        NPM,  # npm, pnpm and yarn classic
        "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8",  # corepack
        ABBREVIATED,
        "APPLICATION/VND.NPM.INSTALL-V1+JSON",
        f"{ABBREVIATED}, */*",  # equal rank with the wildcard: the corgi type was asked for
        f"application/json;q=0.5, {ABBREVIATED};q=0.5",
        f"application/*;q=0.9, {ABBREVIATED}",
    ],
)
def test_abbreviated_when_the_corgi_type_ranks_first(accept: str) -> None:
    assert wants_abbreviated(accept) is True


@pytest.mark.parametrize(
    "accept",
    [
        None,
        "",
        "*/*",  # curl
        "application/json",  # yarn berry, npm view
        "application/json, */*",
        f"{ABBREVIATED}; q=0.5, application/json",
        f"{ABBREVIATED}; q=0",
        f"{ABBREVIATED}; q=nonsense",
        "application/vnd.npm.install-v1+json-ish",
        f"application/*, {ABBREVIATED};q=0.9",
    ],
)
def test_full_document_otherwise(accept: str | None) -> None:
    assert wants_abbreviated(accept) is False
