"""Upstream simple pages (PEP 691 JSON or PEP 503 HTML) read into the neutral listing shape
that the proxy cache stores::

    {"name": normalized, "api-version": "1.x", "versions": [...],
     "project-status": {"status": ..., "reason": ...} | None,
     "files": [{"filename", "url" (absolute, no fragment), "hashes" {name: hex},
                "requires-python" str | None, "yanked" False | True | reason,
                "upload-time" str | None, "size" int | None,
                "core-metadata" False | True | {"sha256": hex}, "provenance" str | None}]}

HTML pages carry no sizes or upload times (those stay None). Unreadable pages raise
``UpstreamError`` so that the caller can fall back to a cached copy.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote, urljoin

from packaging.utils import canonicalize_name

from wharf.core.errors import UpstreamError
from wharf.formats import codec

_HEX = re.compile(r"[0-9a-f]+")
_STATUSES = frozenset({"active", "archived", "quarantined", "deprecated"})


def _garbage(url: str, why: str) -> UpstreamError:
    return UpstreamError(
        f"Upstream {url} sent an unreadable project page: {why}.",
        hint="Check that the proxy index's upstream URL points at a simple index (…/simple/).",
    )


def parse_listing(content: bytes, content_type: str, page_url: str, project: str) -> dict[str, Any]:
    """An upstream simple page (JSON or HTML, by content type, else by sniffing) as the
    neutral body. Relative URLs resolve against ``page_url``. Raises ``UpstreamError``."""
    media, _, params = content_type.partition(";")
    media = media.strip().lower()
    if media.endswith("json") or ("html" not in media and content.lstrip()[:1] == b"{"):
        try:
            data = codec.loads(content)
        except (ValueError, RecursionError) as error:
            raise _garbage(page_url, f"invalid JSON ({error})") from None
        return _from_json(data, page_url, project)
    charset = "utf-8"
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"')
    if b"\x00" in content:
        raise _garbage(page_url, "binary data where HTML was expected")
    try:
        text = content.decode(charset, errors="replace")
    except LookupError:
        text = content.decode("utf-8", errors="replace")
    return _from_html(text, page_url, project)


def _check_api_version(version: str, url: str) -> str:
    major = version.partition(".")[0].strip()
    if major.isdigit() and int(major) > 1:
        raise _garbage(url, f"unsupported API version {version} (Wharf speaks 1.x)")
    return version


class _Resolver:
    """``urljoin`` against one base, memoised per leading part of the reference. Pages
    give every file its own directory (``../../packages/ab/cd/<digest>/<file>``), so the
    memo key is the reference's leading dot segments and first plain segment: past them,
    a path with no dot segment, query or colon resolves to the same text appended. The
    last part found is tried first: on a page, every reference has the same one."""

    def __init__(self, base: str) -> None:
        self.base = base
        self._heads: dict[str, str] = {}
        self._last = ("", "")

    def __call__(self, href: str) -> str:
        if href.startswith(("http://", "https://")):
            return href
        head, resolved = self._last
        if head and href.startswith(head):
            tail = href[len(head):]
            if _plain(tail):
                return resolved + tail
        head, rest = _head_of(href)
        if rest is None:
            return urljoin(self.base, href)
        resolved = self._heads.get(head) or ""
        if not resolved:
            resolved = urljoin(self.base, head)
            self._heads[head] = resolved
        self._last = (head, resolved)
        return resolved + rest


def _plain(tail: str) -> bool:
    """Whether ``tail`` resolves as itself appended to a directory: no dot segment, empty
    segment, query, colon or backslash."""
    if "?" in tail or ":" in tail or "\\" in tail:
        return False
    padded = f"/{tail}/"
    return "/./" not in padded and "/../" not in padded and "//" not in padded


def _head_of(href: str) -> tuple[str, str | None]:
    """``("../../packages/", "ab/cd/f.whl")`` for ``../../packages/ab/cd/f.whl``; the tail
    is None when the reference needs ``urljoin``'s full treatment."""
    if "?" in href or ":" in href or href.startswith("/") or "\\" in href:
        return href, None
    position = 0
    while href.startswith(("./", "../"), position):
        position = href.index("/", position) + 1
    if not _plain(href[position:]):
        return href, None
    cut = href.find("/", position)
    if cut < 0:
        return href[:position] or "./", href[position:]
    return href[: cut + 1], href[cut + 1 :]


def _split(resolve: _Resolver, href: str) -> tuple[str, dict[str, str]]:
    """Absolute URL without fragment, and the hashes the fragment names."""
    if "#" not in href:
        return resolve(href), {}
    raw, _, fragment = href.partition("#")
    hashes: dict[str, str] = {}
    for part in fragment.split("&") if fragment else ():
        name, _, value = part.partition("=")
        value = value.lower()
        if name and _HEX.fullmatch(value):
            hashes[name.lower()] = value
    return resolve(raw), hashes


def _add_hashes(hashes: dict[str, str], given: Any) -> None:
    """The well-formed hex digests of a PEP 691 ``hashes`` object, lower-cased."""
    if not isinstance(given, dict):
        return
    for name, value in given.items():
        if not isinstance(value, str):
            continue
        digest = value
        if not _HEX.fullmatch(digest):
            digest = value.lower()
            if not _HEX.fullmatch(digest):
                continue
        hashes[name if name.islower() else str(name).lower()] = digest


def _metadata(value: Any) -> bool | dict[str, str]:
    if value is True:
        return True
    if isinstance(value, dict):
        sha = value.get("sha256")
        return {"sha256": sha.lower()} if isinstance(sha, str) and sha else True
    if isinstance(value, str):
        if value.strip().lower() == "true":
            return True
        name, sep, digest = value.partition("=")
        if sep:
            digest = digest.strip().lower()
            ok = name.strip().lower() == "sha256" and _HEX.fullmatch(digest)
            return {"sha256": digest} if ok else True
    return False


def _from_json(data: Any, url: str, project: str) -> dict[str, Any]:
    if not isinstance(data, dict) or not isinstance(data.get("files"), list):
        raise _garbage(url, "JSON without a files list")
    meta = data.get("meta")
    api = meta.get("api-version") if isinstance(meta, dict) else None
    files: list[dict[str, Any]] = []
    seen: set[str] = set()
    resolve = _Resolver(url)
    for item in data["files"]:
        if not isinstance(item, dict):
            raise _garbage(url, "a file entry is not an object")
        filename, href = item.get("filename"), item.get("url")
        if not isinstance(filename, str) or not isinstance(href, str) or not filename or not href:
            raise _garbage(url, "a file entry lacks filename or url")
        if filename in seen:
            continue
        seen.add(filename)
        absolute, hashes = _split(resolve, href)
        given = item.get("hashes")
        if given:
            _add_hashes(hashes, given)
        metadata = item.get("core-metadata")
        if metadata is None:
            metadata = item.get("data-dist-info-metadata")
            if metadata is None:
                metadata = item.get("dist-info-metadata")
        yanked = item.get("yanked")
        size = item.get("size")
        requires = item.get("requires-python")
        stamp = item.get("upload-time")
        prov = item.get("provenance")
        files.append(
            {
                "filename": filename,
                "url": absolute,
                "hashes": hashes,
                "requires-python": requires if requires and isinstance(requires, str) else None,
                "yanked": (yanked or True) if isinstance(yanked, str) else yanked is True,
                "upload-time": stamp if isinstance(stamp, str) else None,
                "size": size if type(size) is int and size >= 0 else None,
                "core-metadata": _metadata(metadata) if metadata else False,
                "provenance": urljoin(url, prov) if prov and isinstance(prov, str) else None,
            }
        )
    versions = data.get("versions")
    status = data.get("project-status")
    if isinstance(status, dict):
        status = _status(status.get("status") or status.get("state"), status.get("reason"))
    return {
        "name": canonicalize_name(project),
        "api-version": _check_api_version(str(api or "1.0"), url),
        "files": files,
        "versions": [v for v in versions if isinstance(v, str)]
        if isinstance(versions, list)
        else [],
        "project-status": status if isinstance(status, dict) else None,
    }


def _status(status: Any, reason: Any) -> dict[str, str] | None:
    if not isinstance(status, str) or status.strip().lower() not in _STATUSES:
        return None
    return {"status": status.strip().lower(), "reason": reason if isinstance(reason, str) else ""}


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[tuple[dict[str, str | None], list[str]]] = []
        self.meta: dict[str, str] = {}
        self.base: str | None = None
        self.tags = 0
        self._text: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags += 1
        if tag == "a":
            self._text = []
            self.anchors.append((dict(attrs), self._text))
        elif tag == "meta":
            found = dict(attrs)
            name, content = found.get("name"), found.get("content")
            if name and content is not None:
                self.meta[name.strip().lower()] = content
        elif tag == "base" and self.base is None:
            self.base = dict(attrs).get("href")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._text = None

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)


def _from_html(text: str, url: str, project: str) -> dict[str, Any]:
    parser = _PageParser()
    try:
        parser.feed(text)
        parser.close()
    except AssertionError as error:  # the stdlib parser's way of rejecting markup
        raise _garbage(url, f"malformed HTML ({error})") from None
    if not parser.tags:
        raise _garbage(url, "no HTML found")
    base = urljoin(url, parser.base) if parser.base else url
    resolve = _Resolver(base)
    files: list[dict[str, Any]] = []
    seen: set[str] = set()
    for attrs, text_parts in parser.anchors:
        href = (attrs.get("href") or "").strip()
        if not href:
            continue
        absolute, hashes = _split(resolve, href)
        path = absolute.partition("?")[0]
        filename = unquote(path.rsplit("/", 1)[-1]) or "".join(text_parts).strip()
        if not filename or filename in seen:
            continue
        seen.add(filename)
        yanked = attrs.get("data-yanked", False)
        metadata = attrs.get("data-core-metadata", attrs.get("data-dist-info-metadata"))
        prov = attrs.get("data-provenance")
        files.append(
            {
                "filename": filename,
                "url": absolute,
                "hashes": hashes,
                "requires-python": attrs.get("data-requires-python") or None,
                "yanked": False if yanked is False else (yanked or True),
                "upload-time": None,
                "size": None,
                "core-metadata": _metadata(metadata),
                "provenance": urljoin(base, prov) if prov else None,
            }
        )
    meta = parser.meta
    return {
        "name": canonicalize_name(project),
        "api-version": _check_api_version(meta.get("pypi:repository-version", "1.0"), url),
        "files": files,
        "versions": [],
        "project-status": _status(
            meta.get("pypi:project-status"), meta.get("pypi:project-status-reason")
        ),
    }
