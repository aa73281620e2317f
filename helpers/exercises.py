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


def check_05_last_hidden(last_hidden) -> None:
    """Exercise 05-1: last_hidden(rnn, embedded, lengths) is each sequence's state after its last real step."""
    import torch
    from torch import nn

    name = "Exercise 1"
    require(name, callable(last_hidden), "define a function last_hidden(rnn, embedded, lengths)")
    with torch.random.fork_rng():
        torch.manual_seed(0)
        layers = {"GRU": nn.GRU(4, 6, batch_first=True), "LSTM": nn.LSTM(4, 6, batch_first=True)}
        embedded = torch.randn(3, 5, 4)
    lengths = torch.tensor([2, 5, 3])  # not sorted, as in a shuffled mini-batch
    for kind, rnn in layers.items():
        with torch.no_grad():
            expected = torch.cat([_final_h(rnn(embedded[i:i + 1, :n])[1]) for i, n in enumerate(lengths.tolist())])
            after_padding = _final_h(rnn(embedded)[1])
            try:
                got = last_hidden(rnn, embedded.clone(), lengths.clone())
            except RuntimeError as error:
                sorted_hint = "sorted" in str(error)
                require(name, not sorted_hint, "pack_padded_sequence refused the unsorted lengths [2, 5, 3]: "
                        "pass enforce_sorted=False")
                raise ExerciseError(f"✘ {name}: with the {kind} it raised {type(error).__name__}: {error}") from None
        require(name, isinstance(got, torch.Tensor), f"with the {kind} it returned a {type(got).__name__}, not one "
                "tensor; an LSTM's state is a pair (h, c): take h")
        require(name, tuple(got.shape) == (3, 6), f"with the {kind} the result has shape {tuple(got.shape)}; "
                "expected [batch, hidden] = (3, 6): take the last layer, h[-1]")
        require(name, not torch.allclose(got, after_padding, atol=1e-5), f"with the {kind} this is the state after "
                "the padding: pack the batch with the true lengths so each sequence stops at its own end")
        require(name, torch.allclose(got, expected, atol=1e-5), f"with the {kind} the result differs from running "
                "each sequence alone (did you return c instead of h, or the outputs at a wrong step?)")
    passed(name, "each sequence's state after its last real step, for a GRU and an LSTM, lengths in any order")


def _final_h(state):
    hidden = state[0] if isinstance(state, tuple) else state
    return hidden[-1]


def check_05_bigrams(model) -> None:
    """Exercise 05-2: a TF-IDF pipeline with words and word pairs, and a logistic regression with C tuned."""
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.model_selection import GridSearchCV

    name = "Exercise 2"
    require(name, hasattr(model, "fit") and hasattr(model, "steps"), "bigram_model must be a scikit-learn pipeline, "
            "e.g. make_pipeline(TfidfVectorizer(...), classify.tuned_logreg())")
    texts = ["not good at all", "very good indeed", "not bad at all", "very bad indeed"] * 3
    fitted = clone(model).fit(texts, [0, 1, 1, 0] * 3)
    require(name, hasattr(fitted[0], "get_feature_names_out"), "the pipeline must start with a vectorizer")
    features = set(fitted[0].get_feature_names_out())
    require(name, any(" " in f for f in features), "the vectorizer keeps single words only: set ngram_range=(1, 2)")
    require(name, "good" in features, "the vectorizer keeps word pairs only: keep single words too, "
            "ngram_range=(1, 2)")
    require(name, isinstance(fitted[-1], (LogisticRegressionCV, GridSearchCV)), "the classifier has a fixed C: "
            "tune it inside the folds, e.g. with classify.tuned_logreg() (a LogisticRegressionCV)")
    passed(name, "words and word pairs, and C tuned inside the folds")


def check_05_frozen(make_frozen, vectors) -> None:
    """Exercise 05-3: make_frozen(vocab) has the Word2Vec vectors in a frozen embedding and a trainable LSTM."""
    import torch

    from helpers import classify

    name = "Exercise 3"
    require(name, callable(make_frozen), "define a function make_frozen(vocab) that returns a TextClassifier")
    words = vectors.index_to_key[:30]
    texts = [" ".join(words[i:i + 5]) + " zzzunknown" for i in range(0, 30, 5)]
    vocab = classify.build_vocab(texts)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = make_frozen(vocab)
    require(name, isinstance(model, classify.TextClassifier), f"make_frozen returned a {type(model).__name__}, "
            "not a TextClassifier")
    weight = model.body.embed.weight
    require(name, tuple(weight.shape) == (len(vocab), vectors.vector_size), f"the embedding has shape "
            f"{tuple(weight.shape)}; expected one row per vocabulary word and embed_size={vectors.vector_size}")
    rows = weight.detach()[vocab.encode(words)].cpu()
    require(name, torch.allclose(rows, torch.as_tensor(vectors[words])), "the embedding does not hold the Word2Vec "
            "vectors: copy them with classify.init_embeddings(model, vocab, vectors, ...)")
    require(name, not weight.requires_grad, "the embedding still learns: pass freeze=True to init_embeddings")
    require(name, all(p.requires_grad for p in model.body.rnn.parameters()), "the LSTM is frozen too: freeze only "
            "the embedding")
    before, lstm_before = weight.detach().clone(), model.body.rnn.weight_ih_l0.detach().clone()
    classify.train_classifier(model, classify.encode_dataset(vocab, texts, [0, 1] * 3), epochs=3, lr=0.01,
                              batch_size=2, device="cpu", progress=False)
    require(name, torch.equal(model.body.embed.weight.detach().cpu(), before.cpu()), "the embedding moved "
            "during training: it must stay frozen")
    require(name, not torch.equal(model.body.rnn.weight_ih_l0.detach().cpu(), lstm_before.cpu()),
            "the LSTM did not learn")
    passed(name, "the embedding holds the Word2Vec vectors and stays frozen while the LSTM learns")
