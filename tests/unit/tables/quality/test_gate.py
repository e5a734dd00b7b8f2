"""checks/ is SodaCL that Soda's own parser reads and states the business rules; checks the declarations imply
(keys, references, a report's columns) are generated unless the YAML states them."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from infra.settings import REPO_ROOT
from tables.quality.gate import CHECKS_DIR, checked_columns, declared_checks, disable_soda_telemetry, table_checks
from tables.registry import all_tables, table

USERS_SODA_CONFIG = b"send_anonymous_usage_stats: true\nuser_cookie_id: mine  # the user's own, kept as it is\n"


def test_every_checks_file_is_sodacl_that_soda_parses_without_an_error() -> None:
    disable_soda_telemetry()  # before Soda's import
    from soda.scan import Scan

    files = sorted(CHECKS_DIR.rglob("*.yml"))
    assert {f"{path.parent.name}.{path.stem}" for path in files} <= {spec.identifier for spec in all_tables()}
    for path in files:
        scan = Scan()
        scan.set_data_source_name("lake")
        scan.add_sodacl_yaml_file(str(path))
        assert not scan.has_error_logs(), scan.get_logs_text()


@pytest.mark.parametrize("identifier, rule", [
    ("silver.fact_orders", "duplicate_count(order_id) = 0"),
    ("silver.fact_order_items", "duplicate_count(order_item_id) = 0"),
    ("silver.fact_clickstream", "duplicate_count(event_id) = 0"),
    ("gold.daily_order_metrics", "max(average_revenue) <= 100000"),
    ("gold.daily_category_metrics", "max(average_revenue) <= 100000"),
])
def test_the_business_rules_stand_in_the_yaml_and_are_checked_once(identifier: str, rule: str) -> None:
    spec = table(identifier)
    assert f"  - {rule}" in table_checks(spec)
    assert rule not in declared_checks(spec)


def test_keys_and_references_are_checked_from_the_declaration() -> None:
    assert declared_checks(table("silver.fact_order_items")).splitlines() == [
        "checks for fact_order_items:",
        "  - missing_count(order_item_id) = 0",  # its uniqueness is a business rule: in its YAML
        "  - values in (order_id) must exist in fact_orders (order_id)",
    ]


def test_a_compound_key_is_unique_as_a_whole_and_a_report_has_its_columns() -> None:
    checks = declared_checks(table("interface.daily_category_report"))
    assert "  - duplicate_count(order_date, category_id) = 0" in checks.splitlines()
    assert ("when required column missing: [order_date, category_id, category_name, item_count, average_revenue, "
            "median_revenue]") in checks


def test_only_the_columns_the_checks_name_are_read_unless_a_schema_check_reads_them_all() -> None:
    columns = ["event_id", "event_type", "order_id", "order_ids", "page_url", "_ingested_at"]
    sodacl = declared_checks(table("silver.fact_clickstream")) + (
        "  - missing_count(order_id) = 0:\n      filter: event_type = 'purchase'\n")
    assert checked_columns(columns, sodacl) == ["event_id", "event_type", "order_id"]
    required = sodacl + "  - schema:\n      fail:\n        when required column missing: [page_url]\n"
    assert checked_columns(columns, required) == ["event_id", "event_type", "order_id", "page_url"]
    typed = required + "      warn:\n        when wrong column type:\n          event_id: string\n"
    assert checked_columns(columns, typed) == columns


def test_soda_usage_statistics_are_off_and_the_users_soda_config_is_left_alone(tmp_path: Path) -> None:
    home, state = tmp_path / "home", tmp_path / "state"
    users_config = home / ".soda" / "config.yml"
    users_config.parent.mkdir(parents=True)
    users_config.write_bytes(USERS_SODA_CONFIG)
    # a process of its own: Soda reads its config once per process, when `soda.scan` is first imported
    statistics_on = subprocess.run(
        [sys.executable, "-c", "from tables.quality.gate import disable_soda_telemetry\n"
         "disable_soda_telemetry()\n"
         "import soda.scan\n"
         "from soda.telemetry.soda_telemetry import SodaTelemetry\n"
         "print(SodaTelemetry.get_instance().soda_config.send_anonymous_usage_stats)"],
        env=os.environ | {"HOME": str(home), "RAINFOREST_HOME": str(state), "PYTHONPATH": str(REPO_ROOT)},
        cwd=tmp_path, capture_output=True, text=True, check=True).stdout.strip()
    assert statistics_on == "False"
    assert users_config.read_bytes() == USERS_SODA_CONFIG
    assert sorted(path.name for path in home.rglob("*")) == [".soda", "config.yml"]
    assert not (tmp_path / ".soda").exists()  # nor Soda's fallback beside the working directory
    assert stat.S_IMODE((state / "soda" / "config.yml").stat().st_mode) == 0o600
