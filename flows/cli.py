"""The `rainforest` console script (DESIGN.md §7). The Makefile and the Prefect flows call the same functions."""

from __future__ import annotations

import argparse
import faulthandler
import os
import signal
import sys
from datetime import date

from infra.errors import RainforestError, fault_detail, transient_service
from infra.prefect_server import use_configured_prefect_server
from infra.settings import stack_settings


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from error


def cmd_stack(args: argparse.Namespace) -> int:
    from infra.local import stack

    if args.action == "up":
        stack.up(args.services)
        print("\n".join(stack.status_lines()))
    elif args.action == "down":
        stack.down(args.services)
    elif args.action == "status":
        health = stack.status(args.services)
        print("\n".join(stack.status_lines(health)))
        return 0 if all(health.values()) else 1
    elif args.action == "env":
        print("\n".join(stack.env_lines()))
    elif args.action == "reset":
        if not args.yes and input("Delete all local data (upstream DB, lake, Prefect DB)? [y/N] ").lower() != "y":
            print("nothing deleted")
            return 1
        stack.reset()
        print("local stack stopped and its data deleted")
    return 0


def cmd_cluster(args: argparse.Namespace) -> int:
    from infra.local import cluster

    if args.action == "up":
        cluster.up()
    elif args.action == "down":
        cluster.down()
    print("\n".join(cluster.status_lines()))
    return 0


def cmd_spark_server(args: argparse.Namespace) -> int:
    """The Spark Connect server in the foreground (a container's command); `stack up` runs it in the background."""
    from infra.local.stack import spark_server

    command, env = spark_server(stack_settings())
    os.execve(command[0], command, {**os.environ, **env})


def cmd_datagen(args: argparse.Namespace) -> int:
    from datagen.generate import generate

    generate(args.start, args.days, args.orders_per_day, args.seed, args.replace)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    use_configured_prefect_server()  # before Prefect is imported: it reads its settings once
    from flows.daily import ensure_days_over, rainforest_daily

    ensure_days_over([args.date])
    rainforest_daily(run_date=args.date, full_refresh=args.full_refresh, accept_trend=args.accept_trend)
    return 0


def cmd_backfill(args: argparse.Namespace) -> int:
    if args.end < args.start:
        raise RainforestError(f"--end {args.end} is before --start {args.start}; nothing was run")
    use_configured_prefect_server()  # before Prefect is imported: it reads its settings once
    from flows.daily import ensure_days_over, rainforest_backfill

    ensure_days_over([args.end])
    rainforest_backfill(start=args.start, end=args.end)
    return 0


def cmd_alerts(args: argparse.Namespace) -> int:
    use_configured_prefect_server()  # before Prefect is imported: it reads its settings once
    from flows.alerts import configure_alerts

    print(configure_alerts())
    return 0


def cmd_maintain(args: argparse.Namespace) -> int:
    use_configured_prefect_server()  # before Prefect is imported: it reads its settings once
    from flows.daily import rainforest_maintenance

    rainforest_maintenance(retention_days=args.retention_days)
    return 0


def cmd_soda_scan(args: argparse.Namespace) -> int:
    from infra.health import check_lake
    from tables.engine.spark import get_spark
    from tables.publish.protocol import scan_published

    check_lake()
    outcomes = scan_published(get_spark(), args.date)
    for outcome in outcomes:
        print(f"== {outcome.table} ({outcome.report_path})\n{outcome.logs}\n")
    failed = [outcome.table for outcome in outcomes if not outcome.passed]
    print(f"{len(outcomes) - len(failed)}/{len(outcomes)} tables pass" + (f"; failing: {failed}" if failed else ""))
    return 1 if failed else 0


def cmd_quality(args: argparse.Namespace) -> int:
    from infra.health import check_lake
    from tables.publish.protocol import complete_runs, log_rows
    from tables.quality import dq_history

    check_lake()
    complete = complete_runs(log_rows())
    if not complete:
        raise RainforestError("nothing is published yet; run `rainforest run --date …` first")
    until = args.until or max(complete.values())
    rows = dq_history.history([args.table], complete, until, args.days)
    if not rows:
        raise RainforestError(f"no checks of {args.table} were published in the {args.days} days up to {until}")
    print(dq_history.render(rows))
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from infra.health import check_lake
    from tables.publish.protocol import complete_runs, log_rows
    from tables.read import restatements

    check_lake()
    complete = complete_runs(log_rows())
    run_id = args.run or next((run for run, day in reversed(complete.items()) if day == args.date), None)
    if run_id is None or run_id not in complete:
        which = f"the run {args.run} did not" if args.run else f"no run for {args.date} did"
        raise RainforestError(f"{which} complete a publish; there is nothing to compare")
    changes = restatements.of_run(run_id)
    print(restatements.render(changes) if changes else
          f"the run {run_id} ({complete[run_id]}) changed nothing already published")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    if args.date_to < args.date_from:
        raise RainforestError(f"--from {args.date_from} is after --to {args.date_to}")
    from infra.health import check_lake
    from tables.read.reports import print_report

    check_lake()
    print_report(args.report, args.date_from, args.date_to, args.format)
    return 0


def build_parser() -> argparse.ArgumentParser:
    from tables.registry import all_tables

    parser = argparse.ArgumentParser(prog="rainforest", description="Rainforest daily lakehouse pipeline")
    commands = parser.add_subparsers(dest="command", required=True)

    stack = commands.add_parser(
        "stack", help="the local stack (Postgres, SeaweedFS S3 + Iceberg REST, Prefect, Spark Connect)")
    stack.add_argument("action", choices=("up", "down", "status", "env", "reset"))
    stack.add_argument("services", nargs="*", help="only these services (up/down/status), e.g. prefect")
    stack.add_argument("--yes", action="store_true", help="reset without asking")
    stack.set_defaults(handler=cmd_stack)

    server = commands.add_parser("spark-server", help="run the Spark Connect server in the foreground (containers)")
    server.set_defaults(handler=cmd_spark_server)
    cluster = commands.add_parser("cluster", help="the local Spark standalone cluster (master, 2 workers, history)")
    cluster.add_argument("action", choices=("up", "down", "status"))
    cluster.set_defaults(handler=cmd_cluster)

    datagen = commands.add_parser("datagen", help="generate upstream data, one day at a time")
    datagen.add_argument("--start", type=_date, required=True)
    datagen.add_argument("--days", type=int, default=1)
    datagen.add_argument("--orders-per-day", type=int, default=2000)
    datagen.add_argument("--seed", type=int, default=42)
    datagen.add_argument("--replace", action="store_true", help="regenerate days that already exist")
    datagen.set_defaults(handler=cmd_datagen)

    run = commands.add_parser("run", help="the daily flow for one date")
    run.add_argument("--date", type=_date, required=True)
    run.add_argument("--full-refresh", action="store_true")
    run.add_argument("--accept-trend", metavar="REASON", default="",
                     help="publish the date although trend checks fail (a real spike); recorded with who ran it")
    run.set_defaults(handler=cmd_run)

    alerts = commands.add_parser("alerts", help="failed or blocked runs post to RAINFOREST_ALERT_WEBHOOK (Prefect)")
    alerts.set_defaults(handler=cmd_alerts)

    backfill = commands.add_parser("backfill", help="the daily flow for every day from --start to --end")
    backfill.add_argument("--start", type=_date, required=True)
    backfill.add_argument("--end", type=_date, required=True)
    backfill.set_defaults(handler=cmd_backfill)

    maintain = commands.add_parser("maintain", help="table upkeep: compact, expire old snapshots, remove orphans")
    maintain.add_argument("--retention-days", type=int, default=7, help="keep snapshots this many days (default 7)")
    maintain.set_defaults(handler=cmd_maintain)

    soda_scan = commands.add_parser("soda-scan", help="Soda checks on the published tables for a date")
    soda_scan.add_argument("--date", type=_date, required=True)
    soda_scan.set_defaults(handler=cmd_soda_scan)

    quality = commands.add_parser("quality", help="the history of a table's checks over the published days")
    quality.add_argument("--table", required=True, choices=[spec.identifier for spec in all_tables() if spec.audited],
                         metavar="LAYER.TABLE")
    quality.add_argument("--days", type=int, default=30)
    quality.add_argument("--until", type=_date, help="last date shown (default: the last published one)")
    quality.set_defaults(handler=cmd_quality)

    diff = commands.add_parser("diff", help="what a published run changed in report figures published before")
    which = diff.add_mutually_exclusive_group(required=True)
    which.add_argument("--date", type=_date, help="the last complete run for this date")
    which.add_argument("--run", help="a run id (its branch name, as the run prints it)")
    diff.set_defaults(handler=cmd_diff)

    report = commands.add_parser("report", help="print a published report")
    report.add_argument("report", choices=sorted(spec.report.name for spec in all_tables() if spec.report))
    report.add_argument("--from", dest="date_from", type=_date, required=True)
    report.add_argument("--to", dest="date_to", type=_date, required=True)
    report.add_argument("--format", choices=("table", "csv", "json"), default="table")
    report.set_defaults(handler=cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # `kill -USR1 <pid>` prints where every thread of a slow command is, on the process's own stderr (fd 2): a
    # caller's replacement of sys.stderr, such as pytest's capture, has no file descriptor
    faulthandler.register(signal.SIGUSR1, file=2)
    os.umask(0o077)  # what a command creates (state, logs, reports, the services' files) is its owner's only
    try:
        return args.handler(args)
    except RainforestError as error:
        print(f"rainforest: error: {error}", file=sys.stderr)
        return 2
    except Exception as error:
        service = transient_service(error)
        if service is None:
            raise
        print(f"rainforest: error: {service} stopped answering ({fault_detail(error)}); nothing was "
              "published: start it (`rainforest stack up`) and run the command again", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
