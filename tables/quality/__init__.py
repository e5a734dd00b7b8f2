"""The quality gate: Soda scans of each written table, trend checks against published history, the
data-quality history, and reconciliation of upstream, bronze, silver and gold before publish."""
