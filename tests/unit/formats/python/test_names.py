import pytest

from wharf.formats.python.names import normalize, validate_project_name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Django", "django"),
        ("oslo.concurrency", "oslo-concurrency"),
        ("Foo__Bar", "foo-bar"),
        ("a-_.b", "a-b"),
        ("friendly-bard", "friendly-bard"),
        ("FRIENDLY._-BARD", "friendly-bard"),
    ],
)
def test_normalize_follows_pep_503(name: str, expected: str) -> None:
    assert normalize(name) == expected


@pytest.mark.parametrize("name", ["a", "demo", "demo-pkg", "Demo.Pkg_2", "x" * 200, "0"])
def test_valid_names_have_no_problems(name: str) -> None:
    assert validate_project_name(name) == []


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("", "empty"),
        ("-demo", "not a valid project name"),
        ("demo-", "not a valid project name"),
        ("de mo", "not a valid project name"),
        ("démo", "not a valid project name"),
        ("demo/pkg", "not a valid project name"),
        ("x" * 201, "the limit is 200"),
    ],
)
def test_invalid_names_say_why(name: str, fragment: str) -> None:
    problems = validate_project_name(name)
    assert len(problems) == 1
    assert fragment in problems[0]


def test_every_problem_is_reported() -> None:
    problems = validate_project_name("-" + "x" * 200)
    assert len(problems) == 2
