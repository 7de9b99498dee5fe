"""Raw figures as they are measured: per figure key and server, every run's value, the
median that the table shows, and details (body size, latency, load tool, errors); plus
skips and failures with their reasons."""

from __future__ import annotations

import statistics
from typing import Any

from wharfbench.procs import log


class Results:
    def __init__(self) -> None:
        self.values: dict[str, dict[str, dict[str, Any]]] = {}
        self.skipped: dict[str, dict[str, str]] = {}   # server -> figure key -> reason
        self.failed: dict[str, dict[str, str]] = {}    # server -> figure key -> error
        self.notes: list[str] = []
        self.warm_ups: dict[str, dict[str, list[float]]] = {}  # untimed warm-up installs
        self.first_fetch: dict[str, dict[str, float]] = {}  # server -> page -> first GET, s

    def record(self, key: str, server: str, runs: list[float], **detail: Any) -> float:
        value = round(statistics.median(runs), 3)
        self.values.setdefault(key, {})[server] = {
            "value": value, "runs": [round(r, 3) for r in runs], **detail}
        log(f"  {server:<10} {key:<24} {value:>12,.2f}  runs={[round(r, 2) for r in runs]}")
        return value

    def skip(self, key: str, server: str, reason: str) -> None:
        self.skipped.setdefault(server, {})[key] = reason

    def fail(self, key: str, server: str, error: str) -> None:
        self.failed.setdefault(server, {})[key] = error
        log(f"  {server:<10} {key:<24} FAILED: {error.splitlines()[0] if error else ''}")

    def value(self, key: str, server: str) -> float | None:
        found = self.values.get(key, {}).get(server)
        return None if found is None else float(found["value"])

    def to_json(self) -> dict[str, Any]:
        return {"figures": self.values, "skipped": self.skipped, "failed": self.failed,
                "notes": self.notes, "warm_ups": self.warm_ups, "first_fetch": self.first_fetch}
