"""A realistic fortnight of a daily job on its own fresh upstream database and lake, each step checked against
the SQL oracle on upstream for every date, names included (DESIGN.md §4, §5):
first load then reruns (identical), a row created on a day and edited after midnight before that day's run,
an order straddling midnight, a quiet day with product, user and category changes, a deleted bridge row and a
deleted user, a rename restating every date, a blocked day followed by the next (no hole, both publish once
fixed), a day regenerated with fewer orders, and catch-ups over dates without upstream changes (no Spark job)
around a late order stamped on one of them."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from datagen.generate import generate
from flows.daily import rainforest_backfill, rainforest_daily
from infra.errors import QualityGateError, RunFailedError
from infra.settings import stack_settings
from tables.engine.lake import catalog
from tables.publish.protocol import complete_runs, last_release, log_rows, published_dates
from tables.quality.dq_history import history
from tables.read.reports import report_rows
from tables.read.restatements import of_run
from tables.registry import all_tables

from .conftest import expected, main_snapshots, own_upstream_and_lake, pg_execute, pg_rows, table_contents

pytestmark = pytest.mark.integration
D1, D2, D3, D4, D5, D6 = (date(2026, 10, day) for day in range(1, 7))
ORDERS_PER_DAY = 150


def restatements_of(run_date: date) -> list[dict]:
    """What the last publish (the run for `run_date`) restated, as `rainforest diff --date` prints it."""
    release = last_release()
    assert release is not None and release.run_date == run_date
    rows = of_run(release.run_id)
    printed = subprocess.run([str(Path(sys.executable).parent / "rainforest"), "diff", "--date", str(run_date)],
                             capture_output=True, text=True, timeout=120)
    assert printed.returncode == 0, printed.stderr
    assert (printed.stdout.strip() == f"the run {release.run_id} ({run_date}) changed nothing already published"
            if not rows else printed.stdout.count("→") == len(rows))
    return rows


def assert_reports_equal_the_oracle(until: date) -> None:
    for report in ("orders", "categories"):
        assert report_rows(report, D1, date(2026, 10, 31)) == expected(report, until), report


@pytest.fixture(scope="module")
def fresh(prefect: None) -> Iterator[None]:
    """This module's own upstream database and lake, both empty at its start."""
    with own_upstream_and_lake("timeline"):
        generate(D1, 2, ORDERS_PER_DAY, seed=11)
        yield


def test_first_load_then_reruns_are_identical(fresh: None) -> None:
    rainforest_daily(run_date=D1)
    modelled = [spec.identifier for spec in all_tables()]
    first = {identifier: table_contents(identifier) for identifier in modelled}
    for _ in range(2):
        rainforest_daily(run_date=D1)
        assert [name for name in modelled if table_contents(name) != first[name]] == []
    assert_reports_equal_the_oracle(D1)


def test_a_row_created_on_a_day_and_edited_after_midnight_arrives(fresh: None) -> None:
    """A rating created on D2 and edited at 01:00 on D3, before D2's run: D2's run must take it."""
    pg_execute("INSERT INTO rainforest.ratings VALUES (990000001, 1, 2.0, '2026-10-02 15:00', '2026-10-03 01:00')")
    rainforest_daily(run_date=D2)
    (count,), = pg_rows("SELECT count(*) FROM rainforest.ratings WHERE product_id = 1 AND created_ts < '2026-10-03'")
    dim = [row for row in table_contents("silver.dim_product") if row["product_id"] == 1]
    assert dim[0]["rating_count"] == count
    assert_reports_equal_the_oracle(D2)
    assert restatements_of(D2) == []  # a new day changes no figure published before


def test_an_order_straddling_midnight_publishes_both_days(fresh: None) -> None:
    generate(D3, 1, ORDERS_PER_DAY, seed=11)
    pg_execute("INSERT INTO rainforest.orders VALUES (990000002, 1, '2026-10-03 23:59:58', 30.00, "
               "'2026-10-03 23:59:58')",
               "INSERT INTO rainforest.orderitem VALUES (990000003, 990000002, 5, "
               "(SELECT min(seller_id) FROM rainforest.sellerproduct WHERE product_id = 5), 3, 10.00, 2.40, "
               "'2026-10-04 00:00:02')")
    rainforest_daily(run_date=D3)  # the order without its item yet: legitimate, it counts in the order report
    assert_reports_equal_the_oracle(D3)
    wide = [row for row in table_contents("gold.wide_orders") if row["order_id"] == 990000002]
    assert wide[0]["item_count"] == 0
    rainforest_daily(run_date=D4)  # a quiet day: no orders, but the item restates D3
    assert_reports_equal_the_oracle(D4)
    restated = restatements_of(D4)  # the item's categories on D3, nothing else
    assert restated and {(row["report"], row["order_date"]) for row in restated} == {("categories", D3)}
    assert "item_count" in {row["figure"] for row in restated}
    assert [row["order_date"] for row in report_rows("orders", D4, D4)] == []
    assert D4 in published_dates(log_rows())


def test_quiet_day_with_changes_renames_and_deletes(fresh: None) -> None:
    """On D5 nothing is sold, but a product's price, a user's e-mail and a category's name change, a product
    leaves a category and a user (with their buyer) is deleted: every date is restated with current names and
    membership, and the deleted user leaves the dimensions."""
    (product, category), = pg_rows("SELECT product_id, category_id FROM rainforest.productcategory pc "
                                   "WHERE EXISTS (SELECT 1 FROM rainforest.orderitem i "
                                   "              WHERE i.product_id = pc.product_id) "
                                   "ORDER BY 1, 2 LIMIT 1")
    (buyer, user), = pg_rows("SELECT buyer_id, user_id FROM rainforest.buyer ORDER BY buyer_id DESC LIMIT 1")
    pg_execute("UPDATE rainforest.product SET price = price + 1, last_updated_ts = '2026-10-05 08:00' "
               "WHERE product_id = 2",
               "UPDATE rainforest.appuser SET email = 'new@example.com', last_updated_ts = '2026-10-05 09:00' "
               "WHERE user_id = 1",
               f"UPDATE rainforest.category SET name = 'Renamed on D5', last_updated_ts = '2026-10-05 10:00' "
               f"WHERE category_id = {category}",
               f"DELETE FROM rainforest.productcategory WHERE product_id = {product} AND category_id = {category}",
               f"DELETE FROM rainforest.buyer WHERE buyer_id = {buyer}",
               f"DELETE FROM rainforest.appuser WHERE user_id = {user}")
    rainforest_daily(run_date=D5)
    assert_reports_equal_the_oracle(D5)
    names = {row["category_name"] for row in report_rows("categories", D1, D1) if row["category_id"] == category}
    assert names == {"Renamed on D5"}
    renamed = [row for row in restatements_of(D5) if row["figure"] == "category_name"]
    sold = {row["order_date"] for row in report_rows("categories", D1, D4) if row["category_id"] == category}
    assert renamed and {row["order_date"] for row in renamed} == sold  # every date it sold on
    assert {row["new"] for row in renamed} == {"Renamed on D5"}
    assert (product, category) not in {(r["product_id"], r["category_id"])
                                       for r in table_contents("silver.product_x_category")}
    assert buyer not in {row["buyer_id"] for row in table_contents("silver.dim_buyer")}
    assert user not in {row["user_id"] for row in table_contents("silver.dim_buyer")}


def test_a_blocked_day_is_never_skipped_and_both_publish_once_fixed(fresh: None) -> None:
    generate(date(2026, 10, 6), 2, ORDERS_PER_DAY, seed=11)  # D6 and D7
    d7 = date(2026, 10, 7)
    pg_execute("UPDATE rainforest.orders SET total_price = -1 WHERE order_id = (SELECT min(order_id) FROM "
               "rainforest.orders WHERE created_ts >= '2026-10-06' AND created_ts < '2026-10-07')")
    before = main_snapshots()
    with pytest.raises(QualityGateError, match="silver.fact_orders"):
        rainforest_daily(run_date=D6)
    with pytest.raises(RunFailedError, match=r"stopped at 2026-10-06.*backfill --start 2026-10-06 --end 2026-10-07"):
        rainforest_daily(run_date=d7)  # D6 is caught up first, fails again: D7 is not published over the hole
    assert main_snapshots() == before
    assert max(published_dates(log_rows())) == D5
    pg_execute("UPDATE rainforest.orders o SET total_price = (SELECT sum(quantity * base_price) FROM "
               "rainforest.orderitem i WHERE i.order_id = o.order_id) WHERE total_price = -1")
    rainforest_daily(run_date=d7)
    assert {D6, d7} <= published_dates(log_rows())
    release = last_release()
    assert release is not None and release.run_date == d7
    assert_reports_equal_the_oracle(d7)
    assert set(catalog().load_table("silver.fact_orders").metadata.refs) == {"main"}


def test_a_day_regenerated_with_fewer_orders_loses_the_gone_facts(fresh: None) -> None:
    d7 = date(2026, 10, 7)
    generate(d7, 1, ORDERS_PER_DAY // 3, seed=11, replace=True)
    rainforest_daily(run_date=d7)
    assert_reports_equal_the_oracle(d7)
    for fact, key, table in (("silver.fact_orders", "order_id", "orders"),
                             ("silver.fact_order_items", "order_item_id", "orderitem"),
                             ("silver.fact_clickstream", "event_id", "clickstream")):
        upstream = {k for k, in pg_rows(f"SELECT {key} FROM rainforest.{table} WHERE created_ts >= '2026-10-07'")}
        lake = {row[key] for row in table_contents(fact) if row["created_ts"] >= datetime(2026, 10, 7, tzinfo=UTC)}
        assert lake == upstream, fact
    (orders,), = pg_rows("SELECT count(*) FROM rainforest.orders WHERE order_ts >= '2026-10-07'")
    measured = history(["silver.fact_orders"], complete_runs(log_rows()), d7, 1)
    assert ("trend row_count", orders) in {(row["check_name"], row["value"]) for row in measured}  # the run's trend
    #                                                                           checks measured the day (history)


def spark_jobs_so_far() -> int:
    """Jobs the Spark server has started, from its event log (a job's lines are flushed when it ends)."""
    return sum(line.count('"Event":"SparkListenerJobStart"') for path in stack_settings().spark_events_dir.rglob("*")
               if path.is_file() for line in path.open(errors="replace"))


def modelled_snapshots() -> dict[str, int | None]:
    modelled = {spec.identifier for spec in all_tables()}
    return {name: snapshot for name, snapshot in main_snapshots().items() if name in modelled}


def test_dates_without_upstream_changes_cost_no_spark_job_and_stay_exact(fresh: None) -> None:
    """Nothing happens upstream on 8 and 9 October: their backfill runs no Spark job and publishes both with
    the tables as they are. Then an order stamped on the 9th commits late, alone: the 10th is not quiet, its
    run takes the order and restates the 9th. Then the 12th gets orders (and reference updates): a catch-up to
    the 13th runs the 11th and the 12th, and the 14th costs no Spark job again. The reports equal the oracle at
    every step."""
    day = {number: date(2026, 10, number) for number in range(8, 15)}
    tables_before, jobs_before = modelled_snapshots(), spark_jobs_so_far()
    assert rainforest_backfill(day[8], day[9]) == [day[8], day[9]]
    assert spark_jobs_so_far() == jobs_before
    assert modelled_snapshots() == tables_before
    assert {day[8], day[9]} <= published_dates(log_rows())
    assert_reports_equal_the_oracle(day[9])

    pg_execute("INSERT INTO rainforest.orders VALUES (990000004, 1, '2026-10-09 12:00', 40.00, '2026-10-09 12:00')",
               "INSERT INTO rainforest.orderitem VALUES (990000005, 990000004, 5, "
               "(SELECT min(seller_id) FROM rainforest.sellerproduct WHERE product_id = 5), 4, 10.00, 2.40, "
               "'2026-10-09 12:00')")
    rainforest_daily(run_date=day[10])
    assert [row["order_count"] for row in report_rows("orders", day[9], day[9])] == [1]
    assert_reports_equal_the_oracle(day[10])

    generate(day[12], 1, ORDERS_PER_DAY, seed=11)
    rainforest_daily(run_date=day[13])
    assert {day[11], day[12], day[13]} <= published_dates(log_rows())
    assert report_rows("orders", day[12], day[12])
    assert_reports_equal_the_oracle(day[13])

    tables_before, jobs_before = modelled_snapshots(), spark_jobs_so_far()
    rainforest_daily(run_date=day[14])
    assert spark_jobs_so_far() == jobs_before
    assert modelled_snapshots() == tables_before
    release = last_release()
    assert release is not None and release.run_date == day[14]
    assert_reports_equal_the_oracle(day[14])
