"""The team hears of a blocked day: the automation `rainforest alerts` creates on the stack's Prefect server posts
the date, the failed check and the command to the webhook; a good run posts nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from infra.prefect_server import prefect_api_url, prefect_healthy
from infra.settings import settings
from tables.publish.protocol import log_rows, published_dates

from .conftest import pg_execute

pytestmark = pytest.mark.integration
RAINFOREST = str(Path(sys.executable).parent / "rainforest")


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict]]]:
    """A receiver on loopback that keeps every JSON body posted to it."""
    received: list[dict] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the handler's name is the HTTP method's)
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    finally:
        server.shutdown()


def rainforest(arguments: list[str], hook: str) -> subprocess.CompletedProcess[str]:
    cfg = settings()
    env = {**os.environ, "PREFECT_API_URL": prefect_api_url(cfg), "PREFECT_API_AUTH_STRING": cfg.prefect_auth,
           "RAINFOREST_ALERT_WEBHOOK": hook}
    return subprocess.run([RAINFOREST, *arguments], env=env, capture_output=True, text=True, timeout=900)


def first_post(received: list[dict], seconds: float) -> dict | None:
    deadline = time.monotonic() + seconds
    while not received and time.monotonic() < deadline:
        time.sleep(1)
    return received[0] if received else None


def test_a_blocked_day_posts_the_failure_and_a_good_run_posts_nothing(
        published: None, webhook: tuple[str, list[dict]]) -> None:
    hook, received = webhook
    assert prefect_healthy(settings()), "the stack's Prefect server (`rainforest stack up`)"
    assert rainforest(["alerts"], hook).returncode == 0
    day = max(published_dates(log_rows()))
    pg_execute("ALTER TABLE rainforest.orders DROP CONSTRAINT orders_pkey",
               "INSERT INTO rainforest.orders SELECT * FROM rainforest.orders WHERE order_id = (SELECT min(order_id) "
               f"FROM rainforest.orders WHERE created_ts >= '{day}' AND created_ts < '{day}'::date + 1)")
    try:
        blocked = rainforest(["run", "--date", str(day)], hook)
        assert blocked.returncode == 2 and "duplicate_count(order_id) = 0" in blocked.stderr, blocked.stderr[-2000:]
        post = first_post(received, 120)
        assert post is not None, "no alert within 120 s"
        assert str(day) in post["text"] and "duplicate_count(order_id) = 0" in post["text"]
        assert f"rainforest run --date {day}" in post["text"] and "Failed" in post["subject"]
    finally:
        pg_execute("DELETE FROM rainforest.orders a USING rainforest.orders b "
                   "WHERE a.order_id = b.order_id AND a.ctid > b.ctid",
                   "ALTER TABLE rainforest.orders ADD PRIMARY KEY (order_id)")
        received.clear()
    try:
        assert rainforest(["run", "--date", str(day)], hook).returncode == 0
        assert first_post(received, 30) is None
    finally:
        assert rainforest(["alerts"], "").returncode == 0  # no webhook: the automation is removed
