"""``python bench/run.py``: build (or reuse) the corpus, start the static upstream, run each
server's turn, write and print the results."""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from wharfbench import corpus, report
from wharfbench.bigindex import BigIndex
from wharfbench.figures import SCENARIOS
from wharfbench.flow import Flow, Plan
from wharfbench.installs import Installer
from wharfbench.load import pick_loader
from wharfbench.machine import describe
from wharfbench.measure import LoadSettings
from wharfbench.procs import install_cleanup, log
from wharfbench.results import Results
from wharfbench.scenarios import Scenarios
from wharfbench.servers import ADAPTERS, Context
from wharfbench.tools import Tools
from wharfbench.upstream import StaticSite

BENCH = Path(__file__).resolve().parent.parent
DEFAULT_SERVERS = "wharf,wharf-accel,nginx,pypiserver,devpi,proxpi,verdaccio"


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python bench/run.py", description=__doc__)
    p.add_argument("--quick", action="store_true", help="1 run x 3 s per figure")
    p.add_argument("--smoke", action="store_true",
                   help="tiny and fast (CI): 1 run x 1 s, 1,000-project index, 200-version "
                   "packument, 2 uploads, Wharf only unless --servers")
    p.add_argument("--runs", type=int, help="runs per figure (default 3)")
    p.add_argument("--duration", type=float, help="seconds per load run (default 4)")
    p.add_argument("--servers", help=f"comma-separated (default {DEFAULT_SERVERS})")
    p.add_argument("--scenarios", help=f"comma-separated from {','.join(SCENARIOS)} (default all)")
    p.add_argument("--work", type=Path, default=BENCH / ".work",
                   help="where the corpus, caches and results go (default bench/.work)")
    p.add_argument("--workers", type=int, help="Wharf's worker processes (default: its own)")
    p.add_argument("--peers-from", type=Path, action="append", default=[],
                   help="a venv, a directory of venvs or a node prefix with peers (repeatable)")
    p.add_argument("--conns", type=int, default=16, help="connections for req/s figures")
    p.add_argument("--cold-runs", type=int, default=1, help="cold installs per proxy")
    p.add_argument("--parallel", type=int, help="concurrent uv installs (default 16, smoke 4)")
    p.add_argument("--uploads", type=int, help="wheels per twine figure (default 20)")
    p.add_argument("--publishes", type=int, help="versions per npm publish figure (default 10)")
    p.add_argument("--max-requests", type=int, default=2_000_000,
                   help="request budget of each load run (it also stops at its duration)")
    p.add_argument("--load-client", choices=("auto", "wrk", "asyncio"), default="auto")
    p.add_argument("--seed", type=int, default=1, help="corpus seed")
    p.add_argument("--wharf-access-log", action="store_true",
                   help="keep Wharf's per-request log line (off by default, like the peers)")
    p.add_argument("--keep-data", action="store_true",
                   help="keep the servers' data directories of the run (logs are always kept)")
    return p.parse_args(argv)


def settle(args: argparse.Namespace) -> dict[str, Any]:
    """The effective options: explicit flags over --smoke/--quick over the defaults."""
    smoke, quick = args.smoke, args.quick or args.smoke
    return {
        "runs": args.runs or (1 if quick else 3),
        "duration": args.duration or (1.0 if smoke else 3.0 if quick else 4.0),
        "servers": (args.servers or ("wharf" if smoke else DEFAULT_SERVERS)).split(","),
        "scenarios": (args.scenarios or ",".join(SCENARIOS)).split(","),
        "parallel": args.parallel or (4 if smoke else 16),
        "uploads": args.uploads or (2 if smoke else 20),
        "publishes": args.publishes or (2 if smoke else 10),
        "size": corpus.SMOKE if smoke else corpus.FULL,
        "smoke": smoke, "quick": args.quick, "conns": args.conns,
        "cold_runs": args.cold_runs, "workers": args.workers, "seed": args.seed,
        "max_requests": args.max_requests, "load_client": args.load_client,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    opts = settle(args)
    unknown = [s for s in opts["servers"] if s not in ADAPTERS] + \
        [s for s in opts["scenarios"] if s not in SCENARIOS]
    if unknown:
        print(f"unknown server or scenario: {', '.join(unknown)}", file=sys.stderr)
        return 2
    install_cleanup()
    started = time.perf_counter()
    work = args.work.resolve()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    run_dir = work / "runs" / stamp
    run_dir.mkdir(parents=True, exist_ok=True)
    log(f"corpus (seed {opts['seed']}) ...")
    manifest = corpus.load_or_build(work, opts["seed"], opts["size"])
    how = "reused" if manifest["reused"] else f"built in {manifest['build_s']} s"
    log(f"corpus at {manifest['root']} ({how})")
    tools = Tools.discover()
    loader = pick_loader(prefer_own=opts["load_client"] == "asyncio")
    if opts["load_client"] == "wrk" and loader.name != "wrk":
        print("wrk is not on PATH", file=sys.stderr)
        return 2
    results = Results()
    upstream = StaticSite(run_dir / "upstream", Path(manifest["root"]))
    ctx = Context(work=work, run_dir=run_dir, manifest=manifest, upstream=upstream,
                  tools=tools, workers=opts["workers"], access_log=args.wharf_access_log,
                  peer_dirs=[d.resolve() for d in args.peers_from])
    settings = LoadSettings(opts["runs"], opts["duration"], opts["conns"], opts["max_requests"])
    plan = Plan(set(opts["scenarios"]), opts["runs"], opts["cold_runs"], opts["parallel"],
                opts["uploads"], opts["publishes"])
    big = BigIndex.make(opts["size"]["index_projects"], opts["seed"]) \
        if "bigindex" in plan.scenarios else None
    flow = Flow(results, Scenarios(results, loader, settings, manifest),
                Installer(run_dir / "scratch", manifest, tools), plan, big)
    try:
        upstream.start()
        log(f"upstream: {upstream.kind} at {upstream.url}")
        servers = run_servers(opts["servers"], ctx, flow)
    finally:
        upstream.stop()
    notes(results, opts, tools, args)
    doc = document(stamp, opts, tools, servers, upstream, loader, manifest, results)
    doc["total_s"] = round(time.perf_counter() - started, 1)
    json_path, md_path = report.write(work / "results", doc)
    print(md_path.read_text())
    log(f"results: {json_path} and {md_path} ({doc['total_s']} s)")
    if not args.keep_data:
        drop_data(run_dir)
    return 0


def run_servers(names: list[str], ctx: Context, flow: Flow) -> dict[str, Any]:
    """Each chosen server's turn, in ADAPTERS order (nginx first); what each was."""
    servers: dict[str, Any] = {}
    for name in (n for n in ADAPTERS if n in names):
        adapter = ADAPTERS[name]
        reason = adapter.unavailable(ctx)
        if reason:
            log(f"== {name}: skipped ({reason})")
            servers[name] = {"skipped": reason}
            continue
        server = adapter(ctx)
        flow.run(server)
        servers[name] = {"label": server.label}
    return servers


def document(stamp: str, opts: dict[str, Any], tools: Tools, servers: dict[str, Any],
             upstream: StaticSite, loader: Any, manifest: dict[str, Any],
             results: Results) -> dict[str, Any]:
    """The results file's content: everything measured and what it was measured with."""
    return {
        "stamp": stamp, "machine": describe(tools.versions()), "options": opts,
        "servers": servers, "order": list(servers), "upstream": upstream.kind,
        "load": {"tool": f"{loader.version} ({loader.name})", "conns": opts["conns"]},
        "corpus": {k: v for k, v in manifest.items() if k != "size"},
        "title_params": report.title_params(manifest, opts),
        **results.to_json(),
    }


def drop_data(run_dir: Path) -> None:
    """Everything of the run but the servers' logs (data directories hold copies of the
    corpus and of the big index)."""
    for entry in run_dir.iterdir():
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)


def notes(results: Results, opts: dict[str, Any], tools: Tools, args: argparse.Namespace) -> None:
    results.notes += [
        "Wharf runs with WHARF_POLICY_COOLDOWN_MODE=off: synthetic packages are 'new' and "
        "the default one-day cooldown would hide them (this corpus carries past publish "
        "times, 2020-2024, so the rule would pass it too). Every other policy rule runs at "
        "its default; the corpus names are chosen so the typosquat rule passes them.",
        "Wharf's per-request access log is " + ("on." if args.wharf_access_log else
                                                 "off (WHARF_SERVER_ACCESS_LOG=false), like "
                                                 "nginx's and the peers' here."),
        f"Wharf workers: {opts['workers'] or 'its default (one per two cores)'}.",
        "Pages and packuments are requested with the clients' Accept headers and "
        "Accept-Encoding: gzip; nginx answers those from pre-compressed files (gzip_static).",
    ]
    if not tools.uv:
        results.notes.append("uv not found: uv figures skipped.")
    if not tools.npm:
        results.notes.append("npm not found: npm figures skipped.")
