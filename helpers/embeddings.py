"""Word vectors: a skip-gram trained in PyTorch, gensim's Word2Vec, and their evaluation."""

from __future__ import annotations

import zlib

import numpy as np
from gensim.models import KeyedVectors, Word2Vec


def stable_hash(text: str) -> int:
    """A hash that is the same in every Python process (unlike hash(), which PYTHONHASHSEED salts)."""
    return zlib.crc32(text.encode("utf-8"))


def train_word2vec(corpus: list[list[str]], dim: int = 100, window: int = 5, negative: int = 5,
                   epochs: int = 5, min_count: int = 5, sg: int = 1, seed: int = 0) -> KeyedVectors:
    """Train gensim's Word2Vec repeatably (one worker, fixed seed and hash) and return its KeyedVectors."""
    if not corpus or not any(corpus):
        raise ValueError("corpus is empty: give a list of token lists")
    if dim <= 0 or window <= 0 or epochs <= 0:
        raise ValueError(f"dim, window and epochs must be positive, got dim={dim}, window={window}, epochs={epochs}")
    model = Word2Vec(sentences=corpus, vector_size=dim, window=window, negative=negative, epochs=epochs,
                     min_count=min_count, sg=sg, seed=seed, workers=1, hashfxn=stable_hash)
    return model.wv


def to_keyed_vectors(words: list[str], vectors: np.ndarray) -> KeyedVectors:
    """Wrap a word list and a [len(words), dim] matrix as gensim KeyedVectors."""
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or len(words) != vectors.shape[0]:
        raise ValueError(f"need one row per word: {len(words)} words but vectors of shape {vectors.shape}")
    kv = KeyedVectors(vector_size=vectors.shape[1])
    kv.add_vectors(list(words), vectors)
    return kv
