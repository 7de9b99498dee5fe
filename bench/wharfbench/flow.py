"""One server's turn: cold installs on empty caches (proxies), then a fresh start that is
warmed up once and measured warm (pages, files, installs, uploads) while its memory is
sampled, then the index of 100,000 projects. The server is stopped whatever happens."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wharfbench.bigindex import BigIndex
from wharfbench.installs import Installer
from wharfbench.memory import PeakSampler, rss_mb, wait_quiet
from wharfbench.procs import log
from wharfbench.results import Results
from wharfbench.scenarios import Scenarios
from wharfbench.servers.base import Server
from wharfbench.uploads import npm_publish_rate, twine_rate


def until_steady(install: Callable[[], float], most: int = 6) -> list[float]:
    """Run ``install`` until one is no more than 10% faster than the one before (at least
    twice, at most ``most`` times); the seconds of each."""
    times = [install(), install()]
    while len(times) < most and times[-1] < 0.9 * times[-2]:
        times.append(install())
    return times


@dataclass
class Plan:
    scenarios: set[str]
    runs: int
    cold_runs: int
    parallel: int     # concurrent uv installs
    uploads: int      # wheels per twine figure
    publishes: int    # versions per npm publish figure


class Flow:
    def __init__(self, results: Results, scenarios: Scenarios, installer: Installer,
                 plan: Plan, big: BigIndex | None) -> None:
        self.results = results
        self.sc = scenarios
        self.installer = installer
        self.plan = plan
        self.big = big
        self.tools = installer.tools

    def _try(self, key: str, server: Server, action: Any) -> float | None:
        """Run one measurement; a failure is recorded against its figure, not raised."""
        try:
            return float(action())
        except Exception as exc:
            self.results.fail(key, server.name, f"{type(exc).__name__}: {exc}")
            return None

    def _repeat(self, key: str, server: Server, count: int, action: Any) -> list[float]:
        if not self.sc.can(server, key):
            return []
        values = []
        for _ in range(count):
            wait_quiet(server.pids)
            value = self._try(key, server, action)
            if value is None:
                return []
            values.append(value)
        self.results.record(key, server.name, values)
        return values

    def run(self, server: Server) -> None:
        """The server's turn; if it cannot even start, that is noted and the bench goes on."""
        log(f"== {server.name}")
        try:
            if "installs" in self.plan.scenarios:
                self.cold(server)
            if self.plan.scenarios & {"pages", "files", "installs", "uploads"}:
                self.warm(server)
            if "bigindex" in self.plan.scenarios and self.big is not None:
                self.sc.bigindex(server, self.big)
        except Exception as exc:
            self.results.notes.append(f"{server.name} stopped early: {type(exc).__name__}: "
                                      f"{str(exc)[:500]}")
            log(f"  {server.name} stopped early: {exc}")
        finally:
            server.stop()

    def cold(self, server: Server) -> None:
        """Installs through an empty cache: uv and npm on one fresh start (they share
        nothing), pip on another."""
        uv = bool(self.tools.uv) and self.sc.can(server, "installs.uv_cold")
        npm = bool(self.tools.npm) and self.sc.can(server, "installs.npm_cold")
        pip = bool(self.tools.pip) and self.sc.can(server, "installs.pip_cold")
        for _ in range(self.plan.cold_runs):
            if uv or npm:
                server.start_fresh()
            if uv:
                self._repeat("installs.uv_cold", server, 1, lambda: self.installer.python(
                    "uv", server.pypi_url(), f"cold {server.name}"))
            if npm:
                self._repeat("installs.npm_cold", server, 1, lambda: self.installer.npm(
                    server.npm_url(), f"cold {server.name}"))
            if pip:
                server.start_fresh()
                self._repeat("installs.pip_cold", server, 1, lambda: self.installer.python(
                    "pip", server.pypi_url(), f"cold {server.name}"))
        server.stop()

    def warm_up(self, server: Server) -> None:
        """Fill every cache (untimed): each page once, then installs until they stop getting
        faster. One install is not always enough: a server with a cache per worker process
        meets each page once per worker before it is warm everywhere."""
        self.sc.warm_pages(server)
        warmed: dict[str, list[float]] = {}
        if "py-install" in server.features and (self.tools.uv or self.tools.pip):
            kind = "uv" if self.tools.uv else "pip"
            warmed[kind] = until_steady(lambda: self.installer.python(
                kind, server.pypi_url(), f"warm-up {server.name}"))
            if kind == "uv" and self.tools.pip:
                warmed["pip"] = [self.installer.python("pip", server.pypi_url(),
                                                       f"warm-up {server.name}")]
        if "npm-install" in server.features and self.tools.npm:
            warmed["npm"] = until_steady(lambda: self.installer.npm(
                server.npm_url(), f"warm-up {server.name}"))
        self.results.warm_ups[server.name] = {k: [round(t, 2) for t in v]
                                              for k, v in warmed.items()}

    def warm(self, server: Server) -> None:
        server.start_fresh()
        self.results.record("memory.rss_start", server.name, [rss_mb(server.pids())])
        try:
            self.warm_up(server)
        except Exception as exc:
            self.results.notes.append(f"{server.name}: warm-up failed: {exc}")
            log(f"  warm-up of {server.name} failed: {exc}")
        time.sleep(1)
        self.results.record("memory.rss_idle", server.name, [rss_mb(server.pids())])
        sampler = PeakSampler(server.pids)
        with sampler:
            if "pages" in self.plan.scenarios:
                self.sc.pages(server)
            if "files" in self.plan.scenarios:
                self.sc.files(server)
            if "installs" in self.plan.scenarios:
                self.installs(server)
            if "uploads" in self.plan.scenarios:
                self.uploads(server)
        self.results.record("memory.rss_peak", server.name, [sampler.peak])

    def installs(self, server: Server) -> None:
        runs = self.plan.runs
        uv_runs: list[float] = []
        if self.tools.uv:
            uv_runs = self._repeat("installs.uv_warm", server, runs, lambda: self.installer.python(
                "uv", server.pypi_url(), f"warm {server.name}"))
        if self.tools.pip:
            self._repeat("installs.pip_warm", server, runs, lambda: self.installer.python(
                "pip", server.pypi_url(), f"warm {server.name}"))
        if self.tools.uv and uv_runs:
            together = self._repeat("installs.uv_parallel", server, 1,
                                    lambda: self.installer.uv_parallel(server.pypi_url(),
                                                                       self.plan.parallel))
            if together:
                self.results.record("installs.uv_parallel_x", server.name,
                                    [together[0] / statistics.median(uv_runs)])
        if self.tools.npm:
            self._repeat("installs.npm_warm", server, runs, lambda: self.installer.npm(
                server.npm_url(), f"warm {server.name}"))

    def uploads(self, server: Server) -> None:
        scratch, tools, n = self.installer.scratch, self.tools, self.plan.uploads
        twine_ok = [self.sc.can(server, k) for k in ("uploads.twine_batch", "uploads.twine_each")]
        if all(twine_ok) and tools.twine:
            try:
                url, user, password = server.python_upload()
            except Exception as exc:
                self.results.fail("uploads.twine_batch", server.name, str(exc))
            else:
                for key, series, one in (("uploads.twine_batch", 1, True),
                                         ("uploads.twine_each", 2, False)):
                    runs = iter(range(1, self.plan.runs + 1))
                    self._repeat(key, server, self.plan.runs,
                                 lambda s=series, o=one, r=runs: twine_rate(
                                     tools, url, (user, password), scratch, f"{next(r)}.{s}", n,
                                     o))
        if self.sc.can(server, "uploads.npm_publish") and tools.npm:
            try:
                registry, token = server.npm_publish()
            except Exception as exc:
                self.results.fail("uploads.npm_publish", server.name, str(exc))
                return
            runs = iter(range(1, self.plan.runs + 1))
            self._repeat("uploads.npm_publish", server, self.plan.runs, lambda: npm_publish_rate(
                tools, registry, token, scratch, f"{next(runs)}.0", self.plan.publishes))
