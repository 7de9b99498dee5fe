"""Every upload client the issue names speaks the legacy upload API its own way: twine
(test_hosted), flit (its own form, built in-process) and a plain ``uv publish`` (no
``--check-url``). Each publishes through the group URL and the result installs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from . import clients
from .packages import Spec, build_one
from .servers import ADMIN, WharfServer

pytestmark = pytest.mark.e2e

FLIT_PYPROJECT = """\
[build-system]
requires = ["flit_core >=3.9,<5"]
build-backend = "flit_core.buildapi"

[project]
name = "{name}"
version = "{version}"
description = "Wharf end-to-end test package published with flit"
requires-python = ">=3.8"
"""


def write_flit_project(root: Path, name: str, version: str) -> Path:
    module = name.replace("-", "_")
    project = root / "flit-project"
    (project / module).mkdir(parents=True)
    (project / "pyproject.toml").write_text(FLIT_PYPROJECT.format(name=name, version=version))
    (project / module / "__init__.py").write_text(f'"""{name}."""\n\n__version__ = "{version}"\n')
    return project


def test_flit_publish_uploads_wheel_and_sdist(
    plain: WharfServer, tmp_path: Path, target: Callable[[str], Path]
) -> None:
    name = "wharf-e2e-flit"
    project = write_flit_project(tmp_path, name, "0.3")
    home = tmp_path / "home"
    home.mkdir()

    result = clients.flit_publish(project, plain.index_url("pypi"), *ADMIN, home=home)
    assert result.ok, str(result)

    listed = clients.listed_files(plain.index_simple_url("pypi-local"), name)
    assert sorted(f.rsplit(".", 1)[-1] for f in listed) == ["gz", "whl"], listed
    assert all(f.startswith("wharf_e2e_flit-0.3") for f in listed), listed
    for entry in listed.values():
        assert entry["requires-python"] == ">=3.8"

    installed = target("uv")
    run = clients.uv_install(plain.simple_url, name, target=installed)
    assert run.ok, str(run)
    assert clients.installed_version(installed, name) == "0.3"


def test_flit_publish_with_a_wrong_password_is_refused(plain: WharfServer, tmp_path: Path) -> None:
    name = "wharf-e2e-flit-refused"
    project = write_flit_project(tmp_path, name, "1.0")
    home = tmp_path / "home"
    home.mkdir()

    result = clients.flit_publish(
        project, plain.index_url("pypi"), ADMIN[0], "not-the-password", home=home
    )
    assert not result.ok, str(result)
    assert "401" in result.output, str(result)
    assert clients.listed_files(plain.index_simple_url("pypi-local"), name) == {}


def test_plain_uv_publish_uploads_then_refuses_other_bytes(
    plain: WharfServer, tmp_path: Path, target: Callable[[str], Path]
) -> None:
    first = build_one(tmp_path / "a", Spec("uvpub-1.0", "wharf-e2e-uvpub", "1.0"))
    result = clients.uv_publish(plain.index_url("pypi"), first.files, *ADMIN)
    assert result.ok, str(result)
    listed = clients.listed_files(plain.index_simple_url("pypi-local"), "wharf-e2e-uvpub")
    assert set(listed) == {first.wheel.name, first.sdist.name}

    installed = target("pip")
    run = clients.pip_install(plain.simple_url, "wharf-e2e-uvpub", target=installed)
    assert run.ok, str(run)
    assert clients.installed_version(installed, "wharf-e2e-uvpub") == "1.0"

    # Rebuilt with other contents under the same filenames: uv shows the server's reason.
    other = build_one(
        tmp_path / "b", Spec("uvpub-1.0-b", "wharf-e2e-uvpub", "1.0", note="other bytes")
    )
    result = clients.uv_publish(plain.index_url("pypi"), [other.wheel], *ADMIN)
    assert not result.ok, str(result)
    assert "409" in result.output, str(result)
    assert "already" in result.output.lower(), str(result)
