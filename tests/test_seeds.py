"""The seed convention (helpers/device.py): a helper's seed decides its random numbers, and nothing else does.

For every helper that takes a seed: the same seed gives the same result whatever state the global generators
are in, another seed gives another result (so a seed that is ignored fails), and the caller's global
generators (torch, NumPy, Python) are exactly as they were after the call.
"""

import random

import numpy as np
import pytest
import torch

from helpers import classify, embeddings, gradients, rnn
from helpers.data import load_sentiment
from helpers.device import run_on, seeded
from helpers.vocab import Vocab

PATTERN = "abcab cabba " * 20
WORDS = [["the", "cat", "sat", "on", "the", "mat"], ["the", "dog", "sat", "on", "the", "rug"]] * 10


def weights(model: torch.nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def _sentiment():
    texts, labels = load_sentiment("toy")
    vocab = classify.build_vocab(texts)
    return texts, labels, vocab, classify.encode_dataset(vocab, texts, labels)


def _tagger_data():
    vocab = Vocab.of_characters(PATTERN)
    text, ends = rnn.segmentation_data(PATTERN)
    return vocab, vocab.encode(text), ends


def _train_classifier(seed):
    _, _, vocab, data = _sentiment()
    model = classify.TextClassifier(len(vocab), 4, 4, dropout=0.3, seed=0)  # dropout: global randomness inside
    return classify.train_classifier(model, data, epochs=2, batch_size=4, device="cpu", seed=seed,
                                     progress=False)["loss"]


def _cross_validate(seed):
    texts, labels, _, _ = _sentiment()
    folds = classify.stratified_folds(labels, n_splits=2, seed=0)
    result = classify.cross_validate_rnn(lambda vocab: classify.TextClassifier(len(vocab), 4, 4), texts, labels,
                                         folds, epochs=1, seed=seed, device="cpu", progress=False)
    return result.probabilities


def _train_tagger(seed):
    vocab, ids, ends = _tagger_data()
    model = rnn.Tagger(len(vocab), 4, seed=0)
    return rnn.train_tagger(model, ids, ends, steps=3, seq_len=8, batch_size=4, device="cpu", seed=seed,
                            progress=False)["loss"]


def _sample(seed):
    vocab = Vocab.of_characters(PATTERN)
    return rnn.sample(rnn.CharLM(len(vocab), 4, seed=0), vocab, "ab", length=20, temperature=2.0, device="cpu",
                      seed=seed)


def _train_first_token(seed):
    model = gradients.make_model("rnn", hidden_size=4, seed=0)
    return gradients.train_first_token(model, 5, steps=3, device="cpu", seed=seed, progress=False)["loss"]


def _train_skipgram(seed):
    vocab = embeddings.word_vocab(WORDS)
    pairs = embeddings.skipgram_pairs(embeddings.encode_corpus(WORDS, vocab), window=1)
    kv, _ = embeddings.train_skipgram(pairs, vocab.tokens, dim=3, epochs=2, device="cpu", seed=seed, progress=False)
    return kv.vectors


def _train_sgns(seed):
    kv, _ = embeddings.train_sgns(WORDS, dim=4, window=2, negative=2, epochs=1, min_count=1, sample=0, batch_size=16,
                                  device="cpu", seed=seed, progress=False)
    return kv.vectors


HELPERS = {
    "make_model": lambda seed: weights(gradients.make_model("gru", hidden_size=4, seed=seed)),
    "make_model (attention)": lambda seed: weights(gradients.make_model("attention", hidden_size=8, seed=seed)),
    "make_model (residual)": lambda seed: weights(gradients.make_model("rnn", 4, residual=True, seed=seed)),
    "CharLM": lambda seed: weights(rnn.CharLM(5, 4, "lstm", seed=seed)),
    "Tagger": lambda seed: weights(rnn.Tagger(5, 4, seed=seed)),
    "TextClassifier": lambda seed: weights(classify.TextClassifier(5, 3, 4, seed=seed)),
    "train_classifier": _train_classifier,
    "cross_validate_rnn": _cross_validate,
    "train_tagger": _train_tagger,
    "sample": _sample,
    "train_first_token": _train_first_token,
    "lab_experiment": lambda seed: gradients.lab_experiment("lstm", 5, steps=2, hidden_size=4, device="cpu",
                                                            seed=seed, progress=False).loss,
    "norms_at_init": lambda seed: gradients.norms_at_init({"rnn": {"kind": "rnn", "hidden_size": 4}}, seq_len=5,
                                                          batch_size=4, seed=seed, device="cpu")["rnn"],
    "train_skipgram": _train_skipgram,
    "train_sgns": _train_sgns,
}


def _global_states():
    return torch.get_rng_state(), np.random.get_state()[1].copy(), random.getstate()


def _same(a, b) -> bool:
    if isinstance(a, str):
        return a == b
    return np.array_equal(np.asarray(a, dtype=float), np.asarray(b, dtype=float))


@pytest.mark.parametrize("helper", list(HELPERS))
def test_a_seed_decides_the_result_and_the_callers_generators_stay_as_they_were(helper):
    run = HELPERS[helper]
    results = []
    for disturbance in (1, 2):  # a different global state before each call: it must not matter
        torch.manual_seed(disturbance)
        np.random.seed(disturbance)
        random.seed(disturbance)
        before = _global_states()
        results.append(run(3))
        after = _global_states()
        assert torch.equal(after[0], before[0]), "the helper changed torch's global generator"
        assert np.array_equal(after[1], before[1]) and after[2] == before[2], "it changed NumPy's or Python's"
    assert _same(results[0], results[1]), "the same seed gave different results"
    assert not _same(results[0], run(4)), "another seed gave the same result: is the seed ignored?"


def test_seeded_forks_torchs_generator_and_none_leaves_it_alone():
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    with seeded(3):
        inside = torch.rand(2)
    assert torch.equal(torch.rand(3), expected)  # as if the block had not run
    torch.manual_seed(3)
    assert torch.equal(torch.rand(2), inside)  # the block drew as from manual_seed(3)
    torch.manual_seed(5)
    with seeded(None):
        torch.rand(1)
    assert not torch.equal(torch.rand(3), expected)  # seed=None: the block drew from the caller's generator


def test_run_on_gives_the_callers_generator_back_even_after_an_error():
    torch.manual_seed(7)
    state = torch.get_rng_state()
    with pytest.raises(RuntimeError, match="boom"):
        with run_on("cpu", seed=1):
            torch.rand(5)
            raise RuntimeError("boom")
    assert torch.equal(torch.get_rng_state(), state)


def test_a_model_without_a_seed_draws_from_the_global_generator_like_any_module():
    torch.manual_seed(0)
    first = weights(rnn.CharLM(5, 4))
    assert torch.equal(first, weights(rnn.CharLM(5, 4, seed=0)))  # seed=0 is manual_seed(0) and build
    assert not torch.equal(weights(rnn.CharLM(5, 4)), first)  # the global generator moved on
