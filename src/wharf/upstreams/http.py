"""``Upstream`` over HTTP with one pooled ``httpx.AsyncClient``.

HTTP error statuses come back as replies; network failures become ``UpstreamError`` (or
``UpstreamTimeoutError``). Credentials written into an upstream URL
(``https://user:secret@host/…``) are sent as HTTP basic auth and removed from the URL first,
so they never reach a log line, an error message or ``UpstreamReply.url``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from types import TracebackType

import httpx

from wharf import __version__
from wharf.core.errors import UpstreamError, UpstreamTimeoutError
from wharf.core.ports import UpstreamReply

_HINT = "the cached copy is used when there is one; check the upstream URL and network"


class HttpUpstream:
    """Talks to upstream registries; share one instance per process and ``close`` it."""

    def __init__(
        self,
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
        user_agent: str = f"wharf/{__version__}",
    ) -> None:
        self._client = httpx.AsyncClient(
            http1=True,
            http2=False,
            follow_redirects=True,
            trust_env=True,
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            headers={"user-agent": user_agent},
        )

    async def get(self, url: str, headers: Mapping[str, str] | None = None) -> UpstreamReply:
        return await self._send("GET", url, None, headers)

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str] | None = None
    ) -> UpstreamReply:
        return await self._send("POST", url, body, headers)

    async def _send(
        self, method: str, url: str, body: bytes | None, headers: Mapping[str, str] | None
    ) -> UpstreamReply:
        target = _Target(url)
        try:
            response = await self._client.request(
                method, target.url, content=body, headers=dict(headers or {}), auth=target.auth
            )
        except (httpx.RequestError, httpx.InvalidURL) as exc:
            raise target.translate(exc) from None
        return UpstreamReply(
            status=response.status_code,
            headers=lower_headers(response.headers),
            body=response.content,
            url=str(response.url),
        )

    def stream(self, url: str, headers: Mapping[str, str] | None = None) -> HttpStream:
        return HttpStream(self._client, url, dict(headers or {}))

    async def close(self) -> None:
        await self._client.aclose()


class HttpStream:
    """An upstream response whose body is read in chunks; use with ``async with``."""

    status: int
    headers: Mapping[str, str]

    def __init__(self, client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> None:
        self._client = client
        self._given_url = url
        self._target: _Target | None = None
        self._headers = headers
        self._response: httpx.Response | None = None
        self.status = 0
        self.headers = {}
        self.url = ""

    async def __aenter__(self) -> HttpStream:
        target = self._target = _Target(self._given_url)
        try:
            request = self._client.build_request("GET", target.url, headers=self._headers)
            response = await self._client.send(request, auth=target.auth, stream=True)
        except (httpx.RequestError, httpx.InvalidURL) as exc:
            raise target.translate(exc) from None
        self._response = response
        self.status = response.status_code
        self.headers = lower_headers(response.headers)
        self.url = str(response.url)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._response is not None:
            await self._response.aclose()

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        """The body (content-encoding undone), as the network delivers it."""
        if self._response is None or self._target is None:
            raise RuntimeError("use 'async with upstream.stream(url)' before reading")
        try:
            async for chunk in self._response.aiter_bytes():
                yield chunk
        except httpx.RequestError as exc:
            raise self._target.translate(exc) from None


class _Target:
    """A URL split into the URL to request and the basic-auth credentials it carried.

    Raises ``UpstreamError`` for a URL that cannot be parsed (without repeating it whole,
    since it may hold a password).
    """

    def __init__(self, url: str) -> None:
        self.auth: httpx.BasicAuth | None = None
        self._secrets: tuple[str, ...] = ()
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError):
            raise UpstreamError(
                f"upstream URL {_without_userinfo_text(str(url))} is not a valid URL",
                hint="check the upstream URL in the configuration",
            ) from None
        if parsed.userinfo:
            self.auth = httpx.BasicAuth(parsed.username, parsed.password)
            raw = parsed.userinfo.decode("ascii", "replace")
            self._secrets = tuple(s for s in (raw, parsed.password) if len(s) > 1)
            parsed = parsed.copy_with(username=None, password=None)
        self.url: httpx.URL = parsed
        self.shown = str(parsed)

    def translate(self, exc: Exception) -> UpstreamError:
        """The ``UpstreamError`` for an httpx failure, naming the URL without credentials."""
        detail = str(exc) or type(exc).__name__
        for secret in self._secrets:
            detail = detail.replace(secret, "***")
        if isinstance(exc, httpx.TimeoutException):
            return UpstreamTimeoutError(
                f"upstream {self.shown} did not answer in time ({detail})", hint=_HINT
            )
        return UpstreamError(f"upstream {self.shown} could not be reached: {detail}", hint=_HINT)


def lower_headers(headers: httpx.Headers) -> dict[str, str]:
    """Response headers with lower-cased names (repeated headers joined with commas)."""
    return {name.lower(): value for name, value in headers.items()}


def _without_userinfo_text(url: str) -> str:
    """Best-effort removal of ``user:password@`` from a URL httpx could not parse."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url.rpartition("@")[2]
    authority, slash, path = rest.partition("/")
    return f"{scheme}://{authority.rpartition('@')[2]}{slash}{path}"
