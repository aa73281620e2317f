import pytest
import torch

from helpers.vocab import PAD, UNK, Vocab


def test_characters_are_ordered_by_frequency_then_alphabetically():
    vocab = Vocab.of_characters("abracadabra")
    assert vocab.tokens == ["a", "b", "r", "c", "d"]
    assert vocab.counts == {"a": 5, "b": 2, "r": 2, "c": 1, "d": 1}


def test_encode_decode_round_trip_for_characters():
    vocab = Vocab.of_characters("hello world")
    ids = vocab.encode("hold")
    assert ids.dtype == torch.long and ids.shape == (4,)
    assert "".join(vocab.decode(ids)) == "hold"


def test_unknown_character_raises_key_error_that_says_what_to_do():
    vocab = Vocab.of_characters("abc")
    with pytest.raises(KeyError, match="'z' is not in the vocabulary.*no unknown token"):
        vocab.encode("az")
    assert vocab.unknown("azbz") == ["z", "z"]


def test_words_get_pad_zero_unk_one_and_min_count():
    vocab = Vocab.of_words([["the", "cat"], ["the", "dog"]], min_count=2)
    assert vocab.tokens == [PAD, UNK, "the"]
    assert vocab.pad_id == 0
    assert vocab.encode(["the", "cat"]).tolist() == [2, 1]
    assert "cat" not in vocab and "the" in vocab and len(vocab) == 3


def test_build_with_nothing_frequent_enough_explains():
    with pytest.raises(ValueError, match="min_count=3"):
        Vocab.build([["a", "b"]], min_count=3)


def test_decode_rejects_ids_outside_the_vocabulary():
    vocab = Vocab.of_characters("ab")
    with pytest.raises(ValueError, match=r"outside the vocabulary \(0..1\)"):
        vocab.decode([0, 2])


def test_constructor_rejects_duplicates_and_a_missing_unk():
    with pytest.raises(ValueError, match="distinct"):
        Vocab(["a", "a"])
    with pytest.raises(ValueError, match="unk"):
        Vocab(["a"], unk="<unk>")
    with pytest.raises(KeyError):
        _ = Vocab(["a"]).pad_id
