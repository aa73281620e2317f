"""Sentence classification with RNN variants: vocabulary, model, training, cross-validation and baselines."""

from __future__ import annotations

import copy
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence
from tqdm.auto import tqdm

from .data import tokenize
from .device import one_cpu_thread, pick_device
from .rnn import RNN_LAYERS, check_kind

PAD, UNK = "<pad>", "<unk>"
LABEL_NAMES = ("negative", "positive")


# --- vocabulary and encoding ---

@dataclass
class Encoded:
    """Padded word ids [n, max_len], true lengths [n] and float labels [n] of a set of sentences."""

    tokens: torch.Tensor
    lengths: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return len(self.lengths)

    def batch(self, index: torch.Tensor, device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The sentences at `index`, trimmed to their longest one and moved to `device`."""
        lengths = self.lengths[index]
        tokens = self.tokens[index, : int(lengths.max())]
        return tokens.to(device), lengths, self.labels[index].to(device)


class Vocab:
    """Word <-> id table with `<pad>` = 0 and `<unk>` = 1; words are tokenized with helpers.data.tokenize."""

    pad_index = 0
    unk_index = 1

    def __init__(self, words: Sequence[str]):
        self.itos = [PAD, UNK, *words]
        self.stoi = {word: i for i, word in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            raise ValueError("vocabulary words must be unique and must not include '<pad>' or '<unk>'")

    @classmethod
    def build(cls, texts: Sequence[str], min_count: int = 1) -> "Vocab":
        """Vocabulary of the words seen at least `min_count` times in `texts`, most frequent first."""
        if not isinstance(min_count, int) or min_count < 1:
            raise ValueError(f"min_count must be an integer >= 1, got {min_count!r}")
        counts = Counter(word for text in texts for word in tokenize(text))
        if not counts:
            raise ValueError("no words in the training texts: give at least one non-empty sentence")
        kept = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
        return cls(kept)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, word: str) -> bool:
        return word in self.stoi

    def __repr__(self) -> str:
        return f"Vocab({len(self)} entries: <pad>, <unk> and {len(self) - 2} words)"

    def index(self, word: str) -> int:
        """Id of `word`, or the id of `<unk>` if the vocabulary does not know it."""
        return self.stoi.get(word, self.unk_index)

    def encode(self, text: str) -> list[int]:
        """Ids of the words of one sentence (unknown words -> `<unk>`)."""
        if not isinstance(text, str):
            raise TypeError(f"a sentence must be a string, not {type(text).__name__}")
        return [self.index(word) for word in tokenize(text)]

    def unknown_words(self, text: str) -> list[str]:
        """The words of `text` that this vocabulary does not know."""
        return [word for word in tokenize(text) if word not in self.stoi]

    def encode_batch(self, texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Padded id matrix [n, longest] (padding = 0) and the true lengths [n] of several sentences."""
        if isinstance(texts, str):
            raise TypeError("encode_batch takes a list of sentences; use encode() for one sentence")
        ids = [self.encode(text) for text in texts]
        if not ids:
            raise ValueError("no sentences to encode")
        empty = [i for i, seq in enumerate(ids) if not seq]
        if empty:
            raise ValueError(f"sentence {empty[0]} ({texts[empty[0]]!r}) has no words after tokenizing; "
                             "every sentence needs at least one word")
        tokens = pad_sequence([torch.tensor(seq) for seq in ids], batch_first=True, padding_value=self.pad_index)
        return tokens, torch.tensor([len(seq) for seq in ids])

    def encode_dataset(self, texts: Sequence[str], labels: Sequence[int]) -> Encoded:
        """Encode sentences with their 0/1 labels for train_classifier and evaluate."""
        if len(texts) != len(labels):
            raise ValueError(f"{len(texts)} texts but {len(labels)} labels: give one label per text")
        tokens, lengths = self.encode_batch(texts)
        return Encoded(tokens, lengths, torch.tensor(list(labels), dtype=torch.float32))


# --- model ---

class TextClassifier(nn.Module):
    """Embedding -> RNN/LSTM/GRU over packed sequences -> one logit per sentence (positive = 1)."""

    def __init__(self, vocab_size: int, embed_dim: int = 50, hidden_dim: int = 32, kind: str = "lstm",
                 bidirectional: bool = False, num_layers: int = 1, dropout: float = 0.0, padding_idx: int = 0):
        super().__init__()
        kind = check_kind(kind)
        for name, value in [("vocab_size", vocab_size), ("embed_dim", embed_dim), ("hidden_dim", hidden_dim),
                            ("num_layers", num_layers)]:
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        self.kind, self.bidirectional = kind, bidirectional
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
        self.rnn = RNN_LAYERS[kind](embed_dim, hidden_dim, num_layers=num_layers, batch_first=True,
                                   bidirectional=bidirectional, dropout=dropout if num_layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_dim * (2 if bidirectional else 1), 1)

    def final_state(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Hidden state after each sentence's last real word [batch, hidden (x2 if bidirectional)]."""
        embedded = self.embedding(tokens)
        packed = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, hidden = self.rnn(packed)
        if isinstance(hidden, tuple):  # an LSTM returns (h, c); classify from h
            hidden = hidden[0]
        if self.bidirectional:  # last layer: forward read left-to-right, backward read right-to-left
            return torch.cat([hidden[-2], hidden[-1]], dim=1)
        return hidden[-1]

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """One logit per sentence [batch]."""
        return self.head(self.dropout(self.final_state(tokens, lengths))).squeeze(-1)


@dataclass
class Coverage:
    """How many vocabulary words (without `<pad>`/`<unk>`) received a pretrained vector."""

    found: int
    total: int
    missing: list[str] = field(default_factory=list)

    @property
    def fraction(self) -> float:
        return self.found / self.total if self.total else 0.0

    def __str__(self) -> str:
        return f"{self.found} of {self.total} vocabulary words have a pretrained vector ({self.fraction:.0%})"


def init_embeddings(model: TextClassifier, vocab: Vocab, vectors, freeze: bool = False) -> Coverage:
    """Copy the vectors (gensim KeyedVectors) of the vocabulary words they know into the model's embedding."""
    weight = model.embedding.weight
    if len(vocab) != weight.shape[0]:
        raise ValueError(f"the model has {weight.shape[0]} embedding rows but the vocabulary {len(vocab)} words")
    if vectors.vector_size != weight.shape[1]:
        raise ValueError(f"vectors have {vectors.vector_size} dimensions but the model's embed_dim is "
                         f"{weight.shape[1]}: build the model with embed_dim={vectors.vector_size}")
    words = vocab.itos[2:]
    known = [w for w in words if w in vectors.key_to_index]
    if known:
        rows = torch.tensor([vocab.stoi[w] for w in known])
        with torch.no_grad():
            weight[rows] = torch.as_tensor(np.asarray(vectors[known]), dtype=weight.dtype, device=weight.device)
    weight.requires_grad_(not freeze)
    return Coverage(len(known), len(words), [w for w in words if w not in vectors.key_to_index])


# --- training and evaluation ---



@dataclass
class History:
    """Per-epoch mean training loss, validation loss and accuracy, and the epoch whose weights were kept."""

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    best_epoch: int = 0
    stopped_early: bool = False


def make_optimizer(model: nn.Module, lr: float, weight_decay: float = 0.0) -> torch.optim.Optimizer:
    """A fresh Adam optimizer over this model's own trainable parameters."""
    return torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr, weight_decay=weight_decay)


def _check_positive(**values) -> None:
    for name, value in values.items():
        if value is None or value <= 0:
            raise ValueError(f"{name} must be > 0, got {value!r}")


@torch.no_grad()
def _logits(model: nn.Module, data: Encoded, batch_size: int, device) -> torch.Tensor:
    device = pick_device(device)
    model.to(device).eval()
    batches = torch.arange(len(data)).split(batch_size)
    with one_cpu_thread(device):
        return torch.cat([model(*data.batch(index, device)[:2]).cpu() for index in batches])


def predict_proba(model: nn.Module, data: Encoded, batch_size: int = 256, device="auto") -> np.ndarray:
    """P(positive) for each sentence of `data`."""
    return torch.sigmoid(_logits(model, data, batch_size, device)).numpy()


def evaluate(model: nn.Module, data: Encoded, batch_size: int = 256, device="auto") -> tuple[float, float]:
    """Mean binary cross-entropy and accuracy of the model on `data`."""
    logits = _logits(model, data, batch_size, device)
    loss = nn.functional.binary_cross_entropy_with_logits(logits, data.labels).item()
    accuracy = ((logits >= 0).float() == data.labels).float().mean().item()
    return loss, accuracy


def _train_epoch(model: nn.Module, train: Encoded, optimizer: torch.optim.Optimizer, batch_size: int,
                 generator: torch.Generator, device: torch.device) -> float:
    """One pass over shuffled mini-batches; returns the mean training loss of the epoch."""
    model.train()
    total = 0.0
    for index in torch.randperm(len(train), generator=generator).split(batch_size):
        tokens, lengths, labels = train.batch(index, device)
        optimizer.zero_grad()
        loss = nn.functional.binary_cross_entropy_with_logits(model(tokens, lengths), labels)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(index)
    return total / len(train)


def train_classifier(model: nn.Module, train: Encoded, val: Encoded | None = None, epochs: int = 30,
                     lr: float = 1e-2, batch_size: int = 32, patience: int = 5, weight_decay: float = 0.0,
                     seed: int = 0, device="auto", progress: bool = True) -> History:
    """Train with mini-batches and the model's own Adam; stop early on validation loss and keep the best epoch."""
    _check_positive(epochs=epochs, lr=lr, batch_size=batch_size, patience=patience)
    device = pick_device(device)
    model.to(device)
    optimizer = make_optimizer(model, lr, weight_decay)
    generator = torch.Generator().manual_seed(seed)
    history, best_loss, best_state, waited = History(), math.inf, None, 0
    bar = tqdm(range(1, epochs + 1), desc=f"training {getattr(model, 'kind', 'model')}", disable=not progress,
               leave=False)
    with one_cpu_thread(device):
        for epoch in bar:
            history.train_loss.append(_train_epoch(model, train, optimizer, batch_size, generator, device))
            if val is None:
                history.best_epoch = epoch  # nothing to select on: keep the last epoch
                continue
            val_loss, val_accuracy = evaluate(model, val, device=device)
            history.val_loss.append(val_loss)
            history.val_accuracy.append(val_accuracy)
            bar.set_postfix(train_loss=f"{history.train_loss[-1]:.3f}", val_loss=f"{val_loss:.3f}")
            if val_loss < best_loss:
                best_loss, history.best_epoch, waited = val_loss, epoch, 0
                best_state = copy.deepcopy(model.state_dict())
            else:
                waited += 1
                if waited >= patience:
                    history.stopped_early = True
                    break
    if best_state is not None:
        model.load_state_dict(best_state)
    return history


def predict_sentiment(model: nn.Module, vocab: Vocab, sentence: str, device="auto") -> tuple[float, str]:
    """(P(positive), 'positive' or 'negative') for one sentence; unknown words count as `<unk>`."""
    ids = vocab.encode(sentence)
    if not ids:
        raise ValueError(f"the sentence {sentence!r} has no words after tokenizing: give at least one word")
    device = pick_device(device)
    model.to(device).eval()
    with torch.no_grad():
        logit = model(torch.tensor([ids], device=device), torch.tensor([len(ids)]))
    prob = torch.sigmoid(logit).item()
    return prob, LABEL_NAMES[int(prob >= 0.5)]


# --- cross-validation and baselines ---

def stratified_folds(labels: Sequence[int], n_splits: int = 5, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train indices, test indices) of shuffled stratified k-fold splits, the same for every model compared."""
    labels = np.asarray(labels)
    splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(labels)), labels))


@dataclass
class CVResult:
    """Per-fold accuracies and out-of-fold P(positive) of one model under cross-validation."""

    name: str
    scores: list[float]
    probabilities: np.ndarray
    histories: list[History] = field(default_factory=list)

    @property
    def mean(self) -> float:
        return float(np.mean(self.scores))

    @property
    def std(self) -> float:
        return float(np.std(self.scores))

    @property
    def predictions(self) -> np.ndarray:
        return (self.probabilities >= 0.5).astype(int)

    def __str__(self) -> str:
        return f"{self.name}: {self.mean:.3f} ± {self.std:.3f}"


def _take(items, index: np.ndarray):
    return items[index] if isinstance(items, np.ndarray) else [items[i] for i in index]


def cross_validate_rnn(make_model: Callable[[Vocab], nn.Module], texts: Sequence[str], labels: Sequence[int],
                       folds: list[tuple[np.ndarray, np.ndarray]], name: str = "model", min_count: int = 1,
                       val_fraction: float = 0.2, seed: int = 0, device="auto", progress: bool = True,
                       **train_kwargs) -> CVResult:
    """Per fold: vocabulary from the training part, early stopping on a stratified slice of it, test on the fold."""
    labels = np.asarray(labels)
    probabilities = np.full(len(labels), np.nan)
    scores, histories = [], []
    for k, (train_index, test_index) in enumerate(tqdm(folds, desc=name, disable=not progress, leave=False)):
        fit_index, val_index = train_test_split(train_index, test_size=val_fraction, random_state=seed + k,
                                                stratify=labels[train_index])
        vocab = Vocab.build(_take(texts, fit_index), min_count=min_count)
        torch.manual_seed(seed + k)
        model = make_model(vocab)
        encode = lambda index: vocab.encode_dataset(_take(texts, index), labels[index])  # noqa: E731
        histories.append(train_classifier(model, encode(fit_index), encode(val_index), seed=seed + k,
                                          device=device, progress=False, **train_kwargs))
        probabilities[test_index] = predict_proba(model, encode(test_index), device=device)
        scores.append(float(np.mean((probabilities[test_index] >= 0.5) == labels[test_index])))
    return CVResult(name, scores, probabilities, histories)


def cross_validate_sklearn(estimator, features, labels: Sequence[int], folds: list[tuple[np.ndarray, np.ndarray]],
                           name: str = "model") -> CVResult:
    """Fit a fresh clone of a scikit-learn classifier per fold (texts or feature rows) and score it on the fold."""
    labels = np.asarray(labels)
    probabilities = np.full(len(labels), np.nan)
    scores = []
    for train_index, test_index in folds:
        fitted = clone(estimator).fit(_take(features, train_index), labels[train_index])
        probabilities[test_index] = fitted.predict_proba(_take(features, test_index))[:, 1]
        scores.append(float(np.mean((probabilities[test_index] >= 0.5) == labels[test_index])))
    return CVResult(name, scores, probabilities)


def tfidf_logreg(min_df: int = 1, C: float = 1.0):
    """Bag-of-words baseline: TF-IDF of the same tokens as the RNNs -> logistic regression."""
    return make_pipeline(TfidfVectorizer(tokenizer=tokenize, lowercase=False, token_pattern=None, min_df=min_df),
                         LogisticRegression(C=C, max_iter=2000))


def feature_logreg(C: float = 1.0):
    """Logistic regression on standardised dense features (averaged word vectors, BERT features)."""
    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000))


def average_vectors(texts: Sequence[str], vectors) -> np.ndarray:
    """Mean word vector of each sentence over the words `vectors` knows (zeros if it knows none)."""
    features = np.zeros((len(texts), vectors.vector_size), dtype=np.float32)
    for row, text in enumerate(texts):
        known = [w for w in tokenize(text) if w in vectors.key_to_index]
        if known:
            features[row] = np.asarray(vectors[known]).mean(axis=0)
    return features
