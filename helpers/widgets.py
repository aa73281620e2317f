"""The RNN lab: one control panel (RNN type, sequence length, clip threshold, device) re-running a short experiment."""

from __future__ import annotations

import io
import time

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from helpers import checks
from helpers.device import available_devices, pick_device
from helpers.gradients import lab_experiment
from helpers.plots import plot_lab_result
from helpers.recurrent import KINDS, check_kind

CLIP_CHOICES = ("off", 10.0, 1.0, 0.1, 0.01)
SEQ_LEN_RANGE = (5, 150, 5)  # min, max, step of the slider


def _clip_label(clip: float | str) -> str:
    return "off" if clip == "off" else f"{clip:g}"


def figure_png(fig: Figure, dpi: int = 80) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def summarize(result: dict) -> str:
    """The lab's numbers as a short HTML paragraph."""
    norms = result["norms_after"]
    clip = "off" if result["clip"] is None else f"{result['clip']:g}"
    clipped = int(np.sum(result["grad_norm"] > result["clip"])) if result["clip"] is not None else 0
    ratio = norms[0] / norms[-1] if norms[-1] > 0 else float("nan")
    return (f"<b>{result['kind'].upper()}</b>, T = {result['seq_len']}, clip {clip}, device {result['device']} "
            f"({result['steps']} training steps)<br>"
            f"final loss {result['loss'][-10:].mean():.4f} (mean of the last 10 steps; chance: ln 4 ≈ 1.386), "
            f"accuracy {100 * result['accuracy']:.1f}% (chance 25%)<br>"
            f"after training: ||dL/dh<sub>1</sub>|| = {norms[0]:.3e}, ||dL/dh<sub>T</sub>|| = {norms[-1]:.3e}, "
            f"ratio t=1 / t=T = {ratio:.3e}; steps clipped: {clipped} of {result['steps']}")


class RNNLab:
    """Controls, a numbers read-out and a figure; an ipywidgets observer on every control re-runs
    `lab_experiment` (device and seed as in every training helper) and redraws; progress shows "running…"."""

    def __init__(self, kind: str = "rnn", seq_len: int = 30, clip: float | str | None = None,
                 device: str = "auto", steps: int = 60, hidden_size: int = 32, seed: int = 0,
                 progress: bool = True):
        kind = check_kind(kind)
        low, high, step = SEQ_LEN_RANGE
        if isinstance(seq_len, bool) or not isinstance(seq_len, int) or not low <= seq_len <= high:
            raise ValueError(f"seq_len must be an integer from {low} to {high} for the lab, got {seq_len!r}")
        clip = checks.clip_threshold(clip)
        clip = "off" if clip is None else clip
        device_name = pick_device(device).type
        self.settings = {"steps": steps, "hidden_size": hidden_size, "seed": seed}
        self.progress = progress
        clips = list(CLIP_CHOICES) + ([clip] if clip not in CLIP_CHOICES else [])
        style = {"description_width": "initial"}
        self.controls = {
            "kind": widgets.Dropdown(options=list(KINDS), value=kind, description="RNN type", style=style,
                                     layout=widgets.Layout(width="170px")),
            "seq_len": widgets.IntSlider(value=seq_len, min=low, max=high, step=step, continuous_update=False,
                                         description="Sequence length", style=style,
                                         layout=widgets.Layout(width="330px")),
            "clip": widgets.Dropdown(options=[(_clip_label(c), c) for c in clips], value=clip,
                                     description="Clip threshold", style=style, layout=widgets.Layout(width="190px")),
            "device": widgets.Dropdown(options=available_devices(), value=device_name, description="Device",
                                       style=style, layout=widgets.Layout(width="150px")),
        }
        self.summary = widgets.HTML(value="")
        self.image = widgets.Image(format="png", layout=widgets.Layout(width="100%", max_width="960px"))
        self.panel = widgets.VBox([widgets.HBox(list(self.controls.values())), self.summary, self.image])
        self.figure = Figure(figsize=(12, 3.2))
        self.last_result: dict | None = None
        self.runs = 0
        for control in self.controls.values():
            control.observe(self._on_change, names="value")

    def _on_change(self, change: dict) -> None:
        try:
            self.run()
        except Exception as err:  # shown in the panel: a callback's exception would otherwise vanish into a log
            self.summary.value = f"<b style='color:#b00'>Could not run: {type(err).__name__}: {err}</b>"
            raise

    def run(self) -> dict:
        """Run the experiment for the current control values, redraw the figure and numbers; return the result."""
        started = time.perf_counter()
        values = {name: control.value for name, control in self.controls.items()}
        if self.progress:  # a status line rather than a bar: one update takes a second or two
            self.summary.value = "<i>running…</i>"
        result = lab_experiment(values["kind"], values["seq_len"], values["clip"], values["device"], **self.settings)
        plot_lab_result(self.figure, result)
        png = figure_png(self.figure)
        # The numbers first, the figure last: a page that sees a new figure also sees its numbers.
        self.summary.value = summarize(result) + f"<br><i>updated in {time.perf_counter() - started:.1f} s</i>"
        self.image.value = png
        self.last_result, self.runs = result, self.runs + 1
        return result


def rnn_lab(kind: str = "rnn", seq_len: int = 30, clip: float | str | None = None, device: str = "auto",
            steps: int = 60, static_copy: bool = True, **settings) -> widgets.VBox:
    """The RNN lab panel, after its first run; static_copy also draws that result as a plain figure (for viewers
    without live widgets, e.g. GitHub)."""
    lab = RNNLab(kind, seq_len, clip, device, steps, **settings)
    lab.run()
    if static_copy:
        fig = plt.figure(figsize=(12, 3.2), dpi=80)  # left open: the inline backend shows it under the panel
        plot_lab_result(fig, lab.last_result)
        fig.suptitle("Static copy of the panel's first result (the panel above redraws live)", y=1.02, fontsize=10)
    lab.panel.lab = lab  # reach the RNNLab object (controls, last_result) from the returned widget
    return lab.panel
