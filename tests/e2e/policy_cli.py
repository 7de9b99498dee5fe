"""What the policy e2e tests of both formats do with the ``wharf`` command: grant a
break-glass waiver, wait for the batched audit trail, and say when a cooldown ends."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

from .servers import WharfServer

AUDIT_WAIT = 5.0  # seconds: the server writes audit events in batches within about 1 s


def held_until(published: datetime) -> str:
    """How the refusal writes the end of the default one-day cooldown."""
    return (published + timedelta(days=1)).isoformat(timespec="minutes")


def waive(server: WharfServer, fmt: str, spec: str, rule: str) -> str:
    """``wharf policy allow FORMAT SPEC --rule RULE``; the new waiver's number."""
    granted = server.cli("policy", "allow", fmt, spec, "--rule", rule, "--for", "1h",
                         "--reason", "e2e break-glass")
    assert granted.stdout.startswith("allowed: #"), granted
    return granted.stdout.split("#", 1)[1].split()[0]


def poll_cli(server: WharfServer, *args: str, until: Callable[[str], bool]) -> str:
    """The command's output once ``until`` holds for it (or the last one after a few
    seconds): audit events reach the database in batches."""
    deadline = time.monotonic() + AUDIT_WAIT
    while True:
        output = server.cli(*args).stdout
        if until(output) or time.monotonic() > deadline:
            return output
        time.sleep(0.25)
