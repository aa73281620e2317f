"""Sentence classification: encoding, an RNN classifier, its training, cross-validation and scikit-learn baselines."""

from __future__ import annotations

import copy
import functools
import inspect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegressionCV
from sklearn.model_selection import StratifiedKFold, cross_val_predict, train_test_split
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn
from torch.nn.utils.rnn import pad_sequence

from helpers import checks
from helpers.data import tokenize
from helpers.device import cpu_cores, pick_device, run_on, seeded, side_by_side
from helpers.device import progress as progress_bar
from helpers.history import History
from helpers.i18n import _
from helpers.recurrent import Recurrent, final_hidden
from helpers.training import optimizer_step
from helpers.vocab import PAD, UNK, Vocab

LABEL_NAMES = ("negative", "positive")  # labels 0 and 1, in English


def label_name(label: int) -> str:
    """The name of label 0 or 1 in the course's language."""
    if label not in (0, 1):
        raise ValueError(f"label must be 0 (negative) or 1 (positive), not {label!r}")
    return (_("negative"), _("positive"))[int(label)]


# --- vocabulary and encoding ---

def build_vocab(texts: Sequence[str], min_count: int = 1) -> Vocab:
    """Word vocabulary of the sentences (tokenized with helpers.data.tokenize): `<pad>` = 0, `<unk>` = 1."""
    return Vocab.of_words([tokenize(text) for text in checks.texts("texts", texts)], min_count)


@dataclass
class Encoded:
    """Padded word ids [n, max_len], true lengths [n] and float labels [n] of a set of sentences."""

    tokens: torch.Tensor
    lengths: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return len(self.lengths)

    def batch(self, index: torch.Tensor, device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The sentences at `index`, trimmed to their longest one; tokens and labels on `device`, lengths on the CPU."""
        lengths = self.lengths[index]
        tokens = self.tokens[index, : int(lengths.max())]
        return tokens.to(device), lengths, self.labels[index].to(device)


def encode_batch(vocab: Vocab, texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Padded id matrix [n, longest] (padding = `<pad>`) and the true lengths [n] of several sentences."""
    ids = [vocab.encode(tokenize(text)) for text in checks.texts("texts", texts)]
    empty = [i for i, seq in enumerate(ids) if len(seq) == 0]
    if empty:
        raise ValueError(f"sentence {empty[0]} ({texts[empty[0]]!r}) has no words after tokenizing; "
                         "every sentence needs at least one word")
    tokens = pad_sequence(ids, batch_first=True, padding_value=vocab.pad_id)
    return tokens, torch.tensor([len(seq) for seq in ids])


def encode_dataset(vocab: Vocab, texts: Sequence[str], labels: Sequence[int]) -> Encoded:
    """Encode sentences with their 0/1 labels for train_classifier and evaluate."""
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels: give one label per text")
    tokens, lengths = encode_batch(vocab, texts)
    return Encoded(tokens, lengths, torch.tensor(np.asarray(labels), dtype=torch.float32))


# --- model ---

class TextClassifier(nn.Module):
    """The course's recurrent backbone read over packed sentences, and a linear head on its final hidden state.

    seed: the initial weights (None: from torch's global generator).
    """

    def __init__(self, vocab_size: int, embed_size: int = 50, hidden_size: int = 32, kind: str = "lstm",
                 bidirectional: bool = False, num_layers: int = 1, dropout: float = 0.0, seed: int | None = None,
                 packed: bool = True):
        super().__init__()
        self.packed = packed  # False: the state after the last step of the padded batch
        with seeded(seed):
            self.body = Recurrent(vocab_size, hidden_size, kind=kind, embed_size=embed_size, num_layers=num_layers,
                                  bidirectional=bidirectional, dropout=dropout, padding_idx=0)
            self.dropout = nn.Dropout(dropout)
            self.head = nn.Linear(self.body.output_size, 1)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """One logit per sentence [batch] (> 0 means positive), read from the state after its last real word."""
        _, state = self.body(tokens, lengths=lengths if self.packed else None)  # packed: stop at each sentence's end
        last = final_hidden(state, self.body.bidirectional)  # [batch, hidden] (x2 if bidirectional)
        return self.head(self.dropout(last)).squeeze(-1)


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
        return _("{found} of {total} vocabulary words have a pretrained vector ({fraction:.0%})").format(
            found=self.found, total=self.total, fraction=self.fraction)


def init_embeddings(model: TextClassifier, vocab: Vocab, vectors, freeze: bool = False) -> Coverage:
    """Copy the vectors (gensim KeyedVectors) of the vocabulary words they know into the model's embedding."""
    weight = model.body.embed.weight
    if len(vocab) != weight.shape[0]:
        raise ValueError(f"the model has {weight.shape[0]} embedding rows but the vocabulary {len(vocab)} words")
    if vectors.vector_size != weight.shape[1]:
        raise ValueError(f"vectors have {vectors.vector_size} dimensions but the model's embed_size is "
                         f"{weight.shape[1]}: build the model with embed_size={vectors.vector_size}")
    words = [w for w in vocab.tokens if w not in (PAD, UNK)]
    known = [w for w in words if w in vectors.key_to_index]
    if known:
        rows = vocab.encode(known)
        with torch.no_grad():
            weight[rows] = torch.as_tensor(np.asarray(vectors[known]), dtype=weight.dtype, device=weight.device)
    weight.requires_grad_(not freeze)
    return Coverage(len(known), len(words), [w for w in words if w not in vectors.key_to_index])


# --- training and evaluation ---

def make_optimizer(model: nn.Module, lr: float, weight_decay: float = 0.0) -> torch.optim.Optimizer:
    """A fresh Adam optimizer over this model's own trainable parameters."""
    return torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr, weight_decay=weight_decay)


def train_step(model: nn.Module, tokens: torch.Tensor, lengths: torch.Tensor, labels: torch.Tensor,
               optimizer: torch.optim.Optimizer) -> float:
    """One mini-batch: forward, binary cross-entropy on the logits, then optimizer_step. Returns the loss."""
    loss = nn.functional.binary_cross_entropy_with_logits(model(tokens, lengths), labels)
    optimizer_step(optimizer, loss)  # zero_grad, backward, step: only this optimizer's parameters move
    return loss.item()


@torch.no_grad()  # no gradients are needed to measure: no graph is built
def logits_of(model: nn.Module, data: Encoded, batch_size: int, device: torch.device) -> torch.Tensor:
    """The model's logits [n] for every sentence of `data`, in eval mode (dropout off), `batch_size` at a time."""
    model.to(device).eval()
    return torch.cat([model(*data.batch(index, device)[:2]).cpu()
                      for index in torch.arange(len(data)).split(batch_size)])


def predict_proba(model: nn.Module, data: Encoded, batch_size: int = 256, device="auto") -> np.ndarray:
    """P(positive) for each sentence of `data`."""
    with run_on(device, seed=None) as dev:
        return torch.sigmoid(logits_of(model, data, batch_size, dev)).numpy()


def evaluate(model: nn.Module, data: Encoded, batch_size: int = 256, device="auto") -> tuple[float, float]:
    """Mean binary cross-entropy and accuracy of the model on `data`."""
    with run_on(device, seed=None) as dev:
        logits = logits_of(model, data, batch_size, dev)
    loss = nn.functional.binary_cross_entropy_with_logits(logits, data.labels).item()
    accuracy = ((logits > 0).float() == data.labels).float().mean().item()
    return loss, accuracy


def train_classifier(model: nn.Module, train: Encoded, val: Encoded | None = None, epochs: int = 30,
                     lr: float = 1e-2, batch_size: int = 32, patience: int = 5, weight_decay: float = 0.0,
                     device="auto", seed: int = 0, progress: bool = True, monitor: str = "val_loss",
                     eval_batch_size: int = 256) -> History:
    """Train with shuffled mini-batches and the model's own Adam; with `val`, stop early and keep the best epoch.

    The History has 'loss' (mean training loss of the epoch) and, with `val`, 'val_loss' and 'val_accuracy'.
    `monitor` is the validation number that decides the best epoch: 'val_loss' (lowest) or 'val_accuracy' (highest).
    `eval_batch_size`: the batches `val` is measured in (it matters only for a model that reads the padding).
    """
    checks.positive_int("epochs", epochs)
    checks.positive_float("lr", lr)
    checks.positive_int("batch_size", batch_size)
    checks.positive_int("patience", patience)
    checks.positive_int("eval_batch_size", eval_batch_size)
    sign = _monitor_sign(monitor)
    history, best_score, best_state, waited = History("epoch"), -math.inf, None, 0
    with run_on(device, seed) as dev:
        model.to(dev)
        optimizer = make_optimizer(model, lr, weight_decay)
        order = torch.Generator().manual_seed(seed)
        for _ in progress_bar(range(epochs), desc="training", disable=not progress, leave=False):
            model.train()
            total = 0.0
            for index in torch.randperm(len(train), generator=order).split(batch_size):
                total += train_step(model, *train.batch(index, dev), optimizer) * len(index)
            if val is None:
                history.log(loss=total / len(train))
                continue
            val_loss, val_accuracy = evaluate(model, val, eval_batch_size, device=dev)
            history.log(loss=total / len(train), val_loss=val_loss, val_accuracy=val_accuracy)
            score = sign * history[monitor][-1]  # larger is better
            if score > best_score:
                best_score, best_state, waited = score, copy.deepcopy(model.state_dict()), 0
            else:
                waited += 1
                if waited >= patience:
                    break
    if best_state is not None:
        model.load_state_dict(best_state)
    return history


def _monitor_sign(monitor: str) -> int:
    """+1 for a validation number where larger is better (accuracy), -1 where smaller is (loss)."""
    if monitor not in ("val_loss", "val_accuracy"):
        raise ValueError(f"monitor must be 'val_loss' or 'val_accuracy', not {monitor!r}")
    return 1 if monitor == "val_accuracy" else -1


def kept_epoch(history: History, monitor: str = "val_loss") -> int:
    """The epoch whose weights train_classifier kept: the best `monitor` value (first one on ties), else the last."""
    if monitor not in history:
        return len(history)
    return int(np.argmax(_monitor_sign(monitor) * np.asarray(history[monitor]))) + 1


def best_validation(history: History, monitor: str = "val_loss") -> float:
    """The monitored validation number at the kept epoch."""
    return float(history[monitor][kept_epoch(history, monitor) - 1])


def runs_at_cap(histories: Sequence[History], epochs: int, patience: int, monitor: str = "val_accuracy") -> int:
    """How many runs the epoch cap ended rather than early stopping: all `epochs` trained and the kept epoch among
    the last `patience` (so early stopping had not yet run out of patience)."""
    return sum(len(h) == epochs and kept_epoch(h, monitor) > epochs - patience for h in histories)


def predict_sentiment(model: nn.Module, vocab: Vocab, sentence: str, device="auto") -> tuple[float, str]:
    """(P(positive), 'positive' or 'negative') for one sentence; unknown words count as `<unk>`."""
    tokens, lengths = encode_batch(vocab, [checks.text("sentence", sentence)])
    with run_on(device, seed=None) as dev, torch.no_grad():
        prob = torch.sigmoid(model.to(dev).eval()(tokens.to(dev), lengths)).item()
    return prob, label_name(int(prob > 0.5))


# --- cross-validation ---

def stratified_folds(labels: Sequence[int], n_splits: int = 5, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train indices, test indices) of shuffled stratified k-fold splits, the same for every model compared."""
    labels = np.asarray(labels)
    splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(labels)), labels))


def stratified_sample(labels: Sequence[int], size: int, seed: int = 0) -> np.ndarray:
    """Indices of a stratified random sample of `size` examples (sorted)."""
    labels = np.asarray(labels)
    if size >= len(labels):
        return np.arange(len(labels))
    sample, _ = train_test_split(np.arange(len(labels)), train_size=size, random_state=seed, stratify=labels)
    return np.sort(sample)


@dataclass
class CVResult:
    """Per-fold accuracies and out-of-fold P(positive) of one model under cross-validation."""

    name: str
    scores: list[float]
    probabilities: np.ndarray
    histories: list[History] = field(default_factory=list)
    chosen: list[dict] = field(default_factory=list)  # the hyperparameters chosen inside each training fold
    labels: np.ndarray | None = None
    val_probabilities: list[np.ndarray] = field(default_factory=list)  # the kept model's, on each validation part

    @property
    def mean(self) -> float:
        return float(np.mean(self.scores))

    @property
    def std(self) -> float:
        """Sample standard deviation (ddof = 1) of the per-fold accuracies."""
        return float(np.std(self.scores, ddof=1))

    @property
    def correct(self) -> np.ndarray:
        """Whether each out-of-fold prediction is right (needs the labels: set by the cross-validation)."""
        return self.predictions == self.labels

    @property
    def predictions(self) -> np.ndarray:
        return (self.probabilities > 0.5).astype(int)

    def __str__(self) -> str:
        return _("{name}: {mean:.3f} (sample std over folds {std:.3f})").format(name=self.name, mean=self.mean,
                                                                               std=self.std)


def _fold_scores(probabilities: np.ndarray, labels: np.ndarray, folds) -> list[float]:
    return [float(np.mean((probabilities[test] > 0.5) == labels[test])) for _, test in folds]


def _take(items, index: np.ndarray):
    return items[index] if isinstance(items, np.ndarray) else [items[i] for i in index]


def cross_validate_rnn(make_model: Callable[[Vocab], nn.Module], texts: Sequence[str], labels: Sequence[int],
                       folds: list[tuple[np.ndarray, np.ndarray]], name: str = "model", min_count: int = 1,
                       val_fraction: float = 0.2, seed: int = 0, device="auto", progress: bool = True,
                       **train_kwargs) -> CVResult:
    """Per fold: vocabulary from the training part, early stopping on a stratified slice of it, test on the fold."""
    labels = np.asarray(labels)
    probabilities = np.full(len(labels), np.nan)
    histories = []
    for k, (train_index, test_index) in enumerate(progress_bar(folds, desc=name, disable=not progress, leave=False)):
        fit_index, val_index = train_test_split(train_index, test_size=val_fraction, random_state=seed + k,
                                                stratify=labels[train_index])
        vocab = build_vocab(_take(texts, fit_index), min_count=min_count)
        with seeded(seed + k):  # each fold's initial weights; the caller's generator is left as it was
            model = make_model(vocab)
        fit, val, test = (encode_dataset(vocab, _take(texts, index), labels[index])
                          for index in (fit_index, val_index, test_index))
        histories.append(train_classifier(model, fit, val, seed=seed + k, device=device, progress=False,
                                          **train_kwargs))
        probabilities[test_index] = predict_proba(model, test, device=device)
    return CVResult(name, _fold_scores(probabilities, labels, folds), probabilities, histories, labels=labels)


def cross_validate_sklearn(estimator, features, labels: Sequence[int], folds: list[tuple[np.ndarray, np.ndarray]],
                           name: str = "model") -> CVResult:
    """Out-of-fold P(positive) of a scikit-learn classifier (a fresh fit per fold) and its accuracy per fold."""
    labels = np.asarray(labels)
    probabilities = cross_val_predict(estimator, features, labels, cv=folds, method="predict_proba")[:, 1]
    return CVResult(name, _fold_scores(probabilities, labels, folds), probabilities, labels=labels)


# --- tuning inside the training folds: the same validation slice and the same budget for every model ---

Split = tuple[np.ndarray, np.ndarray, np.ndarray]  # (fit, validation, test) indices
TRAINING_KEYS = ("lr", "weight_decay", "epochs", "batch_size", "patience")


def validation_splits(labels: Sequence[int], folds: list[tuple[np.ndarray, np.ndarray]], val_fraction: float = 0.2,
                      seed: int = 0) -> list[Split]:
    """Each fold's training part cut into fit and validation (stratified); the test part is left as it is."""
    labels = np.asarray(labels)
    return [(*train_test_split(train, test_size=val_fraction, random_state=seed + k, stratify=labels[train]), test)
            for k, (train, test) in enumerate(folds)]


@dataclass
class FoldChoice:
    """One fold of tune_rnn: the kept model's history and setting, and its P(positive) on validation and test."""

    history: History
    config: dict
    on_val: np.ndarray
    on_test: np.ndarray


def tune_fold(make_model: Callable[..., nn.Module], texts: Sequence[str], labels: np.ndarray, split: Split,
              grid: list[dict], k: int, min_count: int = 1, seed: int = 0, device="auto",
              **train_kwargs) -> FoldChoice:
    """Fold k: train one model per grid point on the fit part (early stopping on the validation part), keep the one
    with the best monitored validation number, and read its P(positive) on the validation and the test part."""
    fit_index, val_index, test_index = split
    vocab = build_vocab(_take(texts, fit_index), min_count=min_count)  # from the fit part only
    fit, val, test = (encode_dataset(vocab, _take(texts, index), labels[index])
                      for index in (fit_index, val_index, test_index))
    monitor = train_kwargs.get("monitor", "val_loss")
    best = (-math.inf, None, None, None)
    for config in grid:
        training = {key: v for key, v in config.items() if key in TRAINING_KEYS}
        with seeded(seed + k):
            model = make_model(vocab, **{key: v for key, v in config.items() if key not in TRAINING_KEYS})
        history = train_classifier(model, fit, val, seed=seed + k, device=device, progress=False,
                                   **{**train_kwargs, **training})
        score = _monitor_sign(monitor) * best_validation(history, monitor)  # larger is better
        if score > best[0]:
            best = (score, model, history, config)
    _, model, history, config = best
    return FoldChoice(history, config, predict_proba(model, val, device=device),
                      predict_proba(model, test, device=device))


def tune_rnn(make_model: Callable[..., nn.Module], texts: Sequence[str], labels: Sequence[int], splits: list[Split],
             grid: list[dict], name: str = "model", min_count: int = 1, seed: int = 0, device="auto",
             **train_kwargs) -> CVResult:
    """tune_fold on every fold, then the kept models' test answers scored fold by fold (train_kwargs' `monitor`
    picks the setting: lowest validation loss by default). Grid keys lr/weight_decay go to training, the rest to
    make_model(vocab, **rest)."""
    labels = np.asarray(labels)
    choices = [tune_fold(make_model, texts, labels, split, grid, k, min_count, seed, device, **train_kwargs)
               for k, split in enumerate(splits)]
    return _cv_result(name, labels, splits, choices)


def _cv_result(name: str, labels: np.ndarray, splits: list[Split], choices: list[FoldChoice]) -> CVResult:
    """The CVResult of one model from its FoldChoice per fold."""
    probabilities = np.full(len(labels), np.nan)
    for (_fit, _val, test_index), choice in zip(splits, choices):
        probabilities[test_index] = choice.on_test
    folds = [(np.concatenate([f, v]), t) for f, v, t in splits]
    return CVResult(name, _fold_scores(probabilities, labels, folds), probabilities, [c.history for c in choices],
                    [c.config for c in choices], labels, [c.on_val for c in choices])


MAX_WORKERS = 4  # tune_rnns' default: one worker process per CPU core, at most this many


def tune_rnns(make_models: dict[str, Callable[..., nn.Module]], texts: Sequence[str], labels: Sequence[int],
              splits: list[Split], grid: list[dict], min_count: int = 1, seed: int = 0, device="auto",
              workers: int | None = None, **train_kwargs) -> dict[str, CVResult]:
    """tune_rnn for several models, with the same numbers; on the CPU their folds run side by side in `workers`
    processes (default: one per CPU core, at most 4), as each training uses one thread. Builders: see `variant`.
    In a script, call it under `if __name__ == "__main__":` (the workers import the script), or pass workers=1."""
    labels = np.asarray(labels)
    workers = checks.positive_int("workers", workers) if workers is not None else min(cpu_cores(), MAX_WORKERS)
    if pick_device(device).type != "cpu" or workers == 1:  # an accelerator runs one training at a time
        return {name: tune_rnn(make, texts, labels, splits, grid, name, min_count, seed, device, **train_kwargs)
                for name, make in make_models.items()}
    settings = {key: v for key, v in grid[0].items() if key not in TRAINING_KEYS}
    size = {name: sum(p.numel() for p in make(build_vocab(["a"]), **settings).parameters())
            for name, make in make_models.items()}
    # the largest models first, so that no process is left alone with a long training at the end
    jobs = sorted(((name, k) for name in make_models for k in range(len(splits))), key=lambda job: -size[job[0]])
    calls = [functools.partial(tune_fold, make_models[name], texts, labels, splits[k], grid, k, min_count, seed, "cpu",
                               **train_kwargs) for name, k in jobs]
    choices = dict(zip(jobs, side_by_side(calls, workers, "tune_rnns")))
    return {name: _cv_result(name, labels, splits, [choices[name, k] for k in range(len(splits))])
            for name in make_models}


def variant(kind: str, bidirectional: bool = False, embed_size: int = 32, hidden_size: int = 32) -> Callable:
    """A builder for tune_rnn (vocabulary and dropout in, TextClassifier out) that worker processes can pickle."""
    return functools.partial(_variant_model, kind=kind, bidirectional=bidirectional, embed_size=embed_size,
                             hidden_size=hidden_size)


def _variant_model(vocab: Vocab, dropout: float = 0.0, **sizes) -> TextClassifier:
    return TextClassifier(len(vocab), dropout=dropout, **sizes)


def cv_table(results: dict[str, CVResult], parameters: dict[str, int]) -> str:
    """A Markdown table of cross-validated results: parameters, accuracy per fold, mean, sample std, settings."""
    rows = [_("| model | parameters (fold 0) | accuracy per fold | mean | sample std | setting chosen per fold |"),
            "|---|---|---|---|---|---|"]
    for name, result in results.items():
        chosen = "; ".join(", ".join(f"{k} {v:g}" for k, v in config.items()) for config in result.chosen)
        rows.append(f"| {name} | {parameters[name]:,} | {', '.join(f'{s:.3f}' for s in result.scores)} | "
                    f"{result.mean:.3f} | {result.std:.3f} | {chosen} |")
    return "\n".join(rows)


def calibrate(result: CVResult, splits: list[Split]) -> np.ndarray:
    """Platt scaling per fold: a logistic regression on the logit, fitted on the validation part, applied to the test
    fold. Returns the calibrated out-of-fold P(positive)."""
    from sklearn.linear_model import LogisticRegression

    def logit(p: np.ndarray) -> np.ndarray:
        p = np.clip(p, 1e-6, 1 - 1e-6)
        return np.log(p / (1 - p))[:, None]

    calibrated = np.full(len(result.probabilities), np.nan)
    for (_fit, val_index, test_index), on_val in zip(splits, result.val_probabilities):
        scaler = LogisticRegression(C=1e4).fit(logit(on_val), result.labels[val_index])
        calibrated[test_index] = scaler.predict_proba(logit(result.probabilities[test_index]))[:, 1]
    return calibrated


def tune_sklearn(make_estimator: Callable[..., object], features, labels: Sequence[int], splits: list[Split],
                 grid: list[dict], name: str = "model", monitor: str = "val_loss") -> CVResult:
    """Per fold: fit one estimator per grid point on the fit part, keep the one with the lowest validation
    log-loss (or, with monitor='val_accuracy', the highest validation accuracy; first one on ties), test it on the
    fold (the same fit/validation sentences as tune_rnn)."""
    from sklearn.metrics import log_loss

    sign = _monitor_sign(monitor)

    labels = np.asarray(labels)
    probabilities, chosen = np.full(len(labels), np.nan), []
    for fit_index, val_index, test_index in splits:
        fitted = [make_estimator(**config).fit(_take(features, fit_index), labels[fit_index]) for config in grid]
        on_val = [model.predict_proba(_take(features, val_index))[:, 1] for model in fitted]
        scores = [-log_loss(labels[val_index], p, labels=[0, 1]) if sign < 0
                  else float(np.mean((p > 0.5) == labels[val_index])) for p in on_val]
        best = int(np.argmax(scores))
        chosen.append(grid[best])
        probabilities[test_index] = fitted[best].predict_proba(_take(features, test_index))[:, 1]
    folds = [(np.concatenate([f, v]), t) for f, v, t in splits]
    return CVResult(name, _fold_scores(probabilities, labels, folds), probabilities, chosen=chosen, labels=labels)


# --- baselines (scikit-learn) ---

C_GRID = np.logspace(-4, 2, 13)  # regularisation strengths that LogisticRegressionCV tries (smaller = stronger)


def tuned_logreg(cv: int = 5):
    """Logistic regression whose C is chosen by an inner `cv`-fold cross-validation on log-loss."""
    options = {"Cs": C_GRID, "cv": cv, "scoring": "neg_log_loss", "solver": "liblinear", "max_iter": 5000}
    if "use_legacy_attributes" in inspect.signature(LogisticRegressionCV).parameters:  # scikit-learn >= 1.8
        options.update(l1_ratios=(0.0,), use_legacy_attributes=False)
    return LogisticRegressionCV(**options)


def _vectorizer(kind, ngram_range: tuple[int, int], min_df: int):
    return kind(tokenizer=tokenize, lowercase=False, token_pattern=None, ngram_range=ngram_range, min_df=min_df)


def tfidf_logreg(ngram_range: tuple[int, int] = (1, 1), min_df: int = 1):
    """Bag of words: TF-IDF of the same tokens as the RNNs -> logistic regression with C tuned inside each fold."""
    return make_pipeline(_vectorizer(TfidfVectorizer, ngram_range, min_df), tuned_logreg())


def naive_bayes(ngram_range: tuple[int, int] = (1, 1), alpha: float = 1.0):
    """Bag of words: word counts -> multinomial Naive Bayes with add-`alpha` smoothing."""
    return make_pipeline(_vectorizer(CountVectorizer, ngram_range, 1), MultinomialNB(alpha=alpha))


def logreg_tfidf(C: float = 1.0, ngram_range: tuple[int, int] = (1, 1), min_df: int = 1):
    """Bag of words: TF-IDF of the same tokens as the RNNs -> logistic regression with a given C."""
    from sklearn.linear_model import LogisticRegression

    return make_pipeline(_vectorizer(TfidfVectorizer, ngram_range, min_df), LogisticRegression(C=C, max_iter=2000))


def logreg_features(C: float = 1.0):
    """Logistic regression with a given C on standardised dense features (sentence embeddings)."""
    from sklearn.linear_model import LogisticRegression

    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000))


def feature_logreg():
    """Logistic regression on standardised dense features (averaged word vectors, sentence embeddings), C tuned."""
    return make_pipeline(StandardScaler(), tuned_logreg())


def chosen_C(pipeline) -> float:
    """The C that a fitted pipeline's LogisticRegressionCV chose."""
    return float(np.ravel(pipeline[-1].C_)[0])


def average_vectors(texts: Sequence[str], vectors) -> np.ndarray:
    """Mean word vector of each sentence over the words `vectors` knows (zeros if it knows none)."""
    features = np.zeros((len(texts), vectors.vector_size), dtype=np.float32)
    for row, text in enumerate(checks.texts("texts", texts)):
        known = [w for w in tokenize(text) if w in vectors.key_to_index]
        if known:
            features[row] = vectors.get_mean_vector(known, pre_normalize=False)
    return features
