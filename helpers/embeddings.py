"""Word vectors: skip-gram and SGNS written in PyTorch, gensim's Word2Vec (skip-gram and CBOW), and evaluation.

Hand-written here is only what notebook 01 teaches: the skip-gram pairs, the full-softmax skip-gram, the
negative-sampling loss and its training loop, subsampling and the noise distribution. Everything else uses
the libraries: gensim KeyedVectors for neighbours, analogies and the benchmark sets, scikit-learn for cosines.
"""

from __future__ import annotations

import difflib
import functools
import time
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from gensim.models import KeyedVectors, Word2Vec
from sklearn.metrics.pairwise import paired_cosine_distances
from threadpoolctl import threadpool_limits
from torch import nn

from helpers import checks
from helpers.data import load_analogies, word_pairs_path
from helpers.device import progress as progress_bar
from helpers.device import run_on
from helpers.history import History
from helpers.vocab import Vocab


def stable_hash(text: str) -> int:
    """A hash that is the same in every Python process (unlike hash(), which PYTHONHASHSEED salts)."""
    return zlib.crc32(text.encode("utf-8"))


def train_word2vec(corpus: list[list[str]], dim: int = 100, window: int = 5, negative: int = 5,
                   epochs: int = 5, min_count: int = 5, sg: int = 1, seed: int = 0,
                   sample: float = 1e-3, workers: int = 1) -> KeyedVectors:
    """Train gensim's Word2Vec (sg=1 skip-gram, sg=0 CBOW) with a fixed seed and hash: repeatable with one worker
    (the default); more workers are faster but not repeatable."""
    corpus = checks.token_lists("corpus", corpus)
    for name, value in {"dim": dim, "window": window, "negative": negative, "epochs": epochs,
                        "workers": workers}.items():
        checks.positive_int(name, value)
    if sg not in (0, 1):
        raise ValueError(f"sg must be 1 (skip-gram) or 0 (CBOW), got {sg!r}")
    word_vocab(corpus, min_count)  # a clear error if no word occurs min_count times
    model = Word2Vec(sentences=corpus, vector_size=dim, window=window, negative=negative, epochs=epochs,
                     min_count=min_count, sg=sg, seed=seed, sample=sample, workers=workers, hashfxn=stable_hash)
    return model.wv


def to_keyed_vectors(words: list[str], vectors: np.ndarray | torch.Tensor) -> KeyedVectors:
    """Wrap a word list and a [len(words), dim] matrix as gensim KeyedVectors."""
    if isinstance(vectors, torch.Tensor):
        vectors = vectors.detach().cpu().numpy()
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or len(words) != vectors.shape[0]:
        raise ValueError(f"need one row per word: {len(words)} words but vectors of shape {vectors.shape}")
    kv = KeyedVectors(vector_size=vectors.shape[1])
    kv.add_vectors(list(words), vectors)
    return kv


# --- vocabulary and one-hot vs dense ---

def word_vocab(corpus: list[list[str]], min_count: int = 1) -> Vocab:
    """The words seen at least `min_count` times, most frequent first (ties alphabetical); no special tokens."""
    return Vocab.build(checks.token_lists("corpus", corpus), min_count)


def count_array(vocab: Vocab) -> np.ndarray:
    """The vocabulary's word counts as an array, in id order."""
    return np.array([vocab.counts[token] for token in vocab.tokens], dtype=np.int64)


def encode_corpus(corpus: list[list[str]], vocab: Vocab) -> list[np.ndarray]:
    """Each sentence as an array of ids, leaving out the words the vocabulary does not have."""
    return [vocab.encode([token for token in sentence if token in vocab]).numpy() for sentence in corpus]


def storage_table(vocab_sizes: list[int], dim: int = 100) -> pd.DataFrame:
    """What feeding one word to a `dim`-wide first layer costs: a one-hot input of V numbers multiplied by the
    [V, dim] weights, against looking up one row of those same weights."""
    from helpers.i18n import _

    checks.positive_int("dim", dim)
    rows = [{_("vocabulary V"): v, _("one-hot input (numbers)"): v, _("dense input (numbers)"): dim,
             _("one-hot / dense"): v / dim, _("multiply-adds, one_hot @ W"): v * dim, _("numbers read, W[i]"): dim,
             _("size of W, MB (float32)"): v * dim * 4 / 1e6} for v in vocab_sizes]
    return pd.DataFrame(rows).set_index(_("vocabulary V"))


# --- skip-gram pairs and the lesson's full-softmax model ---

def skipgram_pairs(sentences: list[np.ndarray], window: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """(centre, context) index pairs within `window` words in the same sentence, shape [n_pairs, 2].

    With `rng`, each centre word draws its own window size from 1..window (word2vec's dynamic window),
    so nearer neighbours are paired more often.
    """
    checks.positive_int("window", window)
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


def pair_entropy(pairs: np.ndarray) -> float:
    """H(context | centre) of the pairs in nats: the lowest mean cross-entropy any model can reach on them."""
    unique, counts = np.unique(np.asarray(pairs), axis=0, return_counts=True)
    per_centre = np.bincount(unique[:, 0], weights=counts)[unique[:, 0]]  # how often each pair's centre occurs
    return float(-(counts * np.log(counts / per_centre)).sum() / counts.sum())


class SkipGram(nn.Module):
    """The lesson's skip-gram: a centre word's embedding scores every vocabulary word (full softmax)."""

    def __init__(self, vocab_size: int, dim: int) -> None:
        super().__init__()
        self.embeddings = nn.Embedding(vocab_size, dim)
        self.output = nn.Linear(dim, vocab_size)

    def forward(self, centres: torch.Tensor) -> torch.Tensor:
        """Scores (logits) of every vocabulary word as the context: [batch] ids -> [batch, vocab_size]."""
        return self.output(self.embeddings(centres))

    def loss(self, centres: torch.Tensor, contexts: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy of the true context words: a softmax over the whole vocabulary for every pair."""
        return nn.functional.cross_entropy(self(centres), contexts)


def skipgram_epoch(model: SkipGram, optimizer: torch.optim.Optimizer, pairs: torch.Tensor, batch_size: int,
                   shuffle: torch.Generator) -> float:
    """One epoch on shuffled mini-batches of (centre, context) pairs [n, 2]; return the loss on all pairs after it."""
    for batch in pairs[torch.randperm(len(pairs), generator=shuffle).to(pairs.device)].split(batch_size):
        loss = model.loss(batch[:, 0], batch[:, 1])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        return model.loss(pairs[:, 0], pairs[:, 1]).item()


def train_skipgram(pairs: np.ndarray, words: list[str], dim: int = 10, epochs: int = 300, batch_size: int = 16,
                   lr: float = 0.02, device: str | torch.device = "auto", seed: int = 0, progress: bool = True
                   ) -> tuple[KeyedVectors, History]:
    """Train the full-softmax skip-gram on shuffled mini-batches; return its vectors and, per epoch, the loss
    on all pairs after that epoch."""
    for name, value in {"dim": dim, "epochs": epochs, "batch_size": batch_size}.items():
        checks.positive_int(name, value)
    checks.positive_float("lr", lr)
    pairs = torch.as_tensor(np.asarray(pairs), dtype=torch.long)
    if pairs.ndim != 2 or pairs.shape[1] != 2 or len(pairs) == 0:
        raise ValueError(f"pairs must be a non-empty [n, 2] array of (centre, context) indices, "
                         f"got shape {tuple(pairs.shape)}")
    if int(pairs.max()) >= len(words):
        raise ValueError(f"pairs hold index {int(pairs.max())} but there are only {len(words)} words")
    history = History("epoch")
    with run_on(device, seed) as dev:
        model = SkipGram(len(words), dim).to(dev)
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        pairs, shuffle = pairs.to(dev), torch.Generator().manual_seed(seed)
        for _ in progress_bar(range(epochs), desc="skip-gram", disable=not progress):
            history.log(loss=skipgram_epoch(model, optimizer, pairs, batch_size, shuffle))
    return to_keyed_vectors(words, model.embeddings.weight), history


# --- skip-gram with negative sampling (how word2vec really trains) ---

def keep_probabilities(counts: np.ndarray, sample: float = 1e-4) -> np.ndarray:
    """word2vec's chance of keeping each occurrence of a word: frequent words are dropped more often.

    f = count / counts.sum() is a word's share of the counted tokens (the vocabulary's, after min_count).
    """
    counts = np.asarray(counts, dtype=np.float64)
    if checks.non_negative_float("sample", sample) == 0:  # 0 keeps every word
        return np.ones_like(counts)
    f = counts / counts.sum()
    return np.minimum(1.0, (np.sqrt(f / sample) + 1) * sample / f)


def noise_distribution(counts: np.ndarray, power: float = 0.75) -> np.ndarray:
    """Probabilities of drawing each word as a negative: unigram counts raised to `power`, normalised."""
    weights = np.asarray(counts, dtype=np.float64) ** power
    return weights / weights.sum()


def sgns_loss(centre: torch.Tensor, context: torch.Tensor, negatives: torch.Tensor) -> torch.Tensor:
    """Mean of -log σ(c·o) - Σ_k log σ(-c·n_k): centre c and context o [B, D], negatives n [B, K, D]."""
    positive = (centre * context).sum(-1)                         # c·o for each pair: [B]
    negative = (negatives * centre.unsqueeze(1)).sum(-1)          # c·n_k for each negative: [B, K]
    return -(nn.functional.logsigmoid(positive) + nn.functional.logsigmoid(-negative).sum(-1)).mean()


class SGNS(nn.Module):
    """Skip-gram with negative sampling: separate centre and context vectors, scored by their dot product."""

    def __init__(self, vocab_size: int, dim: int, generator: torch.Generator | None = None,
                 sparse: bool = True) -> None:
        super().__init__()
        self.centre = nn.Embedding(vocab_size, dim, sparse=sparse)
        self.context = nn.Embedding(vocab_size, dim, sparse=sparse)
        with torch.no_grad():  # word2vec's start: small random centre vectors, zero context vectors
            self.centre.weight.uniform_(-0.5 / dim, 0.5 / dim, generator=generator)
            self.context.weight.zero_()

    def forward(self, centres: torch.Tensor, contexts: torch.Tensor, negatives: torch.Tensor) -> torch.Tensor:
        """The SGNS loss for word ids: centres [B], contexts [B], negatives [B, K]."""
        return sgns_loss(self.centre(centres), self.context(contexts), self.context(negatives))


def epoch_pairs(sentences: list[np.ndarray], keep: np.ndarray, window: int, rng: np.random.Generator,
                dynamic_window: bool = True) -> np.ndarray:
    """One epoch's training pairs: subsample each sentence with `keep`, then pair the kept words."""
    kept = [s[rng.random(len(s)) < keep[s]] for s in sentences]
    return skipgram_pairs(kept, window, rng if dynamic_window else None)


def sgns_epoch(model: SGNS, optimizer: torch.optim.Optimizer, pairs: torch.Tensor, negatives: torch.Tensor,
               run: SGNSRun, epoch: int) -> torch.Tensor:
    """Train on one epoch's shuffled pairs [n, 2] and their negatives [n, K], batch by batch, the learning rate
    falling linearly over all epochs as in word2vec; return each batch's loss."""
    losses, n_batches = [], -(-len(pairs) // run.batch_size)
    for i, (batch, batch_negatives) in enumerate(zip(pairs.split(run.batch_size), negatives.split(run.batch_size))):
        done = (epoch + i / n_batches) / run.epochs  # the fraction of all training done so far
        for group in optimizer.param_groups:
            group["lr"] = run.lr * max(1e-4, 1.0 - done)
        loss = model(batch[:, 0], batch[:, 1], batch_negatives)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.detach())  # kept on the device: no host sync per batch
    return torch.stack(losses) if losses else torch.zeros(0)


@dataclass
class SGNSRun:
    """The settings and random generators one SGNS run shares between its epochs."""

    window: int
    negative: int
    epochs: int
    batch_size: int
    lr: float
    dynamic_window: bool
    device: torch.device
    rng: np.random.Generator  # subsampling and dynamic windows
    shuffle: torch.Generator  # the order of the pairs
    draws: torch.Generator  # the negatives, on the device `noise` is on


def sgns_epochs(model: SGNS, optimizer: torch.optim.Optimizer, sentences: list[np.ndarray], keep: np.ndarray,
                noise: torch.Tensor, run: SGNSRun):
    """Train epoch after epoch; yield each epoch's number of pairs and its batches' losses."""
    for epoch in range(run.epochs):
        pairs = torch.from_numpy(epoch_pairs(sentences, keep, run.window, run.rng, run.dynamic_window))
        if len(pairs) == 0:  # subsampling left no pair: nothing to train on this epoch
            yield 0, torch.zeros(0)
            continue
        pairs = pairs[torch.randperm(len(pairs), generator=run.shuffle)].to(run.device)
        negatives = torch.multinomial(noise, len(pairs) * run.negative, replacement=True, generator=run.draws)
        negatives = negatives.view(-1, run.negative).to(run.device)  # [n, K]: K negatives per pair
        yield len(pairs), sgns_epoch(model, optimizer, pairs, negatives, run, epoch)


def train_sgns(corpus: list[list[str]], dim: int = 100, window: int = 5, negative: int = 5, epochs: int = 2,
               min_count: int = 5, sample: float = 1e-4, dynamic_window: bool = True, batch_size: int = 8192,
               lr: float = 0.02, device: str | torch.device = "auto", seed: int = 0, progress: bool = True,
               sparse: bool | None = None) -> tuple[KeyedVectors, History]:
    """Train skip-gram with negative sampling in PyTorch; return the centre vectors as gensim KeyedVectors and
    a History with, per epoch, the number of pairs, their mean loss and the seconds taken.

    Each epoch subsamples frequent words, pairs every kept word with its neighbours, shuffles all pairs, draws all
    its negatives at once on the training device and trains on mini-batches with SparseAdam, the learning rate
    falling linearly over the epochs as in word2vec (sparse=False: dense tables and plain Adam).
    """
    for name, value in {"dim": dim, "window": window, "negative": negative, "epochs": epochs,
                        "batch_size": batch_size}.items():
        checks.positive_int(name, value)
    checks.positive_float("lr", lr)
    vocab = word_vocab(corpus, min_count)
    sentences, counts = encode_corpus(corpus, vocab), count_array(vocab)
    if len(skipgram_pairs(sentences, 1)) == 0:
        raise ValueError("the corpus gives no (centre, context) pairs: a sentence needs two or more words that occur "
                         f"at least min_count={min_count} times")
    keep, rng, history = keep_probabilities(counts, sample), np.random.default_rng(seed), History("epoch")
    with run_on(device, seed) as dev:
        if sparse is None:
            sparse = dev.type != "mps"  # Apple's MPS has no sparse gradients: dense rows and plain Adam there
        model = SGNS(len(vocab), dim, torch.Generator().manual_seed(seed), sparse=sparse).to(dev)
        optimizer = (torch.optim.SparseAdam if sparse else torch.optim.Adam)(model.parameters(), lr=lr)
        noise_device = dev if dev.type == "cuda" else torch.device("cpu")  # draw negatives where it is fast
        noise = torch.as_tensor(noise_distribution(counts), dtype=torch.float32, device=noise_device)
        run = SGNSRun(window, negative, epochs, batch_size, lr, dynamic_window, dev, rng,
                      torch.Generator().manual_seed(seed), torch.Generator(device=noise_device).manual_seed(seed))
        bar = progress_bar(total=None, desc="SGNS", unit="pair", unit_scale=True, disable=not progress)
        history.batch_losses, started = [], time.perf_counter()  # every batch's loss, for a loss curve
        for n_pairs, losses in sgns_epochs(model, optimizer, sentences, keep, noise, run):
            if bar.total is None and n_pairs:
                bar.total = n_pairs * epochs  # an estimate: each epoch subsamples afresh
            bar.update(n_pairs)
            sizes = torch.full((len(losses),), float(batch_size), device=losses.device)
            if len(losses):
                sizes[-1] = n_pairs - batch_size * (len(losses) - 1)
            history.batch_losses += losses.tolist()
            history.log(pairs=n_pairs, loss=(losses * sizes).sum().item() / n_pairs if n_pairs else float("nan"),
                        seconds=time.perf_counter() - started)
            bar.set_postfix(epoch=len(history), loss=f"{history.last('loss'):.3f}")
            started = time.perf_counter()
        bar.total = bar.n  # the estimate made exact, so the finished bar reads 100%
        bar.close()
    return to_keyed_vectors(vocab.tokens, model.centre.weight), history


# --- using and evaluating word vectors (gensim does the work) ---

def check_words(kv: KeyedVectors, words: list[str]) -> None:
    """Raise KeyError naming the first word missing from the vocabulary, with similar words that are in it."""
    for word in words:
        if word not in kv.key_to_index:
            close = difflib.get_close_matches(word, kv.index_to_key[:50_000], n=3)
            hint = f"; similar words in it: {close}" if close else ""
            raise KeyError(f"{word!r} is not in the vocabulary ({len(kv)} words){hint}")


def similarity(kv: KeyedVectors, first: str, second: str) -> float:
    """Cosine similarity of two words."""
    check_words(kv, [first, second])
    return float(kv.similarity(first, second))


def most_similar(kv: KeyedVectors, word: str, topn: int = 5) -> list[tuple[str, float]]:
    """The `topn` words with the highest cosine similarity to `word`."""
    check_words(kv, [word])
    return kv.most_similar(word, topn=topn)


def analogy(kv: KeyedVectors, a: str, b: str, c: str, topn: int = 5) -> list[tuple[str, float]]:
    """Words nearest to a - b + c (king - man + woman: "b is to a as c is to ?"), excluding a, b and c."""
    check_words(kv, [a, b, c])
    return kv.most_similar(positive=[a, c], negative=[b], topn=topn)


def analogy_rank(kv: KeyedVectors, a: str, b: str, c: str, target: str) -> int:
    """Rank (1 = top) of `target` among the answers to a - b + c, with a, b and c themselves left out."""
    check_words(kv, [a, b, c, target])
    scores = kv.most_similar(positive=[a, c], negative=[b], topn=None)  # cosine of every word, by id
    scores[[kv.key_to_index[w] for w in (a, b, c)]] = -np.inf
    return int((scores > scores[kv.key_to_index[target]]).sum()) + 1


def neighbours_table(models: dict[str, KeyedVectors], words: list[str], topn: int = 5,
                     counts: dict[str, int] | None = None) -> pd.DataFrame:
    """One row per word, one column per model: its `topn` nearest neighbours (or a note if it is unknown), each
    followed by its number of occurrences in brackets when `counts` is given."""
    from helpers.i18n import _

    def shown(word: str) -> str:
        return f"{word} ({counts.get(word, 0)})" if counts is not None else word

    rows = {}
    for word in words:
        rows[shown(word)] = {name: ", ".join(shown(w) for w, _score in kv.most_similar(word, topn=topn))
                             if word in kv.key_to_index else _("(not in vocabulary)") for name, kv in models.items()}
    return pd.DataFrame.from_dict(rows, orient="index")


def random_pair_cosines(kv: KeyedVectors, n_pairs: int = 20_000, seed: int = 0) -> np.ndarray:
    """Cosine similarities of up to `n_pairs` random pairs of different words (pairs of a word with itself dropped)."""
    checks.positive_int("n_pairs", n_pairs)
    rng = np.random.default_rng(seed)
    first, second = rng.integers(0, len(kv), size=(2, n_pairs))
    different = first != second
    return 1 - paired_cosine_distances(kv.vectors[first[different]], kv.vectors[second[different]])


def random_pair_cosine(kv: KeyedVectors, n_pairs: int = 20_000, seed: int = 0) -> float:
    """Mean cosine similarity of random pairs of different words: near 0 when vectors spread in all directions."""
    return float(random_pair_cosines(kv, n_pairs, seed).mean())


def centred(kv: KeyedVectors) -> KeyedVectors:
    """The same words with the mean vector subtracted from every vector (removes one shared direction)."""
    return to_keyed_vectors(kv.index_to_key, kv.vectors - kv.get_mean_vector(kv.index_to_key, pre_normalize=False))


def evaluate(kv: KeyedVectors, analogies: bool = True) -> dict[str, float]:
    """WordSim353 and SimLex-999 Spearman ρ, Google-analogy accuracy, how much of each set the vocabulary covers,
    and the mean cosine of random word pairs."""
    from helpers.i18n import _  # the measures' names: a translated notebook looks them up in its language

    wordsim = kv.evaluate_word_pairs(word_pairs_path("wordsim353"))
    simlex = kv.evaluate_word_pairs(word_pairs_path("simlex999"))
    scores = {_("WordSim353 ρ"): float(wordsim[1][0]), _("SimLex-999 ρ"): float(simlex[1][0]),
              _("WordSim353 pairs known"): 1 - wordsim[2] / 100, _("SimLex-999 pairs known"): 1 - simlex[2] / 100}
    if analogies:
        accuracy, sections = _analogy_results(kv)
        answered = len(sections[-1]["correct"]) + len(sections[-1]["incorrect"])
        scores[_("analogy accuracy")] = float(accuracy)
        scores[_("analogies answerable")] = answered / _analogy_count()
    scores[_("cosine of random pairs")] = random_pair_cosine(kv)
    return scores


ANALOGY_VOCAB = 300_000  # gensim's evaluate_word_analogies answers from the 300,000 most frequent words


@functools.lru_cache(maxsize=8)  # by identity: evaluate() and analogy_sections() on one model share one run
def _analogy_results(kv: KeyedVectors) -> tuple[float, list[dict]]:
    """The Google analogy set answered as gensim's evaluate_word_analogies answers it (case-insensitive, from the
    ANALOGY_VOCAB most frequent words: the word nearest unit(b) - unit(a) + unit(c), a, b and c left out), but a
    block of questions at a time in one matrix product: (accuracy, results per section, then the total)."""
    words = kv.index_to_key[:ANALOGY_VOCAB]
    row = {word.upper(): i for i, word in reversed(list(enumerate(words)))}  # gensim: the most frequent spelling
    table = kv.get_normed_vectors()[:len(words)]
    block = max(1, 2**24 // len(words))  # questions per product: at most 2**24 scores (64 MB) at once
    results, total = [], {"section": "Total accuracy", "correct": [], "incorrect": []}
    with threadpool_limits(1):  # one thread, like the rest of the lesson
        for name, questions in load_analogies().items():
            known = [tuple(w.upper() for w in q) for q in questions if all(w.upper() in row for w in q)]
            section = {"section": name, "correct": [], "incorrect": []}
            for start in range(0, len(known), block):
                chunk = known[start:start + block]
                ids = np.array([[row[w] for w in q] for q in chunk])
                scores = (table[ids[:, 1]] - table[ids[:, 0]] + table[ids[:, 2]]) @ table.T  # b - a + c
                np.put_along_axis(scores, ids[:, :3], -np.inf, axis=1)
                for question, best, expected in zip(chunk, scores.argmax(1), ids[:, 3]):
                    section["correct" if best == expected else "incorrect"].append(question)
            results.append(section)
            total["correct"] += section["correct"]
            total["incorrect"] += section["incorrect"]
    answered = len(total["correct"]) + len(total["incorrect"])
    return (len(total["correct"]) / answered if answered else 0.0), [*results, total]


def analogy_sections(kv: KeyedVectors, sections: list[str]) -> pd.DataFrame:
    """Per section of the Google analogy set: questions answerable with this vocabulary, and the share answered
    right (gensim's evaluate_word_analogies)."""
    from helpers.i18n import _

    by_name = {result["section"]: result for result in _analogy_results(kv)[1]}
    by_name.setdefault(_("family"), by_name.get("family"))  # a translated notebook names it as its family group
    unknown = [name for name in sections if by_name.get(name) is None]
    if unknown:
        raise KeyError(f"no analogy section {unknown}; sections: {list(by_name)}")
    rows = {}
    for name in sections:
        right, wrong = len(by_name[name]["correct"]), len(by_name[name]["incorrect"])
        accuracy = right / (right + wrong) if right + wrong else np.nan
        rows[name] = {_("answerable"): right + wrong, _("accuracy"): accuracy}  # in the course's language
    return pd.DataFrame.from_dict(rows, orient="index")


def compare(models: dict[str, KeyedVectors], analogies: bool = True) -> pd.DataFrame:
    """evaluate() side by side: one row per measure, one column per model, rounded to 3 decimals."""
    table = pd.DataFrame({name: evaluate(kv, analogies) for name, kv in models.items()})
    return table.round(3)


@functools.lru_cache(maxsize=1)
def _analogy_count() -> int:
    return sum(len(questions) for questions in load_analogies().values())


def nearest_groups(points: np.ndarray, groups: list[str], metric: str = "euclidean") -> list[str]:
    """The group of each point's nearest other point (by `metric`, as scikit-learn names it)."""
    from sklearn.metrics import pairwise_distances

    points = np.asarray(points)
    if len(points) != len(groups) or len(points) < 2:
        raise ValueError(f"need two or more points and one group per point: {len(points)} points, {len(groups)} groups")
    distances = pairwise_distances(points, metric=metric)
    np.fill_diagonal(distances, np.inf)
    return [str(groups[i]) for i in distances.argmin(1)]


def group_neighbour_share(points: np.ndarray, groups: list[str], metric: str = "euclidean") -> float:
    """The share of points whose nearest other point (by `metric`, as scikit-learn names it) is in their own group."""
    nearest = nearest_groups(points, groups, metric)
    return float(np.mean([near == str(own) for near, own in zip(nearest, groups)]))
