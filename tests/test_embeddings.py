"""Tests for helpers.embeddings: pairs, the full-softmax and SGNS models, gensim training and evaluation."""

import numpy as np
import pytest
import torch

from helpers import embeddings as emb
from helpers.data import analogies_path
from helpers.embeddings import stable_hash, to_keyed_vectors, train_word2vec

TOY = [["i", "love", "deep", "learning"], ["i", "love", "pytorch"], ["deep", "learning", "is", "fun"]] * 20


def test_stable_hash_is_fixed():
    assert stable_hash("bank") == stable_hash("bank") == 3630219130


def test_word2vec_is_repeatable():
    first = train_word2vec(TOY, dim=8, min_count=1, epochs=2)
    second = train_word2vec(TOY, dim=8, min_count=1, epochs=2)
    assert first.vector_size == 8 and len(first) == 7
    np.testing.assert_array_equal(first["love"], second["love"])
    cbow = train_word2vec(TOY, dim=8, min_count=1, epochs=2, sg=0)
    assert cbow.index_to_key == first.index_to_key and not np.allclose(cbow["love"], first["love"])


def test_word2vec_rejects_bad_input():
    with pytest.raises(ValueError, match="empty"):
        train_word2vec([])
    with pytest.raises(ValueError, match="dim must be an integer >= 1"):
        train_word2vec(TOY, dim=0)
    with pytest.raises(ValueError, match="min_count=1000"):
        train_word2vec(TOY, min_count=1000)
    with pytest.raises(ValueError, match="sg must be 1"):
        train_word2vec(TOY, sg=2)
    with pytest.raises(ValueError, match="workers must be an integer >= 1"):
        train_word2vec(TOY, workers=0)
    with pytest.raises(TypeError, match="split them first"):
        train_word2vec(["i love deep learning"])


def test_to_keyed_vectors_round_trip():
    kv = to_keyed_vectors(["a", "b"], np.eye(2))
    assert kv.similarity("a", "b") == pytest.approx(0.0)
    with pytest.raises(ValueError, match="one row per word"):
        to_keyed_vectors(["a"], np.eye(2))


# --- vocabulary, one-hot vs dense ---

LESSON = [["i", "love", "deep", "learning"], ["i", "love", "pytorch"],
          ["i", "enjoy", "natural", "language", "processing"], ["i", "like", "neural", "networks"],
          ["neural", "networks", "are", "fascinating"]]


def test_word_vocab_orders_by_count_then_alphabet_and_drops_rare_words():
    vocab = emb.word_vocab(LESSON)
    assert len(vocab) == 14 and vocab.tokens[:5] == ["i", "love", "networks", "neural", "are"]
    assert emb.count_array(vocab)[:5].tolist() == [4, 2, 2, 2, 1]
    assert vocab.index("love") == 1 and "pytorch" in vocab
    assert emb.word_vocab(LESSON, min_count=2).tokens == ["i", "love", "networks", "neural"]
    encoded = emb.encode_corpus([["i", "unknown", "love"]], vocab)
    assert [s.tolist() for s in encoded] == [[0, 1]]  # words outside the vocabulary are left out


def test_word_vocab_rejects_bad_corpora():
    with pytest.raises(ValueError, match="no tokens"):
        emb.word_vocab([[], []])
    with pytest.raises(TypeError, match="split them first"):
        emb.word_vocab(["i love pytorch"])
    with pytest.raises(ValueError, match="min_count=5"):
        emb.word_vocab(LESSON, min_count=5)
    with pytest.raises(ValueError, match="min_count must be an integer >= 1"):
        emb.word_vocab(LESSON, min_count=0)


def test_storage_table_compares_the_input_width_and_the_compute():
    table = emb.storage_table([14, 10_000], dim=100)
    assert table.loc[10_000, "multiply-adds, one_hot @ W"] == 1_000_000
    assert table.loc[10_000, "numbers read, W[i]"] == 100
    assert table.loc[10_000, "size of W, MB (float32)"] == 4.0
    assert table.loc[14, "one-hot / dense"] == pytest.approx(0.14)
    with pytest.raises(ValueError, match="dim must be an integer >= 1"):
        emb.storage_table([10], dim=0)


# --- skip-gram pairs and the full-softmax model ---

def test_skipgram_pairs_match_the_window_exactly():
    pairs = emb.skipgram_pairs([np.array([0, 1, 2]), np.array([3, 4])], window=1)
    assert sorted(map(tuple, pairs.tolist())) == [(0, 1), (1, 0), (1, 2), (2, 1), (3, 4), (4, 3)]
    lesson_pairs = emb.skipgram_pairs(emb.encode_corpus(LESSON, emb.word_vocab(LESSON)), window=2)
    assert lesson_pairs.shape == (50, 2)  # 2 * sum over sentences of (n-1) + (n-2)
    assert emb.skipgram_pairs([np.array([5])], window=3).shape == (0, 2)  # never across or within a 1-word sentence


def test_dynamic_window_only_drops_far_pairs():
    sentence = [np.arange(50)]
    full = emb.skipgram_pairs(sentence, window=5)
    dynamic = emb.skipgram_pairs(sentence, window=5, rng=np.random.default_rng(0))
    assert len(full) == 2 * sum(50 - d for d in range(1, 6))
    distance = np.abs(dynamic[:, 0] - dynamic[:, 1])
    assert set(map(tuple, dynamic.tolist())) <= set(map(tuple, full.tolist()))
    assert (distance == 1).sum() == 98 and (distance == 5).sum() < (distance == 2).sum() < 98
    with pytest.raises(ValueError, match="window must be an integer >= 1"):
        emb.skipgram_pairs(sentence, window=0)


def test_pair_entropy_is_the_conditional_entropy_of_the_contexts():
    # centre 0: contexts 1, 2 (one each) -> ln 2 nats; centre 3: always 4 -> 0 nats; mean over 4 pairs
    pairs = np.array([[0, 1], [0, 2], [3, 4], [3, 4]])
    assert emb.pair_entropy(pairs) == pytest.approx(np.log(2) / 2)
    assert emb.pair_entropy(np.array([[0, 1], [1, 0]])) == 0.0


def test_skipgram_loss_is_cross_entropy_over_the_whole_vocabulary():
    model = emb.SkipGram(6, 3)
    centres, contexts = torch.tensor([0, 2]), torch.tensor([5, 1])
    assert model(centres).shape == (2, 6)
    by_hand = -torch.log_softmax(model.output(model.embeddings.weight[centres]), dim=1)[[0, 1], contexts].mean()
    torch.testing.assert_close(model.loss(centres, contexts), by_hand)


def test_batched_full_softmax_training_approaches_the_entropy_floor_repeatably():
    vocab = emb.word_vocab(LESSON)
    pairs = emb.skipgram_pairs(emb.encode_corpus(LESSON, vocab), window=2)
    kv, history = emb.train_skipgram(pairs, vocab.tokens, dim=5, epochs=60, batch_size=16, lr=0.05, device="cpu",
                                     progress=False)
    again, _ = emb.train_skipgram(pairs, vocab.tokens, dim=5, epochs=60, batch_size=16, lr=0.05, device="cpu",
                                  progress=False)
    assert len(history) == 60 and kv.vectors.shape == (14, 5)
    floor = emb.pair_entropy(pairs)
    assert history["loss"][0] > floor + 0.5 and floor - 1e-4 < history.last("loss") < floor + 0.3
    np.testing.assert_array_equal(kv.vectors, again.vectors)
    with pytest.raises(ValueError, match=r"\[n, 2\]"):
        emb.train_skipgram(np.zeros((0, 2)), vocab.tokens)
    with pytest.raises(ValueError, match="only 14 words"):
        emb.train_skipgram(np.array([[0, 20]]), vocab.tokens)
    with pytest.raises(ValueError, match="dim must be an integer >= 1"):
        emb.train_skipgram(pairs, vocab.tokens, dim=0)


# --- negative sampling ---

def test_keep_probabilities_follow_word2vec():
    # 100 tokens, sample 0.01 -> threshold count 1: keep = (sqrt(c) + 1) / c, capped at 1
    keep = emb.keep_probabilities(np.array([1, 4, 16, 79]), sample=0.01)
    np.testing.assert_allclose(keep[:3], [1.0, 0.75, 0.3125])
    assert emb.keep_probabilities(np.array([1, 99]), sample=0).tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="sample must be a number >= 0"):
        emb.keep_probabilities(np.array([1]), sample=-1)


def test_noise_distribution_flattens_counts():
    np.testing.assert_allclose(emb.noise_distribution(np.array([1, 16])), [1 / 9, 8 / 9])
    np.testing.assert_allclose(emb.noise_distribution(np.array([1, 3]), power=1.0), [0.25, 0.75])


def test_sgns_loss_matches_its_formula():
    generator = torch.Generator().manual_seed(0)
    c, o, n = (torch.randn(*shape, generator=generator) for shape in [(4, 3), (4, 3), (4, 2, 3)])
    sigmoid = torch.sigmoid
    by_hand = -(torch.log(sigmoid((c * o).sum(1))) + torch.log(sigmoid(-(n * c[:, None]).sum(2))).sum(1)).mean()
    torch.testing.assert_close(emb.sgns_loss(c, o, n), by_hand)
    assert emb.sgns_loss(c, c, n) < emb.sgns_loss(c, -c, n)  # a context that agrees with the centre costs less


def test_sgns_loss_at_start_is_log2_per_word():
    model = emb.SGNS(10, 4, torch.Generator().manual_seed(0))
    loss = model(torch.tensor([0, 1]), torch.tensor([2, 3]), torch.tensor([[4, 5, 6], [7, 8, 9]]))
    assert loss.item() == pytest.approx(4 * np.log(2))  # zero context vectors: every σ is 1/2
    loss.backward()
    assert model.centre.weight.grad.is_sparse
    dense = emb.SGNS(10, 4, torch.Generator().manual_seed(0), sparse=False)  # what Apple's MPS gets
    torch.testing.assert_close(dense.centre.weight, model.centre.weight)
    dense(torch.tensor([0, 1]), torch.tensor([2, 3]), torch.tensor([[4, 5, 6], [7, 8, 9]])).backward()
    assert not dense.centre.weight.grad.is_sparse
    torch.testing.assert_close(dense.context.weight.grad, model.context.weight.grad.to_dense())


THREADS = torch.get_num_threads()
CORPUS = [["the", "cat", "sat", "on", "the", "mat"], ["the", "dog", "sat", "on", "the", "rug"]] * 30


TINY = dict(dim=8, window=2, negative=3, epochs=3, min_count=1, sample=0, batch_size=64, dynamic_window=False,
            device="cpu", progress=False)


def test_sgns_returns_keyed_vectors_repeatably():
    kv, history = emb.train_sgns(CORPUS, seed=1, **TINY)
    again, _ = emb.train_sgns(CORPUS, seed=1, **TINY)
    assert kv.index_to_key == ["the", "on", "sat", "cat", "dog", "mat", "rug"] and kv.vectors.shape == (7, 8)
    np.testing.assert_array_equal(kv.vectors, again.vectors)
    assert history["pairs"] == [2 * 60 * (5 + 4)] * 3  # fixed window: no pair is dropped
    assert history.last("loss") < history["loss"][0]
    assert not np.allclose(kv.vectors, emb.train_sgns(CORPUS, seed=2, **TINY)[0].vectors)
    assert torch.get_num_threads() == THREADS  # the one-thread training leaves the setting as it was


def test_sgns_trains_dense_tables_too():
    kv, history = emb.train_sgns(CORPUS, seed=1, **{**TINY, "sparse": False})
    assert kv.vectors.shape == (7, 8) and history.last("loss") < history["loss"][0]


def test_subsampling_drops_frequent_words_only():
    _, history = emb.train_sgns(CORPUS, seed=1, **{**TINY, "sample": 0.02, "epochs": 1})
    assert 300 < history["pairs"][0] < 1080  # "the" (1/3 of all tokens) keeps about 1 in 3 occurrences


def test_sgns_survives_an_epoch_without_pairs():
    # sample=1e-9 keeps almost no word: epochs whose subsampling leaves no pair train nothing instead of crashing
    kv, history = emb.train_sgns([["a", "b"]] * 3, seed=1, **{**TINY, "sample": 1e-9, "epochs": 2})
    assert history["pairs"] == [0, 0] and all(np.isnan(history["loss"])) and kv.vectors.shape == (2, 8)


def test_sgns_rejects_bad_input():
    with pytest.raises(ValueError, match="no tokens"):
        emb.train_sgns([[]])
    with pytest.raises(ValueError, match="window must be an integer >= 1"):
        emb.train_sgns(CORPUS, window=0)
    with pytest.raises(ValueError, match="dim must be an integer >= 1"):
        emb.train_sgns(CORPUS, dim=-1)
    with pytest.raises(ValueError, match="no .centre, context. pairs"):
        emb.train_sgns([["a"], ["b"]], min_count=1)
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        emb.train_sgns(CORPUS, min_count=1, device="tpu")


# --- using and evaluating vectors ---

def test_unknown_words_raise_with_suggestions():
    kv = emb.to_keyed_vectors(["king", "queen", "man", "woman"], np.eye(4))
    message = r"'kingg' is not in the vocabulary \(4 words\); similar words in it: \['king'\]"
    with pytest.raises(KeyError, match=message):
        emb.analogy(kv, "kingg", "man", "woman")
    with pytest.raises(KeyError, match="'xyz' is not in the vocabulary"):
        emb.similarity(kv, "king", "xyz")
    with pytest.raises(KeyError, match="'xyz'"):
        emb.most_similar(kv, "xyz")
    with pytest.raises(KeyError, match="'xyz'"):
        emb.analogy_rank(kv, "king", "man", "woman", "xyz")


def test_analogy_and_similarity_use_cosine():
    # "lord" is where the sign mistake king + man - woman = [1, 2, -1] lands, so a wrong formula fails here.
    words = ["king", "queen", "man", "woman", "apple", "lord"]
    vectors = np.array([[1, 1, 0], [1, 0, 1], [0, 1, 0], [0, 0, 1], [-1, 0, 0], [1, 2, -1]], dtype=float)
    kv = emb.to_keyed_vectors(words, vectors)
    assert emb.analogy(kv, "king", "man", "woman", topn=1)[0][0] == "queen"  # [1,1,0] - [0,1,0] + [0,0,1]
    assert emb.analogy(kv, "king", "woman", "man", topn=1)[0][0] == "lord"  # the reverse analogy: [1,2,-1]
    assert emb.similarity(kv, "king", "queen") == pytest.approx(0.5)
    assert emb.most_similar(kv, "king", topn=1)[0][0] == "lord"  # cosine 3 / (√2 √6) ≈ 0.87 beats 0.5
    assert emb.analogy_rank(kv, "king", "man", "woman", "queen") == 1
    assert emb.analogy_rank(kv, "king", "man", "woman", "apple") == 3  # king, man and woman are never answers
    table = emb.neighbours_table({"toy": kv}, ["man", "nobody"], topn=2)
    assert table.loc["nobody", "toy"] == "(not in vocabulary)"
    assert table.loc["man", "toy"].split(", ")[0] == "lord"  # cosine 2 / √6 ≈ 0.82 beats king's 0.71
    counted = emb.neighbours_table({"toy": kv}, ["man"], topn=1, counts={"man": 7, "lord": 2})
    assert counted.loc["man (7)", "toy"] == "lord (2)"


def test_evaluate_reports_gensims_scores():
    from helpers.data import load_word_pairs

    pairs = load_word_pairs("wordsim353")
    words = sorted({w for a, b, _ in pairs for w in (a, b)})
    kv = emb.to_keyed_vectors(words, np.random.default_rng(0).normal(size=(len(words), 20)))
    scores = emb.evaluate(kv, analogies=False)
    assert scores["WordSim353 pairs known"] == 1.0
    assert abs(scores["WordSim353 ρ"]) < 0.15  # random vectors know nothing
    assert set(scores) == {"WordSim353 ρ", "SimLex-999 ρ", "WordSim353 pairs known", "SimLex-999 pairs known",
                           "cosine of random pairs"}
    table = emb.compare({"random": kv, "same": kv})
    assert table.loc["analogies answerable", "random"] == pytest.approx(0.0, abs=0.05)
    assert table.loc["WordSim353 ρ", "random"] == table.loc["WordSim353 ρ", "same"]


def test_random_pair_cosine_sees_a_shared_direction_and_centring_removes_it():
    rng = np.random.default_rng(0)
    spread = emb.to_keyed_vectors([f"w{i}" for i in range(500)], rng.normal(size=(500, 20)))
    shared = emb.to_keyed_vectors(spread.index_to_key, spread.vectors + 5.0)  # every vector leans the same way
    assert abs(emb.random_pair_cosine(spread)) < 0.05
    assert emb.random_pair_cosine(shared) > 0.8
    assert abs(emb.random_pair_cosine(emb.centred(shared))) < 0.05
    assert emb.random_pair_cosine(shared, seed=1) != emb.random_pair_cosine(shared, seed=2)


def test_analogy_sections_count_answerable_questions_and_accuracy():
    words = ["athens", "greece", "baghdad", "iraq", "bangkok", "thailand"]
    vectors = np.array([[1, 0, 0, 1], [0, 0, 0, 1], [1, 1, 0, 0], [0, 1, 0, 0], [1, 0, 1, 0], [0, 0, 1, 0]], float)
    kv = emb.to_keyed_vectors(words, vectors)  # country = capital - (1, 0, 0, 0): every question is answerable
    table = emb.analogy_sections(kv, ["capital-common-countries", "family"])
    assert table.loc["capital-common-countries", "answerable"] == 6 and table.loc["family", "answerable"] == 0
    assert table.loc["capital-common-countries", "accuracy"] == 1.0 and np.isnan(table.loc["family", "accuracy"])
    with pytest.raises(KeyError, match="no analogy section"):
        emb.analogy_sections(kv, ["colours"])



def test_a_chinese_notebook_looks_up_the_measures_and_the_family_section_in_chinese(monkeypatch):
    """Notebook 01's twin translates its labels; evaluate() and analogy_sections() answer to the same words."""
    from support import helpers_translation

    zh = helpers_translation()
    monkeypatch.setenv("COURSE_LANGUAGE", "zh-CN")
    from helpers.data import load_word_pairs

    words = sorted({w for a, b, _ in load_word_pairs("wordsim353") for w in (a, b)})
    kv = emb.to_keyed_vectors(words, np.random.default_rng(0).normal(size=(len(words), 4)))
    assert zh["cosine of random pairs"] in emb.evaluate(kv, analogies=False)
    table = emb.analogy_sections(kv, ["capital-common-countries", zh["family"]])
    assert list(table.index) == ["capital-common-countries", "家庭"]
    assert list(table.columns) == [zh["answerable"], zh["accuracy"]]

def test_batched_analogies_answer_as_gensim_does():
    kv = train_word2vec(TOY * 3 + [["king", "queen", "man", "woman", "france", "paris", "italy", "rome"]] * 30,
                        dim=8, min_count=1, epochs=3)
    words = list(kv.index_to_key)
    rng = np.random.default_rng(0)
    kv = emb.to_keyed_vectors(words + [f"w{i}" for i in range(300)], rng.normal(size=(len(words) + 300, 8)))
    accuracy, sections = emb._analogy_results(kv)
    expected_accuracy, expected = kv.evaluate_word_analogies(analogies_path())
    assert accuracy == expected_accuracy
    assert [(s["section"], sorted(s["correct"]), sorted(s["incorrect"])) for s in sections] == \
        [(s["section"], sorted(s["correct"]), sorted(s["incorrect"])) for s in expected]
    assert sum(len(s["correct"]) + len(s["incorrect"]) for s in sections[:-1]) > 0


def test_nearest_groups():
    points = np.array([[0, 0], [0, 1], [10, 0], [10, 1], [4, 0.4]])
    assert emb.nearest_groups(points, ["a", "a", "b", "b", "b"]) == ["a", "a", "b", "b", "a"]
    assert emb.nearest_groups(np.array([[1, 0], [2, 0.1], [0, 1]]), ["a", "a", "b"], metric="cosine") == ["a", "a", "a"]
    assert all(type(g) is str for g in emb.nearest_groups(points, np.array(["a", "a", "b", "b", "b"])))
    with pytest.raises(ValueError, match="one group per point"):
        emb.nearest_groups(points, ["a"])


def test_group_neighbour_share():
    points = np.array([[0, 0], [0, 1], [10, 0], [10, 1], [4, 0.4]])
    assert emb.group_neighbour_share(points, ["a", "a", "b", "b", "b"]) == 0.8  # (4, 0.4) is nearest an "a"
    assert emb.group_neighbour_share(points[:4], ["a", "b", "a", "b"]) == 0.0
    assert emb.group_neighbour_share(np.array([[1, 0], [2, 0.1], [0, 1]]), ["a", "a", "b"], metric="cosine") == 2 / 3
    with pytest.raises(ValueError, match="one group per point"):
        emb.group_neighbour_share(points, ["a"])
