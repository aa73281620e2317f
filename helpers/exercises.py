"""Checks for the notebooks' exercises: each says what is right, or exactly what is wrong.

Exercise cells follow nbgrader's conventions, so a teacher can use nbgrader directly, and `make student`
and `make grade` work without it:
- the answer cell has metadata nbgrader.solution = true and the tag "solution"; its worked solution sits
  between "### BEGIN SOLUTION" and "### END SOLUTION" (the student edition replaces it with
  `raise NotImplementedError()`);
- the check cell right after it has nbgrader.grade = true, nbgrader.locked = true, the tag "check" and a
  grade_id "exNN-K" (notebook NN, exercise K); it calls one of the functions below, which prints ✔ or raises
  ExerciseError with a message that says what is wrong.
"""

from __future__ import annotations


class ExerciseError(AssertionError):
    """An answer that an exercise's check rejects; the message says what is wrong."""


def passed(exercise: str, message: str) -> None:
    """Print that an exercise's check passed."""
    print(f"✔ {exercise}: {message}")


def require(exercise: str, condition: bool, what_is_wrong: str) -> None:
    """Raise ExerciseError with `what_is_wrong` unless `condition` holds."""
    if not condition:
        raise ExerciseError(f"✘ {exercise}: {what_is_wrong}")


# --- 01 word embeddings ---


def check_01_pair_count(answer, sentences) -> None:
    """Exercise 1: the number of (centre, context) pairs the sentences give with window=1."""
    import numpy as np

    from helpers.embeddings import skipgram_pairs

    exercise = "Exercise 1"
    require(exercise, answer is not None, "answer_1 is still None: compute the number of pairs")
    require(exercise, isinstance(answer, (int, np.integer)) and not isinstance(answer, bool),
            f"answer_1 should be a whole number, got {type(answer).__name__}")
    expected = len(skipgram_pairs(sentences, window=1))
    positions = sum(max(len(s) - 1, 0) for s in sentences)
    require(exercise, answer != positions, "that counts each neighbouring position once; each position gives two "
            "pairs, (left, right) and (right, left)")
    require(exercise, answer != len(skipgram_pairs(sentences, window=2)), "that is the count for window=2")
    require(exercise, answer == expected, "not the number of pairs: count the neighbouring positions in each "
            "sentence (n words give n - 1) and remember each gives two pairs")
    passed(exercise, "that is the number of pairs skipgram_pairs(sentences, window=1) builds")


def check_01_keep_probability(answer, counts, index: int, all_tokens: int, sample: float = 1e-4) -> None:
    """Exercise 2: word2vec's chance of keeping one occurrence of the word with id `index`."""
    import numpy as np

    exercise = "Exercise 2"
    require(exercise, answer is not None, "answer_2 is still None: compute the probability")
    require(exercise, np.ndim(answer) == 0 and isinstance(float(answer), float), "answer_2 should be one number")
    answer = float(answer)
    counts = np.asarray(counts, dtype=np.float64)

    def keep(share: float, t: float) -> float:
        return min(1.0, (np.sqrt(share / t) + 1) * t / share)

    share = counts[index] / counts.sum()
    expected = keep(share, sample)
    require(exercise, 0 < answer <= 1, f"a probability lies in (0, 1], got {answer}")
    require(exercise, not np.isclose(answer, 1 - expected, rtol=1e-6),
            "that is the chance of being dropped; the formula gives the chance of being kept")
    require(exercise, not np.isclose(answer, keep(counts[index] / all_tokens, sample), rtol=1e-6),
            "f is the share of the vocabulary's tokens, counts.sum() (words seen at least min_count times), "
            "not of every token in the corpus")
    require(exercise, not np.isclose(answer, keep(share, 1e-3), rtol=1e-6), "use t = 1e-4 (gensim's default is 1e-3)")
    require(exercise, np.isclose(answer, expected, rtol=1e-6),
            "not the keep probability: f = counts[i] / counts.sum(), then min(1, (sqrt(f / t) + 1) * t / f)")
    passed(exercise, "that is the chance that word2vec keeps one occurrence of the word")


def check_01_best_pair(answer, kv, candidates) -> None:
    """Exercise 3: the (male, female) pair whose female word ranks highest for male - man + woman."""
    from helpers.embeddings import analogy_rank

    exercise = "Exercise 3"
    require(exercise, answer is not None, "answer_3 is still None: give a (male, female) pair")
    require(exercise, isinstance(answer, tuple) and len(answer) == 2, "answer_3 should be a (male, female) tuple")
    candidates = [tuple(pair) for pair in candidates]
    require(exercise, answer in candidates, f"{answer} is not one of the candidate pairs {candidates}")
    ranks = {pair: analogy_rank(kv, pair[0], "man", "woman", pair[1]) for pair in candidates}
    best = min(ranks, key=ranks.get)
    require(exercise, ranks[answer] == ranks[best], f"{answer[1]!r} ranks {ranks[answer]} for {answer[0]} - man + "
            f"woman, but {best} does better (rank {ranks[best]}): compute the rank of every pair")
    passed(exercise, f"of the {len(candidates)} pairs, yours puts the female word highest")


def check_01_sgns_loss(sgns_loss) -> None:
    """Exercise 4: a PyTorch function computing the mean negative-sampling loss."""
    import torch

    from helpers.embeddings import sgns_loss as reference

    exercise = "Exercise 4"
    generator = torch.Generator().manual_seed(1)
    c, o, n = (torch.randn(*shape, generator=generator) for shape in [(6, 4), (6, 4), (6, 3, 4)])
    c.requires_grad_(True)
    result = sgns_loss(c, o, n)
    require(exercise, isinstance(result, torch.Tensor), f"return a tensor, got {type(result).__name__}")
    require(exercise, result.dim() == 0, f"return one number (the mean over the batch), got shape "
            f"{tuple(result.shape)}")
    require(exercise, result.requires_grad, "the loss has no gradient: compute it with torch operations on the "
            "tensors you are given (no .item(), .numpy() or .detach())")
    logsig = torch.nn.functional.logsigmoid
    positive, negative = (c * o).sum(-1), (n @ c.unsqueeze(-1)).squeeze(-1)
    mistakes = {
        "the negatives should be scored with σ(-c·n): put a minus sign inside, not outside":
            -(logsig(positive) + logsig(negative).sum(-1)).mean(),
        "sum the negative terms over the K negatives; here they are averaged":
            -(logsig(positive) + logsig(-negative).mean(-1)).mean(),
        "average over the batch; here the losses are summed": -(logsig(positive) + logsig(-negative).sum(-1)).sum(),
        "the loss is -log σ(...): take the log of the sigmoid, and a minus sign in front":
            (logsig(positive) + logsig(-negative).sum(-1)).mean(),
    }
    for hint, wrong in mistakes.items():
        require(exercise, not torch.allclose(result, wrong, rtol=1e-4, atol=1e-5), hint)
    require(exercise, torch.allclose(result, reference(c, o, n), rtol=1e-4, atol=1e-5),
            "the value is not -log σ(c·o) - Σ_k log σ(-c·n_k), averaged over the batch")
    result.backward()
    expected_grad = torch.autograd.grad(reference(c, o, n), c)[0]
    require(exercise, torch.allclose(c.grad, expected_grad, rtol=1e-4, atol=1e-5), "the gradient differs from the "
            "SGNS loss's gradient")
    passed(exercise, "your loss and its gradient match the SGNS loss on random vectors")


# --- 02 Word2Vec vs BERT ---
# (checks for notebook 02's exercises go here)


# --- 03 RNN, LSTM, GRU ---
# (checks for notebook 03's exercises go here)


# --- 04 gradients ---
# (checks for notebook 04's exercises go here)


# --- 05 text classifier ---
# (checks for notebook 05's exercises go here)
