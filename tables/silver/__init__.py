"""Silver: dimensions and bridges synced to upstream's current state; facts written as they declare (merged by key,
or their extraction window replaced)."""

from tables.spec import LayerDefaults, WriteMode

DEFAULTS = LayerDefaults(write_mode=WriteMode.SYNC)
