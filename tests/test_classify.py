import numpy as np
import pytest
import torch

from helpers import classify
from helpers.classify import TextClassifier
from helpers.data import load_sentiment
from helpers.embeddings import to_keyed_vectors
from helpers.recurrent import Recurrent


@pytest.fixture(scope="module")
def toy():
    texts, labels = load_sentiment("toy")
    vocab = classify.build_vocab(texts)
    return texts, labels, vocab, classify.encode_dataset(vocab, texts, labels)


# --- vocabulary and encoding ---

def test_vocab_reserves_pad_and_unk_and_orders_by_frequency():
    vocab = classify.build_vocab(["Good good movie", "bad movie, good"])
    assert vocab.tokens == ["<pad>", "<unk>", "good", "movie", "bad"]  # tokenize drops punctuation
    assert vocab.pad_id == 0 and vocab.index("dreadful") == 1


def test_encode_batch_pads_with_zero_and_returns_true_lengths():
    vocab = classify.build_vocab(["a b c", "d"])
    tokens, lengths = classify.encode_batch(vocab, ["a b c", "d", "zz a"])
    assert tokens.tolist() == [[2, 3, 4], [5, 0, 0], [1, 2, 0]]
    assert lengths.tolist() == [3, 1, 2]


def test_encode_batch_rejects_empty_sentences_and_single_strings():
    vocab = classify.build_vocab(["a b"])
    with pytest.raises(ValueError, match=r"sentence 1 \('\.\.\.'\) has no words"):
        classify.encode_batch(vocab, ["a", "..."])
    with pytest.raises(TypeError, match="list of strings"):
        classify.encode_batch(vocab, "a b")


def test_encode_dataset_needs_one_label_per_text():
    vocab = classify.build_vocab(["a b"])
    with pytest.raises(ValueError, match="2 texts but 1 labels"):
        classify.encode_dataset(vocab, ["a", "b"], [1])


# --- model ---

def test_classifier_is_the_shared_backbone_plus_a_head():
    model = TextClassifier(20, embed_size=6, hidden_size=5, kind="gru", bidirectional=True)
    assert isinstance(model.body, Recurrent) and model.body.embed.padding_idx == 0
    assert model.head.in_features == 10


def test_bad_arguments_name_what_is_allowed():
    with pytest.raises(ValueError, match=r"unknown RNN kind 'transformer'"):
        TextClassifier(10, 4, 4, kind="transformer")
    with pytest.raises(ValueError, match="hidden_size must be an integer >= 1, got 0"):
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
        alone = model(torch.tensor([[3, 4, 5]]), torch.tensor([3]))
        _, state = model.body(torch.tensor([[3, 4, 5, 0, 0, 0]]))  # no lengths: the state after the padding
        unpacked = model.head(state[-1]).squeeze(-1)
    assert not torch.allclose(unpacked, alone, atol=1e-3)


# --- word vectors ---

def test_init_embeddings_copies_the_right_rows():
    vocab = classify.build_vocab(["good good movie bad"])  # <pad>, <unk>, good, bad, movie
    torch.manual_seed(0)
    model = TextClassifier(len(vocab), 3, 2)
    before = model.body.embed.weight.detach().clone()
    vectors = to_keyed_vectors(["bad", "good", "plot"], np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]]))
    coverage = classify.init_embeddings(model, vocab, vectors)
    weight = model.body.embed.weight.detach()
    assert weight[vocab.index("good")].tolist() == [4, 5, 6]
    assert weight[vocab.index("bad")].tolist() == [1, 2, 3]
    assert torch.equal(weight[vocab.index("movie")], before[vocab.index("movie")])
    assert torch.equal(weight[0], torch.zeros(3)) and torch.equal(weight[1], before[1])
    assert (coverage.found, coverage.total, coverage.missing) == (2, 3, ["movie"])
    assert str(coverage) == "2 of 3 vocabulary words have a pretrained vector (67%)"


def test_frozen_embeddings_are_left_out_of_the_optimizer():
    vocab = classify.build_vocab(["good bad"])
    model = TextClassifier(len(vocab), 2, 2)
    classify.init_embeddings(model, vocab, to_keyed_vectors(["good"], np.ones((1, 2))), freeze=True)
    optimized = {id(p) for group in classify.make_optimizer(model, 0.1).param_groups for p in group["params"]}
    assert id(model.body.embed.weight) not in optimized
    assert optimized == {id(p) for p in model.parameters() if p is not model.body.embed.weight}


def test_init_embeddings_checks_the_dimension():
    vocab = classify.build_vocab(["good"])
    with pytest.raises(ValueError, match="vectors have 4 dimensions but the model's embed_size is 3"):
        classify.init_embeddings(TextClassifier(len(vocab), 3, 2), vocab, to_keyed_vectors(["good"], np.ones((1, 4))))


# --- training ---

def test_train_step_updates_only_its_optimizers_model(toy):
    _, _, vocab, data = toy
    torch.manual_seed(0)
    model, other = TextClassifier(len(vocab), 4, 4), TextClassifier(len(vocab), 4, 4)
    before = [p.detach().clone() for p in model.parameters()]
    other_before = [p.detach().clone() for p in other.parameters()]
    index = torch.arange(4)
    loss = classify.train_step(model, *data.batch(index, torch.device("cpu")), classify.make_optimizer(model, 0.1))
    with torch.no_grad():
        expected = torch.nn.functional.binary_cross_entropy_with_logits(
            torch.func.functional_call(model, dict(zip([n for n, _ in model.named_parameters()], before)),
                                       (data.tokens[index, :int(data.lengths[index].max())], data.lengths[index])),
            data.labels[index])
    assert isinstance(loss, float) and loss == pytest.approx(expected.item(), rel=1e-5)
    assert all(not torch.equal(b, p) for b, p in zip(before, model.parameters()))
    assert all(torch.equal(b, p) for b, p in zip(other_before, other.parameters()))


def test_each_compared_model_learns_with_its_own_optimizer(toy):
    _, _, vocab, data = toy
    for kind in ["rnn", "lstm", "gru"]:
        torch.manual_seed(0)
        model = TextClassifier(len(vocab), 8, 8, kind=kind)
        history = classify.train_classifier(model, data, epochs=15, lr=0.02, batch_size=4, device="cpu",
                                            progress=False)
        assert history.names() == ["epoch", "loss"] and len(history) == 15
        assert history["loss"][-1] < 0.5 * history["loss"][0], kind
        assert classify.kept_epoch(history) == 15


def test_early_stopping_restores_the_best_epoch(toy):
    _, _, vocab, data = toy
    flipped = classify.Encoded(data.tokens, data.lengths, 1 - data.labels)  # the better it fits, the worse here
    torch.manual_seed(0)
    model = TextClassifier(len(vocab), 8, 8, kind="gru")
    history = classify.train_classifier(model, data, flipped, epochs=50, lr=0.05, batch_size=4, patience=3,
                                        device="cpu", progress=False)
    best = classify.kept_epoch(history)
    assert len(history) == best + 3 < 50  # stopped after 3 epochs without improvement
    assert history["val_loss"][-1] > history["val_loss"][best - 1]
    assert classify.evaluate(model, flipped, device="cpu")[0] == pytest.approx(history["val_loss"][best - 1])


def test_evaluate_measures_in_eval_mode_without_gradients_in_any_batch_size(toy):
    _, labels, vocab, data = toy
    torch.manual_seed(0)
    model = TextClassifier(len(vocab), 8, 8, kind="lstm", dropout=0.5)
    model.train()
    logits = classify.logits_of(model, data, batch_size=5, device=torch.device("cpu"))
    assert not model.training and not logits.requires_grad and logits.shape == (len(labels),)
    whole = classify.logits_of(model, data, batch_size=len(labels), device=torch.device("cpu"))
    torch.testing.assert_close(logits, whole)  # packed: the batch split does not change a logit
    loss, accuracy = classify.evaluate(model, data, batch_size=5, device="cpu")
    expected = torch.nn.functional.binary_cross_entropy_with_logits(whole, data.labels).item()
    assert loss == pytest.approx(expected)
    assert accuracy == pytest.approx(((whole > 0).float() == data.labels).float().mean().item())


def test_early_stopping_on_validation_accuracy_keeps_the_most_accurate_epoch(toy):
    _, _, vocab, data = toy
    torch.manual_seed(0)
    model = TextClassifier(len(vocab), 8, 8, kind="gru")
    history = classify.train_classifier(model, data, data, epochs=8, lr=0.05, batch_size=4, patience=2,
                                        device="cpu", progress=False, monitor="val_accuracy")
    best = classify.kept_epoch(history, monitor="val_accuracy")
    accuracies = history["val_accuracy"]
    assert accuracies[best - 1] == max(accuracies) and accuracies.index(max(accuracies)) == best - 1  # first best
    assert len(history) == 8 or len(history) == best + 2
    assert classify.evaluate(model, data, device="cpu")[1] == pytest.approx(accuracies[best - 1])
    assert classify.best_validation(history, "val_accuracy") == pytest.approx(max(accuracies))
    with pytest.raises(ValueError, match="monitor"):
        classify.train_classifier(model, data, data, epochs=1, device="cpu", progress=False, monitor="accuracy")


def test_training_is_repeatable_with_a_seed(toy):
    _, _, vocab, data = toy
    runs = []
    for disturbance in (1, 2):
        torch.manual_seed(0)
        model = TextClassifier(len(vocab), 4, 4, dropout=0.3)
        torch.manual_seed(disturbance)  # dropout draws from the global generator: equal runs need the seed argument
        runs.append(classify.train_classifier(model, data, epochs=3, seed=1, device="cpu", progress=False)["loss"])
    assert runs[0] == runs[1]


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
    with pytest.raises(ValueError, match="lr must be a number > 0, got 0"):
        classify.train_classifier(TextClassifier(len(vocab)), data, lr=0)
    with pytest.raises(TypeError, match="epochs must be an integer"):
        classify.train_classifier(TextClassifier(len(vocab)), data, epochs=2.5)
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        classify.train_classifier(TextClassifier(len(vocab)), data, device="tpu")


def test_predict_sentiment_handles_unknown_words_and_rejects_empty_input(toy):
    _, _, vocab, _ = toy
    model = TextClassifier(len(vocab), 4, 4)
    prob, label = classify.predict_sentiment(model, vocab, "zzz qqq", device="cpu")
    assert 0 < prob < 1 and label == ("positive" if prob > 0.5 else "negative")
    same, _ = classify.predict_sentiment(model, vocab, "xyzzy plugh", device="cpu")
    assert same == pytest.approx(prob)  # both are just <unk> <unk>
    with pytest.raises(ValueError, match="sentence must be a non-empty string"):
        classify.predict_sentiment(model, vocab, "")
    with pytest.raises(ValueError, match="has no words after tokenizing"):
        classify.predict_sentiment(model, vocab, "  ?! ")
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
    labels = np.array([0, 1] * 20)
    features = np.c_[labels * 2.0 - 1.0, np.zeros(40)]
    result = classify.cross_validate_sklearn(classify.feature_logreg(), features, labels,
                                             classify.stratified_folds(labels, 4), name="separable")
    assert result.scores == [1.0] * 4 and str(result) == "separable: 1.000 (sample std over folds 0.000)"
    assert result.predictions.tolist() == labels.tolist()


def test_sklearn_runner_never_lets_a_fold_see_its_own_labels():
    labels = np.array([0, 1] * 20)
    features = np.eye(40)  # every sentence has its own feature: nothing carries over to unseen sentences
    result = classify.cross_validate_sklearn(classify.feature_logreg(),
                                             features, labels, classify.stratified_folds(labels, 4))
    assert result.mean <= 0.6


def test_tuned_logreg_picks_strong_regularisation_for_noise():
    rng = np.random.default_rng(0)
    noise, labels = rng.normal(size=(80, 50)), np.array([0, 1] * 40)
    signal = np.c_[labels + 0.1 * rng.normal(size=80), rng.normal(size=(80, 5))]
    assert classify.chosen_C(classify.feature_logreg().fit(noise, labels)) < \
        classify.chosen_C(classify.feature_logreg().fit(signal, labels))


def test_rnn_runner_fills_every_out_of_fold_prediction(toy):
    texts, labels, _, _ = toy
    folds = classify.stratified_folds(labels, n_splits=3)
    result = classify.cross_validate_rnn(lambda vocab: TextClassifier(len(vocab), 4, 4), texts, labels, folds,
                                         val_fraction=0.25, epochs=2, device="cpu", progress=False)
    assert len(result.scores) == 3 and len(result.histories) == 3
    assert not np.isnan(result.probabilities).any()
    assert result.mean == pytest.approx(np.mean(result.predictions == np.array(labels)))


def test_bag_of_words_baselines_use_the_same_tokens():
    for pipeline in [classify.tfidf_logreg(), classify.naive_bayes()]:
        pipeline.fit(["I've loved it", "I hated it"] * 5, [1, 0] * 5)
        assert sorted(pipeline[0].vocabulary_) == ["hated", "i", "i've", "it", "loved"]
    bigrams = classify.tfidf_logreg(ngram_range=(1, 2)).fit(["not good", "very good"] * 5, [0, 1] * 5)
    assert "not good" in bigrams[0].vocabulary_


def test_naive_bayes_learns_word_evidence():
    texts = ["great fun", "great film", "dull film", "dull plot"] * 3
    model = classify.naive_bayes().fit(texts, [1, 1, 0, 0] * 3)
    assert model.predict(["great plot", "dull fun"]).tolist() == [1, 0]


def test_average_vectors_averages_known_words_only():
    vectors = to_keyed_vectors(["good", "movie"], np.array([[1.0, 0.0], [0.0, 3.0]]))
    features = classify.average_vectors(["good movie zzz", "zzz"], vectors)
    assert features.tolist() == [[0.5, 1.5], [0.0, 0.0]]


def test_tune_rnn_and_tune_sklearn_choose_on_the_same_validation_part():
    texts = [f"good great fine {i}" for i in range(12)] + [f"bad awful poor {i}" for i in range(12)]
    labels = np.array([1] * 12 + [0] * 12)
    folds = classify.stratified_folds(labels, n_splits=3, seed=0)
    splits = classify.validation_splits(labels, folds, val_fraction=0.25, seed=0)
    for fit, val, test in splits:
        assert not set(fit) & set(val) and not set(val) & set(test) and len(fit) + len(val) + len(test) == 24
    grid = [{"lr": 0.05, "dropout": 0.0}, {"lr": 0.001, "dropout": 0.0}]
    result = classify.tune_rnn(lambda vocab, dropout: TextClassifier(len(vocab), 4, 4, dropout=dropout), texts,
                               labels, splits, grid, epochs=15, batch_size=4, patience=3, device="cpu")
    assert len(result.chosen) == 3 and all(c in grid for c in result.chosen)
    assert result.mean > 0.9 and len(result.val_probabilities) == 3
    calibrated = classify.calibrate(result, splits)
    assert np.all((calibrated >= 0) & (calibrated <= 1))
    baseline = classify.tune_sklearn(lambda C: classify.logreg_tfidf(C), texts, labels, splits,
                                     [{"C": 0.01}, {"C": 10.0}])
    assert baseline.chosen == [{"C": 10.0}] * 3 and baseline.mean == 1.0
    assert baseline.std == pytest.approx(np.std(baseline.scores, ddof=1))


def test_tune_rnns_in_worker_processes_gives_tune_rnns_numbers():
    texts = [f"good great fine {i}" for i in range(9)] + [f"bad awful poor {i}" for i in range(9)]
    labels = np.array([1] * 9 + [0] * 9)
    splits = classify.validation_splits(labels, classify.stratified_folds(labels, n_splits=3, seed=0), 0.25)
    grid = [{"lr": 0.05, "dropout": 0.0}, {"lr": 0.01, "dropout": 0.5}]
    train = {"epochs": 3, "batch_size": 4, "patience": 2, "device": "cpu"}
    builders = {"GRU": classify.variant("gru", embed_size=4, hidden_size=4),
                "BiLSTM": classify.variant("lstm", True, embed_size=4, hidden_size=3)}
    side_by_side = classify.tune_rnns(builders, texts, labels, splits, grid, workers=2, **train)
    assert list(side_by_side) == ["GRU", "BiLSTM"]
    for name, build in builders.items():
        one_by_one = classify.tune_rnn(build, texts, labels, splits, grid, name=name, **train)
        got = side_by_side[name]
        assert got.name == name and got.chosen == one_by_one.chosen
        np.testing.assert_array_equal(got.probabilities, one_by_one.probabilities)
        assert [h["val_loss"] for h in got.histories] == [h["val_loss"] for h in one_by_one.histories]
    model = builders["BiLSTM"](classify.build_vocab(texts), 0.5)
    assert model.body.bidirectional and model.body.hidden_size == 3 and model.dropout.p == 0.5
    with pytest.raises(ValueError, match="workers"):
        classify.tune_rnns(builders, texts, labels, splits, grid, workers=0, **train)


def test_tune_rnns_says_what_to_do_when_a_worker_dies(monkeypatch):
    from concurrent.futures.process import BrokenProcessPool

    class Broken:
        def __init__(self, *args, **kwargs):
            raise BrokenProcessPool("A child process terminated abruptly")

    monkeypatch.setattr("concurrent.futures.ProcessPoolExecutor", Broken)
    labels = np.array([1, 0] * 6)
    splits = classify.validation_splits(labels, classify.stratified_folds(labels, n_splits=2, seed=0), 0.25)
    with pytest.raises(RuntimeError, match="if __name__ == '__main__'.*workers=1"):
        classify.tune_rnns({"GRU": classify.variant("gru")}, ["good film", "bad film"] * 6, labels, splits,
                           [{"lr": 0.01, "dropout": 0.0}], workers=2, epochs=1, device="cpu")


def test_unpacked_classifier_reads_the_padding():
    model = TextClassifier(6, 3, 4, kind="gru", seed=0, packed=False)
    tokens, lengths = torch.tensor([[2, 3, 0, 0], [2, 3, 4, 5]]), torch.tensor([2, 4])
    with torch.no_grad():
        padded = model(tokens, lengths)[0]
        alone = model(tokens[:1, :2], lengths[:1])[0]
    assert not torch.allclose(padded, alone)


def test_cv_table_lists_each_model_with_its_folds_mean_std_and_settings():
    result = classify.CVResult("GRU", [0.6, 0.7, 0.8], np.zeros(3), chosen=[{"lr": 0.01}, {"lr": 0.02}, {"lr": 0.01}])
    table = classify.cv_table({"GRU": result}, {"GRU": 1234})
    header, rule, row = table.splitlines()
    assert header.count("|") == rule.count("|") == row.count("|") == 7
    assert row == "| GRU | 1,234 | 0.600, 0.700, 0.800 | 0.700 | 0.100 | lr 0.01; lr 0.02; lr 0.01 |"


def test_runs_at_cap_counts_the_runs_the_cap_ended():
    from helpers.history import History

    def run(accuracies):
        history = History()
        for epoch, accuracy in enumerate(accuracies, 1):
            history.log(epoch=epoch, val_accuracy=accuracy)
        return history

    capped = run([0.5, 0.6, 0.7])  # still improving at the cap
    stopped = run([0.5, 0.7, 0.6])  # 3 epochs, best at 2, patience 2: would have gone on, so the cap ended it too
    early = run([0.7, 0.6, 0.5])  # best at 1, two epochs without a new best: early stopping ended it
    short = run([0.5, 0.6])  # stopped before the cap
    assert classify.runs_at_cap([capped, stopped, early, short], epochs=3, patience=2) == 2
    assert classify.runs_at_cap([capped, stopped], epochs=3, patience=1) == 1


def test_label_name_is_in_the_course_language(monkeypatch):
    assert [classify.label_name(0), classify.label_name(1)] == ["negative", "positive"]
    monkeypatch.setenv("COURSE_LANGUAGE", "zh-CN")
    assert [classify.label_name(0), classify.label_name(1)] == ["负面", "正面"]
    with pytest.raises(ValueError, match="0 .negative. or 1"):
        classify.label_name(2)
