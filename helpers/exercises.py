"""Checks for the notebooks' exercises: each says what is right, or exactly what is wrong.

Exercise cells follow nbgrader's conventions (tools/course/cells.py), so a teacher can use nbgrader directly:
- the answer cell (nbgrader.solution = true, tag "solution") holds the learner's code; in the committed notebook
  its worked solution is replaced by "# YOUR CODE HERE" and folded, one click away, after the check;
- the locked check cell after it (nbgrader.grade = true, tag "check", grade_id "exNN-K") calls one of the
  functions below, which prints ✔, or raises NotAnswered while the answer is still the stub (a function that
  returns None, a value left at None), or ExerciseError with a message that says what is wrong without giving
  the answer away.
"""

from __future__ import annotations


class ExerciseError(AssertionError):
    """An answer that an exercise's check rejects; the message says what is wrong."""

    def _render_traceback_(self) -> list[str]:
        """What Jupyter shows for it: the message alone, not a traceback through the check's own code."""
        return [str(self)]


class NotAnswered(ExerciseError):
    """The answer cell still holds the stub: nothing to check yet."""


def answered(exercise: str, value: object, what: str) -> None:
    """Raise NotAnswered when `value` (the answer, or what the learner's function returned) is None."""
    if value is None:
        raise NotAnswered(f"○ {exercise} is not answered yet: {what}")


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
    answered(exercise, answer, "answer_1 is still None: compute the number of pairs")
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
    answered(exercise, answer, "answer_2 is still None: compute the probability")
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
    answered(exercise, answer, "answer_3 is still None: give a (male, female) pair")
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

# Sentences whose word is split into several pieces, sits first or last, or touches punctuation.
WORD_VECTOR_CASES = [("Unbelievably, the river bank held.", "unbelievably", 0, -1),
                     ("Unbelievably, the river bank held.", "bank", 0, 3),
                     ("She paid the cheque into the bank.", "bank", 0, 0),
                     ("The bank by the river is not the bank I use.", "bank", 1, 5),
                     ("The xylophones rang.", "xylophones", 0, 2)]  # x ##yl ##ophone ##s: one-character ends


def _as_vector(value, what: str, size: int):
    import torch

    answered(what, value, f"{what} returned None: return the mean vector of the word's pieces")

    if not isinstance(value, torch.Tensor):
        raise ExerciseError(f"✘ {what}: return a torch.Tensor, not {type(value).__name__}")
    require(what, tuple(value.shape) == (size,), f"return one vector of shape ({size},), got {tuple(value.shape)}: "
                                                 "average over the word's pieces (dim=0)")
    return value.detach().float().cpu()


def check_02_word_vector(word_vector, tokenizer, model) -> None:
    """Exercise 02-1: the mean of the word's pieces, found through the offsets, with [CLS]/[SEP] in the input."""
    import torch

    from helpers.contextual import word_embeddings, word_span

    what = "word_vector"
    size = model.config.hidden_size
    for sentence, word, occurrence, layer in WORD_VECTOR_CASES:
        span = word_span(sentence, word, occurrence)
        got = _as_vector(word_vector(sentence, span, layer), what, size)
        expected = word_embeddings([sentence], word, tokenizer, model, layer=layer, device=model.device,
                                   occurrence=occurrence)[0]
        if torch.allclose(got, expected, atol=1e-4, rtol=1e-4):
            continue
        encoded = tokenizer(sentence, return_offsets_mapping=True, return_tensors="pt")
        with torch.no_grad():
            states = model(**{k: v.to(model.device) for k, v in encoded.items() if k != "offset_mapping"},
                           output_hidden_states=True).hidden_states
        hidden, top = states[layer][0].float().cpu(), states[-1][0].float().cpu()
        offsets = encoded["offset_mapping"][0]
        pieces = ((offsets[:, 0] < span[1]) & (offsets[:, 1] > span[0])).nonzero().flatten()
        diagnosis = {"took only the first piece": hidden[pieces[0]],
                     "summed the pieces instead of averaging them": hidden[pieces].sum(0),
                     "counted [CLS] and [SEP] as pieces of the word (check the special-tokens mask)":
                         hidden[torch.cat([torch.tensor([0, len(hidden) - 1]), pieces])].mean(0),
                     "left out the word's last piece (the span's end is exclusive: a piece belongs to the word "
                     "when it starts before `end`)": hidden[pieces[:-1]].mean(0),
                     "left out the word's first piece (a piece belongs to the word when it ends after `start`)":
                         hidden[pieces[1:]].mean(0),
                     f"read the last layer instead of layer {layer}: take hidden_states[layer]": top[pieces].mean(0)}
        for mistake, vector in diagnosis.items():
            require(what, not torch.allclose(got, vector, atol=1e-4, rtol=1e-4),
                    f"for {word!r} in {sentence!r} you {mistake}")
        raise ExerciseError(f"✘ {what}: wrong vector for {word!r} (occurrence {occurrence}) in {sentence!r} at "
                            f"layer {layer}: keep the pieces whose offsets overlap the span, drop special tokens, "
                            "and average them")
    passed(what, f"right vectors for {len(WORD_VECTOR_CASES)} words, including one split into 5 pieces and one "
                 "with one-character first and last pieces")


def check_02_sense_gap(sense_gap) -> None:
    """Exercise 02-2: mean within-sense minus mean across-sense cosine similarity, written in torch."""
    import numpy as np
    import torch

    from helpers.contextual import sense_similarity

    what = "sense_gap"
    generator = torch.Generator().manual_seed(0)
    cases = [(torch.tensor([[1.0, 0.0], [3.0, 0.5], [0.0, 2.0], [0.4, 5.0], [0.2, 0.1]]),
              ["a", "a", "b", "b", "b"]),
             (torch.randn(12, 8, generator=generator) * torch.arange(1, 13)[:, None] + torch.tensor([2.0] + [0.0] * 7),
              ["x", "y", "z"] * 4)]
    for vectors, senses in cases:
        got = sense_gap(vectors.clone(), list(senses))
        answered(what, got, "sense_gap returned None: return the gap as a float")
        if isinstance(got, torch.Tensor):
            require(what, got.numel() == 1, f"return one number, got a tensor of shape {tuple(got.shape)}")
            got = got.item()
        require(what, isinstance(got, (float, int, np.floating)), f"return a float, not {type(got).__name__}")
        within, across = sense_similarity(vectors.numpy(), senses)
        if abs(got - (within - across)) < 1e-5:
            continue
        x = vectors / vectors.norm(dim=1, keepdim=True)
        ids = torch.tensor([sorted(set(senses)).index(s) for s in senses])
        same, sims, raw = ids[:, None] == ids[None, :], x @ x.T, vectors @ vectors.T
        require(what, abs(got - (sims[same].mean() - sims[~same].mean()).item()) > 1e-5,
                "a vector paired with itself (similarity 1) must not count as a same-sense pair: drop the diagonal")
        off = same & ~torch.eye(len(ids), dtype=torch.bool)
        require(what, abs(got - (raw[off].mean() - raw[~same].mean()).item()) > 1e-5,
                "those are dot products: divide each vector by its length first (cosine similarity)")
        require(what, abs(got - (across - within)) > 1e-5, "wrong sign: within minus across")
        raise ExerciseError(f"✘ {what}: got {got:.4f} on a test set where the gap is {within - across:.4f}")
    passed(what, "right gap on two test sets (vectors of different lengths, two and three senses)")


def _predict_sense_cases():
    """Test sets for exercise 02-3: (query, vectors, labels, what a common mistake would predict instead)."""
    import math

    import torch

    def at(degrees: float, length: float = 1.0) -> list[float]:
        return [length * math.cos(math.radians(degrees)), length * math.sin(math.radians(degrees))]

    generator = torch.Generator().manual_seed(2)
    lengths = torch.rand(18, 1, generator=generator) * 9 + 0.5
    spread = (torch.randn(18, 6, generator=generator) + 3 * torch.eye(6)[torch.arange(18) % 3]) * lengths
    return [
        # lengths differ: the mean of the raw vectors points elsewhere than the mean of the unit vectors
        (torch.tensor(at(40)), torch.tensor([at(0, 10.0), at(90, 1.0), at(60, 1.0), at(60, 2.0)]),
         ["shore", "shore", "money", "money"]),
        # one tight sense, one spread sense: its centroid is shorter, so a dot product favours the tight one
        (torch.tensor(at(45)), torch.tensor([at(0), at(10), at(40), at(120)]), ["tight", "tight", "wide", "wide"]),
        # a short vector in the tight sense's direction: the nearest centroid by distance is the shorter one
        (torch.tensor(at(5, 0.1)), torch.tensor([at(0), at(10), at(40), at(120)]), ["tight", "tight", "wide", "wide"]),
        # one labelled vector next to the query, but its sense's centroid points elsewhere
        (torch.tensor(at(50)), torch.tensor([at(52), at(-60), at(30), at(70)]), ["near", "near", "centre", "centre"]),
        # a sense whose unit vectors nearly cancel: its centroid is short and points away from the query, so it is
        # the least cosine-similar, yet the nearest by distance (even to the query scaled to length 1)
        (torch.tensor(at(0, 3.0)), torch.tensor([at(70), at(70), at(-85), at(100)]),
         ["tight", "tight", "wide", "wide"]),
        # an outlier in one sense: the mean of its unit vectors leans towards it, their median does not
        (torch.tensor(at(0)), torch.tensor([at(0), at(0), at(90), at(20), at(20), at(20)]),
         ["pull"] * 3 + ["flat"] * 3),
        # three senses in 6-d, random lengths, labels not in alphabetical order
        *[(spread[k] + 0.3 * torch.randn(6, generator=generator), spread, ["zeta", "alpha", "mid"] * 6)
          for k in range(6)],
    ]


def _centroid_sense(query, vectors, labels, unit: bool = True, score: str = "cosine", median: bool = False) -> str:
    """The reference answer of exercise 02-3, or one of its usual mistakes."""
    import torch

    names = list(dict.fromkeys(labels))
    rows = vectors / vectors.norm(dim=1, keepdim=True) if unit else vectors
    ids = torch.tensor([names.index(label) for label in labels])
    centroids = torch.stack([rows[ids == k].median(dim=0).values if median else rows[ids == k].mean(dim=0)
                             for k in range(len(names))])
    if score == "nearest":
        return labels[int(torch.cosine_similarity(vectors, query[None, :], dim=1).argmax())]
    if score == "dot":
        scores = centroids @ query
    elif score == "distance":
        scores = -(centroids - query).norm(dim=1)
    elif score == "unit distance":
        scores = -(centroids - query / query.norm()).norm(dim=1)
    else:
        scores = torch.cosine_similarity(centroids, query[None, :], dim=1)
    return names[int(scores.argmax())]


def check_02_predict_sense(predict_sense) -> None:
    """Exercise 02-3: the sense whose centroid (mean of unit vectors) is most cosine-similar to a vector."""
    what = "predict_sense"
    mistakes = {"the centroids are means of the raw vectors: normalise each vector to length 1 first":
                    {"unit": False},
                "that ranks the centroids by dot product: a spread-out sense has a shorter centroid, so use "
                "cosine similarity": {"score": "dot"},
                "that ranks the centroids by distance, not by cosine similarity": {"score": "distance"},
                "that ranks the centroids by distance to the normalised vector, not by cosine similarity (a short "
                "centroid can be near every unit vector)": {"score": "unit distance"},
                "the centroid is the mean of the sense's unit vectors, not their median": {"median": True},
                "that is the sense of the single most similar vector: compare with each sense's centroid instead":
                    {"score": "nearest"}}
    cases = _predict_sense_cases()
    answers = []
    for query, vectors, labels in cases:
        got = predict_sense(query.clone(), vectors.clone(), list(labels))
        answered(what, got, "predict_sense returned None: return the name of a sense")
        require(what, isinstance(got, str), f"return the sense's name as a string (one of the labels), "
                                            f"not {type(got).__name__}")
        require(what, got in labels, f"{got!r} is not one of the labels {sorted(set(labels))}")
        answers.append(got)
    if answers != [_centroid_sense(*case) for case in cases]:
        for message, mistake in mistakes.items():
            require(what, answers != [_centroid_sense(*case, **mistake) for case in cases], message)
        raise ExerciseError(f"✘ {what}: wrong sense on some of {len(cases)} test vectors: compare the vector "
                            "with each sense's centroid and return the name of the most similar one")
    passed(what, f"right sense on {len(cases)} test vectors (six hand-made traps, "
                 "six random ones with three senses)")


def check_02_two_banks(two_banks, two_senses, sentence: str, tokenizer, model, vectors, labels) -> None:
    """Exercise 02-4: per layer, the cosine of the two occurrences of 'bank' and the sense predicted for each."""
    import numpy as np
    import torch

    from helpers.contextual import word_embeddings_by_layer

    what = "two_banks"
    n_layers = model.config.num_hidden_layers + 1
    answered(what, two_banks, "two_banks is None: compute it in the cell above")
    values = np.asarray(torch.as_tensor(two_banks).detach().cpu(), dtype=float).ravel()
    require(what, len(values) == n_layers, f"need one similarity per layer (0 to {n_layers - 1}), got {len(values)}")
    require(what, not np.allclose(values, 1.0), "every similarity is 1: did you compare an occurrence with itself? "
                                                "use occurrence=0 and occurrence=1")
    first, second = (word_embeddings_by_layer([sentence], "bank", tokenizer, model, device=model.device,
                                              occurrence=k)[:, 0] for k in (0, 1))
    expected = torch.cosine_similarity(first, second, dim=1).numpy()
    require(what, np.allclose(values, expected, atol=1e-4),
            "these are not the cosine similarities of the two occurrences' vectors at layers 0, 1, ..., last")
    what = "two_senses"
    answered(what, two_senses, "two_senses is None: predict the sense of each occurrence at each layer")
    require(what, len(two_senses) == n_layers and all(len(pair) == 2 for pair in two_senses),
            f"need one pair (first, second) per layer, 0 to {n_layers - 1}")
    vectors = torch.as_tensor(vectors).float().cpu()
    truth = [(_centroid_sense(first[k], vectors[k], labels), _centroid_sense(second[k], vectors[k], labels))
             for k in range(n_layers)]
    got = [tuple(pair) for pair in two_senses]
    if got != truth:
        require(what, got != [(a, a) for a, _ in truth], "both senses are the first occurrence's: pass "
                                                         "occurrence=1 for the second")
        require(what, got != [(b, a) for a, b in truth], "the pairs are swapped: (first, second)")
    for k, (pair, right) in enumerate(zip(got, truth)):
        require(what, pair == right, f"wrong sense at layer {k}: compare the vector at layer {k} with the "
                                     f"centroids of the labelled vectors at the same layer")
    passed("two_banks, two_senses", f"one similarity and one pair of senses per layer, 0 to {n_layers - 1}")


def check_02_my_report(my_sentences, my_senses, my_report, word: str, tokenizer, model) -> None:
    """Exercise 02-5: the sense report of the learner's own sentences, with their labels, at every layer."""
    import re

    import numpy as np
    import pandas as pd

    from helpers.contextual import sense_report_by_layer, word_embeddings_by_layer

    what = "my_report"
    n_layers = model.config.num_hidden_layers + 1
    if not my_sentences and my_report is None:
        answered(what, None, "my_sentences is empty and my_report is None: write your sentences, then the report")
    require(what, len(my_sentences) == len(my_senses) >= 10, "need at least ten sentences, each with a sense label")
    counts = pd.Series(list(my_senses)).value_counts()
    require(what, len(counts) >= 2 and counts.min() >= 5, f"need two senses with at least five sentences each, "
                                                          f"got {counts.to_dict()}")
    missing = [s for s in my_sentences if not re.search(rf"(?<!\w){re.escape(word)}(?!\w)", s, re.IGNORECASE)]
    require(what, not missing, f"every sentence must contain {word!r} as a whole word; not: {missing[:2]}")
    answered(what, my_report, "my_report is None: compute it with sense_report_by_layer(...)")
    require(what, isinstance(my_report, pd.DataFrame), "compute my_report with sense_report_by_layer(...)")
    require(what, list(my_report.index) == list(range(n_layers)), f"need one row per layer, 0 to {n_layers - 1}: "
                                                                  "pass the vectors of word_embeddings_by_layer")
    expected = sense_report_by_layer(word_embeddings_by_layer(list(my_sentences), word, tokenizer, model,
                                                              device=model.device), list(my_senses))
    require(what, set(expected.columns) <= set(my_report.columns), "my_report lacks columns of sense_report_by_layer")
    got = my_report[expected.columns].to_numpy(dtype=float)
    require(what, np.allclose(got, expected.to_numpy(), atol=1e-4),
            f"my_report is not the report of my_sentences with my_senses: compute it from the vectors of "
            f"{word!r} in my_sentences (word_embeddings_by_layer) and my_senses, both in the same order")
    best = expected["loo_accuracy"].iloc[1:].max()
    require(what, best > 0.6, f"your labels separate no better than chance at any layer (best held-out accuracy "
                              f"{best:.2f}): check that my_senses follows the order of my_sentences, one label per "
                              "sentence; if it does, choose two senses that differ more")
    passed(what, f"the report of your {len(my_sentences)} sentences about {word!r}, {n_layers} layers")


# --- 03 RNN, LSTM, GRU ---
# (checks for notebook 03's exercises go here)

def _is_whole_number(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_03_lstm_parameters(answer: object, vocab_size: int) -> None:
    """Exercise 1: the parameter count of CharLM(vocab_size, 128, 'lstm', embed_size=32, num_layers=2)."""
    from helpers.recurrent import count_parameters
    from helpers.rnn import CharLM

    name, (V, E, H) = "Exercise 1", (vocab_size, 32, 128)
    answered(name, answer, "replace None by your formula")
    require(name, _is_whole_number(answer), f"give a whole number (an int), not {type(answer).__name__}")
    truth = count_parameters(CharLM(V, H, "lstm", embed_size=E, num_layers=2))
    known_mistakes = {
        -2 * 4 * H: "one bias vector per gate block and layer is missing: PyTorch keeps two, b_ih and b_hh",
        -4 * 4 * H: "the biases are missing: each layer has b_ih and b_hh, 4 * hidden each",
        4 * H * (E - H): "the second layer reads the first layer's output (hidden_size wide), not the embedding",
        -(H * V + V): "the linear head (hidden -> vocabulary, with its bias) is missing",
        -V: "the head's bias (one per vocabulary character) is missing",
        -V * E: "the embedding table (vocabulary x embed_size) is missing",
    }
    hint = known_mistakes.get(answer - truth, f"off by {answer - truth:+,}; count layer by layer")
    require(name, answer == truth, hint)
    passed(name, f"{truth:,} parameters")


def check_03_perplexities(answer: object, histories: dict) -> None:
    """Exercise 2: {kind: 2 ** (last validation bpc)} for every trained model."""
    import math

    name = "Exercise 2"
    answered(name, answer, "replace None by a dict {kind: perplexity}")
    require(name, isinstance(answer, dict), f"give a dict {{kind: perplexity}}, not {type(answer).__name__}")
    require(name, set(answer) == set(histories), f"give one entry per model: {sorted(histories)}")
    for kind, history in histories.items():
        bpc, value = history["val_bpc"][-1], answer[kind]
        require(name, isinstance(value, (int, float)), f"the value for {kind} must be a number")
        require(name, not math.isclose(value, math.e ** bpc, rel_tol=1e-6),
                f"{kind}: bpc is in bits, so the base is 2, not e")
        require(name, not math.isclose(value, 2 ** history["val_bpc"][0], rel_tol=1e-6),
                f"{kind}: use the last epoch's validation bpc, not the first")
        require(name, math.isclose(value, 2 ** bpc, rel_tol=1e-6), f"{kind}: expected 2 ** (last validation bpc)")
    passed(name, "perplexity = 2 ** bits per character for every model")


def check_03_second_window(answer: object, streams, vocab) -> None:
    """Exercise 3: (input, target) strings of the second window of row 2, windows of 3 characters."""
    from helpers.rnn import decode, windows

    name = "Exercise 3"
    answered(name, answer, "replace None by (input string, target string)")
    require(name, isinstance(answer, (tuple, list)) and len(answer) == 2 and all(isinstance(a, str) for a in answer),
            "give two strings: (input, target)")
    pairs = [(decode(vocab, x[2]), decode(vocab, y[2])) for x, y in windows(streams, 3)]
    answer = tuple(answer)
    require(name, answer != pairs[0], "that is the FIRST window of row 2; the second starts where it stopped")
    require(name, answer[0] != answer[1], "the target is the input shifted by one character, not the input itself")
    require(name, answer == pairs[1], f"not quite: row 2 is {decode(vocab, streams[2])!r}; "
                                      "read it in windows of 3, each target one character ahead")
    passed(name, f"{pairs[1]}")


def check_03_greedy(greedy, model, vocab, prompts=("the government ", "prime minister ", "a")) -> None:
    """Exercise 4: greedy(model, vocab, prompt, length) carries the state and appends the top character."""
    import torch

    name = "Exercise 4"
    require(name, callable(greedy), "not attempted yet: define greedy(model, vocab, prompt, length)")

    @torch.no_grad()
    def reference(prompt: str, length: int, carry: bool = True) -> str:
        model.eval()
        device = next(model.parameters()).device
        logits, state = model(vocab.encode(prompt).unsqueeze(0).to(device))
        out = []
        for _ in range(length):
            out.append(int(logits[0, -1].argmax()))
            logits, state = model(torch.tensor([[out[-1]]], device=device), state if carry else None)
        return prompt + "".join(vocab.decode(out))

    for prompt in prompts:
        mine = greedy(model, vocab, prompt, 40)
        require(name, isinstance(mine, str), f"greedy must return a string, not {type(mine).__name__}")
        require(name, mine.startswith(prompt), "return the prompt followed by the new characters")
        require(name, len(mine) == len(prompt) + 40, f"asked for 40 new characters, got {len(mine) - len(prompt)}")
        if mine != reference(prompt, 40):
            forgot = mine == reference(prompt, 40, carry=False)
            require(name, False, "each step starts from an empty memory: pass the state returned by the model "
                    "back in with the next character" if forgot else
                    f"for prompt {prompt!r} the text differs from always taking the most likely next character")
    passed(name, f"greedy decoding matches the reference on {len(prompts)} prompts")


# --- 04 gradients ---
# (checks for notebook 04's exercises go here)


def check_04_gradient_probe(probe) -> None:
    """Exercise 04-1: probe(model, inputs, targets) returns dL/dh_t for t = 1..T of a one-layer RNN classifier."""
    import numpy as np
    import torch

    from helpers.gradients import first_token_batch, hidden_grad_norms, make_model

    ex = "Exercise 1"
    model = make_model("rnn", hidden_size=8, seed=3)
    x, y = first_token_batch(16, 12, generator=torch.Generator().manual_seed(5))
    expected = hidden_grad_norms(model, x, y, "cpu")
    grads = probe(model, x, y)
    answered(ex, grads, "your function returns None: return the gradients, one tensor per time step")
    grads = list(grads)
    require(ex, len(grads) == len(expected),
            f"expected {len(expected)} gradients (one per time step t = 1..{len(expected)}), got {len(grads)}")
    norms = np.array([float(torch.as_tensor(g).detach().norm()) for g in grads])
    require(ex, not np.all(norms[:-1] == 0),
            "every gradient before t = T is zero: that is retain_grad on the output sequence, which the recurrence "
            "never reads; keep each state h_t that the next step consumes (run the RNN one step at a time)")
    require(ex, not np.allclose(norms[::-1], expected, rtol=1e-3),
            "the gradients are in reverse order: return them for t = 1 first, t = T last")
    require(ex, np.allclose(norms, expected, rtol=1e-3),
            f"the norms differ from the measured ones (at t = 1: {norms[0]:.3g}, expected {expected[0]:.3g}); "
            "is the loss the cross-entropy of the read-out after the LAST step only?")
    passed(ex, "your probe gives dL/dh_t at every time step, the same as helpers.gradients.hidden_grad_norms")


def check_04_slope(factor_guess) -> None:
    """Exercise 04-2: the factor per step back in time for a linear RNN with W_hh = 0.7 x orthogonal."""
    from helpers.gradients import geometric_fit, radius_experiment

    ex = "Exercise 2"
    require(ex, isinstance(factor_guess, (int, float)) and not isinstance(factor_guess, bool),
            f"factor_guess must be a number, got {type(factor_guess).__name__}")
    measured = 1 / geometric_fit(radius_experiment((0.7,), nonlinearity="linear", seq_len=30)[0.7]).factor
    require(ex, abs(factor_guess - 1 / 0.7) > 0.01,
            "that is how much the norm GROWS per step going forward (towards t = T); "
            "the question is what one step BACK in time multiplies it by")
    require(ex, abs(factor_guess - measured) < 0.01,
            "not what the measurement gives; each step back multiplies dL/dh by W_hh transposed: "
            "what does an orthogonal matrix times 0.7 do to a vector's length?")
    passed(ex, "going back one step multiplies the norm by the spectral radius of W_hh (for a linear RNN)")


def check_04_training_step(train_step) -> None:
    """Exercise 04-3: train_step(model, optimizer, inputs, targets, clip) does one clipped update, returns ||g||."""
    import numpy as np
    import torch

    from helpers.gradients import first_token_batch, make_model, sequence_loss

    ex = "Exercise 3"
    x, y = first_token_batch(32, 10, generator=torch.Generator().manual_seed(7))

    def run(step_fn):  # two steps with a threshold below the gradient norms (about 0.3 to 0.45), so both clip
        model = make_model("rnn", hidden_size=8, seed=1)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
        norms = [step_fn(model, optimizer, x, y, 0.2) for _ in range(2)]
        return torch.cat([p.detach().flatten() for p in model.parameters()]), norms

    def reference(model, optimizer, inputs, targets, clip, zero=True, clipping=True):
        if zero:
            optimizer.zero_grad()
        sequence_loss(model(inputs)[0], targets).backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip if clipping else float("inf"))
        optimizer.step()
        return float(norm)

    weights, norms = run(train_step)
    expected, expected_norms = run(reference)
    unclipped, _ = run(lambda *args: reference(*args, clipping=False))
    accumulated, _ = run(lambda *args: reference(*args, zero=False))
    require(ex, all(isinstance(n, (int, float, torch.Tensor, np.floating)) for n in norms),
            "return the total gradient norm before clipping (a number): clip_grad_norm_ returns it")
    same = lambda a, b: torch.allclose(a, b, rtol=1e-5, atol=1e-7)  # noqa: E731
    require(ex, not same(weights, unclipped) or same(weights, expected),
            "the update was not clipped: call torch.nn.utils.clip_grad_norm_(model.parameters(), clip) "
            "after backward() and before optimizer.step()")
    require(ex, not same(weights, accumulated),
            "gradients from the previous step were added to this one: call optimizer.zero_grad() before backward()")
    require(ex, same(weights, expected),
            "the weights after two steps differ from one clipped SGD update per step; the order is "
            "zero_grad -> loss (cross-entropy after the last step) -> backward -> clip_grad_norm_ -> step")
    require(ex, np.allclose([float(n) for n in norms], expected_norms, rtol=1e-4),
            "the weights are right, but return the norm BEFORE clipping (what clip_grad_norm_ returns)")
    passed(ex, "one clipped update: zero_grad, backward, clip_grad_norm_, step")


# --- 05 text classifier ---
# (checks for notebook 05's exercises go here)


def check_05_last_hidden(last_hidden) -> None:
    """Exercise 05-1: last_hidden(rnn, embedded, lengths) is each sequence's state after its last real step."""
    import torch
    from torch import nn

    from helpers.recurrent import final_hidden

    name = "Exercise 1"
    require(name, callable(last_hidden), "define a function last_hidden(rnn, embedded, lengths)")
    with torch.random.fork_rng():
        torch.manual_seed(0)
        layers = {"GRU": nn.GRU(4, 6, batch_first=True), "LSTM": nn.LSTM(4, 6, batch_first=True)}
        embedded = torch.randn(3, 5, 4)
    lengths = torch.tensor([2, 5, 3])  # not sorted, as in a shuffled mini-batch
    for kind, rnn in layers.items():
        with torch.no_grad():
            expected = torch.cat([final_hidden(rnn(embedded[i:i + 1, :n])[1]) for i, n in enumerate(lengths.tolist())])
            after_padding = final_hidden(rnn(embedded)[1])
            try:
                got = last_hidden(rnn, embedded.clone(), lengths.clone())
            except RuntimeError as error:
                sorted_hint = "sorted" in str(error)
                require(name, not sorted_hint, "pack_padded_sequence refused the unsorted lengths [2, 5, 3]: "
                        "pass enforce_sorted=False")
                raise ExerciseError(f"✘ {name}: with the {kind} it raised {type(error).__name__}: {error}") from None
        require(name, isinstance(got, torch.Tensor), f"with the {kind} it returned a {type(got).__name__}, not one "
                "tensor; an LSTM's state is a pair (h, c): take h")
        require(name, tuple(got.shape) == (3, 6), f"with the {kind} the result has shape {tuple(got.shape)}; "
                "expected [batch, hidden] = (3, 6): take the last layer, h[-1]")
        require(name, not torch.allclose(got, after_padding, atol=1e-5), f"with the {kind} this is the state after "
                "the padding: pack the batch with the true lengths so each sequence stops at its own end")
        require(name, torch.allclose(got, expected, atol=1e-5), f"with the {kind} the result differs from running "
                "each sequence alone (did you return c instead of h, or the outputs at a wrong step?)")
    passed(name, "each sequence's state after its last real step, for a GRU and an LSTM, lengths in any order")


def check_05_bigrams(model) -> None:
    """Exercise 05-2: a TF-IDF pipeline with words and word pairs, and a logistic regression with C tuned."""
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.model_selection import GridSearchCV

    name = "Exercise 2"
    require(name, hasattr(model, "fit") and hasattr(model, "steps"), "bigram_model must be a scikit-learn pipeline, "
            "e.g. make_pipeline(TfidfVectorizer(...), classify.tuned_logreg())")
    texts = ["not good at all", "very good indeed", "not bad at all", "very bad indeed"] * 3
    fitted = clone(model).fit(texts, [0, 1, 1, 0] * 3)
    require(name, hasattr(fitted[0], "get_feature_names_out"), "the pipeline must start with a vectorizer")
    features = set(fitted[0].get_feature_names_out())
    require(name, any(" " in f for f in features), "the vectorizer keeps single words only: set ngram_range=(1, 2)")
    require(name, "good" in features, "the vectorizer keeps word pairs only: keep single words too, "
            "ngram_range=(1, 2)")
    require(name, isinstance(fitted[-1], (LogisticRegressionCV, GridSearchCV)), "the classifier has a fixed C: "
            "tune it inside the folds, e.g. with classify.tuned_logreg() (a LogisticRegressionCV)")
    passed(name, "words and word pairs, and C tuned inside the folds")


def check_05_frozen(make_frozen, vectors) -> None:
    """Exercise 05-3: make_frozen(vocab) has the Word2Vec vectors in a frozen embedding and a trainable LSTM."""
    import torch

    from helpers import classify

    name = "Exercise 3"
    require(name, callable(make_frozen), "define a function make_frozen(vocab) that returns a TextClassifier")
    words = vectors.index_to_key[:30]
    texts = [" ".join(words[i:i + 5]) + " zzzunknown" for i in range(0, 30, 5)]
    vocab = classify.build_vocab(texts)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = make_frozen(vocab)
    require(name, isinstance(model, classify.TextClassifier), f"make_frozen returned a {type(model).__name__}, "
            "not a TextClassifier")
    weight = model.body.embed.weight
    require(name, tuple(weight.shape) == (len(vocab), vectors.vector_size), f"the embedding has shape "
            f"{tuple(weight.shape)}; expected one row per vocabulary word and embed_size={vectors.vector_size}")
    rows = weight.detach()[vocab.encode(words)].cpu()
    require(name, torch.allclose(rows, torch.as_tensor(vectors[words])), "the embedding does not hold the Word2Vec "
            "vectors: copy them with classify.init_embeddings(model, vocab, vectors, ...)")
    require(name, not weight.requires_grad, "the embedding still learns: pass freeze=True to init_embeddings")
    require(name, all(p.requires_grad for p in model.body.rnn.parameters()), "the LSTM is frozen too: freeze only "
            "the embedding")
    before, lstm_before = weight.detach().clone(), model.body.rnn.weight_ih_l0.detach().clone()
    classify.train_classifier(model, classify.encode_dataset(vocab, texts, [0, 1] * 3), epochs=3, lr=0.01,
                              batch_size=2, device="cpu", progress=False)
    require(name, torch.equal(model.body.embed.weight.detach().cpu(), before.cpu()), "the embedding moved "
            "during training: it must stay frozen")
    require(name, not torch.equal(model.body.rnn.weight_ih_l0.detach().cpu(), lstm_before.cpu()),
            "the LSTM did not learn")
    passed(name, "the embedding holds the Word2Vec vectors and stays frozen while the LSTM learns")
