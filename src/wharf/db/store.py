"""``SqlMetadataStore``: the ``MetadataStore`` port on SQLite or PostgreSQL."""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio.to_thread
import sqlalchemy as sa

from wharf.db.accounts import AccountsMixin
from wharf.db.advisories import AdvisoriesMixin
from wharf.db.audit import AuditMixin
from wharf.db.catalog import CatalogMixin
from wharf.db.engine import create_engine_for
from wharf.db.indexes import IndexesMixin
from wharf.db.migrate import is_current, upgrade
from wharf.db.publishing import PublishingMixin
from wharf.db.tags import TagsMixin
from wharf.db.upstream_cache import UpstreamCacheMixin
from wharf.db.waivers import WaiversMixin
from wharf.db.withdrawals import WithdrawalsMixin

if TYPE_CHECKING:
    from wharf.core.ports import MetadataStore


class SqlMetadataStore(
    IndexesMixin,
    CatalogMixin,
    PublishingMixin,
    TagsMixin,
    WithdrawalsMixin,
    UpstreamCacheMixin,
    AccountsMixin,
    AuditMixin,
    WaiversMixin,
    AdvisoriesMixin,
):
    """Every method is one transaction, run in a worker thread.

    Build it with ``open_metadata_store``; the constructor takes an engine whose schema is
    already current.
    """


if TYPE_CHECKING:

    def _implements_the_port(store: SqlMetadataStore) -> MetadataStore:
        return store  # mypy checks every method's signature against the Protocol


async def open_metadata_store(url: str) -> SqlMetadataStore:
    """Create the engine for ``url``, migrate the schema to the newest revision, and return
    the store. ``url`` is ``sqlite:///path/to/wharf.db`` or ``postgresql+psycopg://…``."""

    def build() -> sa.Engine:
        engine = create_engine_for(url)
        try:
            if not is_current(engine):
                upgrade(engine)
        except BaseException:
            engine.dispose()
            raise
        return engine

    return SqlMetadataStore(await anyio.to_thread.run_sync(build))
