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

def _is_whole_number(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_03_lstm_parameters(answer: object, vocab_size: int) -> None:
    """Exercise 1: the parameter count of CharLM(vocab_size, 128, 'lstm', embed_size=32, num_layers=2)."""
    from helpers.recurrent import count_parameters
    from helpers.rnn import CharLM

    name, (V, E, H) = "Exercise 1", (vocab_size, 32, 128)
    require(name, answer is not None, "not attempted yet: replace None by your formula")
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
    require(name, answer is not None, "not attempted yet: replace None by a dict {kind: perplexity}")
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
    require(name, answer is not None, "not attempted yet: replace None by (input string, target string)")
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


# --- 05 text classifier ---
# (checks for notebook 05's exercises go here)
