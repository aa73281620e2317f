"""Benchmark for notebook 03: time of one truncated-BPTT training step of the RNN, LSTM and GRU character models.

Usage:  python benchmarks/bench_rnn.py [--device auto|cpu|cuda|mps] [--quick]

Times `helpers.rnn.tbptt_step` (forward, backward, clipping, Adam update) on one window of the notebook's size
(32 streams x 64 characters, embedding 32, hidden 128, 54 characters) with torch.utils.benchmark, side by side:
on one CPU thread (what the notebook trains on), with PyTorch's default threads, and on one thread with oneDNN
switched off. The last column shows why the LSTM is not the slowest on a CPU although it does the most
arithmetic: PyTorch runs nn.LSTM on the CPU through oneDNN's fused LSTM kernel, while nn.RNN and nn.GRU run step
by step through generic operations (for the GRU, more of them: its reset gate multiplies the hidden part of the
candidate after the matrix product). On a GPU, cuDNN fuses all three, and only the default column is measured.
Not a test: timings depend on the machine and on what else runs on it; compare ratios, not absolute times.
--quick (used by tests/test_benchmarks.py) measures for a shorter time and only on one thread (a busy machine
can make the multi-threaded runs very slow), so it finishes in well under 30 s.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import torch
from torch.utils import benchmark

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helpers import rnn  # noqa: E402
from helpers.device import pick_device  # noqa: E402

VOCAB, BATCH, SEQ_LEN, EMBED, HIDDEN = 54, 32, 64, 32, 128


def step_ms(kind: str, device: torch.device, threads: int, onednn: bool, min_run_time: float) -> float:
    """Median milliseconds of one tbptt_step of a fresh model on `threads` threads, oneDNN on or off."""
    torch.manual_seed(0)
    model = rnn.CharLM(VOCAB, HIDDEN, kind, embed_size=EMBED).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
    x, y = torch.randint(0, VOCAB, (2, BATCH, SEQ_LEN), device=device)
    timer = benchmark.Timer("rnn.tbptt_step(model, optimizer, x, y, None)", num_threads=threads,
                            globals={"rnn": rnn, "model": model, "optimizer": optimizer, "x": x, "y": y})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a notice about TF32 on Intel GPUs, printed whenever the flags are set
        with torch.backends.mkldnn.flags(enabled=onednn):
            return timer.blocked_autorange(min_run_time=min_run_time).median * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--quick", action="store_true", help="shorter measurements (a few seconds in all)")
    args = parser.parse_args()
    device = pick_device(args.device)
    run_time = 0.1 if args.quick else 1.0
    threads = torch.get_num_threads()
    cpu = device.type == "cpu"
    print(f"device {device}, one training step on [{BATCH} x {SEQ_LEN}] characters, hidden {HIDDEN}; "
          f"default threads {threads}; oneDNN available: {torch.backends.mkldnn.is_available()}")
    rows = {}
    for kind in rnn.KINDS:
        default = float("nan") if args.quick and cpu else step_ms(kind, device, threads, True, run_time)
        one = step_ms(kind, device, 1, True, run_time) if cpu else float("nan")
        no_onednn = step_ms(kind, device, 1, False, run_time) if cpu else float("nan")
        rows[kind] = (one, default, no_onednn)
    print(f"{'model':6} {'1 thread ms':>12} {'default ms':>11} {'1 thread, no oneDNN ms':>23} "
          f"{'vs rnn (1 thread)':>18} {'vs rnn (default)':>17}")
    for kind, (one, default, no_onednn) in rows.items():
        print(f"{kind:6} {one:12.1f} {default:11.1f} {no_onednn:23.1f} {one / rows['rnn'][0]:18.2f} "
              f"{default / rows['rnn'][1]:17.2f}")


if __name__ == "__main__":
    main()
