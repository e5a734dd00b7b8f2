"""`python stop_at.py POINT MARKER ARGUMENT…`: `rainforest ARGUMENT…` that stops at a named point of its run
(`tables.engine.checkpoints`): it writes its pid and the point to MARKER and waits there to be killed (a real
SIGKILL at a known step), or to go on once the test deletes the marker (another writer's steps in between)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from flows.cli import main
from tables.engine import checkpoints


def command(arguments: list[str], point: str, marker: Path) -> list[str]:
    """The command line of a `rainforest` process that stops at `point`."""
    return [sys.executable, __file__, point, str(marker), *arguments]


def stop_at(point: str, marker: Path) -> checkpoints.Listener:
    def stop(reached: str) -> None:
        if reached != point:
            return
        marker.write_text(f"{os.getpid()} {point}\n")
        while marker.exists():
            time.sleep(0.2)
    return stop


if __name__ == "__main__":
    checkpoints.listen(stop_at(sys.argv[1], Path(sys.argv[2])))
    sys.exit(main(sys.argv[3:]))
