"""The exercise checks accept the worked solution and reject the obvious wrong answers."""

from __future__ import annotations

import pytest

from helpers import exercises


def test_require_raises_with_the_message():
    with pytest.raises(exercises.ExerciseError, match="✘ ex: wrong because"):
        exercises.require("ex", False, "wrong because")
    exercises.require("ex", True, "never shown")


# --- 01 word embeddings ---


# --- 02 Word2Vec vs BERT ---


# --- 03 RNN, LSTM, GRU ---


# --- 04 gradients ---


# --- 05 text classifier ---
