"""A Spark standalone cluster as local processes from the pyspark installation (`spark-class`): one master,
two workers and a history server, all on 127.0.0.1. `cluster up` restarts the stack's Spark Connect server as the
cluster's driver (master spark://127.0.0.1:7077), `cluster down` restarts it on the configured SPARK_MASTER.
Master, workers and the driver authenticate with a shared secret (`spark.authenticate`); the master's REST
submission API, which takes no authentication, is off."""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import pyspark

from infra.errors import StackError
from infra.local.daemon import log, port_open, running, spawn, terminate, wait_until
from infra.local.stack import spark_start, spark_stop
from infra.private import private_dir
from infra.settings import StackSettings, stack_settings

SPARK_HOME = Path(pyspark.__file__).parent
MASTER_PORT, MASTER_UI_PORT, HISTORY_PORT = 7077, 8080, 18080
MASTER = f"spark://127.0.0.1:{MASTER_PORT}"
WORKER_CORES, WORKER_MEMORY = "1", "3g"


@dataclass(frozen=True)
class Daemon:
    name: str
    main_class: str
    arguments: tuple[str, ...]
    port: int


def daemons(cfg: StackSettings) -> tuple[Daemon, ...]:
    workers = tuple(
        Daemon(f"worker-{n}", "org.apache.spark.deploy.worker.Worker",
               (MASTER, "--host", "127.0.0.1", "--cores", WORKER_CORES, "--memory", WORKER_MEMORY,
                "--webui-port", str(8080 + n), "--work-dir", str(cfg.home / "spark" / f"work-{n}")), 8080 + n)
        for n in (1, 2))
    return (
        Daemon("master", "org.apache.spark.deploy.master.Master",
               ("--host", "127.0.0.1", "--port", str(MASTER_PORT), "--webui-port", str(MASTER_UI_PORT)),
               MASTER_PORT),
        *workers,
        Daemon("history", "org.apache.spark.deploy.history.HistoryServer", (), HISTORY_PORT),
    )


def alive_workers() -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{MASTER_UI_PORT}/json/", timeout=2) as response:
            return int(json.load(response).get("aliveworkers", 0))
    except (urllib.error.URLError, OSError, ValueError):
        return 0


def up() -> None:
    cfg = stack_settings()
    private_dir(cfg.spark_events_dir)
    if not cfg.spark_auth_secret:
        raise StackError("RAINFOREST_SPARK_AUTH_SECRET is empty; `rainforest stack up` generates it into .env")
    authenticated = "-Dspark.authenticate=true"  # the secret itself comes from the environment
    env = {
        **cfg.s3_environment(),  # executors inherit the workers' environment: keys never on a command line
        **cfg.spark_auth_environment(),
        "SPARK_MASTER_OPTS": f"{authenticated} -Dspark.master.rest.enabled=false",
        "SPARK_WORKER_OPTS": authenticated,
        "SPARK_HOME": str(SPARK_HOME),
        "PYSPARK_PYTHON": sys.executable,
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_HISTORY_OPTS": f"-Dspark.history.fs.logDirectory=file:{cfg.spark_events_dir} "
                              f"-Dspark.history.ui.port={HISTORY_PORT} -Dspark.history.fs.update.interval=2s "
                              "-Dspark.history.fs.cleaner.enabled=true -Dspark.history.fs.cleaner.maxAge=7d",
    }
    for daemon in daemons(cfg):
        pidfile = cfg.home / "spark" / f"{daemon.name}.pid"
        if running(pidfile):
            continue
        started = time.monotonic()
        spawn(pidfile, cfg.home / "spark" / f"{daemon.name}.log",
              [str(SPARK_HOME / "bin" / "spark-class"), daemon.main_class, *daemon.arguments], env)
        wait_until(partial(port_open, daemon.port), f"Spark {daemon.name} (log: {pidfile.with_suffix('.log')})")
        log(f"spark {daemon.name} up in {time.monotonic() - started:.1f}s (127.0.0.1:{daemon.port})")
    wait_until(lambda: alive_workers() == 2, "two registered Spark workers")
    spark_stop(cfg)
    spark_start(replace(cfg, spark_master=MASTER))
    log(f"spark connect server restarted on {MASTER}")


def down() -> None:
    cfg = stack_settings()
    spark_stop(cfg)
    spark_start(cfg)
    log(f"spark connect server restarted on {cfg.spark_master}")
    for daemon in reversed(daemons(cfg)):
        terminate(cfg.home / "spark" / f"{daemon.name}.pid", f"Spark {daemon.name}", timeout=15)


def status_lines() -> list[str]:
    cfg = stack_settings()
    return [f"spark-{d.name:<9} {'up' if port_open(d.port) else 'down':<5} 127.0.0.1:{d.port}" for d in daemons(cfg)]
