"""Benchmarks of the local loop: deploy time, latency, throughput, Lambda and SQS overheads.

Run with `make bench`; it writes bench/results.json (the summary the docs quote),
bench/results.samples.json (raw samples, not in git) and bench/results.png. Not a
test: nothing in `make test` depends on a timing.
"""
