"""The per-project JSON API: ``/pypi/<project>/json`` and ``/pypi/<project>/<version>/json``.

Not a standard, but bandersnatch, Dependabot, pulp and others read it, so the shape follows
the public index. ``info`` comes from the release's core metadata (hosted releases) and is
mostly empty for proxied projects; ``releases`` appears on the project endpoint only.

Links: ``package_url`` and ``project_url`` point at the project's simple page,
``release_url`` at the version's JSON document (Wharf has no other per-project page).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from packaging.utils import canonicalize_name

from wharf.core.errors import NotFoundError
from wharf.core.models import FileEntry, ProjectPage
from wharf.formats.python.simple import (
    all_versions,
    core_metadata,
    dumps,
    is_absolute,
    quote_path,
    sorted_files,
    upload_time,
    version_key,
)

_STRINGS = (
    "author",
    "author_email",
    "description",
    "description_content_type",
    "download_url",
    "home_page",
    "license",
    "license_expression",
    "maintainer",
    "maintainer_email",
    "requires_python",
    "summary",
)
_LISTS = ("dynamic", "license_files", "provides_extra", "requires_dist")
_NO_DOWNLOADS = {"last_day": -1, "last_month": -1, "last_week": -1}


def render_project_json(
    page: ProjectPage,
    *,
    version: str | None,
    files_base_url: str,
    index_url: str,
    serial: int | None = None,
) -> bytes:
    """The project document (``version`` None) or one version's document.

    ``files_base_url`` is the absolute URL that relative file URLs (``files/…``) hang from;
    ``index_url`` is the absolute URL of the index root. Raises ``NotFoundError`` when the
    version (or, for the project document, any version at all) does not exist.
    """
    files = sorted_files(page)
    by_version: dict[str, list[FileEntry]] = {}
    for entry in files:
        by_version.setdefault(entry.version, []).append(entry)
    extra = (v for v in page.release_metadata if v)
    known = sorted({*all_versions(page, files), *extra}, key=version_key)

    chosen = _latest(known, by_version) if version is None else _match(known, version)
    if chosen is None:
        raise _not_found(page, version, known)

    base = files_base_url.rstrip("/") + "/"
    release_files = by_version.get(chosen, [])
    document: dict[str, Any] = {
        "info": _info(page, chosen, release_files, index_url),
        "last_serial": serial or 0,
    }
    if version is None:
        document["releases"] = {
            v: [_file(entry, base) for entry in by_version.get(v, [])] for v in known
        }
    document["urls"] = [_file(entry, base) for entry in release_files]
    document["vulnerabilities"] = []
    return dumps(document)


def _is_yanked(files: list[FileEntry]) -> bool:
    return bool(files) and all(entry.yanked is not None for entry in files)


def _latest(known: list[str], by_version: Mapping[str, list[FileEntry]]) -> str | None:
    """The newest non-yanked final release, else the newest non-yanked, else the newest."""
    newest_first = known[::-1]
    for candidate in newest_first:
        key = version_key(candidate)
        if key[0] and not key[1].is_prerelease and not _is_yanked(by_version.get(candidate, [])):
            return candidate
    for candidate in newest_first:
        if not _is_yanked(by_version.get(candidate, [])):
            return candidate
    return newest_first[0] if newest_first else None


def _match(known: list[str], version: str) -> str | None:
    if version in known:
        return version
    wanted = version_key(version)
    if wanted[0]:
        for candidate in known:
            if version_key(candidate)[:2] == wanted[:2]:
                return candidate
    return None


def _not_found(page: ProjectPage, version: str | None, known: list[str]) -> NotFoundError:
    name = page.display_name or page.name
    if not known:
        return NotFoundError(
            f"Project {name!r} has no releases in index {page.index!r}.",
            hint="Upload a release first, or check the project name.",
        )
    recent = ", ".join(known[::-1][:5])
    more = " …" if len(known) > 5 else ""
    return NotFoundError(
        f"Project {name!r} has no version {version!r} in index {page.index!r}.",
        hint=f"Available versions include: {recent}{more}.",
    )


def _info(
    page: ProjectPage, version: str, files: list[FileEntry], index_url: str
) -> dict[str, Any]:
    meta = page.release_metadata.get(version, {})
    info: dict[str, Any] = {field: _text(meta.get(field)) for field in _STRINGS}
    for field in _LISTS:
        value = meta.get(field)
        info[field] = list(value) if isinstance(value, list | tuple) and value else None
    classifiers = meta.get("classifiers")
    info["classifiers"] = list(classifiers) if isinstance(classifiers, list | tuple) else []
    info["keywords"] = _joined(meta.get("keywords"))
    info["platform"] = _joined(meta.get("platform"))
    info["project_urls"] = _project_urls(meta, info["home_page"], info["download_url"])
    if info["requires_python"] is None:
        info["requires_python"] = next(
            (e.attrs["requires_python"] for e in files if e.attrs.get("requires_python")), None
        )
    root = index_url.rstrip("/") + "/"
    normalized = canonicalize_name(page.name)
    project_url = f"{root}simple/{normalized}/"
    yanked = _is_yanked(files)
    reasons = [entry.yanked for entry in files if entry.yanked]
    info.update(
        {
            "bugtrack_url": None,
            "docs_url": None,
            "downloads": dict(_NO_DOWNLOADS),
            "name": page.display_name or page.name,
            "package_url": project_url,
            "project_url": project_url,
            "release_url": f"{root}pypi/{normalized}/{quote_path(version)}/json",
            "version": version,
            "yanked": yanked,
            "yanked_reason": (reasons[0] if reasons else None) if yanked else None,
        }
    )
    return dict(sorted(info.items()))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _joined(value: Any) -> str | None:
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value) if value else None
    return _text(value)


def _project_urls(
    meta: Mapping[str, Any], home_page: str | None, download_url: str | None
) -> dict[str, str] | None:
    value = meta.get("project_urls")
    urls: dict[str, str] = {}
    if isinstance(value, Mapping):
        urls.update((str(k), str(v)) for k, v in value.items())
    elif isinstance(value, list | tuple):
        for item in value:
            label, sep, url = str(item).partition(",")
            if sep:
                urls[label.strip()] = url.strip()
    if home_page:
        urls.setdefault("Homepage", home_page)
    if download_url:
        urls.setdefault("Download", download_url)
    return urls or None


def _file(entry: FileEntry, base: str) -> dict[str, Any]:
    digests: dict[str, str] = {}
    for name in ("blake2b_256", "md5"):
        if entry.digests.get(name):
            digests[name] = entry.digests[name]
    if entry.sha256:
        digests["sha256"] = entry.sha256
    stamp = entry.uploaded_at
    return {
        "comment_text": "",
        "core-metadata": core_metadata(entry),
        "digests": digests,
        "downloads": -1,
        "filename": entry.filename,
        "has_sig": False,
        "md5_digest": digests.get("md5"),
        "packagetype": entry.attrs.get("packagetype") or _packagetype(entry.filename),
        "python_version": entry.attrs.get("python_version") or _python_version(entry.filename),
        "requires_python": entry.attrs.get("requires_python") or None,
        "size": entry.size,
        "upload_time": None if stamp is None else upload_time(stamp)[:19],
        "upload_time_iso_8601": None if stamp is None else upload_time(stamp),
        "url": entry.url if is_absolute(entry.url) else base + quote_path(entry.url),
        "yanked": entry.yanked is not None,
        "yanked_reason": entry.yanked or None,
    }


def _packagetype(filename: str) -> str:
    if filename.endswith(".whl"):
        return "bdist_wheel"
    if filename.endswith(".egg"):
        return "bdist_egg"
    return "sdist"


def _python_version(filename: str) -> str:
    if filename.endswith(".whl"):
        parts = filename[:-4].split("-")
        if len(parts) >= 5:
            return parts[-3]
    return "source"
