"""The OSV API over the imported vulnerability data, under ``/-/osv/``: what ``uv audit
--service-url http://HOST/-/osv/`` and other OSV clients ask, answered offline.

Three endpoints, in OSV's own shapes:

- ``POST v1/query``: ``{"package": {"name", "ecosystem"}, "version"}`` → ``{"vulns":
  [record…]}`` (every record of the package when no version is given; a ``commit`` query
  has nothing to match here and answers no records);
- ``POST v1/querybatch``: ``{"queries": [query…]}`` → ``{"results": [{"vulns": [{"id",
  "modified"}]}]}``, one result per query in order; clients then fetch each record;
- ``GET v1/vulns/<id>``: the record as imported.

Every answer is complete in one page (no ``next_page_token``). Ecosystems Wharf does not
serve match nothing rather than fail, so a scan of a mixed repository still completes.
Reading follows the server's ``auth.anonymous_read``, like the indexes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from wharf.core.advisories import Advisory
from wharf.core.errors import InvalidRequestError, NotFoundError, TooLargeError
from wharf.services.advisories import AdvisoryService
from wharf.web import kit

MAX_BODY = 16 << 20
"""Largest query accepted: a batch for a large lock file is a few hundred KB."""
_HEADERS = {"cache-control": "no-store"}


def routes() -> list[BaseRoute]:
    return [
        Route("/v1/query", query, methods=["POST"]),
        Route("/v1/querybatch", query_batch, methods=["POST"]),
        Route("/v1/vulns/{id:path}", vulnerability, methods=["GET"]),
    ]


async def query(request: Request) -> Response:
    advisories = await _reader(request)
    found = await _matching(advisories, _query(await _body(request)))
    records = await advisories.records({advisory.id for advisory in found})
    vulns = [records[id] for id in sorted(records)]
    return JSONResponse({"vulns": vulns}, headers=_HEADERS)


async def query_batch(request: Request) -> Response:
    advisories = await _reader(request)
    queries = (await _body(request)).get("queries")
    if not isinstance(queries, list):
        raise InvalidRequestError(
            'A batch query is {"queries": [query…]}.',
            hint='Each query: {"package": {"name": …, "ecosystem": …}, "version": …}.',
        )
    results = []
    for each in queries:
        found = await _matching(advisories, _query(each))
        results.append({"vulns": [
            {"id": advisory.id, "modified": _modified(advisory)}
            for advisory in sorted({a.id: a for a in found}.values(), key=lambda a: a.id)
        ]})
    return JSONResponse({"results": results}, headers=_HEADERS)


async def vulnerability(request: Request) -> Response:
    advisories = await _reader(request)
    id = request.path_params["id"]
    record = await advisories.record(id)
    if record is None:
        raise NotFoundError(
            f"No vulnerability record '{id}' has been imported.",
            hint="Import OSV data with: wharf vuln import <ecosystem>/all.zip",
        )
    return JSONResponse(record, headers=_HEADERS)


async def _reader(request: Request) -> AdvisoryService:
    advisories = kit.services(request).advisories
    advisories.require_reader(await kit.principal(request))
    return advisories


async def _body(request: Request) -> Mapping[str, Any]:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise TooLargeError(
                f"The query is larger than {MAX_BODY} bytes.", hint="Send smaller batches."
            )
        chunks.append(chunk)
    try:
        document = json.loads(b"".join(chunks))
    except ValueError:
        raise InvalidRequestError("The query is not JSON.", hint="Send an OSV query.") from None
    if not isinstance(document, dict):
        raise InvalidRequestError("The query must be a JSON object.", hint="Send an OSV query.")
    return document


Query = tuple[str, str, str | None] | None
"""(ecosystem, name, version or None), or None for a query that can match nothing here."""


def _query(document: object) -> Query:
    if not isinstance(document, dict):
        raise InvalidRequestError("Each query must be a JSON object.", hint="See the OSV API.")
    package = document.get("package")
    if not isinstance(package, dict):
        if "commit" in document:
            return None
        raise InvalidRequestError(
            "The query names no package.",
            hint='Send {"package": {"name": …, "ecosystem": …}, "version": …}.',
        )
    name, ecosystem = package.get("name"), package.get("ecosystem")
    version = document.get("version")
    if not isinstance(name, str) or not isinstance(ecosystem, str) or not name:
        raise InvalidRequestError(
            "The query's package needs a name and an ecosystem.",
            hint='For example {"name": "requests", "ecosystem": "PyPI"}.',
        )
    if version is not None and not isinstance(version, str):
        raise InvalidRequestError(
            "The query's version must be a string.", hint='For example "version": "2.30.0".'
        )
    return ecosystem, name, version or None


async def _matching(advisories: AdvisoryService, query: Query) -> list[Advisory]:
    if query is None:
        return []
    ecosystem, name, version = query
    format_ = advisories.format_of_ecosystem(ecosystem)
    if format_ is None:
        return []
    return await advisories.affecting(format_.name, name, version)


def _modified(advisory: Advisory) -> str | None:
    if advisory.modified is None:
        return None
    return advisory.modified.isoformat().replace("+00:00", "Z")
