"""pip requirements files, uv.lock and poetry.lock read into entries, and the dispatcher."""

import dataclasses
from pathlib import Path

import pytest

from wharf.core.errors import InvalidRequestError
from wharf.formats.lockfiles import LockEntry, read_lockfile

FIXTURES = Path(__file__).parent / "lockfiles"

Row = tuple[str, str | None, str, str]


def rows(path: Path) -> list[Row]:
    entries = read_lockfile(path)
    assert all(entry.format == "python" for entry in entries)
    return [(entry.name, entry.version, entry.where, entry.note) for entry in entries]


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_requirements_file_with_includes_constraints_hashes_and_direct_references() -> None:
    # -r base.txt comes first, so base.txt's pins are listed first; base.txt includes the
    # top file back, which is not read twice; anyio pinned in both keeps base.txt's line.
    assert rows(FIXTURES / "requirements" / "requirements.txt") == [
        ("httpx", "0.27.0", "base.txt:3", ""),
        ("sniffio", "1.3.1", "base.txt:4", ""),
        ("anyio", "4.4.0", "base.txt:5", ""),
        ("urllib3", "2.2.1", "constraints.txt:1", ""),
        ("certifi", "2024.2.2", "constraints.txt:2", ""),
        ("django", "4.2.11", "requirements.txt:17", ""),
        ("charset-normalizer", "3.3.2", "requirements.txt:19", ""),
        ("zope-interface", "6.4.post2", "requirements.txt:20", ""),
        ("requests", None, "requirements.txt:21", "range >=2.31,<3, not pinned"),
        ("typing-extensions", None, "requirements.txt:22", "no version given"),
        ("idna", None, "requirements.txt:23", "range ==3.*, not pinned"),
        ("mylib", None, "requirements.txt:24", "git source"),
        ("acme-tool", None, "requirements.txt:25", "editable git source"),
        # "-e ." (line 26) is the project's own tree: no entry.
        ("pillow", None, "requirements.txt:27", "local path"),
        ("legacy-pkg", None, "requirements.txt:28", "URL source"),
    ]


def test_continuation_lines_take_the_first_line_number(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "requirements.txt",
        "alpha==1.0 \\\n"
        "    --hash=sha256:aaaa \\\n"
        "    --hash=sha256:bbbb\n"
        "beta==2.0 \\\n"
        "# a comment line ends the continuation, as in pip\n"
        "gamma==3.0  # trailing comment\n"
        "delta @ http://127.0.0.1:9000/delta.tar.gz#sha256=cccc\n",
    )
    assert rows(path) == [
        ("alpha", "1.0", "requirements.txt:1", ""),
        ("beta", "2.0", "requirements.txt:4", ""),
        ("gamma", "3.0", "requirements.txt:6", ""),
        ("delta", None, "requirements.txt:7", "URL source"),
    ]


@pytest.mark.parametrize(
    "include",
    [
        "-r base.txt",
        "-rbase.txt",
        "--requirement base.txt",
        "--requirement=base.txt",
        '-r "base.txt"',
        "-c base.txt",
        "--constraint=base.txt",
    ],
)
def test_every_spelling_of_an_include_is_followed(tmp_path: Path, include: str) -> None:
    write(tmp_path, "base.txt", "six==1.16.0\n")
    path = write(
        tmp_path, "requirements.txt", f"--index-url http://127.0.0.1:8080/simple/\n{include}\n"
    )
    assert rows(path) == [("six", "1.16.0", "base.txt:1", "")]


def test_an_include_in_another_folder_is_named_relative_to_the_top_file(tmp_path: Path) -> None:
    write(tmp_path, "common/base.txt", "-r ../service/more.in\nsix==1.16.0\n")
    write(tmp_path, "service/more.in", "attrs==23.2.0\n")
    path = write(tmp_path, "service/requirements.txt", "-r ../common/base.txt\n")
    assert rows(path) == [
        ("attrs", "23.2.0", "more.in:1", ""),
        ("six", "1.16.0", "../common/base.txt:2", ""),
    ]


def test_a_missing_include_names_the_line_that_named_it(tmp_path: Path) -> None:
    path = write(tmp_path, "requirements.txt", "six==1.16.0\n-r missing.txt\n")
    with pytest.raises(InvalidRequestError) as caught:
        read_lockfile(path)
    assert "missing.txt" in caught.value.message
    assert "named at requirements.txt:2" in caught.value.message


def test_a_remote_include_is_refused_with_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path, "requirements.txt", "-r http://127.0.0.1:9000/reqs.txt\n")
    with pytest.raises(InvalidRequestError) as caught:
        read_lockfile(path)
    assert "requirements.txt:1" in caught.value.message
    assert "local copy" in caught.value.hint


def test_an_invalid_requirement_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "requirements.txt", "six==1.16.0\n\nnot a requirement!!\n")
    with pytest.raises(InvalidRequestError) as caught:
        read_lockfile(path)
    assert caught.value.message.startswith("requirements.txt:3: ")


def test_direct_references_without_a_name(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "requirements.in",
        "git+https://git.example.test/acme/tool.git@v2\n"
        "./libs/own-code\n"
        "-e ./libs/editable_lib\n"
        "-e hg+https://hg.example.test/thing#egg=The_Thing[extra]&subdirectory=py\n"
        "http://127.0.0.1:9000/dist/Report_Kit-5.0.0-py3-none-any.whl\n",
    )
    assert rows(path) == [
        (
            "git+https://git.example.test/acme/tool.git@v2",
            None,
            "requirements.in:1",
            "git source without a project name",
        ),
        ("the-thing", None, "requirements.in:4", "editable hg source"),
        ("report-kit", None, "requirements.in:5", "URL source"),
    ]


def test_uv_lock_skips_the_project_and_workspace_members() -> None:
    assert rows(FIXTURES / "uv" / "uv.lock") == [
        ("anyio", "4.4.0", "uv.lock:38", ""),
        ("idna", "3.7", "uv.lock:51", ""),
        ("markdown-it-py", None, "uv.lock:59", "git source"),
        ("numpy", "1.26.4", "uv.lock:64", ""),
        ("numpy", "2.0.0", "uv.lock:73", ""),
        ("pdf-tools", None, "uv.lock:82", "URL source"),
        ("sniffio", "1.3.1", "uv.lock:90", ""),
        ("vendored-codec", None, "uv.lock:98", "local file"),
        ("local-plugin", None, "uv.lock:106", "local directory"),
    ]


def test_uv_lock_virtual_root_and_a_package_without_a_version(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "uv.lock",
        'version = 1\nrevision = 2\nrequires-python = ">=3.12"\n\n'
        '[[package]]\nname = "monorepo"\nversion = "0.0.0"\nsource = { virtual = "." }\n\n'
        '[[package]]\nname = "dyn-lib"\nsource = { git = "https://git.example.test/dyn#abc" }\n\n'
        '[[package]]\nname = "no-version"\nsource = { registry = "http://127.0.0.1/simple" }\n',
    )
    assert rows(path) == [
        ("dyn-lib", None, "uv.lock:10", "git source"),
        ("no-version", None, "uv.lock:14", "no version in the lockfile"),
    ]


def test_poetry_lock_sources() -> None:
    assert rows(FIXTURES / "poetry" / "poetry.lock") == [
        ("certifi", "2024.2.2", "poetry.lock:3", ""),
        ("flask", "3.0.3", "poetry.lock:14", ""),
        ("internal-auth", "1.4.0", "poetry.lock:31", ""),  # a "legacy" source is an index
        ("ruamel-yaml", None, "poetry.lock:46", "git source"),
        ("shared-models", None, "poetry.lock:61", "local directory"),
        ("report-kit", None, "poetry.lock:74", "URL source"),
    ]


def test_broken_toml_is_a_refusal_naming_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "poetry.lock", '[[package]]\nname = "x"\nversion = \n')
    with pytest.raises(InvalidRequestError) as caught:
        read_lockfile(path)
    assert caught.value.message.startswith("poetry.lock:3: not valid TOML")


def test_a_package_table_without_a_name_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "uv.lock", 'version = 1\n\n[[package]]\nversion = "1.0"\n')
    with pytest.raises(InvalidRequestError, match=r"uv\.lock:3: .*no name"):
        read_lockfile(path)


def test_an_unknown_file_name_lists_the_supported_kinds(tmp_path: Path) -> None:
    path = write(tmp_path, "Pipfile.lock", "{}")
    with pytest.raises(InvalidRequestError) as caught:
        read_lockfile(path)
    assert "'Pipfile.lock'" in caught.value.message
    for kind in (
        "requirements*.txt",
        "uv.lock",
        "poetry.lock",
        "package-lock.json",
        "pnpm-lock.yaml",
        "yarn.lock",
    ):
        assert kind in caught.value.hint


@pytest.mark.parametrize("name", ["missing/requirements.txt", "folder.txt"])
def test_an_unreadable_file_is_a_refusal_naming_it(tmp_path: Path, name: str) -> None:
    (tmp_path / "folder.txt").mkdir()
    with pytest.raises(InvalidRequestError) as caught:
        read_lockfile(tmp_path / name)
    assert f"cannot read {tmp_path / name}" in caught.value.message
    assert "uv.lock" in caught.value.hint


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_bytes(b"caf\xe9==1.0\n")
    with pytest.raises(InvalidRequestError, match="not UTF-8"):
        read_lockfile(path)


def test_a_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_bytes(b"\xef\xbb\xbfsix==1.16.0\n")
    assert rows(path) == [("six", "1.16.0", "requirements.txt:1", "")]


def test_entries_are_immutable_values() -> None:
    entry = LockEntry("python", "six", "1.16.0", "requirements.txt:1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.name = "other"  # type: ignore[misc]
    assert entry == LockEntry("python", "six", "1.16.0", "requirements.txt:1", "")


def test_an_include_by_absolute_path_is_named_as_written(tmp_path: Path) -> None:
    pins = write(tmp_path, "shared/pins.txt", "six==1.16.0\n")
    path = write(tmp_path, "app/requirements.txt", f"-c {pins}\n")
    assert rows(path) == [("six", "1.16.0", f"{pins.as_posix()}:1", "")]
