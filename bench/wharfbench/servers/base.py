"""What every server adapter provides. The bench measures; an adapter only says what the
server can do (``features``), starts and stops it, and gives its URLs.

Features: ``py-pages``, ``py-large-page`` (proxies the upstream, so the 4,000-file page is
there), ``py-files``, ``py-install``, ``py-cold`` (a proxy cache that can start empty),
``npm-pages``, ``npm-files``, ``npm-install``, ``npm-cold``, ``py-upload``,
``npm-publish``, ``bigindex`` (serves the index of 100,000 projects), ``bigindex-seed``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wharfbench.bigindex import BigIndex
from wharfbench.fetch import HOST
from wharfbench.procs import Proc, clean_env, free_port
from wharfbench.tools import Tools
from wharfbench.upstream import StaticSite


@dataclass
class Context:
    """What the bench hands every adapter."""

    work: Path                   # caches shared by runs (corpus, seeded index)
    run_dir: Path
    manifest: dict[str, Any]
    upstream: StaticSite
    tools: Tools
    workers: int | None          # Wharf's worker count (None: its default)
    access_log: bool             # Wharf's access log
    peer_dirs: list[Path]        # where peers were installed (--peers-from)


BENCH_USER = "wharfbench-uploader"
BENCH_PASSWORD = "wharfbench-password-1"  # noqa: S105 - throwaway account, 127.0.0.1 only


class Server:
    name = "base"
    features: frozenset[str] = frozenset()
    limit = False                # the static-file limit every ratio is taken against
    why_not: dict[str, str] = {}  # feature -> why this server does not do it

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.data = ctx.run_dir / self.name
        self.procs: list[Proc] = []
        self.port = 0
        self.label = self.name

    @classmethod
    def unavailable(cls, ctx: Context) -> str | None:
        """Why this server cannot run here (not installed), or None."""
        return None

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()
        self.procs = []

    def start_fresh(self) -> None:
        """Start with empty data (a cold cache)."""
        self.stop()
        shutil.rmtree(self.data, ignore_errors=True)
        self.start()

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs if p.running]

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def pypi_url(self) -> str:
        """The simple index clients install from, ending in '/'."""
        raise NotImplementedError

    def npm_url(self) -> str:
        """The npm registry root, ending in '/'."""
        raise NotImplementedError

    def open_bigindex(self, big: BigIndex) -> str:
        """Serve the index of 100,000 projects; returns its simple root URL."""
        raise NotImplementedError

    def python_upload(self) -> tuple[str, str, str]:
        """(upload URL, user, password) for twine; the account is made on first use."""
        raise NotImplementedError

    def npm_publish(self) -> tuple[str, str]:
        """(registry URL, token) for ``npm publish``."""
        raise NotImplementedError

    def spawn(self, argv: list[Any], env: dict[str, str] | None = None,
              cwd: Path | None = None) -> Proc:
        self.data.mkdir(parents=True, exist_ok=True)
        if not self.port:
            self.port = free_port()
        proc = Proc(argv, self.data.parent / f"{self.name}.log",
                    env=env if env is not None else clean_env(home=self.data / "home"),
                    cwd=cwd or self.data)
        self.procs.append(proc)
        return proc
