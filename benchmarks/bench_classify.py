"""Benchmark for notebook 05: how long its comparison of the four RNN variants takes, and what one CPU thread buys.

Usage:  python benchmarks/bench_classify.py [--device auto|cpu|cuda|mps] [--repeats 1] [--quick]

The notebook's section 2 workload: a stratified 4,500 of the Rotten Tomatoes snippets (first 30 words), three folds,
each fold's training part cut into fit and validation, and for each variant (RNN, GRU, LSTM, BiLSTM; 32-d
embeddings, 32 hidden units) `classify.tune_rnn` over the notebook's two (learning rate, dropout) settings, at most
6 epochs, patience 2 on validation accuracy. For each variant it prints side by side the time on one CPU thread (what
helpers.device.run_on does) and with PyTorch's default threads, and their ratio (best of `repeats`); then all the
variants one after another (tune_rnn) against side by side in worker processes (classify.tune_rnns, as the notebook
runs them), and that ratio.
--quick (a smoke test, < 30 s): the LSTM only, 600 snippets, one fold, one setting, one epoch, one repeat.
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

# Notebook 05, section 2 (keep in step with notebooks/src/05_text_classifier.py).
SAMPLE, WORDS, FOLDS = 4500, 30, 3
GRID = [{"lr": 1e-2, "dropout": 0.3}, {"lr": 2e-2, "dropout": 0.6}]
TRAIN = {"epochs": 6, "batch_size": 64, "patience": 2, "monitor": "val_accuracy", "min_count": 2}
VARIANTS = {"RNN": ("rnn", False), "GRU": ("gru", False), "LSTM": ("lstm", False), "BiLSTM": ("lstm", True)}


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
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--quick", action="store_true",
                        help="LSTM only, 600 snippets, 1 fold, 1 setting, 1 epoch, 1 repeat (< 30 s)")
    args = parser.parse_args()
    rt_texts, rt_labels = load_sentiment("rotten-tomatoes")
    size, variants, grid, train, repeats = SAMPLE, VARIANTS, GRID, dict(TRAIN), args.repeats
    if args.quick:
        size, variants, grid, repeats = 600, {"LSTM": VARIANTS["LSTM"]}, GRID[:1], 1
        train["epochs"] = 1
    sample = classify.stratified_sample(rt_labels, size, seed=0)
    texts = [" ".join(rt_texts[i].split()[:WORDS]) for i in sample]
    labels = np.asarray(rt_labels)[sample]
    splits = classify.validation_splits(labels, classify.stratified_folds(labels, n_splits=FOLDS, seed=0))
    if args.quick:
        splits = splits[:1]
    one_thread = device.one_cpu_thread
    print(f"{'variant':8} {'1 thread':>9} {'default':>9} {'ratio':>6}   (tune_rnn over {len(grid)} settings on "
          f"{len(splits)} of {FOLDS} folds of {len(labels)} snippets, best of {repeats}, seconds)")
    for name, (kind, bidirectional) in variants.items():
        def run(name=name, kind=kind, bidirectional=bidirectional):
            def make(vocab, dropout: float) -> classify.TextClassifier:
                return classify.TextClassifier(len(vocab), embed_size=32, hidden_size=32, kind=kind,
                                               bidirectional=bidirectional, dropout=dropout)
            classify.tune_rnn(make, texts, labels, splits, grid, name=name, device=args.device,
                              **train)

        try:
            device.one_cpu_thread = one_thread
            single = best_of(run, repeats)
            device.one_cpu_thread = lambda dev: contextlib.nullcontext()
            default = best_of(run, repeats)
        finally:
            device.one_cpu_thread = one_thread
        print(f"{name:8} {single:9.2f} {default:9.2f} {default / single:5.1f}x")
    builders = {name: classify.variant(kind, bidirectional) for name, (kind, bidirectional) in variants.items()}
    one_by_one = best_of(lambda: [classify.tune_rnn(build, texts, labels, splits, grid, name=name, device=args.device,
                                                    **train) for name, build in builders.items()], repeats)
    side_by_side = best_of(lambda: classify.tune_rnns(builders, texts, labels, splits, grid, device=args.device,
                                                      **train), repeats)
    print(f"all variants: one after another {one_by_one:.2f} s, side by side (tune_rnns, "
          f"{min(device.cpu_cores(), classify.MAX_WORKERS)} processes on the CPU) {side_by_side:.2f} s: "
          f"{one_by_one / side_by_side:.1f}x faster")


if __name__ == "__main__":
    main()
