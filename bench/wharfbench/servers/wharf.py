"""Wharf itself, started the way a user starts it: ``python -m wharf serve`` with the
running interpreter, its default indexes proxying the bench's static upstream. Two settings
differ from a bare start, both said in the results: the cooldown rule is off (benchmarks
publish synthetic packages "now", which the default one-day cooldown hides; this corpus
carries past publish times, so it changes nothing here but keeps the bench independent of
them) and, unless ``--wharf-access-log``, the per-request log line is off (the peers and
nginx run without one too). Every other policy rule runs at its default."""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys

from wharfbench import bigindex
from wharfbench.fetch import HOST
from wharfbench.procs import clean_env, free_port, wait_http
from wharfbench.servers.base import BENCH_PASSWORD, BENCH_USER, Context, Server

ALL = ("py-pages", "py-large-page", "py-files", "py-install", "py-cold", "npm-pages",
       "npm-files", "npm-install", "npm-cold", "py-upload", "npm-publish", "bigindex",
       "bigindex-seed")


class Wharf(Server):
    name = "wharf"
    features = frozenset(ALL)

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.seed_info: dict[str, object] = {}
        self._account = False

    @classmethod
    def unavailable(cls, ctx: Context) -> str | None:
        try:
            importlib.metadata.version("wharf-registry")
        except importlib.metadata.PackageNotFoundError:
            return f"wharf is not installed in {sys.executable}"
        return None

    def env(self) -> dict[str, str]:
        up = self.ctx.upstream
        return clean_env(
            home=self.data.parent / "wharf-home",
            WHARF_PYPI_UPSTREAM=up.simple_url,
            WHARF_NPM_UPSTREAM=up.npm_url,
            WHARF_POLICY_COOLDOWN_MODE="off",
            WHARF_SERVER_ACCESS_LOG="true" if self.ctx.access_log else "false",
        )

    def start(self) -> None:
        self.port = self.port or free_port()
        self.serve(self.port)

    def serve(self, port: int) -> None:
        """Start ``wharf serve`` on ``port`` and wait until it is healthy."""
        argv: list[object] = [sys.executable, "-m", "wharf", "serve", "--host", HOST,
                              "--port", port, "--data-dir", self.data]
        if self.ctx.workers:
            argv += ["--workers", self.ctx.workers]
        proc = self.spawn(argv, env=self.env())
        wait_http(f"http://{HOST}:{port}/-/health", proc=proc, timeout=180)
        from wharf.cli.serve import default_workers  # noqa: PLC0415

        workers = self.ctx.workers or default_workers()
        self.label = f"Wharf {importlib.metadata.version('wharf-registry')}, {workers} worker(s)"

    def start_fresh(self) -> None:
        self._account = False  # the account lives in the data directory being wiped
        super().start_fresh()

    def pypi_url(self) -> str:
        return f"{self.base}/pypi/simple/"

    def npm_url(self) -> str:
        return f"{self.base}/npm/"

    def _ensure_account(self) -> None:
        if not self._account:
            self.cli("user", "add", BENCH_USER, stdin=f"{BENCH_PASSWORD}\n")
            self._account = True

    def python_upload(self) -> tuple[str, str, str]:
        self._ensure_account()
        return f"{self.base}/pypi-local/", BENCH_USER, BENCH_PASSWORD

    def npm_publish(self) -> tuple[str, str]:
        """A token from ``wharf token create`` (as the e2e tests get theirs)."""
        self._ensure_account()
        out = self.cli("token", "create", "--user", BENCH_USER, "--action", "read",
                       "--action", "upload")
        return f"{self.base}/npm-local/", out.strip().splitlines()[-1]

    def cli(self, *args: str, stdin: str = "") -> str:
        """``wharf ARGS --data-dir DATA``; returns stdout (raises with the output on error)."""
        out = subprocess.run([sys.executable, "-m", "wharf", *args, "--data-dir", str(self.data)],
                             input=stdin, capture_output=True, text=True, env=self.env(),
                             timeout=120, check=False)
        if out.returncode != 0:
            raise RuntimeError(f"wharf {' '.join(args)}: {out.stdout}{out.stderr}")
        return out.stdout

    def open_bigindex(self, big: bigindex.BigIndex) -> str:
        """Restart on a copy of the seeded data directory; ``seed_info`` says how long the
        seeding took (and whether an earlier run's was reused)."""
        self.seed_info = bigindex.seeded_template(self.ctx.work, big)
        self.stop()
        self._account = False
        self.data = self.ctx.run_dir / "wharf-bigindex"
        shutil.rmtree(self.data, ignore_errors=True)
        shutil.copytree(str(self.seed_info["data"]), self.data)
        self.start()
        return f"{self.base}/{bigindex.INDEX}/simple/"
