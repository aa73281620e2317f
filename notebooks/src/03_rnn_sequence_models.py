# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 03 · RNN, LSTM and GRU as character-level language models
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/nlp-basics-course/nlp-basics-pytorch/blob/main/notebooks/03_rnn_sequence_models.ipynb)
#
# **What you will learn**
#
# - scoring a character language model in **bits per character** (bpc);
# - the RNN, LSTM and GRU equations, one LSTM step by hand, and the model that wraps them;
# - **truncated back-propagation through time** (TBPTT): streams, windows, the state carried but *detached*;
# - the LSTM-state crash (`h` where the LSTM wants `(h, c)`) and its fix;
# - the three cells trained side by side, and generating text with a temperature;
# - why a **bidirectional** RNN cannot be a left-to-right language model, yet helps a tagger.
#
# Four exercises follow the Summary (they need only §1–6); *Going further*, after them, is optional.
#
# **Run time:** about a minute of CPU time on a 2-core CPU, offline. The models train briefly, so their texts are
# far from fluent. A line starting with ✔ is a sentence tested against this run's numbers (✘ if your run contradicts it).

# %% tags=["nbval-ignore-output"]
import math
import time

import matplotlib.pyplot as plt
import pandas as pd
import torch
from IPython.display import Markdown, display
from torch import nn

from helpers import exercises, plots, rnn
from helpers.claims import claim
from helpers.device import pick_device
from helpers.recurrent import count_parameters, detach_state
from helpers.rnn import CharLM, Tagger
from helpers.show import show_code
from helpers.training import optimizer_step
from helpers.vocab import Vocab

plt.rcParams["figure.dpi"] = 80
started, cpu_started = time.perf_counter(), time.process_time()
device = pick_device("auto")  # CUDA, then Apple MPS, then the CPU
print(f"device: {device}")

# %% [markdown]
# ## 1. The task: predict the next character
#
# A language model gives a probability to every possible next symbol given everything before it. With
# **characters** the vocabulary is tiny and nothing is unknown: the model must learn spelling, words and a bit of
# grammar from scratch. Our text is the *Lee background corpus* of news articles that ships with gensim,
# lower-cased, white space collapsed; the last 10 % (in order) is the validation text.

# %%
vocab, train_ids, val_ids = rnn.load_char_data("lee", val_fraction=0.1)
print(f"training characters: {len(train_ids):,}; validation characters: {len(val_ids):,}")
print(f"vocabulary: {len(vocab)} characters: {''.join(vocab.tokens)}")
print(f"the first 200 training characters: {rnn.decode(vocab, train_ids[:200])}")

# %% [markdown]
# **Bits per character.** A model that gives the true next character probability $p$ pays $-\log_2 p$ bits; the
# mean over a text is its bpc. PyTorch's `F.cross_entropy` is the same mean with the natural log (nats), so
# **bpc = cross-entropy / ln 2**. Two references: the uniform guess, $\log_2(\text{vocabulary size})$, and a model
# that knows only how frequent each character is (no context).

# %%
uniform_bpc = math.log2(len(vocab))
unigram = rnn.unigram_bpc(train_ids, val_ids, len(vocab))
print(f"uniform guess over {len(vocab)} characters: {uniform_bpc:.3f} bpc; character frequencies, no context: "
      f"{unigram:.3f} bpc")

# %% [markdown]
# ## 2. One long text, many streams: truncated back-propagation through time
#
# We cannot back-propagate through hundreds of thousands of steps. Instead:
#
# 1. **Cut the text into `batch_size` contiguous streams** (rows); every row of the next batch continues where the
#    same row of this batch stopped.
# 2. **Walk along the streams in windows of `seq_len` characters**; the target is the same window shifted by one.
# 3. **Carry the hidden state** from one window to the next, but **detach** it: its values are kept, the record
#    of how they were computed is dropped, so back-propagation stops at the window boundary (the *truncation*).
#
# On the alphabet, with 3 streams and windows of 4:

# %%
alphabet = Vocab.of_characters("abcdefghijklmnopqrstuvwxyz")
streams = rnn.batchify(alphabet.encode("abcdefghijklmnopqrstuvwxyz"), batch_size=3)
print(f"streams: {[rnn.decode(alphabet, row) for row in streams]}")
inputs = []
for number, (x, y) in enumerate(rnn.windows(streams, seq_len=4), start=1):
    inputs.append([rnn.decode(alphabet, row) for row in x])
    print(f"window {number}: input {inputs[-1]}  target {[rnn.decode(alphabet, row) for row in y]}")
fig, ax = plt.subplots(figsize=(7, 2.8))
plots.plot_tbptt_windows(ax, inputs)
plt.show()

# %% [markdown]
# The leftover `y`, `z` are dropped. Window 2 of each row continues window 1 of the *same* row, so row $i$'s state
# may be carried on. A row's 8 characters give 7 inputs (the last has no target), not a multiple of `seq_len`, so
# the last window holds 3.
#
# ## 3. Three recurrent cells, one model
#
# At step $t$ a cell reads the input $x_t$ (a character's embedding) and its previous state. $\sigma$ is the
# sigmoid (a soft switch in 0..1), $\odot$ multiplies element-wise, every $W$ and $b$ is learnt.
#
# **Plain RNN:** $\quad h_t = \tanh(W_x x_t + W_h h_{t-1} + b)$: the whole memory is rewritten at every step.
#
# **LSTM** (state: the pair $h_t$, $c_t$):
#
# | equation | role |
# |---|---|
# | $i_t = \sigma(W_{xi} x_t + W_{hi} h_{t-1} + b_i)$ | **input gate**: how much of the candidate is written |
# | $f_t = \sigma(W_{xf} x_t + W_{hf} h_{t-1} + b_f)$ | **forget gate**: how much of the old cell is kept |
# | $g_t = \tanh(W_{xg} x_t + W_{hg} h_{t-1} + b_g)$ | **candidate**: the new content |
# | $o_t = \sigma(W_{xo} x_t + W_{ho} h_{t-1} + b_o)$ | **output gate**: how much of the cell is shown |
# | $c_t = f_t \odot c_{t-1} + i_t \odot g_t$ | **cell state**: updated by *adding*, not rewritten |
# | $h_t = o_t \odot \tanh(c_t)$ | **hidden state**: what the next layer and step read |
#
# **GRU** (state: $h_t$ alone), in PyTorch's form:
#
# | equation | role |
# |---|---|
# | $r_t = \sigma(W_{xr} x_t + W_{hr} h_{t-1} + b_r)$ | **reset gate**: how much of the past enters the candidate |
# | $z_t = \sigma(W_{xz} x_t + W_{hz} h_{t-1} + b_z)$ | **update gate**: how much of the old state is kept |
# | $n_t = \tanh(W_{xn} x_t + b_{xn} + r_t \odot (W_{hn} h_{t-1} + b_{hn}))$ | **candidate**; $r_t$ scales the past *after* its product |
# | $h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}$ | **new state**: a blend, no separate cell |
#
# (Cho et al. 2014 apply $r_t$ before the product, $W_{hn}(r_t \odot h_{t-1})$.) So an RNN layer has 1 weight
# block, an LSTM 4 ($i, f, g, o$), a GRU 3 ($r, z, n$).
#
# **One LSTM step by hand.** `nn.LSTM` stacks the four blocks in the order $i, f, g, o$: `weight_ih_l0` is
# $[W_{xi}; W_{xf}; W_{xg}; W_{xo}]$ (shape `[4 * hidden, input]`), `weight_hh_l0` the same for $W_h$, and the
# two biases `bias_ih_l0` + `bias_hh_l0` add up to the $b$ above:

# %%
def lstm_step(layer: nn.LSTM, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """One step of a one-layer nn.LSTM from its own weights: x [batch, input], h and c [batch, hidden]."""
    pre = x @ layer.weight_ih_l0.T + layer.bias_ih_l0 + h @ layer.weight_hh_l0.T + layer.bias_hh_l0
    i, f, g, o = pre.chunk(4, dim=1)                          # the four blocks, in PyTorch's order
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)  # forget part of the old cell, add the new content
    h = torch.sigmoid(o) * torch.tanh(c)                      # show part of the cell
    return h, c


torch.manual_seed(0)
small = nn.LSTM(input_size=8, hidden_size=5, batch_first=True)
xs = torch.randn(3, 12, 8)                                    # 3 rows, 12 steps, 8 input features
h, c = torch.zeros(3, 5), torch.zeros(3, 5)
by_hand = []
with torch.no_grad():
    for t in range(xs.shape[1]):
        h, c = lstm_step(small, xs[:, t], h, c)
        by_hand.append(h)
    by_layer, (h_last, c_last) = small(xs)
lstm_gap = max((torch.stack(by_hand, dim=1) - by_layer).abs().max().item(), (c - c_last[0]).abs().max().item())
claim("the hand-written LSTM step gives nn.LSTM's outputs and final cell state (difference < 1e-6)",
      lstm_gap < 1e-6, f"largest difference {lstm_gap:.1e}")

# %% [markdown]
# **The model.** `Recurrent`, the course's recurrent backbone (`self.body`), is an embedding followed by `nn.RNN`,
# `nn.LSTM` or `nn.GRU`; a linear layer scores every character as the next one. For an LSTM:

# %%
print(CharLM(len(vocab), hidden_size=128, kind="lstm", embed_size=32))
show_code(CharLM.__init__, CharLM.forward)

# %% [markdown]
# Only the recurrent layer differs between kinds. Shapes on 2 rows of 10 characters:

# %%
x = train_ids[:20].view(2, 10)
for kind in rnn.KINDS:
    model = CharLM(len(vocab), hidden_size=128, kind=kind, embed_size=32)
    logits, state = model(x)
    shapes = [tuple(s.shape) for s in state] if isinstance(state, tuple) else tuple(state.shape)
    print(f"{kind:4}  logits {tuple(logits.shape)}  state {shapes}")

# %% [markdown]
# The logits hold one score per row, step and character; the state one vector per layer and row (for the LSTM, a
# pair).
#
# **The LSTM-state crash.** Code written for an RNN or GRU keeps the state as one tensor; an LSTM handed `h` alone
# fails, because it wants the pair `(h, c)`. So does a state made for another batch size (a prompt's 1 row carried
# into a batch of 2):

# %% tags=["nbval-ignore-output"]
lstm = nn.LSTM(input_size=32, hidden_size=128, batch_first=True)
window = torch.randn(2, 10, 32)      # 2 rows, 10 steps, 32 input features
outputs, (h, c) = lstm(window)       # an LSTM returns its state as a pair (h, c)
for mistake, wrong_state in [("h alone, without c", h), ("a state for 1 row, batch of 2", (h[:, :1], c[:, :1]))]:
    try:
        lstm(window, wrong_state)    # the next window, with the wrong state carried in
    except (IndexError, RuntimeError, TypeError, ValueError) as error:
        print(f"{mistake}: {type(error).__name__}: {error}")
    else:
        print(f"{mistake}: accepted")

# %% [markdown]
# The fix: keep the state exactly as the layer returned it, detach it *as a whole* at a window boundary, and start
# from `None` (zeros) when the batch size changes. `detach_state` handles a tensor and a pair:

# %%
show_code(detach_state)

# %% [markdown]
# Carrying the state loses no values: two windows, the state handed over, give the outputs of one pass over both.

# %%
gaps = {}
for kind in rnn.KINDS:
    model = CharLM(len(vocab), hidden_size=128, kind=kind, embed_size=32)
    whole, _ = model(x)
    first, state = model(x[:, :6])
    second, _ = model(x[:, 6:], detach_state(state))
    gaps[kind] = (torch.cat([first, second], dim=1) - whole).abs().max().item()
claim("two windows with the state carried give the one-pass outputs, for every kind (difference < 1e-5)",
      max(gaps.values()) < 1e-5, ", ".join(f"{k} {g:.1e}" for k, g in gaps.items()))

# %% [markdown]
# But the gradient path is cut: we start window 1 of the GRU from a state `h0` that records its gradient, and
# measure how much of window 2's gradient reaches it:

# %%
h0 = torch.zeros(1, 2, 128, requires_grad=True)          # window 1's starting state: 1 layer, 2 rows, 128 units
_, state = model(x[:, :6], h0)                           # window 1
reach = {}
for carried, handed_over in (("detach_state(state)", detach_state(state)), ("state as returned", state)):
    second, _ = model(x[:, 6:], handed_over)             # window 2
    (grad,) = torch.autograd.grad(second.sum(), h0, allow_unused=True)  # None: no path back to h0
    reach[carried] = 0.0 if grad is None else grad.abs().sum().item()
    print(f"{carried}: keeps a graph: {handed_over.grad_fn is not None}; "
          f"size of the gradient reaching h0: {reach[carried]:.2f}")
claim("window 2's gradient reaches window 1 through the state as returned, not through the detached one",
      reach["state as returned"] > 0 and reach["detach_state(state)"] == 0,
      ", ".join(f"{k}: {v:.2f}" for k, v in reach.items()))

# %% [markdown]
# ## 4. RNN vs LSTM vs GRU: the same text, the same number of updates
#
# Each window is one **truncated-BPTT step** (detach the carried state, predict, back-propagate, clip, update); an
# **epoch** walks along the streams, handing each step's state to the next:

# %%
show_code(rnn.tbptt_step, rnn.train_epoch, optimizer_step)

# %% [markdown]
# `fit` is the training loop: **Adam**, then per epoch `train_epoch` and `evaluate_bpc`, which reads the
# validation text the same way without updates, in bits (`train_char_lm` adds the device and the log):

# %%
show_code(rnn.evaluate_bpc, rnn.fit)

# %% [markdown]
# All three use `SETTINGS`, embedding 32, hidden size 128 and seed 0; "train bpc" is measured like the validation
# bpc, on as many characters.

# %% tags=["nbval-ignore-output"]
SETTINGS = dict(seq_len=64, batch_size=32, epochs=5, lr=5e-3, clip=1.0)
models, histories = {}, {}
for kind in rnn.KINDS:
    models[kind] = CharLM(len(vocab), hidden_size=128, kind=kind, embed_size=32, seed=0)
    histories[kind] = rnn.train_char_lm(models[kind], train_ids, val_ids, device=device, progress=False,
                                        **SETTINGS)
results = pd.DataFrame({
    "recurrent weights": {kind: count_parameters(models[kind].body.rnn) for kind in rnn.KINDS},
    "all weights": {kind: count_parameters(models[kind]) for kind in rnn.KINDS},
    "val bpc, epoch 1": {kind: h["val_bpc"][0] for kind, h in histories.items()},
    "val bpc, last epoch": {kind: h.last("val_bpc") for kind, h in histories.items()},
    "train bpc, last epoch": {kind: h.last("train_bpc") for kind, h in histories.items()},
    "CPU s": {kind: sum(h["cpu_seconds"]) for kind, h in histories.items()},
}).rename_axis("model")
results.round(3)

# %%
last = {kind: h.last("val_bpc") for kind, h in histories.items()}
claim("all three end more than 1.5 bpc below the no-context baseline",
      max(last.values()) < unigram - 1.5, f"worst {max(last.values()):.2f} vs baseline {unigram:.2f}")
claim("in this run, the LSTM and the GRU each end more than 0.05 bpc below the plain RNN",
      last["lstm"] < last["rnn"] - 0.05 and last["gru"] < last["rnn"] - 0.05,
      f"LSTM {last['lstm']:.3f}, GRU {last['gru']:.3f} vs RNN {last['rnn']:.3f}")
claim("every validation curve still falls in the last epoch",
      all(h["val_bpc"][-1] < h["val_bpc"][-2] for h in histories.values()),
      ", ".join(f"{k} {h['val_bpc'][-2]:.3f} -> {h['val_bpc'][-1]:.3f}" for k, h in histories.items()))

# %% tags=["nbval-ignore-output"]
ratio = {kind: results.loc[kind, "recurrent weights"] / results.loc["rnn", "recurrent weights"] for kind in rnn.KINDS}
order = sorted(last, key=last.get, reverse=True)  # highest bpc first
display(Markdown(
    f"The LSTM's recurrent layer has {ratio['lstm']:.0f} and the GRU's {ratio['gru']:.0f} times the RNN's weights "
    "(one block per gate or candidate). The order, "
    f"highest bpc first, is {order[0].upper()}, {order[1].upper()}, {order[2].upper()}, with gaps of {last[order[0]] - last[order[1]]:.2f} "
    f"and {last[order[1]] - last[order[2]]:.2f} bpc. This is one seed and one short run (at most "
    f"{max(results['CPU s']):.0f} s of CPU time); the models had the same number of updates, not the same size."))

# %%
fig, ax = plt.subplots(figsize=(10, 4.2))
plots.plot_bpc_curves(ax, {kind.upper(): h for kind, h in histories.items()},
                      title=f"Character LMs on the Lee news text\n(frequencies only, no context: {unigram:.2f} bpc, "
                            "above this scale)")
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))  # beside the curves, not on them
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 5. Writing text, one character at a time
#
# To generate, feed a prompt, turn the last step's scores into probabilities with a **temperature** $T$,
# $p_i \propto \exp(\text{score}_i / T)$, draw one character, feed it back in with the carried state, repeat.
# $T < 1$ sharpens the distribution, $T > 1$ flattens it. This run's best model writes at two temperatures; we
# count the share of its words found in the training text:

# %% tags=["nbval-ignore-output"]
lowest = min(last, key=last.get)
training_words = set(rnn.decode(vocab, train_ids).split())
real_share = {}
for temperature in (0.5, 1.0):
    text = rnn.sample(models[lowest], vocab, "the government ", length=1000, temperature=temperature,
                      device=device, seed=0)
    words = text.split()[2:-1]  # leave out the prompt and the last, possibly cut, word
    real_share[temperature] = sum(word in training_words for word in words) / len(words)
    print(f"--- {lowest}, T = {temperature}: {real_share[temperature]:.0%} of its {len(words)} words are "
          f"training words ---\n{text[:250]} ...\n")

# %%
claim("at T = 0.5 a larger share of the words are training words than at T = 1",
      real_share[0.5] > real_share[1.0], f"{real_share[0.5]:.0%} vs {real_share[1.0]:.0%}")

# %% [markdown]
# As $T \to 0$, sampling becomes **greedy decoding**: it always takes the top character (you write it in Exercise 4).
#
# ## 6. Bidirectional RNNs: cheating as a left-to-right language model, useful as a tagger
#
# A bidirectional layer runs a second RNN from right to left and concatenates both states at every step, so the
# output at step $t$ depends on the characters **after** $t$ too. We change one input character (step 20) of a
# fresh, untrained LSTM and see which outputs move:

# %%
window = val_ids[:40].view(1, 40)
t_changed = 20
profiles = {}
for bidirectional in (False, True):
    fresh = CharLM(len(vocab), 64, "lstm", embed_size=32, bidirectional=bidirectional, seed=0)
    name = "bidirectional (LSTM)" if bidirectional else "left to right (LSTM)"
    profiles[name] = rnn.influence_of_one_input(fresh, window, t_changed)
    print(f"{name}: outputs before step {t_changed} that changed: {int((profiles[name][:t_changed] > 0).sum())} "
          f"of {t_changed}")
fig, ax = plt.subplots(figsize=(7, 3.5))
plots.plot_influence(ax, profiles, t_changed)
plt.show()

# %% [markdown]
# The left-to-right outputs before step 20 cannot move; the bidirectional ones do. For next-character prediction
# that is fatal: the output at $t$ must *predict* character $t+1$, and the backward direction has already *read* it.
# Now we train both to predict the next character (hidden size 64 per direction, two epochs on the first 100,000
# training characters):

# %% tags=["nbval-ignore-output"]
leak_models, leak_bpc = {}, {}
for bidirectional in (False, True):
    name = "bidirectional" if bidirectional else "left to right"
    leak_models[name] = CharLM(len(vocab), 64, "lstm", embed_size=32, bidirectional=bidirectional, seed=0)
    history = rnn.train_char_lm(leak_models[name], train_ids[:100_000], val_ids, seq_len=64, batch_size=32,
                                epochs=2, lr=5e-3, device=device, progress=False)
    leak_bpc[name] = history.last("val_bpc")
print(f"validation bpc after two epochs: {', '.join(f'{name} {bpc:.2f}' for name, bpc in leak_bpc.items())}")

# %%
claim("the bidirectional 'language model' scores below 1 bpc, more than 1 bit below §4's LSTM",
      leak_bpc["bidirectional"] < min(1.0, last["lstm"] - 1.0),
      f"{leak_bpc['bidirectional']:.2f} vs {last['lstm']:.2f}")

# %% [markdown]
# Too good to be true: it reads the answer. When it must *write* text, there is no future to read (Going further C).
#
# **Where reading both ways is legitimate:** when the whole input is given and we only label it. **Word
# segmentation** is such a task: in text without spaces (like the hashtag `#nowhiring`), say for every character
# whether a word ends there.
# The tagger is an LSTM (the same backbone) with a two-label head, trained on random 64-character windows with no
# state carried. Where a word ends depends on what follows (a rule that also reads the *next* character errs
# less, below), and only the right-to-left direction has read it. For equal size, the bidirectional one gets 46
# units per direction instead of 64 (its embedding too):

# %%
joined, ends = rnn.segmentation_data(rnn.decode(vocab, torch.cat([train_ids, val_ids])))
joined_ids = vocab.encode(joined)
cut = int(0.9 * len(joined_ids))
print(joined[:80])
print("".join(str(label) for label in ends[:80].tolist()))
n_chars, steps = len(vocab), torch.arange(1, len(joined_ids) - 1)
seen, rule_errors = steps < cut, {}
for side, pair in (("previous, current", joined_ids[steps - 1] * n_chars + joined_ids[steps]),
                   ("current, next", joined_ids[steps] * n_chars + joined_ids[steps + 1])):  # one id per pair
    counts = torch.zeros(n_chars**2, 2).index_put_((pair[seen], ends[steps][seen]), torch.ones(int(seen.sum())),
                                                   accumulate=True)  # label counts per pair, on the training part
    rule_errors[side] = (counts.argmax(1)[pair[~seen]] != ends[steps][~seen]).float().mean().item()
    print(f"the most frequent label of the pair ({side} character): errors {rule_errors[side]:.3f}")

# %% tags=["nbval-ignore-output"]
accuracy, tagger_size = {}, {}
for bidirectional, hidden in ((False, 64), (True, 46)):
    name = "bidirectional" if bidirectional else "left to right"
    tagger = Tagger(len(vocab), hidden, bidirectional=bidirectional, seed=0)
    tagger_size[name] = count_parameters(tagger)
    rnn.train_tagger(tagger, joined_ids[:cut], ends[:cut], steps=300, seq_len=64, batch_size=32, lr=1e-2,
                     device=device, seed=0, progress=False)
    accuracy[name] = rnn.tagging_accuracy(tagger, joined_ids[cut:], ends[cut:], device=device)
baseline = 1 - ends[cut:].float().mean().item()
print(f"always 'no word end': errors {1 - baseline:.3f}")
for name, acc in accuracy.items():
    print(f"{name} tagger ({tagger_size[name]:,} parameters): errors {1 - acc:.3f}")

# %%
size_ratio = tagger_size["bidirectional"] / tagger_size["left to right"]
error_ratio = (1 - accuracy["bidirectional"]) / (1 - accuracy["left to right"])
claim("at the same size (within 2 %), the bidirectional tagger makes under half the left-to-right one's errors",
      abs(size_ratio - 1) < 0.02 and error_ratio < 0.5, f"sizes × {size_ratio:.3f}, errors × {error_ratio:.2f}")

# %% [markdown]
# The rule: **bidirectional when the whole input is known at prediction time (tagging, classification); never
# when the model must predict or generate what comes next** (left-to-right language models, streaming input).

# %% [markdown]
# ## Summary
#
# - A character language model predicts the next character; it is scored in **bits per character** on held-out
#   text (cross-entropy in nats / ln 2), read against the uniform guess and the no-context frequency model.
# - The RNN rewrites one state; the LSTM adds a cell state behind input, forget and output gates; the GRU blends
#   old state and candidate through update and reset gates. Only the LSTM's state is a pair `(h, c)`, and code
#   that carries only `h` crashes.
# - **Truncated BPTT**: contiguous streams, windows, the state carried from window to window and detached, so memory
#   flows forward while gradients stop at the window boundary (measured in §3).
# - On the same data and updates, in one short run from one seed, the gated cells ended below the plain RNN, with
#   3 to 4 times its recurrent weights.
# - **Temperature** trades safety for variety when sampling.
# - A **bidirectional** model sees the future: as a left-to-right language model it reads the answer; as a tagger
#   of a complete input it genuinely helps, at equal size.
#
# Next: the **Exercises**, right after this summary; they need only §1–6. The optional *Going further* sections
# follow them.
#
# **The RNN family at a glance**
#
# | | strengths | weaknesses | typical uses |
# |---|---|---|---|
# | **RNN** | fewest weights (§4); simplest | one rewritten state: gradients fade over long distances (notebook 04); highest bpc in §4's run | short sequences, baselines |
# | **LSTM** | additive cell state; with a forget gate near 1 it keeps content (at PyTorch's default init the gates must learn that, notebook 04) | most weights (4 blocks); a pair of states to carry (§3) | language models, speech, tagging before Transformers |
# | **GRU** | three quarters of the LSTM's recurrent weights (§4), one state tensor | 3 times the RNN's recurrent weights (§4) | like the LSTM when weights are tight |
# | **bidirectional** | reads both sides: fewer tagging errors (§6) | needs the whole input; cheats as a left-to-right language model (§6) | tagging, classification, encoders |

# %% [markdown]
# ## Exercises
#
# Each exercise has an answer cell, where you write a function, and a check cell that runs it and says what is
# right or what is wrong. The worked solution is folded below each check: try first, then open it.
#
# If *Run all* stops at a check you have not answered yet (Colab stops there), run the *Going further* part from
# its heading: Colab's Runtime ▸ Run after, JupyterLab's Run ▸ Run Selected Cell and All Below.
#
# ### Exercise 1 — count the weights of a stacked, possibly bidirectional LSTM
# Write `lstm_parameters(vocab_size, embed_size, hidden_size, num_layers, bidirectional)`, the number of trainable
# parameters of `CharLM(vocab_size, hidden_size, kind="lstm", embed_size=embed_size, num_layers=num_layers,
# bidirectional=bidirectional)`, from the sizes alone (do not build the model or its layers). §3 gives the shapes
# of one layer's weights and biases; think about what each layer reads, what a second direction adds, and what the
# head reads.

# %% nbgrader={"grade": false, "grade_id": "ex03-1-answer", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["solution"]
def lstm_parameters(vocab_size: int, embed_size: int, hidden_size: int, num_layers: int,
                    bidirectional: bool) -> int:
    """Trainable parameters of CharLM(vocab_size, hidden_size, 'lstm', embed_size, num_layers, bidirectional)."""
    ### BEGIN SOLUTION
    V, E, H = vocab_size, embed_size, hidden_size
    directions = 2 if bidirectional else 1
    out = directions * H                                      # what a layer hands on: both directions' h
    total = V * E                                             # the embedding table
    for layer in range(num_layers):
        width = E if layer == 0 else out                      # the first layer reads the embedding, the others h
        total += directions * (4 * H * width + 4 * H * H + 2 * 4 * H)  # W_ih, W_hh, b_ih, b_hh per direction
    return total + out * V + V                                # the head: weights and bias
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex03-1", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["check"]
exercises.check_03_lstm_parameters(lstm_parameters)

# %% [markdown]
# ### Exercise 2 — the bits-per-character loss
# Write `bits_per_character(logits, targets)`: `logits` are a model's scores `[batch, steps, vocab]`, `targets`
# the true next characters `[batch, steps]`. Return the mean over every (row, step) of $-\log_2 p$(target), as a
# 0-dimensional tensor that back-propagation can go through (you could train on it). Build it yourself from
# `log_softmax` and the targets' entries, without `F.cross_entropy` or `F.nll_loss`.

# %% nbgrader={"grade": false, "grade_id": "ex03-2-answer", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["solution"]
def bits_per_character(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean bits per character of `logits` [batch, steps, vocab] against `targets` [batch, steps]."""
    ### BEGIN SOLUTION
    log_p = logits.log_softmax(dim=-1)                        # ln p of every character, per (row, step)
    picked = log_p.gather(-1, targets.unsqueeze(-1))          # ln p(target): [batch, steps, 1]
    return -picked.mean() / math.log(2)                       # mean of -ln p, then ln -> log2
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex03-2", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["check"]
exercises.check_03_bits_per_character(bits_per_character)

# %% [markdown]
# ### Exercise 3 — one GRU step by hand
# Write `gru_step(gru, x, h)`: one step of the one-layer `nn.GRU` `gru`, from its own weights, for inputs `x`
# `[batch, input]` and the previous state `h` `[batch, hidden]`; return the new state `[batch, hidden]`. Use the
# equations of §3 in PyTorch's form: `weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0` and `bias_hh_l0` stack the
# blocks in the order $r, z, n$ (see `lstm_step` in §3 for the pattern). Compute the step from the weights, not
# with PyTorch's own GRU.

# %% nbgrader={"grade": false, "grade_id": "ex03-3-answer", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["solution"]
def gru_step(gru: nn.GRU, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """One step of a one-layer nn.GRU from its own weights: the new state h_t [batch, hidden]."""
    ### BEGIN SOLUTION
    x_r, x_z, x_n = (x @ gru.weight_ih_l0.T + gru.bias_ih_l0).chunk(3, dim=1)
    h_r, h_z, h_n = (h @ gru.weight_hh_l0.T + gru.bias_hh_l0).chunk(3, dim=1)
    r = torch.sigmoid(x_r + h_r)                              # reset gate
    z = torch.sigmoid(x_z + h_z)                              # update gate
    n = torch.tanh(x_n + r * h_n)                             # candidate: r scales W_hn h + b_hn
    return (1 - z) * n + z * h                                # z keeps the old state
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex03-3", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["check"]
exercises.check_03_gru_step(gru_step)

# %% [markdown]
# ### Exercise 4 — greedy decoding with the state carried
# Write `greedy(model, vocab, prompt, length)`: read the prompt once with `model(ids)`, then `length` times take the
# single most likely next character (`argmax` of the last step's scores), and feed only that one character back in
# **together with the state** the model returned. Return the prompt followed by the new characters. It must work
# for an LSTM too, whose state is the pair $(h, c)$. Then look at what greedy decoding writes (the check cell prints
# it once your function passes): why do people sample instead?

# %% nbgrader={"grade": false, "grade_id": "ex03-4-answer", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["solution"]
@torch.no_grad()
def greedy(model: CharLM, vocab: Vocab, prompt: str, length: int) -> str:
    """The prompt followed by `length` characters, each the most likely one, with the state carried."""
    ### BEGIN SOLUTION
    model.eval()
    dev = next(model.parameters()).device
    logits, state = model(vocab.encode(prompt).unsqueeze(0).to(dev))  # read the prompt once
    out = []
    for _ in range(length):
        next_id = logits[0, -1].argmax()                              # the most likely next character
        out.append(int(next_id))
        logits, state = model(next_id.view(1, 1), state)               # one character in, the state carried
    return prompt + "".join(vocab.decode(out))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex03-4", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["check"]
best_on_cpu = models[lowest].cpu()  # on the CPU, where vocab.encode makes the ids
exercises.check_03_greedy(greedy, best_on_cpu, vocab)
print(greedy(best_on_cpu, vocab, "the government ", 150))  # what greedy decoding writes

# %% [markdown]
# <details><summary>What greedy decoding shows</summary>
#
# Greedy text soon loops over the same few phrases: always taking the top
# character never explores the rest of the distribution, and once the model has written a phrase, the most likely
# continuation leads back into it. Sampling (with a temperature) trades a little likelihood per character for
# variety.
# </details>

# %% tags=["nbval-ignore-output"]
print(f"notebook run time: {time.perf_counter() - started:.0f} s wall-clock, "
      f"{time.process_time() - cpu_started:.0f} s of CPU time")


# %% [markdown]
# ## Going further
#
# ### A. The training loss, measured two ways
#
# *What this adds:* why the loss a training loop prints is not comparable with a validation score. The running
# mean of the training loss over an epoch includes the epoch's first, worse windows, so it lags behind the model.
# Left: for the LSTM, the running mean next to the end-of-epoch measures. Right: for each of §4's models, the
# validation bpc minus the training bpc, both measured the same way at the end of each epoch.

# %% tags=["nbval-ignore-output"]
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2))
plots.plot_running_mean_lag(left, histories["lstm"], "LSTM", color="C1",  # the LSTM's colour in §4's figure
                            title="LSTM: mean over the epoch vs measured at its end")
for number, (kind, h) in enumerate(histories.items()):
    epochs = range(1, len(h) + 1)
    right.plot(epochs, [v - t for v, t in zip(h["val_bpc"], h["train_bpc"])], marker="o", color=f"C{number}",
               label=kind.upper())
right.axhline(0, color="grey", linewidth=0.8)
right.set(title="Validation minus training bpc (same measure)", xlabel="epoch", ylabel="gap (bits per character)",
          xticks=list(epochs))
right.legend(fontsize="small")
fig.tight_layout()
plt.show()

# %%
running = {kind: h["train_loss"][0] / math.log(2) for kind, h in histories.items()}  # epoch 1, in bits
at_end = {kind: max(h["train_bpc"][0], h["val_bpc"][0]) for kind, h in histories.items()}  # the higher of the two
first_gap = {kind: h["val_bpc"][0] - h["train_bpc"][0] for kind, h in histories.items()}
last_gap = {kind: h.last("val_bpc") - h.last("train_bpc") for kind, h in histories.items()}
claim("in epoch 1 the running mean lies above both end-of-epoch measures, for every model",
      all(running[k] > at_end[k] for k in histories),
      ", ".join(f"{k} {running[k]:.2f} > {at_end[k]:.2f}" for k in histories))
claim("for every model, validation minus training bpc is within ±0.03 in epoch 1 and grows by over 0.03 by the end",
      all(abs(first_gap[k]) < 0.03 and last_gap[k] - first_gap[k] > 0.03 for k in histories),
      ", ".join(f"{k} {first_gap[k]:+.3f} -> {last_gap[k]:+.3f}" for k in histories))

# %% [markdown]
# So the running mean above the validation bpc in epoch 1 says nothing about unseen text being easier; measured
# the same way, the two draw apart as the model starts to fit its training text.
#
# ### B. The temperature in detail
#
# *What this adds:* what $T$ does to one next-character distribution, and its limit $T \to 0$. The top 3
# choices of §5's model after one prompt:

# %% tags=["nbval-ignore-output"]
prompt = "the prime minister says the governmen"
probs = {temperature: rnn.next_char_probs(models[lowest], vocab, prompt, temperature, device=device)
         for temperature in (0.5, 1.0, 2.0)}
rows = {}
for temperature, p in probs.items():
    top = p.topk(3)
    rows[f"T = {temperature}"] = {f"choice {rank + 1}": f"{vocab.tokens[int(i)]!r} {q:.2f}"
                                  for rank, (q, i) in enumerate(zip(top.values.tolist(), top.indices.tolist()))}
print(f"model: {lowest}; prompt: {prompt!r}")
pd.DataFrame(rows).T

# %% [markdown]
# Dividing every score by the same $T > 0$ keeps their order, so the top character is the same at every
# temperature; its probability rises towards 1 as $T \to 0$ and falls towards $1/V$ as $T$ grows. The
# temperature changes how sure the sampler is, never the model's ranking. At $T = 0.05$ (almost greedy):

# %% tags=["nbval-ignore-output"]
cold = rnn.sample(models[lowest], vocab, "the government ", length=300, temperature=0.05, device=device, seed=0)
cold_words = cold.split()[:-1]  # the last word may be cut
distinct = len(set(cold_words)) / len(cold_words)
print(f"{cold[:200]} ...")
claim("at T = 0.05 the text loops over a few phrases: fewer than half of its words are distinct", distinct < 0.5,
      f"{len(set(cold_words))} distinct of {len(cold_words)} words ({distinct:.0%})")

# %% [markdown]
# ### C. What the bidirectional "language model" writes
#
# *What this adds:* §6's leak seen in the text. Each of §6's two models writes 300 characters after the same
# prompt; we count the share of its letters that lie in training words (a text with no spaces is one long word):

# %% tags=["nbval-ignore-output"]
leak_real = {}
for name, model in leak_models.items():
    text = rnn.sample(model, vocab, "the government ", length=300, temperature=0.5, device=device, seed=0)
    written = text[len("the government "):].split()
    words = written[:-1] if len(written) > 1 else written  # the last word may be cut, unless it is the only one
    letters = sum(len(word) for word in words)
    leak_real[name] = sum(len(word) for word in words if word in training_words) / letters
    print(f"--- {name}: {leak_real[name]:.0%} of its {letters} letters lie in training words ---\n{text[:150]}\n")
claim("the bidirectional model writes a smaller share of its letters in real words than the left-to-right one",
      leak_real["bidirectional"] < leak_real["left to right"],
      f"{leak_real['bidirectional']:.0%} vs {leak_real['left to right']:.0%}")

# %% [markdown]
# ### D. Time per step: not simply "more weights, more time"
#
# *What this adds:* a timing of recurrent layers measures the library as much as the cell. On a CPU, PyTorch can
# hand `nn.LSTM` to **oneDNN**, a fused kernel for the whole sequence, while `nn.RNN` and `nn.GRU` run as separate
# operations per step; the table times one training step of §4's sizes (one CPU thread, median of 7) with oneDNN on
# and off:

# %% tags=["nbval-ignore-output"]
step_ms = {onednn: {kind: rnn.step_cpu_ms(kind, len(vocab), onednn=onednn) for kind in rnn.KINDS}
           for onednn in (True, False)}
slow_down = {kind: step_ms[False][kind] / step_ms[True][kind] for kind in rnn.KINDS}
timing = pd.DataFrame({"ms per step, oneDNN on": step_ms[True], "ms per step, oneDNN off": step_ms[False],
                       "off / on": slow_down}).rename_axis("model")
timing.round(2)

# %%
on = step_ms[True]
unfused_change = max(abs(slow_down[kind] - 1) for kind in ("rnn", "gru"))  # the larger change of RNN and GRU
claim("with oneDNN on (PyTorch's default), the GRU's step is slower than the LSTM's", on["gru"] > on["lstm"],
      f"GRU {on['gru']:.1f} ms, LSTM {on['lstm']:.1f} ms")
claim("oneDNN off slows the LSTM's step by over 30 %, more than it changes the RNN's or the GRU's",
      slow_down["lstm"] > 1.3 and slow_down["lstm"] - 1 > unfused_change, ", ".join(f"{k} × {slow_down[k]:.2f}" for k in rnn.KINDS))

# %% [markdown]
# ### E. The language-model lab
#
# *What this adds:* try the settings yourself. The panel trains a tiny character model (hidden size 64) on the first 30,000 training characters for three
# epochs, then reports its validation bpc (on the first 5,000 validation characters) and writes a sample. Each
# setting of RNN type, sequence length and device is trained once, when first chosen (the read-out says
# "training …" meanwhile), and cached; moving the temperature only draws a new sample. Things to try:
#
# - **Temperature** 0.2 vs 1.5 on the same model: repetitive loops of frequent words vs invented spellings.
# - **Sequence length** 8 vs 128: with a fixed amount of text, short windows mean many more updates (the read-out
#   counts them) but gradients that reach back only a few characters; long windows, the reverse. Which wins in
#   such a short run?
# - **RNN type**: do the curves separate in a run this short? Compare with the 5 epochs of §4.
#
# Where widgets do not run (e.g. on GitHub), the cell shows the read-out and sample of the panel's first setting
# (the LSTM, sequence length 32), a static figure of the three RNN types' validation curves at that length (the
# LSTM bold) and their last bpc. Its reference lines are counted on the lab's own, shorter texts:

# %%
lab_unigram = rnn.unigram_bpc(train_ids[:30_000], val_ids[:5_000], len(vocab))
print(f"the lab's 'frequencies only' line: {lab_unigram:.3f} bits per character "
      f"(30,000 training, 5,000 validation characters; §1 on the full texts: {unigram:.3f})")

# %% tags=["nbval-ignore-output"]
from helpers.widgets import language_model_lab

language_model_lab(device=device.type)

# %% [markdown]
# ### F. More to try (no check)
#
# Re-train the GRU of section 4 with `epochs=20`: does its validation curve flatten, and where? On a GPU, also try
# `hidden_size=512` and compare the time per epoch on the CPU and the GPU. For another, punctuation-free
# offline text, `rnn.load_char_data("wiki")` joins the words of the Wikipedia excerpt that
# gensim ships.
