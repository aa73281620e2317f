"""Benchmark for notebook 04: how long one update of the RNN lab panel takes, and what one CPU thread buys.

Usage:  python benchmarks/bench_rnn_lab.py [--device auto|cpu|cuda|mps] [--repeats 3] [--seq-len 30] [--quick]

For each RNN type it times one panel update at the default settings (lab_experiment: 60 training steps plus two
per-time-step gradient measurements, then the figure), best of `repeats`, and prints side by side:
  1. the update with tiny models on one CPU thread (what helpers.device.run_on does) vs PyTorch's default threads;
  2. the experiment alone vs the drawing of the figure.
--quick (for tests/test_benchmarks.py) runs one repeat of a 10-step update at length 10 and skips the default-
threads column (on a busy machine that alone can take many seconds): it checks that the benchmark runs, not how
fast the lab is.
Not a test: timings depend on the machine and on what else runs on it, so run it on a quiet machine and compare
ratios rather than absolute seconds. The target is an update in about 1-2 s (at most 5 s) on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import matplotlib  # noqa: E402

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402

from helpers import device as device_module  # noqa: E402
from helpers import gradients  # noqa: E402
from helpers.plots import plot_lab_result  # noqa: E402
from helpers.recurrent import KINDS  # noqa: E402
from helpers.widgets import figure_png  # noqa: E402


def best_of(fn, repeats: int):
    """Run fn `repeats` times; return (last result, best wall seconds)."""
    best, result = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return result, best


def draw(result: gradients.LabResult) -> bytes:
    """The lab's figure for `result`, as PNG bytes."""
    fig = Figure(figsize=(12, 3.2))
    plot_lab_result(fig, result)
    return figure_png(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seq-len", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="one repeat of a 10-step update at length 10")
    args = parser.parse_args()
    repeats, seq_len, steps = (1, 10, 10) if args.quick else (args.repeats, args.seq_len, 60)
    one_thread = device_module.one_cpu_thread
    gradients.lab_experiment("rnn", 5, steps=2, device=args.device, progress=False)  # warm-up
    print(f"{'type':6} {'1 thread':>9} {'default':>9} {'ratio':>6} {'figure':>7}   (best of {repeats}, seconds; "
          f"T = {seq_len}, {steps} steps)")
    for kind in KINDS:
        def run(kind=kind):
            return gradients.lab_experiment(kind, seq_len, steps=steps, device=args.device, progress=False)

        device_module.one_cpu_thread = one_thread
        result, single = best_of(run, repeats)
        default = float("nan")
        if not args.quick:
            device_module.one_cpu_thread = lambda device: contextlib.nullcontext()  # PyTorch's default threads
            try:
                _, default = best_of(run, repeats)
            finally:
                device_module.one_cpu_thread = one_thread
        _, figure = best_of(lambda result=result: draw(result), repeats)
        print(f"{kind:6} {single:9.2f} {default:9.2f} {default / single:5.1f}x {figure:7.2f}")


if __name__ == "__main__":
    main()
