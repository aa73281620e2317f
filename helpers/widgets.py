"""The control panels: the RNN lab of notebook 04 (gradients) and the language-model lab of notebook 03."""

from __future__ import annotations

import io
import time

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from helpers import checks
from helpers.device import available_devices, pick_device
from helpers.gradients import LabResult, lab_experiment
from helpers.i18n import _
from helpers.plots import plot_lab_result
from helpers.recurrent import KINDS, check_kind

CLIP_CHOICES = ("off", 10.0, 1.0, 0.1, 0.01)
SEQ_LEN_RANGE = (5, 150, 5)  # min, max, step of the slider


def _clip_label(clip: float | str | None) -> str:
    return _("off") if clip in ("off", None) else f"{clip:g}"


def figure_png(fig: Figure, dpi: int = 80) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def summarize(result: LabResult) -> str:
    """The lab's numbers as a short HTML paragraph."""
    norms = result.norms_after
    clip = _clip_label(result.clip)
    clipped = int(np.sum(result.grad_norm > result.clip)) if result.clip is not None else 0
    ratio = norms[0] / norms[-1] if norms[-1] > 0 else float("nan")
    return (_("<b>{kind}</b>, T = {seq_len}, clip {clip}, device {device} ({steps} training steps)<br>").format(
                kind=result.kind.upper(), seq_len=result.seq_len, clip=clip, device=result.device, steps=result.steps)
            + _("final loss {loss:.4f} (mean of the last 10 steps; chance: ln 4 ≈ 1.386), accuracy {accuracy:.1f}% "
                "(chance 25%)<br>").format(loss=result.loss[-10:].mean(), accuracy=100 * result.accuracy)
            + _("after training: ||dL/dh<sub>1</sub>|| = {first:.3e}, ||dL/dh<sub>T</sub>|| = {last:.3e}, "
                "ratio t=1 / t=T = {ratio:.3e}; steps clipped: {clipped} of {steps}").format(
                first=norms[0], last=norms[-1], ratio=ratio, clipped=clipped, steps=result.steps))


class _Panel:
    """What both labs share: a row of controls, a line of numbers and a figure, re-run by an ipywidgets observer."""

    def _assemble(self, controls: dict, max_width: str, figsize: tuple[float, float]) -> None:
        """Lay out the controls, read-out and image, and re-run `self.run()` whenever a control changes."""
        self.controls = controls
        self.summary = widgets.HTML(value="")
        self.image = widgets.Image(format="png", layout=widgets.Layout(width="100%", max_width=max_width))
        self.panel = widgets.VBox([widgets.HBox(list(controls.values())), self.summary, self.image])
        self.figure = Figure(figsize=figsize)
        self.runs = 0
        for control in controls.values():
            control.observe(self._on_change, names="value")

    def _on_change(self, change: dict) -> None:
        try:
            self.run()
        except Exception as err:  # shown in the panel: a callback's exception would otherwise vanish into a log
            message = _("Could not run: {error_type}: {error}").format(error_type=type(err).__name__, error=err)
            self.summary.value = f"<b style='color:#b00'>{message}</b>"
            raise


class RNNLab(_Panel):
    """Controls, a numbers read-out and a figure; an ipywidgets observer on every control re-runs
    `lab_experiment` (device and seed as in every training helper) and redraws; progress shows "running…"."""

    def __init__(self, kind: str = "rnn", seq_len: int = 30, clip: float | str | None = None,
                 device: str = "auto", steps: int = 60, hidden_size: int = 32, seed: int = 0,
                 progress: bool = True):
        kind = check_kind(kind)
        low, high, step = SEQ_LEN_RANGE
        seq_len = checks.int_in_range("seq_len", seq_len, low, high)  # the slider's range
        clip = checks.clip_threshold(clip)
        clip = "off" if clip is None else clip
        device_name = pick_device(device).type
        self.settings = {"steps": steps, "hidden_size": hidden_size, "seed": seed}
        self.progress = progress
        clips = list(CLIP_CHOICES) + ([clip] if clip not in CLIP_CHOICES else [])
        style = {"description_width": "initial"}
        controls = {
            "kind": widgets.Dropdown(options=list(KINDS), value=kind, description=_("RNN type"), style=style,
                                     layout=widgets.Layout(width="170px")),
            "seq_len": widgets.IntSlider(value=seq_len, min=low, max=high, step=step, continuous_update=False,
                                         description=_("Sequence length"), style=style,
                                         layout=widgets.Layout(width="330px")),
            "clip": widgets.Dropdown(options=[(_clip_label(c), c) for c in clips], value=clip,
                                     description=_("Clip threshold"), style=style,
                                     layout=widgets.Layout(width="190px")),
            "device": widgets.Dropdown(options=available_devices(), value=device_name, description=_("Device"),
                                       style=style, layout=widgets.Layout(width="150px")),
        }
        self.last_result: LabResult | None = None
        self._assemble(controls, max_width="960px", figsize=(12, 3.2))

    def run(self) -> LabResult:
        """Run the experiment for the current control values, redraw the figure and numbers; return the result."""
        started = time.perf_counter()
        values = {name: control.value for name, control in self.controls.items()}
        if self.progress:  # a status line rather than a bar: one update takes a second or two
            self.summary.value = "<i>" + _("running…") + "</i>"
        result = lab_experiment(values["kind"], values["seq_len"], values["clip"], values["device"], **self.settings,
                                progress=False)  # no bar: one update takes a second or two
        plot_lab_result(self.figure, result)
        png = figure_png(self.figure)
        # The numbers first, the figure last: a page that sees a new figure also sees its numbers.
        self.summary.value = summarize(result) + "<br><i>" + _("updated in {seconds:.1f} s").format(
            seconds=time.perf_counter() - started) + "</i>"
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
        fig.suptitle(_("Static copy of the panel's first result (the panel above redraws live)"), y=1.02, fontsize=10)
    lab.panel.lab = lab  # reach the RNNLab object (controls, last_result) from the returned widget
    return lab.panel


# --- notebook 03: the language-model lab ---

import functools  # noqa: E402
import math  # noqa: E402

from helpers import rnn  # noqa: E402
from helpers.plots import plot_lm_lab, uniform_label  # noqa: E402

LM_SEQ_LEN_RANGE = (8, 128, 8)  # min, max, step of the slider
LM_TEMPERATURE_RANGE = (0.2, 2.0, 0.1)


@functools.lru_cache(maxsize=1)
def _lab_text(train_chars: int, val_chars: int):
    """The Lee text for the lab: its vocabulary, the first training and validation characters, two references."""
    vocab, train_ids, val_ids = rnn.load_char_data("lee")
    train_ids, val_ids = train_ids[:train_chars], val_ids[:val_chars]
    return vocab, train_ids, val_ids, math.log2(len(vocab)), rnn.unigram_bpc(train_ids, val_ids, len(vocab))


class LanguageModelLab(_Panel):
    """Controls (RNN type, sequence length, temperature, device), a read-out with a sample, and a figure.

    Changing the RNN type, sequence length or device trains a tiny character model for a couple of seconds (each
    setting once: results are cached); changing the temperature only draws a new sample from the cached model.
    """

    def __init__(self, kind: str = "lstm", seq_len: int = 32, temperature: float = 0.8, device: str = "auto",
                 train_chars: int = 30_000, val_chars: int = 5_000, epochs: int = 3, hidden_size: int = 64,
                 prompt: str = "the government ", sample_length: int = 160, seed: int = 0):
        kind = rnn.check_kind(kind)
        low, high, step = LM_SEQ_LEN_RANGE
        seq_len = checks.int_in_range("seq_len", seq_len, low, high)  # the sliders' ranges
        t_low, t_high, t_step = LM_TEMPERATURE_RANGE
        temperature = checks.number_in_range("temperature", temperature, t_low, t_high)
        device_name = pick_device(device).type
        self.settings = {"epochs": checks.positive_int("epochs", epochs),
                         "hidden_size": checks.positive_int("hidden_size", hidden_size), "seed": seed}
        self.vocab, self.train_ids, self.val_ids, self.uniform, self.unigram = _lab_text(
            checks.positive_int("train_chars", train_chars), checks.positive_int("val_chars", val_chars))
        self.unknown_prompt = self.vocab.unknown(prompt)
        if not prompt or self.unknown_prompt:
            raise ValueError(_("prompt must be non-empty text in the vocabulary; unknown: {unknown}").format(
                unknown=self.unknown_prompt))
        self.prompt, self.sample_length = prompt, checks.positive_int("sample_length", sample_length)
        style = {"description_width": "initial"}
        controls = {
            "kind": widgets.Dropdown(options=list(rnn.KINDS), value=kind, description=_("RNN type"), style=style,
                                     layout=widgets.Layout(width="170px")),
            "seq_len": widgets.IntSlider(value=seq_len, min=low, max=high, step=step, continuous_update=False,
                                         description=_("Sequence length"), style=style,
                                         layout=widgets.Layout(width="330px")),
            "temperature": widgets.FloatSlider(value=float(temperature), min=t_low, max=t_high, step=t_step,
                                               continuous_update=False, readout_format=".1f",
                                               description=_("Temperature"), style=style,
                                               layout=widgets.Layout(width="300px")),
            "device": widgets.Dropdown(options=available_devices(), value=device_name, description=_("Device"),
                                       style=style, layout=widgets.Layout(width="150px")),
        }
        self.cache: dict[tuple[str, int, str], dict] = {}
        self.last: dict | None = None
        self._assemble(controls, max_width="800px", figsize=(8, 3.6))

    def train(self, kind: str, seq_len: int, device: str) -> dict:
        """Train (or fetch from the cache) the tiny model for one setting; return its record."""
        key = (kind, seq_len, device)
        if key not in self.cache:
            started = time.perf_counter()
            model = rnn.CharLM(len(self.vocab), self.settings["hidden_size"], kind, embed_size=16,
                               seed=self.settings["seed"])
            untrained = rnn.evaluate_bpc(model, self.val_ids, seq_len, 16, device)  # where every curve starts
            history = rnn.train_char_lm(model, self.train_ids, self.val_ids, seq_len=seq_len, batch_size=32,
                                        epochs=self.settings["epochs"], lr=1e-2, device=device, progress=False)
            updates = math.ceil((len(self.train_ids) // 32 - 1) / seq_len) * self.settings["epochs"]
            self.cache[key] = {"model": model, "val_bpc": [untrained, *history["val_bpc"]], "updates": updates,
                               "chars_seen": [e * len(self.train_ids) for e in [0, *history["epoch"]]],
                               "seconds": time.perf_counter() - started}
        return self.cache[key]

    def run(self) -> dict:
        """Train or fetch the model for the current controls, draw a sample, redraw figure and read-out."""
        started = time.perf_counter()
        values = {name: control.value for name, control in self.controls.items()}
        cached = (values["kind"], values["seq_len"], values["device"]) in self.cache
        if not cached:  # a status line while a new model trains for a few seconds
            status = _("training {kind}, sequence length {seq_len}, device {device}…").format(
                kind=values["kind"].upper(), seq_len=values["seq_len"], device=values["device"])
            self.summary.value = f"<i>{status}</i>"
        record = self.train(values["kind"], values["seq_len"], values["device"])
        text = rnn.sample(record["model"], self.vocab, self.prompt, self.sample_length, values["temperature"],
                          device=values["device"], seed=self.settings["seed"])
        runs = {(k, s): r for (k, s, d), r in self.cache.items() if d == values["device"]}
        self.figure.clear()
        plot_lm_lab(self.figure.add_subplot(), runs, (values["kind"], values["seq_len"]), self.uniform, self.unigram)
        self.figure.tight_layout()
        png = figure_png(self.figure)
        self.last = {**values, "val_bpc": record["val_bpc"][-1], "updates": record["updates"], "sample": text,
                     "cached": cached}
        # The numbers first, the figure last: a page that sees a new figure also sees its numbers.
        seconds = time.perf_counter() - started
        timing = (_("from the cache; updated in {seconds:.1f} s") if cached else
                  _("trained; updated in {seconds:.1f} s")).format(seconds=seconds)
        self.summary.value = lm_summary(self.last, len(self.train_ids) * self.settings["epochs"]) + (
            f"<br><i>{timing}</i>")
        self.image.value = png
        self.runs += 1
        return self.last


def lm_summary(result: dict, chars_read: int, html: bool = True) -> str:
    """The language-model lab's numbers and sample, as HTML (or plain text)."""
    head = _("{kind}, sequence length {seq_len}, device {device}: validation {bpc:.2f} bits per character after "
             "reading {chars:,} training characters in {updates:,} updates").format(
        kind=result["kind"].upper(), seq_len=result["seq_len"], device=result["device"], bpc=result["val_bpc"],
        chars=chars_read, updates=result["updates"])
    sample_line = _("sample at temperature {temperature:.1f}:").format(temperature=result["temperature"])
    if not html:
        return f"{head}\n{sample_line}\n{result['sample']}"
    body = result["sample"].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"<b>{head}</b><br>{sample_line}<pre style='white-space: pre-wrap'>{body}</pre>"


def language_model_lab(kind: str = "lstm", seq_len: int = 32, temperature: float = 0.8, device: str = "auto",
                       static_copy: bool = True, **settings) -> widgets.VBox:
    """The language-model lab panel after its first run. With static_copy, the three RNN types are trained first
    (so switching type is instant) and their curves and the current sample are also drawn and printed for
    viewers without live widgets (e.g. GitHub)."""
    lab = LanguageModelLab(kind, seq_len, temperature, device, **settings)
    if static_copy:
        for other in rnn.KINDS:
            lab.train(other, seq_len, lab.controls["device"].value)
    result = lab.run()
    if static_copy:
        fig = plt.figure(figsize=(8, 3.6), dpi=80)  # left open: the inline backend shows it under the panel
        runs = {(k, s): r for (k, s, d), r in lab.cache.items()}
        ax = fig.add_subplot()
        plot_lm_lab(ax, runs, (result["kind"], result["seq_len"]), lab.uniform, lab.unigram,
                    title=_("Static copy of the panel's first result (run the notebook for the live panel)"))
        values = [bpc for run in runs.values() for bpc in run["val_bpc"]]
        top = max(lab.unigram, min(values) + 0.5, max(values)) + 0.15
        ax.set_ylim(min(values) - 0.05, top)  # zoom on the trained curves, every point of them inside
        for line in ax.get_lines():
            if line.get_label() == uniform_label(lab.uniform) and lab.uniform > top:
                line.remove()  # off the zoomed axes: no legend entry for a line one cannot see
        ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))  # beside the curves, not on them
        fig.tight_layout()
        print(lm_summary(result, len(lab.train_ids) * lab.settings["epochs"], html=False))
        scores = ", ".join(f"{k} {r['val_bpc'][-1]:.3f}" for (k, s), r in runs.items() if s == result["seq_len"])
        print(_("last validation bpc at this sequence length: {scores}").format(scores=scores))
    lab.panel.lab = lab  # reach the LanguageModelLab object (controls, cache, last) from the returned widget
    return lab.panel
