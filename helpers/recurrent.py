"""The one recurrent backbone of the course: token ids -> embedding -> RNN, LSTM or GRU.

The character language model and tagger (helpers.rnn), the long-range classifier (helpers.gradients) and the
sentence classifier (helpers.classify) are each this backbone plus a small linear head. What differs between
the three kinds (PyTorch layer, gate blocks, state layout) is written once, in RecurrentKind; no other module
compares kind names or knows the gate order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from helpers import checks

# The recurrent state: one tensor h for RNN and GRU, a pair (h, c) for the LSTM; None means "start from zeros".
State = torch.Tensor | tuple[torch.Tensor, torch.Tensor] | None


@dataclass(frozen=True)
class RecurrentKind:
    """Everything the course needs to know about one kind of recurrent layer, in one place."""

    name: str
    layer: type[nn.RNNBase]  # the PyTorch layer
    blocks: tuple[str, ...]  # the blocks stacked in weight_ih, weight_hh and the biases, in PyTorch's order
    memory_gate: str | None = None  # the gate that keeps the old state (LSTM: forget, GRU: update); None: no gates
    has_cell: bool = False  # True: the state is a pair (h, c), hidden and cell; False: h alone

    @property
    def gated(self) -> bool:
        """True for the LSTM and the GRU, whose gates decide how much of the old state is kept."""
        return self.memory_gate is not None

    def block(self, name: str, hidden_size: int) -> slice:
        """The rows of one block (e.g. the LSTM's 'forget' gate) in the stacked weights and biases."""
        index = self.blocks.index(checks.one_of("gate", name, self.blocks))
        return slice(index * hidden_size, (index + 1) * hidden_size)

    def split(self, stacked: torch.Tensor) -> dict[str, torch.Tensor]:
        """A stacked pre-activation [..., blocks x hidden] cut into its blocks, by name."""
        return dict(zip(self.blocks, stacked.chunk(len(self.blocks), dim=-1)))


RNN = RecurrentKind("rnn", nn.RNN, blocks=("hidden",))
LSTM = RecurrentKind("lstm", nn.LSTM, blocks=("input", "forget", "cell", "output"), memory_gate="forget",
                     has_cell=True)
GRU = RecurrentKind("gru", nn.GRU, blocks=("reset", "update", "new"), memory_gate="update")
RECURRENT_KINDS = {kind.name: kind for kind in (RNN, LSTM, GRU)}
KINDS = tuple(RECURRENT_KINDS)
NONLINEARITIES = ("tanh", "relu", "linear")


def check_kind(kind: str) -> str:
    """Return the RNN kind in lower case ('rnn', 'lstm' or 'gru')."""
    return checks.one_of("RNN kind", kind, KINDS)


def recurrent_kind(kind: str | nn.Module) -> RecurrentKind:
    """The record of a kind, given its name ('lstm') or a layer of it (an nn.LSTM)."""
    if isinstance(kind, nn.Module):
        found = [record for record in RECURRENT_KINDS.values() if isinstance(kind, record.layer)]
        if not found:
            raise TypeError(f"{type(kind).__name__} is not one of the course's recurrent layers "
                            f"({', '.join(record.layer.__name__ for record in RECURRENT_KINDS.values())})")
        return found[0]
    return RECURRENT_KINDS[check_kind(kind)]


class ElmanRNN(nn.Module):
    """One recurrent layer written out step by step: h_t = f(W_hh h_{t-1} + W_ih x_t + b) (+ h_{t-1} if residual).

    Hand-written on purpose: nn.RNN offers neither a linear (identity) nonlinearity nor a residual connection,
    which notebook 04 needs to compare with the theory. It keeps nn.RNN's parameter names and call signature,
    so Recurrent uses it in place of nn.RNN for those two variants.
    """

    batch_first = True
    bidirectional = False
    num_layers = 1

    def __init__(self, input_size: int, hidden_size: int, nonlinearity: str = "tanh", residual: bool = False):
        super().__init__()
        self.nonlinearity = checks.one_of("nonlinearity", nonlinearity, NONLINEARITIES)
        self.hidden_size = checks.positive_int("hidden_size", hidden_size)
        self.residual = bool(residual)
        bound = 1 / math.sqrt(self.hidden_size)  # nn.RNN's default initialisation
        self.weight_ih_l0 = nn.Parameter(torch.empty(hidden_size, input_size).uniform_(-bound, bound))
        self.weight_hh_l0 = nn.Parameter(torch.empty(hidden_size, hidden_size).uniform_(-bound, bound))
        self.bias_hh_l0 = nn.Parameter(torch.zeros(hidden_size))

    def _f(self, z: torch.Tensor) -> torch.Tensor:
        return {"tanh": torch.tanh, "relu": torch.relu, "linear": lambda v: v}[self.nonlinearity](z)

    def forward(self, x: torch.Tensor, h0: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Outputs [batch, steps, hidden] and the last state [1, batch, hidden], like nn.RNN(batch_first=True)."""
        h = x.new_zeros(x.shape[0], self.hidden_size) if h0 is None else h0[0]
        outputs = []
        for t in range(x.shape[1]):
            step = self._f(h @ self.weight_hh_l0.T + x[:, t] @ self.weight_ih_l0.T + self.bias_hh_l0)
            h = h + step if self.residual else step
            outputs.append(h)
        return torch.stack(outputs, dim=1), h.unsqueeze(0)


class Recurrent(nn.Module):
    """Embedding, then a (bi)directional, possibly stacked RNN, LSTM or GRU, batch first.

    For kind='rnn' only: nonlinearity 'relu' (nn.RNN's other option), or 'linear' or residual=True (one layer,
    one direction), which use the hand-written ElmanRNN.
    """

    def __init__(self, vocab_size: int, hidden_size: int, kind: str = "lstm", embed_size: int | None = None,
                 num_layers: int = 1, bidirectional: bool = False, dropout: float = 0.0,
                 padding_idx: int | None = None, nonlinearity: str = "tanh", residual: bool = False):
        super().__init__()
        self.spec = recurrent_kind(kind)
        self.kind = self.spec.name
        self.hidden_size = checks.positive_int("hidden_size", hidden_size)
        self.embed_size = checks.positive_int("embed_size", embed_size if embed_size is not None else hidden_size)
        self.num_layers = checks.positive_int("num_layers", num_layers)
        self.bidirectional = bool(bidirectional)
        checks.fraction("dropout", dropout, high_open=True)
        nonlinearity = checks.one_of("nonlinearity", nonlinearity, NONLINEARITIES)
        if self.spec.gated and (nonlinearity != "tanh" or residual):
            raise ValueError("nonlinearity and residual apply to kind='rnn' only (LSTM and GRU have fixed gates)")
        self.embed = nn.Embedding(checks.positive_int("vocab_size", vocab_size), self.embed_size,
                                  padding_idx=padding_idx)
        if nonlinearity == "linear" or residual:
            if self.num_layers > 1 or self.bidirectional:
                raise ValueError("a linear or residual RNN (the hand-written ElmanRNN) has one layer, one direction")
            self.rnn = ElmanRNN(self.embed_size, self.hidden_size, nonlinearity, residual)
        else:
            options = {"nonlinearity": nonlinearity} if nonlinearity != "tanh" else {}  # nn.RNN's default: tanh
            self.rnn = self.spec.layer(self.embed_size, self.hidden_size, num_layers=self.num_layers,
                                       batch_first=True, bidirectional=self.bidirectional,
                                       dropout=dropout if self.num_layers > 1 else 0.0, **options)

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


def hidden_state(state: State) -> torch.Tensor:
    """The hidden state h [layers x directions, batch, hidden] of a state; for an LSTM, h of the pair (h, c)."""
    return state[0] if isinstance(state, tuple) else state


def final_hidden(state: State, bidirectional: bool = False) -> torch.Tensor:
    """The last layer's final hidden state [batch, hidden (x2 if bidirectional)]; for an LSTM, h of (h, c)."""
    hidden = hidden_state(state)
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
