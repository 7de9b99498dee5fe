"""The policy engine (issue 4) in front of pip and uv: a Wharf whose pypi-remote proxies a
static upstream with chosen publish times (a month old, an hour old), with the default
cooldown of one day, the typosquat guard, and enforced vulnerability data.

- a fresh version is left out of the listing, so resolvers install the older one;
- a direct download of it (what a lockfile does) is refused with 403, the body naming the
  rule, when the version is held until and the ``wharf policy allow`` command;
- a waiver lets it through until revoked;
- lookalikes of a popular name and of the team's own name are refused, before upstream is
  even asked for them;
- a vulnerable version is refused while its fix, an hour old, skips the cooldown;
- every download is in the audit trail with the client that made it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from . import clients
from .clients import Run
from .packages import write_wheel
from .policy_cli import held_until, poll_cli, waive
from .servers import ADMIN, StartServer, WharfServer
from .static_upstream import StaticIndex, ago, osv_record, write_osv_zip

pytestmark = pytest.mark.e2e

ADVISORY = "GHSA-wh4r-f1xd-3m0a"


@dataclass(frozen=True)
class Policed:
    server: WharfServer
    static: StaticIndex
    wheels: dict[str, Path]  # "cooldemo-2.0" -> the wheel the static upstream serves
    published: dict[str, datetime]  # the same keys -> its upload-time upstream
    tmp: Path

    @property
    def group(self) -> str:
        """The pypi group's simple URL: ``/pypi/simple/``."""
        return self.server.index_simple_url("pypi")

    def file_url(self, key: str) -> str:
        wheel = self.wheels[key]
        return f"{self.server.url}/pypi/files/{key.rsplit('-', 1)[0]}/{wheel.name}"


@pytest.fixture(scope="module")
def policed(
    start_server: StartServer, start_static: Callable[[str], StaticIndex],
    tmp_path_factory: pytest.TempPathFactory,
) -> Policed:
    tmp = tmp_path_factory.mktemp("policy-python")
    static = start_static("policy-python-upstream")
    releases = {
        "cooldemo-1.0": ago(days=30),
        "cooldemo-2.0": ago(hours=1),
        "reqeusts-1.0": ago(days=30),
        "corp-auht-1.0": ago(days=30),
        "fixdemo-1.0": ago(days=60),
        "fixdemo-1.1": ago(hours=1),
    }
    wheels = {}
    for key, published in releases.items():
        name, version = key.rsplit("-", 1)
        wheels[key] = static.add_python(name, version, published)
    server = start_server(
        "policy-python", upstream=static.simple_url, npm_upstream=static.npm_url,
        WHARF_POLICY_COOLDOWN_MODE="enforce", WHARF_POLICY_VULNERABILITIES_MODE="enforce",
    )
    server.add_user(*ADMIN, admin=True)
    # The team's own corp-auth: its lookalike upstream must be refused.
    corp = write_wheel(tmp / "corp", name="corp-auth", version="1.0")
    uploaded = clients.twine_upload(server.index_url("pypi-local"), [corp], *ADMIN)
    assert uploaded.ok, str(uploaded)
    dump = write_osv_zip(tmp / "advisories.zip", [
        osv_record(ADVISORY, "PyPI", "fixdemo", fixed="1.1", kind="ECOSYSTEM"),
    ])
    imported = server.cli("vuln", "import", str(dump))
    assert "stored: python 1" in imported.stdout, imported
    return Policed(server, static, wheels, releases, tmp)


@pytest.fixture(scope="module")
def cooldemo_installs(policed: Policed) -> dict[str, tuple[Run, Path]]:
    """``pip install cooldemo`` and ``uv pip install cooldemo`` through the group, once:
    the listing test checks what they installed, the audit test that they were recorded."""
    found = {}
    for name, install in (("pip", clients.pip_install), ("uv", clients.uv_install)):
        where = policed.tmp / f"cooldemo-{name}"
        found[name] = (install(policed.group, "cooldemo", target=where), where)
    return found


def test_cooldown_hides_the_fresh_version_from_pip_and_uv(
    policed: Policed, cooldemo_installs: dict[str, tuple[Run, Path]]
) -> None:
    page = clients.simple_json(policed.group, "cooldemo")
    assert page.status_code == 200, page.text
    assert [f["filename"] for f in page.json()["files"]] == [policed.wheels["cooldemo-1.0"].name]
    assert page.json()["versions"] == ["1.0"]
    html = httpx.get(f"{policed.group}cooldemo/", timeout=30)
    assert policed.wheels["cooldemo-1.0"].name in html.text
    assert "cooldemo-2.0" not in html.text
    # The proxy itself does see both (the upstream offers both).
    assert policed.static.asked_for("/simple/cooldemo/")

    for name, (result, where) in cooldemo_installs.items():
        assert result.ok, f"{name}: {result}"
        assert clients.installed_version(where, "cooldemo") == "1.0", str(result)


def test_a_direct_download_of_the_held_version_is_refused_with_the_reason(
    policed: Policed,
) -> None:
    url = policed.file_url("cooldemo-2.0")
    # pip and uv show the status and the URL, not the body.
    pip = clients.pip_install(policed.group, url, target=policed.tmp / "direct-pip")
    assert not pip.ok, str(pip)
    assert f"HTTP error 403 while getting {url}" in pip.output, str(pip)
    uv = clients.uv_install(policed.group, f"cooldemo @ {url}", target=policed.tmp / "direct-uv")
    assert not uv.ok, str(uv)
    assert f"403 Forbidden) for url ({url})" in uv.output, str(uv)
    assert not (policed.tmp / "direct-pip" / "cooldemo").exists()
    assert not (policed.tmp / "direct-uv" / "cooldemo").exists()

    # The body says why and what to do (pip -v and browsers show it).
    response = httpx.get(url, timeout=30)
    assert response.status_code == 403, response.text
    body = response.text
    assert "Refused by policy rule 'cooldown'" in body, body
    assert f"held back until {held_until(policed.published['cooldemo-2.0'])}" in body, body
    assert "wharf policy allow python 'cooldemo==2.0' --rule cooldown" in body, body

    refusals = poll_cli(policed.server, "audit", "log", "--action", "policy.deny",
                        "--project", "cooldemo",
                        until=lambda out: policed.wheels["cooldemo-2.0"].name in out)
    assert policed.wheels["cooldemo-2.0"].name in refusals, refusals
    assert "cooldown" in refusals, refusals


def test_a_waiver_lets_the_held_version_install_until_revoked(policed: Policed) -> None:
    server = policed.server
    waiver = waive(server, "python", "cooldemo==2.0", "cooldown")
    try:
        assert "cooldemo 2.0  cooldown" in server.cli("policy", "waivers").stdout
        where = policed.tmp / "waived-pip"
        result = clients.pip_install(policed.group, "cooldemo==2.0", target=where)
        assert result.ok, str(result)
        assert clients.installed_version(where, "cooldemo") == "2.0", str(result)
        assert "2.0" in clients.simple_json(policed.group, "cooldemo").json()["versions"]
    finally:
        revoked = server.cli("policy", "revoke", waiver)
    assert revoked.stdout.startswith(f"revoked: #{waiver}"), revoked
    assert clients.simple_json(policed.group, "cooldemo").json()["versions"] == ["1.0"]
    assert httpx.get(policed.file_url("cooldemo-2.0"), timeout=30).status_code == 403


def test_lookalikes_of_popular_and_private_names_are_refused(policed: Policed) -> None:
    pip = clients.pip_install(policed.group, "reqeusts", target=policed.tmp / "squat-pip")
    assert not pip.ok, str(pip)
    # pip shows an index page's HTTP error only with -vv; uv names the status.
    assert "No matching distribution found for reqeusts" in pip.output, str(pip)
    uv = clients.uv_install(policed.group, "reqeusts", target=policed.tmp / "squat-uv")
    assert not uv.ok, str(uv)
    assert "403 Forbidden" in uv.output, str(uv)

    page = httpx.get(f"{policed.group}reqeusts/", timeout=30)
    assert page.status_code == 403, page.text
    assert "Refused by policy rule 'typosquat'" in page.text, page.text
    assert "looks like the popular 'requests'" in page.text, page.text
    # Refused at ingest: the upstream was never asked for the name.
    assert policed.static.asked_for("reqeusts") == []

    private = clients.pip_install(policed.group, "corp-auht", target=policed.tmp / "squat-corp")
    assert not private.ok, str(private)
    assert "No matching distribution found for corp-auht" in private.output, str(private)
    page = httpx.get(f"{policed.group}corp-auht/", timeout=30)
    assert page.status_code == 403, page.text
    assert "looks like 'corp-auth', a name this registry hosts" in page.text, page.text
    assert policed.static.asked_for("corp-auht") == []
    # The genuine private name installs.
    where = policed.tmp / "corp-genuine"
    genuine = clients.pip_install(policed.group, "corp-auth", target=where)
    assert genuine.ok, str(genuine)
    assert clients.installed_version(where, "corp-auth") == "1.0"


def test_a_vulnerable_version_is_refused_and_its_fix_skips_the_cooldown(
    policed: Policed,
) -> None:
    pinned = clients.pip_install(policed.group, "fixdemo==1.0", target=policed.tmp / "vuln-pip")
    assert not pinned.ok, str(pinned)
    # The listing leaves 1.0 out: pip sees only the fix.
    assert "(from versions: 1.1)" in pinned.output, str(pinned)
    assert "No matching distribution found for fixdemo==1.0" in pinned.output, str(pinned)

    response = httpx.get(policed.file_url("fixdemo-1.0"), timeout=30)
    assert response.status_code == 403, response.text
    assert "Refused by policy rule 'vulnerability'" in response.text, response.text
    assert ADVISORY in response.text, response.text
    assert "fixed in 1.1" in response.text, response.text

    # 1.1 is an hour old, inside the one-day cooldown, yet served: it delivers the fix.
    assert policed.published["fixdemo-1.1"] > ago(days=1)
    where = policed.tmp / "vuln-fixed"
    fixed = clients.pip_install(policed.group, "fixdemo", target=where)
    assert fixed.ok, str(fixed)
    assert clients.installed_version(where, "fixdemo") == "1.1", str(fixed)


def test_the_audit_trail_names_who_downloaded_a_version(
    policed: Policed, cooldemo_installs: dict[str, tuple[Run, Path]]
) -> None:
    wheel = policed.wheels["cooldemo-1.0"].name

    def by_both(output: str) -> bool:
        lines = [line for line in output.splitlines() if wheel in line]
        return any(" pip/" in line for line in lines) and any(" uv/" in line for line in lines)

    for name, (result, _) in cooldemo_installs.items():
        assert result.ok, f"{name}: {result}"
    listed = poll_cli(policed.server, "audit", "downloads", "cooldemo==1.0", until=by_both)
    assert by_both(listed), listed
    assert "artifact.download" in listed, listed


def test_policy_show_prints_the_settings_and_the_rules_per_index(policed: Policed) -> None:
    shown = policed.server.cli("policy", "show").stdout
    assert "policy.cooldown.min_age = '1d'" in shown, shown
    assert "WHARF_POLICY_COOLDOWN_MIN_AGE" in shown, shown
    assert "policy.vulnerabilities.mode = 'enforce'" in shown, shown
    rules = {line.split(":", 1)[0]: line for line in shown.splitlines()
             if line.startswith(("pypi-remote:", "npm-remote:", "pypi-local:"))}
    for index in ("pypi-remote", "npm-remote"):
        for rule in ("cooldown (enforce)", "typosquat (enforce)", "vulnerability (enforce)"):
            assert rule in rules.get(index, ""), shown
