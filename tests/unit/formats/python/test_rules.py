from datetime import UTC, datetime

import pytest

from wharf.core.models import Artifact
from wharf.formats.python.rules import check_addition

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def artifact(filename: str, version: str, kind: str, sha256: str | None = None) -> Artifact:
    return Artifact(
        index="pypi-local",
        project="demo",
        version=version,
        filename=filename,
        sha256=sha256 or f"sha-of-{filename}",
        size=10,
        uploaded_at=NOW,
        kind=kind,
    )


SDIST_1 = artifact("demo-1.0.tar.gz", "1.0", "sdist")
WHEEL_1 = artifact("demo-1.0-py3-none-any.whl", "1.0", "bdist_wheel")


def test_second_sdist_for_a_release_is_refused_naming_the_first() -> None:
    problems = check_addition([SDIST_1, WHEEL_1], artifact("demo-1.0.zip", "1.0", "sdist"))
    assert len(problems) == 1
    assert "'demo-1.0.tar.gz'" in problems[0]
    assert "one sdist" in problems[0]


def test_equivalent_versions_are_one_release() -> None:
    problems = check_addition([SDIST_1], artifact("Demo-1.0.0.tar.gz", "1.0.0", "sdist"))
    assert len(problems) == 1


@pytest.mark.parametrize(
    "new",
    [
        artifact("demo-1.1.tar.gz", "1.1", "sdist"),
        artifact("demo-1.0-cp312-cp312-manylinux_2_17_x86_64.whl", "1.0", "bdist_wheel"),
        artifact("demo-1.0-1-py3-none-any.whl", "1.0", "bdist_wheel"),
        artifact("demo-1.1-py3-none-any.whl", "1.1", "bdist_wheel"),
    ],
)
def test_other_files_may_join(new: Artifact) -> None:
    assert check_addition([SDIST_1, WHEEL_1], new) == []


def test_first_files_are_always_fine() -> None:
    assert check_addition([], SDIST_1) == []
    assert check_addition([SDIST_1], WHEEL_1) == []


def test_same_filename_is_left_to_the_caller() -> None:
    assert check_addition([SDIST_1, WHEEL_1], SDIST_1) == []


def test_same_contents_under_another_name_is_refused() -> None:
    copy = artifact("demo-1.1-py3-none-any.whl", "1.1", "bdist_wheel", sha256=WHEEL_1.sha256)
    problems = check_addition([WHEEL_1], copy)
    assert problems == [
        "the same file is already uploaded as 'demo-1.0-py3-none-any.whl'; "
        "a file's contents may be uploaded only once"
    ]


def test_a_wheel_equivalent_to_an_existing_one_is_refused() -> None:
    twin = artifact("Demo-1.0.0-py3-none-any.whl", "1.0.0", "bdist_wheel")
    problems = check_addition([SDIST_1, WHEEL_1], twin)
    assert len(problems) == 1
    assert "'demo-1.0-py3-none-any.whl'" in problems[0]
    assert "build number" in problems[0]
