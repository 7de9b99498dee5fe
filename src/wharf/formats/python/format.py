"""The Python format as the services see it (``wharf.formats.base.Format``)."""

from __future__ import annotations

from collections.abc import Sequence

from wharf.core.models import Artifact
from wharf.formats.python import names, rules
from wharf.formats.python.upstream import PythonUpstream


class PythonFormat:
    name = "python"

    def __init__(self) -> None:
        self.upstream = PythonUpstream()

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

