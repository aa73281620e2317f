"""Character-level language models (RNN, LSTM, GRU): data, training with truncated BPTT, evaluation, sampling."""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from typing import Iterator, Union

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from helpers.device import pick_device

KINDS = ("rnn", "lstm", "gru")
# Redraw progress bars at most once a second: in a notebook every redraw is a widget message, and thousands of them
# during one long cell can overflow the kernel's message queue (nbval then times out waiting for the cell's end).
PROGRESS_INTERVAL = 1.0
RNN_LAYERS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}

# The recurrent state: one tensor h for RNN and GRU, a pair (h, c) for the LSTM; None means "start from zeros".
State = Union[torch.Tensor, tuple[torch.Tensor, torch.Tensor], None]


def positive_int(name: str, value: object) -> int:
    """Return `value` as an int if it is an integer >= 1, else raise an error that says what is allowed."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer >= 1, not {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value}")
    return int(value)


def check_kind(kind: str) -> str:
    """Return the RNN kind in lower case, or raise ValueError listing the valid kinds."""
    key = kind.strip().lower() if isinstance(kind, str) else kind
    if key not in KINDS:
        raise ValueError(f"unknown RNN kind {kind!r}: choose one of {list(KINDS)}")
    return key


class CharRNN(nn.Module):
    """Embedding -> RNN/LSTM/GRU -> linear scores for the next character at every step."""

    def __init__(self, vocab_size: int, hidden_size: int, kind: str = "lstm", num_layers: int = 1,
                 embed_size: int | None = None, bidirectional: bool = False):
        super().__init__()
        self.vocab_size = positive_int("vocab_size", vocab_size)
        self.hidden_size = positive_int("hidden_size", hidden_size)
        self.num_layers = positive_int("num_layers", num_layers)
        self.embed_size = positive_int("embed_size", embed_size if embed_size is not None else hidden_size)
        self.kind = check_kind(kind)
        self.bidirectional = bool(bidirectional)
        self.embed = nn.Embedding(self.vocab_size, self.embed_size)
        self.rnn = RNN_LAYERS[self.kind](self.embed_size, self.hidden_size, num_layers=self.num_layers,
                                      batch_first=True, bidirectional=self.bidirectional)
        self.head = nn.Linear(self.hidden_size * (2 if self.bidirectional else 1), self.vocab_size)

    def forward(self, x: torch.Tensor, state: State = None) -> tuple[torch.Tensor, State]:
        """Scores [batch, steps, vocab] for the next character, and the state after the last step."""
        if x.dim() != 2 or x.dtype not in (torch.int64, torch.int32):
            raise ValueError(f"x must be an integer tensor of shape [batch, steps], got {x.dtype} {tuple(x.shape)}")
        outputs, state = self.rnn(self.embed(x), state)
        return self.head(outputs), state


def detach_state(state: State) -> State:
    """Cut the graph behind the state, so that back-propagation stops at the window boundary."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


# --- text and vocabulary ---

def char_text(corpus_name: str = "lee", max_chars: int | None = None, lower: bool = True) -> str:
    """Plain text from an offline corpus: 'lee' (news articles as written) or 'wiki'/'toy' (tokens joined)."""
    from gensim.test.utils import datapath

    from helpers.data import load_corpus, read_text

    if corpus_name == "lee":
        # gensim's Lee background corpus: 300 news articles, one per line, in Latin-1.
        text = read_text(datapath("lee_background.cor"), encoding="latin-1")
    elif corpus_name in ("wiki", "toy"):
        text = "\n".join(" ".join(tokens) for tokens in load_corpus(corpus_name))
    else:
        raise ValueError(f"unknown corpus {corpus_name!r} for character text: choose 'lee', 'wiki' or 'toy'")
    text = re.sub(r"\s+", " ", text.lower() if lower else text).strip()
    if max_chars is not None:
        text = text[:positive_int("max_chars", max_chars)]
    return text


def split_text(text: str, val_fraction: float = 0.1) -> tuple[str, str]:
    """Split a text into a training part and the validation part that follows it (no shuffling)."""
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be between 0 and 1 (exclusive), got {val_fraction}")
    cut = int(len(text) * (1 - val_fraction))
    if cut < 2 or len(text) - cut < 2:
        raise ValueError(f"text of {len(text)} characters is too short to split with val_fraction={val_fraction}")
    return text[:cut], text[cut:]


class CharVocab:
    """A fixed character alphabet: encode text to ids and decode ids back to text."""

    def __init__(self, chars: list[str]):
        if not chars:
            raise ValueError("a vocabulary needs at least one character; the text was empty")
        if len(set(chars)) != len(chars) or any(len(ch) != 1 for ch in chars):
            raise ValueError("chars must be distinct single characters")
        self.chars = list(chars)
        self.index = {ch: i for i, ch in enumerate(self.chars)}

    @classmethod
    def from_text(cls, text: str) -> "CharVocab":
        """Every character of `text`, most frequent first (ties in alphabetical order)."""
        counts = Counter(text)
        return cls(sorted(counts, key=lambda ch: (-counts[ch], ch)))

    def __len__(self) -> int:
        return len(self.chars)

    def __contains__(self, ch: str) -> bool:
        return ch in self.index

    def encode(self, text: str, errors: str = "strict") -> torch.Tensor:
        """Ids of the characters of `text`; unknown characters raise ('strict') or are dropped ('skip')."""
        if errors not in ("strict", "skip"):
            raise ValueError(f"errors must be 'strict' or 'skip', got {errors!r}")
        unknown = sorted(set(text) - self.index.keys())
        if unknown and errors == "strict":
            raise ValueError(f"characters not in the vocabulary: {unknown}; use errors='skip' to drop them, "
                             f"or build the vocabulary from a text that has them")
        return torch.tensor([self.index[ch] for ch in text if ch in self.index], dtype=torch.long)

    def decode(self, ids: torch.Tensor | list[int]) -> str:
        """The text spelled by a sequence of ids."""
        ids = ids.tolist() if isinstance(ids, torch.Tensor) else list(ids)
        bad = [i for i in ids if not 0 <= i < len(self.chars)]
        if bad:
            raise ValueError(f"ids {bad[:5]} are outside the vocabulary (0..{len(self.chars) - 1})")
        return "".join(self.chars[i] for i in ids)


def load_char_data(corpus_name: str = "lee", max_chars: int | None = None,
                   val_fraction: float = 0.1) -> tuple[CharVocab, torch.Tensor, torch.Tensor]:
    """(vocabulary, training ids, validation ids) for a character language model on an offline text."""
    train, val = split_text(char_text(corpus_name, max_chars), val_fraction)
    # The alphabet comes from the whole text: a closed, tiny set, so no character of the validation part is unknown.
    vocab = CharVocab.from_text(train + val)
    return vocab, vocab.encode(train), vocab.encode(val)


# --- contiguous batches for truncated back-propagation through time ---

def batchify(ids: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Cut one long id sequence into `batch_size` contiguous streams: shape [batch_size, steps]."""
    positive_int("batch_size", batch_size)
    steps = len(ids) // batch_size
    if steps < 2:
        raise ValueError(f"{len(ids)} ids are too few for {batch_size} streams of at least 2 steps; "
                         "use a smaller batch_size or a longer text")
    return ids[: steps * batch_size].view(batch_size, steps)


def windows(streams: torch.Tensor, seq_len: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Consecutive (input, target) windows of the streams; the target is the input shifted by one step."""
    positive_int("seq_len", seq_len)
    last = streams.shape[1] - 1
    for start in range(0, last, seq_len):
        end = min(start + seq_len, last)
        yield streams[:, start:end], streams[:, start + 1:end + 1]


# --- training, evaluation and sampling ---

@torch.no_grad()
def evaluate_bpc(model: CharRNN, ids: torch.Tensor, seq_len: int = 100, batch_size: int = 16,
                 device: str | torch.device = "auto") -> float:
    """Bits per character of `model` on `ids`, reading them as contiguous streams with the state carried."""
    device = pick_device(device)
    model = model.to(device).eval()
    state, total, count = None, 0.0, 0
    for x, y in windows(batchify(ids, batch_size).to(device), seq_len):
        logits, state = model(x, state)
        total += nn.functional.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="sum").item()
        count += y.numel()
    return total / count / math.log(2)


def train_char_lm(model: CharRNN, train_ids: torch.Tensor, val_ids: torch.Tensor, seq_len: int = 100,
                  batch_size: int = 32, epochs: int = 1, lr: float = 3e-3, clip: float | None = 1.0,
                  device: str | torch.device = "auto", progress: bool = True) -> dict[str, list[float]]:
    """Train with truncated BPTT; return per-epoch training loss (nats), validation bits/char and seconds."""
    positive_int("seq_len", seq_len)
    positive_int("epochs", epochs)
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    if clip is not None and not clip > 0:
        raise ValueError(f"clip must be a positive gradient-norm threshold, or None for no clipping; got {clip}")
    device = pick_device(device)
    model = model.to(device)
    streams = batchify(train_ids, batch_size).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history: dict[str, list[float]] = {"epoch": [], "train_loss": [], "val_bpc": [], "seconds": []}
    n_windows = math.ceil((streams.shape[1] - 1) / seq_len)
    bar = tqdm(total=epochs * n_windows, desc=f"{model.kind} on {device.type}", disable=not progress,
               mininterval=PROGRESS_INTERVAL)
    for epoch in range(1, epochs + 1):
        started, state, losses = time.perf_counter(), None, []
        model.train()
        for x, y in windows(streams, seq_len):
            state = detach_state(state)  # keep the values, forget how they were computed
            logits, state = model(x, state)
            loss = nn.functional.cross_entropy(logits.flatten(0, 1), y.flatten())
            optimizer.zero_grad()
            loss.backward()
            if clip is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            losses.append(loss.item())
            bar.update()
        history["epoch"].append(epoch)
        history["train_loss"].append(sum(losses) / len(losses))
        history["seconds"].append(time.perf_counter() - started)
        # Validation reads at most 16 streams: each stream starts with an empty memory, so fewer and longer is fairer.
        history["val_bpc"].append(evaluate_bpc(model, val_ids, seq_len, batch_size=min(batch_size, 16), device=device))
        bar.set_postfix(val_bpc=f"{history['val_bpc'][-1]:.3f}")
    bar.close()
    return history


def unigram_bpc(train_ids: torch.Tensor, val_ids: torch.Tensor, vocab_size: int) -> float:
    """Bits per character of a context-free model that predicts every character by its training frequency."""
    counts = torch.bincount(train_ids, minlength=positive_int("vocab_size", vocab_size)).double() + 1  # add-one
    log_probs = torch.log2(counts / counts.sum())
    return -log_probs[val_ids].mean().item()


@torch.no_grad()
def next_char_probs(model: CharRNN, vocab: CharVocab, prompt: str, temperature: float = 1.0,
                    device: str | torch.device = "auto") -> torch.Tensor:
    """Probabilities of every vocabulary character coming right after `prompt`, at the given temperature."""
    _check_temperature(temperature)
    if not prompt:
        raise ValueError("prompt must have at least one character to start from")
    device = pick_device(device)
    model = model.to(device).eval()
    logits, _ = model(vocab.encode(prompt).unsqueeze(0).to(device))
    return torch.softmax(logits[0, -1].float().cpu() / temperature, dim=-1)


def _check_temperature(temperature: float) -> None:
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not temperature > 0:
        raise ValueError(f"temperature must be a number > 0 (small: safe and repetitive, large: wild), "
                         f"got {temperature}")


@torch.no_grad()
def sample(model: CharRNN, vocab: CharVocab, prompt: str, length: int = 200, temperature: float = 1.0,
           device: str | torch.device = "auto", seed: int = 0) -> str:
    """Continue `prompt` by `length` characters drawn one at a time from softmax(scores / temperature)."""
    _check_temperature(temperature)
    if isinstance(length, bool) or not isinstance(length, int) or length < 0:
        raise ValueError(f"length must be an integer >= 0, got {length!r}")
    if not prompt:
        raise ValueError("prompt must have at least one character to start from")
    device = pick_device(device)
    model = model.to(device).eval()
    generator = torch.Generator().manual_seed(seed)  # on the CPU, so a seed gives the same text on every device
    logits, state = model(vocab.encode(prompt).unsqueeze(0).to(device))
    out = []
    for _ in range(length):
        probs = torch.softmax(logits[0, -1].float().cpu() / temperature, dim=-1)
        next_id = torch.multinomial(probs, 1, generator=generator)
        out.append(next_id.item())
        logits, state = model(next_id.view(1, 1).to(device), state)
    return prompt + vocab.decode(out)


# --- bidirectional models: cheating as a language model, helpful as a tagger or classifier ---

@torch.no_grad()
def influence_of_one_input(model: nn.Module, x: torch.Tensor, t: int) -> torch.Tensor:
    """Per step s, the largest change of the model's outputs at s when only the input character at step t changes."""
    if x.dim() != 2 or not 0 <= t < x.shape[1]:
        raise ValueError(f"x must be [batch, steps] and t a step of it (0 <= t < {x.shape[-1]}), got t={t}")
    model.eval()
    changed = x.clone()
    changed[:, t] = (x[:, t] + 1) % model.vocab_size  # another character at step t, the rest unchanged
    before, after = model(x)[0], model(changed)[0]
    return (before - after).abs().amax(dim=(0, 2)).cpu()


def segmentation_data(text: str) -> tuple[str, torch.Tensor]:
    """The text with its spaces removed, and per remaining character the label 1 if a word ends there, else 0."""
    words = text.split()
    if not words:
        raise ValueError("the text has no words to segment")
    labels = [label for word in words for label in [0] * (len(word) - 1) + [1]]
    return "".join(words), torch.tensor(labels)


class CharTagger(nn.Module):
    """Embedding -> (bi)directional RNN -> scores for a label at every character (e.g. 'a word ends here')."""

    def __init__(self, vocab_size: int, hidden_size: int, num_labels: int = 2, kind: str = "lstm",
                 bidirectional: bool = False):
        super().__init__()
        self.vocab_size = positive_int("vocab_size", vocab_size)
        self.hidden_size = positive_int("hidden_size", hidden_size)
        self.kind, self.bidirectional = check_kind(kind), bool(bidirectional)
        self.embed = nn.Embedding(self.vocab_size, self.hidden_size)
        self.rnn = RNN_LAYERS[self.kind](self.hidden_size, self.hidden_size, batch_first=True,
                                      bidirectional=self.bidirectional)
        directions = 2 if self.bidirectional else 1
        self.head = nn.Linear(self.hidden_size * directions, positive_int("num_labels", num_labels))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, State]:
        """Label scores [batch, steps, num_labels], and the final state."""
        outputs, state = self.rnn(self.embed(x))
        return self.head(outputs), state


def _random_windows(n: int, seq_len: int, batch_size: int, generator: torch.Generator) -> torch.Tensor:
    """Index matrix [batch_size, seq_len] of random contiguous windows inside range(n)."""
    starts = torch.randint(0, n - seq_len + 1, (batch_size, 1), generator=generator)
    return starts + torch.arange(seq_len)


def train_tagger(model: CharTagger, ids: torch.Tensor, labels: torch.Tensor, steps: int = 200, seq_len: int = 64,
                 batch_size: int = 32, lr: float = 1e-2, device: str | torch.device = "auto", seed: int = 0,
                 progress: bool = True) -> list[float]:
    """Train a tagger on random windows of a labelled character stream; return the loss of every step."""
    for name, value in (("steps", steps), ("seq_len", seq_len), ("batch_size", batch_size)):
        positive_int(name, value)
    if len(ids) != len(labels) or len(ids) < seq_len:
        raise ValueError(f"need one label per id and at least seq_len={seq_len} of them; got {len(ids)} ids, "
                         f"{len(labels)} labels")
    device = pick_device(device)
    model = model.to(device).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator, losses = torch.Generator().manual_seed(seed), []
    for _ in tqdm(range(steps), desc=f"{'bi' if model.bidirectional else 'uni'}directional tagger",
                  disable=not progress, mininterval=PROGRESS_INTERVAL):
        index = _random_windows(len(ids), seq_len, batch_size, generator)
        scores, _ = model(ids[index].to(device))
        loss = nn.functional.cross_entropy(scores.flatten(0, 1), labels[index].to(device).flatten())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@torch.no_grad()
def tagging_accuracy(model: CharTagger, ids: torch.Tensor, labels: torch.Tensor, seq_len: int = 64,
                     device: str | torch.device = "auto") -> float:
    """Share of characters whose label the tagger gets right, reading consecutive windows of seq_len."""
    device = pick_device(device)
    model = model.to(device).eval()
    usable = len(ids) // seq_len * seq_len
    if usable == 0:
        raise ValueError(f"need at least seq_len={seq_len} characters, got {len(ids)}")
    scores, _ = model(ids[:usable].view(-1, seq_len).to(device))
    return (scores.argmax(-1).cpu() == labels[:usable].view(-1, seq_len)).float().mean().item()
