"""Choosing a device and making runs repeatable."""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Iterator

import numpy as np
import torch
from tqdm import tqdm as text_tqdm
from tqdm.auto import tqdm as auto_tqdm

from helpers import checks

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
            raise ValueError(f"device {name!r} does not exist; "
                             f"this machine has {torch.cuda.device_count()} CUDA device(s)")
    return torch.device(key)


def seed_everything(seed: int = 0) -> None:
    """Seed Python's random, NumPy and torch (CPU and GPU) so that a run can be repeated.

    Python's own hash() of strings is salted per process (PYTHONHASHSEED); it cannot be changed from inside a
    running interpreter, so nothing in the course depends on it (gensim gets a stable hash function instead).
    """
    checks.non_negative_int("seed", seed)
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


@contextlib.contextmanager
def run_on(device: str | torch.device = "auto", seed: int | None = 0) -> Iterator[torch.device]:
    """The convention of every training helper: pick the device, seed torch, train small models on one CPU thread.

        with run_on(device, seed) as dev:
            model.to(dev)
            ...
    """
    dev = pick_device(device)
    if seed is not None:
        checks.non_negative_int("seed", seed)
        torch.manual_seed(seed)
    with one_cpu_thread(dev):
        yield dev


# Redraw progress bars at most once a second: in a notebook every redraw is a widget message, and thousands of them
# in one long cell can overflow the kernel's message queue.
PROGRESS_INTERVAL = 1.0


def progress_class() -> type:
    """The tqdm class the course uses: a widget in notebooks, plain text when COURSE_PLAIN_PROGRESS=1."""
    return text_tqdm if os.environ.get("COURSE_PLAIN_PROGRESS") == "1" else auto_tqdm


def progress(iterable=None, **kwargs):
    """A tqdm progress bar: a widget in notebooks, plain text when COURSE_PLAIN_PROGRESS=1 (committed outputs)."""
    kwargs.setdefault("mininterval", PROGRESS_INTERVAL)
    return progress_class()(iterable, **kwargs)
