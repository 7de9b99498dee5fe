"""npm's audit answers built from imported OSV data, in the shapes the clients read.

Two shapes (the wire facts come from the clients' own code):

- the **bulk** advisory listing (``/-/npm/v1/security/advisories/bulk``, npm 7+ first):
  ``{name: [{id, url, title, severity, vulnerable_versions, cwe, cvss}]}``. npm re-tests its
  installed versions against ``vulnerable_versions`` and uses ``id`` only as an opaque key
  (a cache key and the ``source`` of ``npm audit --json``), so the OSV id is sent as it is;
- the **legacy** report (``audits/quick``, then ``audits``: what pnpm 10 asks, and npm's
  fallback): ``advisories`` by id, each with ``module_name``, ``findings`` (version and
  ``>``-joined paths), ``vulnerable_versions``, ``patched_versions``, ``severity``, ``cves``
  and ``github_advisory_id`` (pnpm's ignore lists); ``metadata.vulnerabilities`` counts per
  severity (pnpm sums them for its summary and exit code); ``actions`` and ``muted`` empty.

Malware reports are sent as critical advisories: npm and pnpm have no other way to show
them, and nobody should install them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from wharf.core.advisories import Advisory
from wharf.core.errors import InvalidRequestError
from wharf.formats.npm.advisory_ranges import NO_PATCH, patched_versions, vulnerable_versions
from wharf.formats.npm.versions import sort_key
from wharf.policy.advisories import fixed_versions
from wharf.policy.severity import cvss3_base_score

Matches = Mapping[str, Sequence[tuple[Advisory, Collection[str]]]]
"""Per package name, the advisories affecting it and which of the asked versions they hit."""
Linker = Callable[[str], str]
"""A link for an advisory id, for records that carry none of their own."""

SEVERITIES = ("info", "low", "moderate", "high", "critical")
UNKNOWN_SEVERITY = "high"
"""What npm itself assumes of an advisory without a severity."""


def bulk_query(query: Any) -> dict[str, list[str]]:
    """``{name: [versions]}`` of a bulk query, refused when it has another shape."""
    if not isinstance(query, dict) or not all(
        isinstance(versions, list) and all(isinstance(v, str) for v in versions)
        for versions in query.values()
    ):
        raise InvalidRequestError(
            "The advisory query is not {name: [versions]}.",
            hint="Send the body `npm audit` sends to /-/npm/v1/security/advisories/bulk.",
        )
    return {str(name): list(versions) for name, versions in query.items()}


@dataclass
class AuditTree:
    """What a legacy audit body lists: per name, per version, the paths that reach it."""

    paths: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    dependencies: int = 0
    dev_dependencies: int = 0

    def versions(self) -> dict[str, list[str]]:
        return {name: list(found) for name, found in self.paths.items()}


def read_tree(query: Any) -> AuditTree:
    """The nodes of a legacy audit body (npm's lockfile-v1 ``dependencies`` or pnpm's
    importer tree, nested ``dependencies`` maps of ``{version, dev}`` nodes)."""
    if not isinstance(query, dict):
        raise InvalidRequestError(
            "The audit body is not a JSON object.", hint="Send the body npm or pnpm sends."
        )
    tree = AuditTree()
    stack: list[tuple[str, Any]] = [("", query)]
    while stack:
        prefix, node = stack.pop()
        children = node.get("dependencies") if isinstance(node, dict) else None
        if not isinstance(children, dict):
            continue
        for name, child in children.items():
            if not isinstance(child, dict):
                continue
            path = f"{prefix}>{name}" if prefix else str(name)
            version = child.get("version")
            if isinstance(version, str) and version:
                tree.paths.setdefault(str(name), {}).setdefault(version, []).append(path)
                if child.get("dev") is True:
                    tree.dev_dependencies += 1
                else:
                    tree.dependencies += 1
            stack.append((path, child))
    return tree


def bulk_report(
    matches: Matches, records: Mapping[str, Mapping[str, Any]], link: Linker
) -> dict[str, list[dict[str, Any]]]:
    return {
        name: [_bulk_entry(advisory, records.get(advisory.id, {}), link)
               for advisory, _ in found]
        for name, found in sorted(matches.items())
        if found
    }


def legacy_report(
    tree: AuditTree, matches: Matches, records: Mapping[str, Mapping[str, Any]], link: Linker
) -> dict[str, Any]:
    advisories: dict[str, dict[str, Any]] = {}
    counts = dict.fromkeys(SEVERITIES, 0)
    for name, found in sorted(matches.items()):
        for advisory, versions in found:
            entry = _legacy_entry(name, advisory, records.get(advisory.id, {}), link)
            entry["findings"] = [
                {"version": version, "paths": tree.paths.get(name, {}).get(version, []),
                 "dev": False, "optional": False, "bundled": False}
                for version in sorted(versions)
            ]
            key = advisory.id if advisory.id not in advisories else f"{advisory.id}:{name}"
            advisories[key] = entry
            counts[entry["severity"]] += 1
    return {
        "actions": [],
        "advisories": advisories,
        "muted": [],
        "metadata": {
            "vulnerabilities": counts,
            "dependencies": tree.dependencies,
            "devDependencies": tree.dev_dependencies,
            "optionalDependencies": 0,
            "totalDependencies": tree.dependencies + tree.dev_dependencies,
        },
    }


def severity_of(advisory: Advisory) -> str:
    if advisory.malware:
        return "critical"
    return advisory.severity if advisory.severity in SEVERITIES else UNKNOWN_SEVERITY


def _title(advisory: Advisory) -> str:
    if advisory.malware and not advisory.summary:
        return f"Malware in {advisory.name}"
    return advisory.summary or advisory.id


def _cwe(record: Mapping[str, Any]) -> list[str]:
    specific = record.get("database_specific")
    found = specific.get("cwe_ids") if isinstance(specific, dict) else None
    return [str(each) for each in found] if isinstance(found, list) else []


def _cvss(record: Mapping[str, Any]) -> dict[str, Any]:
    for entry in record.get("severity") or ():
        if isinstance(entry, dict) and str(entry.get("type", "")).startswith("CVSS_V3"):
            vector = str(entry.get("score", ""))
            return {"score": cvss3_base_score(vector) or 0.0, "vectorString": vector}
    return {"score": 0.0, "vectorString": None}


def _bulk_entry(advisory: Advisory, record: Mapping[str, Any], link: Linker) -> dict[str, Any]:
    return {
        "id": advisory.id,
        "url": advisory.url or link(advisory.id),
        "title": _title(advisory),
        "severity": severity_of(advisory),
        "vulnerable_versions": vulnerable_versions(advisory),
        "cwe": _cwe(record),
        "cvss": _cvss(record),
    }


def _legacy_entry(
    name: str, advisory: Advisory, record: Mapping[str, Any], link: Linker
) -> dict[str, Any]:
    patched = patched_versions(advisory)
    fixes = fixed_versions(advisory)
    ghsa = [each for each in (advisory.id, *advisory.aliases) if each.startswith("GHSA-")]
    references = [
        str(ref["url"]) for ref in record.get("references") or ()
        if isinstance(ref, dict) and isinstance(ref.get("url"), str)
    ]
    return {
        "id": advisory.id,
        "title": _title(advisory),
        "module_name": name,
        "severity": severity_of(advisory),
        "vulnerable_versions": vulnerable_versions(advisory),
        "patched_versions": patched,
        "recommendation": (
            f"Upgrade to version {max(fixes, key=sort_key)} or later"
            if fixes and patched != NO_PATCH
            else "None"
        ),
        "url": advisory.url or link(advisory.id),
        "cves": [each for each in advisory.aliases if each.startswith("CVE-")],
        "github_advisory_id": ghsa[0] if ghsa else "",
        "cwe": ", ".join(_cwe(record)),
        "cvss": _cvss(record),
        "overview": str(record.get("details") or advisory.summary),
        "references": "\n".join(references),
        "access": "public",
        "created": record.get("published") or record.get("modified"),
        "updated": record.get("modified"),
        "deleted": None,
        "found_by": {"name": ""},
        "reported_by": {"name": ""},
        "metadata": {"module_type": "", "exploitability": 0, "affected_components": ""},
    }
