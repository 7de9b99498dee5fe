"""Small real distributions for the e2e tests.

``build_all`` generates source trees and builds each with ``python -m build`` (sdist and
wheel, hatchling backend) once per session; ``write_wheel`` crafts wheels by hand for the
cases no build backend would produce (wrong metadata, missing files, a very large file).
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import subprocess
import sys
import zipfile
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "{name}"
version = "{version}"
description = "Wharf end-to-end test package {name} {version}"
requires-python = ">=3.8"
dependencies = [{dependencies}]

[tool.hatch.build.targets.wheel]
packages = ["src/{module}"]
"""


@dataclass(frozen=True)
class Spec:
    key: str
    name: str
    version: str
    dependencies: tuple[str, ...] = ()
    note: str = ""  # changes the bytes without changing name or version


@dataclass(frozen=True)
class Dist:
    name: str
    version: str
    wheel: Path
    sdist: Path
    module: str = field(default="")

    @property
    def files(self) -> list[Path]:
        return [self.wheel, self.sdist]


SPECS = (
    Spec("acme-1.0", "acme-widget", "1.0"),
    Spec("acme-2.0", "acme-widget", "2.0"),
    Spec("acme-1.0-changed", "acme-widget", "1.0", note="rebuilt with other contents"),
    Spec("private-1.0", "wharf-e2e-private", "1.0"),
    Spec("private-99.0", "wharf-e2e-private", "99.0", note="the public lookalike"),
    Spec("app-1.0", "wharf-e2e-app", "1.0", dependencies=("wharf-e2e-lib>=1.0",)),
    Spec("lib-1.0", "wharf-e2e-lib", "1.0"),
    Spec("auth-1.0", "wharf-e2e-auth", "1.0"),
    Spec("workers-1.0", "wharf-e2e-workers", "1.0"),
)


def module_name(project: str) -> str:
    return project.replace("-", "_")


def write_source_tree(root: Path, spec: Spec) -> Path:
    module = module_name(spec.name)
    tree = root / "src" / spec.key
    package = tree / "src" / module
    package.mkdir(parents=True)
    deps = ", ".join(f'"{d}"' for d in spec.dependencies)
    (tree / "pyproject.toml").write_text(
        PYPROJECT.format(name=spec.name, version=spec.version, dependencies=deps, module=module)
    )
    (package / "__init__.py").write_text(
        f'"""{spec.name} {spec.version}. {spec.note}"""\n\n__version__ = "{spec.version}"\n'
    )
    return tree


def build(tree: Path, out: Path) -> None:
    """``python -m build`` (sdist, then a wheel from it). Without isolation when hatchling is
    importable here (fast); else build fetches it into an isolated environment."""
    argv = [sys.executable, "-m", "build", "--outdir", str(out)]
    if importlib.util.find_spec("hatchling") is not None:
        argv.append("--no-isolation")
    result = subprocess.run(
        [*argv, str(tree)], capture_output=True, text=True, timeout=300, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"building {tree} failed:\n{result.stdout}\n{result.stderr}")


def build_one(root: Path, spec: Spec) -> Dist:
    out = root / "dist" / spec.key
    build(write_source_tree(root, spec), out)
    wheels, sdists = list(out.glob("*.whl")), list(out.glob("*.tar.gz"))
    assert len(wheels) == 1, list(out.iterdir())
    assert len(sdists) == 1, list(out.iterdir())
    return Dist(spec.name, spec.version, wheels[0], sdists[0], module_name(spec.name))


def build_all(root: Path, specs: Iterable[Spec] = SPECS) -> dict[str, Dist]:
    specs = list(specs)
    with ThreadPoolExecutor(max_workers=4) as pool:
        built = list(pool.map(lambda spec: build_one(root, spec), specs))
    return {spec.key: dist for spec, dist in zip(specs, built, strict=True)}


# hand-made wheels ----------------------------------------------------------------------
def record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def write_wheel(
    directory: Path,
    *,
    name: str,
    version: str,
    metadata_name: str | None = None,
    files: Mapping[str, bytes] | None = None,
    omit: Iterable[str] = (),
    compression: int = zipfile.ZIP_DEFLATED,
) -> Path:
    """A wheel named after ``name``/``version`` whose METADATA says ``metadata_name``;
    ``omit`` leaves out dist-info files (``"RECORD"``, ``"WHEEL"`` …)."""
    stem = f"{module_name(name)}-{version}"
    dist_info = f"{stem}.dist-info"
    members: dict[str, bytes] = dict(files or {module_name(name) + "/__init__.py": b"X = 1\n"})
    members[f"{dist_info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {metadata_name or name}\nVersion: {version}\n"
        "Summary: hand-made wheel\n"
    ).encode()
    members[f"{dist_info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: wharf-e2e\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    omitted = {f"{dist_info}/{o}" for o in omit}
    record = [record_line(p, d) for p, d in members.items() if p not in omitted]
    members[f"{dist_info}/RECORD"] = ("\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n").encode()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{stem}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for member, data in members.items():
            if member not in omitted:
                archive.writestr(member, data)
    return path
