"""Claims: a sentence of the lesson checked against the numbers this run computed.

    claim("the LSTM beats the RNN", lstm_bpc < rnn_bpc, f"LSTM {lstm_bpc:.2f} < RNN {rnn_bpc:.2f}")

prints "✔ the LSTM beats the RNN — measured: LSTM 1.92 < RNN 2.31", or "✘ ..." when the numbers say
otherwise. The test suite compares only the part before " — measured:", so a claim that stops holding on
some machine fails the tests there, while the digits themselves may differ from machine to machine.
The word "measured" is in the course's language (helpers/i18n.py); SEPARATOR is the English separator.
With the environment variable COURSE_STRICT_CLAIMS=1 (set when notebooks are built), a failed claim raises.
"""

from __future__ import annotations

import os

from helpers.i18n import _

SEPARATOR = " — measured: "


def separator() -> str:
    """The separator between statement and measured values, in the course's language (SEPARATOR in English)."""
    return " — " + _("measured: ")


class ClaimError(AssertionError):
    """A statement of the lesson that this run's numbers do not support."""


def claim(statement: str, holds: bool, measured: str) -> None:
    """Print ✔ or ✘, the statement and the measured values (nothing is returned, so a notebook shows no Out)."""
    line = f"{'✔' if holds else '✘'} {statement}{separator()}{measured}"
    print(line)
    if not holds and os.environ.get("COURSE_STRICT_CLAIMS") == "1":
        raise ClaimError(line)
