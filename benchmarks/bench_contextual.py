"""Benchmark for notebook 02: contextual word vectors, batched vs one sentence at a time, and vs a Word2Vec look-up.

Usage:  python benchmarks/bench_contextual.py [--device auto|cpu|cuda|mps] [--repeats 3] [--quick]

Runs on the 120 sentences of data/polysemy.tsv (--quick: 8 sentences of one word, one repeat, and a Word2Vec
trained for one epoch on the polysemy sentences only, to check that the script runs) and prints, side by side,
the best wall-clock and CPU seconds of
  1. word_embeddings with batches of 32 vs batch_size=1 (the lesson's one-sentence-per-call style);
  2. all 7 layers from one forward pass (word_embeddings_by_layer) vs one call per layer;
  3. a Word2Vec look-up vs the MiniLM forward pass, in vectors per second;
with the largest difference between the vectors each pair produces. Not a test: timings depend on the machine and
on what else runs on it, so run it on a quiet machine and compare ratios rather than absolute seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helpers.contextual import load_bert, static_word_vectors, word_embeddings, word_embeddings_by_layer  # noqa: E402
from helpers.data import load_corpus, load_polysemy, tokenize  # noqa: E402
from helpers.device import pick_device, seed_everything  # noqa: E402
from helpers.embeddings import train_word2vec  # noqa: E402


def best_of(fn, repeats: int):
    """Run fn `repeats` times; return (last result, best wall seconds, best CPU seconds of this process).

    Hand-written rather than torch.utils.benchmark.Timer because it also reports CPU time, which on a busy
    shared machine is a steadier measure of work than wall time.
    """
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return result, min(walls), min(cpus)


def row(name: str, wall: float, cpu: float, n: int) -> None:
    print(f"  {name:<44} {wall:8.3f} s wall {cpu:8.3f} s CPU {n / wall:12,.0f} vectors/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a few seconds: one word, one repeat (a smoke test)")
    args = parser.parse_args()
    seed_everything(0)
    device = pick_device(args.device)
    rows = load_polysemy("bank")[:8] if args.quick else load_polysemy()
    repeats = 1 if args.quick else args.repeats
    groups = {}
    for word, _, sentence in rows:
        groups.setdefault(word, []).append(sentence)
    n = len(rows)
    tokenizer, bert = load_bert()
    print(f"{n} sentences, {len(groups)} words, device {device.type}, best of {repeats}")

    def per_word(**options):
        return [word_embeddings(s, w, tokenizer, bert, device=device, **options) for w, s in groups.items()]

    batched, wall_b, cpu_b = best_of(lambda: per_word(batch_size=32), repeats)
    single, wall_s, cpu_s = best_of(lambda: per_word(batch_size=1), repeats)
    diff = max(float((a - b).abs().max()) for a, b in zip(batched, single))
    print("1. batched vs one sentence per forward pass (last layer)")
    row("batch_size=32", wall_b, cpu_b, n)
    row("batch_size=1", wall_s, cpu_s, n)
    print(f"  ratio {wall_s / wall_b:.1f}x wall, {cpu_s / cpu_b:.1f}x CPU; max |difference| {diff:.1e}")

    layers = bert.config.num_hidden_layers + 1
    together, wall_t, cpu_t = best_of(lambda: [word_embeddings_by_layer(s, w, tokenizer, bert, device=device)
                                               for w, s in groups.items()], repeats)
    apart, wall_a, cpu_a = best_of(lambda: [[word_embeddings(s, w, tokenizer, bert, layer=layer, device=device)
                                             for layer in range(layers)] for w, s in groups.items()], repeats)
    diff = max(float((t[layer] - a[layer]).abs().max()) for t, a in zip(together, apart) for layer in range(layers))
    print(f"2. all {layers} layers: one forward pass vs one pass per layer")
    row("word_embeddings_by_layer", wall_t, cpu_t, n * layers)
    row("word_embeddings per layer", wall_a, cpu_a, n * layers)
    print(f"  ratio {wall_a / wall_t:.1f}x wall, {cpu_a / cpu_t:.1f}x CPU; max |difference| {diff:.1e}")

    sentences = [tokenize(sentence) for _, _, sentence in rows]
    kv = train_word2vec(sentences if args.quick else load_corpus("wiki") + sentences, epochs=1 if args.quick else 10)
    _, wall_w, cpu_w = best_of(lambda: [static_word_vectors(s, w, kv) for w, s in groups.items()], repeats)
    print("3. Word2Vec look-up vs MiniLM forward pass")
    row("Word2Vec look-up", wall_w, cpu_w, n)
    row("MiniLM word_embeddings (batch 32)", wall_b, cpu_b, n)
    print(f"  ratio {wall_b / wall_w:,.0f}x wall, {cpu_b / max(cpu_w, 1e-9):,.0f}x CPU")


if __name__ == "__main__":
    main()
