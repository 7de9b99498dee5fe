"""Load generators, each bounded in time and in request count: ``wrk`` when it is on PATH
(one thread, N connections, a tiny Lua ``request`` hook that stops it after the budget),
else a keep-alive HTTP/1.1 client of our own on asyncio streams. The results say which one
measured."""

from __future__ import annotations

import asyncio
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from wharfbench.fetch import HOST, split_local

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}
# Counts requests as they are made (a ``response`` hook would make wrk keep every body for
# Lua, which halves its speed on a 16 MB file); the request itself is formatted once.
_COUNTER = """
local budget = {budget}
local sent = 0
local req = nil
function request()
  sent = sent + 1
  if sent > budget then wrk.thread:stop() end
  if req == nil then req = wrk.format() end
  return req
end
"""


@dataclass
class LoadResult:
    requests: int
    seconds: float
    errors: int = 0
    p50_ms: float | None = None
    p99_ms: float | None = None
    capped: bool = False  # the request budget ended the run before its time was up
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


class Wrk:
    name = "wrk"

    def __init__(self) -> None:
        out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
        first = (out.stdout + out.stderr).strip().splitlines()
        self.version = first[0].split(" [")[0] if first else "wrk"

    def run(self, url: str, headers: dict[str, str], conns: int, duration: float,
            budget: int) -> LoadResult:
        split_local(url)  # refuses anything but 127.0.0.1
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(_COUNTER.format(budget=budget))
        argv = ["wrk", "-t1", f"-c{conns}", f"-d{max(1, round(duration))}s", "--timeout", "10s",
                "--latency", "-s", script.name]
        for key, value in headers.items():
            argv += ["-H", f"{key}: {value}"]
        try:
            out = subprocess.run([*argv, url], capture_output=True, text=True,
                                 timeout=duration + 60, check=False)
        finally:
            Path(script.name).unlink(missing_ok=True)
        return parse_wrk(out.stdout, budget)


def _latency_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    return float(match.group(1)) * _UNITS[match.group(2)] if match else float("nan")


def parse_wrk(out: str, budget: int) -> LoadResult:
    match = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", out)
    if not match:
        raise RuntimeError(f"wrk printed no summary:\n{out}")
    requests = int(match.group(1))
    seconds = _latency_ms(match.group(2) + match.group(3)) / 1000
    errors = 0
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        errors += int(non2xx.group(1))
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                        out)
    if sockets:
        errors += sum(int(n) for n in sockets.groups())
    result = LoadResult(requests, seconds, errors, capped=requests >= budget)
    for pct, attr in (("50", "p50_ms"), ("99", "p99_ms")):
        found = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", out, re.M)
        if found:
            setattr(result, attr, round(_latency_ms(found.group(1)), 3))
    return result


class AsyncClient:
    """Our own load generator: ``conns`` keep-alive connections, each sending the next
    request when the previous answer is fully read (like wrk), until the time or the
    request budget is used up."""

    name = "asyncio client"
    version = "wharfbench asyncio HTTP/1.1 client"

    def run(self, url: str, headers: dict[str, str], conns: int, duration: float,
            budget: int) -> LoadResult:
        return asyncio.run(self._run(url, headers, conns, duration, budget))

    async def _run(self, url: str, headers: dict[str, str], conns: int, duration: float,
                   budget: int) -> LoadResult:
        port, path = split_local(url)
        lines = [f"GET {path} HTTP/1.1", f"Host: {HOST}:{port}",
                 *(f"{k}: {v}" for k, v in headers.items())]
        request = ("\r\n".join(lines) + "\r\n\r\n").encode()
        state = _State(budget)
        started = time.perf_counter()
        deadline = time.monotonic() + duration
        tasks = [asyncio.create_task(_connection(port, request, deadline, state))
                 for _ in range(conns)]
        try:
            async with asyncio.timeout(duration + 30):
                await asyncio.gather(*tasks)
        except TimeoutError:
            state.errors += 1
        seconds = time.perf_counter() - started
        lat = sorted(state.latencies)
        result = LoadResult(state.done, seconds, state.errors, capped=state.started >= budget)
        if lat:
            result.p50_ms = round(statistics.median(lat) * 1000, 3)
            result.p99_ms = round(lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000, 3)
        return result


class _State:
    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.started = 0
        self.done = 0
        self.errors = 0
        self.latencies: list[float] = []


async def _read_body(reader: asyncio.StreamReader, head: bytes) -> bool:
    """Read (and drop) one response body; returns whether the server keeps the connection."""
    length = 0
    chunked = False
    keep = True
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        key = key.strip().lower()
        if key == b"content-length":
            length = int(value)
        elif key == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        elif key == b"connection" and b"close" in value.lower():
            keep = False
    if chunked:
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                return keep
    while length > 0:
        chunk = await reader.read(min(length, 1 << 20))
        if not chunk:
            raise ConnectionError("closed mid-body")
        length -= len(chunk)
    return keep


async def _connection(port: int, request: bytes, deadline: float, state: _State) -> None:
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    try:
        while time.monotonic() < deadline and state.started < state.budget:
            if writer is None:
                reader, writer = await asyncio.open_connection(HOST, port, limit=1 << 20)
            assert reader is not None
            state.started += 1
            begun = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            keep = await _read_body(reader, head)
            state.latencies.append(time.perf_counter() - begun)
            if head[9:12] == b"200":
                state.done += 1
            else:
                state.errors += 1
            if not keep:
                writer.close()
                writer = None
    except (OSError, asyncio.IncompleteReadError, ValueError):
        state.errors += 1
    finally:
        if writer is not None:
            writer.close()


def pick_loader(prefer_own: bool = False) -> Wrk | AsyncClient:
    if not prefer_own and shutil.which("wrk"):
        return Wrk()
    return AsyncClient()
