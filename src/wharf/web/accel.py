"""Files sent by nginx in front of Wharf (``X-Accel-Redirect``): Wharf authorises the
request (access, policy, audit) and answers with headers only; nginx, configured with an
internal location per directory, sends the bytes with ``sendfile``, ranges included.

With ``server.accel_redirect = "/_wharf"``, a blob at ``<blob root>/ab/cd/abcd…`` goes out
as ``X-Accel-Redirect: /_wharf/blobs/ab/cd/abcd…`` and a page kept on disk as
``/_wharf/pages/<digest>``. The README's deployment section has the nginx side.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from starlette.responses import Response

HEADER = "x-accel-redirect"


@dataclass(frozen=True, slots=True)
class Accel:
    prefix: str
    roots: Mapping[str, Path]
    """Location name (``blobs``, ``pages``) -> the directory nginx serves under it."""

    @classmethod
    def under(cls, prefix: str, roots: Mapping[str, Path]) -> Accel | None:
        """The redirects for a configured prefix; None when it is empty (Wharf sends)."""
        prefix = prefix.strip().rstrip("/")
        if not prefix:
            return None
        if not prefix.startswith("/"):
            prefix = "/" + prefix
        return cls(prefix, {name: root.resolve() for name, root in roots.items()})

    def location(self, path: Path) -> str | None:
        """The internal URI nginx serves ``path`` at; None for a file outside the roots."""
        resolved = path.resolve()
        for name, root in self.roots.items():
            if resolved.is_relative_to(root):
                relative = resolved.relative_to(root).as_posix()
                return f"{self.prefix}/{name}/{quote(relative)}"
        return None

    def response(
        self, path: Path, media_type: str, headers: Mapping[str, str]
    ) -> Response | None:
        """Headers-only answer handing ``path`` to nginx; None when nginx cannot reach it.
        Content-Length is nginx's to set (from the file): the answer itself is empty."""
        location = self.location(path)
        if location is None:
            return None
        sent = {k: v for k, v in headers.items() if k.lower() != "content-length"}
        sent[HEADER] = location
        return Response(b"", media_type=media_type, headers=sent)
