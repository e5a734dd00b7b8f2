"""`rainforest run` as a new user starts it, from an empty HOME and without the telemetry switches in its
environment, with every connect and send of it and its children (the Spark JVM) traced by strace: nothing
leaves the machine, not even a name lookup; no telemetry setting is turned on; the console shows one line per
table and a closing summary, and no warning or traceback."""

from __future__ import annotations

import ipaddress
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from infra.settings import settings
from tables.publish.protocol import log_rows, published_dates
from tables.registry import all_tables

pytestmark = pytest.mark.integration
RAINFOREST = str(Path(sys.executable).parent / "rainforest")
ADDRESS = re.compile(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"')
PORT = re.compile(r"sin6?_port=htons\((\d+)\)")
LEFT_TO_THE_RUN = ("DO_NOT_TRACK", "OTEL_SDK_DISABLED", "PREFECT_SERVER_ANALYTICS_ENABLED", "PREFECT_HOME",
                   "PREFECT_LOGGING_SETTINGS_PATH", "PREFECT_API_URL", "PREFECT_API_AUTH_STRING")


def leaving_the_machine(trace: str) -> list[str]:
    """Traced calls that reach a non-loopback address, or any DNS port."""
    found = []
    for line in trace.splitlines():
        ports = PORT.findall(line)
        addresses = [ipaddress.ip_address(v4 or v6) for v4, v6 in ADDRESS.findall(line)]
        remote = [a for a in addresses if not (a.is_loopback or a.is_unspecified
                                               or (a.version == 6 and a.ipv4_mapped and a.ipv4_mapped.is_loopback))]
        if remote or "53" in ports:
            found.append(line)
    return found


@pytest.fixture(scope="module")
def quiet_run(published: None, tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str],
                                                                                   str, Path]:
    folder = tmp_path_factory.mktemp("quiet")
    home, trace = folder / "home", folder / "network.trace"
    home.mkdir()
    day = max(published_dates(log_rows()))  # a rerun of the last published day
    env = {key: value for key, value in os.environ.items() if key not in LEFT_TO_THE_RUN} | {"HOME": str(home)}
    run = subprocess.run(["strace", "-f", "-qq", "--seccomp-bpf", "-e", "trace=connect,sendto,sendmsg,sendmmsg",
                          "-e", "signal=none", "-o", str(trace), RAINFOREST, "run", "--date", str(day)],
                         env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-4000:]
    return run, trace.read_text(), home


def test_nothing_leaves_the_machine(quiet_run: tuple[subprocess.CompletedProcess[str], str, Path]) -> None:
    _, trace, _ = quiet_run
    assert "AF_INET" in trace  # the trace saw the run talk to the stack over TCP
    assert leaving_the_machine(trace) == []


def test_no_telemetry_is_turned_on_in_the_fresh_home(
        quiet_run: tuple[subprocess.CompletedProcess[str], str, Path]) -> None:
    _, _, home = quiet_run
    assert not (home / ".soda").exists()  # Soda's config is the project's own, not the user's
    soda = settings().home / "soda" / "config.yml"
    assert soda.exists() and "send_anonymous_usage_stats: false" in soda.read_text()
    for path in home.rglob("*"):
        if path.is_file() and path.stat().st_size < 1_000_000:
            text = path.read_text(errors="replace").lower()
            assert "send_anonymous_usage_stats: true" not in text and "analytics_enabled = true" not in text, path


def test_the_console_has_one_line_per_table_a_summary_and_no_noise(
        quiet_run: tuple[subprocess.CompletedProcess[str], str, Path]) -> None:
    run, _, _ = quiet_run
    lines = (run.stdout + run.stderr).splitlines()
    for spec in all_tables():
        mine = [line for line in lines if re.search(rf"\s{spec.layer}\s+{spec.name}\s", line)]
        assert len(mine) == 1, (spec.identifier, mine)
    summary = rf"published: {len(all_tables())} tables, [\d,]+ rows written, \d+ checks passed"
    assert any(re.search(summary, line) for line in lines), lines[-5:]
    noise = [line for line in lines if re.search(r"warn|traceback|exception|error", line, re.IGNORECASE)]
    assert noise == [], noise
