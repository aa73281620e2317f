"""Checks for the notebooks' exercises: each says what is right, or exactly what is wrong.

Exercise cells follow nbgrader's conventions, so a teacher can use nbgrader directly, and `make student`
and `make grade` work without it:
- the answer cell has metadata nbgrader.solution = true and the tag "solution"; its worked solution sits
  between "### BEGIN SOLUTION" and "### END SOLUTION" (the student edition replaces it with
  `raise NotImplementedError()`);
- the check cell right after it has nbgrader.grade = true, nbgrader.locked = true, the tag "check" and a
  grade_id "exNN-K" (notebook NN, exercise K); it calls one of the functions below, which prints ✔ or raises
  ExerciseError with a message that says what is wrong.
"""

from __future__ import annotations


class ExerciseError(AssertionError):
    """An answer that an exercise's check rejects; the message says what is wrong."""


def passed(exercise: str, message: str) -> None:
    """Print that an exercise's check passed."""
    print(f"✔ {exercise}: {message}")


def require(exercise: str, condition: bool, what_is_wrong: str) -> None:
    """Raise ExerciseError with `what_is_wrong` unless `condition` holds."""
    if not condition:
        raise ExerciseError(f"✘ {exercise}: {what_is_wrong}")


# --- 01 word embeddings ---
# (checks for notebook 01's exercises go here)


# --- 02 Word2Vec vs BERT ---
# (checks for notebook 02's exercises go here)


# --- 03 RNN, LSTM, GRU ---
# (checks for notebook 03's exercises go here)


# --- 04 gradients ---
# (checks for notebook 04's exercises go here)


# --- 05 text classifier ---
# (checks for notebook 05's exercises go here)
