"""Named points of a run — `written:<table>`, `publishing`, `published:<table>` — where a listener may act. Only
the crash tests listen (`tests/integration/stop_at.py` stops a real `rainforest` process there to kill it)."""

from __future__ import annotations

from collections.abc import Callable

Listener = Callable[[str], None]
_listeners: list[Listener] = []


def listen(listener: Listener) -> None:
    _listeners.append(listener)


def reached(point: str) -> None:
    for listener in _listeners:
        listener(point)
