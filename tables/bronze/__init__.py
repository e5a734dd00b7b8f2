"""Bronze: upstream tables as they are, one partition per run date; kept as extracted, so not audited."""

from tables.spec import LayerDefaults, WriteMode

DEFAULTS = LayerDefaults(write_mode=WriteMode.OVERWRITE_DATES, partitioned_by=("_run_date",), audited=False)
