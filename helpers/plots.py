"""Plotting helpers shared by the notebooks: each draws on a given matplotlib Axes and labels it fully."""

from __future__ import annotations

import numpy as np

# --- RNN gradients ---


def plot_step_norms(ax, curves: dict, title: str = "Gradient reaching each time step") -> None:
    """Plot ||dL/dh_t|| against the time step t = 1..T (log scale), one line per labelled curve."""
    for label, norms in curves.items():
        norms = np.asarray(norms, dtype=float)
        ax.plot(np.arange(1, len(norms) + 1), np.where(norms > 0, norms, np.nan), label=str(label))
    ax.set_yscale("log")
    ax.set_xlabel("time step t (1 = first token, T = last)")
    ax.set_ylabel(r"$\|\partial L / \partial h_t\|$ (log scale)")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    if len(curves) > 1:
        ax.legend(fontsize="small")


def plot_training_steps(ax, curves: dict, ylabel: str, title: str, log: bool = False,
                        threshold: float | None = None) -> None:
    """Plot a per-training-step series (loss, gradient norm), optionally with the clipping threshold."""
    for label, values in curves.items():
        values = np.asarray(values, dtype=float)
        ax.plot(np.arange(1, len(values) + 1), values, label=str(label), lw=1)
    if threshold is not None:
        ax.axhline(threshold, color="k", ls="--", lw=1, label=f"clip threshold {threshold:g}")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    if len(curves) > 1 or threshold is not None:
        ax.legend(fontsize="small")


def plot_lab_result(fig, result: dict) -> None:
    """Draw the RNN lab's three panels on `fig`: per-time-step gradient norms, loss, total gradient norm."""
    fig.clear()
    ax_steps, ax_loss, ax_norm = fig.subplots(1, 3)
    plot_step_norms(ax_steps, {"before training": result["norms_before"],
                               f"after {result['steps']} steps": result["norms_after"]},
                    title=f"{result['kind'].upper()}, T = {result['seq_len']}: gradient per time step")
    plot_training_steps(ax_loss, {"loss": result["loss"]}, "cross-entropy", "Training loss")
    plot_training_steps(ax_norm, {"total gradient norm": result["grad_norm"]}, "norm before clipping (log)",
                        "Total gradient norm", log=True, threshold=result["clip"])
    fig.tight_layout()
