"""The benchmark suite (``bench/run.py``) still runs end to end: a ``--smoke`` run against a
real Wharf, with the real clients, writes a results file holding a positive figure for every
Wharf scenario of the smoke, and the markdown table. No figure is judged here (performance
lives in the benchmark, not in the tests); only that each was measured."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .servers import clean_environ

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
PYTHON_FIGURES = (
    "pages.py_small", "pages.py_large",
    "bigindex.seed_s", "bigindex.root_rps", "bigindex.root_ms", "bigindex.project_rps",
    "bigindex.rss_mb",
    "files.wheel_large", "files.wheel_small",
    "installs.uv_warm", "installs.uv_cold", "installs.pip_warm", "installs.pip_cold",
    "installs.uv_parallel", "installs.uv_parallel_x",
    "uploads.twine_batch", "uploads.twine_each",
    "memory.rss_start", "memory.rss_idle", "memory.rss_peak",
)
NPM_FIGURES = (
    "pages.npm_small", "pages.npm_large", "pages.npm_huge",
    "files.tgz_large", "files.tgz_small",
    "installs.npm_warm", "installs.npm_cold",
    "uploads.npm_publish",
)


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    """One ``--smoke`` run: its results document and the markdown table's path."""
    work = tmp_path_factory.mktemp("bench")
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), "--smoke", "--work", str(work)],
        cwd=REPO, env=clean_environ(), capture_output=True, text=True, timeout=900,
        check=False, stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr[-5000:]}"
    documents = list((work / "results").glob("*.json"))
    assert len(documents) == 1, list((work / "results").iterdir())
    tables = list((work / "results").glob("*.md"))
    assert len(tables) == 1, list((work / "results").iterdir())
    return json.loads(documents[0].read_text()), tables[0]


def wanted() -> tuple[str, ...]:
    return PYTHON_FIGURES + (NPM_FIGURES if shutil.which("npm") else ())


def test_every_wharf_scenario_of_the_smoke_has_a_positive_figure(
    smoke: tuple[dict[str, Any], Path],
) -> None:
    document, _ = smoke
    figures = document["figures"]
    assert not document["failed"].get("wharf"), document["failed"]
    missing = [key for key in wanted() if "wharf" not in figures.get(key, {})]
    assert not missing, f"no Wharf figure for {missing}; skipped: {document['skipped']}"
    not_positive = {key: figures[key]["wharf"]["value"] for key in wanted()
                    if not figures[key]["wharf"]["value"] > 0}
    assert not not_positive, not_positive


def test_the_results_say_what_measured_them(smoke: tuple[dict[str, Any], Path]) -> None:
    document, _ = smoke
    machine = document["machine"]
    assert machine["cores"]
    assert machine["cpu"]
    assert machine["python"]
    assert document["load"]["tool"]
    assert document["servers"] == {"wharf": {"label": document["servers"]["wharf"]["label"]}}
    assert "Wharf" in document["servers"]["wharf"]["label"]
    assert any("COOLDOWN_MODE=off" in note for note in document["notes"])


def test_the_markdown_table_has_a_row_per_figure(smoke: tuple[dict[str, Any], Path]) -> None:
    document, table = smoke
    text = table.read_text()
    header = next(line for line in text.splitlines() if line.startswith("| figure |"))
    assert header == "| figure | unit | wharf |"
    rows = [line for line in text.splitlines() if line.startswith("| ") and line != header]
    assert len(rows) == len(document["figures"])
    assert all(not row.endswith("| - |") for row in rows)
