"""nginx serving the corpus as static files: the limit. The same rendered tree as the
upstream (pages picked by ``Accept``, pre-compressed twins, sendfile), in its own process
and prefix, so its figures and memory are its own."""

from __future__ import annotations

import shutil

from wharfbench import bigindex, nginxsite
from wharfbench.servers.base import Context, Server
from wharfbench.upstream import StaticSite


class Nginx(Server):
    name = "nginx"
    limit = True
    features = frozenset(("py-pages", "py-large-page", "py-files", "py-install", "npm-pages",
                          "npm-files", "npm-install", "bigindex"))
    why_not = {"py-cold": "static files: nothing to warm", "npm-cold": "static files",
               "py-upload": "static files", "npm-publish": "static files",
               "bigindex-seed": "static pages written by the bench"}

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.site = StaticSite(self.data, ctx.upstream.corpus_root, use_nginx=True)

    @classmethod
    def unavailable(cls, ctx: Context) -> str | None:
        return None if shutil.which("nginx") else "nginx is not installed"

    def start(self) -> None:
        self.site.start()
        self.port = self.site.port
        assert self.site.proc is not None
        self.procs = [self.site.proc]
        self.label = f"nginx {nginxsite.nginx_version()}, static files (the limit)"

    def stop(self) -> None:
        self.site.stop()
        self.procs = []

    def pypi_url(self) -> str:
        return self.site.simple_url

    def npm_url(self) -> str:
        return self.site.npm_url

    def open_bigindex(self, big: bigindex.BigIndex) -> str:
        bigindex.write_static(self.site.www, big)
        return f"{self.base}/{bigindex.INDEX}/simple/"
