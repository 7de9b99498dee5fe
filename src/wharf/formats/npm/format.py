"""The npm format as the services see it (``wharf.formats.base.Format``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from wharf.core.errors import WharfError
from wharf.core.models import Artifact
from wharf.formats.npm import names
from wharf.formats.npm.keyfile import SigningKey
from wharf.formats.npm.scheme import NpmVersions, licence_of
from wharf.formats.npm.upstream import NpmUpstream


class NpmFormat:
    name = "npm"
    osv_ecosystem = "npm"
    duplicate_hint = (
        "A published version never changes: bump the version (npm version patch) and "
        "publish again."
    )

    def __init__(self, signer: SigningKey | None = None) -> None:
        self.upstream = NpmUpstream()
        self.versions = NpmVersions()
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

    def licence_of(self, metadata: Mapping[str, Any]) -> str | None:
        return licence_of(metadata)

    def version_of(self, project: str, filename: str) -> str | None:
        try:
            return names.version_from_filename(project, filename)
        except WharfError:
            return None
