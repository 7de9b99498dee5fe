"""The composition root: settings in; backends, formats, services and the ASGI app out.
The only module that imports concrete backends and formats."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from starlette.types import ASGIApp

from wharf.config.rulebook import PopularNames, RuleBook
from wharf.config.settings import Settings
from wharf.config.upstreams import discover_npm_upstream, discover_pypi_upstream
from wharf.core.errors import ConfigurationError
from wharf.core.models import ANONYMOUS, AUTHENTICATED, Acl, Index, IndexKind
from wharf.core.ports import Clock, Upstream
from wharf.db import open_metadata_store
from wharf.formats.base import Format
from wharf.formats.npm import popular as npm_popular
from wharf.formats.npm.format import NpmFormat
from wharf.formats.npm.keyfile import KEY_FILE as NPM_KEY_FILE
from wharf.formats.npm.keyfile import SigningKey
from wharf.formats.npm.routes import build_routes as npm_routes
from wharf.formats.python import popular as python_popular
from wharf.formats.python.format import PythonFormat
from wharf.formats.python.routes import build_routes as python_routes
from wharf.security.passwords import Argon2PasswordHasher
from wharf.services.accounts import AccountService
from wharf.services.advisories import AdvisoryService
from wharf.services.auditing import AuditService
from wharf.services.clock import SystemClock
from wharf.services.container import Services
from wharf.services.forwarding import ForwardService
from wharf.services.indexes import IndexService
from wharf.services.lockcheck import LockfileChecker
from wharf.services.lookup import ArtifactLookup
from wharf.services.maintenance import MaintenanceService
from wharf.services.pages import PageCache
from wharf.services.pinning import PinService
from wharf.services.policing import PolicyService
from wharf.services.proxying import Freshness, ProxyService
from wharf.services.publishing import PublishService, UploadLimits
from wharf.services.reading import ReadService
from wharf.services.releases import ReleaseService
from wharf.services.revising import RevisionService
from wharf.services.waiving import WaiverService
from wharf.storage.filesystem import FilesystemBlobStore
from wharf.storage.locks import FileLocks
from wharf.storage.stamps import FileChangeStamps
from wharf.upstreams.http import HttpUpstream
from wharf.web.accel import Accel
from wharf.web.app import create_app as create_web_app


def build_formats(data_dir: Path) -> dict[str, Format]:
    """The formats; npm signs hosted versions with the data directory's key (made on the
    first start)."""
    return {
        "python": PythonFormat(),
        "npm": NpmFormat(signer=SigningKey(data_dir / NPM_KEY_FILE)),
    }


def rule_book(settings: Settings) -> RuleBook:
    """The configured policy rules; popular names are loaded when first needed."""
    return RuleBook(
        settings.policy,
        PopularNames({"python": python_popular.popular_names, "npm": npm_popular.popular_names}),
        PopularNames({"python": python_popular.prominent_names,
                      "npm": npm_popular.prominent_names}),
    )


async def build_services(
    settings: Settings, *, upstream: Upstream | None = None, clock: Clock | None = None
) -> Services:
    """Every service over the configured backends; tests may pass their own upstream port
    and clock."""
    data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    store = await open_metadata_store(settings.database_url)
    blobs = FilesystemBlobStore(settings.blob_root)
    stamps = FileChangeStamps(data_dir / "run" / "stamps")
    locks = FileLocks(data_dir / "run" / "locks")
    upstream = upstream or HttpUpstream(timeout=settings.proxy.timeout)
    formats = build_formats(data_dir)
    clock = clock or SystemClock()
    indexes = IndexService(store, stamps, formats, clock)
    audit = AuditService(store, clock)
    lookup = ArtifactLookup(store, stamps)
    book = rule_book(settings)
    policy = PolicyService(book, store, stamps, clock, formats, indexes, audit)
    proxy = ProxyService(
        store, blobs, stamps, locks, upstream, formats, clock,
        Freshness(
            timedelta(seconds=settings.proxy.freshness),
            timedelta(seconds=settings.proxy.negative_freshness),
        ),
        lookup,
        admit=policy.admit,
        withdrawals=book.withdrawals_for,
    )
    return Services(
        store=store,
        blobs=blobs,
        clock=clock,
        indexes=indexes,
        accounts=AccountService(store, Argon2PasswordHasher(), clock),
        audit=audit,
        publishing=PublishService(store, blobs, stamps, indexes, formats, audit, clock, policy),
        proxy=proxy,
        reading=ReadService(store, blobs, stamps, indexes, proxy, formats, lookup, policy, audit,
                            clock),
        policy=policy,
        waivers=WaiverService(store, policy, formats, audit, clock),
        lockcheck=LockfileChecker(store, indexes, formats, policy),
        advisories=AdvisoryService(store, stamps, formats, clock, audit,
                                   anonymous_read=settings.auth.anonymous_read),
        releases=ReleaseService(store, stamps, indexes, formats, audit),
        revisions=RevisionService(store, stamps, indexes, formats, audit),
        pins=PinService(store, stamps, indexes, audit),
        forwarding=ForwardService(indexes, upstream),
        maintenance=MaintenanceService(store, blobs),
        pages=PageCache(clock, directory=settings.pages_dir),
        limits=UploadLimits(
            settings.limits.max_upload_bytes,
            settings.limits.max_uncompressed_bytes,
            settings.blob_root / "tmp",
        ),
        upstream=upstream,
        formats=formats,
    )


def default_indexes(
    settings: Settings, pypi_upstream: str, npm_upstream: str | None = None
) -> list[Index]:
    """The indexes of DESIGN.md section 2. Without an npm upstream (no npm on the machine
    and none configured) the npm group holds only the hosted index."""
    acl = Acl(read=(ANONYMOUS,) if settings.auth.anonymous_read else (AUTHENTICATED,))
    npm: list[Index] = [
        Index("npm-local", "npm", IndexKind.HOSTED, acl=acl, description="Private npm packages"),
    ]
    if npm_upstream:
        npm.append(Index("npm-remote", "npm", IndexKind.PROXY, upstream=npm_upstream, acl=acl,
                         description="Cache of the upstream npm registry"))
    npm.append(Index("npm", "npm", IndexKind.GROUP, members=tuple(i.name for i in npm), acl=acl,
                     description="Private packages first, then the upstream registry"))
    return [
        Index("pypi-local", "python", IndexKind.HOSTED, acl=acl,
              description="Private Python packages"),
        Index("pypi-remote", "python", IndexKind.PROXY, upstream=pypi_upstream, acl=acl,
              description="Cache of the upstream Python index"),
        Index("pypi", "python", IndexKind.GROUP, members=("pypi-local", "pypi-remote"), acl=acl,
              description="Private packages first, then the upstream index"),
        *npm,
    ]


async def prepare(settings: Settings) -> list[Index]:
    """Migrate the database and create the default indexes on first start; an explicitly
    configured upstream replaces the one stored for the default proxy."""
    services = await build_services(settings)
    FilesystemBlobStore(settings.blob_root).create_fanout()
    try:
        upstream = settings.pypi.upstream or discover_pypi_upstream()[0]
        npm_upstream = settings.npm.upstream or _npm_upstream_or_none()
        created = await services.indexes.ensure(
            default_indexes(settings, upstream, npm_upstream)
        )
        SigningKey(settings.data_dir / NPM_KEY_FILE).prepare()
        for name, configured in (("pypi-remote", settings.pypi.upstream),
                                 ("npm-remote", settings.npm.upstream)):
            remote = await services.indexes.find(name)
            if (configured and remote is not None and remote.kind is IndexKind.PROXY
                    and remote.upstream != configured):
                await services.indexes.update(replace(remote, upstream=configured))
        return created
    finally:
        await services.close()


def _npm_upstream_or_none() -> str | None:
    try:
        return discover_npm_upstream()[0]
    except ConfigurationError as exc:
        logging.getLogger("wharf").warning("npm-remote not created: %s %s", exc.message, exc.hint)
        return None


def build_app(
    settings: Settings, services: Services, *, on_ready: Callable[[], None] | None = None
) -> ASGIApp:
    format_apps: Mapping[str, ASGIApp] = {"python": python_routes(), "npm": npm_routes()}
    return create_web_app(
        services,
        format_apps,
        public_url=settings.server.public_url,
        trusted_proxies=frozenset(settings.server.trusted_proxies),
        accel=Accel.under(settings.server.accel_redirect,
                          {"blobs": settings.blob_root, "pages": settings.pages_dir}),
        default_python=settings.pypi.default_index,
        access_log=settings.server.access_log,
        log_json=settings.server.log_format == "json",
        on_ready=on_ready,
    )


def configure_logging(settings: Settings) -> None:
    level = os.environ.get("WHARF_TEST_LOG_LEVEL", "INFO")
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
