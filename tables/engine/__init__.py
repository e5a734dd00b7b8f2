"""The engine: plans and runs one table (extract → transform → write on the run branch → audit), and the
I/O it needs — upstream extraction, write modes, the lake (pyiceberg), the Spark Connect client, the writer lock."""
