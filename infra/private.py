"""Files and folders only their owner can read, private from the moment they exist (never created open and
narrowed afterwards): credentials, keys, the local state."""

from __future__ import annotations

import os
from pathlib import Path


def write_private(path: Path, text: str, append: bool = False) -> None:
    """Write a file readable by its owner only, created 0600 (never widened and narrowed afterwards)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
    with os.fdopen(os.open(path, flags, 0o600), "a" if append else "w") as handle:
        handle.write(text)


def private_dir(path: Path) -> Path:
    """A folder created 0700, and so are its missing parents (`mkdir(parents=True)` would not apply the mode
    to them)."""
    for folder in [*reversed(path.parents), path]:
        if not folder.exists():
            folder.mkdir(mode=0o700, exist_ok=True)
    return path
