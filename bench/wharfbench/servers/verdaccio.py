"""Verdaccio as an npm proxy of the bench's upstream (uplink ``maxage`` 30 minutes, so
warm runs do not revalidate), log level warn."""

from __future__ import annotations

import json
import subprocess

from wharfbench.fetch import HOST, send
from wharfbench.procs import clean_env, free_port, wait_http
from wharfbench.servers.base import BENCH_PASSWORD, BENCH_USER, Context, Server
from wharfbench.servers.peers import node_package, node_version_of


class Verdaccio(Server):
    name = "verdaccio"
    features = frozenset(("npm-pages", "npm-files", "npm-install", "npm-cold", "npm-publish"))
    why_not = {"bigindex": "npm only"}

    @classmethod
    def unavailable(cls, ctx: Context) -> str | None:
        if not ctx.tools.node:
            return "node is not installed"
        if node_package("verdaccio", ctx.peer_dirs) is None:
            return "verdaccio not found (PATH or --peers-from)"
        return None

    def start(self) -> None:
        package = node_package("verdaccio", self.ctx.peer_dirs)
        assert package is not None
        assert self.ctx.tools.node
        self.port = self.port or free_port()
        self.data.mkdir(parents=True, exist_ok=True)
        rules = {"access": "$all", "publish": "$authenticated", "proxy": "upstream"}
        conf = self.data / "config.yaml"
        conf.write_text(json.dumps({  # YAML is a superset of JSON
            "storage": str(self.data / "storage"),
            "auth": {"htpasswd": {"file": str(self.data / "htpasswd")}},  # adduser allowed
            "uplinks": {"upstream": {"url": self.ctx.upstream.npm_url, "maxage": "30m",
                                     "timeout": "60s"}},
            "packages": {"@*/*": rules, "**": rules},
            "server": {"keepAliveTimeout": 60},
            "listen": f"{HOST}:{self.port}",
            "log": {"type": "stdout", "format": "pretty", "level": "warn"},
        }, indent=1))
        proc = self.spawn([self.ctx.tools.node, package / "bin" / "verdaccio", "--config", conf,
                           "--listen", f"{HOST}:{self.port}"],
                          env=clean_env(home=self.data / "home"))
        wait_http(f"{self.base}/-/ping", proc=proc, timeout=60)
        node = subprocess.run([self.ctx.tools.node, "--version"], capture_output=True,
                              text=True, check=False).stdout.strip()
        self.label = f"Verdaccio {node_version_of(package)}, node {node}"

    def npm_url(self) -> str:
        return f"{self.base}/"

    def npm_publish(self) -> tuple[str, str]:
        """A token from Verdaccio's adduser endpoint (what ``npm adduser`` calls)."""
        body = json.dumps({"_id": f"org.couchdb.user:{BENCH_USER}", "name": BENCH_USER,
                           "password": BENCH_PASSWORD, "type": "user", "roles": []}).encode()
        reply = send("PUT", f"{self.base}/-/user/org.couchdb.user:{BENCH_USER}", body,
                     {"Content-Type": "application/json"})
        if reply.status not in (200, 201):
            raise RuntimeError(f"verdaccio adduser: {reply.status} {reply.body[:300]!r}")
        return self.npm_url(), str(reply.json()["token"])
