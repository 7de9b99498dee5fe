"""The dependency-confusion guard of groups (DESIGN.md section 6).

A name held by a hosted member hides the upstream's releases of that name, so a public
lookalike of a private package can never be installed through the group, whatever its
version, unless the group explicitly trusts upstream for that name.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase

RULE_ID = "dependency-confusion"


def trusts_upstream(project: str, patterns: Iterable[str]) -> bool:
    """True when a group's trust patterns (fnmatch on normalised names) cover ``project``."""
    return any(fnmatchcase(project, pattern) for pattern in patterns)


def hides_upstream(project: str, *, hosted_holds: bool, trust_patterns: Iterable[str]) -> bool:
    """True when upstream releases of ``project`` must not be served through the group."""
    return hosted_holds and not trusts_upstream(project, trust_patterns)
