import gzip
import tarfile

import pytest

from wharf.core.errors import InvalidArtifactError, TooLargeError
from wharf.formats.npm.tarballs import TarballLimits, inspect_tarball

from .builders import (
    demo_tarball,
    link,
    make_tarball,
    pack,
    package_json,
    special,
    tar_bytes,
)

DEFAULT = TarballLimits()


def problems_of(data: bytes, limits: TarballLimits = DEFAULT) -> list[str]:
    with pytest.raises(InvalidArtifactError) as caught:
        inspect_tarball(data, limits)
    assert caught.value.hint
    return list(caught.value.problems)


def test_a_valid_tarball_yields_its_manifest_and_counts() -> None:
    data = pack(
        [
            special("package", tarfile.DIRTYPE),
            ("package/package.json", package_json("demo", "1.0.0")),
            special("package/lib", tarfile.DIRTYPE),
            ("package/lib/index.js", b"x" * 100),
            link("package/lib/alias.js", "index.js"),
        ]
    )
    info = inspect_tarball(data)
    assert info.manifest == {"name": "demo", "version": "1.0.0"}
    assert info.file_count == 2
    assert info.unpacked_size == len(package_json("demo", "1.0.0")) + 100


def test_any_single_top_level_directory_is_accepted() -> None:
    data = make_tarball({"package.json": package_json()}, top="node")
    assert inspect_tarball(data).manifest["name"] == "demo"


def test_leading_dot_slash_is_accepted() -> None:
    data = pack([("./package/package.json", package_json())])
    assert inspect_tarball(data).file_count == 1


def test_a_byte_order_mark_in_package_json_is_accepted() -> None:
    data = make_tarball({"package.json": b"\xef\xbb\xbf" + package_json()})
    assert inspect_tarball(data).manifest["version"] == "1.0.0"


def test_not_gzip() -> None:
    assert problems_of(b"PK\x03\x04 not a tarball") == ["the tarball is not gzip-compressed"]
    assert problems_of(b"") == ["the tarball is not gzip-compressed"]


def test_gzip_but_not_tar() -> None:
    problems = problems_of(gzip.compress(b"hello, this is not a tar archive" * 40))
    assert any("not a readable" in problem for problem in problems)


def test_truncated_gzip() -> None:
    data = demo_tarball()
    problems = problems_of(data[: len(data) - 12])
    assert any("truncated" in problem for problem in problems)


def test_truncated_tar_inside_complete_gzip() -> None:
    raw = tar_bytes([("package/package.json", package_json()), ("package/big.js", b"y" * 5000)])
    problems = problems_of(gzip.compress(raw[:2048]))
    assert any("truncated" in problem for problem in problems)


def test_data_hidden_after_the_end_of_the_archive() -> None:
    first = tar_bytes([("package/package.json", package_json())])
    second = tar_bytes([link("package/evil", "/etc/passwd")])
    problems = problems_of(gzip.compress(first + second))
    assert any("after the point where its entries end" in problem for problem in problems)


def test_corrupt_header_in_the_middle() -> None:
    raw = bytearray(tar_bytes([("package/package.json", package_json()), ("package/a.js", b"a")]))
    second_header = raw.index(b"package/a.js")
    raw[second_header + 148 : second_header + 156] = b"garbage!"  # the header checksum
    problems = problems_of(gzip.compress(bytes(raw)))
    assert any("after the point where its entries end" in problem for problem in problems)


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        (("package/../../evil.js", b"x"), "points outside the package"),
        (("/package/evil.js", b"x"), "absolute path"),
        (("C:/package/evil.js", b"x"), "absolute path"),
        (("package\\..\\evil.js", b"x"), "backslash"),
        (("package/evil\n.js", b"x"), "control characters"),
        (link("package/link", "../../etc/passwd"), "outside the package"),
        (link("package/link", "/etc/passwd"), "outside the package"),
        (link("package/link", ".."), "outside the package"),
        (link("package/a/b/link", "../../../x"), "outside the package"),
        (link("package/link", "C:\\x"), "outside the package"),
        (link("package/hard", "../outside", hard=True), "outside the package"),
        (link("package/hard", "/etc/passwd", hard=True), "outside the package"),
        (link("package/hard", "other/file", hard=True), "outside the package"),
        (special("package/dev", tarfile.CHRTYPE), "character device"),
        (special("package/dev", tarfile.BLKTYPE), "block device"),
        (special("package/fifo", tarfile.FIFOTYPE), "fifo"),
        (("README.md", b"x"), "not inside the package's top-level directory"),
    ],
)
def test_unsafe_entries_are_refused(entry: object, fragment: str) -> None:
    data = pack([("package/package.json", package_json()), entry])  # type: ignore[list-item]
    problems = problems_of(data)
    assert any(fragment in problem for problem in problems), problems


@pytest.mark.parametrize(
    "entry",
    [
        link("package/lib/link", "../index.js"),
        link("package/link", "."),
        link("package/hard", "package/package.json", hard=True),
    ],
)
def test_links_that_stay_inside_are_accepted(entry: tarfile.TarInfo) -> None:
    inspect_tarball(pack([("package/package.json", package_json()), entry]))


def test_entries_must_share_one_top_directory() -> None:
    data = pack([("package/package.json", package_json()), ("other/index.js", b"x")])
    problems = problems_of(data)
    assert any("one top-level directory" in p and "'other'" in p for p in problems)


def test_duplicate_entries_are_refused() -> None:
    data = pack([("package/package.json", package_json()), ("package/package.json", b"{}")])
    assert any("more than once" in problem for problem in problems_of(data))


def test_missing_package_json() -> None:
    problems = problems_of(make_tarball({"index.js": b"x"}))
    assert problems == ["the tarball has no package/package.json"]


def test_package_json_in_a_subdirectory_does_not_count() -> None:
    problems = problems_of(make_tarball({"lib/package.json": package_json()}))
    assert problems == ["the tarball has no package/package.json"]


def test_package_json_that_is_a_link() -> None:
    data = pack([("package/real.json", package_json()), link("package/package.json", "real.json")])
    assert any("not a regular file" in problem for problem in problems_of(data))


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"name": NaN}', "not valid JSON"),
        (b'{"name": "\xff"}', "not valid UTF-8"),
    ],
)
def test_package_json_must_be_a_json_object(content: bytes, fragment: str) -> None:
    problems = problems_of(make_tarball({"package.json": content}))
    assert len(problems) == 1
    assert fragment in problems[0]


def test_package_json_over_the_limit() -> None:
    data = make_tarball({"package.json": package_json(description="x" * 200)})
    problems = problems_of(data, TarballLimits(max_manifest_bytes=100))
    assert any("the limit is 100" in problem for problem in problems)


def test_every_problem_is_reported_together() -> None:
    data = pack(
        [
            ("package/../evil.js", b"x"),
            ("/abs.js", b"x"),
            link("package/link", "/etc/passwd"),
            special("package/fifo", tarfile.FIFOTYPE),
        ]
    )
    problems = problems_of(data)
    assert len(problems) >= 5
    assert problems[-1] == "the tarball has no package/package.json"


def test_a_flood_of_problems_is_cut_short() -> None:
    data = pack([("package/package.json", package_json())] + [(f"/abs{i}", b"") for i in range(80)])
    problems = problems_of(data)
    assert len(problems) == 51
    assert problems[-1].startswith("and ")


def test_too_many_files() -> None:
    data = make_tarball({f"f{i}.js": b"x" for i in range(10)} | {"package.json": package_json()})
    with pytest.raises(TooLargeError) as caught:
        inspect_tarball(data, TarballLimits(max_files=5))
    assert "more than 5 entries" in caught.value.message
    assert caught.value.hint


def test_too_many_bytes_unpacked() -> None:
    data = make_tarball({"package.json": package_json(), "big.bin": b"\x00" * 50_000})
    with pytest.raises(TooLargeError) as caught:
        inspect_tarball(data, TarballLimits(max_unpacked_bytes=10_000))
    assert "more than 10000 bytes" in caught.value.message


def test_a_compression_bomb_is_stopped_by_the_ratio() -> None:
    data = make_tarball({"package.json": package_json(), "zeros.bin": b"\x00" * (24 << 20)})
    assert len(data) < 100_000
    with pytest.raises(TooLargeError) as caught:
        inspect_tarball(data)
    assert "compression bomb" in caught.value.message


def test_the_stream_itself_is_metered() -> None:
    # a pax header is expanded by the tar reader before any entry is seen
    info = tarfile.TarInfo("package/package.json")
    info.pax_headers = {"comment": "z" * 300_000}
    raw = tar_bytes([info])
    limits = TarballLimits(ratio_floor=0, max_ratio=5)
    with pytest.raises(TooLargeError):
        inspect_tarball(gzip.compress(raw), limits)


def test_small_repetitive_packages_are_not_bombs() -> None:
    data = make_tarball({"package.json": package_json(), "a.txt": b"a" * (1 << 20)})
    assert inspect_tarball(data).unpacked_size > 1 << 20
