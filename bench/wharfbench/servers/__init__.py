"""Server adapters, in the order they are measured: the limit (nginx) first, so each
ratio is against numbers from the same run, then Wharf, then the peers."""

from __future__ import annotations

from wharfbench.servers.base import Context, Server
from wharfbench.servers.devpi import Devpi
from wharfbench.servers.nginx import Nginx
from wharfbench.servers.proxpi import Proxpi
from wharfbench.servers.pypiserver import PypiServer
from wharfbench.servers.verdaccio import Verdaccio
from wharfbench.servers.wharf import Wharf
from wharfbench.servers.wharfaccel import WharfAccel

ADAPTERS: dict[str, type[Server]] = {
    cls.name: cls for cls in (Nginx, Wharf, WharfAccel, PypiServer, Devpi, Proxpi, Verdaccio)}

__all__ = ["ADAPTERS", "Context", "Server"]
