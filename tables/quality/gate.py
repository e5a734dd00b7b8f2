"""Soda (SodaCL YAML in checks/<layer>/<table>.yml) as the gate between a write and its publication."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from infra.errors import QualityGateError, fix_hint
from infra.private import private_dir, write_private
from infra.settings import REPO_ROOT, settings
from tables import registry
from tables.engine.spark import held
from tables.quality import dq_history, trends
from tables.spec import TableSpec, TrendRule

CHECKS_DIR = REPO_ROOT / "checks"
ACCEPTED = "accepted"  # a failed trend check the run was told to accept (`--accept-trend`)


@dataclass(frozen=True)
class ScanOutcome:
    table: str
    passed: bool
    checks: list[dict[str, object]]
    report_path: Path
    logs: str
    failures: list[str]  # one line per failed check: its name, its value and what was expected


def checks_file(layer: str, name: str) -> Path:
    return CHECKS_DIR / layer / f"{name}.yml"


def disable_soda_telemetry() -> None:
    """Soda sends anonymous usage stats unless its config file says otherwise, and reads and writes that file
    in the user's ~/.soda when nothing points it elsewhere. Its config helper, created once per process (on the
    import of `soda.scan`), takes the path of the file to use: a private one under the state folder, with the
    stats off, so ~/.soda is neither read nor written. Soda also installs an OpenTelemetry exporter:
    OTEL_SDK_DISABLED is the backstop."""
    os.environ["OTEL_SDK_DISABLED"] = "true"
    from soda.common.config_helper import ConfigHelper

    config = private_dir(settings().home / "soda") / "config.yml"
    if "send_anonymous_usage_stats: false" not in (config.read_text() if config.exists() else ""):
        write_private(config, "send_anonymous_usage_stats: false\n")
    if ConfigHelper.get_instance(str(config)).send_anonymous_usage_stats:
        raise RuntimeError("Soda was imported before its usage statistics were turned off")


def summarise(results: dict[str, Any]) -> list[dict[str, object]]:
    summary = []
    for check in results.get("checks", []):
        summary.append({
            "table": check.get("table"),
            "check": check.get("name"),
            "outcome": check.get("outcome"),
            "value": (check.get("diagnostics") or {}).get("value"),
        })
    return summary


def declared_checks(spec: TableSpec) -> str:
    """SodaCL for what the declaration already says: keys present and unique, references that exist, a
    report's columns; a check the table's YAML states itself (the business rules: no duplicate orders, …) is
    left to the YAML."""
    stated = table_checks(spec)
    keys = [*(f"missing_count({key}) = 0" for key in spec.keys), f"duplicate_count({', '.join(spec.keys)}) = 0"]
    lines = [f"checks for {spec.name}:", *(f"  - {check}" for check in keys if check not in stated)]
    lines += [f"  - values in ({column}) must exist in {table.split('.')[1]} ({column})"
              for column, table in spec.references.items()]
    if spec.report is not None:  # what stakeholders read has its contract's columns
        columns = ", ".join(spec.report.columns)
        lines += ["  - schema:", "      fail:", f"        when required column missing: [{columns}]"]
    return "\n".join(lines) + "\n"


def checked_columns(columns: list[str], sodacl: str) -> list[str]:
    """The columns the checks name. All of them when a schema check looks at more than required columns
    (types, order, forbidden ones), since it reads the whole schema."""
    conditions = set(re.findall(r"^\s*when ([a-z ]+):", sodacl, flags=re.MULTILINE))
    if conditions - {"required column missing"}:
        return columns
    return [column for column in columns if re.search(rf"\b{re.escape(column)}\b", sodacl)]


def table_checks(spec: TableSpec) -> str:
    """The table's business rules: its SodaCL YAML, as Soda reads it."""
    path = checks_file(spec.layer, spec.name)
    return path.read_text() if path.exists() else ""


def trend_history(until: date, complete_runs: dict[str, date]) -> tuple[list[tuple[TableSpec, TrendRule]],
                                                                         list[dict[str, Any]]]:
    """The tables with trend rules, and the quality history of the published dates up to `until` that their
    widest window needs."""
    rules = [(spec, spec.trend) for spec in registry.all_tables() if spec.trend is not None]
    if not rules:
        return [], []
    return rules, dq_history.history([spec.identifier for spec, _ in rules], complete_runs, until,
                                     max(rule.window_days for _, rule in rules))


def trend_checks(run_date: date, complete_runs: dict[str, date]) -> dict[str, str]:
    """SodaCL of every table's trend checks for a run on `run_date`, from what earlier runs published."""
    rules, history = trend_history(run_date - timedelta(days=1), complete_runs)
    return {spec.identifier: trends.trend_checks(spec, rule, run_date, history) for spec, rule in rules}


def range_trend_checks(figures: Mapping[str, Mapping[date, Mapping[str, float | None]]], dates: list[date],
                       complete_runs: dict[str, date]) -> dict[str, trends.JudgedDates]:
    """A range run's trend checks, every table's on every date (`figures`: table → date → metric → value),
    judged date by date against what earlier runs published and the range's earlier dates."""
    rules, history = trend_history(dates[0] - timedelta(days=1), complete_runs)
    return {spec.identifier: trends.judged_dates(spec, rule, figures.get(spec.identifier, {}), dates, history)
            for spec, rule in rules}


def scan(spark: SparkSession, spec: TableSpec, rows: Callable[[TableSpec], DataFrame], run_label: str,
         run_checks: str = "", accept_trend: str = "") -> ScanOutcome:
    """Run the table's checks, and `run_checks` (SodaCL computed for the run: trend checks), on `rows(spec)`,
    registered as a temp view named after the table, beside the tables it references (`rows(reference)`), and
    keep the JSON. The views are named after tables: scans that run at once need sessions of their own
    (the runner's audits each get one from `tables.engine.spark.own_session`)."""
    disable_soda_telemetry()  # before the import: importing soda.scan writes its config with usage stats on
    from soda.scan import Scan

    soda_scan = Scan()
    soda_scan.set_scan_definition_name(f"{spec.identifier}.{run_label}")
    soda_scan.set_data_source_name("lake")
    soda_scan.add_spark_session(spark, data_source_name="lake")
    sodacl = [text for text in (declared_checks(spec), table_checks(spec), run_checks) if text]
    for text in sodacl:  # one document each: they share their `checks for <table>` key
        soda_scan.add_sodacl_yaml_str(text)
    # read from the lake once, only the columns checked: Soda's several queries then scan memory, not the
    # table's files and metadata again
    table_rows = rows(spec)
    checked = held(table_rows.select(*checked_columns(table_rows.columns, "\n".join(sodacl))))
    views = {spec.name: checked} | {name.split(".")[1]: rows(registry.table(name))
                                    for name in set(spec.references.values())}
    for view, frame in views.items():
        frame.createOrReplaceTempView(view)
    soda_scan.execute()
    results = soda_scan.get_scan_results()
    if trends.closed_day(results.get("checks", [])):  # no rows on the run date: it publishes (DESIGN.md §5)
        trends.judge_failed_trends(results, "warn")
    elif accept_trend:  # a real spike, accepted by the person running the date; business rules still gate
        trends.judge_failed_trends(results, ACCEPTED)
    report_path = run_reports_dir(run_label) / f"{spec.identifier}.json"
    write_private(private_dir(report_path.parent) / report_path.name, json.dumps(results, indent=2, default=str))
    passed = all(check.get("outcome") != "fail" for check in results.get("checks", [])) \
        and not soda_scan.has_error_logs()
    failures = [trends.failure_detail(check) if str(check.get("name")).startswith(trends.CHECK_PREFIX)
                else f"{check.get('name')}: fail (value {(check.get('diagnostics') or {}).get('value')})"
                for check in results.get("checks", []) if check.get("outcome") == "fail"]
    return ScanOutcome(spec.identifier, passed, summarise(results), report_path, soda_scan.get_logs_text(), failures)


def gate(outcome: ScanOutcome, branch: str, run_date: date | None = None) -> None:
    if outcome.passed:
        return
    failures = outcome.failures
    if not failures:
        errors = [line for line in outcome.logs.splitlines() if "ERROR" in line]
        failures = ["Soda reported errors:", *errors[:5]]
    only_trends = all(line.startswith(trends.CHECK_PREFIX) for line in failures)
    if run_date is None:
        hint = ""
    elif only_trends:
        hint = (f"only trend checks failed: if the figure is real (a sale, a launch), accept it with `rainforest run "
                f"--date {run_date} --accept-trend \"REASON\"`")
    else:
        hint = fix_hint(run_date)
    raise QualityGateError(outcome.table, branch, failures, str(outcome.report_path), hint)


def run_reports_dir(run_label: str) -> Path:
    return settings().reports_dir / run_label


def markdown_summary(run_label: str, accept_trend: str = "") -> str:
    """Every check of a run (from its kept JSON reports) as a markdown table, failures first."""
    rows = []
    for report in sorted(run_reports_dir(run_label).glob("*.json")):
        table = report.stem
        rows += [(c["outcome"] != "pass", table, c) for c in summarise(json.loads(report.read_text()))]
    accepted = [f"**Failed trend checks accepted:** {accept_trend}", ""] if accept_trend else []
    lines = [f"# Soda checks of {run_label}", "", *accepted, "| table | check | value | outcome |",
             "|---|---|---|---|"]
    lines += [f"| {table} | {c['check']} | {c['value']} | {'PASS' if not failed else str(c['outcome']).upper()} |"
              for failed, table, c in sorted(rows, key=lambda row: (not row[0], row[1]))]
    return "\n".join(lines)
