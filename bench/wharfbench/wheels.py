"""Real wheels written with zipfile: METADATA (with Requires-Dist), WHEEL and a RECORD whose
hashes match, fixed timestamps so the same corpus seed gives the same bytes."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from wharfbench.names import module_name

EPOCH = (2024, 1, 2, 3, 4, 6)  # zip timestamps: fixed, so the bytes do not depend on "now"


def core_metadata(name: str, version: str, requires: Sequence[str], summary: str) -> bytes:
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {name}",
        f"Version: {version}",
        f"Summary: {summary}",
        f"Home-page: https://example.invalid/{name}",
        "License: MIT",
        "Requires-Python: >=3.8",
        "Classifier: Programming Language :: Python :: 3",
        *(f"Requires-Dist: {r}" for r in requires),
    ]
    return ("\n".join(lines) + "\n\n" + f"# {name}\n\n{summary}\n").encode()


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def wheel_filename(name: str, version: str) -> str:
    return f"{module_name(name)}-{version}-py3-none-any.whl"


def write_wheel(directory: Path, name: str, version: str, *, requires: Sequence[str] = (),
                files: Mapping[str, bytes], summary: str = "") -> tuple[Path, bytes]:
    """The wheel's path and its METADATA bytes (served beside it as ``.metadata``, PEP 658).
    Members whose path ends in ``.bin`` are stored, everything else deflated."""
    dist_info = f"{module_name(name)}-{version}.dist-info"
    metadata = core_metadata(name, version, requires, summary or f"The {name} library.")
    members = dict(files)
    members[f"{dist_info}/METADATA"] = metadata
    members[f"{dist_info}/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: wharfbench\n"
                                     b"Root-Is-Purelib: true\nTag: py3-none-any\n")
    members[f"{dist_info}/top_level.txt"] = f"{module_name(name)}\n".encode()
    record = [_record_line(p, d) for p, d in members.items()]
    members[f"{dist_info}/RECORD"] = ("\n".join([*record, f"{dist_info}/RECORD,,"])
                                      + "\n").encode()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / wheel_filename(name, version)
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in members.items():
            info = zipfile.ZipInfo(member, date_time=EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = (zipfile.ZIP_STORED if member.endswith(".bin")
                                  else zipfile.ZIP_DEFLATED)
            archive.writestr(info, data)
    return path, metadata
