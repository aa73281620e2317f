"""Every benchmark script still runs: each benchmarks/bench_*.py with --quick, in its own process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted((ROOT / "benchmarks").glob("bench_*.py"))
QUICK_LIMIT_S = 30  # what --quick promises on a quiet 2-core machine; the test allows for a busy one


def test_there_are_benchmarks_to_run():
    assert SCRIPTS, "no benchmarks/bench_*.py found: the parametrized test below would silently run nothing"


@pytest.mark.parametrize("script", SCRIPTS, ids=[path.name for path in SCRIPTS])
def test_benchmark_runs_quickly_with_quick(script: Path):
    env = {**os.environ, "COURSE_PLAIN_PROGRESS": "1", "MPLBACKEND": "Agg"}
    try:
        result = subprocess.run([sys.executable, str(script), "--quick"], cwd=ROOT, env=env, capture_output=True,
                                text=True, timeout=6 * QUICK_LIMIT_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{script.name} --quick ran over {6 * QUICK_LIMIT_S} s (it should finish in {QUICK_LIMIT_S} s)")
    assert result.returncode == 0, f"{script.name} --quick failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
    assert result.stdout.strip(), f"{script.name} --quick printed nothing"
