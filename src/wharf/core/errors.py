"""The one error tree. Every refusal Wharf makes is one of these.

    WharfError                      code
    ├── NotFoundError               not_found
    ├── ConflictError               conflict
    │   └── FileExistsConflict      file_exists
    ├── InvalidRequestError         invalid_request
    │   └── InvalidArtifactError    invalid_artifact   (carries every problem found)
    ├── PolicyDeniedError           policy_denied      (rule id and reason)
    │   └── QuarantinedError        quarantined        (until when)
    ├── UnauthenticatedError        unauthenticated
    ├── ForbiddenError              forbidden
    ├── UpstreamError               upstream_unavailable
    │   ├── UpstreamTimeoutError    upstream_timeout
    │   └── UpstreamIntegrityError  upstream_integrity
    ├── TooLargeError               too_large
    └── ConfigurationError          bad_configuration

Each error says what was wrong (``message``) and what to do next (``hint``). The web layer
owns the one mapping from these classes to HTTP status codes; the formats own the body shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar


class WharfError(Exception):
    """Base of every error Wharf reports to a user."""

    code: ClassVar[str] = "error"

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def explain(self) -> str:
        """The message and the hint as one sentence pair, for reason phrases and logs."""
        return f"{self.message} {self.hint}".strip() if self.hint else self.message


class NotFoundError(WharfError):
    code = "not_found"


class ConflictError(WharfError):
    code = "conflict"


class FileExistsConflict(ConflictError):
    """A filename is taken. ``identical`` is true when the stored bytes equal the new ones."""

    code = "file_exists"

    def __init__(self, message: str, *, identical: bool, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.identical = identical


class InvalidRequestError(WharfError):
    code = "invalid_request"


class InvalidArtifactError(InvalidRequestError):
    """An upload failed validation; ``problems`` lists every problem found, not just the first."""

    code = "invalid_artifact"

    def __init__(self, problems: Sequence[str], *, hint: str = "") -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems) or "invalid artifact", hint=hint)


class PolicyDeniedError(WharfError):
    code = "policy_denied"

    def __init__(self, message: str, *, rule: str, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.rule = rule


class QuarantinedError(PolicyDeniedError):
    code = "quarantined"

    def __init__(self, message: str, *, rule: str, until: datetime | None, hint: str = "") -> None:
        super().__init__(message, rule=rule, hint=hint)
        self.until = until


class UnauthenticatedError(WharfError):
    code = "unauthenticated"


class ForbiddenError(WharfError):
    code = "forbidden"


class UpstreamError(WharfError):
    code = "upstream_unavailable"


class UpstreamTimeoutError(UpstreamError):
    code = "upstream_timeout"


class UpstreamIntegrityError(UpstreamError):
    code = "upstream_integrity"


class TooLargeError(WharfError):
    code = "too_large"


class ConfigurationError(WharfError):
    code = "bad_configuration"
