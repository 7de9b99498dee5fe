"""The one mapping from the error tree to HTTP status codes, and the default bodies.

Formats render errors in their clients' shape (``render_error`` hooks); everything else
answers JSON ``{"error": code, "message": …, "hint": …}``.
"""

from __future__ import annotations

import json

from starlette.responses import Response

from wharf.core import errors

STATUS: tuple[tuple[type[errors.WharfError], int], ...] = (
    (errors.FileExistsConflict, 409),
    (errors.ConflictError, 409),
    (errors.NotFoundError, 404),
    (errors.InvalidRequestError, 400),
    (errors.QuarantinedError, 403),
    (errors.PolicyDeniedError, 403),
    (errors.UnauthenticatedError, 401),
    (errors.ForbiddenError, 403),
    (errors.UpstreamTimeoutError, 504),
    (errors.UpstreamError, 502),
    (errors.TooLargeError, 413),
    (errors.ConfigurationError, 500),
)


def status_for(error: errors.WharfError) -> int:
    for cls, status in STATUS:
        if isinstance(error, cls):
            return status
    return 500


def auth_headers(error: errors.WharfError) -> dict[str, str]:
    if isinstance(error, errors.UnauthenticatedError):
        return {"www-authenticate": 'Basic realm="wharf", charset="UTF-8"'}
    return {}


def json_error(error: errors.WharfError) -> Response:
    body: dict[str, object] = {"error": error.code, "message": error.message}
    if error.hint:
        body["hint"] = error.hint
    if isinstance(error, errors.InvalidArtifactError):
        body["problems"] = list(error.problems)
    return Response(
        json.dumps(body).encode(),
        status_code=status_for(error),
        headers=auth_headers(error),
        media_type="application/json",
    )


def text_error(error: errors.WharfError) -> Response:
    """Plain text, as pip and twine print it: status line, then the body."""
    lines = [f"{error.message}"]
    if isinstance(error, errors.InvalidArtifactError) and len(error.problems) > 1:
        lines = ["The upload was refused:", *(f"  - {p}" for p in error.problems)]
    if error.hint:
        lines.append(error.hint)
    return Response(
        ("\n".join(lines) + "\n").encode(),
        status_code=status_for(error),
        headers=auth_headers(error),
        media_type="text/plain; charset=utf-8",
    )
