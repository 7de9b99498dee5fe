"""The ``[policy]`` settings: each built-in rule's mode and parameters, allow and deny
entries, and per-index overrides (DESIGN.md section 7). The defaults are the safe start that
issue 4 describes; ``wharf policy show`` prints them all."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator

from wharf.config.section import Section

RuleMode = Literal["enforce", "warn", "off"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def duration_seconds(text: str) -> float:
    """``"90s"``, ``"30m"``, ``"12h"``, ``"1d"``, ``"2w"`` or a bare number of seconds."""
    value = text.strip().lower()
    unit = _UNITS.get(value[-1:])
    number = value[:-1] if unit is not None else value
    try:
        seconds = float(number) * (unit or 1)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a duration; write a number with s, m, h, d or w (e.g. '1d')"
        ) from None
    if seconds < 0:
        raise ValueError(f"{text!r} is negative")
    return seconds


def _check_duration(value: str | float) -> str:
    text = str(value)
    duration_seconds(text)
    return text


class CooldownSettings(Section):
    mode: RuleMode = Field("enforce", description="Minimum release age: enforce, warn or off.")
    min_age: str = Field(
        "1d",
        description="How old a version must be, counted from its publish time upstream "
        "(PEP 700 upload-time, the npm time map), before it is listed or served: 90s, 30m, "
        "12h, 1d, 2w.",
    )
    uploads: bool = Field(
        False, description="Also hold back the team's own uploads (off: only upstream versions)."
    )
    unknown_time: Literal["allow", "deny"] = Field(
        "allow", description="What to do with an upstream version whose publish time is unknown."
    )
    exempt: tuple[str, ...] = Field(
        (), description="Name patterns (globs, npm scopes such as @corp/*) never held back."
    )
    fast_lane: bool = Field(
        True,
        description="Let through, at once, the version that fixes a known vulnerability of "
        "an older version (from imported vulnerability data).",
    )
    freeze_after: datetime | None = Field(
        None,
        description="Incident response: nothing published after this time (ISO 8601) is "
        "listed or served, whatever its age.",
    )

    @field_validator("min_age", mode="before")
    @classmethod
    def _duration(cls, value: str | float) -> str:
        return _check_duration(value)


class TyposquatSettings(Section):
    mode: RuleMode = Field(
        "enforce",
        description="Refuse upstream names that imitate a popular name or one of the team's "
        "own: enforce, warn or off.",
    )
    allow: tuple[str, ...] = Field(
        (), description="Upstream names (globs) never treated as lookalikes."
    )


class VulnerabilitySettings(Section):
    mode: RuleMode = Field(
        "warn",
        description="Known-vulnerable versions (from `wharf vuln import`): enforce, warn or off.",
    )
    severity: Literal["low", "moderate", "high", "critical"] = Field(
        "high", description="The lowest severity that counts; unknown severity counts."
    )
    malware: RuleMode = Field(
        "enforce", description="Versions listed as malicious (OSV MAL- records)."
    )


class WithdrawalSettings(Section):
    mode: RuleMode = Field(
        "enforce",
        description="Refuse cached files that upstream withdrew (yanked away, unpublished, "
        "removed) and projects upstream quarantined (PEP 792).",
    )


class ConfusionSettings(Section):
    mode: RuleMode = Field(
        "enforce",
        description="A name the team hosts hides the upstream name of the same spelling in "
        "groups (dependency confusion).",
    )


class SizeSettings(Section):
    mode: RuleMode = Field("enforce", description="File size limit: enforce, warn or off.")
    max_bytes: int = Field(0, ge=0, description="Largest file listed or served; 0: no limit.")


class LicenceSettings(Section):
    mode: RuleMode = Field("enforce", description="Licence lists: enforce, warn or off.")
    allow: tuple[str, ...] = Field(
        (), description="Only these licences (SPDX ids or globs); empty: any not denied."
    )
    deny: tuple[str, ...] = Field((), description="Licences (SPDX ids or globs) refused.")
    unknown: Literal["allow", "deny"] = Field(
        "allow", description="Versions that declare no licence, when `allow` is set."
    )


class PackageRuleSettings(Section):
    """One entry of ``[[policy.rules]]``."""

    action: Literal["deny", "allow", "allowlist"] = Field(
        description="deny: refuse what matches; allow: let what matches through every other "
        "rule; allowlist: refuse what does not match any allowlist entry."
    )
    packages: tuple[str, ...] = Field(description="Name patterns: globs, npm scopes (@corp/*).")
    versions: str = Field(
        "", description="Version range (PEP 440 specifiers, npm semver range); empty: all."
    )
    format: Literal["", "python", "npm"] = Field("", description="Only this format; empty: both.")
    indexes: tuple[str, ...] = Field(
        (), description="Indexes the entry applies to (and groups serving them); empty: all."
    )
    mode: RuleMode = Field("enforce", description="enforce, warn or off.")
    reason: str = Field("", description="Shown to whoever is refused.")
    id: str = Field("", description="Rule id in refusals and the audit log; empty: derived.")


class PolicyOverride(Section):
    """One entry of ``[[policy.overrides]]``: rule settings for some indexes only."""

    indexes: tuple[str, ...] = Field(description="Index names the override applies to.")
    cooldown: CooldownSettings | None = None
    typosquat: TyposquatSettings | None = None
    vulnerabilities: VulnerabilitySettings | None = None
    withdrawals: WithdrawalSettings | None = None
    size: SizeSettings | None = None
    licences: LicenceSettings | None = None


class PolicySettings(Section):
    cooldown: CooldownSettings = CooldownSettings()
    typosquat: TyposquatSettings = TyposquatSettings()
    vulnerabilities: VulnerabilitySettings = VulnerabilitySettings()
    withdrawals: WithdrawalSettings = WithdrawalSettings()
    confusion: ConfusionSettings = ConfusionSettings()
    size: SizeSettings = SizeSettings()
    licences: LicenceSettings = LicenceSettings()
    rules: tuple[PackageRuleSettings, ...] = Field(
        (), description="Allow and deny entries by name pattern and version range."
    )
    overrides: tuple[PolicyOverride, ...] = Field(
        (), description="Rule settings for named indexes (a group inherits its members')."
    )
