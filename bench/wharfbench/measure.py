"""Load runs on one URL, repeated ``--runs`` times, checked and recorded: every run must get
(almost) only 200s; the probe before the runs records the body's size, type and encoding
so the table can be read against what each server actually sent."""

from __future__ import annotations

import html.parser
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from wharfbench.fetch import PIP_ACCEPT, HttpError, get, get_ok
from wharfbench.load import AsyncClient, Wrk
from wharfbench.results import Results

PAGE_HEADERS = {"Accept": PIP_ACCEPT, "Accept-Encoding": "gzip"}
ERROR_SHARE = 0.01  # more failed requests than this and the figure is refused
SLOW_RUN_S = 30.0  # the one run of a server that answers nothing within a normal run


@dataclass
class LoadSettings:
    runs: int
    duration: float
    conns: int
    budget: int  # requests per load run at most


class LoadFailed(RuntimeError):
    pass


def measure_load(results: Results, loader: Wrk | AsyncClient, settings: LoadSettings, key: str,
                 server: str, url: str, headers: dict[str, str], *, conns: int | None = None,
                 mb_per_file: float | None = None,
                 settle: Callable[[], object] | None = None) -> float:
    """Requests per second (or MB/s when ``mb_per_file`` is given) over ``conns``;
    ``settle`` runs before each run (waits for the server to be idle).

    A server so slow that no response completes within a run gets one longer run
    (``SLOW_RUN_S``) instead, so it still has a figure rather than a zero."""
    probe = get_ok(url, headers)
    conns = conns or settings.conns
    runs, p50, p99 = [], [], []
    slow = False
    for _ in range(settings.runs):
        if settle is not None:
            settle()
        result = loader.run(url, headers, conns, settings.duration, settings.budget)
        if result.requests == 0 and not result.errors and settings.duration < SLOW_RUN_S:
            if settle is not None:
                settle()
            result = loader.run(url, headers, conns, SLOW_RUN_S, settings.budget)
            slow = True
        if result.requests == 0 or result.errors > ERROR_SHARE * result.requests:
            raise LoadFailed(f"{url}: {result.errors} errors in {result.requests} requests"
                             f"{f' (one {SLOW_RUN_S:g} s run)' if slow else ''}")
        runs.append(result.rps * mb_per_file if mb_per_file else result.rps)
        p50.append(result.p50_ms)
        p99.append(result.p99_ms)
        if slow:
            break  # one long run is enough to say it is slow
    return results.record(
        key, server, runs, url_path=urlsplit(url).path, conns=conns,
        body_bytes=len(probe.body), content_type=probe.headers.get("content-type", ""),
        content_encoding=probe.headers.get("content-encoding", ""), p50_ms=p50, p99_ms=p99,
        load_tool=loader.name, **({"slow_run_s": SLOW_RUN_S} if slow else {}))


def single_latency_ms(url: str, headers: dict[str, str], count: int) -> list[float]:
    """Each request on a new connection, one after the other (a client's first request)."""
    found = []
    for _ in range(count):
        started = time.perf_counter()
        get_ok(url, headers)
        found.append((time.perf_counter() - started) * 1000)
    return found


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: dict[str, str] = {}
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href")

    def handle_data(self, data: str) -> None:
        if self._href is not None and data.strip():
            self.links[data.strip()] = self._href
            self._href = None


def file_url(page_url: str, filename: str) -> str:
    """The URL a server's project page gives for ``filename`` (JSON or HTML page)."""
    page = get_ok(page_url, {"Accept": PIP_ACCEPT})
    links: dict[str, str]
    if "json" in page.headers.get("content-type", ""):
        links = {str(f["filename"]): str(f["url"]) for f in json.loads(page.body)["files"]}
    else:
        parser = _Links()
        parser.feed(page.body.decode())
        links = parser.links
    if filename not in links:
        raise HttpError(f"{filename} is not on {page_url}")
    parts = urlsplit(urljoin(page_url, links[filename]))
    return urlunsplit(parts._replace(fragment=""))


def npm_escape(name: str) -> str:
    return quote(name, safe="@") if not name.startswith("@") else \
        "@" + quote(name[1:], safe="").replace("%2F", "%2f")


def tarball_url(registry: str, name: str, version: str, accept: str) -> str:
    document: dict[str, Any] = get_ok(registry + npm_escape(name), {"Accept": accept}).json()
    return str(document["versions"][version]["dist"]["tarball"])


def wait_served(url: str, size: int, timeout: float = 120) -> None:
    """Proxies may answer with a redirect until a file is cached; wait for the bytes."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        reply = get(url, timeout=120)
        if reply.status == 200 and len(reply.body) == size:
            return
        last = (reply.status, len(reply.body))
        time.sleep(0.5)
    raise HttpError(f"{url} not served from the cache: {last}")
