"""Gradients through time in recurrent networks: per-step norms, spectral radius, clipping, long-range memory."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.nn import functional as F

from helpers import checks
from helpers.device import pick_device, run_on, seeded, side_by_side
from helpers.device import progress as progress_bar
from helpers.history import History
from helpers.i18n import _
from helpers.recurrent import KINDS, LSTM, Recurrent, check_kind, hidden_state, recurrent_kind
from helpers.training import optimizer_step

INITS = ("default", "orthogonal", "identity")
OPTIMIZERS = ("adam", "sgd")
MODEL_KINDS = (*KINDS, "attention")


# --- models ---

@torch.no_grad()
def init_memory_gate(layer: nn.LSTM | nn.GRU, bias: float = 3.0) -> None:
    """Set bias_hh's rows of the LSTM forget gate (GRU update gate); the gate's bias is this plus bias_ih's rows."""
    kind = recurrent_kind(layer)
    if not kind.gated:
        raise ValueError(f"a plain {kind.name.upper()} has no gate that keeps the old state; use an LSTM or a GRU")
    block = kind.block(kind.memory_gate, layer.hidden_size)  # where that gate's rows sit in the stacked biases
    for name, param in layer.named_parameters():
        if name.startswith("bias_hh"):
            param[block] = bias


class SequenceClassifier(nn.Module):
    """The course's Recurrent backbone (embedding -> one RNN/LSTM/GRU layer) + a linear head scoring every step.

    nonlinearity and residual choose the vanilla RNN's variant (see Recurrent); remember_bias starts the LSTM's
    forget gate or the GRU's update gate at that bias (None: PyTorch's default); seed: the initial weights
    (None: from torch's global generator).
    """

    def __init__(self, vocab_size: int, n_classes: int, hidden_size: int = 32, kind: str = "rnn",
                 nonlinearity: str = "tanh", residual: bool = False, embed_size: int = 16,
                 remember_bias: float | None = 3.0, seed: int | None = None):
        super().__init__()
        with seeded(seed):
            self.body = Recurrent(vocab_size, hidden_size, kind, embed_size, nonlinearity=nonlinearity,
                                  residual=residual)
            self.head = nn.Linear(self.body.output_size, checks.positive_int("n_classes", n_classes))
        self.kind = self.body.kind
        if self.body.spec.gated and remember_bias is not None:
            init_memory_gate(self.body.rnn, remember_bias)

    def forward(self, tokens: torch.Tensor, state=None):
        """Scores [batch, steps, classes] and the final recurrent state."""
        outputs, state = self.body(tokens, state)
        return self.head(outputs), state


class AttentionClassifier(nn.Module):
    """Embedding + learned positions -> one attention read-out from the last position -> scores [batch, 1, classes].

    seed: the initial weights (None: from torch's global generator).
    """

    kind = "attention"

    def __init__(self, vocab_size: int, n_classes: int, d_model: int = 16, max_len: int = 512,
                 seed: int | None = None):
        super().__init__()
        d_model = checks.positive_int("d_model", d_model)
        with seeded(seed):
            self.embed = nn.Embedding(checks.positive_int("vocab_size", vocab_size), d_model)
            self.pos = nn.Embedding(checks.positive_int("max_len", max_len), d_model)
            self.attn = nn.MultiheadAttention(d_model, num_heads=1, batch_first=True)
            self.head = nn.Linear(d_model, checks.positive_int("n_classes", n_classes))

    def forward(self, x: torch.Tensor, state=None):
        """Scores for the label, read out at the last position only, and no recurrent state (None)."""
        if x.shape[1] > self.pos.num_embeddings:
            raise ValueError(f"sequence length {x.shape[1]} exceeds max_len {self.pos.num_embeddings}")
        e = self.embed(x) + self.pos(torch.arange(x.shape[1], device=x.device))
        read, _ = self.attn(e[:, -1:], e, e)  # the last position looks at every position directly
        return self.head(read), None


def spectral_radius(weight: torch.Tensor) -> float:
    """Largest absolute eigenvalue of a square matrix."""
    weight = weight.detach()
    if weight.dim() != 2 or weight.shape[0] != weight.shape[1]:
        raise ValueError(f"the spectral radius needs a square matrix, got shape {tuple(weight.shape)}")
    return float(torch.linalg.eigvals(weight.double().cpu()).abs().max())


def recurrent_weight(model: nn.Module | torch.Tensor) -> torch.Tensor:
    """The recurrent matrix W_hh of a vanilla RNN (a SequenceClassifier, an RNN layer, or the matrix itself)."""
    if isinstance(model, torch.Tensor):
        weight = model
    else:
        layer = model.body.rnn if hasattr(model, "body") else model
        weight = getattr(layer, "weight_hh_l0", None)
        if weight is None:
            raise TypeError(f"{type(model).__name__} has no recurrent weight 'weight_hh_l0'")
    if weight.dim() != 2 or weight.shape[0] != weight.shape[1]:
        raise ValueError(f"W_hh has shape {tuple(weight.shape)}: the spectral radius is defined for the vanilla RNN's "
                         "square matrix (LSTM and GRU stack their gates into a 4H x H or 3H x H matrix)")
    return weight


@torch.no_grad()
def set_spectral_radius(model: nn.Module | torch.Tensor, radius: float, orthogonal: bool = True,
                        seed: int = 0) -> float:
    """Set W_hh to a matrix of spectral radius `radius` (a scaled random orthogonal matrix by default); return it."""
    radius = checks.positive_float("radius", radius)
    weight = recurrent_weight(model)
    if orthogonal:  # every eigenvalue of an orthogonal matrix has |lambda| = 1
        nn.init.orthogonal_(weight, generator=torch.Generator().manual_seed(seed))
    weight.mul_(radius / spectral_radius(weight))
    return spectral_radius(weight)


def make_model(kind: str = "rnn", hidden_size: int = 32, nonlinearity: str = "tanh", residual: bool = False,
               init: str = "default", radius: float = 1.0, remember_bias: float | None = 3.0, n_classes: int = 4,
               n_distractors: int = 4, seed: int = 0) -> nn.Module:
    """A seeded model for the first-token task; for the RNN, W_hh 'default' (PyTorch), 'orthogonal' or 'identity'.

    kind='attention' gives the AttentionClassifier (d_model = hidden_size // 2, at least 4).
    """
    kind = checks.one_of("model kind", kind, MODEL_KINDS)
    init = checks.one_of("init", init, INITS)
    vocab = checks.positive_int("n_classes", n_classes) + checks.positive_int("n_distractors", n_distractors)
    seed = checks.non_negative_int("seed", seed)
    if kind == "attention":
        d_model = max(4, checks.positive_int("hidden_size", hidden_size) // 2)
        return AttentionClassifier(vocab, n_classes, d_model=d_model, seed=seed)
    model = SequenceClassifier(vocab, n_classes, hidden_size, kind, nonlinearity, residual,
                               remember_bias=remember_bias, seed=seed)
    if init != "default":
        weight = recurrent_weight(model)
        set_spectral_radius(weight, radius, orthogonal=True, seed=seed)
        if init == "identity":
            with torch.no_grad():
                weight.copy_(radius * torch.eye(weight.shape[0]))
    return model


# --- the quantity the theory talks about ---

def sequence_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Cross-entropy at the last step (targets [batch]) or at every step (targets [batch, steps])."""
    if targets.dim() == 1:
        return F.cross_entropy(logits[:, -1], targets)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def step_gradients(model: SequenceClassifier, inputs: torch.Tensor,
                   targets: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """dL/dh_t for t = 1..T: run the recurrence one step at a time, keep every h_t, ask autograd once."""
    x = model.body.embed(inputs)
    state, kept, logits = None, [], []
    for t in range(inputs.shape[1]):
        _, state = model.body.rnn(x[:, t:t + 1], state)  # this h_t is the very tensor step t+1 reads
        h = hidden_state(state)  # the LSTM's state is (h_t, c_t)
        kept.append(h)
        logits.append(model.head(h[-1]))
    loss = sequence_loss(torch.stack(logits, dim=1), targets)
    return torch.autograd.grad(loss, kept)  # one backward pass gives the gradient at every step


def lstm_gates(layer: nn.LSTM, x: torch.Tensor, h: torch.Tensor) -> dict[str, torch.Tensor]:
    """The pre-activations of a one-layer nn.LSTM's four gates at one step, by name."""
    return LSTM.split(x @ layer.weight_ih_l0.T + layer.bias_ih_l0 + h @ layer.weight_hh_l0.T + layer.bias_hh_l0)


def lstm_step(layer: nn.LSTM, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor,
              through_gates: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """One step of a one-layer nn.LSTM written out (same weights and result), so h_t is computed from c_t itself.

    through_gates=False: the gates read h_{t-1} detached, so the gradient reaches c_{t-1} only along the cell path.
    """
    gate = lstm_gates(layer, x, h if through_gates else h.detach())
    c = torch.sigmoid(gate["forget"]) * c + torch.sigmoid(gate["input"]) * torch.tanh(gate["cell"])
    return torch.sigmoid(gate["output"]) * torch.tanh(c), c


def cell_gradients(model: SequenceClassifier, inputs: torch.Tensor, targets: torch.Tensor,
                   through_gates: bool = True) -> tuple[torch.Tensor, ...]:
    """dL/dc_t for t = 1..T of a one-layer LSTM classifier, along both paths: into h_t and into c_{t+1}.

    nn.LSTM returns c_t as a separate output: its own h_t is not computed from that tensor, so autograd would
    miss the path c_t -> h_t (the same trap as retain_grad on the output sequence). lstm_step avoids it.
    through_gates=False keeps only the cell path c_t -> c_{t+1} (see lstm_step).
    """
    layer, x = model.body.rnn, model.body.embed(inputs)
    h = c = x.new_zeros(inputs.shape[0], layer.hidden_size)
    cells, logits = [], []
    for t in range(inputs.shape[1]):
        h, c = lstm_step(layer, x[:, t], h, c, through_gates)
        cells.append(c)
        logits.append(model.head(h))
    return torch.autograd.grad(sequence_loss(torch.stack(logits, dim=1), targets), cells)


def cell_grad_norms(model: SequenceClassifier, inputs: torch.Tensor, targets: torch.Tensor,
                    through_gates: bool = True) -> np.ndarray:
    """Norm of dL/dc_t for t = 1..T (on the CPU), with or without the paths through the gates."""
    grads = cell_gradients(model.cpu().eval(), inputs, targets, through_gates)
    return np.array([float(g.double().norm()) for g in grads])  # float64: float32 squares of ~1e-23 underflow


@torch.no_grad()
def mean_forget_gate(model: SequenceClassifier, inputs: torch.Tensor) -> float:
    """The LSTM's forget gate value f_t averaged over the batch, the time steps and the units."""
    layer, x = model.body.rnn, model.body.embed(inputs)
    h = c = x.new_zeros(inputs.shape[0], layer.hidden_size)
    values = []
    for t in range(inputs.shape[1]):
        values.append(torch.sigmoid(lstm_gates(layer, x[:, t], h)["forget"]).mean())
        h, c = lstm_step(layer, x[:, t], h, c)
    return float(torch.stack(values).mean())


def output_grad_norms(model: SequenceClassifier, inputs: torch.Tensor, targets: torch.Tensor) -> np.ndarray:
    """The tempting mistake: retain_grad() on the output sequence that nn.RNN returns, then backward()."""
    outputs, _ = model.body(inputs)  # h_1..h_T, computed all at once inside nn.RNN
    outputs.retain_grad()
    sequence_loss(model.head(outputs), targets).backward()
    model.zero_grad(set_to_none=True)
    return outputs.grad.norm(dim=(0, 2)).numpy()  # only the read-out's share: the recurrence never reads `outputs`


def _check_batch(inputs: torch.Tensor, targets: torch.Tensor) -> None:
    checks.token_ids("inputs", inputs)
    if inputs.shape[0] < 1 or inputs.shape[1] < 1:
        raise ValueError(f"inputs need at least one sequence of length >= 1, got shape {tuple(inputs.shape)}")
    if not isinstance(targets, torch.Tensor) or tuple(targets.shape) not in (tuple(inputs.shape[:1]),
                                                                              tuple(inputs.shape)):
        raise ValueError(f"targets must have shape {tuple(inputs.shape[:1])} (a label after the last step) or "
                         f"{tuple(inputs.shape)} (a label at every step), got {tuple(getattr(targets, 'shape', ()))}")


def hidden_grad_norms(model: SequenceClassifier, inputs: torch.Tensor, targets: torch.Tensor,
                      device: str | torch.device = "auto", cell: bool = False) -> np.ndarray:
    """Norm of dL/dh_t (cell=True: dL/dc_t of an LSTM) for t = 1..T, over batch and units: a 1-D array of length T.

    The model needs .body (a Recurrent backbone, one direction) and .head, like SequenceClassifier.
    Targets of shape [batch] put the loss after the last step; [batch, steps] put a loss at every step.
    """
    _check_batch(inputs, targets)
    if not hasattr(model, "body") or not hasattr(model, "head"):
        raise TypeError(f"{type(model).__name__} has no recurrent .body and .head; per-step states exist only for "
                        "recurrent models (use input_grad_norms for any model)")
    if model.body.bidirectional:
        raise ValueError("a bidirectional layer has no single left-to-right state h_t; use a one-direction model")
    if cell and not (model.body.spec.has_cell and model.body.num_layers == 1):
        raise ValueError("cell=True measures dL/dc_t, and only an LSTM (one layer here) has a cell state c_t")
    was_training = model.training
    try:
        with run_on(device, seed=None) as dev:
            model.to(dev).eval()
            probe = cell_gradients if cell else step_gradients
            grads = probe(model, inputs.to(dev), targets.to(dev).long())
    finally:
        model.train(was_training)
    return np.array([float((g if cell else g[-1]).double().norm()) for g in grads])  # float64: see cell_grad_norms


def input_grad_norms(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor,
                     device: str | torch.device = "auto") -> np.ndarray:
    """Norm of dL/de_t, the gradient reaching the input embedding at each position t = 1..T (loss at the end)."""
    _check_batch(inputs, targets)
    if targets.dim() != 1:
        raise ValueError("input_grad_norms puts the loss after the last step: targets must have shape [batch]")
    embed = model.body.embed if hasattr(model, "body") else model.embed
    captured = []
    hook = embed.register_forward_hook(lambda module, args, output: captured.append(output))
    try:
        with run_on(device, seed=None) as dev:
            model.to(dev).eval()
            logits, _ = model(inputs.to(dev))
            (grad,) = torch.autograd.grad(sequence_loss(logits, targets.to(dev).long()), captured[0])
    finally:
        hook.remove()
    return grad.double().norm(dim=(0, 2)).cpu().numpy()  # float64, as in cell_grad_norms


class GeometricFit(NamedTuple):
    """A straight line fitted to log ||dL/dh_t|| over a window of time steps."""

    factor: float  # the fitted change of the norm per step forward in time (< 1: it shrinks going back)
    deviation: float  # the largest distance of a measured point from the line, in decades (powers of 10)
    steps: int  # how many non-zero norms the fit used


def geometric_fit(norms: np.ndarray, first: int = 1, last: int | None = None) -> GeometricFit:
    """Least-squares fit of log ||dL/dh_t|| = a + t log(r) over t = first..last (1-based; default: 1..T-1).

    Going back one step multiplies the norm by 1/r on the fitted line. The default window leaves out t = T,
    whose gradient comes straight from the read-out; zeros (float32 underflow) are left out. A small deviation
    says the curve really is geometric in that window; a large one says one factor does not describe it.
    """
    norms = np.asarray(norms, dtype=float)
    if norms.ndim != 1 or len(norms) < 3:
        raise ValueError(f"need a 1-D array of at least 3 per-step norms, got shape {norms.shape}")
    last = len(norms) - 1 if last is None else last
    if not 1 <= first < last <= len(norms):
        raise ValueError(f"need 1 <= first < last <= {len(norms)}, got first={first}, last={last}")
    t = np.arange(first, last + 1)
    window = norms[first - 1:last]
    keep = window > 0
    if keep.sum() < 2:
        raise ValueError("fewer than 2 non-zero norms in the window: nothing to fit")
    slope, intercept = np.polyfit(t[keep], np.log10(window[keep]), 1)
    deviation = np.abs(np.log10(window[keep]) - (intercept + slope * t[keep])).max()
    return GeometricFit(float(10 ** slope), float(deviation), int(keep.sum()))


def fit_table(curves: dict, first: int = 1, last: int | None = None) -> pd.DataFrame:
    """geometric_fit of each curve, one row per label: the fitted factor per step and the fit's deviation."""
    rows = {}
    for label, norms in curves.items():
        fit = geometric_fit(norms, first, last)
        rows[label] = {_("fitted factor"): 1 / fit.factor, _("largest deviation (decades)"): fit.deviation}
    return pd.DataFrame(rows).T


def norm_ratios(matrix: torch.Tensor, grad_T: torch.Tensor, steps: int) -> pd.DataFrame:
    """A linear RNN's gradient taken k = 0..steps steps back, g_{T-k} = (W^T)^k g_T, in float64; one row per k.

    "ratio" is ||g_{T-k}|| / ||g_T||; "single-step factor" is ||g_{T-k}|| / ||g_{T-k+1}||, what step k alone does;
    "k-th-root factor" is ratio^(1/k), the average factor per step over all k steps. Both are NaN at k = 0, and
    the single-step factor also where the previous norm is 0.
    """
    w, g = matrix.detach().double(), grad_T.detach().double()
    ratio = [1.0]
    for _step in range(checks.positive_int("steps", steps)):
        g = w.T @ g
        ratio.append(float(g.norm() / grad_T.detach().double().norm()))
    ratio = np.array(ratio)
    k = np.arange(len(ratio))
    with np.errstate(divide="ignore", invalid="ignore"):
        single = np.concatenate([[np.nan], np.where(ratio[:-1] > 0, ratio[1:] / ratio[:-1], np.nan)])
        root = np.concatenate([[np.nan], ratio[1:] ** (1 / k[1:])])
    return pd.DataFrame({"ratio": ratio, "single-step factor": single, "k-th-root factor": root},
                        index=pd.Index(k, name="k"))


# --- a long-range task: remember the first token ---

def first_token_batch(batch_size: int, seq_len: int, n_classes: int = 4, n_distractors: int = 4,
                      generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Sequences whose first token (0..n_classes-1) is the label, followed by seq_len-1 distractor tokens."""
    batch_size, seq_len = checks.positive_int("batch_size", batch_size), checks.positive_int("seq_len", seq_len)
    n_classes = checks.positive_int("n_classes", n_classes)
    n_distractors = checks.positive_int("n_distractors", n_distractors)
    labels = torch.randint(0, n_classes, (batch_size,), generator=generator)
    noise = torch.randint(n_classes, n_classes + n_distractors, (batch_size, seq_len - 1), generator=generator)
    return torch.cat([labels[:, None], noise], dim=1), labels


def total_grad_norm(model: nn.Module) -> float:
    """The norm of all parameter gradients together (what clip_grad_norm_ compares with its threshold)."""
    grads = [p.grad.detach().flatten() for p in model.parameters() if p.grad is not None]
    return float(torch.cat(grads).norm()) if grads else 0.0


def _task_sizes(model: nn.Module) -> tuple[int, int]:
    embed = model.body.embed if hasattr(model, "body") else model.embed
    n_classes = model.head.out_features
    return n_classes, embed.num_embeddings - n_classes


def train_first_token(model: nn.Module, seq_len: int, steps: int = 300, batch_size: int = 64, lr: float = 0.01,
                      clip: float | str | None = None, optimizer: str = "adam", device: str | torch.device = "auto",
                      seed: int = 0, progress: bool = True, stop_below: float | None = None) -> History:
    """Train on fresh first-token batches; log per step the loss and the gradient norm before/after clipping.

    Training stops early at the first loss that is not a finite number (an exploded model cannot recover), and,
    if stop_below is given, once the mean loss of the last 20 steps is below it (the task is solved).
    """
    seq_len, steps = checks.positive_int("seq_len", seq_len), checks.positive_int("steps", steps)
    batch_size, lr = checks.positive_int("batch_size", batch_size), checks.positive_float("lr", lr)
    clip, optimizer = checks.clip_threshold(clip), checks.one_of("optimizer", optimizer, OPTIMIZERS)
    n_classes, n_distractors = _task_sizes(model)
    with run_on(device, seed) as dev:
        model.to(dev).train()
        opt = (torch.optim.Adam if optimizer == "adam" else torch.optim.SGD)(model.parameters(), lr=lr)
        data = torch.Generator().manual_seed(seed)
        batches = (tuple(t.to(dev) for t in first_token_batch(batch_size, seq_len, n_classes, n_distractors, data))
                   for _step in progress_bar(range(steps), desc=f"{getattr(model, 'kind', 'model')} T={seq_len}",
                                         disable=not progress, leave=False))
        return fit_steps(model, opt, batches, clip, stop_below)


def fit_steps(model: nn.Module, optimizer: torch.optim.Optimizer, batches, clip: float | None = None,
              stop_below: float | None = None) -> History:
    """The training loop: per fresh batch, the last step's loss, one clipped update, a log line; stop early."""
    history = History(unit="step")
    for x, y in batches:
        loss = sequence_loss(model(x)[0], y)
        grad_norm = optimizer_step(optimizer, loss, clip)  # zero_grad, backward, clip, step
        history.log(loss=loss.item(), grad_norm=grad_norm, applied_norm=total_grad_norm(model))
        if not math.isfinite(loss.item()):
            break  # exploded: the weights are no longer finite
        if stop_below is not None and len(history) >= 20 and np.mean(history["loss"][-20:]) < stop_below:
            break  # solved
    return history


def first_token_accuracy(model: nn.Module, seq_len: int, size: int = 512, seed: int = 0,
                         device: str | torch.device = "auto") -> float:
    """Accuracy on `size` new first-token sequences (drawn from seed + 10000, never from the training stream)."""
    n_classes, n_distractors = _task_sizes(model)
    x, y = first_token_batch(size, seq_len, n_classes, n_distractors, torch.Generator().manual_seed(seed + 10_000))
    with run_on(device, seed=None) as dev, torch.no_grad():
        model.to(dev).eval()
        predictions = model(x.to(dev))[0][:, -1].argmax(-1).cpu()
    return float((predictions == y).float().mean())


@dataclass(frozen=True)
class LabResult:
    """What one run of the RNN lab measured: gradient norms per time step before and after a short training."""

    kind: str
    seq_len: int
    clip: float | None  # None: no clipping
    device: str
    steps: int
    norms_before: np.ndarray  # ||dL/dh_t|| for t = 1..seq_len, untrained
    norms_after: np.ndarray  # the same after training
    history: History  # per training step: loss, grad_norm (before clipping), applied_norm
    accuracy: float  # on 512 new sequences

    @property
    def loss(self) -> np.ndarray:
        """The training loss of every step."""
        return np.asarray(self.history["loss"])

    @property
    def grad_norm(self) -> np.ndarray:
        """The total gradient norm of every step, before clipping."""
        return np.asarray(self.history["grad_norm"])

    @property
    def applied_norm(self) -> np.ndarray:
        """The total gradient norm of every step, after clipping."""
        return np.asarray(self.history["applied_norm"])


def lab_experiment(kind: str = "rnn", seq_len: int = 30, clip: float | str | None = None,
                   device: str | torch.device = "auto", steps: int = 60, hidden_size: int = 32, batch_size: int = 64,
                   lr: float = 0.01, seed: int = 0, progress: bool = True) -> LabResult:
    """Short run behind the lab panel: per-step gradient norms before/after training, loss and norm per step."""
    kind, seq_len, clip = check_kind(kind), checks.positive_int("seq_len", seq_len), checks.clip_threshold(clip)
    dev = pick_device(device)
    model = make_model(kind, hidden_size, seed=seed)
    x, y = first_token_batch(batch_size, seq_len, generator=torch.Generator().manual_seed(seed + 1))
    before = hidden_grad_norms(model, x, y, dev)
    history = train_first_token(model, seq_len, steps, batch_size, lr, clip, device=dev, seed=seed,
                                progress=progress)
    after = hidden_grad_norms(model, x, y, dev)
    return LabResult(kind, seq_len, clip, dev.type, steps, before, after, history,
                     first_token_accuracy(model, seq_len, seed=seed, device=dev))


# --- experiments for notebook 04 ---

def norms_at_init(variants: dict[str, dict], seq_len: int = 60, batch_size: int = 64, seed: int = 0,
                  device: str | torch.device = "auto", cell: bool = False) -> dict[str, np.ndarray]:
    """Per-time-step gradient norms of untrained models (make_model keyword sets) on one first-token batch."""
    seq_len = checks.positive_int("seq_len", seq_len)
    x, y = first_token_batch(batch_size, seq_len, generator=torch.Generator().manual_seed(seed + 1))
    return {label: hidden_grad_norms(make_model(**{"seed": seed, **kwargs}), x, y, device, cell=cell)
            for label, kwargs in variants.items()}


def radius_curve(radius: float, nonlinearity: str, inputs: torch.Tensor, targets: torch.Tensor,
                 hidden_size: int = 32, seed: int = 0) -> np.ndarray:
    """||dL/dh_t|| for t = 1..T of an untrained RNN whose W_hh is radius times a random orthogonal matrix Q."""
    model = make_model("rnn", hidden_size, nonlinearity, seed=seed)
    w_hh = model.body.rnn.weight_hh_l0
    with torch.no_grad():
        nn.init.orthogonal_(w_hh, generator=torch.Generator().manual_seed(seed))  # Q: every |eigenvalue| is 1
        w_hh.mul_(radius)  # W_hh = radius * Q: its spectral radius and its spectral norm are both `radius`
    grads = step_gradients(model, inputs, targets)  # section 2's probe: dL/dh_t, one tensor per step
    return np.array([float(g.double().norm()) for g in grads])  # float64: tiny float32 squares underflow


def radius_experiment(radii: tuple[float, ...] = (0.8, 1.0, 1.2), nonlinearity: str = "tanh", seq_len: int = 60,
                      hidden_size: int = 32, seed: int = 0) -> dict[float, np.ndarray]:
    """radius_curve for each radius, on one first-token batch (the batch norms_at_init draws for this seed)."""
    seq_len = checks.positive_int("seq_len", seq_len)
    x, y = first_token_batch(64, seq_len, generator=torch.Generator().manual_seed(seed + 1))
    return {r: radius_curve(checks.positive_float("radius", r), nonlinearity, x, y, hidden_size, seed) for r in radii}


def clipping_experiment(thresholds: tuple = ("off", 10.0, 1.0, 0.1), seeds: tuple[int, ...] = (0,),
                        seq_len: int = 40, steps: int = 200, lr: float = 0.05, radius: float = 1.1,
                        device: str | torch.device = "auto", progress: bool = True) -> dict[str, list[dict]]:
    """Train the same ReLU RNN (W_hh = radius * identity, plain SGD) with each threshold and seed.

    Returns, per threshold label, one run per seed: {"seed", "clip", "history", "model", "accuracy"}.
    """
    runs: dict[str, list[dict]] = {}
    jobs = [(clip, seed) for clip in thresholds for seed in seeds]
    for clip, seed in progress_bar(jobs, desc="clipping runs", disable=not progress):
        label = "off" if checks.clip_threshold(clip) is None else f"{clip:g}"
        model = make_model("rnn", nonlinearity="relu", init="identity", radius=radius, seed=seed)
        history = train_first_token(model, seq_len, steps, lr=lr, clip=clip, optimizer="sgd", device=device,
                                    seed=seed, progress=False)
        runs.setdefault(label, []).append({"seed": seed, "clip": checks.clip_threshold(clip), "history": history,
                                           "model": model, "accuracy": first_token_accuracy(model, seq_len, seed=seed,
                                                                            device=device)})
    return runs


def clipping_table(runs: dict[str, list[dict]]) -> pd.DataFrame:
    """One row per threshold, over its seeds: the runs whose loss became non-finite and at which step, then, over
    the other runs only: share of steps clipped, largest norm before clipping, final loss (mean of the last 20
    steps) and accuracy (mean, min, max); NaN where every run diverged (a NaN model has no accuracy to report)."""
    rows = []
    for label, seed_runs in runs.items():
        bad = [not np.all(np.isfinite(run["history"]["loss"])) for run in seed_runs]
        good = [run for run, failed in zip(seed_runs, bad) if not failed]
        diverged_at = [len(run["history"]) for run, failed in zip(seed_runs, bad) if failed]
        nan = float("nan")
        clipped = [np.mean(np.asarray(run["history"]["grad_norm"]) > run["clip"]) for run in good
                   if run["clip"] is not None]
        accuracy = np.array([run["accuracy"] for run in good])
        rows.append({"clip threshold": label, "runs": len(seed_runs), "runs with non-finite loss": int(sum(bad)),
                     "diverged at step": ", ".join(map(str, diverged_at)) or "-",
                     "share of steps clipped": float(np.mean(clipped)) if clipped else nan,
                     "largest gradient norm": max((max(run["history"]["grad_norm"]) for run in good), default=nan),
                     "final loss (mean)": float(np.mean([np.mean(run["history"]["loss"][-20:]) for run in good]))
                     if good else nan,
                     "accuracy mean": float(accuracy.mean()) if good else nan,
                     "accuracy min": float(accuracy.min()) if good else nan,
                     "accuracy max": float(accuracy.max()) if good else nan})
    return pd.DataFrame(rows).set_index("clip threshold")


def clipping_summary(runs: dict[str, list[dict]], inputs: torch.Tensor, targets: torch.Tensor) -> pd.DataFrame:
    """One row per threshold of clipping_experiment's runs, over its seeds: "runs", "diverged" (non-finite loss),
    "longest" (most steps of a run), "first loss" (the smallest loss before any update), "accuracy min"/"max",
    "final loss" (mean of the last 20 steps) and "kept min"/"max": ||dL/dh_1|| / ||dL/dh_T|| of the trained models
    on inputs, targets. Accuracy, final loss and kept are over the runs that stayed finite (NaN if none did). The
    column names, the index name and the row "off" are in the course's language (helpers.i18n), in this order."""
    table = clipping_table(runs)
    rows = {}
    for label, seed_runs in runs.items():
        good = [run for run in seed_runs if np.all(np.isfinite(run["history"]["loss"]))]
        norms = [hidden_grad_norms(run["model"].cpu(), inputs, targets, device="cpu") for run in good]
        kept = [n[0] / n[-1] for n in norms]
        rows[_("off") if label == "off" else label] = {
            _("runs"): len(seed_runs), _("diverged"): len(seed_runs) - len(good),
            _("longest"): max(len(run["history"]) for run in seed_runs),
            _("first loss"): min(run["history"]["loss"][0] for run in seed_runs),
            _("accuracy min"): table.loc[label, "accuracy min"], _("accuracy max"): table.loc[label, "accuracy max"],
            _("final loss"): table.loc[label, "final loss (mean)"],
            _("kept min"): min(kept, default=float("nan")), _("kept max"): max(kept, default=float("nan"))}
    return pd.DataFrame(rows).T.rename_axis(_("clip threshold"))  # in the course's language, as fit_table's


def long_range_experiment(variants: dict[str, dict] | None = None, lengths: tuple[int, ...] = (10, 30, 60),
                          seeds: tuple[int, ...] = (0,), steps: int = 300, hidden_size: int = 32,
                          lr: float | tuple[float, ...] = 0.01, clip: float | str | None = None,
                          device: str | torch.device = "auto", progress: bool = True,
                          stop_below: float | None = None, workers: int = 1) -> pd.DataFrame:
    """Test accuracy on the first-token task per model variant (make_model keywords), length, seed and lr.

    A variant may give its own "lengths" (e.g. only the longest); every run gets the same steps, lr and clip
    (and stops early once solved, if stop_below is given: see train_first_token); "steps" says how many it took.
    lr may be a tuple (a grid: every variant and seed at every rate). On the CPU, workers > 1 runs the runs side
    by side in that many processes (device.side_by_side), with the same numbers.
    """
    variants = variants or {kind: {"kind": kind} for kind in KINDS}
    rates = tuple(checks.positive_float("lr", rate) for rate in ((lr,) if isinstance(lr, (int, float)) else lr))
    workers = checks.positive_int("workers", workers)
    calls = []
    for rate in rates:
        for label, spec in variants.items():
            spec = dict(spec)
            for seq_len in spec.pop("lengths", lengths):
                calls += [functools.partial(_long_range_run, label, spec, checks.positive_int("seq_len", seq_len),
                                            seed, steps, hidden_size, rate, clip, stop_below, device)
                          for seed in seeds]
    if workers > 1 and len(calls) > 1 and pick_device(device).type == "cpu":
        rows = side_by_side(calls, workers, "long_range_experiment")
    else:
        rows = [call() for call in progress_bar(calls, desc="runs", disable=not progress)]
    table = pd.DataFrame(rows)
    return table if len(rates) > 1 else table.drop(columns="lr")


def _long_range_run(label: str, spec: dict, seq_len: int, seed: int, steps: int, hidden_size: int, lr: float,
                    clip, stop_below: float | None, device) -> dict:
    """One run of long_range_experiment: train a fresh model, then measure it on new sequences."""
    model = make_model(hidden_size=hidden_size, seed=seed, **spec)
    history = train_first_token(model, seq_len, steps, lr=lr, clip=clip, device=device, seed=seed,
                                progress=False, stop_below=stop_below)
    return {"variant": label, "seq_len": seq_len, "seed": seed, "lr": lr,
            "accuracy": first_token_accuracy(model, seq_len, seed=seed, device=device),
            "final loss": float(np.mean(history["loss"][-20:])), "steps": len(history)}


def distance_summary(input_norms: dict[int, dict[str, np.ndarray]], short: int = 60, long: int = 200,
                     positions: int = 10, lstm: str | None = None, attention: str = "attention") -> pd.Series:
    """Named numbers comparing two curves of ||dL/de_t||, each at a short and a long T (input_norms[T][name]).

    *_line_*: how many times the fitted line over t = 1..T-1 changes from t = 1 to t = T-1 (at least 1);
    *_jump: the curve at t = T over t = T-1, at the short T; *_drop: the mean over the first `positions`
    positions at the long T over the short T; share_*: attention's mean there over the LSTM's. `lstm` is by default
    "LSTM, forget bias 3" (in the course's language, as the notebook names that curve).
    """
    lstm = _("LSTM, forget bias 3") if lstm is None else lstm
    out = {}
    for label, name in (("lstm", lstm), ("attention", attention)):
        for size, T in (("short", short), ("long", long)):
            factor = geometric_fit(input_norms[T][name]).factor ** (T - 2)
            out[f"{label}_line_{size}"] = max(factor, 1 / factor)
        n = input_norms[short][name]
        out[f"{label}_jump"] = n[-1] / n[-2]
        out[f"{label}_drop"] = input_norms[long][name][:positions].mean() / n[:positions].mean()
    for size, T in (("short", short), ("long", long)):
        out[f"share_{size}"] = input_norms[T][attention][:positions].mean() / input_norms[T][lstm][:positions].mean()
    return pd.Series(out, dtype=float)
