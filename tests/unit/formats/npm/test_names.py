import pytest

from wharf.core.errors import InvalidRequestError, NotFoundError
from wharf.formats.npm.names import (
    filename_from_tarball_path,
    name_from_path,
    normalize,
    split_scope,
    tarball_filename,
    tarball_path,
    validate_name,
    version_from_filename,
)


@pytest.mark.parametrize(
    "name",
    [
        "demo",
        "some-package",
        "example.com",
        "under_score",
        "123numeric",
        "@npm/thingy",
        "@jane/foo.js",
        "@scope/_private",
        "x" * 214,
        "@s/" + "x" * 211,
    ],
)
def test_valid_new_names_have_no_problems(name: str) -> None:
    assert validate_name(name) == []


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("", "empty"),
        ("x" * 215, "the limit is 214"),
        ("Demo", "capital letters"),
        ("@Scope/demo", "capital letters"),
        (".demo", "starts with '.'"),
        ("_demo", "starts with '_'"),
        ("de mo", "not URL-safe"),
        ("demo:x", "not URL-safe"),
        ("démo", "not URL-safe"),
        ("a/b", "not URL-safe"),
        ("crazy!", "~'!()*"),
        ("@npm-zors/money!time.js", "~'!()*"),
        ("node_modules", "reserved"),
        ("favicon.ico", "reserved"),
        ("http", "core module"),
        ("@scope", "'@scope/name'"),
        ("@/demo", "'@scope/name'"),
        ("@scope/", "'@scope/name'"),
        ("@a/b/c", "'@scope/name'"),
        ("@.scope/demo", "starting with '.'"),
        ("@scope/.demo", "starting with '.'"),
        ("@sc ope/demo", "not URL-safe"),
    ],
)
def test_invalid_new_names_say_why_and_name_the_name(name: str, fragment: str) -> None:
    problems = validate_name(name)
    assert any(fragment in problem for problem in problems), problems
    if name:
        assert all(repr(name) in problem for problem in problems)


def test_whitespace_is_reported_with_the_url_problem() -> None:
    problems = validate_name(" demo ")
    assert len(problems) == 2
    assert "whitespace" in problems[0]


def test_several_problems_are_reported_together() -> None:
    problems = validate_name("_Crazy!" + "x" * 214)
    assert len(problems) == 4


@pytest.mark.parametrize("name", ["JSONStream", "demo", "@Scope/Name", " padded "])
def test_normalize_is_the_identity(name: str) -> None:
    assert normalize(name) == name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("@scope/demo", ("@scope", "demo")),
        ("demo", (None, "demo")),
        ("@scope", (None, "@scope")),
    ],
)
def test_split_scope(name: str, expected: tuple[str | None, str]) -> None:
    assert split_scope(name) == expected


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        ("demo", "demo"),
        ("JSONStream", "JSONStream"),
        ("@scope%2fdemo", "@scope/demo"),
        ("@scope%2Fdemo", "@scope/demo"),
        ("@scope/demo", "@scope/demo"),
        ("%40scope%2fdemo", "@scope/demo"),
        ("demo%2Djs", "demo-js"),
    ],
)
def test_name_from_path_decodes_every_form(segment: str, expected: str) -> None:
    assert name_from_path(segment) == expected


@pytest.mark.parametrize(
    "segment",
    [
        "",
        "..",
        "%2e%2e",
        "@scope%2f..",
        "@scope%2f.hidden",
        "demo%00",
        "demo\x00",
        "de\\mo",
        "de%5cmo",
        "demo%2fother",
        "@a%2fb%2fc",
        "@a%252fb",
        "de mo",
        "%ff",
        "x" * 2000,
    ],
)
def test_name_from_path_refuses_what_cannot_be_a_name(segment: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        name_from_path(segment)
    assert caught.value.hint


def test_tarball_filenames_keep_the_scope() -> None:
    assert tarball_filename("demo", "1.0.0") == "demo-1.0.0.tgz"
    assert tarball_filename("@a/demo", "1.0.0") == "@a/demo-1.0.0.tgz"
    assert tarball_filename("@a/demo", "1.0.0") != tarball_filename("@b/demo", "1.0.0")


def test_tarball_paths_follow_the_convention() -> None:
    assert tarball_path("demo", "1.0.0") == "demo/-/demo-1.0.0.tgz"
    assert tarball_path("@a/demo", "1.0.0-rc.1") == "@a/demo/-/demo-1.0.0-rc.1.tgz"


@pytest.mark.parametrize(
    ("name", "file", "expected"),
    [
        ("demo", "demo-1.0.0.tgz", "demo-1.0.0.tgz"),
        ("@a/demo", "demo-1.0.0.tgz", "@a/demo-1.0.0.tgz"),
        ("demo", "demo-2.0.0-beta.1+build.5.tgz", "demo-2.0.0-beta.1+build.5.tgz"),
        ("a..b", "a..b-1.0.0.tgz", "a..b-1.0.0.tgz"),
    ],
)
def test_filename_from_tarball_path(name: str, file: str, expected: str) -> None:
    assert filename_from_tarball_path(name, file) == expected


@pytest.mark.parametrize(
    ("name", "file"),
    [
        ("demo", "other-1.0.0.tgz"),
        ("demo", "demo-1.0.0.tar.gz"),
        ("demo", "demo-.tgz"),
        ("demo", "demo.tgz"),
        ("demo", "demo-../x.tgz"),
        ("demo", "demo-1.0.0/../../x.tgz"),
        ("demo", "demo-1..0.tgz"),
        ("demo", "demo-1.0.0\\x.tgz"),
        ("@a/demo", "@a/demo-1.0.0.tgz"),
        ("@a/demo", "@b/demo-1.0.0.tgz"),
    ],
)
def test_filename_from_tarball_path_refuses_other_files(name: str, file: str) -> None:
    with pytest.raises(NotFoundError):
        filename_from_tarball_path(name, file)


@pytest.mark.parametrize(
    ("name", "file", "expected"),
    [
        ("demo", "demo-1.0.0.tgz", "1.0.0"),
        ("@a/demo", "@a/demo-1.0.0.tgz", "1.0.0"),
        ("@a/demo", "demo-1.2.3-rc.1.tgz", "1.2.3-rc.1"),
        ("demo-js", "demo-js-0.1.0.tgz", "0.1.0"),
    ],
)
def test_version_from_filename(name: str, file: str, expected: str) -> None:
    assert version_from_filename(name, file) == expected


def test_version_from_filename_refuses_another_package() -> None:
    with pytest.raises(NotFoundError):
        version_from_filename("demo", "other-1.0.0.tgz")


def test_filename_round_trips_through_the_url_path() -> None:
    for name in ("demo", "@scope/demo"):
        file = tarball_path(name, "1.2.3").rpartition("/")[2]
        key = filename_from_tarball_path(name, file)
        assert key == tarball_filename(name, "1.2.3")
        assert version_from_filename(name, key) == "1.2.3"
