import numpy as np
import pytest

from helpers.embeddings import stable_hash, to_keyed_vectors, train_word2vec

TOY = [["i", "love", "deep", "learning"], ["i", "love", "pytorch"], ["deep", "learning", "is", "fun"]] * 20


def test_stable_hash_is_fixed():
    assert stable_hash("bank") == stable_hash("bank") == 3630219130


def test_word2vec_is_repeatable():
    first = train_word2vec(TOY, dim=8, min_count=1, epochs=2)
    second = train_word2vec(TOY, dim=8, min_count=1, epochs=2)
    assert first.vector_size == 8 and len(first) == 7
    np.testing.assert_array_equal(first["love"], second["love"])


def test_word2vec_rejects_bad_input():
    with pytest.raises(ValueError, match="empty"):
        train_word2vec([])
    with pytest.raises(ValueError, match="positive"):
        train_word2vec(TOY, dim=0)


def test_to_keyed_vectors_round_trip():
    kv = to_keyed_vectors(["a", "b"], np.eye(2))
    assert kv.similarity("a", "b") == pytest.approx(0.0)
    with pytest.raises(ValueError, match="one row per word"):
        to_keyed_vectors(["a"], np.eye(2))
