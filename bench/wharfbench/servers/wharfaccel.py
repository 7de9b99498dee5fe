"""Wharf behind nginx, set up as its README's "Behind nginx" says: Wharf runs with
``WHARF_SERVER_ACCEL_REDIRECT=/_wharf`` on a port of its own, and nginx (the port clients
use) proxies everything to it over keep-alive and serves the internal locations Wharf's
``X-Accel-Redirect`` answers name, straight from Wharf's data directory. Wharf still
decides every request (access, policy, audit); nginx only sends the bytes. Only pages and
files are measured: installs, uploads and the big index are Wharf's own figures (``wharf``)."""

from __future__ import annotations

import shutil

from wharfbench import nginxsite
from wharfbench.procs import clean_env, free_port, wait_http
from wharfbench.servers.base import Context
from wharfbench.servers.wharf import Wharf

PREFIX = "/_wharf"
_MEASURED_BY_WHARF = "measured on `wharf`: the same server, nginx only sends its files"


class WharfAccel(Wharf):
    name = "wharf-accel"
    features = frozenset(("py-pages", "py-large-page", "py-files", "npm-pages", "npm-files"))
    why_not = dict.fromkeys(("py-install", "py-cold", "npm-install", "npm-cold", "py-upload",
                             "npm-publish", "bigindex", "bigindex-seed"), _MEASURED_BY_WHARF)

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.wharf_port = 0
        self.prefix = ctx.run_dir / f"{self.name}-nginx"

    @classmethod
    def unavailable(cls, ctx: Context) -> str | None:
        if not shutil.which("nginx"):
            return "nginx is not installed"
        return super().unavailable(ctx)

    def env(self) -> dict[str, str]:
        return {**super().env(), "WHARF_SERVER_ACCEL_REDIRECT": PREFIX}

    def start(self) -> None:
        self.wharf_port = self.wharf_port or free_port()
        self.port = self.port or free_port()
        self.serve(self.wharf_port)
        conf = nginxsite.write_accel_conf(self.prefix, self.port, self.wharf_port, self.data)
        proc = self.spawn(nginxsite.argv(self.prefix, conf), env=clean_env())
        wait_http(f"{self.base}/-/health", proc=proc, timeout=30)
        self.label += f", behind nginx {nginxsite.nginx_version()} (X-Accel-Redirect)"
