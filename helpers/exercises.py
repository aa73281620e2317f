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

import contextlib
import copy
import types
from typing import TYPE_CHECKING
from unittest import mock

from helpers.i18n import _, listing

if TYPE_CHECKING:
    import torch


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
        raise NotAnswered("○ " + _("{exercise} is not answered yet: {what}").format(exercise=exercise, what=what))


def headed(exercise: str) -> str:
    """The exercise's name before a message ("Exercise 1: "), with the colon of the course's language."""
    return _("{exercise}: ").format(exercise=exercise)


def passed(exercise: str, message: str) -> None:
    """Print that an exercise's check passed."""
    print(f"✔ {headed(exercise)}{message}")


def require(exercise: str, condition: bool, what_is_wrong: str) -> None:
    """Raise ExerciseError with `what_is_wrong` unless `condition` holds."""
    if not condition:
        raise ExerciseError(f"✘ {headed(exercise)}{what_is_wrong}")


# --- 01 word embeddings ---


def _function(exercise: str, answer, name: str) -> None:
    """Raise ExerciseError unless the answer is a function the learner defined."""
    require(exercise, callable(answer), _("{name} should be the function you defined, got "
                                          "{type}").format(name=name, type=type(answer).__name__))


@contextlib.contextmanager
def _helpers_refused_01(answer, names: tuple[str, ...], what_is_wrong: str, module: str = "embeddings"):
    """While inside, helpers.<module>'s functions `names` raise ExerciseError, by any name the answer's module
    gave them (emb.skipgram_pairs, or skipgram_pairs imported on its own)."""
    with _functions_refused(answer, f"helpers.{module}", names, what_is_wrong):
        yield


SKLEARN_PAIRWISE = ("cosine_similarity", "cosine_distances", "pairwise_distances", "pairwise_kernels",
                    "linear_kernel", "paired_cosine_distances")


@contextlib.contextmanager
def _functions_refused(answer, module: str, names: tuple[str, ...], what_is_wrong: str):
    """While inside, the functions `names` of `module` raise ExerciseError, by any name the answer's module gave
    them (module.function, or the function imported on its own)."""
    import importlib

    embeddings = importlib.import_module(module)
    names = tuple(name for name in names if hasattr(embeddings, name))

    def error() -> ExerciseError:
        return ExerciseError(what_is_wrong)

    def refuse(*args, **kwargs):
        raise error()

    namespace = getattr(answer, "__globals__", {})
    aliases = _aliases(namespace, [getattr(embeddings, name) for name in names])
    with _refused([(embeddings, name) for name in names], error), _rebound(namespace, dict.fromkeys(aliases, refuse)):
        yield


def _aliases(namespace: dict, functions) -> list[str]:
    """The names under which `namespace` (an answer's module globals) holds one of `functions`."""
    return [key for key, value in namespace.items() if any(value is function for function in functions)]


@contextlib.contextmanager
def _rebound(namespace: dict, names: dict):
    """While inside, namespace[key] is names[key] for each key; afterwards each key holds its own value again."""
    saved = {key: namespace[key] for key in names}
    try:
        namespace.update(names)
        yield
    finally:
        namespace.update(saved)


def check_01_pair_count(count_pairs) -> None:
    """Exercise 1: count_pairs(sentences, window) gives as many pairs as skipgram_pairs builds."""
    import numpy as np

    from helpers.embeddings import skipgram_pairs

    exercise = _("Exercise 1")
    _function(exercise, count_pairs, "count_pairs")
    corpora = [[[0, 1, 2, 3], [0, 1, 4], [5, 6]], [[0, 1, 2, 3, 4, 5, 6, 7]], [[0, 1], [2], [3, 4, 5]]]
    cases = []  # (lengths, window, answer, expected) for every corpus and window
    for sentences in corpora:
        for window in (1, 2, 3):
            with _helpers_refused_01(count_pairs, ("skipgram_pairs",), "✘ " + headed(exercise) + _(
                    "count_pairs called skipgram_pairs, which builds the pairs: count them from each sentence's "
                    "length and the window, without building them")):
                answer = count_pairs([list(s) for s in sentences], window)
            answered(exercise, answer, _("count_pairs returned None: return the number of pairs"))
            number = isinstance(answer, (int, float, np.integer, np.floating)) and not isinstance(answer, bool)
            require(exercise, number, _("count_pairs should return a whole number, got "
                                        "{type}").format(type=type(answer).__name__))
            require(exercise, float(answer).is_integer(), _("count_pairs returned {answer}, not a whole number: a "
                                                            "number of pairs has no fraction").format(answer=answer))
            expected = len(skipgram_pairs([np.array(s) for s in sentences], window))
            cases.append(([len(s) for s in sentences], window, answer, expected))
    wrong = [case for case in cases if case[2] != case[3]]
    if wrong:
        lengths, window, answer, _expected = wrong[0]
        named = [m for m, count in _pair_count_mistakes(lengths, window).items() if count == answer]
        everywhere = [m for m in named if all(_pair_count_mistakes(n, w)[m] == a for n, w, a, _expected in cases)]
        for mistake in everywhere or named:  # a mistake that explains every count first
            require(exercise, False, _pair_count_hints()[mistake])
        require(exercise, False, _("wrong count with window={window} on sentences of lengths {lengths}: add, for each "
                                   "distance d from 1 to window, two pairs per position d apart in a "
                                   "sentence").format(window=window, lengths=lengths))
    _count_without_reading(exercise, count_pairs)
    passed(exercise, _("your counts equal the number of pairs skipgram_pairs builds, for windows 1 to 3, and come from "
                       "the sentence lengths alone"))


def _pair_count_hints() -> dict[str, str]:
    """What to say for each usual wrong formula (keys of _pair_count_mistakes), in the course's language."""
    return {
        "once": _("each neighbouring position gives two pairs, (left, right) and (right, left); your count has one"),
        "fewer": _("a sentence of n words has n − d positions with a neighbour d words to their right, not n − d − 1: "
               "your count is one position short at every distance"),
        "range": _("your count is what distances 0 to window − 1 give (as from range(window)): distance 0 is the word "
               "itself, which is not its own context, and distance window is left out. The distances run from 1 to "
               "window, and a sentence of n words has n − d positions with a neighbour d words to their right (the "
               "same count also comes from n − d + 1 positions per distance, one too many)"),
        "negative": _("a sentence shorter than the window gives no pairs at the distances it does not have; your count "
                  "goes negative there: clip each distance's count at 0 on its own, not the sentence's total"),
        "itself": _("a word is not its own context: distance 0 gives no pair"),
        "window": _("your count ignores `window`: every distance from 1 to window gives pairs"),
        "short": _("your count stops one distance short: the distances run from 1 to window, window included"),
        "long": _("your count goes one distance past `window`: the distances run from 1 to window, no further"),
        "every": _("your count gives every position all 2·window neighbours; near the ends of a sentence there are "
                   "fewer: "
               "count each distance d on its own"),
    }


def _pair_count_mistakes(lengths: list[int], window: int) -> dict[str, int]:
    """What each usual wrong formula counts for these sentence lengths and window (keys of _PAIR_COUNT_HINTS)."""
    def two_per_position(distances, extra=0):
        return sum(2 * max(n - d + extra, 0) for n in lengths for d in distances)

    distances = range(1, window + 1)
    return {"once": two_per_position(distances) // 2, "fewer": two_per_position(distances, -1),
            "range": two_per_position(range(window)), "negative": sum(2 * (n - d) for n in lengths for d in distances),
            "itself": two_per_position(distances) + sum(lengths), "window": two_per_position([1]),
            "short": two_per_position(range(1, window)), "long": two_per_position(range(1, window + 2)),
            "every": sum(2 * n * window for n in lengths)}


class _UnreadableSentence:
    """A sentence whose length is known but whose words cannot be read: counting needs only the length."""

    def __init__(self, length: int, exercise: str) -> None:
        self.length, self.exercise = length, exercise

    def __len__(self) -> int:
        return self.length

    def _refuse(self, *args):
        raise ExerciseError("✘ " + headed(self.exercise) + _("count from the sentence lengths; don't read the words"))

    __iter__ = __getitem__ = __array__ = _refuse


def _count_without_reading(exercise: str, count_pairs) -> None:
    """Exercise 1's last test: a 10¹²-word sentence, too long to walk through or to pair one position at a time."""
    import sys

    n, window, budget = 10**12, 3, [100_000]
    message = ("✘ " + headed(exercise) + _("count_pairs walks through the positions or pairs of a sentence one at a "
                                           "time (it cannot finish on a sentence of 10¹² words): count from each "
                                           "sentence's length, one term per distance d"))

    def tracer(frame, event, arg):
        budget[0] -= 1
        if budget[0] < 0:
            raise ExerciseError(message)
        return tracer

    sys.settrace(tracer)
    try:
        answer = count_pairs([_UnreadableSentence(n, exercise), _UnreadableSentence(2, exercise)], window)
    except MemoryError:
        raise ExerciseError(message) from None
    finally:
        sys.settrace(None)
    require(exercise, answer == 2 * sum(n - d for d in range(1, window + 1)) + 2,
            _("wrong count on a very long sentence: add, for each distance d, two pairs per position d apart"))


def _sgns_optimizer(parameters):
    """The check's optimiser: SGD with momentum, so a step with an optimiser of the answer's own differs."""
    import torch

    return torch.optim.SGD(parameters, lr=0.3, momentum=0.9)


def _sgns_setup(noise_words: list[int]):
    """A small SGNS model with random centre and context rows, its optimiser, three pairs and a noise distribution."""
    import torch

    from helpers.embeddings import SGNS

    generator = torch.Generator().manual_seed(0)
    model = SGNS(10, 4, generator)
    with torch.no_grad():
        model.centre.weight.normal_(generator=generator)
        model.context.weight.normal_(generator=generator)
    noise = torch.zeros(10)
    noise[noise_words] = 1 / len(noise_words)
    return model, _sgns_optimizer(model.parameters()), torch.tensor([0, 1, 0]), torch.tensor([2, 3, 3]), noise


def _stale_gradients(model, centres, contexts) -> None:
    """Leave gradients from an earlier batch on the model, as a training loop does after its last step."""
    import torch

    model(centres.flip(0), contexts, torch.full((len(centres), 2), 5)).mul(3).backward()


def _moves(model, optimizer, gradients) -> list:
    """How far one step of (a copy of) `optimizer` with `gradients` moves each of the model's parameters."""
    import copy

    copied = copy.deepcopy(model)
    stepper = _sgns_optimizer(copied.parameters())
    stepper.load_state_dict(copy.deepcopy(optimizer.state_dict()))  # its momentum is updated in place
    for parameter, gradient in zip(copied.parameters(), gradients):
        parameter.grad = gradient.clone()
    stepper.step()
    return [(c.detach() - p.detach()).to_dense() for c, p in zip(copied.parameters(), model.parameters())]


def _one_direction(moved: list, gradients: list) -> bool:
    """Whether `moved` is a plain step -lr × gradients for some lr: what a fresh optimiser of the answer's own does."""
    import torch

    m = torch.cat([t.flatten() for t in moved])
    g = torch.cat([t.to_dense().flatten() for t in gradients])
    lr = -float(m @ g / (g @ g))
    return lr > 0 and torch.allclose(m, -lr * g, atol=1e-5)


def check_01_sgns_step(sgns_step) -> None:
    """Exercise 2: sgns_step draws the negatives from `noise`, computes the loss, and takes one optimiser step."""
    import copy

    import torch

    exercise = _("Exercise 2")
    _function(exercise, sgns_step, "sgns_step")
    k = 3
    model, optimizer, centres, contexts, noise = _sgns_setup([9])  # one noise word: the negatives are known
    _stale_gradients(model, centres, contexts)
    optimizer.step()  # an optimiser already under way: its momentum remembers this step
    optimizer.zero_grad()
    _stale_gradients(model, centres, contexts)
    stale = [p.grad.clone() for p in model.parameters()]
    ref = copy.deepcopy(model)
    expected_loss = ref(centres, contexts, torch.full((len(centres), k), 9))
    fresh = torch.autograd.grad(expected_loss, list(ref.parameters()))
    wanted, old_gradients, added = (_moves(model, optimizer, gradients) for gradients in
                                    (fresh, stale, [g + f for g, f in zip(stale, fresh)]))
    before = [p.detach().clone() for p in model.parameters()]

    def step(*args):
        try:
            return sgns_step(*args)
        except RuntimeError as error:
            batch, negative = len(args[2]), args[5]
            if "grad" in str(error):
                raise ExerciseError("✘ " + headed(exercise) + _("sgns_step raised RuntimeError ({error}): the loss has "
                                                                "no graph (it does not require grad), so "
                                                                "loss.backward() cannot reach the vectors: compute it "
                                                                "with gradients on, not under torch.no_grad() or from "
                                                                "detached tensors").format(error=error)
                                    ) from None
            if not any(word in str(error) for word in ("size", "shape", "dimension", "view")):
                raise ExerciseError("✘ " + headed(exercise) + _("sgns_step raised RuntimeError ({error}) with "
                                                                "B={batch} pairs and negative={negative}").format(
                    error=error, batch=batch, negative=negative)) from None
            raise ExerciseError("✘ " + headed(exercise) + _("sgns_step raised RuntimeError ({error}) with B={batch} "
                                                            "pairs and negative={negative}: the negatives must be a "
                                                            "[B, negative] = [{batch}, {negative}] tensor, one row per "
                                                            "pair (not [negative, B]), drawn by torch.multinomial with "
                                                            "replacement=True").format(
                error=error, batch=batch, negative=negative)) from None

    grad_modes, forward = [], model.forward

    def noting_grad_mode(*args):
        grad_modes.append(torch.is_grad_enabled())
        return forward(*args)

    model.forward = noting_grad_mode
    loss = step(model, optimizer, centres, contexts, noise, k)
    del model.forward
    answered(exercise, loss, _("sgns_step returned None: return the loss of the step"))
    moved = [(p.detach() - b).to_dense() for p, b in zip(model.parameters(), before)]

    def same(moves: list) -> bool:
        return all(torch.allclose(m, w, atol=1e-5) for m, w in zip(moved, moves))

    if not same(wanted):
        if not any(m.abs().max() > 0 for m in moved):
            require(exercise, all(grad_modes), _("the loss was computed under torch.no_grad(): it has no graph (it "
                                                 "does not require grad through the model), so backward() gives the "
                                                 "vectors no gradient; compute it with gradients on"))
            graded = any(p.grad is not None and p.grad.to_dense().abs().max() > 0 for p in model.parameters())
            require(exercise, graded, _("after your step the vectors have no gradient: either optimizer.zero_grad() "
                                        "came after loss.backward() and cleared it (the order is zero_grad, backward, "
                                        "step), or the loss you backpropagated has no graph back to the model "
                                        "(detached?): call backward() on model(centres, contexts, negatives) itself"))
            require(exercise, False, _("no vector moved: after loss.backward(), call optimizer.step()"))
        require(exercise, not same(old_gradients), _("the step used the previous batch's gradients, not this loss's: "
                                                     "call loss.backward() before optimizer.step()"))
        require(exercise, not same(added),
                _("gradients left from an earlier backward() call were added to this loss's: clear them with "
                  "optimizer.zero_grad() before loss.backward() (the order asked: zero_grad, backward, step)"))
        require(exercise, not _one_direction(moved, fresh), _("the vectors moved by a plain step along this batch's "
                                                              "gradient, not as the optimiser you were given moves "
                                                              "them (it has its own settings and momentum): step with "
                                                              "`optimizer`, do not build one of your own"))
        require(exercise, False, _("the vectors did not move as one step of `optimizer` on the SGNS loss moves them: "
                                   "compute model(centres, contexts, negatives) with negatives of shape [B, negative] "
                                   "drawn from noise with replacement, then step with the optimiser you were given"))
    require(exercise, not isinstance(loss, torch.Tensor), _("return the loss as a float (loss.item()): a tensor keeps "
                                                            "the whole graph of the step alive"))
    require(exercise, isinstance(loss, float) and abs(loss - float(expected_loss.detach())) < 1e-4,
            _("return the loss computed before the step, as a float"))
    model, optimizer, centres, contexts, noise = _sgns_setup([7, 8])
    before = model.context.weight.detach().clone()
    step(model, optimizer, centres, contexts, noise, 4)
    rows = (model.context.weight.detach() - before).abs().sum(1) > 0
    require(exercise, not rows[[4, 5, 6, 9]].any(), _("context rows of words with no noise probability moved: draw the "
                                                      "negatives from `noise` (torch.multinomial), not uniformly"))
    require(exercise, bool(rows[[2, 3]].all()) and bool(rows[[7, 8]].any()), _("the true contexts' rows and the "
                                                                               "negatives' rows should all move"))
    model, optimizer = _sgns_setup([7, 8])[:2]
    noise = torch.zeros(10)
    noise[7], noise[8] = 0.8, 0.2
    centres, contexts = torch.tensor([0, 1] * 1000), torch.tensor([2, 3] * 1000)
    seen, forward = [], model.forward

    def recording(centres, contexts, negatives):
        seen.append(negatives.detach().clone())
        return forward(centres, contexts, negatives)

    model.forward = recording
    step(model, optimizer, centres, contexts, noise, 5)
    negatives = seen[0] if seen else torch.empty(0)
    require(exercise, tuple(negatives.shape) == (len(centres), 5), _("draw `negative` negatives for every pair, a [B, "
                                                                     "negative] tensor: one set shared by the whole "
                                                                     "batch gives every pair the same negatives"))
    require(exercise, bool((negatives != negatives[:1]).any()), _("every pair got the same negatives: draw B × "
                                                                  "negative samples, not one set repeated for each "
                                                                  "pair"))
    share = float((negatives == 7).float().mean())
    require(exercise, abs(share - 0.8) < 0.03, _("the negatives do not follow the probabilities in `noise`: it is "
                                                 "already the noise distribution (counts to the power 0.75, "
                                                 "normalised), so draw from it as it is"))
    seen.clear()
    step(model, optimizer, centres, contexts, noise, 2)
    negatives = seen[0] if seen else torch.empty(0, 2)
    require(exercise, bool((negatives[:, 0] == negatives[:, 1]).any()), _("no pair ever drew the same negative twice: "
                                                                          "draw the negatives independently, with "
                                                                          "replacement, as word2vec does"))
    step(model, optimizer, centres, contexts, noise, 2)  # the same batch again: a new step draws new negatives
    require(exercise, len(seen) == 2 and not torch.equal(seen[0], seen[1]), _("two calls in a row drew exactly the "
                                                                              "same negatives, so every call draws the "
                                                                              "same negatives: don't reseed inside the "
                                                                              "step (no torch.manual_seed, no freshly "
                                                                              "seeded Generator); seed once, before "
                                                                              "training"))
    passed(exercise, _("your step moves exactly the rows of the centres, the contexts and the negatives drawn from "
                       "noise, by one step of the given optimiser on this batch's loss"))


def _analogy_vectors():
    """Small random vectors of unequal lengths, on which each usual ranking mistake moves some answer's rank."""
    import numpy as np

    from helpers.embeddings import to_keyed_vectors

    male, female = ["king", "father", "brother", "son"], ["queen", "mother", "sister", "daughter"]
    words = ["man", "woman", *male, *female] + [f"word{i}" for i in range(14)]
    rng = np.random.default_rng(129)
    vectors = rng.normal(size=(len(words), 4)) * rng.uniform(0.2, 3, size=(len(words), 1))
    return to_keyed_vectors(words, vectors), list(zip(male, female))


def _low_target_01():
    """Five 2-D words where the target scores below -1 (the query a - b + c has length near 3): right rank 2."""
    import numpy as np

    from helpers.embeddings import to_keyed_vectors

    vectors = np.array([[1, 0], [-1, 0.01], [1, 0.02], [-1, -0.05], [0, 1]])
    return to_keyed_vectors(["a", "b", "c", "t", "x"], vectors), ("a", "b", "c", "t")


def _rank_01(kv, a: str, b: str, c: str, target: str, unit: bool = True, leave_out: tuple[int, ...] = (0, 1, 2),
             signs: tuple[int, int, int] = (1, -1, 1), cosine: bool = True, offset: int = 1,
             fill: float = float("-inf")) -> int:
    """The rank of `target` by cosine to a - b + c, with each of the usual mistakes as an option."""

    table = kv.get_normed_vectors() if unit else kv.vectors
    rows = [kv.key_to_index[w] for w in (a, b, c)]
    query = sum(sign * table[row] for sign, row in zip(signs, rows))
    scores = (kv.get_normed_vectors() if cosine else kv.vectors) @ query
    scores[[rows[i] for i in leave_out]] = fill
    return int((scores > scores[kv.key_to_index[target]]).sum()) + offset


def check_01_analogy_rank(analogy_rank, kv, pairs) -> None:
    """Exercise 3: analogy_rank(kv, word, minus, plus, target) ranks `target` by cosine to unit(word) - unit(minus)
    + unit(plus), the three left out, as emb.analogy_rank does."""
    import numpy as np
    from gensim.models import KeyedVectors

    exercise = _("Exercise 3")
    _function(exercise, analogy_rank, "analogy_rank")
    random_kv, random_pairs = _analogy_vectors()
    queries = [(vectors, (male, b, c, female)) for vectors, some in ((random_kv, random_pairs), (kv, list(pairs)))
               for male, female in some for b, c in (("man", "woman"), ("woman", "man"))]
    queries.append(_low_target_01())
    answers = []
    for vectors, query in queries:
        with _helpers_refused_01(analogy_rank, ("analogy_rank", "analogy", "most_similar"), "✘ " + headed(exercise)
                                 + _("analogy_rank called a ranking helper: compute the cosines and the rank "
                                     "yourself")), \
                _refused([(KeyedVectors, "most_similar")], lambda: ExerciseError(
                    "✘ " + headed(exercise) + _("analogy_rank called kv.most_similar: compute the cosines and the rank "
                                                "yourself"))):
            got = analogy_rank(vectors, *query)
        answered(exercise, got, _("analogy_rank returned None: return the rank"))
        require(exercise, isinstance(got, (int, np.integer)), _("return the rank as an int, got "
                                                                "{type}").format(type=type(got).__name__))
        answers.append(int(got))
    mistakes = {_("rank 1 is the top: count the words that score higher, plus one"): {"offset": 0},
                _("count only the words that score strictly higher than the target, plus one"): {"offset": 2},
                _("leave the three input words out of the ranking (they are usually nearest to the sum)"):
                {"leave_out": ()},
                _("leave all three input words out, the subtracted one too"): {"leave_out": (0, 2)},
                _("leave the three input words out so that no word ranks below them: scores can fall below -1 (the sum "
                  "is not unit length), so a fill of -1 or 0 still lets them outrank the target"): {"fill": -1.0},
                _("leave the three input words out so that no word ranks below them: a fill of 0 still lets them "
                  "outrank a target that scores below 0"): {"fill": 0.0},
                _("add the unit-length vectors: normalise all three before adding, or long vectors dominate the sum"):
                {"unit": False},
                _("the query is word − minus + plus (king − man + woman): check the signs"): {"signs": (1, 1, -1)},
                _("the query is word − minus + plus: subtract minus and add plus"): {"signs": (-1, 1, 1)},
                _("score by cosine: dot products with the unit-length word vectors, not the raw ones"):
                {"cosine": False}}
    expected = [_rank_01(vectors, *query) for vectors, query in queries]
    if answers != expected:
        for hint, options in mistakes.items():
            require(exercise, answers != [_rank_01(vectors, *query, **options) for vectors, query in queries], hint)
        require(exercise, False, _("the rank differs from the rank by cosine to unit(word) − unit(minus) + unit(plus), "
                                   "with the three input words left out"))
    mine = answers[2 * len(random_pairs):-1:2]
    best = min(range(len(mine)), key=mine.__getitem__)
    passed(exercise, _("your ranks match on small vectors and on {count} pairs of our SGNS; its best male → female "
                       "pair: {male} → {female} (rank "
                       "{rank})").format(count=len(pairs), male=pairs[best][0], female=pairs[best][1], rank=mine[best]))


def check_01_sgns_loss(shared_negatives_loss) -> None:
    """Exercise 4: the mean negative-sampling loss when one set of K negatives [K, D] serves every pair."""
    import torch

    from helpers.embeddings import sgns_loss as reference

    exercise = _("Exercise 4")
    _function(exercise, shared_negatives_loss, "shared_negatives_loss")
    generator = torch.Generator().manual_seed(1)
    c, o, n = (torch.randn(*shape, generator=generator) for shape in [(6, 4), (6, 4), (3, 4)])
    for tensor in (c, o, n):
        tensor.requires_grad_(True)
    refused = _helpers_refused_01(shared_negatives_loss, ("sgns_loss",), "✘ " + headed(exercise) + _(
        "shared_negatives_loss called emb.sgns_loss: write the loss yourself, with one matrix product for the B × K "
        "scores"))
    with refused:
        result = shared_negatives_loss(c, o, n)
    answered(exercise, result, _("shared_negatives_loss returned None: return the loss"))
    require(exercise, isinstance(result, torch.Tensor),
            _("return a tensor, got {type}").format(type=type(result).__name__))
    require(exercise, result.dtype == c.dtype, _("return the loss in the inputs' precision ({dtype}), got {got}: "
                                                 "compute it with the tensors as they "
                                                 "are").format(dtype=c.dtype, got=result.dtype))
    require(exercise, result.dim() == 0, _("return one number (the mean over the batch), got shape "
                                           "{shape}").format(shape=tuple(result.shape)))
    require(exercise, result.requires_grad, _("the loss has no gradient: compute it with torch operations on the "
                                              "tensors you are given (no .item(), .numpy() or .detach())"))
    logsig = torch.nn.functional.logsigmoid
    with torch.no_grad():
        positive, negative = (c * o).sum(-1), c @ n.T  # [B], [B, K]
        expected = reference(c, o, n.expand(len(c), *n.shape))
        mistakes = {
            _("the negatives should be scored with σ(-c·n): put a minus sign inside, not outside"):
                -(logsig(positive) + logsig(negative).sum(-1)).mean(),
            _("sum the negative terms over the K negatives; here they are averaged"):
                -(logsig(positive) + logsig(-negative).mean(-1)).mean(),
            _("average over the batch; here the losses are summed"):
                -(logsig(positive) + logsig(-negative).sum(-1)).sum(),
            _("the loss is -log σ(...): take the log of the sigmoid, and a minus sign in front"):
                (logsig(positive) + logsig(-negative).sum(-1)).mean(),
            _("score each negative against the centre vector c, not the context vector o"):
                -(logsig(positive) + logsig(-(o @ n.T)).sum(-1)).mean(),
            _("the loss has two parts: the true context's -log σ(c·o) is missing"): -logsig(-negative).sum(-1).mean(),
            _("the scores c·n_k form a [B, K] matrix, one row per pair: centre @ negatives.T, summed over the K "
              "columns (your sum runs over the pairs)"):
                -(logsig(positive).mean() + logsig(-negative).sum(0).mean()),
            _("each pair's own context is not a negative: score the K negatives, not the batch's other contexts"):
                -(logsig(positive) + logsig(-(c @ o.T)).sum(-1)).mean(),
        }
    for hint, wrong in mistakes.items():
        require(exercise, not torch.allclose(result.detach(), wrong, rtol=1e-4, atol=1e-5), hint)
    require(exercise, torch.allclose(result.detach(), expected, rtol=1e-4, atol=1e-5),
            _("the value is not -log σ(c·o) - Σ_k log σ(-c·n_k), averaged over the batch"))
    result.backward()
    expected_grads = torch.autograd.grad(reference(c, o, n.expand(len(c), *n.shape)), (c, o, n))
    for tensor, expected_grad, name in zip((c, o, n), expected_grads, ("centre", "context", "negative")):
        require(exercise, tensor.grad is not None, _("no gradient reaches the {name} vectors: training must move them "
                                                     "too (no .detach())").format(name=name))
        require(exercise, torch.allclose(tensor.grad, expected_grad, rtol=1e-4, atol=1e-5), _(
            "the gradient for the {name} vectors differs from the SGNS loss's gradient").format(name=name))
    with torch.no_grad():
        big = [100 * t for t in (c, o, n)]  # dot products in the thousands: log(sigmoid(x)) underflows, even in float64
        with _helpers_refused_01(shared_negatives_loss, ("sgns_loss",), "✘ " + headed(exercise)
                                 + _("shared_negatives_loss called emb.sgns_loss: write the loss yourself")):
            value = shared_negatives_loss(*big)
        expected = reference(big[0], big[1], big[2].expand(len(c), *n.shape))
    require(exercise, isinstance(value, torch.Tensor),
            _("return a tensor, got {type}").format(type=type(value).__name__))
    require(exercise, bool(torch.isfinite(value)), _("right for small scores, infinite for large ones (inputs ×100): "
                                                     "torch.log(torch.sigmoid(x)) and torch.log(1 - torch.sigmoid(x)) "
                                                     "underflow to log 0; use F.logsigmoid, with logsigmoid(-c·n) for "
                                                     "the negatives"))
    require(exercise, torch.allclose(value, expected, rtol=1e-4, atol=1e-2), _("right for small scores, too small for "
                                                                               "large ones (inputs ×100): the loss is "
                                                                               "capped, e.g. by clamping the scores or "
                                                                               "by an eps inside a log, so a "
                                                                               "confidently wrong score costs less "
                                                                               "than it should; use F.logsigmoid on "
                                                                               "the unclamped scores"))
    few, many = (_torch_calls(shared_negatives_loss, c.detach(), o.detach(), torch.randn(k, 4, generator=generator))
                 for k in (3, 12))
    require(exercise, many <= few, _("the loss makes more torch calls for 12 negatives than for 3 ({many} against "
                                     "{few}): it scores the negatives one at a time; score all B × K pairs at once "
                                     "with one matrix product, centre @ negatives.T").format(many=many, few=few))
    passed(exercise, _("your loss and its gradients match the SGNS loss with the negatives shared across the batch"))


@contextlib.contextmanager
def _autograd_refused(answer, what_is_wrong: str):
    """While inside, backward() and torch.autograd's and torch.func's differentiating functions raise ExerciseError,
    by any name the answer's module gave them."""
    import torch

    autograd = ("grad", "backward")
    functional = ("jacobian", "vjp", "jvp", "vhp", "hvp", "hessian")
    func = ("grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "linearize")
    with contextlib.ExitStack() as stack:
        stack.enter_context(_refused([(torch.Tensor, "backward")], lambda: ExerciseError(what_is_wrong)))
        for module, names in (("torch.autograd", autograd), ("torch.autograd.functional", functional),
                              ("torch.func", func)):
            stack.enter_context(_functions_refused(answer, module, names, what_is_wrong))
        yield


def check_01_sgns_grads(shared_negatives_grads) -> None:
    """Exercise 4, second part: the gradients of the shared-negatives loss with respect to the centre [B, D],
    context [B, D] and negative [K, D] vectors, worked out by hand and compared with autograd's."""
    import torch

    from helpers.embeddings import sgns_loss as reference

    exercise = _("Exercise 4")
    _function(exercise, shared_negatives_grads, "shared_negatives_grads")
    names = ("centre", "context", "negatives")
    for seed, (b, k, d) in ((2, (6, 3, 4)), (3, (5, 7, 3))):
        generator = torch.Generator().manual_seed(seed)
        c, o, n = (torch.randn(*shape, generator=generator) for shape in [(b, d), (b, d), (k, d)])
        copies = [t.clone() for t in (c, o, n)]
        with _autograd_refused(shared_negatives_grads, "✘ " + headed(exercise) + _("shared_negatives_grads used "
                                                                                   "autograd: work the gradients out "
                                                                                   "by hand, with tensor operations "
                                                                                   "only (no .backward(), "
                                                                                   "torch.autograd or torch.func)")):
            result = shared_negatives_grads(c, o, n)
        answered(exercise, result, _("shared_negatives_grads returned None: return the three gradients"))
        require(exercise, isinstance(result, (tuple, list)) and len(result) == 3, _("return three gradients, "
                                                                                    "(grad_centre, grad_context, "
                                                                                    "grad_negatives), as a tuple"))
        for value, tensor, name in zip(result, (c, o, n), names):
            require(exercise, isinstance(value, torch.Tensor), _("the gradient for {name} should be a tensor, got "
                                                                 "{type}").format(name=name, type=type(value).__name__))
            require(exercise, tuple(value.shape) == tuple(tensor.shape), _("the gradient for {name} should have its "
                                                                           "shape {shape}, got {got}").format(
                        name=name, shape=tuple(tensor.shape), got=tuple(value.shape))
                    + (_(": a shared negative collects one term from every pair; sum them over the batch")
                       if name == "negatives" and value.dim() == 3 else ""))
            require(exercise, value.dtype == tensor.dtype, _("return the gradients in the inputs' precision ({dtype}), "
                                                             "got {got}").format(dtype=tensor.dtype, got=value.dtype))
        require(exercise, all(torch.equal(t, saved) for t, saved in zip((c, o, n), copies)), _(
            "the inputs changed: compute the gradients without modifying centre, context or negatives in place"))
        leaves = [t.clone().requires_grad_(True) for t in (c, o, n)]
        expected = torch.autograd.grad(reference(leaves[0], leaves[1], leaves[2].expand(b, k, d)), leaves)
        positive, negative = torch.sigmoid((c * o).sum(-1)), torch.sigmoid(c @ n.T)  # [B], [B, K]
        mistakes = {  # what each usual mistake gives, per gradient
            "centre": {
                _("the derivative of -log σ(x) is σ(x) - 1, not σ(x): check the true context's term"):
                    (positive[:, None] * o + negative @ n) / b,
                _("the derivative of -log σ(-x) is σ(x), not 1 - σ(x): check the negatives' term"):
                    ((positive - 1)[:, None] * o + (1 - negative) @ n) / b,
                _("the negatives' term Σ_k σ(c·n_k) n_k is missing"): (positive - 1)[:, None] * o / b,
                _("the true context's term (σ(c·o) - 1) o is missing"): negative @ n / b,
                _("the loss is the mean over the B pairs: divide each gradient by B"):
                    (positive - 1)[:, None] * o + negative @ n,
            },
            "context": {
                _("the derivative of -log σ(x) is σ(x) - 1, not σ(x)"): positive[:, None] * c / b,
                _("the loss is the mean over the B pairs: divide each gradient by B"): (positive - 1)[:, None] * c,
            },
            "negatives": {
                _("the derivative of -log σ(-x) is σ(x), not 1 - σ(x)"): (1 - negative).T @ c / b,
                _("the derivative of -log σ(-x) is σ(x), with no minus sign in front"): -negative.T @ c / b,
                _("the loss is the mean over the B pairs: divide each gradient by B"): negative.T @ c,
                _("a shared negative collects one term from every pair: sum them over the batch and divide by B (here "
                  "they are averaged over the K negatives)"): negative.T @ c / k,
            },
        }
        for value, want, name in zip(result, expected, names):
            for hint, wrong in mistakes[name].items():
                require(exercise, not torch.allclose(value, wrong, rtol=1e-4, atol=1e-6),
                        _("the gradient for {name} is wrong: {hint}").format(name=name, hint=hint))
            require(exercise, torch.allclose(value, want, rtol=1e-4, atol=1e-6), _("the gradient for {name} differs "
                                                                                   "from autograd's gradient of the "
                                                                                   "loss (check the order: "
                                                                                   "grad_centre, grad_context, "
                                                                                   "grad_negatives)").format(name=name))
    _no_numerical_differences(exercise, shared_negatives_grads)
    passed(exercise, _("your hand-worked gradients match autograd's for the centre, context and negative vectors"))


GRADS_OPERATION_BUDGET = 20_000  # tensor operations for 64 pairs: a formula needs tens, nudging each input ~50,000


def _no_numerical_differences(exercise: str, shared_negatives_grads) -> None:
    """Refuse gradients found by nudging each input and re-evaluating the loss (finite differences): on 64 pairs
    with 16-d vectors that costs tens of thousands of tensor operations, a hand-worked formula a few dozen."""
    import torch
    from torch.overrides import TorchFunctionMode

    message = ("✘ " + headed(exercise) + _("shared_negatives_grads made more than {GRADS_OPERATION_BUDGET:,} tensor "
                                           "operations for 64 pairs: that is numerical differentiation (nudging each "
                                           "number and evaluating the loss again), not gradients worked out by hand; "
                                           "write each gradient as a formula on whole "
                                           "tensors").format(GRADS_OPERATION_BUDGET=GRADS_OPERATION_BUDGET))

    class Budget(TorchFunctionMode):
        def __init__(self) -> None:
            super().__init__()
            self.calls = 0

        def __torch_function__(self, func, types, args=(), kwargs=None):
            self.calls += 1
            if self.calls > GRADS_OPERATION_BUDGET:
                raise ExerciseError(message)
            return func(*args, **(kwargs or {}))

    generator = torch.Generator().manual_seed(4)
    c, o, n = (torch.randn(*shape, generator=generator) for shape in [(64, 16), (64, 16), (8, 16)])
    with _autograd_refused(shared_negatives_grads, message), Budget():
        shared_negatives_grads(c, o, n)


# --- 02 Word2Vec vs BERT ---

# Sentences whose word is split into several pieces, sits first or last, or touches punctuation.
WORD_VECTOR_CASES = [("Unbelievably, the river bank held.", "unbelievably", 0, -1),
                     ("Unbelievably, the river bank held.", "bank", 0, 3),
                     ("She paid the cheque into the bank.", "bank", 0, 0),
                     ("The bank by the river is not the bank I use.", "bank", 1, 5),
                     ("The xylophones rang.", "xylophones", 0, 2),  # x ##yl ##ophone ##s: one-character ends
                     ('He said "bank" twice.', "bank", 0, 4)]  # a quote ends exactly where the word starts


WORD_VECTOR_HELPERS = ("word_vectors_in_batch", "word_embeddings", "word_embeddings_by_layer", "_word_vectors")


@contextlib.contextmanager
def _forward_passes(model, calls: list):
    """While inside, each forward pass of `model` appends to `calls` whether gradients were on during it."""
    import torch

    original = model.forward

    def counting(*args, **kwargs):
        calls.append(torch.is_grad_enabled())
        return original(*args, **kwargs)

    with mock.patch.object(model, "forward", counting):
        yield


def _word_vectors_of(word_vectors, sentences, spans, layer, model, what: str):
    """The learner's batch answer, run with the course's batch helpers refused; [n, dim] on the CPU, and passes."""
    import torch

    calls = []
    with _helpers_refused_01(word_vectors, WORD_VECTOR_HELPERS, "✘ " + headed(what) + _(
            "you called the course's own batch helper (word_vectors_in_batch / word_embeddings): write the forward "
            "pass and the masked mean yourself"), module="contextual"), _forward_passes(model, calls):
        value = word_vectors(list(sentences), list(spans), layer)
    answered(what, value, _("{what} returned None: return one vector per sentence, shape [n, dim]").format(what=what))
    if not isinstance(value, torch.Tensor):
        raise ExerciseError("✘ " + headed(what) + _("return a torch.Tensor, not {type}").format(
            type=type(value).__name__))
    size = model.config.hidden_size
    require(what, tuple(value.shape) == (len(sentences), size), _(
            "return one vector per sentence, shape ({n}, {size}), got {shape}").format(
                n=len(sentences), size=size, shape=tuple(value.shape)))
    require(what, not any(calls), _("your forward pass ran with gradients on: it builds the graph for a backward "
                                    "pass that never comes; run the forward under torch.no_grad()"))
    require(what, not value.requires_grad, _("your vectors require grad: they carry the graph of the forward pass "
                                             "for a backward pass that never comes; run bert under torch.no_grad()"))
    return value.detach().float().cpu(), len(calls)


def _word_vector_diagnosis(got, sentence, word, span, layer, tokenizer, model) -> None:
    """Raise ExerciseError naming the mistake that gives `got` for one sentence, or a general message."""
    import torch

    encoded = tokenizer(sentence, return_offsets_mapping=True, return_tensors="pt")
    with torch.no_grad():
        states = model(**{k: v.to(model.device) for k, v in encoded.items() if k != "offset_mapping"},
                       output_hidden_states=True).hidden_states
    hidden, top = states[layer][0].float().cpu(), states[-1][0].float().cpu()
    offsets = encoded["offset_mapping"][0]
    pieces = ((offsets[:, 0] < span[1]) & (offsets[:, 1] > span[0])).nonzero().flatten()
    touching = ((offsets[:, 0] <= span[1]) & (offsets[:, 1] >= span[0]) & (offsets[:, 1] > offsets[:, 0]))
    before = ((offsets[:, 0] < span[1]) & (offsets[:, 1] >= span[0]) & (offsets[:, 1] > offsets[:, 0]))
    after = ((offsets[:, 0] <= span[1]) & (offsets[:, 1] > span[0]) & (offsets[:, 1] > offsets[:, 0]))
    diagnosis = {_("took only the first piece"): hidden[pieces[0]],
                 _("summed the pieces instead of averaging them"): hidden[pieces].sum(0),
                 _("divided the sum of the pieces by the number of tokens in the sentence, not by the number of "
                   "the word's pieces"): hidden[pieces].sum(0) / len(hidden),
                 _("counted [CLS] and [SEP] as pieces of the word (keep only tokens that overlap the span)"):
                     hidden[torch.cat([torch.tensor([0, len(hidden) - 1]), pieces])].mean(0),
                 _("left out the word's last piece (the span's end is exclusive: a piece belongs to the word "
                   "when it starts before `end`)"): hidden[pieces[:-1]].mean(0),
                 _("left out the word's first piece (a piece belongs to the word when it ends after `start`)"):
                     hidden[pieces[1:]].mean(0),
                 _("read the last layer instead of layer {layer}: take hidden_states[layer]").format(layer=layer):
                     top[pieces].mean(0),
                 _("also took the token that ends where the word starts (the span's start is included, so a "
                   "piece must end *after* `start`: use >, not >=)"): hidden[before].mean(0),
                 _("also took the token that starts where the word ends (the span's end is excluded, so a piece "
                   "must start *before* `end`: use <, not <=)"): hidden[after].mean(0),
                 _("also took the tokens that only touch the word on either side (use < end and > start, not <= "
                   "and >=)"): hidden[touching].mean(0)}
    for shift in (1, -1):  # hidden_states[layer + 1]: as if hidden_states[0] were layer 1, not the input embeddings
        if -len(states) <= layer + shift < len(states) and layer + shift != -1:  # -1 is the last layer, named above
            diagnosis[_("read hidden_states[{wrong}] (here hidden_states[{index}]) instead of hidden_states[layer], "
                        "one layer off: hidden_states[0] is layer 0, the input embeddings, so layer k is "
                        "hidden_states[k]").format(wrong="layer + 1" if shift > 0 else "layer - 1",
                                                   index=layer + shift)] = states[layer + shift][0].float().cpu()[
                pieces].mean(0)
    bare = tokenizer(sentence, return_offsets_mapping=True, return_tensors="pt", add_special_tokens=False)
    with torch.no_grad():
        bare_states = model(**{k: v.to(model.device) for k, v in bare.items() if k != "offset_mapping"},
                            output_hidden_states=True).hidden_states
    bare_offsets = bare["offset_mapping"][0]
    bare_pieces = (bare_offsets[:, 0] < span[1]) & (bare_offsets[:, 1] > span[0])
    diagnosis[_("ran the model without [CLS] and [SEP] in its input: keep the special tokens that the starter "
                "code's `encoded` has, and leave them out only when you average")] = (
        bare_states[layer][0].float().cpu()[bare_pieces].mean(0))
    for mistake, vector in diagnosis.items():
        require("word_vectors", not torch.allclose(got, vector, atol=1e-4, rtol=1e-4),
                _("for {word} in {sentence} you {mistake}").format(word=repr(word), sentence=repr(sentence),
                                                                   mistake=mistake))
    raise ExerciseError("✘ " + headed("word_vectors") + _(
        "wrong vector for {word} in {sentence} at layer {layer}: keep the pieces whose offsets overlap the span and "
        "average them").format(word=repr(word), sentence=repr(sentence), layer=layer))


def check_02_word_vector(word_vectors, tokenizer, model) -> None:
    """Exercise 02-1: in one forward pass over a padded batch, each word's mean of pieces, found through offsets."""
    import torch

    from helpers.contextual import word_embeddings, word_span

    what = "word_vectors"
    expected = {}
    for sentence, word, occurrence, layer in WORD_VECTOR_CASES:  # one sentence at a time first: the pieces
        span = word_span(sentence, word, occurrence)
        expected[sentence, word, occurrence, layer] = word_embeddings(
            [sentence], word, tokenizer, model, layer=layer, device=model.device, occurrence=occurrence)[0]
        got, _passes = _word_vectors_of(word_vectors, [sentence], [span], layer, model, what)
        if not torch.allclose(got[0], expected[sentence, word, occurrence, layer], atol=1e-4, rtol=1e-4):
            _word_vector_diagnosis(got[0], sentence, word, span, layer, tokenizer, model)
    for layer in sorted({case[3] for case in WORD_VECTOR_CASES}):  # then all sentences together: the padding
        cases = [case[:3] for case in WORD_VECTOR_CASES]
        spans = [word_span(*case) for case in cases]
        got, passes = _word_vectors_of(word_vectors, [case[0] for case in cases], spans, layer, model, what)
        require(what, passes == 1, _("{passes} forward passes for one batch of {n} sentences: pad them to one "
                                     "length and run bert once on the whole batch").format(passes=passes,
                                                                                           n=len(cases)))
        right = torch.stack([word_embeddings([s], w, tokenizer, model, layer=layer, device=model.device,
                                             occurrence=o)[0] for s, w, o in cases])
        wrong_rows = [k for k in range(len(cases)) if not torch.allclose(got[k], right[k], atol=1e-4, rtol=1e-4)]
        require(what, not wrong_rows, _(
                "in a batch, the vectors of {wrong} of {n} sentences (at layer {layer}) differ from the same "
                "sentences run one at a time: pass the attention_mask with the padded input, and average each row's "
                "own pieces, dividing by that word's number of pieces").format(wrong=len(wrong_rows), n=len(cases),
                                                                               layer=layer))
    passed(what, _("right vectors for {n} words one at a time and in one padded batch, including one split into 5 "
                   "pieces, one with one-character first and last pieces and one right after a quote").format(
                       n=len(WORD_VECTOR_CASES)))


def check_02_sense_gap(sense_gap) -> None:
    """Exercise 02-2: mean within-sense minus mean across-sense cosine similarity, written in torch."""
    import torch

    from helpers.contextual import sense_similarity

    what = "sense_gap"
    generator = torch.Generator().manual_seed(0)
    cases = [(torch.tensor([[1.0, 0.0], [3.0, 0.5], [0.0, 2.0], [0.4, 5.0], [0.2, 0.1]]),
              ["a", "a", "b", "b", "b"]),
             (torch.randn(12, 8, generator=generator) * torch.arange(1, 13)[:, None] + torch.tensor([2.0] + [0.0] * 7),
              ["x", "y", "z"] * 4),
             (torch.randn(9, 6, generator=generator) * torch.arange(1, 10)[:, None] + torch.tensor([1.0] + [0.0] * 5),
              ["p"] * 2 + ["q"] * 3 + ["r"] * 4),  # senses of unequal size: a mean of block means differs
             # duplicate rows (the same vector in several sentences, as Word2Vec gives): a same-sense pair of
             # two different rows can have similarity 1, so only the index says which pairs are self-pairs
             (torch.tensor([[1.0, 0.0]] * 3 + [[0.6, 0.8]] * 2 + [[0.0, 1.0], [0.8, 0.6]]),
              ["a", "a", "a", "b", "b", "b", "b"])]
    for vectors, senses in cases:
        with contextlib.ExitStack() as refused:
            for module in ("sklearn.metrics.pairwise", "sklearn.metrics"):
                refused.enter_context(_functions_refused(
                    sense_gap, module, SKLEARN_PAIRWISE, "✘ " + headed(what) + _(
                        "you called scikit-learn's pairwise similarities: compute them yourself in torch, as one "
                        "matrix product of the unit vectors")))
            refused.enter_context(_helpers_refused_01(
                sense_gap, ("sense_similarity", "sense_report_by_layer"), "✘ " + headed(what) + _(
                    "you called the course's sense_similarity: write the gap with torch operations yourself"),
                module="contextual"))
            given = vectors.clone().requires_grad_(True) * 1  # torch works on it; .numpy() and np.asarray refuse it
            try:
                got = sense_gap(given, list(senses))
            except RuntimeError as error:
                if "numpy" not in str(error).lower():
                    raise
                raise ExerciseError("✘ " + headed(what) + _(
                    "you turned the vectors into a NumPy array: write sense_gap with torch operations on the tensor "
                    "itself")) from None
        answered(what, got, _("sense_gap returned None: return the gap as a float"))
        if isinstance(got, torch.Tensor):
            require(what, got.numel() == 1, _("return one number, got a tensor of shape {shape}").format(
                shape=tuple(got.shape)))
            raise ExerciseError("✘ " + headed(what) + _(
                "you returned a 0-d tensor; return a Python float (call .item() on it)"))
        require(what, isinstance(got, float), _("return a Python float, not {type}").format(type=type(got).__name__))
        within, across = sense_similarity(vectors.numpy(), senses)
        if abs(got - (within - across)) < 1e-5:
            continue
        x = vectors / vectors.norm(dim=1, keepdim=True)
        ids = torch.tensor([sorted(set(senses)).index(s) for s in senses])
        same, sims, raw = ids[:, None] == ids[None, :], x @ x.T, vectors @ vectors.T
        require(what, abs(got - (sims[same].mean() - sims[~same].mean()).item()) > 1e-5,
                _("a vector paired with itself (similarity 1) must not count as a same-sense pair: drop the "
                  "diagonal"))
        off = same & ~torch.eye(len(ids), dtype=torch.bool)
        require(what, got == got, _("your gap is nan: when a sense's vectors are all the same, every same-sense "
                                    "pair has similarity 1; drop the self-pairs by their index, not by their value"))
        by_value = same & (sims < 1 - 1e-6)
        if by_value.any():
            require(what, abs(got - (sims[by_value].mean() - sims[~same].mean()).item()) > 1e-5,
                    _("that drops every same-sense pair with similarity 1, not just each vector paired with "
                      "itself: two different rows can be the same vector, so drop the diagonal by index"))
        require(what, abs(got - (raw[off].mean() - raw[~same].mean()).item()) > 1e-5,
                _("those are dot products: divide each vector by its length first (cosine similarity)"))
        require(what, abs(got - (across - within)) > 1e-5, _("wrong sign: within minus across"))
        k = int(ids.max()) + 1
        blocks = [sims[ids == a][:, ids == b].mean() for a in range(k) for b in range(k) if a != b]
        block_gap = (sims[off].mean() - torch.stack(blocks).mean()).item()
        require(what, abs(got - block_gap) > 1e-5, _("that averages the across-sense similarity block by block "
                                                     "(pair of senses by pair of senses): take the mean over all "
                                                     "different-sense pairs together"))
        require(what, abs(got - (within - across)) > 1e-2, _(
                "close but not equal: got {got:.6f} where the gap is {gap:.6f}. Divide each vector by exactly its "
                "length, with nothing added to the norm, so that every cosine is exact").format(
                    got=got, gap=within - across))
        raise ExerciseError("✘ " + headed(what) + _("got {got:.4f} on a test set where the gap is {gap:.4f}").format(
            got=got, gap=within - across))
    passed(what, _("right gap on four test sets (vectors of different lengths, two and three senses, senses of "
                   "unequal size, repeated vectors)"))


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
        # three unit vectors next to the query, but their sense also points far away: a vote of the nearest
        # vectors picks it, its centroid (mean or median) does not
        (torch.tensor(at(0)), torch.tensor([at(10), at(15), at(20), at(160), at(160), at(160), at(-40), at(-40),
                                            at(-40)]), ["near"] * 6 + ["far"] * 3),
        # unit vectors at different angles: dividing by another "length" (sum of absolute entries, largest
        # entry) changes their relative lengths, so the centroid of the first sense turns past the query
        (torch.tensor(at(24)), torch.tensor([at(0), at(45), at(26), at(26)]), ["a", "a", "b", "b"]),
        # three senses in 6-d, random lengths, labels not in alphabetical order
        *[(spread[k] + 0.3 * torch.randn(6, generator=generator), spread, ["zeta", "alpha", "mid"] * 6)
          for k in range(6)],
    ]


def _centroid_sense(query, vectors, labels, unit: bool = True, score: str = "cosine", median: bool = False,
                    norm: str = "l2") -> str:
    """The reference answer of exercise 02-3, or one of its usual mistakes."""
    import torch

    names = list(dict.fromkeys(labels))
    length = {"l2": vectors.norm(dim=1, keepdim=True), "l1": vectors.abs().sum(dim=1, keepdim=True),
              "max": vectors.abs().max(dim=1, keepdim=True).values}[norm]
    rows = vectors / length if unit else vectors
    ids = torch.tensor([names.index(label) for label in labels])
    centroids = torch.stack([rows[ids == k].median(dim=0).values if median else rows[ids == k].mean(dim=0)
                             for k in range(len(names))])
    if score == "nearest":
        return labels[int(torch.cosine_similarity(vectors, query[None, :], dim=1).argmax())]
    if score == "vote":  # the most common sense among the three most cosine-similar vectors
        top = torch.cosine_similarity(vectors, query[None, :], dim=1).topk(3).indices.tolist()
        return max(names, key=[labels[i] for i in top].count)
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
    mistakes = {_("the centroids are means of the raw vectors: normalise each vector to length 1 first"):
                    {"unit": False},
                _("that ranks the centroids by dot product: a spread-out sense has a shorter centroid, so use "
                  "cosine similarity"): {"score": "dot"},
                _("that ranks the centroids by distance, not by cosine similarity"): {"score": "distance"},
                _("that ranks the centroids by distance to the normalised vector, not by cosine similarity (a "
                  "short centroid can be near every unit vector)"): {"score": "unit distance"},
                _("that is a vote of the most similar vectors: compare with each sense's centroid (the mean of its "
                  "unit vectors) instead"): {"score": "vote"},
                _("the centroid is the mean of the sense's unit vectors, not their median"): {"median": True},
                _("the rows are not of length 1: divide each by its Euclidean (L2) length, vector.norm(), not by "
                  "the sum of its absolute entries or its largest entry"): {"norm": "l1"},
                _("that is the sense of the single most similar vector: compare with each sense's centroid "
                  "instead"): {"score": "nearest"}}
    cases = _predict_sense_cases()
    answers = []
    shortcut = "✘ " + headed(what) + _("it called the course's centroid_cosines or sense_credits, which do this "
                                       "step: compute the centroids and their cosines yourself")
    for query, vectors, labels in cases:
        with _functions_refused(predict_sense, "helpers.contextual", ("centroid_cosines", "sense_credits",
                                                                       "loo_credits", "nearest_centroid_loo"),
                                shortcut):
            got = predict_sense(query.clone(), vectors.clone(), list(labels))
        answered(what, got, _("predict_sense returned None: return the name of a sense"))
        require(what, isinstance(got, str), _("return the sense's name as a string (one of the labels), not "
                                              "{type}").format(type=type(got).__name__))
        require(what, got in labels, _("{got} is not one of the labels {labels}").format(
            got=repr(got), labels=sorted(set(labels))))
        answers.append(got)
    if answers != [_centroid_sense(*case) for case in cases]:
        for message, mistake in mistakes.items():
            require(what, answers != [_centroid_sense(*case, **mistake) for case in cases], message)
        raise ExerciseError("✘ " + headed(what) + _(
            "wrong sense on some of {n} test vectors: compare the vector with each sense's centroid and return the "
            "name of the most similar one").format(n=len(cases)))
    passed(what, _("right sense on {n} test vectors (eight hand-made traps, six random ones with three "
                   "senses)").format(n=len(cases)))


def check_02_two_banks(two_banks, two_senses, sentence: str, tokenizer, model, vectors, labels,
                       predict_sense=None) -> None:
    """Exercise 02-4: per layer, the cosine of the two occurrences of 'bank' and the sense predicted for each."""
    import io
    from contextlib import redirect_stdout

    import numpy as np
    import torch

    from helpers.contextual import word_embeddings_by_layer

    if predict_sense is not None:  # the pairs come from it: it must pass exercise 3's test vectors too
        try:
            with redirect_stdout(io.StringIO()):
                check_02_predict_sense(predict_sense)
        except NotAnswered:
            raise NotAnswered("○ " + _("{what} is not answered yet: two_senses uses your predict_sense, so answer "
                                       "Exercise 3 first").format(what="two_banks, two_senses")) from None
        except ExerciseError as error:
            raise ExerciseError("✘ " + headed("two_senses") + _(
                "your predict_sense is wrong on exercise 3's test vectors ({error})").format(
                    error=str(error).removeprefix("✘ " + headed("predict_sense")))) from None
    what = "two_banks"
    n_layers = model.config.num_hidden_layers + 1
    answered(what, two_banks, _("{what} is None: compute it in the cell above").format(what=what))
    values = np.asarray(torch.as_tensor(two_banks).detach().cpu(), dtype=float).ravel()
    require(what, len(values) == n_layers, _("need one similarity per layer (0 to {last}), got {n}").format(
        last=n_layers - 1, n=len(values)))
    require(what, not np.allclose(values, 1.0), _("every similarity is 1: did you compare an occurrence with "
                                                  "itself? use occurrence=0 and occurrence=1"))
    first, second = (word_embeddings_by_layer([sentence], "bank", tokenizer, model, device=model.device,
                                              occurrence=k)[:, 0] for k in (0, 1))
    expected = torch.cosine_similarity(first, second, dim=1).numpy()
    require(what, np.allclose(values, expected, atol=1e-4),
            _("these are not the cosine similarities of the two occurrences' vectors at layers 0, 1, ..., last"))
    what = "two_senses"
    answered(what, two_senses, _("two_senses is None: predict the sense of each occurrence at each layer"))
    require(what, len(two_senses) == n_layers and all(len(pair) == 2 for pair in two_senses),
            _("need one pair (first, second) per layer, 0 to {last}").format(last=n_layers - 1))
    vectors = torch.as_tensor(vectors).float().cpu()
    truth = [(_centroid_sense(first[k], vectors[k], labels), _centroid_sense(second[k], vectors[k], labels))
             for k in range(n_layers)]
    got = [tuple(pair) for pair in two_senses]
    if got != truth:
        require(what, got != [(a, a) for a, _b in truth], _("both senses are the first occurrence's: pass "
                                                            "occurrence=1 for the second"))
        require(what, got != [(b, a) for a, b in truth], _("the pairs are swapped: (first, second)"))
    for k, (pair, right) in enumerate(zip(got, truth)):
        require(what, pair == right, _("wrong sense at layer {k}: compare the vector at layer {k} with the "
                                       "centroids of the labelled vectors at the same layer").format(k=k))
    passed("two_banks, two_senses", _("one similarity and one pair of senses per layer, 0 to {last}").format(
        last=n_layers - 1))


def _bank_margins(queries, vectors, labels, *, unit=True, layer=None):
    """[layers, q]: each query's cosine to the river centroid minus its cosine to the finance centroid, per layer.

    queries [layers, q, dim]; the centroids are means of the labelled `vectors` [layers, n, dim], made unit-length
    first (unless unit=False), at the same layer (or at `layer` for every layer).
    """
    import torch

    units = vectors / vectors.norm(dim=-1, keepdim=True) if unit else vectors
    if layer is not None:
        units = units[layer].expand_as(units)
    river = torch.tensor([label == "river" for label in labels])
    finance = torch.tensor([label == "finance" for label in labels])
    return (torch.cosine_similarity(queries, units[:, river].mean(dim=1, keepdim=True), dim=-1)
            - torch.cosine_similarity(queries, units[:, finance].mean(dim=1, keepdim=True), dim=-1))


def _river_margins(vectors, labels, *, unit=True, leave_out=True, layer=None):
    """[layers, river sentences]: each river sentence's margin, with it left out of its own centroid (or not)."""
    import torch

    units = vectors / vectors.norm(dim=-1, keepdim=True) if unit else vectors
    centroids = units[layer].expand_as(units) if layer is not None else units
    river = torch.tensor([label == "river" for label in labels])
    finance = torch.tensor([label == "finance" for label in labels])
    rivers, n = centroids[:, river], int(river.sum())
    own = (rivers.sum(dim=1, keepdim=True) - rivers) / (n - 1) if leave_out else rivers.mean(dim=1, keepdim=True)
    queries = units[:, river]
    return (torch.cosine_similarity(queries, own, dim=-1)
            - torch.cosine_similarity(queries, centroids[:, finance].mean(dim=1, keepdim=True), dim=-1))


def _margin_tensor(what: str, value, shape: tuple[int, ...], meaning: str):
    """The learner's margins as a float64 CPU tensor, after checking that they are a tensor of the right shape."""
    import torch

    answered(what, value, _("{what} is None: compute it in the cell above").format(what=what))
    require(what, isinstance(value, torch.Tensor), _(
            "compute {what} with torch operations and keep it a tensor, not a {type} (no .tolist(), .item() or "
            ".numpy() at the end)").format(what=what, type=type(value).__name__))
    require(what, value.is_floating_point(), _("{what} should hold floating-point margins, not {dtype}").format(
        what=what, dtype=value.dtype))
    require(what, tuple(value.shape) == shape, _("need a tensor of shape {shape} ({meaning}), got {got}").format(
        shape=shape, meaning=meaning, got=tuple(value.shape)))
    return value.detach().cpu().double()


def check_02_margins(first_margins, river_margins, sentence: str, tokenizer, model, vectors, labels) -> None:
    """Exercise 02-4: per layer, the first 'bank''s river - finance margin, and each river sentence's, held out."""
    import torch

    from helpers.contextual import word_embeddings_by_layer

    vectors = torch.as_tensor(vectors).float().cpu()
    n_layers, n_river = vectors.shape[0], sum(label == "river" for label in labels)
    first, second = (word_embeddings_by_layer([sentence], "bank", tokenizer, model, device=model.device,
                                              occurrence=k)[:, :1] for k in (0, 1))  # [layers, 1, hidden]

    def close(a, b) -> bool:
        return bool(torch.allclose(a, b.double(), atol=1e-4))

    what = "first_margins"
    got = _margin_tensor(what, first_margins, (n_layers,), _("one margin per layer, 0 to last"))
    right = _bank_margins(first, vectors, labels)[:, 0]
    if not close(got, right):
        require(what, not close(got, -right), _("the sign is reversed: a margin is the cosine to the river "
                                                "centroid minus the cosine to the finance centroid (positive reads "
                                                "as river)"))
        require(what, not close(got, _bank_margins(second, vectors, labels)[:, 0]),
                _("these are the second occurrence's margins: use the first 'bank' (occurrence=0)"))
        require(what, not close(got, _bank_margins(first, vectors, labels, unit=False)[:, 0]),
                _("the centroids are means of the raw vectors: normalise each labelled vector to length 1 first"))
        for layer in (0, -1):
            require(what, not close(got, _bank_margins(first, vectors, labels, layer=layer)[:, 0]),
                    _("the centroids all come from one layer: compare the vector at each layer with the centroids "
                      "of the labelled vectors at the same layer"))
        require(what, not close(got, right[-1].expand_as(right)) and not close(got, right[0].expand_as(right)),
                _("every layer has the same margin: compute one per layer, 0 to last"))
        raise ExerciseError("✘ " + headed(what) + _(
            "these are not the first 'bank''s margins at layers 0 to {last}: its cosine to the river centroid minus "
            "its cosine to the finance centroid, per layer").format(last=n_layers - 1))
    what = "river_margins"
    got = _margin_tensor(what, river_margins, (n_layers, n_river), _("layers, then the {n} river sentences").format(
        n=n_river))
    right = _river_margins(vectors, labels)
    if not close(got, right):
        require(what, not close(got, -right), _("the sign is reversed: river centroid minus finance centroid"))
        require(what, not close(got, _river_margins(vectors, labels, leave_out=False)),
                _("each river sentence is still in its own river centroid: leave it out (the other river vectors' "
                  "sum, over their number)"))
        require(what, not close(got, _river_margins(vectors, labels, unit=False)),
                _("the centroids are means of the raw vectors: normalise each labelled vector to length 1 first"))
        for layer in (0, -1):
            require(what, not close(got, _river_margins(vectors, labels, layer=layer))
                    and not close(got, _river_margins(vectors[layer].expand_as(vectors), labels)),
                    _("the centroids all come from one layer: use the labelled vectors of the same layer"))
        raise ExerciseError("✘ " + headed(what) + _(
            "these are not the held-out margins of the {n} river sentences: per layer, each one's cosine to the river "
            "centroid of the others minus its cosine to the finance centroid").format(n=n_river))
    passed("first_margins, river_margins", _("one margin per layer for the first 'bank', and {n} held-out river "
                                             "margins per layer").format(n=n_river))


NEAR_TIE = 0.005  # a river - finance margin smaller than this in size is a near-tie: another centroid rule may flip it


def _call(call: str, margin: float) -> str:
    """A sense call with its margin, marked as a near-tie when |margin| < NEAR_TIE."""
    if abs(margin) < NEAR_TIE:
        return _("{call} ({margin:+.3f}, near-tie)").format(call=call, margin=margin)
    return f"{call} ({margin:+.3f})"


def _near_ties(layers: list[int]) -> str:
    """' (a near-tie at layers 2, 6)', or '' when `layers` is empty."""
    if not layers:
        return ""
    if len(layers) == 1:
        return _(" (a near-tie at layer {layer})").format(layer=layers[0])
    return _(" (a near-tie at layers {layers})").format(layers=listing(layers))


TWO_BANKS_CONTROLS = {
    "cash, no second bank": "After a walk along the river bank, I went to the shop to withdraw some cash.",
    "a second bank, no cash": "After a walk along the river bank, I went to the bank to buy some bread."}


def _first_bank_senses(first, vectors, labels):
    """Per layer: the sense predicted for a 'bank' vector `first` [layers, dim], and its river - finance margin."""
    import torch

    unit = vectors / vectors.norm(dim=-1, keepdim=True)
    river, finance = (torch.tensor([label == sense for label in labels]) for sense in ("river", "finance"))
    margins = [float(torch.cosine_similarity(first[k], unit[k][river].mean(0), dim=0)
                     - torch.cosine_similarity(first[k], unit[k][finance].mean(0), dim=0)) for k in range(len(first))]
    return [_centroid_sense(first[k], vectors[k], labels) for k in range(len(first))], margins


def _river_loo_margins(vectors, labels):
    """[layers, river sentences]: each river sentence's river - finance margin, left out of its own centroid."""
    import torch

    unit = vectors / vectors.norm(dim=-1, keepdim=True)  # [layers, sentences, hidden]
    river = torch.tensor([label == "river" for label in labels])
    finance = torch.tensor([label == "finance" for label in labels])
    n = int(river.sum())
    others = (unit[:, river].sum(dim=1, keepdim=True) - unit[:, river]) / (n - 1)  # river centroid without it
    own = torch.cosine_similarity(unit[:, river], others, dim=-1)
    across = torch.cosine_similarity(unit[:, river], unit[:, finance].mean(dim=1, keepdim=True), dim=-1)
    return own - across


def discuss_02_two_banks(sentence: str, tokenizer, model, vectors, labels):
    """Exercise 02-4's discussion, folded, with the reference run's numbers (river bank first, money bank second)."""
    import torch
    from IPython.display import Markdown

    from helpers.contextual import word_embeddings_by_layer

    vectors = torch.as_tensor(vectors).float().cpu()
    first, second = (word_embeddings_by_layer([sentence], "bank", tokenizer, model, device=model.device,
                                              occurrence=k)[:, 0] for k in (0, 1))
    cosines = torch.cosine_similarity(first, second, dim=1)
    pairs = [(_centroid_sense(first[k], vectors[k], labels), _centroid_sense(second[k], vectors[k], labels))
             for k in range(len(first))]
    _senses, margins = _first_bank_senses(first, vectors, labels)
    river = _river_loo_margins(vectors, labels)  # [layers, river sentences]
    n_river, last = river.shape[1], len(margins) - 1
    rows = "\n".join(f"| {k} | {_call(a, margins[k])} | {b} | {float(river[k].median()):+.3f} | "
                     + _("{low:+.3f} to {high:+.3f}").format(low=float(river[k].min()), high=float(river[k].max()))
                     + " |" for k, (a, b) in enumerate(pairs))
    below = [k for k in range(1, last + 1) if margins[k] < float(river[k].min())]
    text = (_("The reference run: the two vectors are most alike at layer {most} (cosine {high:.2f}) and least alike "
              "at layer {least} ({low:.2f}).").format(most=int(cosines.argmax()), high=float(cosines.max()),
                                                      least=int(cosines.argmin()), low=float(cosines.min()))
            + "\n\n"
            + _("The *margin* of a vector is its cosine to the river centroid minus its cosine to the finance "
                "centroid: positive reads as river. For a noise level, each of the {n} river sentences of section 4 "
                "is left out of its own centroid and given its margin.").format(n=n_river)
            + "\n\n"
            + _("A margin smaller than {near} in size is marked a *near-tie*: a slightly different rule (another "
                "distance, or centroids of the raw vectors) could flip that call.").format(near=NEAR_TIE)
            + "\n\n"
            + _("| layer | first *bank* (margin) | second *bank* | river sentences: median margin | their range |")
            + "\n|---|---|---|---|---|\n" + rows + "\n\n"
            + _("Layer 0 has no context (section 5): its call says nothing about the sentence. "))
    if below:
        text += _("At layers {layers} ({count} of {last}), the first *bank*'s margin is below that of every one of "
                  "the {n} held-out river sentences. ").format(layers=listing(below), count=len(below), last=last,
                                                              n=n_river)
    smaller = [k for k in range(1, last + 1) if abs(margins[k]) < abs(float(river[k].median()))]
    largest = max(map(abs, margins))
    if smaller == list(range(1, last + 1)):
        text += _("Its largest margin in size is {largest:.3f}, and at every layer from 1 to {last} it is smaller in "
                  "size than the river sentences' median margin: each call rests on a small difference of "
                  "cosines.").format(largest=largest, last=last)
    else:
        text += _("Its largest margin in size is {largest:.3f}.").format(largest=largest)
    both_finance = [k for k, pair in enumerate(pairs) if pair == ("finance", "finance")]
    ties = [k for k in both_finance if abs(margins[k]) < NEAR_TIE]
    if both_finance:
        if not ties:
            called = _("At layers {layers} **both** occurrences are called finance.").format(
                layers=listing(both_finance))
        elif len(ties) == 1:
            called = _("At layers {layers} **both** occurrences are called finance (at layer {tie} only by a "
                       "near-tie).").format(layers=listing(both_finance), tie=ties[0])
        else:
            called = _("At layers {layers} **both** occurrences are called finance (at layers {ties} only by a "
                       "near-tie).").format(layers=listing(both_finance), ties=listing(ties))
        text += "\n\n" + called + _(" Why? Two controls change one thing each. The first *bank*'s call and margin, "
                                      "per layer:")
        shown = {"cash, no second bank": _("cash, no second bank"),
                 "a second bank, no cash": _("a second bank, no cash")}
        calls, control_ties = {}, {}
        for name, control in TWO_BANKS_CONTROLS.items():
            control_first = word_embeddings_by_layer([control], "bank", tokenizer, model, device=model.device)[:, 0]
            calls[name], control_margins = _first_bank_senses(control_first, vectors, labels)
            control_ties[name] = [k for k in both_finance if abs(control_margins[k]) < NEAR_TIE]
            text += "\n- " + _("{name} (*{control}*): {calls} at layers 1 to {last}").format(
                name=shown[name], control=control, last=last,
                calls=listing(_call(call, m) for call, m in zip(calls[name][1:], control_margins[1:])))
        cash = [k for k in both_finance if calls["cash, no second bank"][k] == "finance"]
        bread = [k for k in both_finance if calls["a second bank, no cash"][k] == "river"]
        if cash == both_finance and bread == both_finance:
            finance_layers = sum(k > 0 for k in both_finance)
            if ties:
                tail = _("in this sentence, which mixes senses, the first *bank* is called finance at {count} of "
                         "{last} Transformer layers, {ties} of them by a near-tie.").format(
                             count=finance_layers, last=last, ties=sum(k > 0 for k in ties))
            else:
                tail = _("in this sentence, which mixes senses, the first *bank* is called finance at {count} of "
                         "{last} Transformer layers.").format(count=finance_layers, last=last)
            text += ("\n\n"
                     + _("At each of those layers, cash without a second *bank* still gives a finance "
                         "call{ties}.").format(ties=_near_ties(control_ties["cash, no second bank"]))
                     + _(" A second *bank* without cash gives a river call{ties}.").format(
                         ties=_near_ties(control_ties["a second bank, no cash"]))
                     + _(" That is consistent with the words about cash pulling the first *bank* towards finance "
                         "(BERT attends in both directions), but two control sentences, with margins this small, do "
                         "not establish it. What the run does show: one vector per occurrence does not promise one "
                         "sense per occurrence: ")
                     + tail)
        else:
            text += "\n\n" + _("The controls do not agree at every such layer. So one sentence cannot say which "
                                "words pull the first *bank* to finance.")
    return Markdown("<details><summary>" + _("Discussion (open after the check passes)")
                    + f"</summary>\n\n{text}\n</details>")


# Exercise 02-5: twelve sentences with "pupil", six of each sense, in mixed order. Sentences 4 and 5 mix the senses
# on purpose (an eye examined by a teacher; a student with sharp eyes).
PUPIL_SENTENCES = [
    "The pupil raised her hand to answer the question.",
    "In the dark, the pupil grows to let in more light.",
    "The school gave every pupil a new laptop.",
    "The doctor saw that one pupil was larger than the other.",
    "The teacher looked closely at the pupil of the boy's eye after the ball hit him.",
    "A pupil with sharp eyes spotted the mistake on the board.",
    "Eye drops kept the pupil wide during the examination.",
    "Our best pupil passed the exam with full marks.",
    "The pupil shrank to a dot in the bright sunlight.",
    "The piano teacher had only one pupil that year.",
    "A cat's pupil narrows to a slit at noon.",
    "The pupil who was late had to stay after class.",
]
_PUPIL_SENSES = ["student", "eye", "student", "eye", "eye", "student", "eye", "student", "eye", "student", "eye",
                "student"]
PUPIL_CONTROL = (5, "A pupil spotted the mistake on the board.")  # sentence 5 without "with sharp eyes"


def _pupil_credits(sentences, tokenizer, model):
    """The vectors of "pupil" in `sentences` and their held-out credits with the true senses [layers, sentences]."""
    import numpy as np

    from helpers.contextual import loo_credits, word_embeddings_by_layer

    vectors = word_embeddings_by_layer(list(sentences), "pupil", tokenizer, model, device=model.device)
    return vectors, np.stack([loo_credits(layer, _PUPIL_SENSES) for layer in vectors])


def _misread_cases():
    """Hand-made vectors [layers, n, 3] and labels for exercise 02-5, and the sentences wrong at every layer 1 on.

    Sense "a" sits at e1 and sense "b" at e2; a sentence moved to e2 is wrong, one moved to e3 ties (credit 1/2).
    """
    import torch

    e1, e2, e3 = torch.eye(3)
    labels = ["a"] * 8 + ["b"] * 8
    vectors = torch.stack([e1] * 8 + [e2] * 8)[None].repeat(5, 1, 1)  # layer 0 and four more
    for sentence, layers, place in [(0, range(5), e2),  # wrong at every layer, layer 0 too
                                    (1, (1, 2, 3), e2),  # wrong at three of the four layers after 0
                                    (2, range(1, 5), e3),  # tied at every layer after 0
                                    (3, range(1, 5), e2),  # wrong at every layer after 0, right at layer 0
                                    (4, (0,), e2),  # wrong at layer 0 only
                                    (5, (2, 3, 4), e2)]:  # right at the first layer after 0 only
        for layer in layers:
            vectors[layer, sentence] = place
    first = (vectors, labels, [0, 2, 3])
    # a small sense: left out, its third sentence is nearer the other sense; counted in its own centroid, it is not
    lean = torch.tensor([1.2, 1.0, 0.0])
    small = torch.stack([e1] * 6 + [e2, e2, lean])[None].repeat(3, 1, 1)
    return [first, (small, ["b"] * 6 + ["a"] * 3, [8])]


def check_02_pupil(my_senses, my_report, always_misread, tokenizer, model, ours: float | None = None) -> None:
    """Exercise 02-5: the senses of the twelve "pupil" sentences, their report, and the sentences always misread."""
    import numpy as np
    import pandas as pd

    from helpers.contextual import sense_report_by_layer

    what = "my_senses, my_report, always_misread"
    n, last = len(PUPIL_SENTENCES), model.config.num_hidden_layers
    answered(what, my_senses, _('my_senses is None: write one label per sentence, "student" or "eye"'))
    require(what, isinstance(my_senses, (list, tuple)) and all(isinstance(label, str) for label in my_senses),
            _("my_senses should be a list of strings, got {kind}").format(kind=type(my_senses).__name__))
    require(what, len(my_senses) == n, _("my_senses has {count} labels: write one per sentence of pupil_sentences, "
                                         "{n} in all, in their order").format(count=len(my_senses), n=n))
    names = sorted(set(my_senses) - {"student", "eye"})
    require(what, not names, _('the labels are "student" and "eye", not {name}').format(name=repr(names[0]))
            if names else "")
    wrong = sum(label != sense for label, sense in zip(my_senses, _PUPIL_SENSES))
    require(what, wrong != n, _('every label is the other sense: "student" is the school student, "eye" the '
                                "opening in the eye"))
    require(what, wrong == 0, _("{wrong} of your {n} labels name the other sense: read each sentence again and ask "
                                "what *pupil* is in it (a sentence can hold words of the other sense)")
            .format(wrong=wrong, n=n))
    answered(what, my_report, _("my_report is None: compute it with sense_report_by_layer(...)"))
    vectors, credits = _pupil_credits(PUPIL_SENTENCES, tokenizer, model)
    expected = sense_report_by_layer(vectors, _PUPIL_SENSES)
    require(what, isinstance(my_report, pd.DataFrame) and list(my_report.index) == list(range(last + 1))
            and set(expected.columns) <= set(my_report.columns),
            _("my_report should be sense_report_by_layer's table, one row per layer 0 to {last}: pass it the "
              "vectors of word_embeddings_by_layer, all layers").format(last=last))
    require(what, np.allclose(my_report[expected.columns].to_numpy(dtype=float), expected.to_numpy(), atol=1e-4),
            _('my_report is not the report of pupil_sentences with your labels: compute it from the vectors of '
              '"pupil" in pupil_sentences (word_embeddings_by_layer) and my_senses, in the same order'))
    _function(what, always_misread, "always_misread")
    cases = [*_misread_cases(), (vectors, _PUPIL_SENSES, np.flatnonzero((credits[1:] < 1).all(axis=0)).tolist())]
    for case_vectors, labels, right in cases:
        try:
            got = always_misread(case_vectors.clone(), list(labels))
        except ValueError as error:  # e.g. loo_credits given labels that are not these vectors' (a global)
            raise ExerciseError("✘ " + headed(what) + _(
                "always_misread raised ValueError ({error}) on test vectors with {count} sentences: use its own "
                "layer_vectors and labels arguments, not the notebook's variables").format(
                    error=error, count=len(labels))) from None
        answered(what, got, _("always_misread returned None: return the list of sentence numbers"))
        require(what, isinstance(got, (list, tuple, np.ndarray))
                and all(isinstance(k, (int, np.integer)) and not isinstance(k, bool) for k in got),
                _("always_misread should return a list of sentence numbers (whole numbers, from 0)"))
        mine = sorted(int(k) for k in got)
        require(what, mine == right, _(
            "on test vectors with {layers} layers (layer 0 included) and {count} sentences, always_misread gives "
            "{got}: it should list every sentence whose held-out credit (loo_credits) is below 1 at every layer "
            "after layer 0, a tie (½) included, and no other").format(layers=len(case_vectors), count=len(labels),
                                                                     got=mine))
    accuracy = expected["loo_accuracy"].iloc[1:].mean()
    versus = "" if ours is None else _(" (the notebook's words: {ours:.2f})").format(ours=ours)
    passed(what, _("right labels and report, and always_misread is right on {count} test sets; mean held-out "
                   "accuracy of *pupil* over layers 1 to {last}: {accuracy:.2f}{versus}").format(
                       count=len(cases), last=last, accuracy=accuracy, versus=versus))


def discuss_02_pupil(tokenizer, model):
    """Exercise 02-5's discussion, folded: each sentence's layers read right, and sentence 5 without its eyes."""
    from IPython.display import Markdown

    credits = _pupil_credits(PUPIL_SENTENCES, tokenizer, model)[1][1:]  # layers 1 to last
    control = list(PUPIL_SENTENCES)
    control[PUPIL_CONTROL[0]] = PUPIL_CONTROL[1]
    controlled = _pupil_credits(control, tokenizer, model)[1][1:]
    last, k = len(credits), PUPIL_CONTROL[0]
    # TRANSLATORS: one row of a table; the sentence is English data (quote it where the table's language needs)
    row = _("| {number} | {sentence} | {sense} | {read} |")
    rows = "\n".join(row.format(number=i, sentence=sentence, sense=sense, read=int((credits[:, i] == 1).sum()))
                     for i, (sentence, sense) in enumerate(zip(PUPIL_SENTENCES, _PUPIL_SENSES)))
    read = {i: int((credits[:, i] == 1).sum()) for i in (4, k)}
    text = (_("| sentence | | sense | layers read right (of {last}) |").format(last=last)
            + f"\n|---|---|---|---|\n{rows}\n\n"
            + _("Sentences 4 and {k} mix the senses on purpose. Sentence 4 is about an eye, with a teacher in it; the "
                "test reads it right at {read_4} of {last} layers. Sentence {k} is about a student, with *eyes* in "
                "it; the test reads it right at {read_k} of {last} layers. Without \"with sharp eyes\" "
                "({control}), and with the other eleven sentences unchanged, it is read right at {controlled} of "
                "{last}.").format(k=k, read_4=read[4], read_k=read[k], last=last, control=repr(PUPIL_CONTROL[1]),
                                   controlled=int((controlled[:, k] == 1).sum())))
    if (controlled[:, k] == 1).sum() > read[k]:
        text += _(" That is consistent with the words *sharp eyes* pulling the vector of *pupil* towards the eye: "
                  "a contextual vector reads its context, and here the context holds a word of the other sense. "
                  "One control sentence does not establish it; try others (drop *sharp*, or write *with sharp "
                  "ears*).")
    else:
        text += _(" So those words alone do not explain the misreading.")
    return Markdown("<details><summary>" + _("Discussion (open after the check passes)")
                    + f"</summary>\n\n{text}\n</details>")


# --- 03 RNN, LSTM, GRU ---
# (checks for notebook 03's exercises go here)

def _is_whole_number(value: object) -> bool:
    import numpy as np

    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _lstm_count(V: int, E: int, H: int, layers: int, bidirectional: bool = False, biases: int = 2, blocks: int = 4,
                second_reads_embedding=False, head: bool = True, head_bias: bool = True, embedding: bool = True,
                one_direction: bool = False, deeper_reads_one: bool = False, head_reads_one: bool = False,
                biases_once: bool = False) -> int:
    """CharLM's LSTM parameter count, or the count a given mistake produces (biases_once: one direction's)."""
    directions = 2 if bidirectional and not one_direction else 1
    out = 2 * H if bidirectional else H  # what a layer hands on: both directions' h, side by side
    total = V * E if embedding else 0
    for layer in range(layers):
        width = E if layer == 0 or second_reads_embedding else (H if deeper_reads_one else out)
        total += directions * (blocks * H * width + blocks * H * H)
        total += (1 if biases_once else directions) * biases * blocks * H
    if head:
        width = H if head_reads_one else out
        total += width * V + (V if head_bias else 0)
    return total


@contextlib.contextmanager
def _refused(targets, error):
    """While inside, calling any (owner, attribute) of `targets` raises error() (each is restored after)."""
    def refuse(*args, **kwargs):
        raise error()

    with contextlib.ExitStack() as stack:
        for owner, attribute in targets:
            stack.enter_context(mock.patch.object(owner, attribute, refuse))
        yield


LSTM_SIZES_03 = ((54, 32, 128, 2, False), (10, 8, 16, 1, False), (20, 16, 8, 3, False), (7, 5, 12, 2, False),
                 (10, 8, 16, 1, True), (20, 16, 8, 3, True), (7, 5, 12, 2, True))


@contextlib.contextmanager
def _models_refused(name: str):
    """While the learner's count runs, building a CharLM or any recurrent layer or cell raises: work it out."""
    from torch import nn

    from helpers.rnn import CharLM

    owners = (CharLM, nn.LSTM, nn.RNNBase, nn.LSTMCell, nn.modules.rnn.RNNCellBase)
    with _refused([(owner, "__init__") for owner in owners], lambda: ExerciseError(
            "✘ " + headed(name) + _("count from the sizes, without building the model or its layers (CharLM, nn.LSTM, "
                              "nn.LSTMCell, nn.RNNBase): the exercise is the arithmetic that count_parameters "
                              "does for you"))):
        yield


def check_03_lstm_parameters(lstm_parameters) -> None:
    """Exercise 1: lstm_parameters(vocab_size, embed_size, hidden_size, num_layers, bidirectional) counts CharLM's."""
    from helpers.recurrent import count_parameters
    from helpers.rnn import CharLM

    name = _("Exercise 1")
    require(name, callable(lstm_parameters), _("define the function lstm_parameters(vocab_size, embed_size, "
                                               "hidden_size, num_layers, bidirectional)"))
    mistakes = {  # in order: a bidirectional count with one direction's biases also equals biases=1's
        _("the second direction has its own b_ih and b_hh: count the biases for each direction"):
            dict(biases_once=True),
        _("one bias vector per gate block and layer is missing: PyTorch keeps two, b_ih and b_hh"): dict(biases=1),
        _("the biases are missing: each layer has b_ih and b_hh, 4 * hidden each"): dict(biases=0),
        _("that counts 3 weight blocks per layer (a GRU): an LSTM has 4, i, f, g and o"): dict(blocks=3),
        _("the layers after the first read the previous layer's output, not the embedding"):
            dict(second_reads_embedding=True),
        _("the linear head (its output -> vocabulary, with its bias) is missing"): dict(head=False),
        _("the head's bias (one per vocabulary character) is missing"): dict(head_bias=False),
        _("the embedding table (vocabulary x embed_size) is missing"): dict(embedding=False),
        _("a bidirectional layer has two directions, each with its own weights and biases"):
            dict(one_direction=True),
        _("in a bidirectional stack, the layers after the first read both directions' h (2 * hidden wide)"):
            dict(deeper_reads_one=True),
        _("a bidirectional model's head reads both directions' h (2 * hidden wide)"): dict(head_reads_one=True),
    }
    two_way_only = {"one_direction", "deeper_reads_one", "head_reads_one", "biases_once"}  # a bidirectional model's
    for V, E, H, layers, two_way in LSTM_SIZES_03:
        with _models_refused(name):
            answer = lstm_parameters(V, E, H, layers, two_way)
        answered(name, answer, _("lstm_parameters returned None: return the count"))
        require(name, _is_whole_number(answer),
                _("return a whole number (an int), not {type}").format(type=type(answer).__name__))
        truth = count_parameters(CharLM(V, H, "lstm", embed_size=E, num_layers=layers, bidirectional=two_way))
        if answer == truth:
            continue
        if layers > 1 and answer == _lstm_count(V, E, H, 1, two_way):
            require(name, False, _("with num_layers={layers} you counted one layer: every layer has its own "
                                   "weights").format(layers=layers))
        for message, mistake in mistakes.items():
            if two_way_only & set(mistake) and not two_way:
                continue
            require(name, answer != _lstm_count(V, E, H, layers, two_way, **mistake), message)
        off = (_("for vocab_size={V}, embed_size={E}, hidden_size={H}, num_layers={layers}, "
                 "bidirectional={two_way} the count is too high; count layer by layer") if answer > truth else
               _("for vocab_size={V}, embed_size={E}, hidden_size={H}, num_layers={layers}, "
                 "bidirectional={two_way} the count is too low; count layer by layer"))
        require(name, False, off.format(V=V, E=E, H=H, layers=layers, two_way=two_way))
    passed(name, _("the counts match CharLM's for {count} sizes, one- and two-way").format(count=len(LSTM_SIZES_03)))


@contextlib.contextmanager
def _ready_made_loss_refused(name: str):
    """While inside, PyTorch's cross-entropy and NLL losses refuse, by whatever name or route they are reached."""
    from torch import nn
    from torch.nn import functional as F
    from torch.overrides import TorchFunctionMode

    def error() -> ExerciseError:
        return ExerciseError("✘ " + headed(name) + _("write the loss from log_softmax, without F.cross_entropy or "
                                               "F.nll_loss (nn.CrossEntropyLoss and nn.NLLLoss call them)"))

    class NoReadyMadeLoss(TorchFunctionMode):
        """Refuses every torch function named like cross_entropy or nll_loss (nll_loss_nd, nll_loss2d...)."""

        def __torch_function__(self, func, types, args=(), kwargs=None):
            called = str(getattr(func, "__name__", "")).lower()
            if "cross_entropy" in called or "nll_loss" in called:
                raise error()
            return func(*args, **(kwargs or {}))

    ready_made = ((F, "cross_entropy"), (F, "nll_loss"), (nn.CrossEntropyLoss, "forward"), (nn.NLLLoss, "forward"))
    with _refused(ready_made, error), NoReadyMadeLoss():
        yield


def check_03_bits_per_character(bits_per_character) -> None:
    """Exercise 2: bits_per_character(logits [batch, steps, vocab], targets [batch, steps]), a trainable loss."""
    import math

    import torch
    from torch.nn import functional as F

    name = _("Exercise 2")
    require(name, callable(bits_per_character), _("define the function bits_per_character(logits, targets)"))
    generator = torch.Generator().manual_seed(3)
    logits = (2 * torch.randn(3, 7, 11, generator=generator)).requires_grad_()
    targets = torch.randint(0, 11, (3, 7), generator=generator)
    nats = F.cross_entropy(logits.flatten(0, 1), targets.flatten(), reduction="none")
    truth = nats.mean() / math.log(2)
    try:
        with _ready_made_loss_refused(name):
            answer = bits_per_character(logits, targets)
    except (RuntimeError, ValueError, IndexError) as error:  # most often a gather or index of the wrong shape
        raise ExerciseError("✘ " + headed(name) + _(
            "bits_per_character raised {error_type}: {error}. The scores are [batch, steps, vocab] and the targets "
            "[batch, steps]: take log_softmax over the last dimension and pick each target's entry there (gather "
            "wants an index with the same number of dimensions: targets.unsqueeze(-1))").format(
                error_type=type(error).__name__, error=error)) from None
    answered(name, answer, _("bits_per_character returned None: return the loss"))
    got = (type(answer).__name__ if not isinstance(answer, torch.Tensor)
           else _("shape {shape}").format(shape=tuple(answer.shape)))
    require(name, isinstance(answer, torch.Tensor) and answer.dim() == 0,
            _("return a 0-dimensional tensor (one number for the whole batch), not {got}").format(got=got))
    value = answer.item()
    picked = logits.log_softmax(-1).gather(-1, targets.unsqueeze(-1))
    wrong_dimension = _("log_softmax ran over the wrong dimension: normalise over the vocabulary, the last one")
    known = [
        (_("that is in nats (natural log): divide the cross-entropy by ln 2 to get bits"), nats.mean()),
        (_("that is in base 10: bits are base 2, cross-entropy (nats) / ln 2"), nats.mean() / math.log(10)),
        (_("that multiplies by ln 2: bits are the cross-entropy (nats) DIVIDED by ln 2"),
         nats.mean() * math.log(2)),
        (_("that is a sum over all characters: bits per character is the mean"), nats.sum() / math.log(2)),
        (_("that adds up each row's characters: average over every character of the batch"),
         nats.view(3, 7).sum(1).mean() / math.log(2)),
        (_("that also divides by the vocabulary size: average over the (row, step) pairs only"),
         -picked.sum() / picked.numel() / logits.shape[-1] / math.log(2)),
        (_("softmax was applied twice: log_softmax takes raw scores (logits), not probabilities"),
         F.cross_entropy(logits.softmax(-1).flatten(0, 1), targets.flatten()) / math.log(2)),
        (_("the raw scores are not log-probabilities: normalise them with log_softmax first"),
         -logits.gather(-1, targets.unsqueeze(-1)).mean() / math.log(2)),
        (_("the scores minus their maximum are not log-probabilities yet: subtract the log-sum-exp (log_softmax)"),
         -(logits - logits.amax(-1, keepdim=True)).gather(-1, targets.unsqueeze(-1)).mean() / math.log(2)),
        (_("the sign is wrong: a character costs -log2 p bits, a positive number"), -nats.mean() / math.log(2)),
        (_("that averages every character's log-probability: pick only each step's target"),
         -logits.log_softmax(-1).mean() / math.log(2)),
        (wrong_dimension, -logits.log_softmax(1).gather(-1, targets.unsqueeze(-1)).mean() / math.log(2)),
        (wrong_dimension, -logits.log_softmax(0).gather(-1, targets.unsqueeze(-1)).mean() / math.log(2)),
    ]
    for message, wrong in known:
        require(name, not math.isclose(value, wrong.item(), rel_tol=1e-5), message)
    require(name, math.isclose(value, truth.item(), rel_tol=1e-5),
            _("the value differs from the mean cross-entropy in bits of every (row, step) against its target; "
              "did each step's scores meet the target of the same step?"))
    require(name, answer.requires_grad, _("the result is cut from the graph (.item(), .detach() or torch.no_grad): "
                                          "a loss must let back-propagation reach the logits"))
    mine = torch.autograd.grad(answer, logits, allow_unused=True)[0]
    require(name, mine is not None, _("the result is cut from the graph (a new tensor made from its value): a "
                                      "loss must let back-propagation reach the logits"))
    reference = torch.autograd.grad(truth, logits)[0]
    require(name, torch.allclose(mine, reference, atol=1e-6), _("the gradient with respect to the logits is wrong"))
    extreme = 100 * torch.randn(3, 7, 11, generator=generator)  # large scores: softmax underflows to 0
    with _ready_made_loss_refused(name), torch.no_grad():
        steep = bits_per_character(extreme, targets)
    steep_truth = F.cross_entropy(extreme.flatten(0, 1), targets.flatten()) / math.log(2)
    require(name, isinstance(steep, torch.Tensor) and bool(torch.isfinite(steep))
            and math.isclose(steep.item(), steep_truth.item(), rel_tol=1e-4),
            _("take log_softmax, not log(softmax): softmax underflows to 0 for large scores"))
    passed(name, _("{value:.4f} bits per character, and the gradient reaches the logits").format(value=value))


def _gru_reference(gru, x, h, variant: str = ""):
    """One GRU step from nn.GRU's weights, PyTorch's way or with a named mistake."""
    import torch

    gi = x @ gru.weight_ih_l0.T + gru.bias_ih_l0
    W_hr, W_hz, W_hn = gru.weight_hh_l0.chunk(3)
    b_hr, b_hz, b_hn = gru.bias_hh_l0.chunk(3)
    i_r, i_z, i_n = gi.chunk(3, dim=1)
    if variant == "swapped gates":
        i_r, i_z, W_hr, W_hz, b_hr, b_hz = i_z, i_r, W_hz, W_hr, b_hz, b_hr
    r = torch.sigmoid(i_r + h @ W_hr.T + b_hr)
    z = torch.sigmoid(i_z + h @ W_hz.T + b_hz)
    if variant == "reset before product":
        n = torch.tanh(i_n + (r * h) @ W_hn.T + b_hn)
    elif variant == "bias outside reset":
        n = torch.tanh(i_n + r * (h @ W_hn.T) + b_hn)
    else:
        n = torch.tanh(i_n + r * (h @ W_hn.T + b_hn))
    if variant == "swapped blend":
        return z * n + (1 - z) * h
    return (1 - z) * n + z * h


def _compiled_callees(function) -> list[str]:
    """Names of TorchScript or torch.compile'd callables that `function` reaches through its globals or closure."""
    import torch

    def compiled(value) -> bool:
        return isinstance(value, (torch.jit.ScriptFunction, torch.jit.ScriptModule)) or hasattr(
            value, "_torchdynamo_orig_callable")

    code = getattr(function, "__code__", None)
    if code is None:
        return [getattr(function, "__name__", type(function).__name__)] if compiled(function) else []
    names, codes = set(), [code]
    while codes:
        current = codes.pop()
        names.update(current.co_names)
        codes.extend(c for c in current.co_consts if hasattr(c, "co_names"))
    reached = [function.__globals__.get(n) for n in names]
    reached += [cell.cell_contents for cell in function.__closure__ or () if cell.cell_contents is not None]
    return [getattr(v, "__name__", type(v).__name__) for v in reached if compiled(v)]


@contextlib.contextmanager
def _library_gru_blocked(name: str):
    """While the learner's gru_step runs, PyTorch's own GRU step refuses, by any name it is reached through."""
    import torch
    from torch import nn
    from torch.overrides import TorchFunctionMode

    def error() -> ExerciseError:
        return ExerciseError("✘ " + headed(name) + _("compute the step from gru's weights; calling gru(...), "
                                               "nn.GRU.forward, nn.GRUCell or torch.gru_cell (by any route: "
                                               "torch._VF, torch.ops.aten, TorchScript) is what the exercise "
                                               "replaces"))

    class NoLibraryGRU(TorchFunctionMode):
        """Refuses every torch function whose name holds 'gru' (gru_cell, gru, quantized_gru...), however reached."""

        def __torch_function__(self, func, types, args=(), kwargs=None):
            if "gru" in str(getattr(func, "__name__", "")).lower():
                raise error()
            return func(*args, **(kwargs or {}))

    targets = ((nn.GRU, "forward"), (nn.GRUCell, "forward"), (torch, "gru_cell"), (torch, "gru"),
               (torch._VF, "gru_cell"), (torch._VF, "gru"),
               (torch.jit, "script"), (torch.jit, "trace"), (torch, "compile"))
    with _refused(targets, error), NoLibraryGRU():
        yield


def check_03_gru_step(gru_step) -> None:
    """Exercise 3: gru_step(gru, x, h) computes one step of a one-layer nn.GRU by hand, as PyTorch does."""
    import torch
    from torch import nn

    name = _("Exercise 3")
    require(name, callable(gru_step), _("define the function gru_step(gru, x, h)"))

    class WeightsOnlyGRU(nn.GRU):
        """An nn.GRU that refuses to run itself: the exercise computes the step from its weights."""

        def forward(self, *args, **kwargs):
            raise ExerciseError("✘ " + headed(name) + _("compute the step from gru's weights; calling gru(...) or "
                                                  "gru.forward(...) is what the exercise replaces"))

    generator = torch.Generator().manual_seed(5)
    gru = WeightsOnlyGRU(4, 6, batch_first=True)
    with torch.no_grad():
        for weight in gru.parameters():  # biases too, so that a misplaced bias shows
            weight.copy_(torch.randn(weight.shape, generator=generator))
    x, h = torch.randn(3, 4, generator=generator), 0.8 * torch.randn(3, 6, generator=generator)
    require(name, not _compiled_callees(gru_step), _("compute the step in plain PyTorch: a TorchScript or "
                                                      "torch.compile'd function runs PyTorch's GRU out of sight"))
    with torch.no_grad():  # before the learner's step, so that an in-place update of h does not move the truth
        truth = nn.GRU.forward(gru, x.unsqueeze(1), h.unsqueeze(0))[1][0]
        references = {variant: _gru_reference(gru, x, h, variant) for variant in
                      ("reset before product", "bias outside reset", "swapped blend", "swapped gates")}
    with torch.no_grad(), _library_gru_blocked(name):
        try:
            answer = gru_step(gru, x.clone(), h.clone())
        except RuntimeError as error:  # most often a matrix product of the wrong shapes
            raise ExerciseError("✘ " + headed(name) + _("gru_step raised {error}. weight_ih_l0 is [3 * hidden, input] "
                                                  "and weight_hh_l0 [3 * hidden, hidden]: multiply by their "
                                                  "transpose, x @ W.T").format(error=error)) from None
    with torch.no_grad():
        answered(name, answer, _("gru_step returned None: return the new state h_t"))
        got = tuple(answer.shape) if isinstance(answer, torch.Tensor) else type(answer).__name__
        require(name, isinstance(answer, torch.Tensor) and tuple(answer.shape) == (3, 6),
                _("return h_t as a tensor [batch, hidden] = (3, 6), got {got}").format(got=got))
        for variant, message in [
            ("reset before product", _("the reset gate multiplies h before the matrix product (Cho et al.'s "
                                       "form); PyTorch multiplies r with (W_hn h + b_hn), after it")),
            ("bias outside reset", _("b_hn sits inside the reset gate's product: r * (W_hn h + b_hn)")),
            ("swapped blend", _("the blend is the wrong way round: z keeps the OLD state, (1 - z) lets in the "
                                "candidate")),
            ("swapped gates", _("the gate order is wrong: PyTorch stacks the blocks as r, z, n")),
        ]:
            require(name, not torch.allclose(answer, references[variant], atol=1e-5), message)
        require(name, torch.allclose(answer, truth, atol=1e-5),
                _("h_t differs from nn.GRU's; check each gate's nonlinearity, weights and biases (weight_ih_l0 and "
                  "weight_hh_l0 stack r, z, n; both biases are used)"))
    passed(name, _("your step matches nn.GRU's on random weights, inputs and states"))


def _same_state(a, b) -> bool:
    """Whether two recurrent states (h, or the LSTM's pair (h, c)) hold the same numbers."""
    import torch

    if isinstance(a, tuple) != isinstance(b, tuple):
        return False
    pairs = zip(a, b) if isinstance(a, tuple) else [(a, b)]
    return all(isinstance(x, torch.Tensor) and x.shape == y.shape and torch.equal(x.cpu(), y.cpu()) for x, y in pairs)


def _state_recorder(model):
    """`model` wrapped so that every call's input, the state given and the scores and state returned are recorded."""
    from torch import nn

    class StateRecorder(nn.Module):
        def __init__(self):
            super().__init__()
            self.model, self.calls = model, []

        def forward(self, tokens, state=None):
            logits, new_state = self.model(tokens, state)
            self.calls.append((tokens.detach().cpu(), state, logits.detach().cpu(), new_state))
            return logits, new_state

        def __getattr__(self, attribute):
            try:
                return super().__getattr__(attribute)
            except AttributeError:
                return getattr(super().__getattr__("model"), attribute)

    return StateRecorder()


@contextlib.contextmanager
def _sampling_refused(name: str):
    """While the learner's greedy runs, drawing at random (torch.multinomial, Categorical, random) raises."""
    import random

    import numpy as np
    import torch

    targets = ((torch, "multinomial"), (torch.Tensor, "multinomial"), (random, "choices"),
               (torch.distributions.Categorical, "sample"), (np.random, "choice"), (random, "choice"))
    with _refused(targets, lambda: ExerciseError(
            "✘ " + headed(name) + _("greedy decoding draws nothing at random: take the argmax of the last step's "
                              "scores, no sampling, no temperature"))):
        yield


def _check_03_calls(name: str, calls, prompt_ids, mine_ids, length: int) -> None:
    """Exercise 4's calls: the prompt once, then one character per call with the state the last call returned."""
    require(name, len(calls) > 0, _("call model(ids) to get the scores (not its parts, model.body or model.head)"))
    first = calls[0][0]
    require(name, tuple(first.shape) == (1, len(prompt_ids)) and first[0].tolist() == prompt_ids,
            _("the first call must read the whole prompt once: model(ids) with ids of shape [1, len(prompt)]"))
    require(name, len(calls) in (length, length + 1),
            _("read the prompt once, then one call per new character: {length} new characters need {length} or "
              "{more} calls of the model, yours made {made}").format(length=length, more=length + 1,
                                                                     made=len(calls)))
    for step, ((*_read, logits, state), (tokens, given, *_returned)) in enumerate(zip(calls, calls[1:]), start=1):
        require(name, tuple(tokens.shape) == (1, 1),
                _("after the prompt, feed only the one new character, ids of shape [1, 1] (call {call} got "
                  "shape {shape}): the state carries everything read before").format(call=step + 1,
                                                                                    shape=tuple(tokens.shape)))
        require(name, given is not None, _("each step starts from an empty memory: pass the state returned by the "
                                           "model back in with the next character"))
        if isinstance(state, tuple) and isinstance(given, tuple) and len(given) == 2 and _same_state(given[0],
                                                                                                    state[0]):
            require(name, _same_state(given[1], state[1]), _("the LSTM's cell state c was dropped or replaced: "
                                                             "its state is the pair (h, c), pass both back"))
        require(name, _same_state(given, state), _("pass back exactly the state the previous call returned "
                                                   "(for an LSTM the pair (h, c)), not another one"))
        require(name, int(tokens[0, 0]) == int(logits[0, -1].argmax()),
                _("character {step} is not the most likely one after the LAST step's scores: greedy takes the "
                  "argmax of logits[0, -1], no sampling, no temperature").format(step=step))
    require(name, mine_ids[:len(calls) - 1] == [int(c[0][0, 0]) for c in calls[1:]],
            _("the returned text is not the characters you fed back to the model, in order"))
    require(name, mine_ids[-1] == int(calls[length - 1][2][0, -1].argmax()),
            _("the last character is not the most likely one after the LAST step's scores"))


def check_03_greedy(greedy, model, vocab, prompts=("the government ", "prime minister ", "a")) -> None:
    """Exercise 4: greedy(model, vocab, prompt, length) carries the state and appends the top character."""
    import torch

    from helpers.rnn import CharLM

    name = _("Exercise 4")
    require(name, callable(greedy), _("define the function greedy(model, vocab, prompt, length)"))
    model = copy.deepcopy(model).cpu()  # a CPU copy: the learner's ids are made on the CPU
    lstm = CharLM(len(vocab), 16, "lstm", num_layers=2, seed=0)  # an untrained LSTM too, so that a lost c shows
    with torch.no_grad():
        for weight in lstm.parameters():
            weight.mul_(8)  # large weights: its greedy text varies, so a character out of step shows
    length = 40
    for checked in (model, lstm):
        for prompt in prompts:
            recorder = _state_recorder(checked)
            try:
                with _sampling_refused(name):
                    mine = greedy(recorder, vocab, prompt, length)
            except (RuntimeError, TypeError, ValueError, IndexError):
                if checked is not lstm:
                    raise
                raise ExerciseError("✘ " + headed(name) + _("your greedy fails on an LSTM, whose state is the pair "
                                                      "(h, c): pass back the whole state the model returned, not "
                                                      "only h")) from None
            answered(name, mine, _("greedy returned None: return the prompt followed by the new characters"))
            require(name, isinstance(mine, str),
                    _("greedy must return a string, not {type}").format(type=type(mine).__name__))
            require(name, mine.startswith(prompt), _("return the prompt followed by the new characters"))
            new = len(mine) - len(prompt)
            require(name, len(mine) == len(prompt) + length,
                    _("asked for {length} new characters, got {new}").format(length=length, new=new))
            _check_03_calls(name, recorder.calls, vocab.encode(prompt).tolist(),
                            vocab.encode(mine[len(prompt):]).tolist(), length)
    passed(name, _("greedy decoding carries the state and takes the top character, on {count} prompts, "
                   "with your model and with an LSTM").format(count=len(prompts)))


# --- 04 gradients ---
# (checks for notebook 04's exercises go here)


def _hand_probe_04(model, inputs, targets, transpose=True, second_bias=True, squash=True, fresh=False,
                   first_bias=True, summed=False, shift=0, ih_transpose=True, start=0.0):
    """dL/dh_t with the tanh step written out from nn.RNN's weights; the flags make the usual mistakes."""
    import torch

    rnn = model.body.rnn
    w_ih = rnn.weight_ih_l0 if ih_transpose else rnn.weight_ih_l0.T
    w_hh = rnn.weight_hh_l0 if transpose else rnn.weight_hh_l0.T
    x = model.body.embed(inputs)
    h = start * torch.randn(x.shape[0], rnn.hidden_size) if start else x.new_zeros(x.shape[0], rnn.hidden_size)
    kept = []
    for t in range(x.shape[1]):
        a = (x[:, t + shift] @ w_ih.T + (rnn.bias_ih_l0 if first_bias else 0) + (0 if fresh else h @ w_hh.T)
             + (rnn.bias_hh_l0 if second_bias else 0))
        h = torch.tanh(a) if squash else a
        kept.append(h)
    loss = torch.nn.functional.cross_entropy(model.head(h), targets, reduction="sum" if summed else "mean")
    return torch.autograd.grad(loss, kept, allow_unused=True, materialize_grads=True)


def check_04_gradient_probe(probe) -> None:
    """Exercise 04-1: probe(model, inputs, targets) returns dL/dh_t for t = 1..T of a one-layer RNN classifier."""
    import re

    import numpy as np
    import torch

    from helpers.gradients import first_token_batch, make_model, step_gradients

    ex = _("Exercise 1")
    model = make_model("rnn", hidden_size=8, seed=3)
    x, y = first_token_batch(16, 12, generator=torch.Generator().manual_seed(5))
    expected = [g.reshape(16, 8) for g in step_gradients(model, x, y)]  # [batch, hidden] at each step
    try:
        grads = probe(model, x, y)
    except RuntimeError as error:
        if "not have been used in the graph" in str(error) or "does not require grad" in str(error):
            raise ExerciseError("✘ " + headed(ex) + _(
                "autograd says one of your kept states is not on the path to the loss: the state you keep must be "
                "the very tensor the next step reads (not a detached copy, not the output sequence, not a fresh zero "
                "state)")) from None
        hidden = model.body.rnn.hidden_size
        shapes = re.search(r"\((\d+)x(\d+) and (\d+)x(\d+)\)", str(error))  # mat1 and mat2's sizes
        sizes = [int(n) for n in shapes.groups()] if shapes else []
        if sizes and sizes[2:] == [hidden, hidden] and sizes[1] != hidden:  # a state of the wrong size meets W_hh
            raise ExerciseError("✘ " + headed(ex) + _(
                "a matrix product's shapes do not fit ({error}): the state has {hidden} numbers in this check's "
                "model; size h_0 from the model (model.body.rnn.hidden_size), not by a number written in").format(
                error=error, hidden=hidden)) from None
        if "cannot be multiplied" in str(error):
            raise ExerciseError("✘ " + headed(ex) + _(
                "a matrix product's shapes do not fit ({error}): a batch holds its vectors as rows, [batch, "
                "features], so a weight matrix stored as [out, in] must be transposed before it meets them").format(
                error=error)) from None
        if "must match the size of tensor" in str(error):
            raise ExerciseError("✘ " + headed(ex) + _(
                "two tensors' sizes do not fit ({error}): x is [batch, time], so the tokens of step t are "
                "x[:, t - 1], a column, not the row x[t - 1]").format(error=error)) from None
        raise
    except IndexError as error:
        raise ExerciseError("✘ " + headed(ex) + _(
            "an index runs past the sequence ({error}): x holds T steps at Python indices 0..T-1, while the maths "
            "counts t = 1..T").format(error=error)) from None
    answered(ex, grads, _("your function returns None: return the gradients, one tensor per time step"))
    grads = list(grads)
    require(ex, len(grads) == len(expected),
            _("expected {expected} gradients (one per time step t = 1..{expected}), got {got}").format(
                expected=len(expected), got=len(grads)))
    shapes = {tuple(g.shape) if isinstance(g, torch.Tensor) else type(g).__name__ for g in grads}
    require(ex, all(isinstance(g, torch.Tensor) and g.numel() == 16 * 8 for g in grads),
            _("each gradient must be a tensor shaped like the state h_t ([batch, hidden] = [16, 8]), got {shapes}: "
              "the gradient with respect to h_t itself, not its norm or another tensor's").format(
                shapes=sorted(map(str, shapes))))
    # a float64 answer is as right as a float32 one: compare both in the reference's dtype
    grads = [g.detach().to(expected[0].dtype).reshape(16, 8) for g in grads]
    norms = np.array([float(g.norm()) for g in grads])
    require(ex, not np.all(norms[:-1] == 0),
            _("every gradient before t = T is zero: the loss does not reach the earlier states through the "
              "recurrence. Keep each state h_t that the next step consumes, and feed it (not a detached copy, not a "
              "fresh zero state) into the next step; retain_grad on the output sequence has the same flaw"))

    def close(mine: list, reference: list = expected) -> bool:
        return all(torch.allclose(g, e.reshape(16, 8), rtol=1e-3, atol=1e-9) for g, e in zip(mine, reference))

    require(ex, not close(grads[::-1]), _("the gradients are in reverse order: return them for t = 1 first"))
    require(ex, not close([-g for g in grads]),
            _("every gradient has the wrong sign: differentiate the loss itself (not minus the loss)"))
    two_biases = _("a bias is missing: nn.RNN adds both bias_ih_l0 and bias_hh_l0")
    mistakes = [({"transpose": False}, _("W_hh is used untransposed: nn.RNN computes h_{t-1} @ weight_hh_l0.T")),
                ({"second_bias": False}, two_biases),
                ({"first_bias": False}, two_biases),
                ({"summed": True}, _("the loss is summed over the batch: use the mean cross-entropy (the default)")),
                ({"squash": False}, _("the step has no tanh: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)")),
                ({"fresh": True}, _("each step starts from a zero state: feed h_{t-1}, the state the previous step "
                                    "returned, into the next step")),
                ({"shift": -1}, _("each step reads its neighbour's input (the first step reads the last token): "
                                  "step t = 1..T of the maths is Python index t - 1 of x"))]
    if not close(grads):
        for kwargs, message in mistakes:
            require(ex, not close(grads, _hand_probe_04(model, x, y, **kwargs)), message)
    matches = [torch.allclose(g, e, rtol=1e-3, atol=1e-9) for g, e in zip(grads, expected)]
    require(ex, all(matches), _(
        "the gradients differ from dL/dh_t (first at t = {t}): compare your step with h_t = tanh(x_t W_ih^T + b_ih + "
        "h_{{t-1}} W_hh^T + b_hh) from h_0 = 0, the states you keep (the h_t the next step reads), and the loss: the "
        "mean cross-entropy of model.head on the last state only").format(t=(matches + [False]).index(False) + 1))
    try:
        with _rnn_refused_04():  # PyTorch's tanh RNN, by any of its routes, raises while the probe runs again
            again = probe(model, x, y)
    except _CalledRNN04:
        raise ExerciseError("✘ " + headed(ex) + _(
            "your function runs PyTorch's RNN (model.body.rnn, model(...), model.body(...), nn.RNNCell, "
            "torch.rnn_tanh or rnn_tanh_cell, or a helper such as step_gradients that does): write the tanh step "
            "yourself from rnn's weights, as the exercise asks")) from None
    require(ex, close([g.detach().to(expected[0].dtype).reshape(16, 8) for g in again]),
            _("your function gives different gradients when run a second time on the same model: does it keep "
              "state between calls?"))
    still = _still_model_04(model)
    require(ex, close([g.detach().to(expected[0].dtype).reshape(16, 8) for g in probe(still, x, y)],
                      [g.reshape(16, 8) for g in step_gradients(still, x, y)]),
            _("your gradients differ on a model whose embeddings and biases are zero, where every state stays "
              "exactly 0 if h_0 = 0: is your h_0 zero? Start from zeros shaped [batch, hidden], not a random or "
              "constant state"))
    passed(ex, _("your hand-written step gives dL/dh_t at every time step, the same as "
                 "helpers.gradients.step_gradients"))


def _still_model_04(model: torch.nn.Module) -> torch.nn.Module:
    """A copy of `model` whose states stay exactly 0 from h_0 = 0 (zero embeddings and biases), W_hh = 2 x Q."""
    import torch

    still = copy.deepcopy(model)
    rnn = still.body.rnn
    with torch.no_grad():
        for weight in (still.body.embed.weight, rnn.bias_ih_l0, rnn.bias_hh_l0):
            weight.zero_()
        torch.nn.init.orthogonal_(rnn.weight_hh_l0, generator=torch.Generator().manual_seed(0))
        rnn.weight_hh_l0.mul_(2.0)  # a state that is not 0 doubles every step, into tanh's flat tails
    return still


class _CalledRNN04(Exception):
    """Raised when an Exercise 1 answer runs nn.RNN instead of its own step."""


@contextlib.contextmanager
def _rnn_refused_04():
    """While inside, running PyTorch's tanh RNN (nn.RNN, nn.RNNCell, the rnn_tanh functions) raises _CalledRNN04."""
    import torch

    targets = [(torch.nn.RNN, "forward"), (torch.nn.RNNCell, "forward")]
    for name in _RNN_FUNCTIONS_04:  # torch.rnn_tanh, torch._VF.rnn_tanh, torch.ops.aten.rnn_tanh(.input), ...
        packet = getattr(torch.ops.aten, name)
        targets += [(torch, name), (torch._VF, name), (packet, "_op")]
        targets += [(getattr(packet, overload), "_op") for overload in packet.overloads()]
    with _refused(targets, _CalledRNN04), _rnn_function_mode_04():
        yield


_RNN_FUNCTIONS_04 = ("rnn_tanh", "rnn_tanh_cell")


def _rnn_function_mode_04():
    """A torch function mode refusing the rnn_tanh functions by any route (the read-only torch._C one too)."""
    from torch.overrides import TorchFunctionMode

    class RefuseRNNFunctions(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            if getattr(func, "__name__", "").split(".")[0] in _RNN_FUNCTIONS_04:
                raise _CalledRNN04
            return func(*args, **(kwargs or {}))

    return RefuseRNNFunctions()


def _backward_factor_04(w_hh, grad_T, steps, transpose=True, extra=0, per_step=True, back=True):
    """The k-th-root factor of a linear RNN's gradient; the flags make the usual mistakes."""
    import torch

    g = grad_T
    for _step in range(steps + extra):
        g = (w_hh.T if transpose else w_hh) @ g
    ratio = float(torch.linalg.vector_norm(g) / torch.linalg.vector_norm(grad_T))
    ratio = ratio if back else 1 / ratio
    return ratio ** (1 / steps) if per_step else ratio


def slope_matrices_04():
    """Exercise 04-2's inputs: a random orthogonal Q, an upper-triangular (not normal) matrix with every eigenvalue
    0.6, and the starting gradient grad_T."""
    import torch

    gen = torch.Generator().manual_seed(4)
    q = torch.linalg.qr(torch.randn(16, 16, generator=gen)).Q
    skew = 0.6 * torch.eye(16) + 0.8 * torch.triu(torch.randn(16, 16, generator=gen), diagonal=1)  # not normal
    return q, skew, torch.randn(16, generator=gen)


def check_04_slope(backward_factor) -> None:
    """Exercise 04-2: backward_factor(w_hh, grad_T, steps) measures the k-th-root factor of a linear RNN's gradient."""
    import numpy as np
    import torch

    ex = _("Exercise 2")
    _function(ex, backward_factor, "backward_factor")
    q, skew, grad = slope_matrices_04()
    cases = [(0.7 * q, 30), (1.3 * q, 30), (skew, 5)]
    mine = []
    for w, steps in cases:
        given_w, given_grad = w.clone(), grad.clone()  # the answer's own copies: an in-place change shows
        value = backward_factor(given_w, given_grad, steps)
        require(ex, torch.equal(given_grad, grad),
                _("your function changed grad_T in place (an in-place operation such as grad_T[:] = ..., "
                  "grad_T.copy_(...) or grad_T.mul_(...)): the caller's gradient is overwritten; compute each step "
                  "into a new tensor, g = w_hh.T @ g, starting from g = grad_T"))
        require(ex, torch.equal(given_w, w),
                _("your function changed w_hh in place: the caller's weights are overwritten; leave w_hh as it is "
                  "and apply w_hh.T to the gradient"))
        answered(ex, value, _("your function returns None: return the measured k-th-root factor (a number)"))
        number = (int, float, np.floating, np.integer, torch.Tensor)
        require(ex, isinstance(value, number) and not isinstance(value, bool),
                _("return a number, got {type}").format(type=type(value).__name__))
        mine.append(float(value))

    def matches(**kwargs) -> bool:
        return all(abs(m - _backward_factor_04(w, grad, k, **kwargs)) <= 1e-3 * abs(m) + 1e-9
                   for m, (w, k) in zip(mine, cases))

    require(ex, abs(mine[0] - mine[1]) > 1e-3,
            _("you return the same factor for 0.7 x and 1.3 x an orthogonal matrix: measure it from w_hh, "
              "do not type a number"))
    if not matches():
        for kwargs, message in [
                ({"back": False}, _("that is how much the norm GROWS per step going forward (towards t = T); "
                                    "the factor per step BACK is the norm after the steps back divided by the norm "
                                    "at T")),
                ({"per_step": False}, _("that is the change over all the steps together: take the steps-th root "
                                        "to get the factor per step")),
                ({"transpose": False}, _("each step back multiplies the gradient by W_hh TRANSPOSED (dh_t/dh_{t-1} = "
                                         "W_hh, and the chain rule applies its transpose); the two differ for a "
                                         "matrix that is not normal")),
                ({"extra": 1}, _("one step back too many: from grad_T, apply W_hh^T exactly `steps` times")),
                ({"extra": -1}, _("one step back too few: from grad_T, apply W_hh^T exactly `steps` times"))]:
            require(ex, not matches(**kwargs), message)
    require(ex, matches(), _("not the measured factor: apply W_hh^T `steps` times to grad_T and take "
                             "(||g after the steps|| / ||grad_T||) ** (1 / steps); a formula from the eigenvalues or "
                             "the norm of W_hh is not the measurement"))
    passed(ex, _("you measured {low:.3f} per step back for 0.7 x orthogonal and {high:.3f} for 1.3 x orthogonal (the "
                 "spectral radius, as section 3 found), but {skew:.2f} over 5 steps for the triangular matrix whose "
                 "eigenvalues are all 0.6: for a matrix that is not normal, rho alone gives the wrong factor over "
                 "few steps").format(low=mine[0], high=mine[1], skew=mine[2]))


def check_04_training_step(train_step) -> None:
    """Exercise 04-3: train_step(model, optimizer, inputs, targets, clip) does one clipped update, returns ||g||."""
    import math

    import numpy as np
    import torch

    from helpers.gradients import first_token_batch, make_model

    ex = _("Exercise 3")
    x, y = first_token_batch(32, 10, generator=torch.Generator().manual_seed(7))
    clips = (0.2, 0.05, 100.0)  # norms about 0.35 to 0.45 (largest entry about 0.14): steps 1-2 clip, 3 must not

    def run(step_fn):
        model = make_model("rnn", hidden_size=8, seed=1)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
        # the model arrives with gradients left in .grad by an earlier backward (another batch's loss), as
        # happens in a training loop: only zero_grad before backward keeps them out of the first update
        torch.nn.functional.cross_entropy(model(x.flip(1))[0][:, -1], y.roll(1)).backward()
        norms, grads = [], []  # grads: every .grad after each call, which must hold the clipped gradient
        for clip in clips:
            norms.append(step_fn(model, optimizer, x, y, clip))
            grads.append(torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).detach().flatten()
                                    for p in model.parameters()]))
        return torch.cat([p.detach().flatten() for p in model.parameters()]), norms, grads

    def reference(model, optimizer, inputs, targets, clip, zero=True, clipping=True, normalise=False,
                  reduction="mean", per_parameter=False, norm_type=2.0, squared=False,
                  by_value=False, zero_after=False):
        if zero and not zero_after:
            optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(inputs)[0][:, -1], targets, reduction=reduction).backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), math.inf)  # only measures
        if clipping and not normalise and not per_parameter and not squared and not by_value:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip, norm_type=norm_type)
        if by_value:  # the mistake: each entry cut to [-clip, clip], the direction changes
            torch.nn.utils.clip_grad_value_(model.parameters(), clip)
        if squared:  # the mistake: the sum of squares used as the norm (no square root)
            for p in model.parameters():
                p.grad.mul_(min(1.0, clip / float(norm) ** 2))
        for p in model.parameters() if per_parameter else []:  # the mistake: each parameter clipped on its own
            torch.nn.utils.clip_grad_norm_([p], clip)
        if normalise:  # the mistake: rescale to length clip even when the gradient is shorter
            for p in model.parameters():
                p.grad.mul_(clip / float(norm))
        optimizer.step()
        if zero_after:  # the mistake: zero_grad after step, so the first update adds the gradients left in .grad
            optimizer.zero_grad()
        return float(norm)

    with _clipping_watched_04() as forbidden:
        weights, norms, grads = run(train_step)
    answered(ex, None if all(n is None for n in norms) else norms,
             _("your function returns None: return the total gradient norm before clipping"))
    expected, expected_norms, expected_grads = run(reference)
    require(ex, all(isinstance(n, (int, float, torch.Tensor, np.floating)) for n in norms),
            _("return the total gradient norm before clipping (a number)"))
    same = lambda a, b: torch.allclose(a, b, rtol=1e-5, atol=1e-7)  # noqa: E731
    entries = sum(p.numel() for p in make_model("rnn", hidden_size=8, seed=1).parameters())
    rms = expected_norms[0] / math.sqrt(entries)  # the mistake: the root of the MEAN square (first step's norm)
    require(ex, not np.isclose(float(norms[0]), rms, rtol=1e-4),
            _("you measured the root mean square of the entries: your norm is smaller than the total 2-norm, so "
              "nothing was clipped; ||g|| is the square root of the SUM of all squared entries"))
    wrong_runs = [
        ({"clipping": False}, _("the update was not clipped by its total norm: after backward() and before "
                                "optimizer.step(), multiply every parameter's .grad by min(1, clip / ||g||)")),
        ({"norm_type": math.inf}, _("the update was clipped by the wrong norm, the largest single entry "
                                    "(norm_type=inf): clip by the total 2-norm of all gradients together")),
        ({"norm_type": 1.0}, _("the update was clipped by the wrong norm, the sum of absolute values (norm_type=1): "
                               "clip by the total 2-norm of all gradients together")),
        ({"by_value": True}, _("each gradient entry was cut to [-clip, clip] (clip_grad_value_), which changes the "
                               "direction: rescale all gradients together by min(1, clip / ||g||)")),
        ({"squared": True}, _("the update was clipped by the wrong norm, the SQUARED norm (the sum of squares "
                              "without the square root): ||g|| is the square root of the sum of all squared entries")),
        ({"zero_after": True}, _("the first update also used the gradients that were already in .grad when your "
                                 "function was called (they were added to this step's): zeroing after "
                                 "optimizer.step() comes too late for them; call optimizer.zero_grad() BEFORE "
                                 "backward()")),
        ({"zero": False}, _("gradients from the previous step were added to this one: "
                            "call optimizer.zero_grad() before backward()")),
        ({"normalise": True}, _("in the step whose gradient norm is BELOW the threshold you still rescaled the "
                                "gradient to length clip: clipping multiplies by min(1, clip / ||g||), so a short "
                                "gradient stays as it is")),
        ({"per_parameter": True}, _("each parameter's gradient was clipped on its own: take one norm ||g|| over "
                                    "all parameters' gradients together and rescale them all by the same factor")),
        ({"reduction": "sum"}, _("the loss is summed over the batch, so the gradient is batch-size times too large: "
                                 "use the mean cross-entropy (the default reduction)")),
    ]
    if not same(weights, expected):
        for kwargs, message in wrong_runs:
            mistake = run(lambda *args, kw=kwargs: reference(*args, **kw))[0]  # looser: rescaled by up to 1000x
            require(ex, not torch.allclose(weights, mistake, rtol=1e-3, atol=1e-5), message)
    require(ex, same(weights, expected),
            _("the weights after three steps differ from one clipped SGD update per step; the order is zero_grad -> "
              "loss (mean cross-entropy after the last step) -> backward -> clip by the total norm -> step"))
    require(ex, all(torch.allclose(g, e, rtol=1e-4, atol=1e-7) for g, e in zip(grads, expected_grads)),
            _("the weights are right, but after your function .grad does not hold the clipped gradient: clip the "
              "gradients themselves (multiply every .grad by min(1, clip / ||g||)), not the learning rate or the "
              "step, so that momentum, Adam and any code reading .grad see the clipped update"))
    mine = np.array([float(n) for n in norms])
    require(ex, not np.allclose(mine, np.minimum(expected_norms, clips), rtol=1e-4),
            _("the weights are right, but you return the norm AFTER clipping: return the norm before clipping "
              "(the norm you measured)"))
    require(ex, np.allclose(mine, expected_norms, rtol=1e-4),
            _("the weights are right, but the returned number is not the total gradient norm before clipping "
              "(the norm over all parameters together)"))
    require(ex, not forbidden, _("the update is right, but your function calls {function} (by whatever name it was "
                                 "imported as): write the clipping yourself, as the exercise asks").format(
                                     function=(forbidden + [""])[0]))
    passed(ex, _("one clipped update: zero_grad, backward, your clipping by the total norm, step"))


@contextlib.contextmanager
def _clipping_watched_04():
    """While inside, records each call of torch's clipping functions or optimizer_step, by any name or alias."""
    import sys

    from torch.nn import utils

    from helpers import training

    codes = {}
    functions = [(getattr(utils, name, None), f"torch.nn.utils.{name}")  # the last two are new in torch 2.6
                 for name in ("clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm")]
    for function, label in functions + [(training.optimizer_step, "helpers.training.optimizer_step")]:
        while getattr(function, "__wrapped__", None) is not None:  # the decorator's code is shared: unwrap it
            function = function.__wrapped__
        if function is not None:
            codes[function.__code__] = label
    called: list[str] = []
    previous = sys.getprofile()

    def profile(frame, event, arg):
        if event == "call" and frame.f_code in codes:
            called.append(codes[frame.f_code])

    sys.setprofile(profile)
    try:
        yield called
    finally:
        sys.setprofile(previous)


# --- 05 text classifier ---
# (checks for notebook 05's exercises go here)


def check_05_last_hidden(last_hidden) -> None:
    """Exercise 05-1: last_hidden(rnn, embedded, lengths) reads each sequence's output at its last real step from one
    call of the RNN on the padded batch."""
    import torch
    from torch import nn

    from helpers.recurrent import final_hidden

    name = _("Exercise 1")
    require(name, callable(last_hidden), _("define a function last_hidden(rnn, embedded, lengths)"))
    with torch.random.fork_rng():
        torch.manual_seed(0)
        gru, lstm = nn.GRU(4, 6, batch_first=True), nn.LSTM(4, 6, num_layers=2, batch_first=True)
        cases = [(_("GRU"), gru, torch.randn(3, 5, 4), [2, 5, 3]),  # lengths not sorted, as in a shuffled batch
                 (_("two-layer LSTM"), lstm, torch.randn(3, 5, 4), [2, 5, 3]),
                 (_("GRU and a batch of one sequence"), gru, torch.randn(1, 5, 4), [3]),
                 (_("GRU of hidden size 1"), nn.GRU(4, 1, batch_first=True), torch.randn(3, 5, 4), [4, 2, 5])]
    for kind, rnn, embedded, lengths in cases:
        lengths = torch.tensor(lengths)
        shape = (len(lengths), rnn.hidden_size)
        with torch.no_grad():
            alone = [rnn(embedded[i:i + 1, :n])[1] for i, n in enumerate(lengths.tolist())]
            expected = torch.cat([final_hidden(state) for state in alone])
            after_padding = final_hidden(rnn(embedded)[1])
            calls = []
            try:
                given_embedded, given_lengths = embedded.clone(), lengths.clone()
                got = last_hidden(_Recording(rnn, calls), given_embedded, given_lengths)
            except IndexError as error:
                raise ExerciseError("✘ " + headed(name) + _(
                    "with the {kind} an index is out of range ({error}): a sequence of length n has its last real "
                    "step at index n - 1").format(kind=kind, error=error)) from None
            except RuntimeError as error:
                raise ExerciseError("✘ " + headed(name) + _("with the {kind} it raised {type}: {error}").format(
                    kind=kind, type=type(error).__name__, error=error)) from None
        answered(name, got, _("last_hidden returns None; return each sequence's output at its last real step"))
        require(name, torch.equal(given_lengths, lengths) and torch.equal(given_embedded, embedded), _(
                "with the {kind} it changed its inputs in place (lengths or embedded differ after the call): "
                "compute `lengths - 1` as a new tensor, so that the caller's batch and lengths stay as they were"
                ).format(kind=kind))
        require(name, isinstance(got, torch.Tensor), _("with the {kind} it returned a {type}, not one tensor: the "
                "RNN returns (outputs, state); read the outputs").format(kind=kind, type=type(got).__name__))
        require(name, len(calls) > 0, _("the {kind} passed in was never called: call rnn on the padded batch"
                                        ).format(kind=kind))
        require(name, not (got.dim() < 2 and got.numel() == len(lengths) * rnn.hidden_size), _(
                "with the {kind} the result has shape {got}, not [batch, hidden] = {shape}: a bare .squeeze() also "
                "drops the batch or hidden dimension when it has size 1; squeeze only the step dimension"
                ).format(kind=kind, got=tuple(got.shape), shape=shape))
        require(name, tuple(got.shape) == shape, _("with the {kind} the result has shape {got}; expected [batch, "
                "hidden] = {shape}: one row per sequence, each at its own step").format(
                    kind=kind, got=tuple(got.shape), shape=shape))
        require(name, not torch.allclose(got, after_padding, atol=1e-5), _(
                "with the {kind} this is the state after the batch's last step, padding included: take each "
                "sequence's output at its own last real step").format(kind=kind))
        require(name, torch.allclose(got, expected, atol=1e-5), _(
                "with the {kind} the result differs from running each sequence alone: is it the output at each "
                "sequence's last real step, index length - 1?").format(kind=kind))
        require(name, True not in calls, _("the RNN was called on a packed batch: this exercise reads the outputs "
                                           "of the padded batch itself"))
        require(name, len(calls) == 1, _("the {kind} was called {calls} time(s): call it once, on the whole "
                "padded batch, not in a loop over sequences").format(kind=kind, calls=len(calls)))
        require(name, _grows_with_batch(last_hidden, rnn), _(
                "with the {kind} the work grows with the number of sequences, one indexing per row: pick all rows' "
                "last steps at once, by indexing with tensors").format(kind=kind))
        rnn.zero_grad()
        with_grad = last_hidden(rnn, embedded.clone(), lengths.clone())
        require(name, isinstance(with_grad, torch.Tensor) and with_grad.requires_grad, _(
                "with the {kind} the result carries no gradient (.detach() or torch.no_grad()): the classifier "
                "trains through it, so return the outputs as the RNN gives them").format(kind=kind))
        with_grad.sum().backward()
        require(name, all(p.grad is not None and bool(p.grad.abs().sum() > 0) for p in rnn.parameters()),
                _("with the {kind} no gradient reaches some of the RNN's weights through your result"
                  ).format(kind=kind))
    passed(name, _("each sequence's output at its last real step, for a GRU and a two-layer LSTM, lengths in any "
                   "order, a batch of one and a hidden size of one, from one call on the padded batch"))


def _torch_calls(function, *args) -> int:
    """How many torch functions and tensor methods `function(*args)` calls."""
    from torch.overrides import TorchFunctionMode

    class Count(TorchFunctionMode):
        calls = 0

        def __torch_function__(self, func, types, args=(), kwargs=None):
            Count.calls += 1
            return func(*args, **(kwargs or {}))

    with Count():
        function(*args)
    return Count.calls


def _grows_with_batch(last_hidden, rnn) -> bool:
    """False when last_hidden makes more torch calls for 40 sequences than for 4: a Python loop over the rows."""
    import torch

    with torch.random.fork_rng(), torch.no_grad():
        torch.manual_seed(1)
        counts = [_torch_calls(last_hidden, rnn, torch.randn(n, 5, rnn.input_size), torch.randint(1, 6, (n,)))
                  for n in (4, 40)]
    return counts[1] - counts[0] < 20


class _Recording:
    """Wraps an RNN and records, for each call, whether its input was a PackedSequence."""

    def __init__(self, rnn, calls: list):
        self.rnn, self.calls = rnn, calls

    def __call__(self, inputs, *args, **kwargs):
        from torch.nn.utils.rnn import PackedSequence

        self.calls.append(isinstance(inputs, PackedSequence))
        return self.rnn(inputs, *args, **kwargs)

    def forward(self, inputs, *args, **kwargs):
        """rnn.forward(x) is a call too: record it the same way."""
        return self(inputs, *args, **kwargs)

    def __getattr__(self, attribute):
        return getattr(self.rnn, attribute)


def check_05_paired_t(paired_t_test) -> None:
    """Exercise 05-2: paired_t_test(a, b) -> (mean difference, t, two-sided p) over the same folds."""
    import numpy as np

    from helpers.evaluation import paired_t

    name = _("Exercise 2")
    require(name, callable(paired_t_test), _("define a function paired_t_test(scores_a, scores_b)"))
    cases = [([0.62, 0.60, 0.65], [0.60, 0.59, 0.61]), ([0.50, 0.55], [0.58, 0.56]),
             ([0.70, 0.72, 0.69, 0.75, 0.71], [0.71, 0.69, 0.70, 0.70, 0.66])]
    for a, b in cases:
        with _ready_made_t_refused(name, paired_t_test):
            got = paired_t_test(list(a), list(b))
        answered(name, got, _("a tuple (mean_difference, t, p)"))
        require(name, isinstance(got, tuple) and len(got) == 3, _("return three numbers (mean_difference, t, p), "
                "got {type}").format(type=type(got).__name__))
        mean_difference, t, p = (float(v) for v in got)
        reference = paired_t(a, b)
        d = np.subtract(a, b)
        t_ref = d.mean() / (d.std(ddof=1) / np.sqrt(len(d)))
        require(name, np.isclose(abs(mean_difference), abs(reference.difference), atol=1e-9),
                _("for {k} folds the mean difference is wrong: it is the mean of a - b fold by fold").format(k=len(a)))
        require(name, np.all(d >= 0) or not np.isclose(mean_difference, np.abs(d).mean(), atol=1e-9),
                _("the mean difference is the mean of |a - b|: keep each fold's sign, the mean of a - b"))
        require(name, np.isclose(mean_difference, reference.difference, atol=1e-9),
                _("the mean difference has the wrong sign: return mean(a - b), not mean(b - a)"))
        require(name, not np.isclose(t, d.mean() / (d.std() / np.sqrt(len(d))), rtol=1e-6),
                _("t uses the population std (np.std's default ddof = 0): use the sample std, ddof = 1"))
        require(name, not np.isclose(abs(t), abs(stats_ttest_ind(a, b)), rtol=1e-6),
                _("this is the unpaired two-sample t: the folds are shared, so test the per-fold differences"))
        require(name, not np.isclose(t, d.mean() / d.std(ddof=1), rtol=1e-6),
                _("t is the mean difference over its standard error s / sqrt(k), not over s alone"))
        require(name, np.isclose(t, t_ref, rtol=1e-6), _("for {k} folds t should be mean(d) / (s / sqrt(k)), "
                "s the sample std of the differences d").format(k=len(a)))
        require(name, not np.isclose(p, reference.p / 2, rtol=1e-6),
                _("p is one-sided: the question 'do they differ?' needs both tails, 2 * t.sf(|t|, k - 1)"))
        require(name, np.isclose(p, reference.p, rtol=1e-6),
                _("for {k} folds p is wrong: use the t distribution with k - 1 = {df} degrees of freedom, two-sided"
                  ).format(k=len(a), df=len(a) - 1))
    passed(name, _("mean difference, t and two-sided p of a paired t over folds (sample std, k - 1 degrees of "
                   "freedom)"))


@contextlib.contextmanager
def _ready_made_t_refused(name: str, answer):
    """While inside, scipy's t-tests (scipy.stats, scipy.stats.mstats and the private modules behind them) and the
    course's own paired t refuse, by function identity: every module attribute, and every name in the answer's
    globals, that is one of them (or what one of them wraps) is swapped for a function that raises."""
    import sys

    import scipy.stats._mstats_basic
    import scipy.stats._stats_py
    import scipy.stats.mstats
    from scipy import stats

    from helpers import evaluation

    targets = [getattr(stats, n) for n in ("ttest_rel", "ttest_1samp", "ttest_ind", "ttest_ind_from_stats")]
    targets += [getattr(scipy.stats.mstats, n) for n in ("ttest_rel", "ttest_1samp", "ttest_onesamp", "ttest_ind")]
    targets += [getattr(scipy.stats._stats_py, n) for n in ("ttest_rel", "ttest_1samp", "ttest_ind")]
    targets += [evaluation.paired_t, evaluation.corrected_paired_t]
    refused = {}  # id -> function, each kept alive here, so an id stands for that one object
    for function in targets:  # scipy's decorators keep the undecorated function as __wrapped__
        while function is not None and id(function) not in refused:
            refused[id(function)] = function
            function = getattr(function, "__wrapped__", None)

    def refuse(*args, **kwargs):
        raise ExerciseError("✘ " + headed(name) + _(
            "compute t and p yourself from the differences (their mean, sample std and k), with scipy.stats.t.sf "
            "for the tail: a ready-made t-test (scipy's ttest_rel, ttest_1samp, ttest_ind, their scipy.stats.mstats "
            "twins, or the course's evaluation.paired_t) is what the exercise replaces"))

    refuse.__wrapped__ = refuse  # stats.ttest_rel.__wrapped__(...) refuses too
    namespaces = [vars(module) for module in list(sys.modules.values()) if isinstance(module, types.ModuleType)]
    namespaces.append(getattr(answer, "__globals__", {}))
    saved = []  # (namespace, key, value) for every binding swapped
    try:
        for namespace in namespaces:
            try:
                keys = [key for key, value in list(namespace.items()) if id(value) in refused]
            except RuntimeError:  # a namespace changing while read: skip it
                continue
            for key in keys:
                saved.append((namespace, key, namespace[key]))
                namespace[key] = refuse
        yield
    finally:
        for namespace, key, value in reversed(saved):
            namespace[key] = value


def stats_ttest_ind(a, b) -> float:
    """The t of Student's unpaired two-sample test (the mistake Exercise 2 rejects)."""
    from scipy import stats

    return float(stats.ttest_ind(a, b).statistic)


def check_05_early_stopping(train_with_early_stopping) -> None:
    """Exercise 05-3: the epoch loop with early stopping on the validation accuracy, keeping the best epoch's
    weights."""
    from helpers import classify

    name = _("Exercise 3")
    require(name, callable(train_with_early_stopping),
            _("define a function train_with_early_stopping(model, fit, val, epochs, lr, patience)"))
    # 14 sentences, not a multiple of 4: the last batch of an epoch holds 2, so a loop that drops it is caught
    texts = (["good fun film", "great acting", "a fine story", "bad plot", "awful film", "a dull story"] * 3)[:14]
    labels = ([1, 1, 1, 0, 0, 0] * 3)[:14]
    vocab = classify.build_vocab(texts)
    fit = classify.encode_dataset(vocab, texts, labels)
    val = classify.encode_dataset(vocab, texts[:6], labels[:6])
    for run in scripted_runs_05():
        _check_05_run(train_with_early_stopping, vocab, fit, val, name, **run)
    passed(name, _("stops after `patience` epochs in a row without a higher validation accuracy than the best so "
                   "far, with one optimizer, shuffled batches and the model in training mode, and keeps the best "
                   "epoch's weights"))


# The validation accuracies classify.evaluate reports to check_05_early_stopping, whatever the model does, and the
# epochs a correct loop trains. The validation LOSS it reports rises every epoch (as an over-confident network's
# does), so a loop that watches the loss stops after 1 + patience epochs. In the third run (patience 2) the best is
# epoch 4, so training stops after epoch 6: a count never reset stops after 5, one kept against the previous epoch
# goes on to 9. In the first, a tie with the best is not an improvement. In the last, epoch 1 scores 0.0, so a best
# started at 0.0 (not below every accuracy) never records a best epoch. A function, so that `what` is read in the
# language of the call.
def scripted_runs_05() -> list[dict]:
    return [
        {"what": _("validation accuracies 0.60, 0.60, 0.55, 0.50, … (never better than epoch 1)"), "patience": 2,
         "accuracies": [0.60, 0.60, 0.55, 0.50, 0.45, 0.40, 0.35, 0.30], "trained": 3, "best": 1},
        {"what": _("validation accuracies 0.50, 0.55, 0.60, … (better every epoch)"), "patience": 3,
         "accuracies": [0.50, 0.55, 0.60, 0.65, 0.70, 0.75], "trained": 6, "best": 6},
        {"what": _("validation accuracies 0.50, 0.60, 0.55, 0.65, 0.62, 0.63, 0.64, …"), "patience": 2,
         "accuracies": [0.50, 0.60, 0.55, 0.65, 0.62, 0.63, 0.64, 0.60, 0.59, 0.58], "trained": 6, "best": 4},
        {"what": _("validation accuracies 0.50, 0.70, 0.60, 0.65 (the last epoch reached, the best earlier)"),
         "patience": 3, "accuracies": [0.50, 0.70, 0.60, 0.65], "trained": 4, "best": 2},
        {"what": _("validation accuracies 0.45, 0.40, 0.42, 0.38, … (below 0.5, the best in epoch 1)"), "patience": 2,
         "accuracies": [0.45, 0.40, 0.42, 0.38, 0.35], "trained": 3, "best": 1},
        {"what": _("validation accuracies 0.0, 0.0, 0.0, … (epoch 1 scores 0, the lowest possible)"), "patience": 2,
         "accuracies": [0.0, 0.0, 0.0, 0.0, 0.0], "trained": 3, "best": 1},
    ]


def _check_05_run(train_with_early_stopping, vocab, fit, val, name: str, what: str, patience: int,
                  accuracies: list[float], trained: int, best: int) -> None:
    """One run on scripted validation accuracies: patience counted in a row from the best epoch, evaluation on the
    validation set, one optimizer, the sentences shuffled every epoch, the model in training mode for every step,
    the best epoch's weights restored."""
    import copy
    from unittest import mock

    import torch

    from helpers import classify

    class Recorded(classify.Encoded):
        def batch(self, index, device):
            seen[-1].extend(int(i) for i in torch.as_tensor(index).flatten())
            sizes.append(torch.as_tensor(index).numel())
            return super().batch(index, device)

    seen, sizes, optimizers, modes, snapshots, evaluated = [[]], [], {}, [], [], []
    resumed = []  # per epoch after the first: did its first step start from the weights the last one ended with?
    recorded = Recorded(fit.tokens, fit.lengths, fit.labels)
    real_step = classify.train_step

    def step(model, *args, **kwargs):
        optimizer = kwargs.get("optimizer", args[-1] if args else None)
        optimizers[id(optimizer)] = optimizer
        modes.append(model.training)
        if snapshots and len(resumed) < len(snapshots):  # the first step after an evaluation
            resumed.append(all(torch.equal(snapshots[-1][k], v) for k, v in model.state_dict().items()))
        return real_step(model, *args, **kwargs)

    def scripted(model, data, *args, **kwargs):
        model.eval()  # as the real evaluate does
        evaluated.append(data is val)
        while len(resumed) < len(snapshots):  # an epoch without a step: nothing to compare
            resumed.append(True)
        snapshots.append(copy.deepcopy(model.state_dict()))
        seen.append([])
        epoch = min(len(snapshots), len(accuracies)) - 1
        return 0.60 + 0.05 * epoch, accuracies[epoch]  # (loss, accuracy): the loss rises every epoch

    model, lr = classify.TextClassifier(len(vocab), 4, 4, kind="gru", dropout=0.5, seed=0), 0.05
    start = [p.detach().clone() for p in model.parameters()]
    def bypass(*args, **kwargs):
        raise ExerciseError("✘ " + headed(name) + _(
            "it called classify.train_classifier, the function this exercise rewrites: write the epoch loop "
            "yourself with classify.train_step and classify.evaluate"))

    namespace = getattr(train_with_early_stopping, "__globals__", {})  # names imported on their own, too
    stand_ins = {classify.evaluate: scripted, classify.train_step: step, classify.train_classifier: bypass}
    aliases = {key: stand_ins[namespace[key]] for key in _aliases(namespace, stand_ins)}
    with torch.random.fork_rng(), mock.patch.object(classify, "evaluate", scripted), \
            mock.patch.object(classify, "train_step", step), mock.patch.object(classify, "train_classifier", bypass), \
            _rebound(namespace, aliases):
        torch.manual_seed(0)
        try:
            got = train_with_early_stopping(model, recorded, val, epochs=len(accuracies), lr=lr, patience=patience)
        except (TypeError, AttributeError) as error:
            hint = (_(": no epoch was kept as a best, so there was no state to load back (the first epoch always "
                      "is a best so far)") if "NoneType" in str(error) or "None" in str(error) else "")
            raise ExerciseError("✘ " + headed(name) + _("with {what} it raised {type}: {error}{hint}").format(
                what=what, type=type(error).__name__, error=error, hint=hint)) from None
        except RuntimeError as error:
            hint = (_(" (the order cut with view(-1, 4)? that needs a multiple of 4 sentences: split it with "
                      "perm.split(4), the last batch may be smaller)") if "invalid for input of size" in str(error)
                    else "")
            raise ExerciseError("✘ " + headed(name) + _("on {n} fit sentences it raised RuntimeError: {error}{hint}"
                                                        ).format(n=len(fit), error=error, hint=hint)) from None
    answered(name, got, _("return the list of validation accuracies, one per epoch trained"))
    require(name, isinstance(got, (list, tuple)) and all(isinstance(v, (int, float)) for v in got),
            _("return a list of floats (one validation accuracy per epoch), got {type}").format(
                type=type(got).__name__))
    require(name, evaluated and all(evaluated), _("classify.evaluate was called on another data set than `val`: "
            "judge each epoch on the validation sentences, not on the fit sentences"))
    require(name, len(optimizers) > 0, _("no step went through classify.train_step: take each mini-batch's step "
            "with classify.train_step(model, tokens, lengths, labels, optimizer), as the exercise asks"))
    require(name, len(optimizers) == 1, _("{n} optimizers took the steps: make one optimizer before the epoch loop "
            "and use it for every step (a new Adam every epoch forgets its running averages)").format(
                n=len(optimizers)))
    optimizer = next(iter(optimizers.values()))
    updated = {id(p) for group in getattr(optimizer, "param_groups", []) for p in group["params"]}
    require(name, all(id(p) in updated for p in model.parameters()), _("your optimizer doesn't update every "
            "parameter: use classify.make_optimizer(model, lr)"))
    require(name, type(optimizer) is torch.optim.Adam, _("the steps were taken by {type}, not the Adam the course "
            "trains with: use classify.make_optimizer(model, lr)").format(type=type(optimizer).__name__))
    group = optimizer.param_groups[0]
    require(name, all(g["lr"] == lr for g in optimizer.param_groups), _("called with lr={lr:g}, the optimizer "
            "stepped with lr={used:g}: pass the function's `lr` argument on, classify.make_optimizer(model, lr)"
            ).format(lr=lr, used=group["lr"]))
    require(name, all(g.get("weight_decay", 0) == 0 for g in optimizer.param_groups), _("the optimizer adds "
            "weight_decay={decay:g}, which the exercise does not ask for: classify.make_optimizer(model, lr) takes "
            "no weight decay").format(decay=group.get("weight_decay", 0)))
    require(name, all(resumed), _("an epoch started from other weights than the previous epoch ended with (the best "
            "weights loaded back mid-run?): keep training the current weights and load the best copy only once, "
            "after the epoch loop"))
    require(name, all(modes), _("some training steps ran with the model in evaluation mode (dropout off): "
            "classify.evaluate switches the model to eval(); call model.train() at the start of every epoch"))
    require(name, bool(sizes) and max(sizes) == 4, _("the batches held {sizes} sentences: split each epoch's "
            "shuffled order into mini-batches of 4 sentences").format(sizes=sorted(set(sizes))))
    epochs_seen = [tuple(order) for order in seen[:-1] if order]
    for order in epochs_seen:
        require(name, len(order) == len(set(order)) or len(set(order)) == len(fit), _("some sentences came twice "
                "in one epoch and others not at all (sampling with replacement?): each epoch goes once through a "
                "fresh permutation (torch.randperm) of all the fit sentences"))
        require(name, len(order) > 4, _("each epoch trained on one batch of {n} of the {total} fit sentences: an "
                "epoch is a pass over all of them, batch after batch").format(n=len(order), total=len(fit)))
        require(name, sorted(order) == list(range(len(fit))), _("each epoch trained on {n} of the {total} fit "
                "sentences (the last batch dropped?): split the whole permutation into batches of 4, the last one "
                "may be smaller").format(n=len(set(order)), total=len(fit)))
    require(name, len(epochs_seen) < 2 or len(set(epochs_seen)) > 1,
            _("the sentences came in the same order every epoch: shuffle them anew (torch.randperm) in each epoch"))
    require(name, list(got) == accuracies[:len(got)], _("with {what} it returned {got}…: return the validation "
            "accuracy of each epoch (the second number classify.evaluate returns), in order").format(
                what=what, got=list(got)[:4]))
    require(name, len(got) == len(evaluated), _("with {what} it evaluated {evaluated} epochs but returned {got} "
            "accuracies: return one per epoch trained, the epoch that ended training included").format(
                what=what, evaluated=len(evaluated), got=len(got)))
    require(name, not (all(a < 0.5 for a in accuracies) and len(got) == patience), _(
            "with {what} and patience {patience} it stopped after epoch {patience}, as if epoch 1 were no "
            "improvement: the first epoch's accuracy is always the best so far, however low (start the best below "
            "any possible accuracy: not at 0.5, and not at 0.0, which epoch 1 can score)").format(
                what=what, patience=patience))
    if trained > 1 + patience and len(got) == 1 + patience:
        raise ExerciseError("✘ " + headed(name) + _(
            "with {what} and patience {patience} it stopped after epoch {epochs}, when the validation loss had "
            "risen for `patience` epochs: watch the validation accuracy, which can still improve while the loss "
            "rises").format(what=what, patience=patience, epochs=len(got)))
    if best == 1 and accuracies[1] == accuracies[0] and len(got) == trained + 1 and all(torch.equal(snapshots[1][k], v)
                                                      for k, v in model.state_dict().items()):
        raise ExerciseError("✘ " + headed(name) + _(
            "with {what} it counted the tie at epoch 2 as an improvement: only an accuracy above the best so far "
            "resets the count (keep the first best epoch)").format(what=what))
    require(name, not (len(got) == 5 and trained == 6 and best == 4), _("with {what} and patience {patience} it "
            "stopped after epoch 5: reset the count of epochs without improvement when the accuracy improves"
            ).format(what=what, patience=patience))
    require(name, not (len(got) == 9 and trained == 6 and best == 4), _("with {what} and patience {patience} it "
            "went on past epoch 6: count epochs without improvement over the best accuracy so far, not over the "
            "previous epoch's").format(what=what, patience=patience))
    require(name, len(got) == trained, _("with {what} and patience {patience} it trained {got} epochs instead of "
            "{trained}: stop once `patience` epochs in a row brought no accuracy above the best so far").format(
                what=what, patience=patience, got=len(got), trained=trained))
    final = model.state_dict()
    require(name, any(not torch.equal(s, p) for s, p in zip(start, model.parameters())), _("with {what} the model "
            "ends with its untrained weights: copy the state_dict after an epoch's training, when its accuracy is a "
            "new best (the first epoch always is), and load that copy at the end").format(what=what))
    require(name, best < 2 or not all(torch.equal(snapshots[best - 2][k], v) for k, v in final.items()),
            _("with {what} the model ends with the weights from just before its best epoch ({best}) was trained: "
              "copy the state_dict after the epoch's training and evaluation").format(what=what, best=best))
    kept = snapshots[best - 1]
    require(name, all(torch.equal(kept[k], v) for k, v in model.state_dict().items()),
            _("with {what} the model does not end with the weights of its best epoch ({best}): keep a copy "
              "(copy.deepcopy) of the state_dict when the accuracy improves and load it back at the end, whether "
              "patience ran out or the last epoch was reached").format(what=what, best=best))
