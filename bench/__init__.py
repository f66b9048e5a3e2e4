"""Benchmarks, each printing ratios against a raw baseline measured in the same run (`python -m bench.NAME`)."""
