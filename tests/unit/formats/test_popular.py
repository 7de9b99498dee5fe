"""The bundled popular names the typosquat rule compares with: complete, in order, in each
format's own spelling, and read once."""

from __future__ import annotations

from importlib.resources import files
from types import ModuleType

import pytest

from wharf.formats.npm import popular as npm_popular
from wharf.formats.npm.names import split_scope
from wharf.formats.python import popular as python_popular
from wharf.formats.python.names import normalize


@pytest.mark.parametrize(
    ("loader", "count", "first"),
    [
        # the 2026-04 download statistics and the 2025-12 npm list; update on refresh
        (python_popular, 15000, "boto3"),
        (npm_popular, 15113, "semver"),
    ],
)
def test_every_name_is_loaded_in_order_once(loader: ModuleType, count: int, first: str) -> None:
    ranked = loader.ranked_names()
    assert len(ranked) == count
    assert len(loader.popular_names()) == count
    assert ranked[0] == first
    assert loader.prominent_names() == frozenset(ranked[:1000])
    assert loader.prominent_names(10) == frozenset(ranked[:10])
    assert not any(name.startswith("#") or name != name.strip() or not name for name in ranked)


@pytest.mark.parametrize("package", ["wharf.formats.python", "wharf.formats.npm"])
def test_the_data_file_says_where_the_list_came_from(package: str) -> None:
    lines = (files(package) / "data" / "popular.txt").read_text("utf-8").splitlines()
    header = [line for line in lines[:5] if line.startswith("#")]
    assert 2 <= len(header) <= 3
    assert any(year in " ".join(header) for year in ("2025", "2026"))
    assert not any("://" in line or ".org" in line or ".com" in line for line in header)


def test_python_names_are_pep_503_normalised() -> None:
    names = python_popular.popular_names()
    assert all(normalize(name) == name for name in names)
    assert {"requests", "python-dateutil", "typing-extensions", "zope-interface"} <= names
    assert "typing_extensions" not in names


def test_npm_names_are_kept_as_published() -> None:
    names = npm_popular.popular_names()
    assert {"lodash", "cross-env", "lodash.merge", "@babel/core", "@types/node"} <= names
    assert "JSONStream" in names  # a legacy name with capitals, not folded
    assert "jsonstream" not in names
    scoped = [name for name in names if name.startswith("@")]
    assert len(scoped) > 1000
    assert all(split_scope(name)[0] not in (None, "@") and split_scope(name)[1] for name in scoped)


def test_the_names_are_read_once() -> None:
    assert python_popular.popular_names() is python_popular.popular_names()
    assert npm_popular.popular_names() is npm_popular.popular_names()
    assert npm_popular.ranked_names() is npm_popular.ranked_names()
