"""The exercise checks accept the worked solution and reject the obvious wrong answers."""

from __future__ import annotations

import pytest

from helpers import exercises


def test_require_raises_with_the_message():
    with pytest.raises(exercises.ExerciseError, match="✘ ex: wrong because"):
        exercises.require("ex", False, "wrong because")
    exercises.require("ex", True, "never shown")


# --- 01 word embeddings ---

SENTENCES_01 = [[0, 1, 2, 3], [0, 1, 4], [5, 6]]  # 3 + 2 + 1 neighbouring positions -> 12 pairs with window=1


def test_01_pair_count_accepts_the_count_and_rejects_the_usual_mistakes(capsys):
    exercises.check_01_pair_count(12, SENTENCES_01)
    assert "✔ Exercise 1" in capsys.readouterr().out
    for wrong, message in [(None, "still None"), (6, "each position gives two"), ("12", "whole number"),
                           (18, "window=2"), (13, "not the number of pairs")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_01_pair_count(wrong, SENTENCES_01)


def test_01_keep_probability_rejects_the_wrong_share_and_the_wrong_threshold(capsys):
    import numpy as np

    counts = np.array([5000, 300, 20])
    all_tokens = 6000  # the corpus also has 680 tokens of words below min_count

    def keep(f, t):
        return min(1.0, (np.sqrt(f / t) + 1) * t / f)

    right = keep(5000 / 5320, 1e-4)
    exercises.check_01_keep_probability(right, counts, 0, all_tokens)
    assert "✔ Exercise 2" in capsys.readouterr().out
    for wrong, message in [(None, "still None"), (1 - right, "dropped"), (keep(5000 / 6000, 1e-4), "vocabulary's"),
                           (keep(5000 / 5320, 1e-3), "t = 1e-4"), (right * 1.01, "not the keep probability"),
                           (5.0, r"\(0, 1\]")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_01_keep_probability(wrong, counts, 0, all_tokens)


def test_01_best_pair_must_be_the_best_ranked_candidate(capsys):
    import numpy as np

    from helpers.embeddings import to_keyed_vectors

    words = ["man", "woman", "king", "queen", "father", "mother", "apple"]
    vectors = np.array([[0, 1, 0, 0], [0, 0, 1, 0], [1, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 0, 1],
                        [0, 0, 1, 1]], dtype=float)  # father - man + woman lands nearer apple than mother
    kv = to_keyed_vectors(words, vectors)
    candidates = [("king", "queen"), ("father", "mother")]
    exercises.check_01_best_pair(("king", "queen"), kv, candidates)
    assert "✔ Exercise 3" in capsys.readouterr().out
    for wrong, message in [(None, "still None"), (("father", "mother"), "does better"), ("king", "tuple"),
                           (("boy", "girl"), "not one of the candidate pairs")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_01_best_pair(wrong, kv, candidates)


def test_01_sgns_loss_accepts_the_loss_and_names_each_usual_mistake(capsys):
    import torch
    from torch.nn.functional import logsigmoid

    from helpers.embeddings import sgns_loss

    exercises.check_01_sgns_loss(sgns_loss)
    assert "✔ Exercise 4" in capsys.readouterr().out

    def scores(c, o, n):
        return (c * o).sum(-1), (n @ c.unsqueeze(-1)).squeeze(-1)

    def sign_outside(c, o, n):
        p, q = scores(c, o, n)
        return -(logsigmoid(p) + logsigmoid(q).sum(-1)).mean()

    def mean_negatives(c, o, n):
        p, q = scores(c, o, n)
        return -(logsigmoid(p) + logsigmoid(-q).mean(-1)).mean()

    def summed(c, o, n):
        p, q = scores(c, o, n)
        return -(logsigmoid(p) + logsigmoid(-q).sum(-1)).sum()

    def per_pair(c, o, n):
        p, q = scores(c, o, n)
        return -(logsigmoid(p) + logsigmoid(-q).sum(-1))

    def no_log(c, o, n):
        p, q = scores(c, o, n)
        return -(torch.sigmoid(p) + torch.sigmoid(-q).sum(-1)).mean()

    def detached(c, o, n):
        return sgns_loss(c, o, n).detach()

    def starter(c, o, n):
        raise NotImplementedError()

    for wrong, message in [(sign_outside, "minus sign inside"), (mean_negatives, "averaged"), (summed, "summed"),
                           (per_pair, "one number"), (no_log, "not -log"), (detached, "no gradient"),
                           (lambda c, o, n: 0.0, "return a tensor")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_01_sgns_loss(wrong)
    with pytest.raises(NotImplementedError):
        exercises.check_01_sgns_loss(starter)



# --- 02 Word2Vec vs BERT ---


# --- 03 RNN, LSTM, GRU ---


# --- 04 gradients ---


# --- 05 text classifier ---
