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


def _last_hidden_solution(rnn, embedded, lengths):
    from torch.nn.utils.rnn import pack_padded_sequence

    _, state = rnn(pack_padded_sequence(embedded, lengths.cpu(), batch_first=True, enforce_sorted=False))
    return (state[0] if isinstance(state, tuple) else state)[-1]


def test_05_last_hidden_accepts_the_solution_and_the_padded_outputs_read_at_the_right_step(capsys):
    import torch
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    exercises.check_05_last_hidden(_last_hidden_solution)

    def from_outputs(rnn, embedded, lengths):  # another correct way: the output at each sequence's last step
        packed = pack_padded_sequence(embedded, lengths, batch_first=True, enforce_sorted=False)
        outputs, _ = pad_packed_sequence(rnn(packed)[0], batch_first=True)
        return outputs[torch.arange(len(lengths)), lengths - 1]

    exercises.check_05_last_hidden(from_outputs)
    assert capsys.readouterr().out.count("✔ Exercise 1") == 2


def _no_packing(rnn, embedded, lengths):
    state = rnn(embedded)[1]
    return (state[0] if isinstance(state, tuple) else state)[-1]


def _last_output_of_padded(rnn, embedded, lengths):
    return rnn(embedded)[0][:, -1]


def _sorted_only(rnn, embedded, lengths):
    from torch.nn.utils.rnn import pack_padded_sequence

    state = rnn(pack_padded_sequence(embedded, lengths, batch_first=True))[1]
    return (state[0] if isinstance(state, tuple) else state)[-1]


def _whole_lstm_state(rnn, embedded, lengths):
    from torch.nn.utils.rnn import pack_padded_sequence

    return rnn(pack_padded_sequence(embedded, lengths, batch_first=True, enforce_sorted=False))[1]


def _all_layers(rnn, embedded, lengths):
    from torch.nn.utils.rnn import pack_padded_sequence

    state = rnn(pack_padded_sequence(embedded, lengths, batch_first=True, enforce_sorted=False))[1]
    return state[0] if isinstance(state, tuple) else state


def _cell_state(rnn, embedded, lengths):
    from torch.nn.utils.rnn import pack_padded_sequence

    state = rnn(pack_padded_sequence(embedded, lengths, batch_first=True, enforce_sorted=False))[1]
    return (state[1] if isinstance(state, tuple) else state)[-1]


@pytest.mark.parametrize(("answer", "message"), [
    (None, "define a function"),
    (_no_packing, "state after the padding"),
    (_last_output_of_padded, "state after the padding"),
    (_sorted_only, "enforce_sorted=False"),
    (_whole_lstm_state, r"shape \(1, 3, 6\)"),  # a GRU first: its state is one tensor [layers, batch, hidden]
    (_all_layers, r"expected \[batch, hidden\]"),
    (_cell_state, "differs from running each sequence alone"),
])
def test_05_last_hidden_rejects_the_usual_mistakes(answer, message):
    with pytest.raises(exercises.ExerciseError, match=message):
        exercises.check_05_last_hidden(answer)


def test_05_bigrams_accepts_the_solution_and_rejects_the_starter_and_the_usual_mistakes(capsys):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from helpers import classify
    from helpers.data import tokenize

    def tfidf(ngram_range):
        return TfidfVectorizer(tokenizer=tokenize, lowercase=False, token_pattern=None, ngram_range=ngram_range)

    exercises.check_05_bigrams(make_pipeline(tfidf((1, 2)), classify.tuned_logreg()))
    exercises.check_05_bigrams(classify.tfidf_logreg(ngram_range=(1, 2)))
    assert capsys.readouterr().out.count("✔ Exercise 2") == 2
    wrong = [(classify.tfidf_logreg(), "single words only"),  # the unmodified starter
             (make_pipeline(tfidf((2, 2)), classify.tuned_logreg()), "word pairs only"),
             (make_pipeline(tfidf((1, 2)), LogisticRegression()), "fixed C"),
             (LogisticRegression(), "must be a scikit-learn pipeline")]
    for answer, message in wrong:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_05_bigrams(answer)


@pytest.fixture(scope="module")
def toy_vectors():
    import numpy as np

    from helpers.embeddings import to_keyed_vectors

    words = [f"w{i}" for i in range(40)]
    return to_keyed_vectors(words, np.random.default_rng(0).normal(size=(40, 8)))


def _frozen(vectors, freeze=True, copy=True, freeze_all=False):
    from helpers import classify

    def make(vocab):
        model = classify.TextClassifier(len(vocab), embed_size=vectors.vector_size, hidden_size=4, kind="lstm")
        if copy:
            classify.init_embeddings(model, vocab, vectors, freeze=freeze)
        else:
            model.body.embed.weight.requires_grad_(not freeze)
        if freeze_all:
            for p in model.parameters():
                p.requires_grad_(False)
        return model
    return make


def test_05_frozen_accepts_the_solution_and_rejects_the_usual_mistakes(toy_vectors, capsys):
    from helpers import classify

    exercises.check_05_frozen(_frozen(toy_vectors), toy_vectors)
    assert "✔ Exercise 3" in capsys.readouterr().out
    wrong = [(_frozen(toy_vectors, freeze=False), "still learns"),
             (_frozen(toy_vectors, copy=False), "does not hold the Word2Vec vectors"),
             (_frozen(toy_vectors, freeze_all=True), "LSTM is frozen too"),
             (lambda vocab: classify.TextClassifier(len(vocab), 5, 4), "embed_size=8"),
             (lambda vocab: None, "not a TextClassifier")]
    for answer, message in wrong:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_05_frozen(answer, toy_vectors)


def test_05_last_hidden_says_when_an_lstm_state_is_returned_whole():
    def whole_state_for_lstm(rnn, embedded, lengths):
        state = rnn(embedded)[1]
        return state if isinstance(state, tuple) else _last_hidden_solution(rnn, embedded, lengths)

    with pytest.raises(exercises.ExerciseError, match="LSTM it returned a tuple, not one tensor"):
        exercises.check_05_last_hidden(whole_state_for_lstm)
