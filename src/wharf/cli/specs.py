"""Reading ``NAME``, ``NAME==VERSION`` (Python) and ``NAME@VERSION`` (npm, scoped names
too: ``@scope/name@1.0.0``) from the command line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from wharf.config.policy import duration_seconds
from wharf.core.errors import InvalidRequestError


def split_spec(spec: str) -> tuple[str, str | None]:
    """(name, version or None)."""
    name, sep, version = spec.partition("==")
    if sep:
        return name.strip(), version.strip() or None
    at = spec.rfind("@")
    if at > 0:
        return spec[:at].strip(), spec[at + 1:].strip() or None
    return spec.strip(), None


def parse_time(text: str) -> datetime:
    """An ISO 8601 date or time (UTC unless it says otherwise)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidRequestError(
            f"{text!r} is not a date.", hint="Write it as 2026-12-01 or 2026-12-01T12:00."
        ) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def parse_expiry(until: str | None, lasting: str | None) -> datetime | None:
    """When a waiver ends: ``--until DATE`` or ``--for DURATION`` from now; None: never."""
    if until and lasting:
        raise InvalidRequestError("Give --until or --for, not both.")
    if until:
        return parse_time(until)
    if lasting:
        try:
            seconds = duration_seconds(lasting)
        except ValueError as error:
            raise InvalidRequestError(str(error)) from None
        return datetime.now(UTC) + timedelta(seconds=seconds)
    return None
