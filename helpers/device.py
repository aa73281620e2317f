"""Choosing a device and making runs repeatable."""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Iterator

import numpy as np
import torch

DEVICE_NAMES = ("auto", "cpu", "cuda", "mps")


def available_devices() -> list[str]:
    """Names of the devices this machine really has, best first."""
    names = []
    if torch.cuda.is_available():
        names.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        names.append("mps")
    names.append("cpu")
    return names


def pick_device(name: str | torch.device = "auto") -> torch.device:
    """Return a torch.device: 'auto' prefers CUDA, then Apple MPS, then CPU."""
    if isinstance(name, torch.device):
        name = str(name)
    if not isinstance(name, str):
        raise TypeError(f"device must be a string such as 'auto', 'cpu' or 'cuda', not {type(name).__name__}")
    key = name.strip().lower()
    have = available_devices()
    if key == "auto":
        return torch.device(have[0])
    base = key.split(":")[0]
    if base not in DEVICE_NAMES:
        raise ValueError(f"unknown device {name!r}: use one of {list(DEVICE_NAMES)}; this machine has {have}")
    if base not in have:
        raise ValueError(f"device {name!r} is not available on this machine; available: {have} (or 'auto')")
    if base == "cuda" and ":" in key:
        index = int(key.split(":")[1])
        if index >= torch.cuda.device_count():
            raise ValueError(f"device {name!r} does not exist; this machine has {torch.cuda.device_count()} CUDA device(s)")
    return torch.device(key)


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and torch (CPU and GPU) so that a run can be repeated."""
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


@contextlib.contextmanager
def one_cpu_thread(device: torch.device) -> Iterator[None]:
    """Run the enclosed code on one CPU thread when `device` is the CPU, then restore the thread count.

    The course's models are small: a second thread only adds hand-off overhead, and on a busy 2-core
    machine it can stall training many times over (see benchmarks/).
    """
    before = torch.get_num_threads()
    if torch.device(device).type == "cpu":
        torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
