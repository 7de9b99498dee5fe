"""The npm format as the services see it (``wharf.formats.base.Format``)."""

from __future__ import annotations

from collections.abc import Sequence

from wharf.core.models import Artifact
from wharf.formats.npm import names
from wharf.formats.npm.signing import Signer
from wharf.formats.npm.upstream import NpmUpstream


class NpmFormat:
    name = "npm"
    duplicate_hint = (
        "A published version never changes: bump the version (npm version patch) and "
        "publish again."
    )

    def __init__(self, signer: Signer | None = None) -> None:
        self.upstream = NpmUpstream()
        self.signer = signer
        """Signs the versions hosted here (``dist.signatures``); None: they go unsigned
        and ``/-/npm/v1/keys`` lists only the upstream's keys."""

    def normalize(self, name: str) -> str:
        return names.normalize(name)

    def validate_name(self, name: str) -> list[str]:
        return names.validate_name(name)

    def check_addition(self, existing: Sequence[Artifact], new: Artifact) -> list[str]:
        """One tarball per version; its name is derived from name and version, so a second
        one is already refused as a duplicate filename."""
        return []
