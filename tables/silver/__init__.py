"""Silver: dimensions and bridges synced to upstream's current state; facts (which say so) merged by key."""

from tables.spec import LayerDefaults, WriteMode

DEFAULTS = LayerDefaults(write_mode=WriteMode.SYNC)
