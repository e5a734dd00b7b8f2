"""The parent flow under prefect_test_harness against the real stack: a first run, then an incremental day;
both reports equal the same figures computed by SQL directly on Postgres, every day and category, to the cent."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pyspark.sql import SparkSession

from flows.daily import rainforest_daily
from infra.errors import ReconciliationError
from tables.engine import runner
from tables.engine.lake import catalog
from tables.engine.results import TableResult
from tables.engine.spark import on_branch
from tables.publish.protocol import COMPLETE, log_rows, releases
from tables.read.reports import report_rows
from tables.registry import all_tables, layer_tables
from tables.spec import RunContext, TableSpec

from .conftest import START, expected, fresh_upstream_and_lake, main_snapshots, pg_execute, table_contents

pytestmark = pytest.mark.integration
FIRST_RUN = date(2026, 11, 2)
NEXT_RUN = date(2026, 11, 3)

@pytest.fixture(scope="module")
def began() -> datetime:
    """When this module's first run began: the Prefect server also lists the runs of modules before it."""
    return datetime.now(UTC)


@pytest.fixture(scope="module")
def runs(began: datetime, upstream: None, prefect: None) -> dict[date, list]:
    """A first run on an empty lake, whatever modules ran before, then the next day's."""
    fresh_upstream_and_lake()
    return {run_date: rainforest_daily(run_date=run_date) for run_date in (FIRST_RUN, NEXT_RUN)}


def test_every_table_is_built_and_published(runs: dict[date, list]) -> None:
    assert {result.table for result in runs[NEXT_RUN]} == {spec.identifier for spec in all_tables()}
    published = {result.table: result.snapshot_id for result in runs[NEXT_RUN]}
    assert {name: main_snapshots()[name] for name in published} == published


def test_a_failed_table_fails_its_layer_once_the_tables_that_do_not_need_it_are_built(
        runs: dict[date, list], monkeypatch: pytest.MonkeyPatch) -> None:
    """silver.fact_orders fails on a rerun: the silver tables that do not read it are still built, the one that
    reads it never starts, nor does any later layer; the run raises fact_orders' own error and publishes nothing."""
    started: list[str] = []
    build = runner.run_table

    def run_table(spark: SparkSession, spec: TableSpec, ctx: RunContext) -> TableResult:
        started.append(spec.identifier)
        if spec.identifier == "silver.fact_orders":
            raise RuntimeError("a planted failure of silver.fact_orders")
        return build(spark, spec, ctx)

    monkeypatch.setattr(runner, "run_table", run_table)
    before = main_snapshots()
    with pytest.raises(RuntimeError, match="a planted failure of silver.fact_orders"):
        rainforest_daily(run_date=NEXT_RUN)
    layers = {layer: {spec.identifier for spec in layer_tables(layer)} for layer in ("bronze", "silver")}
    assert sorted(started) == sorted(layers["bronze"] | layers["silver"] - {"silver.fact_order_items"})
    assert main_snapshots() == before


def test_a_figure_changed_after_its_checks_fails_the_reconciliation_and_publishes_nothing(
        runs: dict[date, list], monkeypatch: pytest.MonkeyPatch) -> None:
    """A rerun whose gold.daily_order_metrics loses a cent on its branch once its own checks passed (a fault no
    check of the table sees): the reconciliation with silver.fact_orders fails the run, and no table's main nor
    either report changes."""
    build = runner.run_table

    def run_table(spark: SparkSession, spec: TableSpec, ctx: RunContext) -> TableResult:
        result = build(spark, spec, ctx)
        if spec.identifier == "gold.daily_order_metrics":
            spark.sql(f"UPDATE {on_branch(spec.identifier, ctx.branch)} SET total_revenue = total_revenue - 0.01 "
                      f"WHERE order_date = DATE'{NEXT_RUN}'")
        return result

    monkeypatch.setattr(runner, "run_table", run_table)
    def modelled_mains() -> dict[str, int | None]:
        mains = main_snapshots()
        return {spec.identifier: mains[spec.identifier] for spec in all_tables()}

    before = modelled_mains()
    with pytest.raises(ReconciliationError, match=r"gold\.daily_order_metrics .*revenue"):
        rainforest_daily(run_date=NEXT_RUN)
    assert modelled_mains() == before
    for report in ("orders", "categories"):
        assert report_rows(report, START, NEXT_RUN) == expected(report, NEXT_RUN)


@pytest.mark.parametrize("report", ["orders", "categories"])
def test_reports_equal_postgres_every_day_to_the_cent(runs: dict[date, list], report: str) -> None:
    rows = report_rows(report, START, NEXT_RUN)
    assert rows == expected(report, NEXT_RUN)
    assert {row["order_date"] for row in rows} == {START, FIRST_RUN, NEXT_RUN}


def test_the_first_run_loads_history_and_the_next_only_its_day(runs: dict[date, list]) -> None:
    orders_in = {run_date: next(r for r in results if r.table == "bronze.orders").total_rows
                 for run_date, results in runs.items()}
    assert orders_in[FIRST_RUN] == 600  # days 1 and 2, 300 orders each
    assert orders_in[NEXT_RUN] == 900  # plus day 3's partition only


def test_the_quality_history_holds_every_check_of_each_published_day(
        runs: dict[date, list], capsys: pytest.CaptureFixture[str]) -> None:
    from flows.cli import main
    from tables.quality.dq_history import history

    complete = {release.run_id: release.run_date for release in releases(log_rows(), COMPLETE)}
    recorded = history(["silver.fact_orders"], complete, NEXT_RUN, days=30)
    for run_date, results in runs.items():
        checks = next(r for r in results if r.table == "silver.fact_orders").checks
        assert sorted((row["check_name"], row["outcome"]) for row in recorded if row["run_date"] == run_date) == \
            sorted((str(check["check"]), str(check["outcome"])) for check in checks)
    assert main(["quality", "--table", "silver.fact_orders", "--days", "2", "--until", str(NEXT_RUN)]) == 0
    printed = capsys.readouterr().out
    assert f"{FIRST_RUN}  duplicate_count(order_id) = 0" in printed and str(NEXT_RUN) in printed
    assert str(START) not in printed  # two days up to NEXT_RUN


def test_each_run_writes_its_html_report_and_links_it_from_an_artifact(runs: dict[date, list]) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from infra.settings import settings

    pages = sorted((settings().reports_dir / f"run_{NEXT_RUN:%Y%m%d}").glob("*/run_report.html"))
    page = pages[-1].read_text()
    assert page.count('src="data:image/svg+xml;base64,') == 3  # orders, categories, quality metrics
    assert "silver.fact_orders" in page and "Nothing already published changed." in page
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=[f"run-report-{NEXT_RUN:%Y%m%d}"])))
    assert artifacts and "run_report.html" in str(artifacts[-1].data)


def test_each_run_works_in_a_spark_session_derived_from_its_flow_run_id(runs: dict[date, list],
                                                                      began: datetime) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName, FlowRunFilter, FlowRunFilterStartTime

    from infra.local.spark_server import session_jobs
    from tables.engine.spark import run_session_id

    with get_client(sync_client=True) as client:
        flow_runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["rainforest-daily"])),
            flow_run_filter=FlowRunFilter(start_time=FlowRunFilterStartTime.model_validate({"after_": began})))
    sessions = {run_session_id(str(run.id), run.run_count) for run in flow_runs}
    assert len(sessions) == len(flow_runs) >= len(runs)
    assert all(session_jobs(session)["all"] > 0 for session in sessions)  # every run's jobs carry its session's tag


def test_publish_removes_the_run_branch(runs: dict[date, list]) -> None:
    """No table keeps a branch of a run that published (a failed run's branches stay for inspection)."""
    published = {release.run_id for release in releases(log_rows(), COMPLETE)}
    assert len(published) >= len(runs)
    for spec in all_tables():
        assert set(catalog().load_table(spec.identifier).metadata.refs) & published == set(), spec.identifier


def test_running_a_date_three_times_gives_identical_tables(runs: dict[date, list]) -> None:
    modelled = [spec.identifier for spec in all_tables()]
    before = {identifier: table_contents(identifier) for identifier in modelled}
    for _ in range(2):
        rainforest_daily(run_date=NEXT_RUN)
        after = {identifier: table_contents(identifier) for identifier in modelled}
        assert [name for name in modelled if after[name] != before[name]] == []
    for table, key in (("silver.fact_orders", "order_id"), ("silver.fact_order_items", "order_item_id"),
                       ("silver.fact_clickstream", "event_id"), ("gold.wide_order_items", "order_item_id")):
        keys = catalog().load_table(table).scan(selected_fields=(key,)).to_arrow().column(key).to_pylist()
        assert len(keys) == len(set(keys)), table
    assert len(report_rows("orders", START, NEXT_RUN)) == 3


def test_a_day_recomputes_its_date_and_a_rename_restates_every_date(runs: dict[date, list]) -> None:
    second = {r.table: r for r in runs[NEXT_RUN]}
    assert second["silver.dim_category"].records_added == 0  # no category changed on day 3
    next_day_rows = len([row for row in expected("categories", NEXT_RUN) if row["order_date"] == NEXT_RUN])
    assert second["gold.daily_category_metrics"].records_added == next_day_rows  # only the touched date
    assert second["gold.daily_category_metrics"].total_rows > next_day_rows
    assert second["silver.dim_product"].phases.keys() != {"unchanged"}

    renamed_at = f"{NEXT_RUN} 12:00:00"
    pg_execute(f"UPDATE rainforest.category SET name = 'Renamed', last_updated_ts = '{renamed_at}' "
               "WHERE category_id = (SELECT min(category_id) FROM rainforest.category)")
    rerun = {r.table: r for r in rainforest_daily(run_date=NEXT_RUN)}
    assert "unchanged" not in rerun["silver.dim_category"].phases
    assert rerun["gold.daily_category_metrics"].records_added == rerun["gold.daily_category_metrics"].total_rows
    restated = report_rows("categories", START, NEXT_RUN)  # current names for every date, old ones included
    assert {row["category_name"] for row in restated if row["order_date"] == START} >= {"Renamed"}
    assert restated == expected("categories", NEXT_RUN)
