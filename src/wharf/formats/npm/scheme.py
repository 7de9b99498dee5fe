"""Semver order and npm ranges for the policy rules (``policy.decisions.VersionScheme``).

Ranges are npm's own grammar (``^1.2.0``, ``~1.2``, ``1.x``, ``1.0.0 - 1.4.0``,
``>=2 <3 || 4``), read by node-semver, a port of the semver package npm uses. Unlike an
install, a policy range covers prereleases too: a deny of ``>=1.3.0`` must also refuse
``1.4.0-beta.1``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import nodesemver

from wharf.formats.npm.versions import is_prerelease, sort_key


class NpmVersions:
    def key(self, version: str) -> Any:
        return sort_key(version)

    def stable(self, version: str) -> bool:
        return sort_key(version)[0] == 1 and not is_prerelease(version)

    def in_range(self, version: str, spec: str) -> bool:
        return _satisfies(version, spec)

    def valid_range(self, spec: str) -> str | None:
        try:
            nodesemver.make_range(spec, True)
        except (ValueError, TypeError):
            return f"{spec!r} is not an npm semver range (write e.g. '>=1.2.0 <2' or '^1.2.0')"
        return None


def licence_of(manifest: Mapping[str, Any]) -> str | None:
    """The version's ``license`` (an SPDX expression), or the old ``{type}`` object form."""
    value = manifest.get("license")
    if isinstance(value, dict):
        value = value.get("type")
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


@lru_cache(maxsize=65536)
def _satisfies(version: str, spec: str) -> bool:
    try:
        return bool(nodesemver.satisfies(version, spec, loose=True, include_prerelease=True))
    except (ValueError, TypeError):
        return False
