"""Distribution filenames: PEP 427/491 wheels and PEP 625 sdists, and what is refused."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)

from wharf.core.errors import InvalidArtifactError

MAX_FILENAME_LENGTH = 255
WHEEL = "bdist_wheel"
SDIST = "sdist"
SOURCE = "source"

_PEP_527_REFUSED = {
    ".egg": "egg",
    ".exe": "bdist_wininst installer",
    ".msi": "bdist_msi installer",
    ".rpm": "bdist_rpm package",
    ".dmg": "bdist_dmg image",
}
_OTHER_SDIST_SUFFIXES = (".tar", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tar.Z")
_HINT = "Build the distribution with a current build backend (for example `python -m build`)."


@dataclass(frozen=True, slots=True)
class DistFilename:
    """What a distribution's filename says about it."""

    filename: str
    name: str
    version: str
    kind: str
    python_tag: str


def parse_filename(filename: str) -> DistFilename:
    """Parse an uploaded file's name; raise ``InvalidArtifactError`` listing every problem."""
    problems = _check_characters(filename)
    lowered = filename.lower()
    parsed: DistFilename | None = None
    if lowered.endswith(".whl"):
        parsed = _parse_wheel(filename, problems)
    elif lowered.endswith((".tar.gz", ".zip")):
        parsed = _parse_sdist(filename, problems)
    else:
        problems.append(_explain_extension(lowered))
    if problems or parsed is None:
        raise InvalidArtifactError(problems, hint=_HINT)
    return parsed


def archive_format(filename: str) -> str:
    """``"zip"`` for wheels and zip sdists, ``"tar"`` for ``.tar.gz`` sdists."""
    return "tar" if filename.lower().endswith(".tar.gz") else "zip"


def _check_characters(filename: str) -> list[str]:
    problems: list[str] = []
    if not filename:
        return ["the filename is empty"]
    if any(unicodedata.category(ch) == "Cc" for ch in filename):
        problems.append(f"filename {filename!r} contains control characters")
    if "/" in filename or "\\" in filename:
        problems.append(f"filename {filename!r} contains a path separator; send the bare name")
    if ".." in filename:
        problems.append(f"filename {filename!r} contains '..'")
    if len(filename) > MAX_FILENAME_LENGTH:
        problems.append(
            f"filename is {len(filename)} characters long; the limit is {MAX_FILENAME_LENGTH}"
        )
    return problems


def _explain_extension(lowered: str) -> str:
    for suffix, what in _PEP_527_REFUSED.items():
        if lowered.endswith(suffix):
            return (
                f"{what} files ({suffix}) are not accepted (PEP 527); "
                "upload a wheel (.whl) or an sdist (.tar.gz) instead"
            )
    if lowered.endswith(_OTHER_SDIST_SUFFIXES):
        return "sdists must be .tar.gz archives (PEP 625, PEP 527); rebuild it as .tar.gz"
    return "unknown file type: only wheels (.whl) and sdists (.tar.gz, .zip) are accepted"


def _parse_wheel(filename: str, problems: list[str]) -> DistFilename | None:
    try:
        name, version, _build, _tags = parse_wheel_filename(filename)
    except InvalidWheelFilename as exc:
        problems.append(
            f"{filename!r} is not a valid wheel filename "
            f"(expected name-version[-build]-python-abi-platform.whl, PEP 427): {exc}"
        )
        return None
    python_tag = filename[: -len(".whl")].split("-")[-3]
    return DistFilename(filename, str(name), str(version), WHEEL, python_tag)


def _parse_sdist(filename: str, problems: list[str]) -> DistFilename | None:
    try:
        name, version = parse_sdist_filename(filename)
    except InvalidSdistFilename as exc:
        problems.append(
            f"{filename!r} is not a valid sdist filename "
            f"(expected name-version.tar.gz, PEP 625): {exc}"
        )
        return None
    return DistFilename(filename, str(name), str(version), SDIST, SOURCE)
