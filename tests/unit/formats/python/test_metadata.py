import json

import pytest

from wharf.formats.python.metadata import declares_at_least, parse_core_metadata

BASE = "Metadata-Version: 2.4\nName: Demo.Pkg\nVersion: 1.0\n"


def parse(extra: str, base: str = BASE) -> tuple[dict[str, object], list[str]]:
    return parse_core_metadata((base + extra).encode())


def test_fields_are_json_able_with_snake_case_keys() -> None:
    fields, problems = parse(
        "Summary: A demo\n"
        "Keywords: one, two\n"
        "Platform: linux\n"
        "Supported-Platform: x86_64\n"
        "Classifier: Programming Language :: Python :: 3\n"
        "Requires-Dist: requests>=2\n"
        "Requires-Dist: rich; extra == 'cli'\n"
        "Provides-Extra: cli\n"
        "Requires-Python: >=3.11\n"
        "Project-URL: Source, https://git.example/demo\n"
        "License-Expression: MIT\n"
        "License-File: LICENSE\n"
        "Description-Content-Type: text/markdown\n"
        "\n# Demo\n"
    )
    assert problems == []
    assert fields == {
        "metadata_version": "2.4",
        "name": "Demo.Pkg",
        "version": "1.0",
        "platform": ["linux"],
        "summary": "A demo",
        "description": "# Demo\n",
        "keywords": ["one", "two"],
        "supported_platform": ["x86_64"],
        "classifiers": ["Programming Language :: Python :: 3"],
        "requires_dist": ["requests>=2", "rich; extra == 'cli'"],
        "requires_python": ">=3.11",
        "project_urls": {"Source": "https://git.example/demo"},
        "description_content_type": "text/markdown",
        "provides_extra": ["cli"],
        "license_expression": "MIT",
        "license_files": ["LICENSE"],
    }
    assert json.loads(json.dumps(fields)) == fields


def test_absent_fields_and_setuptools_placeholders_are_omitted() -> None:
    fields, problems = parse(
        "Home-page: UNKNOWN\nAuthor: UNKNOWN\nLicense: UNKNOWN\nPlatform: UNKNOWN\n"
        "Description-Content-Type: UNKNOWN\n",
        base="Metadata-Version: 1.1\nName: old\nVersion: 0.1\n",
    )
    assert problems == []
    assert fields == {"metadata_version": "1.1", "name": "old", "version": "0.1"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "Metadata-Version: missing; this field is required"),
        ("Metadata-Version: 2.1\nVersion: 1.0\n", "Name: missing; this field is required"),
        ("Metadata-Version: 2.1\nName: demo\n", "Version: missing; this field is required"),
        (
            "Metadata-Version: 9.9\nName: demo\nVersion: 1.0\n",
            "Metadata-Version: '9.9' is not a metadata version this server knows",
        ),
        (
            "Metadata-Version: 2.1\nName: demo\nVersion: one\n",
            "Version: 'one' is not a valid version (PEP 440)",
        ),
        (
            "Metadata-Version: 2.1\nName: -demo\nVersion: 1\n",
            "Name: '-demo' is not a valid project name (PEP 508)",
        ),
        (BASE + "Requires-Python: >=3.x\n", "Requires-Python: '>=3.x' is not a valid version"),
        (BASE + "Requires-Dist: foo>=\n", "Requires-Dist: 'foo>=' is not a valid requirement"),
        (BASE + "Provides-Dist: foo (\n", "Provides-Dist: 'foo (' is not a valid requirement"),
        (BASE + "Provides-Extra: not valid\n", "Provides-Extra: 'not valid' is not a valid extra"),
        (BASE + "License-Expression: MIT OR Nope\n", "not a valid SPDX license expression"),
        (
            "Metadata-Version: 2.1\nName: demo\nVersion: 1.0+build7\n",
            "Version: local versions ('+build7') cannot be uploaded",
        ),
        (BASE + "Project-URL: " + "L" * 33 + ", https://x.example\n", "32 characters or less"),
        (BASE + "Project-URL: Docs, ftp://x.example\n", "is not a valid http(s) URL"),
        (BASE + "Home-page: not a url\n", "Home-page: 'not a url' is not a valid http(s) URL"),
        (BASE + "Summary: " + "s" * 513 + "\n", "Summary: must be 512 characters or less"),
        (BASE + "Summary: one\nSummary: two\n", "Summary: has invalid data"),
        (BASE + "X-Custom: 1\n", "X-Custom: is not a core metadata field"),
        (BASE + "Dynamic: Name\n", "Dynamic: 'name' is not allowed as a dynamic field"),
        (
            "Metadata-Version: 2.1\nName: demo\nVersion: 1\nDynamic: Summary\n",
            "Dynamic: this field needs Metadata-Version 2.2 or later, but the file declares 2.1",
        ),
        (
            "Metadata-Version: 2.4\nName: demo\nVersion: 1\nLicense-File: ../LICENSE\n",
            "License-File: '../LICENSE' is invalid",
        ),
    ],
)
def test_problems_are_readable(text: str, expected: str) -> None:
    _, problems = parse_core_metadata(text.encode())
    assert any(expected in problem for problem in problems), problems


def test_every_problem_is_collected() -> None:
    _, problems = parse(
        "Requires-Python: >=3.x\nRequires-Dist: a>=\nRequires-Dist: b (\nRequires-Dist: ok\n",
        base="Metadata-Version: 2.1\nName: demo\nVersion: 1.0+local\n",
    )
    assert len(problems) == 4
    assert sum(problem.startswith("Requires-Dist:") for problem in problems) == 2


def test_license_fields_written_before_2_4_are_accepted() -> None:
    fields, problems = parse_core_metadata(
        b"Metadata-Version: 2.1\nName: demo\nVersion: 1\nLicense-File: LICENSE\n"
        b"License-Expression: MIT\n"
    )
    assert problems == []
    assert fields["license_files"] == ["LICENSE"]
    assert fields["license_expression"] == "MIT"


def test_metadata_version_2_0_from_old_tools_is_accepted() -> None:
    fields, problems = parse_core_metadata(b"Metadata-Version: 2.0\nName: demo\nVersion: 1\n")
    assert problems == []
    assert fields["metadata_version"] == "2.0"


def test_non_utf8_values_are_reported() -> None:
    _, problems = parse_core_metadata(BASE.encode() + b"Author: J\xfcrgen\n")
    assert problems == [
        "Author: has invalid data (repeated where only one is allowed, not UTF-8, or malformed)"
    ]


def test_utf8_values_are_kept() -> None:
    fields, problems = parse_core_metadata((BASE + "Author: Jürgen\n").encode())
    assert problems == []
    assert fields["author"] == "Jürgen"


@pytest.mark.parametrize(
    ("declared", "minimum", "expected"),
    [
        ("2.2", "2.2", True),
        ("2.4", "2.2", True),
        ("2.1", "2.2", False),
        (None, "2.2", False),
        ("bogus", "2.2", False),
        ("1.0", "1.0", True),
    ],
)
def test_declares_at_least(declared: str | None, minimum: str, expected: bool) -> None:
    fields: dict[str, object] = {} if declared is None else {"metadata_version": declared}
    assert declares_at_least(fields, minimum) is expected
