"""Character-level language models (RNN, LSTM, GRU): data, training with truncated BPTT, evaluation, sampling."""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from typing import Iterator, Union

import torch
from torch import nn
from tqdm.auto import tqdm

from helpers.device import pick_device

KINDS = ("rnn", "lstm", "gru")
_LAYERS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}

# The recurrent state: one tensor h for RNN and GRU, a pair (h, c) for the LSTM; None means "start from zeros".
State = Union[torch.Tensor, tuple[torch.Tensor, torch.Tensor], None]


def _positive_int(name: str, value: object) -> int:
    """Return `value` if it is an integer >= 1, else raise a message that says what is allowed."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer >= 1, not {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value}")
    return value


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
        self.vocab_size = _positive_int("vocab_size", vocab_size)
        self.hidden_size = _positive_int("hidden_size", hidden_size)
        self.num_layers = _positive_int("num_layers", num_layers)
        self.embed_size = _positive_int("embed_size", embed_size if embed_size is not None else hidden_size)
        self.kind = check_kind(kind)
        self.bidirectional = bool(bidirectional)
        self.embed = nn.Embedding(self.vocab_size, self.embed_size)
        self.rnn = _LAYERS[self.kind](self.embed_size, self.hidden_size, num_layers=self.num_layers,
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
