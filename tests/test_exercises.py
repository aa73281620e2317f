"""The exercise checks accept the worked solution and reject the obvious wrong answers."""

from __future__ import annotations

import pytest

from helpers import exercises


def test_require_raises_with_the_message():
    with pytest.raises(exercises.ExerciseError, match="✘ ex: wrong because"):
        exercises.require("ex", False, "wrong because")
    exercises.require("ex", True, "never shown")


# --- 01 word embeddings ---

SENTENCES_01 = [[0, 1, 2, 3], [0, 1, 4], [5, 6]]  # 3 + 2 + 1 neighbouring positions -> 12 pairs with window=1


def test_01_pair_count_accepts_the_count_and_rejects_the_usual_mistakes(capsys):
    exercises.check_01_pair_count(12, SENTENCES_01)
    assert "✔ Exercise 1" in capsys.readouterr().out
    for wrong, message in [(None, "still None"), (6, "each position gives two"), ("12", "whole number"),
                           (18, "window=2"), (13, "not the number of pairs")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_01_pair_count(wrong, SENTENCES_01)


def test_01_keep_probability_rejects_the_wrong_share_and_the_wrong_threshold(capsys):
    import numpy as np

    counts = np.array([5000, 300, 20])
    all_tokens = 6000  # the corpus also has 680 tokens of words below min_count

    def keep(f, t):
        return min(1.0, (np.sqrt(f / t) + 1) * t / f)

    right = keep(5000 / 5320, 1e-4)
    exercises.check_01_keep_probability(right, counts, 0, all_tokens)
    assert "✔ Exercise 2" in capsys.readouterr().out
    for wrong, message in [(None, "still None"), (1 - right, "dropped"), (keep(5000 / 6000, 1e-4), "vocabulary's"),
                           (keep(5000 / 5320, 1e-3), "t = 1e-4"), (right * 1.01, "not the keep probability"),
                           (5.0, r"\(0, 1\]")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_01_keep_probability(wrong, counts, 0, all_tokens)


def test_01_best_pair_must_be_the_best_ranked_candidate(capsys):
    import numpy as np

    from helpers.embeddings import to_keyed_vectors

    words = ["man", "woman", "king", "queen", "father", "mother", "apple"]
    vectors = np.array([[0, 1, 0, 0], [0, 0, 1, 0], [1, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 0, 1],
                        [0, 0, 1, 1]], dtype=float)  # father - man + woman lands nearer apple than mother
    kv = to_keyed_vectors(words, vectors)
    candidates = [("king", "queen"), ("father", "mother")]
    exercises.check_01_best_pair(("king", "queen"), kv, candidates)
    assert "✔ Exercise 3" in capsys.readouterr().out
    for wrong, message in [(None, "still None"), (("father", "mother"), "does better"), ("king", "tuple"),
                           (("boy", "girl"), "not one of the candidate pairs")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_01_best_pair(wrong, kv, candidates)


def test_01_sgns_loss_accepts_the_loss_and_names_each_usual_mistake(capsys):
    import torch
    from torch.nn.functional import logsigmoid

    from helpers.embeddings import sgns_loss

    exercises.check_01_sgns_loss(sgns_loss)
    assert "✔ Exercise 4" in capsys.readouterr().out

    def scores(c, o, n):
        return (c * o).sum(-1), (n @ c.unsqueeze(-1)).squeeze(-1)

    def sign_outside(c, o, n):
        p, q = scores(c, o, n)
        return -(logsigmoid(p) + logsigmoid(q).sum(-1)).mean()

    def mean_negatives(c, o, n):
        p, q = scores(c, o, n)
        return -(logsigmoid(p) + logsigmoid(-q).mean(-1)).mean()

    def summed(c, o, n):
        p, q = scores(c, o, n)
        return -(logsigmoid(p) + logsigmoid(-q).sum(-1)).sum()

    def per_pair(c, o, n):
        p, q = scores(c, o, n)
        return -(logsigmoid(p) + logsigmoid(-q).sum(-1))

    def no_log(c, o, n):
        p, q = scores(c, o, n)
        return -(torch.sigmoid(p) + torch.sigmoid(-q).sum(-1)).mean()

    def detached(c, o, n):
        return sgns_loss(c, o, n).detach()

    def starter(c, o, n):
        raise NotImplementedError()

    for wrong, message in [(sign_outside, "minus sign inside"), (mean_negatives, "averaged"), (summed, "summed"),
                           (per_pair, "one number"), (no_log, "not -log"), (detached, "no gradient"),
                           (lambda c, o, n: 0.0, "return a tensor")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_01_sgns_loss(wrong)
    with pytest.raises(NotImplementedError):
        exercises.check_01_sgns_loss(starter)



# --- 02 Word2Vec vs BERT ---

def _word_vector_with(bert, mistake=None):
    """A word_vector answer for exercise 02-1: right, or with one of the obvious mistakes."""
    import torch

    tokenizer, model = bert

    def word_vector(sentence, span, layer=-1):
        encoded = tokenizer(sentence, return_tensors="pt", return_offsets_mapping=True,
                            return_special_tokens_mask=True)
        offsets = encoded.pop("offset_mapping")[0]
        special = encoded.pop("special_tokens_mask")[0].bool()
        if mistake == "with gradients":  # no torch.no_grad(): the check detaches, so this is right
            hidden = model(**encoded, output_hidden_states=True).hidden_states[layer][0]
        else:
            with torch.no_grad():
                hidden = model(**encoded, output_hidden_states=True).hidden_states[layer][0]
        pieces = (offsets[:, 0] < span[1]) & (offsets[:, 1] > span[0])
        if mistake == "touching":  # <= and >= also keep the tokens that only touch the word, like "bank" + "."
            pieces = (offsets[:, 0] <= span[1]) & (offsets[:, 1] >= span[0])
        if mistake == "end - 1":  # off by one at the end: drops a one-character last piece ("##s")
            pieces = (offsets[:, 0] < span[1] - 1) & (offsets[:, 1] > span[0])
        if mistake == "start + 1":  # off by one at the start: drops a one-character first piece ("x")
            pieces = (offsets[:, 0] < span[1]) & (offsets[:, 1] > span[0] + 1)
        if mistake == "with specials":
            pieces = pieces | special
        elif mistake != "no special mask":
            pieces = pieces & ~special
        if mistake == "first piece":
            return hidden[pieces][0]
        if mistake == "sum":
            return hidden[pieces].sum(0)
        if mistake == "last layer":
            return model(**encoded).last_hidden_state[0][pieces].mean(0).detach()
        return hidden[pieces].mean(0)

    return word_vector


def test_02_word_vector_accepts_the_solution(bert):
    exercises.check_02_word_vector(_word_vector_with(bert), *bert)
    exercises.check_02_word_vector(_word_vector_with(bert, "no special mask"), *bert)  # the overlap excludes them
    exercises.check_02_word_vector(_word_vector_with(bert, "with gradients"), *bert)


@pytest.mark.parametrize("mistake, message", [("first piece", "first piece"), ("sum", "summed"),
                                              ("with specials", r"\[CLS\]"), ("last layer", "instead of layer 3"),
                                              ("touching", "wrong vector"), ("end - 1", "last piece"),
                                              ("start + 1", "first piece \\(a piece")])
def test_02_word_vector_names_the_mistake(bert, mistake, message):
    with pytest.raises(exercises.ExerciseError, match=message):
        exercises.check_02_word_vector(_word_vector_with(bert, mistake), *bert)


def test_02_word_vector_rejects_the_starter_and_wrong_shapes(bert):
    import torch

    def starter(sentence, span, layer=-1):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        exercises.check_02_word_vector(starter, *bert)
    with pytest.raises(exercises.ExerciseError, match="shape"):
        exercises.check_02_word_vector(lambda sentence, span, layer=-1: torch.zeros(2, 384), *bert)
    with pytest.raises(exercises.ExerciseError, match="torch.Tensor"):
        exercises.check_02_word_vector(lambda sentence, span, layer=-1: [0.0] * 384, *bert)


def _sense_gap_with(mistake=None):
    import torch

    def sense_gap(vectors, senses):
        x = vectors if mistake == "dot" else vectors / vectors.norm(dim=1, keepdim=True)
        sims = x @ x.T
        ids = torch.tensor([sorted(set(senses)).index(s) for s in senses])
        same = ids[:, None] == ids[None, :]
        within = sims[same] if mistake == "diagonal" else sims[same & ~torch.eye(len(ids), dtype=torch.bool)]
        gap = within.mean() - sims[~same].mean()
        if mistake == "sign":
            gap = -gap
        if mistake == "pair":
            return torch.stack([within.mean(), sims[~same].mean()])
        return gap.item() if mistake != "tensor" else gap

    return sense_gap


def test_02_sense_gap_accepts_the_solution_as_float_or_tensor():
    exercises.check_02_sense_gap(_sense_gap_with())
    exercises.check_02_sense_gap(_sense_gap_with("tensor"))


@pytest.mark.parametrize("mistake, message", [("dot", "length"), ("diagonal", "diagonal"), ("sign", "sign"),
                                              ("pair", "one number")])
def test_02_sense_gap_names_the_mistake(mistake, message):
    with pytest.raises(exercises.ExerciseError, match=message):
        exercises.check_02_sense_gap(_sense_gap_with(mistake))


def test_02_stubs_are_not_answered(bert):
    with pytest.raises(exercises.NotAnswered):
        exercises.check_02_word_vector(lambda sentence, span, layer=-1: None, *bert)
    with pytest.raises(exercises.NotAnswered):
        exercises.check_02_sense_gap(lambda vectors, senses: None)
    with pytest.raises(exercises.NotAnswered):
        exercises.check_02_my_report([], [], None, "spring", *bert)


def test_02_sense_gap_rejects_a_constant():
    with pytest.raises(exercises.ExerciseError, match="gap is"):
        exercises.check_02_sense_gap(lambda vectors, senses: 0.0)


def _predict_sense_with(mistake=None):
    """A predict_sense answer for exercise 02-3: right, or with one of the usual mistakes."""
    import torch

    def predict_sense(vector, vectors, labels):
        names = sorted(set(labels)) if mistake == "sorted names" else list(dict.fromkeys(labels))
        order = list(dict.fromkeys(labels))
        unit = vectors if mistake == "raw" else vectors / vectors.norm(dim=1, keepdim=True)
        ids = torch.tensor([order.index(label) for label in labels])
        if mistake == "median":
            centroids = torch.stack([unit[ids == k].median(dim=0).values for k in range(len(order))])
        else:
            centroids = torch.stack([unit[ids == k].mean(dim=0) for k in range(len(order))])
        if mistake == "dot":
            scores = centroids @ vector
        elif mistake == "distance":
            scores = -(centroids - vector).norm(dim=1)
        elif mistake == "unit distance":  # distance to the query scaled to length 1
            scores = -(centroids - vector / vector.norm()).norm(dim=1)
        else:
            scores = torch.cosine_similarity(centroids, vector[None, :], dim=1)
        best = int(scores.argmin()) if mistake == "argmin" else int(scores.argmax())
        if mistake == "index":
            return best
        if mistake == "nearest vector":
            return labels[int(torch.cosine_similarity(vectors, vector[None, :], dim=1).argmax())]
        return names[best]

    return predict_sense


def test_02_predict_sense_accepts_the_solution():
    exercises.check_02_predict_sense(_predict_sense_with())


@pytest.mark.parametrize("mistake, message", [("raw", "normalise each vector"), ("dot", "dot product"),
                                              ("distance", "distance"), ("argmin", "wrong sense on some"),
                                              ("index", "string"), ("sorted names", "wrong sense"),
                                              ("nearest vector", "single most similar"),
                                              ("unit distance", "distance to the normalised vector"),
                                              ("median", "not their median")])
def test_02_predict_sense_names_the_mistake(mistake, message):
    with pytest.raises(exercises.ExerciseError, match=message):
        exercises.check_02_predict_sense(_predict_sense_with(mistake))


def test_02_predict_sense_rejects_the_stub_and_a_constant():
    with pytest.raises(exercises.NotAnswered):
        exercises.check_02_predict_sense(lambda vector, vectors, labels: None)
    with pytest.raises(exercises.ExerciseError):
        exercises.check_02_predict_sense(lambda vector, vectors, labels: labels[0])


DOUBLE = "After a walk along the river bank, I went to the bank to withdraw some cash."


@pytest.fixture(scope="module")
def two_banks_setup(bert):
    """The right answers of exercise 02-4 and the labelled 'bank' vectors it predicts from."""
    import torch

    from helpers.contextual import word_embeddings_by_layer
    from helpers.data import load_polysemy

    rows = load_polysemy("bank")
    labels = [sense for _, sense, _ in rows]
    vectors = word_embeddings_by_layer([sentence for _, _, sentence in rows], "bank", *bert, device="cpu")
    first, second = (word_embeddings_by_layer([DOUBLE], "bank", *bert, device="cpu", occurrence=k)[:, 0]
                     for k in (0, 1))
    right = torch.cosine_similarity(first, second, dim=1)
    predict = _predict_sense_with()
    pairs = [(predict(first[k], vectors[k], labels), predict(second[k], vectors[k], labels)) for k in range(7)]
    only_first = [(predict(first[k], vectors[k], labels),) * 2 for k in range(7)]
    last_layer = [(predict(first[k], vectors[-1], labels), predict(second[k], vectors[-1], labels)) for k in range(7)]
    return right, pairs, {"first": only_first, "last layer": last_layer}, vectors, labels


def test_02_two_banks(bert, two_banks_setup):
    right, pairs, _, vectors, labels = two_banks_setup
    check = exercises.check_02_two_banks
    check(right.tolist(), pairs, DOUBLE, *bert, vectors, labels)
    check(right, [list(pair) for pair in pairs], DOUBLE, *bert, vectors, labels)
    with pytest.raises(exercises.NotAnswered, match="None"):
        check(None, pairs, DOUBLE, *bert, vectors, labels)
    with pytest.raises(exercises.NotAnswered, match="two_senses is None"):
        check(right, None, DOUBLE, *bert, vectors, labels)
    with pytest.raises(exercises.ExerciseError, match="one similarity per layer"):
        check(right[1:].tolist(), pairs, DOUBLE, *bert, vectors, labels)
    with pytest.raises(exercises.ExerciseError, match="itself"):
        check([1.0] * 7, pairs, DOUBLE, *bert, vectors, labels)
    with pytest.raises(exercises.ExerciseError, match="not the cosine"):
        check(right.flip(0).tolist(), pairs, DOUBLE, *bert, vectors, labels)


@pytest.mark.parametrize("mistake, message", [("first", "occurrence=1"), ("swapped", "swapped"),
                                              ("last layer", "same layer"), ("short", "one pair")])
def test_02_two_senses_names_the_mistake(bert, two_banks_setup, mistake, message):
    right, pairs, wrong, vectors, labels = two_banks_setup
    answer = {"swapped": [(b, a) for a, b in pairs], "short": pairs[1:]}.get(mistake) or wrong[mistake]
    assert answer != pairs, "this wrong answer must differ from the right one on this sentence"
    with pytest.raises(exercises.ExerciseError, match=message):
        exercises.check_02_two_banks(right, answer, DOUBLE, *bert, vectors, labels)


SPRING = ["Spring is my favourite season.", "The trees blossom in spring.", "We sow seeds in early spring.",
          "Birds return every spring.", "In spring the days grow longer.", "The spring in the bed broke.",
          "A steel spring shuts the door.", "A coiled spring drives the clock.", "He fixed the spring.",
          "The pen clicks because of a tiny spring."]
SPRING_SENSES = ["season"] * 5 + ["coil"] * 5


def test_02_my_report(bert):
    import pandas as pd

    from helpers.contextual import sense_report_by_layer, word_embeddings_by_layer

    sentences, senses = SPRING, SPRING_SENSES
    report = sense_report_by_layer(word_embeddings_by_layer(sentences, "spring", *bert, device="cpu"), senses)
    check = exercises.check_02_my_report
    check(sentences, senses, report, "spring", *bert)
    with pytest.raises(exercises.ExerciseError, match="at least ten"):
        check(sentences[:8], senses[:8], report, "spring", *bert)
    with pytest.raises(exercises.ExerciseError, match="five sentences each"):
        check(sentences, ["season"] * 9 + ["coil"], report, "spring", *bert)
    with pytest.raises(exercises.ExerciseError, match="whole word"):
        check(sentences[:-1] + ["Springs are coils."], senses, report, "spring", *bert)
    with pytest.raises(exercises.NotAnswered):
        check(sentences, senses, None, "spring", *bert)
    with pytest.raises(exercises.ExerciseError, match="one row per layer"):
        check(sentences, senses, report.iloc[1:], "spring", *bert)
    shuffled = pd.concat([report.iloc[[3]], report.iloc[1:]]).set_axis(range(7))  # layer 3's row at layer 0
    with pytest.raises(exercises.ExerciseError, match="not the report of my_sentences"):
        check(sentences, senses, shuffled, "spring", *bert)


def test_02_my_report_is_tied_to_the_sentences_and_labels(bert):
    from helpers.contextual import sense_report_by_layer, word_embeddings_by_layer
    from helpers.data import load_polysemy

    rows = load_polysemy("bank")
    bank_report = sense_report_by_layer(word_embeddings_by_layer([r[2] for r in rows], "bank", *bert, device="cpu"),
                                        [r[1] for r in rows])
    vectors = word_embeddings_by_layer(SPRING, "spring", *bert, device="cpu")
    misaligned = sense_report_by_layer(vectors, ["season", "coil"] * 5)  # labels not in the sentences' order
    bare = sense_report_by_layer(word_embeddings_by_layer(SPRING, "spring", *bert, device="cpu",
                                                          special_tokens=False), SPRING_SENSES)
    for wrong in (bank_report, misaligned, bare):  # another word's report; shuffled labels; no [CLS]/[SEP]
        with pytest.raises(exercises.ExerciseError, match="not the report of my_sentences"):
            exercises.check_02_my_report(SPRING, SPRING_SENSES, wrong, "spring", *bert)


def test_02_my_report_rejects_labels_out_of_order(bert):
    from helpers.contextual import sense_report_by_layer, word_embeddings_by_layer

    shuffled = ["season", "coil"] * 5  # not in the order of the sentences; the report is computed with them
    report = sense_report_by_layer(word_embeddings_by_layer(SPRING, "spring", *bert, device="cpu"), shuffled)
    with pytest.raises(exercises.ExerciseError, match="follows the order of my_sentences"):
        exercises.check_02_my_report(SPRING, shuffled, report, "spring", *bert)


# --- 03 RNN, LSTM, GRU ---

def _rnn_setup():
    import torch

    from helpers.rnn import CharLM, batchify
    from helpers.vocab import Vocab

    vocab = Vocab.of_characters("the government prime minister abcdefghijklmnopqrstuvwxyz")
    torch.manual_seed(0)
    model = CharLM(len(vocab), 16, "gru")
    alphabet = Vocab.of_characters("abcdefghijklmnopqrstuvwxyz")
    streams = batchify(alphabet.encode("abcdefghijklmnopqrstuvwxyz"), 3)
    return torch, vocab, model, alphabet, streams


def test_03_lstm_parameters_accepts_the_count_and_names_common_mistakes():
    V, E, H = 54, 32, 128
    right = V * E + (4 * H * E + 4 * H * H + 8 * H) + (8 * H * H + 8 * H) + H * V + V
    exercises.check_03_lstm_parameters(right, V)
    for wrong, message in [(None, "not answered yet"), (float(right), "whole number"),
                           (right - 2 * 4 * H, "two, b_ih and b_hh"), (right - 4 * H * (H - E), "second layer"),
                           (right - H * V - V, "head"), (right - V * E, "embedding"), (right + 1, r"off by \+1")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_03_lstm_parameters(wrong, V)


def test_03_perplexities_wants_base_two_of_the_last_epoch():
    import math

    histories = {"rnn": {"val_bpc": [3.0, 2.5]}, "gru": {"val_bpc": [2.9, 2.2]}}
    exercises.check_03_perplexities({k: 2 ** h["val_bpc"][-1] for k, h in histories.items()}, histories)
    for wrong, message in [(None, "not answered yet"), ([1, 2], "dict"), ({"rnn": 2 ** 2.5}, "one entry per model"),
                           ({k: math.e ** h["val_bpc"][-1] for k, h in histories.items()}, "base is 2"),
                           ({k: 2 ** h["val_bpc"][0] for k, h in histories.items()}, "last epoch"),
                           ({k: h["val_bpc"][-1] for k, h in histories.items()}, "expected 2 \\*\\*")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_03_perplexities(wrong, histories)


def test_03_second_window_rejects_the_first_window_and_an_unshifted_target():
    _, _, _, alphabet, streams = _rnn_setup()
    exercises.check_03_second_window(("tuv", "uvw"), streams, alphabet)
    for wrong, message in [(None, "not answered yet"), ("tuv", "two strings"), (("qrs", "rst"), "FIRST window"),
                           (("tuv", "tuv"), "shifted by one"), (("efg", "fgh"), "not quite")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_03_second_window(wrong, streams, alphabet)


def test_03_greedy_accepts_state_carrying_decoding_and_spots_a_lost_state():
    torch, vocab, model, _, _ = _rnn_setup()

    def decode_with(carry):
        @torch.no_grad()
        def greedy(model, vocab, prompt, length):
            logits, state = model(vocab.encode(prompt).unsqueeze(0))
            out = []
            for _ in range(length):
                out.append(int(logits[0, -1].argmax()))
                logits, state = model(torch.tensor([[out[-1]]]), state if carry else None)
            return prompt + "".join(vocab.decode(out))
        return greedy

    exercises.check_03_greedy(decode_with(carry=True), model, vocab)

    def without_prompt(model, vocab, prompt, length):
        return decode_with(True)(model, vocab, prompt, length)[len(prompt):]

    def sampled(model, vocab, prompt, length):
        from helpers.rnn import sample
        return sample(model, vocab, prompt, length, temperature=1.0, device="cpu", seed=0)

    for wrong, message in [(None, "not attempted"), (decode_with(carry=False), "empty memory"),
                           (without_prompt, "prompt followed by"),
                           (lambda m, v, p, n: p + "e" * (n - 1), "asked for 40"),
                           (sampled, "most likely next character")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_03_greedy(wrong, model, vocab)


# --- 04 gradients ---


def _probe_04(model, inputs, targets):
    import torch
    from torch.nn import functional as F

    x = model.body.embed(inputs)
    state, kept = None, []
    for t in range(inputs.shape[1]):
        _, state = model.body.rnn(x[:, t:t + 1], state)
        kept.append(state)
    return torch.autograd.grad(F.cross_entropy(model.head(state[-1]), targets), kept)


def _retain_grad_probe_04(model, inputs, targets):
    from torch.nn import functional as F

    outputs, _ = model.body(inputs)
    outputs.retain_grad()
    F.cross_entropy(model.head(outputs)[:, -1], targets).backward()
    return [outputs.grad[:, t] for t in range(inputs.shape[1])]


def test_04_gradient_probe_accepts_the_solution_and_rejects_the_classic_mistakes(capsys):
    exercises.check_04_gradient_probe(_probe_04)
    assert "✔ Exercise 1" in capsys.readouterr().out
    wrong = {
        "returns None": lambda m, x, y: None,
        "retain_grad": _retain_grad_probe_04,
        "reverse order": lambda m, x, y: list(_probe_04(m, x, y))[::-1],
        "one step short": lambda m, x, y: list(_probe_04(m, x, y))[1:],
        "gradients doubled": lambda m, x, y: [g * 2 for g in _probe_04(m, x, y)],
    }
    messages = {"returns None": "returns None", "retain_grad": "retain_grad", "reverse order": "reverse order",
                "one step short": "expected 12 gradients", "gradients doubled": "differ"}
    for name, probe in wrong.items():
        with pytest.raises(exercises.ExerciseError, match=messages[name]):
            exercises.check_04_gradient_probe(probe)


def test_04_slope_accepts_the_radius_and_rejects_its_inverse_and_other_numbers(capsys):
    exercises.check_04_slope(0.7)
    assert "✔ Exercise 2" in capsys.readouterr().out
    for wrong, message in [(1 / 0.7, "GROWS"), (0.49, "not what the measurement gives"), (1.0, "not what"),
                           ("0.7", "must be a number"), (None, "must be a number")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_04_slope(wrong)


def _step_04(model, optimizer, inputs, targets, clip, zero=True, clipping=True, after=False, norm_after=False):
    import math

    import torch
    from torch.nn import functional as F

    if zero:
        optimizer.zero_grad()
    F.cross_entropy(model(inputs)[0][:, -1], targets).backward()
    if after:
        optimizer.step()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip if clipping else math.inf)
    if not after:
        optimizer.step()
    if norm_after:
        return min(float(norm), clip)
    return norm


def test_04_training_step_accepts_the_solution_and_rejects_each_mistake(capsys):
    exercises.check_04_training_step(_step_04)
    assert "✔ Exercise 3" in capsys.readouterr().out
    for kwargs, message in [({"clipping": False}, "not clipped"), ({"after": True}, "not clipped|differ"),
                            ({"zero": False}, "zero_grad"), ({"norm_after": True}, "BEFORE clipping")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_04_training_step(lambda *args, kw=kwargs: _step_04(*args, **kw))
    with pytest.raises(exercises.ExerciseError, match="a number"):
        exercises.check_04_training_step(lambda *args: (_step_04(*args), None)[1])


# --- 05 text classifier ---


def _last_hidden_solution(rnn, embedded, lengths):
    from torch.nn.utils.rnn import pack_padded_sequence

    _, state = rnn(pack_padded_sequence(embedded, lengths.cpu(), batch_first=True, enforce_sorted=False))
    return (state[0] if isinstance(state, tuple) else state)[-1]


def test_05_last_hidden_accepts_the_solution_and_the_padded_outputs_read_at_the_right_step(capsys):
    import torch
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    exercises.check_05_last_hidden(_last_hidden_solution)

    def from_outputs(rnn, embedded, lengths):  # another correct way: the output at each sequence's last step
        packed = pack_padded_sequence(embedded, lengths, batch_first=True, enforce_sorted=False)
        outputs, _ = pad_packed_sequence(rnn(packed)[0], batch_first=True)
        return outputs[torch.arange(len(lengths)), lengths - 1]

    exercises.check_05_last_hidden(from_outputs)
    assert capsys.readouterr().out.count("✔ Exercise 1") == 2


def _no_packing(rnn, embedded, lengths):
    state = rnn(embedded)[1]
    return (state[0] if isinstance(state, tuple) else state)[-1]


def _last_output_of_padded(rnn, embedded, lengths):
    return rnn(embedded)[0][:, -1]


def _sorted_only(rnn, embedded, lengths):
    from torch.nn.utils.rnn import pack_padded_sequence

    state = rnn(pack_padded_sequence(embedded, lengths, batch_first=True))[1]
    return (state[0] if isinstance(state, tuple) else state)[-1]


def _whole_lstm_state(rnn, embedded, lengths):
    from torch.nn.utils.rnn import pack_padded_sequence

    return rnn(pack_padded_sequence(embedded, lengths, batch_first=True, enforce_sorted=False))[1]


def _all_layers(rnn, embedded, lengths):
    from torch.nn.utils.rnn import pack_padded_sequence

    state = rnn(pack_padded_sequence(embedded, lengths, batch_first=True, enforce_sorted=False))[1]
    return state[0] if isinstance(state, tuple) else state


def _cell_state(rnn, embedded, lengths):
    from torch.nn.utils.rnn import pack_padded_sequence

    state = rnn(pack_padded_sequence(embedded, lengths, batch_first=True, enforce_sorted=False))[1]
    return (state[1] if isinstance(state, tuple) else state)[-1]


@pytest.mark.parametrize(("answer", "message"), [
    (None, "define a function"),
    (_no_packing, "state after the padding"),
    (_last_output_of_padded, "state after the padding"),
    (_sorted_only, "enforce_sorted=False"),
    (_whole_lstm_state, r"shape \(1, 3, 6\)"),  # a GRU first: its state is one tensor [layers, batch, hidden]
    (_all_layers, r"expected \[batch, hidden\]"),
    (_cell_state, "differs from running each sequence alone"),
])
def test_05_last_hidden_rejects_the_usual_mistakes(answer, message):
    with pytest.raises(exercises.ExerciseError, match=message):
        exercises.check_05_last_hidden(answer)


def test_05_bigrams_accepts_the_solution_and_rejects_the_starter_and_the_usual_mistakes(capsys):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from helpers import classify
    from helpers.data import tokenize

    def tfidf(ngram_range):
        return TfidfVectorizer(tokenizer=tokenize, lowercase=False, token_pattern=None, ngram_range=ngram_range)

    exercises.check_05_bigrams(make_pipeline(tfidf((1, 2)), classify.tuned_logreg()))
    exercises.check_05_bigrams(classify.tfidf_logreg(ngram_range=(1, 2)))
    assert capsys.readouterr().out.count("✔ Exercise 2") == 2
    wrong = [(classify.tfidf_logreg(), "single words only"),  # the unmodified starter
             (make_pipeline(tfidf((2, 2)), classify.tuned_logreg()), "word pairs only"),
             (make_pipeline(tfidf((1, 2)), LogisticRegression()), "fixed C"),
             (LogisticRegression(), "must be a scikit-learn pipeline")]
    for answer, message in wrong:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_05_bigrams(answer)


@pytest.fixture(scope="module")
def toy_vectors():
    import numpy as np

    from helpers.embeddings import to_keyed_vectors

    words = [f"w{i}" for i in range(40)]
    return to_keyed_vectors(words, np.random.default_rng(0).normal(size=(40, 8)))


def _frozen(vectors, freeze=True, copy=True, freeze_all=False):
    from helpers import classify

    def make(vocab):
        model = classify.TextClassifier(len(vocab), embed_size=vectors.vector_size, hidden_size=4, kind="lstm")
        if copy:
            classify.init_embeddings(model, vocab, vectors, freeze=freeze)
        else:
            model.body.embed.weight.requires_grad_(not freeze)
        if freeze_all:
            for p in model.parameters():
                p.requires_grad_(False)
        return model
    return make


def test_05_frozen_accepts_the_solution_and_rejects_the_usual_mistakes(toy_vectors, capsys):
    from helpers import classify

    exercises.check_05_frozen(_frozen(toy_vectors), toy_vectors)
    assert "✔ Exercise 3" in capsys.readouterr().out
    wrong = [(_frozen(toy_vectors, freeze=False), "still learns"),
             (_frozen(toy_vectors, copy=False), "does not hold the Word2Vec vectors"),
             (_frozen(toy_vectors, freeze_all=True), "LSTM is frozen too"),
             (lambda vocab: classify.TextClassifier(len(vocab), 5, 4), "embed_size=8"),
             (lambda vocab: None, "not a TextClassifier")]
    for answer, message in wrong:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_05_frozen(answer, toy_vectors)


def test_05_last_hidden_says_when_an_lstm_state_is_returned_whole():
    def whole_state_for_lstm(rnn, embedded, lengths):
        state = rnn(embedded)[1]
        return state if isinstance(state, tuple) else _last_hidden_solution(rnn, embedded, lengths)

    with pytest.raises(exercises.ExerciseError, match="LSTM it returned a tuple, not one tensor"):
        exercises.check_05_last_hidden(whole_state_for_lstm)
