"""The default worker count follows the cores this process may run on: one per two."""

from __future__ import annotations

import pytest

from wharf.cli import serve


@pytest.mark.parametrize(("cores", "workers"), [(1, 1), (2, 1), (3, 1), (8, 4), (64, 32)])
def test_one_worker_per_two_usable_cores(
    monkeypatch: pytest.MonkeyPatch, cores: int, workers: int
) -> None:
    monkeypatch.setattr(serve.os, "sched_getaffinity", lambda pid: set(range(cores)))
    assert serve.default_workers() == workers
