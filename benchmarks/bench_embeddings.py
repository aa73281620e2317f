"""Benchmark for notebook 01: our batched skip-gram against the lesson's pair-by-pair loop, and our SGNS against gensim.

Usage:  python benchmarks/bench_embeddings.py            # full run (a few minutes on 2 cores)
        python benchmarks/bench_embeddings.py --quick    # a smoke test (< 30 s): 50 toy epochs, 1 SGNS epoch on
                                                         # a fifth of the Wikipedia excerpt; its numbers mean little
        python benchmarks/bench_embeddings.py --only-equal-time --equal-time-epochs 2 3 4
                                                         # only ρ at equal wall time against gensim

Prints wall-clock and CPU seconds, quality, and the ratios. Every method runs on one CPU thread (our helpers do so
on a CPU, gensim is given one worker). Not a test: timings depend on the machine and on what else runs on it, so
run it on a quiet machine and compare ratios rather than absolute seconds (on a busy one, the CPU-seconds column
is the fairer guide).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helpers import embeddings as emb  # noqa: E402
from helpers.data import load_corpus  # noqa: E402
from helpers.device import seed_everything  # noqa: E402


def timed(fn, *args, **kwargs):
    """Run fn and return (its result, wall seconds, CPU seconds of this process)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def pair_by_pair(pairs: np.ndarray, vocab_size: int, dim: int, epochs: int, lr: float) -> float:
    """The lesson's way: one optimiser step per (centre, context) pair; returns the last epoch's mean loss."""
    seed_everything(0)
    model = emb.SkipGram(vocab_size, dim)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(epochs):
        total = 0.0
        for centre, context in pairs.tolist():
            loss = nn.functional.cross_entropy(model(torch.tensor([centre])), torch.tensor([context]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
    return total / len(pairs)


def bench_toy(epochs: int) -> None:
    toy = load_corpus("toy")
    vocab = emb.word_vocab(toy)
    pairs = emb.skipgram_pairs(emb.encode_corpus(toy, vocab), window=2)
    print(f"\n== Toy corpus: {len(vocab)} words, {len(pairs)} pairs, full softmax, dim 10, {epochs} epochs, lr 0.01 ==")
    loop_loss, loop_wall, loop_cpu = timed(pair_by_pair, pairs, len(vocab), 10, epochs, 0.01)
    print(f"{'method':28s} {'wall s':>8s} {'CPU s':>8s} {'steps':>7s} {'last loss':>9s} {'speed-up wall/CPU':>18s}")
    print(f"{'pair by pair (lesson)':28s} {loop_wall:8.2f} {loop_cpu:8.2f} {epochs * len(pairs):7d} {loop_loss:9.3f}"
          f" {1.0:8.1f}x {1.0:7.1f}x")
    for batch_size in (16, len(pairs)):
        (_, history), wall, cpu = timed(emb.train_skipgram, pairs, vocab.tokens, dim=10, epochs=epochs,
                                        batch_size=batch_size, lr=0.01, device="cpu", progress=False)
        steps = epochs * -(-len(pairs) // batch_size)
        name = f"batched, batch {batch_size}" + (" (all)" if batch_size == len(pairs) else "")
        print(f"{name:28s} {wall:8.2f} {cpu:8.2f} {steps:7d} {history.last('loss'):9.3f} {loop_wall / wall:8.1f}x"
              f" {loop_cpu / cpu:7.1f}x")


def bench_wiki(sgns_epochs: list[int], articles: int | None = None) -> None:
    corpus = load_corpus("wiki")[:articles]
    tokens = sum(len(s) for s in corpus)
    print(f"\n== 'wiki' corpus: {tokens:,} tokens; dim 100, window 5, 5 negatives, min_count 5 ==")
    print(f"{'model':38s} {'wall s':>7s} {'CPU s':>7s} {'words/s':>8s} {'pairs/s':>8s} {'pairs/CPU-s':>11s}"
          f" {'WS353':>6s} {'SimLex':>6s} {'analogy':>7s}")
    rows = {}

    def report(name, kv, wall, cpu, epochs, pairs=None):
        scores = emb.evaluate(kv)
        rate = f"{pairs / wall / 1e3:7.0f}k {pairs / cpu / 1e3:10.0f}k" if pairs else f"{'-':>8s} {'-':>11s}"
        print(f"{name:38s} {wall:7.1f} {cpu:7.1f} {tokens * epochs / wall / 1e3:7.0f}k {rate} "
              f"{scores['WordSim353 ρ']:6.3f} {scores['SimLex-999 ρ']:6.3f} {scores['analogy accuracy']:7.3f}")
        rows[name] = (wall, cpu, scores["WordSim353 ρ"])

    for epochs in sgns_epochs:
        (kv, history), wall, cpu = timed(emb.train_sgns, corpus, epochs=epochs, device="cpu", progress=False)
        report(f"our SGNS, {epochs} epoch(s)", kv, wall, cpu, epochs, sum(history["pairs"]))
    kv, wall, gensim_cpu = timed(emb.train_word2vec, corpus, epochs=5)
    report("gensim Word2Vec, 5 epochs", kv, wall, gensim_cpu, 5)
    ours_name = f"our SGNS, {2 if 2 in sgns_epochs else sgns_epochs[-1]} epoch(s)"  # 2 = the notebook's setting
    ours_wall, ours_cpu, ours_rho = rows[ours_name]
    equal = max(1, round(5 * ours_cpu / gensim_cpu))  # CPU seconds: fairer than wall time on a busy machine
    kv, wall, cpu = timed(emb.train_word2vec, corpus, epochs=equal)
    report(f"gensim Word2Vec, {equal} epochs (same time)", kv, wall, cpu, equal)
    kv, wall, cpu = timed(emb.train_word2vec, corpus, epochs=equal, sample=1e-4)
    report(f"gensim, {equal} epochs, sample=1e-4", kv, wall, cpu, equal)
    print(f"\nRatios against '{ours_name}':")
    for name, (wall, cpu, rho) in rows.items():
        if name != ours_name:
            print(f"  {name:40s} wall time x{wall / ours_wall:5.2f}  CPU time x{cpu / ours_cpu:5.2f}   "
                  f"WordSim353 ρ: ours {ours_rho:.3f} vs {rho:.3f} ({ours_rho - rho:+.3f})")


def gensim_for(seconds: float, corpus, workers: int, per_epoch: float) -> tuple[int, object, float, float]:
    """gensim skip-gram with as many epochs as fit in `seconds` at `per_epoch` s each: (epochs, kv, wall, CPU).

    On a busy machine an epoch's time drifts: a run more than 20% off `seconds` is redone once with the epochs
    rescaled by its own time per epoch."""
    epochs = max(1, round(seconds / per_epoch))
    kv, wall, cpu = timed(emb.train_word2vec, corpus, epochs=epochs, workers=workers)
    if abs(wall / seconds - 1) > 0.2 and max(1, round(seconds * epochs / wall)) != epochs:
        epochs = max(1, round(seconds * epochs / wall))
        kv, wall, cpu = timed(emb.train_word2vec, corpus, epochs=epochs, workers=workers)
    return epochs, kv, wall, cpu


def bench_equal_time(sgns_epochs: list[int], articles: int | None = None) -> None:
    """WordSim353 ρ at equal wall time: each of our runs (sparse tables with SparseAdam, the default, and dense ones
    with Adam) against gensim skip-gram (1 and 2 workers) given as many epochs as fit in the same wall time."""
    corpus = load_corpus("wiki")[:articles]
    print(f"\n== ρ at equal wall time ('wiki', {sum(len(s) for s in corpus):,} tokens; ours on one CPU thread) ==")
    per_epoch = {}
    for workers in (1, 2):
        _, wall, _ = timed(emb.train_word2vec, corpus, epochs=5, workers=workers)
        per_epoch[workers] = wall / 5
    print(f"gensim seconds per epoch (from 5 epochs): 1 worker {per_epoch[1]:.2f}, 2 workers {per_epoch[2]:.2f}")
    print(f"{'ours':>14s} {'wall s':>7s} {'CPU s':>6s} {'WS353':>6s} | {'gensim':>18s} {'wall s':>7s} {'CPU s':>6s}"
          f" {'WS353':>6s} | {'ours - gensim':>13s}")
    for epochs in sgns_epochs:
        for sparse in (True, False):
            (kv, _), wall, cpu = timed(emb.train_sgns, corpus, epochs=epochs, device="cpu", progress=False,
                                       sparse=sparse)
            rho = emb.evaluate(kv, analogies=False)["WordSim353 ρ"]
            name = f"{epochs} ep, {'sparse' if sparse else 'dense'}"
            for workers in (1, 2):
                g_epochs, g_kv, g_wall, g_cpu = gensim_for(wall, corpus, workers, per_epoch[workers])
                g_rho = emb.evaluate(g_kv, analogies=False)["WordSim353 ρ"]
                print(f"{name:>14s} {wall:7.1f} {cpu:6.1f} {rho:6.3f} | "
                      f"{f'{g_epochs} ep, {workers} worker(s)':>18s} {g_wall:7.1f} {g_cpu:6.1f} {g_rho:6.3f} | "
                      f"{rho - g_rho:+13.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="a smoke test: 50 toy epochs; 1 SGNS epoch on the first 20 Wikipedia articles")
    parser.add_argument("--sgns-epochs", type=int, nargs="+", default=None, help="SGNS epochs to try (default 1 2 3)")
    parser.add_argument("--toy-epochs", type=int, default=None, help="epochs for the toy comparison (default 1000)")
    parser.add_argument("--equal-time-epochs", type=int, nargs="+", default=None,
                        help="SGNS epochs to put against gensim at equal wall time (default 2 3)")
    parser.add_argument("--only-equal-time", action="store_true", help="run only the ρ-at-equal-wall-time section")
    args = parser.parse_args()
    torch.set_num_threads(1)  # our helpers train on one CPU thread and gensim on one worker: like with like
    print(f"torch {torch.__version__}; every method runs on one CPU thread")
    articles = 20 if args.quick else None
    if not args.only_equal_time:
        bench_toy(args.toy_epochs or (50 if args.quick else 1000))
        bench_wiki(args.sgns_epochs or ([1] if args.quick else [1, 2, 3]), articles=articles)
    bench_equal_time(args.equal_time_epochs or ([1] if args.quick else [2, 3]), articles=articles)


if __name__ == "__main__":
    main()
