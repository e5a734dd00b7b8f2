"""Interface: what stakeholders read, small, replaced whole every run."""

from tables.spec import LayerDefaults, WriteMode

DEFAULTS = LayerDefaults(write_mode=WriteMode.REPLACE)
