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
# (checks for notebook 01's exercises go here)


# --- 02 Word2Vec vs BERT ---
# (checks for notebook 02's exercises go here)


# --- 03 RNN, LSTM, GRU ---
# (checks for notebook 03's exercises go here)


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
    require(ex, grads is not None, "your function returns None: return the gradients, one tensor per time step")
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

    from helpers.gradients import clipped_step, first_token_batch, make_model, sequence_loss

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
        return clipped_step(model, optimizer, clip if clipping else None)["grad_norm"]

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
