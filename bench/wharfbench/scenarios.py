"""The load scenarios: index pages and packuments, files, and the index of 100,000 projects.
Each one asks the server only for what it says it can do; the rest is recorded as skipped
with the server's reason."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from wharfbench.bigindex import BigIndex
from wharfbench.fetch import NPM_ACCEPT, get_ok
from wharfbench.figures import CATALOGUE
from wharfbench.measure import (
    PAGE_HEADERS,
    LoadSettings,
    file_url,
    measure_load,
    npm_escape,
    single_latency_ms,
    tarball_url,
    wait_served,
)
from wharfbench.memory import rss_mb, wait_quiet
from wharfbench.results import Results
from wharfbench.servers.base import Server

NPM_HEADERS = {"Accept": NPM_ACCEPT, "Accept-Encoding": "gzip"}
LATENCY_SAMPLES = 20


class Scenarios:
    def __init__(self, results: Results, loader: Any, settings: LoadSettings,
                 manifest: dict[str, Any]) -> None:
        self.results = results
        self.loader = loader
        self.settings = settings
        self.py = manifest["python"]
        self.npm = manifest["npm"]

    def can(self, server: Server, key: str) -> bool:
        """Whether ``server`` does figure ``key``; when not, the skip is recorded."""
        figure = next(f for f in CATALOGUE if f.key == key)
        if not figure.needs or figure.needs in server.features:
            return True
        reason = server.why_not.get(figure.needs, "not supported by this server")
        self.results.skip(key, server.name, reason)
        return False

    def _load(self, key: str, server: Server, url: str, headers: dict[str, str],
              **kw: Any) -> None:
        if self.can(server, key):
            try:
                measure_load(self.results, self.loader, self.settings, key, server.name, url,
                             headers, settle=lambda: wait_quiet(server.pids), **kw)
            except Exception as exc:  # one figure failing never stops the others
                self.results.fail(key, server.name, f"{type(exc).__name__}: {exc}")

    # what the warm-up asks for once, untimed -------------------------------------------
    def page_urls(self, server: Server) -> list[tuple[str, dict[str, str]]]:
        found = []
        if "py-pages" in server.features:
            names = [self.py["small_page"]]
            if "py-large-page" in server.features:
                names.append(self.py["large_page"])
            found += [(f"{server.pypi_url()}{n}/", h) for n in names
                      for h in (PAGE_HEADERS, {"Accept": PAGE_HEADERS["Accept"]})]
        if "npm-pages" in server.features:
            names = [self.npm["small_packument"], self.npm["large_packument"],
                     self.npm["huge_packument"]]
            found += [(server.npm_url() + npm_escape(n), h) for n in names
                      for h in (NPM_HEADERS, {"Accept": NPM_ACCEPT})]
        return found

    def warm_pages(self, server: Server) -> None:
        """Each page once (a proxy fetches it upstream): the seconds each took are kept,
        a failure is noted and the warm-up goes on."""
        taken = self.results.first_fetch.setdefault(server.name, {})
        for url, headers in self.page_urls(server):
            coding = "gzip" if "Accept-Encoding" in headers else "identity"
            label = f"{urlsplit(url).path} ({coding})"
            started = time.perf_counter()
            try:
                get_ok(url, headers, timeout=600)
            except Exception as exc:
                self.results.notes.append(f"{server.name}: first GET {label} failed: {exc}")
                continue
            taken[label] = round(time.perf_counter() - started, 3)

    # scenarios ---------------------------------------------------------------------------
    def pages(self, server: Server) -> None:
        py_base = server.pypi_url() if "py-pages" in server.features else ""
        npm_base = server.npm_url() if "npm-pages" in server.features else ""
        self._load("pages.py_small", server, f"{py_base}{self.py['small_page']}/", PAGE_HEADERS)
        self._load("pages.py_large", server, f"{py_base}{self.py['large_page']}/", PAGE_HEADERS)
        for key, name in (("pages.npm_small", self.npm["small_packument"]),
                          ("pages.npm_large", self.npm["large_packument"]),
                          ("pages.npm_huge", self.npm["huge_packument"])):
            self._load(key, server, npm_base + npm_escape(name), NPM_HEADERS)

    def _wheel_url(self, server: Server, role: str) -> tuple[str, int]:
        spec = self.py[role]
        url = file_url(f"{server.pypi_url()}{spec['project']}/", spec["file"])
        wait_served(url, spec["size"])
        return url, spec["size"]

    def _tarball_url(self, server: Server, role: str) -> tuple[str, int]:
        spec = self.npm[role]
        url = tarball_url(server.npm_url(), spec["name"], spec["version"], NPM_ACCEPT)
        wait_served(url, spec["size"])
        return url, spec["size"]

    def files(self, server: Server) -> None:
        for key, role, find, large in (
                ("files.wheel_large", "large_wheel", self._wheel_url, True),
                ("files.wheel_small", "small_wheel", self._wheel_url, False),
                ("files.tgz_large", "large_tarball", self._tarball_url, True),
                ("files.tgz_small", "small_tarball", self._tarball_url, False)):
            if not self.can(server, key):
                continue
            try:
                url, size = find(server, role)
            except Exception as exc:
                self.results.fail(key, server.name, f"{type(exc).__name__}: {exc}")
                continue
            if large:
                self._load(key, server, url, {}, conns=1, mb_per_file=size / 1e6)
            else:
                self._load(key, server, url, {})

    def bigindex(self, server: Server, big: BigIndex) -> None:
        """Root page (req/s and one request's latency, warm), a project page, RSS after."""
        if not self.can(server, "bigindex.root_rps"):
            for key in ("bigindex.root_ms", "bigindex.project_rps", "bigindex.rss_mb"):
                self.can(server, key)
            return
        root = server.open_bigindex(big)
        info = getattr(server, "seed_info", None)
        if info:
            self.results.record("bigindex.seed_s", server.name, [info["seed_s"]],
                                reused=info["reused"], projects=info["projects"],
                                files=info["files"])
            self.results.notes.append(
                f"The index of {info['projects']:,} projects ({info['files']:,} files) took "
                f"{info['seed_s']} s to seed through Wharf's store"
                + (f", on {info['seeded_at']} (reused by this run)." if info["reused"] else "."))
        else:
            self.can(server, "bigindex.seed_s")
        project = f"{root}{big.project}/"
        try:
            get_ok(root, PAGE_HEADERS, timeout=600)  # first request: untimed
            get_ok(root, {"Accept": PAGE_HEADERS["Accept"]}, timeout=600)
            get_ok(project, PAGE_HEADERS)
            samples = single_latency_ms(root, PAGE_HEADERS, LATENCY_SAMPLES)
            sent = get_ok(root, PAGE_HEADERS)
            self.results.record("bigindex.root_ms", server.name, samples,
                                body_bytes=len(sent.body),
                                content_encoding=sent.headers.get("content-encoding", ""))
        except Exception as exc:
            self.results.fail("bigindex.root_ms", server.name, f"{type(exc).__name__}: {exc}")
        self._load("bigindex.root_rps", server, root, PAGE_HEADERS)
        self._load("bigindex.project_rps", server, project, PAGE_HEADERS)
        self.results.record("bigindex.rss_mb", server.name, [rss_mb(server.pids())])
