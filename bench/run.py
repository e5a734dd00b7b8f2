"""`make bench`: generate upstream data at a scale, load the history before the last day in one full run, then
time the daily run of the last day (incremental) and, optionally, a full rebuild of that day; beside it, DuckDB
recomputes both reports from upstream (`bench/anchor.py`); write JSON.

Runs in its own upstream database (`rainforest_bench`) and table bucket (`lake-bench`), like the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

os.environ.pop("RAINFOREST_UPSTREAM_DSN", None)
os.environ.update({"RAINFOREST_PG_DATABASE": "rainforest_bench", "RAINFOREST_WAREHOUSE": "s3://lake-bench/",
                   "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "WARNING"})

from infra.prefect_server import use_configured_prefect_server  # noqa: E402

use_configured_prefect_server()  # before Prefect is imported: it reads its settings once

from datagen.generate import generate  # noqa: E402
from infra.local.spark_server import session_jobs  # noqa: E402
from infra.local.stack import recreate_database  # noqa: E402
from infra.settings import settings  # noqa: E402
from tables.engine.lake import purge_all_tables  # noqa: E402
from tables.engine.results import TableResult  # noqa: E402


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def server_rss_mb() -> dict[str, float] | None:
    """Resident memory of the Spark Connect server (the one JVM), now and at its peak (VmHWM: since it started,
    so earlier work counts too)."""
    pidfile = settings().home / "spark" / "connect.pid"
    try:
        lines = Path(f"/proc/{int(pidfile.read_text())}/status").read_text().splitlines()
    except (OSError, ValueError):
        return None
    kb = {line.split(":")[0]: int(line.split()[1]) for line in lines if line.startswith(("VmRSS", "VmHWM"))}
    return {"now": round(kb["VmRSS"] / 1024, 1), "peak": round(kb["VmHWM"] / 1024, 1)}


def summarise(results: list[TableResult], run_started_at: float, seconds: float) -> dict[str, Any]:
    """Per layer its wall time and when it started and ended (seconds into the run: the gaps are the flow's own
    steps — service checks, reconciliation after gold, publish at the end — and Prefect's overhead)."""
    layers: dict[str, dict[str, Any]] = {}
    for layer in ("bronze", "silver", "gold", "interface"):
        mine = [r for r in results if r.table.startswith(f"{layer}.")]
        if mine:
            start, end = min(r.started_at for r in mine), max(r.started_at + r.seconds for r in mine)
            layers[layer] = {"wall_seconds": round(end - start, 2), "from_second": round(start - run_started_at, 2),
                             "to_second": round(end - run_started_at, 2)}
    return {
        "wall_seconds": round(seconds, 2),
        "layers": layers,
        "tables": {r.table: {"seconds": round(r.seconds, 2), "records_added": r.records_added,
                             "total_rows": r.total_rows, "phases": r.phases} for r in results},
        "rows_extracted": sum(r.records_added for r in results if r.table.startswith("bronze.")),
        "rows_written": sum(r.records_added for r in results),
    }


def timed_run(run_date: date, full_refresh: bool, label: str) -> dict[str, Any]:
    from flows.daily import rainforest_daily
    from tables.engine.spark import session_id

    progress(f"{label}: daily run for {run_date}{' (full refresh)' if full_refresh else ''} …")
    started, started_at = time.monotonic(), time.time()
    results = rainforest_daily(run_date=run_date, full_refresh=full_refresh)
    summary = summarise(results, started_at, time.monotonic() - started)
    summary["spark_jobs"] = session_jobs(session_id())  # the run's own session
    progress(f"{label}: {summary['wall_seconds']}s, layers "
             + ", ".join(f"{name} {layer['wall_seconds']}s" for name, layer in summary["layers"].items()))
    return summary


def timed_fresh_process_run(run_date: date, label: str) -> dict[str, Any]:
    """`rainforest run --date` in a new process, as a user or the scheduler meets it: Python's imports, Prefect's
    start and the session's opening included. Wall time and Spark jobs (the per-table profile is the in-process
    run's)."""
    progress(f"{label}: `rainforest run --date {run_date}` in a new process …")
    started = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "flows.cli", "run", "--date", run_date.isoformat()], check=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,  # `-m`: this checkout's code
                         env={**os.environ, "PREFECT_LOGGING_LEVEL": "INFO"})  # its lines, the session's among them
    seconds = round(time.monotonic() - started, 2)
    session = re.search(r"Spark session (\S+) on the Connect server", run.stderr)
    jobs = session_jobs(session[1]) if session else None
    progress(f"{label}: {seconds}s, {jobs['all'] if jobs else '?'} Spark jobs")
    return {"wall_seconds": seconds, "spark_jobs": jobs}


def isolated_runs(identifiers: list[str], run_date: date) -> dict[str, Any]:
    """Each table rebuilt alone for `run_date`, after its run was published: its step without the other tables
    of its layer competing for the 2 cores. Inputs are read from run branches cut from main (a full-refresh
    context, so the tables are rebuilt although their inputs did not change); nothing is published, and the
    branches are dropped afterwards. Meant for derived tables: a bronze table would re-extract everything."""
    from tables import registry
    from tables.engine import lake, runner
    from tables.engine.spark import get_spark
    from tables.spec import RunContext

    spark, ctx = get_spark(), RunContext(run_date, full_refresh=True, incremental=True)  # the day's dates, no skips
    branched = {name for identifier in identifiers for name in (identifier, *registry.table(identifier).upstream)}
    branched |= {"bronze.orders", "bronze.orderitem", "silver.fact_orders"}  # what touched dates are read from
    for name in branched:
        lake.create_branch(name, ctx.branch)
    timings = {}
    for identifier in identifiers:
        progress(f"isolated: {identifier} …")
        result = runner.run_table(spark, registry.table(identifier), ctx)
        timings[identifier] = {"seconds": round(result.seconds, 2), "phases": result.phases}
        progress(f"isolated: {identifier} {result.seconds:.2f}s {result.phases}")
    for name in branched:
        lake.drop_branches(name, ctx.branch)
    return timings


def rename_a_category(run_date: date) -> None:
    """A category renamed upstream on the measured day: the next run restates the category report of every date."""
    from infra.upstream_db import connect_upstream

    conn = connect_upstream()
    try:
        with conn.cursor() as cur:
            cur.execute("UPDATE rainforest.category SET name = name || ' (renamed)', last_updated_ts = %s "
                        "WHERE category_id = 1", (f"{run_date} 12:00",))
        conn.commit()
    finally:
        conn.close()


def stored_files() -> dict[str, dict[str, int]]:
    """Objects under every table's location in the S3 store: what the commits left, referenced or not."""
    import boto3

    from infra.settings import settings
    from tables import registry
    from tables.engine import lake

    config = settings()
    client = boto3.client("s3", endpoint_url=config.s3_endpoint, region_name=config.s3_region,
                          aws_access_key_id=config.s3_access_key, aws_secret_access_key=config.s3_secret_key)
    files = {}
    for spec in registry.all_tables():
        location = lake.thread_catalog().load_table(spec.identifier).location()
        bucket, _, prefix = location.removeprefix("s3://").partition("/")
        counts = files[spec.identifier] = {"metadata_files": 0, "data_files": 0}
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix.rstrip("/") + "/"):
            for item in page.get("Contents", []):
                counts["metadata_files" if "/metadata/" in item["Key"] else "data_files"] += 1
    return files


def upkeep_timeline(start: date, days: int, every: int | None) -> dict[str, Any]:
    """`days` daily runs on an empty lake (each date its own run and publish), with `rainforest maintain`
    (retention 0: the simulated weeks pass in minutes) after every `every` dates or never; then the files per
    table and the time of the run of the last date."""
    from flows.daily import rainforest_daily, rainforest_maintenance

    purge_all_tables()
    upkeep_seconds, way = 0.0, f"upkeep every {every} dates" if every else "no upkeep"
    for offset in range(days - 1):
        day = start + timedelta(days=offset)
        began = time.monotonic()
        rainforest_daily(run_date=day)
        progress(f"{way}: {day} in {time.monotonic() - began:.1f}s")
        if every and (offset + 1) % every == 0:
            began = time.monotonic()
            rainforest_maintenance(retention_days=0)
            upkeep_seconds += time.monotonic() - began
            progress(f"{way}: upkeep after {day} in {time.monotonic() - began:.1f}s")
    files = stored_files()
    last = timed_run(start + timedelta(days=days - 1), False, f"day {days}, {way}")
    return {"upkeep_every_days": every, "upkeep_seconds_total": round(upkeep_seconds, 1),
            "files_before_last_run": files,
            "files_total": {kind: sum(table[kind] for table in files.values())
                            for kind in ("metadata_files", "data_files")},
            "last_day_run_seconds": last["wall_seconds"], "last_day_layers": last["layers"]}


def upkeep_bench(args: argparse.Namespace) -> dict[str, Any]:
    recreate_database("rainforest_bench")
    generate(args.start, args.days, args.orders_per_day, seed=42)
    return {"machine": {"cores": os.cpu_count()},
            "parameters": {"orders_per_day": args.orders_per_day, "days": args.days, "upkeep_every": args.upkeep},
            "without_upkeep": upkeep_timeline(args.start, args.days, None),
            "with_upkeep": upkeep_timeline(args.start, args.days, args.upkeep)}


def history_bench(args: argparse.Namespace) -> dict[str, Any]:
    """For each point p of `--history-points`: a full run of day p-1 (which first runs, one by one, the dates
    since the previous point: a run never publishes over a hole), then the daily run of day p timed, and
    DuckDB's recompute of both reports beside it (that day, and every day up to it)."""
    from bench.anchor import anchor

    points = sorted(args.history_points)
    recreate_database("rainforest_bench")
    purge_all_tables()
    generate(args.start, points[-1], args.orders_per_day, seed=42)
    measured: dict[str, Any] = {}
    for point in points:
        day = args.start + timedelta(days=point - 1)
        history = timed_run(day - timedelta(days=1), True, f"history of {point - 1} days")
        run = timed_run(day, False, f"day {point}")
        duckdb = anchor(day)
        progress(f"day {point}: DuckDB {duckdb['day']['seconds']}s for the day, "
                 f"{duckdb['full_history']['seconds']}s for all {point} days")
        measured[str(point)] = {"history_load_seconds": history["wall_seconds"],
                                "daily_run_seconds": run["wall_seconds"], "daily_run_layers": run["layers"],
                                "duckdb": duckdb, "daily_run_vs_duckdb_full_history": round(
                                    run["wall_seconds"] / duckdb["full_history"]["seconds"], 1)}
    first, last = measured[str(points[0])], measured[str(points[-1])]
    return {"machine": {"cores": os.cpu_count()},
            "parameters": {"orders_per_day": args.orders_per_day, "history_points": points,
                           "history_before_each_point": "daily runs since the previous one, then a full run"},
            "points": measured,
            f"daily_run_{points[-1]}_vs_{points[0]}_days": round(
                last["daily_run_seconds"] / first["daily_run_seconds"], 2)}


def quiet_catch_up_bench(args: argparse.Namespace) -> dict[str, Any]:
    """Orders on the first day and on the day `--quiet-catch-up` days later, none in between: the first day's
    run, then the catch-up over the dates without upstream rows (a backfill up to the day before the last),
    then the last day's daily run."""
    from flows.daily import rainforest_backfill

    quiet = args.quiet_catch_up - 1
    last_day = args.start + timedelta(days=quiet + 1)
    recreate_database("rainforest_bench")
    purge_all_tables()
    generate(args.start, 1, args.orders_per_day, seed=42)
    first = timed_run(args.start, False, "first day")
    jobs = session_jobs()["all"]  # every session's: the backfill's flow run has a session of its own
    progress(f"catch-up over {quiet} dates without upstream rows …")
    started = time.monotonic()
    rainforest_backfill(args.start + timedelta(days=1), last_day - timedelta(days=1))
    catch_up = {"dates": quiet, "wall_seconds": round(time.monotonic() - started, 2),
                "spark_jobs": session_jobs()["all"] - jobs}
    progress(f"catch-up: {catch_up['wall_seconds']}s, {catch_up['spark_jobs']} Spark jobs")
    generate(last_day, 1, args.orders_per_day, seed=43)
    last = timed_run(last_day, False, "the day after the catch-up")
    return {"machine": {"cores": os.cpu_count()},
            "parameters": {"orders_per_day": args.orders_per_day, "dates_without_upstream_rows": quiet},
            "first_day_run_seconds": first["wall_seconds"], "quiet_catch_up": catch_up,
            "daily_run_after_it_seconds": last["wall_seconds"]}


def backfill_bench(args: argparse.Namespace) -> dict[str, Any]:
    """A first day's run, then the backfill of the `--backfill` days after it (range runs of up to
    RAINFOREST_RANGE_DAYS dates), then the next day's daily run; beside them, DuckDB's recompute of both
    reports for every day."""
    from prefect import flow

    from bench.anchor import anchor
    from flows.daily import run_dates

    @flow(name="rainforest-backfill")
    def backfill_with_results(dates: list[date]) -> dict[date, list[TableResult]]:
        """`rainforest-backfill`'s path, returning every date's results instead of the dates."""
        return run_dates(dates)

    first, last = args.start, args.start + timedelta(days=args.backfill)
    recreate_database("rainforest_bench")
    purge_all_tables()
    generate(first, args.backfill + 2, args.orders_per_day, seed=42)
    timed_run(first, False, "first day")
    jobs = session_jobs()["all"]  # every session's: the backfill's flow run has a session of its own
    progress(f"backfill of {args.backfill} dates, {first + timedelta(days=1)} to {last} …")
    started, started_at = time.monotonic(), time.time()
    done = backfill_with_results([first + timedelta(days=n) for n in range(1, args.backfill + 1)])
    seconds = time.monotonic() - started
    backfill = {"dates": args.backfill, "range_days": settings().range_days, "wall_seconds": round(seconds, 2),
                "spark_jobs": session_jobs()["all"] - jobs,
                "last_range": summarise(done[last], started_at, seconds)}  # its tables (a range's are its dates')
    progress(f"backfill: {backfill['wall_seconds']}s, {backfill['spark_jobs']} Spark jobs")
    daily = timed_run(last + timedelta(days=1), False, "the daily run after it")
    duckdb = anchor(last)
    progress(f"DuckDB: {duckdb['full_history']['seconds']}s for both reports over all {args.backfill + 1} days")
    return {"machine": {"cores": os.cpu_count()},
            "parameters": {"orders_per_day": args.orders_per_day, "backfill_dates": args.backfill},
            "backfill": backfill, "daily_run_seconds": daily["wall_seconds"], "duckdb_anchor": duckdb,
            "backfill_vs_daily_run": round(backfill["wall_seconds"] / daily["wall_seconds"], 2),
            "backfill_vs_duckdb_full_history": round(backfill["wall_seconds"]
                                                     / duckdb["full_history"]["seconds"], 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__)
    parser.add_argument("--orders-per-day", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=8, help="days generated; the last one is the measured day")
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 9, 1))
    parser.add_argument("--full-rebuild", action="store_true", help="also time a full rebuild of the last day")
    parser.add_argument("--isolate", nargs="*", default=["gold.daily_category_metrics"], metavar="TABLE",
                        help="tables also timed alone on the measured day (default: %(default)s)")
    parser.add_argument("--restatement", action="store_true",
                        help="also time a rerun of the last day after a category rename (every date restated)")
    parser.add_argument("--upkeep", type=int, metavar="DAYS",
                        help="instead: two timelines of --days daily runs, without upkeep and with `maintain` every "
                             "DAYS dates; files per table and the last day's run time, both ways")
    parser.add_argument("--fresh-process", action="store_true",
                        help="load the history with `rainforest run` in a new process (what `make run` does on an "
                             "empty lake, up to 2 days before the last), then time the next day's run in another "
                             "new process, before the in-process run of the last day")
    parser.add_argument("--history-points", type=int, nargs="+", metavar="DAYS",
                        help="instead: the daily run of day DAYS after DAYS-1 days of history, for each DAYS (e.g. "
                             "7 30 60), beside DuckDB's recompute of both reports from upstream")
    parser.add_argument("--quiet-catch-up", type=int, metavar="DAYS",
                        help="instead: orders on the first day and DAYS days later only; the catch-up over the "
                             "dates between (no upstream rows: no Spark work), then the last day's run")
    parser.add_argument("--backfill", type=int, metavar="DAYS",
                        help="instead: a first day's run, the backfill of the DAYS dates after it (range runs), "
                             "the next day's daily run, and DuckDB's recompute of both reports for them all")
    parser.add_argument("--out", type=Path, default=Path(".state/bench.json"))
    args = parser.parse_args(argv)
    if args.fresh_process and args.days < 3:
        parser.error("--fresh-process needs --days 3 or more: a first run, a daily run, then the measured day")
    if args.quiet_catch_up and args.start + timedelta(days=args.quiet_catch_up) >= date.today():
        parser.error("--quiet-catch-up: the last day must be over; pass an earlier --start")
    if args.backfill and args.start + timedelta(days=args.backfill + 1) >= date.today():
        parser.error("--backfill: the day after the backfill must be over; pass an earlier --start")
    other_benches = {"backfill": backfill_bench, "upkeep": upkeep_bench, "history_points": history_bench,
                     "quiet_catch_up": quiet_catch_up_bench}  # an option that replaces the default bench
    for option, bench in other_benches.items():
        if getattr(args, option):
            write_report(bench(args), args.out)
            return 0
    last_day = args.start + timedelta(days=args.days - 1)

    progress(f"resetting the bench database and lake; {args.days} days at {args.orders_per_day} orders/day")
    recreate_database("rainforest_bench")
    purge_all_tables()
    started = time.monotonic()
    rows = generate(args.start, args.days, args.orders_per_day, seed=42)
    datagen_seconds = time.monotonic() - started

    from bench.anchor import anchor
    from tables.engine import spark as spark_module

    report: dict[str, Any] = {
        "machine": {"cores": os.cpu_count()},
        "parameters": {"orders_per_day": args.orders_per_day, "days": args.days, "measured_day": str(last_day),
                       "history_days_before": args.days - 1},
        "datagen": {"rows": rows, "seconds": round(datagen_seconds, 1),
                    "rows_per_second": round(rows / datagen_seconds)},
        "runs": {},
    }
    if args.fresh_process:
        report["runs"]["first_run_fresh_process"] = timed_fresh_process_run(last_day - timedelta(days=2),
                                                                            "first run on an empty lake")
        report["runs"]["daily_run_fresh_process"] = timed_fresh_process_run(last_day - timedelta(days=1),
                                                                            "daily run")
    elif args.days > 1:
        report["runs"]["history_load"] = timed_run(last_day - timedelta(days=1), True, "history")
    report["runs"]["incremental"] = timed_run(last_day, False, "incremental")
    report["spark_session_start_seconds"] = round(spark_module.session_start_seconds or 0, 2)
    report["duckdb_anchor"] = anchor(last_day)
    report["incremental_vs_duckdb_full_history"] = round(
        report["runs"]["incremental"]["wall_seconds"] / report["duckdb_anchor"]["full_history"]["seconds"], 1)
    if args.isolate:
        report["isolated_tables"] = isolated_runs(args.isolate, last_day)
    if args.restatement:
        rename_a_category(last_day)
        report["runs"]["restatement"] = timed_run(last_day, False, "rerun after a category rename")
    if args.full_rebuild:
        report["runs"]["full_rebuild"] = timed_run(last_day, True, "full rebuild")
        report["incremental_speedup_vs_full_rebuild"] = round(
            report["runs"]["full_rebuild"]["wall_seconds"] / report["runs"]["incremental"]["wall_seconds"], 2)
    report["rss_mb"] = {"spark_connect_server": server_rss_mb(),
                        "python_peak": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    write_report(report, args.out)
    return 0


def write_report(report: dict[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    progress(f"written {out}")


if __name__ == "__main__":
    sys.exit(main())
