"""Argument checks shared by every helper: one function per rule, one exception type per kind of mistake.

A value of the wrong type raises TypeError; a value of the right type that is not allowed raises ValueError;
a word or token that a vocabulary or a model does not know raises KeyError. Each message names the argument,
what it got, and what is allowed.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence

import numpy as np
import torch


def positive_int(name: str, value: object) -> int:
    """Return `value` as an int if it is a whole number >= 1."""
    return _int_at_least(name, value, 1)


def non_negative_int(name: str, value: object) -> int:
    """Return `value` as an int if it is a whole number >= 0."""
    return _int_at_least(name, value, 0)


def _int_at_least(name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer >= {low}, not {type(value).__name__} {value!r}")
    if value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value}")
    return int(value)


def int_in_range(name: str, value: object, low: int, high: int) -> int:
    """Return `value` as an int if it is a whole number from `low` to `high` (both included)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer from {low} to {high}, not {type(value).__name__} {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be an integer from {low} to {high}, got {value}")
    return int(value)


def number_in_range(name: str, value: object, low: float, high: float) -> float:
    """Return `value` as a float if it is a number from `low` to `high` (both included)."""
    number = _finite(name, value, f"a number from {low:g} to {high:g}")
    if not low <= number <= high:
        raise ValueError(f"{name} must be a number from {low:g} to {high:g}, got {value}")
    return number


def positive_float(name: str, value: object) -> float:
    """Return `value` as a float if it is a finite number > 0."""
    number = _finite(name, value, "a number > 0")
    if number <= 0:
        raise ValueError(f"{name} must be a number > 0, got {value}")
    return number


def non_negative_float(name: str, value: object) -> float:
    """Return `value` as a float if it is a finite number >= 0."""
    number = _finite(name, value, "a number >= 0")
    if number < 0:
        raise ValueError(f"{name} must be a number >= 0, got {value}")
    return number


def fraction(name: str, value: object, *, low_open: bool = False, high_open: bool = False) -> float:
    """Return `value` as a float if it lies in [0, 1] (open ends where asked)."""
    allowed = f"a number in {'(' if low_open else '['}0, 1{')' if high_open else ']'}"
    number = _finite(name, value, allowed)
    if number < 0 or number > 1 or (low_open and number == 0) or (high_open and number == 1):
        raise ValueError(f"{name} must be {allowed}, got {value}")
    return number


def _finite(name: str, value: object, allowed: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be {allowed}, not {type(value).__name__} {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be {allowed}, got {value}")
    return float(value)


def one_of(name: str, value: object, choices: Collection[str]) -> str:
    """Return `value` in lower case if it is one of `choices` (compared case-insensitively)."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {sorted(choices)}, not {type(value).__name__} {value!r}")
    key = value.strip().lower()
    if key not in choices:
        raise ValueError(f"unknown {name} {value!r}: choose one of {list(choices)}")
    return key


def clip_threshold(value: object) -> float | None:
    """Return a gradient-clipping threshold (> 0), or None for 'no clipping' (None, 'off' or 'none')."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("off", "none")):
        return None
    if isinstance(value, str):
        raise ValueError(f"clip must be a number > 0 or 'off', got {value!r}")
    return positive_float("clip", value)


def text(name: str, value: object) -> str:
    """Return `value` if it is a string with at least one character that is not a space."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, not {type(value).__name__} {value!r}")
    if not value.strip():
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return value


def texts(name: str, value: object, *, min_count: int = 1) -> list[str]:
    """Return `value` as a list of strings if it is a list (not one string) of at least `min_count` strings."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be a list of strings, not {type(value).__name__}")
    bad = [i for i, item in enumerate(value) if not isinstance(item, str)]
    if bad:
        raise TypeError(f"{name} must hold only strings; item {bad[0]} is {type(value[bad[0]]).__name__}")
    if len(value) < min_count:
        raise ValueError(f"{name} needs at least {min_count} string(s), got {len(value)}")
    return list(value)


def token_lists(name: str, value: object) -> list[list[str]]:
    """Return `value` if it is a non-empty list of token lists (each a list of strings, not one string)."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be a list of token lists, not {type(value).__name__}")
    if any(isinstance(item, str) for item in value):
        raise TypeError(f"{name} must hold token lists, not strings: split them first, e.g. [s.split() for s in texts]")
    if not any(len(item) for item in value):
        raise ValueError(f"{name} has no tokens: give at least one non-empty token list")
    return [list(item) for item in value]


def token_ids(name: str, value: object) -> torch.Tensor:
    """Return `value` if it is an integer tensor [batch, steps] of token ids."""
    if not isinstance(value, torch.Tensor) or value.dtype not in (torch.int64, torch.int32):
        got = f"{value.dtype} tensor" if isinstance(value, torch.Tensor) else type(value).__name__
        raise TypeError(f"{name} must be an integer tensor [batch, steps] of token ids, not a {got}")
    if value.dim() != 2:
        raise ValueError(f"{name} must be an integer tensor [batch, steps], got shape {tuple(value.shape)}")
    return value


def known(name: str, items: Sequence[str], vocabulary: Collection[str]) -> None:
    """Raise KeyError naming every item of `items` that `vocabulary` lacks."""
    missing = [item for item in items if item not in vocabulary]
    if missing:
        raise KeyError(f"{name} not in the vocabulary: {missing}; "
                       f"pick words the model has seen (it knows {len(vocabulary)} of them)")
