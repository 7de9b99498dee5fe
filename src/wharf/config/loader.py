"""Settings from their sources: defaults < TOML file < WHARF_* environment < command line.

Unknown keys are errors in the file and in the environment, so a typo never goes unnoticed.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from wharf.config.settings import Settings
from wharf.core.errors import ConfigurationError

ENV_PREFIX = "WHARF_"
# Variables that configure the configuration itself, or the test suite, not a setting.
ENV_RESERVED = ("WHARF_CONFIG", "WHARF_TEST_")


@dataclass(frozen=True, slots=True)
class LoadedSettings:
    settings: Settings
    sources: Mapping[str, str] = field(default_factory=dict)
    """Dotted key -> where its value came from (only for keys not left at the default)."""
    config_file: Path | None = None


def iter_keys(model: type[BaseModel] = Settings, prefix: str = "") -> Iterator[str]:
    """Every dotted setting key, in declaration order."""
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from iter_keys(annotation, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}"


def env_name(key: str) -> str:
    return ENV_PREFIX + key.replace(".", "_").upper()


def default_data_dir(environ: Mapping[str, str]) -> Path:
    base = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "wharf"


def load_settings(
    *,
    overrides: Mapping[str, Any] | None = None,
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> LoadedSettings:
    """Build the validated settings. ``overrides`` are dotted keys from the command line."""
    env = os.environ if environ is None else environ
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    keys = list(iter_keys())
    env_values = read_environment(env, keys)

    data_dir = Path(
        overrides.get("data_dir") or env_values.get("data_dir") or default_data_dir(env)
    ).expanduser()
    explicit = config_file or (Path(env["WHARF_CONFIG"]) if env.get("WHARF_CONFIG") else None)
    path = explicit or data_dir / "wharf.toml"
    file_values: dict[str, Any] = {}
    if path.exists():
        file_values = read_file(path, keys)
    elif explicit is not None:
        raise ConfigurationError(
            f"Configuration file {path} does not exist.",
            hint="Check the --config path, or leave it out to use the defaults.",
        )

    values: dict[str, Any] = {"data_dir": str(data_dir)}
    sources: dict[str, str] = {}
    for layer, label in (
        (file_values, f"file {path}"),
        (env_values, "environment"),
        (overrides, "command line"),
    ):
        for key, value in layer.items():
            values[key] = value
            sources[key] = label if label != "environment" else f"environment {env_name(key)}"
    if "data_dir" not in sources and "data_dir" in file_values:
        sources["data_dir"] = f"file {path}"

    try:
        settings = Settings.model_validate(nest(values))
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        ]
        raise ConfigurationError(
            "Invalid settings: " + "; ".join(problems),
            hint="Fix the value in wharf.toml, the WHARF_* variable or the option.",
        ) from None
    settings = settings.model_copy(update={"data_dir": settings.data_dir.expanduser()})
    return LoadedSettings(settings, sources, path if path.exists() else None)


def read_environment(env: Mapping[str, str], keys: list[str]) -> dict[str, Any]:
    by_name = {env_name(key): key for key in keys}
    values: dict[str, Any] = {}
    unknown = []
    for name, raw in env.items():
        if not name.startswith(ENV_PREFIX) or name.startswith(ENV_RESERVED):
            continue
        key = by_name.get(name)
        if key is None:
            unknown.append(name)
            continue
        values[key] = split_list(key, raw)
    if unknown:
        raise ConfigurationError(
            f"Unknown environment variable(s): {', '.join(sorted(unknown))}.",
            hint="Run `wharf config show` to list every setting and its variable.",
        )
    return values


def split_list(key: str, raw: str) -> Any:
    if key in LIST_KEYS:
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw


LIST_KEYS = frozenset({
    "server.trusted_proxies",
    "policy.cooldown.exempt",
    "policy.typosquat.allow",
    "policy.licences.allow",
    "policy.licences.deny",
})


def read_file(path: Path, keys: list[str]) -> dict[str, Any]:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(
            f"Cannot read configuration file {path}: {exc}.",
            hint="Fix the TOML syntax (see `wharf config show` for the keys).",
        ) from None
    flat = dict(flatten(document))
    unknown = sorted(set(flat) - set(keys))
    if unknown:
        raise ConfigurationError(
            f"Unknown setting(s) in {path}: {', '.join(unknown)}.",
            hint="Run `wharf config show` to list every setting.",
        )
    return flat


def flatten(document: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for name, value in document.items():
        if isinstance(value, Mapping):
            yield from flatten(value, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", value


def nest(values: Mapping[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for key, value in values.items():
        *sections, last = key.split(".")
        target = nested
        for section in sections:
            target = target.setdefault(section, {})
        target[last] = value
    return nested
