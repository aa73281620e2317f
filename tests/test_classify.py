import numpy as np
import pytest
import torch

from helpers import classify
from helpers.classify import TextClassifier, Vocab
from helpers.data import load_sentiment
from helpers.embeddings import to_keyed_vectors


@pytest.fixture(scope="module")
def toy():
    texts, labels = load_sentiment("toy")
    vocab = Vocab.build(texts)
    return texts, labels, vocab, vocab.encode_dataset(texts, labels)


# --- vocabulary ---

def test_vocab_reserves_pad_and_unk_and_orders_by_frequency():
    vocab = Vocab.build(["Good good movie", "bad movie, good"])
    assert vocab.itos == ["<pad>", "<unk>", "good", "movie", "bad"]
    assert (vocab.pad_index, vocab.unk_index) == (0, 1)
    assert len(vocab) == 5 and "good" in vocab and "great" not in vocab


def test_unknown_words_map_to_unk():
    vocab = Vocab.build(["good movie", "bad movie"])
    assert vocab.encode("A GOOD, dreadful movie") == [1, vocab.stoi["good"], 1, vocab.stoi["movie"]]
    assert vocab.unknown_words("a good dreadful movie") == ["a", "dreadful"]


def test_min_count_drops_rare_words_and_must_be_positive():
    assert Vocab.build(["a a b", "a c c"], min_count=2).itos == ["<pad>", "<unk>", "a", "c"]
    with pytest.raises(ValueError, match="min_count must be an integer >= 1"):
        Vocab.build(["a"], min_count=0)


def test_encode_batch_pads_with_zero_and_returns_true_lengths():
    vocab = Vocab.build(["a b c", "d"])
    tokens, lengths = vocab.encode_batch(["a b c", "d", "zz a"])
    assert tokens.tolist() == [[2, 3, 4], [5, 0, 0], [1, 2, 0]]
    assert lengths.tolist() == [3, 1, 2]


def test_encode_batch_rejects_empty_sentences_and_single_strings():
    vocab = Vocab.build(["a b"])
    with pytest.raises(ValueError, match=r"sentence 1 \('\.\.\.'\) has no words"):
        vocab.encode_batch(["a", "..."])
    with pytest.raises(TypeError, match="list of sentences"):
        vocab.encode_batch("a b")


# --- model ---

def test_unknown_rnn_kind_lists_valid_kinds():
    with pytest.raises(ValueError, match=r"unknown RNN kind 'transformer'.*'rnn', 'lstm', 'gru'"):
        TextClassifier(10, 4, 4, kind="transformer")


def test_sizes_must_be_positive():
    with pytest.raises(ValueError, match="hidden_dim must be a positive integer, got 0"):
        TextClassifier(10, 4, 0)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_packing_ignores_padding(kind, bidirectional, num_layers):
    torch.manual_seed(0)
    model = TextClassifier(20, 6, 5, kind=kind, bidirectional=bidirectional, num_layers=num_layers).eval()
    alone = torch.tensor([[3, 4, 5]])
    batch = torch.tensor([[7, 8, 9, 10, 11, 12, 13], [3, 4, 5, 0, 0, 0, 0]])
    lengths = torch.tensor([7, 3])
    with torch.no_grad():
        expected = model(alone, torch.tensor([3]))
        padded = model(batch, lengths)
        garbage = batch.clone()
        garbage[1, 3:] = 17  # whatever sits in the padded positions must not matter
        assert torch.allclose(model(garbage, lengths), padded, atol=1e-6)
    assert padded.shape == (2,)
    assert torch.allclose(padded[1], expected[0], atol=1e-6)


def test_without_packing_padding_would_leak_into_the_final_state():
    torch.manual_seed(0)
    model = TextClassifier(20, 6, 5, kind="gru").eval()
    with torch.no_grad():
        alone = model.final_state(torch.tensor([[3, 4, 5]]), torch.tensor([3]))
        _, unpacked = model.rnn(model.embedding(torch.tensor([[3, 4, 5, 0, 0, 0]])))
    assert not torch.allclose(unpacked[-1], alone, atol=1e-3)


def test_bidirectional_state_joins_both_directions():
    torch.manual_seed(0)
    model = TextClassifier(20, 6, 5, kind="lstm", bidirectional=True).eval()
    tokens = torch.tensor([[3, 4, 5]])
    with torch.no_grad():
        state = model.final_state(tokens, torch.tensor([3]))
        output, _ = model.rnn(model.embedding(tokens))
    assert state.shape == (1, 10)
    assert torch.allclose(state[0, :5], output[0, -1, :5])  # forward: after the last word
    assert torch.allclose(state[0, 5:], output[0, 0, 5:])  # backward: after reading back to the first word


# --- word vectors ---

def test_init_embeddings_copies_the_right_rows():
    vocab = Vocab.build(["good good movie bad"])  # <pad>, <unk>, good, bad, movie
    torch.manual_seed(0)
    model = TextClassifier(len(vocab), 3, 2)
    before = model.embedding.weight.detach().clone()
    vectors = to_keyed_vectors(["bad", "good", "plot"], np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]]))
    coverage = classify.init_embeddings(model, vocab, vectors)
    weight = model.embedding.weight.detach()
    assert weight[vocab.stoi["good"]].tolist() == [4, 5, 6]
    assert weight[vocab.stoi["bad"]].tolist() == [1, 2, 3]
    assert torch.equal(weight[vocab.stoi["movie"]], before[vocab.stoi["movie"]])
    assert torch.equal(weight[0], torch.zeros(3)) and torch.equal(weight[1], before[1])
    assert (coverage.found, coverage.total, coverage.missing) == (2, 3, ["movie"])
    assert str(coverage) == "2 of 3 vocabulary words have a pretrained vector (67%)"


def test_frozen_embeddings_are_left_out_of_the_optimizer():
    vocab = Vocab.build(["good bad"])
    model = TextClassifier(len(vocab), 2, 2)
    classify.init_embeddings(model, vocab, to_keyed_vectors(["good"], np.ones((1, 2))), freeze=True)
    optimized = {id(p) for group in classify.make_optimizer(model, 0.1).param_groups for p in group["params"]}
    assert id(model.embedding.weight) not in optimized
    assert optimized == {id(p) for p in model.parameters() if p is not model.embedding.weight}


def test_init_embeddings_checks_the_dimension():
    vocab = Vocab.build(["good"])
    with pytest.raises(ValueError, match="vectors have 4 dimensions but the model's embed_dim is 3"):
        classify.init_embeddings(TextClassifier(len(vocab), 3, 2), vocab, to_keyed_vectors(["good"], np.ones((1, 4))))


# --- training ---

def test_each_compared_model_learns_with_its_own_optimizer(toy):
    _, _, vocab, data = toy
    models = {}
    for kind in ["rnn", "lstm", "gru"]:
        torch.manual_seed(0)
        models[kind] = TextClassifier(len(vocab), 8, 8, kind=kind)
    optimizer = classify.make_optimizer(models["gru"], 0.01)
    assert {id(p) for p in optimizer.param_groups[0]["params"]} == {id(p) for p in models["gru"].parameters()}
    for kind, model in models.items():
        others = {k: [p.detach().clone() for p in m.parameters()] for k, m in models.items() if k != kind}
        before = [p.detach().clone() for p in model.parameters()]
        history = classify.train_classifier(model, data, epochs=15, lr=0.02, batch_size=4, device="cpu",
                                            progress=False)
        assert all(not torch.equal(b, p) for b, p in zip(before, model.parameters())), kind
        assert history.train_loss[-1] < 0.5 * history.train_loss[0], kind
        for other, params in others.items():  # training one model leaves the others untouched
            assert all(torch.equal(b, p) for b, p in zip(params, models[other].parameters())), (kind, other)


def test_early_stopping_restores_the_best_epoch(toy):
    _, labels, vocab, data = toy
    flipped = classify.Encoded(data.tokens, data.lengths, 1 - data.labels)  # the better it fits, the worse here
    torch.manual_seed(0)
    model = TextClassifier(len(vocab), 8, 8, kind="gru")
    history = classify.train_classifier(model, data, flipped, epochs=50, lr=0.05, batch_size=4, patience=3,
                                        device="cpu", progress=False)
    assert history.stopped_early
    assert history.best_epoch == int(np.argmin(history.val_loss)) + 1
    assert len(history.val_loss) == history.best_epoch + 3
    assert history.val_loss[-1] > history.val_loss[history.best_epoch - 1]
    assert classify.evaluate(model, flipped, device="cpu")[0] == pytest.approx(history.val_loss[history.best_epoch - 1])


def test_training_runs_on_one_cpu_thread_and_restores_the_setting(toy, monkeypatch):
    _, _, vocab, data = toy
    seen = []
    model = TextClassifier(len(vocab), 4, 4)
    monkeypatch.setattr(model, "forward", lambda tokens, lengths: seen.append(torch.get_num_threads())
                        or torch.zeros(len(lengths), requires_grad=True))
    before = torch.get_num_threads()
    classify.train_classifier(model, data, epochs=1, device="cpu", progress=False)
    assert seen and set(seen) == {1}
    assert torch.get_num_threads() == before


def test_training_arguments_are_checked(toy):
    _, _, vocab, data = toy
    with pytest.raises(ValueError, match="lr must be > 0, got 0"):
        classify.train_classifier(TextClassifier(len(vocab)), data, lr=0)
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        classify.train_classifier(TextClassifier(len(vocab)), data, device="tpu")


def test_predict_sentiment_handles_unknown_words_and_rejects_empty_input(toy):
    _, _, vocab, _ = toy
    model = TextClassifier(len(vocab), 4, 4)
    prob, label = classify.predict_sentiment(model, vocab, "zzz qqq", device="cpu")
    assert 0 < prob < 1 and label == ("positive" if prob >= 0.5 else "negative")
    same, _ = classify.predict_sentiment(model, vocab, "xyzzy plugh", device="cpu")
    assert same == pytest.approx(prob)  # both are just <unk> <unk>
    for empty in ["", "  ?! "]:
        with pytest.raises(ValueError, match="has no words after tokenizing"):
            classify.predict_sentiment(model, vocab, empty)
    with pytest.raises(TypeError, match="must be a string"):
        classify.predict_sentiment(model, vocab, ["good"])


# --- cross-validation and baselines ---

def test_folds_are_stratified_disjoint_and_seeded():
    labels = [0] * 10 + [1] * 15
    folds = classify.stratified_folds(labels, n_splits=5, seed=0)
    assert len(folds) == 5
    assert sorted(np.concatenate([test for _, test in folds]).tolist()) == list(range(25))
    for train, test in folds:
        assert set(train).isdisjoint(test)
        assert np.bincount(np.asarray(labels)[test]).tolist() == [2, 3]
    again = classify.stratified_folds(labels, n_splits=5, seed=0)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, again))
    other = classify.stratified_folds(labels, n_splits=5, seed=1)
    assert not all(np.array_equal(a[1], b[1]) for a, b in zip(folds, other))


def test_sklearn_runner_scores_each_fold_out_of_sample():
    labels = np.array([0, 1] * 10)
    features = np.c_[labels * 2.0 - 1.0, np.zeros(20)]
    result = classify.cross_validate_sklearn(classify.feature_logreg(), features, labels,
                                             classify.stratified_folds(labels, 4), name="separable")
    assert result.scores == [1.0] * 4 and str(result) == "separable: 1.000 ± 0.000"
    assert result.predictions.tolist() == labels.tolist()


def test_rnn_runner_fills_every_out_of_fold_prediction(toy):
    texts, labels, _, _ = toy
    folds = classify.stratified_folds(labels, n_splits=3)
    result = classify.cross_validate_rnn(lambda vocab: TextClassifier(len(vocab), 4, 4), texts, labels, folds,
                                         val_fraction=0.25, epochs=2, device="cpu", progress=False)
    assert len(result.scores) == 3 and len(result.histories) == 3
    assert not np.isnan(result.probabilities).any()
    assert result.mean == pytest.approx(np.mean(result.predictions == np.array(labels)))


def test_tfidf_baseline_uses_the_same_tokens():
    pipeline = classify.tfidf_logreg().fit(["I've loved it", "I hated it"], [1, 0])
    assert sorted(pipeline[0].vocabulary_) == ["hated", "i", "i've", "it", "loved"]


def test_average_vectors_averages_known_words_only():
    vectors = to_keyed_vectors(["good", "movie"], np.array([[1.0, 0.0], [0.0, 3.0]]))
    features = classify.average_vectors(["good movie zzz", "zzz"], vectors)
    assert features.tolist() == [[0.5, 1.5], [0.0, 0.0]]
