"""Benchmark for notebook 03: seconds per training epoch of the RNN, LSTM and GRU character models.

Usage:  python benchmarks/bench_rnn.py [--device auto|cpu|cuda|mps] [--chars 100000] [--repeats 3]

Trains each model of the notebook (embedding 32, hidden 128, windows of 64, 32 streams) for one epoch on the first
`chars` training characters of the Lee text, best of `repeats`, and prints side by side the time on one CPU thread
(what the notebook uses) and with PyTorch's default threads, their ratio, and each model's time relative to the
plain RNN. On a GPU only the default column is measured. Not a test: timings depend on the machine and on what else
runs on it, so run it on a quiet machine and compare ratios rather than absolute seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helpers import rnn  # noqa: E402
from helpers.device import pick_device, seed_everything  # noqa: E402

SETTINGS = dict(seq_len=64, batch_size=32, epochs=1, lr=5e-3, clip=1.0)


def epoch_seconds(kind: str, vocab_size: int, train_ids, val_ids, device, threads: int, repeats: int) -> float:
    """Best training seconds of one epoch over `repeats` fresh models, on `threads` CPU threads."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        best = float("inf")
        for _ in range(repeats):
            seed_everything(0)
            model = rnn.CharRNN(vocab_size, hidden_size=128, kind=kind, embed_size=32)
            history = rnn.train_char_lm(model, train_ids, val_ids, device=device, progress=False, **SETTINGS)
            best = min(best, history["seconds"][0])
        return best
    finally:
        torch.set_num_threads(before)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--chars", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    device = pick_device(args.device)
    vocab, train_ids, val_ids = rnn.load_char_data("lee")
    train_ids, val_ids = train_ids[: args.chars], val_ids[:5_000]
    default_threads = torch.get_num_threads()
    print(f"device {device}, {len(train_ids):,} training characters, best of {args.repeats}, "
          f"default threads {default_threads}")
    rows = {}
    for kind in rnn.KINDS:
        default = epoch_seconds(kind, len(vocab), train_ids, val_ids, device, default_threads, args.repeats)
        single = (epoch_seconds(kind, len(vocab), train_ids, val_ids, device, 1, args.repeats)
                  if device.type == "cpu" else float("nan"))
        rows[kind] = (single, default)
    print(f"{'model':6} {'1 thread s':>11} {'default s':>10} {'default/1':>10} {'vs rnn (1 thread)':>18} "
          f"{'vs rnn (default)':>17}")
    for kind, (single, default) in rows.items():
        print(f"{kind:6} {single:11.2f} {default:10.2f} {default / single:10.2f} {single / rows['rnn'][0]:18.2f} "
              f"{default / rows['rnn'][1]:17.2f}")


if __name__ == "__main__":
    main()
