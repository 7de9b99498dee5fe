"""Finding peers: on PATH, or in the venvs and prefixes named by ``--peers-from`` (a venv,
a directory of venvs, or a node prefix). A peer that is not found is skipped with the
reason, never an error."""

from __future__ import annotations

import importlib.metadata
import json
import shutil
from collections.abc import Iterable
from pathlib import Path


def _roots(dirs: Iterable[Path]) -> list[Path]:
    """Each directory, its children and ``venvs/*``: where a venv or prefix may be."""
    found: list[Path] = []
    for directory in dirs:
        for candidate in (directory, *sorted(directory.glob("*")),
                          *sorted(directory.glob("venvs/*"))):
            if candidate.is_dir() and candidate not in found:
                found.append(candidate)
    return found


def venv_with(package: str, dirs: Iterable[Path]) -> Path | None:
    """The ``bin`` directory of a venv (under ``dirs``) where ``package`` is installed, or
    of the venv on PATH that has it."""
    for root in _roots(dirs):
        if any(root.glob(f"lib/python3*/site-packages/{package}")):
            return root / "bin"
    for entry in _path_dirs():
        if any(entry.parent.glob(f"lib/python3*/site-packages/{package}")):
            return entry
    return None


def _path_dirs() -> list[Path]:
    import os  # noqa: PLC0415

    return [Path(p) for p in os.environ.get("PATH", "").split(os.pathsep) if p]


def node_package(name: str, dirs: Iterable[Path]) -> Path | None:
    """``node_modules/<name>`` under one of ``dirs`` (or their children), else next to a
    ``<name>`` on PATH."""
    for root in _roots(dirs):
        candidate = root / "node_modules" / name
        if (candidate / "package.json").is_file():
            return candidate
    on_path = shutil.which(name)
    if on_path:
        package = Path(on_path).resolve().parent.parent
        if (package / "package.json").is_file():
            return package
    return None


def dist_version(bin_dir: Path, dist: str) -> str:
    """The version of ``dist`` installed in the venv of ``bin_dir`` (read, not imported)."""
    key = dist.lower().replace("-", "_")
    for info in bin_dir.parent.glob("lib/python3*/site-packages/*.dist-info"):
        name, _, version = info.name.removesuffix(".dist-info").rpartition("-")
        if name.lower().replace("-", "_") == key:
            return version
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def node_version_of(package: Path) -> str:
    return str(json.loads((package / "package.json").read_text()).get("version", "?"))
