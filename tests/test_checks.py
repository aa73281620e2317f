import math

import numpy as np
import pytest

from helpers import checks


def test_positive_int_accepts_numpy_integers_and_rejects_bools_floats_and_zero():
    assert checks.positive_int("n", np.int64(3)) == 3 and type(checks.positive_int("n", np.int64(3))) is int
    with pytest.raises(TypeError, match="n must be an integer >= 1, not bool"):
        checks.positive_int("n", True)
    with pytest.raises(TypeError, match="not float 2.0"):
        checks.positive_int("n", 2.0)
    with pytest.raises(ValueError, match="n must be an integer >= 1, got 0"):
        checks.positive_int("n", 0)
    assert checks.non_negative_int("seed", 0) == 0


@pytest.mark.parametrize("value", [0, -1.5, math.inf, math.nan])
def test_positive_float_rejects_non_positive_and_non_finite(value):
    with pytest.raises(ValueError, match="lr must be a number > 0"):
        checks.positive_float("lr", value)


def test_positive_float_rejects_strings_with_a_type_error():
    with pytest.raises(TypeError, match="lr must be a number > 0, not str"):
        checks.positive_float("lr", "0.1")


def test_fraction_respects_open_and_closed_ends():
    assert checks.fraction("p", 0) == 0.0 and checks.fraction("p", 1) == 1.0
    with pytest.raises(ValueError, match=r"p must be a number in \[0, 1\), got 1"):
        checks.fraction("p", 1, high_open=True)
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        checks.fraction("p", 0, low_open=True)


def test_one_of_normalises_case_and_lists_the_choices():
    assert checks.one_of("kind", " LSTM ", ("rnn", "lstm")) == "lstm"
    with pytest.raises(ValueError, match=r"unknown kind 'cnn': choose one of \['rnn', 'lstm'\]"):
        checks.one_of("kind", "cnn", ("rnn", "lstm"))
    with pytest.raises(TypeError):
        checks.one_of("kind", 3, ("rnn",))


@pytest.mark.parametrize("off", [None, "off", "None", " OFF "])
def test_clip_threshold_off_means_none(off):
    assert checks.clip_threshold(off) is None


def test_clip_threshold_accepts_positive_numbers_only():
    assert checks.clip_threshold(1) == 1.0
    with pytest.raises(ValueError, match="clip"):
        checks.clip_threshold(0)
    with pytest.raises(ValueError, match="'off'"):
        checks.clip_threshold("tiny")


def test_texts_and_token_lists_catch_the_usual_mix_ups():
    assert checks.texts("texts", ("a b", "c")) == ["a b", "c"]
    with pytest.raises(TypeError, match="list of strings, not str"):
        checks.texts("texts", "one sentence")
    with pytest.raises(TypeError, match="item 1 is int"):
        checks.texts("texts", ["a", 1])
    with pytest.raises(ValueError, match="at least 2"):
        checks.texts("texts", ["a"], min_count=2)
    assert checks.token_lists("corpus", [("a", "b")]) == [["a", "b"]]
    with pytest.raises(TypeError, match="split them first"):
        checks.token_lists("corpus", ["a b"])
    with pytest.raises(ValueError, match="no tokens"):
        checks.token_lists("corpus", [[], []])


def test_known_names_every_missing_word():
    checks.known("words", ["a"], {"a", "b"})
    with pytest.raises(KeyError, match=r"\['x', 'y'\]"):
        checks.known("words", ["x", "a", "y"], {"a", "b"})


def test_ranges_include_both_ends_and_reject_other_types():
    assert checks.int_in_range("seq_len", 5, 5, 150) == 5 and checks.int_in_range("seq_len", np.int32(150), 5, 150)
    with pytest.raises(ValueError, match="seq_len must be an integer from 5 to 150, got 4"):
        checks.int_in_range("seq_len", 4, 5, 150)
    with pytest.raises(TypeError, match="from 5 to 150, not float"):
        checks.int_in_range("seq_len", 10.0, 5, 150)
    with pytest.raises(TypeError, match="not bool"):
        checks.int_in_range("layer", True, -7, 6)
    assert checks.number_in_range("temperature", 2, 0.2, 2.0) == 2.0
    with pytest.raises(ValueError, match="temperature must be a number from 0.2 to 2, got 2.5"):
        checks.number_in_range("temperature", 2.5, 0.2, 2.0)
    with pytest.raises(TypeError, match="not str"):
        checks.number_in_range("temperature", "hot", 0.2, 2.0)
    assert checks.non_negative_float("sample", 0) == 0.0
    with pytest.raises(ValueError, match="sample must be a number >= 0"):
        checks.non_negative_float("sample", -1e-3)


def test_text_needs_a_string_with_something_in_it():
    assert checks.text("word", " bank ") == " bank "
    with pytest.raises(TypeError, match="word must be a string, not int"):
        checks.text("word", 3)
    with pytest.raises(ValueError, match="word must be a non-empty string"):
        checks.text("word", "  ")


def test_token_ids_are_an_integer_matrix():
    import torch

    ids = torch.zeros(2, 3, dtype=torch.long)
    assert checks.token_ids("tokens", ids) is ids
    with pytest.raises(TypeError, match=r"tokens must be an integer tensor \[batch, steps\].*float32"):
        checks.token_ids("tokens", torch.zeros(2, 3))
    with pytest.raises(TypeError, match="not a list"):
        checks.token_ids("tokens", [[1, 2]])
    with pytest.raises(ValueError, match=r"got shape \(3,\)"):
        checks.token_ids("tokens", torch.zeros(3, dtype=torch.long))
