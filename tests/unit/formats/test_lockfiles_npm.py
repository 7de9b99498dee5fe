"""package-lock.json, pnpm-lock.yaml and yarn.lock of every version read into entries."""

import shutil
from pathlib import Path

import pytest

from wharf.core.errors import InvalidRequestError
from wharf.formats.lockfiles import read_lockfile

FIXTURES = Path(__file__).parent / "lockfiles"

Row = tuple[str, str | None, str, str]


def rows(path: Path) -> list[Row]:
    entries = read_lockfile(path)
    assert all(entry.format == "npm" for entry in entries)
    return [(entry.name, entry.version, entry.where, entry.note) for entry in entries]


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_package_lock_v1_nested_dependencies_aliases_and_sources() -> None:
    lock = "package-lock.json: node_modules/"
    assert rows(FIXTURES / "npm-v1" / "package-lock.json") == [
        ("@babel/code-frame", "7.10.4", f"{lock}@babel/code-frame", ""),
        ("debug", "4.3.1", f"{lock}debug", ""),
        ("ms", "2.1.2", f"{lock}debug/node_modules/ms", ""),
        ("left-pad", None, f"{lock}left-pad", "git source"),
        # "local-utils": "file:../local-utils" is a linked folder: no entry.
        ("ms", "2.0.0", f"{lock}ms", ""),
        ("string-width", "4.2.3", f"{lock}string-width-cjs", ""),
        ("vendored", None, f"{lock}vendored", "local path"),
    ]


def test_package_lock_v2_reads_packages_not_the_v1_copy() -> None:
    lock = "package-lock.json: node_modules/"
    assert rows(FIXTURES / "npm-v2" / "package-lock.json") == [
        ("chalk", "2.4.2", f"{lock}chalk-legacy", ""),
        ("debug", "4.3.4", f"{lock}debug", ""),
        ("ms", "2.1.2", f"{lock}ms", ""),
    ]


def test_package_lock_v3_paths_links_and_workspaces() -> None:
    lock = "package-lock.json: "
    assert rows(FIXTURES / "npm-v3" / "package-lock.json") == [
        ("@tanstack/react-query", "5.0.0", f"{lock}node_modules/@tanstack/react-query", ""),
        # node_modules/@web-app/ui is a link to the workspace folder: no entry.
        ("debug", "4.3.4", f"{lock}node_modules/debug", ""),
        ("ms", "2.1.2", f"{lock}node_modules/debug/node_modules/ms", ""),
        ("js-tokens", "4.0.0", f"{lock}node_modules/js-tokens", ""),
        ("left-pad", None, f"{lock}node_modules/left-pad", "git source"),
        ("loose-envify", "1.4.0", f"{lock}node_modules/loose-envify", ""),
        ("ms", "2.0.0", f"{lock}node_modules/ms", ""),
        ("react", "18.2.0", f"{lock}node_modules/react", ""),
        ("string-width", "4.2.3", f"{lock}node_modules/string-width-cjs", ""),
        ("vendored", None, f"{lock}node_modules/vendored", "local path"),
        # "packages/ui" (the workspace itself) is skipped; what it installs is not.
        ("ms", "2.1.3", f"{lock}packages/ui/node_modules/ms", ""),
    ]


def test_shrinkwrap_is_read_like_a_package_lock(tmp_path: Path) -> None:
    path = tmp_path / "npm-shrinkwrap.json"
    shutil.copy(FIXTURES / "npm-v2" / "package-lock.json", path)
    first = read_lockfile(path)[0]
    assert first.where == "npm-shrinkwrap.json: node_modules/chalk-legacy"


def test_a_version_seen_twice_is_listed_once_where_it_first_appears(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "package-lock.json",
        '{"lockfileVersion": 3, "packages": {"": {"name": "x"},'
        ' "node_modules/a/node_modules/ms": {"version": "2.1.2"},'
        ' "node_modules/b/node_modules/ms": {"version": "2.1.2"},'
        ' "node_modules/odd": {"version": "latest"},'
        ' "node_modules/bare": {}}}',
    )
    assert rows(path) == [
        ("ms", "2.1.2", "package-lock.json: node_modules/a/node_modules/ms", ""),
        ("odd", None, "package-lock.json: node_modules/odd", "'latest' is not an exact version"),
        ("bare", None, "package-lock.json: node_modules/bare", "no version in the lockfile"),
    ]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('{"lockfileVersion": 3,\n  "packages": {,}}', "package-lock.json:2: not valid JSON"),
        ('{"name": "x"}', "package-lock.json: not an npm lockfile"),
    ],
)
def test_a_broken_package_lock_is_refused(tmp_path: Path, text: str, fragment: str) -> None:
    path = write(tmp_path, "package-lock.json", text)
    with pytest.raises(InvalidRequestError) as caught:
        read_lockfile(path)
    assert caught.value.message.startswith(fragment)


def test_pnpm_lock_5_keys_with_peer_suffixes_and_other_hosts() -> None:
    assert rows(FIXTURES / "pnpm-v5" / "pnpm-lock.yaml") == [
        ("@babel/core", "7.20.12", "pnpm-lock.yaml:29", ""),
        ("@emotion/react", "11.10.5", "pnpm-lock.yaml:34", ""),
        ("lodash", "4.17.21", "pnpm-lock.yaml:44", ""),
        ("react-dom", "18.2.0", "pnpm-lock.yaml:48", ""),
        ("react", "18.2.0", "pnpm-lock.yaml:58", ""),
        ("styled-components", "5.3.6", "pnpm-lock.yaml:63", ""),
        ("internal-metrics", "2.0.1", "pnpm-lock.yaml:69", ""),
        ("widgets", None, "pnpm-lock.yaml:73", "git source"),
    ]


def test_pnpm_lock_6_keys_with_peer_parentheses() -> None:
    assert rows(FIXTURES / "pnpm-v6" / "pnpm-lock.yaml") == [
        ("@tanstack/query-core", "5.0.0", "pnpm-lock.yaml:32", ""),
        ("@tanstack/react-query", "5.0.0", "pnpm-lock.yaml:36", ""),
        ("react-dom", "18.2.0", "pnpm-lock.yaml:47", ""),
        ("react", "18.2.0", "pnpm-lock.yaml:55", ""),
        ("string-width", "4.2.3", "pnpm-lock.yaml:60", ""),
        ("typescript", "5.3.0-dev.20231012", "pnpm-lock.yaml:65", ""),
        ("local-tool", None, "pnpm-lock.yaml:71", "local directory"),
    ]


def test_pnpm_lock_9_packages_not_snapshots() -> None:
    assert rows(FIXTURES / "pnpm-v9" / "pnpm-lock.yaml") == [
        ("@tanstack/query-core", "5.0.0", "pnpm-lock.yaml:38", ""),
        ("@tanstack/react-query", "5.0.0", "pnpm-lock.yaml:41", ""),
        ("local-tool", None, "pnpm-lock.yaml:46", "local directory"),
        ("react", "18.2.0", "pnpm-lock.yaml:49", ""),
        ("report-kit", None, "pnpm-lock.yaml:53", "URL source"),
        ("string-width", "4.2.3", "pnpm-lock.yaml:57", ""),
        ("widgets", None, "pnpm-lock.yaml:61", "git source"),
    ]


def test_pnpm_lock_with_an_env_document_first(tmp_path: Path) -> None:
    # pnpm 10 writes its own config dependencies as a first YAML document.
    path = write(
        tmp_path,
        "pnpm-lock.yaml",
        "---\nlockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    configDependencies: {}\n"
        "    packageManagerDependencies:\n      pnpm:\n        specifier: 10.0.0\n"
        "        version: 10.0.0\n\npackages:\n\n  pnpm@10.0.0:\n"
        "    resolution: {integrity: sha512-AAAA}\n\n"
        "---\nlockfileVersion: '9.0'\n\npackages:\n\n  'yes@1.0.0':\n"
        "    resolution: {integrity: sha512-BBBB}\n\n  on-finished@2.4.1:\n"
        "    resolution: {integrity: sha512-CCCC}\n",
    )
    assert rows(path) == [
        ("pnpm", "10.0.0", "pnpm-lock.yaml:15", ""),
        ("yes", "1.0.0", "pnpm-lock.yaml:23", ""),
        ("on-finished", "2.4.1", "pnpm-lock.yaml:26", ""),
    ]


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages:\n  a@1.0.0: [\n")
    with pytest.raises(InvalidRequestError) as caught:
        read_lockfile(path)
    assert caught.value.message.startswith("pnpm-lock.yaml:4: not valid YAML")


def test_yarn_classic_headers_aliases_and_sources() -> None:
    assert rows(FIXTURES / "yarn-classic" / "yarn.lock") == [
        ("@babel/code-frame", "7.22.13", "yarn.lock:5", ""),
        ("chalk", "2.4.2", "yarn.lock:13", ""),
        ("lodash", "4.17.21", "yarn.lock:22", ""),
        ("local-tool", None, "yarn.lock:27", "local path"),
        # the alias and the plain range resolve to one package: listed once.
        ("string-width", "4.2.3", "yarn.lock:30", ""),
        ("widgets", None, "yarn.lock:42", "git source"),
    ]


def test_yarn_classic_scoped_alias_and_linked_folder(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "yarn.lock",
        "# yarn lockfile v1\n\n\n"
        '"my-types@npm:@types/node@^20.0.0":\n  version "20.11.5"\n'
        '  resolved "http://127.0.0.1:8080/npm/@types/node/-/node-20.11.5.tgz#abc"\n\n'
        '"helpers@link:./helpers":\n  version "0.0.0"\n\n'
        'tarball@http://127.0.0.1:9000/tarball-1.0.0.tgz:\n  version "1.0.0"\n',
    )
    assert rows(path) == [
        ("@types/node", "20.11.5", "yarn.lock:4", ""),
        ("tarball", None, "yarn.lock:11", "URL source"),
    ]


def test_yarn_classic_garbage_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "yarn.lock", '# yarn lockfile v1\n\nlodash@^4 "4.17.21"\n')
    with pytest.raises(InvalidRequestError) as caught:
        read_lockfile(path)
    assert caught.value.message.startswith("yarn.lock:3: expected a package header")


def test_yarn_berry_resolutions_workspaces_links_and_patches() -> None:
    assert rows(FIXTURES / "yarn-berry" / "yarn.lock") == [
        ("@babel/code-frame", "7.22.13", "yarn.lock:8", ""),
        # workspaces and the link: entry are the project's own code: no entries.
        ("ms", "2.1.3", "yarn.lock:32", ""),
        ("resolve", "1.22.8", "yarn.lock:39", ""),  # its patch: entry is the same package
        ("string-width", "4.2.3", "yarn.lock:53", ""),
        ("typescript", "5.3.3", "yarn.lock:60", ""),  # known only through its patch: entry
        ("widgets", None, "yarn.lock:84", "git source"),
    ]


def test_yarn_berry_other_protocols(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "yarn.lock",
        "__metadata:\n  version: 6\n  cacheKey: 8\n\n"
        '"odd@npm:1.0.0":\n  version: 1.0.0\n'
        '  resolution: "odd@npm:1.0.0::__archiveUrl=http%3A%2F%2F127.0.0.1%3A9000%2Fodd.tgz"\n\n'
        '"@types/node@patch:@types/node@npm%3A20.0.0#./.yarn/patches/n.patch::locator=a%40workspace%3A.":\n'
        "  version: 20.0.0\n"
        '  resolution: "@types/node@patch:@types/node@npm%3A20.0.0#./.yarn/patches/n.patch'
        '::version=20.0.0&hash=1a2b3c&locator=a%40workspace%3A."\n\n'
        '"vendored@file:./vendored.tgz::locator=a%40workspace%3A.":\n  version: 1.2.0\n'
        '  resolution: "vendored@file:./vendored.tgz::locator=a%40workspace%3A."\n\n'
        '"gen@exec:./gen.js::locator=a%40workspace%3A.":\n  version: 0.0.0-use.local\n'
        '  resolution: "gen@exec:./gen.js::locator=a%40workspace%3A."\n\n'
        '"shared@portal:../shared::locator=a%40workspace%3A.":\n  version: 0.0.0-use.local\n'
        '  resolution: "shared@portal:../shared::locator=a%40workspace%3A."\n',
    )
    assert rows(path) == [
        ("odd", "1.0.0", "yarn.lock:5", ""),
        ("@types/node", "20.0.0", "yarn.lock:9", ""),
        ("vendored", None, "yarn.lock:13", "local path"),
        ("gen", None, "yarn.lock:17", "exec source"),
    ]


def test_yarn_berry_entry_without_resolution_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path, "yarn.lock", '__metadata:\n  version: 8\n\n"a@npm:^1":\n  version: 1.0.0\n'
    )
    with pytest.raises(InvalidRequestError, match=r"yarn\.lock:4: 'a@npm:\^1' has no resolution"):
        read_lockfile(path)


@pytest.mark.parametrize(
    "text",
    [
        "lockfileVersion: '9.0'\n",
        "lockfileVersion: '9.0'\n\nimporters:\n\n  .: {}\n\npackages:\n",
        "lockfileVersion: '9.0'\npackages: {}\n",
    ],
)
def test_a_pnpm_lock_without_packages_has_no_entries(tmp_path: Path, text: str) -> None:
    assert read_lockfile(write(tmp_path, "pnpm-lock.yaml", text)) == []


def test_a_yaml_alias_inside_itself_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "pnpm-lock.yaml",
        "lockfileVersion: '9.0'\npackages:\n  a@1.0.0: &loop\n    again: *loop\n",
    )
    with pytest.raises(InvalidRequestError, match=r"pnpm-lock\.yaml:3: a YAML alias refers"):
        read_lockfile(path)
