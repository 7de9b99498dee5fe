"""``wharf policy check|show|allow|waivers|revoke`` and ``wharf audit`` on a data
directory, without a server (the environment says where the upstreams would be: nowhere
reachable, since a dry run never asks them)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wharf.cli.main import main

OFFLINE = {"WHARF_PYPI_UPSTREAM": "http://127.0.0.1:9/simple/",
           "WHARF_NPM_UPSTREAM": "http://127.0.0.1:9/"}


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key, value in OFFLINE.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("WHARF_DATA_DIR", str(tmp_path / "data"))


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exited:
        main(list(argv))
    code = exited.value.code
    return int(code) if isinstance(code, int) else 1, capsys.readouterr().out


def test_check_lists_refused_entries_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("reqeusts==2.31.0\nrequests==2.31.0\nflask>=3\n")
    lock = tmp_path / "package-lock.json"
    lock.write_text(json.dumps({"name": "app", "lockfileVersion": 3, "packages": {
        "": {"name": "app"},
        "node_modules/loadsh": {"version": "4.17.21"},
        "node_modules/lodash": {"version": "4.17.21"},
    }}))
    code, out = run_cli(capsys, "policy", "check", str(requirements), str(lock))
    assert code == 1
    refused = [line for line in out.splitlines() if line.startswith("REFUSED")]
    assert len(refused) == 2
    assert "requirements.txt:1" in refused[0]
    assert "[typosquat]" in refused[0]
    assert "'requests'" in refused[0]
    assert "node_modules/loadsh" in refused[1]
    assert "'lodash'" in refused[1]
    assert "5 entries: 2 refused, 3 allowed" in out


def test_check_passes_a_clean_file_and_says_what_it_could_not_judge(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("requests==2.31.0\nflask\n")
    code, out = run_cli(capsys, "policy", "check", str(requirements), "-v")
    assert code == 0
    assert "not held or cached here" in out
    assert "judged by name only" in out


def test_check_applies_configured_deny_entries(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "wharf.toml"
    config.write_text('[[policy.rules]]\naction = "deny"\npackages = ["left-pad"]\n'
                      'versions = "<1.3.0"\nreason = "broken releases"\n')
    lock = tmp_path / "yarn.lock"
    lock.write_text('# yarn lockfile v1\n\n\nleft-pad@^1.1.0:\n  version "1.1.3"\n'
                    '  resolved "http://127.0.0.1:9/left-pad/-/left-pad-1.1.3.tgz"\n')
    code, out = run_cli(capsys, "policy", "check", str(lock), "--config", str(config))
    assert code == 1
    assert "left-pad 1.1.3" in out
    assert "broken releases" in out


def test_waivers_are_granted_listed_and_revoked(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_cli(capsys, "policy", "allow", "npm", "@corp/ui@2.0.0", "--rule",
                        "cooldown", "--for", "7d", "--reason", "hotfix")
    assert code == 0
    assert "@corp/ui 2.0.0" in out
    assert "cooldown" in out
    code, out = run_cli(capsys, "policy", "waivers")
    assert "#1  npm  @corp/ui 2.0.0  cooldown" in out
    assert "1 waiver(s)" in out
    code, out = run_cli(capsys, "policy", "revoke", "1")
    assert code == 0
    code, out = run_cli(capsys, "policy", "waivers")
    assert "0 waiver(s)" in out
    code, out = run_cli(capsys, "audit", "log", "--action", "policy.waiver")
    assert "policy.waiver.add" in out
    assert "policy.waiver.remove" in out


def test_a_waiver_without_a_reason_or_in_the_past_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _ = run_cli(capsys, "policy", "allow", "python", "requests==2.0", "--reason", " ")
    assert code == 1
    code, _ = run_cli(capsys, "policy", "allow", "python", "requests==2.0", "--until",
                      "2001-01-01", "--reason", "x")
    assert code == 1


def test_show_prints_every_default_and_the_rules_per_index(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = run_cli(capsys, "policy", "show")
    assert code == 0
    assert "policy.cooldown.min_age = '1d'    # default; WHARF_POLICY_COOLDOWN_MIN_AGE" in out
    assert "policy.typosquat.mode = 'enforce'" in out
    assert "policy.cooldown.fast_lane = True" in out


def test_audit_downloads_with_nothing_recorded(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_cli(capsys, "audit", "downloads", "requests==2.31.0")
    assert code == 0
    assert "0 download(s) of requests==2.31.0" in out
