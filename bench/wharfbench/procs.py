"""Processes the bench starts: each leads its own process group, is logged to a file, and is
stopped by its own PID (the group it leads), never by name. Every live one is also stopped
at interpreter exit and on SIGTERM, so an interrupted run leaves nothing behind."""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from wharfbench.fetch import HOST, HttpError, get

_LIVE: list[Proc] = []
# Variables that would point clients or servers somewhere else than we say.
_FOREIGN = ("WHARF_", "PIP_", "UV_", "TWINE_", "NPM_CONFIG_", "PYTHON", "VIRTUAL_ENV")
_PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


def log(*parts: object) -> None:
    print(time.strftime("%H:%M:%S"), *parts, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def clean_env(home: Path | None = None, **extra: object) -> dict[str, str]:
    """The environment without the machine's client and server configuration; ``home``
    becomes HOME (and the XDG dirs) so no user config file is read either."""
    env = {k: v for k, v in os.environ.items()
           if not k.upper().startswith(_FOREIGN) and k.upper() not in _PROXIES}
    env.update(PIP_CONFIG_FILE=os.devnull, no_proxy=HOST, NO_PROXY=HOST)
    if home is not None:
        home.mkdir(parents=True, exist_ok=True)
        env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
                   XDG_CACHE_HOME=str(home / ".cache"))
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Proc:
    """A started server: own session (its PID is its process group), output to ``log``."""

    def __init__(self, argv: Sequence[object], log_path: Path, *,
                 env: Mapping[str, str] | None = None, cwd: Path | None = None) -> None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.argv = [str(a) for a in argv]
        self.log_path = log_path
        with log_path.open("ab") as out:
            out.write(f"\n=== {' '.join(self.argv)}\n".encode())
            out.flush()
            self.popen = subprocess.Popen(
                self.argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=dict(env) if env is not None else None, cwd=cwd, start_new_session=True)
        self.pid = self.popen.pid
        _LIVE.append(self)

    @property
    def running(self) -> bool:
        return self.popen.poll() is None

    def stop(self, grace: float = 15) -> None:
        """SIGTERM to the group this process leads, SIGKILL after ``grace`` seconds, then
        SIGKILL to any member of the group still there (workers whose parent died)."""
        if self.popen.poll() is None:
            for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.pid, sig)
                try:
                    self.popen.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        for pid in group_members(self.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self in _LIVE:
            _LIVE.remove(self)

    def tail(self, size: int = 3000) -> str:
        try:
            return self.log_path.read_bytes()[-size:].decode(errors="replace")
        except OSError:
            return "(no log)"


def stop_all() -> None:
    for proc in reversed(list(_LIVE)):
        proc.stop(grace=5)


def _on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through every finally, then atexit


def install_cleanup() -> None:
    atexit.register(stop_all)
    signal.signal(signal.SIGTERM, _on_sigterm)


def wait_http(url: str, *, proc: Proc | None = None, timeout: float = 60,
              ok: Iterable[int] = (200,)) -> None:
    """Poll ``url`` until it answers one of ``ok``; fail early when ``proc`` exits."""
    wanted = set(ok)
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if proc is not None and not proc.running:
            raise RuntimeError(f"{proc.argv[0]} exited while starting:\n{proc.tail()}")
        try:
            status = get(url, timeout=5).status
            if status in wanted:
                return
            last = status
        except (OSError, HttpError) as exc:
            last = exc
        time.sleep(0.1)
    raise RuntimeError(f"{url} not ready after {timeout:.0f} s (last: {last})")


def _stat_fields(pid: str) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def group_members(pgid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(entry)
            if fields and int(fields[2]) == pgid:
                found.append(int(entry))
    return found


def process_tree(roots: Iterable[int]) -> list[int]:
    """The root processes and all their descendants (from /proc parent links)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(entry)
            if fields:
                children.setdefault(int(fields[1]), []).append(int(entry))
    seen: list[int] = []
    todo = list(roots)
    while todo:
        pid = todo.pop()
        if pid not in seen:
            seen.append(pid)
            todo.extend(children.get(pid, ()))
    return seen
