"""npm package names: the rules for new names, scopes, path segments and tarball file names.

npm names are case-sensitive and never normalised: the registry has always served legacy
names with capitals (``JSONStream``), so a name is looked up exactly as written. Only *new*
names must follow today's rules (lower case, URL-safe, at most 214 characters).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from wharf.core.errors import InvalidRequestError, NotFoundError

MAX_NAME_LENGTH = 214
MAX_SEGMENT_LENGTH = 1024

RESERVED_NAMES = frozenset({"node_modules", "favicon.ico"})
# Node's built-in modules: a package named after one would be shadowed by `require`, so npm
# refuses them for new packages (validate-npm-package-name's `validForNewPackages`).
CORE_MODULES = frozenset(
    """assert async_hooks buffer child_process cluster console constants crypto dgram
    diagnostics_channel dns domain events fs http http2 https inspector module net os path
    perf_hooks process punycode querystring readline repl stream string_decoder sys timers tls
    trace_events tty url util v8 vm wasi worker_threads zlib""".split()  # noqa: SIM905
)

# What encodeURIComponent leaves alone; anything else would change when put in a URL.
_URL_SAFE = re.compile(r"[A-Za-z0-9\-_.!~*'()]+")
_NO_LONGER_ALLOWED = re.compile(r"[~'!()*]")
# A name that may exist somewhere (legacy names included): URL-safe parts, at most one scope.
_PLAUSIBLE = re.compile(r"(?:@[A-Za-z0-9\-_.!~*'()]+/)?[A-Za-z0-9\-_.!~*'()]+")
_SAFE_VERSION = re.compile(r"[0-9A-Za-z.+\-]+")


def normalize(name: str) -> str:
    """The lookup form of a name: the name itself.

    npm compares names byte for byte; folding case would merge ``JSONStream`` with a
    different package ``jsonstream``. Nothing is stripped either: a name with surrounding
    whitespace is invalid, and quietly trimming it would let two spellings reach one package.
    """
    return name


def split_scope(name: str) -> tuple[str | None, str]:
    """``"@scope/x"`` → ``("@scope", "x")``; an unscoped name has scope None."""
    if name.startswith("@") and "/" in name:
        scope, _, bare = name.partition("/")
        return scope, bare
    return None, name


def validate_name(name: str) -> list[str]:
    """Problems with ``name`` as the name of a new package (empty when valid)."""
    if not name:
        return ["the package name is empty; give the package a name in package.json"]
    shown = repr(name)
    problems: list[str] = []
    if len(name) > MAX_NAME_LENGTH:
        problems.append(
            f"the package name {shown} is {len(name)} characters long; "
            f"the limit is {MAX_NAME_LENGTH}"
        )
    if name != name.strip():
        problems.append(f"the package name {shown} has leading or trailing whitespace")
    if name.lower() != name:
        problems.append(
            f"the package name {shown} contains capital letters; new package names "
            "must be lower case"
        )
    if name[0] in "._":
        problems.append(f"the package name {shown} starts with {name[0]!r}, which is not allowed")
    scope, bare = split_scope(name)
    parts = [bare] if scope is None else [scope[1:], bare]
    if name.startswith("@") and (scope is None or not scope[1:] or not bare or "/" in bare):
        problems.append(f"the package name {shown} is not of the scoped form '@scope/name'")
    elif any(not _URL_SAFE.fullmatch(part) for part in parts):
        problems.append(
            f"the package name {shown} contains characters that are not URL-safe; use "
            "lower-case letters, digits, '-', '.' and '_'"
        )
    elif scope is not None and any(part.startswith(".") for part in parts):
        problems.append(f"the package name {shown} has a scope or name starting with '.'")
    if _NO_LONGER_ALLOWED.search(bare):
        problems.append(
            f"the package name {shown} contains one of the characters ~'!()*, which new "
            "package names may not use"
        )
    if name.lower() in RESERVED_NAMES:
        problems.append(f"the package name {shown} is reserved")
    if name.lower() in CORE_MODULES:
        problems.append(
            f"the package name {shown} is the name of a Node.js core module; "
            "choose another name or publish it under a scope"
        )
    return problems


def name_from_path(segment: str) -> str:
    """The package name in a packument URL segment.

    npm escapes the scope separator (``@scope%2fname``; some clients send ``%2F``, and
    yarn falls back to a literal ``/``), so every form decodes to ``@scope/name``. The
    result is only checked for being a plausible name, not a valid new one: legacy names
    must stay reachable.
    """
    try:
        name = unquote(segment, errors="strict")
    except UnicodeDecodeError:
        name = ""
    if (
        not name
        or "\x00" in segment
        or "\\" in name
        or "\x00" in name
        or len(name) > MAX_SEGMENT_LENGTH
        or _PLAUSIBLE.fullmatch(name) is None
        or any(part in (".", "..") or part.startswith(".") for part in name.split("/"))
    ):
        raise InvalidRequestError(
            f"{segment!r} is not a package name",
            hint="Address a package as /<name> or /@scope%2f<name>.",
        )
    return name


def tarball_filename(name: str, version: str) -> str:
    """The key a version's tarball is stored under: ``<name>-<version>.tgz``.

    The scope stays in the key (``@scope/x-1.0.0.tgz``), so ``@a/x`` and ``@b/x`` never
    share a file name.
    """
    return f"{name}-{version}.tgz"


def tarball_path(name: str, version: str) -> str:
    """The conventional tarball URL path below the registry root: ``<name>/-/<bare>-<v>.tgz``.

    yarn and lockfiles recompute this path instead of reading ``dist.tarball``, so it must
    be the one every client expects.
    """
    _, bare = split_scope(name)
    return f"{name}/-/{bare}-{version}.tgz"


def filename_from_tarball_path(name: str, file: str) -> str:
    """The storage key for ``file``, the last segment of a tarball URL of package ``name``."""
    return tarball_filename(name, _version_after(split_scope(name)[1], name, file))


def version_from_filename(name: str, file: str) -> str:
    """The version in a tarball file name of package ``name`` (the key or the URL form)."""
    prefix = name if file.startswith(f"{name}-") else split_scope(name)[1]
    return _version_after(prefix, name, file)


def _version_after(prefix: str, name: str, file: str) -> str:
    head = f"{prefix}-"
    version = file[len(head) : -len(".tgz")] if len(file) > len(head) + 4 else ""
    if (
        not file.startswith(head)
        or not file.endswith(".tgz")
        or "/" in file[len(head) :]
        or "\\" in file
        or ".." in version
        or _SAFE_VERSION.fullmatch(version) is None
    ):
        raise NotFoundError(
            f"{file!r} is not a tarball of {name}",
            hint=f"Tarballs of {name} are named {prefix}-<version>.tgz.",
        )
    return version
