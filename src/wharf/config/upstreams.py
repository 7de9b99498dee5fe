"""Default upstream URLs, taken from the machine's own clients, never written in code.

Python: ``PIP_INDEX_URL``, else the index-url of pip's configuration files, else pip's
built-in default. npm: ``npm config get registry``.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from wharf.core.errors import ConfigurationError


def discover_pypi_upstream() -> tuple[str, str]:
    """The Python upstream (simple index URL) and where it came from."""
    if os.environ.get("PIP_INDEX_URL"):
        return os.environ["PIP_INDEX_URL"], "environment PIP_INDEX_URL"
    try:
        from pip._internal.configuration import Configuration  # noqa: PLC0415
        from pip._internal.models.index import PyPI  # noqa: PLC0415
    except ImportError as exc:
        raise ConfigurationError(
            "No Python upstream configured and pip is not importable to ask for its index.",
            hint="Set WHARF_PYPI_UPSTREAM (or pypi.upstream in wharf.toml) to a simple index URL.",
        ) from exc
    configuration = Configuration(isolated=False)
    try:
        configuration.load()
        for key in ("global.index-url", "install.index-url"):
            try:
                value = configuration.get_value(key)
            except Exception:  # noqa: S112 - pip raises its own ConfigurationError
                continue
            if isinstance(value, str) and value:
                return value, f"pip configuration ({key})"
    except Exception:  # noqa: S110 - an unreadable pip config falls back to the default
        pass
    return str(PyPI.simple_url), "pip's built-in default"


def discover_npm_upstream() -> tuple[str, str]:
    """The npm upstream registry URL and where it came from."""
    if os.environ.get("npm_config_registry"):
        return os.environ["npm_config_registry"], "environment npm_config_registry"
    npm = shutil.which("npm")
    if npm is None:
        raise ConfigurationError(
            "No npm upstream configured and npm is not installed to ask for its registry.",
            hint="Set WHARF_NPM_UPSTREAM (or npm.upstream in wharf.toml) to a registry URL.",
        )
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [npm, "config", "get", "registry"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise ConfigurationError(
            f"`npm config get registry` failed: {exc}.",
            hint="Set WHARF_NPM_UPSTREAM to a registry URL.",
        ) from exc
    url = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    if not url.startswith(("http://", "https://")):
        raise ConfigurationError(
            f"`npm config get registry` printed {url!r}, which is not a URL.",
            hint="Set WHARF_NPM_UPSTREAM to a registry URL.",
        )
    return url, "npm configuration"
