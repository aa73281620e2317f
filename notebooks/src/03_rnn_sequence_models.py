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
# - what a character-level language model predicts, and how to score it in **bits per character** (bpc);
# - the equations of the plain RNN, the LSTM and the GRU, what each gate does, and the PyTorch model that wraps them;
# - how one long text becomes contiguous batches for **truncated back-propagation through time**, and why the
#   hidden state is carried from one window to the next but *detached*; the one training step that does it;
# - the classic LSTM-state crash (passing `h` where the LSTM wants `(h, c)`) and its fix;
# - how the three cells compare on the same text and budget, in bits per character, weights and time;
# - how to generate text one character at a time, and what the **temperature** does;
# - why a **bidirectional** RNN cannot be a left-to-right language model (it reads the answer), yet helps a tagger
#   or classifier that is given the whole input; a table of the RNN family, tied to these measurements;
# - the language-model lab: RNN type, sequence length, temperature and device, and what they do to bpc and samples.
#
# **Run time:** about a minute on a 2-core CPU, offline (the last cell prints this run's time). Every model here is
# trained for only a few epochs, so the texts it writes are far from fluent; the point is the comparison, made under
# equal conditions. **On a GPU:** not measured yet; every helper uses the GPU when there is one (`device="auto"`),
# and `benchmarks/bench_rnn.py --device cuda` times one training step there.
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
from helpers.recurrent import count_parameters, detach_state
from helpers.rnn import CharLM, Tagger
from helpers.show import show_code
from helpers.training import optimizer_step
from helpers.vocab import Vocab

plt.rcParams["figure.dpi"] = 80
started = time.perf_counter()

# %% tags=["nbval-ignore-output"]
device = pick_device("auto")  # CUDA, then Apple MPS, then CPU: every training helper below takes device=...
print("device:", device)

# %% [markdown]
# > **Apple silicon (MPS).** LSTMs on the MPS backend have been known to give wrong losses in some PyTorch
# > versions. If the losses below look odd on a Mac (NaN, or far above the CPU numbers in this notebook), run the
# > cell above with `device = pick_device("cpu")` instead: the models are small and the CPU is fast enough.

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
# | $c_t = f_t \odot c_{t-1} + i_t \odot g_t$ | **cell state**: updated by *adding*, so it can keep information (and gradient) for long |
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
# form lets all three hidden products run as one matrix product. Notebook 04 shows why the additive updates of
# $c_t$ and $h_t$ help gradients travel back in time.)
#
# | kind | state carried | weight blocks per layer |
# |---|---|---|
# | `rnn` | $h$ | 1 |
# | `lstm` | $(h, c)$ | 4: $i, f, g, o$ |
# | `gru` | $h$ | 3: $r, z, n$ |
#
# **The model.** The course has one recurrent backbone, `Recurrent` (embedding, then `nn.RNN`, `nn.LSTM` or
# `nn.GRU`, batch first). The character language model is that backbone plus a linear layer that scores every
# character of the vocabulary as the next one:

# %%
show_code(CharLM.__init__, CharLM.forward)

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
# LSTM that breaks: the lesson this course replaces unpacked `output, (hidden, cell) = lstm(...)` inside its model,
# returned only `hidden`, and its training loop then treated that tensor as the pair: `hidden[1]` does not exist.
# Handing `h` alone to the LSTM fails the same way, because the LSTM looks for `c` at index 1. A second classic is
# a state made for another batch size (for example the state of 32 training streams handed to a 1-row prompt).
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
# Each model gets the same embedding size (32), hidden size (128), windows of 64 characters, 32 streams, Adam with
# learning rate 0.005, gradients clipped at norm 1, 8 epochs and the same seed. After each epoch we measure the
# bits per character on the validation text, and the same measure on as many training characters, taken from 16
# places spread over the training text.

# %% tags=["nbval-ignore-output"]
SETTINGS = dict(seq_len=64, batch_size=32, epochs=8, lr=5e-3, clip=1.0)
models, histories = {}, {}
for kind in rnn.KINDS:
    # seed=0: the same initial weights for this kind on every run
    models[kind] = CharLM(len(vocab), hidden_size=128, kind=kind, embed_size=32, seed=0)
    histories[kind] = rnn.train_char_lm(models[kind], train_ids, val_ids, device=device, **SETTINGS)

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
# Then what the training reached (these digits depend on the computer; the checks below do not):

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
claim("the LSTM and the GRU each end more than 0.05 bits per character below the plain RNN",
      last["lstm"] < last["rnn"] - 0.05 and last["gru"] < last["rnn"] - 0.05,
      f"LSTM {last['lstm']:.3f}, GRU {last['gru']:.3f} vs RNN {last['rnn']:.3f}")
claim("the LSTM and the GRU end within 0.1 bits per character of each other", abs(last["lstm"] - last["gru"]) < 0.1,
      f"LSTM {last['lstm']:.3f}, GRU {last['gru']:.3f}")
claim("every validation curve is still falling at the end: lower in the last epoch than two epochs before",
          all(h["val_bpc"][-1] < h["val_bpc"][-3] for h in histories.values()),
          ", ".join(f"{k} {h['val_bpc'][-3]:.3f} -> {h['val_bpc'][-1]:.3f}" for k, h in histories.items()))

# %% [markdown]
# What the numbers show:
#
# - **Bits per character**: all three go far below the no-context baseline, so they use the context. The gated
#   cells end below the plain RNN, by about a tenth of a bit in the run that made this page (read the gap in the
#   table; the check asks for more than 0.05): a real but modest difference after 8 short epochs. The LSTM and
#   the GRU end close to each other (the check asks for less than 0.1 bits apart); which of the two comes first
#   here is not a ranking this short run can defend.
# - **Honesty about the level reached**: the validation curves are still falling when training stops, if slowly
#   (the last epochs gain a hundredth of a bit or two each), so this is
#   not what these models can do, only what about a minute of CPU buys. More epochs, a bigger hidden size and a
#   longer text (on a GPU) are the usual ways down (see "Going further"). The comparison is fair (same data, same
#   budget, same seed) but short.
#
# **Two training curves.** The figure shows, per model, validation bpc (solid) and training bpc measured the same
# way at the end of each epoch (dashed). The right panel adds, for the LSTM, what a training loop usually prints:
# the mean training loss *over* the epoch. That running mean includes the epoch's first, worse windows, so it lags
# behind the model it describes: in the first epoch it lies far *above* the end-of-epoch measures, even above the
# validation curve (checked below). That is not a sign that the model does better on unseen text than on its
# training text; measured the same way, at the same moment, training and validation bpc are close, with the
# validation text a little harder.

# %% tags=["nbval-ignore-output"]
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2))
plots.plot_bpc_curves(left, histories, title="Character language models on the Lee news text")
left.axhline(unigram, color="grey", ls=":", label="frequencies only, no context")
left.legend(fontsize="small", ncol=2)
plots.plot_running_mean_lag(right, histories["lstm"], "LSTM",
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
gap = {kind: h.last("val_bpc") - h.last("train_bpc") for kind, h in histories.items()}
claim("at the end, measured the same way, validation bpc is within 0.3 bits above training bpc, for every model",
          all(0 <= g < 0.3 for g in gap.values()), ", ".join(f"{k} {g:+.3f}" for k, g in gap.items()))

# %% [markdown]
# **Time per epoch** depends on the computer and on what else it is doing, so these digits are this run's only. On
# a CPU we count the CPU time the training used (the wall-clock time also counts the waits while other programs
# run); on a GPU, the wall-clock time:

# %% tags=["nbval-ignore-output"]
clock = "cpu_seconds" if device.type == "cpu" else "seconds"
seconds = {kind: sum(h[clock]) / len(h) for kind, h in histories.items()}
timing = pd.DataFrame({f"{clock.replace('_', ' ')} per epoch (mean)": seconds,
                       "relative to rnn": {k: s / seconds["rnn"] for k, s in seconds.items()}}).rename_axis("model")
slowest = max(seconds, key=seconds.get)
display(Markdown(f"On this run ({device.type}, training on one CPU thread) the slowest model per epoch was the "
                 f"**{slowest.upper()}**, {seconds[slowest] / seconds['rnn']:.1f}× the plain RNN's time; the LSTM "
                 f"took {seconds['lstm'] / seconds['rnn']:.1f}×, the GRU {seconds['gru'] / seconds['rnn']:.1f}×."))
timing.round(2)

# %% [markdown]
# Why the ranking is not simply "more weights, more time": the arithmetic per step grows with the weight blocks
# (GRU 3, LSTM 4), but what you wait for is how PyTorch runs it. **On a CPU**, PyTorch sends `nn.LSTM` to oneDNN's
# fused LSTM kernel (one optimised call for the whole sequence), while `nn.RNN` and `nn.GRU` run step by step
# through generic operations: a matrix product and then several separate element-wise operations per step. The
# GRU needs more of them than the RNN, and its reset gate multiplies the hidden part of the candidate *after* the
# matrix product ($r_t \odot (W_{hn} h_{t-1} + b_{hn})$), which keeps that part apart from the input part. So on
# CPUs the GRU is often the slowest of the three, even with fewer weights than the LSTM (see the line above for
# this run: on a busy computer the order can change from run to run).
# `python benchmarks/bench_rnn.py` measures it on your machine: one training step per model, with oneDNN on and
# switched off (without oneDNN the LSTM falls back to the step-by-step path and is no longer faster than the GRU).
# **On an NVIDIA GPU**, cuDNN fuses all three cells, and the order is usually the one of the arithmetic (RNN,
# then GRU, then LSTM), an expectation not measured here: run the benchmark with `--device cuda` to see it.
#
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
claim("the temperature never changes which character is most likely, only how likely it is",
      len(set(top_ids.values())) == 1, ", ".join(f"T={t}: {vocab.tokens[i]!r}" for t, i in top_ids.items()))
claim("the top character's probability rises as the temperature falls",
          top_p[0.5] >= top_p[1.0] > top_p[2.0], ", ".join(f"T={t}: {q:.3f}" for t, q in top_p.items()))

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
# after this short training, as the bits per character predicted.
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
# it. Trained as a language model, it learns to copy. Same data, same budget for both, hidden size 64,
# two epochs on the first 100,000 training characters:

# %% tags=["nbval-ignore-output"]
leak_models, leak_bpc = {}, {}
for bidirectional in (False, True):
    name = "bidirectional" if bidirectional else "left to right"
    leak_models[name] = CharLM(len(vocab), 64, "lstm", embed_size=32, bidirectional=bidirectional, seed=0)
    history = rnn.train_char_lm(leak_models[name], train_ids[:100_000], val_ids, seq_len=64, batch_size=32,
                                epochs=2, lr=5e-3, device=device)
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
# The bidirectional "language model" is too good to be true. It did not learn English; it learnt to look one
# character ahead. When it must *write*, there is no future text to peek at, and it falls apart:

# %% tags=["nbval-ignore-output"]
leak_real = {}
for name, model in leak_models.items():
    text = rnn.sample(model, vocab, "the government ", length=300, temperature=0.5, device=device, seed=0)
    words = text.split()[2:-1]
    leak_real[name] = sum(word in training_words for word in words) / max(len(words), 1)
    print(f"--- {name}: {leak_real[name]:.0%} of its {len(words)} words occur in the training text ---\n"
          f"{text[:150]}\n")

# %%
claim("the bidirectional model writes a smaller share of real words than the left-to-right one",
          leak_real["bidirectional"] < leak_real["left to right"],
          f"{leak_real['bidirectional']:.0%} vs {leak_real['left to right']:.0%}")

# %% [markdown]
# **Where reading both ways is legitimate.** When the whole input is given and we only label it, looking right
# is not cheating, it is information. Take **word segmentation** (a real task for languages written without
# spaces, or for hashtags like `#nowhiring`): remove the spaces from the text and ask, for every character,
# "does a word end here?". A left-to-right tagger must decide before it sees the next letters; a bidirectional
# one sees them. The tagger is the same backbone with a two-label head. Same model size, same training:

# %%
joined, ends = rnn.segmentation_data(rnn.decode(vocab, torch.cat([train_ids, val_ids])))
joined_ids = vocab.encode(joined)
cut = int(0.9 * len(joined_ids))
print(joined[:80])
print("".join(str(label) for label in ends[:80].tolist()))
print(f"share of characters that end a word: {ends.float().mean():.3f}")

# %% tags=["nbval-ignore-output"]
accuracy = {}
for bidirectional in (False, True):
    name = "bidirectional" if bidirectional else "left to right"
    tagger = Tagger(len(vocab), 64, bidirectional=bidirectional, seed=0)
    rnn.train_tagger(tagger, joined_ids[:cut], ends[:cut], steps=300, seq_len=64, batch_size=32, lr=1e-2,
                     device=device, seed=0)
    accuracy[name] = rnn.tagging_accuracy(tagger, joined_ids[cut:], ends[cut:], device=device)
baseline = 1 - ends[cut:].float().mean().item()
print(f"always 'no word end':  accuracy {baseline:.3f}, errors {1 - baseline:.3f}")
for name, acc in accuracy.items():
    print(f"{name:13} tagger: accuracy {acc:.3f}, errors {1 - acc:.3f}")

# %%
errors = {name: 1 - acc for name, acc in accuracy.items()}
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
# | **RNN** | fewest weights (§4 weights table: a quarter of the LSTM's recurrent layer); simplest to read | one rewritten state: the gradient fades over long distances (notebook 04 measures it); highest bpc of the three here (§4 check) | short sequences, baselines, teaching |
# | **LSTM** | additive cell state with a forget gate keeps information and gradient over long spans (notebook 04); below the RNN here (§4 check); fused kernels on CPU (oneDNN) and GPU (cuDNN) (§4 timing, `benchmarks/bench_rnn.py`) | most weights (§4: 4 blocks); a pair of states to carry (§3 crash) | language models, speech, tagging and translation before Transformers (background) |
# | **GRU** | three quarters of the LSTM's recurrent weights (§4), one state tensor; here within a tenth of a bit of the LSTM (§4 check) | no separate cell; in PyTorch on a CPU often the slowest per step (§4 timing) | like the LSTM when weights or memory are tight (background) |
# | **bidirectional** (any of them) | reads both sides of each position: fewer than half the tagging errors (§6 check) | needs the whole input before the first output; twice the work; cheats as a language model (§6 checks) | tagging (segmentation, named entities), sentence classification (notebook 05), encoders |
#
# **When bidirectional is not allowed:** whenever the output at a position must not depend on what comes after it:
# language models and any text generation (§6: it copies instead of predicting), streaming or real-time input where
# the future has not arrived yet (live speech, typing suggestions), and the decoder of a translation model.
#
# ## 8. The language-model lab
#
# The panel trains a tiny character model (hidden size 64) on the first 30,000 training characters for three
# epochs, then reports its validation bpc and writes a sample. Each setting of RNN type, sequence length and device
# is trained once, in a few seconds (the read-out says "training …" meanwhile), and cached; moving the temperature
# only draws a new sample. Things to try:
#
# - **Temperature** 0.2 vs 1.5 on the same model: repetitive loops of frequent words vs invented spellings.
# - **Sequence length** 8 vs 128: with a fixed amount of text, short windows mean many more updates (the read-out
#   counts them) but gradients that reach back only a few characters; long windows, the reverse. Which wins in
#   such a short run?
# - **RNN type**: do the curves separate in a run this short? Compare with the 8 epochs of §4.
#
# Below the panel, a static copy of its first result (the three types at sequence length 32) stays visible where
# widgets do not run, e.g. on GitHub.

# %% tags=["nbval-ignore-output"]
from helpers.widgets import language_model_lab

language_model_lab(device=device.type)

# %% [markdown]
# ## Exercises
#
# Each exercise has an answer cell and a check cell that says what is right or exactly what is wrong. In the
# teacher's edition the worked solution is already filled in (expand the hidden cell to read it).
#
# ### Exercise 1 — count the weights of a 2-layer LSTM
# Without building it, compute the number of trainable parameters of
# `CharLM(len(vocab), hidden_size=128, kind="lstm", embed_size=32, num_layers=2)`. PyTorch's LSTM layer has, per
# layer, input weights `4 * hidden * input`, recurrent weights `4 * hidden * hidden` and **two** bias vectors of
# `4 * hidden`; the second layer's input is the first layer's output. Don't forget the embedding and the head.

# %% nbgrader={"grade": false, "grade_id": "ex03-1-answer", "locked": false, "schema_version": 3, "solution": true, "task": false} jupyter={"source_hidden": true} tags=["solution"]
lstm2_parameters = None  # your formula here
### BEGIN SOLUTION
V, E, H = len(vocab), 32, 128
embedding = V * E
layer1 = 4 * H * E + 4 * H * H + 2 * 4 * H
layer2 = 4 * H * H + 4 * H * H + 2 * 4 * H
head = H * V + V
lstm2_parameters = embedding + layer1 + layer2 + head
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex03-1", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["check"]
exercises.check_03_lstm_parameters(lstm2_parameters, len(vocab))

# %% [markdown]
# ### Exercise 2 — bits per character and perplexity
# Perplexity is the number of equally likely choices that would be as uncertain as the model: $2^{\text{bpc}}$.
# Compute `perplexities`, a dict mapping each kind in `histories` to the perplexity of its **last** validation bpc.
# How many characters is the best model, on average, still hesitating between? How many would a uniform guess be
# hesitating between?

# %% nbgrader={"grade": false, "grade_id": "ex03-2-answer", "locked": false, "schema_version": 3, "solution": true, "task": false} jupyter={"source_hidden": true} tags=["solution"]
perplexities = None  # {kind: ...}
### BEGIN SOLUTION
perplexities = {kind: 2 ** h.last("val_bpc") for kind, h in histories.items()}
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex03-2", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["check"]
exercises.check_03_perplexities(perplexities, histories)

# %% [markdown]
# ### Exercise 3 — windows by hand
# With the alphabet streams of section 2 (`streams`, 3 rows) and windows of **3** characters, what are the input
# and the target of the **second** window of row 2? Write them as two strings; the check compares with
# `rnn.windows`.

# %% nbgrader={"grade": false, "grade_id": "ex03-3-answer", "locked": false, "schema_version": 3, "solution": true, "task": false} jupyter={"source_hidden": true} tags=["solution"]
second_window_row2 = None  # (input string, target string)
### BEGIN SOLUTION
# Row 2 is "qrstuvwx": the first window reads "qrs" (target "rst"), the second "tuv" (target "uvw").
second_window_row2 = ("tuv", "uvw")
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex03-3", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["check"]
exercises.check_03_second_window(second_window_row2, streams, alphabet)

# %% [markdown]
# ### Exercise 4 — greedy decoding with the state carried (PyTorch)
# Write `greedy(model, vocab, prompt, length)`: read the prompt once with `model(ids)`, then `length` times take the
# single most likely next character (`argmax` of the last step's scores), and feed only that one character back in
# **together with the state** the model returned. Return the prompt followed by the new characters. The check
# compares with a reference on three prompts and tells you if you dropped the state. Then look at what greedy
# decoding writes: why do people sample instead?

# %% nbgrader={"grade": false, "grade_id": "ex03-4-answer", "locked": false, "schema_version": 3, "solution": true, "task": false} jupyter={"source_hidden": true} tags=["solution", "nbval-ignore-output"]
@torch.no_grad()
def greedy(model, vocab, prompt, length):
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


print(greedy(models[best], vocab, "the government ", 150))  # what greedy decoding writes

# %% nbgrader={"grade": true, "grade_id": "ex03-4", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["check"]
exercises.check_03_greedy(greedy, models[best], vocab)

# %% [markdown]
# <details><summary>What greedy decoding shows</summary>
#
# Greedy text soon loops over the same few frequent words: always taking the top character never explores the
# rest of the distribution, and once the model has written a phrase, the most likely continuation leads back into
# it. Sampling (with a temperature) trades a little likelihood per character for variety.
# </details>
#
# **Going further (no check).** Re-train the GRU of section 4 with `epochs=20`: does its validation curve
# flatten, and where? On a GPU, also try `hidden_size=512` and compare the time per epoch on the CPU and the GPU.
# For a much longer (but punctuation-free) offline text, `rnn.load_char_data("wiki")` joins the words of the
# Wikipedia excerpt that gensim ships.
#
# ## Summary
#
# - A character language model predicts the next character; its quality is **bits per character** on held-out
#   text, to be read against the uniform guess and the context-free frequency model.
# - The RNN rewrites one state; the LSTM adds a cell state updated through input, forget and output gates; the GRU
#   blends old state and candidate through update and reset gates. In PyTorch all three are one layer inside the
#   same backbone + head model; only the LSTM's state is a pair `(h, c)`, and code that carries only `h` crashes.
# - **Truncated BPTT**: cut the text into contiguous streams, walk along them in windows, carry the state from
#   window to window and detach it, so memory flows forward while gradients stop at the window boundary.
# - On the same data and budget the gated cells ended below the plain RNN, with 3 to 4 times its recurrent weights;
#   time per step depends as much on PyTorch's kernels (oneDNN, cuDNN) as on the weights. Report the budget.
# - A running mean of the training loss over an epoch lags behind the model; measure training and validation the
#   same way before comparing them.
# - **Temperature** trades safety for variety when sampling; a seeded generator makes samples reproducible on one
#   computer.
# - A **bidirectional** model sees the future: as a language model it reads the answer and scores "too good to be
#   true" while being unable to write; as a tagger or classifier of a complete input it genuinely helps.

# %% tags=["nbval-ignore-output"]
print(f"notebook run time: {time.perf_counter() - started:.0f} s")
