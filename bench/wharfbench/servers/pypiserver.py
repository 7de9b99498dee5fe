"""pypiserver hosting the corpus wheels, run the way its Docker image runs it: gunicorn
with one preloaded gevent worker (plain ``pypi-server run`` when gunicorn is missing). A
hosting index: it has no 4,000-file page and no cold state."""

from __future__ import annotations

import base64
import hashlib
import os

from wharfbench.fetch import HOST
from wharfbench.procs import free_port, wait_http
from wharfbench.servers.base import BENCH_PASSWORD, BENCH_USER, Context, Server
from wharfbench.servers.peers import dist_version, venv_with


class PypiServer(Server):
    name = "pypiserver"
    features = frozenset(("py-pages", "py-files", "py-install", "py-upload"))
    why_not = {"py-large-page": "hosts only the corpus wheels (no 4,000-file project)",
               "py-cold": "a hosting index, not a proxy",
               "bigindex": "would need 100,000 files on disk"}

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        bin_dir = venv_with("pypiserver", ctx.peer_dirs)
        assert bin_dir is not None
        self.bin_dir = bin_dir
        # uploads need an account, and pypiserver reads its password file with passlib
        self.uploads = any(bin_dir.parent.glob("lib/python3*/site-packages/passlib"))
        if not self.uploads:
            self.features = self.features - {"py-upload"}
            self.why_not = {**self.why_not, "py-upload": "passlib not installed in its venv "
                            "(needed for upload accounts)"}

    @classmethod
    def unavailable(cls, ctx: Context) -> str | None:
        return None if venv_with("pypiserver", ctx.peer_dirs) else \
            "pypiserver not found (PATH or --peers-from)"

    def start(self) -> None:
        bin_dir = self.bin_dir
        self.port = self.port or free_port()
        packages = self.data / "packages"
        packages.mkdir(parents=True, exist_ok=True)
        files = self.ctx.upstream.corpus_root / "python" / "files"
        for wheel in files.glob("*.whl"):
            if not (packages / wheel.name).exists():
                os.symlink(wheel, packages / wheel.name)
        passwords = self.data / "htpasswd"  # {SHA} entries are htpasswd's own format
        digest = base64.b64encode(hashlib.sha1(BENCH_PASSWORD.encode()).digest()).decode()  # noqa: S324
        passwords.write_text(f"{BENCH_USER}:{{SHA}}{digest}\n")
        auth = (f"password_file={str(passwords)!r}, authenticate=['update']" if self.uploads
                else "password_file='.', authenticate=[]")
        if (bin_dir / "gunicorn").exists():
            app = f"pypiserver:app(roots=[{str(packages)!r}], disable_fallback=True, {auth})"
            argv: list[object] = [bin_dir / "gunicorn", "--workers", "1", "--worker-class",
                                  "gevent", "--preload", "--bind", f"{HOST}:{self.port}", app]
            how = "gunicorn + gevent, 1 worker"
        else:
            argv = [bin_dir / "pypi-server", "run", "-i", HOST, "-p", self.port,
                    "--disable-fallback", *(["-P", passwords, "-a", "update"] if self.uploads
                                            else ["-P", ".", "-a", "."]), packages]
            how = "pypi-server run"
        proc = self.spawn(argv)
        wait_http(self.pypi_url(), proc=proc, timeout=60)
        self.label = f"pypiserver {dist_version(bin_dir, 'pypiserver')}, {how}"

    def pypi_url(self) -> str:
        return f"{self.base}/simple/"

    def python_upload(self) -> tuple[str, str, str]:
        return f"{self.base}/", BENCH_USER, BENCH_PASSWORD
