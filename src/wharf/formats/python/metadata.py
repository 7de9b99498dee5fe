"""Core metadata (1.0 to 2.5): parse ``METADATA``/``PKG-INFO`` and report every problem."""

from __future__ import annotations

import re
from typing import Any, cast
from urllib.parse import urlsplit

from packaging.metadata import (
    _EMAIL_TO_RAW_MAPPING,  # the one list of field names; warehouse relies on it too
    InvalidMetadata,
    Metadata,
    RawMetadata,
    parse_email,
)
from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from wharf.formats.python.names import MAX_NAME_LENGTH

MAX_SUMMARY_LENGTH = 512
MAX_URL_LABEL_LENGTH = 32
PLACEHOLDER = "UNKNOWN"
"""What old setuptools wrote for fields it had no value for; treated as absent."""

_KNOWN_HEADERS = frozenset(_EMAIL_TO_RAW_MAPPING)
_FIELD_ORDER = {key: rank for rank, key in enumerate(RawMetadata.__annotations__)}
_VALIDATE_AS = {"2.0": "2.1"}
"""Versions some old tools wrote that packaging does not know, and what to check them as."""
_EARLY_FIELDS = ("license-file", "license-expression")
_OUTPUT_KEYS = {"platforms": "platform", "supported_platforms": "supported_platform"}
_HEADERS = {"download-url": "Download-URL", "project-url": "Project-URL"}
_PHRASES = {
    "version": "is not a valid version (PEP 440)",
    "requires-python": "is not a valid version specifier (PEP 440)",
    "name": "is not a valid project name (PEP 508)",
    "provides-extra": "is not a valid extra name",
    "license-expression": "is not a valid SPDX license expression",
}
_INVALID_FOR = re.compile(r"^(?P<value>.*) is invalid for '[^']*'(?P<rest>.*)$", re.DOTALL)
_INTRODUCED = re.compile(r"introduced in metadata version (\S+), not (\S+)")
_OPTIONAL_TEXT = (
    "summary",
    "description_content_type",
    "description",
    "home_page",
    "download_url",
    "author",
    "author_email",
    "maintainer",
    "maintainer_email",
    "license",
)


def parse_core_metadata(raw: bytes) -> tuple[dict[str, object], list[str]]:
    """The JSON-able fields of a metadata file and every problem with them."""
    parsed, unparsed = parse_email(raw)
    fields = _drop_placeholders(dict(parsed))
    problems = [_describe_unparsed(key) for key in sorted(unparsed)]
    to_validate = dict(fields)
    declared = fields.get("metadata_version")
    if isinstance(declared, str) and declared in _VALIDATE_AS:
        to_validate["metadata_version"] = _VALIDATE_AS[declared]
    try:
        Metadata.from_raw(cast(RawMetadata, to_validate), validate=True)
    except ExceptionGroup as group:
        found = sorted(_describe(exc) for exc in _flatten(group) if _keep(exc))
        if isinstance(declared, str) and declared in _VALIDATE_AS:
            validated = f"declares {_VALIDATE_AS[declared]}"
            found = [problem.replace(validated, f"declares {declared}") for problem in found]
        problems.extend(found)
    problems.extend(_check_extra_rules(fields))
    ordered = sorted(fields.items(), key=lambda item: _FIELD_ORDER.get(item[0], len(_FIELD_ORDER)))
    return {_OUTPUT_KEYS.get(key, key): value for key, value in ordered}, problems


def declares_at_least(fields: dict[str, object], minimum: str) -> bool:
    """Whether the parsed ``metadata_version`` is ``minimum`` or later (e.g. ``"2.2"``)."""
    declared = fields.get("metadata_version")
    try:
        return isinstance(declared, str) and Version(declared) >= Version(minimum)
    except InvalidVersion:
        return False


def _drop_placeholders(fields: dict[str, Any]) -> dict[str, Any]:
    kept = {key: value for key, value in fields.items() if value is not None}
    for key in _OPTIONAL_TEXT:
        if kept.get(key) == PLACEHOLDER:
            del kept[key]
    for key in ("platforms", "supported_platforms"):
        if key in kept:
            kept[key] = [item for item in kept[key] if item != PLACEHOLDER] or None
            if kept[key] is None:
                del kept[key]
    return kept


def _flatten(group: BaseExceptionGroup[Exception]) -> list[Exception]:
    found: list[Exception] = []
    for exc in group.exceptions:
        found.extend(_flatten(exc) if isinstance(exc, BaseExceptionGroup) else [exc])
    return found


def _keep(exc: Exception) -> bool:
    if not isinstance(exc, InvalidMetadata):
        return True
    introduced = "introduced in" in str(exc)
    # Requires-Dist is checked item by item below, so each bad requirement is named.
    if exc.field == "requires-dist":
        return introduced
    # Build backends wrote these before Metadata-Version 2.4 standardised them, and such
    # files are still published; accept them rather than refuse them.
    return not (introduced and exc.field in _EARLY_FIELDS)


def _header(field: str) -> str:
    return _HEADERS.get(field) or "-".join(part.capitalize() for part in field.split("-"))


def _describe_unparsed(key: str) -> str:
    if key in _KNOWN_HEADERS:
        return (
            f"{_header(key)}: has invalid data (repeated where only one is allowed, "
            "not UTF-8, or malformed)"
        )
    return f"{_header(key)}: is not a core metadata field; remove it"


def _describe(exc: Exception) -> str:
    if not isinstance(exc, InvalidMetadata):
        return str(exc)
    header, message = _header(exc.field), str(exc)
    if message.endswith("is a required field") or message.startswith("None is not"):
        return f"{header}: missing; this field is required"
    if exc.field == "metadata-version":
        value = message.partition(" is ")[0]
        return f"{header}: {value} is not a metadata version this server knows"
    if introduced := _INTRODUCED.search(message):
        return (
            f"{header}: this field needs Metadata-Version {introduced.group(1)} or later, "
            f"but the file declares {introduced.group(2)}"
        )
    if match := _INVALID_FOR.match(message):
        phrase = _PHRASES.get(exc.field, "is invalid")
        return f"{header}: {match.group('value')} {phrase}{match.group('rest')}"
    return f"{header}: {message}"


def _check_extra_rules(fields: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    name, version = fields.get("name"), fields.get("version")
    if isinstance(name, str) and len(name) > MAX_NAME_LENGTH:
        problems.append(f"Name: longer than {MAX_NAME_LENGTH} characters")
    try:
        local = Version(version).local if isinstance(version, str) else None
    except InvalidVersion:
        local = None
    if local:
        problems.append(
            f"Version: local versions ('+{local}') cannot be uploaded; "
            "publish a version without the '+...' part"
        )
    summary = fields.get("summary")
    if isinstance(summary, str) and len(summary) > MAX_SUMMARY_LENGTH:
        problems.append(f"Summary: must be {MAX_SUMMARY_LENGTH} characters or less")
    for key, header in (("home_page", "Home-page"), ("download_url", "Download-URL")):
        if key in fields and not _is_url(fields[key]):
            problems.append(f"{header}: {fields[key]!r} is not a valid http(s) URL")
    problems.extend(_check_project_urls(fields.get("project_urls") or {}))
    for key, header in (
        ("requires_dist", "Requires-Dist"),
        ("provides_dist", "Provides-Dist"),
        ("obsoletes_dist", "Obsoletes-Dist"),
    ):
        problems.extend(_check_requirements(header, fields.get(key) or []))
    return problems


def _check_project_urls(urls: dict[str, str]) -> list[str]:
    problems: list[str] = []
    for label, url in urls.items():
        if not label:
            problems.append(f"Project-URL: {url!r} needs a label ('Label, URL')")
        elif len(label) > MAX_URL_LABEL_LENGTH:
            problems.append(
                f"Project-URL: label {label!r} must be {MAX_URL_LABEL_LENGTH} characters or less"
            )
        if not _is_url(url):
            problems.append(f"Project-URL: {url!r} (label {label!r}) is not a valid http(s) URL")
    return problems


def _check_requirements(header: str, values: list[str]) -> list[str]:
    problems: list[str] = []
    for value in values:
        try:
            Requirement(value)
        except InvalidRequirement as exc:
            reason = str(exc).splitlines()[0]
            problems.append(f"{header}: {value!r} is not a valid requirement (PEP 508): {reason}")
    return problems


def _is_url(value: object) -> bool:
    if not isinstance(value, str) or not value or any(ch.isspace() for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)
