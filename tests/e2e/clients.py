"""The real clients (pip, uv, twine, from the tests' own environment), with every bit of
user or machine configuration shut out, so they talk only to the Wharf under test."""

from __future__ import annotations

import email.parser
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx

from .servers import BIN, clean_environ

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
CLIENT_TIMEOUT = 20  # seconds, for pip/uv network operations: a hang fails, never waits


@dataclass(frozen=True)
class Run:
    argv: list[str]
    returncode: int
    output: str  # stdout and stderr together

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def __str__(self) -> str:
        return f"$ {' '.join(self.argv)}\n(exit {self.returncode})\n{self.output}"


def client_env() -> dict[str, str]:
    return clean_environ(
        PIP_CONFIG_FILE="/dev/null",
        UV_NO_CONFIG="1",
        UV_HTTP_TIMEOUT=str(CLIENT_TIMEOUT),
        UV_HTTP_RETRIES="0",
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        COLUMNS="400",  # twine prints through rich: no wrapped messages
        NO_COLOR="1",
        TERM="dumb",
    )


def run(
    argv: list[str],
    *,
    timeout: float = 180,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Run:
    result = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        env={**client_env(), **(env or {})},
        cwd=cwd,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    return Run(argv, result.returncode, result.stdout + result.stderr)


def pip_install(
    index_url: str,
    *requirements: str,
    target: Path,
    timeout: float = 180,
    options: tuple[str, ...] = (),
) -> Run:
    return run(
        [
            str(BIN / "pip"),
            "--isolated",
            "--no-cache-dir",
            "--disable-pip-version-check",
            "--no-input",
            "install",
            "--index-url",
            index_url,
            "--target",
            str(target),
            "--timeout",
            str(CLIENT_TIMEOUT),
            "--retries",
            "0",
            "--no-color",
            *options,
            *requirements,
        ],
        timeout=timeout,
    )


def uv_install(index_url: str, *requirements: str, target: Path, timeout: float = 180) -> Run:
    return run(
        [
            str(BIN / "uv"),
            "pip",
            "install",
            "--no-cache",
            "--no-config",
            "--python",
            sys.executable,
            "--index-url",
            index_url,
            "--target",
            str(target),
            *requirements,
        ],
        timeout=timeout,
    )


def twine_upload(
    repository_url: str,
    files: Iterable[Path],
    user: str | None,
    password: str | None,
    *extra: str,
) -> Run:
    argv = [
        str(BIN / "twine"),
        "upload",
        "--non-interactive",
        "--disable-progress-bar",
        "--repository-url",
        repository_url,
    ]
    if user is not None:
        argv += ["-u", user]
    if password is not None:
        argv += ["-p", password]
    return run([*argv, *extra, *(str(f) for f in files)])


def uv_publish(
    publish_url: str, files: Iterable[Path], user: str, password: str, *extra: str
) -> Run:
    return run(
        [
            str(BIN / "uv"),
            "publish",
            "--no-cache",
            "--no-config",
            "--publish-url",
            publish_url,
            "-u",
            user,
            "-p",
            password,
            *extra,
            *(str(f) for f in files),
        ]
    )


def flit_publish(
    project_dir: Path, repository_url: str, user: str, password: str, *, home: Path
) -> Run:
    """``flit publish`` of the flit project in ``project_dir`` (it builds, then uploads);
    ``home`` is an empty directory so no ~/.pypirc of the machine is read."""
    return run(
        [str(BIN / "flit"), "publish"],
        cwd=project_dir,
        env={
            "HOME": str(home),
            "FLIT_INDEX_URL": repository_url,
            "FLIT_USERNAME": user,
            "FLIT_PASSWORD": password,
        },
    )


def installed_version(target: Path, project: str) -> str | None:
    """The version of ``project`` installed in ``target`` (from its dist-info), or None."""
    stem = project.replace("-", "_")
    found = sorted(target.glob(f"{stem}-*.dist-info"))
    if not found:
        return None
    assert len(found) == 1, found
    metadata = email.parser.BytesParser().parsebytes((found[0] / "METADATA").read_bytes())
    return str(metadata["Version"])


def simple_json(index_simple_url: str, project: str) -> httpx.Response:
    return httpx.get(
        f"{index_simple_url}{project}/",
        headers={"Accept": SIMPLE_JSON},
        timeout=30,
        follow_redirects=True,
    )


def listed_files(index_simple_url: str, project: str) -> dict[str, dict[str, object]]:
    """filename -> file entry of the project's PEP 691 page ({} when the page is a 404)."""
    response = simple_json(index_simple_url, project)
    if response.status_code == 404:
        return {}
    assert response.status_code == 200, (response.status_code, response.text)
    return {f["filename"]: f for f in response.json()["files"]}
