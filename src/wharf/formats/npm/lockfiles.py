"""npm lockfiles as plain entries: ``package-lock.json``, ``pnpm-lock.yaml``, ``yarn.lock``.

Every lockfile names the real package behind an alias (``"npm:real@1.0.0"``, a ``name``
field, a yarn ``resolution``), and that real name is the entry's name: the policy judges
what is downloaded, not what the project calls it. Versions count as pinned only when they
are exact semver; git, URL and local sources are entries without a version. Workspaces,
links and portals are the project's own code and not entries at all.

Shapes read: package-lock 1 (nested ``dependencies``) and 2-3 (``packages`` keyed by
``node_modules/...`` paths); pnpm 5.x (``/name/1.0.0_peer@1``), 6.x (``/name@1.0.0(peer@1)``)
and 9.x (``name@1.0.0``) ``packages`` keys; yarn classic (v1) and yarn berry (YAML with
``__metadata``, ``resolution: "name@npm:1.0.0"``, ``patch:`` meaning the package it patches).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from wharf.formats.lockfiles import LockEntry, parse_error, read_text
from wharf.formats.npm.yamlnodes import child, items, load_documents, plain

FORMAT = "npm"

_EXACT = re.compile(r"\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?")
# What a range (not a package name) starts with: "^1", ">=2", "*", "x", "v1.2".
_RANGE_START = re.compile(r"[\d^~<>=*|\s]|[vxX](?:[\d.]|$)")
_HOSTED_SHORTHAND = re.compile(r"[^@/\s:]+/[^/\s:]+(?:#.*)?")
# pnpm keys: name, then '@' (6.x, 9.x) or '/' (5.x), then the version; peers follow.
_PNPM_KEY = re.compile(r"((?:@[^/@]+/)?[^/@]+)([@/])([^/(_]+)(.*)")
_OWN_CODE = ("link:", "portal:", "workspace:")
_GIT = ("git+", "git:", "github:", "gitlab:", "bitbucket:", "gist:")
_LOCAL_ARCHIVES = (".tgz", ".tar.gz", ".tar")


def read_package_lock(path: Path) -> list[LockEntry]:
    """The packages of a ``package-lock.json`` or ``npm-shrinkwrap.json``."""
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise parse_error(f"{path.name}:{exc.lineno}", f"not valid JSON: {exc.msg}") from exc
    if not isinstance(data, dict) or "lockfileVersion" not in data:
        raise parse_error(path.name, "not an npm lockfile (no lockfileVersion)")
    packages, dependencies = data.get("packages"), data.get("dependencies")
    if isinstance(packages, dict):
        return list(_from_packages(packages, path.name))
    if isinstance(dependencies, dict):
        return list(_from_dependencies(dependencies, "", path.name))
    return []


def read_pnpm_lock(path: Path) -> list[LockEntry]:
    """The ``packages`` of every document in a ``pnpm-lock.yaml`` (pnpm 10 puts its own
    config dependencies in a first document)."""
    entries: list[LockEntry] = []
    for document in load_documents(read_text(path), path.name):
        packages = child(document, "packages")
        if packages is None:
            continue
        for key, line, node in items(packages, f"{path.name}: packages"):
            meta = plain(node, path.name)
            where = f"{path.name}:{line}"
            entry = _pnpm_entry(key, meta if isinstance(meta, dict) else {}, where)
            if entry is not None:
                entries.append(entry)
    return entries


def read_yarn_lock(path: Path) -> list[LockEntry]:
    """The packages of a ``yarn.lock``, classic (v1) or berry (``__metadata``)."""
    text = read_text(path)
    if re.search(r"^__metadata:", text, re.MULTILINE):
        return list(_from_berry(text, path.name))
    return list(_from_classic(text, path.name))


def _entry(name: str, version: object, where: str, note: str = "") -> LockEntry:
    if note:
        return LockEntry(FORMAT, name, None, where, note)
    if not isinstance(version, str) or not version:
        return LockEntry(FORMAT, name, None, where, "no version in the lockfile")
    if _EXACT.fullmatch(version) is None:
        return LockEntry(FORMAT, name, None, where, f"{version!r} is not an exact version")
    return LockEntry(FORMAT, name, version, where)


def _split_name(spec: str) -> tuple[str, str]:
    """``("@s/x", "^1.0")`` from ``"@s/x@^1.0"``: the first ``@`` after the name splits."""
    at = spec.find("@", 1)
    return (spec, "") if at == -1 else (spec[:at], spec[at + 1 :])


def _unalias(name: str, reference: str) -> tuple[str, str]:
    """The real name and reference behind ``npm:real@range`` (or ``npm:range``)."""
    if not reference.startswith("npm:"):
        return name, reference
    inner = reference[len("npm:") :]
    if "@" in inner[1:] or inner.startswith("@") or not _RANGE_START.match(inner):
        real, reference = _split_name(inner)
        return real, reference
    return name, inner


def _source_note(reference: str) -> str:
    """Why a dependency reference is not a registry version ("" for a version or range)."""
    lowered = reference.lower()
    if lowered.startswith("file:"):
        return "local path"
    if lowered.startswith(_GIT):
        return "git source"
    if lowered.startswith(("http://", "https://")):
        git = lowered.endswith(".git") or ".git#" in lowered or "#commit=" in lowered
        return "git source" if git else "URL source"
    if _HOSTED_SHORTHAND.fullmatch(reference):
        return "git source"
    return ""


def _resolved_note(resolved: object) -> str:
    """The note for a ``resolved`` location: registry tarballs are URLs too, so only git
    and local sources are told apart."""
    if not isinstance(resolved, str):
        return ""
    lowered = resolved.lower()
    if lowered.startswith(_GIT):
        return "git source"
    return "local path" if lowered.startswith("file:") else ""


def _from_packages(packages: dict[str, Any], label: str) -> Iterator[LockEntry]:
    """lockfileVersion 2 and 3. Keys outside ``node_modules`` are the root and the folders
    that links point at; ``link: true`` entries are those links."""
    for key, meta in packages.items():
        if "node_modules/" not in key or not isinstance(meta, dict) or meta.get("link"):
            continue
        name = meta.get("name")
        if not isinstance(name, str) or not name:
            name = key.rsplit("node_modules/", 1)[1]
        note = _resolved_note(meta.get("resolved"))
        yield _entry(name, meta.get("version"), f"{label}: {key}", note)


def _from_dependencies(
    dependencies: dict[str, Any], prefix: str, label: str
) -> Iterator[LockEntry]:
    """lockfileVersion 1: nested ``dependencies``; the version field holds aliases
    (``npm:real@1.0.0``) and non-registry sources (``git+ssh://...``, ``file:...``)."""
    for alias, meta in dependencies.items():
        if not isinstance(meta, dict):
            continue
        key = f"{prefix}node_modules/{alias}"
        version = meta.get("version")
        name, reference = _unalias(alias, version if isinstance(version, str) else "")
        note = "" if _EXACT.fullmatch(reference) else _source_note(reference)
        local_folder = note == "local path" and not reference.endswith(_LOCAL_ARCHIVES)
        if not local_folder:
            yield _entry(name, reference, f"{label}: {key}", note)
        nested = meta.get("dependencies")
        if isinstance(nested, dict):
            yield from _from_dependencies(nested, f"{key}/", label)


def _pnpm_entry(key: str, meta: dict[str, Any], where: str) -> LockEntry | None:
    registry = _pnpm_registry_key(key)
    resolution = meta.get("resolution")
    note = _pnpm_resolution_note(resolution if isinstance(resolution, dict) else {})
    if registry is not None and not note:
        name, version = registry
        return _entry(name, meta.get("version", version), where)
    written = meta.get("name")
    name = written if isinstance(written, str) and written else _split_name(key.lstrip("/"))[0]
    reference = _split_name(key.lstrip("/"))[1]
    if reference.startswith(_OWN_CODE):
        return None
    return _entry(name, None, where, note or _source_note(reference) or "not from a registry")


def _pnpm_registry_key(key: str) -> tuple[str, str] | None:
    """Name and version of a registry package key: ``/name/1.0.0_peer@1`` (5.x),
    ``/name@1.0.0(peer@1)`` (6.x), ``name@1.0.0`` (9.x) or ``host/name/1.0.0`` (5.x, a
    registry other than the default); None for git, tarball and local keys."""
    if key.startswith("/"):
        match = _PNPM_KEY.fullmatch(key[1:])
    elif (match := _PNPM_KEY.fullmatch(key)) is None or match.group(2) != "@":
        match = _PNPM_KEY.fullmatch(key.partition("/")[2])
        match = match if match is not None and match.group(2) == "/" else None
    if match is None or _EXACT.fullmatch(match.group(3)) is None:
        return None
    return match.group(1), match.group(3)


def _pnpm_resolution_note(resolution: dict[str, Any]) -> str:
    kind = resolution.get("type")
    if kind == "git" or resolution.get("gitHosted"):
        return "git source"
    if kind == "directory":
        return "local directory"
    tarball = resolution.get("tarball")
    if isinstance(tarball, str) and tarball.startswith("file:"):
        return "local path"
    return ""


def _from_berry(text: str, label: str) -> Iterator[LockEntry]:
    documents = load_documents(text, label)
    if not documents:
        return
    for key, line, node in items(documents[-1], label):
        meta = plain(node, label)
        if key == "__metadata" or not isinstance(meta, dict):
            continue
        resolution = meta.get("resolution")
        if not isinstance(resolution, str) or not resolution:
            raise parse_error(f"{label}:{line}", f"{key!r} has no resolution")
        entry = _berry_entry(resolution, f"{label}:{line}")
        if entry is not None:
            yield entry


def _berry_entry(resolution: str, where: str) -> LockEntry | None:
    """An entry from a berry locator: ``name@npm:1.0.0``; ``patch:`` stands for the
    package it patches (its locator is URL-encoded before the ``#``)."""
    name, reference = _split_name(resolution)
    if reference.startswith("patch:"):
        return _berry_entry(unquote(reference[len("patch:") :].split("#", 1)[0]), where)
    if reference.startswith(_OWN_CODE):
        return None
    if reference.startswith("npm:"):
        return _entry(name, reference[len("npm:") :].split("::", 1)[0], where)
    protocol = reference.split(":", 1)[0] if ":" in reference else "unknown"
    return _entry(name, None, where, _source_note(reference) or f"{protocol} source")


def _from_classic(text: str, label: str) -> Iterator[LockEntry]:
    for header, fields, where in _classic_blocks(text, label):
        name, reference = _unalias(*_split_name(header[0]))
        if reference.startswith(_OWN_CODE):
            continue
        note = _source_note(reference) or _resolved_note(fields.get("resolved"))
        yield _entry(name, fields.get("version"), where, note)


def _classic_blocks(text: str, label: str) -> Iterator[tuple[list[str], dict[str, str], str]]:
    """yarn v1's own format: unindented headers (``"a@^1", a@~1.1:``), each followed by
    two-space fields (``version "1.1.0"``); deeper lines (dependency lists) are not needed.
    Every spec of one header resolves to the same package, so the first one names it."""
    block: tuple[list[str], dict[str, str], str] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped, where = raw.strip(), f"{label}:{number}"
        if not stripped or stripped.startswith("#"):
            continue
        if not raw.startswith(" "):
            if block is not None:
                yield block
            if not stripped.endswith(":"):
                raise parse_error(where, "expected a package header ending in ':'")
            block = (_header_specs(stripped[:-1], where), {}, where)
        elif block is None:
            raise parse_error(where, "an indented line comes before any package header")
        elif not raw.startswith("   "):
            key, _, value = stripped.partition(" ")
            block[1][_unquote(key, where)] = _unquote(value.strip(), where)
    if block is not None:
        yield block


def _header_specs(header: str, where: str) -> list[str]:
    specs = [
        _unquote(match.group(0).strip(), where)
        for match in re.finditer(r'"(?:[^"\\]|\\.)*"|[^,"]+', header)
        if match.group(0).strip()
    ]
    if not specs:
        raise parse_error(where, "a package header names no package")
    return specs


def _unquote(value: str, where: str) -> str:
    if not value.startswith('"'):
        return value
    try:
        text = json.loads(value)
    except json.JSONDecodeError as exc:
        raise parse_error(where, f"bad quoted string {value!r}") from exc
    return text if isinstance(text, str) else value
