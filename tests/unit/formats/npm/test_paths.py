from __future__ import annotations

import pytest

from wharf.core.errors import NotFoundError
from wharf.formats.npm.paths import NpmPath, Target, parse_path


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/lodash", NpmPath(Target.PACKAGE, "lodash")),
        ("/@babel/core", NpmPath(Target.PACKAGE, "@babel/core")),
        ("/lodash/-rev/3-abc", NpmPath(Target.PACKAGE_REV, "lodash", rev="3-abc")),
        ("/lodash/4.17.21", NpmPath(Target.VERSION, "lodash", spec="4.17.21")),
        ("/@s/x/latest", NpmPath(Target.VERSION, "@s/x", spec="latest")),
        (
            "/lodash/-/lodash-4.17.21.tgz",
            NpmPath(Target.TARBALL, "lodash", file="lodash-4.17.21.tgz"),
        ),
        ("/@s/x/-/x-1.0.0.tgz", NpmPath(Target.TARBALL, "@s/x", file="x-1.0.0.tgz")),
        ("/@s/x/-/@s/x-1.0.0.tgz", NpmPath(Target.TARBALL, "@s/x", file="x-1.0.0.tgz")),
        (
            "/x/-/x-1.0.0.tgz/-rev/5-ff",
            NpmPath(Target.TARBALL_REV, "x", file="x-1.0.0.tgz", rev="5-ff"),
        ),
        (
            "/@s/x/-/x-1.0.0.tgz/-rev/5-ff",
            NpmPath(Target.TARBALL_REV, "@s/x", file="x-1.0.0.tgz", rev="5-ff"),
        ),
        ("/-/package/x/dist-tags", NpmPath(Target.DIST_TAGS, "x")),
        ("/-/package/@s/x/dist-tags", NpmPath(Target.DIST_TAGS, "@s/x")),
        ("/-/package/@s/x/dist-tags/beta", NpmPath(Target.DIST_TAG, "@s/x", spec="beta")),
        ("/-/ping", NpmPath(Target.ENDPOINT, endpoint=("ping",))),
        ("/-/v1/search", NpmPath(Target.ENDPOINT, endpoint=("v1", "search"))),
        (
            "/-/user/org.couchdb.user:alice",
            NpmPath(Target.ENDPOINT, endpoint=("user", "org.couchdb.user:alice")),
        ),
    ],
)
def test_paths(path: str, expected: NpmPath) -> None:
    assert parse_path(path) == expected


@pytest.mark.parametrize(
    "path",
    ["/", "", "/@s", "/@/x", "/x/../y", "/x/-/..", "/x/a/b", "/x/-", "/a\\b"],
)
def test_nothing_there(path: str) -> None:
    with pytest.raises(NotFoundError):
        parse_path(path)
