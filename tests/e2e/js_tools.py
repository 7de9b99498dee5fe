"""The JavaScript package managers besides npm (pnpm 10, yarn classic 1.x, yarn berry 4.x,
bun 1.x), installed once per machine and run shut off from the machine's configuration.

The tools come from the machine's own npm and its own registry configuration (never the
Wharf under test) into ``~/.cache/wharf-e2e-tools/<versions>``: installed into a temporary
directory beside it, checked, then renamed into place, so a half-finished install is never
reused and concurrent runs do not trample each other. Every client run gets its own HOME,
XDG directories, cache and store, and no global configuration; ``packageManager`` fields and
corepack are told never to download anything.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from .clients import Run
from .servers import clean_environ

NODE = shutil.which("node") or "node"
NPM = shutil.which("npm") or "npm"
# Exact majors: pnpm 11 needs Node 22, the machine has Node 20.
PACKAGES = {"pnpm": "10", "yarn": "1", "@yarnpkg/cli-dist": "4", "bun": "1"}
CACHE_DIR_NAME = "-".join(f"{name.rsplit('/', 1)[-1]}{major}" for name, major in PACKAGES.items())
INSTALL_TIMEOUT = 600
CLIENT_TIMEOUT = 180
# Variables that would steer a client from outside its isolated home.
FOREIGN_PREFIXES = ("PNPM_", "YARN_", "COREPACK_", "BERRY_")
FOREIGN_NAMES = ("CI", "CONTINUOUS_INTEGRATION", "BUILD_NUMBER", "RUN_ID", "XDG_CONFIG_DIRS")


class ToolsUnavailable(RuntimeError):
    """The tools could not be installed (no network, no registry): the tests skip."""


@dataclass(frozen=True)
class JsTools:
    """The installed prefix and the entry points inside it (run with ``node``)."""

    prefix: Path

    @property
    def pnpm(self) -> Path:
        return self.prefix / "node_modules" / "pnpm" / "bin" / "pnpm.cjs"

    @property
    def yarn_classic(self) -> Path:
        return self.prefix / "node_modules" / "yarn" / "bin" / "yarn.js"

    @property
    def yarn_berry(self) -> Path:
        return self.prefix / "node_modules" / "@yarnpkg" / "cli-dist" / "bin" / "yarn.js"

    @property
    def bun(self) -> Path:
        """A native executable from the platform's optional package (``bun/bin/bun.exe`` is
        a placeholder until the install script runs, and scripts are not run here)."""
        found = sorted((self.prefix / "node_modules" / "@oven").glob("bun-*/bin/bun"))
        return found[0] if found else self.prefix / "node_modules" / "@oven" / "missing"

    def entry_points(self) -> dict[str, Path]:
        return {"pnpm": self.pnpm, "yarn": self.yarn_classic, "@yarnpkg/cli-dist": self.yarn_berry,
                "bun": self.bun}


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "wharf-e2e-tools"


def ensure_tools(root: Path | None = None) -> JsTools:
    """The tools from the cache, installed there first when missing.

    Raises ``ToolsUnavailable`` with npm's output when installing fails."""
    root = root or cache_root()
    tools = JsTools(root / CACHE_DIR_NAME)
    if _check(tools) is None:
        return tools
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{CACHE_DIR_NAME}-", dir=root))
    try:
        _install_into(staging)
        problem = _check(JsTools(staging))
        if problem:
            raise ToolsUnavailable(problem)
        if _check(tools) is None:  # another run finished first: use theirs
            return tools
        if tools.prefix.exists():  # a broken leftover (renames are atomic, so not a racer's)
            shutil.rmtree(tools.prefix, ignore_errors=True)
        try:
            staging.rename(tools.prefix)
        except OSError:
            if _check(tools) is not None:  # nobody else finished either
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    problem = _check(tools)
    if problem:
        raise ToolsUnavailable(problem)
    return tools


def _install_into(prefix: Path) -> None:
    """``npm install`` with the machine's own configuration and registry."""
    specs = [f"{name}@{major}" for name, major in PACKAGES.items()]
    argv = [
        NPM,
        "install",
        "--prefix",
        str(prefix),
        "--no-save",
        "--no-package-lock",
        "--ignore-scripts",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        *specs,
    ]
    try:
        result = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
            check=False,
            stdin=subprocess.DEVNULL,
            cwd=prefix,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ToolsUnavailable(f"{' '.join(argv)} failed: {error}") from error
    if result.returncode != 0:
        raise ToolsUnavailable(
            f"{' '.join(argv)} exited {result.returncode} (no network or no registry?):\n"
            f"{(result.stdout + result.stderr)[-3000:]}"
        )


def _check(tools: JsTools) -> str | None:
    """What is wrong with an installed prefix, or None when every tool is there."""
    for name, major in PACKAGES.items():
        manifest = tools.prefix / "node_modules" / name / "package.json"
        try:
            version = str(json.loads(manifest.read_text())["version"])
        except (OSError, ValueError, KeyError):
            return f"{manifest} is missing or unreadable"
        if version.split(".", 1)[0] != major:
            return f"{name} is {version}, expected major {major}"
    for name, entry in tools.entry_points().items():
        if not entry.is_file():
            return f"{name}'s entry point {entry} is missing"
    return None


def installed_versions(tools: JsTools) -> dict[str, str]:
    return {
        name: str(
            json.loads((tools.prefix / "node_modules" / name / "package.json").read_text())[
                "version"
            ]
        )
        for name in PACKAGES
    }


def isolated_environ(home: Path, **extra: str) -> dict[str, str]:
    """The machine's environment minus anything that configures npm, pnpm, yarn or
    corepack, with HOME and the XDG directories inside ``home``."""
    env = {
        key: value
        for key, value in clean_environ().items()
        if not key.startswith(FOREIGN_PREFIXES) and key not in FOREIGN_NAMES
    }
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        COREPACK_ENABLE_STRICT="0",
        COREPACK_ENABLE_AUTO_PIN="0",
        COREPACK_ENABLE_DOWNLOAD_PROMPT="0",
        COREPACK_ENABLE_NETWORK="0",
        NO_UPDATE_NOTIFIER="1",
        NO_COLOR="1",
        FORCE_COLOR="0",
        COLUMNS="400",
    )
    env.update(extra)
    return env


class JsClient(ABC):
    """One identity of one package manager: a home with its caches and configuration,
    talking to one registry URL (``http://127.0.0.1:PORT/npm/``), with a token or none."""

    name: ClassVar[str]
    lockfile: ClassVar[str]

    def __init__(self, tools: JsTools, home: Path, registry: str, token: str | None = None):
        assert registry.endswith("/"), registry
        self.tools = tools
        self.home = home
        self.registry = registry
        self.token = token
        home.mkdir(parents=True, exist_ok=True)
        self.write_home_config()

    @property
    def host_key(self) -> str:
        """The ``//host:port/path/`` prefix .npmrc keys credentials by."""
        return "//" + self.registry.split("://", 1)[1]

    @property
    @abstractmethod
    def entry_point(self) -> Path: ...

    @abstractmethod
    def env(self) -> dict[str, str]: ...

    def write_home_config(self) -> None:
        """An .npmrc in the isolated home: the registry and, when given, the token."""
        lines = [f"registry={self.registry}"]
        if self.token:
            lines.append(f"{self.host_key}:_authToken={self.token}")
        (self.home / ".npmrc").write_text("\n".join(lines) + "\n")

    def configure(self, project: Path) -> None:  # noqa: B027 (an optional hook)
        """Per-project configuration, written before every command run in ``project``."""

    def command(self) -> list[str]:
        """How the client is started: its JavaScript entry point under node."""
        return [NODE, str(self.entry_point)]

    def run(self, *args: str, cwd: Path, timeout: float = CLIENT_TIMEOUT) -> Run:
        self.configure(cwd)
        argv = [*self.command(), *args]
        try:
            result = subprocess.run(
                argv,
                cwd=cwd,
                capture_output=True,
                text=True,
                env=self.env(),
                timeout=timeout,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as expired:
            output = "".join(
                part.decode(errors="replace") if isinstance(part, bytes) else part or ""
                for part in (expired.stdout, expired.stderr)
            )
            return Run([self.name, *args], -1, f"timed out after {timeout} s\n{output}")
        return Run([self.name, *args], result.returncode, result.stdout + result.stderr)

    @abstractmethod
    def install(self, project: Path, *, frozen: bool = False) -> Run: ...

    @abstractmethod
    def publish(self, directory: Path) -> Run:
        """Publish the package in ``directory`` at the version its package.json names."""


class Pnpm(JsClient):
    name = "pnpm"
    lockfile = "pnpm-lock.yaml"

    @property
    def entry_point(self) -> Path:
        return self.tools.pnpm

    def write_home_config(self) -> None:
        """Besides the .npmrc, pnpm's own settings go to its global rc in the isolated
        XDG_CONFIG_HOME: as npm_config_* variables the npm that ``pnpm publish``,
        ``pnpm view`` and ``pnpm dist-tag`` run would warn about each one."""
        super().write_home_config()
        settings = {
            "store-dir": self.home / "store",
            "cache-dir": self.home / "cache",
            "state-dir": self.home / "state",
            "manage-package-manager-versions": "false",
            "package-manager-strict": "false",
            "update-notifier": "false",
        }
        rc = self.home / ".config" / "pnpm" / "rc"
        rc.parent.mkdir(parents=True, exist_ok=True)
        rc.write_text("".join(f"{key}={value}\n" for key, value in settings.items()))

    def env(self) -> dict[str, str]:
        # pnpm reads npm_config_* like npm, and so does the npm some commands run.
        return isolated_environ(
            self.home,
            PNPM_HOME=str(self.home / "pnpm-home"),
            npm_config_userconfig=str(self.home / ".npmrc"),
            npm_config_cache=str(self.home / "npm-cache"),
            npm_config_update_notifier="false",
            npm_config_fetch_retries="0",
            npm_config_audit="false",
            npm_config_fund="false",
            npm_config_color="false",
        )

    def install(self, project: Path, *, frozen: bool = False) -> Run:
        mode = "--frozen-lockfile" if frozen else "--no-frozen-lockfile"
        return self.run("install", mode, "--reporter=append-only", cwd=project)

    def publish(self, directory: Path) -> Run:
        return self.run("publish", "--no-git-checks", cwd=directory)


class YarnClassic(JsClient):
    name = "yarn-classic"
    lockfile = "yarn.lock"

    @property
    def entry_point(self) -> Path:
        return self.tools.yarn_classic

    def env(self) -> dict[str, str]:
        return isolated_environ(
            self.home,
            YARN_CACHE_FOLDER=str(self.home / "yarn-cache"),
            YARN_GLOBAL_FOLDER=str(self.home / "yarn-global"),
            YARN_DISABLE_SELF_UPDATE_CHECK="true",
            YARN_IGNORE_PATH="1",
            YARN_ENABLE_TELEMETRY="0",
        )

    def run(self, *args: str, cwd: Path, timeout: float = CLIENT_TIMEOUT) -> Run:
        return super().run(*args, "--non-interactive", "--no-progress", cwd=cwd, timeout=timeout)

    def install(self, project: Path, *, frozen: bool = False) -> Run:
        return self.run("install", *(["--frozen-lockfile"] if frozen else []), cwd=project)

    def publish(self, directory: Path) -> Run:
        version = str(json.loads((directory / "package.json").read_text())["version"])
        return self.run("publish", "--new-version", version, "--no-git-tag-version", cwd=directory)


class YarnBerry(JsClient):
    name = "yarn-berry"
    lockfile = "yarn.lock"

    @property
    def entry_point(self) -> Path:
        return self.tools.yarn_berry

    def env(self) -> dict[str, str]:
        return isolated_environ(
            self.home,
            YARN_GLOBAL_FOLDER=str(self.home / "berry-global"),
            YARN_ENABLE_TELEMETRY="0",
            YARN_ENABLE_PROGRESS_BARS="0",
            YARN_ENABLE_COLORS="0",
            YARN_ENABLE_HYPERLINKS="0",
            YARN_IGNORE_PATH="1",
            YARN_ENABLE_GLOBAL_CACHE="0",
            YARN_HTTP_RETRY="0",
        )

    def configure(self, project: Path) -> None:
        """The project's .yarnrc.yml (YAML takes JSON strings), and an empty yarn.lock so
        the directory is a project root of its own."""
        host = self.registry.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[0]
        settings: dict[str, object] = {
            "npmRegistryServer": self.registry,
            "unsafeHttpWhitelist": [host],
            "enableTelemetry": False,
            "nodeLinker": "node-modules",
            "enableGlobalCache": False,
            "enableImmutableInstalls": False,
            # Since 4.15 versions younger than a day are quarantined: everything here is new.
            "npmMinimalAgeGate": 0,
        }
        if self.token:
            settings["npmAuthToken"] = self.token
        lines = []
        for key, value in settings.items():
            if isinstance(value, list):
                lines.append(f"{key}:")
                lines.extend(f"  - {json.dumps(item)}" for item in value)
            else:
                lines.append(f"{key}: {json.dumps(value)}")
        (project / ".yarnrc.yml").write_text("\n".join(lines) + "\n")
        (project / "yarn.lock").touch()

    def install(self, project: Path, *, frozen: bool = False) -> Run:
        return self.run("install", "--immutable" if frozen else "--no-immutable", cwd=project)

    def publish(self, directory: Path) -> Run:
        # Publishing packs the workspace, which needs an installed project first.
        installing = self.install(directory)
        if not installing.ok:
            return installing
        return self.run("npm", "publish", cwd=directory)


class Bun(JsClient):
    name = "bun"
    lockfile = "bun.lock"

    @property
    def entry_point(self) -> Path:
        return self.tools.bun

    def command(self) -> list[str]:
        return [str(self.entry_point)]

    def env(self) -> dict[str, str]:
        return isolated_environ(
            self.home,
            BUN_INSTALL=str(self.home / "bun"),
            BUN_INSTALL_CACHE_DIR=str(self.home / "bun-cache"),
            DO_NOT_TRACK="1",
            NPM_CONFIG_USERCONFIG=str(self.home / ".npmrc"),
        )

    def configure(self, project: Path) -> None:
        """The project's bunfig.toml: the registry and, when given, the token."""
        registry = {"url": self.registry, **({"token": self.token} if self.token else {})}
        entries = ", ".join(f"{key} = {json.dumps(value)}" for key, value in registry.items())
        (project / "bunfig.toml").write_text(
            f"[install]\nregistry = {{ {entries} }}\nsaveTextLockfile = true\n"
            "\n[install.cache]\ndisable = false\n"
        )

    def install(self, project: Path, *, frozen: bool = False) -> Run:
        return self.run("install", *(["--frozen-lockfile"] if frozen else []), cwd=project)

    def publish(self, directory: Path) -> Run:
        return self.run("publish", cwd=directory)


CLIENTS: dict[str, type[JsClient]] = {
    client.name: client for client in (Pnpm, YarnClassic, YarnBerry, Bun)
}
