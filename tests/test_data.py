import socket

import pytest

from helpers import data


def test_toy_corpus_is_the_lessons_five_sentences():
    toy = data.load_corpus("toy")
    assert len(toy) == 5
    assert toy[0] == ["i", "love", "deep", "learning"]
    assert sum(len(s) for s in toy) == 20


def test_wiki_corpus_is_the_lower_cased_excerpt_gensim_ships():
    wiki = data.load_corpus("wiki")
    assert len(wiki) == 106
    assert 440_000 < sum(len(a) for a in wiki) < 460_000
    assert wiki[0][:3] == ["anarchism", "is", "political"]
    assert all(token == token.lower() for token in wiki[0])


def test_lee_corpus_has_one_document_per_line():
    lee = data.load_corpus("lee")
    assert len(lee) == 300
    assert lee[0][:3] == ["hundreds", "of", "people"]


def test_corpus_copies_cannot_corrupt_the_cache():
    first = data.load_corpus("toy")
    first[0].append("oops")
    assert data.load_corpus("toy")[0] == ["i", "love", "deep", "learning"]


def test_unknown_corpus_lists_valid_names():
    with pytest.raises(ValueError, match=r"unknown corpus 'bogus'.*'toy', 'wiki', 'lee', 'text8'"):
        data.load_corpus("bogus")


def test_online_corpus_fails_fast_when_offline(monkeypatch, tmp_path):
    import gensim.downloader as api

    monkeypatch.setattr(api, "BASE_DIR", str(tmp_path))
    monkeypatch.setattr(socket, "create_connection", _refuse)
    with pytest.raises(data.OfflineError, match="text8.*needs the internet.*GENSIM_DATA_URL"):
        data.load_corpus("text8")


def test_imdb_fails_fast_when_offline(monkeypatch):
    pytest.importorskip("datasets")
    monkeypatch.setattr(data, "_cached_imdb", lambda split: None)  # as on a machine that never downloaded it
    monkeypatch.setattr(socket, "create_connection", _refuse)
    with pytest.raises(data.OfflineError, match="IMDB.*needs the internet.*HF_ENDPOINT"):
        data.load_sentiment("imdb")


def test_imdb_split_must_be_train_or_test():
    with pytest.raises(ValueError, match="unknown IMDB split 'unsupervised'"):
        data.load_sentiment("imdb", split="unsupervised")


def _refuse(*args, **kwargs):
    raise OSError("network is unreachable")


@pytest.mark.parametrize("name, size, first", [("wordsim353", 353, ("love", "sex", 6.77)),
                                               ("simlex999", 999, ("old", "new", 1.58))])
def test_word_pairs(name, size, first):
    pairs = data.load_word_pairs(name)
    assert len(pairs) == size
    assert pairs[0] == first


def test_unknown_word_pairs_lists_valid_names():
    with pytest.raises(ValueError, match="wordsim353.*simlex999"):
        data.load_word_pairs("men")


def test_google_analogies():
    sections = data.load_analogies()
    assert len(sections) == 14
    assert sections["capital-common-countries"][0] == ("athens", "greece", "baghdad", "iraq")
    assert sum(len(v) for v in sections.values()) == 19544


def test_toy_sentiment_is_balanced():
    texts, labels = data.load_sentiment("toy")
    assert len(texts) == 12 and labels == [1] * 6 + [0] * 6
    assert texts[10] == "This is the worst movie I've ever seen"


def test_pang_lee_is_decoded_from_cp1252():
    texts, labels = data.load_sentiment("pang-lee")
    assert len(texts) == 200 and sum(labels) == 100
    assert any("clichés" in t for t in texts)
    assert not any(t.startswith("__label__") for t in texts)


def test_rotten_tomatoes_is_the_balanced_8530_snippets():
    texts, labels = data.load_sentiment("rotten-tomatoes")
    assert len(texts) == 8530 and sum(labels) == 4265 and set(labels) == {0, 1}
    assert texts[0].startswith("the rock is destined to be the 21st century's new")
    assert labels[0] == 1 and labels[-1] == 0


def test_unknown_sentiment_set_lists_valid_names():
    with pytest.raises(ValueError, match="'toy', 'pang-lee', 'rotten-tomatoes', 'imdb'"):
        data.load_sentiment("sst2")


def test_mis_encoded_file_names_file_and_encoding(tmp_path):
    bad = tmp_path / "reviews.txt"
    bad.write_bytes("caf\u00e9 \u2014 ok".encode("cp1252"))
    with pytest.raises(ValueError, match=r"reviews.txt is not valid utf-8.*encoding="):
        data.read_text(bad)
    assert data.read_text(bad, encoding="cp1252") == "caf\u00e9 \u2014 ok"


def test_tokenize_keeps_contractions():
    assert data.tokenize("I've LOVED it, 10/10!") == ["i've", "loved", "it", "10", "10"]


def test_polysemy_set_has_two_senses_and_at_least_ten_sentences_each():
    rows = data.load_polysemy()
    assert len(rows) == 120
    senses = {}
    for word, sense, sentence in rows:
        senses.setdefault(word, {}).setdefault(sense, []).append(sentence)
        assert word in sentence.lower()
    assert sorted(senses) == ["bank", "bark", "bat", "mouse", "plant"]
    assert all(len(by_sense) == 2 and all(len(s) >= 10 for s in by_sense.values()) for by_sense in senses.values())
    assert set(senses["bank"]) == {"river", "finance"}
    assert data.load_polysemy("bank")[0] == ("bank", "river", rows[0][2])
    with pytest.raises(ValueError, match="unknown polysemy word 'tank'.*'bank'"):
        data.load_polysemy("tank")
