"""Settings sources and their precedence; unknown keys are errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from wharf.config.loader import env_name, iter_keys, load_settings
from wharf.core.errors import ConfigurationError


def test_defaults_use_the_xdg_data_home(tmp_path: Path) -> None:
    loaded = load_settings(environ={"XDG_DATA_HOME": str(tmp_path)})
    assert loaded.settings.data_dir == tmp_path / "wharf"
    assert loaded.settings.server.port == 8080
    assert loaded.settings.database_url == f"sqlite:///{tmp_path / 'wharf' / 'wharf.db'}"


def test_file_then_environment_then_command_line(tmp_path: Path) -> None:
    (tmp_path / "wharf.toml").write_text(
        '[server]\nport = 9000\nhost = "0.0.0.0"\n[pypi]\nupstream = "http://file.test/simple/"\n'
    )
    env = {"WHARF_DATA_DIR": str(tmp_path), "WHARF_SERVER_PORT": "9100"}
    loaded = load_settings(environ=env, overrides={"server.host": "127.0.0.2"})
    assert loaded.settings.server.port == 9100
    assert loaded.settings.server.host == "127.0.0.2"
    assert loaded.settings.pypi.upstream == "http://file.test/simple/"
    assert loaded.sources["server.port"] == "environment WHARF_SERVER_PORT"
    assert loaded.sources["server.host"] == "command line"
    assert loaded.sources["pypi.upstream"].startswith("file ")


def test_unknown_file_key_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "wharf.toml").write_text("[server]\nprot = 1\n")
    with pytest.raises(ConfigurationError, match=r"Unknown setting\(s\) .*server.prot"):
        load_settings(environ={"WHARF_DATA_DIR": str(tmp_path)})


def test_unknown_environment_variable_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="WHARF_SERVR_PORT"):
        load_settings(environ={"WHARF_DATA_DIR": str(tmp_path), "WHARF_SERVR_PORT": "1"})


def test_test_variables_are_not_settings(tmp_path: Path) -> None:
    env = {"WHARF_DATA_DIR": str(tmp_path), "WHARF_TEST_ANYTHING": "x"}
    assert load_settings(environ=env).settings.data_dir == tmp_path


def test_invalid_values_are_explained(tmp_path: Path) -> None:
    env = {"WHARF_DATA_DIR": str(tmp_path), "WHARF_SERVER_PORT": "eighty"}
    with pytest.raises(ConfigurationError, match=r"server\.port"):
        load_settings(environ=env)


def test_a_missing_explicit_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_settings(environ={}, config_file=tmp_path / "nope.toml")


def test_every_key_has_a_variable() -> None:
    keys = list(iter_keys())
    assert "pypi.upstream" in keys
    assert env_name("pypi.upstream") == "WHARF_PYPI_UPSTREAM"
    assert env_name("data_dir") == "WHARF_DATA_DIR"
