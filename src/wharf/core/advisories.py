"""Vulnerability and malware records as plain data (OSV, one record per affected package).

The data lives here, below every layer that stores or serves it (the metadata store keeps
it, the OSV and npm audit endpoints answer from it); what the records mean for a version
(``affects``, the fast lane) is policy, in ``wharf.policy.advisories``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class AffectedRange:
    """One OSV range: its kind (``ECOSYSTEM``, ``SEMVER``) and its events as
    (``introduced`` | ``fixed`` | ``last_affected`` | ``limit``, version), in record order."""

    kind: str
    events: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Advisory:
    """One OSV record as it concerns one package of one format."""

    id: str
    format: str
    name: str
    """Normalised in the format's own way."""
    summary: str
    severity: str
    """``low``, ``moderate``, ``high``, ``critical``, or ``""`` when unknown."""
    malware: bool
    """A malicious package report (OSV ``MAL-`` records) rather than a vulnerability."""
    ranges: tuple[AffectedRange, ...]
    versions: tuple[str, ...]
    """Versions the record names explicitly as affected."""
    aliases: tuple[str, ...] = ()
    url: str = ""
    withdrawn: datetime | None = None
    modified: datetime | None = None
