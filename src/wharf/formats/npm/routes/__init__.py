"""HTTP endpoints of an npm index (see ``dispatch``)."""

from wharf.formats.npm.routes.dispatch import build_routes

__all__ = ["build_routes"]
