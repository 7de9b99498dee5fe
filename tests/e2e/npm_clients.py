"""The real npm client, shut off from the machine's configuration: every run gets the
given userconfig (.npmrc), its own cache and HOME, no update checks, no audit, no fund.
``npm login`` asks on a terminal, so it is driven through a pseudo-terminal."""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .clients import Run
from .servers import clean_environ

NPM = shutil.which("npm") or "npm"
NPM_TIMEOUT = 120


@dataclass
class NpmUser:
    """One npm identity: a home directory with its .npmrc and cache."""

    home: Path
    registry: str

    @property
    def npmrc(self) -> Path:
        return self.home / ".npmrc"

    @property
    def host_key(self) -> str:
        """The ``//host:port/path/`` prefix npm keys credentials by."""
        return "//" + self.registry.split("://", 1)[1]

    def env(self) -> dict[str, str]:
        return clean_environ(
            HOME=str(self.home),
            npm_config_userconfig=str(self.npmrc),
            npm_config_cache=str(self.home / "cache"),
            npm_config_registry=self.registry,
            npm_config_update_notifier="false",
            npm_config_fund="false",
            npm_config_audit="false",
            npm_config_loglevel="notice",
            npm_config_fetch_retries="0",
            npm_config_fetch_timeout="30000",
            NO_COLOR="1",
            COLUMNS="400",
        )

    def set_token(self, token: str) -> None:
        self.npmrc.write_text(f"registry={self.registry}\n{self.host_key}:_authToken={token}\n")

    def token(self) -> str | None:
        for line in self.npmrc.read_text().splitlines():
            if line.startswith(f"{self.host_key}:_authToken="):
                return line.split("=", 1)[1]
        return None

    def run(self, *args: str, cwd: Path | None = None, timeout: float = NPM_TIMEOUT) -> Run:
        argv = [NPM, *args]
        result = subprocess.run(
            argv,
            cwd=cwd or self.home,
            capture_output=True,
            text=True,
            env=self.env(),
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        return Run(argv, result.returncode, result.stdout + result.stderr)

    def login(self, name: str, password: str, timeout: float = 60) -> Run:
        """``npm login --auth-type=legacy``, answering its prompts on a pseudo-terminal."""
        argv = [NPM, "login", "--auth-type=legacy"]
        answers = [(b"Username:", name), (b"Password:", password)]
        return answer_prompts(argv, self.env(), self.home, answers, timeout)


def answer_prompts(
    argv: list[str], env: dict[str, str], cwd: Path, answers: list[tuple[bytes, str]],
    timeout: float = 60,
) -> Run:
    """Run a command on a pseudo-terminal, typing each answer when its prompt shows up on
    the current line (clients ask for credentials only on a terminal)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: become the command
        os.chdir(cwd)
        os.execvpe(argv[0], argv, env)
    pending = list(answers)
    output = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
            if pending and pending[0][0] in output.rsplit(b"\n", 1)[-1]:
                os.write(fd, pending.pop(0)[1].encode() + b"\r")
    finally:
        os.close(fd)
    if time.monotonic() >= deadline:
        os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
    return Run(argv, os.waitstatus_to_exitcode(status), output.decode(errors="replace"))


def new_user(root: Path, registry: str) -> NpmUser:
    home = root
    home.mkdir(parents=True, exist_ok=True)
    user = NpmUser(home, registry)
    user.npmrc.write_text(f"registry={registry}\n")
    return user


def write_package(
    root: Path, name: str, version: str, *, dependencies: dict[str, str] | None = None,
    note: str = "",
) -> Path:
    """A small package source tree: package.json, index.js and a README."""
    directory = root / f"{name.replace('/', '__').lstrip('@')}-{version}"
    directory.mkdir(parents=True)
    manifest = {
        "name": name,
        "version": version,
        "description": f"Wharf e2e package {name} {version} {note}".strip(),
        "main": "index.js",
        "license": "MIT",
        "dependencies": dependencies or {},
    }
    (directory / "package.json").write_text(json.dumps(manifest, indent=2))
    (directory / "index.js").write_text(f"module.exports = {json.dumps(f'{name}@{version}')};\n")
    (directory / "README.md").write_text(f"# {name}\n\nVersion {version}. {note}\n")
    return directory


def write_project(root: Path, dependencies: dict[str, str]) -> Path:
    """An application that depends on ``dependencies``."""
    root.mkdir(parents=True)
    manifest = {"name": "wharf-e2e-app", "version": "1.0.0", "private": True,
                "dependencies": dependencies}
    (root / "package.json").write_text(json.dumps(manifest, indent=2))
    return root


def installed(project: Path, name: str) -> dict[str, object] | None:
    manifest = project / "node_modules" / name / "package.json"
    if not manifest.is_file():
        return None
    loaded: dict[str, object] = json.loads(manifest.read_text())
    return loaded
