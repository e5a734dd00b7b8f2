"""Gold: figures per order date, recomputed for exactly the dates a run touched."""

from tables.spec import LayerDefaults, WriteMode

DEFAULTS = LayerDefaults(write_mode=WriteMode.OVERWRITE_DATES, partitioned_by=("order_date",))
