"""`make bench`: the full 2024 compliance cycle driven over REST against the whole stack started as
real processes, with same-run baselines (confirmed publish to a quorum queue, PostgreSQL inserts),
hop latency at a steady event rate, CPU and RSS per process. See README "Benchmark"."""
