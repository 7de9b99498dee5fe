"""Rules for adding a file to a project that need the files already there."""

from __future__ import annotations

from collections.abc import Sequence

from packaging.utils import InvalidWheelFilename, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from wharf.core.models import Artifact
from wharf.formats.python.filenames import SDIST, WHEEL


def check_addition(existing: Sequence[Artifact], new: Artifact) -> list[str]:
    """Problems with adding ``new`` to a project holding ``existing``.

    A file with the very same filename is left to the caller, which tells an identical
    re-upload from a conflicting one.
    """
    others = [artifact for artifact in existing if artifact.filename != new.filename]
    problems: list[str] = []
    for other in others:
        if other.sha256 == new.sha256:
            problems.append(
                f"the same file is already uploaded as {other.filename!r}; "
                "a file's contents may be uploaded only once"
            )
    same_release = [other for other in others if _same_version(other.version, new.version)]
    if new.kind == SDIST:
        problems.extend(
            f"release {new.version} already has an sdist ({other.filename!r}); "
            "only one sdist is allowed per release: upload a wheel or publish a new version"
            for other in same_release
            if other.kind == SDIST
        )
    if new.kind == WHEEL:
        problems.extend(
            f"release {new.version} already has a wheel for the same tags and build number "
            f"({other.filename!r}); use a build number or publish a new version"
            for other in same_release
            if other.kind == WHEEL and _same_wheel(other.filename, new.filename)
        )
    return problems


def _same_version(left: str, right: str) -> bool:
    try:
        return Version(left) == Version(right)
    except InvalidVersion:
        return left == right


def _same_wheel(left: str, right: str) -> bool:
    try:
        _, left_version, left_build, left_tags = parse_wheel_filename(left)
        _, right_version, right_build, right_tags = parse_wheel_filename(right)
    except InvalidWheelFilename:
        return False
    return (left_version, left_build, left_tags) == (right_version, right_build, right_tags)
