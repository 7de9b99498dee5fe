"""Every figure the bench can produce: its scenario, title, unit, which way is better, and
which nginx figure it is compared with (the limit serving the same bytes)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    key: str
    scenario: str
    title: str
    unit: str
    higher_is_better: bool
    versus: str | None = ""  # nginx figure for the ratio; "" = the same key, None = none
    needs: str = ""          # server feature it needs (see servers.base)

    @property
    def compared_with(self) -> str | None:
        return self.key if self.versus == "" else self.versus


def _f(key: str, title: str, unit: str, higher: bool, needs: str,
       versus: str | None = "") -> Figure:
    return Figure(key, key.partition(".")[0], title, unit, higher, versus, needs)


CATALOGUE = [
    _f("pages.py_small", "Python project page, small ({small_page}), 16 conns", "req/s", True,
       "py-pages"),
    _f("pages.py_large", "Python project page, {large_page_files:,} files ({large_page}), "
       "16 conns", "req/s", True, "py-large-page"),
    _f("pages.npm_small", "packument, small ({small_packument}), 16 conns", "req/s", True,
       "npm-pages"),
    _f("pages.npm_large", "packument, {large_packument_versions:,} versions, 16 conns",
       "req/s", True, "npm-pages"),
    _f("pages.npm_huge", "packument, {huge_packument_versions:,} versions, 16 conns", "req/s",
       True, "npm-pages"),
    _f("bigindex.seed_s", "index of {index_projects:,} projects: seeding (store layer)", "s",
       False, "bigindex-seed", None),
    _f("bigindex.root_rps", "index of {index_projects:,} projects: root page, 16 conns",
       "req/s", True, "bigindex"),
    _f("bigindex.root_ms", "index of {index_projects:,} projects: root page, one request, warm",
       "ms", False, "bigindex"),
    _f("bigindex.project_rps", "index of {index_projects:,} projects: a project page, "
       "16 conns", "req/s", True, "bigindex"),
    _f("bigindex.rss_mb", "index of {index_projects:,} projects: server RSS after the load",
       "MB", False, "bigindex"),
    _f("files.wheel_large", "large wheel ({large_wheel_mb:.0f} MB), 1 conn", "MB/s", True,
       "py-files"),
    _f("files.wheel_small", "small wheel ({small_wheel_kb:.1f} kB), 16 conns", "req/s", True,
       "py-files"),
    _f("files.tgz_large", "large npm tarball ({large_tarball_mb:.1f} MB), 1 conn", "MB/s", True,
       "npm-files"),
    _f("files.tgz_small", "small npm tarball ({small_tarball_kb:.1f} kB), 16 conns", "req/s",
       True, "npm-files"),
    _f("installs.uv_warm", "uv pip install --no-cache, warm", "s", False, "py-install"),
    _f("installs.uv_cold", "uv pip install --no-cache, cold (fresh proxy cache)", "s", False,
       "py-cold", "installs.uv_warm"),
    _f("installs.pip_warm", "pip install --no-cache-dir, warm", "s", False, "py-install"),
    _f("installs.pip_cold", "pip install --no-cache-dir, cold (fresh proxy cache)", "s", False,
       "py-cold", "installs.pip_warm"),
    _f("installs.uv_parallel", "{parallel} concurrent uv installs, wall time", "s", False,
       "py-install"),
    _f("installs.uv_parallel_x", "{parallel} concurrent uv installs ÷ one alone", "x", False,
       "py-install", None),
    _f("installs.npm_warm", "npm install (fresh cache), warm", "s", False, "npm-install"),
    _f("installs.npm_cold", "npm install (fresh cache), cold (fresh proxy cache)", "s", False,
       "npm-cold", "installs.npm_warm"),
    _f("uploads.twine_batch", "twine upload, {uploads} wheels in one process", "files/s", True,
       "py-upload", None),
    _f("uploads.twine_each", "twine upload, one process per wheel ({uploads})", "files/s", True,
       "py-upload", None),
    _f("uploads.npm_publish", "npm publish, {publishes} versions", "versions/s", True,
       "npm-publish", None),
    _f("memory.rss_start", "RSS of the process tree after start", "MB", False, "", None),
    _f("memory.rss_idle", "RSS of the process tree, idle after warm-up", "MB", False, "", None),
    _f("memory.rss_peak", "RSS of the process tree, peak under load", "MB", False, "", None),
]
BY_KEY = {f.key: f for f in CATALOGUE}
SCENARIOS = ("pages", "bigindex", "files", "installs", "uploads")
