"""devpi-server with ``root/pypi`` a mirror of the bench's upstream (set with devpi-client),
default server settings, log level WARNING."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from wharfbench.fetch import HOST
from wharfbench.procs import clean_env, free_port, wait_http
from wharfbench.servers.base import BENCH_PASSWORD, BENCH_USER, Context, Server
from wharfbench.servers.peers import dist_version, venv_with

PASSWORD = "wharfbench-root"  # noqa: S105 - throwaway root password, 127.0.0.1 only


class Devpi(Server):
    name = "devpi"
    features = frozenset(("py-pages", "py-large-page", "py-files", "py-install", "py-cold",
                          "py-upload"))
    why_not = {"bigindex": "not set up by the bench"}

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._account = False

    def start_fresh(self) -> None:
        self._account = False
        super().start_fresh()

    @classmethod
    def unavailable(cls, ctx: Context) -> str | None:
        found = venv_with("devpi_server", ctx.peer_dirs)
        if not found or not (found / "devpi").exists():
            return "devpi-server with devpi-client not found (PATH or --peers-from)"
        return None

    def _bin(self) -> Path:
        found = venv_with("devpi_server", self.ctx.peer_dirs)
        assert found is not None
        return found

    def _client(self, *args: object) -> None:
        subprocess.run([self._bin() / "devpi", "--clientdir", self.data / "client",
                        *map(str, args)], env=clean_env(home=self.data / "home"),
                       capture_output=True, check=True, timeout=120)

    def start(self) -> None:
        self.port = self.port or free_port()
        server_dir = self.data / "server"
        fresh = not server_dir.exists()
        self.data.mkdir(parents=True, exist_ok=True)
        logging = self.data / "logging.json"
        logging.write_text(json.dumps({
            "version": 1,
            "handlers": {"console": {"class": "logging.StreamHandler", "level": "WARNING"}},
            "root": {"level": "WARNING", "handlers": ["console"]}}))
        env = clean_env(home=self.data / "home")
        if fresh:
            subprocess.run([self._bin() / "devpi-init", "--serverdir", server_dir,
                            "--root-passwd", PASSWORD, "--no-root-pypi"], env=env,
                           capture_output=True, check=True, timeout=120)
        proc = self.spawn([self._bin() / "devpi-server", "--serverdir", server_dir, "--host",
                           HOST, "--port", self.port, "--logger-cfg", logging], env=env)
        wait_http(f"{self.base}/+api", proc=proc, timeout=90)
        if fresh:
            self._client("use", f"{self.base}/")
            self._client("login", "root", "--password", PASSWORD)
            self._client("index", "-c", "root/pypi", "type=mirror",
                         f"mirror_url={self.ctx.upstream.simple_url}")
        wait_http(self.pypi_url(), proc=proc, timeout=30)
        self.label = (f"devpi-server {dist_version(self._bin(), 'devpi-server')}, "
                      "waitress (its default)")

    def pypi_url(self) -> str:
        return f"{self.base}/root/pypi/+simple/"

    def python_upload(self) -> tuple[str, str, str]:
        """A user with an index of its own (``USER/dev``, no bases), made with devpi-client."""
        if not self._account:
            self._client("user", "-c", BENCH_USER, f"password={BENCH_PASSWORD}")
            self._client("login", BENCH_USER, "--password", BENCH_PASSWORD)
            self._client("index", "-c", "dev", "bases=")
            self._account = True
        return f"{self.base}/{BENCH_USER}/dev/", BENCH_USER, BENCH_PASSWORD
