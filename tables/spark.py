"""The one Spark session factory: local Spark by default, a standalone cluster when SPARK_MASTER is set."""

from __future__ import annotations

import atexit
import os
import threading
import time
from pathlib import Path

from pyspark.sql import SparkSession

from infra.errors import StackError
from infra.private import private_dir, write_private
from infra.settings import Settings, settings

CATALOG = "lake"
LOG4J_CONFIG = Path(__file__).with_name("log4j2.properties")
# The throughput collector: a run is batch work on few cores, and G1's concurrent threads compete with it. Measured
# on 2 cores: daily run at 1M orders/day 177 → 155 s, at 100k 49 → 42 s; runs on small data are within noise
# (README, Benchmark).
JVM_OPTIONS = f"-Duser.timezone=UTC -Dlog4j2.configurationFile=file:{LOG4J_CONFIG} -XX:+UseParallelGC"
_lock = threading.Lock()
_session: SparkSession | None = None
session_start_seconds: float | None = None  # how long this process's session took to start (benchmarks)


def qualified(table: str) -> str:
    return f"{CATALOG}.{table}"


def on_branch(table: str, branch: str) -> str:
    return f"{CATALOG}.{table}.branch_{branch}"


def spark_jars(cfg: Settings) -> list[Path]:
    """The JVM jars `rainforest stack up` (or the image build) resolved from Maven Central."""
    jars = sorted(cfg.jars_dir.glob("*.jar"))
    if not jars:
        raise StackError(f"no Spark jars in {cfg.jars_dir}; `rainforest stack up` resolves them with Maven")
    return jars


def catalog_conf(cfg: Settings) -> dict[str, str]:
    """Iceberg REST catalog `lake` with SigV4 auth and S3FileIO, as SeaweedFS's own Spark suite connects. The
    keys are not here: the AWS SDK takes them from the JVM's environment (`Settings.s3_environment`)."""
    prefix = f"spark.sql.catalog.{CATALOG}"
    return {
        prefix: "org.apache.iceberg.spark.SparkCatalog",
        f"{prefix}.type": "rest",
        f"{prefix}.uri": cfg.catalog_uri,
        f"{prefix}.warehouse": cfg.warehouse,
        f"{prefix}.rest.sigv4-enabled": "true",
        f"{prefix}.rest.signing-name": "s3",
        f"{prefix}.rest.signing-region": cfg.s3_region,
        f"{prefix}.io-impl": "org.apache.iceberg.aws.s3.S3FileIO",
        f"{prefix}.s3.endpoint": cfg.s3_endpoint,
        f"{prefix}.s3.path-style-access": "true",
        f"{prefix}.client.region": cfg.s3_region,
        # Branches and mains also move through pyiceberg (tables.lake): always read the catalog's current state.
        f"{prefix}.cache-enabled": "false",
    }


def session_conf(cfg: Settings) -> dict[str, str]:
    jars = ",".join(str(path) for path in spark_jars(cfg))
    return {
        "spark.jars": jars,
        "spark.sql.extensions": "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": str(cfg.shuffle_partitions),
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.adaptive.coalescePartitions.enabled": "true",
        "spark.sql.autoBroadcastJoinThreshold": str(64 * 1024 * 1024),
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
        "spark.driver.memory": cfg.spark_driver_memory,
        # Nothing listens beyond loopback (a remote cluster sets RAINFOREST_SPARK_DRIVER_HOST), no web UI (the
        # history server shows finished runs), and JDBC timestamps do not depend on the host's time zone.
        "spark.driver.host": cfg.spark_driver_host,
        "spark.driver.bindAddress": cfg.spark_driver_host,
        "spark.ui.enabled": "false",
        "spark.driver.extraJavaOptions": JVM_OPTIONS,
        "spark.executor.extraJavaOptions": JVM_OPTIONS,
        "spark.ui.showConsoleProgress": "false",
        "spark.scheduler.mode": "FAIR",
        "spark.eventLog.enabled": "true",
        "spark.eventLog.dir": f"file:{cfg.spark_events_dir}",
        "spark.eventLog.compress": "true",
        **catalog_conf(cfg),
    }


def driver_secret_conf(cfg: Settings) -> Path:
    """A private Spark configuration folder whose spark-defaults.conf turns `spark.authenticate` on with the
    standalone cluster's secret: a driver needs the secret in its configuration, and PySpark passes the
    session's settings to the JVM as command-line arguments, which `ps` shows."""
    folder = private_dir(cfg.home / "spark" / "driver-conf")
    write_private(folder / "spark-defaults.conf",
                  f"spark.authenticate true\nspark.authenticate.secret {cfg.spark_auth_secret}\n")
    return folder


def start_in_background() -> None:
    """Start the session on a thread of its own, so its seconds of JVM start overlap the imports and checks
    that come first; `get_spark` then waits for it. If the start fails there, `get_spark` on the caller's
    thread tries again and raises the error where it is handled."""

    def start() -> None:
        try:
            get_spark()
        except Exception:  # the caller's own get_spark raises it again
            return

    threading.Thread(target=start, name="spark-start", daemon=True).start()


def get_spark(app_name: str = "rainforest") -> SparkSession:
    """Return the process's Spark session, creating it on first use (one session per flow run)."""
    global _session, session_start_seconds
    with _lock:
        if _session is not None:
            return _session
        cfg = settings()
        os.environ.update(cfg.s3_environment())
        standalone = cfg.spark_master.startswith("spark://")
        if standalone:  # the cluster admits only drivers that know its secret
            os.environ["SPARK_CONF_DIR"] = str(driver_secret_conf(cfg))
        os.environ.setdefault("SPARK_LOCAL_IP", cfg.spark_driver_host)
        private_dir(cfg.spark_events_dir)
        builder = SparkSession.builder.master(cfg.spark_master).appName(app_name)
        for key, value in session_conf(cfg).items():
            builder = builder.config(key, value)
        started = time.monotonic()
        spark = builder.getOrCreate()
        session_start_seconds = time.monotonic() - started
        spark.sparkContext.setLogLevel("ERROR")
        atexit.register(spark.stop)  # completes the event log, so the history server lists the run as done
        _session = spark
        return spark
