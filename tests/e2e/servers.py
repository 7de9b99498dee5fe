"""Real ``wharf serve`` processes on loopback, each in its own process group.

A ``WharfServer`` owns a data directory and a port. ``start`` waits until ``/-/health``
answers 200 (or fails with the server's log); ``stop`` ends the process group it created
(by PID, never by name); ``kill`` does the same with SIGKILL to simulate a crash.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
START_TIMEOUT = 60.0
# Prefixes of variables that would configure the server or the clients behind our back.
FOREIGN_ENV = ("WHARF_", "PIP_", "UV_", "TWINE_", "FLIT_", "npm_config_", "NPM_CONFIG_")
# The administrator the tests create on every server that needs one.
ADMIN = ("e2e-admin", "admin-password-1")


def clean_environ(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN_ENV)}
    env.update(no_proxy="127.0.0.1,localhost", NO_PROXY="127.0.0.1,localhost")
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DeadEndpoint:
    """A loopback port that is bound but never listens: connections are refused at once.
    Used as the upstream of servers whose tests must never reach any real registry."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self.port = int(self._sock.getsockname()[1])

    @property
    def simple_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/simple/"

    def close(self) -> None:
        self._sock.close()


class ServerError(RuntimeError):
    pass


class WharfServer:
    def __init__(
        self,
        data_dir: Path,
        *,
        upstream: str,
        workers: int = 1,
        name: str = "wharf",
        env: dict[str, str] | None = None,
        npm_upstream: str = "http://127.0.0.1:9/",
    ) -> None:
        self.data_dir = data_dir
        self.upstream = upstream
        self.npm_upstream = npm_upstream
        self.workers = workers
        self.name = name
        self.extra_env = dict(env or {})
        self.port = 0
        self.log_path = data_dir.parent / f"{data_dir.name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    # URLs -------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def simple_url(self) -> str:
        """The default group as clients use it: ``/simple/``."""
        return f"{self.url}/simple/"

    def index_url(self, index: str) -> str:
        return f"{self.url}/{index}/"

    def index_simple_url(self, index: str) -> str:
        return f"{self.url}/{index}/simple/"

    # lifecycle --------------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        settings = {
            "WHARF_TEST_LOG_LEVEL": "WARNING",
            "WHARF_PROXY_TIMEOUT": "5",
            "WHARF_NPM_UPSTREAM": self.npm_upstream,
            # Upstreams in tests are Wharfs whose packages were published a moment ago: the
            # default cooldown would hide them all. The policy tests set their own.
            "WHARF_POLICY_COOLDOWN_MODE": "off",
        }
        return clean_environ(**{**settings, **self.extra_env})

    def start(self, *, port: int | None = None) -> WharfServer:
        """Start on ``port`` (a restart keeps its port), else on a free one; retried on a
        new port when another process took the chosen one in the meantime."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        attempts = 1 if port else 3
        for attempt in range(attempts):
            self.port = port or free_port()
            try:
                self._spawn_and_wait()
            except ServerError:
                if attempt + 1 == attempts or "in use" not in self.log().lower():
                    raise
                continue
            return self
        raise AssertionError("unreachable")

    def _spawn_and_wait(self) -> None:
        argv = [
            str(BIN / "wharf"),
            "serve",
            "--data-dir",
            str(self.data_dir),
            "--port",
            str(self.port),
            "--host",
            "127.0.0.1",
            "--workers",
            str(self.workers),
            "--pypi-upstream",
            self.upstream,
        ]
        with self.log_path.open("ab") as log:
            log.write(f"\n=== {' '.join(argv)}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env(),
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(
                    f"{self.name} exited with status {self.process.returncode} while "
                    f"starting on port {self.port}:\n{self.log()}"
                )
            try:
                if httpx.get(f"{self.url}/-/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise ServerError(
            f"{self.name} did not answer /-/health within {START_TIMEOUT:.0f} s:\n{self.log()}"
        )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def group_pids(self) -> list[int]:
        """Processes in the server's process group (Linux /proc): the main one and workers."""
        assert self.process is not None
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[2]) == self.process.pid:  # field 5 of stat: the process group
                pids.append(int(stat.parent.name))
        return pids

    def _signal_group(self, sig: signal.Signals) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)  # the group start_new_session created

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.process.wait(timeout=15)
        # Workers of a server that died on its own may still hold the port.
        self._signal_group(signal.SIGKILL)
        self.process = None

    def kill(self) -> None:
        """Crash: SIGKILL to the whole process group, no chance to clean up."""
        if self.process is None:
            return
        self._signal_group(signal.SIGKILL)
        self.process.wait(timeout=15)
        self.process = None

    def restart(self) -> WharfServer:
        self.stop()
        return self.start(port=self.port)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-20_000:]
        except FileNotFoundError:
            return "(no log)"

    # the CLI on the same data directory -------------------------------------------------
    def cli(
        self, *args: str, stdin: str | None = None, check: bool = True, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        argv = [str(BIN / "wharf"), *args, "--data-dir", str(self.data_dir)]
        result = subprocess.run(
            argv,
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env(),
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{' '.join(argv)} exited {result.returncode}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            )
        return result

    def add_user(self, name: str, password: str, *, admin: bool = False) -> None:
        self.cli("user", "add", name, *(["--admin"] if admin else []), stdin=f"{password}\n")

    def create_token(
        self,
        user: str,
        *,
        actions: Sequence[str] = (),
        indexes: Sequence[str] = (),
        expires: str | None = None,
    ) -> tuple[str, str]:
        """A new token's (id, secret)."""
        args = ["token", "create", "--user", user]
        for action in actions:
            args += ["--action", action]
        for index in indexes:
            args += ["--index", index]
        if expires:
            args += ["--expires", expires]
        result = self.cli(*args)
        secret = result.stdout.strip().splitlines()[-1]
        # stderr: "token <id> for <user>: ..."
        token_id = result.stderr.split("token ", 1)[1].split(" ", 1)[0]
        return token_id, secret

    def __repr__(self) -> str:
        return f"WharfServer({self.name}, {self.url}, {self.data_dir})"


StartServer = Callable[..., WharfServer]
"""The ``start_server`` fixture: ``start(name, *, upstream, workers=1, **env)``."""
