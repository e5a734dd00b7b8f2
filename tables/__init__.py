"""The model: table declarations (`spec`, `registry`, one folder per layer), and the packages that run them —
`engine`, `quality`, `publish`, `read`."""
