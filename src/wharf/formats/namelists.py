"""Bundled name lists (the popular names each format's typosquat check compares with): one
name per line in popularity order, under ``#`` header lines saying where the list came from."""

from __future__ import annotations

from importlib.resources import files


def read_names(package: str, resource: str = "data/popular.txt") -> tuple[str, ...]:
    """The names of a list shipped inside ``package``, in file order."""
    text = (files(package) / resource).read_text("utf-8")
    return tuple(
        line for line in map(str.strip, text.splitlines()) if line and not line.startswith("#")
    )
