"""What a run prints: one line per table and a closing summary, the same lines the Prefect UI gets.

`flows/logging.yml` (Prefect's logging config for `rainforest` commands) routes the run logger to the console
through `ConsoleLines`: the pipeline's own lines (logged with `say`), warnings, and errors nobody expected. The
engine's routine records ("Beginning subflow run", "Finished in state Completed()") and the repeats of an error
the command line sums up in one sentence at the end (a failed check, a service down) reach the UI only."""

from __future__ import annotations

import logging

from prefect import get_run_logger

from infra.errors import RainforestError, transient_service

CONSOLE = "rainforest_console"


def say(message: str, *args: object, level: int = logging.INFO) -> None:
    """A line for the person running the pipeline, on the console and in the Prefect UI."""
    get_run_logger().log(level, message, *args, extra={CONSOLE: True})


def explained(error: BaseException) -> bool:
    """Whether the command line ends with one sentence about this error (so its traceback helps nobody)."""
    return isinstance(error, RainforestError) or transient_service(error) is not None


class ConsoleLines(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, CONSOLE, False):
            return True
        if record.levelno < logging.WARNING:
            return False
        if not record.name.startswith(("prefect.flow_runs", "prefect.task_runs")):
            return True
        error = record.exc_info[1] if record.exc_info else None
        return error is not None and not explained(error)


class ConsoleFormat(logging.Formatter):
    """`HH:MM:SS message`, warnings and errors prefixed with their level."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(message)s", datefmt="%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        if record.levelno >= logging.WARNING:
            stamp, _, rest = line.partition(" ")
            line = f"{stamp} {record.levelname.lower()}: {rest}"
        return line
