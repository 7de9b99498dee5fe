"""The results file (JSON: every raw figure, the machine, the options, skips and failures)
and the table (markdown: one row per figure, one column per server, each value with its
ratio to nginx where nginx serves the same thing), both under ``results/<stamp>``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from wharfbench.figures import CATALOGUE, Figure


def title_params(manifest: dict[str, Any], plan: dict[str, Any]) -> dict[str, Any]:
    py, npm = manifest["python"], manifest["npm"]
    return {
        "small_page": py["small_page"], "large_page": py["large_page"],
        "large_page_files": py["large_page_files"],
        "small_packument": npm["small_packument"],
        "large_packument_versions": npm["large_packument_versions"],
        "huge_packument_versions": npm["huge_packument_versions"],
        "index_projects": manifest["size"]["index_projects"],
        "large_wheel_mb": py["large_wheel"]["size"] / 1e6,
        "small_wheel_kb": py["small_wheel"]["size"] / 1e3,
        "large_tarball_mb": npm["large_tarball"]["size"] / 1e6,
        "small_tarball_kb": npm["small_tarball"]["size"] / 1e3,
        "parallel": plan["parallel"], "uploads": plan["uploads"],
        "publishes": plan["publishes"],
    }


def number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _cell(figure: Figure, server: str, doc: dict[str, Any]) -> str:
    found = doc["figures"].get(figure.key, {}).get(server)
    if found is None:
        return "failed" if figure.key in doc["failed"].get(server, {}) else "-"
    text = number(found["value"])
    versus = figure.compared_with
    limit = doc["figures"].get(versus, {}).get("nginx") if versus else None
    if limit and server != "nginx" and limit["value"]:
        text += f" ({found['value'] / limit['value']:.2f}x)"
    return text


def _header(doc: dict[str, Any]) -> list[str]:
    m = doc["machine"]
    return [
        f"# Wharf benchmark, {doc['stamp']}",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB RAM, {m['kernel']}, "
        f"Python {m['python']}.",
        "Tools: " + ", ".join(f"{k} {v}" for k, v in m["tools"].items()) + ".",
        f"Load: {doc['load']['tool']} ({doc['load']['conns']} connections unless said, "
        f"{doc['options']['runs']} run(s) x {doc['options']['duration']} s, medians). "
        f"Upstream: {doc['upstream']}.",
        "Ratios in brackets: value ÷ nginx's for the same bytes (for cold installs: ÷ nginx "
        "warm, i.e. x static).",
    ]


def _table(doc: dict[str, Any], servers: list[str]) -> list[str]:
    params = doc["title_params"]
    lines = ["| figure | unit | " + " | ".join(servers) + " |",
             "|---|---|" + "---|" * len(servers)]
    for figure in CATALOGUE:
        if not any((figure.key in doc["figures"] and s in doc["figures"][figure.key])
                   or figure.key in doc["failed"].get(s, {}) for s in servers):
            continue
        cells = [_cell(figure, s, doc) for s in servers]
        lines.append(f"| {figure.title.format(**params)} | {figure.unit} | "
                     + " | ".join(cells) + " |")
    return lines


def _bodies(doc: dict[str, Any]) -> list[str]:
    """What each server actually sent for each page: the ratios are only fair if these
    are alike."""
    lines = ["Bodies as each server sent them (bytes, encoding):"]
    for figure in CATALOGUE:
        sent = {s: v for s, v in doc["figures"].get(figure.key, {}).items() if "body_bytes" in v}
        if figure.scenario in ("pages", "bigindex") and sent:
            lines.append(f"- {figure.title.format(**doc['title_params'])}: " + ", ".join(
                f"{s} {v['body_bytes']:,} {v.get('content_encoding') or 'identity'}"
                for s, v in sent.items()))
    return lines


def _servers(doc: dict[str, Any], servers: list[str]) -> list[str]:
    lines = ["Servers:"]
    for name in doc.get("order") or doc["servers"]:
        info = doc["servers"][name]
        lines.append(f"- **{name}**: " + (f"skipped ({info['skipped']})" if info.get("skipped")
                                          else info["label"]))
    for server, warmed in doc.get("warm_ups", {}).items():
        if warmed:
            lines.append(f"- {server} warm-up installs (untimed, s, until steady): " + "; ".join(
                f"{kind} {', '.join(number(t) for t in times)}" for kind, times in warmed.items()))
    for server, skipped in doc["skipped"].items():
        if server in servers and skipped:
            reasons: dict[str, list[str]] = {}
            for key, reason in skipped.items():
                reasons.setdefault(reason, []).append(key)
            lines.append(f"- {server} does not do: " + "; ".join(
                f"{', '.join(keys)} ({reason})" for reason, keys in reasons.items()))
    for server, failed in doc["failed"].items():
        for key, error in failed.items():
            lines.append(f"- FAILED {server} {key}: {error.splitlines()[0][:300]}")
    return lines


def markdown(doc: dict[str, Any]) -> str:
    order = doc.get("order") or list(doc["servers"])  # the JSON's keys come back sorted
    servers = [s for s in order if not doc["servers"][s].get("skipped")]
    lines = [*_header(doc), "", *_table(doc, servers), "", *_bodies(doc), "",
             *_servers(doc, servers)]
    if doc["notes"]:
        lines += ["", "Notes:", *(f"- {note}" for note in doc["notes"])]
    return "\n".join(lines) + "\n"


def write(results_dir: Path, doc: dict[str, Any]) -> tuple[Path, Path]:
    results_dir.mkdir(parents=True, exist_ok=True)
    json_path = results_dir / f"{doc['stamp']}.json"
    md_path = results_dir / f"{doc['stamp']}.md"
    json_path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    md_path.write_text(markdown(doc))
    return json_path, md_path
