"""Lockfiles and requirement files as plain entries, for ``wharf policy check FILE``.

A dry run of the policy needs one thing from a lockfile: which names at which exact versions
would be installed. Each format's reader turns its files into ``LockEntry`` values; this
module picks the reader from the file name, so the command never branches on the format.

An entry whose version is None was not pinned to a registry version (a range, a bare name,
a git, URL or local source); its ``note`` says which, because a policy about versions can
only judge such an entry by its name. The project's own source trees (uv's editable and
virtual entries, workspaces, links) are not entries at all: nothing is fetched for them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from wharf.core.errors import InvalidRequestError

SUPPORTED_HINT = (
    "Give a pip requirements file (requirements*.txt, *.txt, *.in), uv.lock, poetry.lock, "
    "package-lock.json (or npm-shrinkwrap.json), pnpm-lock.yaml or yarn.lock."
)

Reader = Callable[[Path], list["LockEntry"]]


@dataclass(frozen=True, slots=True)
class LockEntry:
    """One package a lockfile would install."""

    format: str
    """``python`` or ``npm``."""
    name: str
    """Normalised the format's way (PEP 503 for Python; npm names as written)."""
    version: str | None
    """The exact pinned version; None when the file does not pin one from a registry."""
    where: str
    """How a user finds the entry: ``requirements.txt:12``, ``package-lock.json:
    node_modules/foo``."""
    note: str = ""
    """Why ``version`` is None when it is: ``range >=1.0, not pinned``, ``git source``."""


def read_lockfile(path: Path) -> list[LockEntry]:
    """Every entry of the lockfile or requirements file at ``path``, each (name, version)
    once, in file order (the first place it appears wins).

    Raises ``InvalidRequestError`` for a file name of no known kind, a file that cannot be
    read, and a file that does not parse (naming the line where the format allows).
    """
    reader = _reader_for(path.name)
    if reader is None:
        raise InvalidRequestError(
            f"{path.name!r} is not a lockfile or requirements file Wharf can read",
            hint=SUPPORTED_HINT,
        )
    return unique_entries(reader(path))


def read_text(path: Path, *, named_at: str = "") -> str:
    """The text of ``path``; an unreadable file is a refusal naming the file.

    ``named_at`` says where an included file was named (``requirements.txt:3``), so the user
    learns which line to fix. A byte-order mark is dropped: editors on Windows add one.
    """
    shown = f"{path} (named at {named_at})" if named_at else str(path)
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InvalidRequestError(
            f"cannot read {shown}: {exc.strerror or exc}",
            hint=f"Check the path and its permissions. {SUPPORTED_HINT}",
        ) from exc
    except UnicodeDecodeError as exc:
        raise InvalidRequestError(
            f"{shown} is not UTF-8 text (byte {exc.start} is not valid UTF-8)",
            hint=f"Lockfiles and requirements files are UTF-8 text. {SUPPORTED_HINT}",
        ) from exc


def parse_error(where: str, problem: str) -> InvalidRequestError:
    """A refusal for a file that does not parse; ``where`` names the file and line if known."""
    return InvalidRequestError(
        f"{where}: {problem}",
        hint="Fix the file, or regenerate it with the tool that wrote it.",
    )


def unique_entries(entries: Iterable[LockEntry]) -> list[LockEntry]:
    """``entries`` with each (name, version) pair once, keeping the first ``where``."""
    seen: set[tuple[str, str | None]] = set()
    kept: list[LockEntry] = []
    for entry in entries:
        key = (entry.name, entry.version)
        if key not in seen:
            seen.add(key)
            kept.append(entry)
    return kept


def _reader_for(filename: str) -> Reader | None:
    # The readers import LockEntry from this module, so they are imported on first use.
    from wharf.formats.npm.lockfiles import (  # noqa: PLC0415 - import cycle
        read_package_lock,
        read_pnpm_lock,
        read_yarn_lock,
    )
    from wharf.formats.python.lockfiles import (  # noqa: PLC0415 - import cycle
        read_poetry_lock,
        read_requirements,
        read_uv_lock,
    )

    exact: dict[str, Reader] = {
        "uv.lock": read_uv_lock,
        "poetry.lock": read_poetry_lock,
        "package-lock.json": read_package_lock,
        "npm-shrinkwrap.json": read_package_lock,
        ".package-lock.json": read_package_lock,
        "pnpm-lock.yaml": read_pnpm_lock,
        "yarn.lock": read_yarn_lock,
    }
    if filename in exact:
        return exact[filename]
    if filename.endswith((".txt", ".in")):
        return read_requirements
    return None
