"""Prefect deployments on the stack's Prefect server, an ad hoc run through a process worker, and the daily
flow on the local Spark standalone cluster (master + 2 workers) with the history server listing it."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import pytest

from datagen.generate import generate
from infra.local import cluster
from infra.prefect_server import prefect_api_url, prefect_healthy
from infra.settings import REPO_ROOT, settings
from tables.read.reports import report_rows

pytestmark = pytest.mark.integration
BIN = Path(sys.executable).parent
DEPLOYED_DAY = date(2026, 11, 4)
CLUSTER_DAY = date(2026, 11, 5)
WORKER_LOG = settings().home / "test-worker.log"  # what the worker and its flow runs printed


def prefect_env() -> dict[str, str]:
    cfg = settings()
    return {**os.environ, "PREFECT_API_URL": prefect_api_url(cfg), "PREFECT_API_AUTH_STRING": cfg.prefect_auth,
            "RAINFOREST_REPO_DIR": str(REPO_ROOT)}


def prefect(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "prefect"), *args], env=prefect_env(), cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=timeout)


def api(path: str, body: dict) -> list[dict]:
    request = urllib.request.Request(f"{prefect_api_url(settings())}{path}", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", "Authorization": "Basic "
                                              + base64.b64encode(settings().prefect_auth.encode()).decode()})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def deployed(published: None) -> None:
    assert prefect_healthy(settings()), "the stack's Prefect server is not up: rainforest stack up"
    pool = prefect("work-pool", "inspect", "rainforest")
    if pool.returncode != 0:
        assert prefect("work-pool", "create", "rainforest", "--type", "process").returncode == 0
    result = prefect("--no-prompt", "deploy", "--all")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_deployments_exist_with_their_crons(deployed: None) -> None:
    deployments = {d["name"]: d for d in api("/deployments/filter", {})}
    assert {"daily", "backfill", "maintenance"} <= set(deployments)
    crons = {name: [(s["schedule"]["cron"], s["schedule"]["timezone"]) for s in deployments[name]["schedules"]]
             for name in ("daily", "backfill", "maintenance")}
    assert crons == {"daily": [("0 5 * * *", "UTC")], "backfill": [], "maintenance": [("0 7 * * 0", "UTC")]}
    for name in ("daily", "backfill", "maintenance"):  # one run at a time, others queue
        assert deployments[name]["global_concurrency_limit"]["limit"] == 1
        assert deployments[name]["concurrency_options"]["collision_strategy"] == "ENQUEUE"


def stop(worker: subprocess.Popen[bytes]) -> None:
    """Stop the worker and its flow runs; a worker still shutting down after 30 s (seen in a CI run, after its
    flow run had completed) is killed, so it holds nothing the next tests need."""
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)


def test_a_run_scheduled_for_the_next_morning_publishes_the_day_before_through_a_worker(deployed: None) -> None:
    """Scheduled at 05:00 on the next day but started later (here: long after): run_date comes from the
    flow run's scheduled start, not from the wall clock."""
    generate(DEPLOYED_DAY, 1, 300, seed=7)
    worker = subprocess.Popen([str(BIN / "prefect"), "worker", "start", "--pool", "rainforest", "--type", "process"],
                              env=prefect_env(), cwd=REPO_ROOT, stdout=WORKER_LOG.open("w"), stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        scheduled = f"{DEPLOYED_DAY + timedelta(days=1)}T05:00:00Z"
        run = prefect("deployment", "run", "rainforest-daily/daily", "--start-at", scheduled, "--watch", timeout=600)
        assert run.returncode == 0 and "Completed" in run.stdout, (
            run.stdout + run.stderr + WORKER_LOG.read_text()[-3000:])
    finally:
        stop(worker)
    assert [row["order_date"] for row in report_rows("orders", DEPLOYED_DAY, DEPLOYED_DAY)] == [DEPLOYED_DAY]


STRANGER = f"""
from pyspark.sql import SparkSession
spark = (SparkSession.builder.master("spark://127.0.0.1:{cluster.MASTER_PORT}").config("spark.authenticate", "true")
         .config("spark.authenticate.secret", "not-the-cluster-secret")
         .config("spark.driver.host", "127.0.0.1").config("spark.ui.enabled", "false").getOrCreate())
spark.range(1).count()
print("ran a job")
"""  # a driver with a wrong secret: the master never registers it, so it runs nothing


def test_daily_flow_on_the_standalone_cluster_is_listed_by_the_history_server(published: None) -> None:
    generate(CLUSTER_DAY, 1, 300, seed=7)
    cluster.up()  # the stack's Connect server becomes the cluster's driver
    try:
        assert cluster.alive_workers() == 2
        result = subprocess.run([str(BIN / "rainforest"), "run", "--date", str(CLUSTER_DAY)],
                                capture_output=True, text=True, timeout=900)
        assert result.returncode == 0, result.stderr[-3000:]
        assert f"(master spark://127.0.0.1:{cluster.MASTER_PORT})" in result.stderr
        history = f"http://127.0.0.1:{cluster.HISTORY_PORT}/api/v1/applications"

        def server_apps() -> list[dict]:
            with urllib.request.urlopen(history, timeout=5) as response:
                return [app for app in json.load(response) if app["name"] == "rainforest-connect"]

        from infra.local.daemon import wait_until
        wait_until(lambda: bool(server_apps()), "the history server listing the Connect server's work", timeout=60)
        classic = {key: value for key, value in os.environ.items() if key != "SPARK_CONNECT_MODE_ENABLED"}
        stranger = subprocess.run([sys.executable, "-c", STRANGER], capture_output=True, text=True, timeout=300,
                                  env=classic)
        assert stranger.returncode != 0 and "ran a job" not in stranger.stdout, stranger.stdout[-2000:]
        assert "All masters are unresponsive" in stranger.stderr, stranger.stderr[-2000:]
    finally:
        cluster.down()
    assert [row["order_date"] for row in report_rows("orders", CLUSTER_DAY, CLUSTER_DAY)] == [CLUSTER_DAY]
