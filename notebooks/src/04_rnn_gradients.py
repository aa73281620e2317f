# %% [markdown]
# # 04 · Gradients through time: why plain RNNs forget, and what helps
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/nlp-basics-course/nlp-basics-pytorch/blob/main/notebooks/04_rnn_gradients.ipynb)
#
# A recurrent network learns a long-range dependency only if the training signal can travel back from the loss
# to the early time steps. This notebook **measures** that signal, $\|\partial L/\partial h_t\|$, at every time
# step $t$ of one sequence, and checks the textbook story against it: vanishing and exploding gradients, the
# spectral radius of the recurrent matrix, and the cures (clipping, ReLU with identity initialisation, residual
# connections, gates, attention).
#
# **What you will learn**
# - why $\partial L/\partial h_t$ is a product of Jacobians, derived step by step, and why $\sigma' \le 1/4$ and
#   $\tanh' \le 1$ make that product shrink;
# - how to measure the gradient at each **time step** (not at each training step) in PyTorch, and why
#   `retain_grad()` on the RNN's output tensor gives the wrong answer;
# - what the size of $W_{hh}$ (its largest singular value $\|W_{hh}\|$ and its spectral radius $\rho$) says about
#   vanishing and exploding, exactly for a linear RNN and only as a bound once $\tanh$ is added;
# - what gradient clipping does to the total gradient norm and to training, at several thresholds;
# - how ReLU, a residual connection and the LSTM/GRU gates change the picture at initialisation, and which of
#   them actually learn a long-range task (several seeds, same budget);
# - *Going further* (after the summary): the two paths behind the LSTM's flat cell gradient, an interactive lab,
#   and what attention changes for the gradient.
#
# **Run time:** about a minute on a 2-core CPU (the training runs of section 7 are most of it); the last cell
# prints this run's time. Everything runs offline on generated data; every helper uses a GPU when there is one.

# %%
# %matplotlib inline
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from IPython.display import Markdown, display

from helpers import exercises, gradients
from helpers.claims import claim
from helpers.device import seed_everything
from helpers.gradients import (
    cell_grad_norms,
    cell_gradients,
    clipping_experiment,
    clipping_table,
    first_token_batch,
    fit_table,
    geometric_fit,
    hidden_grad_norms,
    input_grad_norms,
    long_range_experiment,
    make_model,
    mean_forget_gate,
    norms_at_init,
    output_grad_norms,
    radius_experiment,
    spectral_radius,
    step_gradients,
)
from helpers.plots import plot_accuracy_bars, plot_step_norms, plot_training_steps
from helpers.recurrent import ElmanRNN
from helpers.show import show_code
from helpers.training import optimizer_step
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
# $$h_k = f(a_k), \qquad a_k = W_{hh}\, h_{k-1} + W_{xh}\, x_k + b,$$
#
# where $f$ acts element by element ($\tanh$ here). Let the loss $L$ be computed from the last state $h_T$ only
# (as in the task below). We derive $\partial L/\partial h_t$ for an earlier step $t$ in four steps.
#
# **Step 1 — one step back.** $L$ depends on $h_{T-1}$ only through $h_T$, so the chain rule gives
#
# $$\frac{\partial L}{\partial h_{T-1}} = \left(\frac{\partial h_T}{\partial h_{T-1}}\right)^{\!\top}
#   \frac{\partial L}{\partial h_T}.$$
#
# **Step 2 — the Jacobian of one step.** Differentiating $h_k = f(W_{hh} h_{k-1} + \dots)$ with respect to
# $h_{k-1}$: the inner part gives $W_{hh}$, the element-wise $f$ gives a diagonal matrix of its slopes,
#
# $$\frac{\partial h_k}{\partial h_{k-1}} = \operatorname{diag}\!\big(f'(a_k)\big)\, W_{hh}.$$
#
# **Step 3 — repeat.** $L$ depends on $h_t$ only through $h_{t+1}$, which depends on it only through the step
# Jacobian, and so on up to $T$. Applying step 1 $T-t$ times:
#
# $$\frac{\partial L}{\partial h_t} = \left(\frac{\partial h_{t+1}}{\partial h_t}\right)^{\!\top}
#   \left(\frac{\partial h_{t+2}}{\partial h_{t+1}}\right)^{\!\top} \cdots
#   \left(\frac{\partial h_T}{\partial h_{T-1}}\right)^{\!\top} \frac{\partial L}{\partial h_T}
#   = \Big(\frac{\partial h_T}{\partial h_{T-1}} \cdots \frac{\partial h_{t+1}}{\partial h_t}\Big)^{\!\top}
#     \frac{\partial L}{\partial h_T}
#   = W_{hh}^{\top} \operatorname{diag}\!\big(f'(a_{t+1})\big) \cdots
#     W_{hh}^{\top} \operatorname{diag}\!\big(f'(a_T)\big)\, \frac{\partial L}{\partial h_T}.$$
#
# (In the middle form the step Jacobians stand in the chain rule's order, step $T$ on the left down to step $t+1$
# on the right; the transpose reverses that order, which gives the last form.)
#
# **Step 4 — take norms.** The norm of a product is at most the product of the norms, so with
# $\gamma = \max_z |f'(z)|$,
#
# $$\left\|\frac{\partial L}{\partial h_t}\right\| \le \big(\gamma\, \|W_{hh}\|\big)^{T-t}
#   \left\|\frac{\partial L}{\partial h_T}\right\|.$$
#
# Here $\|W_{hh}\|$ is the **spectral norm**, the largest singular value: the most $W_{hh}$ can stretch a vector.
# If $\gamma\|W_{hh}\| < 1$ the gradient **vanishes** exponentially with the distance $T-t$. That condition is
# sufficient, not necessary, and an upper bound says nothing about growth:
# - For a *linear* RNN ($f'=1$) the product is $(W_{hh}^\top)^{T-t}$. Over many steps its size grows or shrinks
#   like $\rho^{T-t}$, where $\rho$ is the **spectral radius**, the largest $|\text{eigenvalue}|$ of $W_{hh}$; so
#   the gradient explodes when $\rho > 1$. Always $\rho \le \|W_{hh}\|$, with equality when $W_{hh}$ is normal:
#   if $W_{hh}$ is $\rho$ times an orthogonal matrix, every step back scales the norm by exactly $\rho$, which
#   section 3 checks. For other matrices the two differ: the next code cell prints both for PyTorch's default
#   $W_{hh}$.
# - For a *nonlinear* RNN the bound only rules out growth while $\gamma\|W_{hh}\| \le 1$ (for a loss at $T$); above 1
#   it allows growth but does not predict it: the slopes $f'(a_k)$ met along the way decide (Pascanu, Mikolov
#   and Bengio, 2013). It is a bound, not a threshold where behaviour switches. Section 3 shows a $\tanh$ RNN
#   with $\rho = 1.5$ that barely grows.
#
# With a loss at every step, the backward pass adds the local gradient at each step,
# $\frac{\partial L}{\partial h_t} = \frac{\partial \ell_t}{\partial h_t} +
# \left(\frac{\partial h_{t+1}}{\partial h_t}\right)^{\!\top} \frac{\partial L}{\partial h_{t+1}}$;
# the part that comes from far in the future still passes through the same product.
#
# ### The slopes $\gamma$: $\tanh' \le 1$ and $\sigma' \le 1/4$
#
# $\tanh'(z) = 1 - \tanh^2(z)$ is at most 1 (at $z=0$) and falls towards 0 as $|z|$ grows; the logistic sigmoid
# $\sigma(z) = 1/(1+e^{-z})$ has $\sigma'(z) = \sigma(z)\,(1-\sigma(z))$, at most $1/4$. We let autograd compute
# both slopes on a grid instead of trusting the formulas:

# %%
z = torch.linspace(-6, 6, 1201, requires_grad=True)
(tanh_slope,) = torch.autograd.grad(torch.tanh(z).sum(), z)
(sigmoid_slope,) = torch.autograd.grad(torch.sigmoid(z).sum(), z)
at = {value: int(torch.argmin((z - value).abs())) for value in (0.0, 3.0)}
slopes = pd.DataFrame({"tanh'(z)": [tanh_slope.max(), tanh_slope[at[0.0]], tanh_slope[at[3.0]]],
                       "sigmoid'(z)": [sigmoid_slope.max(), sigmoid_slope[at[0.0]], sigmoid_slope[at[3.0]]]},
                      index=["largest on the grid", "at z = 0", "at z = 3"]).astype(float)
print(slopes.to_string(float_format="{:.4f}".format))
print(f"sigmoid(3) = {torch.sigmoid(torch.tensor(3.0)):.4f};  (1/4)^10 = {0.25 ** 10:.2e}")
w_default = gradients.recurrent_weight(make_model("rnn", hidden_size=32))  # PyTorch's default initialisation
norm_default, radius_default = float(torch.linalg.matrix_norm(w_default.detach(), ord=2)), spectral_radius(w_default)
print(f"PyTorch's default W_hh (32 x 32): spectral norm {norm_default:.3f}, spectral radius {radius_default:.3f}")

# %% [markdown]
# What this means:
# - A $\tanh$ RNN has $\gamma = 1$, reached only where $a_k = 0$: each step back multiplies by at most
#   $\|W_{hh}\|$ and usually by less, so the product of section 1 shrinks unless $W_{hh}$ is large.
# - A chain of **sigmoids** would have $\gamma = 1/4$: even with $\|W_{hh}\| = 1$, ten steps shrink the gradient
#   by at least $(1/4)^{10} \approx 10^{-6}$. That is one reason the recurrent state is not squashed by a sigmoid.
# - Gates are sigmoids, but the gradient that carries the memory does **not** pass through their slope. In the
#   LSTM cell $c_k = f_k \odot c_{k-1} + i_k \odot g_k$, the factor along the cell path is the gate's **value**
#   $f_k$, not $\sigma'$: a forget gate with pre-activation 3 passes $\sigma(3) \approx 0.95$ of the gradient per
#   step, while its own slope $\sigma'(3) \approx 0.045$ only limits how fast the gate itself learns (a saturated
#   gate learns slowly).

# %%
sigma3, slope3 = float(torch.sigmoid(torch.tensor(3.0))), float(sigmoid_slope[at[3.0]])
claim("tanh' <= 1 and sigmoid' <= 1/4, both largest at z = 0",
      tanh_slope.max() <= 1 + 1e-6 and sigmoid_slope.max() <= 0.25 + 1e-6
      and int(tanh_slope.argmax()) == at[0.0] == int(sigmoid_slope.argmax()),
      f"max tanh' {float(tanh_slope.max()):.4f}, max sigmoid' {float(sigmoid_slope.max()):.4f}")
claim("at pre-activation 3 a gate passes about 0.95 per step, about 20 times its own slope",
      abs(sigma3 - 0.95) < 0.01 and 15 < sigma3 / slope3 < 25, f"{sigma3:.3f} / {slope3:.3f} = {sigma3 / slope3:.0f}")
claim("PyTorch's default W_hh is not normal: its spectral radius is below its spectral norm",
      radius_default < norm_default - 0.05, f"radius {radius_default:.3f}, norm {norm_default:.3f}")

# %% [markdown]
# ## 2. Measuring $\partial L/\partial h_t$ at every time step
#
# The task used throughout is the **first-token task**: the label (one of 4 tokens) is the first token of the
# sequence, followed by $T-1$ random distractor tokens; the model must output the label after reading everything.
# To solve it, the signal from the loss at step $T$ must reach $t = 1$. The model is the course's recurrent
# backbone (`helpers.recurrent.Recurrent`: embedding, then `nn.RNN`, `nn.LSTM` or `nn.GRU`) with a linear head.
#
# **The probe.** To get $\partial L/\partial h_t$ for every $t$, we need the tensors $h_t$ *that the recurrence
# itself uses*. So we run the RNN layer **one step at a time**, feeding each step the state the previous step
# returned, keep every state, and ask autograd for the gradient of the loss with respect to all of them in one
# backward pass:

# %%
show_code(step_gradients)

# %% [markdown]
# **The trap.** `nn.RNN` also returns the whole output sequence $h_1,\dots,h_T$ at once, and it is tempting to
# call `retain_grad()` on it. But that tensor is a separate output handed to the read-out: the recurrence runs
# inside `nn.RNN`'s kernel and never reads it. Its gradient therefore holds only the read-out's share:

# %%
show_code(output_grad_norms)

# %% [markdown]
# Both on the same untrained RNN and batch of length 8, first with the loss after the last step (our task), then
# with a loss at every step (as in a language model):

# %%
x8, y8 = first_token_batch(64, 8, generator=torch.Generator().manual_seed(1))
print("first sequence:", x8[0].tolist(), "-> label", int(y8[0]))
y8_every = torch.randint(0, 4, (64, 8), generator=torch.Generator().manual_seed(2))
model8 = make_model("rnn", hidden_size=32)
probe_table = pd.DataFrame({
    "loss at T: retain_grad": output_grad_norms(model8, x8, y8),
    "loss at T: probe": hidden_grad_norms(model8, x8, y8),
    "loss at every t: retain_grad": output_grad_norms(model8, x8, y8_every),
    "loss at every t: probe": hidden_grad_norms(model8, x8, y8_every)}, index=pd.RangeIndex(1, 9, name="t"))

# %% tags=["nbval-ignore-output"]
print(probe_table.to_string(float_format="{:.2e}".format))

# %%
naive, ours = probe_table["loss at T: retain_grad"].to_numpy(), probe_table["loss at T: probe"].to_numpy()
claim("loss at T: retain_grad gives 0 before T, the probe does not; at t = T they agree",
      np.all(naive[:-1] == 0) and np.all(ours > 0) and np.isclose(naive[-1], ours[-1], rtol=1e-4),
      f"retain_grad non-zero only at t = {np.flatnonzero(naive) + 1}; at T {naive[-1]:.3e} vs {ours[-1]:.3e}")
local, total = (probe_table[f"loss at every t: {c}"].to_numpy() for c in ("retain_grad", "probe"))
miss = np.abs(local[:-1] / total[:-1] - 1).max()
claim("loss at every t: retain_grad is non-zero but misses the recurrence's share", np.all(local > 0) and miss > 0.01,
      f"off by up to {miss:.1%} before T")

# %% [markdown]
# So the wrong method is not always visibly wrong: with a loss at every step it returns plausible non-zero
# numbers, just not $\partial L/\partial h_t$.
#
# ## 3. The spectral radius: vanishing, stable, exploding
#
# We build the same RNN with $W_{hh}$ a random orthogonal matrix (`nn.init.orthogonal_`) scaled to spectral
# radius $\rho$ below, at and above 1, and measure the per-step norms on one batch of length 60 (untrained
# models, loss after the last step). Left: a **linear** RNN ($f(a)=a$), where the theory is exact. Right: the usual
# $\tanh$ RNN.

# %%
radii = (0.5, 0.9, 1.0, 1.1, 1.5)
by_radius = {nl: radius_experiment(radii, nonlinearity=nl, seq_len=60) for nl in ("linear", "tanh")}

fig, axes = plt.subplots(1, 2, figsize=(12, 4), sharey=True)
for ax, (nl, curves) in zip(axes, by_radius.items()):
    plot_step_norms(ax, {f"ρ = {r}": n for r, n in curves.items()}, title=f"{nl} RNN, T = 60")
plt.tight_layout()
plt.show()

# %% [markdown]
# A factor per step: `geometric_fit` fits a straight line to $\log_{10}\|\partial L/\partial h_t\|$ over
# $t = 1, \dots, T-1$ ($t = T$ gets its gradient straight from the read-out) and reports the largest deviation from
# that line. (Dividing the two endpoints would give a number even for a curve that is not geometric at all.) From
# here on, a table leaves the factor out ("—") where the line misses some step by 0.3 decades (a factor 2) or
# more. The norms are taken in float64: these gradients reach $10^{-23}$, and in float32 the *squares* inside a
# norm underflow to 0 long before the gradient itself does.

# %% tags=["nbval-ignore-output"]
fits = {nl: fit_table({f"ρ = {r}": n for r, n in curves.items()}) for nl, curves in by_radius.items()}
print(pd.concat(fits, axis=1).round(3).to_string())

# %%
linear_fit, tanh_fit = fits["linear"], fits["tanh"]
claim("linear RNN: the factor per step back is ρ, on a straight line",
      all(abs(linear_fit.loc[f"ρ = {r}", "factor per step back"] - r) < 1e-3 for r in radii)
      and linear_fit["largest deviation (decades)"].max() < 0.01,
      ", ".join(f"{f:.3f}" for f in linear_fit["factor per step back"]))
claim("tanh RNN: every factor is below the linear RNN's; up to ρ = 1.1 all vanish, and ρ = 1.5 barely grows",
      bool(np.all(tanh_fit["factor per step back"].to_numpy() < linear_fit["factor per step back"].to_numpy()))
      and tanh_fit.loc[["ρ = 0.5", "ρ = 0.9", "ρ = 1.0", "ρ = 1.1"], "factor per step back"].max() < 0.95
      and tanh_fit.loc["ρ = 1.5", "factor per step back"] < 1.1,
      ", ".join(f"{f:.3f}" for f in tanh_fit["factor per step back"]))

# %% [markdown]
# Read the figure and the table: for the linear RNN the lines are straight on the log scale and the factor per
# step back is exactly $\rho$, as the product of Jacobians predicts. With $\tanh$, every factor is smaller than
# the linear RNN's with the same $W_{hh}$, because $\tanh'(a) < 1$ for $a \ne 0$ shrinks each step further: even
# $\rho = 1$ vanishes, and $\rho = 1.5$ does not explode. Why? A larger $W_{hh}$ pushes the states further from 0,
# where $\tanh$ is flatter. We measure that on the same batch, from the states themselves
# ($\tanh'(a_t) = 1 - h_t^2$):

# %% tags=["nbval-ignore-output"]
x60, y60 = first_token_batch(64, 60, generator=torch.Generator().manual_seed(1))  # radius_experiment's batch
states = {r: make_model("rnn", init="orthogonal", radius=r).body(x60)[0].detach() for r in (0.5, 1.5)}
size = {r: float(h.abs().mean()) for r, h in states.items()}
slope = {r: float((1 - h ** 2).mean()) for r, h in states.items()}
worst = tanh_fit["largest deviation (decades)"]
display(Markdown(
    f"Mean $|h_t|$ over batch, steps and units: {size[0.5]:.2f} at $\\rho = 0.5$, {size[1.5]:.2f} at $\\rho = 1.5$; "
    f"mean slope $\\tanh'(a_t)$: {slope[0.5]:.2f}, then {slope[1.5]:.2f}. The larger $W_{{hh}}$ does push the "
    "states to flatter parts of $\\tanh$. This mean is only a rough guide to the factor per step: the gradient "
    "runs through some units more than others, so its own shrinkage per step is not the average slope (at "
    f"$\\rho = 1.5$ the fitted factor, {tanh_fit.loc['ρ = 1.5', 'factor per step back']:.2f}, is "
    f"{tanh_fit.loc['ρ = 1.5', 'factor per step back'] / 1.5:.2f} of $\\rho$, against a mean slope of "
    f"{slope[1.5]:.2f}). The $\\tanh$ curves stray at most "
    f"{worst.max():.2f} decades from their lines, so each factor describes its curve"
    + (" well." if worst.max() < 0.1 else " only roughly.")))

# %% [markdown]
# ## 4. Gradient clipping
#
# When gradients explode, one update can throw the weights so far that the loss becomes infinite. **Clipping
# by norm** rescales the whole gradient $g$ (all parameters together) to $g \cdot \min(1, c/\|g\|)$ before the
# update: the direction is kept and the length is at most the threshold $c$. PyTorch does this in
# `torch.nn.utils.clip_grad_norm_`, which also returns $\|g\|$ before clipping. The course's one training
# step (every training helper calls it) measures $\|g\|$ and clips between `backward` and `step`:

# %%
show_code(optimizer_step)

# %% [markdown]
# To provoke explosions we use a ReLU RNN with $W_{hh} = 1.1\,I$ (radius 1.1) trained with plain SGD
# (learning rate 0.05) on the first-token task with $T = 40$, with no clipping and with three thresholds,
# 4 seeds each (200 steps; a run stops at its first non-finite loss). With SGD the step is the learning rate times
# the applied gradient, so a threshold $c$ caps every step at $0.05\,c$.

# %% tags=["nbval-ignore-output"]
clip_seeds = (0, 1, 2, 3)
clip_runs = clipping_experiment(("off", 10.0, 1.0, 0.1), seeds=clip_seeds, seq_len=40, steps=200, progress=False)
clip_table = clipping_table(clip_runs)

# %% tags=["nbval-ignore-output"]
print(clip_table.drop(columns="runs").to_string(float_format="{:.3g}".format, na_rep="—"))

# %% tags=["nbval-ignore-output"]
first = {label: runs[0]["history"] for label, runs in clip_runs.items() if label != "off"}  # seed 0 of each
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
plot_training_steps(axes[0], {f"clip {k}": h["grad_norm"] for k, h in first.items()},
                    "total gradient norm before clipping (log)", "Gradient norm per training step (seed 0)",
                    log=True, thresholds={f"clip {k}": float(k) for k in first})
plot_training_steps(axes[1], {f"clip {k}": h["loss"] for k, h in first.items()}, "cross-entropy",
                    "Training loss (seed 0)", chance=float(np.log(4)))
axes[1].set_ylim(0, 3)
axes[0].legend(fontsize="x-small", ncol=2)
fig.suptitle("Clipped runs, seed 0 (without clipping, every run diverged within a few steps: see the table)",
             fontsize=10)
plt.tight_layout()
plt.show()

# %%
table = clip_table
claim("without clipping every run's loss turns non-finite within 5 steps; with any threshold, none does",
      table.loc["off", "runs with non-finite loss"] == len(clip_seeds)
      and max(len(run["history"]) for run in clip_runs["off"]) <= 5
      and (table.loc[["10", "1", "0.1"], "runs with non-finite loss"] == 0).all(),
      f"off: {table.loc['off', 'runs with non-finite loss']} of {len(clip_seeds)} runs, after "
      f"{[len(run['history']) for run in clip_runs['off']]} steps; clipped: "
      + ", ".join(f"{table.loc[k, 'runs with non-finite loss']}" for k in ("10", "1", "0.1")))
norms10 = [np.asarray(run["history"]["grad_norm"]) for run in clip_runs["10"]]
early10 = sum(int((n[:20] > 10).sum()) for n in norms10) / sum(int((n > 10).sum()) for n in norms10)
late10 = [float(np.median(n[100:])) for n in norms10]
claim("clip 10: every run ends at chance; most clipped steps are among the first 20, later the norm stays far below 10",
      table.loc["10", "accuracy max"] < 0.35 and abs(table.loc["10", "final loss (mean)"] - np.log(4)) < 0.05
      and early10 > 0.8 and max(late10) < 1,
      f"accuracy {table.loc['10', 'accuracy min']:.2f} to {table.loc['10', 'accuracy max']:.2f}, loss "
      f"{table.loc['10', 'final loss (mean)']:.3f}; {early10:.0%} of clipped steps in the first 20; median norm "
      "over the last 100 steps " + ", ".join(f"{v:.2f}" for v in late10))
claim("clip 1 and clip 0.1 learn in every run; clip 0.1 clips nearly every step and learns more slowly",
      table.loc["1", "accuracy min"] > 0.35 and table.loc["0.1", "accuracy min"] > 0.35
      and table.loc["0.1", "share of steps clipped"] > 0.9
      and table.loc["0.1", "final loss (mean)"] > table.loc["1", "final loss (mean)"] + 0.2,
      f"lowest accuracy {table.loc['1', 'accuracy min']:.2f} and {table.loc['0.1', 'accuracy min']:.2f} (chance "
      f"0.25); clip 0.1 clips {table.loc['0.1', 'share of steps clipped']:.0%}; last-20-step loss "
      f"{table.loc['1', 'final loss (mean)']:.2f} vs {table.loc['0.1', 'final loss (mean)']:.2f}")

# %% [markdown]
# Without clipping, the first updates are so large that the loss overflows within a few steps and training is over
# (the table gives the step; such a model has no accuracy to report). With clipping the loss stays finite, but the
# threshold matters; compare each curve in the left panel with its dashed threshold:
# - at 0.1 the gradient norm stays far above the threshold, nearly every step is clipped, and the steps are so
#   short that learning is slow;
# - at 10 the first steps are clipped but still large enough to throw the model to chance: its loss sits flat at
#   $\ln 4$ (the dotted line on the right; a uniform guess over the 4 labels scores exactly that), its gradient
#   there is far below the threshold, so clipping no longer acts, and it stays there (the second claim above);
# - 1 lies between:

# %% tags=["nbval-ignore-output"]
share = clip_table["share of steps clipped"]
display(Markdown(
    f"{share['1']:.0%} of its steps are clipped (against {share['10']:.0%} at 10 and {share['0.1']:.0%} at 0.1), "
    f"and it learns in every run: its lowest accuracy is {clip_table.loc['1', 'accuracy min']:.2f}, its mean "
    f"{clip_table.loc['1', 'accuracy mean']:.2f}."))

# %% [markdown]
# Clipping does not make the gradient reach further back in time; it only keeps **exploding** updates from
# wrecking training. It does nothing for vanishing gradients.
#
# ## 5. ReLU instead of tanh
#
# $\operatorname{ReLU}'(a)$ is exactly 1 where the unit is active and 0 elsewhere, so it removes the extra
# shrinking of $\tanh$ for active units. With $W_{hh} = \rho I$ (the "identity initialisation" of IRNNs,
# Le et al. 2015), a ReLU RNN behaves much like the linear RNN of section 3.

# %%
relu_tanh = {f"{nl}, W = {r}·I": {"kind": "rnn", "nonlinearity": nl, "init": "identity", "radius": r}
             for nl in ("tanh", "relu") for r in (0.9, 1.0, 1.1)}
relu_norms = norms_at_init(relu_tanh, seq_len=60)
fig, ax = plt.subplots(figsize=(7, 4))
plot_step_norms(ax, relu_norms, title="tanh vs ReLU, W = ρ·I, T = 60")
plt.tight_layout()
plt.show()

# %% tags=["nbval-ignore-output"]
relu_fit = fit_table(relu_norms)
relu_shown = relu_fit.assign(**{"factor per step back": relu_fit["factor per step back"].mask(
    relu_fit["largest deviation (decades)"] >= 0.3)})
print(relu_shown.round(3).to_string(na_rep="—"))

# %%
relu_rows = [f"relu, W = {r}·I" for r in (0.9, 1.0, 1.1)]
kept_t1 = {label: n[0] / n[-1] for label, n in relu_norms.items()}  # no fitted line needed
claim("ReLU with W = ρ·I: the factor per step back is close to ρ (within 0.05), on a near-straight line",
      all(abs(relu_fit.loc[row, "factor per step back"] - r) < 0.05 for row, r in zip(relu_rows, (0.9, 1.0, 1.1)))
      and relu_fit.loc[relu_rows, "largest deviation (decades)"].max() < 0.1,
      ", ".join(f"{relu_fit.loc[row, 'factor per step back']:.3f}" for row in relu_rows))
claim("tanh with the same W keeps less at t = 1 than ReLU, at every ρ",
      all(kept_t1[f"tanh, W = {r}·I"] < kept_t1[f"relu, W = {r}·I"] for r in (0.9, 1.0, 1.1)),
      "; ".join(f"ρ = {r}: tanh {kept_t1[f'tanh, W = {r}·I']:.1e}, ReLU {kept_t1[f'relu, W = {r}·I']:.1e}"
                for r in (0.9, 1.0, 1.1)))

# %% [markdown]
# So the ReLU RNN with $W = I$ starts out stable (factor about 1), while with $W = 1.1\,I$ it **explodes**,
# which is why ReLU RNNs need clipping (section 4). Whether a good gradient *at initialisation* is enough to
# *learn* the task is a different question: section 7 trains it.
#
# ## 6. Residual connections and gates
#
# A **residual** RNN adds the old state back: $h_t = h_{t-1} + f(W_{hh} h_{t-1} + W_{xh} x_t + b)$. Its Jacobian
# is $I + \operatorname{diag}(f'(a_t))\, W_{hh}$: the identity passes the gradient back unchanged and the second
# term adds to it, so while that term is small next to $I$ each step back multiplies by nearly $I$, not by a
# small matrix. That is no guarantee: the sum can still shrink a direction (where the second term cancels the
# identity) or stretch one beyond 1. `nn.RNN` has no residual option, so this variant uses a hand-written cell,
# `helpers.recurrent.ElmanRNN`; the residual connection is its line `h = h + step`:

# %%
show_code(ElmanRNN.forward)

# %% [markdown]
# **Gates** do the same in a learned way. The LSTM keeps a cell state $c_t = f_t \odot c_{t-1} + i_t \odot g_t$,
# so along the cell path $\partial c_t / \partial c_{t-1} = \operatorname{diag}(f_t)$ (plus terms through the
# gates): when the forget gate $f_t$ is near 1, the gradient passes almost unchanged. The GRU mixes
# $h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}$ with the same effect when the update gate $z_t$ is near 1.
# PyTorch initialises the gate biases near 0, so the gates start at about $\sigma(0)=0.5$. The usual
# recommendation is a forget bias of +1 (Gers et al. 2000; Jozefowicz et al. 2015); this course goes further and
# starts the forget (LSTM) or update (GRU) bias at +3, so the gate keeps about 95% of the old state. We compare
# 0 and 3 for the LSTM. Setting that bias takes a few lines (PyTorch stacks the gates' biases in one vector):

# %%
show_code(gradients.init_memory_gate)

# %% [markdown]
# For the LSTM the argument is about the **cell** state, so we measure $\|\partial L/\partial c_t\|$ as well as
# $\|\partial L/\partial h_t\|$. `nn.LSTM` returns $c_t$ as a separate output (its own $h_t$ is not computed from
# that tensor: the trap of section 2 again), so `cell_gradients` runs the same LSTM step written out (its code
# is shown in *Going further*).
#
# Below: all models untrained, PyTorch's default initialisation of $W_{hh}$ unless stated, the same batch,
# $T = 60$. Left: $\|\partial L/\partial h_t\|$; right, for the two LSTMs, the hidden state (solid) and the cell
# state (dashed).

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
lstms = {k: v for k, v in variants.items() if k.startswith("LSTM")}
cells = norms_at_init(lstms, seq_len=60, cell=True)

fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
plot_step_norms(axes[0], cures, title="Gradient per time step at initialisation, T = 60")
for index, label in enumerate(lstms):
    n = np.arange(1, 61)
    axes[1].plot(n, cures[label], color=f"C{index + 3}", label=f"{label}: ∂L/∂h_t")
    axes[1].plot(n, cells[label], color=f"C{index + 3}", ls="--", label=f"{label}: ∂L/∂c_t")
plot_step_norms(axes[1], {}, title="LSTM: hidden state vs cell state, T = 60",
                ylabel=r"$\|\partial L/\partial h_t\|$, $\|\partial L/\partial c_t\|$ (log scale)")
axes[1].legend(fontsize="small")
plt.tight_layout()
plt.show()

# %% tags=["nbval-ignore-output"]
ratios = pd.Series({**{k: v[0] / v[-1] for k, v in cures.items()},
                    **{f"{k}, cell c_t": v[0] / v[-1] for k, v in cells.items()}}, name="norm at t=1 / norm at t=T")
init_fit = pd.concat([ratios, fit_table({**cures, **{f"{k}, cell c_t": v for k, v in cells.items()}})], axis=1)
no_fit = init_fit["largest deviation (decades)"] >= 0.3  # the fitted line misses a step by a factor 2 or more
shown = init_fit.assign(**{"factor per step back": init_fit["factor per step back"].mask(no_fit)})
print(shown.to_string(float_format="{:.3g}".format, na_rep="—"))
print("— : no single factor describes this curve (the fitted line misses some step by 0.3 decades or more)")

# %%
r = init_fit["norm at t=1 / norm at t=T"]
c3 = cells["LSTM, forget bias 3"] / cells["LSTM, forget bias 3"][-1]
h3 = cures["LSTM, forget bias 3"] / cures["LSTM, forget bias 3"][-1]
claim("the tanh RNN keeps less than 1e-10 at t = 1; the LSTM and GRU with bias 3 keep more than 1e-3",
      r["tanh RNN"] < 1e-10 and r["LSTM, forget bias 3"] > 1e-3 and r["GRU, update bias 3"] > 1e-3,
      f"{r['tanh RNN']:.1e}; LSTM {r['LSTM, forget bias 3']:.2g}, GRU {r['GRU, update bias 3']:.2g}")
claim("with forget bias 0 the LSTM vanishes too (below 1e-8), in h_t and in c_t",
      r["LSTM, forget bias 0"] < 1e-8 and r["LSTM, forget bias 0, cell c_t"] < 1e-8,
      f"h {r['LSTM, forget bias 0']:.1e}, c {r['LSTM, forget bias 0, cell c_t']:.1e}")
claim("with forget bias 3 the cell gradient stays within a factor 2 of its value at T, at every step",
      c3.min() > 0.5 and c3.max() < 2, f"{c3.min():.2f} to {c3.max():.2f} times its value at T")
claim("with forget bias 3, dL/dh_t is flat within a factor 2 up to T-3, then rises: no single factor fits",
      no_fit["LSTM, forget bias 3"] and h3[:-3].max() < 2 * h3[:-3].min() and h3[-3:-1].max() < 0.2,
      f"t = 1..T-3: {h3[:-3].min():.3f} to {h3[:-3].max():.3f} of t = T; t = T-2, T-1: {h3[-3]:.3f}, {h3[-2]:.3f}")
claim("the residual RNN grows going back: more gradient at t = 1 than at t = T",
      r["residual tanh RNN"] > 1, f"{r['residual tanh RNN']:.3g} times")

# %% [markdown]
# The plain $\tanh$ RNN loses many orders of magnitude over 60 steps. With the forget gate's bias at 0 (PyTorch's
# default biases are near 0 too, drawn from $U(\pm 1/\sqrt{32}) = U(\pm 0.18)$ here), the LSTM vanishes in $h_t$
# and in $c_t$: its gates must *learn* to stay open. With bias 3 its cell gradient stays nearly flat, and so does
# its $\partial L/\partial h_t$ apart from a rise over the last steps (at $t = T$ the loss reads $h_T$ directly), a
# shape no single factor describes ("—" in the table). The GRU with bias 3 keeps a few percent at $t = 1$. The
# residual RNN grows going back, the other face of the identity path.

# %% [markdown]
# ## 7. Which cures learn a long memory?
#
# Section 6 measured the gradient at initialisation; whether a model learns is a separate question. We train
# every variant of section 6 on the first-token task with $T = 60$, with the **same budget**: hidden size 32,
# Adam with learning rate 0.01, gradients clipped at 1 for every model (so the ReLU RNN is not singled out), at
# most 300 steps of 64 fresh sequences, 4 seeds, and measure accuracy on 512 new sequences (chance: 25%). A run
# stops early once its training loss has averaged below 0.01 over 20 steps (the table prints the steps each run
# took). Every run, here and in section 4, is this loop, with section 4's `optimizer_step` doing the clipped
# update:

# %%
show_code(gradients.train_first_token)

# %% tags=["nbval-ignore-output"]
trained = {
    "tanh RNN": {"kind": "rnn"},
    "ReLU RNN (W = I)": {"kind": "rnn", "nonlinearity": "relu", "init": "identity"},
    "residual tanh RNN": {"kind": "rnn", "residual": True},
    "LSTM, forget bias 0": {"kind": "lstm", "remember_bias": 0.0},
    "LSTM, forget bias 3": {"kind": "lstm"},
    "GRU, update bias 3": {"kind": "gru"},
}
seeds, budget = (0, 1, 2, 3), {"steps": 300, "clip": 1.0, "stop_below": 0.01}
long_range = long_range_experiment(trained, lengths=(60,), seeds=seeds, progress=False, **budget)
acc = long_range.groupby(["variant", "seq_len"], sort=False)["accuracy"].agg(["mean", "std", "min", "max"])

# %% tags=["nbval-ignore-output"]
print(f"test accuracy over {len(seeds)} seeds (chance 0.25):")
print(acc.round(2).to_string())
per_seed = long_range.pivot_table(index=["variant", "seq_len"], columns="seed", values=["accuracy", "steps"],
                                  sort=False)
print("\nper seed: accuracy, and the training steps each run took")
print(per_seed.round(2).astype({c: int for c in per_seed.columns if c[0] == "steps"}).to_string())

# %% tags=["nbval-ignore-output"]
fig, ax = plt.subplots(figsize=(8, 3.6))
plot_accuracy_bars(ax, long_range, seq_len=60)
ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))  # beside the bars, not on them
plt.tight_layout()
plt.show()

# %%
low, high = acc["min"], acc["max"]
stopped = long_range[long_range["steps"] < budget["steps"]]
solved = long_range.assign(solved=long_range["accuracy"] >= 0.95).groupby(["variant", "seq_len"], sort=False)["solved"]
n_solved = solved.sum().astype(int)  # solved: test accuracy >= 0.95
claim("the residual RNN and the GRU (bias 3) solve T = 60 in every seed",
      min(low[("residual tanh RNN", 60)], low[("GRU, update bias 3", 60)]) >= 0.9,
      f"lowest accuracy: residual {low[('residual tanh RNN', 60)]:.2f}, GRU {low[('GRU, update bias 3', 60)]:.2f}")
claim("every run that stopped early scores at least 0.99 on new sequences",
      len(stopped) > 0 and stopped["accuracy"].min() >= 0.99,
      f"{len(stopped)} of {len(long_range)} runs stopped early, lowest accuracy {stopped['accuracy'].min():.3f}")
claim("the LSTM with forget bias 0 stays near chance in every seed; with bias 3 every seed scores higher",
      high[("LSTM, forget bias 0", 60)] < 0.4 and low[("LSTM, forget bias 3", 60)] > high[("LSTM, forget bias 0", 60)],
      f"bias 0 highest {high[('LSTM, forget bias 0', 60)]:.2f}, bias 3 lowest {low[('LSTM, forget bias 3', 60)]:.2f}")
claim("the tanh RNN falls short of 0.9 in at least 2 of the 4 seeds",
      (long_range.query("variant == 'tanh RNN'")["accuracy"] < 0.9).sum() >= 2,
      "accuracies " + ", ".join(f"{a:.2f}" for a in long_range.query("variant == 'tanh RNN'")["accuracy"]))
claim("at initialisation the LSTM (bias 3) kept less at t = 1 than the GRU, and it solved fewer seeds",
      r["LSTM, forget bias 3"] < r["GRU, update bias 3"]
      and n_solved[("LSTM, forget bias 3", 60)] < n_solved[("GRU, update bias 3", 60)],
      f"kept {r['LSTM, forget bias 3']:.3f} vs {r['GRU, update bias 3']:.3f}; solved "
      f"{n_solved[('LSTM, forget bias 3', 60)]} vs {n_solved[('GRU, update bias 3', 60)]} of {len(seeds)}")
claim("the ReLU RNN (W = I) kept more at t = 1 than the GRU, yet none of its seeds reached 0.9",
      r["ReLU RNN (W = I)"] > r["GRU, update bias 3"] and high[("ReLU RNN (W = I)", 60)] < 0.9,
      f"kept {r['ReLU RNN (W = I)']:.3f} vs {r['GRU, update bias 3']:.3f}; best seed {high[('ReLU RNN (W = I)', 60)]:.2f}")

# %% tags=["nbval-ignore-output"]
display(Markdown(
    "What the tables show (solved: test accuracy ≥ 0.95):\n\n"
    f"- The **gate bias matters** for the LSTM: it solves $T = 60$ in {n_solved[('LSTM, forget bias 0', 60)]} of "
    f"{len(seeds)} seeds with bias 0, in {n_solved[('LSTM, forget bias 3', 60)]} of {len(seeds)} with bias 3.\n"
    f"- The **$\\tanh$ RNN** solves it in {n_solved[('tanh RNN', 60)]} of {len(seeds)} seeds: unreliable. Its "
    "gradient at $t = 1$ was tiny at initialisation"
    + (", yet a seed still solved the task, so that vanishing does not decide the outcome on its own" if
       n_solved[("tanh RNN", 60)] else "") + ".\n"
    f"- The **GRU** and the **residual RNN** solve it in every seed; at initialisation their "
    f"$\\partial L/\\partial h_t$ at $t = 1$ was {r['GRU, update bias 3']:.3f} and {r['residual tanh RNN']:.0f} "
    f"times its value at $t = T$. The LSTM with bias 3 kept less ({r['LSTM, forget bias 3']:.3f}) and solved "
    f"fewer seeds; its *cell* gradient kept more ({r['LSTM, forget bias 3, cell c_t']:.2f}), which the GRU has no "
    "counterpart for. With four seeds, this matching order is a hint, not a measurement.\n"
    f"- The **ReLU RNN with identity initialisation** kept {r['ReLU RNN (W = I)']:.2f} at $t = 1$, more than the "
    f"GRU, yet solved {n_solved[('ReLU RNN (W = I)', 60)]} of {len(seeds)} (best seed "
    f"{high[('ReLU RNN (W = I)', 60)]:.2f}): the gradient at initialisation does not predict learning on its own. "
    "Le et al. (2015) tuned the learning rate and clipping per task and trained far longer; with this shared "
    "budget it is not a cure."))

# %% [markdown]
# ## Summary
#
# - The gradient that reaches time step $t$ is the last gradient multiplied by $T-t$ Jacobians
#   $W_{hh}^\top \operatorname{diag}(f'(a_k))$. With $\tanh' \le 1$ and $\sigma' \le 1/4$, that product shrinks
#   unless $W_{hh}$ is large; along the LSTM's cell path the factor is the forget gate's value, not its slope.
# - To measure $\partial L/\partial h_t$, keep the states the recurrence itself consumes (one step at a time);
#   `retain_grad` on the output sequence gives zeros, or only the local share.
# - For a linear RNN with $W_{hh}$ a scaled orthogonal matrix, the factor per step back is its spectral radius
#   $\rho$ (measured: to three decimals). In general $\gamma\|W_{hh}\| < 1$ guarantees vanishing, and above 1
#   the bound allows growth without predicting it: $\tanh$ shrank every factor further, so our $\tanh$
#   RNNs **vanished** (up to $\rho = 1.1$), while a ReLU RNN with $W_{hh} = 1.1\,I$ **explodes**.
# - **Clipping** by norm kept every run of that exploding ReLU RNN finite, but the threshold set the step length
#   and with it the result; it does nothing for vanishing gradients.

# %% tags=["nbval-ignore-output"]
def solved_in(variant: str) -> str:
    """'k of n' seeds in which this variant solved T = 60 (test accuracy >= 0.95)."""
    return f"{n_solved[(variant, 60)]} of {len(seeds)}"


display(Markdown(
    "- At initialisation the gradient that reached $t = 1$ did not predict learning on its own: the ReLU RNN with "
    f"$W_{{hh}} = I$ kept more of $\\partial L/\\partial h_t$ than the GRU ({r['ReLU RNN (W = I)']:.2f} against "
    f"{r['GRU, update bias 3']:.3f} of its value at $t = T$) and did not solve the task (solved in "
    f"{solved_in('ReLU RNN (W = I)')} seeds, best accuracy {high[('ReLU RNN (W = I)', 60)]:.2f}).\n"
    "- Trained with one budget at $T = 60$ (solved: test accuracy ≥ 0.95): the **residual** RNN solved it in "
    f"{solved_in('residual tanh RNN')} seeds and the **GRU** (update bias 3) in {solved_in('GRU, update bias 3')}; "
    f"the **LSTM** with forget bias 3 in {solved_in('LSTM, forget bias 3')} (lowest accuracy "
    f"{low[('LSTM, forget bias 3', 60)]:.2f}, chance 0.25), with bias 0 in {solved_in('LSTM, forget bias 0')} "
    f"(highest {high[('LSTM, forget bias 0', 60)]:.2f}); the $\\tanh$ RNN in {solved_in('tanh RNN')} and the "
    f"**ReLU RNN with identity initialisation** in {solved_in('ReLU RNN (W = I)')}."))

# %% [markdown]
# ## Going further
#
# Three optional parts: where the LSTM's flat cell gradient comes from, a lab to try settings yourself, and what
# attention changes for the gradient.

# %% [markdown]
# ### Where the LSTM's flat cell gradient comes from
#
# Section 6 found the cell gradient of the LSTM with forget bias 3 nearly flat at initialisation. Is that the
# forget gate's doing? Along the cell path alone, each step back multiplies the gradient by $f_t$, so the forget
# gate's average value predicts the factor per step. We measure that average on this batch, and then the cell
# gradient twice: in full, and with the gates reading a *detached* $h_{t-1}$ (`through_gates=False` in
# `lstm_step`, whose code is below with `cell_gradients`), which leaves the cell path $c_{t-1} \to c_t$ as the
# only way back:

# %%
show_code(gradients.lstm_step, cell_gradients)


# %% tags=["nbval-ignore-output"]
lstm3 = make_model("lstm")
x60, y60 = first_token_batch(64, 60, generator=torch.Generator().manual_seed(1))  # the batch of norms_at_init
forget = mean_forget_gate(lstm3, x60)
cell_paths = {"full": cell_grad_norms(lstm3, x60, y60), "cell path only": cell_grad_norms(lstm3, x60, y60, False)}
cell_fits = {name: geometric_fit(n) for name, n in cell_paths.items()}
cell_table = pd.DataFrame({name: {"factor per step back": 1 / fit.factor, "left at t = 1": n[0] / n[-1],
                                  "largest deviation (decades)": fit.deviation}
                           for (name, fit), n in zip(cell_fits.items(), cell_paths.values())}).T
cell_table.loc["forget gate predicts"] = [forget, forget ** 59, np.nan]
print(f"mean forget gate f_t over batch, steps and units: {forget:.4f}")
print(cell_table.to_string(float_format="{:.3f}".format, na_rep="—"))
fig, ax = plt.subplots(figsize=(7, 3.6))
plot_step_norms(ax, {"∂L/∂c_t, full": cell_paths["full"], "∂L/∂c_t, cell path only": cell_paths["cell path only"],
                     "mean forget gate to the power T−t, times ∂L/∂c_T": cell_paths["full"][-1]
                     * forget ** np.arange(59, -1, -1)},
                title="LSTM, forget bias 3, untrained, T = 60", ylabel=r"$\|\partial L/\partial c_t\|$ (log scale)")
plt.tight_layout()
plt.show()

# %%
full, alone = cell_table.loc["full"], cell_table.loc["cell path only"]
claim("along the cell path alone, the factor per step back is the mean forget gate, on a near-straight line",
      abs(alone["factor per step back"] - forget) < 0.01 and alone["largest deviation (decades)"] < 0.1,
      f"{alone['factor per step back']:.3f} vs f = {forget:.3f}, deviation {alone['largest deviation (decades)']:.2f}")
claim("the full cell gradient keeps over 10 times more at t = 1 than the cell path alone",
      full["left at t = 1"] > 10 * alone["left at t = 1"],
      f"{full['left at t = 1']:.3f} vs {alone['left at t = 1']:.3f} (f^59 = {forget ** 59:.3f})")

# %% tags=["nbval-ignore-output"]
display(Markdown(
    f"So the forget gate alone would leave about {forget ** 59:.2f} of the gradient after 59 steps "
    f"({forget:.3f} per step). The cell path alone comes close per step ({alone['factor per step back']:.3f}), "
    f"and over 59 steps that small gap compounds: it leaves {alone['left at t = 1']:.3f}. The full LSTM keeps "
    f"{full['left at t = 1']:.2f}: the rest arrives along the other path, from $c_t$ through $h_t$ into the next "
    "step's gates and candidate and back into $c_{t+1}$. The forget bias opens the cell path; the flatness at "
    "initialisation is the two paths together."))

# %% [markdown]
# ### The lab: try it yourself
#
# The panel below runs a short version of the experiment for the settings you choose — RNN type, sequence length,
# clip threshold, device — and redraws the gradient per time step before and after 60 training steps, the loss
# (with the chance level $\ln 4 \approx 1.386$, the loss of a uniform guess over 4 labels), and the total gradient
# norm per training step, with the clip threshold dashed once you choose one (the default is no clipping). It also prints $\|\partial L/\partial h_1\|$ and
# $\|\partial L/\partial h_T\|$. Things to try: the RNN at length 10 vs 100; the same for LSTM and GRU; a clip
# threshold of 0.01, where every step is clipped — does the loss curve change much? (The lab trains with Adam,
# which divides each update by a running average of gradient sizes; section 4 used plain SGD, where the step is the
# learning rate times the clipped norm.) In a notebook viewer without a live kernel, the static copy under the panel shows the
# default settings, and the line under it their read-out.

# %% tags=["nbval-ignore-output"]
panel = rnn_lab()
display(panel)
lab = panel.lab.last_result
print(f"{lab.kind.upper()}, T = {lab.seq_len}, clip {lab.clip or 'off'}, {lab.steps} steps: ||dL/dh_1|| {lab.norms_before[0]:.2e} before training,"
      f" {lab.norms_after[0]:.2e} after; ||dL/dh_T|| {lab.norms_after[-1]:.2e} after; last loss {lab.loss[-1]:.3f}"
      f" (chance {np.log(4):.3f}), accuracy {lab.accuracy:.2f}")

# %% [markdown]
# ### What attention changes
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
# Our attention model is the smallest that fits the task: token and position embeddings of width 16 (it has no
# recurrent state to size), and one attention read-out in which the last position attends over all positions:

# %%
show_code(gradients.AttentionClassifier.forward)

# %% [markdown]
# What can we measure? The norm of the gradient reaching the **input embedding** at each position, for an
# untrained LSTM (bias 3) and the attention read-out, on the same batch, at $T = 60$ and at $T = 200$. The
# $\tanh$ RNN's gradient is so many orders of magnitude smaller that it gets its own panel:

# %%
input_norms = {}
for T in (60, 200):
    xT, yT = first_token_batch(64, T, generator=torch.Generator().manual_seed(1))
    input_norms[T] = {name: input_grad_norms(make_model(kind), xT, yT)
                      for name, kind in (("tanh RNN", "rnn"), ("LSTM, forget bias 3", "lstm"),
                                         ("attention", "attention"))}
fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
for T, style in ((60, "-"), (200, "--")):
    lstm_T, attention_T = input_norms[T]["LSTM, forget bias 3"], input_norms[T]["attention"]
    axes[0].plot(np.arange(1, T + 1), lstm_T, style, color="C1", label=f"LSTM, forget bias 3, T = {T}")
    smooth = np.convolve(attention_T[:-1], np.ones(10) / 10, mode="valid")  # noisy: mean of 10 neighbours
    axes[0].plot(np.arange(5, T - 5), smooth, style, color="C2", label=f"attention (mean of 10), T = {T}")
    tanh_T = input_norms[T]["tanh RNN"]
    axes[1].plot(np.arange(1, T + 1), np.where(tanh_T > 0, tanh_T, np.nan), style, color="C0", label=f"T = {T}")
ylabel = r"$\|\partial L / \partial e_t\|$ (log scale)"
plot_step_norms(axes[0], {}, title="LSTM and attention, untrained", ylabel=ylabel)
axes[0].set_ylim(1e-5, 3e-2)
axes[0].legend(fontsize="small", loc="lower center", ncol=2)
plot_step_norms(axes[1], {}, title="tanh RNN, untrained (its own scale)", ylabel=ylabel)
axes[1].legend(fontsize="small")
plt.tight_layout()
plt.show()

# %% tags=["nbval-ignore-output"]
start = pd.DataFrame({f"T = {T}": {name: n[:10].mean() for name, n in curves.items()}
                      for T, curves in input_norms.items()})
start["T = 200 / T = 60"] = start["T = 200"] / start["T = 60"]
print("mean ||dL/de_t|| over the first ten positions, t = 1..10 (untrained):")
print(start.to_string(float_format="{:.3g}".format))
tanh_200 = input_norms[200]["tanh RNN"]
if (tanh_200 == 0).any():
    display(Markdown(
        f"The $\\tanh$ RNN's curve at $T = 200$ stops at $t = {int(np.nonzero(tanh_200)[0][0]) + 1}$: before it, "
        f"every entry of the gradient is exactly 0, {int((tanh_200 == 0).sum())} positions where it fell below "
        "float32's smallest number (about $10^{-45}$). The norms are float64, so this 0 is the gradient's own."))

# %%
lstm_drop, attention_drop = start.loc[["LSTM, forget bias 3", "attention"], "T = 200 / T = 60"]
ends = {name: {T: input_norms[T][name][:10].mean() / input_norms[T][name][-11:-1].mean() for T in (60, 200)}
        for name in ("LSTM, forget bias 3", "attention")}  # first ten positions / the ten before the last
flat = ends["attention"]
claim("attention's gradient at the start shrinks with T about as 1/T does (60/200 = 0.3); the LSTM's shrinks more",
      abs(attention_drop / 0.3 - 1) < 0.3 and lstm_drop < attention_drop,
      f"attention x{attention_drop:.2f}, LSTM x{lstm_drop:.2f}")
claim("attention's curve is flat: the first ten positions get about what the ten before the last get",
      all(0.67 < v < 1.5 for v in flat.values()), ", ".join(f"T = {T}: ratio {v:.2f}" for T, v in flat.items()))
per_T = start.loc["attention"] / start.loc["LSTM, forget bias 3"]
claim("untrained, attention gives the first ten positions less gradient than the LSTM at T = 60, about as much at 200",
      per_T["T = 60"] < 1 and 0.5 < per_T["T = 200"] < 2,
      f"attention / LSTM: {per_T['T = 60']:.2f} at T = 60, {per_T['T = 200']:.2f} at T = 200")

# %% tags=["nbval-ignore-output"]
display(Markdown(
    f"- **No decay with distance.** Every position is one step from the read-out, so attention's curve is flat "
    f"from end to end (first ten positions against the ten before the last: {flat[60]:.2f} at $T = 60$, "
    f"{flat[200]:.2f} at $T = 200$). For the LSTM the same ratio is {ends['LSTM, forget bias 3'][60]:.2f} at "
    f"$T = 60$ and {ends['LSTM, forget bias 3'][200]:.2f} at $T = 200$: "
    "over 200 steps the first tokens get far less than the last ones (at $T = 60$ the ratio hides the curve's "
    "shape: read it in the figure).\n"
    f"- **But a share of about $1/T$.** The softmax weights $\\alpha_{{T,t}}$ add up to 1 over the $T$ positions; "
    f"if they are about equal, as in an untrained model, each gets about $1/T$ of the read-out's gradient. From "
    f"$T = 60$ to $T = 200$ attention's gradient at $t = 1..10$ falls to {attention_drop:.2f} of its value "
    f"($60/200 = 0.30$); the LSTM's falls to {lstm_drop:.2f} (more factors below 1 on a longer path).\n"
    f"- **So, untrained, attention does not give the first tokens more gradient here:** "
    f"{per_T['T = 60']:.2f} times the LSTM's at $T = 60$, {per_T['T = 200']:.2f} times at $T = 200$. What differs "
    "is what sets the size: for the LSTM a product of one factor per step, which shrinks with the distance; for "
    "attention only the number of positions sharing the softmax. "
    "What training does to the weights $\\alpha_{T,t}$ is not measured here."))

# %% [markdown]
# And trained with the budget of section 7 (the same steps, learning rate, clipping, early stop and seeds):

# %% tags=["nbval-ignore-output"]
attention_runs = long_range_experiment({"attention": {"kind": "attention"}}, lengths=(60,), seeds=seeds,
                                       progress=False, **budget)
print(attention_runs[["seed", "accuracy", "steps"]].to_string(index=False))

# %%
claim("trained as in section 7, attention solves T = 60 in every seed, as the GRU does",
      attention_runs["accuracy"].min() >= 0.9 and low[("GRU, update bias 3", 60)] >= 0.9,
      f"attention lowest {attention_runs['accuracy'].min():.2f}, GRU lowest {low[('GRU, update bias 3', 60)]:.2f}")

# %% [markdown]
# On this toy task attention, the GRU and the residual RNN all solve $T = 60$ in every seed, so it cannot rank
# those three. Not measured here, but the structural point: an RNN processes the $T$ steps one after the other,
# attention computes all positions at once, which is why Transformers train fast on parallel hardware.
#
# ## Exercises
#
# Each exercise has an answer cell for your code, then a check cell that says ✔ or what is wrong, then a worked
# solution, folded away: try first. The exercises need only the core sections.
#
# ### Exercise 1 — write the recurrence and probe it
# Write `my_step_gradients(model, inputs, targets)` for a one-layer $\tanh$ RNN classifier from
# `make_model("rnn")`: it returns $\partial L/\partial h_t$ for $t = 1, \dots, T$ (one tensor per step, $t = 1$
# first), where $L$ is the cross-entropy of `model.head` applied to the **last** state. This time do not call
# `model.body.rnn`: write its step yourself from its weights,
# $h_t = \tanh(x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh})$ with $h_0 = 0$, where `rnn = model.body.rnn`
# holds `rnn.weight_ih_l0`, `rnn.weight_hh_l0`, `rnn.bias_ih_l0` and `rnn.bias_hh_l0`, and $x_t$ is column $t$ of
# `model.body.embed(inputs)`. Keep every $h_t$ and ask `torch.autograd.grad` once. The check compares your
# gradients, entry by entry, with the true $\partial L/\partial h_t$, recognises the usual mistakes (the
# `retain_grad` trap of section 2, a state that is not fed to the next step, an untransposed or missing weight or
# bias, a missing $\tanh$, the wrong order or sign), and runs your function once more with PyTorch's RNN
# switched off, so section 2's code and `step_gradients` do not count.

# %% nbgrader={"grade": false, "grade_id": "ex04-1-answer", "locked": false, "schema_version": 3, "solution": true, "task": false} jupyter={"source_hidden": true} tags=["solution"]
def my_step_gradients(model, inputs, targets):
    """dL/dh_t for t = 1..T of a hand-written tanh recurrence, loss after the last step."""
    ### BEGIN SOLUTION
    rnn = model.body.rnn
    x = model.body.embed(inputs)  # [batch, T, embedding]
    h, kept = x.new_zeros(x.shape[0], rnn.hidden_size), []
    for t in range(x.shape[1]):
        h = torch.tanh(x[:, t] @ rnn.weight_ih_l0.T + rnn.bias_ih_l0 + h @ rnn.weight_hh_l0.T + rnn.bias_hh_l0)
        kept.append(h)  # the very tensor the next step reads
    loss = torch.nn.functional.cross_entropy(model.head(h), targets)
    return torch.autograd.grad(loss, kept)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex04-1", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["check"]
exercises.check_04_gradient_probe(my_step_gradients)

# %% [markdown]
# ### Exercise 2 — measure the slope
# Predict first: a *linear* RNN has $W_{hh}$ equal to an orthogonal matrix times 0.7. By what factor does
# $\|\partial L/\partial h_t\|$ change per step **back** in time? Then measure it without any RNN: write
# `backward_factor(w_hh, grad_T, steps)`, which starts from $g = \partial L/\partial h_T$ = `grad_T` (a vector),
# takes `steps` steps back with the linear RNN's chain rule (section 1 with $f' = 1$), and returns the factor per
# step back, $\big(\|g_{T-\text{steps}}\| / \|g_T\|\big)^{1/\text{steps}}$. The check runs it on
# $0.7 \times$ and $1.3 \times$ an orthogonal matrix and on a matrix that is not normal, and recognises the
# usual mistakes (forward instead of back, the total change instead of per step, $W_{hh}$ untransposed, one step
# too many or too few).

# %% nbgrader={"grade": false, "grade_id": "ex04-2-answer", "locked": false, "schema_version": 3, "solution": true, "task": false} jupyter={"source_hidden": true} tags=["solution"]
def backward_factor(w_hh, grad_T, steps):
    """Factor per step back of a linear RNN's gradient, measured over `steps` steps from grad_T."""
    ### BEGIN SOLUTION
    g = grad_T
    for _ in range(steps):
        g = w_hh.T @ g  # dL/dh_{t-1} = (dh_t/dh_{t-1})^T dL/dh_t, and dh_t/dh_{t-1} = W_hh
    return float((g.norm() / grad_T.norm()) ** (1 / steps))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex04-2", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["check"]
exercises.check_04_slope(backward_factor)

# %% [markdown]
# ### Exercise 3 — one clipped training step
# Write `train_step(model, optimizer, inputs, targets, clip)`: one SGD update of a first-token classifier with
# the gradient clipped to norm `clip`, returning the total gradient norm **before** clipping. The loss is the
# cross-entropy of the scores after the last step, `model(inputs)[0][:, -1]`. Write it with PyTorch directly
# (`zero_grad`, `backward`, `torch.nn.utils.clip_grad_norm_`, `step`), not with `optimizer_step`. The check runs
# three steps, two with a threshold below the gradient norm and one far above it, and compares the weights with
# the right update; it recognises a missing `zero_grad`, a missing or misplaced clip, clipping by another norm or
# entry by entry, a gradient rescaled even when it is short enough, a summed loss, and the norm after clipping.

# %% nbgrader={"grade": false, "grade_id": "ex04-3-answer", "locked": false, "schema_version": 3, "solution": true, "task": false} jupyter={"source_hidden": true} tags=["solution"]
def train_step(model, optimizer, inputs, targets, clip):
    """One clipped update; returns the gradient norm before clipping."""
    ### BEGIN SOLUTION
    optimizer.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(inputs)[0][:, -1], targets)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip)  # rescales the .grad tensors in place
    optimizer.step()
    return float(norm)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex04-3", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["check"]
exercises.check_04_training_step(train_step)

# %% tags=["nbval-ignore-output"]
print(f"notebook ran in {time.perf_counter() - started:.0f} s")
