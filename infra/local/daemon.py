"""Long-running local processes: started detached with a pid file and a log, stopped by waiting for exit."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from infra.errors import StackError
from infra.private import private_dir


def log(message: str) -> None:
    print(f"[stack] {message}", file=sys.stderr, flush=True)


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_until(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise StackError(f"{what} did not come up within {timeout:.0f}s")


def pid_alive(pid: int) -> bool:
    """Whether the process runs; an exited child of ours (a zombie until reaped) counts as gone."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "\nState:\tZ" in status.read_text())


def running(pidfile: Path) -> bool:
    """Whether the pid file names a live process; a stale pid file is removed."""
    if not pidfile.exists():
        return False
    if pid_alive(int(pidfile.read_text())):
        return True
    log(f"removing stale pid file {pidfile}")
    pidfile.unlink()
    return False


def spawn(pidfile: Path, logfile: Path, command: list[str], env: dict[str, str] | None = None,
          cwd: Path | None = None) -> None:
    private_dir(pidfile.parent)
    with os.fdopen(os.open(logfile, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
                                   cwd=cwd or pidfile.parent, env={**os.environ, **(env or {})})
    pidfile.write_text(str(process.pid))


def terminate(pidfile: Path, what: str, timeout: float = 30.0) -> None:
    """SIGTERM the process group and wait until the process has exited (some hold locks for seconds); one
    that ignores SIGTERM for `timeout` seconds is killed."""
    if not running(pidfile):
        return
    pid = int(pidfile.read_text())
    os.killpg(pid, signal.SIGTERM)
    try:
        wait_until(lambda: not pid_alive(pid), f"{what} shutdown", timeout=timeout)
    except StackError:
        log(f"{what} ignored SIGTERM for {timeout:.0f}s; killing it")
        os.killpg(pid, signal.SIGKILL)
        wait_until(lambda: not pid_alive(pid), f"{what} kill", timeout=10)
    pidfile.unlink()
