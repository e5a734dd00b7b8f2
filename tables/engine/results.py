"""What building a table in a run gives: the record the gate, the publish and the reports read (no engine
imports, so every part of the engine can name it)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TableResult:
    table: str
    snapshot_id: int
    total_rows: int
    seconds: float
    checks: list[dict[str, object]]
    started_at: float = 0.0  # epoch seconds, to derive layer wall times
    records_added: int = 0  # rows the run's snapshot added (merges rewrite files: includes rewritten rows)
    phases: dict[str, float] = field(default_factory=dict)  # seconds per step of the runner, for profiles
    unchanged: bool = False  # no input changed this run: main's snapshot is kept
