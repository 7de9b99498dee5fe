import pytest

from wharf.core.errors import InvalidArtifactError
from wharf.formats.python.filenames import DistFilename, archive_format, parse_filename


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        (
            "demo_pkg-1.0-py3-none-any.whl",
            DistFilename("demo_pkg-1.0-py3-none-any.whl", "demo-pkg", "1.0", "bdist_wheel", "py3"),
        ),
        (
            "Demo_Pkg-1.0.0rc1-1-py2.py3-none-any.whl",
            DistFilename(
                "Demo_Pkg-1.0.0rc1-1-py2.py3-none-any.whl",
                "demo-pkg",
                "1.0.0rc1",
                "bdist_wheel",
                "py2.py3",
            ),
        ),
        (
            "numpy-2.1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            DistFilename(
                "numpy-2.1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
                "numpy",
                "2.1.0",
                "bdist_wheel",
                "cp312",
            ),
        ),
        (
            "demo_pkg-1.0.tar.gz",
            DistFilename("demo_pkg-1.0.tar.gz", "demo-pkg", "1.0", "sdist", "source"),
        ),
        ("Demo-2.0.zip", DistFilename("Demo-2.0.zip", "demo", "2.0", "sdist", "source")),
        (
            "demo-1.0-1.tar.gz",
            DistFilename("demo-1.0-1.tar.gz", "demo-1-0", "1", "sdist", "source"),
        ),
        ("demo-01.00.tar.gz", DistFilename("demo-01.00.tar.gz", "demo", "1.0", "sdist", "source")),
    ],
)
def test_valid_filenames_parse(filename: str, expected: DistFilename) -> None:
    assert parse_filename(filename) == expected


@pytest.mark.parametrize(
    ("filename", "fragment"),
    [
        ("demo-1.0-py2.7.egg", "PEP 527"),
        ("demo-1.0.win32.exe", "PEP 527"),
        ("demo-1.0.win32.msi", "PEP 527"),
        ("demo-1.0-1.noarch.rpm", "PEP 527"),
        ("demo-1.0.tar.bz2", "must be .tar.gz"),
        ("demo-1.0.tgz", "must be .tar.gz"),
        ("demo-1.0.txt", "unknown file type"),
        ("demo-1.0-py3-none-any.whl\n", "control characters"),
        ("demo\x00-1.0.tar.gz", "control characters"),
        ("../demo-1.0.tar.gz", "path separator"),
        ("dir\\demo-1.0.tar.gz", "path separator"),
        ("demo..x-1.0.tar.gz", "'..'"),
        ("d" * 250 + "-1.0.tar.gz", "the limit is 255"),
        ("demo-1.0.whl", "not a valid wheel filename"),
        ("demo-1.0-py3-none-any-extra-x.whl", "not a valid wheel filename"),
        ("demo-one-py3-none-any.whl", "not a valid wheel filename"),
        ("demo-not.a.version.tar.gz", "not a valid sdist filename"),
        ("demo.tar.gz", "not a valid sdist filename"),
    ],
)
def test_refused_filenames_say_why(filename: str, fragment: str) -> None:
    with pytest.raises(InvalidArtifactError) as caught:
        parse_filename(filename)
    assert any(fragment in problem for problem in caught.value.problems), caught.value.problems
    assert caught.value.hint


def test_every_filename_problem_is_listed() -> None:
    with pytest.raises(InvalidArtifactError) as caught:
        parse_filename("../x\x01" + "e" * 260 + ".egg")
    problems = caught.value.problems
    assert len(problems) == 5
    assert caught.value.code == "invalid_artifact"


@pytest.mark.parametrize(
    ("filename", "expected"),
    [("a-1-py3-none-any.whl", "zip"), ("a-1.zip", "zip"), ("a-1.tar.gz", "tar")],
)
def test_archive_format_follows_the_extension(filename: str, expected: str) -> None:
    assert archive_format(filename) == expected
