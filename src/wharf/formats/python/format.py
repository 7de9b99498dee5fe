"""The Python format as the services see it (``wharf.formats.base.Format``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from wharf.core.errors import WharfError
from wharf.core.models import Artifact
from wharf.formats.python import filenames, names, rules
from wharf.formats.python.scheme import PythonVersions, licence_of
from wharf.formats.python.upstream import PythonUpstream


class PythonFormat:
    name = "python"
    osv_ecosystem = "PyPI"

    def __init__(self) -> None:
        self.upstream = PythonUpstream()
        self.versions = PythonVersions()

    def normalize(self, name: str) -> str:
        return names.normalize(name)

    def validate_name(self, name: str) -> list[str]:
        return names.validate_project_name(name)

    duplicate_hint = (
        "Nothing to do. To skip files already present, upload with "
        "uv publish --check-url INDEX/simple/."
    )

    def check_addition(self, existing: Sequence[Artifact], new: Artifact) -> list[str]:
        return rules.check_addition(existing, new)


    def licence_of(self, metadata: Mapping[str, Any]) -> str | None:
        return licence_of(metadata)

    def version_of(self, project: str, filename: str) -> str | None:
        return _version_of(filename)


@lru_cache(maxsize=8192)
def _version_of(filename: str) -> str | None:
    """Memoised: every download asks (for the audit trail), and parsing a wheel name with
    every check takes about 12 microseconds."""
    try:
        return filenames.parse_filename(filename).version
    except WharfError:
        return None
