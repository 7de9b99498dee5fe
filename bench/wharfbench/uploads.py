"""Uploads per second: ``twine upload`` of N fresh wheels (one process for all of them, and
one process per wheel) and ``npm publish`` of N fresh versions (npm publishes one version
per process). Every run uploads new versions, since a published file never changes."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from wharfbench.procs import clean_env
from wharfbench.tarballs import package_json
from wharfbench.wheels import write_wheel

PY_NAME = "wharfbench-upload-probe"
NPM_NAME = "wharfbench-publish-probe"


class UploadError(RuntimeError):
    pass


def _run(argv: list[str], env: dict[str, str], cwd: Path, what: str) -> None:
    out = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=600,
                         check=False, stdin=subprocess.DEVNULL)
    if out.returncode != 0:
        raise UploadError(f"{what} failed (exit {out.returncode}):\n"
                          f"{(out.stdout + out.stderr)[-3000:]}")


def make_wheels(directory: Path, series: str, count: int) -> list[Path]:
    """``count`` small distinct wheels, versions ``<series>.<i>``."""
    return [write_wheel(directory, PY_NAME, f"{series}.{i}",
                        files={"wharfbench_upload_probe/__init__.py":
                               f"VERSION = '{series}.{i}'\n".encode()})[0]
            for i in range(count)]


def twine(tools: Any, url: str, account: tuple[str, str], files: list[Path],
          scratch: Path) -> None:
    env = clean_env(home=scratch / "home",
                    PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
    _run([*tools.twine, "upload", "--non-interactive", "--disable-progress-bar",
          "--repository-url", url, "-u", account[0], "-p", account[1], *map(str, files)], env,
         scratch, "twine upload")


def twine_rate(tools: Any, url: str, account: tuple[str, str], scratch: Path, series: str,
               count: int, one_process: bool) -> float:
    """Files per second for ``count`` uploads."""
    work = scratch / f"twine-{series}"
    shutil.rmtree(work, ignore_errors=True)
    files = make_wheels(work / "dist", series, count)
    started = time.perf_counter()
    if one_process:
        twine(tools, url, account, files, work)
    else:
        for file in files:
            twine(tools, url, account, [file], work)
    seconds = time.perf_counter() - started
    shutil.rmtree(work, ignore_errors=True)
    return count / seconds


def npm_publish_rate(tools: Any, registry: str, token: str, scratch: Path, series: str,
                     count: int) -> float:
    """Versions per second for ``count`` ``npm publish`` runs."""
    work = scratch / f"npm-{series}"
    shutil.rmtree(work, ignore_errors=True)
    package = work / "package"
    package.mkdir(parents=True)
    (package / "index.js").write_text("module.exports = 'wharfbench';\n")
    (package / "README.md").write_text(f"# {NPM_NAME}\n")
    npmrc = work / "npmrc"
    key = "//" + registry.split("://", 1)[1]
    npmrc.write_text(f"registry={registry}\n{key}:_authToken={token}\n"
                     f"cache={work / 'cache'}\naudit=false\nfund=false\n"
                     "update-notifier=false\nloglevel=warn\n")
    env = clean_env(home=work / "home", npm_config_userconfig=npmrc,
                    npm_config_globalconfig=work / "no-global-npmrc")
    started = time.perf_counter()
    for i in range(count):
        manifest = package_json(NPM_NAME, f"{series}.{i}", {})
        (package / "package.json").write_text(json.dumps(manifest, indent=2))
        _run([tools.npm, "publish", "--registry", registry, "--userconfig", str(npmrc),
              "--ignore-scripts"], env, package, "npm publish")
    seconds = time.perf_counter() - started
    shutil.rmtree(work, ignore_errors=True)
    return count / seconds
