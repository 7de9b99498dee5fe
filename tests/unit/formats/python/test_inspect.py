import base64
import hashlib
import tarfile
from pathlib import Path

import pytest

from wharf.core.errors import InvalidArtifactError
from wharf.formats.python.archives import DEFAULT_LIMITS, ArchiveLimits
from wharf.formats.python.inspect import Distribution, check_declared, inspect_distribution

from .builders import (
    WHEEL_FILE,
    Member,
    core_metadata,
    sdist_members,
    special,
    wheel_members,
    write_tar,
    write_zip,
)

WHEEL_NAME = "demo_pkg-1.0-py3-none-any.whl"
SDIST_NAME = "demo_pkg-1.0.tar.gz"


def wheel(tmp_path: Path, members: list[Member]) -> Path:
    return write_zip(tmp_path / "upload.bin", members)


def problems_of(path: Path, filename: str, limits: ArchiveLimits = DEFAULT_LIMITS) -> list[str]:
    with pytest.raises(InvalidArtifactError) as caught:
        inspect_distribution(path, filename, limits)
    assert caught.value.hint
    return list(caught.value.problems)


def has(problems: list[str], fragment: str) -> bool:
    return any(fragment in problem for problem in problems)


def test_valid_wheel(tmp_path: Path) -> None:
    metadata = core_metadata(name="Demo_Pkg", version="1.0.0", extra="Requires-Python: >=3.11\n")
    path = wheel(tmp_path, wheel_members(metadata=metadata))
    dist = inspect_distribution(path, WHEEL_NAME)
    assert dist == Distribution(
        filename=WHEEL_NAME,
        kind="bdist_wheel",
        name="Demo_Pkg",
        normalized_name="demo-pkg",
        version="1.0.0",
        python_version="py3",
        requires_python=">=3.11",
        core_metadata=metadata,
        metadata=dist.metadata,
    )
    assert dist.metadata["summary"] == "A demo"


def test_valid_sdist_with_metadata_2_2_keeps_pkg_info(tmp_path: Path) -> None:
    metadata = core_metadata(metadata_version="2.2")
    path = write_tar(tmp_path / "upload.bin", sdist_members(metadata=metadata))
    dist = inspect_distribution(path, SDIST_NAME)
    assert (dist.kind, dist.python_version, dist.normalized_name) == ("sdist", "source", "demo-pkg")
    assert dist.core_metadata == metadata
    assert dist.requires_python is None


def test_sdist_with_metadata_2_1_has_no_core_metadata(tmp_path: Path) -> None:
    path = write_tar(tmp_path / "upload.bin", sdist_members(metadata=core_metadata("demo-pkg")))
    dist = inspect_distribution(path, SDIST_NAME)
    assert dist.core_metadata is None
    assert dist.metadata["metadata_version"] == "2.1"


def test_zip_sdist_with_legacy_top_directory(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "upload.bin", sdist_members(top="Demo-Pkg-1.0"))
    dist = inspect_distribution(path, "Demo-Pkg-1.0.zip")
    assert (dist.kind, dist.version) == ("sdist", "1.0")


def test_filename_problems_come_first_and_alone(tmp_path: Path) -> None:
    path = wheel(tmp_path, wheel_members())
    problems = problems_of(path, "demo_pkg-1.0-py2.7.egg")
    assert has(problems, "PEP 527")


def test_zip_bomb_by_ratio(tmp_path: Path) -> None:
    members = [*wheel_members(), ("demo_pkg/zeros.bin", bytes(4 << 20))]
    path = wheel(tmp_path, members)
    limits = ArchiveLimits(ratio_floor=1 << 20, max_ratio=20)
    assert has(problems_of(path, WHEEL_NAME, limits), "compression bomb")


def test_tar_bomb_by_ratio(tmp_path: Path) -> None:
    members = [*sdist_members(), ("demo_pkg-1.0/zeros.bin", bytes(4 << 20))]
    path = write_tar(tmp_path / "upload.bin", members)
    limits = ArchiveLimits(ratio_floor=1 << 20, max_ratio=20)
    assert has(problems_of(path, SDIST_NAME, limits), "compression bomb")


def test_total_size_limit(tmp_path: Path) -> None:
    members = [*sdist_members(), ("demo_pkg-1.0/data.bin", bytes(2 << 20))]
    path = write_tar(tmp_path / "upload.bin", members)
    assert has(problems_of(path, SDIST_NAME, ArchiveLimits(max_uncompressed=1 << 20)), "limit")


@pytest.mark.parametrize(
    ("member", "fragment"),
    [
        ("../evil.py", "points outside the archive"),
        ("demo_pkg/../../evil.py", "points outside the archive"),
        ("/etc/evil.py", "absolute path"),
        ("demo_pkg\\evil.py", "backslash"),
        ("C:/evil.py", "drive letter"),
    ],
)
def test_unsafe_member_names_in_wheels(tmp_path: Path, member: str, fragment: str) -> None:
    path = wheel(tmp_path, [*wheel_members(), (member, b"x")])
    assert has(problems_of(path, WHEEL_NAME), fragment)


def test_unsafe_member_names_in_sdists(tmp_path: Path) -> None:
    path = write_tar(tmp_path / "upload.bin", [*sdist_members(), ("demo_pkg-1.0/../../x", b"x")])
    assert has(problems_of(path, SDIST_NAME), "points outside the archive")


def test_duplicate_zip_member(tmp_path: Path) -> None:
    members = wheel_members()
    path = wheel(tmp_path, [*members, members[1]])
    assert has(problems_of(path, WHEEL_NAME), "appears more than once")


def test_wrong_dist_info_name(tmp_path: Path) -> None:
    path = wheel(tmp_path, wheel_members(dist_info="other-1.0.dist-info"))
    problems = problems_of(path, WHEEL_NAME)
    assert problems == [
        "'other-1.0.dist-info' does not match the filename's project and version "
        "(demo-pkg 1.0); rebuild it with a current build backend (for example `python -m build`)"
    ]


@pytest.mark.parametrize(
    ("members", "fragment"),
    [
        ([("demo_pkg/__init__.py", b"")], "exactly one .dist-info directory (found: none)"),
        (wheel_members(record=False), "no demo_pkg-1.0.dist-info/RECORD"),
        (wheel_members(wheel=None), "no demo_pkg-1.0.dist-info/WHEEL"),
        (wheel_members(wheel=b"Generator: x\n"), "has no Wheel-Version"),
        (wheel_members(wheel=b"Wheel-Version: 2.0\n"), "'2.0' is not supported"),
    ],
)
def test_wheel_layout_problems(tmp_path: Path, members: list[Member], fragment: str) -> None:
    assert has(problems_of(wheel(tmp_path, members), WHEEL_NAME), fragment)


def test_two_dist_info_directories(tmp_path: Path) -> None:
    members = [*wheel_members(), *wheel_members(dist_info="extra-1.0.dist-info")[1:]]
    problems = problems_of(wheel(tmp_path, members), WHEEL_NAME)
    assert has(problems, "exactly one .dist-info directory (found: demo_pkg-1.0.dist-info, extra")


def test_metadata_version_differs_from_filename(tmp_path: Path) -> None:
    path = wheel(tmp_path, wheel_members(metadata=core_metadata(version="1.1")))
    problems = problems_of(path, WHEEL_NAME)
    assert problems == [
        "METADATA says version '1.1' but the filename says '1.0'; rename the file or rebuild it"
    ]


def test_metadata_name_differs_from_filename(tmp_path: Path) -> None:
    path = write_tar(tmp_path / "upload.bin", sdist_members(metadata=core_metadata("other")))
    problems = problems_of(path, SDIST_NAME)
    assert len(problems) == 1
    assert problems[0].startswith("PKG-INFO names the project 'other'")


def test_local_version_is_refused(tmp_path: Path) -> None:
    members = wheel_members("demo_pkg-1.0+abc.dist-info", core_metadata(version="1.0+abc"))
    problems = problems_of(wheel(tmp_path, members), "demo_pkg-1.0+abc-py3-none-any.whl")
    assert problems == [
        "METADATA: Version: local versions ('+abc') cannot be uploaded; "
        "publish a version without the '+...' part"
    ]


def test_every_problem_is_reported_together(tmp_path: Path) -> None:
    metadata = core_metadata("other", "2.0", extra="Requires-Python: >=3.x\n")
    members = [*wheel_members("wrong-9.dist-info", metadata, record=False), ("../x", b"")]
    problems = problems_of(wheel(tmp_path, members), WHEEL_NAME)
    for fragment in (
        "outside the archive",
        "does not match",
        "RECORD",
        "Requires-Python",
        "names the project 'other'",
        "says version '2.0'",
    ):
        assert has(problems, fragment), (fragment, problems)


@pytest.mark.parametrize(
    ("members", "fragment"),
    [
        ([*sdist_members(), ("other-1.0/PKG-INFO", b"")], "one top-level directory"),
        ([*sdist_members(), ("setup.py", b"")], "one top-level directory"),
        (sdist_members()[1:], "no demo_pkg-1.0/PKG-INFO"),
        (sdist_members(top="demo_pkg-2.0"), "top-level directory 'demo_pkg-2.0' does not match"),
    ],
)
def test_sdist_layout_problems(tmp_path: Path, members: list[Member], fragment: str) -> None:
    path = write_tar(tmp_path / "upload.bin", members)
    assert has(problems_of(path, SDIST_NAME), fragment)


@pytest.mark.parametrize("filename", [WHEEL_NAME, SDIST_NAME, "demo_pkg-1.0.zip"])
def test_corrupt_archives(tmp_path: Path, filename: str) -> None:
    path = tmp_path / "upload.bin"
    path.write_bytes(b"this is not an archive at all" * 10)
    problems = problems_of(path, filename)
    assert len(problems) == 1
    assert "not a readable" in problems[0]


def test_oversized_metadata_member(tmp_path: Path) -> None:
    metadata = core_metadata() + b"x" * 4096
    path = wheel(tmp_path, wheel_members(metadata=metadata))
    problems = problems_of(path, WHEEL_NAME, ArchiveLimits(max_member_read=1024))
    assert has(problems, "is larger than 1024 bytes")


WHEEL_DIST = Distribution(
    filename=WHEEL_NAME,
    kind="bdist_wheel",
    name="Demo_Pkg",
    normalized_name="demo-pkg",
    version="1.0",
    python_version="py3",
    requires_python=None,
    core_metadata=b"",
    metadata={},
)
CONTENT = b"wheel bytes"
DIGESTS = {
    "sha256": hashlib.sha256(CONTENT).hexdigest(),
    "md5": hashlib.md5(CONTENT).hexdigest(),
    "blake2b_256": hashlib.blake2b(CONTENT, digest_size=32).hexdigest(),
}


def test_declared_form_that_matches() -> None:
    md5_b64 = base64.urlsafe_b64encode(hashlib.md5(CONTENT).digest()).decode().rstrip("=")
    form = {
        "name": "demo.pkg",
        "version": "1.0.0",
        "filetype": "bdist_wheel",
        "pyversion": "py3",
        "sha256_digest": DIGESTS["sha256"].upper(),
        "md5_digest": md5_b64,
        "blake2_256_digest": DIGESTS["blake2b_256"],
    }
    assert check_declared(WHEEL_DIST, form, DIGESTS) == []
    assert check_declared(WHEEL_DIST, {**form, "md5_digest": DIGESTS["md5"]}, DIGESTS) == []
    assert check_declared(WHEEL_DIST, {}, DIGESTS) == []


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("name", "other", "name 'other'"),
        ("version", "1.1", "version '1.1'"),
        ("filetype", "sdist", "filetype 'sdist'"),
        ("pyversion", "source", "pyversion 'source'"),
        ("sha256_digest", "0" * 64, "sha256_digest does not match"),
        ("md5_digest", "AAAAAAAAAAAAAAAAAAAAAA", "md5_digest does not match"),
        ("blake2_256_digest", "f" * 64, "blake2_256_digest does not match"),
    ],
)
def test_declared_form_mismatches(field: str, value: str, fragment: str) -> None:
    problems = check_declared(WHEEL_DIST, {field: value}, DIGESTS)
    assert len(problems) == 1
    assert fragment in problems[0]


def test_wheel_file_fixture_is_valid() -> None:
    assert b"Wheel-Version: 1.0" in WHEEL_FILE


def test_symlink_out_of_an_sdist_is_refused(tmp_path: Path) -> None:
    link = special("demo_pkg-1.0/secrets", tarfile.SYMTYPE, "/etc/shadow")
    path = write_tar(tmp_path / "upload.bin", sdist_members(), links=[link])
    problems = problems_of(path, SDIST_NAME)
    assert problems == [
        "archive member 'demo_pkg-1.0/secrets' links to '/etc/shadow', outside the archive"
    ]
