"""The typed settings model. Every field has a description; the reference page and
``wharf config show`` are generated from it."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from wharf.config.policy import PolicySettings
from wharf.config.section import Section


class ServerSettings(Section):
    host: str = Field("127.0.0.1", description="Address to listen on.")
    port: int = Field(8080, ge=0, le=65535, description="TCP port to listen on.")
    workers: int = Field(
        0, ge=0, description="Worker processes; 0 means one per two CPU cores."
    )
    public_url: str = Field(
        "",
        description="The URL clients use to reach Wharf (behind a reverse proxy); "
        "empty means the address each request came to.",
    )
    trusted_proxies: tuple[str, ...] = Field(
        (), description="Addresses whose X-Forwarded-* headers are believed."
    )
    log_format: Literal["text", "json"] = Field(
        "text", description="One line per request, human-readable or JSON."
    )
    access_log: bool = Field(True, description="Log one line per request.")
    accel_redirect: str = Field(
        "",
        description="Behind nginx: a URL prefix of internal locations (e.g. /_wharf) under "
        "which nginx serves the blob store (<prefix>/blobs/) and the page directory "
        "(<prefix>/pages/). Wharf then authorises each download and nginx sends the bytes "
        "(X-Accel-Redirect). Empty: Wharf sends files itself.",
    )


class DatabaseSettings(Section):
    url: str = Field(
        "",
        description="SQLAlchemy URL of the metadata database; empty means SQLite in the "
        "data directory (sqlite:///DATA_DIR/wharf.db).",
    )


class StorageSettings(Section):
    kind: Literal["filesystem"] = Field("filesystem", description="Blob store backend.")
    path: str = Field(
        "", description="Filesystem blob store root; empty means DATA_DIR/blobs."
    )


class PypiSettings(Section):
    upstream: str = Field(
        "",
        description="Simple-index URL that the default pypi-remote proxy reads from; empty "
        "means the machine's pip configuration (index-url), else pip's built-in default.",
    )
    default_index: str = Field(
        "pypi", description="The index also served at /simple/ and /files/."
    )


class NpmSettings(Section):
    upstream: str = Field(
        "",
        description="Registry URL of the default npm-remote proxy; empty means "
        "`npm config get registry`.",
    )


class ProxySettings(Section):
    freshness: float = Field(
        600.0, ge=0, description="Seconds a cached upstream listing is served without asking."
    )
    negative_freshness: float = Field(
        60.0, ge=0, description="Seconds an upstream 'not found' is remembered."
    )
    timeout: float = Field(30.0, gt=0, description="Seconds to wait for an upstream answer.")


class LimitsSettings(Section):
    max_upload_bytes: int = Field(
        100 << 20, gt=0, description="Largest file accepted by upload, in bytes."
    )
    max_uncompressed_bytes: int = Field(
        4 << 30, gt=0, description="Largest total uncompressed size of an uploaded archive."
    )


class AuthSettings(Section):
    anonymous_read: bool = Field(
        True, description="Default ACL of new indexes: anyone may read without signing in."
    )



class Settings(Section):
    data_dir: Path = Field(
        Path("~/.local/share/wharf"),
        description="Where Wharf keeps its database, blobs and wharf.toml.",
    )
    server: ServerSettings = ServerSettings()
    database: DatabaseSettings = DatabaseSettings()
    storage: StorageSettings = StorageSettings()
    pypi: PypiSettings = PypiSettings()
    npm: NpmSettings = NpmSettings()
    proxy: ProxySettings = ProxySettings()
    limits: LimitsSettings = LimitsSettings()
    auth: AuthSettings = AuthSettings()
    policy: PolicySettings = PolicySettings()

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite:///{self.data_dir / 'wharf.db'}"

    @property
    def pages_dir(self) -> Path:
        return self.data_dir / "pages"

    @property
    def blob_root(self) -> Path:
        return Path(self.storage.path) if self.storage.path else self.data_dir / "blobs"
