"""One optimizer step, behind every training loop of the course (classify, rnn, gradients, embeddings)."""

from __future__ import annotations

import torch
from torch import nn


def optimizer_step(optimizer: torch.optim.Optimizer, loss: torch.Tensor, clip: float | None = None) -> float:
    """zero_grad, backward, clip the gradient's total norm to `clip` (None: no clipping), step; return the norm."""
    optimizer.zero_grad()  # gradients add up across backward() calls unless cleared
    loss.backward()
    parameters = [p for group in optimizer.param_groups for p in group["params"]]
    norm = nn.utils.get_total_norm([p.grad for p in parameters if p.grad is not None])
    if clip is not None:
        nn.utils.clip_grads_with_norm_(parameters, clip, norm)  # g * min(1, clip / ||g||): same direction
    optimizer.step()  # only the parameters this optimizer was built from
    return float(norm)
