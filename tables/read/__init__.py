"""The read side: the reports from the last complete publish, restatements between publishes, the run report."""
