"""One vocabulary type for the whole course: words or characters <-> integer ids."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import torch

from helpers import checks

PAD, UNK = "<pad>", "<unk>"


class Vocab:
    """A fixed list of tokens (words, or single characters); a token's id is its position in the list.

    `specials` (for example `<pad>` and `<unk>`) come first, so `<pad>` gets id 0. With `unk` set, unknown
    tokens encode to it; without it, encoding an unknown token raises KeyError.
    """

    def __init__(self, tokens: Sequence[str], counts: dict[str, int] | None = None, unk: str | None = None):
        self.tokens = list(tokens)
        self.ids = {token: i for i, token in enumerate(self.tokens)}
        if len(self.ids) != len(self.tokens):
            raise ValueError("vocabulary tokens must be distinct")
        if not self.tokens:
            raise ValueError("a vocabulary needs at least one token; the training data was empty")
        if unk is not None and unk not in self.ids:
            raise ValueError(f"unk={unk!r} must be one of the tokens")
        self.counts = dict(counts or {})
        self.unk = unk

    @classmethod
    def build(cls, sequences: Iterable[Sequence[str]], min_count: int = 1,
              specials: Sequence[str] = (), unk: str | None = None) -> Vocab:
        """Tokens seen at least `min_count` times, most frequent first (ties alphabetical), after `specials`."""
        checks.positive_int("min_count", min_count)
        counts = Counter(token for sequence in sequences for token in sequence)
        kept = sorted((t for t, c in counts.items() if c >= min_count and t not in specials),
                      key=lambda t: (-counts[t], t))
        if not kept:
            raise ValueError(f"no token occurs at least min_count={min_count} times; "
                             f"the data has {len(counts)} distinct tokens, the most frequent {counts.most_common(1)}")
        return cls([*specials, *kept], {t: counts[t] for t in kept}, unk)

    @classmethod
    def of_characters(cls, text: str) -> Vocab:
        """Every character of `text`, most frequent first."""
        return cls.build([text])

    @classmethod
    def of_words(cls, sentences: Iterable[Sequence[str]], min_count: int = 1) -> Vocab:
        """Words with `<pad>` = 0 and `<unk>` = 1, for padded batches of sentences."""
        return cls.build(sentences, min_count, specials=(PAD, UNK), unk=UNK)

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: object) -> bool:
        return token in self.ids

    def __repr__(self) -> str:
        head = ", ".join(repr(t) for t in self.tokens[:5])
        return f"Vocab({len(self)} tokens: {head}{', ...' if len(self) > 5 else ''})"

    @property
    def pad_id(self) -> int:
        """Id of `<pad>` (raises KeyError if this vocabulary has none)."""
        return self.index(PAD)

    def index(self, token: str) -> int:
        """Id of one token (the `unk` id for an unknown token, if this vocabulary has one)."""
        if token in self.ids:
            return self.ids[token]
        if self.unk is not None:
            return self.ids[self.unk]
        raise KeyError(f"{token!r} is not in the vocabulary of {len(self)} tokens, which has no unknown token; "
                       f"drop it first (see unknown()) or build the vocabulary from data that contains it")

    def unknown(self, tokens: Sequence[str]) -> list[str]:
        """The tokens of `tokens` that this vocabulary does not have, in order."""
        return [token for token in tokens if token not in self.ids]

    def encode(self, tokens: Sequence[str]) -> torch.Tensor:
        """Ids of a sequence of tokens (a string is a sequence of characters) as a 1-D long tensor."""
        return torch.tensor([self.index(token) for token in tokens], dtype=torch.long)

    def decode(self, ids: Sequence[int] | torch.Tensor) -> list[str]:
        """The tokens that a sequence of ids stands for."""
        ids = ids.tolist() if isinstance(ids, torch.Tensor) else list(ids)
        bad = [i for i in ids if not 0 <= i < len(self.tokens)]
        if bad:
            raise ValueError(f"ids {bad[:5]} are outside the vocabulary (0..{len(self.tokens) - 1})")
        return [self.tokens[i] for i in ids]
