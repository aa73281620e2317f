"""Character-level language models (RNN, LSTM, GRU): data, training with truncated BPTT, evaluation, sampling.

The models are the course's one recurrent backbone (helpers.recurrent.Recurrent) plus a linear head.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterator

import torch
from torch import nn
from torch.nn import functional as F

from helpers import checks
from helpers.device import progress as progress_bar
from helpers.device import run_on, seeded
from helpers.history import History
from helpers.recurrent import KINDS, Recurrent, State, check_kind, count_parameters, detach_state
from helpers.training import optimizer_step
from helpers.vocab import Vocab

__all__ = ["KINDS", "CharLM", "Tagger", "State", "check_kind", "count_parameters", "detach_state", "tbptt_step",
           "train_epoch", "fit", "train_char_lm", "evaluate_bpc", "sample", "next_char_probs", "load_char_data",
           "batchify", "windows"]


class CharLM(nn.Module):
    """A character language model: the shared recurrent backbone, then scores for the next character.

    seed: the initial weights (None: from torch's global generator).
    """

    def __init__(self, vocab_size: int, hidden_size: int, kind: str = "lstm", embed_size: int | None = None,
                 num_layers: int = 1, bidirectional: bool = False, seed: int | None = None):
        super().__init__()
        with seeded(seed):
            self.body = Recurrent(vocab_size, hidden_size, kind, embed_size, num_layers, bidirectional)
            self.head = nn.Linear(self.body.output_size, vocab_size)

    @property
    def kind(self) -> str:
        return self.body.kind

    @property
    def vocab_size(self) -> int:
        return self.head.out_features

    def forward(self, tokens: torch.Tensor, state: State = None) -> tuple[torch.Tensor, State]:
        """Scores [batch, steps, vocab] for the next character at every step, and the state after the last step."""
        outputs, state = self.body(tokens, state)  # outputs: [batch, steps, hidden]; state: h, or (h, c) for an LSTM
        return self.head(outputs), state


class Tagger(nn.Module):
    """A character tagger: the shared recurrent backbone, then scores for a label at every character.

    seed: the initial weights (None: from torch's global generator).
    """

    def __init__(self, vocab_size: int, hidden_size: int, num_labels: int = 2, kind: str = "lstm",
                 bidirectional: bool = False, seed: int | None = None):
        super().__init__()
        with seeded(seed):
            self.body = Recurrent(vocab_size, hidden_size, kind, bidirectional=bidirectional)
            self.head = nn.Linear(self.body.output_size, checks.positive_int("num_labels", num_labels))

    @property
    def bidirectional(self) -> bool:
        return self.body.bidirectional

    def forward(self, tokens: torch.Tensor) -> tuple[torch.Tensor, State]:
        """Label scores [batch, steps, num_labels], and the final state."""
        outputs, state = self.body(tokens)
        return self.head(outputs), state


# --- text and vocabulary ---

def char_text(corpus_name: str = "lee", max_chars: int | None = None, lower: bool = True) -> str:
    """Plain text from an offline corpus: 'lee' (news articles as written) or 'wiki'/'toy' (tokens joined)."""
    from gensim.test.utils import datapath

    from helpers.data import load_corpus, read_text

    corpus_name = checks.one_of("corpus", corpus_name, ("lee", "wiki", "toy"))
    if corpus_name == "lee":
        # gensim's Lee background corpus: 300 news articles, one per line, in Latin-1.
        text = read_text(datapath("lee_background.cor"), encoding="latin-1")
    else:
        text = "\n".join(" ".join(tokens) for tokens in load_corpus(corpus_name))
    text = re.sub(r"\s+", " ", text.lower() if lower else text).strip()
    if max_chars is not None:
        text = text[:checks.positive_int("max_chars", max_chars)]
    return text


def split_text(text: str, val_fraction: float = 0.1) -> tuple[str, str]:
    """Split a text into a training part and the validation part that follows it (no shuffling)."""
    checks.fraction("val_fraction", val_fraction, low_open=True, high_open=True)
    cut = int(len(text) * (1 - val_fraction))
    if cut < 2 or len(text) - cut < 2:
        raise ValueError(f"text of {len(text)} characters is too short to split with val_fraction={val_fraction}")
    return text[:cut], text[cut:]


def load_char_data(corpus_name: str = "lee", max_chars: int | None = None,
                   val_fraction: float = 0.1) -> tuple[Vocab, torch.Tensor, torch.Tensor]:
    """(vocabulary, training ids, validation ids) for a character language model on an offline text."""
    train, val = split_text(char_text(corpus_name, max_chars), val_fraction)
    # The alphabet comes from the whole text: a closed, tiny set, so no character of the validation part is unknown.
    vocab = Vocab.of_characters(train + val)
    return vocab, vocab.encode(train), vocab.encode(val)


def decode(vocab: Vocab, ids: torch.Tensor | list[int]) -> str:
    """The text spelled by a sequence of character ids."""
    return "".join(vocab.decode(ids))


# --- contiguous batches for truncated back-propagation through time ---

def batchify(ids: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Cut one long id sequence into `batch_size` contiguous streams: shape [batch_size, steps]."""
    checks.positive_int("batch_size", batch_size)
    steps = len(ids) // batch_size
    if steps < 2:
        raise ValueError(f"{len(ids)} ids are too few for {batch_size} streams of at least 2 steps; "
                         "use a smaller batch_size or a longer text")
    return ids[: steps * batch_size].view(batch_size, steps)


def windows(streams: torch.Tensor, seq_len: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Consecutive (input, target) windows of the streams; the target is the input shifted by one step."""
    checks.positive_int("seq_len", seq_len)
    last = streams.shape[1] - 1
    for start in range(0, last, seq_len):
        end = min(start + seq_len, last)
        yield streams[:, start:end], streams[:, start + 1:end + 1]


def spread_sample(ids: torch.Tensor, n_chars: int, pieces: int = 16) -> torch.Tensor:
    """`pieces` equal, evenly spaced stretches of `ids`, `n_chars` in all: a sample from the whole text."""
    pieces, n_chars = checks.positive_int("pieces", pieces), checks.positive_int("n_chars", n_chars)
    length = min(n_chars, len(ids)) // pieces
    if length < 2:
        raise ValueError(f"{n_chars} characters in {pieces} pieces leave fewer than 2 per piece")
    starts = torch.linspace(0, len(ids) - length, pieces).long()
    return torch.cat([ids[start:start + length] for start in starts.tolist()])


# --- training, evaluation and sampling ---

def tbptt_step(model: CharLM, optimizer: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor,
               state: State, clip: float | None = 1.0) -> tuple[float, State]:
    """One step of truncated BPTT on a window: learn from it, and return its loss and the state to carry on."""
    state = detach_state(state)  # keep the values, drop the graph: back-propagation stops at this window's start
    logits, state = model(x, state)
    loss = F.cross_entropy(logits.flatten(0, 1), y.flatten())  # every step predicts the next character
    optimizer_step(optimizer, loss, clip)
    return loss.item(), state


def train_epoch(model: CharLM, optimizer: torch.optim.Optimizer, streams: torch.Tensor, seq_len: int,
                clip: float | None = 1.0) -> list[float]:
    """One epoch of truncated BPTT: walk along the streams window by window, the state carried from each to the next."""
    model.train()
    state, losses = None, []  # None: the first window starts from zeros
    for x, y in windows(streams, seq_len):
        loss, state = tbptt_step(model, optimizer, x, y, state, clip)  # it detaches the state it is given
        losses.append(loss)
    return losses


@torch.no_grad()
def evaluate_bpc(model: CharLM, ids: torch.Tensor, seq_len: int = 100, batch_size: int = 16,
                 device: str | torch.device = "auto") -> float:
    """Bits per character of `model` on `ids`, reading them as contiguous streams with the state carried."""
    with run_on(device, seed=None) as dev:
        model = model.to(dev).eval()
        state, total, count = None, 0.0, 0
        for x, y in windows(batchify(ids, batch_size).to(dev), seq_len):
            logits, state = model(x, state)
            total += F.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="sum").item()
            count += y.numel()
    return total / count / math.log(2)


def fit(model: CharLM, streams: torch.Tensor, val_ids: torch.Tensor, seq_len: int, epochs: int, lr: float,
        clip: float | None = 1.0, eval_streams: int = 16) -> Iterator[tuple[list[float], float]]:
    """The training loop: Adam, then per epoch one pass of truncated BPTT and the validation bpc."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(epochs):
        losses = train_epoch(model, optimizer, streams, seq_len, clip)  # learn: one window per update
        val_bpc = evaluate_bpc(model, val_ids, seq_len, eval_streams, streams.device)  # measure: no updates
        yield losses, val_bpc  # the caller logs the epoch


def train_char_lm(model: CharLM, train_ids: torch.Tensor, val_ids: torch.Tensor, seq_len: int = 100,
                  batch_size: int = 32, epochs: int = 1, lr: float = 3e-3, clip: float | None = 1.0,
                  device: str | torch.device = "auto", progress: bool = True) -> History:
    """Run `fit` on a device; log per epoch the training loss, training and validation bits/char, and time.

    Nothing in it is random (the windows are read in order), so it takes no seed: the model's seed sets the start.

    train_loss is the mean loss (nats) over the epoch's windows, a running mean that includes the model's
    early, worse steps; train_bpc measures the model at the end of the epoch on len(val_ids) training characters
    taken from 16 evenly spaced places (read as 16 streams), as val_bpc measures it on the validation text.
    seconds is the wall-clock time of the epoch (its training and validation); cpu_seconds the CPU time this
    process spent in it (on a CPU, less sensitive to what else the computer runs).
    """
    from helpers.i18n import _  # here, not at the top: the module's other functions use _ as a name

    checks.positive_int("seq_len", seq_len)
    checks.positive_int("epochs", epochs)
    checks.positive_float("lr", lr)
    clip = checks.clip_threshold(clip)
    history = History(unit="epoch")
    eval_streams = min(batch_size, 16)  # each stream starts with an empty memory, so fewer and longer is fairer
    train_sample = spread_sample(train_ids, len(val_ids), eval_streams)
    with run_on(device, seed=None) as dev:
        model = model.to(dev)
        streams = batchify(train_ids, batch_size).to(dev)
        n_windows = math.ceil((streams.shape[1] - 1) / seq_len)
        desc = (_("bidirectional {kind} on {device}") if model.body.bidirectional else
                _("{kind} on {device}")).format(kind=model.kind, device=dev.type)
        bar = progress_bar(total=epochs * n_windows, desc=desc, disable=not progress)
        started, started_cpu = time.perf_counter(), time.process_time()
        for losses, val_bpc in fit(model, streams, val_ids, seq_len, epochs, lr, clip, eval_streams):
            seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - started_cpu
            bar.update(len(losses))
            history.log(train_loss=sum(losses) / len(losses), seconds=seconds, cpu_seconds=cpu_seconds,
                        train_bpc=evaluate_bpc(model, train_sample, seq_len, eval_streams, dev), val_bpc=val_bpc)
            bar.set_postfix(val_bpc=f"{val_bpc:.3f}")
            started, started_cpu = time.perf_counter(), time.process_time()  # the next epoch starts here
        bar.close()
    return history


def unigram_bpc(train_ids: torch.Tensor, val_ids: torch.Tensor, vocab_size: int) -> float:
    """Bits per character of a context-free model that predicts every character by its training frequency."""
    counts = torch.bincount(train_ids, minlength=checks.positive_int("vocab_size", vocab_size)).double() + 1
    log_probs = torch.log2(counts / counts.sum())  # add-one smoothing: an unseen character is not impossible
    return -log_probs[val_ids].mean().item()


def _prompt_ids(vocab: Vocab, prompt: str) -> torch.Tensor:
    return vocab.encode(checks.text("prompt", prompt)).unsqueeze(0)


@torch.no_grad()
def next_char_probs(model: CharLM, vocab: Vocab, prompt: str, temperature: float = 1.0,
                    device: str | torch.device = "auto") -> torch.Tensor:
    """Probabilities of every vocabulary character coming right after `prompt`, at the given temperature."""
    temperature = checks.positive_float("temperature", temperature)  # small: safe and repetitive, large: wild
    with run_on(device, seed=None) as dev:
        model = model.to(dev).eval()
        logits, _ = model(_prompt_ids(vocab, prompt).to(dev))
        return torch.softmax(logits[0, -1].float().cpu() / temperature, dim=-1)


@torch.no_grad()
def sample(model: CharLM, vocab: Vocab, prompt: str, length: int = 200, temperature: float = 1.0,
           device: str | torch.device = "auto", seed: int = 0) -> str:
    """Continue `prompt` by `length` characters drawn one at a time from softmax(scores / temperature)."""
    temperature = checks.positive_float("temperature", temperature)
    length = checks.non_negative_int("length", length)
    ids = _prompt_ids(vocab, prompt)
    generator = torch.Generator().manual_seed(seed)  # on the CPU, so a seed gives the same draws on every device
    with run_on(device, seed=None) as dev:
        model = model.to(dev).eval()
        logits, state = model(ids.to(dev))
        out = []
        for _ in range(length):
            probs = torch.softmax(logits[0, -1].float().cpu() / temperature, dim=-1)
            next_id = torch.multinomial(probs, 1, generator=generator)
            out.append(next_id.item())
            logits, state = model(next_id.view(1, 1).to(dev), state)  # one character in, the state carried
    return prompt + decode(vocab, out)


# --- bidirectional models: cheating as a language model, helpful as a tagger or classifier ---

@torch.no_grad()
def influence_of_one_input(model: CharLM, x: torch.Tensor, t: int) -> torch.Tensor:
    """Per step s, the largest change of the model's outputs at s when only the input character at step t changes."""
    t = checks.int_in_range("t", t, 0, checks.token_ids("x", x).shape[1] - 1)
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


def _random_windows(n: int, seq_len: int, batch_size: int, generator: torch.Generator) -> torch.Tensor:
    """Index matrix [batch_size, seq_len] of random contiguous windows inside range(n)."""
    starts = torch.randint(0, n - seq_len + 1, (batch_size, 1), generator=generator)
    return starts + torch.arange(seq_len)


def train_tagger(model: Tagger, ids: torch.Tensor, labels: torch.Tensor, steps: int = 200, seq_len: int = 64,
                 batch_size: int = 32, lr: float = 1e-2, device: str | torch.device = "auto", seed: int = 0,
                 progress: bool = True) -> History:
    """Train a tagger on random windows of a labelled character stream; log the loss of every step."""
    from helpers.i18n import _

    for name, value in (("steps", steps), ("seq_len", seq_len), ("batch_size", batch_size)):
        checks.positive_int(name, value)
    checks.positive_float("lr", lr)
    if len(ids) != len(labels) or len(ids) < seq_len:
        raise ValueError(f"need one label per id and at least seq_len={seq_len} of them; got {len(ids)} ids, "
                         f"{len(labels)} labels")
    history = History(unit="step")
    with run_on(device, seed) as dev:
        model = model.to(dev).train()
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        generator = torch.Generator().manual_seed(seed)
        desc = _("bidirectional tagger") if model.bidirectional else _("left-to-right tagger")
        for _step in progress_bar(range(steps), desc=desc, disable=not progress):
            index = _random_windows(len(ids), seq_len, batch_size, generator)
            scores, _state = model(ids[index].to(dev))
            loss = F.cross_entropy(scores.flatten(0, 1), labels[index].to(dev).flatten())
            optimizer_step(optimizer, loss)
            history.log(loss=loss.item())
    return history


@torch.no_grad()
def tagging_accuracy(model: Tagger, ids: torch.Tensor, labels: torch.Tensor, seq_len: int = 64,
                     device: str | torch.device = "auto") -> float:
    """Share of characters whose label the tagger gets right, reading consecutive windows of seq_len."""
    usable = len(ids) // checks.positive_int("seq_len", seq_len) * seq_len
    if usable == 0:
        raise ValueError(f"need at least seq_len={seq_len} characters, got {len(ids)}")
    with run_on(device, seed=None) as dev:
        model = model.to(dev).eval()
        scores, _ = model(ids[:usable].view(-1, seq_len).to(dev))
    return (scores.argmax(-1).cpu() == labels[:usable].view(-1, seq_len)).float().mean().item()


# --- time per training step on the CPU ---

def step_cpu_ms(kind: str, vocab_size: int, onednn: bool = True, hidden_size: int = 128, embed_size: int = 32,
                batch_size: int = 32, seq_len: int = 64, repeats: int = 7) -> float:
    """Median CPU milliseconds of one tbptt_step of a fresh CharLM on one CPU thread, with oneDNN on or off."""
    import warnings

    from helpers.device import one_cpu_thread

    repeats = checks.positive_int("repeats", repeats)
    model = CharLM(vocab_size, hidden_size, kind, embed_size=embed_size, seed=0)
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
    generator = torch.Generator().manual_seed(0)
    x, y = torch.randint(0, vocab_size, (2, batch_size, seq_len), generator=generator)
    times = []
    with one_cpu_thread(torch.device("cpu")), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a notice some builds print whenever the oneDNN flags are set
        with torch.backends.mkldnn.flags(enabled=onednn):
            for _ in range(repeats + 1):  # the first step warms up and is not counted
                started = time.process_time()
                tbptt_step(model, optimizer, x, y, None)
                times.append(time.process_time() - started)
    return 1000 * sorted(times[1:])[repeats // 2]
