"""Benchmark for notebook 05: how long the 5-fold cross-validation of each RNN variant takes, and what one CPU
thread buys.

Usage:  python benchmarks/bench_classify.py [--device auto|cpu|cuda|mps] [--repeats 3] [--quick]

For each variant of the notebook (RNN, LSTM, GRU, BiLSTM; 50-d embeddings, 32 hidden units) it times the whole
5-fold cross-validation on the 200 Pang & Lee sentences, best of `repeats`, and prints side by side the time on one
CPU thread (what helpers.device.run_on does) and with PyTorch's default threads, and their ratio.
--quick (a smoke test, < 30 s): the LSTM only, on 80 of the sentences, one fold, one epoch, one repeat.
Not a test: timings depend on the machine and on what else runs on it, so run it on a quiet machine and compare
ratios rather than absolute seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from helpers import classify, device  # noqa: E402
from helpers.data import load_sentiment  # noqa: E402

VARIANTS = {"RNN": ("rnn", False), "LSTM": ("lstm", False), "GRU": ("gru", False), "BiLSTM": ("lstm", True)}


def best_of(fn, repeats: int) -> float:
    """Best wall seconds of `repeats` runs of fn."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true",
                        help="LSTM only, 80 sentences, 1 fold, 1 epoch, 1 repeat (< 30 s)")
    args = parser.parse_args()
    texts, labels = load_sentiment("pang-lee")
    variants, epochs, repeats = VARIANTS, 30, args.repeats
    if args.quick:  # a stratified 80 of the 200 sentences
        keep = np.concatenate([test for _, test in classify.stratified_folds(labels, n_splits=5, seed=0)[:2]])
        texts, labels = [texts[i] for i in keep], [labels[i] for i in keep]
        variants, epochs, repeats = {"LSTM": VARIANTS["LSTM"]}, 1, 1
    folds = classify.stratified_folds(labels, n_splits=5, seed=0)
    if args.quick:
        folds = folds[:1]
    one_thread = device.one_cpu_thread
    print(f"{'variant':8} {'1 thread':>9} {'default':>9} {'ratio':>6}   "
          f"(CV on {len(folds)} of 5 folds of {len(labels)} sentences, best of {repeats}, seconds)")
    for name, (kind, bidirectional) in variants.items():
        def run(kind=kind, bidirectional=bidirectional):
            classify.cross_validate_rnn(
                lambda vocab: classify.TextClassifier(len(vocab), 50, 32, kind=kind, bidirectional=bidirectional,
                                                      dropout=0.3),
                texts, labels, folds, epochs=epochs, lr=3e-3, batch_size=16, patience=5, device=args.device,
                progress=False)

        try:
            device.one_cpu_thread = one_thread
            single = best_of(run, repeats)
            device.one_cpu_thread = lambda dev: contextlib.nullcontext()
            default = best_of(run, repeats)
        finally:
            device.one_cpu_thread = one_thread
        print(f"{name:8} {single:9.2f} {default:9.2f} {default / single:5.1f}x")


if __name__ == "__main__":
    main()
