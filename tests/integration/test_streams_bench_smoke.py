"""bench/streams.py, tiny: a thousand events through its own broker, relay and worker, every
assertion of the bench (what it publishes is what was recorded) and a table with both ratios."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_streams_bench_runs_and_reports_both_ratios():
    done = subprocess.run(
        [sys.executable, "-m", "bench.streams", "--events", "1000"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = {
        cells[0]: cells
        for cells in ([c.strip() for c in line.strip("|").split("|")] for line in done.stdout.splitlines())
        if cells[0].startswith(("relay", "Faust worker"))
    }
    assert {name.split(" (")[0] for name in rows} == {"relay", "Faust worker"}, done.stdout
    assert all(float(cells[-1]) > 0 for cells in rows.values()), done.stdout
