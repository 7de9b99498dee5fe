"""PEP 440 versions and specifiers for the policy rules (``policy.decisions.VersionScheme``)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version


class PythonVersions:
    def key(self, version: str) -> Any:
        """Equal precedence gives equal keys (``2.0`` and ``2.0.0``), as version ranges
        and OSV bounds need; strings no PEP 440 reading accepts sort first."""
        parsed = _version(version)
        return (1, parsed) if parsed is not None else (0, version)

    def stable(self, version: str) -> bool:
        parsed = _version(version)
        return parsed is not None and not parsed.is_prerelease

    def in_range(self, version: str, spec: str) -> bool:
        parsed = _version(version)
        specifiers = _specifiers(spec)
        if parsed is None or specifiers is None:
            return False
        return specifiers.contains(parsed, prereleases=True)

    def valid_range(self, spec: str) -> str | None:
        return None if _specifiers(spec) is not None else (
            f"{spec!r} is not a PEP 440 version specifier (write e.g. '>=1.0,<2')")


def licence_of(metadata: Mapping[str, Any]) -> str | None:
    """The release's licence: the SPDX expression (PEP 639) when declared, else the
    free-text License field when it is short enough to be a name."""
    expression = metadata.get("license_expression")
    if isinstance(expression, str) and expression.strip():
        return expression.strip()
    text = metadata.get("license")
    if isinstance(text, str) and text.strip() and len(text) <= 64 and "\n" not in text:
        return text.strip()
    return None


@lru_cache(maxsize=16384)
def _version(version: str) -> Version | None:
    try:
        return Version(version)
    except InvalidVersion:
        return None


@lru_cache(maxsize=1024)
def _specifiers(spec: str) -> SpecifierSet | None:
    try:
        return SpecifierSet(spec)
    except InvalidSpecifier:
        return None
