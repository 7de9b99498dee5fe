import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from wharf.formats.python.archives import (
    ArchiveLimits,
    ArchiveMember,
    check_expansion,
    clean_member_name,
    list_members,
    open_archive,
    read_member,
)

from .builders import sdist_members, special, wheel_members, write_tar, write_zip


@pytest.mark.parametrize(
    ("raw", "clean", "fragment"),
    [
        ("pkg/mod.py", "pkg/mod.py", None),
        ("./pkg//mod.py", "pkg/mod.py", None),
        ("pkg/", "pkg", None),
        ("../x", "../x", "points outside the archive"),
        ("a/../../x", "a/../../x", "points outside the archive"),
        ("/etc/passwd", "etc/passwd", "absolute path"),
        ("a\\b", "a\\b", "backslash"),
        ("c:/x", "c:/x", "drive letter"),
        ("a\x00b", "a\x00b", "control characters"),
        ("./", "", "empty name"),
    ],
)
def test_clean_member_name(raw: str, clean: str, fragment: str | None) -> None:
    name, problems = clean_member_name(raw)
    assert name == clean
    if fragment is None:
        assert problems == []
    else:
        assert len(problems) == 1
        assert fragment in problems[0]


@pytest.mark.parametrize(
    ("expanded", "compressed", "fragment"),
    [
        (100, 1, None),  # huge ratio but below the floor
        (2_000, 100, None),  # above the floor, ratio 20 is fine
        (3_000, 10, "compression bomb"),
        (20_000, 10_000, "more than 10000 bytes"),
    ],
)
def test_check_expansion(expanded: int, compressed: int, fragment: str | None) -> None:
    limits = ArchiveLimits(max_uncompressed=10_000, max_ratio=50, ratio_floor=1_000)
    problem = check_expansion(expanded, compressed, limits)
    assert (problem is None) if fragment is None else (fragment in str(problem))


def test_list_and_read_a_zip(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "a.zip", [("pkg/", b""), ("pkg/a.txt", b"hello")])
    members, problems = list_members(path, "zip")
    assert problems == []
    assert members == [
        ArchiveMember("pkg", 0, is_dir=True, is_file=False),
        ArchiveMember("pkg/a.txt", 5, is_dir=False, is_file=True),
    ]
    assert read_member(path, "zip", "pkg/a.txt") == (b"hello", [])
    assert read_member(path, "zip", "pkg/missing") == (None, ["archive has no file 'pkg/missing'"])


def test_list_and_read_a_tar(tmp_path: Path) -> None:
    path = write_tar(tmp_path / "a.tar.gz", [("./top/a.txt", b"hello"), ("top/b.txt", b"bye")])
    members, problems = list_members(path, "tar")
    assert problems == []
    assert [m.name for m in members] == ["top/a.txt", "top/b.txt"]
    assert read_member(path, "tar", "top/b.txt") == (b"bye", [])
    assert read_member(path, "tar", "top/a.txt") == (b"hello", [])


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        (special("top/link", tarfile.SYMTYPE, "/etc/passwd"), "outside the archive"),
        (special("top/link", tarfile.SYMTYPE, "../../etc/passwd"), "outside the archive"),
        (special("top/link", tarfile.LNKTYPE, "../outside"), "outside the archive"),
        (special("top/dev", tarfile.CHRTYPE), "device or fifo"),
        (special("top/fifo", tarfile.FIFOTYPE), "device or fifo"),
    ],
)
def test_unsafe_tar_entries(tmp_path: Path, entry: tarfile.TarInfo, fragment: str) -> None:
    path = write_tar(tmp_path / "a.tar.gz", [("top/a.txt", b"x")], links=[entry])
    _, problems = list_members(path, "tar")
    assert len(problems) == 1
    assert fragment in problems[0]


@pytest.mark.parametrize(
    "entry",
    [
        special("top/docs/link", tarfile.SYMTYPE, "../a.txt"),
        special("top/hard", tarfile.LNKTYPE, "top/a.txt"),
    ],
)
def test_links_inside_the_archive_are_allowed_but_not_read(
    tmp_path: Path, entry: tarfile.TarInfo
) -> None:
    path = write_tar(tmp_path / "a.tar.gz", [("top/a.txt", b"x")], links=[entry])
    data, problems = read_member(path, "tar", entry.name)
    assert data is None
    assert problems == [f"archive has no file {entry.name!r}"]


def test_sparse_tar_member_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.tar.gz"
    sparse = tarfile.TarInfo("top/sparse")
    sparse.type = tarfile.GNUTYPE_SPARSE
    with tarfile.open(path, "w:gz", format=tarfile.GNU_FORMAT) as archive:
        archive.addfile(sparse, io.BytesIO(b""))
    _, problems = list_members(path, "tar")
    assert problems == ["archive member 'top/sparse' is a sparse file; those are refused"]


def test_encrypted_zip_member_is_refused(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "a.zip", [("secret.txt", b"not really encrypted")])
    data = bytearray(path.read_bytes())
    data[6] |= 0x1  # general purpose flags of the local header: encrypted
    central = data.index(b"PK\x01\x02")
    data[central + 8] |= 0x1  # and of the central directory entry
    path.write_bytes(bytes(data))
    with open_archive(path, "zip") as opened:
        assert opened.read("secret.txt") is None
        assert opened.problems[0] == "archive member 'secret.txt' is encrypted"
        assert len(opened.problems) == 2


def test_unusual_zip_compression_is_refused(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "a.zip", [("a.txt", b"x" * 100)], zipfile.ZIP_BZIP2)
    _, problems = list_members(path, "zip")
    assert problems == [
        "archive member 'a.txt' uses compression method 12; only stored and deflated are accepted"
    ]


@pytest.mark.parametrize("fmt", ["zip", "tar"])
def test_too_many_members(tmp_path: Path, fmt: str) -> None:
    members = [(f"top/{n}.txt", b"") for n in range(6)]
    path = (write_zip if fmt == "zip" else write_tar)(tmp_path / "a", members)
    with open_archive(path, fmt, ArchiveLimits(max_members=5)) as opened:
        assert not opened.usable
        assert opened.problems == ["archive has more than 5 members; that is the limit"]
        assert opened.read("top/0.txt") is None


def test_tar_bomb_stops_early(tmp_path: Path) -> None:
    members = [("top/zeros", bytes(8 << 20)), ("top/late.txt", b"x")]
    path = write_tar(tmp_path / "a.tar.gz", members)
    limits = ArchiveLimits(ratio_floor=1 << 20, max_ratio=10)
    with open_archive(path, "tar", limits) as opened:
        assert not opened.usable
        assert "late.txt" not in {m.name for m in opened.members}
        assert "compression bomb" in opened.problems[-1]


def test_truncated_tar_is_corrupt(tmp_path: Path) -> None:
    path = write_tar(tmp_path / "a.tar.gz", sdist_members())
    path.write_bytes(path.read_bytes()[:40])
    _, problems = list_members(path, "tar")
    assert len(problems) == 1
    assert problems[0].startswith("not a readable .tar.gz archive")


def test_corrupt_zip_member_is_reported_on_read(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "a.zip", wheel_members(), zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    offset = data.index(b"VALUE = 1")
    data[offset] ^= 0xFF  # the CRC no longer matches
    path.write_bytes(bytes(data))
    value, problems = read_member(path, "zip", "demo_pkg/__init__.py")
    assert value is None
    assert len(problems) == 1
    assert "cannot be read" in problems[0]
