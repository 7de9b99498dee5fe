"""Timed installs of the corpus with the real clients, each in a fresh directory with no
cache and no user configuration: ``uv pip install --no-cache --target``, ``pip install
--no-cache-dir --target`` and ``npm install --ignore-scripts`` with a fresh cache and a
private ``.npmrc``. Each run checks that everything was installed."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from wharfbench.procs import clean_env, log

TIMEOUT = 900


class InstallError(RuntimeError):
    pass


class Installer:
    def __init__(self, scratch: Path, manifest: dict[str, Any], tools: Any) -> None:
        self.scratch = scratch
        self.manifest = manifest
        self.tools = tools
        self.corpus = Path(manifest["root"])
        self._n = 0

    def _fresh(self, kind: str) -> Path:
        self._n += 1
        directory = self.scratch / f"{kind}-{self._n}"
        shutil.rmtree(directory, ignore_errors=True)
        (directory / "tmp").mkdir(parents=True)
        return directory

    def _python_argv(self, kind: str, index_url: str, where: Path) -> list[str]:
        requirements = self.corpus / "python" / "requirements.txt"
        if kind == "uv":
            return [self.tools.uv, "pip", "install", "--no-cache", "--no-config", "--quiet",
                    "--python", sys.executable, "--index-url", index_url, "-r",
                    str(requirements), "--target", str(where / "target")]
        return [*self.tools.pip, "--isolated", "--disable-pip-version-check", "install",
                "--no-cache-dir", "--progress-bar", "off", "--quiet", "--index-url", index_url,
                "-r", str(requirements), "--target", str(where / "target")]

    def _check_python(self, where: Path, what: str) -> None:
        installed = len(list((where / "target").glob("*.dist-info")))
        wanted = len(self.manifest["python"]["projects"])
        if installed < wanted:
            raise InstallError(f"{what}: {installed} of {wanted} packages installed")

    def python(self, kind: str, index_url: str, tag: str = "") -> float:
        """One ``uv`` or ``pip`` install of the corpus requirements; seconds."""
        where = self._fresh(kind)
        try:
            seconds = _timed(self._python_argv(kind, index_url, where),
                             clean_env(home=where / "home", TMPDIR=where / "tmp"), where,
                             f"{kind} install {tag}")
            self._check_python(where, f"{kind} install {tag}")
        finally:
            shutil.rmtree(where, ignore_errors=True)
        return seconds

    def uv_parallel(self, index_url: str, count: int) -> float:
        """``count`` uv installs started together; the wall time until the last ends."""
        dirs = [self._fresh("uvp") for _ in range(count)]
        started = time.perf_counter()
        procs = [subprocess.Popen(self._python_argv("uv", index_url, d),
                                  env=clean_env(home=d / "home", TMPDIR=d / "tmp"), cwd=d,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                 for d in dirs]
        failures = []
        try:
            for proc in procs:
                out, _ = proc.communicate(timeout=TIMEOUT)
                if proc.returncode != 0:
                    failures.append(out.decode(errors="replace")[-2000:])
            seconds = time.perf_counter() - started
            if failures:
                raise InstallError(f"{len(failures)} of {count} concurrent uv installs failed:"
                                   f"\n{failures[0]}")
            for d in dirs:
                self._check_python(d, "concurrent uv install")
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            for d in dirs:
                shutil.rmtree(d, ignore_errors=True)
        return seconds

    def npm(self, registry: str, tag: str = "") -> float:
        """One ``npm install`` of the corpus application, empty cache; seconds."""
        where = self._fresh("npm")
        project = where / "project"
        shutil.copytree(self.corpus / "npm" / "project", project)
        npmrc = where / "npmrc"
        npmrc.write_text("".join(f"{line}\n" for line in (
            f"registry={registry}", f"cache={where / 'cache'}", "audit=false", "fund=false",
            "update-notifier=false", "progress=false", "loglevel=warn",
            "package-lock=false")))
        env = clean_env(home=where / "home", TMPDIR=where / "tmp",
                        npm_config_userconfig=npmrc,
                        npm_config_globalconfig=where / "no-global-npmrc")
        argv = [self.tools.npm, "install", "--no-audit", "--no-fund", "--ignore-scripts",
                "--userconfig", str(npmrc)]
        try:
            seconds = _timed(argv, env, project, f"npm install {tag}")
            installed = len([p for p in (project / "node_modules").rglob("package.json")
                             if json.loads(p.read_text()).get("name")])
            wanted = len(self.manifest["npm"]["packages"])
            if installed < wanted:
                raise InstallError(f"npm install {tag}: {installed} of {wanted} packages")
        finally:
            shutil.rmtree(where, ignore_errors=True)
        return seconds


def _timed(argv: list[str], env: dict[str, str], cwd: Path, what: str) -> float:
    started = time.perf_counter()
    out = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True,
                         timeout=TIMEOUT, check=False)
    seconds = time.perf_counter() - started
    if out.returncode != 0:
        raise InstallError(f"{what} failed (exit {out.returncode}):\n"
                           f"{(out.stdout + out.stderr)[-3000:]}")
    log(f"    {what}: {seconds:.2f} s")
    return seconds
