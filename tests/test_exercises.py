"""The exercise checks accept the worked solution and reject the obvious wrong answers."""

from __future__ import annotations

import functools
import re

import numpy as np
import pytest
from scipy.stats import ttest_rel as _TTEST_REL  # by name, as a learner's cell imports it (Exercise 05-2)

from helpers import exercises
from helpers.embeddings import sgns_loss, skipgram_pairs


def test_require_raises_with_the_message():
    with pytest.raises(exercises.ExerciseError, match="✘ ex: wrong because"):
        exercises.require("ex", False, "wrong because")
    exercises.require("ex", True, "never shown")


# --- 01 word embeddings ---

def test_01_pair_count_accepts_the_count_and_rejects_the_usual_mistakes(capsys):
    def right(sentences, window):
        """Two pairs per position d apart, for d = 1..window."""
        return sum(2 * max(len(s) - d, 0) for s in sentences for d in range(1, window + 1))

    exercises.check_01_pair_count(right)
    assert "✔ Exercise 1" in capsys.readouterr().out

    def once(sentences, window):
        return sum(max(len(s) - d, 0) for s in sentences for d in range(1, window + 1))

    def unclipped(sentences, window):
        return sum(2 * (len(s) - d) for s in sentences for d in range(1, window + 1))

    def clipped_per_sentence(sentences, window):
        """Clips the sentence's total at 0, not each distance's count."""
        return sum(max(0, 2 * (window * len(s) - window * (window + 1) // 2)) for s in sentences)

    def with_itself(sentences, window):
        return sum(2 * max(len(s) - d, 0) for s in sentences for d in range(1, window + 1)) + sum(map(len, sentences))

    def window_one(sentences, window):
        return sum(2 * (len(s) - 1) for s in sentences)

    def off_by_one(sentences, window):
        return sum(2 * max(len(s) - d, 0) for s in sentences for d in range(1, window))

    def positions_short(sentences, window):
        """n - d - 1 positions per distance: on lengths [4, 3, 2] with window 1 it counts as one direction does."""
        return sum(2 * max(len(s) - d - 1, 0) for s in sentences for d in range(1, window + 1))

    def positions_over(sentences, window):
        return sum(2 * max(len(s) - d + 1, 0) for s in sentences for d in range(1, window + 1))

    def from_zero(sentences, window):  # review s15: range(window), distances 0 to window - 1
        return sum(2 * max(len(s) - d, 0) for s in sentences for d in range(window))

    def one_distance_past(sentences, window):
        return sum(2 * max(len(s) - d, 0) for s in sentences for d in range(1, window + 2))

    def wrong_pair(sentences, window):
        return right(sentences, window) + (window == 2)

    def by_the_library(sentences, window):
        from helpers import embeddings as emb

        return int(len(emb.skipgram_pairs([np.array(s) for s in sentences], window)))

    def by_an_imported_name(sentences, window):
        return len(skipgram_pairs([np.array(s) for s in sentences], window))

    def by_epoch_pairs(sentences, window):
        from helpers import embeddings as emb

        arrays = [np.array(s) for s in sentences]
        keep = np.ones(max(max(s, default=0) for s in sentences) + 1)
        return len(emb.epoch_pairs(arrays, keep, window, np.random.default_rng(0), dynamic_window=False))

    for wrong in (by_the_library, by_an_imported_name, by_epoch_pairs):
        with pytest.raises(exercises.ExerciseError, match="called skipgram_pairs, which builds the pairs"):
            exercises.check_01_pair_count(wrong)
    assert skipgram_pairs.__module__ == "helpers.embeddings"  # the check put the function it refused back
    exercises.check_01_pair_count(right)

    for wrong, message in [(wrong_pair, "wrong count with window=2"), (once, "two pairs"),
                           (unclipped, "clip each distance"), (clipped_per_sentence, "clip each distance"),
                           (with_itself, "its own context"),
                           (window_one, "ignores `window`"), (off_by_one, "one distance short"),
                           (positions_short, "not n − d − 1"), (positions_over, "n − d \\+ 1 positions per distance"),
                           (from_zero, "distances 0 to window − 1"),
                           (one_distance_past, "one distance past"),
                           (lambda sentences, window: sum(2 * len(s) * window for s in sentences),
                            "all 2·window neighbours; near the ends of a sentence there are fewer"),
                           (lambda sentences, window: right(sentences, window) + 0.5, "not a whole number"),
                           (lambda sentences, window: right(sentences, window) / 2, "two pairs"),
                           (lambda sentences, window: float("nan"), "not a whole number"),
                           (lambda sentences, window: str(right(sentences, window)), "whole number, got str"),
                           (lambda sentences, window: None, "returned None"), (12, "the function you defined")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_01_pair_count(wrong)

    def closed_form(sentences, window):
        """The closed form 2(nk - k(k+1)/2) with k = min(window, n - 1), a float: right."""
        return sum(2 * (len(s) * min(window, len(s) - 1) - min(window, len(s) - 1) * (min(window, len(s) - 1) + 1) / 2)
                   for s in sentences if len(s) > 1)

    exercises.check_01_pair_count(closed_form)
    exercises.check_01_pair_count(lambda sentences, window: np.float64(right(sentences, window)))

    def every_pair(sentences, window):
        """Builds every pair in a list comprehension: what the exercise asks to avoid."""
        return len([(i, j) for s in sentences for i in range(len(s))
                    for j in range(max(0, i - window), min(len(s), i + window + 1)) if i != j])

    def reads_the_words(sentences, window):
        return sum(2 * max(len(list(s)) - d, 0) for s in sentences for d in range(1, window + 1))

    def per_position(sentences, window):
        return sum(min(i, window) + min(len(s) - 1 - i, window) for s in sentences for i in range(len(s)))

    def numpy_positions(sentences, window):
        return int(sum(2 * len(np.arange(len(s))[d:]) for s in sentences for d in range(1, window + 1)))

    for wrong, message in [(every_pair, "one at a time"), (reads_the_words, "don't read the words"),
                           (per_position, "one at a time"), (numpy_positions, "one at a time")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_01_pair_count(wrong)


def test_01_sgns_step_accepts_the_step_and_names_each_usual_mistake(capsys):
    import torch

    def draw(noise, batch, k):
        return torch.multinomial(noise, batch * k, replacement=True).view(batch, k)

    def right(model, optimizer, centres, contexts, noise, k):
        """One SGNS training step."""
        loss = model(centres, contexts, draw(noise, len(centres), k))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    exercises.check_01_sgns_step(right)
    assert "✔ Exercise 2" in capsys.readouterr().out

    def stepping(negatives_of):
        def answer(model, optimizer, centres, contexts, noise, k):
            loss = model(centres, contexts, negatives_of(noise, len(centres), k))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss.item()
        return answer

    transposed = stepping(lambda noise, b, k: torch.multinomial(noise, b * k, replacement=True).view(k, b))
    flat = stepping(lambda noise, b, k: torch.multinomial(noise, b * k, replacement=True))
    one_each = stepping(lambda noise, b, k: torch.multinomial(noise, b, replacement=True))
    for wrong in (transposed, flat, one_each):
        with pytest.raises(exercises.ExerciseError, match=r"\[B, negative\]"):
            exercises.check_01_sgns_step(wrong)
    exercises.check_01_sgns_step(stepping(lambda noise, b, k: torch.multinomial(noise, b * k, replacement=True)
                                          .view(k, b).T))  # [B, K] by another route: right

    def no_zero_grad(model, optimizer, centres, contexts, noise, k):
        loss = model(centres, contexts, draw(noise, len(centres), k))
        loss.backward()
        optimizer.step()
        return loss.item()

    def no_step(model, optimizer, centres, contexts, noise, k):
        optimizer.zero_grad()
        loss = model(centres, contexts, draw(noise, len(centres), k))
        loss.backward()
        return loss.item()

    def no_backward(model, optimizer, centres, contexts, noise, k):
        loss = model(centres, contexts, draw(noise, len(centres), k))
        optimizer.step()
        return loss.item()

    def step_before_backward(model, optimizer, centres, contexts, noise, k):
        optimizer.zero_grad()
        loss = model(centres, contexts, draw(noise, len(centres), k))
        optimizer.step()
        loss.backward()
        return loss.item()

    def uniform(model, optimizer, centres, contexts, noise, k):
        optimizer.zero_grad()
        loss = model(centres, contexts, torch.randint(len(noise), (len(centres), k)))
        loss.backward()
        optimizer.step()
        return loss.item()

    def flat(model, optimizer, centres, contexts, noise, k):
        optimizer.zero_grad()
        loss = model(centres, contexts, torch.multinomial(noise, len(centres) * k, replacement=True))
        loss.backward()
        optimizer.step()
        return loss.item()

    def loss_after(model, optimizer, centres, contexts, noise, k):
        negatives = draw(noise, len(centres), k)
        right_loss = model(centres, contexts, negatives)
        optimizer.zero_grad()
        right_loss.backward()
        optimizer.step()
        return model(centres, contexts, negatives).item()

    def step_with(negatives_of=draw, own_optimizer=None):
        """A right step, but for how it draws the negatives or (when given) an optimiser it builds itself."""
        def step(model, optimizer, centres, contexts, noise, k):
            if own_optimizer is not None:
                optimizer = own_optimizer(model.parameters())
            loss = model(centres, contexts, negatives_of(noise, len(centres), k))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss.item()
        return step

    own_sgd = step_with(own_optimizer=lambda parameters: torch.optim.SGD(parameters, lr=0.5))
    own_momentum = step_with(own_optimizer=lambda parameters: torch.optim.SGD(parameters, lr=0.3, momentum=0.9))
    own_adam = step_with(own_optimizer=lambda parameters: torch.optim.SparseAdam(list(parameters), lr=0.1))
    for wrong, message in [(own_sgd, "do not build one of your own"), (own_momentum, "do not build one of your own"),
                           (own_adam, "step with the optimiser you were given")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_01_sgns_step(wrong)

    shared = step_with(lambda noise, batch, k: torch.multinomial(noise, k, replacement=True))  # [K], broadcast
    repeated = step_with(lambda noise, batch, k: torch.multinomial(noise, k, replacement=True).repeat(batch, 1))
    powered_twice = step_with(lambda noise, batch, k: draw(noise ** 0.75, batch, k))
    without_replacement = step_with(lambda noise, batch, k: torch.multinomial(
        noise.expand(batch, -1), k, replacement=k > int((noise > 0).sum())))

    def the_tensor(model, optimizer, centres, contexts, noise, k):
        loss = model(centres, contexts, draw(noise, len(centres), k))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    def reseeded(model, optimizer, centres, contexts, noise, k):
        """Reseeds "for reproducibility": every call then draws the same negatives."""
        torch.manual_seed(0)
        return right(model, optimizer, centres, contexts, noise, k)

    def fresh_generator(model, optimizer, centres, contexts, noise, k):
        """Draws from a Generator seeded afresh on every call: the same negatives every step."""
        generator = torch.Generator().manual_seed(0)
        negatives = torch.multinomial(noise, len(centres) * k, replacement=True, generator=generator)
        loss = model(centres, contexts, negatives.view(len(centres), k))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    def zero_grad_last(model, optimizer, centres, contexts, noise, k):
        """The backward(); step(); zero_grad() idiom: the step uses gradients left from an earlier call."""
        loss = model(centres, contexts, draw(noise, len(centres), k))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return loss.item()

    def zero_grad_between(model, optimizer, centres, contexts, noise, k):
        """backward(); zero_grad(); step(): the gradient is cleared before the step uses it."""
        loss = model(centres, contexts, draw(noise, len(centres), k))
        loss.backward()
        optimizer.zero_grad()
        optimizer.step()
        return loss.item()

    def under_no_grad(model, optimizer, centres, contexts, noise, k):
        """Computes the loss under no_grad, then makes backward() run with requires_grad_(): no graph."""
        with torch.no_grad():
            loss = model(centres, contexts, draw(noise, len(centres), k))
        loss.requires_grad_()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    def no_grad_plain(model, optimizer, centres, contexts, noise, k):
        """Computes the loss under no_grad: backward() raises, the loss does not require grad."""
        with torch.no_grad():
            loss = model(centres, contexts, draw(noise, len(centres), k))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    def detached(model, optimizer, centres, contexts, noise, k):
        """Backpropagates a detached copy of the loss."""
        loss = model(centres, contexts, draw(noise, len(centres), k)).detach().requires_grad_()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    def other_error(model, optimizer, centres, contexts, noise, k):
        """Draws from an all-zero distribution: a RuntimeError that is not about shapes."""
        return right(model, optimizer, centres, contexts, torch.zeros_like(noise), k)

    with pytest.raises(exercises.ExerciseError, match="raised RuntimeError") as raised:
        exercises.check_01_sgns_step(other_error)
    assert "[B, negative]" not in str(raised.value)  # not blamed on the shapes

    for wrong, message in [(under_no_grad, "under torch.no_grad"), (no_grad_plain, "does not require grad"),
                           (detached, "no graph back to the model"),
                           (no_zero_grad, "zero_grad"), (zero_grad_last, "earlier backward"),
                           (zero_grad_between, "came after loss.backward"),
                           (no_step, "optimizer.step"), (no_backward, "loss.backward"),
                           (step_before_backward, "after loss.backward"), (uniform, "drawn from noise"),
                           (flat, r"\[B, negative\]"), (loss_after, "before the step"),
                           (shared, "every pair"), (repeated, "not one set repeated"),
                           (powered_twice, "draw from it as it is"), (without_replacement, "with replacement"),
                           (the_tensor, "as a float"), (reseeded, "don't reseed"),
                           (fresh_generator, "don't reseed"),
                           ("sgns_step", "the function you defined")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_01_sgns_step(wrong)
    with pytest.raises(exercises.NotAnswered, match="returned None"):
        exercises.check_01_sgns_step(lambda *args: right(*args) and None)


def test_01_analogy_rank_matches_and_names_each_usual_mistake(capsys):
    import numpy as np

    from helpers import embeddings as emb

    kv, pairs = exercises._analogy_vectors()

    def right(kv, a, b, c, target):
        """Rank of target by cosine to unit(a) - unit(b) + unit(c), inputs left out."""
        table = kv.get_normed_vectors()
        rows = [kv.key_to_index[w] for w in (a, b, c)]
        scores = table @ (table[rows[0]] - table[rows[1]] + table[rows[2]])
        scores[rows] = -np.inf
        return int((scores > scores[kv.key_to_index[target]]).sum()) + 1

    exercises.check_01_analogy_rank(right, kv, pairs)
    assert "✔ Exercise 3" in capsys.readouterr().out

    def variant(unit=True, leave_out=True, signs=(1, -1, 1), cosine=True, offset=1, normalise_query=False,
                fill=-np.inf):
        def rank(kv, a, b, c, target):
            table = kv.get_normed_vectors() if unit else kv.vectors
            rows = [kv.key_to_index[w] for w in (a, b, c)]
            query = sum(sign * table[row] for sign, row in zip(signs, rows))
            if normalise_query:
                query = query / np.linalg.norm(query)
            scores = (kv.get_normed_vectors() if cosine else kv.vectors) @ query
            if leave_out:
                scores[rows] = fill
            return int((scores > scores[kv.key_to_index[target]]).sum()) + offset
        return rank

    exercises.check_01_analogy_rank(variant(normalise_query=True), kv, pairs)  # the same order: accepted
    capsys.readouterr()

    def by_helper(kv, a, b, c, target):
        return emb.analogy_rank(kv, a, b, c, target)

    def by_most_similar(kv, a, b, c, target):
        words = [w for w, _ in kv.most_similar(positive=[a, c], negative=[b], topn=len(kv))]
        return words.index(target) + 1

    def as_float(kv, a, b, c, target):
        return float(right(kv, a, b, c, target))

    def keeps_b(kv, a, b, c, target):
        table = kv.get_normed_vectors()
        rows = [kv.key_to_index[w] for w in (a, b, c)]
        scores = table @ (table[rows[0]] - table[rows[1]] + table[rows[2]])
        scores[[rows[0], rows[2]]] = -np.inf
        return int((scores > scores[kv.key_to_index[target]]).sum()) + 1

    low_kv, low_query = exercises._low_target_01()
    assert right(low_kv, *low_query) == 2 and variant(fill=-1.0)(low_kv, *low_query) == 5

    def min_minus_one(kv, a, b, c, target):  # fills with the scores' minimum - 1: as good as -inf
        table = kv.get_normed_vectors()
        rows = [kv.key_to_index[w] for w in (a, b, c)]
        scores = table @ (table[rows[0]] - table[rows[1]] + table[rows[2]])
        scores[rows] = scores.min() - 1
        return int((scores > scores[kv.key_to_index[target]]).sum()) + 1

    exercises.check_01_analogy_rank(min_minus_one, kv, pairs)
    capsys.readouterr()

    for wrong, message in [(variant(leave_out=False), "leave the three input words out"),
                           (keeps_b, "the subtracted one too"),
                           (variant(fill=-1.0), "below -1"), (variant(fill=0.0), "fill of 0"),
                           (variant(fill=-2.0), "below -1"),
                           (lambda *args: right(*args) + 1, "strictly higher"),
                           (variant(unit=False), "unit-length vectors"), (variant(signs=(1, 1, -1)), "signs"),
                           (variant(signs=(-1, 1, 1)), "subtract minus"), (variant(cosine=False), "score by cosine"),
                           (variant(offset=0), "rank 1 is the top"), (by_helper, "ranking helper"),
                           (by_most_similar, "most_similar"), (as_float, "as an int"),
                           (lambda kv, a, b, c, target: None, "returned None"), (3, "the function you defined")]:
        error_type = exercises.NotAnswered if message == "returned None" else exercises.ExerciseError
        with pytest.raises(error_type, match=message):
            exercises.check_01_analogy_rank(wrong, kv, pairs)


def test_01_shared_negatives_loss_accepts_the_loss_and_names_each_usual_mistake(capsys):
    import torch
    from torch.nn.functional import logsigmoid

    def right(c, o, n):
        """The SGNS loss with the K negatives [K, D] shared by every pair."""
        return -(logsigmoid((c * o).sum(-1)) + logsigmoid(-(c @ n.T)).sum(-1)).mean()

    exercises.check_01_sgns_loss(right)
    assert capsys.readouterr().out.count("✔ Exercise 4") == 1

    def binary_cross_entropy(c, o, n):
        """torch's BCE averages the B × K negative terms instead of summing them over K."""
        positive, negative = (c * o).sum(-1), c @ n.T
        bce = torch.nn.functional.binary_cross_entropy_with_logits
        return bce(positive, torch.ones_like(positive)) + bce(negative, torch.zeros_like(negative))

    def positive_negated(c, o, n):
        return -(logsigmoid(-(c * o).sum(-1)) + logsigmoid(-(c @ n.T)).sum(-1)).mean()

    for wrong, message in [(binary_cross_entropy, "here they are averaged"), (positive_negated, "the value is not")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_01_sgns_loss(wrong)

    def expanded(c, o, n):
        return sgns_loss(c, o, n.expand(len(c), *n.shape))

    def repeated(c, o, n):
        from helpers import embeddings as emb

        return emb.sgns_loss(c, o, n.unsqueeze(0).repeat(len(c), 1, 1))

    def by_the_model(c, o, n):
        from helpers import embeddings as emb

        return emb.sgns_loss(c, o, torch.stack([n] * len(c)))

    for wrong in (expanded, repeated, by_the_model):
        with pytest.raises(exercises.ExerciseError, match="called emb.sgns_loss: write the loss yourself"):
            exercises.check_01_sgns_loss(wrong)
    assert sgns_loss.__module__ == "helpers.embeddings"

    def sign_outside(c, o, n):
        return -(logsigmoid((c * o).sum(-1)) + logsigmoid(c @ n.T).sum(-1)).mean()

    def mean_negatives(c, o, n):
        return -(logsigmoid((c * o).sum(-1)) + logsigmoid(-(c @ n.T)).mean(-1)).mean()

    def summed(c, o, n):
        return -(logsigmoid((c * o).sum(-1)) + logsigmoid(-(c @ n.T)).sum(-1)).sum()

    def per_pair(c, o, n):
        return -(logsigmoid((c * o).sum(-1)) + logsigmoid(-(c @ n.T)).sum(-1))

    def no_log(c, o, n):
        return -(torch.sigmoid((c * o).sum(-1)) + torch.sigmoid(-(c @ n.T)).sum(-1)).mean()

    def against_context(c, o, n):
        return -(logsigmoid((c * o).sum(-1)) + logsigmoid(-(o @ n.T)).sum(-1)).mean()

    def no_positive(c, o, n):
        return -logsigmoid(-(c @ n.T)).sum(-1).mean()

    def wrong_axis(c, o, n):
        return -(logsigmoid((c * o).sum(-1)).mean() + logsigmoid(-(c @ n.T)).sum(0).mean())

    def in_batch(c, o, n):
        return -(logsigmoid((c * o).sum(-1)) + logsigmoid(-(c @ o.T)).sum(-1)).mean()

    def detached_negatives(c, o, n):
        return right(c, o, n.detach())

    def detached(c, o, n):
        return right(c, o, n).detach()

    def detached_centre(c, o, n):
        return right(c.detach(), o, n)

    def detached_context(c, o, n):
        return -(logsigmoid((c * o.detach()).sum(-1)) + logsigmoid(-(c @ n.T)).sum(-1)).mean()

    def log_of_sigmoid(c, o, n):
        return -(torch.log(torch.sigmoid((c * o).sum(1))) + torch.log(torch.sigmoid(-(c @ n.T))).sum(1)).mean()

    def log_one_minus(c, o, n):
        return -(logsigmoid((c * o).sum(1)) + torch.log(1 - torch.sigmoid(c @ n.T)).sum(1)).mean()

    for wrong, message in [(sign_outside, "minus sign inside"), (mean_negatives, "averaged"), (summed, "summed"),
                           (per_pair, "one number"), (no_log, "not -log"), (detached, "no gradient"),
                           (against_context, "centre vector c"), (no_positive, "missing"),
                           (wrong_axis, r"\[B, K\] matrix"), (in_batch, "not a negative"),
                           (detached_negatives, "reaches the negative vectors"),
                           (detached_centre, "reaches the centre vectors"),
                           (detached_context, "reaches the context vectors"), (log_of_sigmoid, "underflow"),
                           (log_one_minus, "underflow"),
                           (lambda c, o, n: right(c.clamp(-5, 5), o, n), "capped"),
                           (lambda c, o, n: -(logsigmoid((c * o).sum(1).clamp(-50, 50))
                                              + logsigmoid(-(c @ n.T).clamp(-50, 50)).sum(1)).mean(), "capped"),
                           (lambda c, o, n: -(torch.log(torch.sigmoid((c * o).sum(1)) + 1e-7)
                                              + torch.log(1 - torch.sigmoid(c @ n.T) + 1e-7).sum(1)).mean(),
                            "capped"),
                           (lambda c, o, n: log_of_sigmoid(c.double(), o.double(), n.double()).float(), "underflow"),
                           (lambda c, o, n: right(c.double(), o.double(), n.double()), "precision"),
                           (lambda c, o, n: 0.0, "return a tensor"), (right(*[torch.ones(2, 2)] * 3), "function")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_01_sgns_loss(wrong)
    with pytest.raises(exercises.NotAnswered, match="returned None"):
        exercises.check_01_sgns_loss(lambda c, o, n: None)


def test_01_shared_negatives_loss_refuses_a_loop_over_the_negatives():
    """Review z2 of 01's twin: one score column per negative, in a Python loop, gave the right numbers and passed."""
    from torch.nn.functional import logsigmoid

    def one_negative_at_a_time(c, o, n):
        negatives = sum(logsigmoid(-(c * n[k]).sum(-1)) for k in range(len(n)))
        return -(logsigmoid((c * o).sum(-1)) + negatives).mean()

    with pytest.raises(exercises.ExerciseError, match="one at a time.*one matrix product"):
        exercises.check_01_sgns_loss(one_negative_at_a_time)


def _grads_01(c, o, n, mistake=None):
    """Exercise 01-4 (b): the shared-negatives loss's gradients, right or with one mistake."""
    import torch

    b = len(c)
    positive = torch.sigmoid((c * o).sum(1)) - (0 if mistake == "positive without -1" else 1)
    negative = torch.sigmoid(c @ n.T)
    if mistake == "1 - sigma for negatives":
        negative = 1 - negative
    scale = 1 if mistake == "no mean" else b
    grad_c = (positive[:, None] * o + (0 if mistake == "no negatives in grad_c" else negative @ n)) / scale
    grad_o = positive[:, None] * c / scale
    grad_n = negative.T @ c / scale
    if mistake == "per pair":
        grad_n = negative[:, :, None] * c[:, None, :] / scale
    if mistake == "mean over K":
        grad_n = negative.T @ c / n.shape[0]
    if mistake == "swapped":
        return grad_o, grad_c, grad_n
    if mistake == "context for centre":
        grad_o = positive[:, None] * o / scale
    if mistake == "list of two":
        return [grad_c, grad_o]
    if mistake == "float64":
        return grad_c.double(), grad_o.double(), grad_n.double()
    return grad_c, grad_o, grad_n


def test_01_shared_negatives_grads_accepts_the_gradients_and_names_each_usual_mistake(capsys):
    import torch

    exercises.check_01_sgns_grads(_grads_01)
    assert capsys.readouterr().out.count("✔ Exercise 4") == 1
    for mistake, message in [("positive without -1", "σ\\(x\\) - 1"), ("1 - sigma for negatives", "not 1 - σ"),
                             ("no mean", "divide each gradient by B"),
                             ("no negatives in grad_c", "negatives' term .* is missing"),
                             ("per pair", "sum them over the batch"), ("mean over K", "averaged over the K"),
                             ("swapped", "differs from autograd's"), ("context for centre", "differs from autograd's"),
                             ("list of two", "three gradients"), ("float64", "precision")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_01_sgns_grads(lambda c, o, n, mistake=mistake: _grads_01(c, o, n, mistake))

    def by_backward(c, o, n):
        leaves = [t.clone().requires_grad_(True) for t in (c, o, n)]
        with torch.enable_grad():
            sgns_loss(leaves[0], leaves[1], leaves[2].expand(len(c), *n.shape)).backward()
        return tuple(t.grad for t in leaves)

    def by_autograd(c, o, n):
        leaves = [t.clone().requires_grad_(True) for t in (c, o, n)]
        with torch.enable_grad():
            return torch.autograd.grad(sgns_loss(leaves[0], leaves[1], leaves[2].expand(len(c), *n.shape)), leaves)

    def by_func(c, o, n):
        def loss(c, o, n):
            return sgns_loss(c, o, n.expand(len(c), *n.shape))
        return torch.func.grad(loss, argnums=(0, 1, 2))(c, o, n)

    def in_place(c, o, n):
        grads = _grads_01(c, o, n)
        c.mul_(1)
        o.add_(1)
        return grads

    import torch.nn.functional as F

    def finite_differences(c, o, n):  # review s15: no autograd, but no work by hand either
        def loss(c, o, n):
            return -(F.logsigmoid((c * o).sum(1)) + F.logsigmoid(-(c @ n.T)).sum(1)).mean()
        out = []
        for i, t in enumerate((c, o, n)):
            g = torch.zeros_like(t)
            for idx in range(t.numel()):
                tt = [x.clone().double() for x in (c, o, n)]
                tt[i].view(-1)[idx] += 1e-3
                a = loss(*tt)
                tt[i].view(-1)[idx] -= 2e-3
                g.view(-1)[idx] = ((a - loss(*tt)) / 2e-3).float()
            out.append(g)
        return tuple(out)

    for wrong, message in [(finite_differences, "numerical differentiation"),
                           (by_backward, "used autograd"), (by_autograd, "used autograd"), (by_func, "used autograd"),
                           (in_place, "inputs changed"), (lambda c, o, n: (1.0, 2.0, 3.0), "should be a tensor"),
                           (_grads_01(*[torch.ones(2, 2)] * 3), "function")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_01_sgns_grads(wrong)
    with pytest.raises(exercises.NotAnswered, match="returned None"):
        exercises.check_01_sgns_grads(lambda c, o, n: None)


# --- 02 Word2Vec vs BERT ---

def test_01_a_wrong_answer_is_explained_in_chinese_in_the_chinese_edition(monkeypatch, capsys):
    """Under COURSE_LANGUAGE=zh-CN notebook 01's checks speak Chinese: a mistake's hint, a stub, a pass."""
    from support import helpers_translation

    zh = helpers_translation()
    monkeypatch.setenv("COURSE_LANGUAGE", "zh-CN")
    heading = zh["{exercise}: "].format(exercise=zh["Exercise 1"])

    def once(sentences, window):  # each neighbouring position counted once, not twice
        return sum(max(len(s) - d, 0) for s in sentences for d in range(1, window + 1))

    with pytest.raises(exercises.ExerciseError) as raised:
        exercises.check_01_pair_count(once)
    hint = "each neighbouring position gives two pairs, (left, right) and (right, left); your count has one"
    assert str(raised.value) == f"✘ {heading}{zh[hint]}" and str(raised.value).startswith("✘ 练习 1：")
    with pytest.raises(exercises.NotAnswered) as raised:
        exercises.check_01_sgns_loss(lambda centre, context, negatives: None)
    assert str(raised.value) == "○ " + zh["{exercise} is not answered yet: {what}"].format(
        exercise=zh["Exercise 4"], what=zh["shared_negatives_loss returned None: return the loss"])
    exercises.check_01_pair_count(lambda sentences, window: sum(2 * max(len(s) - d, 0) for s in sentences
                                                                for d in range(1, window + 1)))
    assert capsys.readouterr().out.startswith("✔ 练习 1：")


def _word_vector_with(bert, mistake=None):
    """A word_vector answer for exercise 02-1: right, or with one of the obvious mistakes."""
    import torch

    tokenizer, model = bert

    def word_vector(sentence, span, layer=-1):
        encoded = tokenizer(sentence, return_tensors="pt", return_offsets_mapping=True,
                            return_special_tokens_mask=True, add_special_tokens=mistake != "no special input")
        offsets = encoded.pop("offset_mapping")[0]
        special = encoded.pop("special_tokens_mask")[0].bool()
        if mistake == "with gradients":  # no torch.no_grad(): the vector carries a graph (requires_grad)
            hidden = model(**encoded, output_hidden_states=True).hidden_states[layer][0]
        elif mistake == "detached":  # gradients on during the forward pass, the graph dropped afterwards
            hidden = model(**encoded, output_hidden_states=True).hidden_states[layer][0].detach()
        else:
            with torch.no_grad():
                hidden = model(**encoded, output_hidden_states=True).hidden_states[layer][0]
        pieces = (offsets[:, 0] < span[1]) & (offsets[:, 1] > span[0])
        if mistake == "touching":  # <= and >= also keep the tokens that only touch the word, like "bank" + "."
            pieces = (offsets[:, 0] <= span[1]) & (offsets[:, 1] >= span[0])
        if mistake == "end - 1":  # off by one at the end: drops a one-character last piece ("##s")
            pieces = (offsets[:, 0] < span[1] - 1) & (offsets[:, 1] > span[0])
        if mistake == "inclusive start":  # >= start also keeps a token that ends where the word starts ('"')
            pieces = (offsets[:, 0] < span[1]) & (offsets[:, 1] >= span[0])
        if mistake == "inclusive end":  # <= end also keeps a token that starts where the word ends ('.', '"')
            pieces = (offsets[:, 0] <= span[1]) & (offsets[:, 1] > span[0])
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
            with torch.no_grad():
                return model(**encoded).last_hidden_state[0][pieces].mean(0)
        return hidden[pieces].mean(0)

    return word_vector


def _batched(word_vector):
    """A one-sentence answer turned into exercise 02-1's batch signature, by a loop (one forward pass each)."""
    import torch

    return lambda sentences, spans, layer=-1: torch.stack([word_vector(s, span, layer)
                                                           for s, span in zip(sentences, spans)])


def _word_vectors_batch(bert, mistake=None):
    """Exercise 02-1's worked solution (one padded forward pass, a masked mean), or a batch-only mistake."""
    import torch

    tokenizer, model = bert

    def word_vectors(sentences, spans, layer=-1):
        encoded = tokenizer(sentences, padding=True, return_tensors="pt", return_offsets_mapping=True)
        offsets = encoded.pop("offset_mapping")
        if mistake == "no attention mask":
            encoded.pop("attention_mask")
        with torch.no_grad():
            hidden = model(**encoded, output_hidden_states=True).hidden_states[layer + (mistake == "layer + 1")]
        starts, ends = (torch.tensor([span[k] for span in spans])[:, None] for k in (0, 1))
        pieces = ((offsets[..., 0] < ends) & (offsets[..., 1] > starts)).unsqueeze(-1).float()
        if mistake == "token count":  # the mean over every token of the masked states
            return (hidden * pieces).mean(dim=1)
        if mistake == "helper":
            from helpers.contextual import word_vectors_in_batch

            return word_vectors_in_batch(sentences, spans, tokenizer, model, [layer])[0]
        if mistake == "word_embeddings":
            from helpers import contextual

            return contextual.word_embeddings(sentences, "bank", tokenizer, model, layer=layer)
        return (hidden * pieces).sum(dim=1) / pieces.sum(dim=1)

    return word_vectors


def test_02_word_vector_accepts_the_solution(bert):
    exercises.check_02_word_vector(_word_vectors_batch(bert), *bert)


@pytest.mark.parametrize("mistake, message", [("no attention mask", "attention_mask"),
                                              ("token count", "number of tokens"),
                                              ("helper", "batch helper"), ("word_embeddings", "batch helper"),
                                              ("layer + 1", r"hidden_states\[layer \+ 1\].*one layer off")])
def test_02_word_vector_rejects_batch_mistakes(bert, mistake, message):
    with pytest.raises(exercises.ExerciseError, match=message):
        exercises.check_02_word_vector(_word_vectors_batch(bert, mistake), *bert)


def test_02_word_vector_rejects_a_loop_over_sentences(bert):
    """Right vectors, one forward pass per sentence (section 3's code in a loop): not the batched exercise."""
    for single in (_word_vector_with(bert), _word_vector_with(bert, "no special mask")):
        with pytest.raises(exercises.ExerciseError, match="forward passes for one batch"):
            exercises.check_02_word_vector(_batched(single), *bert)


@pytest.mark.parametrize("mistake, message", [("first piece", "first piece"), ("sum", "summed"),
                                              ("with specials", r"\[CLS\]"), ("last layer", "instead of layer 3"),
                                              ("touching", "starts where the word ends"), ("end - 1", "last piece"),
                                              ("inclusive start", "ends where the word starts"),
                                              ("inclusive end", "starts where the word ends"),
                                              ("start + 1", "first piece \\(a piece"),
                                              ("with gradients", "gradients on.*torch.no_grad"),
                                              ("detached", "gradients on.*torch.no_grad"),
                                              ("no special input", "without \\[CLS\\] and \\[SEP\\] in its input")])
def test_02_word_vector_names_the_mistake(bert, mistake, message):
    with pytest.raises(exercises.ExerciseError, match=message):
        exercises.check_02_word_vector(_batched(_word_vector_with(bert, mistake)), *bert)


def test_02_word_vector_rejects_the_starter_and_wrong_shapes(bert):
    import torch

    def starter(sentence, span, layer=-1):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        exercises.check_02_word_vector(starter, *bert)
    with pytest.raises(exercises.ExerciseError, match="shape"):
        exercises.check_02_word_vector(lambda sentences, spans, layer=-1: torch.zeros(2, 384), *bert)
    with pytest.raises(exercises.ExerciseError, match="shape"):
        exercises.check_02_word_vector(lambda sentences, spans, layer=-1: torch.zeros(384), *bert)
    with pytest.raises(exercises.ExerciseError, match="torch.Tensor"):
        exercises.check_02_word_vector(lambda sentences, spans, layer=-1: [[0.0] * 384], *bert)


def _sense_gap_with(mistake=None):
    import torch

    def sense_gap(vectors, senses):
        if mistake == "numpy":  # a reviewer's: the same gap in NumPy (np.asarray refuses a tensor that needs grad)
            import numpy as np
            v = np.asarray(vectors)
            return float(np.mean(v))
        x = vectors if mistake == "dot" else vectors / vectors.norm(dim=1, keepdim=True)
        if mistake == "epsilon":  # the review's: a "defensive" epsilon added to the norm
            x = vectors / (vectors.norm(dim=1, keepdim=True) + 1e-3)
        sims = x @ x.T
        ids = torch.tensor([sorted(set(senses)).index(s) for s in senses])
        same = ids[:, None] == ids[None, :]
        within = sims[same] if mistake == "diagonal" else sims[same & ~torch.eye(len(ids), dtype=torch.bool)]
        if mistake == "by value":  # the review's: self-pairs dropped by similarity < 1, not by index
            within = sims[same & (sims < 1 - 1e-6)]
        gap = within.mean() - sims[~same].mean()
        if mistake == "sign":
            gap = -gap
        if mistake == "pair":
            return torch.stack([within.mean(), sims[~same].mean()])
        if mistake == "numpy float32":
            return gap.detach().numpy()[()]
        return gap.item() if mistake != "tensor" else gap

    return sense_gap


def test_02_sense_gap_accepts_the_solution():
    exercises.check_02_sense_gap(_sense_gap_with())


@pytest.mark.parametrize("mistake, message", [("dot", "length"), ("diagonal", "diagonal"), ("sign", "sign"),
                                              ("pair", "one number"), ("tensor", r"0-d tensor.*\.item\(\)"),
                                              ("numpy float32", "Python float"),
                                              ("by value", "by index|nan"),
                                              ("epsilon", "close but not equal.*nothing added to the norm"),
                                              ("numpy", "NumPy array: write sense_gap with torch operations")])
def test_02_sense_gap_names_the_mistake(mistake, message):
    with pytest.raises(exercises.ExerciseError, match=message):
        exercises.check_02_sense_gap(_sense_gap_with(mistake))


def test_02_stubs_are_not_answered(bert):
    with pytest.raises(exercises.NotAnswered):
        exercises.check_02_word_vector(lambda sentences, spans, layer=-1: None, *bert)
    with pytest.raises(exercises.NotAnswered):
        exercises.check_02_sense_gap(lambda vectors, senses: None)


def test_02_two_banks_waits_for_exercise_3(bert, two_banks_setup):
    """A blank notebook: Exercise 3's stub makes Exercise 4's check say 'not answered', never 'wrong'."""
    right, pairs, _, vectors, labels = two_banks_setup

    def stub(vector, vectors, labels):
        return None

    with pytest.raises(exercises.NotAnswered, match="answer Exercise 3"):
        exercises.check_02_two_banks(None, None, DOUBLE, *bert, vectors, labels, stub)
    with pytest.raises(exercises.NotAnswered, match="answer Exercise 3"):
        exercises.check_02_two_banks(right, pairs, DOUBLE, *bert, vectors, labels, stub)


def test_02_sense_gap_rejects_the_numpy_helper():
    """The review's answer: the course's numpy sense_similarity instead of torch."""
    from helpers import contextual
    from helpers.contextual import sense_similarity

    def by_module(vectors, senses):
        within, across = contextual.sense_similarity(vectors.detach().numpy(), senses)
        return float(within - across)

    namespace = {"sense_similarity": sense_similarity}  # imported on its own, as in a notebook's globals
    exec("def by_name(vectors, senses):\n    within, across = sense_similarity(vectors.detach().numpy(), senses)\n"
         "    return float(within - across)", namespace)
    by_name = namespace["by_name"]
    for wrong in (by_module, by_name):
        with pytest.raises(exercises.ExerciseError, match="sense_similarity"):
            exercises.check_02_sense_gap(wrong)


SKLEARN_GAPS = {  # the review's answer (s8) and two more ways to reach scikit-learn's pairwise similarities
    "cosine_similarity imported on its own": "from sklearn.metrics.pairwise import cosine_similarity\n"
                                             "def gap(vectors, senses):\n    sims = cosine_similarity(vectors)\n",
    "through the module": "import sklearn.metrics.pairwise\n"
                          "def gap(vectors, senses):\n    sims = sklearn.metrics.pairwise.cosine_similarity(vectors)\n",
    "pairwise_distances from sklearn.metrics": "import sklearn.metrics\ndef gap(vectors, senses):\n"
                                               "    sims = 1 - sklearn.metrics.pairwise_distances(vectors, "
                                               "metric='cosine')\n"}


@pytest.mark.parametrize("name", list(SKLEARN_GAPS))
def test_02_sense_gap_rejects_sklearn_pairwise(name):
    body = ("    sims = torch.as_tensor(sims)\n    ids = torch.tensor([sorted(set(senses)).index(s) for s in senses])\n"
            "    same = ids[:, None] == ids[None, :]\n"
            "    return (sims[same & ~torch.eye(len(ids), dtype=torch.bool)].mean() - sims[~same].mean()).item()\n")
    import torch

    namespace = {"torch": torch}
    exec(SKLEARN_GAPS[name] + body, namespace)
    with pytest.raises(exercises.ExerciseError, match="scikit-learn's pairwise similarities"):
        exercises.check_02_sense_gap(namespace["gap"])
    from sklearn.metrics.pairwise import cosine_similarity
    assert cosine_similarity([[1.0, 0.0]], [[1.0, 0.0]])[0, 0] == 1.0  # restored after the check


def test_02_sense_gap_rejects_a_constant():
    with pytest.raises(exercises.ExerciseError, match="gap is"):
        exercises.check_02_sense_gap(lambda vectors, senses: 0.0)


def _predict_sense_with(mistake=None):
    """A predict_sense answer for exercise 02-3: right, or with one of the usual mistakes."""
    import torch

    def predict_sense(vector, vectors, labels):
        names = sorted(set(labels)) if mistake == "sorted names" else list(dict.fromkeys(labels))
        order = list(dict.fromkeys(labels))
        length = {"l1": vectors.abs().sum(dim=1, keepdim=True),
                  "max": vectors.abs().max(dim=1, keepdim=True).values}.get(mistake, vectors.norm(dim=1, keepdim=True))
        unit = vectors if mistake == "raw" else vectors / length
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
        if str(mistake).startswith("vote of "):  # k nearest vectors vote (k = 3 or 5)
            k = min(int(mistake[-1]), len(labels))
            top = torch.cosine_similarity(vectors, vector[None, :], dim=1).topk(k).indices.tolist()
            votes = [labels[i] for i in top]
            return max(dict.fromkeys(votes), key=votes.count)
        return names[best]

    return predict_sense


def test_02_predict_sense_accepts_the_solution():
    exercises.check_02_predict_sense(_predict_sense_with())


@pytest.mark.parametrize("mistake, message", [("raw", "normalise each vector"), ("dot", "dot product"),
                                              ("distance", "distance"), ("argmin", "wrong sense on some"),
                                              ("index", "string"), ("sorted names", "wrong sense"),
                                              ("nearest vector", "single most similar"),
                                              ("unit distance", "distance to the normalised vector"),
                                              ("median", "not their median"),
                                              ("l1", "sum of its absolute entries"), ("max", "or its largest entry"),
                                              ("vote of 3", "vote of the most similar vectors"),
                                              ("vote of 5", "wrong sense on some")])
def test_02_predict_sense_names_the_mistake(mistake, message):
    with pytest.raises(exercises.ExerciseError, match=message):
        exercises.check_02_predict_sense(_predict_sense_with(mistake))


def test_02_predict_sense_rejects_the_stub_and_a_constant():
    with pytest.raises(exercises.NotAnswered):
        exercises.check_02_predict_sense(lambda vector, vectors, labels: None)
    with pytest.raises(exercises.ExerciseError):
        exercises.check_02_predict_sense(lambda vector, vectors, labels: labels[0])


def test_02_predict_sense_refuses_the_courses_centroid_step():
    def predict_sense(vector, vectors, labels):  # right, but through the helper section 6's loop calls
        import torch

        from helpers import contextual

        names = list(dict.fromkeys(labels))
        ids = torch.tensor([names.index(label) for label in labels])
        unit = vectors / vectors.norm(dim=1, keepdim=True)
        return names[int(contextual.centroid_cosines(vector, unit, ids, len(names)).argmax())]

    with pytest.raises(exercises.ExerciseError, match="centroid_cosines or sense_credits"):
        exercises.check_02_predict_sense(predict_sense)


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


def _distance_to_raw_centroids(vector, vectors, labels):
    """The review's wrong predict_sense: Euclidean distance to centroids of the raw vectors."""
    import torch

    names = list(dict.fromkeys(labels))
    ids = torch.tensor([names.index(label) for label in labels])
    centroids = torch.stack([vectors[ids == k].mean(0) for k in range(len(names))])
    return names[int((-(centroids - vector).norm(dim=1)).argmax())]


@pytest.mark.parametrize("wrong", ["distance to raw centroids", "distance", "dot", "raw", "median", "nearest vector",
                                   "l1", "max"])
def test_02_two_banks_rejects_a_wrong_predict_sense(bert, two_banks_setup, wrong):
    right, _, _, vectors, labels = two_banks_setup
    predict = _distance_to_raw_centroids if wrong == "distance to raw centroids" else _predict_sense_with(wrong)
    from helpers.contextual import word_embeddings_by_layer

    first, second = (word_embeddings_by_layer([DOUBLE], "bank", *bert, device="cpu", occurrence=k)[:, 0]
                     for k in (0, 1))
    pairs = [(predict(first[k], vectors[k], labels), predict(second[k], vectors[k], labels)) for k in range(7)]
    with pytest.raises(exercises.ExerciseError, match="predict_sense is wrong on exercise 3's test vectors"):
        exercises.check_02_two_banks(right, pairs, DOUBLE, *bert, vectors, labels, predict)


def test_02_two_banks_accepts_the_right_predict_sense(bert, two_banks_setup):
    right, pairs, _, vectors, labels = two_banks_setup
    exercises.check_02_two_banks(right, pairs, DOUBLE, *bert, vectors, labels, _predict_sense_with())


@pytest.mark.parametrize("mistake, message", [("first", "occurrence=1"), ("swapped", "swapped"),
                                              ("last layer", "same layer"), ("short", "one pair")])
def test_02_two_senses_names_the_mistake(bert, two_banks_setup, mistake, message):
    right, pairs, wrong, vectors, labels = two_banks_setup
    answer = {"swapped": [(b, a) for a, b in pairs], "short": pairs[1:]}.get(mistake) or wrong[mistake]
    assert answer != pairs, "this wrong answer must differ from the right one on this sentence"
    with pytest.raises(exercises.ExerciseError, match=message):
        exercises.check_02_two_banks(right, answer, DOUBLE, *bert, vectors, labels)


def _always_misread(way: str = "right"):
    """A learner's always_misread: right, or one of the wrong methods reviewers tried (all gave [5] on pupil)."""
    import numpy as np

    from helpers.contextual import loo_credits

    def in_sample(vectors, labels):  # the nearest centroid with each sentence left in its own centroid
        unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        names = sorted(set(labels))
        centroids = np.stack([unit[[label == name for label in labels]].mean(axis=0) for name in names])
        centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
        return (np.array(names)[(unit @ centroids.T).argmax(axis=1)] == np.array(labels)).astype(float)

    def always_misread(layer_vectors, labels):
        layers = {"layers 1 to 5": layer_vectors[1:-1], "layer 0 too": layer_vectors}.get(way, layer_vectors[1:])
        score = in_sample if way == "in-sample" else loo_credits
        credits = np.stack([score(np.asarray(vectors, dtype=float), labels) for vectors in layers])
        wrong = {"ties count as right": credits == 0, "most layers": None}.get(way, credits < 1)
        if way == "most layers":
            return np.flatnonzero((credits < 1).mean(axis=0) > 0.5).tolist()
        if way == "mean credit below 0.5":
            return np.flatnonzero(credits.mean(axis=0) < 0.5).tolist()
        if way == "typed in":
            return [5]
        return np.flatnonzero(wrong.all(axis=0)).tolist()
    return always_misread


@pytest.fixture(scope="module")
def pupil_answer(bert):
    """The worked solution of exercise 02-5: the true labels, their report, the vectors of pupil."""
    from helpers.contextual import sense_report_by_layer, word_embeddings_by_layer

    senses = list(exercises._PUPIL_SENSES)
    vectors = word_embeddings_by_layer(exercises.PUPIL_SENTENCES, "pupil", *bert, device="cpu")
    return senses, sense_report_by_layer(vectors, senses), vectors


def test_02_pupil_accepts_the_worked_solution(bert, pupil_answer, capsys):
    import numpy as np

    senses, report, vectors = pupil_answer
    assert _always_misread()(vectors, senses) == [5]  # on MiniLM: the student "with sharp eyes"
    exercises.check_02_pupil(senses, report, _always_misread(), *bert, ours=0.93)
    assert "the notebook's words: 0.93" in capsys.readouterr().out

    def as_array(layer_vectors, labels):
        return np.array(_always_misread()(layer_vectors, labels))
    exercises.check_02_pupil(tuple(senses), report, as_array, *bert)  # a tuple of labels, an array of numbers


def test_02_pupil_stubs_are_not_answered(bert, pupil_answer):
    senses, report, _ = pupil_answer

    def stub(layer_vectors, labels):
        return None
    for answer in [(None, None, stub), (senses, None, stub), (senses, report, stub)]:
        with pytest.raises(exercises.NotAnswered):
            exercises.check_02_pupil(*answer, *bert)


def _flipped(senses, *at):
    other = {"student": "eye", "eye": "student"}
    return [other[label] if k in at else label for k, label in enumerate(senses)]


@pytest.mark.parametrize("mistake, message", [
    ("one wrong", "1 of your 12 labels name the other sense"),
    ("the mixed two wrong", "2 of your 12 labels"),  # sentences 4 and 5 labelled by their words of the other sense
    ("shifted", "labels name the other sense"),
    ("all swapped", "every label is the other sense"),
    ("other names", "the labels are \"student\" and \"eye\", not 'school'"),
    ("short", "has 11 labels"),
    ("a string", "should be a list of strings")])
def test_02_pupil_rejects_wrong_labels(bert, pupil_answer, mistake, message):
    senses, report, _ = pupil_answer
    wrong = {"one wrong": _flipped(senses, 3), "the mixed two wrong": _flipped(senses, 4, 5),
             "shifted": senses[-1:] + senses[:-1], "all swapped": _flipped(senses, *range(12)),
             "other names": ["school" if label == "student" else label for label in senses],
             "short": senses[:11], "a string": " ".join(senses)}[mistake]
    with pytest.raises(exercises.ExerciseError, match=message):
        exercises.check_02_pupil(wrong, report, _always_misread(), *bert)


def test_02_pupil_ties_the_report_to_these_sentences_and_labels(bert, pupil_answer):
    from helpers.contextual import sense_report_by_layer

    senses, report, vectors = pupil_answer
    for wrong in [sense_report_by_layer(vectors, _flipped(senses, 4, 5)),  # the report of other labels
                  sense_report_by_layer(vectors.flip(1), senses),  # the vectors in the reverse order
                  report.iloc[1:], report.to_numpy()]:  # layer 0 dropped; a bare array
        with pytest.raises(exercises.ExerciseError, match="my_report"):
            exercises.check_02_pupil(senses, wrong, _always_misread(), *bert)


@pytest.mark.parametrize("way", ["ties count as right", "most layers", "mean credit below 0.5", "layers 1 to 5",
                                 "layer 0 too", "in-sample", "typed in"])
def test_02_pupil_rejects_wrong_ways_to_find_the_misread(bert, pupil_answer, way):
    senses, report, vectors = pupil_answer
    on_pupil = _always_misread(way)(vectors, senses)
    assert on_pupil == [5] or way == "layer 0 too", "a reviewer found these give the right answer on pupil"
    with pytest.raises(exercises.ExerciseError, match="below 1 at every layer after layer 0"):
        exercises.check_02_pupil(senses, report, _always_misread(way), *bert)


def test_02_pupil_names_an_always_misread_that_reads_the_notebooks_labels(bert, pupil_answer):
    """A reviewer's wrong answer: the function ignores `labels` and reads the global my_senses."""
    senses, report, _ = pupil_answer

    def reads_the_global(layer_vectors, labels):
        return _always_misread()(layer_vectors, senses)
    with pytest.raises(exercises.ExerciseError, match="use its own layer_vectors and labels arguments"):
        exercises.check_02_pupil(senses, report, reads_the_global, *bert)


def test_02_pupil_senses_are_not_a_public_name_of_the_exercises_module():
    """A reviewer's shortcut: my_senses = exercises.PUPIL_SENSES passed; the true labels are private now."""
    public = {name: value for name, value in vars(exercises).items() if not name.startswith("_")}
    assert not [name for name, value in public.items() if value == exercises._PUPIL_SENSES]


def test_02_pupil_test_vectors_hold_what_they_say():
    """Each hand-made case: the sentences wrong at every layer after 0, worked out from loo_credits."""
    import numpy as np

    from helpers.contextual import loo_credits

    (first, labels, right), (small, small_labels, small_right) = exercises._misread_cases()
    credits = np.stack([loo_credits(layer, labels) for layer in first])
    assert right == [0, 2, 3] and credits[1:, 2].tolist() == [0.5] * 4 and credits[0, 3] == 1
    assert small_right == [8] and [loo_credits(layer, small_labels)[8] for layer in small] == [0, 0, 0]


def test_02_pupil_discussion_tests_the_sharp_eyes(bert):
    text = exercises.discuss_02_pupil(*bert).data
    assert text.count("\n| ") == 12 + 1  # a row per sentence after the header row
    assert "Without \"with sharp eyes\"" in text and text.startswith("<details>")


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


def _lstm_parameters(biases=2, blocks=4, deeper_width=None, head=True, embedding=True, one_layer=False,
                     one_direction=False, deeper_reads_one=False, head_reads_one=False):
    """A learner's lstm_parameters, right by default, or with one of the usual mistakes."""
    def lstm_parameters(vocab_size, embed_size, hidden_size, num_layers, bidirectional):
        V, E, H = vocab_size, embed_size, hidden_size
        directions = 2 if bidirectional and not one_direction else 1
        out = 2 * H if bidirectional else H
        total = V * E if embedding else 0
        for layer in range(1 if one_layer else num_layers):
            width = E if layer == 0 else (deeper_width or (H if deeper_reads_one else out))
            total += directions * (blocks * H * width + blocks * H * H + biases * blocks * H)
        return total + ((H if head_reads_one else out) * V + V if head else 0)
    return lstm_parameters


def test_03_lstm_parameters_accepts_the_formula_and_names_common_mistakes(capsys):
    import torch

    from helpers.recurrent import count_parameters
    from helpers.rnn import CharLM

    exercises.check_03_lstm_parameters(_lstm_parameters())
    exercises.check_03_lstm_parameters(lambda *sizes: np.int64(_lstm_parameters()(*sizes)))  # numpy's int is whole
    assert capsys.readouterr().out.count("✔ Exercise 1") == 2
    hard_coded = _lstm_parameters()(54, 32, 128, 2, False)
    right = _lstm_parameters()
    for wrong, message in [(lambda *sizes: None, "not answered yet"), (None, "define the function"),
                           (lambda *sizes: float(_lstm_parameters()(*sizes)), "whole number"),
                           (_lstm_parameters(biases=1), "two, b_ih and b_hh"),
                           (lambda V, E, H, n, b: right(V, E, H, n, b) - (n * 8 * H if b else 0),  # biases not
                            "second direction has its own b_ih and b_hh"),  # counted per direction
                           (_lstm_parameters(biases=0), "biases are missing"),
                           (_lstm_parameters(blocks=3), "4, i, f, g and o"),
                           (lambda V, E, H, n, b: right(V, E, H, 1, b) + (n - 1) * (4 * H * (E + H) + 8 * H)
                            * (2 if b else 1), "previous layer's output"),
                           (_lstm_parameters(head=False), "head"),
                           (_lstm_parameters(embedding=False), "embedding"),
                           (_lstm_parameters(one_layer=True), "counted one layer"),
                           (_lstm_parameters(one_direction=True), "two directions"),
                           (_lstm_parameters(deeper_reads_one=True), "after the first read both directions"),
                           (_lstm_parameters(head_reads_one=True), "head reads both directions"),
                           (lambda V, E, H, n, b: right(V, E, H, n, False), "bidirectional=True"),
                           (lambda V, E, H, n, b: right(V, E, H, n, False) * (2 if b else 1), "too high"),
                           (lambda V, E, H, n, b: right(V, E, H, n, b) + (2 * H * V + V if b else 0), "too high"),
                           (lambda V, E, H, n, b: right(V, E, H, n, b) + (8 * H * E if b else 0), "too high"),
                           (lambda *sizes: hard_coded, "too"),
                           (lambda V, E, H, n, b: count_parameters(CharLM(V, H, "lstm", embed_size=E, num_layers=n,
                                                                          bidirectional=b)),
                            "without building the model"),
                           (lambda V, E, H, n, b: V * E + H * V + V + sum(
                               p.numel() for p in torch.nn.RNNBase("LSTM", E, H, num_layers=n).parameters()),
                            "nn.RNNBase"),
                           (lambda V, E, H, n, b: V * E + H * V + V + sum(
                               p.numel() for layer in range(n)
                               for p in torch.nn.LSTMCell(E if layer == 0 else H, H).parameters()),
                            "nn.LSTMCell"),
                           (lambda *sizes: _lstm_parameters()(*sizes) + 1, "too high")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_03_lstm_parameters(wrong)


def test_03_bits_per_character_wants_a_trainable_mean_in_bits(capsys):
    import math

    import torch
    from torch.nn import functional as F

    def right(logits, targets):
        return -logits.log_softmax(-1).gather(-1, targets.unsqueeze(-1)).mean() / math.log(2)

    def in_place_of(logits, targets):  # an equivalent: log-probabilities indexed, then ln -> log2
        log_p = logits.log_softmax(-1)
        rows, steps = torch.meshgrid(torch.arange(targets.shape[0]), torch.arange(targets.shape[1]), indexing="ij")
        return -log_p[rows, steps, targets].mean() / math.log(2)

    exercises.check_03_bits_per_character(right)
    exercises.check_03_bits_per_character(in_place_of)
    assert capsys.readouterr().out.count("✔ Exercise 2") == 2
    from torch.nn.functional import cross_entropy as bound_cross_entropy
    from torch.nn.functional import nll_loss as bound_nll_loss
    cross_entropy_loss = torch.nn.CrossEntropyLoss()
    shifted = lambda lo, ta: right(lo[:, :-1], ta[:, 1:])  # noqa: E731
    nats = lambda lo, ta: right(lo, ta) * math.log(2)  # noqa: E731
    for wrong, message in [(lambda lo, ta: None, "not answered yet"),
                           (lambda lo, ta: F.cross_entropy(lo.flatten(0, 1), ta.flatten()) / math.log(2),
                            "without F.cross_entropy"),
                           (lambda lo, ta: F.nll_loss(lo.log_softmax(-1).flatten(0, 1), ta.flatten()) / math.log(2),
                            "without F.cross_entropy or F.nll_loss"),
                           (lambda lo, ta: torch.nn.CrossEntropyLoss()(lo.flatten(0, 1), ta.flatten()),
                            "without F.cross_entropy"),
                           (lambda lo, ta: bound_cross_entropy(lo.flatten(0, 1), ta.flatten()) / math.log(2),
                            "without F.cross_entropy"),  # bound before the check runs
                           (lambda lo, ta: bound_nll_loss(lo.log_softmax(-1).flatten(0, 1), ta.flatten())
                            / math.log(2), "without F.cross_entropy or F.nll_loss"),
                           (lambda lo, ta: bound_nll_loss(lo.log_softmax(-1).transpose(1, 2), ta) / math.log(2),
                            "without F.cross_entropy or F.nll_loss"),  # the [batch, vocab, steps] form
                           (lambda lo, ta: cross_entropy_loss(lo.transpose(1, 2), ta) / math.log(2),
                            "without F.cross_entropy"),  # a loss module made before the check runs
                           (lambda lo, ta: torch._C._nn.cross_entropy_loss(lo.flatten(0, 1), ta.flatten(), None, 1,
                                                                           -100, 0.0) / math.log(2),
                            "without F.cross_entropy"),  # the C++ binding under F.cross_entropy
                           (nats, "nats"),
                           (lambda lo, ta: nats(lo, ta) / math.log(10), "base 10"),
                           (lambda lo, ta: nats(lo, ta) * math.log(2), "DIVIDED by ln 2"),
                           (lambda lo, ta: -lo.log_softmax(-1).gather(-1, ta).mean(), "raised"),
                           (lambda lo, ta: -lo.log_softmax(-1).gather(-1, ta.unsqueeze(-1)).sum() / math.log(2),
                            "is the mean"),
                           (lambda lo, ta: right(lo.softmax(-1), ta), "softmax was applied twice"),
                           (lambda lo, ta: -lo.gather(-1, ta.unsqueeze(-1)).mean() / math.log(2),
                            "not log-probabilities"),
                           (lambda lo, ta: -lo.log_softmax(1).gather(-1, ta.unsqueeze(-1)).mean() / math.log(2),
                            "wrong dimension"),
                           (lambda lo, ta: -right(lo, ta), "sign is wrong"),
                           (lambda lo, ta: -lo.log_softmax(-1).mean() / math.log(2), "pick only each step's target"),
                           (lambda lo, ta: right(lo, (ta.clamp(min=1) - 1)), "same step"),
                           (lambda lo, ta: right(lo, ta).item(), "0-dimensional tensor"),
                           (lambda lo, ta: right(lo.detach(), ta), "cut from the graph"),
                           (lambda lo, ta: torch.tensor(right(lo, ta).item(), requires_grad=True),
                            "cut from the graph"),
                           (lambda lo, ta: -lo.log_softmax(-1).gather(-1, ta.unsqueeze(-1)) / math.log(2),
                            "0-dimensional"),
                           (shifted, "same step"),
                           (lambda lo, ta: right(lo, ta) * torch.tensor(1.01), "same step"),
                           (lambda lo, ta: -torch.log(lo.softmax(-1)).gather(-1, ta.unsqueeze(-1)).mean()
                            / math.log(2), "not log\\(softmax\\)"),  # softmax underflows on large scores
                           (lambda lo, ta: -torch.log2(lo.softmax(-1)).gather(-1, ta.unsqueeze(-1)).mean(),
                            "not log\\(softmax\\)"),
                           (lambda lo, ta: -(lo.exp() / lo.exp().sum(-1, keepdim=True)).log().gather(
                               -1, ta.unsqueeze(-1)).mean() / math.log(2), "not log\\(softmax\\)")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_03_bits_per_character(wrong)


def test_03_more_wrong_answers_are_rejected_with_the_mistake_named():
    import math

    import torch
    from torch.nn import functional as F

    def picked(lo, ta, dim=-1):
        return lo.log_softmax(dim).gather(-1, ta.unsqueeze(-1))

    for wrong, message in [(lambda lo, ta: -picked(lo, ta, dim=0).mean() / math.log(2), "wrong dimension"),
                           (lambda lo, ta: -(lo.log_softmax(-1) * F.one_hot(ta, lo.shape[-1])).mean() / math.log(2),
                            "divides by the vocabulary size"),
                           (lambda lo, ta: -(lo - lo.amax(-1, keepdim=True)).gather(-1, ta.unsqueeze(-1)).mean()
                            / math.log(2), "log-sum-exp")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_03_bits_per_character(wrong)
    right = _lstm_parameters()
    for wrong, message in [(lambda V, E, H, n, b: right(V, E, H, n, b) + V * (H - E), "too high"),  # V x H table
                           (lambda V, E, H, n, b: right(V, E, H, n, b) - V, "head's bias"),
                           (lambda V, E, H, n, b: right(V, E, H, n, b) - (8 * H * n if b else 0), "b_ih and b_hh")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_03_lstm_parameters(wrong)

    def gru_variant(gru, x, h, mistake):
        (x_r, x_z, x_n), (h_r, h_z, h_n) = (x @ gru.weight_ih_l0.T + gru.bias_ih_l0).chunk(3, 1), \
            (h @ gru.weight_hh_l0.T + gru.bias_hh_l0).chunk(3, 1)
        r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
        n = torch.tanh(x_n + (z if mistake == "z as reset" else r) * h_n)
        kept = {"no old state": 0, "r blends": r}.get(mistake, z)
        return (1 - z) * n + kept * h

    for mistake in ("z as reset", "no old state", "r blends"):
        with pytest.raises(exercises.ExerciseError, match="differs from nn.GRU"):
            exercises.check_03_gru_step(lambda g, x, h, m=mistake: gru_variant(g, x, h, m))
    _, vocab, _, _, _ = _rnn_setup()
    from helpers.rnn import CharLM
    model = CharLM(len(vocab), 16, "lstm", seed=0)

    @torch.no_grad()
    def decode(model, vocab, prompt, length, pick, keep_state=True):
        logits, state = model(vocab.encode(prompt).unsqueeze(0))
        out = []
        for _ in range(length):
            out.append(pick(logits))
            logits, new_state = model(torch.tensor([[out[-1]]]), state)
            state = new_state if keep_state else state
        return prompt + "".join(vocab.decode(out))

    flat = lambda lo: int(lo.argmax()) % lo.shape[-1]  # noqa: E731  argmax over all steps, folded back
    for wrong, message in [(lambda m, v, p, n: decode(m, v, p, n, flat), "LAST step"),
                           (lambda m, v, p, n: decode(m, v, p, n, lambda lo: int(lo[0, -1].argmin())), "most likely"),
                           (lambda m, v, p, n: decode(m, v, p, n, lambda lo: int(lo[0, -1].argmax()), False),
                            "exactly the state the previous call returned")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_03_greedy(wrong, model, vocab)


def _gru_step(variant=""):
    def gru_step(gru, x, h):
        from helpers.exercises import _gru_reference
        return _gru_reference(gru, x, h, variant)
    return gru_step


def test_03_gru_step_matches_nn_gru_and_names_the_usual_mistakes(capsys):
    import torch

    def in_place(gru, x, h):  # right, with h updated in place
        (x_r, x_z, x_n), (h_r, h_z, h_n) = (x @ gru.weight_ih_l0.T + gru.bias_ih_l0).chunk(3, 1), \
            (h @ gru.weight_hh_l0.T + gru.bias_hh_l0).chunk(3, 1)
        r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
        n = torch.tanh(x_n + r * h_n)
        h.mul_(z)
        h.add_((1 - z) * n)
        return h

    exercises.check_03_gru_step(_gru_step())
    exercises.check_03_gru_step(in_place)
    assert capsys.readouterr().out.count("✔ Exercise 3") == 2

    def no_reset(gru, x, h):
        gi = x @ gru.weight_ih_l0.T + gru.bias_ih_l0
        gh = h @ gru.weight_hh_l0.T + gru.bias_hh_l0
        (_, i_z, i_n), (_, h_z, h_n) = gi.chunk(3, 1), gh.chunk(3, 1)
        z = torch.sigmoid(i_z + h_z)
        return (1 - z) * torch.tanh(i_n + h_n) + z * h

    def sigmoid_candidate(gru, x, h):
        (x_r, x_z, x_n), (h_r, h_z, h_n) = ((v @ w.T + b).chunk(3, 1) for v, w, b in (
            (x, gru.weight_ih_l0, gru.bias_ih_l0), (h, gru.weight_hh_l0, gru.bias_hh_l0)))
        r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
        return (1 - z) * torch.sigmoid(x_n + r * h_n) + z * h

    def one_bias(gru, x, h):
        (x_r, x_z, x_n), (h_r, h_z, h_n) = (x @ gru.weight_ih_l0.T + gru.bias_ih_l0).chunk(3, 1), \
            (h @ gru.weight_hh_l0.T).chunk(3, 1)
        r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
        return (1 - z) * torch.tanh(x_n + r * h_n) + z * h

    def in_place_wrong_blend(gru, x, h):  # in place, but z lets in the candidate
        (x_r, x_z, x_n), (h_r, h_z, h_n) = (x @ gru.weight_ih_l0.T + gru.bias_ih_l0).chunk(3, 1), \
            (h @ gru.weight_hh_l0.T + gru.bias_hh_l0).chunk(3, 1)
        r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
        n = torch.tanh(x_n + r * h_n)
        return h.mul_(1 - z).add_(z * n)

    def tanh_update(gru, x, h):
        (x_r, x_z, x_n), (h_r, h_z, h_n) = (x @ gru.weight_ih_l0.T + gru.bias_ih_l0).chunk(3, 1), \
            (h @ gru.weight_hh_l0.T + gru.bias_hh_l0).chunk(3, 1)
        r, z = torch.sigmoid(x_r + h_r), torch.tanh(x_z + h_z)
        return (1 - z) * torch.tanh(x_n + r * h_n) + z * h

    def gru_cell_copy(gru, x, h):  # the library's cell with the weights copied in
        cell = torch.nn.GRUCell(gru.input_size, gru.hidden_size)
        with torch.no_grad():
            for mine, theirs in zip(cell.parameters(), gru.parameters()):
                mine.copy_(theirs)
        return cell(x, h)

    for wrong, message in [(lambda g, x, h: None, "not answered yet"), (None, "define the function"),
                           (lambda g, x, h: h.unsqueeze(0), r"tensor \[batch, hidden\]"),
                           (_gru_step("reset before product"), "Cho et al."),
                           (_gru_step("bias outside reset"), "b_hn sits inside"),
                           (_gru_step("swapped blend"), "wrong way round"),
                           (_gru_step("swapped gates"), "r, z, n"),
                           (no_reset, "differs from nn.GRU"),
                           (lambda g, x, h: g(x.unsqueeze(1), h.unsqueeze(0))[1][0], "from gru's weights"),
                           (lambda g, x, h: (x @ g.weight_ih_l0).chunk(3, 1)[2], "their transpose"),
                           (lambda g, x, h: torch.gru_cell(x, h, g.weight_ih_l0, g.weight_hh_l0, g.bias_ih_l0,
                                                           g.bias_hh_l0), "torch.gru_cell"),
                           (lambda g, x, h: torch.nn.GRU.forward(g, x.unsqueeze(1), h.unsqueeze(0))[1][0],
                            "nn.GRU.forward"),
                           (gru_cell_copy, "nn.GRUCell"),
                           (lambda g, x, h: torch._VF.gru_cell(x, h, g.weight_ih_l0, g.weight_hh_l0, g.bias_ih_l0,
                                                               g.bias_hh_l0), "torch.gru_cell"),
                           (sigmoid_candidate, "nonlinearity"), (one_bias, "both biases"),
                           (in_place_wrong_blend, "wrong way round"), (tanh_update, "nonlinearity")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_03_gru_step(wrong)


def test_03_gru_step_refuses_the_library_step_by_every_back_door():
    import torch

    def weights(g):
        return g.weight_ih_l0, g.weight_hh_l0, g.bias_ih_l0, g.bias_hh_l0

    def full_gru(function):  # the whole-sequence kernel, one step long
        return lambda g, x, h: function(x.unsqueeze(1), h.unsqueeze(0), list(weights(g)), True, 1, 0.0, False,
                                        False, True)[1][0]

    def gru_cell(x, h, w_ih, w_hh, b_ih, b_hh):  # PyTorch's cell behind TorchScript, out of Python's sight
        return torch.gru_cell(x, h, w_ih, w_hh, b_ih, b_hh)

    scripted = torch.jit.script(gru_cell)

    def through_script(g, x, h):  # compiled before the check runs
        return scripted(x, h, *weights(g))

    def quantized_cell(g, x, h):
        return torch.ao.nn.quantized.dynamic.GRUCell(g.input_size, g.hidden_size)(x, h)

    for wrong in [lambda g, x, h: torch.ops.aten.gru_cell(x, h, *weights(g)),
                  lambda g, x, h: torch.ops.aten.gru_cell.default(x, h, *weights(g)),
                  lambda g, x, h: torch._C._VariableFunctions.gru_cell(x, h, *weights(g)),
                  full_gru(torch.ops.aten.gru.input), full_gru(torch._C._VariableFunctions.gru),
                  lambda g, x, h: torch.jit.script(gru_cell)(x, h, *weights(g)),
                  quantized_cell]:
        with pytest.raises(exercises.ExerciseError, match="from gru's weights"):
            exercises.check_03_gru_step(wrong)
    with pytest.raises(exercises.ExerciseError, match="TorchScript"):
        exercises.check_03_gru_step(through_script)


def test_03_greedy_accepts_state_carrying_decoding_and_spots_a_lost_state():
    torch, vocab, model, _, _ = _rnn_setup()
    from helpers.rnn import CharLM

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

    def softmax_first(model, vocab, prompt, length):  # also right: argmax of the probabilities, no final call
        logits, state = model(vocab.encode(prompt).unsqueeze(0), None)
        text = prompt
        for step in range(length):
            top = logits[:, -1].softmax(-1).argmax(-1, keepdim=True)
            text += vocab.tokens[int(top)]
            if step < length - 1:
                logits, state = model(top, state=state)
        return text

    exercises.check_03_greedy(softmax_first, model, vocab)

    def without_prompt(model, vocab, prompt, length):
        return decode_with(True)(model, vocab, prompt, length)[len(prompt):]

    def sampled(model, vocab, prompt, length):
        from helpers.rnn import sample
        return sample(model, vocab, prompt, length, temperature=1.0, device="cpu", seed=0)

    @torch.no_grad()
    def first_step(model, vocab, prompt, length):
        logits, state = model(vocab.encode(prompt).unsqueeze(0))
        out = []
        for _ in range(length):
            out.append(int(logits[0, 0].argmax()))
            logits, state = model(torch.tensor([[out[-1]]]), state)
        return prompt + "".join(vocab.decode(out))

    @torch.no_grad()
    def window(model, vocab, prompt, length, last=20):  # no state: re-reads the last 20 characters
        text = prompt
        for _ in range(length):
            logits, _ = model(vocab.encode(text[-last:]).unsqueeze(0))
            text += vocab.tokens[int(logits[0, -1].argmax())]
        return text

    def cold(model, vocab, prompt, length):  # sampling at a low temperature instead of the argmax
        from helpers.rnn import sample
        return sample(model, vocab, prompt, length, temperature=0.01, device="cpu", seed=0)

    @torch.no_grad()
    def carried(model, vocab, prompt, length, keep):  # passes back a changed state
        logits, state = model(vocab.encode(prompt).unsqueeze(0))
        out = []
        for _ in range(length):
            out.append(int(logits[0, -1].argmax()))
            logits, state = model(torch.tensor([[out[-1]]]), keep(state))
        return prompt + "".join(vocab.decode(out))

    def no_c(state):  # an LSTM's h kept, its c reset
        return (state[0], torch.zeros_like(state[1])) if isinstance(state, tuple) else state

    @torch.no_grad()
    def prompt_end_twice(model, vocab, prompt, length):  # reads the prompt, then feeds its last character again
        ids = vocab.encode(prompt).unsqueeze(0)
        _, state = model(ids)
        logits, state = model(ids[:, -1:], state)
        out = []
        for _ in range(length):
            out.append(int(logits[0, -1].argmax()))
            logits, state = model(torch.tensor([[out[-1]]]), state)
        return prompt + "".join(vocab.decode(out))

    @torch.no_grad()
    def prompt_char_by_char(model, vocab, prompt, length):  # the prompt one character at a time, the state lost
        state = None
        for i in vocab.encode(prompt).tolist():
            logits, _ = model(torch.tensor([[i]]), state)
        return prompt + "".join(vocab.decode([int(logits[0, -1].argmax())] * length))

    def h_only(state):  # the LSTM's pair cut to h
        return state[0] if isinstance(state, tuple) else state

    for wrong, message in [(None, "define the function"), (lambda m, v, p, n: None, "not answered yet"),
                           (decode_with(carry=False), "empty memory"), (first_step, "LAST step"),
                           (without_prompt, "prompt followed by"),
                           (lambda m, v, p, n: p + "e" * (n - 1), "asked for 40"),
                           (sampled, "no sampling"), (cold, "no sampling"),
                           (prompt_end_twice, "one call per new character"), (prompt_char_by_char, "whole prompt once"),
                           (window, r"only the one new character"),
                           (lambda m, v, p, n: window(m, v, p, n, last=10_000), "only the one new character"),
                           (lambda m, v, p, n: carried(m, v, p, n, no_c), "cell state c was dropped"),
                           (lambda m, v, p, n: carried(m, v, p, n, h_only), r"pair \(h, c\)"),
                           (lambda m, v, p, n: carried(m, v, p, n, lambda s: s * 0.5 if not isinstance(s, tuple)
                                                       else s), "exactly the state the previous call returned")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_03_greedy(wrong, model, vocab)

    @torch.no_grad()
    def one_ahead(model, vocab, prompt, length):  # appends the character predicted AFTER feeding one in
        logits, state = model(vocab.encode(prompt).unsqueeze(0))
        out = []
        for _ in range(length):
            logits, state = model(logits[0, -1].argmax().view(1, 1), state)
            out.append(int(logits[0, -1].argmax()))
        return prompt + "".join(vocab.decode(out))

    @torch.no_grad()
    def repeats_first(model, vocab, prompt, length):  # feeds back the first choice every time
        logits, state = model(vocab.encode(prompt).unsqueeze(0))
        first = logits[0, -1].argmax().view(1, 1)
        out = []
        for _ in range(length):
            out.append(int(logits[0, -1].argmax()))
            logits, state = model(first, state)
        return prompt + "".join(vocab.decode(out))

    @torch.no_grad()
    def second_best(model, vocab, prompt, length):  # topk(2)[1]: the runner-up, not the top character
        logits, state = model(vocab.encode(prompt).unsqueeze(0))
        out = []
        for _ in range(length):
            out.append(int(logits[0, -1].topk(2).indices[1]))
            logits, state = model(torch.tensor([[out[-1]]]), state)
        return prompt + "".join(vocab.decode(out))

    untrained = CharLM(len(vocab), 32, "gru", embed_size=8, seed=1)  # writes one repeated character
    for wrong, message in [(one_ahead, "not the characters you fed back"), (repeats_first, "most likely"),
                           (second_best, "most likely")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_03_greedy(wrong, untrained, vocab)


# --- 04 gradients ---


def _probe_04(model, inputs, targets, detach=False, every_step=False):
    import torch
    from torch.nn import functional as F

    x = model.body.embed(inputs)
    state, kept, scores = None, [], []
    for t in range(inputs.shape[1]):
        _, state = model.body.rnn(x[:, t:t + 1], state.detach() if detach and state is not None else state)
        kept.append(state)
        scores.append(model.head(state[-1]))
    loss = (sum(F.cross_entropy(s, targets) for s in scores) / len(scores) if every_step
            else F.cross_entropy(scores[-1], targets))
    return torch.autograd.grad(loss, kept, allow_unused=True, materialize_grads=True)


def _fresh_state_probe_04(model, inputs, targets):
    import torch
    from torch.nn import functional as F

    x = model.body.embed(inputs)
    kept = [model.body.rnn(x[:, t:t + 1])[1] for t in range(inputs.shape[1])]  # each step from h = 0
    return torch.autograd.grad(F.cross_entropy(model.head(kept[-1][-1]), targets), kept, materialize_grads=True)


def _input_probe_04(model, inputs, targets):
    import torch
    from torch.nn import functional as F

    x = model.body.embed(inputs)
    scores, _ = model.body.rnn(x)
    (grad,) = torch.autograd.grad(F.cross_entropy(model.head(scores[:, -1]), targets), x)
    return [grad[:, t] for t in range(inputs.shape[1])]


def _retain_grad_probe_04(model, inputs, targets):
    from torch.nn import functional as F

    outputs, _ = model.body(inputs)
    outputs.retain_grad()
    F.cross_entropy(model.head(outputs)[:, -1], targets).backward()
    return [outputs.grad[:, t] for t in range(inputs.shape[1])]


def _detached_hand_probe_04(model, inputs, targets):
    """Wrong: the hand-written step reads a detached copy of the previous state (autograd raises)."""
    import torch

    rnn = model.body.rnn
    x = model.body.embed(inputs)
    h, kept = x.new_zeros(x.shape[0], rnn.hidden_size), []
    for t in range(x.shape[1]):
        h = torch.tanh(x[:, t] @ rnn.weight_ih_l0.T + rnn.bias_ih_l0 + h.detach() @ rnn.weight_hh_l0.T
                       + rnn.bias_hh_l0)
        kept.append(h)
    return torch.autograd.grad(torch.nn.functional.cross_entropy(model.head(h), targets), kept)


def _forward_probe_04(model, inputs, targets, on_class=False):
    """Wrong: section 2's stepping, but through rnn.forward (or nn.RNN.forward called on the class) instead of
    rnn(...): a bypass all the same."""
    import torch

    forward = functools.partial(torch.nn.RNN.forward, model.body.rnn) if on_class else model.body.rnn.forward
    x = model.body.embed(inputs)
    state, kept = None, []
    for t in range(inputs.shape[1]):
        _, state = forward(x[:, t:t + 1], state)
        kept.append(state)
    return torch.autograd.grad(torch.nn.functional.cross_entropy(model.head(state[-1]), targets), kept)


def _cell_probe_04(model, inputs, targets, functional=False):
    """Wrong: the step is PyTorch's (nn.RNNCell with rnn's weights, or torch.rnn_tanh_cell), not written by hand."""
    import torch

    rnn = model.body.rnn
    weights = (rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0)
    cell = torch.nn.RNNCell(rnn.input_size, rnn.hidden_size)
    x = model.body.embed(inputs)
    h, kept = x.new_zeros(x.shape[0], rnn.hidden_size), []
    for t in range(x.shape[1]):
        if functional:
            h = torch.rnn_tanh_cell(x[:, t], h, *weights)
        else:
            h = torch.func.functional_call(cell, dict(zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"), weights)),
                                           (x[:, t], h))
        kept.append(h)
    return torch.autograd.grad(torch.nn.functional.cross_entropy(model.head(h), targets), kept)


def _functional_probe_04(model, inputs, targets, route="torch", cell=False):
    """Wrong: each step is one of PyTorch's rnn_tanh functions (torch., torch._VF., torch.ops.aten. or torch._C's)."""
    import torch

    rnn = model.body.rnn
    weights = [rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0]
    owner = {"torch": torch, "_VF": torch._VF, "aten": torch.ops.aten, "_C": torch._C._VariableFunctions}[route]
    x = model.body.embed(inputs)
    h, kept = x.new_zeros(1, x.shape[0], rnn.hidden_size), []
    for t in range(x.shape[1]):
        if cell:
            h = owner.rnn_tanh_cell(x[:, t], h.reshape(x.shape[0], -1), *weights)
        else:
            _, h = owner.rnn_tanh(x[:, t:t + 1], h, weights, True, 1, 0.0, False, False, True)
        kept.append(h)
    return torch.autograd.grad(torch.nn.functional.cross_entropy(model.head(h.reshape(x.shape[0], -1)), targets),
                               kept)


def _first_state_probe_04(model, inputs, targets):
    """Wrong: the hand-written recurrence, but the loss reads h_1 instead of h_T."""
    import torch

    rnn, x = model.body.rnn, model.body.embed(inputs)
    h, kept = x.new_zeros(x.shape[0], rnn.hidden_size), []
    for t in range(x.shape[1]):
        h = torch.tanh(x[:, t] @ rnn.weight_ih_l0.T + rnn.bias_ih_l0 + h @ rnn.weight_hh_l0.T + rnn.bias_hh_l0)
        kept.append(h)
    loss = torch.nn.functional.cross_entropy(model.head(kept[0]), targets)
    return torch.autograd.grad(loss, kept, allow_unused=True, materialize_grads=True)


def _fixed_size_probe_04(model, inputs, targets):
    """The right probe, but its state has 32 numbers whatever the model's size (review s25)."""
    import torch

    rnn, x = model.body.rnn, model.body.embed(inputs)
    h, kept = x.new_zeros(x.shape[0], 32), []
    for t in range(x.shape[1]):
        h = torch.tanh(x[:, t] @ rnn.weight_ih_l0.T + rnn.bias_ih_l0 + h @ rnn.weight_hh_l0.T + rnn.bias_hh_l0)
        kept.append(h)
    return torch.autograd.grad(torch.nn.functional.cross_entropy(model.head(h), targets), kept)


def _row_indexed_probe_04(model, inputs, targets):
    """The right probe, but it reads the row x[t] (a sequence) where the step's tokens are the column x[:, t]."""
    import torch

    rnn, x = model.body.rnn, model.body.embed(inputs)
    h, kept = x.new_zeros(x.shape[0], rnn.hidden_size), []
    for t in range(x.shape[1]):
        h = torch.tanh(x[t] @ rnn.weight_ih_l0.T + rnn.bias_ih_l0 + h @ rnn.weight_hh_l0.T + rnn.bias_hh_l0)
        kept.append(h)
    return torch.autograd.grad(torch.nn.functional.cross_entropy(model.head(h), targets), kept)


@pytest.mark.parametrize("probe, message", [(_fixed_size_probe_04, "size h_0 from the model"),
                                            (_row_indexed_probe_04, "a column, not the row")])
def test_04_probe_names_a_fixed_state_size_and_a_row_for_a_column(probe, message):
    with pytest.raises(exercises.ExerciseError, match=message):
        exercises.check_04_gradient_probe(probe)


def test_04_gradient_probe_accepts_the_solution_and_rejects_the_classic_mistakes(capsys):
    import torch

    from helpers.gradients import hidden_grad_norms, step_gradients

    exercises.check_04_gradient_probe(exercises._hand_probe_04)
    assert "✔ Exercise 1" in capsys.readouterr().out
    wrong = {
        "nn.RNN stepped (section 2's code)": _probe_04,
        "copies the helper": step_gradients,
        "rnn.forward stepped": _forward_probe_04,
        "nn.RNN.forward on the class": functools.partial(_forward_probe_04, on_class=True),
        "nn.RNNCell with rnn's weights": _cell_probe_04,
        "torch.rnn_tanh_cell": lambda m, x, y: _cell_probe_04(m, x, y, functional=True),
        **{f"{route}.rnn_tanh{'_cell' if cell else ''}": functools.partial(_functional_probe_04, route=route, cell=cell)
           for route in ("torch", "_VF", "aten", "_C") for cell in (False, True)},
        "returns None": lambda m, x, y: None,
        "retain_grad": _retain_grad_probe_04,
        "reverse order": lambda m, x, y: list(_probe_04(m, x, y))[::-1],
        "one step short": lambda m, x, y: list(_probe_04(m, x, y))[1:],
        "gradients doubled": lambda m, x, y: [g * 2 for g in _probe_04(m, x, y)],
        "norms wrapped as tensors": lambda m, x, y: [torch.tensor(n) for n in hidden_grad_norms(m, x, y, "cpu")],
        "fresh state every step": _fresh_state_probe_04,
        "detached state fed back": lambda m, x, y: _probe_04(m, x, y, detach=True),
        "minus the loss": lambda m, x, y: [-g for g in _probe_04(m, x, y)],
        "loss at every step": lambda m, x, y: _probe_04(m, x, y, every_step=True),
        "gradient of the inputs": _input_probe_04,
        "W_hh not transposed": lambda m, x, y: exercises._hand_probe_04(m, x, y, transpose=False),
        "bias_hh forgotten": lambda m, x, y: exercises._hand_probe_04(m, x, y, second_bias=False),
        "bias_ih forgotten": lambda m, x, y: exercises._hand_probe_04(m, x, y, first_bias=False),
        "summed loss": lambda m, x, y: exercises._hand_probe_04(m, x, y, summed=True),
        "head on the first state": _first_state_probe_04,
        "no tanh": lambda m, x, y: exercises._hand_probe_04(m, x, y, squash=False),
        "detached state, raw autograd": _detached_hand_probe_04,
        "W_ih not transposed": lambda m, x, y: exercises._hand_probe_04(m, x, y, ih_transpose=False),
        "x[:, t] for t = 1..T": lambda m, x, y: exercises._hand_probe_04(m, x, y, shift=1),
        "x[:, t - 1] for t = 0..T-1": lambda m, x, y: exercises._hand_probe_04(m, x, y, shift=-1),
        "h_0 = 0.003 randn": lambda m, x, y: exercises._hand_probe_04(m, x, y, start=0.003),
    }
    messages = {"returns None": "returns None", "retain_grad": "retain_grad", "reverse order": "reverse order",
                "one step short": "expected 12 gradients", "gradients doubled": "differ",
                "norms wrapped as tensors": "shaped like the state", "fresh state every step": "fresh zero state",
                "detached state fed back": "detached copy", "minus the loss": "wrong sign",
                "loss at every step": "last state only", "gradient of the inputs": "shaped like the state",
                "W_hh not transposed": "untransposed", "bias_hh forgotten": "bias is missing",
                "bias_ih forgotten": "bias is missing", "summed loss": "summed over the batch",
                "head on the first state": "last state only",
                "no tanh": "no tanh", "detached state, raw autograd": "detached",
                "W_ih not transposed": "shapes do not fit", "x[:, t] for t = 1..T": "runs past the sequence",
                "x[:, t - 1] for t = 0..T-1": "neighbour's input", "h_0 = 0.003 randn": "is your h_0 zero",
                "nn.RNN stepped (section 2's code)": "runs PyTorch's RNN",
                "copies the helper": "runs PyTorch's RNN", "rnn.forward stepped": "runs PyTorch's RNN",
                "nn.RNN.forward on the class": "runs PyTorch's RNN",
                "nn.RNNCell with rnn's weights": "runs PyTorch's RNN",
                "torch.rnn_tanh_cell": "runs PyTorch's RNN",
                **{f"{route}.rnn_tanh{'_cell' if cell else ''}": "runs PyTorch's RNN"
                   for route in ("torch", "_VF", "aten", "_C") for cell in (False, True)}}
    for name, probe in wrong.items():
        with pytest.raises(exercises.ExerciseError, match=messages[name]):
            exercises.check_04_gradient_probe(probe)
    assert torch.nn.RNN(2, 3)(torch.zeros(1, 4, 2))[0].shape == (1, 4, 3)  # the check gives nn.RNN back afterwards


def _float64_probe_04(model, inputs, targets, transpose=True):
    """The hand-written recurrence run in float64 (weights and inputs converted); right unless transpose=False."""
    import torch

    rnn = model.body.rnn
    w_ih, w_hh = rnn.weight_ih_l0.double(), rnn.weight_hh_l0.double()
    bias = (rnn.bias_ih_l0 + rnn.bias_hh_l0).double()
    x = model.body.embed(inputs).double()
    h, kept = x.new_zeros(x.shape[0], rnn.hidden_size), []
    for t in range(x.shape[1]):
        h = torch.tanh(x[:, t] @ w_ih.T + h @ (w_hh.T if transpose else w_hh) + bias)
        kept.append(h)
    scores = h @ model.head.weight.double().T + model.head.bias.double()
    loss = torch.nn.functional.cross_entropy(scores, targets)
    return torch.autograd.grad(loss, kept)


def test_04_gradient_probe_judges_a_float64_answer_instead_of_crashing(capsys):
    """A right answer computed in float64 passes (it once crashed on a dtype mismatch); a wrong one is still named."""
    exercises.check_04_gradient_probe(_float64_probe_04)
    assert "✔ Exercise 1" in capsys.readouterr().out
    with pytest.raises(exercises.ExerciseError, match="untransposed"):
        exercises.check_04_gradient_probe(functools.partial(_float64_probe_04, transpose=False))


def test_04_slope_accepts_the_measurement_and_rejects_each_mistake(capsys):
    import torch

    exercises.check_04_slope(exercises._backward_factor_04)
    assert "✔ Exercise 2" in capsys.readouterr().out
    import numpy as np  # a reviewer's right answer in numpy returns np.float32: accepted
    exercises.check_04_slope(lambda w, g, k: np.float32(exercises._backward_factor_04(w, g, k)))
    radius = lambda w, g, k: float(torch.linalg.eigvals(w).abs().max())  # noqa: E731
    for wrong, message in [
            (lambda w, g, k: 0.7, "same factor"),
            (lambda w, g, k: exercises._backward_factor_04(w, g, k, back=False), "GROWS"),
            (lambda w, g, k: exercises._backward_factor_04(w, g, k, per_step=False), "all the steps together"),
            (lambda w, g, k: exercises._backward_factor_04(w, g, k, transpose=False), "TRANSPOSED"),
            (lambda w, g, k: exercises._backward_factor_04(w, g, k, extra=1), "too many"),
            (lambda w, g, k: exercises._backward_factor_04(w, g, k, extra=-1), "too few"),
            (radius, "eigenvalues"),
            (lambda w, g, k: str(exercises._backward_factor_04(w, g, k)), "a number"),
            (_slope_in_place_04, "changed grad_T in place"),
            (functools.partial(_slope_in_place_04, copy=True), "changed grad_T in place"),
            (_slope_transposed_in_place_04, "changed w_hh in place"),
            (0.7, "should be the function")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_04_slope(wrong)
    with pytest.raises(exercises.NotAnswered):
        exercises.check_04_slope(lambda w, g, k: None)


def _slope_in_place_04(w_hh, grad_T, steps, copy=False):
    """Wrong: overwrites the caller's grad_T at every step (the factor itself is right for the first call)."""
    start = float(grad_T.norm())
    for _ in range(steps):
        if copy:
            grad_T.copy_(w_hh.T @ grad_T)
        else:
            grad_T[:] = w_hh.T @ grad_T
    return (float(grad_T.norm()) / start) ** (1 / steps)


def _slope_transposed_in_place_04(w_hh, grad_T, steps):
    """Wrong: transposes the caller's w_hh in place (t_) to get W_hh^T."""
    w, g = w_hh.t_(), grad_T
    for _ in range(steps):
        g = w @ g
    return float((g.norm() / grad_T.norm()) ** (1 / steps))


def _step_04(model, optimizer, inputs, targets, clip, zero=True, clipping=True, after=False, norm_after=False,
             normalise=False, summed=False, zero_after=False, rms=False):
    import math

    import torch
    from torch.nn import functional as F

    if zero and not zero_after:
        optimizer.zero_grad()
    F.cross_entropy(model(inputs)[0][:, -1], targets, reduction="sum" if summed else "mean").backward()
    if after:
        optimizer.step()
    if normalise:  # wrong: always rescales to length clip, with no min(1, .)
        norm = torch.sqrt(sum((p.grad ** 2).sum() for p in model.parameters()))
        for p in model.parameters():
            p.grad.mul_(clip / norm)
    else:  # by hand, as the exercise asks: one total norm, every .grad times min(1, clip / norm)
        norm = torch.sqrt(sum((p.grad ** 2).sum() for p in model.parameters()))
        for p in model.parameters():
            p.grad.mul_(min(1.0, (clip if clipping else math.inf) / float(norm)))
    if not after:
        optimizer.step()
    if zero_after:  # wrong: zeroes after the step, so the gradients already in .grad reach the first update
        optimizer.zero_grad()
    if norm_after:
        return min(float(norm), clip)
    if rms:  # wrong: the root mean square of the entries, so clip / rms > 1 and nothing is clipped
        return float(norm) / math.sqrt(sum(p.numel() for p in model.parameters()))
    if summed:  # wrong loss scale, hidden by dividing the returned norm by the batch size
        return float(norm) / inputs.shape[0]
    return norm


def test_04_training_step_accepts_the_solution_and_rejects_each_mistake(capsys):
    exercises.check_04_training_step(_step_04)
    assert "✔ Exercise 3" in capsys.readouterr().out
    for kwargs, message in [({"clipping": False}, "not clipped"), ({"after": True}, "not clipped|differ"),
                            ({"zero": False}, "gradients from the previous step"),
                            ({"zero_after": True}, "zeroing after optimizer.step.. comes too late"),
                            ({"zero_after": True, "after": True}, "not clipped|differ|too late"),
                            ({"norm_after": True}, "AFTER clipping"),
                            ({"normalise": True}, "BELOW the threshold"),
                            ({"rms": True, "clipping": False}, "smaller than the total 2-norm, so nothing"),
                            ({"summed": True}, "summed over the batch")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_04_training_step(lambda *args, kw=kwargs: _step_04(*args, **kw))
    with pytest.raises(exercises.NotAnswered, match="returns None"):
        exercises.check_04_training_step(lambda *args: (_step_04(*args), None)[1])
    with pytest.raises(exercises.ExerciseError, match="a number"):
        exercises.check_04_training_step(lambda *args: str(_step_04(*args)))
    for wrong, message in [(_step_every_loss_04, "differ"), (_step_clip_value_04, "clip_grad_value_"),
                           (_step_per_parameter_04, "on its own"),
                           (functools.partial(_step_norm_type_04, norm_type=float("inf")), "wrong norm.*norm_type=inf"),
                           (functools.partial(_step_norm_type_04, norm_type=1.0), "wrong norm.*norm_type=1"),
                           (_step_squared_norm_04, "wrong norm.*SQUARED"),
                           (_step_library_clip_04, r"calls torch.nn.utils.clip_grad_norm_"),
                           (_step_course_helper_04, r"calls helpers.training.optimizer_step"),
                           (_step_imported_clip_04, r"calls torch.nn.utils.clip_grad_norm_"),
                           (_step_library_pieces_04, r"calls torch.nn.utils.get_total_norm")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_04_training_step(wrong)


def _step_library_clip_04(model, optimizer, inputs, targets, clip):
    """Wrong (the rule): the reviewer's answer, torch.nn.utils.clip_grad_norm_ instead of clipping by hand."""
    import torch
    from torch.nn import functional as F

    optimizer.zero_grad()
    F.cross_entropy(model(inputs)[0][:, -1], targets).backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return float(norm)


def _step_course_helper_04(model, optimizer, inputs, targets, clip):
    """Wrong (the rule): the reviewer's answer, the course's optimizer_step bound by a from-import."""
    from torch.nn import functional as F

    from helpers.training import optimizer_step

    return optimizer_step(optimizer, F.cross_entropy(model(inputs)[0][:, -1], targets), clip)


_CLIP_04 = __import__("torch").nn.utils.clip_grad_norm_  # bound before the check runs, under another name


def _step_imported_clip_04(model, optimizer, inputs, targets, clip):
    """Wrong (the rule): clip_grad_norm_ through a name bound at import time, which patching would not catch."""
    from torch.nn import functional as F

    optimizer.zero_grad()
    F.cross_entropy(model(inputs)[0][:, -1], targets).backward()
    norm = _CLIP_04(model.parameters(), clip)
    optimizer.step()
    return float(norm)


def _step_library_pieces_04(model, optimizer, inputs, targets, clip):
    """Wrong (the rule): torch's get_total_norm and clip_grads_with_norm_, the two halves of clip_grad_norm_."""
    import torch
    from torch.nn import functional as F

    optimizer.zero_grad()
    F.cross_entropy(model(inputs)[0][:, -1], targets).backward()
    norm = torch.nn.utils.get_total_norm([p.grad for p in model.parameters()])
    torch.nn.utils.clip_grads_with_norm_(model.parameters(), clip, norm)
    optimizer.step()
    return float(norm)


def _step_norm_type_04(model, optimizer, inputs, targets, clip, norm_type):
    """Wrong: clips by another norm than the 2-norm (norm_type=inf: the largest entry; 1: the sum of |entries|)."""
    import torch
    from torch.nn import functional as F

    optimizer.zero_grad()
    F.cross_entropy(model(inputs)[0][:, -1], targets).backward()
    norm = torch.nn.utils.get_total_norm([p.grad for p in model.parameters()])
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip, norm_type=norm_type)
    optimizer.step()
    return float(norm)


def _step_squared_norm_04(model, optimizer, inputs, targets, clip):
    """Wrong: clips by hand with the sum of squares (no square root) as the norm."""
    from torch.nn import functional as F

    optimizer.zero_grad()
    F.cross_entropy(model(inputs)[0][:, -1], targets).backward()
    squares = sum(float((p.grad ** 2).sum()) for p in model.parameters())
    for p in model.parameters():
        p.grad.mul_(min(1.0, clip / squares))
    optimizer.step()
    return squares ** 0.5


def _step_every_loss_04(model, optimizer, inputs, targets, clip):
    """Wrong: the loss averages the scores of every step, not only the last one."""
    import torch
    from torch.nn import functional as F

    optimizer.zero_grad()
    scores = model(inputs)[0]
    F.cross_entropy(scores.reshape(-1, scores.shape[-1]), targets.repeat_interleave(inputs.shape[1])).backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return float(norm)


def _step_per_parameter_04(model, optimizer, inputs, targets, clip):
    """Wrong: clips each parameter's gradient to norm clip on its own, returns the total norm."""
    import torch
    from torch.nn import functional as F

    optimizer.zero_grad()
    F.cross_entropy(model(inputs)[0][:, -1], targets).backward()
    norm = torch.nn.utils.get_total_norm([p.grad for p in model.parameters()])
    for p in model.parameters():
        torch.nn.utils.clip_grad_norm_([p], clip)
    optimizer.step()
    return float(norm)


def _step_clip_value_04(model, optimizer, inputs, targets, clip):
    """Wrong: clips each gradient entry to [-clip, clip] instead of the total norm."""
    import torch
    from torch.nn import functional as F

    optimizer.zero_grad()
    F.cross_entropy(model(inputs)[0][:, -1], targets).backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), float("inf"))
    torch.nn.utils.clip_grad_value_(model.parameters(), clip)
    optimizer.step()
    return float(norm)


# --- 05 text classifier ---


def _last_hidden_solution(rnn, embedded, lengths):
    import torch

    return rnn(embedded)[0][torch.arange(len(lengths)), lengths - 1]


def test_05_last_hidden_accepts_the_solution_and_gather(capsys):
    exercises.check_05_last_hidden(_last_hidden_solution)

    def with_gather(rnn, embedded, lengths):  # another correct way: gather along the step dimension
        outputs = rnn(embedded)[0]
        index = (lengths - 1).view(-1, 1, 1).expand(-1, 1, outputs.shape[2])
        return outputs.gather(1, index).squeeze(1)

    exercises.check_05_last_hidden(with_gather)

    def through_forward(rnn, embedded, lengths):  # another correct way: calling rnn.forward directly
        import torch

        outputs, _ = rnn.forward(embedded)
        return outputs[torch.arange(len(lengths)), lengths - 1]

    exercises.check_05_last_hidden(through_forward)
    assert capsys.readouterr().out.count("✔ Exercise 1") == 3


def _own_gru(rnn, embedded, lengths):  # a fresh layer of its own instead of the rnn passed in
    import torch
    from torch import nn

    own = nn.GRU(embedded.shape[2], rnn.hidden_size, batch_first=True)
    return own(embedded)[0][torch.arange(len(lengths)), lengths - 1]


def _gather_squeezed(rnn, embedded, lengths):  # a bare squeeze(): a batch of one gives [hidden], not [1, hidden]
    outputs = rnn(embedded)[0]
    index = (lengths - 1).view(-1, 1, 1).expand(-1, 1, outputs.shape[2])
    return outputs.gather(1, index).squeeze()


def _gather_squeezed_hidden(rnn, embedded, lengths):  # squeeze(-1) after picking: drops a hidden size of 1
    import torch

    outputs = rnn(embedded)[0]
    picked = outputs[torch.arange(len(lengths)), lengths - 1]
    return picked.squeeze(-1) if picked.shape[-1] == 1 else picked


def _unsqueezed_gather(rnn, embedded, lengths):  # gather without any squeeze: [batch, 1, hidden]
    outputs = rnn(embedded)[0]
    index = (lengths - 1).view(-1, 1, 1).expand(-1, 1, outputs.shape[2])
    return outputs.gather(1, index)


def _final_state(rnn, embedded, lengths):  # the state after the batch's last step, padding included
    state = rnn(embedded)[1]
    return (state[0] if isinstance(state, tuple) else state)[-1]


def _last_output_of_padded(rnn, embedded, lengths):
    return rnn(embedded)[0][:, -1]


def _at_lengths(rnn, embedded, lengths):  # off by one: step lengths[i] is past the end
    import torch

    return rnn(embedded)[0][torch.arange(len(lengths)), lengths]


def _at_lengths_minus_two(rnn, embedded, lengths):  # off by one the other way
    import torch

    return rnn(embedded)[0][torch.arange(len(lengths)), lengths - 2]


def _steps_without_rows(rnn, embedded, lengths):  # every row at every sequence's step: [batch, batch, hidden]
    return rnn(embedded)[0][:, lengths - 1]


def _all_steps(rnn, embedded, lengths):
    return rnn(embedded)[0]


def _whole_output_pair(rnn, embedded, lengths):
    return rnn(embedded)


def _detached(rnn, embedded, lengths):  # right numbers, but the classifier could not train through them
    return _last_hidden_solution(rnn, embedded, lengths).detach()


def _packed(rnn, embedded, lengths):  # right numbers, but packing is not this exercise
    from torch.nn.utils.rnn import pack_padded_sequence

    _, state = rnn(pack_padded_sequence(embedded, lengths.cpu(), batch_first=True, enforce_sorted=False))
    return (state[0] if isinstance(state, tuple) else state)[-1]


def _per_sequence_loop(rnn, embedded, lengths):  # right numbers, one call per sequence
    import torch

    return torch.cat([rnn(embedded[i:i + 1, :n])[0][:, -1] for i, n in enumerate(lengths.tolist())])


def _row_loop(rnn, embedded, lengths):  # right numbers, one call of the RNN, but a Python loop over the rows
    import torch

    outputs, _ = rnn(embedded)
    return torch.stack([outputs[i, n - 1] for i, n in enumerate(lengths.tolist())])


def _row_loop_cat(rnn, embedded, lengths):  # the same loop, rows sliced and concatenated
    import torch

    outputs, _ = rnn(embedded)
    return torch.cat([outputs[i:i + 1, int(lengths[i]) - 1] for i in range(len(lengths))])


def _row_loop_zip(rnn, embedded, lengths):  # the same loop, zipping rows with their last indices
    import torch

    outputs, _ = rnn(embedded)
    return torch.stack([row[i] for row, i in zip(outputs, lengths - 1)])


def _row_loop_fill(rnn, embedded, lengths):  # the same loop, writing into a preallocated result
    import torch

    outputs, _ = rnn(embedded)
    result = torch.zeros(outputs.shape[0], outputs.shape[2])
    for i, n in enumerate(lengths.tolist()):
        result[i] = outputs[i, n - 1]
    return result


def _lengths_minus_one_in_place(rnn, embedded, lengths):  # right rows, but the caller's lengths are changed
    import torch

    outputs, _ = rnn(embedded)
    lengths -= 1
    return outputs[torch.arange(len(lengths)), lengths]


@pytest.mark.parametrize(("answer", "message"), [
    (None, "define a function"),
    (_detached, "carries no gradient"),
    (_lengths_minus_one_in_place, "changed its inputs in place"),
    (_final_state, "after the batch's last step"),
    (_last_output_of_padded, "after the batch's last step"),
    (_at_lengths, "index is out of range"),
    (_at_lengths_minus_two, "differs from running each sequence alone"),
    (_steps_without_rows, r"shape \(3, 3, 6\)"),
    (_all_steps, r"shape \(3, 5, 6\)"),
    (_whole_output_pair, "returned a tuple, not one tensor"),
    (_packed, "called on a packed batch"),
    (_per_sequence_loop, "called 3 time"),
    (_row_loop, "one indexing per row"),
    (_row_loop_cat, "one indexing per row"),
    (_row_loop_fill, "one indexing per row"),
    (_row_loop_zip, "one indexing per row"),
    (_own_gru, "never called"),
    (_gather_squeezed, r"batch of one sequence the result has shape \(6,\).*bare \.squeeze\(\)"),
    (_gather_squeezed_hidden, r"hidden size 1 the result has shape \(3,\).*bare \.squeeze\(\)"),
    (_unsqueezed_gather, r"shape \(3, 1, 6\); expected \[batch, hidden\]"),
])
def test_05_last_hidden_rejects_the_usual_mistakes(answer, message):
    with pytest.raises(exercises.ExerciseError, match=message):
        exercises.check_05_last_hidden(answer)


def test_05_stubs_are_not_answered_yet():
    with pytest.raises(exercises.NotAnswered):
        exercises.check_05_last_hidden(lambda rnn, embedded, lengths: None)
    with pytest.raises(exercises.NotAnswered):
        exercises.check_05_paired_t(lambda a, b: None)


def _paired_t_solution(a, b):
    from scipy import stats

    d = np.subtract(a, b)
    t = d.mean() / (d.std(ddof=1) / np.sqrt(len(d)))
    return d.mean(), t, 2 * stats.t.sf(abs(t), len(d) - 1)


def test_05_paired_t_accepts_the_solution(capsys):
    exercises.check_05_paired_t(_paired_t_solution)
    assert capsys.readouterr().out.count("✔ Exercise 2") == 1


def _ready_made(which: str):
    """Correct values from a ready-made t-test: what the exercise replaces."""
    from scipy import stats

    from helpers import evaluation

    def answer(a, b):
        if which == "evaluation":
            result = evaluation.paired_t(a, b)
            return result.difference, result.t, result.p
        import scipy.stats._stats_py
        import scipy.stats.mstats

        d = np.subtract(a, b)
        test = {"ttest_rel": lambda: stats.ttest_rel(a, b), "alias": lambda: _TTEST_REL(a, b),
                "1samp": lambda: stats.ttest_1samp(d, 0.0),
                "mstats": lambda: scipy.stats.mstats.ttest_rel(a, b),
                "mstats 1samp": lambda: scipy.stats.mstats.ttest_1samp(d, 0.0),
                "mstats onesamp": lambda: scipy.stats.mstats.ttest_onesamp(d, 0.0),
                "private": lambda: scipy.stats._stats_py.ttest_rel(a, b),
                "private 1samp": lambda: scipy.stats._stats_py.ttest_1samp(d, 0.0),
                "private mstats": lambda: scipy.stats._mstats_basic.ttest_rel(a, b),
                "undecorated": lambda: stats.ttest_rel.__wrapped__(a, b),
                "imported inside": lambda: __import__("scipy.stats._stats_py", fromlist=["ttest_rel"]).ttest_rel(a, b),
                "from stats": lambda: stats.ttest_ind_from_stats(d.mean(), d.std(ddof=1), len(d), 0.0, 0.0,
                                                                   len(d)),
                }[which]()
        return float(np.mean(d)), float(np.ravel(test.statistic)[0]), float(np.ravel(test.pvalue)[0])
    return answer


@pytest.mark.parametrize("which", ["ttest_rel", "alias", "1samp", "evaluation", "mstats", "mstats 1samp",
                                   "mstats onesamp", "private", "private 1samp", "private mstats", "undecorated",
                                   "imported inside", "from stats"])
def test_05_paired_t_refuses_a_ready_made_t_test(which):
    with pytest.raises(exercises.ExerciseError, match="ready-made t-test"):
        exercises.check_05_paired_t(_ready_made(which))


def test_05_paired_t_refusal_is_undone():
    """After the check, scipy's t-tests and the learner's own names for them work again."""
    import scipy.stats._stats_py
    import scipy.stats.mstats
    from scipy import stats

    before = (stats.ttest_rel, scipy.stats.mstats.ttest_rel, scipy.stats._stats_py.ttest_rel, _TTEST_REL)
    with pytest.raises(exercises.ExerciseError):
        exercises.check_05_paired_t(_ready_made("alias"))
    exercises.check_05_paired_t(_paired_t_solution)
    after = (stats.ttest_rel, scipy.stats.mstats.ttest_rel, scipy.stats._stats_py.ttest_rel, _TTEST_REL)
    assert all(x is y for x, y in zip(before, after))
    assert np.isfinite(stats.ttest_rel([0.6, 0.7, 0.65], [0.5, 0.55, 0.6]).statistic)


def _population_std(a, b):
    from scipy import stats

    d = np.subtract(a, b)
    t = d.mean() / (d.std() / np.sqrt(len(d)))
    return d.mean(), t, 2 * stats.t.sf(abs(t), len(d) - 1)


def _unpaired(a, b):
    from scipy import stats

    n = len(a)  # Student's two-sample t by hand: the pooled std of the two score lists, 2n - 2 degrees of freedom
    pooled = np.sqrt((np.var(a, ddof=1) + np.var(b, ddof=1)) / 2)
    t = (np.mean(a) - np.mean(b)) / (pooled * np.sqrt(2 / n))
    return float(np.mean(a) - np.mean(b)), float(t), float(2 * stats.t.sf(abs(t), 2 * n - 2))


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


def _mean_abs_difference(a, b):
    d = np.subtract(a, b)
    _, t, p = _paired_t_solution(a, b)
    return np.abs(d).mean(), t, p


@pytest.mark.parametrize(("answer", "message"), [
    (None, "define a function"),
    (_population_std, "population std"),
    (_unpaired, "unpaired two-sample"),
    (_one_sided, "one-sided"),
    (_no_sqrt_k, "standard error"),
    (_normal_not_t, "degrees of freedom"),
    (_k_degrees, "degrees of freedom"),
    (_b_minus_a, "wrong sign"),
    (_mean_abs_difference, r"mean of \|a - b\|"),
])
def test_05_paired_t_rejects_the_usual_mistakes(answer, message):
    with pytest.raises(exercises.ExerciseError, match=message):
        exercises.check_05_paired_t(answer)


def _early_stopping(restore=True, deep=True, off_by_one=False, stop=True, on_fit=False, reset=True,
                    against_previous=False, optimizer_per_epoch=False, shuffle="each epoch", train_mode="each epoch",
                    on_loss=False, ties_count=False, return_losses=False, restore_on_stop_only=False, batch=4,
                    start_best=None, start_state="copy", snapshot_before=False, append_last=True,
                    batches="all", optimizer_kind="make_optimizer", revert=False, guard_load=False):
    import copy
    import math

    import torch

    from helpers import classify

    def train_with_early_stopping(model, fit, val, epochs, lr, patience):
        optimizer = {"make_optimizer": lambda: classify.make_optimizer(model, lr),  # the wrong ones: the RNN only
                     "body only": lambda: torch.optim.Adam(model.body.parameters(), lr),  # (the head never learns)
                     "sgd": lambda: torch.optim.SGD(model.parameters(), lr),  # ... not Adam ...
                     "fixed lr": lambda: classify.make_optimizer(model, 1e-3),  # ... the `lr` argument ignored ...
                     "weight decay": lambda: torch.optim.Adam(model.parameters(), lr=lr, weight_decay=0.1),
                     }[optimizer_kind]()  # ... or a weight decay nobody asked for
        scores, best_score, best_state, waited, previous = [], -math.inf, None, 0, -math.inf
        if start_best is not None:  # the best so far starts at chance, with the untrained weights as its copy
            best_score = start_best
            best_state = copy.deepcopy(model.state_dict()) if start_state == "copy" else None
        once = torch.randperm(len(fit))
        if train_mode == "once":
            model.train()
        for _ in range(epochs):
            if train_mode == "each epoch":
                model.train()
            if optimizer_per_epoch:
                optimizer = classify.make_optimizer(model, lr)
            before = copy.deepcopy(model.state_dict())  # the weights before this epoch's training
            order = {"each epoch": torch.randperm(len(fit)), "never": torch.arange(len(fit)), "once": once}[shuffle]
            if batches == "drop last":  # the wrong ones: the last batch dropped (an off-by-one range) ...
                chunks = [order[s:s + batch] for s in range(0, len(fit) - batch, batch)]
            elif batches == "with replacement":  # ... sentences drawn with replacement ...
                chunks = torch.randint(len(fit), (len(fit),)).split(batch)
            elif batches == "one":  # ... or one batch per epoch ...
                chunks = [order[:batch]]
            elif batches == "drop partial":  # ... the partial last batch dropped ...
                chunks = [order[s:s + batch] for s in range(0, len(fit) - len(fit) % batch, batch)]
            elif batches == "view":  # ... or view(-1, 4), which only works on a multiple of 4
                chunks = order.view(-1, batch)
            else:
                chunks = order.split(batch)
            for index in chunks:
                classify.train_step(model, *fit.batch(index, torch.device("cpu")), optimizer)
            loss, accuracy = classify.evaluate(model, fit if on_fit else val, device="cpu")
            score = -loss if on_loss else accuracy
            scores.append(loss if return_losses else accuracy)
            improved = score >= best_score if ties_count else score > best_score
            if against_previous and score > previous:
                waited = 0
            if improved:
                best_score, waited = score, (0 if reset and not against_previous else waited)
                best_state = before if snapshot_before else (
                    copy.deepcopy(model.state_dict()) if deep else model.state_dict())
            elif against_previous and score > previous:
                pass
            else:
                waited += 1
                if revert:  # the wrong one: back to the best weights after every epoch without improvement
                    model.load_state_dict(best_state)
                if stop and (waited > patience if off_by_one else waited >= patience):
                    if restore_on_stop_only:  # forgets the best weights when the last epoch ends the loop
                        model.load_state_dict(best_state)
                    if not append_last:  # the epoch that ends training is not recorded
                        scores.pop()
                    break
            previous = score
        if restore and not restore_on_stop_only and not (guard_load and best_state is None):
            model.load_state_dict(best_state)  # guard_load: skips the load when no best was kept (hides the bug)
        return scores

    return train_with_early_stopping


def test_05_early_stopping_accepts_the_solution(capsys):
    exercises.check_05_early_stopping(_early_stopping())
    assert "✔ Exercise 3" in capsys.readouterr().out
    with pytest.raises(exercises.NotAnswered):
        exercises.check_05_early_stopping(lambda model, fit, val, epochs, lr, patience: None)


BY_NAME_LOOP = """
def train_with_early_stopping(model, fit, val, epochs, lr, patience):
    optimizer = make_optimizer(model, lr)
    accuracies, best_accuracy, best_state, waited = [], -math.inf, None, 0
    for _ in range(epochs):
        model.train()
        for index in torch.randperm(len(fit)).split(4):
            train_step(model, *fit.batch(index, torch.device("cpu")), optimizer)
        _, val_accuracy = evaluate(model, val, device="cpu")
        accuracies.append(val_accuracy)
        if val_accuracy > best_accuracy:
            best_accuracy, best_state, waited = val_accuracy, copy.deepcopy(model.state_dict()), 0
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    return accuracies
"""


def test_05_early_stopping_accepts_the_helpers_imported_by_name(capsys):
    """Review s21: `from helpers.classify import evaluate, train_step` was refused as evaluating on the wrong data."""
    import copy
    import math

    import torch

    from helpers.classify import evaluate, make_optimizer, train_step

    namespace = {"copy": copy, "math": math, "torch": torch, "evaluate": evaluate, "make_optimizer": make_optimizer,
                 "train_step": train_step}
    exec(BY_NAME_LOOP, namespace)
    exercises.check_05_early_stopping(namespace["train_with_early_stopping"])
    assert "✔" in capsys.readouterr().out
    assert namespace["evaluate"] is evaluate and namespace["train_step"] is train_step  # given back afterwards


def test_05_early_stopping_says_so_when_the_steps_bypass_train_step():
    import torch

    from helpers import classify

    def own_step(model, tokens, lengths, labels, optimizer):  # the same step, written out, not classify.train_step
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(tokens, lengths), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    answer = _early_stopping()
    with pytest.raises(exercises.ExerciseError, match="no step went through classify.train_step"):
        exercises.check_05_early_stopping(
            lambda *args, **kwargs: _with_step(classify, own_step, lambda: answer(*args, **kwargs)))


def test_05_early_stopping_rejects_evaluating_before_the_epochs_training():
    import copy
    import math

    import torch

    from helpers import classify

    def evaluate_first(model, fit, val, epochs, lr, patience):  # judges (and copies) the weights before training
        optimizer = classify.make_optimizer(model, lr)
        scores, best, state, waited = [], -math.inf, None, 0
        for _ in range(epochs):
            _, accuracy = classify.evaluate(model, val, device="cpu")
            scores.append(accuracy)
            if accuracy > best:
                best, state, waited = accuracy, copy.deepcopy(model.state_dict()), 0
            else:
                waited += 1
                if waited >= patience:
                    break
            model.train()
            for index in torch.randperm(len(fit)).split(4):
                classify.train_step(model, *fit.batch(index, torch.device("cpu")), optimizer)
        model.load_state_dict(state)
        return scores

    with pytest.raises(exercises.ExerciseError, match="untrained weights"):
        exercises.check_05_early_stopping(evaluate_first)


def test_05_early_stopping_rejects_calling_train_classifier():
    from helpers import classify

    def bypass(model, fit, val, epochs, lr, patience):  # the helper the exercise asks to rewrite
        return classify.train_classifier(model, fit, val, epochs=epochs, lr=lr, batch_size=4, patience=patience,
                                         monitor="val_accuracy", device="cpu", progress=False)["val_accuracy"]

    with pytest.raises(exercises.ExerciseError, match="called classify.train_classifier"):
        exercises.check_05_early_stopping(bypass)


def _with_step(module, step, run):
    """Run with module.train_step bound to `step` inside the answer (the check's own patch is replaced)."""
    from unittest import mock

    with mock.patch.object(module, "train_step", step):
        return run()


@pytest.mark.parametrize(("mistake", "message"), [
    ({"restore": False}, "weights of its best epoch"),
    ({"deep": False}, "copy.deepcopy"),
    ({"off_by_one": True}, "trained 4 epochs instead of 3"),
    ({"stop": False}, "trained 8 epochs instead of 3"),
    ({"on_fit": True}, "not on the fit sentences"),
    ({"reset": False}, "reset the count"),
    ({"against_previous": True}, "not over the previous epoch's"),
    ({"optimizer_per_epoch": True}, "make one optimizer"),
    ({"shuffle": "never"}, "shuffle them anew"),
    ({"shuffle": "once"}, "shuffle them anew"),  # one permutation made before the loop, reused every epoch
    ({"train_mode": "once"}, r"call model.train\(\) at the start of every epoch"),
    ({"train_mode": "never"}, r"call model.train\(\) at the start of every epoch"),
    ({"on_loss": True}, "watch the validation accuracy"),
    ({"ties_count": True}, "counted the tie"),
    ({"return_losses": True}, "return the validation accuracy of each epoch"),
    ({"restore_on_stop_only": True}, "whether patience ran out or the last epoch was reached"),
    ({"batch": 12}, "mini-batches of 4"),
    ({"batch": 1}, "mini-batches of 4"),
    ({"start_best": 0.5}, "first epoch's accuracy is always the best so far"),
    ({"start_best": 0.5, "start_state": None}, "no epoch was kept as a best"),
    ({"start_best": 0.0, "start_state": None}, "no epoch was kept as a best"),  # passes unless epoch 1 scores 0.0
    ({"start_best": 0.0}, "first epoch's accuracy is always the best so far"),  # the untrained weights as the copy
    ({"start_best": 0.0, "start_state": None, "guard_load": True}, "first epoch's accuracy is always the best"),
    ({"snapshot_before": True}, "untrained weights"),
    ({"append_last": False}, "the epoch that ended training included"),
    ({"batches": "drop last"}, "the last batch dropped"),
    ({"batches": "with replacement"}, "sampling with replacement"),
    ({"batches": "one"}, "one batch of 4 of the 14"),
    ({"batches": "drop partial"}, "the last batch dropped"),
    ({"batches": "view"}, "view"),
    ({"optimizer_kind": "body only"}, "doesn't update every parameter"),
    ({"optimizer_kind": "sgd"}, "not the Adam"),
    ({"optimizer_kind": "fixed lr"}, "pass the function's `lr` argument on"),
    ({"optimizer_kind": "weight decay"}, "weight_decay=0.1"),
    ({"revert": True}, "loaded back mid-run"),
])
def test_05_early_stopping_rejects_the_usual_mistakes(mistake, message):
    with pytest.raises(exercises.ExerciseError, match=message):
        exercises.check_05_early_stopping(_early_stopping(**mistake))


# --- 02: more wrong answers (slim round) ---

def _word_vector_pooled(bert, pooling):
    """An exercise 02-1 answer that pools the wrong tokens or pools them the wrong way."""
    import torch

    tokenizer, model = bert

    def word_vector(sentence, span, layer=-1):
        encoded = tokenizer(sentence, return_tensors="pt", return_offsets_mapping=True,
                            return_special_tokens_mask=True)
        offsets, special = encoded.pop("offset_mapping")[0], encoded.pop("special_tokens_mask")[0].bool()
        with torch.no_grad():
            hidden = model(**encoded, output_hidden_states=True).hidden_states[layer][0]
        pieces = (offsets[:, 0] < span[1]) & (offsets[:, 1] > span[0]) & ~special
        return {"max": lambda: hidden[pieces].max(0).values, "cls": lambda: hidden[0],
                "sentence mean": lambda: hidden[~special].mean(0)}[pooling]()

    return word_vector


@pytest.mark.parametrize("pooling", ["max", "cls", "sentence mean"])
def test_02_word_vector_rejects_other_poolings(bert, pooling):
    with pytest.raises(exercises.ExerciseError, match="keep the pieces whose offsets overlap"):
        exercises.check_02_word_vector(_batched(_word_vector_pooled(bert, pooling)), *bert)


def _sense_gap_other(kind):
    import torch

    def sense_gap(vectors, senses):
        unit = vectors / vectors.norm(dim=1, keepdim=True)
        sims = unit @ unit.T
        ids = torch.tensor([sorted(set(senses)).index(s) for s in senses])
        same = ids[:, None] == ids[None, :]
        off = same & ~torch.eye(len(ids), dtype=torch.bool)
        if kind == "ratio":
            return (sims[off].mean() / sims[~same].mean()).item()
        if kind == "distance":
            distances = torch.cdist(vectors, vectors)
            return (distances[~same].mean() - distances[off].mean()).item()
        k = int(ids.max()) + 1  # "block means": the across mean taken sense pair by sense pair
        blocks = torch.stack([sims[ids == a][:, ids == b].mean() for a in range(k) for b in range(k) if a != b])
        return (sims[off].mean() - blocks.mean()).item()

    return sense_gap


@pytest.mark.parametrize("kind, message", [("ratio", "gap is"), ("distance", "gap is"),
                                           ("block means", "block by block")])
def test_02_sense_gap_rejects_other_measures(kind, message):
    with pytest.raises(exercises.ExerciseError, match=message):
        exercises.check_02_sense_gap(_sense_gap_other(kind))


def _predict_sense_other(kind):
    import torch

    def predict_sense(vector, vectors, labels):
        names = list(dict.fromkeys(labels))
        unit = vectors / vectors.norm(dim=1, keepdim=True)
        ids = torch.tensor([names.index(label) for label in labels])
        centroids = torch.stack([unit[ids == k].mean(dim=0) for k in range(len(names))])
        if kind == "medoid":  # the member nearest each centroid stands for the sense
            centroids = torch.stack([unit[ids == k][torch.cosine_similarity(unit[ids == k], centroids[k][None],
                                                                            dim=1).argmax()]
                                     for k in range(len(names))])
            return names[int(torch.cosine_similarity(centroids, vector[None, :], dim=1).argmax())]
        return names[int((centroids - vector / vector.norm()).abs().sum(dim=1).argmin())]  # L1 distance

    return predict_sense


@pytest.mark.parametrize("kind, message", [("medoid", "single most similar vector"), ("l1", "distance")])
def test_02_predict_sense_rejects_other_centres(kind, message):
    with pytest.raises(exercises.ExerciseError, match=message):
        exercises.check_02_predict_sense(_predict_sense_other(kind))


def test_02_two_banks_rejects_layer_0_centroids_and_distances(bert, two_banks_setup):
    right, pairs, _, vectors, labels = two_banks_setup
    from helpers.contextual import word_embeddings_by_layer

    first, second = (word_embeddings_by_layer([DOUBLE], "bank", *bert, device="cpu", occurrence=k)[:, 0]
                     for k in (0, 1))
    predict = _predict_sense_with()
    layer_0 = [(predict(first[k], vectors[0], labels), predict(second[k], vectors[0], labels)) for k in range(7)]
    assert layer_0 != pairs
    with pytest.raises(exercises.ExerciseError, match="same layer"):
        exercises.check_02_two_banks(right, layer_0, DOUBLE, *bert, vectors, labels)
    with pytest.raises(exercises.ExerciseError, match="not the cosine"):
        exercises.check_02_two_banks((1 - right).tolist(), pairs, DOUBLE, *bert, vectors, labels)
    last = word_embeddings_by_layer([DOUBLE], "bank", *bert, device="cpu", occurrence=-1)[:, 0]
    exercises.check_02_two_banks(torch_cosine(first, last), pairs, DOUBLE, *bert, vectors, labels)  # also right


def torch_cosine(a, b):
    import torch

    return torch.cosine_similarity(a, b, dim=1)


def _step_mean_scores_04(model, optimizer, inputs, targets, clip):
    """Wrong: the loss reads the mean of every step's scores instead of the last step's."""
    import torch
    from torch.nn import functional as F

    optimizer.zero_grad()
    F.cross_entropy(model(inputs)[0].mean(1), targets).backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return float(norm)


def _step_head_only_04(model, optimizer, inputs, targets, clip):
    """Wrong: clips (and measures) the head's gradient only."""
    import torch
    from torch.nn import functional as F

    optimizer.zero_grad()
    F.cross_entropy(model(inputs)[0][:, -1], targets).backward()
    norm = torch.nn.utils.clip_grad_norm_(model.head.parameters(), clip)
    optimizer.step()
    return float(norm)


def test_04_training_step_rejects_the_mean_of_all_scores_and_a_head_only_clip():
    for wrong in (_step_mean_scores_04, _step_head_only_04):
        with pytest.raises(exercises.ExerciseError, match="differ"):
            exercises.check_04_training_step(wrong)


def _slope_no_root_04(w_hh, grad_T, steps):
    """Wrong: returns the change over all the steps, not the factor per step."""
    g = grad_T
    for _ in range(steps):
        g = w_hh.T @ g
    return float(g.norm() / grad_T.norm())


def test_04_slope_rejects_the_factor_over_all_steps():
    with pytest.raises(exercises.ExerciseError, match="root"):
        exercises.check_04_slope(_slope_no_root_04)


def _slope_mean_of_ratios_04(w_hh, grad_T, steps):
    """Wrong: the arithmetic mean of the per-step ratios, not the steps-th root of the total."""
    g, ratios = grad_T, []
    for _ in range(steps):
        new = w_hh.T @ g
        ratios.append(float(new.norm() / g.norm()))
        g = new
    return sum(ratios) / steps


def test_04_slope_rejects_answers_right_only_for_orthogonal_matrices():
    import torch

    wrongs = [
        lambda w, g, k: float(torch.linalg.matrix_norm(w, 2)),  # spectral norm
        lambda w, g, k: float(torch.linalg.matrix_norm(torch.linalg.matrix_power(w, k), 2)) ** (1 / k),
        lambda w, g, k: exercises._backward_factor_04(w, torch.ones_like(g), k),  # not grad_T
        _slope_mean_of_ratios_04]
    for wrong in wrongs:
        with pytest.raises(exercises.ExerciseError, match="not the measured factor"):
            exercises.check_04_slope(wrong)


def _manual_step_04(model, optimizer, inputs, targets, clip, norm_of=None, rebind=False, always=False):
    """Clipping written by hand, with one mistake chosen by the keyword arguments."""
    import torch

    optimizer.zero_grad()
    torch.nn.functional.cross_entropy(model(inputs)[0][:, -1], targets).backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    norm = norm_of(grads) if norm_of else torch.sqrt(sum((g ** 2).sum() for g in grads))
    scale = clip / float(norm) if always else min(1.0, clip / float(norm))
    for g in grads:
        if rebind:
            g = g * scale  # noqa: PLW2901  (the mistake: a new tensor, .grad unchanged)
        else:
            g.mul_(scale)
    optimizer.step()
    return float(norm)


def test_04_training_step_accepts_hand_clipping_and_rejects_its_mistakes():
    import functools

    exercises.check_04_training_step(_manual_step_04)
    for wrong, message in [
            (functools.partial(_manual_step_04, rebind=True), "not clipped"),
            (functools.partial(_manual_step_04, always=True), "BELOW the threshold"),
            (functools.partial(_manual_step_04, norm_of=lambda gs: sum(g.norm() for g in gs)), "differ"),
            (functools.partial(_manual_step_04, norm_of=lambda gs: max(g.norm() for g in gs)), "differ")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_04_training_step(wrong)


def _lr_scaled_step_04(model, optimizer, inputs, targets, clip):
    """Round s17's wrong answer: scales the learning rate by the clip factor and leaves .grad unclipped."""
    import torch

    optimizer.zero_grad()
    torch.nn.functional.cross_entropy(model(inputs)[0][:, -1], targets).backward()
    ps = [p for p in model.parameters() if p.grad is not None]
    norm = float(torch.sqrt(sum((p.grad ** 2).sum() for p in ps)))
    f = min(1.0, clip / norm)
    for g in optimizer.param_groups:
        g["lr"] *= f
    optimizer.step()
    for g in optimizer.param_groups:
        g["lr"] /= f
    return norm


def test_04_training_step_rejects_clipping_the_learning_rate_instead_of_the_gradient():
    with pytest.raises(exercises.ExerciseError, match="not the learning rate"):
        exercises.check_04_training_step(_lr_scaled_step_04)


def test_03_a_wrong_answer_is_explained_in_chinese_in_the_chinese_edition(monkeypatch):
    """Under COURSE_LANGUAGE=zh-CN the check's message (and the exercise's name) comes from helpers.po."""
    from support import helpers_translation

    zh = helpers_translation()
    monkeypatch.setenv("COURSE_LANGUAGE", "zh-CN")
    with pytest.raises(exercises.ExerciseError) as raised:
        exercises.check_03_lstm_parameters(lambda *sizes: 7)  # far too low for the first size, (54, 32, 128, 2)
    too_low = ("for vocab_size={V}, embed_size={E}, hidden_size={H}, num_layers={layers}, bidirectional={two_way} "
               "the count is too low; count layer by layer")
    expected = zh[too_low].format(V=54, E=32, H=128, layers=2, two_way=False)
    heading = zh["{exercise}: "].format(exercise=zh["Exercise 1"])  # the colon of the language, too
    assert str(raised.value) == f"✘ {heading}{expected}" and str(raised.value).startswith("✘ 练习 1：")
    _, vocab, model, _, _ = _rnn_setup()
    with pytest.raises(exercises.NotAnswered) as raised:
        exercises.check_03_greedy(lambda *args: None, model, vocab)
    assert str(raised.value) == "○ " + zh["{exercise} is not answered yet: {what}"].format(
        exercise=zh["Exercise 4"], what=zh["greedy returned None: return the prompt followed by the new characters"])


def _learner_margins(vectors, labels, first, *, unit=True, leave_out=True):
    """Exercise 02-4's margins written as a learner would, in torch (first [layers, hidden])."""
    import torch

    units = vectors / vectors.norm(dim=-1, keepdim=True) if unit else vectors
    is_river = torch.tensor([label == "river" for label in labels])
    river, finance = units[:, is_river].mean(dim=1), units[:, ~is_river].mean(dim=1)
    first_margins = torch.cosine_similarity(first, river, dim=-1) - torch.cosine_similarity(first, finance, dim=-1)
    rivers = units[:, is_river]
    own = ((rivers.sum(dim=1, keepdim=True) - rivers) / (rivers.shape[1] - 1) if leave_out
           else rivers.mean(dim=1, keepdim=True))
    river_margins = (torch.cosine_similarity(rivers, own, dim=-1)
                     - torch.cosine_similarity(rivers, finance[:, None], dim=-1))
    return first_margins, river_margins


@pytest.fixture(scope="module")
def margins_setup(bert, two_banks_setup):
    from helpers.contextual import word_embeddings_by_layer

    _, _, _, vectors, labels = two_banks_setup
    first, second = (word_embeddings_by_layer([DOUBLE], "bank", *bert, device="cpu", occurrence=k)[:, 0]
                     for k in (0, 1))
    return vectors, labels, first, second


def test_02_margins_accepts_the_right_answer_in_float32_and_float64(bert, margins_setup):
    vectors, labels, first, _ = margins_setup
    first_margins, river_margins = _learner_margins(vectors, labels, first)
    exercises.check_02_margins(first_margins, river_margins, DOUBLE, *bert, vectors, labels)
    exercises.check_02_margins(first_margins.double(), river_margins.double(), DOUBLE, *bert, vectors, labels)


def test_02_margins_rejects_the_stub(bert, margins_setup):
    vectors, labels, first, _ = margins_setup
    with pytest.raises(exercises.NotAnswered):
        exercises.check_02_margins(None, None, DOUBLE, *bert, vectors, labels)
    first_margins, _ = _learner_margins(vectors, labels, first)
    with pytest.raises(exercises.NotAnswered):
        exercises.check_02_margins(first_margins, None, DOUBLE, *bert, vectors, labels)


def test_02_margins_names_each_mistake(bert, margins_setup):
    import torch

    vectors, labels, first, second = margins_setup
    check = functools.partial(exercises.check_02_margins, sentence=DOUBLE, tokenizer=bert[0], model=bert[1],
                              vectors=vectors, labels=labels)
    right_first, right_river = _learner_margins(vectors, labels, first)
    raw_first, raw_river = _learner_margins(vectors, labels, first, unit=False)
    last_layer = vectors[-1].expand_as(vectors)
    cases = {
        "keep it a tensor": (right_first.tolist(), right_river),
        "not a ndarray": (right_first.numpy().astype(np.float64), right_river),
        "shape": (right_first[1:], right_river),
        "sign is reversed": (-right_first, right_river),
        "second occurrence": (_learner_margins(vectors, labels, second)[0], right_river),
        "raw vectors": (raw_first, right_river),
        "one layer": (_learner_margins(last_layer, labels, first)[0], right_river),
        "same margin": (right_first[-1].expand(len(right_first)).clone(), right_river),
        "not the first 'bank''s margins": (right_first + 0.01, right_river),
        "river_margins: the sign": (right_first, -right_river),
        "still in its own river centroid": (right_first, _learner_margins(vectors, labels, first, leave_out=False)[1]),
        "river_margins: the centroids are means of the raw": (right_first, raw_river),
        "river_margins: the centroids all come from one layer": (right_first,
                                                                 _learner_margins(last_layer, labels, first)[1]),
        "river_margins: need a tensor of shape": (right_first, right_river.T),
        "not the held-out margins": (right_first, right_river + 0.01),
    }
    for message, (first_margins, river_margins) in cases.items():
        with pytest.raises(exercises.ExerciseError, match=re.escape(message)):
            check(first_margins, river_margins)
    with pytest.raises(exercises.ExerciseError, match="floating-point"):
        check(torch.zeros(len(right_first), dtype=torch.long), right_river)


def test_02_two_banks_discussion_marks_near_ties():
    """Ex 4's discussion marks a call whose margin is below NEAR_TIE in size (the layer-6 call was -0.001)."""
    assert exercises._call("finance", -0.001) == "finance (-0.001, near-tie)"
    assert exercises._call("river", exercises.NEAR_TIE) == f"river (+{exercises.NEAR_TIE:.3f})"
    assert exercises._call("finance", -0.032) == "finance (-0.032)"
    assert exercises._near_ties([2, 6]) == " (a near-tie at layers 2, 6)"
    assert exercises._near_ties([6]) == " (a near-tie at layer 6)" and exercises._near_ties([]) == ""
