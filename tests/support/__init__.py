"""What tests and benchmarks share: free ports, stores, processes, brokers and servers.

bench/ imports this package (run from the repository's root, `python -m bench.NAME`), so a
harness exists once.
"""
