"""The corpus the bench builds for itself: offline, seeded, cached under the work directory
by (seed, sizes, generator version), so a second run reuses it. ``manifest.json`` is written
last and says which package plays which part."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path
from typing import Any

from wharfbench.npmcorpus import build_npm
from wharfbench.pycorpus import build_python

GENERATOR = 4  # bump when the corpus code changes what it writes

FULL = {
    "graph": 40,                      # Python packages in the dependency graph
    "large_wheel": 16 << 20,          # incompressible bytes inside the large wheel
    "big_page_files": 4000,           # files listed on the large project page
    "npm_graph": 40,                  # npm packages in the dependency graph
    "large_packument": 300,           # versions of the large packument
    "huge_packument": 10_000,         # versions of the largest packument
    "large_tarball": 2 << 20,         # incompressible bytes inside the large npm tarball
    "index_projects": 100_000,        # projects in the big hosted index
}
SMOKE = {**FULL, "huge_packument": 200, "index_projects": 1000}


def corpus_dir(work: Path, seed: int, size: dict[str, int]) -> Path:
    key = json.dumps([GENERATOR, seed, sorted(size.items())]).encode()
    return work / "corpus" / f"seed{seed}-{hashlib.sha256(key).hexdigest()[:10]}"


def load_or_build(work: Path, seed: int, size: dict[str, int]) -> dict[str, Any]:
    """The manifest of the corpus for (seed, size), built first if needed."""
    root = corpus_dir(work, seed, size)
    manifest_path = root / "manifest.json"
    if manifest_path.is_file():
        manifest: dict[str, Any] = json.loads(manifest_path.read_text())
        manifest["reused"] = True
        return manifest
    shutil.rmtree(root, ignore_errors=True)
    started = time.perf_counter()
    python = build_python(root / "python", seed, size)
    npm = build_npm(root / "npm", seed, size)
    manifest = {"root": str(root), "seed": seed, "size": size, "python": python, "npm": npm,
                "build_s": round(time.perf_counter() - started, 2)}
    manifest_path.write_text(json.dumps(manifest, indent=1))
    manifest["reused"] = False
    return manifest
