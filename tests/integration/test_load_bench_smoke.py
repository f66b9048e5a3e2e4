"""bench/load.py, tiny: a real `tuoyu serve`, two writers and a reader, and every check of the bench."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]  # benches run as modules from the repository's root


@pytest.mark.slow
@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_load_bench_runs_and_finds_no_error_loss_or_mismatch(store):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.load",
            "--store",
            store,
            "--writers",
            "2",
            "--readers",
            "1",
            "--requests",
            "6",
            "--events-per-request",
            "20",
            "--timeout",
            "60",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    row = next(line for line in done.stdout.splitlines() if line.startswith(f"| {store} |"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[:5] == [store, "2", "1", "6", "20"]
    assert cells[-4:] == ["0", "0", "0", "yes"]  # errors, lost, duplicates, view = replay
    assert '"posted":120,"recorded":120' in done.stderr
