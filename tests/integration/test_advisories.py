"""Importing OSV data (``AdvisoryService`` over a real store, and ``wharf vuln``): what is
stored, what a whole-ecosystem dump replaces, the report, the audit trail, and reading the
data back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from osv_dumps import osv_record, write_dump

from wharf.bootstrap import build_services
from wharf.cli.common import local_admin
from wharf.cli.main import main
from wharf.config.loader import load_settings
from wharf.core.errors import ForbiddenError, UnauthenticatedError
from wharf.core.models import Principal
from wharf.services.container import Services

ADMIN = local_admin()

REQUESTS = osv_record("GHSA-req", "PyPI", "Requests", {"introduced": "0"}, {"fixed": "2.31.0"},
                      severity="MODERATE", aliases=["CVE-2023-32681"])
EVIL = osv_record("MAL-2026-1", "npm", "evil-pkg", {"introduced": "0"}, severity=None)
LODASH = osv_record("GHSA-lod", "npm", "lodash", {"introduced": "0"}, {"fixed": "4.17.21"},
                    severity="CRITICAL")
GO = osv_record("GO-2026-1", "Go", "example.invalid/mod", {"introduced": "0"})


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    settings = load_settings(overrides={"data_dir": str(tmp_path / "data")}, environ={}).settings
    built = await build_services(settings)
    yield built
    await built.close()


async def test_import_stores_each_format_and_reports(services: Services, tmp_path: Path) -> None:
    dump = write_dump(tmp_path / "mixed.zip", [REQUESTS, EVIL, LODASH, GO], junk=True)
    report = await services.advisories.import_dump(dump, ADMIN)

    assert report.records == 4
    assert report.stored == {"python": 1, "npm": 2}
    assert report.imported == 3
    assert report.malware == 1
    assert report.skipped == 1
    assert report.other_ecosystems == {"Go": 1}
    assert report.errors == ["broken.json: not JSON (Expecting property name enclosed in "
                             "double quotes: line 1 column 2 (char 1))"]
    assert not report.complete
    assert report.finished is not None

    assert await services.advisories.has_data("python")
    assert await services.advisories.count("npm") == 2
    [found] = await services.advisories.for_name("python", "REQUESTS")  # normalised
    assert (found.id, found.name, found.severity) == ("GHSA-req", "requests", "moderate")
    assert found.aliases == ("CVE-2023-32681",)
    assert [a.id for a in await services.advisories.affecting("python", "requests", "2.30.0")] \
        == ["GHSA-req"]
    assert await services.advisories.affecting("python", "requests", "2.31.0") == []
    assert [a.id for a in await services.advisories.affecting("npm", "evil-pkg", "9.9.9")] \
        == ["MAL-2026-1"]
    record = await services.advisories.record("GHSA-req")
    assert record == REQUESTS  # kept as imported

    [event] = await services.audit.query(action="vuln.import")
    assert event.actor == ADMIN.user
    assert event.detail["stored"] == {"python": 1, "npm": 2}
    assert event.detail["errors"] == 1


async def test_a_whole_ecosystem_dump_replaces_only_its_ecosystem(
    services: Services, tmp_path: Path
) -> None:
    first = write_dump(tmp_path / "first.zip", [REQUESTS, EVIL, LODASH])
    await services.advisories.import_dump(first, ADMIN)
    # OSV's npm/all.zip, which no longer holds lodash's record
    npm_all = write_dump(tmp_path / "all.zip", [EVIL])
    report = await services.advisories.import_dump(npm_all, ADMIN)
    assert report.complete
    assert report.pruned == {"npm": 1}
    assert await services.advisories.for_name("npm", "lodash") == []
    assert await services.advisories.count("npm") == 1
    assert await services.advisories.count("python") == 1  # another ecosystem: untouched

    # --partial keeps what an all.zip does not hold
    await services.advisories.import_dump(first, ADMIN)
    kept = await services.advisories.import_dump(npm_all, ADMIN, complete=False)
    assert kept.pruned == {}
    assert await services.advisories.count("npm") == 2


async def test_a_whole_dump_with_unreadable_files_removes_nothing(
    services: Services, tmp_path: Path
) -> None:
    await services.advisories.import_dump(write_dump(tmp_path / "a.zip", [EVIL, LODASH]), ADMIN)
    report = await services.advisories.import_dump(
        write_dump(tmp_path / "npm-all.zip", [EVIL], junk=True), ADMIN
    )
    assert report.complete
    assert report.pruned == {}
    assert await services.advisories.count("npm") == 2


async def test_many_records_are_written_in_batches(services: Services, tmp_path: Path) -> None:
    records = [osv_record(f"MAL-2026-{n}", "npm", f"evil-{n}") for n in range(1234)]
    report = await services.advisories.import_dump(write_dump(tmp_path / "m.zip", records), ADMIN)
    assert report.stored == {"npm": 1234}
    assert report.malware == 1234
    assert await services.advisories.count("npm") == 1234


async def test_only_administrators_import(services: Services, tmp_path: Path) -> None:
    dump = write_dump(tmp_path / "a.zip", [EVIL])
    with pytest.raises(UnauthenticatedError):
        await services.advisories.import_dump(dump, Principal())
    with pytest.raises(ForbiddenError):
        await services.advisories.import_dump(dump, Principal(user="bob"))
    assert not await services.advisories.has_data("npm")


async def test_reading_follows_anonymous_read(tmp_path: Path) -> None:
    settings = load_settings(
        overrides={"data_dir": str(tmp_path), "auth": {"anonymous_read": False}}, environ={}
    ).settings
    built = await build_services(settings)
    try:
        with pytest.raises(UnauthenticatedError, match="signed-in users"):
            built.advisories.require_reader(Principal())
        built.advisories.require_reader(Principal(user="bob"))
    finally:
        await built.close()


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exited:
        main(list(argv))
    code = exited.value.code
    return int(code) if isinstance(code, int) else 1, capsys.readouterr().out


def test_cli_import_and_show(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    dump = write_dump(tmp_path / "all.zip", [REQUESTS, EVIL, GO], junk=True)
    code, out = run_cli(capsys, "vuln", "import", str(dump), *data)
    assert code == 0
    assert f"{dump}: 3 record(s) read; stored: npm 1, python 1 (1 malware)" in out
    assert "skipped 1 record(s) of other ecosystems (Go 1)" in out
    assert "nothing was removed" in out  # a whole dump, but with an unreadable file
    assert "broken.json: not JSON" in out

    code, out = run_cli(capsys, "vuln", "show", "python", "requests", "2.30.0", *data)
    assert code == 0
    assert "python requests: 1 advisory(ies), 1 affecting 2.30.0" in out
    assert " * GHSA-req  moderate  Problem GHSA-req in Requests  [fixed in 2.31.0]" in out

    code, out = run_cli(capsys, "vuln", "show", "python", "requests", "2.31.0", *data)
    assert "0 affecting 2.31.0" in out
    assert "   GHSA-req" in out

    code, out = run_cli(capsys, "vuln", "show", "npm", "evil-pkg", *data)
    assert " MAL-2026-1  malware " in out


def test_cli_import_of_nothing_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dump = write_dump(tmp_path / "go.zip", [GO])
    code, out = run_cli(capsys, "vuln", "import", str(dump), "--data-dir", str(tmp_path))
    assert code == 1
    assert "nothing was imported" in out
