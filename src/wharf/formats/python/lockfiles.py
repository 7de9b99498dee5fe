"""Python lockfiles as plain entries: pip requirements files, ``uv.lock`` and ``poetry.lock``.

What counts as an entry:

- requirements files: every requirement line, and the lines of every file named by ``-r``
  or ``-c`` (relative to the file naming it; each file is read once, so cycles end). Only
  ``==``/``===`` without a wildcard pins a version. Direct references (URLs, VCS, local
  archives) are entries without a version; a local directory without a project name
  (``-e .``, ``./src/lib``) is the project's own source tree and not an entry, like uv's
  editable entries. Other options (``-i``, ``--extra-index-url``, ``--hash``, ...) are
  ignored.
- ``uv.lock``: every ``[[package]]`` except the project and its workspace members (source
  ``editable`` or ``virtual``). A non-editable ``directory`` source is a separate local
  project and is listed without a version, like git, URL and local-file sources.
- ``poetry.lock``: every ``[[package]]``; ``source.type`` git, directory, file and url are
  listed without a version; ``legacy`` (a package index) keeps its version.
"""

from __future__ import annotations

import os
import re
import shlex
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)

from wharf.core.errors import InvalidRequestError
from wharf.formats.lockfiles import LockEntry, parse_error, read_text
from wharf.formats.python.names import normalize

FORMAT = "python"

_COMMENT = re.compile(r"(^|\s+)#.*$")
_OPTION = re.compile(r"(--[A-Za-z-]+|-[A-Za-z])(?:=|\s+)?(.*)")
_NAMED_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*@")
_MARKER_SEPARATOR = re.compile(r"\s+;|;\s+")
_EXTRAS_SUFFIX = re.compile(r"\[[^\]]*\]$")
_FLAGS = {
    "-r": "-r",
    "--requirement": "-r",
    "-c": "-c",
    "--constraint": "-c",
    "-e": "-e",
    "--editable": "-e",
}
_VCS = ("git+", "hg+", "svn+", "bzr+")
_ARCHIVES = (".whl", ".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar")

# uv.lock: sources that are the project itself, and notes for the ones not from an index.
_UV_OWN = ("editable", "virtual")
_UV_NOTES = {
    "git": "git source",
    "url": "URL source",
    "path": "local file",
    "directory": "local directory",
}
_POETRY_NOTES = {
    "git": "git source",
    "url": "URL source",
    "file": "local file",
    "directory": "local directory",
}


def read_requirements(path: Path) -> list[LockEntry]:
    """The entries of a pip requirements file and of the files it includes."""
    entries: list[LockEntry] = []
    _read_requirements_file(path, path.name, path.parent, set(), entries, named_at="")
    return entries


def read_uv_lock(path: Path) -> list[LockEntry]:
    """The packages of a ``uv.lock``, without the project and its workspace members."""
    label, packages, lines = _package_tables(path)
    entries: list[LockEntry] = []
    for index, package in enumerate(packages):
        where = _table_where(label, lines, index)
        name, version = _name_and_version(package, where)
        source = package.get("source")
        kinds = list(source) if isinstance(source, dict) else []
        if any(kind in _UV_OWN for kind in kinds):
            continue
        note = next((_UV_NOTES[kind] for kind in kinds if kind in _UV_NOTES), "")
        entries.append(_entry(name, version, where, note))
    return entries


def read_poetry_lock(path: Path) -> list[LockEntry]:
    """The packages of a ``poetry.lock``."""
    label, packages, lines = _package_tables(path)
    entries: list[LockEntry] = []
    for index, package in enumerate(packages):
        where = _table_where(label, lines, index)
        name, version = _name_and_version(package, where)
        source = package.get("source")
        kind = str(source.get("type", "")) if isinstance(source, dict) else ""
        note = "" if kind in ("", "legacy") else _POETRY_NOTES.get(kind, f"{kind} source")
        entries.append(_entry(name, version, where, note))
    return entries


def _entry(name: str, version: str | None, where: str, note: str) -> LockEntry:
    if note:
        return LockEntry(FORMAT, normalize(name), None, where, note)
    if version is None:
        return LockEntry(FORMAT, normalize(name), None, where, "no version in the lockfile")
    return LockEntry(FORMAT, normalize(name), version, where)


def _package_tables(path: Path) -> tuple[str, list[dict[str, Any]], list[int]]:
    """The file's label, its ``[[package]]`` tables and the line of each table's header.

    tomllib keeps no positions; the headers are counted in the text instead, and used only
    when their count matches the tables (otherwise an entry says which table it is).
    """
    text = read_text(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib tells the line only inside its message: "... (at line 3, column 11)".
        line = re.search(r"at line (\d+)", str(exc))
        where = f"{path.name}:{line.group(1)}" if line else path.name
        raise parse_error(where, f"not valid TOML: {exc}") from exc
    packages = data.get("package", [])
    if not isinstance(packages, list) or not all(isinstance(p, dict) for p in packages):
        raise parse_error(path.name, "'package' is not an array of tables")
    lines = [
        number
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() == "[[package]]"
    ]
    return path.name, packages, lines if len(lines) == len(packages) else []


def _table_where(label: str, lines: list[int], index: int) -> str:
    return f"{label}:{lines[index]}" if index < len(lines) else f"{label}: package {index + 1}"


def _name_and_version(package: dict[str, Any], where: str) -> tuple[str, str | None]:
    name, version = package.get("name"), package.get("version")
    if not isinstance(name, str) or not name:
        raise parse_error(where, "a [[package]] table has no name")
    return name, version if isinstance(version, str) and version else None


def _read_requirements_file(
    path: Path,
    label: str,
    root: Path,
    seen: set[Path],
    entries: list[LockEntry],
    *,
    named_at: str,
) -> None:
    key = path.resolve()
    if key in seen:
        return
    seen.add(key)
    text = read_text(path, named_at=named_at)
    for number, line in _logical_lines(text):
        where = f"{label}:{number}"
        option = _OPTION.fullmatch(line) if line.startswith("-") else None
        if option is None:
            entry = _requirement_entry(_strip_options(line), where)
        elif (flag := _FLAGS.get(option.group(1))) is None:
            continue
        elif flag == "-e":
            entry = _location_entry(_option_value(option.group(2), where), where, editable=True)
        else:
            target = _option_value(option.group(2), where)
            if "://" in target:
                raise InvalidRequestError(
                    f"{where}: cannot follow {target!r}: only local files are read",
                    hint="Download the file and name the local copy, or check it on its own.",
                )
            included = path.parent / target
            label_of = _label(target, included, root)
            _read_requirements_file(included, label_of, root, seen, entries, named_at=where)
            continue
        if entry is not None:
            entries.append(entry)


def _label(target: str, path: Path, root: Path) -> str:
    """An included file as the user would name it: relative to the top file's folder, or
    as written when it was given as an absolute path (``-r /etc/pins.txt``)."""
    if Path(target).is_absolute():
        return Path(target).as_posix()
    try:
        return Path(os.path.relpath(path, root)).as_posix()
    except ValueError:  # another drive on Windows
        return path.as_posix()


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Non-empty lines without comments, continuation lines (``\\``) joined, each with the
    number of its first physical line. A comment line ends a continuation, as in pip."""
    parts: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not parts:
            start = number
        if raw.endswith("\\") and _COMMENT.match(raw) is None:
            parts.append(raw[:-1])
            continue
        parts.append(raw)
        line = _COMMENT.sub("", "".join(parts)).strip()
        parts = []
        if line:
            yield start, line
    line = _COMMENT.sub("", "".join(parts)).strip()
    if line:
        yield start, line


def _strip_options(line: str) -> str:
    """The requirement part of a line: everything before the first ``-``/``--`` option
    (``--hash=...``, ``--config-settings``), as pip splits it."""
    words: list[str] = []
    for word in line.split(" "):
        if word.startswith("-"):
            break
        words.append(word)
    return " ".join(words).strip()


def _option_value(value: str, where: str) -> str:
    try:
        words = shlex.split(value)
    except ValueError as exc:
        raise parse_error(where, f"cannot read the option's value: {exc}") from exc
    if not words:
        raise parse_error(where, "the option needs a value")
    return words[0]


def _requirement_entry(text: str, where: str) -> LockEntry | None:
    if not text:
        return None
    if _NAMED_REFERENCE.match(text) is None and _is_location(text):
        return _location_entry(text, where, editable=False)
    try:
        requirement = Requirement(text)
    except InvalidRequirement as exc:
        raise parse_error(where, f"{text!r} is not a valid requirement: {exc}") from exc
    name = normalize(requirement.name)
    if requirement.url:
        return LockEntry(FORMAT, name, None, where, _location_kind(requirement.url))
    pin = _pinned(requirement.specifier)
    if pin is not None:
        return LockEntry(FORMAT, name, pin, where)
    written = ",".join(str(spec) for spec in requirement.specifier)
    note = f"range {written}, not pinned" if written else "no version given"
    return LockEntry(FORMAT, name, None, where, note)


def _pinned(specifier: SpecifierSet) -> str | None:
    for spec in specifier:
        if spec.operator in ("==", "===") and not spec.version.endswith(".*"):
            return spec.version
    return None


def _is_location(text: str) -> bool:
    lowered = text.lower()
    if "://" in text or lowered.startswith((*_VCS, "file:")):
        return True
    head = _MARKER_SEPARATOR.split(text, maxsplit=1)[0].strip()
    return (
        head.startswith((".", "~"))
        or "/" in head
        or "\\" in head
        or _EXTRAS_SUFFIX.sub("", head).lower().endswith(_ARCHIVES)
    )


def _location_entry(text: str, where: str, *, editable: bool) -> LockEntry | None:
    """An entry for a URL, VCS reference or local path given without ``name @``.

    The name comes from ``#egg=`` or an archive's file name. A local directory without
    either is the project's own tree: no entry. A remote one keeps the location as its name
    so the user still sees it.
    """
    location = _EXTRAS_SUFFIX.sub("", _MARKER_SEPARATOR.split(text, maxsplit=1)[0].strip())
    kind = _location_kind(location)
    note = f"editable {kind}" if editable else kind
    name = _egg_name(location) or _archive_name(location)
    if name is not None:
        return LockEntry(FORMAT, normalize(name), None, where, note)
    if kind == "local path":
        return None
    return LockEntry(FORMAT, location, None, where, f"{note} without a project name")


def _location_kind(location: str) -> str:
    lowered = location.lower()
    for prefix in _VCS:
        if lowered.startswith(prefix):
            return f"{prefix[:-1]} source"
    if "://" in location and not lowered.startswith("file:"):
        return "URL source"
    return "local path"


def _egg_name(location: str) -> str | None:
    fragment = urlsplit(location).fragment if "#" in location else ""
    for part in fragment.split("&"):
        key, _, value = part.partition("=")
        if key == "egg" and value:
            return _EXTRAS_SUFFIX.sub("", unquote(value))
    return None


def _archive_name(location: str) -> str | None:
    path = urlsplit(location).path if "://" in location else location
    filename = unquote(path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1])
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[0])
        return str(parse_sdist_filename(filename)[0])
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
