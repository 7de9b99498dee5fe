"""A static site on 127.0.0.1 serving a rendered corpus tree: nginx when it is installed,
else our small threaded server. As the upstream it is what Wharf and the other proxies read
from (``simple_url``, ``npm_url``); the nginx limit is the same thing measured directly."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from wharfbench import nginxsite, site
from wharfbench.fetch import HOST
from wharfbench.procs import Proc, free_port, wait_http

STATIC_SERVER = Path(__file__).with_name("staticserver.py")


class StaticSite:
    def __init__(self, prefix: Path, corpus_root: Path, *, use_nginx: bool | None = None) -> None:
        self.prefix = prefix
        self.corpus_root = corpus_root
        self.use_nginx = bool(shutil.which("nginx")) if use_nginx is None else use_nginx
        self.port = 0
        self.proc: Proc | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def simple_url(self) -> str:
        return f"{self.url}/simple/"

    @property
    def npm_url(self) -> str:
        return f"{self.url}/npm/"

    @property
    def www(self) -> Path:
        return self.prefix / "www"

    @property
    def kind(self) -> str:
        return (f"nginx {nginxsite.nginx_version()}" if self.use_nginx
                else "Python ThreadingHTTPServer")

    def start(self) -> StaticSite:
        self.port = self.port or free_port()
        site.render(self.www, self.corpus_root, self.url)
        if self.use_nginx:
            conf = nginxsite.write_conf(self.prefix, self.www, self.port)
            argv = nginxsite.argv(self.prefix, conf)
        else:
            argv = [sys.executable, str(STATIC_SERVER), str(self.www), str(self.port)]
        self.proc = Proc(argv, self.prefix / "server.log")
        wait_http(self.simple_url, proc=self.proc, timeout=30)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()
            self.proc = None

    def pids(self) -> list[int]:
        return [self.proc.pid] if self.proc is not None else []
