"""Python project names: PEP 503 normalisation and the PEP 508 name rule."""

from __future__ import annotations

import re

from packaging.utils import canonicalize_name

MAX_NAME_LENGTH = 200

_VALID_NAME = re.compile(r"[A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9]", re.IGNORECASE | re.ASCII)


def normalize(name: str) -> str:
    """The PEP 503 form of a name: lower case, runs of ``-_.`` as one ``-``."""
    return str(canonicalize_name(name))


def validate_project_name(name: str) -> list[str]:
    """Problems with a project name as given (empty when valid)."""
    if not name:
        return ["project name is empty"]
    problems: list[str] = []
    if len(name) > MAX_NAME_LENGTH:
        problems.append(
            f"project name is {len(name)} characters long; the limit is {MAX_NAME_LENGTH}"
        )
    if _VALID_NAME.fullmatch(name) is None:
        problems.append(
            f"{name!r} is not a valid project name: use ASCII letters, digits, '.', '_' "
            "and '-', starting and ending with a letter or digit (PEP 508)"
        )
    return problems
