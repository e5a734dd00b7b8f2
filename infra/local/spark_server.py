"""The stack's Spark Connect server: its jars, static settings and JVM options (`infra.local.stack` and
`make cluster-up` start it with them), and the jobs it ran, read from its event log (benchmarks and tests)."""

from __future__ import annotations

import json
from pathlib import Path

from infra.errors import StackError
from infra.settings import StackSettings, stack_settings

LOG4J_CONFIG = Path(__file__).with_name("log4j2.properties")
# The throughput collector: a run is batch work on few cores, and G1's concurrent threads compete with it. Measured
# on 2 cores: daily run at 1M orders/day 177 → 155 s, at 100k 49 → 42 s (docs/benchmarks.md).
JVM_OPTIONS = f"-Duser.timezone=UTC -Dlog4j2.configurationFile=file:{LOG4J_CONFIG} -XX:+UseParallelGC"


def spark_jars(cfg: StackSettings) -> list[Path]:
    """The JVM jars `rainforest stack up` (or the image build) resolved from Maven Central."""
    jars = sorted(cfg.jars_dir.glob("*.jar"))
    if not jars:
        raise StackError(f"no Spark jars in {cfg.jars_dir}; `rainforest stack up` resolves them with Maven")
    return jars


def server_conf(cfg: StackSettings) -> dict[str, str]:
    """The Connect server's static settings (given at its start). No secret is here: the token, the S3 keys and a
    cluster's secret reach the JVM through its environment, never its command line."""
    return {
        "spark.jars": ",".join(str(path) for path in spark_jars(cfg)),
        "spark.sql.extensions": "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
        "spark.connect.grpc.binding.address": "127.0.0.1",  # no TLS: clients share its host (see `remote`)
        "spark.connect.grpc.binding.port": str(cfg.spark_connect_port),
        # A client killed with SIGKILL leaves its operations on the server: they are dropped once nobody has been
        # attached to them for 30 s (default 5 min); the next writer also interrupts them at once (fence_session).
        "spark.connect.execute.manager.detachedTimeout": "30s",
        "spark.connect.execute.reattachable.senderMaxStreamDuration": "30s",
        "spark.connect.session.manager.defaultSessionTimeout": "30min",
        # Nothing listens beyond loopback (a remote cluster sets RAINFOREST_SPARK_DRIVER_HOST), no web UI (the
        # history server shows the server's work), and JDBC timestamps do not depend on the host's time zone.
        "spark.driver.host": cfg.spark_driver_host,
        "spark.driver.bindAddress": cfg.spark_driver_host,
        "spark.ui.enabled": "false",
        "spark.driver.extraJavaOptions": JVM_OPTIONS,
        "spark.executor.extraJavaOptions": JVM_OPTIONS,
        "spark.ui.showConsoleProgress": "false",
        "spark.scheduler.mode": "FAIR",
        "spark.eventLog.enabled": "true",
        "spark.eventLog.dir": f"file:{cfg.spark_events_dir}",
        # Plain JSON in files of 64 MB: a long-lived server's log stays readable while it runs (`make bench` counts
        # a run's jobs in it), and the history server lists the server's work.
        "spark.eventLog.compress": "false",
        "spark.eventLog.rolling.enabled": "true",
        "spark.eventLog.rolling.maxFileSize": "64m",
        "spark.sql.session.timeZone": "UTC",
    }


def session_jobs(session: str = "") -> dict[str, int]:
    """Spark jobs the server ran for a session's operations (each carries the session's tag, `get_spark`), in
    all and per table (its tag), from the server's event log (plain JSON, flushed at each job's end); every
    session's when `session` is empty."""
    run_tag, counts = f"rainforest-{session}", {"all": 0}
    for path in stack_settings().spark_events_dir.rglob("*"):
        if not path.is_file():
            continue
        with path.open(errors="replace") as events:
            for line in events:
                if '"Event":"SparkListenerJobStart"' not in line or run_tag not in line:
                    continue
                tags = json.loads(line).get("Properties", {}).get("spark.job.tags", "").split(",")
                counts["all"] += 1
                for tag in tags:  # a Connect session's tag reaches the job as `SparkConnect_SessionTag_…_Tag_<tag>`
                    _, marked, table = tag.partition("_Tag_table-")
                    if marked:
                        counts[table] = counts.get(table, 0) + 1
    return counts
