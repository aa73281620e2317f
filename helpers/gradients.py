"""Gradients through time in recurrent networks: per-step norms, spectral radius, clipping, long-range memory."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from helpers.device import one_cpu_thread, pick_device
from helpers.rnn import KINDS, RNN_LAYERS, check_kind, positive_int

NONLINEARITIES = ("tanh", "relu", "linear")




# --- checking arguments ---

def check_clip(clip: float | str | None) -> float | None:
    """Return the clipping threshold as a float, or None for no clipping ('off' or None)."""
    if clip is None or (isinstance(clip, str) and clip.strip().lower() == "off"):
        return None
    if isinstance(clip, bool) or not isinstance(clip, (int, float, np.integer, np.floating)):
        raise TypeError(f"clip threshold must be a positive number, 'off' or None, not {clip!r}")
    if not math.isfinite(clip) or clip <= 0:
        raise ValueError(f"clip threshold must be a positive finite number (or 'off'/None for no clipping), got {clip}")
    return float(clip)


# --- models ---

class ElmanRNN(nn.Module):
    """One recurrent layer written out step by step: h_t = f(W_hh h_{t-1} + W_ih x_t + b) (+ h_{t-1} if residual)."""

    batch_first = True
    bidirectional = False

    def __init__(self, input_size: int, hidden_size: int, nonlinearity: str = "tanh", residual: bool = False):
        super().__init__()
        if nonlinearity not in NONLINEARITIES:
            raise ValueError(f"unknown nonlinearity {nonlinearity!r}: choose one of {list(NONLINEARITIES)}")
        self.hidden_size = positive_int("hidden_size", hidden_size)
        self.nonlinearity, self.residual = nonlinearity, bool(residual)
        bound = 1 / math.sqrt(self.hidden_size)
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


@torch.no_grad()
def init_memory_gate(layer: nn.LSTM | nn.GRU, bias: float = 3.0) -> None:
    """Bias the LSTM forget gate (or the GRU update gate) towards keeping the old state, as is common practice."""
    hidden = layer.hidden_size
    # PyTorch orders the gate blocks (input, forget, cell, output) for the LSTM and (reset, update, new) for the GRU.
    block = slice(hidden, 2 * hidden)
    for name, param in layer.named_parameters():
        if name.startswith("bias_hh"):
            param[block] = bias


class SequenceClassifier(nn.Module):
    """Embedding -> one recurrent layer -> linear scores for the label at every time step."""

    def __init__(self, vocab_size: int, n_classes: int, hidden_size: int = 32, kind: str = "rnn",
                 nonlinearity: str = "tanh", residual: bool = False, embed_size: int = 16,
                 remember_bias: float = 3.0):
        super().__init__()
        kind = check_kind(kind)
        hidden_size = positive_int("hidden_size", hidden_size)
        if nonlinearity not in NONLINEARITIES:
            raise ValueError(f"unknown nonlinearity {nonlinearity!r}: choose one of {list(NONLINEARITIES)}")
        if kind != "rnn" and (nonlinearity != "tanh" or residual):
            raise ValueError("nonlinearity and residual apply to kind='rnn' only (LSTM and GRU have fixed gates)")
        self.kind = kind
        self.embed = nn.Embedding(positive_int("vocab_size", vocab_size), positive_int("embed_size", embed_size))
        if kind == "rnn" and (nonlinearity == "linear" or residual):
            self.rnn = ElmanRNN(embed_size, hidden_size, nonlinearity, residual)
        elif kind == "rnn":
            self.rnn = nn.RNN(embed_size, hidden_size, nonlinearity=nonlinearity, batch_first=True)
        else:
            self.rnn = RNN_LAYERS[kind](embed_size, hidden_size, batch_first=True)
            init_memory_gate(self.rnn, remember_bias)
        self.head = nn.Linear(hidden_size, positive_int("n_classes", n_classes))

    def forward(self, x: torch.Tensor, state=None):
        """Scores [batch, steps, classes] and the final recurrent state."""
        outputs, state = self.rnn(self.embed(x), state)
        return self.head(outputs), state


def spectral_radius(weight: torch.Tensor) -> float:
    """Largest absolute eigenvalue of a square matrix."""
    weight = weight.detach()
    if weight.dim() != 2 or weight.shape[0] != weight.shape[1]:
        raise ValueError(f"the spectral radius needs a square matrix, got shape {tuple(weight.shape)}")
    return float(torch.linalg.eigvals(weight.double().cpu()).abs().max())


def recurrent_weight(model: nn.Module | torch.Tensor) -> torch.Tensor:
    """The recurrent matrix W_hh of a vanilla RNN (a model with .rnn, an RNN layer, or the matrix itself)."""
    if isinstance(model, torch.Tensor):
        weight = model
    else:
        layer = getattr(model, "rnn", model)
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
    if isinstance(radius, bool) or not isinstance(radius, (int, float)) or not radius > 0 or not math.isfinite(radius):
        raise ValueError(f"radius must be a positive finite number, got {radius!r}")
    weight = recurrent_weight(model)
    if orthogonal:
        gen = torch.Generator().manual_seed(seed)
        q, _ = torch.linalg.qr(torch.randn(weight.shape, generator=gen, dtype=torch.float64))
        weight.copy_(q.to(weight.dtype))
    weight.mul_(radius / spectral_radius(weight))
    return spectral_radius(weight)


# --- the quantity the theory talks about ---

def _loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Cross-entropy at the last step (targets [batch]) or at every step (targets [batch, steps])."""
    if targets.dim() == 1:
        return F.cross_entropy(logits[:, -1], targets)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def _check_batch(inputs: torch.Tensor, targets: torch.Tensor) -> None:
    if not isinstance(inputs, torch.Tensor) or inputs.dim() != 2 or inputs.dtype not in (torch.int64, torch.int32):
        raise ValueError(f"inputs must be an integer tensor [batch, steps], got "
                         f"{getattr(inputs, 'dtype', type(inputs))} {tuple(getattr(inputs, 'shape', ()))}")
    if inputs.shape[0] < 1 or inputs.shape[1] < 1:
        raise ValueError(f"inputs need at least one sequence of length >= 1, got shape {tuple(inputs.shape)}")
    if not isinstance(targets, torch.Tensor) or tuple(targets.shape) not in (tuple(inputs.shape[:1]),
                                                                              tuple(inputs.shape)):
        raise ValueError(f"targets must have shape {tuple(inputs.shape[:1])} (a label after the last step) or "
                         f"{tuple(inputs.shape)} (a label at every step), got {tuple(getattr(targets, 'shape', ()))}")


def hidden_grad_norms(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor,
                      device: str | torch.device = "auto") -> np.ndarray:
    """Norm of dL/dh_t for t = 1..T on one batch (top layer, over batch and units): a 1-D array of length T.

    The model needs .embed, .rnn (batch_first, one direction) and .head, like SequenceClassifier or CharRNN.
    Targets of shape [batch] put the loss after the last step; [batch, steps] put a loss at every step.
    For the LSTM, h_t is the output state; the gradient carried by the cell state, dL/dc_t, is not in this number.
    """
    _check_batch(inputs, targets)
    if getattr(model.rnn, "bidirectional", False):
        raise ValueError("a bidirectional layer has no single left-to-right state h_t; use a one-direction model")
    dev = pick_device(device)
    model.to(dev)
    inputs, targets = inputs.to(dev), targets.to(dev).long()
    was_training = model.training
    model.eval()
    try:
        with one_cpu_thread(dev):
            x = model.embed(inputs)
            state, hidden, logits = None, [], []
            for t in range(inputs.shape[1]):
                # One step at a time, so that h_t is the very tensor that step t+1 and the read-out at t consume.
                _, state = model.rnn(x[:, t:t + 1], state)
                h = state[0] if isinstance(state, tuple) else state  # [layers, batch, hidden]
                hidden.append(h)
                logits.append(model.head(h[-1]))
            loss = _loss(torch.stack(logits, dim=1), targets)
            grads = torch.autograd.grad(loss, hidden)
    finally:
        model.train(was_training)
    return np.array([float(g[-1].norm()) for g in grads])


# --- a long-range task: remember the first token ---

def first_token_batch(batch_size: int, seq_len: int, n_classes: int = 4, n_distractors: int = 4,
                      generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Sequences whose first token (0..n_classes-1) is the label, followed by seq_len-1 distractor tokens."""
    batch_size, seq_len = positive_int("batch_size", batch_size), positive_int("seq_len", seq_len)
    n_classes, n_distractors = positive_int("n_classes", n_classes), positive_int("n_distractors", n_distractors)
    labels = torch.randint(0, n_classes, (batch_size,), generator=generator)
    noise = torch.randint(n_classes, n_classes + n_distractors, (batch_size, seq_len - 1), generator=generator)
    return torch.cat([labels[:, None], noise], dim=1), labels


INITS = ("default", "orthogonal", "identity")


def make_model(kind: str = "rnn", hidden_size: int = 32, nonlinearity: str = "tanh", residual: bool = False,
               init: str = "default", radius: float = 1.0, remember_bias: float = 3.0, n_classes: int = 4,
               n_distractors: int = 4, seed: int = 0) -> SequenceClassifier:
    """A seeded SequenceClassifier for the first-token task; W_hh 'default' (PyTorch), 'orthogonal' or 'identity'."""
    if init not in INITS:
        raise ValueError(f"unknown init {init!r}: choose one of {list(INITS)}")
    torch.manual_seed(seed)
    model = SequenceClassifier(n_classes + n_distractors, n_classes, hidden_size, kind, nonlinearity, residual,
                               remember_bias=remember_bias)
    if init != "default":
        weight = recurrent_weight(model)
        set_spectral_radius(weight, radius, orthogonal=True, seed=seed)
        if init == "identity":
            with torch.no_grad():
                weight.copy_(radius * torch.eye(weight.shape[0]))
    return model


def total_grad_norm(model: nn.Module) -> float:
    """The norm of all parameter gradients together (what clip_grad_norm_ compares with its threshold)."""
    grads = [p.grad.detach().flatten() for p in model.parameters() if p.grad is not None]
    return float(torch.cat(grads).norm()) if grads else 0.0


def train_first_token(model: SequenceClassifier, seq_len: int, steps: int = 200, batch_size: int = 64,
                      lr: float = 0.01, clip: float | str | None = None, optimizer: str = "adam", seed: int = 0,
                      device: str | torch.device = "auto", progress: bool = False, eval_size: int = 512) -> dict:
    """Train on fresh first-token batches; record per step the loss and the gradient norm before/after clipping."""
    seq_len, steps = positive_int("seq_len", seq_len), positive_int("steps", steps)
    clip = check_clip(clip)
    dev = pick_device(device)
    model.to(dev).train()
    if optimizer not in ("adam", "sgd"):
        raise ValueError(f"unknown optimizer {optimizer!r}: choose 'adam' or 'sgd'")
    opt = (torch.optim.Adam if optimizer == "adam" else torch.optim.SGD)(model.parameters(), lr=lr)
    with one_cpu_thread(dev):
        return _train_first_token(model, seq_len, steps, batch_size, opt, clip, seed, dev, progress, eval_size)


def _train_first_token(model, seq_len, steps, batch_size, opt, clip, seed, dev, progress, eval_size) -> dict:
    n_classes = model.head.out_features
    n_distractors = model.embed.num_embeddings - n_classes
    gen = torch.Generator().manual_seed(seed)
    losses, norms, applied = np.zeros(steps), np.zeros(steps), np.zeros(steps)
    for step in tqdm(range(steps), desc=f"{model.kind} T={seq_len}", disable=not progress, leave=False):
        x, y = first_token_batch(batch_size, seq_len, n_classes, n_distractors, gen)
        logits, _ = model(x.to(dev))
        loss = _loss(logits, y.to(dev))
        opt.zero_grad()
        loss.backward()
        # clip_grad_norm_ returns the norm before clipping; an infinite threshold measures without clipping.
        norms[step] = float(nn.utils.clip_grad_norm_(model.parameters(), clip if clip else math.inf))
        applied[step] = total_grad_norm(model)
        losses[step] = loss.item()
        opt.step()
    x, y = first_token_batch(eval_size, seq_len, n_classes, n_distractors, torch.Generator().manual_seed(seed + 10_000))
    model.eval()
    with torch.no_grad():
        accuracy = float((model(x.to(dev))[0][:, -1].argmax(-1).cpu() == y).float().mean())
    return {"loss": losses, "grad_norm": norms, "applied_norm": applied, "accuracy": accuracy, "clip": clip}


def lab_experiment(kind: str = "rnn", seq_len: int = 30, clip: float | str | None = None,
                   device: str | torch.device = "auto", steps: int = 60, hidden_size: int = 32, batch_size: int = 64,
                   lr: float = 0.01, seed: int = 0, progress: bool = False) -> dict:
    """Short run behind the lab panel: per-step gradient norms before/after training, loss and norm per step."""
    kind, seq_len, clip = check_kind(kind), positive_int("seq_len", seq_len), check_clip(clip)
    dev = pick_device(device)
    model = make_model(kind, hidden_size, seed=seed)
    x, y = first_token_batch(batch_size, seq_len, generator=torch.Generator().manual_seed(seed + 1))
    before = hidden_grad_norms(model, x, y, dev)
    history = train_first_token(model, seq_len, steps, batch_size, lr, clip, seed=seed, device=dev, progress=progress)
    after = hidden_grad_norms(model, x, y, dev)
    return {"kind": kind, "seq_len": seq_len, "clip": clip, "device": dev.type, "steps": steps,
            "norms_before": before, "norms_after": after, **history}


# --- experiments for notebook 04 ---

def per_step_factor(norms: np.ndarray) -> float:
    """Average factor by which ||dL/dh_t|| changes per step back in time, from t=T to the earliest non-zero norm."""
    norms = np.asarray(norms, dtype=float)
    if norms.ndim != 1 or len(norms) < 2:
        raise ValueError(f"need a 1-D array of at least 2 per-step norms, got shape {norms.shape}")
    if norms[-1] <= 0:
        raise ValueError("the norm at the last step is 0: no gradient to compare with")
    # Far back, a vanishing gradient can underflow to exactly 0 in float32; measure the slope up to there.
    first = int(np.flatnonzero(norms > 0)[0])
    if first == len(norms) - 1:
        return 0.0
    return float(np.exp(np.log(norms[first] / norms[-1]) / (len(norms) - 1 - first)))


def norms_at_init(variants: dict[str, dict], seq_len: int = 60, batch_size: int = 64, seed: int = 0,
                  device: str | torch.device = "auto") -> dict[str, np.ndarray]:
    """Per-time-step gradient norms of untrained models (make_model keyword sets) on one first-token batch."""
    seq_len = positive_int("seq_len", seq_len)
    x, y = first_token_batch(batch_size, seq_len, generator=torch.Generator().manual_seed(seed + 1))
    return {label: hidden_grad_norms(make_model(**{"seed": seed, **kwargs}), x, y, device)
            for label, kwargs in variants.items()}


def radius_experiment(radii: tuple[float, ...] = (0.8, 1.0, 1.2), nonlinearity: str = "tanh", seq_len: int = 60,
                      hidden_size: int = 32, seed: int = 0,
                      device: str | torch.device = "auto") -> dict[float, np.ndarray]:
    """Per-time-step gradient norms of the same vanilla RNN with W_hh an orthogonal matrix scaled to each radius."""
    variants = {r: {"kind": "rnn", "nonlinearity": nonlinearity, "init": "orthogonal", "radius": r,
                    "hidden_size": hidden_size} for r in radii}
    return norms_at_init(variants, seq_len, seed=seed, device=device)


def clipping_experiment(thresholds: tuple = ("off", 10.0, 1.0, 0.1), seq_len: int = 40, steps: int = 200,
                        lr: float = 0.05, radius: float = 1.1, seed: int = 0, device: str | torch.device = "auto",
                        progress: bool = False) -> dict[str, dict]:
    """Train the same ReLU RNN (W_hh = radius * identity, plain SGD) with each clipping threshold; return histories."""
    runs = {}
    for clip in tqdm(thresholds, desc="thresholds", disable=not progress):
        label = "off" if check_clip(clip) is None else f"{clip:g}"
        model = make_model("rnn", nonlinearity="relu", init="identity", radius=radius, seed=seed)
        runs[label] = train_first_token(model, seq_len, steps, lr=lr, clip=clip, optimizer="sgd", seed=seed,
                                        device=device)
    return runs


def clipping_table(runs: dict[str, dict]) -> pd.DataFrame:
    """One row per threshold: largest gradient norm, first step with a non-finite loss, final loss, accuracy."""
    rows = []
    for label, run in runs.items():
        bad = np.flatnonzero(~np.isfinite(run["loss"]))
        rows.append({"clip threshold": label, "largest gradient norm": float(np.nanmax(run["grad_norm"])),
                     "first non-finite loss at step": int(bad[0]) + 1 if len(bad) else None,
                     "final loss": float(np.mean(run["loss"][-20:])), "accuracy": run["accuracy"]})
    table = pd.DataFrame(rows).set_index("clip threshold")
    table["first non-finite loss at step"] = table["first non-finite loss at step"].astype("Int64")
    return table


def long_range_experiment(lengths: tuple[int, ...] = (10, 20, 40, 60), kinds: tuple[str, ...] = KINDS,
                          seeds: tuple[int, ...] = (0,), steps: int = 300, hidden_size: int = 32, lr: float = 0.01,
                          device: str | torch.device = "auto", progress: bool = False) -> pd.DataFrame:
    """Accuracy on the first-token task for each RNN kind, sequence length and seed (one row per run)."""
    kinds = tuple(check_kind(k) for k in kinds)
    runs = [(k, positive_int("seq_len", T), s) for s in seeds for k in kinds for T in lengths]
    rows = []
    for kind, seq_len, seed in tqdm(runs, desc="runs", disable=not progress):
        model = make_model(kind, hidden_size, seed=seed)
        history = train_first_token(model, seq_len, steps, lr=lr, seed=seed, device=device)
        rows.append({"kind": kind, "seq_len": seq_len, "seed": seed, "accuracy": history["accuracy"],
                     "final loss": float(np.mean(history["loss"][-20:]))})
    return pd.DataFrame(rows)


# --- attention: every position one step from the read-out ---

class AttentionClassifier(nn.Module):
    """Embedding + learned positions -> one attention read-out from the last position -> scores [batch, 1, classes]."""

    kind = "attention"

    def __init__(self, vocab_size: int, n_classes: int, d_model: int = 16, max_len: int = 512):
        super().__init__()
        self.embed = nn.Embedding(positive_int("vocab_size", vocab_size), positive_int("d_model", d_model))
        self.pos = nn.Embedding(positive_int("max_len", max_len), d_model)
        self.attn = nn.MultiheadAttention(d_model, num_heads=1, batch_first=True)
        self.head = nn.Linear(d_model, positive_int("n_classes", n_classes))

    def forward(self, x: torch.Tensor, state=None):
        """Scores for the label, read out at the last position only, and no recurrent state (None)."""
        if x.shape[1] > self.pos.num_embeddings:
            raise ValueError(f"sequence length {x.shape[1]} exceeds max_len {self.pos.num_embeddings}")
        e = self.embed(x) + self.pos(torch.arange(x.shape[1], device=x.device))
        read, _ = self.attn(e[:, -1:], e, e)  # the last position looks at every position directly
        return self.head(read), None


def input_grad_norms(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor,
                     device: str | torch.device = "auto") -> np.ndarray:
    """Norm of dL/de_t, the gradient reaching the input embedding at each position t = 1..T (loss at the end)."""
    _check_batch(inputs, targets)
    if targets.dim() != 1:
        raise ValueError("input_grad_norms puts the loss after the last step: targets must have shape [batch]")
    dev = pick_device(device)
    model.to(dev).eval()
    captured = []
    hook = model.embed.register_forward_hook(lambda module, args, output: captured.append(output))
    try:
        with one_cpu_thread(dev):
            logits, _ = model(inputs.to(dev))
            (grad,) = torch.autograd.grad(_loss(logits, targets.to(dev).long()), captured[0])
    finally:
        hook.remove()
    return grad.norm(dim=(0, 2)).cpu().numpy()
