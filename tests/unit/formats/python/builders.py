"""Build real wheels and sdists (and broken ones) in a temporary directory."""

from __future__ import annotations

import io
import tarfile
import warnings
import zipfile
from collections.abc import Iterable
from pathlib import Path

Member = tuple[str, bytes]


def core_metadata(
    name: str = "demo-pkg", version: str = "1.0", metadata_version: str = "2.1", extra: str = ""
) -> bytes:
    """A small, valid core metadata document (plus ``extra`` header lines)."""
    text = f"Metadata-Version: {metadata_version}\nName: {name}\nVersion: {version}\n"
    return f"{text}Summary: A demo\n{extra}\nLong description.\n".encode()


WHEEL_FILE = b"Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def wheel_members(
    dist_info: str = "demo_pkg-1.0.dist-info",
    metadata: bytes | None = None,
    wheel: bytes | None = WHEEL_FILE,
    record: bool = True,
) -> list[Member]:
    """The members of a pure-Python wheel; leave a file out by passing None/False."""
    members: list[Member] = [("demo_pkg/__init__.py", b"VALUE = 1\n")]
    members.append((f"{dist_info}/METADATA", metadata if metadata is not None else core_metadata()))
    if wheel is not None:
        members.append((f"{dist_info}/WHEEL", wheel))
    if record:
        members.append((f"{dist_info}/RECORD", b""))
    return members


def sdist_members(top: str = "demo_pkg-1.0", metadata: bytes | None = None) -> list[Member]:
    """The members of a minimal sdist rooted at ``top``."""
    pkg_info = metadata if metadata is not None else core_metadata()
    return [
        (f"{top}/PKG-INFO", pkg_info),
        (f"{top}/pyproject.toml", b"[project]\nname = 'demo-pkg'\n"),
        (f"{top}/src/demo_pkg/__init__.py", b"VALUE = 1\n"),
    ]


def write_zip(
    path: Path, members: Iterable[Member], compression: int = zipfile.ZIP_DEFLATED
) -> Path:
    """Write a zip archive; duplicate names are written as given."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names
        with zipfile.ZipFile(path, "w", compression=compression) as archive:
            for name, data in members:
                archive.writestr(name, data)
    return path


def write_tar(path: Path, members: Iterable[Member], links: Iterable[tarfile.TarInfo] = ()) -> Path:
    """Write a .tar.gz with regular files plus any prepared link/device entries."""
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for info in links:
            archive.addfile(info)
    return path


def special(name: str, kind: bytes, target: str = "") -> tarfile.TarInfo:
    """A tar entry of a non-file type (``tarfile.SYMTYPE``, ``LNKTYPE``, ``CHRTYPE``...)."""
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info
