"""Trend checks (Soda Core open source has no anomaly checks): a table's figures on the run date against the
same figures on the last published dates, as SodaCL generated for the run.

The rule, with its thresholds in the table's declaration (`trend=TrendRule(...)`, tables/spec.py):
- history: the metric's value on each published date of the `window days` before the run date (from the last
  complete run that measured it, `meta.dq_metrics`); dates with no rows are left out (a closed day is not a
  usual one);
- with fewer than `min history` such dates the metric is only measured (recorded, never failing);
- else, with m the median and s = max(1.4826 × MAD, 10% of m) (robust to a few odd days, and not alarmed by
  tiny wiggles of a steady history): a warning outside m ± `warn mads` × s, a gate failure below
  `fail below` × m or above `fail above` × m (extreme: a tenth of the usual orders);
- a run date with no rows at all is a closed day, which publishes (DESIGN.md §5): its trend checks warn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median
from typing import Any

from tables.quality import dq_history
from tables.spec import TableSpec, TrendRule

CHECK_PREFIX = "trend "
MAD_TO_SIGMA = 1.4826  # a normal distribution's standard deviation is 1.4826 × its MAD
MIN_SPREAD = 0.1  # of the median


@dataclass(frozen=True)
class Expected:
    median: float
    warn_low: float
    warn_high: float
    fail_low: float
    fail_high: float
    days: int


def check_name(metric: str) -> str:
    return CHECK_PREFIX + metric


def expected(values: Sequence[float], rule: TrendRule) -> Expected | None:
    """The expected range from the values of earlier published dates (zeros, closed days, left out)."""
    usual = [value for value in values if value]
    if len(usual) < rule.min_history:
        return None
    middle = median(usual)
    spread = max(MAD_TO_SIGMA * median(abs(value - middle) for value in usual), MIN_SPREAD * abs(middle))
    return Expected(middle, middle - rule.warn_mads * spread, middle + rule.warn_mads * spread,
                    rule.fail_below * middle, rule.fail_above * middle, len(usual))


def sodacl(spec: TableSpec, rule: TrendRule, run_date: date, bounds: Mapping[str, Expected | None]) -> str:
    lines = [f"checks for {spec.name}:"]
    for metric in rule.metrics:
        lines += [f"  - {metric}:", f"      name: {check_name(metric)}",
                  f"      filter: {rule.date} = DATE'{run_date}'"]
        expect = bounds.get(metric)
        if expect is None:  # too little history: measured for the days to come
            lines.append("      warn: when < 0")
        else:
            lines += [f"      warn: when not between {expect.warn_low:.2f} and {expect.warn_high:.2f}",
                      f"      fail: when not between {expect.fail_low:.2f} and {expect.fail_high:.2f}"]
    return "\n".join(lines) + "\n"


def expected_on(spec: TableSpec, rule: TrendRule, run_date: date,
                history: Sequence[dict[str, Any]]) -> dict[str, Expected | None]:
    """Each metric's expected range on `run_date`, from the quality history of the dates before it."""
    since = run_date - timedelta(days=rule.window_days)
    return {metric: expected([row["value"] for row in history
                              if row["table_name"] == spec.identifier and row["check_name"] == check_name(metric)
                              and row["value"] is not None and since <= row["run_date"] < run_date], rule)
            for metric in rule.metrics}


def trend_checks(spec: TableSpec, rule: TrendRule, run_date: date, history: Sequence[dict[str, Any]]) -> str:
    """SodaCL for the table's trend checks on `run_date`, from the quality history of the published dates
    before it (`dq_history.history`)."""
    return sodacl(spec, rule, run_date, expected_on(spec, rule, run_date, history))


def trend_outcome(figure: float, expect: Expected | None) -> str:
    """What the SodaCL `sodacl` writes decides for a value (its bounds as written, to the cent)."""
    if expect is None:
        return "warn" if figure < 0 else "pass"
    if not round(expect.fail_low, 2) <= figure <= round(expect.fail_high, 2):
        return "fail"
    return "pass" if round(expect.warn_low, 2) <= figure <= round(expect.warn_high, 2) else "warn"


@dataclass(frozen=True)
class JudgedDates:
    """A range run's trend checks of a table: each date's checks (as `quality.summarise` lists a scan's) and
    the lines of those that fail, per date."""

    checks: dict[date, list[dict[str, Any]]]
    failures: dict[date, list[str]]


def judged_dates(spec: TableSpec, rule: TrendRule, figures: Mapping[date, Mapping[str, float | None]],
                 dates: Sequence[date], history: Sequence[dict[str, Any]]) -> JudgedDates:
    """Date by date as a run of each date alone judges them: against the published dates before it and the
    range's earlier dates (`figures`: date → metric → value; a date without rows is a closed day, whose failed
    checks warn, and a metric without a value, a sum over no rows, is not checked, as in Soda)."""
    known = list(history)
    judged = JudgedDates({}, {})
    for day in dates:
        values = {metric: figures.get(day, {}).get(metric, 0 if metric == "row_count" else None)
                  for metric in rule.metrics}
        closed = values.get("row_count") == 0
        bounds = expected_on(spec, rule, day, known)
        judged.checks[day] = []
        for metric in rule.metrics:
            value, expect = values[metric], bounds[metric]
            if value is None:
                continue  # a sum over no rows: Soda has no value to check either
            result = trend_outcome(value, expect)
            result = "warn" if closed and result == "fail" else result
            judged.checks[day].append({"table": spec.name, "check": check_name(metric), "outcome": result,
                                       "value": value})
            if result == "fail" and expect is not None:
                judged.failures.setdefault(day, []).append(f"{spec.identifier}: " + failure_line(
                    check_name(metric), value, str(day), (expect.warn_low, expect.warn_high),
                    (expect.fail_low, expect.fail_high)))
            known.append({"table_name": spec.identifier, "check_name": check_name(metric), "run_date": day,
                          "value": value})
    return judged


def closed_day(checks: list[dict[str, Any]]) -> bool:
    """The run date has no rows in the table (the trend's row_count is 0)."""
    return any(check.get("name") == check_name("row_count") and check.get("diagnostics", {}).get("value") == 0
               for check in checks)


def failure_detail(check: dict[str, Any]) -> str:
    """`trend row_count: 180 on the run date, expected 1,640 to 2,360 (gate: 300 to 20,000)`."""
    diagnostics = check.get("diagnostics") or {}
    warn, fail = diagnostics.get("warn") or {}, diagnostics.get("fail") or {}
    return failure_line(str(check.get("name")), diagnostics.get("value"), "the run date",
                        (warn.get("lessThan"), warn.get("greaterThan")),
                        (fail.get("lessThan"), fail.get("greaterThan")))


def failure_line(check: str, value: object, day: str, usual: tuple[object, object], gate: tuple[object, object]) -> str:
    return (f"{check}: {number(value)} on {day}, expected {number(usual[0])} to {number(usual[1])} "
            f"(gate: {number(gate[0])} to {number(gate[1])})")


def number(value: object) -> str:
    figure = dq_history.numeric(value)
    return str(value) if figure is None else f"{figure:,.0f}" if figure == round(figure) else f"{figure:,.2f}"


def judge_failed_trends(results: dict[str, Any], outcome: str) -> None:
    """Give the failed trend checks of a scan's results another outcome (never a business rule's)."""
    for check in results.get("checks", []):
        if str(check.get("name")).startswith(CHECK_PREFIX) and check.get("outcome") == "fail":
            check["outcome"] = outcome
