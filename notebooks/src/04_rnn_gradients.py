# %% [markdown]
# # 04 · Gradients through time: why plain RNNs forget, and what helps
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/nlp-basics-course/nlp-basics-pytorch/blob/main/notebooks/04_rnn_gradients.ipynb)
#
# A recurrent network learns a long-range dependency only if the training signal can travel back from the loss
# to the early time steps. This notebook **measures** that signal, $\|\partial L/\partial h_t\|$, at every time
# step $t$ of one sequence, and checks the textbook story against it: vanishing and exploding gradients, the
# spectral radius of the recurrent matrix, and four cures (clipping, ReLU, residual connections, gates).
#
# **What you will learn**
# - why $\partial L/\partial h_t$ is a product of Jacobians, and what that product does over many steps;
# - how to measure the gradient at each **time step** (not at each training step), and a common way to get it wrong;
# - how the spectral radius of $W_{hh}$ decides between vanishing and exploding, and what $\tanh$ adds;
# - what gradient clipping does to the total gradient norm and to training, at several thresholds;
# - how ReLU, a residual connection and the LSTM/GRU gates change the picture;
# - on a task that needs a long memory, how accuracy falls with the sequence length for a vanilla RNN but not for
#   LSTM and GRU;
# - why attention (the Transformer) does not have this problem.
#
# **Run time:** about 45 s on a 2-core CPU, offline (the long-range experiment is most of it).
# **On a GPU:** not measured yet (no GPU was available when these outputs were made); every helper uses the GPU when there is one (`device="auto"`), and most scripts in `benchmarks/` take `--device cuda` to time it.
# Everything runs offline on generated data.

# %%
# %matplotlib inline
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from torch.nn import functional as F

from helpers.device import seed_everything
from helpers.gradients import (AttentionClassifier, clipping_experiment, clipping_table, first_token_batch,
                               hidden_grad_norms, input_grad_norms, lab_experiment, long_range_experiment,
                               make_model, norms_at_init, per_step_factor, radius_experiment, train_first_token)
from helpers.plots import plot_accuracy_vs_length, plot_step_norms, plot_training_steps
from helpers.widgets import rnn_lab

seed_everything(0)
plt.rcParams["figure.dpi"] = 80
pd.set_option("display.precision", 3)
started = time.perf_counter()

# %% [markdown]
# ## 1. The maths: a product of Jacobians
#
# A vanilla RNN updates its hidden state with
#
# $$h_t = f(a_t), \qquad a_t = W_{hh}\, h_{t-1} + W_{xh}\, x_t + b,$$
#
# where $f$ is applied element by element ($\tanh$ here). Suppose the loss $L$ is computed from the last state
# $h_T$ only. By the chain rule, the gradient that reaches an earlier state $h_t$ is
#
# $$\frac{\partial L}{\partial h_t} = \left(\frac{\partial h_T}{\partial h_t}\right)^{\!\top}
#   \frac{\partial L}{\partial h_T},
# \qquad
# \frac{\partial h_T}{\partial h_t} = \prod_{k=t+1}^{T} \frac{\partial h_k}{\partial h_{k-1}}
#   = \prod_{k=t+1}^{T} \operatorname{diag}\!\big(f'(a_k)\big)\, W_{hh},$$
#
# so, written as the backward pass computes it,
#
# $$\frac{\partial L}{\partial h_t} = W_{hh}^{\top} \operatorname{diag}\!\big(f'(a_{t+1})\big)\;
#   W_{hh}^{\top} \operatorname{diag}\!\big(f'(a_{t+2})\big) \cdots
#   W_{hh}^{\top} \operatorname{diag}\!\big(f'(a_T)\big)\; \frac{\partial L}{\partial h_T}.$$
#
# There are $T-t$ factors. Taking norms,
#
# $$\left\|\frac{\partial L}{\partial h_t}\right\| \le \big(\gamma\, \|W_{hh}\|\big)^{T-t}
#   \left\|\frac{\partial L}{\partial h_T}\right\|, \qquad \gamma = \max_z |f'(z)| \;(=1 \text{ for } \tanh),$$
#
# so if $\gamma\|W_{hh}\| < 1$ the gradient **vanishes** exponentially with the distance $T-t$. In the other
# direction, for a *linear* RNN ($f'=1$) the product is just $(W_{hh}^\top)^{T-t}$, which grows like
# $\rho^{T-t}$ where $\rho$ is the **spectral radius** (largest $|\text{eigenvalue}|$) of $W_{hh}$: the
# gradient **explodes** when $\rho > 1$. If $W_{hh}$ is $\rho$ times an orthogonal matrix, every factor scales
# the norm by exactly $\rho$, and we can check that number below.
#
# When there is a loss at every step, the backward pass adds the local gradient at each step:
# $\frac{\partial L}{\partial h_t} = \frac{\partial \ell_t}{\partial h_t} +
# \left(\frac{\partial h_{t+1}}{\partial h_t}\right)^{\!\top} \frac{\partial L}{\partial h_{t+1}}$;
# the part that comes from far in the future still passes through the same product.

# %% [markdown]
# ## 2. Measuring $\partial L/\partial h_t$ at every time step
#
# `hidden_grad_norms(model, inputs, targets)` runs the recurrence **one step at a time**, keeps each $h_t$, and
# asks autograd for $\partial L/\partial h_t$ for all $t$ at once. It returns one number per time step: the norm
# over the batch and the hidden units. The x-axis of every such plot below is the **time step $t$ inside one
# sequence**. (A plot of one gradient norm per *training step* is a different quantity; it says nothing about
# how far back in the sequence the signal reaches.)
#
# The task used throughout is the **first-token task**: the label (one of 4 tokens) is the first token of the
# sequence, followed by $T-1$ random distractor tokens; the model must output the label after reading everything.
# To solve it, the signal from the loss at step $T$ must reach $t = 1$.
#
# A subtle trap: `nn.RNN` returns the sequence of outputs $h_1,\dots,h_T$, and it is tempting to call
# `retain_grad()` on that tensor. But that tensor is a *copy* handed to the read-out; the recurrence itself runs
# inside `nn.RNN` and never reads it. Its gradient therefore contains only the read-out path: with the loss
# after the last step, it is zero everywhere except at $t=T$. The cell below compares the two on a batch of
# length 8.

# %%
x, y = first_token_batch(64, 8, generator=torch.Generator().manual_seed(1))
print("first sequence:", x[0].tolist(), "-> label", int(y[0]))

model = make_model("rnn", hidden_size=32)
outputs, _ = model.rnn(model.embed(x))
outputs.retain_grad()
F.cross_entropy(model.head(outputs)[:, -1], y).backward()
naive = outputs.grad.norm(dim=(0, 2)).numpy()
model.zero_grad()
ours = hidden_grad_norms(model, x, y)
print(pd.DataFrame({"t": np.arange(1, 9), "retain_grad on the outputs": naive, "hidden_grad_norms": ours})
      .set_index("t").to_string(float_format="{:.2e}".format))

# %% [markdown]
# Both agree at $t=T$ (where only the read-out path exists); before it, only the step-by-step measurement sees
# the gradient that flows back through the recurrence. The unit tests check `hidden_grad_norms` against the chain
# rule worked out by hand for a one-unit linear RNN.
#
# ## 3. The spectral radius: vanishing, stable, exploding
#
# We build the same RNN with $W_{hh}$ a random orthogonal matrix scaled to spectral radius $\rho$ below, at and
# above 1, and measure the per-step norms on one batch of length 60 (untrained models, loss after the last
# step). Left: a **linear** RNN ($f(a)=a$), where the theory is exact. Right: the usual $\tanh$ RNN.

# %%
radii = (0.5, 0.9, 1.0, 1.1, 1.5)
by_radius = {nl: radius_experiment(radii, nonlinearity=nl, seq_len=60) for nl in ("linear", "tanh")}

fig, axes = plt.subplots(1, 2, figsize=(12, 4), sharey=True)
for ax, (nl, curves) in zip(axes, by_radius.items()):
    plot_step_norms(ax, {f"ρ = {r}": n for r, n in curves.items()}, title=f"{nl} RNN, T = 60")
plt.tight_layout()
plt.show()

factors = pd.DataFrame({nl: {r: per_step_factor(n) for r, n in curves.items()} for nl, curves in by_radius.items()})
factors.index.name = "spectral radius ρ"
print("factor by which the norm changes per step back in time:")
print(factors.round(3))

# %% [markdown]
# Read the table: for the linear RNN the measured factor per step equals $\rho$ — straight lines on the log
# plot, falling towards $t=1$ when $\rho<1$, flat at $\rho=1$, rising when $\rho>1$, exactly the product of
# Jacobians. With $\tanh$, every factor is smaller than for the linear RNN with the same $W_{hh}$, because
# $\tanh'(a) < 1$ for $a \ne 0$ shrinks each factor further. Even $\rho = 1$ vanishes. For large $\rho$ the
# states saturate ($|h| \to 1$, $\tanh' \to 0$), which caps the growth: a $\tanh$ RNN rarely explodes at
# initialisation, but it vanishes easily.
# (Where a curve stops early, the gradient has underflowed to exactly 0 in 32-bit floats; the factor is measured
# over the steps before that.)
#
# ## 4. Gradient clipping
#
# When gradients explode, one update can throw the weights so far that the loss becomes infinite. **Clipping
# by norm** rescales the whole gradient $g$ (all parameters together) to $g \cdot \min(1, c/\|g\|)$ before the
# update: the direction is kept and the length is at most the threshold $c$. PyTorch does this in
# `torch.nn.utils.clip_grad_norm_`, which also returns $\|g\|$ before clipping.
#
# To provoke explosions we use a ReLU RNN with $W_{hh} = 1.1\,I$ (radius 1.1) trained with plain SGD on the
# first-token task with $T = 40$, and train it with no clipping and with three thresholds. The figure shows the
# total gradient norm *before* clipping at each **training step** (the threshold as a dashed line) and the loss.

# %%
clip_runs = clipping_experiment(("off", 10.0, 1.0, 0.1), seq_len=40, steps=200)
print(clipping_table(clip_runs).round(3).to_string())

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
plot_training_steps(axes[0], {f"clip {k}": r["grad_norm"] for k, r in clip_runs.items()},
                    "total gradient norm before clipping (log)", "Gradient norm per training step", log=True)
plot_training_steps(axes[1], {f"clip {k}": r["loss"] for k, r in clip_runs.items()},
                    "cross-entropy (log)", "Training loss (gaps: loss is not finite)", log=True)
plt.tight_layout()
plt.show()

# %% [markdown]
# Without clipping, the very first update is so large that the loss overflows at the next step (see the table's
# "first non-finite loss" column) and training is over. With clipping the loss stays finite, but the threshold
# matters: the loosest threshold still lets through updates large enough to derail training, while the tighter
# ones keep every update small enough for the model to learn the task (the accuracy column; chance is 25%).
# Clipping does not make the gradient reach
# further back in time; it only keeps **exploding** updates from wrecking training. It does nothing for vanishing
# gradients.
#
# ## 5. ReLU instead of tanh
#
# $\operatorname{ReLU}'(a)$ is exactly 1 where the unit is active and 0 elsewhere, so it removes the extra
# shrinking of $\tanh$ for active units. With $W_{hh} = \rho I$ (the "identity initialisation" of IRNNs),
# a ReLU RNN behaves much like the linear RNN of section 3: the factor per step follows $\rho$, so it is stable
# at $\rho = 1$, but it **explodes** for $\rho > 1$ (which is why ReLU RNNs need clipping, as in section 4).

# %%
relu_tanh = {f"{nl}, W = {r}·I": {"kind": "rnn", "nonlinearity": nl, "init": "identity", "radius": r}
             for nl in ("tanh", "relu") for r in (0.9, 1.0, 1.1)}
relu_norms = norms_at_init(relu_tanh, seq_len=60)
fig, ax = plt.subplots(figsize=(7, 4))
plot_step_norms(ax, relu_norms, title="tanh vs ReLU, identity initialisation, T = 60")
plt.tight_layout()
plt.show()
print(pd.Series({k: per_step_factor(v) for k, v in relu_norms.items()}, name="factor per step").round(3).to_string())

# %% [markdown]
# ## 6. Residual connections and gates
#
# A **residual** RNN adds the old state back: $h_t = h_{t-1} + f(W_{hh} h_{t-1} + W_{xh} x_t + b)$. Its Jacobian
# is $I + \operatorname{diag}(f'(a_t))\, W_{hh}$: the identity gives the gradient a path that is not multiplied by
# small numbers, so it cannot vanish the way the plain product does (it can still grow, if the second term
# pushes eigenvalues above 1).
#
# **Gates** do the same in a learned way. The LSTM keeps a cell state $c_t = f_t \odot c_{t-1} + i_t \odot g_t$,
# so along the cell path $\partial c_t / \partial c_{t-1} = \operatorname{diag}(f_t)$ (plus terms through the
# gates): when the forget gate $f_t$ is near 1, the gradient passes almost unchanged. The GRU mixes
# $h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}$ with the same effect when the update gate $z_t$ is near 1.
# In our models the forget (LSTM) and update (GRU) gate biases start at 3, so the gates start mostly open to the
# past ($\sigma(3) \approx 0.95$); the PyTorch default bias of 0 starts them at $\sigma(0)=0.5$.
#
# Below: all models untrained, with PyTorch's default initialisation of $W_{hh}$, the same batch, $T = 60$.

# %%
variants = {
    "tanh RNN": {"kind": "rnn"},
    "residual tanh RNN": {"kind": "rnn", "residual": True},
    "ReLU RNN (W = I)": {"kind": "rnn", "nonlinearity": "relu", "init": "identity"},
    "LSTM, forget bias 0": {"kind": "lstm", "remember_bias": 0.0},
    "LSTM, forget bias 3": {"kind": "lstm"},
    "GRU, update bias 3": {"kind": "gru"},
}
cures = norms_at_init(variants, seq_len=60)
fig, ax = plt.subplots(figsize=(8, 4.5))
plot_step_norms(ax, cures, title="Gradient per time step at initialisation, T = 60")
plt.tight_layout()
plt.show()
print(pd.DataFrame({"norm at t=1 / norm at t=T": {k: v[0] / v[-1] for k, v in cures.items()},
                    "factor per step": {k: per_step_factor(v) for k, v in cures.items()}})
      .to_string(float_format="{:.3g}".format))

# %% [markdown]
# The plain $\tanh$ RNN loses many orders of magnitude over 60 steps; the gated models with their gates open
# to the past keep a usable fraction; with the default gate bias the LSTM also starts out vanishing (the gates
# must *learn* to stay open). The residual RNN does not vanish at all — here it grows, which is the other face
# of the identity path.
#
# ## 7. A task that needs a long memory
#
# Does this matter for learning? We train each kind (hidden size 32, Adam, 300 steps of 64 fresh sequences) on
# the first-token task for several lengths and seeds, and measure accuracy on 512 new sequences (chance: 25%).

# %%
long_range = long_range_experiment(lengths=(5, 20, 40, 60), seeds=(0, 1, 2), steps=300)
summary = long_range.pivot_table(index="seq_len", columns="kind", values="accuracy", sort=False)
print("mean test accuracy over 3 seeds:")
print(summary.round(2).to_string())
print("\nper seed:")
print(long_range.pivot_table(index=["kind", "seq_len"], columns="seed", values="accuracy", sort=False)
      .round(2).to_string())

# %%
fig, ax = plt.subplots(figsize=(7, 4))
plot_accuracy_vs_length(ax, long_range)
plt.tight_layout()
plt.show()

# %% [markdown]
# Read the tables: the vanilla RNN solves the shortest sequences, but as $T$ grows it becomes unreliable and
# most runs end near chance — the gradient that should tell it "the first token matters" has vanished long
# before it reaches $t = 1$. The LSTM and GRU stay far above chance at every length (the per-seed table shows
# the few runs that stall part of the way). Three seeds and 300 steps are a small experiment: expect the
# vanilla RNN's numbers to jump around from seed to seed, which is itself a symptom of a weak training signal.
#
# ## 8. The lab: try it yourself
#
# The panel below runs a short version of the experiment for the settings you choose — RNN type, sequence length,
# clip threshold, device — and redraws the gradient per time step before and after 60 training steps, the loss,
# and the total gradient norm per training step. It also prints $\|\partial L/\partial h_1\|$ and
# $\|\partial L/\partial h_T\|$. Things to try: the RNN at length 10 vs 100; the same for LSTM and GRU; a clip
# threshold of 0.01, where every step is clipped — does the loss curve change much? (The lab trains with Adam,
# which divides each update by a running average of gradient sizes; section 4 used plain SGD, where the clipped
# norm *is* the step size.) In a notebook viewer without a live kernel, the static copy under the panel shows the
# default settings.

# %%
# NBVAL_IGNORE_OUTPUT
rnn_lab()

# %% [markdown]
# ## 9. Why attention removes the recurrence
#
# In an RNN, information from position $t$ reaches position $T$ only through $T-t$ applications of the
# recurrence, and the gradient comes back through the same $T-t$ Jacobians: the **path length** between the two
# positions is $T-t$. Self-attention (the core of the Transformer) lets position $T$ read every position directly:
#
# $$\operatorname{attn}(q_T, K, V) = \sum_{t=1}^{T} \alpha_{T,t}\, v_t, \qquad
#   \alpha_{T,t} = \operatorname{softmax}_t\!\left(\frac{q_T^\top k_t}{\sqrt{d}}\right),$$
#
# so the path length from any position to any other is 1, and the gradient to $x_t$ is not a product of $T-t$
# factors. (The price: the $T \times T$ attention weights cost memory and time quadratic in $T$, and the order of
# the tokens must be given as position embeddings.)
#
# A tiny measured illustration: the norm of the gradient reaching the **input embedding** at each position, for
# an untrained $\tanh$ RNN, an untrained LSTM, and a one-layer attention read-out (the last position attends over
# all positions), on the same batch with $T = 60$.

# %%
x60, y60 = first_token_batch(64, 60, generator=torch.Generator().manual_seed(1))
torch.manual_seed(0)
attention = AttentionClassifier(vocab_size=8, n_classes=4)
input_norms = {"tanh RNN": input_grad_norms(make_model("rnn"), x60, y60),
               "LSTM": input_grad_norms(make_model("lstm"), x60, y60),
               "attention": input_grad_norms(attention, x60, y60)}
fig, ax = plt.subplots(figsize=(7, 4))
plot_step_norms(ax, input_norms, title="Gradient reaching the input at each position, T = 60",
                ylabel=r"$\|\partial L / \partial e_t\|$ (log scale)")
plt.tight_layout()
plt.show()
print(pd.Series({k: v[0] / v[-2] for k, v in input_norms.items()},
                name="norm at t=1 / norm at t=T-1").to_string(float_format="{:.3g}".format))

# %% [markdown]
# For the attention read-out, the gradient at $t = 1$ is of the same order as at $t = T-1$ (the last position is
# larger because it also forms the query); for the $\tanh$ RNN it is many orders of magnitude smaller. The LSTM,
# with its gates opened to the past, also keeps much of it at initialisation — but only as long as its gates stay
# open, and its information still has to pass through $T-t$ sequential steps, one after the other, which also
# makes RNNs slow on parallel hardware. Attention gets the short path by construction. Trained the same way as in
# section 7, the attention model solves the first-token task at the longest length:

# %%
torch.manual_seed(0)
attention = AttentionClassifier(vocab_size=8, n_classes=4)
print("attention, T = 60: test accuracy", round(train_first_token(attention, 60, steps=300)["accuracy"], 3))

# %% [markdown]
# ## Exercises
#
# Each exercise has a check cell: run it after your answer. The checks print "not attempted yet" until you
# replace the `None`.
#
# **Exercise 1 — predict the slope.** A *linear* RNN has $W_{hh}$ equal to an orthogonal matrix times 0.7. By
# what factor does $\|\partial L/\partial h_t\|$ change per step back in time? Put your prediction (a number) in
# `factor_guess`; the check measures it with `radius_experiment`.

# %%
factor_guess = None  # your answer here

# %%
if factor_guess is None:
    print("Exercise 1: not attempted yet")
else:
    measured = per_step_factor(radius_experiment((0.7,), nonlinearity="linear", seq_len=30)[0.7])
    assert abs(factor_guess - measured) < 0.01, f"measured {measured:.3f}: look at the product of Jacobians again"
    print(f"Exercise 1: correct — measured {measured:.3f}")

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# factor_guess = 0.7
# # For a linear RNN dL/dh_t = (W^T)^(T-t) dL/dh_T, and an orthogonal matrix times 0.7 scales every vector's
# # norm by exactly 0.7, so each step back multiplies the norm by 0.7.
# ```
# </details>
#
# **Exercise 2 — where the gradient goes.** Using `hidden_grad_norms`, compute the per-step norms of an untrained
# vanilla RNN (`make_model("rnn")`) and an untrained GRU (`make_model("gru")`) on `x60, y60` (length 60). Store
# the ratio norm at $t=1$ / norm at $t=T$ for each in `ratio_rnn` and `ratio_gru`.

# %%
ratio_rnn, ratio_gru = None, None  # your answer here

# %%
if ratio_rnn is None or ratio_gru is None:
    print("Exercise 2: not attempted yet")
else:
    expected = {k: (n := hidden_grad_norms(make_model(k), x60, y60))[0] / n[-1] for k in ("rnn", "gru")}
    assert np.isclose(ratio_rnn, expected["rnn"], rtol=1e-3), "ratio_rnn: divide the first entry by the last"
    assert np.isclose(ratio_gru, expected["gru"], rtol=1e-3), "ratio_gru: divide the first entry by the last"
    print(f"Exercise 2: correct — the GRU keeps {ratio_gru / ratio_rnn:.1e} times more of the gradient at t=1")

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# n_rnn = hidden_grad_norms(make_model("rnn"), x60, y60)
# n_gru = hidden_grad_norms(make_model("gru"), x60, y60)
# ratio_rnn, ratio_gru = n_rnn[0] / n_rnn[-1], n_gru[0] / n_gru[-1]
# ```
# </details>
#
# **Exercise 3 — clipping caps the update.** Run `lab_experiment("rnn", seq_len=20, clip=0.5, steps=10)` and store
# the result in `result`. Its `"grad_norm"` is the total norm before clipping and `"applied_norm"` the norm after.
# Then set `largest_applied` to the largest applied norm. What must it be at most?

# %%
result, largest_applied = None, None  # your answer here

# %%
if result is None or largest_applied is None:
    print("Exercise 3: not attempted yet")
else:
    assert result["clip"] == 0.5 and len(result["grad_norm"]) == 10, "use clip=0.5 and steps=10"
    assert np.isclose(largest_applied, result["applied_norm"].max()), "take the max of result['applied_norm']"
    assert largest_applied <= 0.5 + 1e-5
    assert np.allclose(result["applied_norm"], np.minimum(result["grad_norm"], 0.5), rtol=1e-5)
    print(f"Exercise 3: correct — the applied norm never exceeds the threshold ({largest_applied:.3f} <= 0.5)")

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# result = lab_experiment("rnn", seq_len=20, clip=0.5, steps=10)
# largest_applied = result["applied_norm"].max()
# # At most 0.5: clip_grad_norm_ rescales the gradient to min(||g||, 0.5); below the threshold it is unchanged.
# ```
# </details>
#
# ## Summary
#
# - The gradient that reaches time step $t$ is the last gradient multiplied by $T-t$ Jacobians
#   $W_{hh}^\top \operatorname{diag}(f'(a_k))$; measured per time step it falls or grows geometrically.
# - For a linear RNN the factor per step is the spectral radius of $W_{hh}$; $\tanh$ shrinks it further, so plain
#   RNNs mostly **vanish**; radius above 1 (and ReLU) can **explode**.
# - **Clipping** by norm bounds each update and rescues training from explosions, but does not help vanishing.
# - **ReLU** with identity initialisation, **residual** connections and the **gates** of LSTM/GRU give the gradient
#   a path that is not multiplied by small numbers; on the first-token task, LSTM and GRU keep their accuracy as
#   $T$ grows while the vanilla RNN drops towards chance.
# - **Attention** connects every position to every other in one step, so no long product of Jacobians stands
#   between a token and the loss.

# %%
# NBVAL_IGNORE_OUTPUT
print(f"notebook ran in {time.perf_counter() - started:.0f} s")
