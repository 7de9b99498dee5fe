"""The frozen set of services the composition root builds and the web layer uses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from wharf.core.ports import BlobStore, Clock, MetadataStore, Upstream
from wharf.formats.base import Format
from wharf.services.accounts import AccountService
from wharf.services.advisories import AdvisoryService
from wharf.services.auditing import AuditService
from wharf.services.forwarding import ForwardService
from wharf.services.indexes import IndexService
from wharf.services.lockcheck import LockfileChecker
from wharf.services.maintenance import MaintenanceService
from wharf.services.pages import PageCache
from wharf.services.pinning import PinService
from wharf.services.policing import PolicyService
from wharf.services.proxying import ProxyService
from wharf.services.publishing import PublishService, UploadLimits
from wharf.services.reading import ReadService
from wharf.services.releases import ReleaseService
from wharf.services.revising import RevisionService
from wharf.services.waiving import WaiverService


@dataclass(frozen=True, slots=True)
class Services:
    store: MetadataStore
    blobs: BlobStore
    clock: Clock
    indexes: IndexService
    accounts: AccountService
    audit: AuditService
    publishing: PublishService
    proxy: ProxyService
    reading: ReadService
    releases: ReleaseService
    revisions: RevisionService
    pins: PinService
    policy: PolicyService
    waivers: WaiverService
    lockcheck: LockfileChecker
    advisories: AdvisoryService
    forwarding: ForwardService
    maintenance: MaintenanceService
    pages: PageCache
    limits: UploadLimits
    upstream: Upstream
    formats: Mapping[str, Format]
    """The formats the services were built with, by name: a format's routes reach their
    own format object (and what the composition root gave it, such as npm's signing key)
    through here."""

    async def close(self) -> None:
        await self.upstream.close()
        await self.store.close()
