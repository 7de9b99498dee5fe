"""proxpi proxying the bench's upstream, under gunicorn as its Docker image runs it
(``--preload``, one worker, two threads)."""

from __future__ import annotations

from wharfbench.fetch import HOST
from wharfbench.procs import clean_env, free_port, wait_http
from wharfbench.servers.base import Context, Server
from wharfbench.servers.peers import dist_version, venv_with


class Proxpi(Server):
    name = "proxpi"
    features = frozenset(("py-pages", "py-large-page", "py-files", "py-install", "py-cold"))
    why_not = {"py-upload": "a proxy only", "bigindex": "a proxy only (no hosted index)"}

    @classmethod
    def unavailable(cls, ctx: Context) -> str | None:
        found = venv_with("proxpi", ctx.peer_dirs)
        if not found or not (found / "gunicorn").exists():
            return "proxpi (with gunicorn) not found (PATH or --peers-from)"
        return None

    def start(self) -> None:
        bin_dir = venv_with("proxpi", self.ctx.peer_dirs)
        assert bin_dir is not None
        self.port = self.port or free_port()
        env = clean_env(home=self.data / "home", PROXPI_INDEX_URL=self.ctx.upstream.simple_url,
                        PROXPI_CACHE_DIR=self.data / "cache")
        proc = self.spawn([bin_dir / "gunicorn", "--preload", "--bind", f"{HOST}:{self.port}",
                           "--threads", "2", "proxpi.server:app"], env=env)
        wait_http(f"{self.base}/", proc=proc, timeout=60, ok=(200, 301, 302, 404))
        self.label = f"proxpi {dist_version(bin_dir, 'proxpi')}, gunicorn 1 worker x 2 threads"

    def pypi_url(self) -> str:
        return f"{self.base}/index/"
