"""Receiving a legacy upload (what twine, ``uv publish`` and flit POST): the multipart form is
read with a size limit, the file is saved with its digests, inspected and checked against
the form, and turned into a format-neutral ``Upload``."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

import anyio
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.types import Message

from wharf.core.errors import InvalidArtifactError, InvalidRequestError, TooLargeError
from wharf.formats.python.archives import ArchiveLimits
from wharf.formats.python.inspect import Distribution, check_declared, inspect_distribution
from wharf.services.publishing import Upload, UploadLimits

CHUNK = 1 << 20
# Form overhead allowed on top of the file itself (metadata fields, description).
FORM_SLACK = 8 << 20


def too_large(limit: int) -> TooLargeError:
    return TooLargeError(
        f"The upload is larger than this server accepts ({limit} bytes).",
        hint="Ask an administrator to raise limits.max_upload_bytes.",
    )


async def receive_upload(request: Request, limits: UploadLimits) -> Upload:
    limit = limits.max_bytes + FORM_SLACK
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(limits.max_bytes)
    form = await read_form(request, limit)
    try:
        action = str(form.get(":action") or "file_upload")
        if action != "file_upload":
            raise InvalidRequestError(
                f"Unsupported :action '{action}'.",
                hint="Only file_upload is supported; manage releases with `wharf` or the API.",
            )
        content = form.get("content")
        if not isinstance(content, UploadFile) or not content.filename:
            raise InvalidRequestError(
                "The upload has no file in its 'content' field.",
                hint="Upload with twine, uv publish or flit.",
            )
        path, digests, size = await save(content, limits)
    finally:
        await form.close()
    try:
        if size > limits.max_bytes:
            raise too_large(limits.max_bytes)
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        filename = os.path.basename(content.filename.replace("\\", "/"))
        archive_limits = ArchiveLimits(max_uncompressed=limits.max_uncompressed)
        dist = await anyio.to_thread.run_sync(
            inspect_distribution, path, filename, archive_limits
        )
        problems = check_declared(dist, fields, digests)
        if problems:
            raise InvalidArtifactError(problems)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Upload(
        path=path,
        filename=dist.filename,
        display_name=dist.name,
        version=dist.version,
        kind=dist.kind,
        sha256=digests["sha256"],
        size=size,
        digests={k: v for k, v in digests.items() if k != "sha256"},
        attrs=artifact_attrs(dist),
        release_metadata=dist.metadata,
        metadata_document=dist.core_metadata,
    )


def artifact_attrs(dist: Distribution) -> dict[str, Any]:
    attrs: dict[str, Any] = {"packagetype": dist.kind, "python_version": dist.python_version}
    if dist.requires_python:
        attrs["requires_python"] = dist.requires_python
    return attrs


async def read_form(request: Request, limit: int) -> FormData:
    """The multipart form, refusing bodies over ``limit`` bytes however they are sent."""
    received = 0
    upstream_receive = request.receive

    async def counting_receive() -> Message:
        nonlocal received
        message = await upstream_receive()
        received += len(message.get("body", b""))
        if received > limit:
            raise too_large(limit - FORM_SLACK)
        return message

    counted = Request(request.scope, counting_receive)
    try:
        return await counted.form(max_files=4, max_fields=2000)
    except TooLargeError:
        raise
    except Exception as exc:  # malformed multipart bodies surface as various errors
        raise InvalidRequestError(
            f"The upload body is not a valid multipart form: {exc}.",
            hint="Upload with twine, uv publish or flit.",
        ) from None


async def save(content: UploadFile, limits: UploadLimits) -> tuple[Path, dict[str, str], int]:
    """Copy the uploaded file into the temporary directory, computing its digests."""
    limits.tmp_dir.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix="upload-", dir=limits.tmp_dir)
    path = Path(name)
    sha256, md5, blake2 = hashlib.sha256(), hashlib.md5(), hashlib.blake2b(digest_size=32)  # noqa: S324
    size = 0
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := await content.read(CHUNK):
                size += len(chunk)
                if size > limits.max_bytes:
                    raise too_large(limits.max_bytes)
                sha256.update(chunk)
                md5.update(chunk)
                blake2.update(chunk)
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    digests = {"sha256": sha256.hexdigest(), "md5": md5.hexdigest(),
               "blake2b_256": blake2.hexdigest()}
    return path, digests, size
