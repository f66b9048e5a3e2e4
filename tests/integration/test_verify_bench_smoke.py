"""bench/verify.py, tiny: a few hundred events on each store, every assertion of the bench."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_verify_bench_runs_and_reports_a_ratio(store):
    done = subprocess.run(
        [sys.executable, "-m", "bench.verify", "--stores", store, "--events", "300"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    row = next(line for line in done.stdout.splitlines() if line.startswith(f"| {store} |"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[:2] == [store, "300"]
    assert float(cells[5]) > 0 and float(cells[7]) > 0 and float(cells[9]) > 0  # the verify ratios
    assert float(cells[13]) > 0  # against a signed checkpoint
