"""The one recurrent backbone of the course: token ids -> embedding -> RNN, LSTM or GRU.

The character language model and tagger (helpers.rnn), the long-range classifier (helpers.gradients) and the
sentence classifier (helpers.classify) are each this backbone plus a small linear head.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from helpers import checks

KINDS = ("rnn", "lstm", "gru")
LAYERS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}

# The recurrent state: one tensor h for RNN and GRU, a pair (h, c) for the LSTM; None means "start from zeros".
State = torch.Tensor | tuple[torch.Tensor, torch.Tensor] | None


def check_kind(kind: str) -> str:
    """Return the RNN kind in lower case ('rnn', 'lstm' or 'gru')."""
    return checks.one_of("RNN kind", kind, KINDS)


class Recurrent(nn.Module):
    """Embedding, then a (bi)directional, possibly stacked RNN, LSTM or GRU, batch first."""

    def __init__(self, vocab_size: int, hidden_size: int, kind: str = "lstm", embed_size: int | None = None,
                 num_layers: int = 1, bidirectional: bool = False, dropout: float = 0.0,
                 padding_idx: int | None = None):
        super().__init__()
        self.kind = check_kind(kind)
        self.hidden_size = checks.positive_int("hidden_size", hidden_size)
        self.embed_size = checks.positive_int("embed_size", embed_size if embed_size is not None else hidden_size)
        self.num_layers = checks.positive_int("num_layers", num_layers)
        self.bidirectional = bool(bidirectional)
        checks.fraction("dropout", dropout, high_open=True)
        self.embed = nn.Embedding(checks.positive_int("vocab_size", vocab_size), self.embed_size,
                                  padding_idx=padding_idx)
        self.rnn = LAYERS[self.kind](self.embed_size, self.hidden_size, num_layers=self.num_layers,
                                     batch_first=True, bidirectional=self.bidirectional,
                                     dropout=dropout if self.num_layers > 1 else 0.0)

    @property
    def output_size(self) -> int:
        """Width of each step's output: hidden_size, doubled when bidirectional."""
        return self.hidden_size * (2 if self.bidirectional else 1)

    def forward(self, tokens: torch.Tensor, state: State = None,
                lengths: torch.Tensor | None = None) -> tuple[torch.Tensor, State]:
        """Outputs [batch, steps, output_size] and the final state; with `lengths`, padding is skipped."""
        embedded = self.embed(checks.token_ids("tokens", tokens))
        if lengths is None:
            return self.rnn(embedded, state)
        # Packing lets the RNN stop at each sequence's real end; the lengths must be on the CPU.
        packed = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True, enforce_sorted=False)
        outputs, state = self.rnn(packed, state)
        outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=tokens.shape[1])
        return outputs, state


def final_hidden(state: State, bidirectional: bool = False) -> torch.Tensor:
    """The last layer's final hidden state [batch, hidden (x2 if bidirectional)]; for an LSTM, h of (h, c)."""
    hidden = state[0] if isinstance(state, tuple) else state
    if bidirectional:  # the last two rows: forward read left to right, backward read right to left
        return torch.cat([hidden[-2], hidden[-1]], dim=1)
    return hidden[-1]


def detach_state(state: State) -> State:
    """Keep the state's values but cut the graph behind them, so back-propagation stops here."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
