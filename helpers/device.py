"""The convention of every helper: which device, which seed, and whether to show progress.

- device: 'auto' (CUDA, then Apple MPS, then CPU), 'cpu', 'cuda' or 'mps'.
- seed: a helper that needs random numbers draws them from its own generators, seeded with `seed` (an int >= 0):
  a torch.Generator or np.random.default_rng for what it draws itself, and torch's global generator, seeded
  inside torch.random.fork_rng, for what PyTorch draws there (a model's initial weights, dropout). The caller's
  global generators are never changed, and a fixed seed gives the same numbers whatever ran before.
  A model class takes seed=None (draw its weights from the global generator, as any nn.Module) or an int.
- progress: a tqdm bar. True by default in the helpers that train (they take seconds to minutes); False in
  the ones that only compute with a trained model (e.g. word_embeddings), which notebooks call many times.
"""

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


@contextlib.contextmanager
def seeded(seed: int | None) -> Iterator[None]:
    """Run the block with torch's generators seeded with `seed`, then give the caller's back as they were.

    seed=None leaves torch's generators alone: the block draws from (and advances) the caller's.
    """
    if seed is None:
        yield
        return
    checks.non_negative_int("seed", seed)
    accelerators = range(torch.accelerator.device_count()) if torch.accelerator.is_available() else []
    with torch.random.fork_rng(devices=accelerators):  # the CPU's generator, and each GPU's
        torch.manual_seed(seed)
        yield


def seed_everything(seed: int = 0) -> None:
    """Seed Python's random, NumPy and torch (CPU and GPU) so that a run can be repeated (for a notebook's own code).

    Python's own hash() of strings is salted per process (PYTHONHASHSEED); it cannot be changed from inside a
    running interpreter, so nothing in the course depends on it (gensim gets a stable hash function instead).
    """
    checks.non_negative_int("seed", seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


CPU_QUOTA = "/sys/fs/cgroup/cpu.max"  # Linux cgroup v2: "<quota> <period>" (a hub's or container's CPU limit)


def cpu_cores() -> int:
    """The CPU cores this process may use: the cores it may run on, capped by its container's CPU quota."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        with open(CPU_QUOTA) as limits:
            quota, period = limits.read().split()[:2]
        if quota != "max":
            cores = min(cores, max(1, int(quota) // int(period)))
    except (OSError, ValueError):  # no cgroup v2 file (macOS, Windows, cgroup v1) or an unexpected format
        pass
    return cores


def side_by_side(calls: list, workers: int, caller: str) -> list:
    """Run each call (a picklable function of no arguments, e.g. a functools.partial) in `workers` spawned
    processes side by side; return their results in the order of `calls`."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool
    from multiprocessing import get_context

    try:
        with ProcessPoolExecutor(min(workers, len(calls)), mp_context=get_context("spawn")) as pool:
            futures = [pool.submit(call) for call in calls]
            return [future.result() for future in futures]
    except BrokenProcessPool as error:
        raise RuntimeError(f"a worker process of {caller} stopped before it finished ({error}). Each worker "
                           f"imports your script again: in a script, call {caller} under "
                           "`if __name__ == '__main__':`; or pass workers=1 to train in this process") from None


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
    """The convention of every training helper: pick the device, run `seeded(seed)`, small models on one CPU thread.

        with run_on(device, seed) as dev:
            model.to(dev)
            ...
    """
    dev = pick_device(device)
    with seeded(seed), one_cpu_thread(dev):
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
