"""The clients the bench drives, found next to the running Python first (a venv with
``pip install -e '.[test]'``), then on PATH. A missing one turns its scenarios into
"skipped", never an error."""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

BIN = Path(sys.executable).parent


def find(name: str) -> str | None:
    beside = BIN / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(name)


def has_module(name: str) -> bool:
    try:
        importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def version_of(argv: list[str]) -> str:
    """The first version-looking word ``ARGV --version`` prints (``uv 0.5.1 (…)`` → 0.5.1)."""
    try:
        out = subprocess.run([*argv, "--version"], capture_output=True, text=True, timeout=30,
                             check=False)
    except OSError:
        return "?"
    words = (out.stdout or out.stderr).replace("(", " ").replace(",", " ").split()
    return next((w.lstrip("v") for w in words if w.lstrip("v")[:1].isdigit()), "?")


@dataclass(frozen=True)
class Tools:
    uv: str | None
    pip: list[str] | None
    twine: list[str] | None
    npm: str | None
    node: str | None

    @classmethod
    def discover(cls) -> Tools:
        return cls(
            uv=find("uv"),
            pip=[sys.executable, "-m", "pip"] if has_module("pip") else None,
            twine=[sys.executable, "-m", "twine"] if has_module("twine") else None,
            npm=shutil.which("npm"),
            node=shutil.which("node"),
        )

    def versions(self) -> dict[str, str]:
        found = {"python": sys.version.split()[0]}
        for name in ("wharf-registry", "granian", "starlette", "sqlalchemy"):
            try:
                found[name] = importlib.metadata.version(name)
            except importlib.metadata.PackageNotFoundError:
                found[name] = "not installed"
        for name, argv in (("uv", [self.uv] if self.uv else None), ("pip", self.pip),
                           ("twine", self.twine), ("npm", [self.npm] if self.npm else None),
                           ("node", [self.node] if self.node else None)):
            found[name] = version_of(argv) if argv else "not installed"
        return found
