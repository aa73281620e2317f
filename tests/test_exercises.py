"""The exercise checks accept the worked solution and reject the obvious wrong answers."""

from __future__ import annotations

import numpy as np
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
        with torch.no_grad():
            hidden = model(**encoded, output_hidden_states=True).hidden_states[layer][0]
        pieces = (offsets[:, 0] < span[1]) & (offsets[:, 1] > span[0])
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


@pytest.mark.parametrize("mistake, message", [("first piece", "first piece"), ("sum", "summed"),
                                              ("with specials", r"\[CLS\]"), ("last layer", "layer 3")])
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


def test_02_sense_gap_rejects_a_constant():
    with pytest.raises(exercises.ExerciseError, match="gap is"):
        exercises.check_02_sense_gap(lambda vectors, senses: 0.0)


def test_02_predict_sense_needs_every_sense_right():
    truth = {sentence: sense for cases in exercises.PREDICT_SENSE_CASES.values() for sentence, sense in cases.items()}
    exercises.check_02_predict_sense(lambda sentence, word, layer: truth[sentence], 3)
    with pytest.raises(exercises.ExerciseError, match="you predicted 'river'"):
        exercises.check_02_predict_sense(lambda sentence, word, layer: "river", 3)
    with pytest.raises(exercises.ExerciseError, match="string"):
        exercises.check_02_predict_sense(lambda sentence, word, layer: None, 3)


DOUBLE = "After a walk along the river bank, I went to the bank to withdraw some cash."


def test_02_two_banks(bert):
    import torch

    from helpers.contextual import word_embeddings_by_layer

    first, second = (word_embeddings_by_layer([DOUBLE], "bank", *bert, device="cpu", occurrence=k)[:, 0]
                     for k in (0, 1))
    right = torch.cosine_similarity(first, second, dim=1)
    exercises.check_02_two_banks(right.tolist(), DOUBLE, *bert)
    exercises.check_02_two_banks(right, DOUBLE, *bert)
    with pytest.raises(exercises.ExerciseError, match="None"):
        exercises.check_02_two_banks(None, DOUBLE, *bert)
    with pytest.raises(exercises.ExerciseError, match="one similarity per layer"):
        exercises.check_02_two_banks(right[1:].tolist(), DOUBLE, *bert)
    with pytest.raises(exercises.ExerciseError, match="itself"):
        exercises.check_02_two_banks([1.0] * 7, DOUBLE, *bert)
    with pytest.raises(exercises.ExerciseError, match="not the cosine"):
        exercises.check_02_two_banks(right.flip(0).tolist(), DOUBLE, *bert)


def test_02_my_report(bert):
    import pandas as pd

    from helpers.contextual import sense_report_by_layer, word_embeddings_by_layer

    sentences = ["Spring is my favourite season.", "The trees blossom in spring.", "We sow seeds in early spring.",
                 "Birds return every spring.", "In spring the days grow longer.", "The spring in the bed broke.",
                 "A steel spring shuts the door.", "A coiled spring drives the clock.", "He fixed the spring.",
                 "The pen clicks because of a tiny spring."]
    senses = ["season"] * 5 + ["coil"] * 5
    report = sense_report_by_layer(word_embeddings_by_layer(sentences, "spring", *bert, device="cpu"), senses)
    exercises.check_02_my_report(sentences, senses, report, "spring", 7)
    with pytest.raises(exercises.ExerciseError, match="at least ten"):
        exercises.check_02_my_report(sentences[:8], senses[:8], report, "spring", 7)
    with pytest.raises(exercises.ExerciseError, match="five sentences each"):
        exercises.check_02_my_report(sentences, ["season"] * 9 + ["coil"], report, "spring", 7)
    with pytest.raises(exercises.ExerciseError, match="whole word"):
        exercises.check_02_my_report(sentences[:-1] + ["Springs are coils."], senses, report, "spring", 7)
    with pytest.raises(exercises.ExerciseError, match="sense_report_by_layer"):
        exercises.check_02_my_report(sentences, senses, None, "spring", 7)
    with pytest.raises(exercises.ExerciseError, match="one row per layer"):
        exercises.check_02_my_report(sentences, senses, report.iloc[1:], "spring", 7)
    shuffled = pd.concat([report.iloc[[3]], report.iloc[1:]]).set_axis(range(7))  # layer 3's gap at layer 0
    with pytest.raises(exercises.ExerciseError, match="layer 0"):
        exercises.check_02_my_report(sentences, senses, shuffled, "spring", 7)


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


def _per_sequence_loop(rnn, embedded, lengths):  # right numbers, one call per sequence, no packing
    import torch

    states = [rnn(embedded[i:i + 1, :n])[1] for i, n in enumerate(lengths.tolist())]
    return torch.cat([(s[0] if isinstance(s, tuple) else s)[-1] for s in states])


def _gathered_without_packing(rnn, embedded, lengths):  # right numbers for one direction, but nothing packed
    import torch

    return rnn(embedded)[0][torch.arange(len(lengths)), lengths - 1]


def test_05_stubs_are_not_answered_yet():
    with pytest.raises(exercises.NotAnswered):
        exercises.check_05_last_hidden(lambda rnn, embedded, lengths: None)
    with pytest.raises(exercises.NotAnswered):
        exercises.check_05_paired_t(lambda a, b: None)


@pytest.mark.parametrize(("answer", "message"), [
    (_per_sequence_loop, "called 3 time"),
    (_gathered_without_packing, "never on a packed batch"),
])
def test_05_last_hidden_rejects_answers_that_do_not_pack(answer, message):
    with pytest.raises(exercises.ExerciseError, match=message):
        exercises.check_05_last_hidden(answer)


def _paired_t_solution(a, b):
    from scipy import stats

    d = np.subtract(a, b)
    t = d.mean() / (d.std(ddof=1) / np.sqrt(len(d)))
    return d.mean(), t, 2 * stats.t.sf(abs(t), len(d) - 1)


def test_05_paired_t_accepts_the_solution_and_scipy(capsys):
    from scipy import stats

    exercises.check_05_paired_t(_paired_t_solution)

    def with_scipy(a, b):
        result = stats.ttest_rel(a, b)
        return float(np.mean(np.subtract(a, b))), float(result.statistic), float(result.pvalue)

    exercises.check_05_paired_t(with_scipy)
    assert capsys.readouterr().out.count("✔ Exercise 2") == 2


def _population_std(a, b):
    from scipy import stats

    d = np.subtract(a, b)
    t = d.mean() / (d.std() / np.sqrt(len(d)))
    return d.mean(), t, 2 * stats.t.sf(abs(t), len(d) - 1)


def _unpaired(a, b):
    from scipy import stats

    result = stats.ttest_ind(a, b)
    return float(np.mean(a) - np.mean(b)), float(result.statistic), float(result.pvalue)


def _one_sided(a, b):
    from scipy import stats

    d = np.subtract(a, b)
    t = d.mean() / (d.std(ddof=1) / np.sqrt(len(d)))
    return d.mean(), t, stats.t.sf(abs(t), len(d) - 1)


def _no_sqrt_k(a, b):
    from scipy import stats

    d = np.subtract(a, b)
    t = d.mean() / d.std(ddof=1)
    return d.mean(), t, 2 * stats.t.sf(abs(t), len(d) - 1)


def _normal_not_t(a, b):
    from scipy import stats

    d = np.subtract(a, b)
    t = d.mean() / (d.std(ddof=1) / np.sqrt(len(d)))
    return d.mean(), t, 2 * stats.norm.sf(abs(t))


def _k_degrees(a, b):
    from scipy import stats

    d = np.subtract(a, b)
    t = d.mean() / (d.std(ddof=1) / np.sqrt(len(d)))
    return d.mean(), t, 2 * stats.t.sf(abs(t), len(d))


def _b_minus_a(a, b):
    return _paired_t_solution(b, a)


@pytest.mark.parametrize(("answer", "message"), [
    (None, "define a function"),
    (_population_std, "population std"),
    (_unpaired, "unpaired two-sample"),
    (_one_sided, "one-sided"),
    (_no_sqrt_k, "standard error"),
    (_normal_not_t, "degrees of freedom"),
    (_k_degrees, "degrees of freedom"),
    (_b_minus_a, "wrong sign"),
])
def test_05_paired_t_rejects_the_usual_mistakes(answer, message):
    with pytest.raises(exercises.ExerciseError, match=message):
        exercises.check_05_paired_t(answer)


def test_05_last_hidden_says_when_an_lstm_state_is_returned_whole():
    def whole_state_for_lstm(rnn, embedded, lengths):
        from torch.nn.utils.rnn import pack_padded_sequence

        state = rnn(pack_padded_sequence(embedded, lengths, batch_first=True, enforce_sorted=False))[1]
        return state if isinstance(state, tuple) else state[-1]

    with pytest.raises(exercises.ExerciseError, match="LSTM it returned a tuple, not one tensor"):
        exercises.check_05_last_hidden(whole_state_for_lstm)


def _early_stopping(restore=True, deep=True, off_by_one=False, stop=True, on_training_loss=False):
    import copy
    import math

    import torch

    from helpers import classify

    def train_with_early_stopping(model, fit, val, epochs, lr, patience):
        optimizer = classify.make_optimizer(model, lr)
        losses, best_loss, best_state, waited = [], math.inf, None, 0
        for _ in range(epochs):
            model.train()
            for index in torch.randperm(len(fit)).split(4):
                classify.train_step(model, *fit.batch(index, torch.device("cpu")), optimizer)
            loss, _ = classify.evaluate(model, fit if on_training_loss else val, device="cpu")
            losses.append(loss)
            if loss < best_loss:
                best_loss, waited = loss, 0
                best_state = copy.deepcopy(model.state_dict()) if deep else model.state_dict()
            else:
                waited += 1
                if stop and (waited > patience if off_by_one else waited >= patience):
                    break
        if restore:
            model.load_state_dict(best_state)
        return losses

    return train_with_early_stopping


def test_05_early_stopping_accepts_the_solution(capsys):
    exercises.check_05_early_stopping(_early_stopping())
    assert "✔ Exercise 3" in capsys.readouterr().out
    with pytest.raises(exercises.NotAnswered):
        exercises.check_05_early_stopping(lambda model, fit, val, epochs, lr, patience: None)


@pytest.mark.parametrize(("mistake", "message"), [
    ({"restore": False}, "not the best epoch's"),
    ({"deep": False}, "copy.deepcopy"),
    ({"off_by_one": True}, "should stop after epoch 3"),
    ({"stop": False}, "trained all 12 epochs"),
    ({"on_training_loss": True}, "trained all 12 epochs"),
])
def test_05_early_stopping_rejects_the_usual_mistakes(mistake, message):
    with pytest.raises(exercises.ExerciseError, match=message):
        exercises.check_05_early_stopping(_early_stopping(**mistake))
