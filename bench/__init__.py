"""`make bench`: timed runs of the pipeline at a chosen scale, beside a DuckDB anchor, written as JSON."""
