"""Word vectors: a skip-gram trained in PyTorch, gensim's Word2Vec, and their evaluation."""

from __future__ import annotations

import difflib
import functools
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from gensim.models import KeyedVectors, Word2Vec
from threadpoolctl import threadpool_limits
from torch import nn
from tqdm.auto import tqdm

from helpers.data import analogies_path, load_analogies, word_pairs_path
from helpers.device import one_cpu_thread, pick_device


def stable_hash(text: str) -> int:
    """A hash that is the same in every Python process (unlike hash(), which PYTHONHASHSEED salts)."""
    return zlib.crc32(text.encode("utf-8"))


def train_word2vec(corpus: list[list[str]], dim: int = 100, window: int = 5, negative: int = 5,
                   epochs: int = 5, min_count: int = 5, sg: int = 1, seed: int = 0,
                   sample: float = 1e-3) -> KeyedVectors:
    """Train gensim's Word2Vec repeatably (one worker, fixed seed and hash) and return its KeyedVectors."""
    _check_corpus(corpus)
    _check_positive(dim=dim, window=window, epochs=epochs)
    build_vocab(corpus, min_count)  # a clear error if no word occurs min_count times
    model = Word2Vec(sentences=corpus, vector_size=dim, window=window, negative=negative, epochs=epochs,
                     min_count=min_count, sg=sg, seed=seed, sample=sample, workers=1, hashfxn=stable_hash)
    return model.wv


def to_keyed_vectors(words: list[str], vectors: np.ndarray) -> KeyedVectors:
    """Wrap a word list and a [len(words), dim] matrix as gensim KeyedVectors."""
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or len(words) != vectors.shape[0]:
        raise ValueError(f"need one row per word: {len(words)} words but vectors of shape {vectors.shape}")
    kv = KeyedVectors(vector_size=vectors.shape[1])
    kv.add_vectors(list(words), vectors)
    return kv


# --- vocabulary and one-hot vs dense ---



def _check_corpus(corpus: list[list[str]]) -> None:
    """Raise a clear error unless `corpus` is a non-empty list of token lists."""
    if isinstance(corpus, str) or not isinstance(corpus, (list, tuple)):
        raise TypeError(f"corpus must be a list of token lists, not {type(corpus).__name__}")
    if any(isinstance(sentence, str) for sentence in corpus):
        raise TypeError("corpus must hold token lists, not strings: split them first, e.g. [s.split() for s in texts]")
    if not any(len(sentence) for sentence in corpus):
        raise ValueError("corpus is empty: give a list of token lists with at least one token")


def _check_positive(**values: float) -> None:
    """Raise ValueError naming every argument that is not > 0."""
    bad = {name: value for name, value in values.items() if not value > 0}
    if bad:
        raise ValueError(f"{', '.join(bad)} must be positive, got {bad}")


@dataclass
class Vocab:
    """Words sorted by frequency (ties alphabetical), their counts, and a word -> index map."""

    words: list[str]
    counts: np.ndarray
    index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.index = {word: i for i, word in enumerate(self.words)}

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.index

    def encode(self, tokens: list[str]) -> np.ndarray:
        """Indices of the tokens that are in the vocabulary (others are dropped)."""
        return np.array([self.index[t] for t in tokens if t in self.index], dtype=np.int64)


def build_vocab(corpus: list[list[str]], min_count: int = 1) -> Vocab:
    """Count the words of a corpus and keep those seen at least `min_count` times."""
    _check_corpus(corpus)
    if not isinstance(min_count, int) or min_count < 1:
        raise ValueError(f"min_count must be an integer >= 1, got {min_count!r}")
    counts = Counter(token for sentence in corpus for token in sentence)
    kept = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    if not kept:
        raise ValueError(f"no word occurs {min_count} times or more (the most frequent occurs "
                         f"{max(counts.values())} times): lower min_count")
    return Vocab(kept, np.array([counts[w] for w in kept], dtype=np.int64))


def storage_table(vocab_sizes: list[int], dim: int = 100) -> pd.DataFrame:
    """Numbers per word and megabytes (float32) for a whole vocabulary, one-hot vs dense `dim`-vectors."""
    _check_positive(dim=dim)
    rows = [{"vocabulary": v, "one-hot numbers/word": v, "dense numbers/word": dim,
             "one-hot MB": v * v * 4 / 1e6, "dense MB": v * dim * 4 / 1e6, "one-hot / dense": v / dim}
            for v in vocab_sizes]
    return pd.DataFrame(rows).set_index("vocabulary")


# --- skip-gram pairs and the lesson's full-softmax model ---

def skipgram_pairs(sentences: list[np.ndarray], window: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """(centre, context) index pairs within `window` words in the same sentence, shape [n_pairs, 2].

    With `rng`, each centre word draws its own window size from 1..window (word2vec's dynamic window),
    so nearer neighbours are paired more often.
    """
    if not isinstance(window, int) or window < 1:
        raise ValueError(f"window must be an integer >= 1, got {window!r}")
    lengths = [len(s) for s in sentences]
    ids = np.concatenate([np.asarray(s, dtype=np.int64) for s in sentences]) if sentences else np.zeros(0, np.int64)
    sentence_of = np.repeat(np.arange(len(lengths)), lengths)
    reach = rng.integers(1, window + 1, size=len(ids)) if rng is not None else np.full(len(ids), window)
    centres, contexts = [], []
    for d in range(1, window + 1):
        same = sentence_of[:-d] == sentence_of[d:]
        forward = same & (reach[:-d] >= d)    # centre at i, context at i + d
        backward = same & (reach[d:] >= d)    # centre at i + d, context at i
        centres += [ids[:-d][forward], ids[d:][backward]]
        contexts += [ids[d:][forward], ids[:-d][backward]]
    if not centres:
        return np.zeros((0, 2), dtype=np.int64)
    return np.stack([np.concatenate(centres), np.concatenate(contexts)], axis=1)


class SkipGram(nn.Module):
    """The lesson's skip-gram: a centre word's embedding scores every vocabulary word (full softmax)."""

    def __init__(self, vocab_size: int, dim: int) -> None:
        super().__init__()
        _check_positive(vocab_size=vocab_size, dim=dim)
        self.embeddings = nn.Embedding(vocab_size, dim)
        self.output = nn.Linear(dim, vocab_size)

    def forward(self, centres: torch.Tensor) -> torch.Tensor:
        """Logits over the vocabulary for each centre word, shape [batch, vocab_size]."""
        return self.output(self.embeddings(centres))


def train_skipgram(pairs: np.ndarray, words: list[str], dim: int = 10, epochs: int = 300, batch_size: int = 16,
                   lr: float = 0.02, seed: int = 0, device: str | torch.device = "auto"
                   ) -> tuple[KeyedVectors, list[float]]:
    """Train the full-softmax skip-gram on shuffled mini-batches; return its vectors and the loss per epoch."""
    _check_positive(dim=dim, epochs=epochs, batch_size=batch_size, lr=lr)
    pairs = torch.as_tensor(np.asarray(pairs), dtype=torch.long)
    if pairs.ndim != 2 or pairs.shape[1] != 2 or len(pairs) == 0:
        raise ValueError(f"pairs must be a non-empty [n, 2] array of (centre, context) indices, "
                         f"got shape {tuple(pairs.shape)}")
    if int(pairs.max()) >= len(words):
        raise ValueError(f"pairs hold index {int(pairs.max())} but there are only {len(words)} words")
    device = pick_device(device)
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = SkipGram(len(words), dim).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    pairs = pairs.to(device)
    losses = []
    with one_cpu_thread(device):
        for _ in range(epochs):
            order = torch.randperm(len(pairs), generator=generator).to(device)
            total = 0.0
            for batch in pairs[order].split(batch_size):
                loss = nn.functional.cross_entropy(model(batch[:, 0]), batch[:, 1])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item() * len(batch)
            losses.append(total / len(pairs))
    return to_keyed_vectors(words, model.embeddings.weight.detach().cpu().numpy()), losses


# --- skip-gram with negative sampling (how word2vec really trains) ---

def keep_probabilities(counts: np.ndarray, sample: float = 1e-4) -> np.ndarray:
    """word2vec's chance of keeping each occurrence of a word: frequent words are dropped more often."""
    counts = np.asarray(counts, dtype=np.float64)
    if sample < 0:
        raise ValueError(f"sample must be >= 0 (0 keeps every word), got {sample}")
    if sample == 0:
        return np.ones_like(counts)
    threshold = sample * counts.sum()
    return np.minimum(1.0, (np.sqrt(counts / threshold) + 1) * threshold / counts)


def noise_distribution(counts: np.ndarray, power: float = 0.75) -> np.ndarray:
    """Probabilities of drawing each word as a negative: unigram counts raised to `power`, normalised."""
    weights = np.asarray(counts, dtype=np.float64) ** power
    return weights / weights.sum()


class SGNS(nn.Module):
    """Skip-gram with negative sampling: separate centre and context vectors, scored by their dot product."""

    def __init__(self, vocab_size: int, dim: int, generator: torch.Generator | None = None,
                 sparse: bool = True) -> None:
        super().__init__()
        _check_positive(vocab_size=vocab_size, dim=dim)
        self.centre = nn.Embedding(vocab_size, dim, sparse=sparse)
        self.context = nn.Embedding(vocab_size, dim, sparse=sparse)
        with torch.no_grad():  # word2vec's start: small random centre vectors, zero context vectors
            self.centre.weight.uniform_(-0.5 / dim, 0.5 / dim, generator=generator)
            self.context.weight.zero_()

    def forward(self, centres: torch.Tensor, contexts: torch.Tensor, negatives: torch.Tensor) -> torch.Tensor:
        """Mean loss -log σ(c·o) - Σ_k log σ(-c·n_k) for centres [B], contexts [B] and negatives [B, K]."""
        c = self.centre(centres)
        positive = (c * self.context(contexts)).sum(-1)
        negative = torch.bmm(self.context(negatives), c.unsqueeze(2)).squeeze(2)
        return -(nn.functional.logsigmoid(positive) + nn.functional.logsigmoid(-negative).sum(-1)).mean()


def train_sgns(corpus: list[list[str]], dim: int = 100, window: int = 5, negative: int = 5, epochs: int = 2,
               min_count: int = 5, sample: float = 1e-4, dynamic_window: bool = True, batch_size: int = 8192,
               lr: float = 0.02, seed: int = 0, device: str | torch.device = "auto", progress: bool = True,
               history: list[dict] | None = None) -> KeyedVectors:
    """Train skip-gram with negative sampling in PyTorch and return the centre vectors as gensim KeyedVectors.

    Each epoch subsamples frequent words, pairs every kept word with its neighbours, shuffles all pairs and trains
    on mini-batches with SparseAdam, the learning rate falling linearly as in word2vec. On a CPU it uses one thread.
    If `history` is a list, one dict per epoch (pairs, mean loss, seconds) is appended to it.
    """
    _check_corpus(corpus)
    _check_positive(dim=dim, window=window, negative=negative, epochs=epochs, batch_size=batch_size, lr=lr)
    device = pick_device(device)
    vocab = build_vocab(corpus, min_count)
    sentences = [vocab.encode(s) for s in corpus]
    if len(skipgram_pairs(sentences, 1)) == 0:
        raise ValueError("the corpus gives no (centre, context) pairs: a sentence needs two or more words that occur "
                         f"at least min_count={min_count} times")
    keep = keep_probabilities(vocab.counts, sample)
    rng = np.random.default_rng(seed)
    generator = torch.Generator().manual_seed(seed)
    sparse = device.type != "mps"  # Apple's MPS has no sparse gradients: dense rows and plain Adam there
    model = SGNS(len(vocab), dim, generator, sparse=sparse).to(device)
    noise_device = device if device.type == "cuda" else torch.device("cpu")
    noise = torch.as_tensor(noise_distribution(vocab.counts), dtype=torch.float32, device=noise_device)
    noise_generator = torch.Generator(device=noise_device).manual_seed(seed)
    optimizer = (torch.optim.SparseAdam if sparse else torch.optim.Adam)(model.parameters(), lr=lr)
    planned, done = None, 0
    bar = tqdm(total=None, desc="SGNS", unit="pair", unit_scale=True, disable=not progress)
    with one_cpu_thread(device):
        for epoch in range(epochs):
            started = time.perf_counter()
            kept = [s[rng.random(len(s)) < keep[s]] for s in sentences]
            pairs = torch.from_numpy(skipgram_pairs(kept, window, rng if dynamic_window else None))
            pairs = pairs[torch.randperm(len(pairs), generator=generator)].to(device)
            if planned is None:  # the learning rate decays over the pairs we expect to see in all epochs
                planned = max(1, len(pairs) * epochs)
                bar.total = planned
            total = 0.0
            for batch in pairs.split(batch_size):
                for group in optimizer.param_groups:
                    group["lr"] = lr * max(1e-4, 1.0 - done / planned)
                negatives = torch.multinomial(noise, len(batch) * negative, replacement=True, generator=noise_generator)
                loss = model(batch[:, 0], batch[:, 1], negatives.view(len(batch), negative).to(device))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item() * len(batch)
                done += len(batch)
                bar.update(len(batch))
            mean_loss = total / max(len(pairs), 1)
            bar.set_postfix(epoch=epoch + 1, loss=f"{mean_loss:.3f}")
            if history is not None:
                history.append({"epoch": epoch + 1, "pairs": len(pairs), "loss": mean_loss,
                                "seconds": time.perf_counter() - started})
    bar.close()
    return to_keyed_vectors(vocab.words, model.centre.weight.detach().cpu().numpy())


# --- using and evaluating word vectors (gensim does the work) ---

def check_words(kv: KeyedVectors, words: list[str]) -> None:
    """Raise ValueError naming the first word missing from the vocabulary, with similar words that are in it."""
    for word in words:
        if word not in kv.key_to_index:
            close = difflib.get_close_matches(word, kv.index_to_key[:50_000], n=3)
            hint = f"; similar words in it: {close}" if close else ""
            raise ValueError(f"{word!r} is not in the vocabulary ({len(kv)} words){hint}")


def similarity(kv: KeyedVectors, first: str, second: str) -> float:
    """Cosine similarity of two words."""
    check_words(kv, [first, second])
    return float(kv.similarity(first, second))


def most_similar(kv: KeyedVectors, word: str, topn: int = 5) -> list[tuple[str, float]]:
    """The `topn` words with the highest cosine similarity to `word`."""
    check_words(kv, [word])
    return kv.most_similar(word, topn=topn)


def analogy(kv: KeyedVectors, a: str, b: str, c: str, topn: int = 5) -> list[tuple[str, float]]:
    """Words nearest to a - b + c (king - man + woman), excluding a, b and c themselves."""
    check_words(kv, [a, b, c])
    return kv.most_similar(positive=[a, c], negative=[b], topn=topn)


def neighbours_table(models: dict[str, KeyedVectors], words: list[str], topn: int = 5) -> pd.DataFrame:
    """One row per word, one column per model: its `topn` nearest neighbours (or a note if it is unknown)."""
    rows = {}
    for word in words:
        rows[word] = {name: ", ".join(w for w, _ in kv.most_similar(word, topn=topn)) if word in kv.key_to_index
                      else "(not in vocabulary)" for name, kv in models.items()}
    return pd.DataFrame.from_dict(rows, orient="index")


def evaluate(kv: KeyedVectors, analogies: bool = True) -> dict[str, float]:
    """WordSim353 and SimLex-999 Spearman ρ, Google-analogy accuracy and how much of each set the vocabulary covers."""
    wordsim = kv.evaluate_word_pairs(word_pairs_path("wordsim353"))
    simlex = kv.evaluate_word_pairs(word_pairs_path("simlex999"))
    scores = {"WordSim353 ρ": float(wordsim[1][0]), "SimLex-999 ρ": float(simlex[1][0]),
              "WordSim353 pairs known": 1 - wordsim[2] / 100, "SimLex-999 pairs known": 1 - simlex[2] / 100}
    if analogies:
        with threadpool_limits(1):  # thousands of small products: BLAS threads only get in each other's way
            accuracy, sections = kv.evaluate_word_analogies(analogies_path())
        answered = len(sections[-1]["correct"]) + len(sections[-1]["incorrect"])
        scores["analogy accuracy"] = float(accuracy)
        scores["analogies answerable"] = answered / _analogy_count()
    return scores


def compare(models: dict[str, KeyedVectors], analogies: bool = True) -> pd.DataFrame:
    """evaluate() side by side: one row per measure, one column per model, rounded to 3 decimals."""
    table = pd.DataFrame({name: evaluate(kv, analogies) for name, kv in models.items()})
    return table.round(3)


@functools.lru_cache(maxsize=1)
def _analogy_count() -> int:
    return sum(len(questions) for questions in load_analogies().values())
