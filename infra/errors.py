"""Every error Rainforest raises on purpose, each with a message a user can act on."""

from __future__ import annotations


class RainforestError(Exception):
    """Base of all errors raised on purpose."""


class ServiceUnavailableError(RainforestError):
    """A service the pipeline needs does not answer."""

    def __init__(self, service: str, address: str, detail: str = "") -> None:
        hint = (f"check {SERVICE_SETTINGS[service]} (.env or the environment), or start the local stack "
                "(`rainforest stack up`)")
        message = f"{service} is not reachable at {address}: {detail or 'no answer'}; {hint}"
        super().__init__(message)
        self.service = service


class StackError(RainforestError):
    """A local service could not be installed, started or stopped."""


class DatagenError(RainforestError):
    """Upstream data cannot be generated as asked."""


class QualityGateError(RainforestError):
    """A table's Soda checks failed on the run branch; nothing was published."""

    def __init__(self, table: str, branch: str, failures: list[str], report_path: str, hint: str = "") -> None:
        lines = "\n  ".join(failures)
        super().__init__(
            f"quality gate failed for {table} on branch {branch} (main is unchanged, the branch is kept"
            f" for inspection):\n  {lines}\n{hint + chr(10) if hint else ''}full Soda results: {report_path}"
        )
        self.table = table
        self.branch = branch
        self.failures = failures


def fix_hint(run_date: object) -> str:
    """What a failed check asks of the person running the date."""
    return f"fix the data upstream (or the model), then run `rainforest run --date {run_date}` again"


class RunFailedError(RainforestError):
    """A daily run failed; the branch it wrote is kept and main is unchanged."""


class ReconciliationError(RainforestError):
    """Order counts or revenue disagree between Postgres and the lake; nothing was published."""


class WriterBusyError(RainforestError):
    """Another run holds the writer lock: only one run writes the lake at a time."""


class ConcurrentWriterError(RainforestError):
    """Another writer (another host, another state folder) changed the lake while this run was building: this
    run's publish would revert that writer's work, so it publishes nothing (or stops at the first table)."""


UPSTREAM = "PostgreSQL (upstream database)"
CATALOG = "Iceberg REST catalog (SeaweedFS)"
S3 = "S3 store (SeaweedFS)"
SPARK = "Spark Connect server"
SERVICE_SETTINGS = {UPSTREAM: "RAINFOREST_UPSTREAM_DSN", CATALOG: "RAINFOREST_CATALOG_URI",
                    S3: "RAINFOREST_S3_ENDPOINT",
                    SPARK: "RAINFOREST_SPARK_CONNECT_HOST and RAINFOREST_SPARK_CONNECT_PORT"}  # where each one is
TRANSIENT_SERVICES = (
    (UPSTREAM, ("PSQLException", "org.postgresql", "psycopg2.OperationalError", "terminating connection",
                "the database system is")),
    (CATALOG, ("RESTException", "ServiceFailureException", "ServiceUnavailable", "NoHttpResponseException",
               "8181")),
    (S3, ("SdkClientException", "S3Exception", "Unable to execute HTTP request", "8333", "AWS Error")),
    # Last: every error of the JVM reaches the client through Connect, the server's own faults name nothing above.
    (SPARK, ("StatusCode.UNAVAILABLE", "SESSION_CHANGED", "SESSION_NOT_FOUND", "NO_ACTIVE_SESSION",
             "SparkConnectGrpcException")),
)
# A service that restarts refuses connections, drops them, or answers 5xx until every part of it is up (SeaweedFS's
# catalog answers 500 "failed to fetch policies" until its filer listens): each of these is worth a retry.
TRANSIENT_MARKERS = ("Connection refused", "connection refused", "Connection reset", "connect timed out",
                     "Read timed out", "SocketTimeoutException", "Broken pipe", "EOFException",
                     "connection has been closed", "ConnectionError", "terminating connection",
                     "the database system is", "503", "NoHttpResponseException", "ServiceFailureException",
                     "ServiceUnavailableException", "code = Unavailable", "NETWORK_CONNECTION",
                     "SERVICE_UNAVAILABLE", "INTERNAL_FAILURE", "curlCode: 7", "Couldn't connect to server",
                     "StatusCode.UNAVAILABLE", "INVALID_HANDLE.SESSION_CHANGED", "NO_ACTIVE_SESSION",
                     "postmaster is accepting TCP/IP connections", "server closed the connection unexpectedly")


def _catalog_answered_5xx(error: BaseException) -> bool:
    """pyiceberg's errors for a 5xx answer of the REST catalog (a 500 on a commit is "state unknown": every
    commit of the pipeline is checked against the table's state before it is made again)."""
    from pyiceberg.exceptions import (
        CommitStateUnknownException,
        ServerError,
        ServiceUnavailableError,
        TooManyRequestsError,
    )

    return isinstance(error, ServerError | ServiceUnavailableError | CommitStateUnknownException
                      | TooManyRequestsError)


def causes(error: BaseException) -> list[BaseException]:
    """The error and what it was raised from or while handling, as a traceback shows them."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return chain


def transient_service(error: BaseException) -> str | None:
    """The service a fault that is worth retrying came from (a restart, a dropped connection), else None."""
    if isinstance(error, ServiceUnavailableError):
        return error.service
    if isinstance(error, RainforestError):
        return None
    chain = causes(error)
    if any(_catalog_answered_5xx(link) for link in chain):
        return CATALOG
    text = "\n".join(f"{type(link).__module__}.{type(link).__name__}: {link}" for link in chain)
    if "TABLE_OR_VIEW_NOT_FOUND" in text and "branch_run_" in text:
        return CATALOG  # a run's own branch is "not found" only while a restarting catalog's filer is not up yet
    if not any(marker in text for marker in TRANSIENT_MARKERS):
        return None
    return next((service for service, markers in TRANSIENT_SERVICES if any(m in text for m in markers)),
                "a service of the stack")


def fault_detail(error: BaseException) -> str:
    """The line of an error that says what went wrong with the service (a JVM error's first line rarely does)."""
    lines = [line.strip() for link in causes(error) for line in str(link).splitlines() if line.strip()]
    lines = lines or [type(error).__name__]
    return next((line for line in lines if any(marker in line for marker in TRANSIENT_MARKERS)), lines[0])[:200]
