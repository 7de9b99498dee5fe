"""The disk tier of the page cache: big rendered pages written once, as files shared by
every worker process of a data directory, and sent by the server itself (zero-copy).

Layout, all in one directory (``<data_dir>/pages``):

- ``<name>.meta``: a small JSON record (ETag, stale flag, expiry, which body, its sizes).
  ``name`` is a digest of the page's key, its change token and the code that rendered it,
  so a change means a new name and a worker never mistakes an outdated page for a current
  one.
- ``<sha256>`` and ``<sha256>.gz``: the identity and gzip bytes, named by the identity
  bytes' digest. Bytes under one path never change: a page rebuilt with other content
  under the same token (an expired proxy page, a stale copy replaced by a fresh one) gets
  new body files, and a worker still holding the old record still reads the bytes its
  ETag and Content-Length describe. And a token that moves without the content changing
  (a page built while its upstream refresh bumps the stamps, a colliding stamp, an index
  setting) costs a new record only: the bodies, and their gzip, are already there.

Every file is written to a temporary name in the same directory, fsynced and renamed into
place, bodies before the record, so a reader that finds a record finds its bodies whole.
Writers racing for the same page write the same bytes (rendering is deterministic and so
is gzip with ``mtime=0``); the last rename wins and nothing is torn.

Files are removed by ``sweep``, which any worker runs at most once a minute after a write:
files unused for ``IDLE_SECONDS`` (outdated pages are never used again), then the least
recently used ones while the directory is over its cap. A hit marks its files used by
moving their mtime, at most once per ``TOUCH_SECONDS``. A file removed under a reader
that has it open is still read whole (POSIX); one found missing makes the page rebuild.

Reads and the per-hit checks are a few system calls on small files and run inline;
writes and sweeps run in a worker thread (the caller's ``anyio.to_thread``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import stat
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

DEFAULT_MAX_BYTES = 1 << 30
"""The directory's cap: 1 GiB holds both variants of about a hundred of the biggest npm
packuments (a 20 MB full document plus 3 MB of gzip), far more than are popular at once,
and is small next to the blob store on the same disk. Soft by ``GRACE_SECONDS``."""

TOUCH_SECONDS = 60.0
"""A hit moves its files' mtime only when it is older than this: one ``utime`` per page
per minute, not per request."""

GRACE_SECONDS = 2 * TOUCH_SECONDS
"""Files used this recently are never removed, even over the cap: a file a worker has just
checked and is about to send has an mtime at most ``TOUCH_SECONDS`` old, so it survives."""

IDLE_SECONDS = 3600.0
"""Files unused this long are removed: a popular page is touched every minute, a cold one
costs one rebuild when it is asked for again, and an outdated page is never used again."""

SWEEP_SECONDS = 60.0
"""At most one sweep per this many seconds across all workers (a marker file's mtime)."""

TEMP_SECONDS = 600.0
"""Temporary files older than this were left by a writer that died; removed by a sweep."""

_TEMP_PREFIX = ".tmp-"
_SWEPT = ".swept"
_META = ".meta"
_GZ = ".gz"


@dataclass(frozen=True, slots=True)
class StoredVariant:
    """One coding of a page on disk; ``size`` becomes the response's Content-Length."""

    path: Path
    size: int


@dataclass(frozen=True, slots=True)
class PageFiles:
    """Where a page's variants live (the gzip one only when it was worth making)."""

    identity: StoredVariant
    gzip: StoredVariant | None
    record: Path


@dataclass(frozen=True, slots=True)
class StoredPage:
    files: PageFiles
    etag: str
    stale: bool
    expires_at: datetime | None


class PageDirectory:
    """Pages on disk, shared by the processes that open the same directory."""

    def __init__(self, root: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        self._code = code_stamp()

    def name_of(self, key: Hashable, token: Hashable) -> str:
        """The same in every worker for the same page (``repr`` of plain tuples, strings
        and ints is stable across processes, unlike ``hash``)."""
        text = repr((self._code, key, token))
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:40]

    def load(self, name: str, now: datetime) -> StoredPage | None:
        """The page another worker (or an earlier run) stored, if it is still fresh and
        its bodies are all there."""
        try:
            record = json.loads((self.root / (name + _META)).read_bytes())
            etag, stale = str(record["etag"]), bool(record["stale"])
            expiry = record["expires_at"]
            expires_at = None if expiry is None else datetime.fromisoformat(expiry)
            gzip_size = record["gzip"]
            files = self._files(name, _checked_digest(record["body"]), int(record["identity"]),
                                None if gzip_size is None else int(gzip_size))
        except (OSError, ValueError, KeyError, TypeError):
            return None  # missing, or torn by a crash: built again
        if expires_at is not None and expires_at <= now:
            return None
        if not self.present(files):
            return None
        return StoredPage(files, etag, stale, expires_at)

    def present(self, files: PageFiles) -> bool:
        """Whether every variant is still on disk whole; marks them used."""
        try:
            identity = os.stat(files.identity.path)
            packed = os.stat(files.gzip.path) if files.gzip is not None else None
        except OSError:
            return False
        if identity.st_size != files.identity.size or (
            packed is not None and files.gzip is not None and packed.st_size != files.gzip.size
        ):
            return False
        if time.time() - identity.st_mtime > TOUCH_SECONDS:
            _touch(files.identity.path, files.record,
                   *([files.gzip.path] if files.gzip is not None else []))
        return True

    def store(
        self,
        name: str,
        body: bytes,
        etag: str,
        stale: bool,
        expires_at: datetime | None,
        pack: Callable[[bytes], bytes | None],
    ) -> StoredPage:
        """Write the page (blocking: call from a worker thread). Bodies already on disk
        are kept, not rewritten, and ``pack`` (gzip) is skipped then."""
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(body).hexdigest()
        identity = self.root / digest
        packed_path = self.root / (digest + _GZ)
        _touch(identity, packed_path)  # first, so a sweep now spares bodies about to be reused
        if _size(identity) != len(body):
            _write(self.root, identity, body)
        packed_size = _size(packed_path)
        if packed_size is None:
            packed = pack(body)
            if packed is not None:
                _write(self.root, packed_path, packed)
                packed_size = len(packed)
        record = {
            "etag": etag, "stale": stale, "body": digest, "identity": len(body),
            "gzip": packed_size,
            "expires_at": None if expires_at is None else expires_at.isoformat(),
        }
        _write(self.root, self.root / (name + _META), json.dumps(record).encode())
        self.sweep_if_due()
        return StoredPage(self._files(name, digest, len(body), packed_size), etag, stale,
                          expires_at)

    def sweep_if_due(self) -> int | None:
        """Sweep unless some worker did within ``SWEEP_SECONDS``; the bytes left, or None."""
        marker = self.root / _SWEPT
        now = time.time()
        try:
            if now - marker.stat().st_mtime < SWEEP_SECONDS:
                return None
        except FileNotFoundError:
            pass
        marker.touch()
        return self.sweep(now)

    def sweep(self, now: float | None = None) -> int:
        """Remove idle files, then the least recently used ones while over the cap (but
        none used within ``GRACE_SECONDS``); return the bytes left."""
        now = time.time() if now is None else now
        kept: list[tuple[float, int, str]] = []
        try:
            entries = list(os.scandir(self.root))
        except FileNotFoundError:
            return 0
        for entry in entries:
            if entry.name == _SWEPT:
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if not stat.S_ISREG(info.st_mode):
                continue
            limit = TEMP_SECONDS if entry.name.startswith(_TEMP_PREFIX) else IDLE_SECONDS
            if now - info.st_mtime > limit:
                _unlink(entry.path)
            else:
                kept.append((info.st_mtime, info.st_size, entry.path))
        total = sum(size for _, size, _ in kept)
        for mtime, size, path in sorted(kept):
            if total <= self.max_bytes or now - mtime <= GRACE_SECONDS:
                break
            if not os.path.basename(path).startswith(_TEMP_PREFIX):
                _unlink(path)
                total -= size
        return total

    def _files(self, name: str, digest: str, size: int, gzip_size: int | None) -> PageFiles:
        identity = StoredVariant(self.root / digest, size)
        packed = None if gzip_size is None else StoredVariant(self.root / (digest + _GZ), gzip_size)
        return PageFiles(identity, packed, self.root / (name + _META))


def code_stamp() -> str:
    """A digest of Wharf's own files (names, sizes, mtimes): pages rendered by other code
    are other pages, so an upgrade (or an edit, in development) never serves pages from
    before it. Every worker of one installation computes the same stamp."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        info = path.stat()
        digest.update(f"{path.relative_to(package)}:{info.st_size}:{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def _checked_digest(value: object) -> str:
    """A body's name from a record, refused unless it is a sha256 in hex (a record is
    only ever written by Wharf, but a path must not come from a file unchecked)."""
    if not isinstance(value, str) or len(value) != 64 or value.strip("0123456789abcdef"):
        raise ValueError(f"not a body digest: {value!r}")
    return value


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _write(directory: Path, path: Path, data: bytes) -> None:
    """Temporary file in the same directory, fsync, rename: whole or not at all."""
    temp = directory / f"{_TEMP_PREFIX}{secrets.token_hex(8)}"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        _unlink(str(temp))
        raise


def _touch(*paths: Path) -> None:
    for path in paths:
        try:
            os.utime(path)
        except OSError:
            continue


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
