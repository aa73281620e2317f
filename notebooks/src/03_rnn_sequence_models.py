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
# - what a character-level language model predicts, and how to score it in **bits per character** (bpc), which is
#   the cross-entropy loss in nats divided by $\ln 2$;
# - the equations of the plain RNN, the LSTM and the GRU, what each gate does, one LSTM step written by hand and
#   checked against `nn.LSTM`, and the PyTorch model that wraps the layers;
# - how one long text becomes contiguous batches for **truncated back-propagation through time**, and why the
#   hidden state is carried from one window to the next but *detached*; the one training step that does it;
# - the classic LSTM-state crash (passing `h` where the LSTM wants `(h, c)`) and its fix;
# - how the three cells compare on the same text and budget, in bits per character and weights;
# - how to generate text one character at a time, and what the **temperature** does;
# - why a **bidirectional** RNN cannot be a left-to-right language model (it reads the answer), yet helps a tagger
#   or classifier that is given the whole input; a table of the RNN family, tied to these measurements.
#
# *Going further*, after the summary: why the time per epoch does not follow the weight count on a CPU (measured),
# and the language-model lab (RNN type, sequence length, temperature). Then four exercises: a parameter count, the
# bits-per-character loss, a GRU step by hand and greedy decoding.
#
# **Run time:** about a minute on a 2-core CPU, offline (the last cell prints this run's wall-clock time, longer
# on a busy computer, and the CPU time the notebook used). Every model here is
# trained for only a few epochs, so the texts it writes are far from fluent; the point is the comparison, made on the same
# data with the same number of updates. Every helper uses the GPU when there is one (`device="auto"`).
#
# **How to read the checks.** A line starting with ✔ is a sentence of this lesson tested against the numbers this
# run computed (the digits after "measured:" are this run's). If your computer's numbers ever contradict it, the
# line shows ✘ instead.

# %%
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
from helpers.recurrent import Recurrent, count_parameters, detach_state
from helpers.rnn import CharLM, Tagger
from helpers.show import show_code
from helpers.training import optimizer_step
from helpers.vocab import Vocab

plt.rcParams["figure.dpi"] = 80
started, cpu_started = time.perf_counter(), time.process_time()

# %% tags=["nbval-ignore-output"]
device = pick_device("auto")  # CUDA, then Apple MPS, then CPU: every training helper below takes device=...
print("device:", device)

# %% [markdown]
# > **Another device.** The numbers on this page were computed on the device printed above. If you run it on a GPU
# > or a Mac (MPS) and the losses look odd (NaN, or far above this page's), run the cell above with
# > `device = pick_device("cpu")` instead: the models are small and the CPU is fast enough.

# %% [markdown]
# ## 1. The task: predict the next character
#
# A language model assigns a probability to every possible next symbol given everything before it. At the level
# of **characters**, the vocabulary is tiny (letters, digits, punctuation, the space) and there are no unknown
# words: the model has to learn spelling, frequent words and a bit of grammar from scratch.
#
# Our text is offline and real: the news articles of the *Lee background corpus*, which ships with gensim. We
# lower-case it, turn every run of white space into one space, and keep the last 10 % (read in order, not
# shuffled) as validation text. The vocabulary is the course's one `Vocab` type, built from characters, most
# frequent first.

# %%
vocab, train_ids, val_ids = rnn.load_char_data("lee", val_fraction=0.1)
print(f"training characters:   {len(train_ids):,}")
print(f"validation characters: {len(val_ids):,}")
print(f"vocabulary: {len(vocab)} characters:", "".join(vocab.tokens))
print("the first 300 training characters:", rnn.decode(vocab, train_ids[:300]))

# %% [markdown]
# **Bits per character.** If a model gives the true next character probability $p$, it pays $-\log_2 p$ bits.
# The average over a text is its bits per character: 0 means it always knew the next character for sure;
# guessing uniformly among the whole alphabet costs $\log_2(\text{vocabulary size})$ bits. A model that knows only
# how frequent each character is (no context at all) sits in between. These two references tell us whether an RNN
# has learnt anything from context.
#
# In PyTorch the training loss is `F.cross_entropy`, the same average of $-\log p$ but with the natural log, in
# **nats**. Since $\log_2 p = \ln p / \ln 2$, **bits per character = cross-entropy (nats) / ln 2**; that is all
# the course's `evaluate_bpc` does, over a whole text (§4 shows it).

# %%
uniform_bpc = math.log2(len(vocab))
unigram = rnn.unigram_bpc(train_ids, val_ids, len(vocab))
print(f"uniform guess over {len(vocab)} characters: {uniform_bpc:.3f} bits per character")
print(f"character frequencies, no context:  {unigram:.3f} bits per character")

# %% [markdown]
# ## 2. One long text, many streams: truncated back-propagation through time
#
# We cannot back-propagate through hundreds of thousands of steps, nor would we want to train on one window at a
# time. Instead:
#
# 1. **Cut the text into `batch_size` contiguous streams** (rows). Row 0 is the first part of the text, row 1 the
#    next part, and so on; a batch is a slice of columns, so every row of the next batch continues exactly where the
#    same row of this batch stopped.
# 2. **Walk along the streams in windows of `seq_len` characters.** The target of each input character is the
#    character after it: the same window shifted by one.
# 3. **Carry the hidden state** from one window to the next (the model keeps its memory of the text so far), but
#    **detach** it: its values are kept, the record of how they were computed is dropped, so back-propagation stops
#    at the window boundary. That is the *truncation*.
#
# Here is the procedure on the alphabet, with 3 streams and windows of 4 characters:

# %%
alphabet = Vocab.of_characters("abcdefghijklmnopqrstuvwxyz")
streams = rnn.batchify(alphabet.encode("abcdefghijklmnopqrstuvwxyz"), batch_size=3)
print("streams:", [rnn.decode(alphabet, row) for row in streams])
for number, (x, y) in enumerate(rnn.windows(streams, seq_len=4), start=1):
    print(f"window {number}: input {[rnn.decode(alphabet, row) for row in x]}  "
          f"target {[rnn.decode(alphabet, row) for row in y]}")

# %% [markdown]
# The two leftover letters (`y`, `z`) do not fill a row and are dropped. Row 1 starts at `i`, right after the
# end of row 0, and window 2 of each row continues window 1 of the *same* row: that is why the state of row $i$
# may be carried into the next window. The last character of a row (`h`, `p`, `x`) has no target, so the last
# window is one character shorter.
#
# ## 3. Three recurrent cells, one model
#
# At step $t$ each cell reads the input vector $x_t$ (here: the embedding of a character) and its previous state.
# $\sigma$ is the logistic sigmoid (values in 0..1, so a gate is a soft switch), $\odot$ multiplies element by
# element, and every $W$ and $b$ is learnt.
#
# **Plain RNN:** $\quad h_t = \tanh(W_x x_t + W_h h_{t-1} + b)$. One weight block; the whole memory is rewritten
# at every step.
#
# **LSTM** (state: the pair $h_t$, $c_t$):
#
# | equation | role |
# |---|---|
# | $i_t = \sigma(W_{xi} x_t + W_{hi} h_{t-1} + b_i)$ | **input gate**: how much of the new candidate is written into the cell |
# | $f_t = \sigma(W_{xf} x_t + W_{hf} h_{t-1} + b_f)$ | **forget gate**: how much of the old cell content is kept |
# | $g_t = \tanh(W_{xg} x_t + W_{hg} h_{t-1} + b_g)$ | **candidate**: the new content proposed at this step |
# | $o_t = \sigma(W_{xo} x_t + W_{ho} h_{t-1} + b_o)$ | **output gate**: how much of the cell is shown as $h_t$ |
# | $c_t = f_t \odot c_{t-1} + i_t \odot g_t$ | **cell state**: updated by *adding* (with $f_t$ near 1 it keeps its content), not rewritten |
# | $h_t = o_t \odot \tanh(c_t)$ | **hidden state**: what the next layer and the next step read |
#
# **GRU** (state: $h_t$ alone), as PyTorch and cuDNN compute it:
#
# | equation | role |
# |---|---|
# | $r_t = \sigma(W_{xr} x_t + W_{hr} h_{t-1} + b_r)$ | **reset gate**: how much of the past enters the candidate |
# | $z_t = \sigma(W_{xz} x_t + W_{hz} h_{t-1} + b_z)$ | **update gate**: how much of the old state is kept rather than replaced |
# | $n_t = \tanh(W_{xn} x_t + b_{xn} + r_t \odot (W_{hn} h_{t-1} + b_{hn}))$ | **candidate**: the new content; the reset gate scales the past's contribution *after* its matrix product |
# | $h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}$ | **new state**: a blend of candidate and old state, no separate cell |
#
# (The original GRU of Cho et al. 2014 applies $r_t$ *before* the product, $W_{hn}(r_t \odot h_{t-1})$; PyTorch's
# form lets all three hidden products run as one matrix product. Notebook 04 measures how far gradients travel back
# in time through each of the three cells.)
#
# | kind | state carried | weight blocks per layer |
# |---|---|---|
# | `rnn` | $h$ | 1 |
# | `lstm` | $(h, c)$ | 4: $i, f, g, o$ |
# | `gru` | $h$ | 3: $r, z, n$ |
#
# **One LSTM step by hand.** `nn.LSTM` keeps the four blocks stacked in the order $i, f, g, o$: `weight_ih_l0` is
# $[W_{xi}; W_{xf}; W_{xg}; W_{xo}]$ (shape `[4 * hidden, input]`), `weight_hh_l0` the same for $W_h$, and it has
# two bias vectors, `bias_ih_l0` and `bias_hh_l0`, whose sum is the $b$ of the equations. Here are the equations in
# PyTorch, run over a short sequence and compared with the layer itself:

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
# The GRU step is Exercise 3. `nn.LSTM` computes the same numbers (the check above), but in one call for the whole
# sequence, which PyTorch can hand to an optimised kernel (Going further A measures that on the CPU).
#
# **The model.** The course has one recurrent backbone, `Recurrent`: an embedding, then `nn.RNN`, `nn.LSTM` or
# `nn.GRU` (built as `nn.LSTM(embed_size, hidden_size, num_layers=..., batch_first=True, bidirectional=...)`).
# Its forward pass (the `lengths` branch is for padded sentences, used in notebook 05), and the character
# language model, which is that backbone plus a linear layer that scores every character of the vocabulary as the
# next one:

# %%
show_code(Recurrent.forward, CharLM.__init__, CharLM.forward)

# %% [markdown]
# Only the recurrent layer changes between the kinds. The shapes on a tiny batch (2 rows of 10 characters):

# %%
x = train_ids[:20].view(2, 10)
for kind in rnn.KINDS:
    model = CharLM(len(vocab), hidden_size=128, kind=kind, embed_size=32)
    logits, state = model(x)
    shapes = [tuple(s.shape) for s in state] if isinstance(state, tuple) else tuple(state.shape)
    print(f"{kind:4}  logits {tuple(logits.shape)}  state {shapes}")

# %% [markdown]
# `logits` has one score per (row, step, vocabulary character); the state has one vector per (layer, row), and
# the LSTM's is a pair.
#
# **The LSTM-state crash.** Code written for an RNN or GRU often keeps "the hidden state" as one tensor. With an
# LSTM that breaks. A typical version of the bug: a model unpacks `output, (hidden, cell) = lstm(...)`, returns
# only `hidden`, and the training loop then treats that tensor as the pair. With one layer `hidden[1]` does not
# exist; with two, `hidden[0]` and `hidden[1]` are the two layers' `h`, not an `(h, c)` pair, and the LSTM refuses
# them (each is 2-D where it wants 3-D). Handing `h` alone to the LSTM fails too, because the LSTM looks for `c` at
# index 1. A second classic is a state made for another batch size (below, the state of 1 row
# handed to a batch of 2; in practice, a prompt's 1-row state handed to the 32 training streams, or the reverse).
# Here are both, caught so that the notebook goes on (the exact wording of the messages depends on the PyTorch
# version):

# %% tags=["nbval-ignore-output"]
lstm = nn.LSTM(input_size=32, hidden_size=128, batch_first=True)
window = torch.randn(2, 10, 32)      # 2 rows, 10 steps, 32 input features
outputs, (h, c) = lstm(window)       # an LSTM returns its state as a pair (h, c)
refused = []
for mistake, wrong_state in [("h alone, without c", h), ("a state for 1 row, batch of 2", (h[:, :1], c[:, :1]))]:
    try:
        lstm(window, wrong_state)    # the next window, with the wrong state carried in
    except (IndexError, RuntimeError, TypeError, ValueError) as error:
        refused.append(type(error).__name__)
        print(f"{mistake}: {type(error).__name__}: {error}")

# %% [markdown]
# The fix: keep the state exactly as the layer returned it (a tensor for RNN and GRU, a pair for the LSTM), detach
# it as a whole when it crosses a window boundary, and build a fresh state (or `None`, meaning zeros) when the
# batch size changes. `detach_state` handles both shapes of state:

# %%
show_code(detach_state)

# %%
outputs, state = lstm(window)                      # keep the pair
outputs, state = lstm(window, detach_state(state))  # carry it into the next window
print("carried state:", [tuple(s.shape) for s in state])
claim("nn.LSTM refused both wrong states with an error", len(refused) == 2, ", ".join(refused))

# %% [markdown]
# Carrying the state is exact: running two windows one after the other, handing the state over, gives the same
# outputs as running their concatenation in one pass.

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
# ## 4. RNN vs LSTM vs GRU on the same text and budget
#
# Training walks along the streams window by window. Each window is one **truncated-BPTT step**: detach the carried
# state, predict every next character, back-propagate, clip the gradient norm, update, and hand the new state on.
# `train_char_lm` calls this function for every window, epoch after epoch (`optimizer_step`, below it, is the
# course's one update step: every training helper calls it):

# %%
show_code(rnn.tbptt_step, optimizer_step)

# %% [markdown]
# After each epoch, `evaluate_bpc` reads a text the same way (contiguous streams, state carried, no updates) and
# turns the summed cross-entropy into bits per character:

# %%
show_code(rnn.evaluate_bpc)

# %% [markdown]
# Each model gets the same embedding size (32), hidden size (128), windows of 64 characters, 32 streams, Adam with
# learning rate 0.005, gradients clipped at norm 1 and 5 epochs, and starts from initial weights drawn with seed 0
# (so a rerun starts from the same weights; the three kinds' weights differ, they have different shapes). After
# each epoch we measure the bits per character on the validation text, and the same measure on as many training
# characters, taken from 16 places spread over the training text.

# %% tags=["nbval-ignore-output"]
SETTINGS = dict(seq_len=64, batch_size=32, epochs=5, lr=5e-3, clip=1.0)
models, histories = {}, {}
for kind in rnn.KINDS:
    # seed=0: the same initial weights for this kind on every run
    models[kind] = CharLM(len(vocab), hidden_size=128, kind=kind, embed_size=32, seed=0)
    histories[kind] = rnn.train_char_lm(models[kind], train_ids, val_ids, device=device, progress=False,
                                        **SETTINGS)
    print(f"{kind}: validation bpc {histories[kind].last('val_bpc'):.3f} after {len(histories[kind])} epochs, "
          f"{sum(histories[kind]['cpu_seconds']):.1f} s of CPU time")

# %% [markdown]
# The weights first: they depend only on the sizes, not on training.

# %%
weights = pd.DataFrame({
    "parameters": {kind: count_parameters(models[kind]) for kind in rnn.KINDS},
    "in the recurrent layer": {kind: count_parameters(models[kind].body.rnn) for kind in rnn.KINDS},
}).rename_axis("model")
weights["recurrent layer vs rnn"] = weights["in the recurrent layer"] / weights.loc["rnn", "in the recurrent layer"]
weights

# %% [markdown]
# With the same sizes, the LSTM's recurrent layer has four times and the GRU's three times the weights of the plain
# RNN's: one weight block per gate (or candidate). The embedding and the output layer are the same for all.
#
# Then what the training reached (the checks below hold the sentences of this section, with margins):

# %% tags=["nbval-ignore-output"]
results = pd.DataFrame({
    "validation bpc, epoch 1": {kind: h["val_bpc"][0] for kind, h in histories.items()},
    "validation bpc, last epoch": {kind: h.last("val_bpc") for kind, h in histories.items()},
    "training bpc, last epoch": {kind: h.last("train_bpc") for kind, h in histories.items()},
}).rename_axis("model")
results["gain since epoch 1"] = results["validation bpc, epoch 1"] - results["validation bpc, last epoch"]
results.round(3)

# %%
last = {kind: h.last("val_bpc") for kind, h in histories.items()}
claim("all three models end more than 1.5 bits per character below the no-context baseline",
      max(last.values()) < unigram - 1.5, f"worst {max(last.values()):.2f} vs baseline {unigram:.2f}")
claim("in this run, the LSTM and the GRU each end more than 0.05 bits per character below the plain RNN",
      last["lstm"] < last["rnn"] - 0.05 and last["gru"] < last["rnn"] - 0.05,
      f"LSTM {last['lstm']:.3f}, GRU {last['gru']:.3f} vs RNN {last['rnn']:.3f}")
claim("every validation curve is still falling at the end: lower in the last epoch than in the one before",
      all(h["val_bpc"][-1] < h["val_bpc"][-2] for h in histories.values()),
      ", ".join(f"{k} {h['val_bpc'][-2]:.3f} -> {h['val_bpc'][-1]:.3f}" for k, h in histories.items()))

# %% tags=["nbval-ignore-output"]
order = sorted(last, key=last.get, reverse=True)  # worst first
names = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}
last_gain = {kind: h["val_bpc"][-2] - h["val_bpc"][-1] for kind, h in histories.items()}
display(Markdown(
    "What the numbers show:\n\n"
    "- **Bits per character**: all three go far below the no-context baseline, so they use the context. In this "
    f"run the order, highest bpc first, is {', '.join(names[k] for k in order)}, with gaps of "
    f"{last[order[0]] - last[order[1]]:.2f} and {last[order[1]] - last[order[2]]:.2f} bits per character. Gaps "
    "this small, from one seed (one set of starting weights), cannot rank the cells.\n"
    "- **Not a finished model**: the last epoch still gained "
    f"{min(last_gain.values()):.3f} to {max(last_gain.values()):.3f} bits per character, so this is what at most "
    f"{max(sum(h['cpu_seconds']) for h in histories.values()):.0f} s of CPU time per model buys (printed above), "
    "not what these cells can do. The comparison is one of equal updates, not of "
    "equal size (the LSTM has 4 and the GRU 3 times the RNN's recurrent weights) nor of equal time per update "
    "(Going further A)."))

# %% [markdown]
# **Two kinds of curve.** Per model, validation bpc (solid) and training bpc measured the same way at the end of
# each epoch (dashed). The right panel adds, for the LSTM, what a training loop usually prints: the mean training
# loss *over* the epoch. That running mean includes the epoch's first, worse windows, so it lags behind the model:
# in epoch 1 it lies above both end-of-epoch measures (checked below), which says nothing about unseen text being
# easier. Measured the same way, training and validation bpc start level and then draw apart: the model begins to
# fit its own training text (checked below).

# %% tags=["nbval-ignore-output"]
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2), sharey=True)  # one scale for both panels
plots.plot_bpc_curves(left, histories, title=f"Character LMs on the Lee news text\n(frequencies only, no context: "
                                             f"{unigram:.2f} bpc, above this scale)")
left.legend(fontsize="small", ncol=3)
plots.plot_running_mean_lag(right, histories["lstm"], "LSTM", color="C1",  # the LSTM's colour on the left
                            title="LSTM: mean over the epoch vs measured at its end")
fig.tight_layout()
plt.show()

# %%
epoch1 = {kind: (h["train_loss"][0] / math.log(2), h["train_bpc"][0]) for kind, h in histories.items()}
claim("in epoch 1, the mean training loss over the epoch lies above the training bpc measured at its end, "
      "for every model", all(mean > end for mean, end in epoch1.values()),
      ", ".join(f"{k} {mean:.2f} > {end:.2f}" for k, (mean, end) in epoch1.items()))
claim("in epoch 1, that running mean even lies above the validation bpc, for every model",
      all(h["train_loss"][0] / math.log(2) > h["val_bpc"][0] for h in histories.values()),
      ", ".join(f"{k} {h['train_loss'][0] / math.log(2):.2f} > {h['val_bpc'][0]:.2f}" for k, h in histories.items()))
first_gap = {kind: h["val_bpc"][0] - h["train_bpc"][0] for kind, h in histories.items()}
gap = {kind: h.last("val_bpc") - h.last("train_bpc") for kind, h in histories.items()}
claim("after epoch 1, measured the same way, validation and training bpc are within 0.03 bits of each other, "
      "for every model", all(abs(g) < 0.03 for g in first_gap.values()),
      ", ".join(f"{k} {g:+.3f}" for k, g in first_gap.items()))
claim("by the last epoch the gap (validation minus training bpc) has grown by more than 0.03 bits, for every model",
      all(gap[k] - first_gap[k] > 0.03 for k in gap),
      ", ".join(f"{k} {first_gap[k]:+.3f} -> {gap[k]:+.3f}" for k in gap))

# %% [markdown]
# ## 5. Writing text, one character at a time
#
# To generate, we feed a prompt, take the scores for the next character, turn them into probabilities with a
# **temperature** $T$, $p_i \propto \exp(\text{score}_i / T)$, draw one character, feed it back in with the
# carried state, and repeat. $T < 1$ sharpens the distribution (safe, repetitive choices); $T > 1$ flattens it
# (more variety, more misspellings). Here is what that does to the best model's next-character distribution after
# one prompt:

# %% tags=["nbval-ignore-output"]
best = min(last, key=last.get)
prompt = "the prime minister says the governmen"
probs = {temperature: rnn.next_char_probs(models[best], vocab, prompt, temperature, device=device)
         for temperature in (0.5, 1.0, 2.0)}
rows = {}
for temperature, p in probs.items():
    top = p.topk(3)
    rows[f"T = {temperature}"] = {f"choice {rank + 1}": f"{vocab.tokens[int(i)]!r} {q:.2f}"
                                  for rank, (q, i) in enumerate(zip(top.values.tolist(), top.indices.tolist()))}
print(f"model: {best}; prompt: {prompt!r}")
pd.DataFrame(rows).T

# %%
top_ids = {t: int(p.argmax()) for t, p in probs.items()}
top_p = {t: p.max().item() for t, p in probs.items()}
claim("the model completes 'governmen' with 't'", vocab.tokens[top_ids[1.0]] == "t",
      f"{vocab.tokens[top_ids[1.0]]!r} with probability {top_p[1.0]:.3f}")

# %% [markdown]
# The table shows two facts that hold for any scores, by the maths. Dividing every score by the same $T > 0$ keeps
# their order, so the most likely character is the same at every temperature; and the top character's probability
# rises as $T$ falls (towards 1 as $T \to 0$) and falls towards $1/V$ (all $V$ characters of the vocabulary
# equally likely) as $T$ grows. The temperature changes how sure the sampler is, never the model's ranking.

# %% [markdown]
# And the texts it writes at two temperatures (the sampler has its own seeded random generator, so on one computer
# each line can be reproduced), with the share of its words that occur in the training text (counted over 1,000
# generated characters):

# %% tags=["nbval-ignore-output"]
training_words = set(rnn.decode(vocab, train_ids).split())
real_share = {}
for temperature in (0.5, 1.0):
    text = rnn.sample(models[best], vocab, "the government ", length=1000, temperature=temperature,
                      device=device, seed=0)
    words = text.split()[2:-1]  # leave out the prompt and the last, possibly cut, word
    real_share[temperature] = sum(word in training_words for word in words) / len(words)
    print(f"--- {best}, temperature {temperature}: {real_share[temperature]:.0%} of its {len(words)} words "
          f"occur in the training text ---")
    print(text[:250], "...\n")

# %%
claim("at temperature 0.5 a larger share of the generated words are real words than at temperature 1",
          real_share[0.5] > real_share[1.0], f"{real_share[0.5]:.0%} vs {real_share[1.0]:.0%}")

# %% [markdown]
# At the lower temperature the model sticks to its most likely spellings and frequent words; at temperature 1 it
# samples its real, still uncertain distribution, and more invented words appear. Both are far from fluent English
# after this short training.
#
# At the other extreme, as $T \to 0$ the most likely character gets all the probability: sampling becomes
# **greedy decoding** (always take the top character; Exercise 4 writes it). At $T = 0.05$:

# %% tags=["nbval-ignore-output"]
cold = rnn.sample(models[best], vocab, "the government ", length=300, temperature=0.05, device=device, seed=0)
cold_words = cold.split()[:-1]  # the last word may be cut
distinct = len(set(cold_words)) / len(cold_words)
print(f"{cold[:200]} ...")

# %%
claim("at T = 0.05 the text loops over a few phrases: fewer than half of its words are distinct", distinct < 0.5,
      f"{len(set(cold_words))} distinct of {len(cold_words)} words ({distinct:.0%})")

# %% [markdown]
# Why it loops, and why text is therefore usually *sampled*, is the question of Exercise 4.
#
# ## 6. Bidirectional RNNs: cheating as a language model, useful as a tagger
#
# A bidirectional layer runs a second RNN from right to left and concatenates both hidden states at every
# step. So the output at step $t$ depends on the characters **after** $t$ too. Let us measure it: change a single
# input character (step 20 of a window) and see which outputs move. The models are freshly initialised: this is
# a property of the wiring, not of training.

# %%
window = val_ids[:40].view(1, 40)
t_changed = 20
profiles = {}
for bidirectional in (False, True):
    fresh = CharLM(len(vocab), 64, "lstm", embed_size=32, bidirectional=bidirectional, seed=0)
    name = "bidirectional (LSTM)" if bidirectional else "left to right (LSTM)"
    profiles[name] = rnn.influence_of_one_input(fresh, window, t_changed)
for name, change in profiles.items():
    print(f"{name}: outputs before step {t_changed} that changed: {int((change[:t_changed] > 0).sum())} "
          f"of {t_changed}")

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
plots.plot_influence(ax, profiles, t_changed)
plt.show()

# %% [markdown]
# The left-to-right model's outputs before step 20 do not move at all: they cannot depend on a character they
# have not read. The bidirectional model's outputs move at every step, most near the changed character (in these
# untrained models the effect fades with distance). For next-character prediction that is fatal:
# the output at step $t$ is supposed to *predict* character $t+1$, and the backward direction has already *read*
# it. Trained as a language model, it learns to copy. Same data and epochs for both, hidden size 64 (per
# direction), two epochs on the first 100,000 training characters:

# %% tags=["nbval-ignore-output"]
leak_models, leak_bpc = {}, {}
for bidirectional in (False, True):
    name = "bidirectional" if bidirectional else "left to right"
    leak_models[name] = CharLM(len(vocab), 64, "lstm", embed_size=32, bidirectional=bidirectional, seed=0)
    history = rnn.train_char_lm(leak_models[name], train_ids[:100_000], val_ids, seq_len=64, batch_size=32,
                                epochs=2, lr=5e-3, device=device, progress=False)
    leak_bpc[name] = history.last("val_bpc")
print("validation bits per character after two epochs:",
      ", ".join(f"{name} {bpc:.2f}" for name, bpc in leak_bpc.items()))

# %%
claim("the bidirectional 'language model' scores below 1 bit per character",
      leak_bpc["bidirectional"] < 1.0, f"{leak_bpc['bidirectional']:.2f}")
claim("that is far better (by more than 1 bit) than the honest LSTM of section 4, after a fraction of its training",
          leak_bpc["bidirectional"] < last["lstm"] - 1.0,
          f"{leak_bpc['bidirectional']:.2f} vs {last['lstm']:.2f}")

# %% [markdown]
# The bidirectional "language model" is too good to be true: its score comes from reading the character it is
# asked to predict (the wiring measured above), not from knowing English. When it must *write*, there is no future
# text to read, and it falls apart. We let each write 300 characters after the same prompt and count which share
# of the letters it wrote lie in words that occur in the training text (a text with no spaces is one long word):

# %% tags=["nbval-ignore-output"]
leak_real = {}
for name, model in leak_models.items():
    text = rnn.sample(model, vocab, "the government ", length=300, temperature=0.5, device=device, seed=0)
    written = text[len("the government "):].split()
    words = written[:-1] if len(written) > 1 else written  # the last word may be cut, unless it is the only one
    letters = sum(len(word) for word in words)
    leak_real[name] = sum(len(word) for word in words if word in training_words) / letters
    print(f"--- {name}: {leak_real[name]:.0%} of its {letters} letters lie in words of the training text ---\n"
          f"{text[:150]}\n")

# %%
claim("the bidirectional model writes a smaller share of its letters in real words than the left-to-right one",
          leak_real["bidirectional"] < leak_real["left to right"],
          f"{leak_real['bidirectional']:.0%} vs {leak_real['left to right']:.0%}")

# %% [markdown]
# **Where reading both ways is legitimate.** When the whole input is given and we only label it, looking right
# is not cheating, it is information. Take **word segmentation** (a real task for languages written without
# spaces, or for hashtags like `#nowhiring`): remove the spaces from the text and ask, for every character,
# "does a word end here?". A left-to-right tagger must decide before it sees the next letters; a bidirectional
# one sees them. The tagger is the same backbone (its embedding as wide as its hidden state) with a two-label head.
# A bidirectional layer has two recurrent layers, one per direction, so at the same hidden size it would have about
# twice the weights; we give it 46 units per direction instead of 64, which makes the two taggers the same size
# (printed below), and the same training:

# %%
joined, ends = rnn.segmentation_data(rnn.decode(vocab, torch.cat([train_ids, val_ids])))
joined_ids = vocab.encode(joined)
cut = int(0.9 * len(joined_ids))
print(joined[:80])
print("".join(str(label) for label in ends[:80].tolist()))
print(f"share of characters that end a word: {ends.float().mean():.3f}")

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
print(f"always 'no word end':  accuracy {baseline:.3f}, errors {1 - baseline:.3f}")
for name, acc in accuracy.items():
    print(f"{name:13} tagger ({tagger_size[name]:,} parameters): accuracy {acc:.3f}, errors {1 - acc:.3f}")

# %%
errors = {name: 1 - acc for name, acc in accuracy.items()}
two_way_64 = count_parameters(Tagger(len(vocab), 64, bidirectional=True, seed=0))
claim("at 64 units per direction, a bidirectional tagger would have about twice the weights (1.8 to 2.2 times)",
      1.8 < two_way_64 / tagger_size["left to right"] < 2.2, f"{two_way_64:,} vs {tagger_size['left to right']:,}")
claim("the two taggers have the same number of parameters, within 2 %",
      abs(tagger_size["bidirectional"] / tagger_size["left to right"] - 1) < 0.02,
      ", ".join(f"{n} {size:,}" for n, size in tagger_size.items()))
claim("both taggers beat the trivial 'no word end' baseline by more than 5 points",
      min(accuracy.values()) > baseline + 0.05,
      f"{', '.join(f'{n} {a:.3f}' for n, a in accuracy.items())} vs {baseline:.3f}")
claim("the bidirectional tagger makes fewer than half the errors of the left-to-right one",
          errors["bidirectional"] < 0.5 * errors["left to right"],
          f"{errors['bidirectional']:.3f} vs {errors['left to right']:.3f}")

# %% [markdown]
# Whether `...governmen` + `t` ends a word is clearest from what comes *after* it. The same holds for sentence
# classification (notebook 05 trains a bidirectional LSTM among its sentiment classifiers): the classifier is handed the whole
# sentence, so the backward direction may read it too. The rule: **use a bidirectional model when the whole input
# is known at prediction time (tagging, classification); never when it must predict or generate what comes next.**
#
# ## 7. The RNN family at a glance
#
# Each row is tied to where the course measures it; "background" marks what we state without measuring it here.
#
# | | strengths | weaknesses | typical uses |
# |---|---|---|---|
# | **RNN** | fewest weights (§4 weights table: a quarter of the LSTM's recurrent layer); simplest to read | one rewritten state: the gradient fades over long distances (notebook 04 measures it); highest bpc of the three in this one-seed run (§4 check) | short sequences, baselines, teaching |
# | **LSTM** | an additive cell state that a forget gate near 1 keeps; with PyTorch's default forget bias (gate ≈ 0.5 at the start) its gradient fades too, and notebook 04 needs a forget bias of 3 before it reaches far back; below the RNN in this one-seed run (§4 check); a fused kernel on the CPU (oneDNN, measured in Going further A) | most weights (§4: 4 blocks); a pair of states to carry (§3 crash) | language models, speech, tagging and translation before Transformers (background) |
# | **GRU** | three quarters of the LSTM's recurrent weights (§4), one state tensor; its update gate can also keep a state, and in notebook 04 it kept more gradient than the LSTM at the start; below the RNN in this one-seed run (§4) | no separate cell; on a CPU, slower per step than the LSTM here (Going further A) | like the LSTM when weights or memory are tight (background) |
# | **bidirectional** (any of them) | reads both sides of each position: fewer than half the tagging errors (§6 check) | needs the whole input before the first output; two recurrent layers' work (background); cheats as a language model (§6 checks) | tagging (segmentation, named entities), sentence classification (notebook 05), encoders |
#
# **When bidirectional is not allowed:** whenever the output at a position must not depend on what comes after it:
# language models and any text generation (§6: it copies instead of predicting), streaming or real-time input where
# the future has not arrived yet (live speech, typing suggestions), and the decoder of a translation model.
#
# ## Summary
#
# - A character language model predicts the next character; its quality is **bits per character** on held-out
#   text (the cross-entropy in nats divided by ln 2), to be read against the uniform guess and the context-free
#   frequency model.
# - The RNN rewrites one state; the LSTM adds a cell state updated through input, forget and output gates; the GRU
#   blends old state and candidate through update and reset gates. One LSTM step is a few lines of PyTorch on the
#   layer's stacked weights. In PyTorch all three are one layer inside the same backbone + head model; only the
#   LSTM's state is a pair `(h, c)`, and code that carries only `h` crashes.
# - **Truncated BPTT**: cut the text into contiguous streams, walk along them in windows, carry the state from
#   window to window and detach it, so memory flows forward while gradients stop at the window boundary.
# - On the same data and number of updates, in one short run from one seed, the gated cells ended below the plain
#   RNN (with 3 to 4 times its recurrent weights); the gaps between all three are small, and one seed cannot rank
#   them.
# - A running mean of the training loss over an epoch lags behind the model; measure training and validation the
#   same way before comparing them. Measured so, the gap between them grows with training as the model starts to
#   fit its training text.
# - **Temperature** trades safety for variety when sampling; a seeded generator makes samples reproducible on one
#   computer.
# - A **bidirectional** model sees the future: as a language model it reads the answer and scores "too good to be
#   true" while being unable to write; as a tagger of a complete input it genuinely helps, at equal size.
#
# ## Going further
#
# ### A. Time per step: not simply "more weights, more time"
#
# The arithmetic per step grows with the weight blocks (RNN 1, GRU 3, LSTM 4), but what you wait for is how
# PyTorch runs it. On a CPU, PyTorch can hand `nn.LSTM` to **oneDNN**, a library with a fused LSTM kernel for the
# whole sequence; `nn.RNN` and `nn.GRU` run as a matrix product and several separate element-wise operations per
# step. Switching oneDNN off (`torch.backends.mkldnn.flags(enabled=False)`) shows which layer uses it. We time one
# training step (32 streams × 64 characters, the sizes of §4) per kind, on one CPU thread, as CPU time (the median
# of 7 steps). Next to it, §4's training measured differently: the mean CPU time of one epoch's training windows
# (evaluation not included), with PyTorch's default number of threads, summed over those threads:

# %% tags=["nbval-ignore-output"]
step_ms = {onednn: {kind: rnn.step_cpu_ms(kind, len(vocab), onednn=onednn) for kind in rnn.KINDS}
           for onednn in (True, False)}
epoch_seconds = {kind: sum(h["cpu_seconds"]) / len(h) for kind, h in histories.items()}
timing = pd.DataFrame({"ms per step, oneDNN on": step_ms[True], "ms per step, oneDNN off": step_ms[False],
                       "off / on": {k: step_ms[False][k] / step_ms[True][k] for k in rnn.KINDS},
                       "§4: CPU s per epoch (default threads)": epoch_seconds}).rename_axis("model")
timing.round(2)

# %%
slow_down = {kind: step_ms[False][kind] / step_ms[True][kind] for kind in rnn.KINDS}
claim("switching oneDNN off slows the LSTM's training step by more than 30 %", slow_down["lstm"] > 1.3,
      f"× {slow_down['lstm']:.2f}")
claim("with oneDNN on (PyTorch's default), the GRU's step is slower than the LSTM's",
      step_ms[True]["gru"] > step_ms[True]["lstm"],
      f"GRU {step_ms[True]['gru']:.1f} ms, LSTM {step_ms[True]['lstm']:.1f} ms")
claim("it changes the RNN's and the GRU's steps by less than 25 %, and by less than it changes the LSTM's",
      all(abs(slow_down[k] - 1) < min(0.25, slow_down["lstm"] - 1) for k in ("rnn", "gru")),
      ", ".join(f"{k} × {slow_down[k]:.2f}" for k in rnn.KINDS))
order = sorted(step_ms[False], key=step_ms[False].get)
display(Markdown(f"With oneDNN off, the order per step is **{' < '.join(k.upper() for k in order)}**; with it on, "
                 f"**{' < '.join(k.upper() for k in sorted(step_ms[True], key=step_ms[True].get))}**. "
                 "So a timing comparison of recurrent layers measures PyTorch's kernels as much as the cells: "
                 "report the device and the library with it."))

# %% [markdown]
# On an NVIDIA GPU, cuDNN has fused kernels for all three cells (not measured here; `benchmarks/bench_rnn.py
# --device cuda` times one training step there).
#
# ### B. The language-model lab
#
# The panel trains a tiny character model (hidden size 64) on the first 30,000 training characters for three
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
# Below the panel, a static figure stays visible where widgets do not run, e.g. on GitHub: the validation curves
# of the three RNN types at sequence length 32 (the panel's first setting, the LSTM, bold), then the LSTM's
# sample. Where a thin curve cannot be seen, it lies under another. Its reference lines are counted on the lab's
# own, shorter texts:

# %%
lab_unigram = rnn.unigram_bpc(train_ids[:30_000], val_ids[:5_000], len(vocab))
print(f"the lab's 'frequencies only' line: {lab_unigram:.3f} bits per character "
      f"(30,000 training, 5,000 validation characters; §1 on the full texts: {unigram:.3f})")

# %% tags=["nbval-ignore-output"]
from helpers.widgets import language_model_lab

language_model_lab(device=device.type)

# %% [markdown]
# ### C. More to try (no check)
#
# Re-train the GRU of section 4 with `epochs=20`: does its validation curve flatten, and where? On a GPU, also try
# `hidden_size=512` and compare the time per epoch on the CPU and the GPU. For another, punctuation-free
# offline text, `rnn.load_char_data("wiki")` joins the words of the Wikipedia excerpt that
# gensim ships.
#
# ## Exercises
#
# Each exercise has an answer cell, where you write a function, and a check cell that runs it and says what is
# right or what is wrong. The worked solution is folded below each check: try first, then open it.
#
# ### Exercise 1 — count the weights of a stacked LSTM
# Write `lstm_parameters(vocab_size, embed_size, hidden_size, num_layers)`, the number of trainable parameters of
# `CharLM(vocab_size, hidden_size, kind="lstm", embed_size=embed_size, num_layers=num_layers)`, without building
# the model. PyTorch's LSTM layer has, per layer, input weights `4 * hidden * input`, recurrent weights
# `4 * hidden * hidden` and **two** bias vectors of `4 * hidden`; every layer after the first reads the previous
# layer's output. Don't forget the embedding and the head. The check compares with `count_parameters` at several
# sizes; while your function runs, building a `CharLM` or a recurrent layer or cell (`nn.LSTM`, `nn.LSTMCell`, ...) is refused.

# %% nbgrader={"grade": false, "grade_id": "ex03-1-answer", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["solution"]
def lstm_parameters(vocab_size: int, embed_size: int, hidden_size: int, num_layers: int) -> int:
    """Trainable parameters of CharLM(vocab_size, hidden_size, 'lstm', embed_size, num_layers)."""
    ### BEGIN SOLUTION
    V, E, H = vocab_size, embed_size, hidden_size
    total = V * E                                             # the embedding table
    for layer in range(num_layers):
        width = E if layer == 0 else H                        # the first layer reads the embedding, the others h
        total += 4 * H * width + 4 * H * H + 2 * 4 * H        # W_ih, W_hh, b_ih and b_hh
    return total + H * V + V                                  # the head: weights and bias
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex03-1", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["check"]
exercises.check_03_lstm_parameters(lstm_parameters)

# %% [markdown]
# ### Exercise 2 — the bits-per-character loss
# Write `bits_per_character(logits, targets)`: `logits` are a model's scores `[batch, steps, vocab]`, `targets`
# the true next characters `[batch, steps]`. Return the mean over every (row, step) of $-\log_2 p$(target), as a
# 0-dimensional tensor that back-propagation can go through (you could train on it).
# `nn.functional.cross_entropy` (the `F.cross_entropy` of `tbptt_step`) wants scores `[N, vocab]` and targets `[N]`.

# %% nbgrader={"grade": false, "grade_id": "ex03-2-answer", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["solution"]
def bits_per_character(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean bits per character of `logits` [batch, steps, vocab] against `targets` [batch, steps]."""
    ### BEGIN SOLUTION
    nats = nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten())  # mean of -ln p
    return nats / math.log(2)                                                     # ln -> log2
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex03-2", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["check"]
exercises.check_03_bits_per_character(bits_per_character)

# %% [markdown]
# ### Exercise 3 — one GRU step by hand
# Write `gru_step(gru, x, h)`: one step of the one-layer `nn.GRU` `gru`, from its own weights, for inputs `x`
# `[batch, input]` and the previous state `h` `[batch, hidden]`; return the new state `[batch, hidden]`. Use the
# equations of §3 in PyTorch's form: `weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0` and `bias_hh_l0` stack the
# blocks in the order $r, z, n$ (see `lstm_step` in §3 for the pattern). The check compares with `nn.GRU` on
# random weights; while your function runs, PyTorch's own GRU step refuses: `nn.GRU`, `nn.GRUCell` and
# `torch.gru_cell`, also when reached through `torch._VF`, `torch.ops.aten` or TorchScript.

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
# **together with the state** the model returned. Return the prompt followed by the new characters. The check
# watches every call your function makes to the model (the prompt once, then one character and the state the
# previous call returned), on three prompts, with the trained model and with a small LSTM, whose state is the
# pair $(h, c)$. Then look at what greedy
# decoding writes (the check cell prints it once your function passes): why do people sample instead?

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
exercises.check_03_greedy(greedy, models[best], vocab)
print(greedy(models[best], vocab, "the government ", 150))  # what greedy decoding writes

# %% [markdown]
# <details><summary>What greedy decoding shows</summary>
#
# Greedy text soon loops over the same few phrases, like the $T = 0.05$ text of §5: always taking the top
# character never explores the rest of the distribution, and once the model has written a phrase, the most likely
# continuation leads back into it. Sampling (with a temperature) trades a little likelihood per character for
# variety.
# </details>

# %% tags=["nbval-ignore-output"]
print(f"notebook run time: {time.perf_counter() - started:.0f} s wall-clock, "
      f"{time.process_time() - cpu_started:.0f} s of CPU time")
